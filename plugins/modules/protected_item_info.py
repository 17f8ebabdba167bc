#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: protected_item_info
short_description: List the virtual machines a Recovery Services vault protects
version_added: 0.2.0
description:
  - Lists the Azure virtual machines protected by Azure Backup in a Recovery Services vault, with their
    protection state, health, last backup, newest recovery point and backup policy.
  - Filters by the virtual machine's resource group, a name pattern, protection state, health and policy
    name, so that a playbook can act on every VM of a vault (or a subset) without listing them by hand.
  - Each item carries the O(azbackup.restore.recovery_point_info#module:container_name) and
    O(azbackup.restore.recovery_point_info#module:protected_item_name) the other modules take.
  - With O(region=secondary) lists the items replicated to the vault's paired region, the ones a
    cross-region restore can use.
author:
  - azbackup.restore contributors (@azbackup)
options:
  vault_name:
    description:
      - Name of the Recovery Services vault.
    type: str
    required: true
  vault_resource_group:
    description:
      - Resource group of the vault.
    type: str
    required: true
  vm_resource_group:
    description:
      - Only the virtual machines of this resource group (case-insensitive).
    type: str
  vm_name:
    description:
      - Only the virtual machines whose name matches this shell-style pattern (C(*), C(?), C([seq]),
        case-insensitive), for example V(vm-web-*). A plain name matches that virtual machine only.
    type: str
  protection_state:
    description:
      - Only the items in one of these protection states.
      - The secondary region reports V(BackupsSuspended) as V(ProtectionStopped).
    type: list
    elements: str
    choices: [Protected, IRPending, ProtectionError, ProtectionStopped, ProtectionPaused, BackupsSuspended, Invalid]
  health_status:
    description:
      - Only the items with one of these health statuses.
    type: list
    elements: str
    choices: [Passed, ActionRequired, ActionSuggested, Invalid]
  policy_name:
    description:
      - Only the items backed up by one of these backup policies (case-insensitive).
    type: list
    elements: str
  region:
    description:
      - V(primary) lists the items in the vault's own region.
      - V(secondary) lists the items replicated to the vault's paired region, read with the cross-region
        restore api-version on the same URL. An item whose first recovery point is not replicated yet is
        not listed there, and RV(protected_items[].last_recovery_point) is the newest replicated point.
      - The vault must have cross-region restore enabled for V(secondary).
    type: str
    choices: [primary, secondary]
    default: primary
  api_version:
    description:
      - The api-version of the list request.
      - If not set, V(2024-04-01) for O(region=primary) and V(2023-01-15) for O(region=secondary).
    type: str
extends_documentation_fragment:
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_azure
  - azbackup.restore.attributes.platform
  - azbackup.restore.attributes.info_module
notes:
  - The module only reads; it always returns C(changed=false).
  - Azure's C($filter) narrows the list to Azure VM backups (C(backupManagementType eq 'AzureIaasVM' and
    itemType eq 'VM')); the other filters are applied by the module, and these two again.
  - The caller needs C(Microsoft.RecoveryServices/Vaults/backupProtectedItems/read) on the vault (and
    C(Microsoft.RecoveryServices/Vaults/read) for O(region=secondary)).
seealso:
  - module: azbackup.restore.recovery_point_info
  - module: azbackup.restore.vm_restore
  - module: azbackup.restore.crr_restore
"""

EXAMPLES = r"""
- name: Every VM the vault protects
  azbackup.restore.protected_item_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
  register: protected

- name: The web servers of rg-prod
  azbackup.restore.protected_item_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_resource_group: rg-prod
    vm_name: "vm-web-*"
  register: web

- name: The items that need attention
  azbackup.restore.protected_item_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    health_status: [ActionRequired, ActionSuggested]
    protection_state: [ProtectionError, ProtectionStopped, BackupsSuspended]

- name: The VMs of one backup policy that the paired region can restore
  azbackup.restore.protected_item_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    policy_name: DefaultPolicy
    region: secondary
  register: replicated

- name: Restore the disks of every VM of the vault (a restore drill)
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_id: "{{ item.vm_id }}"
    container_name: "{{ item.container_name }}"
    protected_item_name: "{{ item.protected_item_name }}"
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    wait: operation
  loop: "{{ protected.protected_items }}"
  loop_control:
    label: "{{ item.vm_name }}"
