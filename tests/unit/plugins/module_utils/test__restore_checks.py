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
        ck.check_options(params(extra_properties={"affinityGroup": "x"}), "restore_disks", PRIMARY)
        with pytest.raises(ValidationError):
            ck.check_options(params(extra_properties={"securedVMDetails": {}}), "restore_disks", SECONDARY)


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


OTHER_SUB = "0b1c2d3e-0000-4000-8000-000000000005"
UAI = RG + "/rg-restore/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-restore"
DISK_ACCESS = RG + "/rg-restore/providers/Microsoft.Compute/diskAccesses/da-restore"
DES = RG + "/rg-restore/providers/Microsoft.Compute/diskEncryptionSets/des-cvm"


def refused(option, func, *args, **kw):
    with pytest.raises(ValidationError) as e:
        func(*args, **kw)
    assert e.value.option == option, e.value.msg
    return e.value.msg


class TestNewOptions:
    def test_target_subscription(self):
        ck.check_options(params(target_subscription_id=OTHER_SUB), "restore_disks", PRIMARY)
        refused("target_subscription_id", ck.check_options, params(target_subscription_id="not-a-guid"),
                "restore_disks", PRIMARY)
        p = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account=SA,
                 target_subscription_id=OTHER_SUB)
        assert "replace_disks" in refused("target_subscription_id", ck.check_options, p, "replace_disks", PRIMARY)
        # an id in another subscription than the target one
        refused("target_resource_group", ck.check_options,
                params(target_subscription_id=OTHER_SUB, target_resource_group=RG + "/rg-restore"),
                "restore_disks", PRIMARY)
        refused("restore_to_edge_zone", ck.check_options,
                params(target_subscription_id=OTHER_SUB, restore_to_edge_zone=True), "restore_disks", PRIMARY)

    def test_identity_id_must_be_a_user_assigned_identity(self):
        ck.check_options(params(identity=dict(type="user_assigned", id=UAI)), "restore_disks", PRIMARY)
        refused("identity", ck.check_options, params(identity=dict(type="user_assigned", id=SA)), "restore_disks",
                PRIMARY)

    @pytest.mark.parametrize("access,ok", [
        (dict(option="SameAsOnSourceDisks"), True),
        (dict(option="EnablePublicAccessForAllDisks"), True),
        (dict(option="EnablePrivateAccessForAllDisks", disk_access_id=DISK_ACCESS), True),
        (dict(option="EnablePrivateAccessForAllDisks"), False),
        (dict(option="EnablePublicAccessForAllDisks", disk_access_id=DISK_ACCESS), False),
        (dict(option="EnablePrivateAccessForAllDisks", disk_access_id=SA), False),
        (dict(option="UseNew"), False),
    ])
    def test_disk_network_access(self, access, ok):
        if ok:
            ck.check_options(params(disk_network_access=access), "restore_disks", PRIMARY)
        else:
            refused("disk_network_access", ck.check_options, params(disk_network_access=access), "restore_disks",
                    PRIMARY)

    @pytest.mark.parametrize("tenant,ok", [
        ("7e6d5c4b-0000-4000-8000-000000000006", True), ("fabrikam.onmicrosoft.com", True),
        ("../common", False), ("a/b", False), ("tenant?x=1", False), ("", False),
    ])
    def test_resource_guard_tenant(self, tenant, ok):
        p = params(resource_guard_tenant_id=tenant)
        if ok:
            ck.check_options(p, "restore_disks", PRIMARY)
        else:
            refused("resource_guard_tenant_id", ck.check_options, p, "restore_disks", PRIMARY)

    def test_secured_vm_id(self):
        ck.check_options(params(secured_vm_os_disk_encryption_set_id=DES), "restore_disks", PRIMARY)
        refused("secured_vm_os_disk_encryption_set_id", ck.check_options,
                params(secured_vm_os_disk_encryption_set_id=DISK_ACCESS), "restore_disks", PRIMARY)


def props_point(managed=True, tiers=(("InstantRP", "Valid"), ("HardenedRP", "Valid")), zones=None, **props):
    p = point(managed=managed, tiers=tiers)
    p["properties"].update(props)
    if zones:
        p["zones"] = list(zones)
    return p


