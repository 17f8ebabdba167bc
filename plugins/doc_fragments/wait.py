# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The wait options shared by the restore modules. The matching argument spec is WAIT_ARGSPEC in
# plugins/module_utils/_poller.py: the two must not drift.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  wait:
    description:
      - What to wait for after Azure accepted the request.
      - V(none) returns as soon as Azure accepted it (no polling).
      - V(operation) waits for Azure's asynchronous operation to end, which gives the id of the job
        that does the work.
      - V(job) also waits for that job to reach a final state (C(Completed), C(CompletedWithWarnings),
        C(Failed) or C(Cancelled)); a job that fails fails the task.
    type: str
    default: operation
    choices: [none, operation, job]
  wait_timeout:
    description:
      - Seconds to wait in all, for the operation and the job together.
      - When it runs out the task fails and names the operation or job to follow; running the task
        again picks the same restore up instead of starting another one.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two polls of the operation or job.
      - If not set, the delay the server asks for in C(Retry-After) when it sends one, else 15 seconds
        growing by half at each poll up to 120 seconds.
      - When set, this fixed interval is used, whatever the server asks for.
    type: int
"""
