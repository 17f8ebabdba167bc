import datetime as dt

import pytest

from azbackup_emulator import Emulator
from emulator_testlib import Api

pytestmark = pytest.mark.emulator


def _disks(api, rg):
    r = api.get("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/disks" % (api.sub, rg), "2023-04-02")
    assert r.status_code == 200
    return {d["name"]: d for d in r.json()["value"]}


def test_restore_disks_managed_full_flow(api, emu):
    rps = api.rps("vm-web-01")
    r = api.restore("vm-web-01", rps[0]["name"])
    assert r.status_code == 202 and r.content == b""
    assert "Retry-After" not in r.headers
    aso, loc = r.headers["Azure-AsyncOperation"], r.headers["Location"]
    item_url = emu.endpoint + api.item("vm-web-01", encoded=False)
    op_id = aso.split("/operationsStatus/")[1].split("?")[0]
    assert aso == "%s/operationsStatus/%s?api-version=2024-04-01" % (item_url, op_id)
    assert loc == "%s/operationResults/%s?api-version=2024-04-01" % (item_url, op_id)
    st = api.s.get(aso).json()
    assert st["status"] == "Succeeded" and st["properties"] == {"objectType": "OperationStatusJobExtendedInfo", "jobId": op_id}
    assert api.get(api.vault + "/backupOperations/" + op_id).json() == st
    assert api.s.get(loc).status_code == 204
    assert api.get(api.vault + "/backupOperationResults/" + op_id).status_code == 204
    job = api.job(op_id)
    p = job["properties"]
    assert job["id"] == api.vault + "/backupJobs/" + op_id and job["type"] == "Microsoft.RecoveryServices/vaults/backupJobs"
    assert (p["jobType"], p["operation"], p["status"], p["entityFriendlyName"], p["backupManagementType"]) == \
        ("AzureIaaSVMJob", "Restore", "InProgress", "vm-web-01", "AzureIaasVM")
    assert p["containerName"] == "iaasvmcontainerv2;rg-prod;vm-web-01" and p["actionsInfo"] == ["Cancellable"]
    ext = p["extendedInfo"]
    assert ext["internalPropertyBag"]["restoreLocationType"] == "RestoreDisks"
    bag = ext["propertyBag"]
    assert bag["Job Type"] == "Recover disks"
    assert bag["Target Storage Account Name"] == "strestorewe" and bag["Target resource group"] == "rg-restore"
    t = dt.datetime.strptime(bag["Recovery point time "], "%m/%d/%Y %I:%M:%S %p")
    assert t.strftime("%Y-%m-%dT%H:%M:%S") == rps[0]["properties"]["recoveryPointTime"][:19]
    assert rps[0]["name"] not in str(job)
    assert ext["tasksList"][0]["taskId"] == "Transfer data from vault"
    assert "Config Blob Name" not in bag
    emu.control.advance(7)
    job = api.job(op_id)
    p = job["properties"]
    assert p["status"] == "Completed" and "endTime" in p and p["actionsInfo"] == []
    bag = p["extendedInfo"]["propertyBag"]
    for k in ("Config Blob Name", "Config Blob Container Name", "Config Blob Uri", "Template Blob Uri"):
        assert k in bag
    assert bag["Config Blob Uri"].startswith("https://strestorewe.blob.core.windows.net/" + bag["Config Blob Container Name"])
    disks = _disks(api, "rg-restore")
    assert len(disks) == 3
    assert any("osdisk" in n for n in disks) and all(d["location"] == "westeurope" for d in disks.values())
    one = next(iter(disks.values()))
    assert api.get(one["id"], "2023-04-02").status_code == 200


def test_restore_selected_luns_and_zone(api, emu):
    rp = api.rps("vm-db-01")[0]["name"]
    r = api.restore("vm-db-01", rp, restoreDiskLunList=[2])
    job = api.job_of(r)
    emu.control.finish_job(job)
    disks = _disks(api, "rg-restore")
    assert len(disks) == 2 and any("datadisk-2" in n for n in disks)
    assert all(d["zones"] == ["1"] for d in disks.values())


