# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

import pytest
import responses

from ansible_collections.azbackup.restore.plugins.module_utils import _module
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    RestoreFailedError,
    ValidationError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_checks import AzureValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._restore_flavours import PrimaryRestore, restore
from ansible_collections.azbackup.restore.plugins.modules import vm_restore
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import (
    ARM,
    ITEM,
    RGS,
    SUB,
    VAULT,
    VM,
    Clock,
    ExitJson,
    FailJson,
    make_client,
    run_module_main,
)

SA = RGS + "/rg-restore/providers/Microsoft.Storage/storageAccounts/strestorewe"
VNET = RGS + "/rg-restore/providers/Microsoft.Network/virtualNetworks/vnet-restore"


def rp_doc(name, time, tiers=("InstantRP", "HardenedRP"), luns=(0, 1), archived=False):
    tier_list = [{"type": t, "status": "Valid"} for t in tiers]
    if archived:
        tier_list = [{"type": "ArchivedRP", "status": "Valid"}]
    return {"id": ITEM + "/recoveryPoints/" + name, "name": name,
            "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints",
            "properties": {"objectType": "IaasVMRecoveryPoint", "recoveryPointType": "CrashConsistent",
                           "recoveryPointTime": time, "isManagedVirtualMachine": True,
                           "recoveryPointTierDetails": tier_list,
                           "recoveryPointDiskConfiguration": {
                               "includedDiskList": [{"lun": x, "name": "d%d" % x} for x in luns]}}}


def us(time):
    # 2026-11-20T22:07:11Z -> 11/20/2026 10:07:11 PM
    import datetime
    dt = datetime.datetime.strptime(time, "%Y-%m-%dT%H:%M:%SZ")
    return dt.strftime("%m/%d/%Y %I:%M:%S %p")


