#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vm_info
short_description: The disks and placement of Azure virtual machines, before or after a restore
version_added: 0.1.0
description:
  - Reads one Azure virtual machine, or with O(vms) several side by side, and returns what a restore
    touches or needs, its OS disk and data disks (LUN, name, managed disk id or VHD URI, size), its region,
    zones and size.
  - Use it to record the disks of a VM before its disks are replaced with
    M(azbackup.restore.vm_restore) (O(azbackup.restore.vm_restore#module:restore_type=replace_disks)),
    and to see the new ones afterwards.
  - A virtual machine that does not exist gives an empty RV(vms) list, not a failure; with O(vms), an entry
    whose RV(vms[].exists) is V(false). A resource group (or subscription) that does not exist is refused,
    naming the option that holds it, with Azure's code, message and correlation id.
author:
  - azbackup.restore contributors (@azbackup)
options:
  vm_id:
    description:
      - Resource id of the virtual machine.
      - Mutually exclusive with O(vm_name) and O(vm_resource_group). One of O(vm_id), O(vm_name) or O(vms) is
        required.
    type: str
  vm_name:
    description:
      - Name of the virtual machine, with O(vm_resource_group).
    type: str
  vm_resource_group:
    description:
      - Resource group of the virtual machine O(vm_name).
    type: str
  vms:
    description:
      - Several virtual machines, read side by side (at most O(concurrency) at a time) in one task;
        RV(vms) has one entry per VM, in this order.
      - Mutually exclusive with O(vm_id), O(vm_name) and O(vm_resource_group).
      - A VM that cannot be read (other than not found) fails the task, naming the VM.
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      id:
        description:
          - Resource id of the virtual machine. Mutually exclusive with O(vms[].name) and O(vms[].resource_group).
        type: str
      name:
        description:
          - Name of the virtual machine, with O(vms[].resource_group).
        type: str
      resource_group:
        description:
          - Resource group of the virtual machine O(vms[].name).
        type: str
  concurrency:
    description:
      - With O(vms), how many virtual machines are read at the same time.
    type: int
    default: 20
    version_added: 0.2.0
  api_version:
    description:
      - The api-version of the Microsoft.Compute request.
    type: str
    default: '2024-07-01'
  vault_name:
    description:
      - Not used by this module. Accepted so that C(module_defaults) for the C(group/azbackup.restore.azure)
        action group can set the vault once for every module of the group.
    type: str
  vault_resource_group:
    description:
      - Not used by this module. Accepted for the same reason as O(vault_name).
    type: str
extends_documentation_fragment:
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_azure
  - azbackup.restore.attributes.platform
  - azbackup.restore.attributes.info_module
notes:
  - The module only reads; it always returns C(changed=false).
seealso:
  - module: azbackup.restore.vm_restore
  - module: azbackup.restore.recovery_point_info
"""

EXAMPLES = r"""
- name: Record the disks of vm-db-01 before they are replaced
  azbackup.restore.vm_info:
    vm_name: vm-db-01
    vm_resource_group: rg-prod
  register: before

- name: Show them
  ansible.builtin.debug:
    msg: "{{ before.vms[0].os_disk.name }} + {{ before.vms[0].data_disks | map(attribute='name') | list }}"

- name: Record the disks of several VMs with one task, read side by side
  azbackup.restore.vm_info:
    vms:
      - name: vm-db-01
        resource_group: rg-prod
      - id: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01
  register: fleet_before

- name: Name the VMs that do not exist
  ansible.builtin.debug:
    msg: "{{ fleet_before.vms | rejectattr('exists') | map(attribute='name') | list }}"
"""

RETURN = r"""
vms:
  description:
    - The virtual machine, as a list of one; empty when it does not exist.
    - With O(vms), one entry per VM of O(vms), in its order; a VM that does not exist has only RV(vms[].id),
      RV(vms[].name), RV(vms[].resource_group) and RV(vms[].exists).
  returned: success
  type: list
  elements: dict
  contains:
    exists:
      description: Whether the virtual machine exists.
      returned: always
      type: bool
      sample: true
      version_added: 0.2.0
    id:
      description: Resource id of the virtual machine.
      returned: always
      type: str
      sample: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-db-01
    name:
      description: Name of the virtual machine.
      returned: always
      type: str
      sample: vm-db-01
    resource_group:
      description: Resource group of the virtual machine.
      returned: always
      type: str
      sample: rg-prod
    location:
      description: Region of the virtual machine.
      returned: when the virtual machine exists
      type: str
      sample: westeurope
    zones:
      description: Availability zones the virtual machine is pinned to.
      returned: when the virtual machine exists
      type: list
      elements: str
      sample: ["1"]
    vm_size:
      description: Size of the virtual machine.
      returned: when the virtual machine exists
      type: str
      sample: Standard_D4s_v3
    os_type:
      description: Operating system type of the OS disk.
      returned: when the virtual machine exists
      type: str
      sample: Linux
    managed_disks:
      description: Whether the OS disk is a managed disk.
      returned: when the virtual machine exists
      type: bool
      sample: true
    os_disk:
      description: The OS disk.
      returned: when the virtual machine exists
      type: dict
      contains:
        name:
          description: Name of the disk.
          returned: always
          type: str
          sample: vm-db-01-osdisk
        id:
          description: Resource id of the managed disk (null for an unmanaged disk).
          returned: always
          type: str
          sample: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/disks/vm-db-01-osdisk
        vhd_uri:
          description: URI of the VHD blob of an unmanaged disk (null for a managed disk).
          returned: always
          type: str
          sample: https://stlegacy.blob.core.windows.net/vhds/vm-legacy-01-osdisk.vhd
        size_gb:
          description: Size of the disk in GiB.
          returned: always
          type: int
          sample: 128
        caching:
          description: Host caching of the disk.
          returned: always
          type: str
          sample: ReadWrite
        storage_account_type:
          description: Storage type of the managed disk.
          returned: always
          type: str
          sample: Premium_LRS
    data_disks:
      description: The data disks, by LUN.
      returned: when the virtual machine exists
      type: list
      elements: dict
      contains:
        lun:
          description: Logical unit number of the disk.
          returned: always
          type: int
          sample: 0
        name:
          description: Name of the disk.
          returned: always
          type: str
          sample: vm-db-01-datadisk-0
        id:
          description: Resource id of the managed disk (null for an unmanaged disk).
          returned: always
          type: str
          sample: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/disks/vm-db-01-datadisk-0
        vhd_uri:
          description: URI of the VHD blob of an unmanaged disk (null for a managed disk).
          returned: always
          type: str
          sample: https://stlegacy.blob.core.windows.net/vhds/vm-legacy-01-datadisk-0.vhd
        size_gb:
          description: Size of the disk in GiB.
          returned: always
          type: int
          sample: 256
        caching:
          description: Host caching of the disk.
          returned: always
          type: str
          sample: ReadOnly
        storage_account_type:
          description: Storage type of the managed disk.
          returned: always
          type: str
          sample: Premium_LRS
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azbackup.restore.plugins.module_utils import _compute as compute
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import (
    PROTECTED_ITEM_MUTUALLY_EXCLUSIVE,
    PROTECTED_ITEM_REQUIRED_TOGETHER,
    parse_vm_id,
)

VMS_SPEC = dict(type="list", elements="dict", options=dict(
    id=dict(type="str"),
    name=dict(type="str"),
    resource_group=dict(type="str"),
), mutually_exclusive=[("id", "name"), ("id", "resource_group")], required_together=[("name", "resource_group")],
    required_one_of=[("id", "name")])
MAX_CONCURRENCY = 100


def argument_spec():
    return dict(
        vm_id=dict(type="str"),
        vm_name=dict(type="str"),
        vm_resource_group=dict(type="str"),
        vms=VMS_SPEC,
        concurrency=dict(type="int", default=20),
        api_version=dict(type="str", default="2024-07-01"),
        # Not used: accepted so that module_defaults for the action group can name the vault once.
        vault_name=dict(type="str"),
        vault_resource_group=dict(type="str"),
    )


def _disk(disk):
    managed = disk.get("managedDisk") or {}
    return dict(
        name=disk.get("name"),
        id=managed.get("id"),
        vhd_uri=(disk.get("vhd") or {}).get("uri"),
        size_gb=disk.get("diskSizeGB"),
        caching=disk.get("caching"),
        storage_account_type=managed.get("storageAccountType"),
    )


def normalize_vm(resource):
    """A Microsoft.Compute virtual machine as vm_info returns it."""
    props = resource.get("properties") or {}
    storage = props.get("storageProfile") or {}
    os_disk = storage.get("osDisk") or {}
    data = []
    for d in sorted(storage.get("dataDisks") or [], key=lambda d: d.get("lun", 0)):
        entry = _disk(d)
        entry["lun"] = d.get("lun")
        data.append(entry)
    parsed = rid.parse_resource_id(resource["id"]) if resource.get("id") else {}
    return dict(
        exists=True,
        id=resource.get("id"),
        name=resource.get("name"),
        resource_group=parsed.get("resource_group"),
        location=resource.get("location"),
        zones=list(resource.get("zones") or []),
        vm_size=(props.get("hardwareProfile") or {}).get("vmSize"),
        os_type=os_disk.get("osType"),
        managed_disks=bool(os_disk.get("managedDisk")),
        os_disk=_disk(os_disk),
        data_disks=data,
    )


def vm_id_from_params(params, subscription_id):
    if params.get("vm_id") is not None:
        return rid.vm_id(*parse_vm_id(params["vm_id"]))
    return rid.vm_id(subscription_id, params["vm_resource_group"], params["vm_name"])


def read_vm(client, vm_id, api_version, resource_group_option):
    """The VM as vm_info returns it, or None when it does not exist; a missing resource group or subscription is
    refused naming ``resource_group_option`` (``compute.read``)."""
    try:
        resource = compute.read(client, vm_id, api_version=api_version, resource_group_option=resource_group_option)
    except AzureApiError as e:
        raise e.with_context("Failed to read the virtual machine %s" % vm_id)
    return normalize_vm(resource) if resource is not None else None


def _missing(vm_id):
    parsed = rid.parse_resource_id(vm_id)
    return dict(exists=False, id=vm_id, name=parsed.get("name"), resource_group=parsed.get("resource_group"))


def run(module):
    params = module.params
    if params["vms"] is None:
        vm = read_vm(module.client, vm_id_from_params(params, module.subscription_id), params["api_version"],
                     "vm_id" if params.get("vm_id") else "vm_resource_group")
        return dict(changed=False, vms=[vm] if vm else [])
    if not params["vms"]:
        raise ValidationError("vms must name at least one virtual machine", option="vms")
    if not 1 <= params["concurrency"] <= MAX_CONCURRENCY:
        raise ValidationError("concurrency must be between 1 and %d" % MAX_CONCURRENCY, option="concurrency")
    ids = [rid.vm_id(*parse_vm_id(vm["id"], option="vms")) if vm["id"] else
           rid.vm_id(module.subscription_id, vm["resource_group"], vm["name"], option="vms", resource_group_option="vms")
           for vm in params["vms"]]
    with ThreadPoolExecutor(max_workers=min(params["concurrency"], len(ids))) as pool:
        read = list(pool.map(lambda vm_id: read_vm(module.client, vm_id, params["api_version"], "vms"), ids))
    return dict(changed=False, vms=[vm or _missing(vm_id) for vm_id, vm in zip(ids, read)])


def main():
    AzBackupModule(argument_spec(), supports_check_mode=True,
                   mutually_exclusive=PROTECTED_ITEM_MUTUALLY_EXCLUSIVE + [("vms", "vm_id"), ("vms", "vm_name"),
                                                                           ("vms", "vm_resource_group")],
                   required_one_of=[("vm_id", "vm_name", "vms")],
                   required_together=PROTECTED_ITEM_REQUIRED_TOGETHER).run(run)


if __name__ == "__main__":
    main()