def test_empty_lun_list_restores_the_os_disk_only(api, emu):
    rp = api.rps("vm-db-01")[0]["name"]
    job = api.job_of(api.restore("vm-db-01", rp, restoreDiskLunList=[]))
    emu.control.finish_job(job)
    disks = _disks(api, "rg-restore")
    assert len(disks) == 1 and not any("datadisk" in n.lower() for n in disks)


def test_restore_disks_unmanaged(api, emu):
    rp = api.rps("vm-web-01")[0]["name"]
    job = api.job_of(api.restore("vm-web-01", rp, target_rg=None))
    emu.control.finish_job(job)
    assert _disks(api, "rg-restore") == {}
    blobs = [b for b in emu.control.state()["blobs"] if b["job_id"] == job]
    vhds = [b for b in blobs if b["kind"] == "vhd"]
    assert len(vhds) == 3 and all(b["storage_account"] == "strestorewe" and b["name"].endswith(".vhd") for b in vhds)
    assert "Target resource group" not in api.job(job)["properties"]["extendedInfo"]["propertyBag"]
    # an unmanaged VM restores VHDs even with a target resource group
    rp = api.rps("vm-legacy-01")[0]["name"]
    job2 = api.job_of(api.restore("vm-legacy-01", rp))
    emu.control.finish_job(job2)
    assert len([b for b in emu.control.state()["blobs"] if b["job_id"] == job2 and b["kind"] == "vhd"]) == 2


def test_replace_disks(api, emu):
    before = api.get(api.vm_id("vm-web-01"), "2024-07-01").json()["properties"]["storageProfile"]
    rp = api.rps("vm-web-01")[3]["name"]
    job = api.job_of(api.restore("vm-web-01", rp, recovery_type="OriginalLocation", target_rg=None))
    assert api.job(job)["properties"]["extendedInfo"]["propertyBag"]["Job Type"] == "Replace existing disks"
    assert api.job(job)["properties"]["extendedInfo"]["internalPropertyBag"]["restoreLocationType"] == "OriginalLocation"
    emu.control.advance(9)
    assert api.job(job)["properties"]["status"] == "Completed"
    after = api.get(api.vm_id("vm-web-01"), "2024-07-01").json()["properties"]["storageProfile"]
    assert after["osDisk"]["name"] != before["osDisk"]["name"]
    assert after["osDisk"]["managedDisk"]["id"] != before["osDisk"]["managedDisk"]["id"]
    assert [d["lun"] for d in after["dataDisks"]] == [0, 1]
    assert all(a["name"] != b["name"] for a, b in zip(after["dataDisks"], before["dataDisks"]))
    new = api.get(after["osDisk"]["managedDisk"]["id"], "2023-04-02").json()
    assert new["managedBy"] == api.vm_id("vm-web-01")
    old = api.get(before["osDisk"]["managedDisk"]["id"], "2023-04-02").json()
    assert "managedBy" not in old and old["properties"]["diskState"] == "Unattached"


