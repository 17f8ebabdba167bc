# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import types

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _restore_checks as ck
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._restore_flavours import (
    CrossRegionRestore,
    PrimaryRestore,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_targets import resolve_targets
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import (
    ARCHIVE,
    RGS,
    SA,
    SUB,
    VAULT,
    VNET,
    FakeClient,
    item_ref,
    point,
    restore_params,
)

RG = RGS


def params(**kw):
    return restore_params(**kw)


def flavour(cls=PrimaryRestore):
    """What check_options reads of a restore flavour."""
    return types.SimpleNamespace(restore_types=cls.restore_types, request_properties=cls.request_properties,
                                 api_version=cls.default_api_version, can_rehydrate=cls.can_rehydrate)


PRIMARY = flavour()
SECONDARY = flavour(CrossRegionRestore)


class TestCheckOptions:
    @pytest.mark.parametrize("option,value", [
        ("target_vm_name", "vm2"), ("target_resource_group", "rg-restore"), ("target_virtual_network", "vnet"),
        ("target_virtual_network_resource_group", "rg"), ("target_subnet", "default"), ("target_zone", "1"),
    ])
    def test_replace_disks_refuses_target_vm_options(self, option, value):
        p = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account="sa")
        p[option] = value
        with pytest.raises(ValidationError) as e:
            ck.check_options(p, "replace_disks", PRIMARY)
        assert e.value.option == option
        assert "replace_disks" in e.value.msg and option in e.value.msg and "source VM" in e.value.msg

    def test_replace_disks_without_targets_passes(self):
        ck.check_options(dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account="sa"),
                         "replace_disks", PRIMARY)

    def test_new_vm_needs_targets(self):
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(target_vm_name="vm2"), "new_vm", PRIMARY)
        assert "target_virtual_network" in e.value.msg and "target_subnet" in e.value.msg

    def test_new_vm_subnet_id_names_its_network(self):
        ck.check_options(params(target_vm_name="vm2", target_subnet=VNET + "/subnets/default"), "new_vm", PRIMARY)

    @pytest.mark.parametrize("option", ["target_vm_name", "target_virtual_network", "target_subnet"])
    def test_restore_disks_refuses_vm_options(self, option):
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(**{option: "x"}), "restore_disks", PRIMARY)
        assert e.value.option == option

    def test_unmanaged_with_target_group_refused(self):
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(restore_as_unmanaged_disks=True), "restore_disks", PRIMARY)
        assert e.value.option == "target_resource_group"

    def test_luns_and_os_only_exclusive(self):
        with pytest.raises(ValidationError):
            ck.check_options(params(disk_luns=[1], restore_os_disk_only=True), "restore_disks", PRIMARY)

    def test_user_identity_needs_id(self):
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(identity=dict(type="user_assigned")), "restore_disks", PRIMARY)
        assert e.value.option == "identity"

    def test_rehydration_duration_range(self):
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(rehydration_duration=40), "restore_disks", PRIMARY)
        assert "10 and 30" in e.value.msg

    def test_crr_refuses_replace_disks_and_rehydration(self):
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(), "replace_disks", SECONDARY)
        assert e.value.option == "restore_type"
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(rehydration_priority="High"), "restore_disks", SECONDARY)
        assert "archive" in e.value.msg and e.value.option == "rehydration_priority"
        ck.check_options(params(rehydration_priority="High"), "restore_disks", PRIMARY)

    def test_extra_properties_unknown_key(self):
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(extra_properties={"targetDiskNetworkAccesSettings": {}}), "restore_disks", PRIMARY)
        assert "targetDiskNetworkAccesSettings" in e.value.msg and e.value.option == "extra_properties"

    def test_extra_properties_owned_key(self):
        with pytest.raises(ValidationError) as e:
            ck.check_options(params(extra_properties={"recoveryType": "OriginalLocation"}), "restore_disks", PRIMARY)
        assert "recoveryType" in e.value.msg

    def test_extra_properties_by_version(self):
        extra = {"securedVMDetails": {"securedVMOsDiskEncryptionSetId": "x"}}
        ck.check_options(params(extra_properties=extra), "restore_disks", PRIMARY)
        with pytest.raises(ValidationError):
            ck.check_options(params(extra_properties=extra), "restore_disks", SECONDARY)


