# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from types import SimpleNamespace

import pytest

from ansible_collections.azbackup.restore.plugins.modules import vm_info
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
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


class _Module(object):
    def __init__(self, client, **params):
        self.client = client
        self.subscription_id = SUB
        self.params = dict(vm_id=None, vm_name=None, vm_resource_group=None, vms=None, concurrency=20,
                           api_version="2024-07-01")
        self.params.update(params)


class _Client(object):
    """VMs by name; ``together``: a barrier every read waits at (it breaks unless the reads go side by side)."""

    def __init__(self, vms, together=None, errors=None, groups=("rg-prod",)):
        self.vms, self.together, self.errors, self.groups, self.urls = vms, together, errors or {}, groups, []

    def get(self, url, api_version=None, params=None, ok=(200,)):
        self.urls.append(url)
        if self.together is not None:
            self.together.wait(5)
        name = url.rsplit("/", 1)[1]
        if name in self.errors:
            raise self.errors[name]
        if url.split("/resourceGroups/")[1].split("/")[0] not in self.groups:
            code = "ResourceGroupNotFound"
        elif name not in self.vms:
            code = "ResourceNotFound"
        else:
            return SimpleNamespace(status_code=200, body=dict(self.vms[name], id=VM.replace("vm1", name), name=name))
        assert 404 in ok
        return SimpleNamespace(status_code=404, headers={"x-ms-correlation-request-id": "c-1"}, url=url,
                               body={"error": {"code": code, "message": "%s was not found." % name}})


def _ref(name):
    return dict(id=None, name=name, resource_group="rg-prod")


class TestListForm:
    def test_one_entry_per_vm_in_order_read_side_by_side(self):
        client = _Client({"vm1": {"location": "westeurope"}, "vm3": {"location": "northeurope"}},
                         together=threading.Barrier(3))
        gone = dict(id=VM.replace("vm1", "gone"), name=None, resource_group=None)
        out = vm_info.run(_Module(client, vms=[_ref("vm1"), gone, _ref("vm3")]))
        assert [(v["name"], v["exists"]) for v in out["vms"]] == [("vm1", True), ("gone", False), ("vm3", True)]
        assert out["vms"][1] == dict(exists=False, id=VM.replace("vm1", "gone"), name="gone", resource_group="rg-prod")
        assert out["vms"][2]["location"] == "northeurope" and out["changed"] is False
        assert len(client.urls) == 3

    def test_a_vm_that_cannot_be_read_fails_the_task_naming_it(self):
        client = _Client({"vm1": {}}, errors={"vm2": AzureApiError("denied", status_code=403,
                                                                   error_code="AuthorizationFailed")})
        with pytest.raises(AzureApiError) as e:
            vm_info.run(_Module(client, vms=[_ref("vm1"), _ref("vm2")]))
        assert "virtualMachines/vm2" in str(e.value) and e.value.error_code == "AuthorizationFailed"

    @pytest.mark.parametrize("params, option", [
        (dict(vms=[]), "vms"),
        (dict(vms=[_ref("vm1")], concurrency=0), "concurrency"),
        (dict(vms=[_ref("vm1")], concurrency=101), "concurrency"),
        (dict(vms=[dict(id="nope", name=None, resource_group=None)]), "vms"),
        (dict(vms=[dict(id=None, name="a/b", resource_group="rg")]), "vms"),
    ])
    def test_refused_before_any_request(self, params, option):
        client = _Client({})
        with pytest.raises(ValidationError) as e:
            vm_info.run(_Module(client, **params))
        assert e.value.option == option and client.urls == []

    @pytest.mark.parametrize("params, option", [
        (dict(vm_name="vm1", vm_resource_group="rg-typo"), "vm_resource_group"),
        (dict(vms=[_ref("vm1"), dict(id=None, name="vm2", resource_group="rg-typo")]), "vms"),
    ])
    def test_a_missing_resource_group_is_refused_not_taken_for_a_missing_vm(self, params, option):
        with pytest.raises(ValidationError) as e:
            vm_info.run(_Module(_Client({"vm1": {}, "vm2": {}}), **params))
        assert e.value.option == option and "rg-typo" in e.value.msg and "(ResourceGroupNotFound)" in e.value.msg
        assert e.value.to_fail_kwargs()["error_code"] == "ResourceGroupNotFound"

    def test_single_form_unchanged(self):
        client = _Client({"vm1": {}})
        assert [v["exists"] for v in vm_info.run(_Module(client, vm_name="vm1", vm_resource_group="rg-prod"))["vms"]] \
            == [True]
        assert vm_info.run(_Module(client, vm_name="vm9", vm_resource_group="rg-prod"))["vms"] == []
