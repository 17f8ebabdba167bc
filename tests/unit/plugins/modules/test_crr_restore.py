# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re
import time

import pytest
import responses

from ansible_collections.azbackup.restore.plugins.module_utils._crr import MASKED
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    RestoreFailedError,
    ValidationError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_flavours import CrossRegionRestore, restore
from ansible_collections.azbackup.restore.plugins.modules import crr_restore
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import (
    ARM,
    ITEM,
    RGS,
    SUB,
    VAULT,
    Clock,
    ExitJson,
    FailJson,
    make_client,
    run_module_main,
)

SA_NE = RGS + "/rg-dr/providers/Microsoft.Storage/storageAccounts/strestorene"
SA_WE = RGS + "/rg-restore/providers/Microsoft.Storage/storageAccounts/strestorewe"
L2 = "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/northeurope" % SUB


def jwt(exp, rp="200"):
    def enc(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")
    return "%s.%s.sig-%s" % (enc({"alg": "HS256"}), enc({"exp": exp, "r": rp}), rp)


def rp_doc(name, time_, replicated=True, archived=False):
    tiers = [{"type": "HardenedRP", "status": "Valid"}]
    if archived:
        tiers = [{"type": "ArchivedRP", "status": "Valid"}]
    return {"id": ITEM + "/recoveryPoints/" + name, "name": name, "properties": {
        "objectType": "IaasVMRecoveryPoint", "recoveryPointType": "CrashConsistent", "recoveryPointTime": time_,
        "isManagedVirtualMachine": True, "recoveryPointTierDetails": tiers,
        "recoveryPointDiskConfiguration": {"includedDiskList": [{"lun": 0}, {"lun": 1}]}}}


class FakeAzure(object):
    def __init__(self, rsps):
        self.crr = True
        self.secondary_points = [rp_doc("200", "2026-11-19T22:07:11Z"), rp_doc("150", "2026-11-18T22:07:11Z")]
        self.resources = {
            SA_NE: {"location": "northeurope", "sku": {"name": "Standard_LRS"}},
            SA_WE: {"location": "westeurope", "sku": {"name": "Standard_LRS"}},
            RGS + "/rg-dr": {"location": "northeurope"},
        }
        self.token_lifetime = 86400
        self.tokens_issued = []
        self.refuse_token = None
        self.jobs = {}
        self.requests = []
        self.job_status = "InProgress"
        for method in (responses.GET, responses.POST):
            rsps.add_callback(method, re.compile(r"https://management\.azure\.com/.*"), callback=self.dispatch)

    def dispatch(self, request):
        # late bound, so that a test can replace handle()
        return self.handle(request)

    def handle(self, request):
        path = request.path_url.split("?")[0]
        low = path.lower()
        body = json.loads(request.body) if request.body else None
        self.requests.append((request.method, request.url, body))
        if low == VAULT.lower():
            return 200, {}, json.dumps({"id": VAULT, "location": "westeurope", "properties": {
                "redundancySettings": {"crossRegionRestore": "Enabled" if self.crr else "Disabled"}}})
        if low == ("/subscriptions/%s/locations" % SUB):
            return 200, {}, json.dumps({"value": [
                {"name": "westeurope", "metadata": {"pairedRegion": [{"name": "northeurope"}]}},
                {"name": "northeurope", "metadata": {"pairedRegion": [{"name": "westeurope"}]}}]})
        if low.endswith("/recoverypoints/"):
            # RecoveryPointsCrr_List spells the list URL with a trailing slash
            assert "api-version=2023-01-15" in request.url
            return 200, {}, json.dumps({"value": self.secondary_points})
        if "/recoverypoints/" in low and not low.endswith("/accesstoken"):
            name = path.rsplit("/", 1)[1]
            found = [p for p in self.secondary_points if p["name"] == name]
            if not found:
                return 404, {}, json.dumps({"error": {"code": "BMSUserErrorObjectNotFound", "message": "no"}})
            return 200, {}, json.dumps(found[0])
        if low.endswith("/backupaadproperties"):
            return 200, {}, json.dumps({"properties": {"tenantId": "t", "audience": "https://aud/northeurope"}})
        if low.endswith("/accesstoken"):
            assert body["properties"]["audience"] == "https://aud/northeurope"
            rp = path.split("/")[-2]
            token = jwt(time.time() + self.token_lifetime, rp)
            self.tokens_issued.append(token)
            return 200, {}, json.dumps({"properties": {"objectType": "WorkloadCrrAccessToken",
                                                       "accessTokenString": token, "recoveryPointId": rp}})
        if low.endswith("/backupcrossregionrestore"):
            token = body["crossRegionRestoreAccessDetails"]["accessTokenString"]
            if self.refuse_token and token == self.refuse_token:
                return 400, {}, json.dumps({"error": {"code": "UserErrorCrossRegionRestoreAccessTokenExpired",
                                                      "message": "The token expired."}})
            job_id = "crr-%d" % (len(self.jobs) + 1)
            self.jobs[job_id] = body["restoreRequest"]
            url = ARM + L2 + "/backupCrrOperationsStatus/%s?api-version=2023-01-15&t=1&c=abc&s=x%%2By&h=sig" % job_id
            return 202, {"Azure-AsyncOperation": url}, ""
        if "/backupcrroperationsstatus/" in low:
            assert "&h=sig" in request.url, "the signed URL must be used verbatim"
            job_id = path.rsplit("/", 1)[1]
            return 200, {}, json.dumps({"status": "Succeeded", "properties": {"jobId": job_id}})
        if low.endswith("/backupcrrjobs"):
            assert body == {"resourceId": VAULT}
            return 200, {}, json.dumps({"value": [self.job_doc(j) for j in self.jobs]})
        if low.endswith("/backupcrrjob"):
            assert body["resourceId"] == VAULT
            return 200, {}, json.dumps(self.job_doc(body["jobName"]))
        for rid, doc in self.resources.items():
            if rid.lower() == low and doc is not None:
                return 200, {}, json.dumps(doc)
        return 404, {}, json.dumps({"error": {"code": "ResourceNotFound", "message": "%s not found" % path}})

    def job_doc(self, job_id):
        req = self.jobs[job_id]
        point = [p for p in self.secondary_points if p["name"] == req["recoveryPointId"]][0]
        import datetime
        t = datetime.datetime.strptime(point["properties"]["recoveryPointTime"], "%Y-%m-%dT%H:%M:%SZ")
        bag = {"Recovery point time ": t.strftime("%m/%d/%Y %I:%M:%S %p"),
               "Target Storage Account Name": req["storageAccountId"].rsplit("/", 1)[1],
               "Target resource group": (req.get("targetResourceGroupId") or "").rsplit("/", 1)[-1]}
        return {"id": L2 + "/backupJobs/" + job_id, "name": job_id, "properties": {
            "jobType": "AzureIaaSVMJob", "entityFriendlyName": "vm-web-01", "operation": "CrossRegionRestore",
            "status": self.job_status, "startTime": "2026-11-21T08:00:00Z",
            "extendedInfo": {"propertyBag": bag, "internalPropertyBag": {"restoreLocationType": req["recoveryType"]}}}}

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
                vm_resource_group="rg-prod", restore_type="restore_disks", staging_storage_account="strestorene",
                staging_storage_account_resource_group="rg-dr", target_resource_group="rg-dr",
                api_version="2023-01-15", wait="operation", wait_timeout=600, poll_interval=None, force=False,
                select="latest", restore_os_disk_only=False, restore_as_unmanaged_disks=False)
    base.update(kw)
    return base