class FakeAzure(object):
    """A scripted Azure for one module run: answers the requests the module sends, records them."""

    def __init__(self, rsps):
        self.points = [rp_doc("300", "2026-11-20T22:07:11Z"), rp_doc("200", "2026-11-19T22:07:11Z"),
                       rp_doc("100", "2026-10-10T22:07:11Z", archived=True)]
        self.resources = {
            VAULT: {"id": VAULT, "name": "rsv-prod", "location": "westeurope", "properties": {
                "redundancySettings": {"crossRegionRestore": "Enabled"}}},
            SA: {"id": SA, "location": "westeurope", "sku": {"name": "Standard_LRS"}},
            RGS + "/rg-restore": {"location": "westeurope"},
            RGS + "/rg-prod": {"location": "westeurope"},
            VM: {"location": "westeurope"},
            VNET: {"location": "westeurope", "properties": {"subnets": [{"name": "default"}]}},
        }
        self.jobs = {}
        self.validation_results = []
        self.restore_answer = None
        self.job_status = "InProgress"
        self.requests = []
        rsps.add_callback(responses.GET, re.compile(r"https://management\.azure\.com/.*"), callback=self.handle)
        rsps.add_callback(responses.POST, re.compile(r"https://management\.azure\.com/.*"), callback=self.handle)

    def handle(self, request):
        path = request.path_url.split("?")[0]
        body = json.loads(request.body) if request.body else None
        self.requests.append((request.method, request.url, body))
        low = path.lower()
        if request.method == "POST" and low.endswith("/restore"):
            if self.restore_answer:
                return self.restore_answer
            rp_name = path.split("/")[-2]
            point = [p for p in self.points if p["name"] == rp_name][0]
            props = body["properties"]
            job_id = "job-%d" % (len(self.jobs) + 1)
            self.jobs[job_id] = dict(rp_time=point["properties"]["recoveryPointTime"], props=props)
            return 202, {"Azure-AsyncOperation": ARM + ITEM + "/operationsStatus/%s?api-version=2024-04-01" % job_id,
                         "Location": ARM + ITEM + "/operationResults/%s?api-version=2024-04-01" % job_id}, ""
        if request.method == "POST" and low.endswith("/backupvalidateoperation"):
            return 200, {}, json.dumps({"validateOperationResponse": {"validationResults": self.validation_results}})
        if "/operationsstatus/" in low:
            job_id = path.rsplit("/", 1)[1]
            return 200, {}, json.dumps({"id": job_id, "name": job_id, "status": "Succeeded", "properties": {
                "objectType": "OperationStatusJobExtendedInfo", "jobId": job_id}})
        if low.endswith("/backupjobs"):
            return 200, {}, json.dumps({"value": [self.job_doc(j) for j in self.jobs]})
        if "/backupjobs/" in low:
            return 200, {}, json.dumps(self.job_doc(path.rsplit("/", 1)[1]))
        if low.endswith("/recoverypoints"):
            return 200, {}, json.dumps({"value": self.points})
        if "/recoverypoints/" in low:
            name = path.rsplit("/", 1)[1]
            found = [p for p in self.points if p["name"] == name]
            if not found:
                return 404, {}, json.dumps({"error": {"code": "BMSUserErrorObjectNotFound", "message": "no rp"}})
            return 200, {}, json.dumps(found[0])
        for rid, doc in self.resources.items():
            if rid.lower() == low:
                if doc is None:
                    break
                return 200, {}, json.dumps(doc)
        return 404, {"x-ms-correlation-request-id": "corr-1"}, json.dumps(
            {"error": {"code": "ResourceNotFound", "message": "%s was not found" % path}})

    def job_doc(self, job_id):
        job = self.jobs[job_id]
        props = job["props"]
        restore_type = props["recoveryType"]
        bag = {"Recovery point time ": us(job["rp_time"]), "Target Storage Account Name":
               props["storageAccountId"].rsplit("/", 1)[1]}
        if props.get("targetResourceGroupId"):
            bag["Target resource group"] = props["targetResourceGroupId"].rsplit("/", 1)[1]
        if props.get("targetVirtualMachineId"):
            bag["Target VM Name"] = props["targetVirtualMachineId"].rsplit("/", 1)[1]
        if self.job_status.startswith("Completed"):
            bag["Config Blob Uri"] = "https://strestorewe.blob.core.windows.net/c/config.json"
            bag["Template Blob Uri"] = "https://strestorewe.blob.core.windows.net/c/azuredeploy.json"
        return {"id": VAULT + "/backupJobs/" + job_id, "name": job_id, "properties": {
            "jobType": "AzureIaaSVMJob", "entityFriendlyName": "vm-web-01", "operation": "Restore",
            "status": self.job_status, "startTime": "2026-11-21T08:00:00Z", "backupManagementType": "AzureIaasVM",
            "extendedInfo": {"propertyBag": bag, "internalPropertyBag": {"restoreLocationType": restore_type}}}}

    def posts(self, suffix):
        return [r for r in self.requests if r[0] == "POST" and r[1].split("?")[0].lower().endswith(suffix.lower())]


@pytest.fixture
def azure():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeAzure(rsps)


def client():
    return make_client(max_attempts=1)


def params(**kw):
    base = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01",
                vm_resource_group="rg-prod", restore_type="restore_disks", staging_storage_account="strestorewe",
                staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore",
                api_version="2024-04-01", wait="operation", wait_timeout=600, poll_interval=None, force=False,
                select="latest", restore_os_disk_only=False, restore_as_unmanaged_disks=False)
    base.update(kw)
    return base


def run(p, check_mode=False):
    clock = Clock()
    return restore(PrimaryRestore(client(), p, SUB), check_mode=check_mode, sleep=clock.sleep, clock=clock)


def refusal(err):
    """The ValidationError behind a refusal (raised as is, or as the cause of a RestoreFailedError)."""
    cause = err.cause if isinstance(err, RestoreFailedError) else err
    assert isinstance(cause, ValidationError), err
    return cause