class TestCheckPoint:
    def test_missing_lun(self):
        with pytest.raises(ValidationError) as e:
            ck.check_point(point(luns=(0, 1)), params(disk_luns=[1, 5]), "restore_disks")
        assert e.value.option == "disk_luns" and "5" in e.value.msg and "0, 1" in e.value.msg

    def test_archive_needs_rehydration(self):
        with pytest.raises(ValidationError) as e:
            ck.check_point(point(tiers=ARCHIVE), params(), "restore_disks")
        assert "archive" in e.value.msg and e.value.option == "rehydration_priority"
        ck.check_point(point(tiers=ARCHIVE), params(rehydration_priority="High"), "restore_disks")

    def test_rehydration_for_non_archive_refused(self):
        with pytest.raises(ValidationError):
            ck.check_point(point(), params(rehydration_duration=12), "restore_disks")

    def test_crr_refuses_archive(self):
        with pytest.raises(ValidationError) as e:
            ck.check_point(point(tiers=ARCHIVE), params(), "restore_disks", can_rehydrate=False)
        assert "cross-region" in e.value.msg

    def test_managed_disks_need_target_group(self):
        with pytest.raises(ValidationError) as e:
            ck.check_point(point(), params(target_resource_group=None), "restore_disks")
        assert e.value.option == "target_resource_group" and "unmanaged" in e.value.msg
        ck.check_point(point(), params(target_resource_group=None, restore_as_unmanaged_disks=True), "restore_disks")
        ck.check_point(point(managed=False), params(target_resource_group=None), "restore_disks")


def world(**overrides):
    resources = {
        SA.lower(): {"location": "westeurope", "sku": {"name": "Standard_LRS"}},
        (RG + "/rg-restore").lower(): {"location": "westeurope"},
        item_ref().vm_id.lower(): {"location": "westeurope"},
        VNET.lower(): {"location": "westeurope", "properties": {"subnets": [{"name": "default"}]}},
    }
    for k, v in overrides.items():
        resources[k.lower()] = v
    gets = []

    def handler(method, url, params, body):
        gets.append(url)
        doc = resources.get(url.lower())
        if doc is None:
            return 404, {}, {"error": {"code": "ResourceNotFound", "message": "not found"}}
        return 200, {}, doc
    client = FakeClient(handler)
    return client, gets


