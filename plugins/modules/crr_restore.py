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
author:
  - azbackup.restore contributors (@azbackup)
options:
  vault_name:
    description:
      - The Recovery Services vault that protects the VM.
    type: str
    required: true
  vault_resource_group:
    description:
      - The resource group of O(vault_name).
    type: str
    required: true
  vm_id:
    description:
      - The resource id of the protected (source) VM.
      - Mutually exclusive with O(vm_name) and O(vm_resource_group).
    type: str
  vm_name:
    description:
      - The name of the protected (source) VM. Needs O(vm_resource_group).
    type: str
  vm_resource_group:
    description:
      - The resource group of O(vm_name).
    type: str
  container_name:
    description:
      - The protection container of the VM in the vault, for items whose names do not follow Azure's
        usual C(iaasvmcontainer;iaasvmcontainerv2;{resource group};{vm}).
    type: str
  protected_item_name:
    description:
      - The protected item of the VM in the vault, for items whose names do not follow Azure's usual
        C(vm;iaasvmcontainerv2;{resource group};{vm}).
    type: str
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
    type: dict
  restore_type:
    description:
      - V(restore_disks) restores the disks only (C(RestoreDisks)).
      - V(new_vm) creates a new VM in the secondary region (C(AlternateLocation)) and needs
        O(target_vm_name), O(target_resource_group), O(target_virtual_network) and O(target_subnet).
    type: str
    required: true
    choices: [restore_disks, new_vm]
  recovery_point_id:
    description:
      - The recovery point to restore. It must be replicated to the secondary region (the newest point
        usually is not yet).
      - If not set, the recovery point O(access_details) was issued for, when given and no filter
        (O(recovery_point_type), O(tier), O(start_time), O(end_time)) is set; else the newest recovery point
        of the secondary region that matches the filters.
    type: str
  select:
    description:
      - Which recovery point to restore when O(recovery_point_id) is not set. V(latest) is the newest one
        matching the filters.
    type: str
    default: latest
    choices: [latest]
  recovery_point_type:
    description:
      - Only consider recovery points of this type (for example V(AppConsistent), V(CrashConsistent)),
        compared without regard to case.
    type: str
  tier:
    description:
      - Only consider recovery points available in this tier. V(snapshot) is the instant (snapshot) tier,
        V(vault) the vault-standard tier. V(archive) finds nothing that can be restored across regions.
    type: str
    choices: [snapshot, vault, archive]
  start_time:
    description:
      - Only consider recovery points taken at or after this time (ISO 8601, UTC when no zone is given).
    type: str
  end_time:
    description:
      - Only consider recovery points taken at or before this time (ISO 8601, UTC when no zone is given).
    type: str
  staging_storage_account:
    description:
      - The storage account the restore stages its data in, as a resource id, or a name with
        O(staging_storage_account_resource_group).
      - It must be in the secondary region and must not be zone-redundant (C(*_ZRS), C(*_GZRS)).
    type: str
    required: true
  staging_storage_account_resource_group:
    description:
      - The resource group of O(staging_storage_account) when it is a name.
    type: str
  target_resource_group:
    description:
      - The resource group (name or id) for the restored managed disks or the new VM.
      - Required for V(new_vm), and for V(restore_disks) of a VM with managed disks unless
        O(restore_as_unmanaged_disks=true).
    type: str
  target_vm_name:
    description:
      - The name of the VM to create with V(new_vm). No VM of that name may exist in O(target_resource_group).
    type: str
  target_virtual_network:
    description:
      - The virtual network (name or id) of the new VM (V(new_vm)), in the secondary region.
    type: str
  target_virtual_network_resource_group:
    description:
      - The resource group of O(target_virtual_network) when it is a name.
      - If not set, O(target_resource_group).
    type: str
  target_subnet:
    description:
      - The subnet (name in O(target_virtual_network), or id) of the new VM (V(new_vm)).
    type: str
  disk_luns:
    description:
      - Restore only the data disks with these LUNs (and the OS disk). Every LUN must be in the recovery
        point.
      - Mutually exclusive with O(restore_os_disk_only).
    type: list
    elements: int
  restore_os_disk_only:
    description:
      - Restore the OS disk only.
    type: bool
    default: false
  target_zone:
    description:
      - The availability zone (V(1), V(2) or V(3)) of the restored disks or VM.
    type: str
  disk_encryption_set_id:
    description:
      - The resource id of a disk encryption set (in the secondary region) to encrypt the restored managed
        disks with.
    type: str
  restore_as_unmanaged_disks:
    description:
      - With V(restore_disks) of a VM with managed disks, restore unmanaged disks into the staging storage
        account instead of managed disks. O(target_resource_group) must not be set then.
    type: bool
    default: false
  identity:
    description:
      - The managed identity the restore uses to reach the staging storage account.
    type: dict
    suboptions:
      type:
        description:
          - V(system_assigned) is the vault's system-assigned identity, V(user_assigned) the identity O(identity.id).
        type: str
        default: system_assigned
        choices: [system_assigned, user_assigned]
      id:
        description:
          - The resource id of the user-assigned identity.
        type: str
  extra_properties:
    description:
      - Further properties of Azure's C(IaasVMRestoreRequest) to send, with their Azure (camelCase) names.
      - Names that are not properties of C(IaasVMRestoreRequest) in the api-version 2023-01-15 (cross-region)
        swagger, and properties the module's options set, are refused.
    type: dict
  force:
    description:
      - Start a new restore even when an earlier cross-region restore of the same recovery point to the same
        targets is running or completed.
    type: bool
    default: false
