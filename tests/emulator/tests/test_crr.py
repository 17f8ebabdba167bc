import urllib.parse

import pytest

from emulator_testlib import CRR

pytestmark = pytest.mark.emulator


def _loc(api, region):
    return "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/%s" % (api.sub, region)


def _token(api, vm="vm-web-01", index=0, vault=None):
    aad = api.get(_loc(api, "northeurope") + "/backupAadProperties", CRR)
    assert aad.status_code == 200, aad.text
    rp = api.rps(vm, api_version=CRR, vault=vault)[index]
    r = api.post(api.item(vm, vault=vault) + "/recoveryPoints/%s/accessToken" % rp["name"], aad.json(), api_version=CRR)
    return rp, r


def _crr_body(api, token_props, rp, vm="vm-web-01", **extra):
    rr = {
        "objectType": "IaasVMRestoreRequest",
        "recoveryPointId": rp,
        "recoveryType": "RestoreDisks",
        "sourceResourceId": api.vm_id(vm),
        "storageAccountId": api.sa_id("strestorene", "rg-dr"),
        "targetResourceGroupId": api.rg_id("rg-dr"),
        "region": "northeurope",
        "createNewCloudService": False,
        "originalStorageAccountOption": False,
        "encryptionDetails": {"encryptionEnabled": False},
    }
    rr.update(extra)
    details = dict(token_props)
    details["objectType"] = "CrrAccessToken"
    return {"crossRegionRestoreAccessDetails": details, "restoreRequest": rr}


def test_crr_full_flow(api, emu):
    aad = api.get(_loc(api, "northeurope") + "/backupAadProperties", CRR).json()
    assert set(aad["properties"]) == {"tenantId", "audience", "servicePrincipalObjectId"}
    rp, tok = _token(api)
    assert tok.status_code == 200, tok.text
    props = tok.json()["properties"]
    assert props["objectType"] == "WorkloadCrrAccessToken" and props["recoveryPointId"] == rp["name"]
    assert props["resourceName"] == "rsv-prod" and props["bMSActiveRegion"] == "westeurope"
    assert props["accessTokenString"].count(".") == 2
    r = api.post(_loc(api, "northeurope") + "/backupCrossRegionRestore", _crr_body(api, props, rp["name"]), api_version=CRR)
    assert r.status_code == 202 and r.content == b"" and "Retry-After" not in r.headers
    aso, loc = r.headers["Azure-AsyncOperation"], r.headers["Location"]
    assert "/locations/northeurope/backupCrrOperationsStatus/" in aso and "/backupCrrOperationResults/" in loc
    q = urllib.parse.parse_qs(urllib.parse.urlparse(aso).query)
    assert set(q) == {"api-version", "t", "c", "s", "h"}
    st = api.s.get(aso)
    assert st.status_code == 200 and st.json()["status"] == "Succeeded"
    job_id = st.json()["properties"]["jobId"]
    assert api.s.get(loc).status_code == 200
    # a client that rebuilds or alters the URL is refused
    bare = aso.split("?")[0]
    assert api.s.get(bare, params={"api-version": CRR}).status_code == 400
    tampered = aso.replace("&h=", "&h=x")
    r = api.s.get(tampered)
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidSignature"
    swapped = loc.replace("backupCrrOperationResults", "backupCrrOperationsStatus")
    assert api.s.get(swapped).status_code == 400
    job = api.post(_loc(api, "northeurope") + "/backupCrrJob", {"resourceId": api.vault, "jobName": job_id}, api_version=CRR)
    assert job.status_code == 200, job.text
    j = job.json()
    assert j["id"] == "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/northeurope/backupJobs/%s" % (api.sub, job_id)
    p = j["properties"]
    assert p["operation"] == "CrossRegionRestore" and p["status"] == "InProgress" and p["actionsInfo"] == ["Cancellable"]
    assert "containerName" not in p
    bag = p["extendedInfo"]["propertyBag"]
    assert (bag["Vault Subscription Id"], bag["Vault Resource Group Name"], bag["Vault Name"]) == (api.sub, "rg-vault", "rsv-prod")
    assert bag["Target Storage Account Name"] == "strestorene"
    jobs = api.post(_loc(api, "northeurope") + "/backupCrrJobs", {"resourceId": api.vault}, api_version=CRR,
                    **{"$filter": "operation eq 'CrossRegionRestore' and status eq 'InProgress'"})
    assert [x["name"] for x in jobs.json()["value"]] == [job_id]
    assert api.get(api.vault + "/backupJobs").json()["value"] == []
    emu.control.advance(11.5)
    p = api.post(_loc(api, "northeurope") + "/backupCrrJob", {"resourceId": api.vault, "jobName": job_id},
                 api_version=CRR).json()["properties"]
    assert p["status"] == "InProgress" and p["extendedInfo"]["tasksList"][0]["status"] == "Completed"
    emu.control.advance(1)
    p = api.post(_loc(api, "northeurope") + "/backupCrrJob", {"resourceId": api.vault, "jobName": job_id},
                 api_version=CRR).json()["properties"]
    assert p["status"] == "Completed"
    disks = api.get("/subscriptions/%s/resourceGroups/rg-dr/providers/Microsoft.Compute/disks" % api.sub, "2023-04-02").json()["value"]
    assert len(disks) == 3 and all(d["location"] == "northeurope" for d in disks)


