# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""restore_job_info in real playbooks against the emulator, on jobs started through the emulator's
own API; the emulator's state and request log are the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import requests

import pytest

from playbook import run_playbook

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api_versions
from ansible_collections.azbackup.restore.plugins.module_utils import _crr
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._common import get_client
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import protected_item_ref
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import RecoveryPoints

VAULT = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")


def task(name, ignore_errors=False, check_mode=None, **args):
    t = {"name": name, "azbackup.restore.restore_job_info": dict(VAULT, **args)}
    if ignore_errors:
        t["ignore_errors"] = True
    if check_mode is not None:
        t["check_mode"] = check_mode
    return t


def failed(res):
    return res.get("_state") == "failed" or bool(res.get("failed"))


@pytest.fixture
def api(emu, emu_env, monkeypatch):
    """The collection's own ARM client, authenticated against the emulator like any Azure client."""
    for key, value in emu_env.items():
        monkeypatch.setenv(key, value)
    return get_client({}, session=requests.Session(), env=emu_env)


def item_of(api, vm):
    return protected_item_ref(dict(VAULT, vm_name=vm, vm_resource_group="rg-prod"), api.subscription_id)


def restore_disks_request(item, point, region, resource_group, storage_account):
    """A restore-disks IaasVMRestoreRequest of ``point`` into that storage account and resource group."""
    sub = item.subscription_id
    return {"objectType": "IaasVMRestoreRequest", "recoveryPointId": point, "recoveryType": "RestoreDisks",
            "sourceResourceId": item.vm_id,
            "storageAccountId": rid.storage_account_id(sub, resource_group, storage_account),
            "targetResourceGroupId": rid.resource_group_id(sub, resource_group), "region": region,
            "createNewCloudService": True, "originalStorageAccountOption": False,
            "encryptionDetails": {"encryptionEnabled": False}}


def started(api, resp):
    """(operation URL, job id) of a restore Azure accepted."""
    op_url = resp.header("Azure-AsyncOperation")
    status = api.get(op_url).body
    assert status["status"] == "Succeeded", status
    return op_url, status["properties"]["jobId"]


def start_restore(api, vm):
    """A restore-disks of the newest point of ``vm``, sent straight to the API: (operation URL, job id)."""
    item = item_of(api, vm)
    point = RecoveryPoints(api, item).choose({})["name"]
    body = {"properties": restore_disks_request(item, point, "westeurope", "rg-restore", "strestorewe")}
    return started(api, api.post(item.recovery_point_path(point) + "/restore", api_version=api_versions.BACKUP,
                                 json=body, ok=(202,)))


def start_crr_restore(api, vm):
    """A cross-region restore-disks of the newest replicated point, straight to the API: (operation URL, job id)."""
    item = item_of(api, vm)
    sub = api.subscription_id
    point = RecoveryPoints(api, item, secondary=True, region="northeurope").choose({})["name"]
    aad = _crr.get_aad_properties(api, sub, "northeurope")
    details = _crr.request_access_token(api, item, point, {"properties": aad["properties"]})
    request = restore_disks_request(item, point, "northeurope", "rg-dr", "strestorene")
    return started(api, api.post(rid.location_path(sub, "northeurope") + "/backupCrossRegionRestore",
                                 api_version=api_versions.CRR, json=_crr.crr_body(details, request), ok=(202,)))


def job_state(emu):
    return dict((j["id"], j) for j in emu.control.state()["jobs"])


def job_reads(emu, job_id, since=0):
    """The emulator's answers to the reads of one job (after request ``since``), in order."""
    out = []
    for e in emu.control.requests(since=since):
        if e["method"] == "GET" and e["path"].lower().endswith("/backupjobs/" + job_id.lower()):
            out.append(e["response_body"]["properties"]["status"])
        elif e["method"] == "POST" and e["path"].lower().endswith("/backupcrrjob") and \
                (e["request_body"] or {}).get("jobName") == job_id:
            out.append(e["response_body"]["properties"]["status"])
    return out