def test_new_vm(api, emu):
    rp = api.rps("vm-web-01")[1]["name"]
    body = dict(virtualNetworkId=api.vnet_id("vnet-restore"), subnetId=api.vnet_id("vnet-restore") + "/subnets/default",
                targetVirtualMachineId=api.vm_id("vm-web-01-restored", "rg-restore"))
    job = api.job_of(api.restore("vm-web-01", rp, recovery_type="AlternateLocation", **body))
    bag = api.job(job)["properties"]["extendedInfo"]["propertyBag"]
    assert bag["Target VM Name"] == "vm-web-01-restored" and bag["Job Type"] == "Create new virtual machine"
    assert api.get(api.vm_id("vm-web-01-restored", "rg-restore"), "2024-07-01").status_code == 404
    # the name is reserved while the job runs
    r = api.restore("vm-db-01", api.rps("vm-db-01")[0]["name"], recovery_type="AlternateLocation",
                    virtualNetworkId=body["virtualNetworkId"], subnetId=body["subnetId"],
                    targetVirtualMachineId=body["targetVirtualMachineId"])
    assert r.status_code == 400 and r.json()["error"]["code"] == "UserErrorVmNameAlreadyExists"
    emu.control.advance(11)
    vm = api.get(api.vm_id("vm-web-01-restored", "rg-restore"), "2024-07-01")
    assert vm.status_code == 200
    vm = vm.json()
    assert vm["location"] == "westeurope" and vm["properties"]["hardwareProfile"]["vmSize"] == "Standard_D2s_v3"
    nic = api.get(vm["properties"]["networkProfile"]["networkInterfaces"][0]["id"], "2024-05-01").json()
    assert nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] == body["subnetId"]
    r = api.restore("vm-web-01", rp, recovery_type="AlternateLocation", **body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "UserErrorVmNameAlreadyExists"


@pytest.mark.invalid_traffic  # malformed restore bodies, on purpose
@pytest.mark.parametrize("change,code", [
    ("unwrapped", "BMSUserErrorInvalidInput"),
    ("objectType", "BMSUserErrorInvalidInput"),
    ("offline", "UserErrorInvalidRequestParameter"),
    ("badtype", "BMSUserErrorInvalidInput"),
    ("source", "UserErrorInvalidRequestParameter"),
    ("nosource", "UserErrorInvalidRequestParameter"),
    ("region", "UserErrorRestoreRegionMismatch"),
    ("rpid", "UserErrorInvalidRequestParameter"),
    ("nosa", "UserErrorInvalidRequestParameter"),
    ("samissing", "UserErrorStorageAccountNotFound"),
    ("saregion", "UserErrorStorageAccountLocationMismatch"),
    ("zrs", "UserErrorStorageAccountIsZRS"),
    ("lun", "UserErrorInvalidDiskLunList"),
    ("rgmissing", "UserErrorTargetResourceGroupNotFound"),
    ("alr_novm", "UserErrorInvalidRequestParameter"),
    ("alr_vnet", "UserErrorVirtualNetworkNotFound"),
    ("alr_vnet_region", "UserErrorVirtualNetworkLocationMismatch"),
    ("alr_subnet", "UserErrorSubnetNotFound"),
    ("alr_exists", "UserErrorVmNameAlreadyExists"),
    ("zone", "UserErrorInvalidRequestParameter"),
])
def test_restore_validation(api, change, code):
    rp = api.rps("vm-web-01")[0]["name"]
    body = api.restore_body("vm-web-01", rp)
    p = body["properties"]
    alr = dict(recoveryType="AlternateLocation", virtualNetworkId=api.vnet_id("vnet-restore"),
               subnetId=api.vnet_id("vnet-restore") + "/subnets/default",
               targetVirtualMachineId=api.vm_id("vm-new", "rg-restore"))
    if change == "unwrapped":
        body = p
    elif change == "objectType":
        p["objectType"] = "AzureFileShareRestoreRequest"
    elif change == "offline":
        p["recoveryType"] = "Offline"
    elif change == "badtype":
        p["recoveryType"] = "Everywhere"
    elif change == "source":
        p["sourceResourceId"] = api.vm_id("vm-db-01")
    elif change == "nosource":
        del p["sourceResourceId"]
    elif change == "region":
        p["region"] = "northeurope"
    elif change == "rpid":
        p["recoveryPointId"] = "1234"
    elif change == "nosa":
        del p["storageAccountId"]
    elif change == "samissing":
        p["storageAccountId"] = api.sa_id("stnothere")
    elif change == "saregion":
        p["storageAccountId"] = api.sa_id("strestoreeus")
    elif change == "zrs":
        p["storageAccountId"] = api.sa_id("strestorezrs")
    elif change == "lun":
        p["restoreDiskLunList"] = [0, 5]
    elif change == "rgmissing":
        p["targetResourceGroupId"] = api.rg_id("rg-nothere")
    elif change == "alr_novm":
        p.update(alr)
        del p["targetVirtualMachineId"]
    elif change == "alr_vnet":
        p.update(alr, virtualNetworkId=api.vnet_id("vnet-nope"))
    elif change == "alr_vnet_region":
        p.update(alr, virtualNetworkId=api.vnet_id("vnet-dr", "rg-dr"),
                 subnetId=api.vnet_id("vnet-dr", "rg-dr") + "/subnets/default")
    elif change == "alr_subnet":
        p.update(alr, subnetId=api.vnet_id("vnet-restore") + "/subnets/nope")
    elif change == "alr_exists":
        p.update(alr, targetVirtualMachineId=api.vm_id("vm-web-01"), targetResourceGroupId=api.rg_id("rg-prod"))
    elif change == "zone":
        p["zones"] = ["7"]
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/restore" % rp, body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"]
    assert api.emu.control.state()["counts"]["jobs"] == 0