class TestPointOptions:
    def test_identity_not_for_unmanaged(self):
        ck.check_point_options(props_point(), params(identity=dict(type="system_assigned")))
        refused("identity", ck.check_point_options, props_point(managed=False),
                params(identity=dict(type="system_assigned")))

    @pytest.mark.parametrize("p,why", [
        (props_point(managed=False), "unmanaged"),
        (props_point(isSourceVMEncrypted=True), "Azure Disk Encryption"),
        (props_point(tiers=(("InstantRP", "Valid"),)), "snapshot tier"),
    ])
    def test_cross_subscription_not_for(self, p, why):
        if why == "Azure Disk Encryption":
            p["is_encrypted"] = True
        msg = refused("target_subscription_id", ck.check_point_options, p, params(target_subscription_id=OTHER_SUB))
        assert why in msg and "learn.microsoft.com" in msg

    def test_original_storage_account(self):
        ck.check_point_options(props_point(managed=False, originalStorageAccountOption=True),
                               params(use_original_storage_account=True))
        refused("use_original_storage_account", ck.check_point_options,
                props_point(managed=False, originalStorageAccountOption=False),
                params(use_original_storage_account=True))
        refused("use_original_storage_account", ck.check_point_options,
                props_point(originalStorageAccountOption=True), params(use_original_storage_account=True))

    def test_private_disks_need_a_choice(self):
        msg = refused("disk_network_access", ck.check_point_options,
                      props_point(isPrivateAccessEnabledOnAnyDisk=True), params())
        assert "private access" in msg
        ck.check_point_options(props_point(isPrivateAccessEnabledOnAnyDisk=True),
                               params(disk_network_access=dict(option="SameAsOnSourceDisks")))
        refused("disk_network_access", ck.check_point_options, props_point(isPrivateAccessEnabledOnAnyDisk=False),
                params(disk_network_access=dict(option="SameAsOnSourceDisks")))
        ck.check_point_options(props_point(), params())   # a point without the property (older api-version)

    def test_edge_zone(self):
        refused("restore_to_edge_zone", ck.check_point_options, props_point(), params(restore_to_edge_zone=True))
        ck.check_point_options(props_point(extendedLocation={"name": "losangeles", "type": "EdgeZone"}),
                               params(restore_to_edge_zone=True))


def vault(redundancy="GeoRedundant", crr="Enabled", csr=None):
    v = {"id": VAULT, "name": "rsv-prod", "properties": {"redundancySettings": {
        "standardTierStorageRedundancy": redundancy, "crossRegionRestore": crr}}}
    if csr:
        v["properties"]["restoreSettings"] = {
            "crossSubscriptionRestoreSettings": {"crossSubscriptionRestoreState": csr}}
    return v


class TestZone:
    def test_zone_redundant_vault_allows_primary(self):
        ck.check_zone(props_point(), params(target_zone="2"), vault("ZoneRedundant", "Disabled"))

    def test_grs_vault_with_crr_allows_secondary_for_zone_pinned(self):
        ck.check_zone(props_point(zones=["1"]), params(target_zone="2"), vault(), secondary=True)
        assert "secondary region" in refused("target_zone", ck.check_zone, props_point(zones=["1"]),
                                             params(target_zone="2"), vault())
        assert "zone-pinned" in refused("target_zone", ck.check_zone, props_point(), params(target_zone="2"),
                                        vault(), secondary=True)

    def test_vault_without_zrs_or_crr(self):
        refused("target_zone", ck.check_zone, props_point(zones=["1"]), params(target_zone="2"),
                vault("LocallyRedundant", "Disabled"))

    def test_vault_tier_needed(self):
        refused("target_zone", ck.check_zone, props_point(tiers=(("InstantRP", "Valid"),)), params(target_zone="2"),
                vault("ZoneRedundant"))

    def test_no_zone_or_a_zone_azure_refuses_itself(self):
        ck.check_zone(props_point(), params(), vault("LocallyRedundant", "Disabled"))
        ck.check_zone(props_point(), params(target_zone="7"), vault("LocallyRedundant", "Disabled"))


class TestCrossSubscription:
    @pytest.mark.parametrize("state", ["Disabled", "PermanentlyDisabled"])
    def test_refused_when_the_vault_says_no(self, state):
        msg = refused("target_subscription_id", ck.check_cross_subscription, vault(csr=state),
                      params(target_subscription_id=OTHER_SUB))
        assert ck.CSR_SETTING in msg and state in msg

    def test_allowed(self):
        ck.check_cross_subscription(vault(csr="Enabled"), params(target_subscription_id=OTHER_SUB))
        ck.check_cross_subscription(vault(), params(target_subscription_id=OTHER_SUB))
        # the vault's own subscription is no cross-subscription restore
        ck.check_cross_subscription(vault(csr="Disabled"), params(target_subscription_id=SUB))


class TestIdentityExists:
    def test_user_assigned_identity_read(self):
        client, gets = world(**{UAI: {"id": UAI}})
        ck.check_identity(ck.ResourceCache(client), params(identity=dict(type="user_assigned", id=UAI)))
        assert gets == [UAI]
        client, gets = world()
        msg = refused("identity", ck.check_identity, ck.ResourceCache(client),
                      params(identity=dict(type="user_assigned", id=UAI)))
        assert "does not exist" in msg