def run(p, check_mode=False, secrets=None):
    clock = Clock()
    flavour = CrossRegionRestore(client(), p, SUB)
    try:
        return restore(flavour, check_mode=check_mode, sleep=clock.sleep, clock=clock)
    finally:
        if secrets is not None:
            secrets.update(flavour.secrets)


class TestFlow:
    def test_fetches_token_when_none_given(self, azure):
        secrets = set()
        result = run(params(), secrets=secrets)
        assert result["secondary_region"] == "northeurope" and result["access_token_source"] == "fetched"
        post = azure.posts("/backupCrossRegionRestore")
        assert len(post) == 1 and "/locations/northeurope/" in post[0][1] and "api-version=2023-01-15" in post[0][1]
        body = post[0][2]
        assert set(body) == {"crossRegionRestoreAccessDetails", "restoreRequest"}
        assert body["crossRegionRestoreAccessDetails"]["accessTokenString"] == azure.tokens_issued[0]
        rr = body["restoreRequest"]
        assert rr["region"] == "northeurope" and rr["objectType"] == "IaasVMRestoreRequest"
        assert rr["recoveryPointId"] == "200" and rr["storageAccountId"] == SA_NE
        assert rr["targetResourceGroupId"] == RGS + "/rg-dr"
        assert result["changed"] is True and result["job_id"] == "crr-1" and result["job"]["operation"] == \
            "CrossRegionRestore"
        assert result["operation_url"].endswith("&t=1&c=abc&s=x%2By&h=sig")
        assert azure.tokens_issued[0] in secrets
        assert azure.tokens_issued[0] not in json.dumps(result)
        assert result["request"]["crossRegionRestoreAccessDetails"]["accessTokenString"] == MASKED

    def test_uses_given_token(self, azure):
        given = {"objectType": "WorkloadCrrAccessToken", "accessTokenString": jwt(time.time() + 3600),
                 "recoveryPointId": "200"}
        result = run(params(access_details=given))
        assert result["access_token_source"] == "given" and not azure.posts("/accessToken")
        assert azure.posts("/backupCrossRegionRestore")[0][2]["crossRegionRestoreAccessDetails"] == given

    def test_given_token_picks_its_point(self, azure):
        given = {"accessTokenString": jwt(time.time() + 3600, "150"), "recoveryPointId": "150"}
        result = run(params(access_details=given))
        assert result["recovery_point"]["name"] == "150" and result["access_token_source"] == "given"

    def test_expired_token_is_refreshed(self, azure):
        given = {"accessTokenString": jwt(time.time() - 10), "recoveryPointId": "200"}
        result = run(params(access_details=given))
        assert result["access_token_source"] == "refreshed" and len(azure.posts("/accessToken")) == 1
        sent = azure.posts("/backupCrossRegionRestore")[0][2]["crossRegionRestoreAccessDetails"]["accessTokenString"]
        assert sent == azure.tokens_issued[0]

    def test_token_of_other_point_is_replaced(self, azure):
        given = {"accessTokenString": jwt(time.time() + 3600, "150"), "recoveryPointId": "150"}
        result = run(params(access_details=given, recovery_point_id="200"))
        assert result["access_token_source"] == "refreshed" and result["recovery_point"]["name"] == "200"

    def test_token_refused_by_azure_is_replaced_once(self, azure):
        stale = jwt(time.time() + 3600)
        azure.refuse_token = stale
        result = run(params(access_details={"accessTokenString": stale, "recoveryPointId": "200"}))
        assert result["access_token_source"] == "refreshed"
        assert len(azure.posts("/backupCrossRegionRestore")) == 2 and result["changed"] is True

    def test_new_vm(self, azure):
        vnet = RGS + "/rg-dr/providers/Microsoft.Network/virtualNetworks/vnet-dr"
        azure.resources[vnet] = {"location": "northeurope", "properties": {"subnets": [{"name": "default"}]}}
        result = run(params(restore_type="new_vm", target_vm_name="vm-dr", target_virtual_network="vnet-dr",
                            target_subnet="default"))
        rr = result["request"]["restoreRequest"]
        assert rr["recoveryType"] == "AlternateLocation" and rr["subnetId"] == vnet + "/subnets/default"

    def test_no_validate_call_in_the_secondary_region(self, azure):
        run(params())
        assert not azure.posts("/backupValidateOperation")