def test_crr_new_vm_in_secondary(api, emu):
    rp, tok = _token(api, "vm-db-01", 2)
    body = _crr_body(api, tok.json()["properties"], rp["name"], "vm-db-01", recoveryType="AlternateLocation",
                     targetVirtualMachineId=api.vm_id("vm-db-01-dr", "rg-dr"),
                     virtualNetworkId=api.vnet_id("vnet-dr", "rg-dr"),
                     subnetId=api.vnet_id("vnet-dr", "rg-dr") + "/subnets/default")
    r = api.post(_loc(api, "northeurope") + "/backupCrossRegionRestore", body, api_version=CRR)
    assert r.status_code == 202, r.text
    job_id = api.s.get(r.headers["Azure-AsyncOperation"]).json()["properties"]["jobId"]
    emu.control.finish_job(job_id)
    vm = api.get(api.vm_id("vm-db-01-dr", "rg-dr"), "2024-07-01")
    assert vm.status_code == 200 and vm.json()["location"] == "northeurope"


@pytest.mark.invalid_traffic  # malformed CRR requests, on purpose
def test_crr_refusals(api, emu):
    newest = api.rps("vm-web-01")[0]
    aad = api.get(_loc(api, "northeurope") + "/backupAadProperties", CRR).json()
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/accessToken" % newest["name"], aad, api_version=CRR)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BMSUserErrorRecoveryPointNotReplicated"
    lrs_rp = api.rps("vm-lrs-01", vault=api.vault_lrs)[1]["name"]
    r = api.post(api.item("vm-lrs-01", vault=api.vault_lrs) + "/recoveryPoints/%s/accessToken" % lrs_rp, aad, api_version=CRR)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BMSUserErrorCrossRegionRestoreNotEnabled"
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/accessToken" % newest["name"], aad)
    assert r.status_code == 400 and r.json()["error"]["code"] == "NoRegisteredProviderFound"
    r = api.post(_loc(api, "northeurope") + "/backupCrossRegionRestore", {})
    assert r.status_code == 400 and r.json()["error"]["code"] == "NoRegisteredProviderFound"

    rp, tok = _token(api)
    props = tok.json()["properties"]
    url = _loc(api, "northeurope") + "/backupCrossRegionRestore"
    cases = [
        (_crr_body(api, props, rp["name"], storageAccountId=api.sa_id("strestorewe")), "UserErrorStorageAccountLocationMismatch"),
        (_crr_body(api, props, rp["name"], region="westeurope"), "UserErrorRestoreRegionMismatch"),
        (_crr_body(api, props, rp["name"], recoveryType="OriginalLocation"), "UserErrorInvalidRequestParameter"),
        (_crr_body(api, dict(props, accessTokenString=props["accessTokenString"] + "x"), rp["name"]),
         "UserErrorInvalidCrossRegionRestoreAccessToken"),
        (_crr_body(api, props, "12345"), "UserErrorInvalidRequestParameter"),
        ({"restoreRequest": {}}, "BMSUserErrorInvalidInput"),
    ]
    for body, code in cases:
        r = api.post(url, body, api_version=CRR)
        assert r.status_code == 400 and r.json()["error"]["code"] == code, (code, r.text)
    r = api.post(_loc(api, "westeurope") + "/backupCrossRegionRestore", _crr_body(api, props, rp["name"]), api_version=CRR)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BMSUserErrorInvalidRegion"
    emu.control.advance(86401)
    r = api.post(url, _crr_body(api, props, rp["name"]), api_version=CRR)
    assert r.status_code == 400 and r.json()["error"]["code"] == "UserErrorCrossRegionRestoreAccessTokenExpired"
    assert emu.control.state()["counts"]["jobs"] == 0


def test_crr_operation_in_progress_and_concurrency(api, emu):
    emu.control.update_settings(operation_duration_seconds=4)
    rp, tok = _token(api)
    url = _loc(api, "northeurope") + "/backupCrossRegionRestore"
    r = api.post(url, _crr_body(api, tok.json()["properties"], rp["name"]), api_version=CRR)
    assert r.status_code == 202
    st = api.s.get(r.headers["Azure-AsyncOperation"]).json()
    assert st["status"] == "InProgress" and st["endTime"] == "0001-01-01T00:00:00"
    res = api.s.get(r.headers["Location"])
    assert res.status_code == 202 and "h=" in res.headers["Location"]
    again = api.post(url, _crr_body(api, tok.json()["properties"], rp["name"]), api_version=CRR)
    assert again.status_code == 400 and again.json()["error"]["code"] == "UserErrorAnotherOperationInProgress"
    assert api.restore("vm-web-01").status_code == 202  # the primary region is independent
    emu.control.advance(4)
    assert api.s.get(r.headers["Location"]).status_code == 200
    job_id = api.s.get(r.headers["Azure-AsyncOperation"]).json()["properties"]["jobId"]
    r = api.post(_loc(api, "northeurope") + "/backupCrrJob", {"resourceId": api.vault, "jobName": "nope"}, api_version=CRR)
    assert r.status_code == 404
    r = api.post(_loc(api, "westeurope") + "/backupCrrJob", {"resourceId": api.vault, "jobName": job_id}, api_version=CRR)
    assert r.status_code == 400
