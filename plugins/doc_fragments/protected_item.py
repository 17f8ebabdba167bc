# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The options that name a VM protected by Azure Backup. The matching argument spec is
# PROTECTED_ITEM_ARGSPEC in plugins/module_utils/_protected_items.py: the two must not drift.

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  vault_name:
    description:
      - Name of the Recovery Services vault that protects the virtual machine.
    type: str
    required: true
  vault_resource_group:
    description:
      - Resource group of the vault.
    type: str
    required: true
  vm_id:
    description:
      - Resource id of the protected (source) virtual machine.
      - Mutually exclusive with O(vm_name) and O(vm_resource_group). One of O(vm_id) or O(vm_name) is required.
    type: str
  vm_name:
    description:
      - Name of the protected (source) virtual machine, with O(vm_resource_group).
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
"""
