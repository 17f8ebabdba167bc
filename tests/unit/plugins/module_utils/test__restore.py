# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _backup as bk
from ansible_collections.azbackup.restore.plugins.module_utils import _restore as rs
from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import ArmResponse
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    AzureConnectionError,
    OperationFailedError,
    OperationTimeoutError,
    ValidationError,
)

SUB = "9a8b7c6d-0000-4000-8000-000000000003"
RG = "/subscriptions/%s/resourceGroups" % SUB
VAULT = RG + "/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod"
SA = RG + "/rg-restore/providers/Microsoft.Storage/storageAccounts/strestorewe"
VNET = RG + "/rg-restore/providers/Microsoft.Network/virtualNetworks/vnet-restore"
RP_TIME = "2026-11-20T22:07:11Z"
SPECS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "contract", "specs", "specification",
                     "recoveryservicesbackup", "resource-manager", "Microsoft.RecoveryServices", "stable")


def item_ref():
    return bk.ProtectedItemRef(SUB, "rg-vault", "rsv-prod", "rg-prod", "vm-web-01")


def point(luns=(0, 1), managed=True, tiers=(("InstantRP", "Valid"), ("HardenedRP", "Valid")), name="111"):
    return bk.normalize_recovery_point({
        "id": item_ref().recovery_point_path(name), "name": name,
        "properties": {
            "objectType": "IaasVMRecoveryPoint", "recoveryPointType": "CrashConsistent",
            "recoveryPointTime": RP_TIME, "isManagedVirtualMachine": managed,
            "recoveryPointTierDetails": [{"type": t, "status": s} for t, s in tiers],
            "recoveryPointDiskConfiguration": {"includedDiskList": [{"lun": lun, "name": "d%d" % lun}
                                                                    for lun in luns]},
        }})


ARCHIVE = (("ArchivedRP", "Valid"),)


def params(**kw):
    base = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account="strestorewe",
                staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore")
    base.update(kw)
    return base


def raw_job(job_id, status="InProgress", restore_type="RestoreDisks", rp_time="11/20/2026 10:07:11 PM",
            entity="vm-web-01", sa="strestorewe", rg="rg-restore", operation="Restore", bag=None, errors=None,
            target_vm=None):
    bag_ = {"Job Type": "Recover disks", "Recovery point time ": rp_time, "Target Storage Account Name": sa,
            "Target resource group": rg}
    if target_vm:
        bag_["Target VM Name"] = target_vm
    bag_.update(bag or {})
    return {
        "id": VAULT + "/backupJobs/" + job_id, "name": job_id, "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": {
            "jobType": "AzureIaaSVMJob", "entityFriendlyName": entity, "backupManagementType": "AzureIaasVM",
            "operation": operation, "status": status, "startTime": "2026-11-21T08:00:00Z",
            "errorDetails": errors or [],
            "extendedInfo": {"propertyBag": bag_, "internalPropertyBag": {"restoreLocationType": restore_type}},
        }}