def test_restore_unknown_objects(api):
    rp = api.rps("vm-web-01")[0]["name"]
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/999/restore", api.restore_body("vm-web-01", "999"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "BMSUserErrorObjectNotFound"
    r = api.post(api.item("vm-nope") + "/recoveryPoints/%s/restore" % rp, api.restore_body("vm-nope", rp))
    assert r.status_code == 404
    r = api.post(api.item("vm-web-01", vault=api.vault.replace("rsv-prod", "rsv-x")) + "/recoveryPoints/%s/restore" % rp,
                 api.restore_body("vm-web-01", rp))
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound"


@pytest.mark.invalid_traffic  # a rehydration request at 2019-05-13, which lacks that type, on purpose
def test_archive_point_needs_rehydration(api, emu):
    rps = api.rps("vm-web-01")
    arch = rps[-1]
    assert [t["type"] for t in arch["properties"]["recoveryPointTierDetails"]] == ["ArchivedRP"]
    r = api.restore("vm-web-01", arch["name"])
    assert r.status_code == 400 and r.json()["error"]["code"] == "UserErrorRecoveryPointRehydrationRequired"
    body = api.restore_body("vm-web-01", arch["name"])
    body["properties"]["objectType"] = "IaasVMRestoreWithRehydrationRequest"
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/restore" % arch["name"], body)
    assert r.status_code == 400  # rehydration info missing
    body["properties"]["recoveryPointRehydrationInfo"] = {"rehydrationRetentionDuration": "P15D", "rehydrationPriority": "High"}
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/restore" % arch["name"], body, api_version="2019-05-13")
    assert r.status_code == 400
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/restore" % arch["name"], body)
    job = api.job_of(r)
    emu.control.finish_job(job)
    tiers = api.get(api.item("vm-web-01") + "/recoveryPoints/" + arch["name"]).json()["properties"]["recoveryPointTierDetails"]
    assert tiers[0]["status"] == "Rehydrated" and "RehydratedRPExpiryTime" in tiers[0]["extendedInfo"]
    # rehydration on a point that is not archived is refused
    body = api.restore_body("vm-web-01", rps[0]["name"])
    body["properties"]["objectType"] = "IaasVMRestoreWithRehydrationRequest"
    body["properties"]["recoveryPointRehydrationInfo"] = {"rehydrationRetentionDuration": "P15D", "rehydrationPriority": "High"}
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/restore" % rps[0]["name"], body)
    assert r.status_code == 400


def test_another_restore_in_progress(api, emu):
    rp = api.rps("vm-web-01")[0]["name"]
    job = api.job_of(api.restore("vm-web-01", rp))
    r = api.restore("vm-web-01", rp)
    assert r.status_code == 400 and r.json()["error"]["code"] == "UserErrorAnotherOperationInProgress"
    assert api.restore("vm-db-01").status_code == 202
    emu.control.finish_job(job)
    assert api.restore("vm-web-01", rp).status_code == 202


def test_original_location_needs_source_vm():
    world = {
        "tenants": [{"id": "t1", "clients": [{"client_id": "c1", "secret": "s1"}]}],
        "subscriptions": [{"id": "00000000-0000-0000-0000-0000000000aa"}],
        "regions": [{"name": "westeurope", "paired_region": "northeurope"},
                    {"name": "northeurope", "paired_region": "westeurope"}],
        "resource_groups": [{"name": "rg", "location": "westeurope"}],
        "storage_accounts": [{"name": "sa1", "resource_group": "rg"}],
        "vaults": [{"name": "v1", "resource_group": "rg"}],
        "virtual_machines": [{"name": "gone", "resource_group": "rg", "deleted": True,
                              "backup": {"vault": "v1", "recovery_points": {"daily": 2}}}],
    }
    with Emulator(world=world) as emu:
        api = Api(emu)
        vault = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v1" % api.sub
        rp = api.rps("gone", vault=vault, rg="rg")[0]["name"]
        assert api.get(api.vm_id("gone", "rg"), "2024-07-01").status_code == 404
        r_body = api.restore_body("gone", rp, recovery_type="OriginalLocation", sa="sa1", sa_rg="rg", target_rg=None)
        r_body["properties"]["sourceResourceId"] = api.vm_id("gone", "rg")
        r = api.post(api.item("gone", rg="rg", vault=vault) + "/recoveryPoints/%s/restore" % rp, r_body)
        assert r.status_code == 400 and r.json()["error"]["code"] == "UserErrorOriginalVMNotFound"
        r_body["properties"]["recoveryType"] = "RestoreDisks"
        r = api.post(api.item("gone", rg="rg", vault=vault) + "/recoveryPoints/%s/restore" % rp, r_body)
        assert r.status_code == 202