extends_documentation_fragment:
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
"""

RETURN = r"""
changed:
  description:
    - Whether a restore was started (or, in check mode, would be). False when the task attached to an
      earlier cross-region restore of the same recovery point to the same targets.
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

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azbackup.restore.plugins.module_utils import _backup as bk
from ansible_collections.azbackup.restore.plugins.module_utils import _restore as rs
from ansible_collections.azbackup.restore.plugins.module_utils._common import (
    azure_argument_spec,
    check_dependencies,
    fail_from_error,
    get_client,
    require_subscription,
    secret_values,
    wait_argument_spec,
)
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    ValidationError,
    add_secret,
)


def argument_spec():
    spec = azure_argument_spec()
    spec.update(wait_argument_spec())
    spec.update(
        vault_name=dict(type="str", required=True),
        vault_resource_group=dict(type="str", required=True),
        vm_id=dict(type="str"),
        vm_name=dict(type="str"),
        vm_resource_group=dict(type="str"),
        container_name=dict(type="str"),
        protected_item_name=dict(type="str"),
        api_version=dict(type="str", default=bk.CRR_API_VERSION),
        secondary_region=dict(type="str"),
        access_details=dict(type="dict", no_log=True),
        restore_type=dict(type="str", required=True, choices=["restore_disks", "new_vm"]),
        recovery_point_id=dict(type="str"),
        select=dict(type="str", default="latest", choices=["latest"]),
        recovery_point_type=dict(type="str"),
        tier=dict(type="str", choices=["snapshot", "vault", "archive"]),
        start_time=dict(type="str"),
        end_time=dict(type="str"),
        staging_storage_account=dict(type="str", required=True),
        staging_storage_account_resource_group=dict(type="str"),
        target_resource_group=dict(type="str"),
        target_vm_name=dict(type="str"),
        target_virtual_network=dict(type="str"),
        target_virtual_network_resource_group=dict(type="str"),
        target_subnet=dict(type="str"),
        disk_luns=dict(type="list", elements="int"),
        restore_os_disk_only=dict(type="bool", default=False),
        target_zone=dict(type="str"),
        disk_encryption_set_id=dict(type="str"),
        restore_as_unmanaged_disks=dict(type="bool", default=False),
        identity=dict(type="dict", options=dict(
            type=dict(type="str", default="system_assigned", choices=["system_assigned", "user_assigned"]),
            id=dict(type="str"),
        )),
        extra_properties=dict(type="dict"),
        force=dict(type="bool", default=False),
    )
    return spec


MUTUALLY_EXCLUSIVE = [
    ("vm_id", "vm_name"), ("vm_id", "vm_resource_group"),
    ("recovery_point_id", "start_time"), ("recovery_point_id", "end_time"),
    ("recovery_point_id", "recovery_point_type"), ("recovery_point_id", "tier"),
]


TOKEN_REFUSED_CODES = ("UserErrorCrossRegionRestoreAccessTokenExpired", "UserErrorInvalidCrossRegionRestoreAccessToken")


def access_details_for(client, item, subscription_id, region, point, given, api_version, secrets, fresh=False):
    """(access details, source): the given ones when usable (and not ``fresh``), else a new token from Azure."""
    if given and not fresh and rs.access_details_problem(given, point["name"]) is None:
        return dict(given), "given"
    try:
        aad = bk.get_aad_properties(client, subscription_id, region, api_version=api_version)
        resource = bk.get_crr_access_token(client, item, point["name"], aad, api_version=api_version)
    except AzureApiError as e:
        raise e.with_context("Failed to get a cross-region restore access token for recovery point %s of %s"
                             % (point["name"], item.item))
    details = dict((resource or {}).get("properties") or {})
    token = details.get("accessTokenString")
    if not token:
        raise AzBackupError("Azure's access token answer for recovery point %s holds no token" % point["name"])
    secrets.add(token)
    add_secret(token)
    return details, ("refreshed" if given else "fetched")


