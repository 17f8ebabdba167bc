# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Attribute fragments, following ansible.builtin.action_common_attributes. A module lists
#   extends_documentation_fragment:
#     - azbackup.restore.attributes
#     - azbackup.restore.attributes.actiongroup_azure   (alias: azbackup.restore.attributes.action_group)
#       or azbackup.restore.attributes.actiongroup_compute (modules that work on VMs, not on a vault)
#     - azbackup.restore.attributes.platform
#     - azbackup.restore.attributes.info_module     (only for *_info modules)
# and, unless info_module covers it, sets check_mode.support and diff_mode.support itself.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # check_mode and diff_mode descriptions; the module sets support (full, partial or none).
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in
      diff mode.
"""

    # For modules that only read: check mode fully supported, nothing to diff.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
"""

    ACTIONGROUP_AZURE = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/azbackup.restore.azure) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - azbackup.restore.azure
"""

    # The same fragment under the name azbackup.restore.attributes.action_group (a literal copy:
    # the sanity tests read every fragment as a string constant).
    ACTION_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/azbackup.restore.azure) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - azbackup.restore.azure
"""

    # Modules that work on VMs and what they own rather than on a vault: they do not take the vault
    # options that plays often set for group/azbackup.restore.azure.
    ACTIONGROUP_COMPUTE = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/azbackup.restore.compute) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - azbackup.restore.compute
"""

    PLATFORM = r"""
options: {}
attributes:
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: azure
"""
