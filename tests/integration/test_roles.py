# -*- coding: utf-8 -*-
"""The roles, through the playbooks of playbooks/ and their example vars files, against the emulator.

The emulator's own state and request log are the oracle: restore POSTs sent, jobs, disks, VMs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import threading
import time

from playbook import REPO, run_playbook

PLAYBOOKS = os.path.join(REPO, "playbooks")
FLEET = ["vm-app-%03d" % i for i in range(1, 21)]


def playbook(name):
    return os.path.join(PLAYBOOKS, name + ".yml")


def vars_file(name):
    return ["-e", "@" + os.path.join(PLAYBOOKS, "vars", name + ".yml")]


def run(name, env, extra_vars=None, **kwargs):
    """Run playbooks/<name>.yml with its example vars file, then these extra vars (which win)."""
    extra = dict(poll_interval=1)
    extra.update(extra_vars or {})
    return run_playbook(playbook(name), env, extra_args=vars_file(name) + ["-e", json.dumps(extra)], **kwargs)


def task_results(result, suffix):
    """Results (loop items included) of the tasks whose name ends with ``suffix``."""
    return [r for n, r in result.tasks() if n.endswith(suffix)]


def fact(result, name):
    """The last value of a fact set with set_fact."""
    values = [r["ansible_facts"][name] for _unused, r in result.tasks() if name in (r.get("ansible_facts") or {})]
    assert values, "no task set %s" % name
    return values[-1]


def restore_posts(emu):
    return [e for e in emu.control.requests() if e["method"] == "POST" and e["path"].endswith("/restore")]


def crr_posts(emu):
    return [e for e in emu.control.requests()
            if e["method"] == "POST" and e["path"].lower().endswith("/backupcrossregionrestore")]


def jobs(emu):
    return emu.control.state()["jobs"]


def points(emu, vm):
    return emu.control.state()["vaults"]["rsv-prod"]["items"][vm]["recovery_points"]


def changed_loop_items(result, suffix):
    return [r for r in task_results(result, suffix) if r.get("_state") == "item_ok" and r.get("changed")]


def test_restore_disks_playbook_restores_both_vms_once(fast, emu_env):
    emu = fast
    first = run("restore_disks", emu_env)
    assert first.rc == 0, first

    # the oracle: one restore POST and one completed RestoreDisks job per VM
    sent = restore_posts(emu)
    assert sorted(p["request_body"]["properties"]["sourceResourceId"].rsplit("/", 1)[1] for p in sent) == \
        ["vm-db-01", "vm-web-01"]
    assert all(p["request_body"]["properties"]["recoveryType"] == "RestoreDisks" for p in sent)
    state = emu.control.state()
    by_vm = dict((j["vm_name"], j) for j in state["jobs"])
    assert sorted(by_vm) == ["vm-db-01", "vm-web-01"]
    assert all(j["status"] == "Completed" and j["recovery_type"] == "RestoreDisks" for j in by_vm.values())
    # the disks exist: the OS disk and every data disk, managed disks in rg-restore
    disks = dict((d["id"], d) for d in state["disks"])
    for vm, count in (("vm-web-01", 3), ("vm-db-01", 4)):
        created = by_vm[vm]["created"]
        assert len(created) == count and all(disks[i]["resource_group"] == "rg-restore" for i in created)

    # the published fact names the same jobs, points and template URIs
    results = fact(first, "restore_disks_results")
    assert [r["vm"] for r in results] == ["vm-web-01", "vm-db-01"]
    for r in results:
        job = by_vm[r["vm"]]
        assert r["job_id"] == job["id"] and r["status"] == "Completed" and r["changed"] is True
        assert r["recovery_point"]["name"] == job["recovery_point"] == points(emu, r["vm"])[0]["name"]
        assert r["template_blob_uri"] == job["property_bag"]["Template Blob Uri"]
        assert r["config_blob_uri"] == job["property_bag"]["Config Blob Uri"]
        assert r["target_resource_group"] == "rg-restore" and r["error_details"] == []
    assert results[1]["restored_disk_luns"] == [0, 1, 2]

    # again: it attaches to the same jobs, sends no restore and changes nothing
    second = run("restore_disks", emu_env)
    assert second.rc == 0, second
    assert len(restore_posts(emu)) == 2 and len(jobs(emu)) == 2
    assert second.stats["localhost"]["changed"] == 0
    assert changed_loop_items(second, "Start the restore of every VM (without waiting for the jobs)") == []
    again = fact(second, "restore_disks_results")
    assert [(r["job_id"], r["changed"]) for r in again] == [(r["job_id"], False) for r in results]


def test_restore_disks_survey_values_and_a_failed_job(fast, emu_env):
    """Flat survey-style strings map onto the role; a failed job is reported, then fails the play."""
    emu = fast
    emu.control.add_fault(action="job_outcome", status="Failed", method="POST",
                          path=r".*vm-app-002/recoveryPoints/[^/]+/restore$", error_code=130002,
                          error_string="Restore failed: the disk could not be created.")
    result = run("restore_disks", emu_env, extra_vars=dict(
        vm_names="vm-app-001,\nvm-app-002", disk_luns="0", recovery_point_type="AppConsistent",
        force="false", wait_timeout="600", poll_interval="1"))
    assert result.rc != 0
    sent = restore_posts(emu)
    assert len(sent) == 2
    assert all(p["request_body"]["properties"]["restoreDiskLunList"] == [0] for p in sent)
    state = emu.control.state()
    by_vm = dict((j["vm_name"], j) for j in state["jobs"])
    assert by_vm["vm-app-002"]["status"] == "Failed"
    assert by_vm["vm-app-001"]["status"] == "Completed"
    # the newest application-consistent point of each VM
    for vm in ("vm-app-001", "vm-app-002"):
        newest = [p for p in points(emu, vm) if p["type"] == "AppConsistent"][0]
        assert by_vm[vm]["recovery_point"] == newest["name"]
    results = fact(result, "restore_disks_results")
    assert [(r["vm"], r["status"]) for r in results] == [("vm-app-001", "Completed"), ("vm-app-002", "Failed")]
    assert results[1]["job_id"] == by_vm["vm-app-002"]["id"] and results[1]["error_details"]
    failure = task_results(result, "Fail unless every restore succeeded")[-1]
    assert failure["_state"] == "failed"
    assert "1 of 2" in failure["msg"] and "vm-app-002: Failed" in failure["msg"]


def test_restore_disks_check_mode_sends_no_restore(emu, emu_env):
    result = run("restore_disks", emu_env, check=True)
    assert result.rc == 0, result
    assert restore_posts(emu) == [] and jobs(emu) == []
    results = fact(result, "restore_disks_results")
    assert [(r["vm"], r["status"], r["changed"]) for r in results] == [
        ("vm-web-01", "CheckMode", True), ("vm-db-01", "CheckMode", True)]


def test_replace_disks_refuses_without_point_or_confirm(emu, emu_env):
    """One VM names its recovery point, the other does not, and there is no confirmation."""
    before = emu.control.state()["vms"]["vm-db-01"]
    result = run("replace_disks", emu_env, extra_vars=dict(confirm="no", vms=[
        {"name": "vm-db-01", "resource_group": "rg-prod"},
        {"name": "vm-web-01", "resource_group": "rg-prod", "recovery_point_id": "1"}]))
    assert result.rc != 0
    refusal = task_results(result, "Refuse to replace disks without an explicit recovery point or a confirmation")
    assert refusal and refusal[-1]["_state"] == "failed" and "Refusing to replace the disks of vm-db-01" in \
        refusal[-1]["msg"]
    assert "vm-web-01" not in refusal[-1]["msg"]
    # nothing reached Azure: no POST at all, not even a read
    assert emu.control.requests() == []
    assert emu.control.state()["vms"]["vm-db-01"] == before and jobs(emu) == []


def test_replace_disks_with_explicit_point_swaps_the_disks_once(fast, emu_env):
    emu = fast
    before = emu.control.state()["vms"]["vm-db-01"]
    point = points(emu, "vm-db-01")[1]  # the one before the newest
    first = run("replace_disks", emu_env, extra_vars=dict(confirm=False, recovery_point_id=point["name"]))
    assert first.rc == 0, first

    sent = restore_posts(emu)
    assert len(sent) == 1
    body = sent[0]["request_body"]["properties"]
    assert body["recoveryType"] == "OriginalLocation" and body["recoveryPointId"] == point["name"]
    (job,) = jobs(emu)
    assert job["status"] == "Completed" and job["recovery_type"] == "OriginalLocation"
    after = emu.control.state()["vms"]["vm-db-01"]
    # the VM runs on the restored disks now: every disk swapped for one the job created
    assert after["os_disk"]["id"] != before["os_disk"]["id"] and after["os_disk"]["id"] in job["created"]
    assert [d["lun"] for d in after["data_disks"]] == [0, 1, 2]
    assert all(a["id"] in job["created"] and a["id"] != b["id"]
               for a, b in zip(after["data_disks"], before["data_disks"]))

    # it reported the VM's disks as they were and the point before acting
    report = [r for r in task_results(first, "Report each VM's disks and the recovery point that will replace them")
              if r.get("_state") == "item_ok"][0]["msg"]
    assert report["replace_with"]["recovery_point"] == point["name"]
    assert report["current_disks"]["os_disk"] == before["os_disk"]["id"]
    assert report["current_disks"]["data_disks"] == ["%d: %s" % (d["lun"], d["name"]) for d in before["data_disks"]]
    (result,) = fact(first, "replace_disks_results")
    assert result["disks_before"]["os_disk"]["id"] == before["os_disk"]["id"]
    assert [d["id"] for d in result["disks_before"]["data_disks"]] == [d["id"] for d in before["data_disks"]]
    assert result["job_id"] == job["id"] and result["status"] == "Completed" and result["changed"] is True

    # again: never replaced twice
    second = run("replace_disks", emu_env, extra_vars=dict(confirm=False, recovery_point_id=point["name"]))
    assert second.rc == 0, second
    assert len(restore_posts(emu)) == 1 and len(jobs(emu)) == 1
    assert emu.control.state()["vms"]["vm-db-01"] == after
    assert second.stats["localhost"]["changed"] == 0
    (again,) = fact(second, "replace_disks_results")
    assert again["job_id"] == job["id"] and again["changed"] is False


def test_secondary_region_restore_playbook_restores_in_the_paired_region_once(fast, emu_env):
    emu = fast
    first = run("secondary_region_restore", emu_env)
    assert first.rc == 0, first

    (sent,) = crr_posts(emu)
    assert "/locations/northeurope/" in sent["path"]
    request = sent["request_body"]["restoreRequest"]
    assert request["recoveryType"] == "RestoreDisks" and request["region"] == "northeurope"
    replicated = [p for p in points(emu, "vm-web-01") if p["replicated"]][0]
    assert request["recoveryPointId"] == replicated["name"] != points(emu, "vm-web-01")[0]["name"]
    (job,) = jobs(emu)
    assert job["crr"] is True and job["operation"] == "CrossRegionRestore" and job["status"] == "Completed"
    state = emu.control.state()
    disks = dict((d["id"], d) for d in state["disks"])
    assert len(job["created"]) == 3
    assert all(disks[i]["resource_group"] == "rg-dr" and disks[i]["location"] == "northeurope"
               for i in job["created"])
    (result,) = fact(first, "secondary_region_restore_results")
    assert result["job_id"] == job["id"] and result["status"] == "Completed"
    assert result["secondary_region"] == "northeurope" and result["recovery_point"]["name"] == replicated["name"]
    assert result["template_blob_uri"] == job["property_bag"]["Template Blob Uri"]

    # the access token never shows: not in the output, not in any task result
    token = sent["request_body"]["crossRegionRestoreAccessDetails"]["accessTokenString"]
    assert token and token not in first.output and token not in json.dumps(first.data)

    second = run("secondary_region_restore", emu_env)
    assert second.rc == 0, second
    assert len(crr_posts(emu)) == 1 and len(jobs(emu)) == 1
    assert second.stats["localhost"]["changed"] == 0
    (again,) = fact(second, "secondary_region_restore_results")
    assert again["job_id"] == job["id"] and again["changed"] is False


def test_fan_out_starts_every_restore_before_the_first_job_ends(emu, emu_env):
    """20 VMs: every restore POST is sent before the first job ends, and one task waits for them all.

    The jobs would run for an hour; a watcher finishes all of them as soon as all 20 exist (or, should
    the role wait for each job before starting the next, after a deadline, which fails the test).
    """
    emu.control.update_settings(job_durations={"RestoreDisks": 3600})
    stop = threading.Event()
    deadline = time.monotonic() + 240

    def finisher():
        # Watch the request log (cheap) for the restore POSTs; read the state only to finish jobs.
        seen, since = 0, None
        while not stop.is_set():
            entries = emu.control.requests(since=since)
            if entries:
                since = entries[-1]["seq"]
                seen += len([e for e in entries if e["method"] == "POST" and e["path"].endswith("/restore")])
            late = time.monotonic() > deadline
            if seen >= len(FLEET) or (seen and late):
                running = [j for j in jobs(emu) if j["status"] == "InProgress"]
                if len(running) == len(FLEET) or late:
                    for j in running:
                        emu.control.finish_job(j["id"])
                    if not late:
                        return
            stop.wait(0.3)

    watcher = threading.Thread(target=finisher)
    watcher.start()
    try:
        result = run("restore_disks", emu_env, extra_vars=dict(vm_names=",".join(FLEET), wait_timeout=300))
    finally:
        stop.set()
        watcher.join()
    assert result.rc == 0, result

    sent = restore_posts(emu)
    assert len(sent) == len(FLEET)
    done = jobs(emu)
    assert sorted(j["vm_name"] for j in done) == FLEET and all(j["status"] == "Completed" for j in done)
    first_end = min(j["end"] for j in done)
    assert max(p["time"] for p in sent) < first_end
    # each slice of the wait read all of them (the last slice saw them end)
    waited = task_results(result, "Wait for the restore jobs for one slice")[-1]
    assert sorted(j["job_id"] for j in waited["jobs"]) == sorted(j["id"] for j in done)
    results = fact(result, "restore_disks_results")
    assert [r["vm"] for r in results] == FLEET
    assert [r["job_id"] for r in results] == [dict((j["vm_name"], j["id"]) for j in done)[vm] for vm in FLEET]