"""

RETURN = r"""
protected_items:
  description:
    - The protected virtual machines, by VM resource group and name (V([]) when none matches).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Resource id of the protected item.
      returned: always
      type: str
      sample: "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-vault/providers/\
        Microsoft.RecoveryServices/vaults/rsv-prod/backupFabrics/Azure/protectionContainers/\
        IaasVMContainer;iaasvmcontainerv2;rg-prod;vm-web-01/protectedItems/VM;iaasvmcontainerv2;rg-prod;vm-web-01"
    name:
      description: Name of the protected item resource.
      returned: always
      type: str
      sample: VM;iaasvmcontainerv2;rg-prod;vm-web-01
    vm_id:
      description: Resource id of the virtual machine (C(virtualMachineId)).
      returned: always
      type: str
      sample: "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/\
        Microsoft.Compute/virtualMachines/vm-web-01"
    vm_name:
      description: Name of the virtual machine (C(friendlyName)).
      returned: always
      type: str
      sample: vm-web-01
    vm_resource_group:
      description: Resource group of the virtual machine.
      returned: always
      type: str
      sample: rg-prod
    container_name:
      description:
        - Azure Backup's protection container, as the other modules take it in
          O(azbackup.restore.vm_restore#module:container_name).
      returned: always
      type: str
      sample: IaasVMContainer;iaasvmcontainerv2;rg-prod;vm-web-01
    protected_item_name:
      description:
        - Azure Backup's protected item, as the other modules take it in
          O(azbackup.restore.vm_restore#module:protected_item_name).
      returned: always
      type: str
      sample: VM;iaasvmcontainerv2;rg-prod;vm-web-01
    protection_state:
      description: The protection state (C(protectionState)).
      returned: always
      type: str
      sample: Protected
    protection_status:
      description: The protection status (C(protectionStatus)).
      returned: always
      type: str
      sample: Healthy
    health_status:
      description: The health of the item's backups (C(healthStatus)).
      returned: always
      type: str
      sample: Passed
    last_backup_status:
      description: The status of the last backup (C(lastBackupStatus)).
      returned: always
      type: str
      sample: Completed
    last_backup_time:
      description: When the last backup ran, ISO 8601 UTC; V(null) when never.
      returned: always
      type: str
      sample: "2026-12-05T23:02:11Z"
    last_recovery_point:
      description:
        - When the newest recovery point was taken, ISO 8601 UTC (C(lastRecoveryPoint)); V(null) when none.
        - In the secondary region the newest replicated point.
      returned: always
      type: str
      sample: "2026-12-05T23:02:11Z"
    oldest_recovery_point:
      description: When the oldest recovery point was taken, ISO 8601 UTC; V(null) when Azure does not say.
      returned: always
      type: str
      sample: "2026-10-27T00:04:51Z"
    recovery_point_count:
      description: How many recovery points the item has; V(null) when Azure does not say.
      returned: always
      type: int
      sample: 8
    policy_name:
      description: Name of the backup policy (C(policyName), else the last segment of C(policyId)).
      returned: always
      type: str
      sample: DefaultPolicy
    policy_id:
      description: Resource id of the backup policy.
      returned: always
      type: str
      sample: "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-vault/providers/\
        Microsoft.RecoveryServices/vaults/rsv-prod/backupPolicies/DefaultPolicy"
    properties:
      description: The item's C(properties) as Azure returned them.
      returned: always
      type: dict
      sample: {"protectedItemType": "Microsoft.Compute/virtualMachines", "protectionState": "Protected"}
vault_id:
  description: Resource id of the vault.
  returned: success
  type: str
  sample: "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-vault/providers/\
    Microsoft.RecoveryServices/vaults/rsv-prod"
region:
  description: The region the items were read in, V(primary) or V(secondary).
  returned: success
  type: str
  sample: primary
"""

from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import (
    ITEM_FILTERS,
    list_protected_items,
    select_protected_items,
    vault_ref,
)
from ansible_collections.azbackup.restore.plugins.module_utils._vault import read_vault, require_crr

PROTECTION_STATES = ["Protected", "IRPending", "ProtectionError", "ProtectionStopped", "ProtectionPaused",
                     "BackupsSuspended", "Invalid"]
HEALTH_STATUSES = ["Passed", "ActionRequired", "ActionSuggested", "Invalid"]


def argument_spec():
    """The module's options (the auth options are added by AzBackupModule)."""
    return dict(
        vault_name=dict(type="str", required=True),
        vault_resource_group=dict(type="str", required=True),
        vm_resource_group=dict(type="str"),
        vm_name=dict(type="str"),
        protection_state=dict(type="list", elements="str", choices=PROTECTION_STATES),
        health_status=dict(type="list", elements="str", choices=HEALTH_STATUSES),
        policy_name=dict(type="list", elements="str"),
        region=dict(type="str", choices=["primary", "secondary"], default="primary"),
        api_version=dict(type="str"),
    )


def run(module):
    """The result to exit with."""
    params = module.params
    vault = vault_ref(params, module.subscription_id)
    secondary = params["region"] == "secondary"
    if secondary:
        require_crr(module.client, vault, read_vault(module.client, vault))
    items = list_protected_items(module.client, vault, secondary=secondary, api_version=params.get("api_version"))
    selected = select_protected_items(items, **dict((k, params.get(k)) for k in ITEM_FILTERS))
    return dict(changed=False, protected_items=selected, vault_id=vault.vault_id, region=params["region"])


def main():
    AzBackupModule(argument_spec(), supports_check_mode=True).run(run)


if __name__ == "__main__":
    main()