class Clock(object):
    """A fake clock whose sleep advances it: tests never really sleep."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeClient(object):
    """Answers requests from a handler(method, url, params, json) -> (status, headers, body) or an exception."""

    def __init__(self, handler):
        self.handler = handler
        self.calls = []
        self.subscription_id = SUB

    def request(self, method, url, api_version=None, params=None, json=None, headers=None, ok=(200,),
                idempotent=None):
        self.calls.append((method, url, api_version, params, json))
        answer = self.handler(method, url, params or {}, json)
        if isinstance(answer, Exception):
            raise answer
        status, hdrs, body = answer
        if ok is not None and status not in ok:
            raise AzureApiError.from_response(status, hdrs, body, method, url, retried=method == "GET")
        return ArmResponse(status, hdrs, body, url)

    def get(self, url, api_version=None, params=None, ok=(200,)):
        return self.request("GET", url, api_version=api_version, params=params, ok=ok)

    def post(self, url, api_version=None, json=None, ok=(200, 202), idempotent=False, params=None, headers=None):
        return self.request("POST", url, api_version=api_version, params=params, json=json, ok=ok,
                            idempotent=idempotent)

    def list(self, url, api_version=None, params=None, method="GET", json=None):
        return iter(self.request(method, url, api_version=api_version, params=params, json=json).body["value"])

    def count(self, method, pattern):
        return len([c for c in self.calls if c[0] == method and re.search(pattern, c[1])])


def api_error(status, code="SomeError", message="it went wrong"):
    return AzureApiError(status_code=status, error_code=code, error_message=message, method="POST",
                         url="https://x/y", retried=status < 500)


# --------------------------------------------------------------------------------------------
# option checks


class TestCheckOptions:
    @pytest.mark.parametrize("option,value", [
        ("target_vm_name", "vm2"), ("target_resource_group", "rg-restore"), ("target_virtual_network", "vnet"),
        ("target_virtual_network_resource_group", "rg"), ("target_subnet", "default"), ("target_zone", "1"),
    ])
    def test_replace_disks_refuses_target_vm_options(self, option, value):
        p = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account="sa")
        p[option] = value
        with pytest.raises(ValidationError) as e:
            rs.check_options(p, "replace_disks")
        assert e.value.option == option
        assert "replace_disks" in e.value.msg and option in e.value.msg and "source VM" in e.value.msg

    def test_replace_disks_without_targets_passes(self):
        rs.check_options(dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account="sa"),
                         "replace_disks")

    def test_new_vm_needs_targets(self):
        with pytest.raises(ValidationError) as e:
            rs.check_options(params(target_vm_name="vm2"), "new_vm")
        assert "target_virtual_network" in e.value.msg and "target_subnet" in e.value.msg

    def test_new_vm_subnet_id_names_its_network(self):
        rs.check_options(params(target_vm_name="vm2", target_subnet=VNET + "/subnets/default"), "new_vm")

    @pytest.mark.parametrize("option", ["target_vm_name", "target_virtual_network", "target_subnet"])
    def test_restore_disks_refuses_vm_options(self, option):
        with pytest.raises(ValidationError) as e:
            rs.check_options(params(**{option: "x"}), "restore_disks")
        assert e.value.option == option

    def test_unmanaged_with_target_group_refused(self):
        with pytest.raises(ValidationError) as e:
            rs.check_options(params(restore_as_unmanaged_disks=True), "restore_disks")
        assert e.value.option == "target_resource_group"

    def test_luns_and_os_only_exclusive(self):
        with pytest.raises(ValidationError):
            rs.check_options(params(disk_luns=[1], restore_os_disk_only=True), "restore_disks")

    def test_user_identity_needs_id(self):
        with pytest.raises(ValidationError) as e:
            rs.check_options(params(identity=dict(type="user_assigned")), "restore_disks")
        assert e.value.option == "identity"

    def test_rehydration_duration_range(self):
        with pytest.raises(ValidationError) as e:
            rs.check_options(params(rehydration_duration=40), "restore_disks")
        assert "10 and 30" in e.value.msg

    def test_crr_refuses_replace_disks_and_rehydration(self):
        with pytest.raises(ValidationError):
            rs.check_options(params(), "replace_disks", crr=True)
        with pytest.raises(ValidationError) as e:
            rs.check_options(params(rehydration_priority="High"), "restore_disks", crr=True)
        assert "archive" in e.value.msg

    def test_extra_properties_unknown_key(self):
        with pytest.raises(ValidationError) as e:
            rs.check_options(params(extra_properties={"targetDiskNetworkAccesSettings": {}}), "restore_disks")
        assert "targetDiskNetworkAccesSettings" in e.value.msg and e.value.option == "extra_properties"

    def test_extra_properties_owned_key(self):
        with pytest.raises(ValidationError) as e:
            rs.check_options(params(extra_properties={"recoveryType": "OriginalLocation"}), "restore_disks")
        assert "recoveryType" in e.value.msg

    def test_extra_properties_by_version(self):
        extra = {"securedVMDetails": {"securedVMOsDiskEncryptionSetId": "x"}}
        rs.check_options(params(extra_properties=extra), "restore_disks")
        with pytest.raises(ValidationError):
            rs.check_options(params(extra_properties=extra), "restore_disks", crr=True)

    @pytest.mark.parametrize("version,names,crr", [
        ("2024-04-01", rs.RESTORE_REQUEST_PROPERTIES, False),
        ("2023-01-15", rs.CRR_RESTORE_REQUEST_PROPERTIES, True),
    ])
    def test_property_lists_match_the_swagger(self, version, names, crr):
        with open(os.path.join(SPECS, version, "bms.json")) as f:
            defs = json.load(f)["definitions"]
        want = set(defs["IaasVMRestoreRequest"]["properties"]) | set(defs["RestoreRequest"]["properties"])
        if not crr:
            want |= set(defs["IaasVMRestoreWithRehydrationRequest"]["properties"])
        assert set(names) == want


# --------------------------------------------------------------------------------------------
# targets


class TestTargets:
    def test_names_become_ids(self):
        t = rs.resolve_targets(params(target_vm_name="vm2", target_virtual_network="vnet-restore",
                                      target_subnet="default"), SUB, "westeurope")
        assert t.storage_account_id == SA
        assert t.resource_group_id == RG + "/rg-restore"
        assert t.vm_id == RG + "/rg-restore/providers/Microsoft.Compute/virtualMachines/vm2"
        assert t.virtual_network_id == VNET
        assert t.subnet_id == VNET + "/subnets/default"
        assert (t.storage_account_name, t.resource_group_name, t.vm_name) == ("strestorewe", "rg-restore", "vm2")

    def test_ids_are_kept_and_subnet_id_gives_network(self):
        t = rs.resolve_targets(params(staging_storage_account=SA, target_resource_group=RG + "/rg-restore",
                                      target_subnet=VNET + "/subnets/default"), SUB, "westeurope")
        assert t.storage_account_id == SA and t.virtual_network_id == VNET

    def test_network_group_option(self):
        t = rs.resolve_targets(params(target_virtual_network="vnet-x", target_virtual_network_resource_group="rg-net",
                                      target_subnet="s1"), SUB, "westeurope")
        assert t.subnet_id == RG + "/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-x/subnets/s1"

    def test_storage_name_needs_group(self):
        with pytest.raises(ValidationError) as e:
            rs.resolve_targets(params(staging_storage_account_resource_group=None), SUB, "westeurope")
        assert e.value.option == "staging_storage_account_resource_group"

    def test_wrong_kind_of_id(self):
        with pytest.raises(ValidationError) as e:
            rs.resolve_targets(params(staging_storage_account=VNET), SUB, "westeurope")
        assert "Microsoft.Storage/storageAccounts" in e.value.msg


# --------------------------------------------------------------------------------------------
# point checks and the body


class TestCheckPoint:
    def test_missing_lun(self):
        with pytest.raises(ValidationError) as e:
            rs.check_point(point(luns=(0, 1)), params(disk_luns=[1, 5]), "restore_disks")
        assert e.value.option == "disk_luns" and "5" in e.value.msg and "0, 1" in e.value.msg

    def test_archive_needs_rehydration(self):
        with pytest.raises(ValidationError) as e:
            rs.check_point(point(tiers=ARCHIVE), params(), "restore_disks")
        assert "archive" in e.value.msg and e.value.option == "rehydration_priority"
        rs.check_point(point(tiers=ARCHIVE), params(rehydration_priority="High"), "restore_disks")

    def test_rehydration_for_non_archive_refused(self):
        with pytest.raises(ValidationError):
            rs.check_point(point(), params(rehydration_duration=12), "restore_disks")

    def test_crr_refuses_archive(self):
        with pytest.raises(ValidationError) as e:
            rs.check_point(point(tiers=ARCHIVE), params(), "restore_disks", crr=True)
        assert "cross-region" in e.value.msg

    def test_managed_disks_need_target_group(self):
        with pytest.raises(ValidationError) as e:
            rs.check_point(point(), params(target_resource_group=None), "restore_disks")
        assert e.value.option == "target_resource_group" and "unmanaged" in e.value.msg
        rs.check_point(point(), params(target_resource_group=None, restore_as_unmanaged_disks=True), "restore_disks")
        rs.check_point(point(managed=False), params(target_resource_group=None), "restore_disks")


class TestBuildRequest:
    def targets(self, **kw):
        return rs.resolve_targets(params(**kw), SUB, "westeurope")

    def test_restore_disks(self):
        req = rs.build_request(params(disk_luns=[1]), "restore_disks", point(), item_ref(), self.targets())
        assert req == {
            "objectType": "IaasVMRestoreRequest", "recoveryPointId": "111", "recoveryType": "RestoreDisks",
            "sourceResourceId": item_ref().vm_id, "storageAccountId": SA, "region": "westeurope",
            "createNewCloudService": True, "originalStorageAccountOption": False,
            "encryptionDetails": {"encryptionEnabled": False}, "targetResourceGroupId": RG + "/rg-restore",
            "restoreDiskLunList": [1]}

    def test_replace_disks(self):
        p = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account=SA)
        req = rs.build_request(p, "replace_disks", point(), item_ref(), rs.resolve_targets(p, SUB, "westeurope"))
        assert req["recoveryType"] == "OriginalLocation"
        assert not [k for k in req if k in ("targetVirtualMachineId", "targetResourceGroupId", "subnetId")]

    def test_new_vm(self):
        t = self.targets(target_vm_name="vm2", target_virtual_network="vnet-restore", target_subnet="default")
        req = rs.build_request(params(target_zone="2"), "new_vm", point(), item_ref(), t)
        assert req["recoveryType"] == "AlternateLocation"
        assert req["targetVirtualMachineId"].endswith("/virtualMachines/vm2")
        assert req["virtualNetworkId"] == VNET and req["subnetId"] == VNET + "/subnets/default"
        assert req["zones"] == ["2"]

    def test_rehydration(self):
        req = rs.build_request(params(rehydration_priority="High", rehydration_duration=20), "restore_disks",
                               point(tiers=ARCHIVE), item_ref(), self.targets())
        assert req["objectType"] == "IaasVMRestoreWithRehydrationRequest"
        assert req["recoveryPointRehydrationInfo"] == {"rehydrationPriority": "High",
                                                       "rehydrationRetentionDuration": "P20D"}

    def test_unmanaged_choices(self):
        req = rs.build_request(params(target_resource_group=None, restore_as_unmanaged_disks=True), "restore_disks",
                               point(), item_ref(), self.targets(target_resource_group=None))
        assert "targetResourceGroupId" not in req
        req = rs.build_request(params(), "restore_disks", point(managed=False), item_ref(), self.targets())
        assert req["restoreWithManagedDisks"] is True

    def test_os_disk_only_and_identity_and_extra(self):
        req = rs.build_request(params(restore_os_disk_only=True, identity=dict(type="user_assigned", id="/x/id"),
                                      extra_properties={"targetDiskNetworkAccessSettings": {
                                          "targetDiskNetworkAccessOption": "SameAsOnSourceDisks"}}),
                               "restore_disks", point(), item_ref(), self.targets())
        assert req["restoreDiskLunList"] == []
        assert req["identityInfo"] == {"isSystemAssignedIdentity": False, "managedIdentityResourceId": "/x/id"}
        assert req["targetDiskNetworkAccessSettings"]["targetDiskNetworkAccessOption"] == "SameAsOnSourceDisks"

    def test_crr_body_and_mask(self):
        body = rs.crr_body({"accessTokenString": "s3cr3t-token", "recoveryPointId": "111"}, {"region": "northeurope"})
        assert body["crossRegionRestoreAccessDetails"]["objectType"] == "CrrAccessToken"
        masked = rs.masked_body(body)
        assert masked["crossRegionRestoreAccessDetails"]["accessTokenString"] == rs.MASKED
        assert body["crossRegionRestoreAccessDetails"]["accessTokenString"] == "s3cr3t-token"
        assert "s3cr3t" not in json.dumps(masked)

    def test_match_criteria(self):
        c = rs.match_criteria(item_ref(), "restore_disks", point(), self.targets())
        assert c == dict(vm_name="vm-web-01", restore_type="restore_disks", recovery_point_time=RP_TIME,
                         storage_account_name="strestorewe", target_resource_group="rg-restore", target_vm_name=None)


# --------------------------------------------------------------------------------------------
# resource checks


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
        return rs.resolve_targets(params(**kw), SUB, "westeurope")

    def test_all_good_and_one_get_each(self):
        client, gets = world()
        cache = rs.ResourceCache(client)
        t = self.targets()
        rs.check_resources(cache, t, "restore_disks", item_ref().vm_id)
        rs.check_resources(cache, t, "restore_disks", item_ref().vm_id)
        assert len(gets) == 2 and len(set(g.lower() for g in gets)) == 2

    def test_storage_missing(self):
        client, dummy = world(**{SA: None})
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert "does not exist" in e.value.msg and e.value.option == "staging_storage_account"

    def test_storage_wrong_region(self):
        client, dummy = world(**{SA: {"location": "eastus", "sku": {"name": "Standard_LRS"}}})
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert "eastus" in e.value.msg and "westeurope" in e.value.msg

    @pytest.mark.parametrize("sku", ["Standard_ZRS", "Premium_ZRS", "Standard_GZRS", "Standard_RAGZRS"])
    def test_storage_zone_redundant(self, sku):
        client, dummy = world(**{SA: {"location": "West Europe", "sku": {"name": sku}}})
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert "zone-redundant" in e.value.msg and sku in e.value.msg

    def test_target_group_missing(self):
        client, dummy = world(**{RG + "/rg-restore": None})
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert e.value.option == "target_resource_group"

    def test_replace_needs_source_vm(self):
        client, dummy = world(**{item_ref().vm_id: None})
        p = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account=SA)
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), rs.resolve_targets(p, SUB, "westeurope"), "replace_disks",
                               item_ref().vm_id)
        assert "does not exist" in e.value.msg

    def test_new_vm_name_taken(self):
        vm2 = RG + "/rg-restore/providers/Microsoft.Compute/virtualMachines/vm2"
        client, dummy = world(**{vm2: {"location": "westeurope"}})
        t = self.targets(target_vm_name="vm2", target_virtual_network="vnet-restore", target_subnet="default")
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), t, "new_vm", item_ref().vm_id)
        assert e.value.option == "target_vm_name" and "already exists" in e.value.msg

    def test_new_vm_subnet_missing(self):
        client, dummy = world()
        t = self.targets(target_vm_name="vm2", target_virtual_network="vnet-restore", target_subnet="nope")
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), t, "new_vm", item_ref().vm_id)
        assert e.value.option == "target_subnet"

    def test_new_vm_network_missing_or_elsewhere(self):
        client, dummy = world(**{VNET: None})
        t = self.targets(target_vm_name="vm2", target_virtual_network="vnet-restore", target_subnet="default")
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), t, "new_vm", item_ref().vm_id)
        assert e.value.option == "target_virtual_network"
        client, dummy = world(**{VNET: {"location": "northeurope", "properties": {"subnets": [{"name": "default"}]}}})
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), t, "new_vm", item_ref().vm_id)
        assert "northeurope" in e.value.msg

    def test_other_errors_propagate(self):
        client = FakeClient(lambda m, u, p, b: (403, {}, {"error": {"code": "AuthorizationFailed", "message": "no"}}))
        with pytest.raises(AzureApiError) as e:
            rs.check_resources(rs.ResourceCache(client), self.targets(), "restore_disks", item_ref().vm_id)
        assert "AuthorizationFailed" in e.value.msg


class TestValidateWithAzure:
    def test_findings_fail(self):
        seen = {}

        def handler(method, url, p, body):
            seen.update(url=url, body=body)
            return 200, {}, {"validateOperationResponse": {"validationResults": [
                {"code": "UserErrorCoreCountSubscriptionQuotaReached", "message": "Core quota reached.",
                 "recommendations": ["Ask support."]}]}}
        with pytest.raises(rs.AzureValidationError) as e:
            rs.validate_with_azure(FakeClient(handler), VAULT, "/rp/id", {"objectType": "IaasVMRestoreRequest"})
        assert "UserErrorCoreCountSubscriptionQuotaReached" in e.value.msg and "Core quota" in e.value.msg
        assert e.value.to_fail_kwargs()["error_code"] == "UserErrorCoreCountSubscriptionQuotaReached"
        assert seen["url"] == VAULT + "/backupValidateOperation"
        assert seen["body"] == {"id": "/rp/id", "properties": {
            "objectType": "ValidateIaasVMRestoreOperationRequest",
            "restoreRequest": {"objectType": "IaasVMRestoreRequest"}}}

    def test_no_findings_pass(self):
        rs.validate_with_azure(FakeClient(lambda *a: (200, {}, {"validateOperationResponse": {}})), VAULT, "/rp", {})


# --------------------------------------------------------------------------------------------
# the runner


OP_URL = "https://management.azure.com" + item_ref().path + "/operationsStatus/op-1?api-version=2024-04-01"
RESTORE_URL = item_ref().recovery_point_path("111") + "/restore"


class Azure(object):
    """A scripted Azure Backup for the runner: jobs list, restore POST, operation, job GET."""

    def __init__(self, jobs=None, post=None, operation=None, job_states=None):
        self.jobs = list(jobs or [])
        self.post_answers = list(post or [(202, {"Azure-AsyncOperation": OP_URL}, None)])
        self.operation = list(operation or [(200, {}, {"status": "Succeeded", "properties": {
            "objectType": "OperationStatusJobExtendedInfo", "jobId": "job-new"}})])
        self.job_states = list(job_states or ["InProgress"])
        self.on_post = None
        self.list_calls = 0
        self.client = FakeClient(self.handle)

    def handle(self, method, url, p, body):
        if method == "GET" and url.endswith("/backupJobs"):
            self.list_calls += 1
            return 200, {}, {"value": list(self.jobs)}
        if method == "POST" and url.endswith("/restore"):
            answer = self.post_answers.pop(0) if len(self.post_answers) > 1 else self.post_answers[0]
            if self.on_post:
                self.on_post(self)
            return answer
        if method == "GET" and "operationsStatus" in url:
            return self.operation.pop(0) if len(self.operation) > 1 else self.operation[0]
        if method == "GET" and "/backupJobs/" in url:
            job_id = url.rsplit("/", 1)[1]
            status = self.job_states.pop(0) if len(self.job_states) > 1 else self.job_states[0]
            errors = [{"errorCode": 400016, "errorTitle": "UserErrorDiskQuota",
                       "errorString": "Disk quota reached"}] if status in ("Failed", "CompletedWithWarnings") else []
            return 200, {}, raw_job(job_id, status, errors=errors,
                                    bag={"Config Blob Uri": "https://sa/c.json", "Template Blob Uri": "https://sa/t.json"}
                                    if status.startswith("Completed") else None)
        raise AssertionError("unexpected %s %s" % (method, url))

    def posts(self):
        return self.client.count("POST", r"/restore$")


def call(**kw):
    criteria = dict(vm_name="vm-web-01", restore_type="restore_disks", recovery_point_time=RP_TIME,
                    storage_account_name="strestorewe", target_resource_group="rg-restore", target_vm_name=None)
    return rs.RestoreCall(RESTORE_URL, {"properties": {}}, "2024-04-01", criteria, RP_TIME, "restore vm-web-01")


def runner(azure, clock=None, **kw):
    clock = clock or Clock()
    return rs.RestoreRunner(azure.client, rs.PrimaryJobs(azure.client, VAULT), sleep=clock.sleep, clock=clock, **kw)


class TestIdempotency:
    def test_attaches_to_running_job(self):
        az = Azure(jobs=[raw_job("job-old")])
        out = runner(az).run(call())
        assert out.changed is False and out.attached and out.job_id == "job-old"
        assert az.posts() == 0

    def test_attaches_to_completed_job(self):
        az = Azure(jobs=[raw_job("job-old", "Completed")])
        out = runner(az).run(call(), wait="job")
        assert out.changed is False and out.job["status"] == "Completed"

    @pytest.mark.parametrize("job", [
        raw_job("j", "Failed"), raw_job("j", "Cancelled"), raw_job("j", restore_type="OriginalLocation"),
        raw_job("j", rp_time="11/19/2026 10:07:11 PM"), raw_job("j", sa="other"), raw_job("j", rg="rg-other"),
        raw_job("j", entity="vm-db-01"),
    ])
    def test_other_jobs_do_not_match(self, job):
        az = Azure(jobs=[job])
        out = runner(az).run(call())
        assert out.changed is True and az.posts() == 1 and out.job_id == "job-new"

    def test_force_restores_again(self):
        az = Azure(jobs=[raw_job("job-old", "Completed")])
        out = runner(az).run(call(), force=True)
        assert out.changed is True and az.posts() == 1 and out.job_id == "job-new"

    def test_check_mode_sends_nothing(self):
        az = Azure()
        out = runner(az).run(call(), check_mode=True)
        assert out.changed is True and az.posts() == 0 and out.job_id is None
        az = Azure(jobs=[raw_job("job-old")])
        out = runner(az).run(call(), check_mode=True, wait="job")
        assert out.changed is False and out.job_id == "job-old" and az.posts() == 0

    def test_list_filter(self):
        az = Azure()
        runner(az).run(call(), check_mode=True)
        method, url, version, p, body = az.client.calls[0]
        assert url == VAULT + "/backupJobs" and version == "2024-04-01"
        assert "operation eq 'Restore'" in p["$filter"] and "startTime eq '2026-11-20 10:07:11 PM'" in p["$filter"]


class TestLostResponse:
    def test_ambiguous_error_then_job_found_attaches(self):
        az = Azure(post=[api_error(500, "InternalServerError")])
        clock = Clock()

        def job_appears_later(a):
            a.appear_after = a.list_calls + 2
        az.on_post = job_appears_later
        orig = az.handle

        def handle(method, url, p, body):
            if method == "GET" and url.endswith("/backupJobs") and getattr(az, "appear_after", None) \
                    and az.list_calls + 1 >= az.appear_after:
                az.jobs = [raw_job("job-lost")]
            return orig(method, url, p, body)
        az.client.handler = handle
        out = runner(az, clock).run(call())
        assert az.posts() == 1
        assert out.changed is True and out.attached and out.job_id == "job-lost"
        assert clock.sleeps and max(clock.sleeps) <= rs.LOOKUP_INTERVAL

    def test_ambiguous_error_no_job_retries_once(self):
        az = Azure(post=[api_error(502, "BadGateway"), (202, {"Azure-AsyncOperation": OP_URL}, None)])
        out = runner(az).run(call())
        assert az.posts() == 2 and out.changed is True and out.job_id == "job-new"
        assert az.list_calls == 1 + rs.LOOKUPS

    def test_connection_lost_counts_as_ambiguous(self):
        err = AzureConnectionError("lost", method="POST", url="https://x")
        az = Azure(post=[err, (202, {"Azure-AsyncOperation": OP_URL}, None)])
        out = runner(az).run(call())
        assert az.posts() == 2 and out.job_id == "job-new"

    def test_bounded(self):
        az = Azure(post=[api_error(503, "ServiceUnavailable")])
        with pytest.raises(AzureApiError) as e:
            runner(az).run(call())
        assert az.posts() == rs.POST_ATTEMPTS and "ServiceUnavailable" in e.value.msg

    def test_clear_refusal_is_not_retried(self):
        az = Azure(post=[api_error(400, "UserErrorStorageAccountIsZRS", "The storage account is ZRS")])
        with pytest.raises(AzureApiError) as e:
            runner(az).run(call())
        assert az.posts() == 1 and az.list_calls == 1
        assert "Failed to restore vm-web-01: (UserErrorStorageAccountIsZRS) The storage account is ZRS" == e.value.msg

    def test_another_operation_same_restore_attaches(self):
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "Another operation is in progress")])

        def other_run_started_it(a):
            a.jobs = [raw_job("job-other")]
        az.on_post = other_run_started_it
        out = runner(az).run(call())
        assert out.changed is False and out.attached and out.job_id == "job-other" and az.posts() == 1

    def test_another_operation_different_fails_with_azures_message(self):
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "A backup is in progress")])
        az.on_post = lambda a: setattr(a, "jobs", [raw_job("job-backup", operation="Backup")])
        with pytest.raises(AzureApiError) as e:
            runner(az).run(call())
        assert "A backup is in progress" in e.value.msg and az.posts() == 1


class TestFollowAndWait:
    def test_operation_followed_verbatim_to_job(self):
        signed = OP_URL + "&t=1&s=abc%2Fdef"
        az = Azure(post=[(202, {"Azure-AsyncOperation": signed, "Location": "https://x/loc"}, None)],
                   operation=[(200, {}, {"status": "InProgress"}), (200, {}, {"status": "Succeeded", "properties": {
                       "jobId": "job-new"}})])
        clock = Clock()
        out = runner(az, clock).run(call())
        polls = [c for c in az.client.calls if "operationsStatus" in c[1]]
        assert [c[1] for c in polls] == [signed, signed]
        assert out.operation_url == signed and out.job_id == "job-new" and out.job["status"] == "InProgress"
        assert clock.sleeps == [rs.OPERATION_INTERVAL]

    def test_wait_none_does_not_poll(self):
        az = Azure()
        out = runner(az).run(call(), wait="none")
        assert out.changed and out.operation_url == OP_URL and out.job_id is None
        assert not [c for c in az.client.calls if "operationsStatus" in c[1] or "/backupJobs/" in c[1]]

    def test_operation_failed(self):
        az = Azure(operation=[(200, {}, {"status": "Failed", "error": {"code": "UserErrorX", "message": "bad"}})])
        with pytest.raises(OperationFailedError) as e:
            runner(az).run(call())
        assert e.value.error_code == "UserErrorX" and "bad" in e.value.msg
        assert rs.failure_extras(e.value)["changed"] is True

    def test_operation_timeout_names_url(self):
        az = Azure(operation=[(200, {}, {"status": "InProgress"})])
        with pytest.raises(OperationTimeoutError) as e:
            runner(az).run(call(), wait_timeout=30)
        assert "operationsStatus/op-1" in e.value.msg and "Run again" in e.value.msg
        extras = rs.failure_extras(e.value)
        assert extras["changed"] is True and "operationsStatus/op-1" in extras["operation_url"]

    def test_succeeded_without_job_id_finds_job(self):
        az = Azure(operation=[(200, {}, {"status": "Succeeded"})])
        az.on_post = lambda a: setattr(a, "jobs", [raw_job("job-found")])
        out = runner(az).run(call())
        assert out.job_id == "job-found"

    def test_wait_job_completed(self):
        az = Azure(job_states=["InProgress", "InProgress", "Completed"])
        clock = Clock()
        out = runner(az, clock).run(call(), wait="job")
        assert out.job["status"] == "Completed" and not out.warnings
        job_sleeps = clock.sleeps[-2:]
        assert job_sleeps == [rs.JOB_INTERVAL, rs.JOB_INTERVAL * rs.BACKOFF]
        assert rs.restore_outputs(out.job)["template_blob_uri"] == "https://sa/t.json"

    def test_wait_job_fixed_interval(self):
        az = Azure(job_states=["InProgress", "InProgress", "InProgress", "Completed"])
        clock = Clock()
        runner(az, clock).run(call(), wait="job", poll_interval=7)
        assert set(clock.sleeps) == {7}

    def test_wait_job_with_warnings(self):
        az = Azure(job_states=["CompletedWithWarnings"])
        out = runner(az).run(call(), wait="job")
        assert out.job["status"] == "CompletedWithWarnings"
        assert out.warnings and "Disk quota reached" in out.warnings[0] and "job-new" in out.warnings[0]

    def test_wait_job_failed(self):
        az = Azure(job_states=["InProgress", "Failed"])
        with pytest.raises(rs.RestoreJobError) as e:
            runner(az).run(call(), wait="job")
        assert "job-new" in e.value.msg and "UserErrorDiskQuota" not in e.value.msg
        assert "(400016) Disk quota reached" in e.value.msg
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["job_id"] == "job-new" and kwargs["error_code"] == "400016"
        assert rs.failure_extras(e.value)["changed"] is True

    def test_wait_job_cancelled(self):
        az = Azure(job_states=["Cancelled"])
        with pytest.raises(rs.RestoreJobError) as e:
            runner(az).run(call(), wait="job")
        assert "cancelled" in e.value.msg

    def test_wait_job_timeout_names_job_and_operation(self):
        az = Azure(job_states=["InProgress"])
        clock = Clock()
        with pytest.raises(OperationTimeoutError) as e:
            runner(az, clock).run(call(), wait="job", wait_timeout=100)
        assert "job-new" in e.value.msg and "operationsStatus/op-1" in e.value.msg
        assert e.value.job_id == "job-new"
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["job_id"] == "job-new" and "op-1" in kwargs["operation_url"]
        assert clock.now - 1000.0 <= 100.0 + 1e-6

    def test_attached_job_is_waited_for(self):
        az = Azure(jobs=[raw_job("job-old")], job_states=["InProgress", "Completed"])
        out = runner(az).run(call(), wait="job")
        assert out.changed is False and out.job_id == "job-old" and out.job["status"] == "Completed"
        assert az.posts() == 0

    def test_failed_job_seen_with_operation_wait(self):
        az = Azure(job_states=["Failed"])
        with pytest.raises(rs.RestoreJobError):
            runner(az).run(call())


class TestInProgressDetection:
    @pytest.mark.parametrize("code,expected", [
        ("UserErrorAnotherOperationInProgress", True), ("BMSUserErrorAnotherOperationInProgress", True),
        ("UserErrorStorageAccountIsZRS", False), (None, False)])
    def test_codes(self, code, expected):
        assert rs.is_in_progress_error(api_error(400, code)) is expected

    def test_ambiguous(self):
        assert rs.is_ambiguous(api_error(500)) and rs.is_ambiguous(api_error(504))
        assert not rs.is_ambiguous(api_error(400)) and not rs.is_ambiguous(api_error(429))
        assert rs.is_ambiguous(AzureConnectionError("x"))


# --------------------------------------------------------------------------------------------
# CRR token


def jwt(claims):
    def enc(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    return "%s.%s.signature" % (enc({"alg": "RS256", "typ": "JWT"}), enc(claims))


class TestAccessToken:
    def test_expiry(self):
        assert rs.jwt_expiry(jwt({"exp": 1700000000})) == 1700000000
        assert rs.jwt_expiry("not-a-jwt") is None
        assert rs.jwt_expiry("a.!!!.c") is None

    def test_usable(self):
        d = {"accessTokenString": jwt({"exp": 10000}), "recoveryPointId": "111"}
        assert rs.access_details_problem(d, "111", now=5000) is None

    def test_expired_or_expiring(self):
        d = {"accessTokenString": jwt({"exp": 10000}), "recoveryPointId": "111"}
        assert "expired" in rs.access_details_problem(d, "111", now=10001)
        assert "expires in" in rs.access_details_problem(d, "111", now=10000 - 30)

    def test_other_point_or_no_token(self):
        d = {"accessTokenString": jwt({"exp": 10000}), "recoveryPointId": "222"}
        assert "222" in rs.access_details_problem(d, "111", now=0)
        assert rs.access_details_problem({}, "111", now=0)

    def test_opaque_token_is_trusted(self):
        assert rs.access_details_problem({"accessTokenString": "opaque"}, "111", now=0) is None

    def test_crr_enabled(self):
        assert rs.crr_enabled({"properties": {"redundancySettings": {"crossRegionRestore": "Enabled"}}}) is True
        assert rs.crr_enabled({"properties": {"redundancySettings": {"crossRegionRestore": "Disabled"}}}) is False
        assert rs.crr_enabled({"properties": {}}) is None


class TestRestoreOutputs:
    def test_outputs(self):
        job = bk.normalize_job(raw_job("j", "Completed", bag={"Config Blob Uri": "https://c", "Template Blob Uri":
                                                              "https://t"}))
        assert rs.restore_outputs(job) == dict(restored_disks=[], config_blob_uri="https://c",
                                               template_blob_uri="https://t")

    def test_disk_ids_in_the_bag_are_returned(self):
        d1 = RG + "/rg-restore/providers/Microsoft.Compute/disks/vm-web-01-osdisk"
        d2 = RG + "/rg-restore/providers/Microsoft.Compute/disks/vm-web-01-datadisk-1"
        job = bk.normalize_job(raw_job("j", "Completed", bag={"Some Disks": "%s;%s" % (d1, d2), "Other": d1}))
        assert sorted(rs.restore_outputs(job)["restored_disks"]) == sorted([d1, d2])


class TestPreflightAndRefusals:
    def test_preflight_runs_only_for_a_new_restore(self):
        ran = []
        az = Azure(jobs=[raw_job("job-old")])
        runner(az).run(call(), preflight=lambda: ran.append(1))
        assert ran == []
        az = Azure()
        runner(az).run(call(), check_mode=True, preflight=lambda: ran.append(1))
        assert ran == [1] and az.posts() == 0

    def test_preflight_failure_after_a_concurrent_start_attaches(self):
        az = Azure()

        def preflight():
            # meanwhile another run started the same restore, and the target is taken now
            az.jobs = [raw_job("job-other")]
            raise ValidationError("a VM named vm2 already exists", option="target_vm_name")
        out = runner(az).run(call(), preflight=preflight)
        assert out.changed is False and out.attached and out.job_id == "job-other" and az.posts() == 0

    def test_preflight_failure_without_a_concurrent_start_fails(self):
        az = Azure()

        def preflight():
            raise ValidationError("bad", option="disk_luns")
        with pytest.raises(ValidationError):
            runner(az).run(call(), preflight=preflight)
        assert az.posts() == 0

    def test_fix_refusal_once(self):
        az = Azure(post=[api_error(400, "UserErrorCrossRegionRestoreAccessTokenExpired", "expired"),
                         (202, {"Azure-AsyncOperation": OP_URL}, None)])
        fixes = []

        def fix(err):
            fixes.append(err.error_code)
            return True
        out = rs.RestoreRunner(az.client, rs.PrimaryJobs(az.client, VAULT), sleep=Clock().sleep, clock=Clock(),
                               fix_refusal=fix).run(call())
        assert fixes == ["UserErrorCrossRegionRestoreAccessTokenExpired"] and az.posts() == 2 and out.changed

    def test_fix_refusal_not_twice(self):
        az = Azure(post=[api_error(400, "UserErrorCrossRegionRestoreAccessTokenExpired", "expired")])
        with pytest.raises(AzureApiError):
            rs.RestoreRunner(az.client, rs.PrimaryJobs(az.client, VAULT), sleep=Clock().sleep, clock=Clock(),
                             fix_refusal=lambda e: True).run(call())
        assert az.posts() == 2

    def test_in_progress_after_a_lost_answer_is_our_own(self):
        az = Azure(post=[api_error(500, "InternalServerError"),
                         api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        calls = {"n": 0}

        def on_post(a):
            calls["n"] += 1
            if calls["n"] == 2:
                a.jobs = [raw_job("job-mine")]
        az.on_post = on_post
        out = runner(az).run(call())
        assert out.changed is True and out.attached and out.job_id == "job-mine" and az.posts() == 2

    def test_validation_ignores_operation_in_progress(self):
        answer = {"validateOperationResponse": {"validationResults": [
            {"code": "UserErrorAnotherOperationInProgress", "message": "Another restore is in progress"}]}}
        rs.validate_with_azure(FakeClient(lambda *a: (200, {}, answer)), VAULT, "/rp", {})

    def test_premium_staging_refused(self):
        client, dummy = world(**{SA: {"location": "westeurope", "sku": {"name": "Premium_LRS"}}})
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), rs.resolve_targets(params(), SUB, "westeurope"),
                               "restore_disks", item_ref().vm_id)
        assert "premium" in e.value.msg


# --------------------------------------------------------------------------------------------
# faults: an operation still pending, connections lost, following a started restore, not found


class TestFaults:
    def test_in_progress_waits_for_the_job_of_a_pending_operation(self):
        # A run that timed out while following its operation leaves an operation without a job;
        # the re-run's request meets "another operation in progress" and waits for that job.
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        clock = Clock()
        orig = az.handle

        def handle(method, url, p, body):
            if method == "GET" and url.endswith("/backupJobs") and clock.now >= 1060:
                az.jobs = [raw_job("job-pending")]
            return orig(method, url, p, body)
        az.client.handler = handle
        out = runner(az, clock).run(call(), wait="operation", wait_timeout=600)
        assert out.changed is False and out.attached and out.job_id == "job-pending" and az.posts() == 1
        assert az.list_calls > 1 + rs.LOOKUPS and clock.now - 1000 < rs.IN_PROGRESS_PATIENCE

    def test_in_progress_patience_is_bounded_by_wait_timeout(self):
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        clock = Clock()
        with pytest.raises(AzureApiError) as e:
            runner(az, clock).run(call(), wait="job", wait_timeout=40)
        assert "another operation is in progress" in e.value.msg and 40 <= clock.now - 1000 <= 45

    def test_in_progress_of_another_restore_fails_at_once(self):
        az = Azure(jobs=[raw_job("job-other", rp_time="11/19/2026 10:07:11 PM")],
                   post=[api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        clock = Clock()
        with pytest.raises(AzureApiError):
            runner(az, clock).run(call(), wait="job", wait_timeout=3600)
        assert az.list_calls == 1 + rs.LOOKUPS and clock.now - 1000 <= rs.LOOKUPS * rs.LOOKUP_INTERVAL

    def test_in_progress_without_waiting_looks_a_few_times_only(self):
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        with pytest.raises(AzureApiError):
            runner(az).run(call(), wait="none", wait_timeout=3600)
        assert az.list_calls == 1 + rs.LOOKUPS

    def test_connection_lost_every_time_says_what_was_tried(self):
        err = AzureConnectionError("POST https://x lost its connection", method="POST", url="https://x",
                                   reason="ConnectionError: reset")
        az = Azure(post=[err])
        with pytest.raises(AzureConnectionError) as e:
            runner(az).run(call())
        assert az.posts() == rs.POST_ATTEMPTS and e.value.attempts == rs.POST_ATTEMPTS
        assert e.value.msg.startswith("Failed to restore vm-web-01: the request lost its connection")
        assert "no restore job appeared" in e.value.msg and "not retried" not in e.value.msg

    def test_failure_while_following_a_started_restore(self):
        az = Azure(operation=[api_error(503, "ServiceUnavailable", "later")])
        with pytest.raises(AzureApiError) as e:
            runner(az).run(call(), wait="job")
        assert e.value.msg.startswith("Started to restore vm-web-01 (operation https://management.azure.com/")
        assert "but following it failed" in e.value.msg and "run the task again" in e.value.msg
        extras = rs.failure_extras(e.value)
        assert extras["changed"] is True and extras["operation_url"].endswith("op-1?api-version=2024-04-01")

    def test_failure_while_following_an_attached_job(self):
        az = Azure(jobs=[raw_job("job-old")])
        orig = az.handle

        def handle(method, url, p, body):
            if "/backupJobs/" in url:
                raise AzureConnectionError("GET https://x failed after 7 attempt(s): reset", method="GET",
                                           url="https://x", attempts=7)
            return orig(method, url, p, body)
        az.client.handler = handle
        with pytest.raises(AzureConnectionError) as e:
            runner(az).run(call(), wait="job")
        assert e.value.msg.startswith("Attached to job job-old (restore vm-web-01), but following it failed")

    @pytest.mark.parametrize("code,option,text", [
        ("ResourceNotFound", "vault_name", "vault rsv-prod does not exist in resource group rg-vault"),
        ("ResourceGroupNotFound", "vault_resource_group", "resource group rg-vault of vault rsv-prod does not exist"),
        ("SubscriptionNotFound", "subscription_id", "subscription %s was not found" % SUB),
    ])
    def test_vault_not_found_names_the_option_and_azures_answer(self, code, option, text):
        client = FakeClient(lambda *a: (404, {"x-ms-correlation-request-id": "corr-7"},
                                        {"error": {"code": code, "message": "Azure says no"}}))
        with pytest.raises(ValidationError) as e:
            rs.read_vault(client, item_ref())
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["option"] == option and kwargs["msg"].startswith(text)
        assert kwargs["error_code"] == code and kwargs["correlation_id"] == "corr-7" and kwargs["status_code"] == 404
        assert "(%s) Azure says no (correlation id corr-7)" % code in kwargs["msg"]

    def test_missing_target_resource_carries_azures_answer(self):
        client, dummy = world(**{SA: None})
        with pytest.raises(ValidationError) as e:
            rs.check_resources(rs.ResourceCache(client), rs.resolve_targets(params(), SUB, "westeurope"),
                               "restore_disks", item_ref().vm_id)
        assert e.value.option == "staging_storage_account"
        assert e.value.to_fail_kwargs()["error_code"] == "ResourceNotFound"

    def test_azure_validation_findings_carry_the_correlation_id(self):
        answer = {"validateOperationResponse": {"validationResults": [{"code": "UserErrorX", "message": "no"}]}}
        client = FakeClient(lambda *a: (200, {"x-ms-correlation-request-id": "corr-v", "x-ms-request-id": "req-v"},
                                        answer))
        with pytest.raises(rs.AzureValidationError) as e:
            rs.validate_with_azure(client, VAULT, "/rp", {})
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["correlation_id"] == "corr-v" and kwargs["request_id"] == "req-v"
        assert kwargs["error_code"] == "UserErrorX" and "(correlation id corr-v)" in kwargs["msg"]

    def test_in_progress_because_of_a_backup_fails_without_waiting(self):
        # The vault's restore jobs (filtered by operation) do not show the running backup: the
        # running jobs of any operation do, so the task does not wait for a job that never comes.
        backup = bk.normalize_job(raw_job("job-backup", operation="Backup"))

        class Jobs(object):
            operation = "Restore"
            running_calls = 0

            def list(self, since=None):
                return []

            def running(self):
                Jobs.running_calls += 1
                return [backup]

            def get(self, job_id):
                raise AssertionError("no job to read")
        client = FakeClient(lambda *a: api_error(400, "UserErrorAnotherOperationInProgress", "a backup runs"))
        clock = Clock()
        runner_ = rs.RestoreRunner(client, Jobs(), sleep=clock.sleep, clock=clock)
        with pytest.raises(AzureApiError) as e:
            runner_.run(call(), wait="job", wait_timeout=3600)
        assert "a backup runs" in e.value.msg and Jobs.running_calls == 1
        assert clock.now - 1000 <= rs.LOOKUPS * rs.LOOKUP_INTERVAL
