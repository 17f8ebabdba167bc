#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: crr_access_token
short_description: Get the access token of a cross-region restore from Azure Backup
version_added: 0.1.0
description:
  - Gets the access token a cross-region restore needs for one recovery point replicated to the vault's
    secondary (paired) region, as C(az backup restore restore-disks --use-secondary-region) does.
  - Reads the vault and refuses one without cross-region restore enabled before asking for a token.
  - Finds the secondary region as the paired region of the vault's region from Azure Resource Manager's
    locations API (C(metadata.pairedRegion)), unless O(secondary_region) is given.
  - Reads the secondary region's C(backupAadProperties) (unless O(aad_properties) is given), then asks for
    the token with C(POST .../recoveryPoints/{id}/accessToken).
  - The result's RV(access_details) is what M(azbackup.restore.crr_restore) sends as
    C(crossRegionRestoreAccessDetails).
author:
  - azbackup.restore contributors (@azbackup)
options:
  vault_name:
    description:
      - Name of the Recovery Services vault that protects the virtual machine (in the primary region).
    type: str
    required: true
  vault_resource_group:
    description:
      - Resource group of the vault.
    type: str
    required: true
  vm_id:
    description:
      - Resource id of the protected virtual machine.
      - Mutually exclusive with O(vm_name) and O(vm_resource_group). One of O(vm_id) or O(vm_name) is required.
    type: str
  vm_name:
    description:
      - Name of the protected virtual machine, with O(vm_resource_group).
    type: str
  vm_resource_group:
    description:
      - Resource group of the virtual machine O(vm_name).
    type: str
  container_name:
    description:
      - Azure Backup's protection container of the virtual machine, for items that do not follow the usual
        naming.
      - If not set, C(iaasvmcontainer;iaasvmcontainerv2;{vm_resource_group};{vm_name}).
    type: str
  protected_item_name:
    description:
      - Azure Backup's protected item of the virtual machine, for items that do not follow the usual naming.
      - If not set, C(vm;iaasvmcontainerv2;{vm_resource_group};{vm_name}).
    type: str
  recovery_point_id:
    description:
      - The recovery point to restore. It must be replicated to the secondary region; a point only in the
        primary region (the newest ones usually are) is refused with a message saying so.
      - If not set, the newest replicated recovery point matching the filters (O(select=latest)).
      - Mutually exclusive with O(start_time), O(end_time), O(recovery_point_type) and O(tier).
    type: str
  select:
    description:
      - Without O(recovery_point_id), V(latest) takes the newest replicated recovery point matching the filters.
    type: str
    choices: [latest]
    default: latest
  start_time:
    description:
      - Only recovery points taken at or after this time, ISO 8601 (V(2026-11-01T08:00:00Z); without a zone the
        time is UTC). Sent as the C(startDate) of the C($filter) and applied again to the answer.
    type: str
  end_time:
    description:
      - Only recovery points taken at or before this time, ISO 8601. Sent as the C(endDate) of the C($filter).
      - A window that ends before it starts fails before any request is sent.
    type: str
  recovery_point_type:
    description:
      - Only recovery points of this consistency type, compared without regard to case, for example
        V(AppConsistent), V(CrashConsistent) or V(FileSystemConsistent).
    type: str
  tier:
    description:
      - Only recovery points usable from this tier (status C(Valid) or C(Rehydrated)).
      - V(snapshot) is C(InstantRP), V(vault) C(HardenedRP), V(archive) C(ArchivedRP). Replicated points are
        in the vault tier.
    type: str
    choices: [snapshot, vault, archive]
  secondary_region:
    description:
      - The secondary region, for example V(northeurope).
      - If not set, the paired region of the vault's region (C(metadata.pairedRegion) of the locations API).
    type: str
  aad_properties:
    description:
      - The C(backupAadProperties) resource of the secondary region (or only its C(properties)), as an earlier
        run returned it in RV(aad_properties). Saves one request per token when getting several.
      - If not set, read from C(GET .../locations/{secondary_region}/backupAadProperties).
    type: dict
  api_version:
    description:
      - The api-version of the cross-region restore requests (recovery points of the secondary region,
        C(backupAadProperties) and C(accessToken)).
    type: str
    default: '2023-01-15'
