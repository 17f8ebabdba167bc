#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: crr_restore
short_description: Restore an Azure VM in the vault's secondary region (cross-region restore)
version_added: 0.1.0
description:
  - Starts a cross-region restore of an Azure virtual machine protected in a geo-redundant Recovery
    Services vault with cross-region restore enabled, from a recovery point replicated to the vault's
    secondary (paired) region, and follows it.
  - The secondary region is the paired region Azure Resource Manager names for the vault's region
    (O(secondary_region) overrides it). The staging storage account, the target resource group's resources,
    and the new VM's network must be in that region.
  - The request needs a short-lived access token for the recovery point. Pass what
    M(azbackup.restore.crr_access_token) returns in RV(azbackup.restore.crr_access_token#module:access_details)
    as O(access_details), or leave it out and the module gets a token itself. A token that has expired (or
    expires within two minutes), or that was issued for another recovery point, is replaced by a fresh one;
    so is a token Azure refuses as expired or invalid (once).
  - The module runs the same pre-flight checks, idempotency, lost-response handling and waiting as
    M(azbackup.restore.vm_restore); the restore job is a C(CrossRegionRestore) job of the secondary region.
  - Recovery points in the archive tier cannot be restored across regions, and C(replace_disks) does not
    exist across regions.
  - With O(vms) the module restores a list of VMs of the vault at once; each VM runs the same sequence as a
    single-VM task (its checks, its own access token for its recovery point, the job search that makes a re-run
    attach, no blind repeat of its request, check mode), O(concurrency) VMs at a time, and returns its result in
    RV(results). A VM's failure does not stop the others. The VMs share one Azure Resource Manager bearer token
    and one read of the vault, of the target resources and of the job list searched before the restore requests;
    a throttled request (HTTP 429) pauses every VM's requests.
author:
  - azbackup.restore contributors (@azbackup)
options:
  api_version:
    description:
      - The api-version of the cross-region (passive stamp) Azure Backup requests.
    type: str
    default: '2023-01-15'
  secondary_region:
    description:
      - The region to restore to.
      - If not set, the paired region of the vault's region, from Azure Resource Manager's locations API.
    type: str
  access_details:
    description:
      - The cross-region restore access token of the recovery point, as RV(azbackup.restore.crr_access_token#module:access_details)
        returns it (the C(properties) of Azure's C(accessToken) answer). It holds a secret; register the
        output of M(azbackup.restore.crr_access_token) with C(no_log=true).
      - If not set, or when its token has expired or is for another recovery point, the module gets a new one.
      - Only its C(accessTokenString) is kept out of results and logs. (Ansible would otherwise hide every value
        of this option wherever it appears in the result, such as the recovery point id or the vault's name.)
      - Mutually exclusive with O(vms) (a token is for one recovery point; with O(vms) each VM gets its own).
    type: dict
  restore_type:
    description:
      - V(restore_disks) restores the disks only (C(RestoreDisks)).
      - V(new_vm) creates a new VM in the secondary region (C(AlternateLocation)) and needs
        O(target_vm_name), O(target_resource_group), O(target_virtual_network) and O(target_subnet).
    type: str
    required: true
    choices: [restore_disks, new_vm]
  select:
    description:
      - Which recovery point to restore when O(recovery_point_id) is not set. V(latest) is the newest one
        matching the filters.
    type: str
    default: latest
    choices: [latest]
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
      - Resolves the recovery point, runs the pre-flight checks, gets an access token when needed (which
        changes nothing), returns the request body in RV(request) and sends no restore request.
      - Reports a change when a restore would start, and none when it would attach to an earlier restore.
  diff_mode:
    support: none
notes:
  - The access token is never returned or logged; RV(request) shows it as C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER).
    With O(vms), neither is any VM's.
  - The operation of a cross-region restore is followed through the C(Azure-AsyncOperation) URL exactly as
    Azure sent it (its query string is signed).
  - Following the operation (O(wait=operation), the default) usually takes one poll; unless O(poll_interval)
    is set, the module polls the operation after 2 seconds, then more slowly (at most every 30 seconds).
    Jobs are polled as O(poll_interval) says (15 seconds growing to 120 seconds by default). A cross-region
    restore of a large VM can take hours.
  - When O(wait_timeout) runs out the task fails with RV(job_id); running the same task again attaches to
    that restore and goes on waiting.
seealso:
  - module: azbackup.restore.crr_access_token
  - module: azbackup.restore.vm_restore
  - module: azbackup.restore.restore_job_info
"""

EXAMPLES = r"""
- name: Get an access token for the newest replicated recovery point
  azbackup.restore.crr_access_token:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
  register: crr_token
  no_log: true

- name: Restore its disks in the secondary region
  azbackup.restore.crr_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    recovery_point_id: "{{ crr_token.recovery_point.name }}"
    access_details: "{{ crr_token.access_details }}"
    staging_storage_account: strestorene
    staging_storage_account_resource_group: rg-dr
    target_resource_group: rg-dr
    wait: job
    wait_timeout: 14400

- name: Create a VM in the secondary region (the module gets the access token itself)
  azbackup.restore.crr_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: new_vm
    staging_storage_account: strestorene
    staging_storage_account_resource_group: rg-dr
    target_resource_group: rg-dr
    target_vm_name: vm-web-01-dr
    target_virtual_network: vnet-dr
    target_subnet: default

- name: Show the request without sending it
  azbackup.restore.crr_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    staging_storage_account: strestorene
    staging_storage_account_resource_group: rg-dr
    target_resource_group: rg-dr
  check_mode: true

- name: Start the cross-region restores of a whole application at once (each VM gets its own access token)
  azbackup.restore.crr_restore:
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
    staging_storage_account: strestorene
    staging_storage_account_resource_group: rg-dr
    target_resource_group: rg-dr
    fail_on_vm_failure: false
    wait: none
  register: dr

- name: Show which VMs started a restore, which attached to an earlier one and which failed
  ansible.builtin.debug:
    msg: "{{ dr.results | map(attribute='msg') | list }}"

- name: Create a new VM in the secondary region for each VM, named per VM
  azbackup.restore.crr_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vms:
      - name: vm-web-01
        resource_group: rg-prod
        target_vm_name: vm-web-01-dr
      - name: vm-web-02
        resource_group: rg-prod
        target_vm_name: vm-web-02-dr
    restore_type: new_vm
    staging_storage_account: strestorene
    staging_storage_account_resource_group: rg-dr
    target_resource_group: rg-dr
    target_virtual_network: vnet-dr
    target_subnet: default
"""

RETURN = r"""
results:
  description:
    - With O(vms), one result per VM in the order of O(vms), with the keys a single-VM task returns (RV(changed),
      RV(attached), RV(secondary_region), RV(access_token_source), RV(job_id), RV(job), RV(operation_url),
      RV(request) with its access token masked, RV(recovery_point), the restored disks' outputs) as far as that VM
      got, plus RV(results[].vm), RV(results[].failed) and RV(results[].msg). A failed VM's result also carries
      Azure's RV(results[].error_code), C(status_code) and C(request_id) when Azure refused.
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
      sample: BMSUserErrorObjectNotFound
  sample:
    - vm: rg-prod/vm-web-01
      failed: false
      changed: true
      attached: false
      secondary_region: northeurope
      access_token_source: fetched
      operation_url: >-
        https://management.azure.com/subscriptions/.../locations/northeurope/backupCrrOperationsStatus/MTMzMDgz?api-version=2023-01-15&t=638&c=MIIH&s=bG9n&h=x2Y
      msg: Restore of rg-prod/vm-web-01 started
changed:
  description:
    - Whether a restore was started (or, in check mode, would be). False when the task attached to an
      earlier cross-region restore of the same recovery point to the same targets. With O(vms), whether any VM's
      was.
  returned: always
  type: bool
  sample: true
attached:
  description:
    - Whether the task attached to a restore job it did not start with this run's request.
  returned: always
  type: bool
  sample: false
secondary_region:
  description:
    - The region the restore runs in.
  returned: always
  type: str
  sample: northeurope
access_token_source:
  description:
    - Where the access token came from. V(given) is O(access_details); V(fetched) means the module got one
      because none was given; V(refreshed) means the given one had expired or was for another recovery
      point, and the module got a new one.
    - Null when the task attached to an earlier restore (no token needed).
  returned: always
  type: str
  sample: given
job_id:
  description:
    - The id of the cross-region restore job. Also returned when the task fails after the restore started.
  returned: when the job is known (not with O(wait=none) unless the task attached to a job)
  type: str
  sample: 7c1d9e2a-0b3f-4a6c-8d5e-2f4a6b8c0d1e
operation_url:
  description:
    - The URL of Azure's asynchronous operation for the restore request, exactly as Azure sent it
      (C(Azure-AsyncOperation), with its signed query string).
  returned: when this run sent the restore request
  type: str
  sample: >-
    https://management.azure.com/subscriptions/.../locations/northeurope/backupCrrOperationsStatus/MTMzMDgz?api-version=2023-01-15&t=638&c=MIIH&s=bG9n&h=x2Y
request:
  description:
    - The body of the cross-region restore request as sent (or, in check mode, as it would be sent), with
      C(crossRegionRestoreAccessDetails.accessTokenString) masked.
  returned: always
  type: dict
  sample:
    crossRegionRestoreAccessDetails:
      objectType: CrrAccessToken
      accessTokenString: VALUE_SPECIFIED_IN_NO_LOG_PARAMETER
      recoveryPointId: "26083826328862"
    restoreRequest:
      objectType: IaasVMRestoreRequest
      recoveryType: RestoreDisks
      region: northeurope
recovery_point:
  description:
    - The recovery point restored, as the secondary region lists it.
  returned: always
  type: dict
  sample:
    name: "26083826328862"
    time: "2026-11-20T22:07:11Z"
    usable_tiers: [HardenedRP]
job:
  description:
    - The cross-region restore job (operation C(CrossRegionRestore)), as M(azbackup.restore.restore_job_info)
      returns it.
  returned: when the job is known
  type: dict
  sample:
    job_id: 7c1d9e2a-0b3f-4a6c-8d5e-2f4a6b8c0d1e
    status: InProgress
    operation: CrossRegionRestore
restored_disks:
  description:
    - The resource ids of the disks the restore created, when the job's property bag names them. Azure's
      restore jobs do not name them today, so the list is then empty; the ARM template at RV(template_blob_uri)
      references the restored disks.
  returned: when O(restore_type=restore_disks) and the job is known
  type: list
  elements: str
  sample: [/subscriptions/.../resourceGroups/rg-dr/providers/Microsoft.Compute/disks/vm-web-01-osdisk-restored]
config_blob_uri:
  description:
    - The VM configuration blob the restore wrote to the staging storage account (once the job completed).
  returned: when O(restore_type=restore_disks) and the job is known
  type: str
  sample: https://strestorene.blob.core.windows.net/vm-web-01-1a2b3c/config-vm-web-01-1a2b3c.json
template_blob_uri:
  description:
    - The ARM template to create a VM from the restored disks (once the job completed).
  returned: when O(restore_type=restore_disks) and the job is known
  type: str
  sample: https://strestorene.blob.core.windows.net/vm-web-01-1a2b3c/azuredeploy1a2b3c.json
"""

from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._fleet import VMS_ARGSPEC, VMS_CONSTRAINTS, restore_fleet
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._restore_flavours import CrossRegionRestore, restore

GROUPS = ("protected_item", "recovery_point", "restore_target", "wait")


def argument_spec():
    """The module's own options (GROUPS add the shared ones)."""
    return dict(
        VMS_ARGSPEC,
        api_version=dict(type="str", default=CrossRegionRestore.default_api_version),
        secondary_region=dict(type="str"),
        access_details=dict(type="dict", no_log=True),
        restore_type=dict(type="str", required=True, choices=["restore_disks", "new_vm"]),
        select=dict(type="str", default="latest", choices=["latest"]),
    )


def _leaf_values(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaf_values(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaf_values(v)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def hide_only_the_token(module):
    """Keep only the access token of O(access_details) among the module's no_log values.

    Ansible hides every value of a no_log dict wherever it appears in the result, as a substring:
    the recovery point id, the vault's name and resource group, C(VM)... would all be masked.
    Only C(accessTokenString) is secret.
    """
    details = module.params.get("access_details") or {}
    token = details.get("accessTokenString")
    for value in _leaf_values(details):
        if value != token:
            module.show(value)
    module.hide(token)


def run(module):
    hide_only_the_token(module)
    if module.params.get("vms"):
        return run_vms(module)
    flavour = CrossRegionRestore(module.client, module.params, module.subscription_id)
    try:
        return restore(flavour, check_mode=module.check_mode)
    finally:
        module.hide(*flavour.secrets)


def run_vms(module):
    """The list form: every VM of O(vms) restored side by side, each with its own access token (a token is
    for one recovery point), every token fetched kept hidden, whatever became of its VM."""
    if module.params.get("access_details") is not None:
        raise ValidationError("access_details and vms are mutually exclusive: an access token is for one recovery "
                              "point, so with vms each VM gets its own; leave access_details out", option="access_details")
    flavours = []
    try:
        return restore_fleet(module.client, module.params, CrossRegionRestore, module.subscription_id,
                             check_mode=module.check_mode, flavours=flavours)
    finally:
        for flavour in flavours:
            module.hide(*flavour.secrets)


def main():
    AzBackupModule(argument_spec(), groups=GROUPS, supports_check_mode=True, **VMS_CONSTRAINTS).run(run)


if __name__ == "__main__":
    main()