def test_list_get_filter_and_wait_for_a_fan_out(emu, emu_env, api):
    emu.control.update_settings(job_durations={"RestoreDisks": 2})
    started = [start_restore(api, vm) for vm in ("vm-app-001", "vm-app-002", "vm-app-003")]
    urls = [url for url, job_id in started]
    ids = [job_id for url, job_id in started]
    emu.control.clear_requests()

    result = run_playbook([
        task("list"),
        task("get", job_id=ids[0]),
        task("by vm", vm_name="vm-app-002", vm_resource_group="rg-prod"),
        task("wait", operation_urls=urls, wait_for="completed", poll_interval=1, wait_timeout=120),
    ], emu_env)
    assert result.rc == 0, result

    assert set(ids) <= set(j["job_id"] for j in result.task("list")["jobs"])
    assert all(j["operation"] == "Restore" for j in result.task("list")["jobs"])
    got = result.task("get")
    assert got["job"]["job_id"] == ids[0] and got["job"]["entity"] == "vm-app-001" and got["changed"] is False
    assert [j["job_id"] for j in result.task("by vm")["jobs"]] == [ids[1]]
    waited = result.task("wait")
    assert [j["job_id"] for j in waited["jobs"]] == ids
    assert [j["status"] for j in waited["jobs"]] == ["Completed"] * 3

    # The oracle: the emulator says the jobs ended; the job list carried Azure's filter; no job was
    # read again once it had ended; nothing was written.
    state = job_state(emu)
    assert [state[j]["status"] for j in ids] == ["Completed"] * 3
    log = emu.control.requests()
    lists = [e for e in log if e["method"] == "GET" and e["path"].lower().endswith("/backupjobs")]
    # the two listings, then the wait: one job list per round (filtered by operation and start time)
    assert len(lists) >= 3
    assert all("operation eq 'Restore'" in e["query"]["$filter"] and "endTime" not in e["query"]["$filter"]
               for e in lists[2:])
    assert "operation eq 'Restore'" in lists[0]["query"]["$filter"]
    assert "startTime eq '" in lists[0]["query"]["$filter"] and "endTime eq '" in lists[0]["query"]["$filter"]
    for job_id in ids:  # reads of the waiting task (after the second listing)
        reads = job_reads(emu, job_id, since=lists[1]["seq"])
        assert reads[-1] == "Completed" and all(s == "InProgress" for s in reads[:-1]), (job_id, reads)
    assert len([e for e in log if "/operationsstatus/" in e["path"].lower()]) == 3
    assert [e for e in log if e["method"] not in ("GET",) and e["kind"] != "aad"] == []


def test_timeout_and_failure(emu, emu_env, api):
    emu.control.update_settings(job_durations={"RestoreDisks": 600})
    long_job = start_restore(api, "vm-app-004")[1]
    bad_job = start_restore(api, "vm-app-005")[1]
    emu.control.finish_job(bad_job, "Failed")
    emu.control.clear_requests()

    result = run_playbook([
        task("timeout", ignore_errors=True, job_id=long_job, wait_for="completed", wait_timeout=2, poll_interval=1),
        task("failed", ignore_errors=True, job_id=bad_job, wait_for="completed"),
        task("check mode", check_mode=True, job_id=long_job),
    ], emu_env)
    assert result.rc == 0 and result.stats["localhost"]["ignored"] == 2, result

    timeout = result.task("timeout")
    assert failed(timeout) and "Timed out after 2s" in timeout["msg"]
    assert "%s (InProgress" % long_job in timeout["msg"] and timeout["job_id"] == long_job
    assert timeout["jobs"][0]["status"] == "InProgress"
    bad = result.task("failed")
    assert failed(bad) and "job %s (Restore of vm-app-005) ended Failed" % bad_job in bad["msg"]
    assert "Restore failed because of an internal error" in bad["msg"] and bad["error_code"] == "130002"
    check = result.task("check mode")
    assert check["changed"] is False and check["job"]["status"] == "InProgress"

    # The oracle: the module only read (no cancellation, no write of any kind); the jobs are as they were.
    log = emu.control.requests()
    assert [e for e in log if e["method"] not in ("GET",) and e["kind"] != "aad"] == []
    state = job_state(emu)
    assert state[long_job]["status"] == "InProgress" and state[bad_job]["status"] == "Failed"


def test_cross_region_restore_jobs(emu, emu_env, api):
    emu.control.update_settings(job_durations={"CrossRegionRestore": 2})
    op_url, job_id = start_crr_restore(api, "vm-web-01")
    emu.control.clear_requests()

    result = run_playbook([
        task("list crr", region="secondary"),
        task("wait crr", operation_url=op_url, wait_for="completed", poll_interval=1, wait_timeout=120),
    ], emu_env)
    assert result.rc == 0, result
    listed = result.task("list crr")
    assert listed["secondary_region"] == "northeurope"
    assert [j["job_id"] for j in listed["jobs"]] == [job_id]
    assert listed["jobs"][0]["operation"] == "CrossRegionRestore"
    waited = result.task("wait crr")
    assert waited["job"]["job_id"] == job_id and waited["job"]["status"] == "Completed"
    assert waited["secondary_region"] == "northeurope"

    log = emu.control.requests()
    # the secondary region came from the locations API, not from a table
    assert [e for e in log if e["path"].lower().endswith("/locations") and e["method"] == "GET"]
    lists = [e for e in log if e["path"].lower().endswith("/locations/northeurope/backupcrrjobs")]
    assert len(lists) == 1 and lists[0]["method"] == "POST"
    assert lists[0]["request_body"] == {"resourceId": emu.control.state()["vaults"]["rsv-prod"]["id"]}
    assert "operation eq 'CrossRegionRestore'" in lists[0]["query"]["$filter"]
    reads = [e for e in log if e["path"].lower().endswith("/locations/northeurope/backupcrrjob")]
    assert reads and all(e["request_body"]["jobName"] == job_id and e["api_version"] == "2023-01-15" for e in reads)
    statuses = job_reads(emu, job_id)
    assert statuses[-1] == "Completed" and all(s == "InProgress" for s in statuses[:-1])
    assert job_state(emu)[job_id]["status"] == "Completed"