def restore(client, params, check_mode=False, sleep=time.sleep, clock=time.monotonic, secrets=None):
    """Run the cross-region restore; returns the module result (``warnings`` included as a list).

    ``secrets`` (a set) receives the access token(s) in play, for the module's no_log_values.
    """
    secrets = set() if secrets is None else secrets
    subscription_id = require_subscription(client)
    item = bk.protected_item_ref(params, subscription_id)
    restore_type = params["restore_type"]
    rs.check_options(params, restore_type, crr=True)
    api_version = params.get("api_version") or bk.CRR_API_VERSION
    given = params.get("access_details") or {}
    if given.get("accessTokenString"):
        secrets.add(given["accessTokenString"])
        add_secret(given["accessTokenString"])

    vault = rs.read_vault(client, item)
    if rs.crr_enabled(vault) is False:
        raise ValidationError("vault %s does not have cross-region restore enabled (it needs geo-redundant storage "
                              "and crossRegionRestore: Enabled), so it has no copy in a secondary region"
                              % item.vault_name, option="vault_name")
    region = params.get("secondary_region") or bk.paired_region(client, subscription_id, vault.get("location"))
    if not params.get("recovery_point_id") and given.get("recoveryPointId") and not any(
            params.get(k) for k in ("start_time", "end_time", "recovery_point_type", "tier")):
        # The token is tied to one recovery point: without other instructions, restore that one.
        params = dict(params, recovery_point_id=str(given["recoveryPointId"]))
    raw_point = rs.resolve_recovery_point(client, item, params, api_version=api_version, secondary=True)
    point = bk.normalize_recovery_point(raw_point)
    targets = rs.resolve_targets(params, subscription_id, region)
    request = rs.build_request(params, restore_type, point, item, targets, crr=True)
    call = rs.RestoreCall(
        url=bk.crr_location_path(subscription_id, region) + "/backupCrossRegionRestore",
        body=rs.crr_body({}, request), api_version=api_version,
        criteria=rs.match_criteria(item, restore_type, point, targets), since=point.get("time"),
        description="restore %s (%s) from recovery point %s in %s" % (item.item, restore_type, point["name"],
                                                                      region))
    token = dict(source=None)

    def preflight():
        rs.check_point(point, params, restore_type, crr=True)
        rs.check_resources(rs.ResourceCache(client), targets, restore_type, item.vm_id, secondary=True)
        details, token["source"] = access_details_for(client, item, subscription_id, region, point, given,
                                                      api_version, secrets)
        call.body = rs.crr_body(details, request)

    def fix_refusal(err):
        # The token expired (or was refused) between the check and the request: get a new one, once.
        if err.error_code not in TOKEN_REFUSED_CODES:
            return False
        details, dummy = access_details_for(client, item, subscription_id, region, point, given, api_version,
                                            secrets, fresh=True)
        token["source"] = "refreshed" if given else "fetched"
        call.body = rs.crr_body(details, request)
        return True

    jobs = rs.CrrJobs(client, subscription_id, region, item.vault_id, api_version)
    runner = rs.RestoreRunner(client, jobs, sleep=sleep, clock=clock, fix_refusal=fix_refusal)
    result = dict(recovery_point=point, secondary_region=region)
    try:
        outcome = runner.run(call, force=params.get("force"), wait=params.get("wait") or "operation",
                             wait_timeout=params.get("wait_timeout"), poll_interval=params.get("poll_interval"),
                             check_mode=check_mode, preflight=preflight)
    except AzBackupError as e:
        result.update(request=rs.masked_body(call.body), access_token_source=token["source"])
        e.partial_result = result
        raise
    result.update(changed=outcome.changed, attached=outcome.attached, job_id=outcome.job_id, job=outcome.job,
                  operation_url=outcome.operation_url, warnings=list(outcome.warnings),
                  request=rs.masked_body(call.body), access_token_source=token["source"])
    if restore_type == "restore_disks" and outcome.job:
        result.update(rs.restore_outputs(outcome.job))
    return result


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
            module.no_log_values.discard(value)
    if token:
        module.no_log_values.add(str(token))
        add_secret(str(token))


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=MUTUALLY_EXCLUSIVE,
                           required_together=[("vm_name", "vm_resource_group")],
                           required_one_of=[("vm_id", "vm_name")])
    check_dependencies(module)
    hide_only_the_token(module)
    module.no_log_values.update(secret_values(module.params))
    secrets = set()
    try:
        client = get_client(module.params)
        result = restore(client, module.params, check_mode=module.check_mode, secrets=secrets)
    except AzBackupError as e:
        module.no_log_values.update(secrets)
        fail_from_error(module, e, **rs.failure_extras(e))
    module.no_log_values.update(secrets)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
