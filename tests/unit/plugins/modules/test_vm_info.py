# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.plugins.modules import vm_info
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import SUB

VM = "/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm1" % SUB


def test_normalize_managed_vm_sorts_data_disks_by_lun():
    vm = vm_info.normalize_vm({"id": VM, "name": "vm1", "location": "westeurope", "zones": ["1"], "properties": {
        "hardwareProfile": {"vmSize": "Standard_D2s_v3"},
        "storageProfile": {
            "osDisk": {"osType": "Linux", "name": "os", "diskSizeGB": 30, "caching": "ReadWrite",
                       "managedDisk": {"id": "/d/os", "storageAccountType": "Premium_LRS"}},
            "dataDisks": [{"lun": 1, "name": "d1", "managedDisk": {"id": "/d/1"}},
                          {"lun": 0, "name": "d0", "managedDisk": {"id": "/d/0"}}]}}})
    assert vm["resource_group"] == "rg-prod" and vm["zones"] == ["1"] and vm["vm_size"] == "Standard_D2s_v3"
    assert vm["managed_disks"] is True and vm["os_type"] == "Linux"
    assert vm["os_disk"] == dict(name="os", id="/d/os", vhd_uri=None, size_gb=30, caching="ReadWrite",
                                 storage_account_type="Premium_LRS")
    assert [(d["lun"], d["id"]) for d in vm["data_disks"]] == [(0, "/d/0"), (1, "/d/1")]


def test_normalize_unmanaged_vm():
    vm = vm_info.normalize_vm({"id": VM, "name": "vm1", "properties": {"storageProfile": {
        "osDisk": {"name": "os", "vhd": {"uri": "https://sa.blob/vhds/os.vhd"}}}}})
    assert vm["managed_disks"] is False
    assert vm["os_disk"]["vhd_uri"].endswith("os.vhd") and vm["os_disk"]["id"] is None
    assert vm["data_disks"] == []


def test_vm_id_from_name_or_id():
    assert vm_info.vm_id_from_params(dict(vm_name="vm1", vm_resource_group="rg-prod"), SUB) == VM
    assert vm_info.vm_id_from_params(dict(vm_id=VM.upper().replace("VIRTUALMACHINES", "virtualMachines")),
                                     SUB).endswith("/virtualMachines/VM1")


@pytest.mark.parametrize("bad", ["nope", VM.replace("Microsoft.Compute/virtualMachines", "Microsoft.Storage/storageAccounts")])
def test_bad_vm_id(bad):
    with pytest.raises(ValidationError) as e:
        vm_info.vm_id_from_params(dict(vm_id=bad), SUB)
    assert e.value.option == "vm_id"
