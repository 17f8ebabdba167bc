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
