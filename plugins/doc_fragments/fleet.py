# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The list form of the restore modules (many VMs from one task). The matching argument spec is
# VMS_ARGSPEC in plugins/module_utils/_fleet.py: the two must not drift.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  vms:
    description:
      - The VMs to restore, each by O(vms[].name) and O(vms[].resource_group) or by O(vms[].id), all protected in the
        vault O(vault_name). Every other option applies to each VM.
      - Each VM runs the same sequence as a single-VM task, O(concurrency) VMs at a time, and returns its result in
        RV(results). A VM's failure does not stop the others.
      - With O(wait=job), each VM runs until its restore names its job, then the jobs of all the VMs are waited for
        together (one job list per poll round, and one read of each job as it ends); a VM whose job failed, or
        still runs when O(wait_timeout) (counted from the task's start) runs out, is a failed VM.
      - Mutually exclusive with O(vm_id), O(vm_name), O(vm_resource_group), O(container_name),
        O(protected_item_name), O(recovery_point_id) and O(target_vm_name) (set those per VM).
      - A VM named twice is refused.
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      name:
        description:
          - The name of the VM, with O(vms[].resource_group).
        type: str
      resource_group:
        description:
          - The resource group of the VM O(vms[].name).
        type: str
      id:
        description:
          - The resource id of the VM (instead of O(vms[].name) and O(vms[].resource_group)).
        type: str
      recovery_point_id:
        description:
          - The recovery point to restore this VM from (as O(recovery_point_id) for one VM); the recovery point
            filters (O(start_time), O(end_time), O(recovery_point_type), O(tier)) do not apply to this VM then.
          - If not set, the point O(select) and the recovery point filters choose.
        type: str
      target_vm_name:
        description:
          - The name of the new VM, with O(restore_type=new_vm) (as O(target_vm_name) for one VM).
        type: str
      container_name:
        description:
          - Azure Backup's protection container of this VM, for items that do not follow the usual naming (as
            O(container_name) for one VM; M(azbackup.restore.protected_item_info) returns it).
        type: str
      protected_item_name:
        description:
          - Azure Backup's protected item of this VM, for items that do not follow the usual naming (as
            O(protected_item_name) for one VM).
        type: str
      disk_luns:
        description:
          - The data disks to restore for this VM, instead of O(disk_luns).
        type: list
        elements: int
      restore_os_disk_only:
        description:
          - Whether to restore only this VM's OS disk, instead of O(restore_os_disk_only).
        type: bool
      target_zone:
        description:
          - The availability zone for this VM, instead of O(target_zone).
        type: str
  concurrency:
    description:
      - With O(vms), how many VMs are restored at the same time (1 to 100).
      - "Each VM sends two writes (Azure's validation, or the access token request for a cross-region restore, and
        the restore) and a few reads: 100 VMs side by side fit ARM's per-subscription write bucket (200 writes,
        refilled at 10 a second), and a throttled request (HTTP 429) pauses every VM's requests for the time Azure
        asks."
    type: int
    default: 100
    version_added: 0.2.0
  fail_on_vm_failure:
    description:
      - With O(vms), whether the task fails when the restore of any VM failed (after all the others ran). The
        message names each VM that failed and why; RV(results) holds every VM's result either way.
    type: bool
    default: true
    version_added: 0.2.0
"""