class TestIdempotencyAndCheckMode:
    def test_second_run_attaches_without_token(self, azure):
        run(params())
        result = run(params())
        assert result["changed"] is False and result["job_id"] == "crr-1" and result["access_token_source"] is None
        assert len(azure.posts("/backupCrossRegionRestore")) == 1 and len(azure.posts("/accessToken")) == 1

    def test_check_mode(self, azure):
        result = run(params(), check_mode=True)
        assert result["changed"] is True and not azure.posts("/backupCrossRegionRestore")
        assert result["request"]["crossRegionRestoreAccessDetails"]["accessTokenString"] == MASKED

    def test_wait_job(self, azure):
        azure.job_status = "Completed"
        result = run(params(wait="job"))
        assert result["job"]["status"] == "Completed"
        assert azure.posts("/backupCrrJob")


class TestPreflight:
    def refused(self, azure, p, option, text):
        with pytest.raises((ValidationError, RestoreFailedError)) as e:
            run(p)
        cause = e.value.cause if isinstance(e.value, RestoreFailedError) else e.value
        assert isinstance(cause, ValidationError) and cause.option == option, e.value.msg
        assert e.value.to_fail_kwargs()["option"] == option
        assert text in e.value.msg
        assert not azure.posts("/backupCrossRegionRestore")
        return e.value

    def test_vault_without_crr(self, azure):
        azure.crr = False
        self.refused(azure, params(), "vault_name", "cross-region restore")

    def test_storage_in_primary_region(self, azure):
        p = params(staging_storage_account="strestorewe", staging_storage_account_resource_group="rg-restore")
        self.refused(azure, p, "staging_storage_account", "secondary region")

    def test_point_not_replicated(self, azure):
        self.refused(azure, params(recovery_point_id="300"), "recovery_point_id", "secondary region")

    def test_archive_refused(self, azure):
        azure.secondary_points = [rp_doc("90", "2026-10-10T00:00:00Z", archived=True)]
        self.refused(azure, params(), "recovery_point_id", "archive")

    def test_replace_disks_not_offered(self):
        assert "replace_disks" not in crr_restore.argument_spec()["restore_type"]["choices"]

    def test_extra_property_of_the_primary_only(self, azure):
        self.refused(azure, params(extra_properties={"targetDiskNetworkAccessSettings": {}}), "extra_properties",
                     "2023-01-15")

    def test_secondary_region_override(self, azure):
        self.refused(azure, params(secondary_region="westeurope", staging_storage_account="strestorene"),
                     "staging_storage_account", "westeurope")


