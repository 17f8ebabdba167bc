# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _protected_items as pi
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import SUB, item_ref

BASE = dict(vault_name="v", vault_resource_group="rgv")


class TestProtectedItem:
    def test_from_name(self):
        item = pi.protected_item_ref(dict(BASE, vm_name="vm1", vm_resource_group="rg1"), SUB)
        assert item.container == "iaasvmcontainer;iaasvmcontainerv2;rg1;vm1"
        assert item.item == "vm;iaasvmcontainerv2;rg1;vm1"
        assert item.path.endswith("/protectionContainers/iaasvmcontainer%3Biaasvmcontainerv2%3Brg1%3Bvm1"
                                  "/protectedItems/vm%3Biaasvmcontainerv2%3Brg1%3Bvm1")
        assert item.vm_id == "/subscriptions/%s/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1" \
            % SUB

    def test_from_vm_id_keeps_its_subscription(self):
        other = "11111111-2222-3333-4444-555555555555"
        vm = "/subscriptions/%s/resourceGroups/RG1/providers/Microsoft.Compute/virtualMachines/VM1" % other
        item = pi.protected_item_ref(dict(BASE, vm_id=vm), SUB)
        assert item.vm_name == "VM1" and item.vm_resource_group == "RG1"
        assert item.vm_id.startswith("/subscriptions/%s/" % other)
        assert item.vault_id.startswith("/subscriptions/%s/" % SUB)

    @pytest.mark.parametrize("vm_id", [
        "not-an-id",
        "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa" % SUB,
    ])
    def test_bad_vm_id(self, vm_id):
        with pytest.raises(ValidationError) as e:
            pi.protected_item_ref(dict(BASE, vm_id=vm_id), SUB)
        assert e.value.option == "vm_id"

    def test_vm_id_and_name_exclusive(self):
        vm = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm" % SUB
        with pytest.raises(ValidationError) as e:
            pi.protected_item_ref(dict(BASE, vm_id=vm, vm_name="x"), SUB)
        assert e.value.option == "vm_id"

    def test_explicit_names_win(self):
        item = pi.protected_item_ref(dict(BASE, vm_name="vm1", vm_resource_group="rg1", container_name="c;x",
                                          protected_item_name="i;y"), SUB)
        assert "/protectionContainers/c%3Bx/protectedItems/i%3By" in item.path

    def test_describe_and_as_dict(self):
        item = item_ref()
        assert item.describe() == "VM vm-web-01 (resource group rg-prod) in vault rsv-prod (resource group rg-vault)"
        assert item.as_dict()["protected_item_name"] == "vm;iaasvmcontainerv2;rg-prod;vm-web-01"


def not_found(code):
    return AzureApiError(status_code=404, error_code=code, error_message="Azure says no", method="GET",
                         url="https://x/y", correlation_id="corr-7")


class TestNotFound:
    @pytest.mark.parametrize("code,option,text", [
        ("ResourceNotFound", "vault_name", "Vault rsv-prod was not found in resource group rg-vault"),
        ("ResourceGroupNotFound", "vault_resource_group", "resource group rg-vault of vault rsv-prod does not exist"),
        ("SubscriptionNotFound", "subscription_id", "subscription %s was not found" % SUB),
    ])
    def test_under_the_vault_names_what_is_missing(self, code, option, text):
        err = pi.not_found_refusal(not_found(code), "recovery point 1 does not exist", "recovery_point_id", item_ref())
        assert err.option == option and err.msg.startswith(text)
        assert "(%s) Azure says no (correlation id corr-7)" % code in err.msg

    def test_other_404_names_the_option(self):
        err = pi.not_found_refusal(not_found("BMSUserErrorObjectNotFound"), "recovery point 1 does not exist",
                                   "recovery_point_id", item_ref())
        assert err.option == "recovery_point_id" and err.msg.startswith("recovery point 1 does not exist: ")

    def test_refusing_not_found_block(self):
        with pytest.raises(ValidationError) as e:
            with pi.refusing_not_found("Failed", "thing does not exist", "vm_name", item_ref()):
                raise not_found("BMSUserErrorObjectNotFound")
        assert e.value.option == "vm_name" and e.value.to_fail_kwargs()["status_code"] == 404
        with pytest.raises(AzureApiError) as e:
            with pi.refusing_not_found("Failed to read it", "thing does not exist", "vm_name", item_ref()):
                raise AzureApiError(status_code=403, error_code="AuthorizationFailed", error_message="no",
                                    correlation_id="corr-8")
        assert e.value.msg == "Failed to read it: (AuthorizationFailed) no (correlation id corr-8)"


