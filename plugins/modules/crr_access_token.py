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
  select:
    description:
      - Without O(recovery_point_id), V(latest) takes the newest replicated recovery point matching the filters.
    type: str
    choices: [latest]
    default: latest
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
  - azbackup.restore.protected_item
  - azbackup.restore.recovery_point
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

import datetime

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils import _crr
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import protected_item_ref
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import RecoveryPoints, describe_filters
from ansible_collections.azbackup.restore.plugins.module_utils._time import check_time_window, format_time
from ansible_collections.azbackup.restore.plugins.module_utils._vault import read_vault, require_crr

GROUPS = ("protected_item", "recovery_point")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def argument_spec():
    """The module's own options (GROUPS add the shared ones)."""
    return dict(
        select=dict(type="str", choices=["latest"], default="latest"),
        secondary_region=dict(type="str"),
        aad_properties=dict(type="dict"),
        api_version=dict(type="str", default=api.CRR),
    )


def run(module):
    """The result to exit with; the token leaves the no_log values only for the final, successful exit."""
    params = module.params
    check_time_window(params["start_time"], params["end_time"])  # before any request
    aad = _crr.aad_body(params["aad_properties"]) if params.get("aad_properties") is not None else None
    client = module.client
    item = protected_item_ref(params, module.subscription_id)
    vault = read_vault(client, item)
    require_crr(client, item, vault)
    region = _crr.secondary_region_of(client, module.subscription_id, vault, params.get("secondary_region"))
    points = RecoveryPoints(client, item, secondary=True, region=region, api_version=params["api_version"])
    found = points.find(params, latest=True)
    if not found:
        raise ValidationError("No recovery point of %s is replicated to the secondary region %s%s" % (
            item.describe(), region, describe_filters(params)), option="recovery_point_id")
    point = found[0]
    if aad is None:
        aad = _crr.get_aad_properties(client, module.subscription_id, region, api_version=params["api_version"])
    details = _crr.request_access_token(client, item, point["name"], aad, api_version=params["api_version"])
    secret = details["accessTokenString"]
    # Ansible removes every no_log value from a module's whole result; the token has to reach the
    # caller inside access_details. Nothing in the result but access_details holds it, and the
    # task's no_log hides it from output; any failure of this run still masks it.
    module.show(secret)
    return dict(changed=False, access_details=details, expires_on=format_time(_crr.token_expiry(secret, _now())),
                secondary_region=region, recovery_point=point, aad_properties=aad, protected_item=item.as_dict())


def main():
    AzBackupModule(argument_spec(), groups=GROUPS, supports_check_mode=True).run(run)


if __name__ == "__main__":
    main()