@pytest.mark.invalid_traffic  # malformed validate bodies, on purpose
def test_validate_operation(api):
    rp = api.rps("vm-web-01")[0]
    good = api.restore_body("vm-web-01", rp["name"])["properties"]
    body = {"id": rp["id"], "properties": {"objectType": "ValidateIaasVMRestoreOperationRequest", "restoreRequest": good}}
    r = api.post(api.vault + "/backupValidateOperation", body)
    assert r.status_code == 200 and r.json() == {"validateOperationResponse": {"validationResults": []}}
    bad = dict(good, storageAccountId=api.sa_id("strestorezrs"))
    r = api.post(api.vault + "/backupValidateOperation",
                 {"id": rp["id"], "properties": {"objectType": "ValidateIaasVMRestoreOperationRequest", "restoreRequest": bad}})
    res = r.json()["validateOperationResponse"]["validationResults"]
    assert r.status_code == 200 and res[0]["code"] == "UserErrorStorageAccountIsZRS"
    r = api.post(api.vault + "/backupValidateOperation",
                 {"objectType": "ValidateIaasVMRestoreOperationRequest", "restoreRequest": good}, api_version="2019-05-13")
    assert r.status_code == 200 and r.json()["validateOperationResponse"]["validationResults"] == []
    assert api.emu.control.state()["counts"]["jobs"] == 0
    r = api.post(api.vault + "/backupValidateOperation", {"properties": {"objectType": "Nope"}})
    assert r.status_code == 400


def test_cancel_job(api, emu):
    job = api.job_of(api.restore("vm-web-01"))
    r = api.post(api.vault + "/backupJobs/%s/cancel" % job)
    assert r.status_code == 202 and r.content == b""
    loc = r.headers["Location"]
    assert "/backupJobs/%s/operationResults/" % job in loc
    assert api.job(job)["properties"]["status"] == "Cancelling"
    assert api.s.get(loc).status_code == 202
    emu.control.advance(3)
    assert api.job(job)["properties"]["status"] == "Cancelled"
    assert api.s.get(loc).status_code == 204
    assert _disks(api, "rg-restore") == {}
    r = api.post(api.vault + "/backupJobs/%s/cancel" % job)
    assert r.status_code == 400
    assert api.post(api.vault + "/backupJobs/nope/cancel").status_code == 404