extends_documentation_fragment:
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_azure
  - azbackup.restore.attributes.platform
attributes:
  check_mode:
    support: full
    details:
      - The module only reads, so check mode runs it entirely, and it still asks Azure for a token.
  diff_mode:
    support: none
notes:
  - The result holds a secret, C(accessTokenString) in RV(access_details). Set C(no_log=true) on the task (and on
    the tasks that use the result) so that Ansible does not show it.
  - The module never puts the token in a warning or an error message, and masks it in any failure after
    Azure sent it.
  - C(changed) is always V(false) - Azure issues the token without creating or changing anything a later
    read would show.
  - The token is tied to one recovery point and is valid for about 24 hours; RV(expires_on) says when it
    expires.
seealso:
  - module: azbackup.restore.crr_restore
  - module: azbackup.restore.recovery_point_info
"""

EXAMPLES = r"""
- name: Token for the newest recovery point replicated to the secondary region
  azbackup.restore.crr_access_token:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
  register: crr_token
  no_log: true

- name: Token for one recovery point, secondary region given
  azbackup.restore.crr_access_token:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_id: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-db-01
    recovery_point_id: "26083826328862"
    secondary_region: northeurope
  register: db_token
  no_log: true

- name: Newest application-consistent replicated point of the last three days
  azbackup.restore.crr_access_token:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    recovery_point_type: AppConsistent
    start_time: "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(now(utc=true).timestamp() - 3 * 86400) }}"
  register: crr_token
  no_log: true

- name: Restore in the secondary region with that token
  azbackup.restore.crr_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    recovery_point_id: "{{ crr_token.recovery_point.name }}"
    access_details: "{{ crr_token.access_details }}"
    restore_type: restore_disks
    staging_storage_account: strestorene
    staging_storage_account_resource_group: rg-dr
    target_resource_group: rg-dr
  no_log: true
"""

RETURN = r"""
access_details:
  description:
    - The C(properties) of Azure's C(CrrAccessToken) answer, as the C(crossRegionRestoreAccessDetails) of a
      cross-region restore takes them.
    - Holds the secret C(accessTokenString); handle it with C(no_log=true).
  returned: success
  type: dict
  sample:
    objectType: CrrAccessToken
    accessTokenString: "********"
    recoveryPointId: "26083826328862"
    recoveryPointTime: "11/3/2026 1:00:00 AM"
    containerName: iaasvmcontainerv2;rg-prod;vm-web-01
    backupManagementType: AzureIaasVM
    datasourceType: VM
    datasourceName: vm-web-01