class TestRequest:
    def test_restore_disks_body_and_result(self, azure):
        result = run(params(disk_luns=[1]))
        post = azure.posts("/restore")
        assert len(post) == 1
        assert "/recoveryPoints/300/restore?api-version=2024-04-01" in post[0][1]
        assert post[0][2] == result["request"] == {"properties": {
            "objectType": "IaasVMRestoreRequest", "recoveryPointId": "300", "recoveryType": "RestoreDisks",
            "sourceResourceId": VM, "storageAccountId": SA, "region": "westeurope", "createNewCloudService": True,
            "originalStorageAccountOption": False, "encryptionDetails": {"encryptionEnabled": False},
            "targetResourceGroupId": RGS + "/rg-restore", "restoreDiskLunList": [1]}}
        assert result["changed"] is True and result["job_id"] == "job-1" and result["job"]["status"] == "InProgress"
        assert result["operation_url"].endswith("/operationsStatus/job-1?api-version=2024-04-01")
        assert result["recovery_point"]["name"] == "300"
        assert result["restored_disks"] == [] and result["template_blob_uri"] is None

    def test_validate_sent_before_restore(self, azure):
        run(params())
        kinds = [r[1].split("?")[0].rsplit("/", 1)[1] for r in azure.requests if r[0] == "POST"]
        assert kinds == ["backupValidateOperation", "restore"]
        validate = azure.posts("/backupValidateOperation")[0][2]
        assert validate["id"].endswith("/recoveryPoints/300")
        assert validate["properties"]["objectType"] == "ValidateIaasVMRestoreOperationRequest"
        assert validate["properties"]["restoreRequest"] == azure.posts("/restore")[0][2]["properties"]

    def test_new_vm(self, azure):
        # another zone in the vault's own region: a zone-redundant vault (as the Azure CLI checks it)
        azure.resources[VAULT]["properties"]["redundancySettings"]["standardTierStorageRedundancy"] = "ZoneRedundant"
        result = run(params(restore_type="new_vm", target_vm_name="vm-new", target_virtual_network="vnet-restore",
                            target_subnet="default", target_zone="1"))
        req = result["request"]["properties"]
        assert req["recoveryType"] == "AlternateLocation" and req["zones"] == ["1"]
        assert req["targetVirtualMachineId"] == RGS + "/rg-restore/providers/Microsoft.Compute/virtualMachines/vm-new"
        assert req["subnetId"] == VNET + "/subnets/default"

    def test_replace_disks(self, azure):
        result = run(params(restore_type="replace_disks", target_resource_group=None, recovery_point_id="200"))
        req = result["request"]["properties"]
        assert req["recoveryType"] == "OriginalLocation" and req["recoveryPointId"] == "200"
        assert "targetResourceGroupId" not in req

    def test_archive_with_rehydration(self, azure):
        result = run(params(tier="archive", rehydration_priority="High"))
        req = result["request"]["properties"]
        assert req["recoveryPointId"] == "100"
        assert req["objectType"] == "IaasVMRestoreWithRehydrationRequest"
        assert req["recoveryPointRehydrationInfo"] == {"rehydrationPriority": "High",
                                                       "rehydrationRetentionDuration": "P15D"}

    def test_selectors(self, azure):
        result = run(params(end_time="2026-11-20T00:00:00Z"))
        assert result["recovery_point"]["name"] == "200"
        get = [r for r in azure.requests if r[0] == "GET" and r[1].split("?")[0].endswith("/recoveryPoints")][0]
        assert "$filter=endDate%20eq%20'2026-11-20%2012:00:00%20AM'" in get[1]


class TestCheckMode:
    def test_no_restore_post(self, azure):
        result = run(params(), check_mode=True)
        assert result["changed"] is True
        assert not azure.posts("/restore") and len(azure.posts("/backupValidateOperation")) == 1
        assert result["request"]["properties"]["recoveryType"] == "RestoreDisks"

    def test_would_attach(self, azure):
        run(params())
        result = run(params(), check_mode=True)
        assert result["changed"] is False and result["job_id"] == "job-1"
        assert len(azure.posts("/restore")) == 1