def test_jobs_list_filters_and_paging(api, emu):
    jobs = []
    for vm in ("vm-app-001", "vm-app-002", "vm-app-003", "vm-app-004", "vm-app-005"):
        jobs.append(api.job_of(api.restore(vm)))
    emu.control.finish_job(jobs[0])
    emu.control.finish_job(jobs[1], "Failed")
    r = api.get(api.vault + "/backupJobs")
    assert [j["name"] for j in r.json()["value"]] == list(reversed(jobs))
    r = api.get(api.vault + "/backupJobs", **{"$filter": "status eq 'InProgress' and operation eq 'Restore'"})
    assert {j["name"] for j in r.json()["value"]} == set(jobs[2:])
    r = api.get(api.vault + "/backupJobs", **{"$filter": "status eq 'Failed'"})
    assert [j["name"] for j in r.json()["value"]] == [jobs[1]]
    assert r.json()["value"][0]["properties"]["errorDetails"][0]["errorCode"]
    now = dt.datetime.utcnow()
    f = "startTime eq '%s' and endTime eq '%s' and backupManagementType eq 'AzureIaasVM'" % (
        (now - dt.timedelta(hours=1)).strftime("%Y-%m-%d %I:%M:%S %p"), (now + dt.timedelta(hours=1)).strftime("%Y-%m-%d %I:%M:%S %p"))
    assert len(api.get(api.vault + "/backupJobs", **{"$filter": f}).json()["value"]) == 5
    f = "startTime eq '%s'" % (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert api.get(api.vault + "/backupJobs", **{"$filter": f}).json()["value"] == []
    assert len(api.get(api.vault + "/backupJobs", **{"$filter": "jobId eq '%s'" % jobs[3]}).json()["value"]) == 1
    emu.control.update_settings(page_size=2)
    r = api.get(api.vault + "/backupJobs").json()
    names = [j["name"] for j in r["value"]]
    while r.get("nextLink"):
        r = api.s.get(r["nextLink"]).json()
        names += [j["name"] for j in r["value"]]
    assert names == list(reversed(jobs))
    assert api.get(api.vault_lrs + "/backupJobs").json()["value"] == []
    assert api.get(api.vault + "/backupJobs/" + "0" * 8).status_code == 404


def test_job_progress_and_operation_duration(api, emu):
    emu.control.update_settings(operation_duration_seconds=5, retry_after=3)
    r = api.restore("vm-web-01")
    assert r.status_code == 202 and r.headers["Retry-After"] == "3"
    st = api.s.get(r.headers["Azure-AsyncOperation"]).json()
    assert st["status"] == "InProgress" and st["endTime"] == "0001-01-01T00:00:00" and "properties" not in st
    res = api.s.get(r.headers["Location"])
    assert res.status_code == 202 and res.headers["Retry-After"] == "3" and "Location" in res.headers
    r2 = api.restore("vm-web-01")
    assert r2.status_code == 400 and r2.json()["error"]["code"] == "UserErrorAnotherOperationInProgress"
    emu.control.advance(5)
    st = api.s.get(r.headers["Azure-AsyncOperation"]).json()
    assert st["status"] == "Succeeded"
    assert api.s.get(r.headers["Location"]).status_code == 204
    job = st["properties"]["jobId"]
    emu.control.advance(3)
    p = api.job(job)["properties"]
    assert p["status"] == "InProgress" and 40 <= p["extendedInfo"]["progressPercentage"] <= 60
    emu.control.update_settings(time_scale=1000)
    import time
    time.sleep(0.05)
    assert api.job(job)["properties"]["status"] == "Completed"


def test_unmanaged_vm_replace_and_new_vm(api, emu):
    rp = api.rps("vm-legacy-01")[0]["name"]
    before = api.get(api.vm_id("vm-legacy-01"), "2024-07-01").json()["properties"]["storageProfile"]
    job = api.job_of(api.restore("vm-legacy-01", rp, recovery_type="OriginalLocation", target_rg=None))
    emu.control.finish_job(job)
    after = api.get(api.vm_id("vm-legacy-01"), "2024-07-01").json()["properties"]["storageProfile"]
    assert after["osDisk"]["vhd"]["uri"] != before["osDisk"]["vhd"]["uri"]
    assert after["osDisk"]["vhd"]["uri"].startswith("https://strestorewe.blob.core.windows.net/")
    r = api.restore("vm-legacy-01", rp, restoreDiskLunList=[0])
    assert r.status_code == 202  # all the disks: not a selection
    emu.control.finish_job(api.job_of(r))
    r = api.restore("vm-legacy-01", rp, recovery_type="AlternateLocation",
                    virtualNetworkId=api.vnet_id("vnet-restore"), subnetId=api.vnet_id("vnet-restore") + "/subnets/default",
                    targetVirtualMachineId=api.vm_id("legacy-copy", "rg-restore"))
    emu.control.finish_job(api.job_of(r))
    vm = api.get(api.vm_id("legacy-copy", "rg-restore"), "2024-07-01").json()
    assert "vhd" in vm["properties"]["storageProfile"]["osDisk"]
    assert vm["properties"]["storageProfile"]["osDisk"]["osType"] == "Windows"
