# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The options that choose recovery points. The matching argument spec is RECOVERY_POINT_ARGSPEC in
# plugins/module_utils/_recovery_points.py: the two must not drift. Each module documents its own
# select option.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  recovery_point_id:
    description:
      - The recovery point (its name, a decimal string such as V(26083826328862)), as
        M(azbackup.restore.recovery_point_info) returns it.
      - For the secondary region the point must be replicated there; a point only in the primary region (the
        newest ones usually are) is refused with a message saying so.
      - Mutually exclusive with the filters O(start_time), O(end_time), O(recovery_point_type) and O(tier).
    type: str
  start_time:
    description:
      - Only recovery points taken at or after this time, ISO 8601 (V(2026-11-01T08:00:00Z); without a zone the
        time is UTC).
      - Sent to Azure as the C(startDate) of the C($filter) and applied again to the answer.
    type: str
  end_time:
    description:
      - Only recovery points taken at or before this time, ISO 8601.
      - Sent to Azure as the C(endDate) of the C($filter) and applied again to the answer.
      - A window that ends before it starts fails before any request is sent.
    type: str
  recovery_point_type:
    description:
      - Only recovery points of this consistency type, compared without regard to case, for example
        V(AppConsistent), V(CrashConsistent) or V(FileSystemConsistent).
    type: str
  tier:
    description:
      - Only recovery points usable from this tier, that is, holding it with status C(Valid) or C(Rehydrated).
      - V(snapshot) is the instant-restore snapshot (C(InstantRP)), V(vault) the standard vault tier
        (C(HardenedRP)), V(archive) the archive tier (C(ArchivedRP)). Points replicated to the secondary region
        are in the vault tier.
    type: str
    choices: [snapshot, vault, archive]
"""