class TestIdempotency:
    def test_second_run_attaches(self, azure):
        first = run(params())
        second = run(params())
        assert first["changed"] is True and second["changed"] is False and second["attached"] is True
        assert second["job_id"] == first["job_id"]
        assert len(azure.posts("/restore")) == 1
        # the second run did not re-validate
        assert len(azure.posts("/backupValidateOperation")) == 1

    def test_other_target_restores_again(self, azure):
        azure.resources[RGS + "/rg-dr"] = {"location": "northeurope"}
        run(params())
        result = run(params(target_resource_group="rg-dr"))
        assert result["changed"] is True and len(azure.posts("/restore")) == 2

    def test_force(self, azure):
        run(params())
        result = run(params(force=True))
        assert result["changed"] is True and result["job_id"] == "job-2"

    def test_replace_disks_never_twice(self, azure):
        p = params(restore_type="replace_disks", target_resource_group=None)
        run(p)
        azure.job_status = "Completed"
        result = run(p)
        assert result["changed"] is False and len(azure.posts("/restore")) == 1


class TestPreflight:
    def assert_refused(self, azure, p, option, text):
        with pytest.raises((ValidationError, RestoreFailedError)) as e:
            run(p)
        assert refusal(e.value).option == option, e.value.msg
        assert e.value.to_fail_kwargs()["option"] == option
        assert text in e.value.msg
        assert not azure.posts("/restore")
        return e.value

    def test_missing_point(self, azure):
        self.assert_refused(azure, params(recovery_point_id="999"), "recovery_point_id", "does not exist")

    def test_luns(self, azure):
        self.assert_refused(azure, params(disk_luns=[0, 7]), "disk_luns", "7")

    def test_archive_needs_rehydration(self, azure):
        self.assert_refused(azure, params(recovery_point_id="100"), "rehydration_priority", "archive")

    def test_storage_missing(self, azure):
        azure.resources[SA] = None
        self.assert_refused(azure, params(), "staging_storage_account", "does not exist")

    def test_storage_zrs(self, azure):
        azure.resources[SA] = {"location": "westeurope", "sku": {"name": "Standard_ZRS"}}
        self.assert_refused(azure, params(), "staging_storage_account", "zone-redundant")

    def test_storage_region(self, azure):
        azure.resources[SA] = {"location": "eastus", "sku": {"name": "Standard_LRS"}}
        self.assert_refused(azure, params(), "staging_storage_account", "eastus")

    def test_target_group_missing(self, azure):
        self.assert_refused(azure, params(target_resource_group="rg-nope"), "target_resource_group", "rg-nope")

    def test_managed_needs_group(self, azure):
        self.assert_refused(azure, params(target_resource_group=None), "target_resource_group", "unmanaged")

    def test_new_vm_name_taken(self, azure):
        self.assert_refused(azure, params(restore_type="new_vm", target_vm_name="vm-web-01",
                                          target_resource_group="rg-prod", target_virtual_network=VNET,
                                          target_subnet="default"),
                            "target_vm_name", "already exists")

    def test_new_vm_subnet_missing(self, azure):
        self.assert_refused(azure, params(restore_type="new_vm", target_vm_name="vm-new",
                                          target_virtual_network="vnet-restore", target_subnet="other"),
                            "target_subnet", "other")

    def test_replace_needs_source(self, azure):
        azure.resources[VM] = None
        self.assert_refused(azure, params(restore_type="replace_disks", target_resource_group=None),
                            "restore_type", "does not exist")

    def test_replace_refuses_target_vm_name(self, azure):
        self.assert_refused(azure, params(restore_type="replace_disks", target_resource_group=None,
                                          target_vm_name="vm-x"), "target_vm_name", "replace_disks")
        assert not azure.requests

    def test_other_region(self, azure):
        self.assert_refused(azure, params(region="northeurope"), "region", "crr_restore")

    def test_azure_validation(self, azure):
        azure.validation_results = [{"code": "UserErrorCoreCountSubscriptionQuotaReached",
                                     "message": "Core Count subscription quota has been reached."}]
        with pytest.raises(RestoreFailedError) as e:
            run(params())
        assert isinstance(e.value.cause, AzureValidationError)
        assert "UserErrorCoreCountSubscriptionQuotaReached" in e.value.msg and not azure.posts("/restore")

    def test_one_get_per_resource(self, azure):
        run(params())
        gets = [r[1].split("?")[0].lower() for r in azure.requests if r[0] == "GET"]
        resources = [g for g in gets if not g.endswith("/backupjobs")]
        assert len(resources) == len(set(resources))
        # the job list: the idempotency search, and a last look just before the request
        assert len([g for g in gets if g.endswith("/backupjobs")]) == 2


