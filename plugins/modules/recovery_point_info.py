#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: recovery_point_info
short_description: List the recovery points of a virtual machine protected by Azure Backup
version_added: 0.1.0
description:
  - Lists the recovery points of an Azure virtual machine protected in a Recovery Services vault, newest
    first, or reads one recovery point by its id.
  - Filters by time window, consistency type and storage tier, and picks the newest matching point with
    O(select=latest).
  - With O(region=secondary) lists the recovery points replicated to the vault's paired region, the
    ones a cross-region restore can use.
author:
  - azbackup.restore contributors (@azbackup)
options:
  select:
    description:
      - V(all) returns every matching recovery point, newest first.
      - V(latest) returns only the newest matching recovery point (a list of one, or empty).
    type: str
    choices: [all, latest]
    default: all
  region:
    description:
      - V(primary) lists the recovery points in the vault's own region.
      - V(secondary) lists the recovery points replicated to the vault's paired region, read with the
        cross-region restore api-version on the same URLs. The newest points are often not replicated yet.
      - The vault must have cross-region restore enabled for V(secondary).
    type: str
    choices: [primary, secondary]
    default: primary
  api_version:
    description:
      - The api-version of the recovery point requests.
      - If not set, V(2024-04-01) for O(region=primary) and V(2023-01-15) for O(region=secondary).
    type: str
extends_documentation_fragment:
  - azbackup.restore.protected_item
  - azbackup.restore.recovery_point
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_azure
  - azbackup.restore.attributes.platform
  - azbackup.restore.attributes.info_module
notes:
  - The module only reads; it always returns C(changed=false).
  - The key material of encrypted virtual machines in C(properties.keyAndSecret) (C(secretData),
    C(keyBackupData)) is masked in the result.
seealso:
  - module: azbackup.restore.vm_restore
  - module: azbackup.restore.crr_access_token
"""

EXAMPLES = r"""
- name: List the recovery points of a VM
  azbackup.restore.recovery_point_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
  register: points

- name: The newest application-consistent point still in the snapshot tier
  azbackup.restore.recovery_point_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_id: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-db-01
    recovery_point_type: AppConsistent
    tier: snapshot
    select: latest
  register: latest

- name: Points taken on the first of November
  azbackup.restore.recovery_point_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    start_time: "2026-11-01T00:00:00Z"
    end_time: "2026-11-01T23:59:59Z"

- name: Points that only live in the archive tier
  azbackup.restore.recovery_point_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    tier: archive

- name: The newest point replicated to the paired region (for a cross-region restore)
  azbackup.restore.recovery_point_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    region: secondary
    select: latest
  register: replicated

- name: One point by id
  azbackup.restore.recovery_point_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    recovery_point_id: "{{ latest.recovery_points[0].name }}"