expires_on:
  description:
    - When the token expires, ISO 8601 UTC.
    - The C(exp) claim of the token when it is a JWT (read without verifying its signature), else 23 hours
      from now (Azure's tokens last about 24 hours; one hour is kept as a margin).
  returned: success
  type: str
  sample: "2026-11-05T09:12:44Z"
secondary_region:
  description: The secondary region the token is for.
  returned: success
  type: str
  sample: northeurope
recovery_point:
  description:
    - The replicated recovery point the token is for, as M(azbackup.restore.recovery_point_info) returns
      recovery points.
  returned: success
  type: dict
  sample: {"name": "26083826328862", "time": "2026-11-03T01:00:00Z", "type": "AppConsistent",
           "usable_tiers": ["HardenedRP"], "disk_luns": [0, 1]}
aad_properties:
  description:
    - The secondary region's C(backupAadProperties) resource. The token request sends it without its read-only
      C(id), C(name) and C(type).
  returned: success
  type: dict
  sample: {"properties": {"tenantId": "33e01921-4d64-4f8c-a055-5bdaffd5e33d",
                          "audience": "https://RecoveryServices/IaasCoord/aadmgmt/ne",
                          "servicePrincipalObjectId": "5ecd8123-cf74-4037-83e9-9246b227b351"}}
protected_item:
  description: The protected item of the virtual machine.
  returned: success
  type: dict
  sample: {"vault_id": "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod",
           "vm_id": "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01",
           "container_name": "iaasvmcontainer;iaasvmcontainerv2;rg-prod;vm-web-01",
           "protected_item_name": "vm;iaasvmcontainerv2;rg-prod;vm-web-01"}
"""

import base64
import datetime
import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azbackup.restore.plugins.module_utils import _backup as bk
from ansible_collections.azbackup.restore.plugins.module_utils._common import (
    azure_argument_spec,
    check_dependencies,
    fail_from_error,
    get_client,
    require_subscription,
    secret_values,
)
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    ValidationError,
    add_secret,
)

FILTERS = ("start_time", "end_time", "recovery_point_type", "tier")
TOKEN_LIFETIME = datetime.timedelta(hours=24)
TOKEN_MARGIN = datetime.timedelta(hours=1)
READ_ONLY_ENVELOPE = ("id", "name", "type")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def argument_spec():
    spec = azure_argument_spec()
    spec.update(
        vault_name=dict(type="str", required=True),
        vault_resource_group=dict(type="str", required=True),
        vm_id=dict(type="str"),
        vm_name=dict(type="str"),
        vm_resource_group=dict(type="str"),
        container_name=dict(type="str"),
        protected_item_name=dict(type="str"),
        recovery_point_id=dict(type="str"),
        select=dict(type="str", choices=["latest"], default="latest"),
        start_time=dict(type="str"),
        end_time=dict(type="str"),
        recovery_point_type=dict(type="str"),
        tier=dict(type="str", choices=["snapshot", "vault", "archive"]),
        secondary_region=dict(type="str"),
        aad_properties=dict(type="dict"),
        api_version=dict(type="str", default=bk.CRR_API_VERSION),
    )
    return spec


# --------------------------------------------------------------------------------------------
# Plain helpers


def jwt_claims(token):
    """The claims of a JWT, decoded without verifying anything; None when ``token`` is no JWT."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))
    except (ValueError, TypeError, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


def token_expiry(token, now):
    """When the token expires: its ``exp`` claim, else ``now`` + 24 h - 1 h margin."""
    exp = (jwt_claims(token) or {}).get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        return datetime.datetime.fromtimestamp(exp, datetime.timezone.utc)
    return now + TOKEN_LIFETIME - TOKEN_MARGIN


def aad_body(value):
    """The AAD properties resource from the resource itself or its bare properties."""
    if not isinstance(value, dict) or not value:
        raise ValidationError("aad_properties must be the backupAadProperties resource or its properties",
                              option="aad_properties")
    return value if isinstance(value.get("properties"), dict) else dict(properties=value)


def token_request_body(aad):
    """The access token request body: the AAD properties resource without its read-only envelope."""
    return dict((k, v) for k, v in aad.items() if k not in READ_ONLY_ENVELOPE)


def crr_state(client, vault, vault_id):
    """(enabled, why) for cross-region restore on a vault: its ``redundancySettings.crossRegionRestore``,
    else the ``crossRegionRestoreFlag`` of its backup storage configuration."""
    props = (vault or {}).get("properties") or {}
    redundancy = props.get("redundancySettings") or {}
    value = redundancy.get("crossRegionRestore")
    if value is not None:
        why = "redundancySettings.crossRegionRestore is %s" % value
        if redundancy.get("standardTierStorageRedundancy"):
            why += ", storage redundancy %s" % redundancy["standardTierStorageRedundancy"]
        return str(value).lower() == "enabled", why
    try:
        config = client.get(vault_id + "/backupstorageconfig/vaultstorageconfig", api_version=bk.API_VERSION).body
    except AzureApiError as e:
        raise bk.api_failure(e, "Failed to read the backup storage configuration of vault %s" % vault_id)
    cfg = (config or {}).get("properties") or {}
    flag = cfg.get("crossRegionRestoreFlag")
    return bool(flag), "crossRegionRestoreFlag is %s, storage type %s" % (flag, cfg.get("storageType"))


def describe_filters(params):
    used = ["%s=%s" % (k, params[k]) for k in FILTERS if params.get(k)]
    return " matching %s" % ", ".join(used) if used else ""


# --------------------------------------------------------------------------------------------
# The module


def run(module):
    params = module.params
    start, end = bk.check_time_window(params["start_time"], params["end_time"])
    if params.get("aad_properties") is not None:
        aad = aad_body(params["aad_properties"])
    else:
        aad = None
    client = get_client(params)
    subscription_id = require_subscription(client)
    item = bk.protected_item_ref(params, subscription_id)

    vault = bk.read_vault(client, subscription_id, item.vault_resource_group, item.vault_name)
    enabled, why = crr_state(client, vault, item.vault_id)
    if not enabled:
        raise ValidationError(
            "Vault %s (resource group %s) does not have cross-region restore enabled (%s): it has no recovery points "
            "in a secondary region. Enable cross-region restore on a geo-redundant vault, or restore in the primary "
            "region with azbackup.restore.vm_restore" % (item.vault_name, item.vault_resource_group, why),
            option="vault_name")
    secondary = bk.secondary_region_of(client, subscription_id, vault, params.get("secondary_region"))

    points = bk.find_recovery_points(
        client, item, recovery_point_id=params.get("recovery_point_id"), start=start, end=end,
        recovery_point_type=params.get("recovery_point_type"), tier=params.get("tier"), latest=True,
        secondary=True, api_version=params["api_version"])
    if not points:
        raise ValidationError("No recovery point of %s is replicated to the secondary region %s%s" % (
            bk.describe_item(item), secondary, describe_filters(params)), option="recovery_point_id")
    point = points[0]

    if aad is None:
        try:
            aad = bk.get_aad_properties(client, subscription_id, secondary, api_version=params["api_version"])
        except AzureApiError as e:
            raise bk.api_failure(e, "Failed to read the backupAadProperties of the secondary region %s" % secondary)
    try:
        token = bk.get_crr_access_token(client, item, point["name"], token_request_body(aad),
                                        api_version=params["api_version"])
    except AzureApiError as e:
        raise bk.api_failure(e, "Failed to get the cross-region restore access token of recovery point %s of %s" % (
            point["name"], bk.describe_item(item)))
    details = dict((token or {}).get("properties") or {})
    secret = details.get("accessTokenString")
    if secret:
        # From here on every message of this run masks the token (Ansible's no_log_values and the
        # collection's own redaction of error texts).
        module.no_log_values.add(secret)
        add_secret(secret)
    else:
        raise AzBackupError("Azure answered the access token request for recovery point %s of %s without an "
                            "accessTokenString" % (point["name"], bk.describe_item(item)))
    return secret, dict(
        changed=False,
        access_details=details,
        expires_on=bk.format_time(token_expiry(secret, _now())),
        secondary_region=secondary,
        recovery_point=point,
        aad_properties=aad,
        protected_item=item.as_dict(),
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[("vm_id", "vm_name"), ("vm_id", "vm_resource_group")]
        + [("recovery_point_id", f) for f in FILTERS],
        required_one_of=[("vm_id", "vm_name")],
        required_together=[("vm_name", "vm_resource_group")],
    )
    check_dependencies(module)
    module.no_log_values.update(secret_values(module.params))
    try:
        secret, result = run(module)
    except AzBackupError as e:
        fail_from_error(module, e)
        return
    # Ansible removes every no_log value from a module's whole result; the token has to reach the
    # caller inside access_details, so it leaves no_log_values only for this final, successful exit.
    # Nothing in the result but access_details holds it, and the task's no_log hides it from output.
    module.no_log_values.discard(secret)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
