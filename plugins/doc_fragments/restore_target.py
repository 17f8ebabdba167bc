# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The options of every restore (where it stages and writes, what it restores). The matching
# argument spec is RESTORE_ARGSPEC in plugins/module_utils/_restore_request.py: the two must not
# drift.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  staging_storage_account:
    description:
      - The storage account the restore stages its data in (and, for V(restore_disks), writes the VM's
        configuration and ARM template to), as a resource id, or a name with
        O(staging_storage_account_resource_group).
      - It must be in the region the restore writes to (the vault's region, or its secondary region for a
        cross-region restore) and must not be zone-redundant (C(*_ZRS), C(*_GZRS)) or premium.
    type: str
    required: true
  staging_storage_account_resource_group:
    description:
      - The resource group of O(staging_storage_account) when it is a name.
    type: str
  target_resource_group:
    description:
      - The resource group (name or id) for the restored managed disks (V(restore_disks)) or the new VM
        (V(new_vm)).
      - Required for V(new_vm), and for V(restore_disks) of a VM with managed disks unless
        O(restore_as_unmanaged_disks=true) (without it Azure silently restores unmanaged disks).
    type: str
  target_vm_name:
    description:
      - The name of the VM to create with V(new_vm). No VM of that name may exist in
        O(target_resource_group).
    type: str
  target_virtual_network:
    description:
      - The virtual network (name or id) of the new VM (V(new_vm)), in the region the restore writes to.
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
      - Checked as the Azure CLI checks a cross-zone restore, against the vault (C(redundancySettings)) and the
        recovery point; the vault must be zone-redundant, or have cross-region restore enabled, and the point must
        be in the vault tier; unless the vault is zone-redundant the point must be of a zone-pinned VM and the
        restore must run in the secondary region (M(azbackup.restore.crr_restore)).
    type: str
  disk_encryption_set_id:
    description:
      - The resource id of a disk encryption set (in the region the restore writes to) to encrypt the restored
        managed disks with (customer-managed keys).
    type: str
  restore_as_unmanaged_disks:
    description:
      - With V(restore_disks) of a VM with managed disks, restore unmanaged disks (page blobs in the staging
        storage account) instead of managed disks. O(target_resource_group) must not be set then.
    type: bool
    default: false
  identity:
    description:
      - The managed identity of the vault that the restore uses to reach the staging storage account (the Azure
        CLI's C(--mi-system-assigned) / C(--mi-user-assigned)). The request then names the staging account in
        C(identityBasedRestoreDetails.targetStorageAccountId) instead of C(storageAccountId), as Microsoft's
        examples and the Azure CLI build it.
      - The identity must be attached to the vault and needs, on the staging storage account and the target
        resource group, the rights Azure Backup checks when a restore starts (Microsoft suggests the
        C(VM Restore Operator) role); a user-assigned identity is read before the restore and refused when it
        does not exist.
      - Not for VMs with unmanaged disks.
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
  target_subscription_id:
    description:
      - Cross-subscription restore (the Azure CLI's C(--target-subscription-id)). The subscription, of the same
        Microsoft Entra tenant, that the restored disks or VM are written to. O(staging_storage_account),
        O(target_resource_group), O(target_virtual_network) and O(target_subnet) given by name are looked up in
        that subscription.
      - The vault must allow it (C(restoreSettings.crossSubscriptionRestoreSettings.crossSubscriptionRestoreState)
        not C(Disabled) or C(PermanentlyDisabled)).
      - Not with O(restore_type=replace_disks), and not for recovery points in the snapshot tier only, of VMs with
        unmanaged disks or of VMs encrypted with Azure Disk Encryption (see
        U(https://learn.microsoft.com/azure/backup/backup-azure-arm-restore-vms#cross-subscription-restore-for-azure-vm)).
    type: str
  use_original_storage_account:
    description:
      - For a VM with unmanaged disks, restore the disks to their original storage accounts (Azure's
        C(originalStorageAccountOption); the Azure CLI restores there unless C(--restore-to-staging-storage-account)).
        The staging storage account then receives the VM's configuration only.
      - Refused for VMs with managed disks and for recovery points whose C(originalStorageAccountOption) is false.
    type: bool
    default: false
  extra_properties:
    description:
      - Further properties of Azure's C(IaasVMRestoreRequest) to send, with their Azure (camelCase) names,
        for example C(affinityGroup) or C(targetDomainNameId).
      - Names that are not properties of C(IaasVMRestoreRequest) in the swagger of the module's default
        api-version (2024-04-01, or 2023-01-15 for a cross-region restore), and properties the module's options
        set, are refused.
    type: dict
  force:
    description:
      - Start a new restore even when an earlier restore of the same recovery point to the same targets is
        running or completed.
    type: bool
    default: false
"""