"""

RETURN = r"""
recovery_points:
  description:
    - The recovery points, newest first (V([]) when none matches).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Resource id of the recovery point.
      returned: always
      type: str
      sample: "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-vault/providers/\
        Microsoft.RecoveryServices/vaults/rsv-prod/backupFabrics/Azure/protectionContainers/\
        IaasVMContainer;iaasvmcontainerv2;rg-prod;vm-web-01/protectedItems/VM;iaasvmcontainerv2;rg-prod;vm-web-01/\
        recoveryPoints/26083826328862"
    name:
      description: The recovery point id (what O(recovery_point_id) and the restore modules take).
      returned: always
      type: str
      sample: "26083826328862"
    time:
      description: When the recovery point was taken, ISO 8601 UTC.
      returned: always
      type: str
      sample: "2026-11-03T01:00:00Z"
    type:
      description: The consistency type.
      returned: always
      type: str
      sample: AppConsistent
    tiers:
      description: The tiers holding the point, with their status.
      returned: always
      type: list
      elements: dict
      sample: [{"type": "InstantRP", "status": "Valid"}, {"type": "HardenedRP", "status": "Valid"}]
    usable_tiers:
      description: The tiers a restore can use right away (status C(Valid) or C(Rehydrated)).
      returned: always
      type: list
      elements: str
      sample: [InstantRP, HardenedRP]
    disk_luns:
      description: LUNs of the data disks in the point (the OS disk has none).
      returned: always
      type: list
      elements: int
      sample: [0, 1]
    excluded_disk_luns:
      description: LUNs of the data disks excluded from the backup.
      returned: always
      type: list
      elements: int
      sample: []
    zones:
      description: The availability zone of the virtual machine when it was backed up.
      returned: always
      type: list
      elements: str
      sample: ["1"]
    os_type:
      description: Operating system of the virtual machine.
      returned: always
      type: str
      sample: Linux
    vm_size:
      description: Size of the virtual machine when it was backed up.
      returned: always
      type: str
      sample: Standard_D2s_v3
    is_managed:
      description: Whether the virtual machine had managed disks.
      returned: always
      type: bool
      sample: true
    is_encrypted:
      description: Whether the virtual machine was encrypted (Azure Disk Encryption).
      returned: always
      type: bool
      sample: false
    source_storage_type:
      description: Storage type of the source virtual machine.
      returned: always
      type: str
      sample: NormalStorage
    properties:
      description: The recovery point's C(properties) as Azure returned them.
      returned: always
      type: dict
      sample: {"objectType": "IaasVMRecoveryPoint", "recoveryPointType": "AppConsistent"}
protected_item:
  description: The protected item the points belong to.
  returned: success
  type: dict
  contains:
    vault_id:
      description: Resource id of the vault.
      returned: always
      type: str
      sample: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod
    vm_id:
      description: Resource id of the virtual machine.
      returned: always
      type: str
      sample: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01
    container_name:
      description: Azure Backup's protection container.
      returned: always
      type: str
      sample: iaasvmcontainer;iaasvmcontainerv2;rg-prod;vm-web-01
    protected_item_name:
      description: Azure Backup's protected item.
      returned: always
      type: str
      sample: vm;iaasvmcontainerv2;rg-prod;vm-web-01
region:
  description: The region the points were read in, V(primary) or V(secondary).
  returned: success
  type: str
  sample: primary
"""

from ansible_collections.azbackup.restore.plugins.module_utils._errors import REDACTED
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import protected_item_ref
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import RecoveryPoints
from ansible_collections.azbackup.restore.plugins.module_utils._time import check_time_window

GROUPS = ("protected_item", "recovery_point")
_KEY_MATERIAL = ("secretData", "keyBackupData")


def argument_spec():
    """The module's own options (GROUPS add the shared ones)."""
    return dict(
        select=dict(type="str", choices=["all", "latest"], default="all"),
        region=dict(type="str", choices=["primary", "secondary"], default="primary"),
        api_version=dict(type="str"),
    )


def mask_key_material(value):
    """A copy of ``value`` with the wrapped disk-encryption keys of encrypted VMs masked."""
    if isinstance(value, dict):
        return dict((k, REDACTED if k in _KEY_MATERIAL and v else mask_key_material(v)) for k, v in value.items())
    if isinstance(value, list):
        return [mask_key_material(v) for v in value]
    return value


def run(module):
    """The result to exit with."""
    params = module.params
    check_time_window(params["start_time"], params["end_time"])  # before any request
    item = protected_item_ref(params, module.subscription_id)
    reader = RecoveryPoints(module.client, item, secondary=params["region"] == "secondary",
                            api_version=params.get("api_version"))
    points = reader.find(params, latest=params.get("select") == "latest")
    return dict(changed=False, recovery_points=[mask_key_material(p) for p in points], protected_item=item.as_dict(),
                region=params["region"])


def main():
    AzBackupModule(argument_spec(), groups=GROUPS, supports_check_mode=True).run(run)


if __name__ == "__main__":
    main()
