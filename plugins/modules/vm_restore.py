#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vm_restore
short_description: Restore an Azure VM from an Azure Backup recovery point
version_added: 0.1.0
description:
  - Starts a restore of an Azure virtual machine protected in a Recovery Services vault, in the vault's
    own region, from one recovery point, and follows it.
  - O(restore_type=restore_disks) restores the disks (managed disks in O(target_resource_group), plus an
    ARM template and a configuration blob in the staging storage account to create a VM from them).
  - O(restore_type=replace_disks) replaces the disks of the source VM itself (Azure's C(OriginalLocation)).
  - O(restore_type=new_vm) creates a new VM (Azure's C(AlternateLocation)).
  - Before it sends anything that changes something, the module checks the options against the recovery
    point and the target resources, then asks Azure to validate the request (C(backupValidateOperation)).
    A request that fails any of these checks is never sent.
  - The module is idempotent. Before starting a restore it looks for a restore job of the vault that
    restores the same item from the same recovery point, with the same restore type and targets, and that
    is running or completed; when it finds one it attaches to that job and reports no change. A second run
    of the same task never starts a second restore (O(force=true) restores again anyway).
  - A restore request is never repeated blindly. When its answer is lost (a server error, a dropped
    connection) the module looks for the job the request may have started and attaches to it; only when no
    job appears does it send the request once more. When Azure refuses because another operation runs on
    the item, the module attaches to that operation's job when it is the same restore.
  - With O(vms) the module restores a list of VMs of the vault at once; each VM runs the same sequence as a
    single-VM task (its checks and validation, the job search that makes a re-run attach, no blind repeat of its
    request, check mode), O(concurrency) VMs at a time, and returns its result in RV(results). A VM's failure does
    not stop the others. The VMs share one token and one read of the vault, of the target resources and of the job
    list searched before the restore requests; a throttled request (HTTP 429) pauses every VM's requests.
  - For a restore from another region use M(azbackup.restore.crr_restore).
author:
  - azbackup.restore contributors (@azbackup)
options:
  api_version:
    description:
      - The api-version of the Azure Backup (Microsoft.RecoveryServices) requests.
    type: str
    default: '2024-04-01'
  restore_type:
    description:
      - V(restore_disks) restores the disks only (C(RestoreDisks)).
      - V(replace_disks) replaces the disks of the source VM (C(OriginalLocation)). It acts on the source
        VM, so it refuses every target VM option (O(target_vm_name), O(target_resource_group),
        O(target_virtual_network), O(target_virtual_network_resource_group), O(target_subnet),
        O(target_zone)) rather than ignoring them.
      - V(new_vm) creates a new VM (C(AlternateLocation)) and needs O(target_vm_name),
        O(target_resource_group), O(target_virtual_network) and O(target_subnet).
    type: str
    required: true
    choices: [restore_disks, replace_disks, new_vm]
  select:
    description:
      - Which recovery point to restore when O(recovery_point_id) is not set. V(latest) is the newest one
        matching the filters.
    type: str
    default: latest
    choices: [latest]
  region:
    description:
      - The region to restore to, as Azure spells it in the request (C(region)).
      - If not set, the vault's region. Any other region is refused; M(azbackup.restore.crr_restore) restores
        to the vault's secondary region.
    type: str
  rehydration_priority:
    description:
      - For a recovery point in the archive tier only, the priority of its rehydration. Such a point needs
        this option or O(rehydration_duration) (the other takes its default, V(Standard) or 15 days).
    type: str
    choices: [Standard, High]
  rehydration_duration:
    description:
      - For a recovery point in the archive tier only, the number of days (10 to 30) the rehydrated point
        is kept.
    type: int
  disk_network_access:
    description:
      - The network access of the restored managed disks (Azure's C(targetDiskNetworkAccessSettings); the Azure
        CLI's C(--disk-access-option) and C(--target-disk-access-id)).
      - Required when the recovery point has private access enabled on any disk
        (C(isPrivateAccessEnabledOnAnyDisk)), and refused when it has none.
      - Not available for a cross-region restore (the secondary region's API has no such setting).
    type: dict
    suboptions:
      option:
        description:
          - V(SameAsOnSourceDisks) keeps the source disks' settings, V(EnablePrivateAccessForAllDisks) gives every
            disk private access through O(disk_network_access.disk_access_id), V(EnablePublicAccessForAllDisks)
            gives every disk public access.
        type: str
        required: true
        choices: [SameAsOnSourceDisks, EnablePrivateAccessForAllDisks, EnablePublicAccessForAllDisks]
      disk_access_id:
        description:
          - The resource id of the C(Microsoft.Compute/diskAccesses) resource, with
            O(disk_network_access.option=EnablePrivateAccessForAllDisks) only (and required then).
        type: str
  secured_vm_os_disk_encryption_set_id:
    description:
      - For a confidential VM, the resource id of the disk encryption set for its OS disk (Azure's
        C(securedVMDetails.securedVMOsDiskEncryptionSetId); the Azure CLI's C(--cvm-os-des-id)).
    type: str
  restore_to_edge_zone:
    description:
      - Restore to the edge zone of the source VM (Azure's C(extendedLocation), taken from the recovery point; the
        Azure CLI's C(--restore-to-edge-zone)). The recovery point must be of an edge zone VM.
      - O(restore_type=replace_disks) of an edge zone VM always sends the point's edge zone, as the Azure CLI does.
      - Not with O(target_subscription_id).
    type: bool
    default: false
  resource_guard_tenant_id:
    description:
      - For a vault protected by a Resource Guard (multi-user authorization) in another tenant, that tenant
        (the Azure CLI's C(--tenant-id)). The module gets a token of that tenant with the same credentials and
        sends it in the C(x-ms-authorization-auxiliary) header; the token is never shown.
      - Whatever the tenant, the module finds the guard through the vault's resource guard proxy and sends its
        operation request (C(resourceGuardOperationRequests)); the caller needs the guard owner's approval (the
        Backup MUA Operator role on the guard), which a refusal names.
      - Not available for a cross-region restore (the secondary region's API has no resource guard requests).
    type: str
extends_documentation_fragment:
  - azbackup.restore.protected_item
  - azbackup.restore.recovery_point
  - azbackup.restore.restore_target
  - azbackup.restore.fleet
  - azbackup.restore.azure
  - azbackup.restore.wait
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_azure
  - azbackup.restore.attributes.platform
attributes:
  check_mode:
    support: full
    details:
      - Resolves the recovery point, runs every pre-flight check including Azure's validation (which changes
        nothing), returns the exact request body in RV(request) and sends no restore request.
      - Reports a change when a restore would start, and none when it would attach to an earlier restore.
  diff_mode:
    support: none
notes:
  - Following the operation (O(wait=operation), the default) usually takes one poll; unless O(poll_interval)
    is set, the module polls the operation after 2 seconds, then more slowly (at most every 30 seconds).
    Jobs are polled as O(poll_interval) says (15 seconds growing to 120 seconds by default).
  - When O(wait_timeout) runs out the task fails with RV(job_id) and RV(operation_url); running the same
    task again attaches to that restore and goes on waiting.
  - A job that ends C(CompletedWithWarnings) succeeds with Ansible warnings; C(Failed) and C(Cancelled)
    fail the task with Azure's error code and message.
seealso:
  - module: azbackup.restore.recovery_point_info
  - module: azbackup.restore.restore_job_info
  - module: azbackup.restore.crr_restore
"""

EXAMPLES = r"""
- name: Restore the disks of the newest recovery point as managed disks
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    wait: job
  register: restored

- name: Show where the ARM template to create the VM from the disks is
  ansible.builtin.debug:
    msg: "{{ restored.template_blob_uri }}"

- name: Restore only the data disk on LUN 1 of a point from a given day
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-db-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    start_time: "2026-11-01T00:00:00Z"
    end_time: "2026-11-01T23:59:59Z"
    disk_luns: [1]
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    target_zone: "1"

- name: Replace the disks of the VM itself with those of a recovery point
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: replace_disks
    recovery_point_id: "26083826328862"
    staging_storage_account: >-
      /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-restore/providers/Microsoft.Storage/storageAccounts/strestorewe
    wait: job
    wait_timeout: 7200

- name: Create a new VM from a recovery point in the archive tier
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: new_vm
    tier: archive
    rehydration_priority: High
    rehydration_duration: 15
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    target_vm_name: vm-web-01-restored
    target_virtual_network: vnet-restore
    target_subnet: default

- name: Show the request a restore would send, without sending it
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
  check_mode: true
  register: plan

- name: Start a restore and return at once; follow it later with restore_job_info
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    wait: none

- name: Restore the disks into another subscription, through the vault's user-assigned identity
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    target_subscription_id: 0b1c2d3e-0000-4000-8000-000000000005
    staging_storage_account: strestoredev
    staging_storage_account_resource_group: rg-restore-dev
    target_resource_group: rg-restore-dev
    identity:
      type: user_assigned
      id: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-vault/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-restore
    wait: job

- name: Start the restores of the disks of a whole application at once, then follow them with restore_job_info
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vms:
      - name: vm-web-01
        resource_group: rg-prod
      - name: vm-web-02
        resource_group: rg-prod
      - name: vm-db-01
        resource_group: rg-db
        recovery_point_id: "26083826328862"
    concurrency: 20
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    wait: none
  register: fleet

- name: Show which VMs started a restore and which attached to an earlier one
  ansible.builtin.debug:
    msg: "{{ fleet.results | map(attribute='vm') | zip(fleet.results | map(attribute='changed')) }}"

- name: Restore a VM whose disks had private access, giving every restored disk private access
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-db-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    disk_network_access:
      option: EnablePrivateAccessForAllDisks
      disk_access_id: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-restore/providers/Microsoft.Compute/diskAccesses/da-restore
"""

RETURN = r"""
results:
  description:
    - With O(vms), one result per VM in the order of O(vms), with the keys a single-VM task returns (RV(changed),
      RV(attached), RV(job_id), RV(job), RV(operation_url), RV(request), RV(recovery_point), the restored disks'
      outputs) as far as that VM got, plus RV(results[].vm), RV(results[].failed) and RV(results[].msg). A failed
      VM's result also carries Azure's RV(results[].error_code), C(status_code) and C(request_id) when Azure refused.
  returned: when O(vms) is set
  type: list
  elements: dict
  version_added: 0.2.0
  contains:
    vm:
      description: The VM, as C(resource_group/name).
      type: str
      returned: always
      sample: rg-prod/vm-web-01
    failed:
      description: Whether the restore of this VM failed.
      type: bool
      returned: always
      sample: false
    msg:
      description: What happened to this VM; for a failed VM, what was being done and Azure's own text.
      type: str
      returned: always
      sample: Restore of rg-prod/vm-web-01 started
    error_code:
      description: Azure's error code, for a VM that Azure refused.
      type: str
      returned: when Azure refused the VM's restore
      sample: UserErrorStorageAccountIsZRS
  sample:
    - vm: rg-prod/vm-web-01
      failed: false
      changed: true
      attached: false
      job_id: 2b9f0a4c-6d1e-4f58-9b3c-7e2a1d0c5f11
      msg: Restore of rg-prod/vm-web-01 started
changed:
  description:
    - Whether a restore was started (or, in check mode, would be). False when the task attached to an
      earlier restore of the same recovery point to the same targets. With O(vms), whether any VM's was.
  returned: always
  type: bool
  sample: true
attached:
  description:
    - Whether the task attached to a restore job it did not start with this run's request (an earlier or
      concurrent run's, or its own whose answer was lost).
  returned: always
  type: bool
  sample: false
job_id:
  description:
    - The id of the restore job. Also returned when the task fails after the restore started (a timeout, a
      failed job).
  returned: when the job is known (not with O(wait=none) unless the task attached to a job)
  type: str
  sample: 2b9f0a4c-6d1e-4f58-9b3c-7e2a1d0c5f11
operation_url:
  description:
    - The URL of Azure's asynchronous operation for the restore request, as Azure sent it
      (C(Azure-AsyncOperation)).
  returned: when this run sent the restore request
  type: str
  sample: >-
    https://management.azure.com/subscriptions/.../protectedItems/VM%3Biaasvmcontainerv2%3Brg-prod%3Bvm-web-01/operationsStatus/2b9f0a4c?api-version=2024-04-01
request:
  description:
    - The body of the restore request, exactly as sent (or, in check mode, as it would be sent).
  returned: always
  type: dict
  sample:
    properties:
      objectType: IaasVMRestoreRequest
      recoveryPointId: "26083826328862"
      recoveryType: RestoreDisks
      sourceResourceId: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01
      storageAccountId: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-restore/providers/Microsoft.Storage/storageAccounts/strestorewe
      targetResourceGroupId: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-restore
      region: westeurope
      createNewCloudService: true
      originalStorageAccountOption: false
      encryptionDetails:
        encryptionEnabled: false
recovery_point:
  description:
    - The recovery point restored, as M(azbackup.restore.recovery_point_info) returns it.
  returned: always
  type: dict
  contains:
    id:
      description: The resource id of the recovery point.
      type: str
      returned: always
      sample: /subscriptions/.../recoveryPoints/26083826328862
    name:
      description: The recovery point id (the value of O(recovery_point_id)).
      type: str
      returned: always
      sample: "26083826328862"
    time:
      description: When the recovery point was taken (UTC).
      type: str
      returned: always
      sample: "2026-11-20T22:07:11Z"
    type:
      description: The consistency type of the recovery point.
      type: str
      returned: always
      sample: CrashConsistent
    tiers:
      description: The tiers the recovery point is in, with their status.
      type: list
      elements: dict
      returned: always
      sample: [{"type": "InstantRP", "status": "Valid"}, {"type": "HardenedRP", "status": "Valid"}]
    usable_tiers:
      description: The tiers the recovery point can be restored from without rehydration.
      type: list
      elements: str
      returned: always
      sample: [InstantRP, HardenedRP]
    disk_luns:
      description: The LUNs of the data disks in the recovery point.
      type: list
      elements: int
      returned: always
      sample: [0, 1]
    is_managed:
      description: Whether the VM had managed disks.
      type: bool
      returned: always
      sample: true
  sample:
    name: "26083826328862"
    time: "2026-11-20T22:07:11Z"
job:
  description:
    - The restore job, as M(azbackup.restore.restore_job_info) returns it. With O(wait=operation) its
      state just after the operation ended, with O(wait=job) its final state.
  returned: when the job is known
  type: dict
  contains:
    id:
      description: The resource id of the job.
      type: str
      returned: always
      sample: /subscriptions/.../backupJobs/2b9f0a4c-6d1e-4f58-9b3c-7e2a1d0c5f11
    job_id:
      description: The job id.
      type: str
      returned: always
      sample: 2b9f0a4c-6d1e-4f58-9b3c-7e2a1d0c5f11
    status:
      description: C(InProgress), C(Completed), C(CompletedWithWarnings), C(Failed), C(Cancelled), C(Cancelling).
      type: str
      returned: always
      sample: Completed
    operation:
      description: C(Restore).
      type: str
      returned: always
      sample: Restore
    entity:
      description: The name of the protected VM.
      type: str
      returned: always
      sample: vm-web-01
    start_time:
      description: When the job started (UTC).
      type: str
      returned: always
      sample: "2026-11-21T08:00:03Z"
    end_time:
      description: When the job ended (UTC), null while it runs.
      type: str
      returned: always
      sample: "2026-11-21T08:01:10Z"
    duration:
      description: How long the job ran (ISO 8601 duration, as Azure gives it).
      type: str
      returned: always
      sample: PT1M7S
    error_details:
      description: Azure's errors of a failed job (C(code), C(title), C(message), C(recommendations)).
      type: list
      elements: dict
      returned: always
      sample: []
    extended_info:
      description: Tasks, progress and property bags of the job.
      type: dict
      returned: always
      sample: {"progress_percentage": 100.0, "property_bag": {"Job Type": "Recover disks"}}
  sample:
    job_id: 2b9f0a4c-6d1e-4f58-9b3c-7e2a1d0c5f11
    status: Completed
restored_disks:
  description:
    - The resource ids of the disks the restore created, when the job's property bag names them. Azure's
      restore jobs do not name them today, so the list is then empty; the ARM template at RV(template_blob_uri)
      references the restored disks.
  returned: when O(restore_type=restore_disks) and the job is known
  type: list
  elements: str
  sample: [/subscriptions/.../resourceGroups/rg-restore/providers/Microsoft.Compute/disks/vm-web-01-osdisk-restored]
config_blob_uri:
  description:
    - The VM configuration blob the restore wrote to the staging storage account (once the job completed).
  returned: when O(restore_type=restore_disks) and the job is known
  type: str
  sample: https://strestorewe.blob.core.windows.net/vm-web-01-1a2b3c/config-vm-web-01-1a2b3c.json
template_blob_uri:
  description:
    - The ARM template to create a VM from the restored disks (once the job completed).
  returned: when O(restore_type=restore_disks) and the job is known
  type: str
  sample: https://strestorewe.blob.core.windows.net/vm-web-01-1a2b3c/azuredeploy1a2b3c.json
"""

from ansible_collections.azbackup.restore.plugins.module_utils._fleet import VMS_ARGSPEC, VMS_CONSTRAINTS, restore_fleet
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._restore_flavours import PrimaryRestore, restore
from ansible_collections.azbackup.restore.plugins.module_utils._restore_request import DISK_ACCESS_OPTIONS

GROUPS = ("protected_item", "recovery_point", "restore_target", "wait")


def argument_spec():
    """The module's own options (GROUPS add the shared ones)."""
    return dict(
        VMS_ARGSPEC,
        api_version=dict(type="str", default=PrimaryRestore.default_api_version),
        restore_type=dict(type="str", required=True, choices=["restore_disks", "replace_disks", "new_vm"]),
        select=dict(type="str", default="latest", choices=["latest"]),
        region=dict(type="str"),
        rehydration_priority=dict(type="str", choices=["Standard", "High"]),
        rehydration_duration=dict(type="int"),
        disk_network_access=dict(type="dict", options=dict(
            option=dict(type="str", required=True, choices=list(DISK_ACCESS_OPTIONS)),
            disk_access_id=dict(type="str"),
        )),
        secured_vm_os_disk_encryption_set_id=dict(type="str"),
        restore_to_edge_zone=dict(type="bool", default=False),
        resource_guard_tenant_id=dict(type="str"),
    )


def run(module):
    if not module.params.get("vms"):
        return restore(PrimaryRestore(module.client, module.params, module.subscription_id),
                       check_mode=module.check_mode)
    return restore_fleet(module.client, module.params, PrimaryRestore, module.subscription_id,
                         check_mode=module.check_mode)


def main():
    AzBackupModule(argument_spec(), groups=GROUPS, supports_check_mode=True, **VMS_CONSTRAINTS).run(run)


if __name__ == "__main__":
    main()
