# -*- coding: utf-8 -*-
"""vm_restore in real playbooks against the emulator; the emulator's request log and state are the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest

from playbook import run_playbook

BASE = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_resource_group="rg-prod",
            staging_storage_account="strestorewe", staging_storage_account_resource_group="rg-restore")


def restore_task(name, vm="vm-web-01", register="r", ignore_errors=False, **args):
    options = dict(BASE, vm_name=vm)
    options.setdefault("restore_type", "restore_disks")
    options.update(args)
    task = {"name": name, "azbackup.restore.vm_restore": options, "register": register}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def restore_posts(emu, vm=None):
    out = []
    for e in emu.control.requests():
        if e["method"] == "POST" and e["path"].lower().endswith("/restore"):
            if vm is None or (";%s/" % vm).lower() in e["path"].lower():
                out.append(e)
    return out


def jobs(emu, vm=None):
    return [j for j in emu.control.state()["jobs"] if vm is None or j["vm_name"] == vm]


def disks_in(emu, rg):
    return [d for d in emu.control.state()["disks"] if d["resource_group"] == rg]


def job_durations(emu, seconds):
    emu.control.update_settings(job_durations={"RestoreDisks": seconds, "OriginalLocation": seconds,
                                               "AlternateLocation": seconds, "CrossRegionRestore": seconds})
    return emu


@pytest.fixture
def fast(emu):
    """Restore jobs of about a second (polled every second by the tasks)."""
    return job_durations(emu, 1)


@pytest.fixture
def instant(emu):
    """Restore jobs that end as they start."""
    return job_durations(emu, 0)


def failed(result):
    return result.get("_state") == "failed"


def test_each_restore_type_then_an_idempotent_rerun(instant, emu_env):
    emu = instant
    db_before = emu.control.state()["vms"]["vm-db-01"]
    play = [
        restore_task("disks", disk_luns=[1], target_resource_group="rg-restore", wait="job", poll_interval=1),
        restore_task("replace", vm="vm-db-01", restore_type="replace_disks", wait="job", poll_interval=1),
        restore_task("new vm", vm="vm-app-010", restore_type="new_vm", target_resource_group="rg-restore",
                     target_vm_name="vm-app-010-restored", target_virtual_network="vnet-restore",
                     target_subnet="default", wait="job", poll_interval=1),
        restore_task("archive", vm="vm-app-011", tier="archive", rehydration_priority="High", rehydration_duration=12,
                     target_resource_group="rg-restore", wait="job", poll_interval=1),
    ]
    first = run_playbook(play, emu_env)
    assert first.rc == 0, first
    state = emu.control.state()
    assert sorted((j["vm_name"], j["recovery_type"], j["status"]) for j in state["jobs"]) == [
        ("vm-app-010", "AlternateLocation", "Completed"), ("vm-app-011", "RestoreDisks", "Completed"),
        ("vm-db-01", "OriginalLocation", "Completed"), ("vm-web-01", "RestoreDisks", "Completed")]

    # restore_disks with a LUN subset: the OS disk and LUN 1 only, managed, in rg-restore
    disks = first.task("disks")
    assert disks["changed"] is True and disks["job"]["status"] == "Completed"
    assert disks["request"]["properties"]["restoreDiskLunList"] == [1]
    assert disks["template_blob_uri"].startswith("https://strestorewe.blob.core.windows.net/")
    assert disks["config_blob_uri"] and disks["restored_disks"] == []
    web = sorted(d["name"] for d in disks_in(emu, "rg-restore") if d["name"].startswith("vm-web-01-"))
    assert len(web) == 2 and "osdisk" in web[1] and "datadisk-1" in web[0]

    # replace_disks: the VM's disks were swapped for restored ones
    db_after = state["vms"]["vm-db-01"]
    assert first.task("replace")["request"]["properties"]["recoveryType"] == "OriginalLocation"
    assert db_after["os_disk"]["id"] != db_before["os_disk"]["id"]
    assert [d["lun"] for d in db_after["data_disks"]] == [0, 1, 2]
    assert all(a["id"] != b["id"] for a, b in zip(db_after["data_disks"], db_before["data_disks"]))

    # new_vm: the VM exists
    assert first.task("new vm")["request"]["properties"]["recoveryType"] == "AlternateLocation"
    assert state["vms"]["vm-app-010-restored"]["resource_group"] == "rg-restore"

    # archive: the request asked for rehydration, and the point was rehydrated
    archive = first.task("archive")
    body = restore_posts(emu, "vm-app-011")[0]["request_body"]["properties"]
    assert body["objectType"] == "IaasVMRestoreWithRehydrationRequest"
    assert body["recoveryPointRehydrationInfo"] == {"rehydrationPriority": "High",
                                                    "rehydrationRetentionDuration": "P12D"}
    points = state["vaults"]["rsv-prod"]["items"]["vm-app-011"]["recovery_points"]
    point = [p for p in points if p["name"] == archive["recovery_point"]["name"]][0]
    assert [t["status"] for t in point["tiers"] if t["type"] == "ArchivedRP"] == ["Rehydrated"]
    assert len(restore_posts(emu)) == 4

    # the same tasks again: no new restore anywhere, the disks of vm-db-01 are not replaced twice
    second = run_playbook(play[:2], emu_env)
    assert second.rc == 0, second
    for name in ("disks", "replace"):
        again = second.task(name)
        assert again["changed"] is False and again["attached"] is True, name
        assert again["job_id"] == first.task(name)["job_id"]
    assert len(restore_posts(emu)) == 4 and len(jobs(emu)) == 4
    assert emu.control.state()["vms"]["vm-db-01"]["os_disk"]["id"] == db_after["os_disk"]["id"]
    assert len(disks_in(emu, "rg-restore")) == len([d for d in state["disks"] if d["resource_group"] == "rg-restore"])


def test_check_mode_sends_no_restore(emu, emu_env):
    play = [restore_task("plan", target_resource_group="rg-restore")]
    result = run_playbook(play, emu_env, check=True)
    assert result.rc == 0, result
    r = result.task("plan")
    assert r["changed"] is True and r["request"]["properties"]["recoveryType"] == "RestoreDisks"
    assert restore_posts(emu) == [] and jobs(emu) == []
    validates = [e for e in emu.control.requests() if e["path"].endswith("/backupValidateOperation")]
    assert len(validates) == 1 and validates[0]["request_body"]["properties"]["restoreRequest"] == \
        r["request"]["properties"]


def test_wait_modes_job_outcomes_and_a_lost_response(fast, emu_env):
    emu = fast
    emu.control.add_fault(action="job_outcome", status="Failed", method="POST", path=r".*vm-app-004/recoveryPoints/.*",
                          error_code=130002, error_string="Restore failed: the disk could not be created.")
    emu.control.add_fault(action="job_outcome", status="CompletedWithWarnings", method="POST",
                          path=r".*vm-app-005/recoveryPoints/.*", error_string="Some settings were not restored.")
    emu.control.add_fault(action="drop_after_commit", method="POST", path=r".*vm-app-006/recoveryPoints/[^/]+/restore$",
                          count=1)
    rg = dict(target_resource_group="rg-restore")
    play = [
        restore_task("none", vm="vm-app-001", register="a", wait="none", **rg),
        restore_task("operation", vm="vm-app-002", register="b", **rg),
        restore_task("job", vm="vm-app-003", register="c", wait="job", poll_interval=1, **rg),
        restore_task("fails", vm="vm-app-004", wait="job", poll_interval=1, ignore_errors=True, register="f", **rg),
        restore_task("warns", vm="vm-app-005", wait="job", poll_interval=1, register="w", **rg),
        restore_task("lost", vm="vm-app-006", wait="job", poll_interval=1, register="l", **rg),
    ]
    result = run_playbook(play, emu_env)
    log = emu.control.requests()
    by_vm = dict((j["vm_name"], j) for j in jobs(emu))
    assert len(by_vm) == len(jobs(emu)) == 6

    def op_gets(vm):
        url = restore_posts(emu, vm)[0]["response_headers"]["Azure-AsyncOperation"]
        return [e for e in log if e["method"] == "GET" and url.endswith(e["url"])], url

    def job_gets(vm):
        return [e for e in log if e["method"] == "GET" and e["path"].endswith("/backupJobs/" + by_vm[vm]["id"])]

    # wait=none: the operation URL of the 202, no polling at all
    none = result.task("none")
    gets, url = op_gets("vm-app-001")
    assert none["operation_url"] == url and none["job_id"] is None and not gets and not job_gets("vm-app-001")
    # wait=operation (the default): the Azure-AsyncOperation URL followed verbatim to the job id
    operation = result.task("operation")
    gets, url = op_gets("vm-app-002")
    assert operation["operation_url"] == url and len(gets) == 1
    assert operation["job_id"] == by_vm["vm-app-002"]["id"] and operation["job"]["status"] == "InProgress"
    # wait=job: until the job ended
    assert result.task("job")["job"]["status"] == "Completed" and by_vm["vm-app-003"]["status"] == "Completed"
    # a Failed job fails the task with Azure's code and message
    fails = result.task("fails")
    assert failed(fails) and fails["error_code"] == "130002" and fails["job_id"] == by_vm["vm-app-004"]["id"]
    assert "the disk could not be created" in fails["msg"] and by_vm["vm-app-004"]["status"] == "Failed"
    # CompletedWithWarnings succeeds with Ansible warnings
    warns = result.task("warns")
    assert not failed(warns) and warns["job"]["status"] == "CompletedWithWarnings"
    assert any("Some settings were not restored" in w for w in warns.get("warnings", []))
    # the answer to the restore POST was lost after Azure acted: one POST, one job, attached
    lost = result.task("lost")
    posts = restore_posts(emu, "vm-app-006")
    assert len(posts) == 1 and posts[0]["status"] == 0 and posts[0]["committed_status"] == 202
    assert lost["changed"] is True and lost["attached"] is True and lost["job_id"] == by_vm["vm-app-006"]["id"]
    assert lost["job"]["status"] == "Completed"
    assert result.rc == 0 or result.stats["localhost"]["failures"] == 0, result


def test_timeout_then_rerun_resumes(emu, emu_env):
    emu.control.update_settings(job_durations={"RestoreDisks": 600})
    play = [restore_task("restore", target_resource_group="rg-restore", wait="job", wait_timeout=2, poll_interval=1)]
    first = run_playbook(play, emu_env)
    assert first.rc != 0
    timed_out = first.task("restore")
    assert failed(timed_out) and timed_out["job_id"] and timed_out["changed"] is True
    assert timed_out["job_id"] in timed_out["msg"] and "operationsStatus" in timed_out["msg"]
    assert jobs(emu)[0]["status"] == "InProgress"
    # the re-run attaches to the running job and waits; the job ends once the re-run has seen it running
    mark = emu.control.requests()[-1]["seq"]
    finisher = threading.Thread(target=finish_when_polled, args=(emu, timed_out["job_id"], mark))
    finisher.start()
    second = run_playbook([dict(play[0], **{"azbackup.restore.vm_restore": dict(
        play[0]["azbackup.restore.vm_restore"], wait_timeout=60)})], emu_env)
    finisher.join()
    assert second.rc == 0, second
    resumed = second.task("restore")
    assert resumed["changed"] is False and resumed["attached"] is True and resumed["job_id"] == timed_out["job_id"]
    assert resumed["job"]["status"] == "Completed" and jobs(emu)[0]["status"] == "Completed"
    seen = job_statuses_seen(emu.control.requests(since=mark), timed_out["job_id"])
    assert seen[0] == "InProgress" and seen[-1] == "Completed", seen
    assert len(jobs(emu)) == 1 and len(restore_posts(emu)) == 1


def job_statuses_seen(entries, job_id):
    """The statuses of one job in the answers of these requests (job lists and job reads)."""
    seen = []
    for e in entries:
        body = e.get("response_body")
        docs = body.get("value", [body]) if isinstance(body, dict) else []
        for doc in docs:
            if isinstance(doc, dict) and doc.get("name") == job_id and "properties" in doc:
                seen.append(doc["properties"]["status"])
    return seen


def finish_when_polled(emu, job_id, mark, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if job_statuses_seen(emu.control.requests(since=mark), job_id):
            emu.control.finish_job(job_id)
            return
        time.sleep(0.2)


def test_preflight_refusals_send_no_restore(emu, emu_env):
    rg = dict(target_resource_group="rg-restore")
    cases = [
        ("zrs", dict(rg, staging_storage_account="strestorezrs"), "zone-redundant"),
        ("region", dict(rg, staging_storage_account="strestoreeus"), "eastus"),
        ("no storage", dict(rg, staging_storage_account="stnope"), "does not exist"),
        ("no group", dict(target_resource_group="rg-nope"), "rg-nope"),
        ("luns", dict(rg, vm="vm-db-01", disk_luns=[1, 5]), "5"),
        ("archive", dict(rg, tier="archive"), "archive"),
        ("no point", dict(rg, recovery_point_id="12345"), "does not exist"),
        ("managed needs group", dict(), "target_resource_group"),
        ("name taken", dict(restore_type="new_vm", target_resource_group="rg-prod", target_vm_name="vm-db-01",
                            target_virtual_network="vnet-restore", target_virtual_network_resource_group="rg-restore",
                            target_subnet="default"), "already exists"),
        ("no subnet", dict(rg, restore_type="new_vm", target_vm_name="vm-x", target_virtual_network="vnet-restore",
                           target_subnet="nope"), "nope"),
        ("replace with target", dict(restore_type="replace_disks", target_vm_name="vm-x"), "replace_disks"),
        ("azure validation", dict(rg, target_zone="7"), "UserErrorInvalidRequestParameter"),
    ]
    play = []
    for name, args, dummy in cases:
        args = dict(args)
        vm = args.pop("vm", "vm-web-01")
        play.append(restore_task(name, vm=vm, register=name.replace(" ", "_"), ignore_errors=True, **args))
    result = run_playbook(play, emu_env)
    for name, dummy, text in cases:
        r = result.task(name)
        assert failed(r), (name, r)
        assert text in r["msg"], (name, r["msg"])
        assert "changed" not in r or r["changed"] is False
    assert restore_posts(emu) == [] and jobs(emu) == []


def test_two_concurrent_runs_start_one_restore(emu, emu_env):
    job_durations(emu, 60)
    play = [restore_task("restore", target_resource_group="rg-restore")]
    results = [None, None]

    def go(i):
        results[i] = run_playbook(play, emu_env)
    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for res in results:
        assert res.rc == 0, res
    tasks = [res.task("restore") for res in results]
    assert len(jobs(emu)) == 1
    assert tasks[0]["job_id"] == tasks[1]["job_id"] == jobs(emu)[0]["id"]
    assert sorted(t["changed"] for t in tasks) == [False, True]
    assert len([p for p in restore_posts(emu) if p["status"] == 202]) == 1