class TestFailures:
    def test_refusal_carries_azure_code(self, azure):
        azure.restore_answer = (400, {"x-ms-correlation-request-id": "corr-9"}, json.dumps(
            {"error": {"code": "UserErrorStorageAccountIsZRS", "message": "The storage account is ZRS"}}))
        with pytest.raises(RestoreFailedError) as e:
            run(params())
        assert isinstance(e.value.cause, AzureApiError)
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["error_code"] == "UserErrorStorageAccountIsZRS" and kwargs["correlation_id"] == "corr-9"
        assert kwargs["msg"].startswith("Failed to restore vm;iaasvmcontainerv2;rg-prod;vm-web-01 (restore_disks) "
                                        "from recovery point 300: (UserErrorStorageAccountIsZRS)")
        assert kwargs["request"]["properties"]["recoveryPointId"] == "300"

    def test_job_timeout_names_job(self, azure):
        with pytest.raises(RestoreFailedError) as e:
            run(params(wait="job", wait_timeout=60))
        extras = e.value.to_fail_kwargs()
        assert extras["job_id"] == "job-1" and extras["changed"] is True
        assert "job-1" in e.value.msg and "operationsStatus/job-1" in e.value.msg

    def test_job_completed_with_outputs(self, azure):
        azure.job_status = "Completed"
        result = run(params(wait="job"))
        assert result["template_blob_uri"].endswith("azuredeploy.json")
        assert result["config_blob_uri"].endswith("config.json")


# --------------------------------------------------------------------------------------------
# main(): the Ansible side


def run_main(monkeypatch, args, check_mode=False, sleep=None):
    kind, result, dummy = run_module_main(monkeypatch, vm_restore, args, check_mode=check_mode, sleep=sleep)
    return kind, result


MAIN_ARGS = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01",
                 vm_resource_group="rg-prod", restore_type="restore_disks", staging_storage_account="strestorewe",
                 staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore",
                 subscription_id=SUB)


class TestMain:
    def test_ok(self, azure, monkeypatch):
        kind, result = run_main(monkeypatch, MAIN_ARGS)
        assert kind is ExitJson and result["changed"] is True and result["job_id"] == "job-1"

    def test_check_mode(self, azure, monkeypatch):
        kind, result = run_main(monkeypatch, MAIN_ARGS, check_mode=True)
        assert kind is ExitJson and result["changed"] is True and not azure.posts("/restore")

    def test_fail_has_option(self, azure, monkeypatch):
        kind, result = run_main(monkeypatch, dict(MAIN_ARGS, disk_luns=[9]))
        assert kind is FailJson and result["option"] == "disk_luns" and "9" in result["msg"]

    def test_argspec_refuses_exclusive_selection(self, azure, monkeypatch):
        kind, result = run_main(monkeypatch, dict(MAIN_ARGS, recovery_point_id="300", tier="vault"))
        assert kind is FailJson and "mutually exclusive" in result["msg"]

    def test_completed_with_warnings_warns(self, azure, monkeypatch):
        azure.job_status = "CompletedWithWarnings"
        warnings = []
        monkeypatch.setattr(_module.AnsibleModule, "warn", lambda self, w: warnings.append(w))
        kind, result = run_main(monkeypatch, dict(MAIN_ARGS, wait="job"))
        assert kind is ExitJson and warnings and "completed with warnings" in warnings[0]