class TestMain:
    def run_main(self, monkeypatch, args):
        return run_module_main(monkeypatch, crr_restore, args, client=client)

    ARGS = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01",
                vm_resource_group="rg-prod", restore_type="restore_disks", staging_storage_account="strestorene",
                staging_storage_account_resource_group="rg-dr", target_resource_group="rg-dr", subscription_id=SUB)

    def test_fetched_token_is_a_no_log_value(self, azure, monkeypatch):
        kind, result, no_log = self.run_main(monkeypatch, self.ARGS)
        assert kind is ExitJson and azure.tokens_issued[0] in no_log
        assert "access_details" not in result

    def test_only_the_token_of_access_details_is_hidden(self, azure, monkeypatch):
        token = jwt(time.time() + 3600)
        given = {"objectType": "WorkloadCrrAccessToken", "accessTokenString": token, "recoveryPointId": "200",
                 "resourceGroupName": "rg-vault", "resourceName": "rsv-prod", "datasourceType": "VM",
                 "subscriptionId": SUB, "protectionContainerId": 1234, "rpIsManagedVirtualMachine": True}
        kind, result, no_log = self.run_main(monkeypatch, dict(self.ARGS, access_details=given))
        assert kind is ExitJson and token in no_log
        for value in ("200", "rg-vault", "rsv-prod", "VM", SUB, "1234"):
            assert value not in no_log
        assert result["recovery_point"]["name"] == "200" and result["access_token_source"] == "given"

    def test_access_details_is_no_log(self):
        assert crr_restore.argument_spec()["access_details"]["no_log"] is True

    def test_failure_hides_token(self, azure, monkeypatch):
        token = jwt(time.time() + 3600)
        azure.refuse_token = token
        azure.tokens_issued = []
        # Azure refuses every token: the fresh one too
        orig = azure.handle

        def refuse_all(request):
            if request.path_url.split("?")[0].lower().endswith("/backupcrossregionrestore"):
                body = json.loads(request.body)
                return 400, {}, json.dumps({"error": {"code": "UserErrorInvalidCrossRegionRestoreAccessToken",
                                                      "message": "bad token %s" %
                                                      body["crossRegionRestoreAccessDetails"]["accessTokenString"]}})
            return orig(request)
        azure.handle = refuse_all
        kind, result, no_log = self.run_main(monkeypatch, dict(self.ARGS, access_details={
            "accessTokenString": token, "recoveryPointId": "200"}))
        assert kind is FailJson and result["error_code"] == "UserErrorInvalidCrossRegionRestoreAccessToken"
        assert token in no_log
        assert token not in json.dumps(result)
        for issued in azure.tokens_issued:
            assert issued not in json.dumps(result) and issued in no_log


def test_refusal_other_than_token_is_not_retried(azure):
    orig = azure.handle

    def refuse(request):
        if request.path_url.split("?")[0].lower().endswith("/backupcrossregionrestore"):
            azure.requests.append(("POST", request.url, None))
            return 400, {}, json.dumps({"error": {"code": "UserErrorX", "message": "no"}})
        return orig(request)
    azure.handle = refuse
    with pytest.raises(RestoreFailedError) as e:
        run(params())
    assert isinstance(e.value.cause, AzureApiError) and e.value.cause.error_code == "UserErrorX"
    assert len(azure.posts("/backupCrossRegionRestore")) == 1