class TestCheckResources:
    def targets(self, **kw):
        return resolve_targets(params(**kw), SUB, "westeurope")

    def test_all_good_and_one_get_each(self):
        client, gets = world()
        cache = ck.ResourceCache(client)
        t = self.targets()
        ck.check_resources(cache, t, "restore_disks", item_ref().vm_id)
        ck.check_resources(cache, t, "restore_disks", item_ref().vm_id)
        assert len(gets) == 2 and len(set(g.lower() for g in gets)) == 2

    def test_storage_missing(self):
        client, dummy = world(**{SA: None})
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert "does not exist" in e.value.msg and e.value.option == "staging_storage_account"

    def test_storage_wrong_region(self):
        client, dummy = world(**{SA: {"location": "eastus", "sku": {"name": "Standard_LRS"}}})
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert "eastus" in e.value.msg and "westeurope" in e.value.msg

    @pytest.mark.parametrize("sku", ["Standard_ZRS", "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS"])
    def test_storage_zone_redundant(self, sku):
        client, dummy = world(**{SA: {"location": "West Europe", "sku": {"name": sku}}})
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert "zone-redundant" in e.value.msg and sku in e.value.msg

    def test_target_group_missing(self):
        client, dummy = world(**{RG + "/rg-restore": None})
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert e.value.option == "target_resource_group"

    def test_replace_needs_source_vm(self):
        client, dummy = world(**{item_ref().vm_id: None})
        p = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account=SA)
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), resolve_targets(p, SUB, "westeurope"), "replace_disks",
                               item_ref().vm_id)
        assert "does not exist" in e.value.msg

    def test_new_vm_name_taken(self):
        vm2 = RG + "/rg-restore/providers/Microsoft.Compute/virtualMachines/vm2"
        client, dummy = world(**{vm2: {"location": "westeurope"}})
        t = self.targets(target_vm_name="vm2", target_virtual_network="vnet-restore", target_subnet="default")
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), t, "new_vm", item_ref().vm_id)
        assert e.value.option == "target_vm_name" and "already exists" in e.value.msg

    def test_new_vm_subnet_missing(self):
        client, dummy = world()
        t = self.targets(target_vm_name="vm2", target_virtual_network="vnet-restore", target_subnet="nope")
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), t, "new_vm", item_ref().vm_id)
        assert e.value.option == "target_subnet"

    def test_new_vm_network_missing_or_elsewhere(self):
        client, dummy = world(**{VNET: None})
        t = self.targets(target_vm_name="vm2", target_virtual_network="vnet-restore", target_subnet="default")
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), t, "new_vm", item_ref().vm_id)
        assert e.value.option == "target_virtual_network"
        client, dummy = world(**{VNET: {"location": "northeurope", "properties": {"subnets": [{"name": "default"}]}}})
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), t, "new_vm", item_ref().vm_id)
        assert "northeurope" in e.value.msg

    def test_other_errors_propagate(self):
        client = FakeClient(lambda m, u, p, b: (403, {}, {"error": {"code": "AuthorizationFailed", "message": "no"}}))
        with pytest.raises(AzureApiError) as e:
            ck.check_resources(ck.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert "AuthorizationFailed" in e.value.msg


class TestValidateWithAzure:
    def test_findings_fail(self):
        seen = {}

        def handler(method, url, p, body):
            seen.update(url=url, body=body)
            return 200, {}, {"validateOperationResponse": {"validationResults": [
                {"code": "UserErrorCoreCountSubscriptionQuotaReached", "message": "Core quota reached.",
                 "recommendations": ["Ask support."]}]}}
        with pytest.raises(ck.AzureValidationError) as e:
            ck.validate_with_azure(FakeClient(handler), VAULT, "/rp/id", {"objectType": "IaasVMRestoreRequest"})
        assert "UserErrorCoreCountSubscriptionQuotaReached" in e.value.msg and "Core quota" in e.value.msg
        assert e.value.to_fail_kwargs()["error_code"] == "UserErrorCoreCountSubscriptionQuotaReached"
        assert seen["url"] == VAULT + "/backupValidateOperation"
        assert seen["body"] == {"id": "/rp/id", "properties": {
            "objectType": "ValidateIaasVMRestoreOperationRequest",
            "restoreRequest": {"objectType": "IaasVMRestoreRequest"}}}

    def test_no_findings_pass(self):
        ck.validate_with_azure(FakeClient(lambda *a: (200, {}, {"validateOperationResponse": {}})), VAULT, "/rp", {})


class TestRefusals:
    def test_validation_ignores_operation_in_progress(self):
        answer = {"validateOperationResponse": {"validationResults": [
            {"code": "UserErrorAnotherOperationInProgress", "message": "Another restore is in progress"}]}}
        ck.validate_with_azure(FakeClient(lambda *a: (200, {}, answer)), VAULT, "/rp", {})

    def test_premium_staging_refused(self):
        client, dummy = world(**{SA: {"location": "westeurope", "sku": {"name": "Premium_LRS"}}})
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), resolve_targets(params(), SUB, "westeurope"),
                               "restore_disks", item_ref().vm_id)
        assert "premium" in e.value.msg

    def test_missing_target_resource_carries_azures_answer(self):
        client, dummy = world(**{SA: None})
        with pytest.raises(ValidationError) as e:
            ck.check_resources(ck.ResourceCache(client), resolve_targets(params(), SUB, "westeurope"),
                               "restore_disks", item_ref().vm_id)
        assert e.value.option == "staging_storage_account"
        assert e.value.to_fail_kwargs()["error_code"] == "ResourceNotFound"

    def test_azure_validation_findings_carry_the_correlation_id(self):
        answer = {"validateOperationResponse": {"validationResults": [{"code": "UserErrorX", "message": "no"}]}}
        client = FakeClient(lambda *a: (200, {"x-ms-correlation-request-id": "corr-v", "x-ms-request-id": "req-v"},
                                        answer))
        with pytest.raises(ck.AzureValidationError) as e:
            ck.validate_with_azure(client, VAULT, "/rp", {})
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["correlation_id"] == "corr-v" and kwargs["request_id"] == "req-v"
        assert kwargs["error_code"] == "UserErrorX" and "(correlation id corr-v)" in kwargs["msg"]