class TestProtectedItemList:
    """The vault's list of protected VMs: normalization, client-side selection, the list call."""

    def test_swagger_examples_normalize(self):
        from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import spec_example

        for version in ("2024-04-01", "2023-01-15"):
            body = spec_example(version, "AzureIaasVm/BackupProtectedItems_List.json")["responses"]["200"]["body"]
            got = pi.normalize_protected_item(body["value"][0])
            # the example's classic VM id has no resource group: the item name gives it
            assert (got["vm_resource_group"], got["vm_name"]) == ("iaasvm-rg", "iaasvm-1"), version
            assert got["container_name"] == "IaasVMContainer;iaasvmcontainer;iaasvm-rg;iaasvm-1"
            assert got["protected_item_name"] == "VM;iaasvmcontainer;iaasvm-rg;iaasvm-1"
            assert got["policy_name"] == "testPolicy1" and got["last_recovery_point"] == "2017-11-22T12:25:32Z"
        assert got["health_status"] is None and got["recovery_point_count"] is None  # 2023-01-15 sends less
        assert pi.select_protected_items([got]) == [got]

    def test_without_a_parsable_id(self):
        got = pi.normalize_protected_item({"name": "VM;iaasvmcontainerv2;rg1;vm1", "properties": {
            "containerName": "iaasvmcontainerv2;rg1;vm1", "lastRecoveryPoint": "0001-01-01T00:00:00Z", "policyId": ""}})
        assert got["container_name"] == "IaasVMContainer;iaasvmcontainerv2;rg1;vm1"
        assert (got["vm_resource_group"], got["vm_name"], got["vm_id"]) == ("rg1", "vm1", None)
        assert got["last_recovery_point"] is None and got["policy_name"] is None and got["policy_id"] is None

    def test_select(self):
        def it(name, rg, state="Protected"):
            return dict(vm_name=name, vm_resource_group=rg, protection_state=state, health_status="Passed",
                        policy_name="P", properties={})
        items = [it("b", "rg2"), it("A", "rg1", "IRPending"), it("c", "RG1")]
        assert [i["vm_name"] for i in pi.select_protected_items(items)] == ["A", "c", "b"]
        assert [i["vm_name"] for i in pi.select_protected_items(items, vm_resource_group="rg1")] == ["A", "c"]
        assert [i["vm_name"] for i in pi.select_protected_items(items, vm_name="[ab]")] == ["A", "b"]
        assert [i["vm_name"] for i in pi.select_protected_items(items, protection_state="irpending")] == ["A"]
        assert pi.select_protected_items(items, health_status=["ActionRequired"], policy_name="P") == []

    def test_list_call(self):
        from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import FakeClient

        vault = pi.vault_ref(BASE, SUB)
        client = FakeClient(lambda method, url, params, body: (200, {}, {"value": []}))
        assert pi.list_protected_items(client, vault) == []
        assert pi.list_protected_items(client, vault, secondary=True) == []
        (m1, u1, v1, p1, _b1), (m2, u2, v2, p2, _b2) = client.calls
        assert (m1, u1, v1) == ("GET", vault.vault_id + "/backupProtectedItems", "2024-04-01")
        assert (m2, u2, v2) == ("GET", vault.vault_id + "/backupProtectedItems/", "2023-01-15")
        assert p1 == p2 == {"$filter": "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"}
        with pytest.raises(ValidationError) as e:
            pi.list_protected_items(FakeClient(lambda *a: not_found("ResourceNotFound")), vault)
        assert e.value.option == "vault_name" and e.value.msg.startswith("Vault v was not found in resource group rgv")

    def test_vault_ref_checks_names(self):
        with pytest.raises(ValidationError) as e:
            pi.vault_ref(dict(vault_name="a/b", vault_resource_group="rg"), SUB)
        assert e.value.option == "vault_name"
        with pytest.raises(ValidationError):
            pi.vault_ref(dict(vault_name="v"), SUB)
