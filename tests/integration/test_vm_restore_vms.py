# -*- coding: utf-8 -*-
"""vm_restore's list form (``vms``) against the emulator; the emulator's request log is the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from playbook import run_playbook

from test_vm_restore import jobs, restore_posts

VMS = ["vm-app-%03d" % i for i in range(1, 7)]

TASK = {"name": "fleet", "register": "r", "azbackup.restore.vm_restore": dict(
    vault_name="rsv-prod", vault_resource_group="rg-vault", restore_type="restore_disks",
    staging_storage_account="strestorewe", staging_storage_account_resource_group="rg-restore",
    target_resource_group="rg-restore", vms=[dict(name=vm, resource_group="rg-prod") for vm in VMS],
    concurrency=6, wait="none")}


def gets(entries, suffix):
    return [e for e in entries if e["method"] == "GET" and e["path"].split("?")[0].lower().endswith(suffix.lower())]


def test_six_vms_from_one_task_then_a_rerun_attaches(emu, emu_env):
    first = run_playbook([TASK], emu_env)
    assert first.rc == 0, first
    result = first.task("fleet")
    assert [r["vm"] for r in result["results"]] == ["rg-prod/" + vm for vm in VMS]
    assert all(r["changed"] and not r["failed"] and r["operation_url"] for r in result["results"])

    log = emu.control.requests()
    posts = restore_posts(emu)
    assert sorted(p["path"].split("/recoveryPoints/")[0].rsplit(";", 1)[1] for p in posts) == VMS
    assert len(gets(log, "/vaults/rsv-prod")) == 1
    assert len(gets(log, "/storageAccounts/strestorewe")) == 1
    assert len(gets(log, "/backupResourceGuardProxies")) == 1
    assert len(gets(log, "/oauth2/v2.0/token")) == 0 and sum(1 for e in log if "/oauth2/" in e["path"]) == 1
    first_post = min(i for i, e in enumerate(log) if e["method"] == "POST" and e["path"].endswith("/restore"))
    searches = gets(log[:first_post], "/backupJobs")
    # One listing for the idempotency search of every VM, and the look again just before the requests,
    # shared by the VMs whose checks ran meanwhile.
    assert 1 <= len(searches) <= 3, [e["path"] for e in searches]
    assert sorted(j["vm_name"] for j in jobs(emu)) == VMS

    second = run_playbook([TASK], emu_env)
    assert second.rc == 0, second
    again = second.task("fleet")
    assert again["changed"] is False and all(r["attached"] for r in again["results"])
    assert len(restore_posts(emu)) == len(VMS) and len(jobs(emu)) == len(VMS)


def test_wait_job_waits_for_all_the_jobs_with_one_job_list_per_round(emu, emu_env):
    emu.control.update_settings(job_durations={"RestoreDisks": 3})
    args = dict(TASK["azbackup.restore.vm_restore"], wait="job", poll_interval=1)
    task = dict(TASK, **{"azbackup.restore.vm_restore": args})
    result = run_playbook([task], emu_env)
    assert result.rc == 0, result
    out = result.task("fleet")
    assert all(r["job"]["status"] == "Completed" and r["config_blob_uri"] for r in out["results"])
    log = emu.control.requests()
    last_post = max(i for i, e in enumerate(log) if e["method"] == "POST" and e["path"].endswith("/restore"))
    after = log[last_post + 1:]
    lists = gets(after, "/backupJobs")
    reads = [e for e in log if e["method"] == "GET" and "/backupjobs/" in e["path"].lower()]
    # one read of each job after its operation, one as it ended; the lists are the rounds (a few seconds' worth)
    assert len(reads) == 2 * len(VMS), len(reads)
    assert 1 <= len(lists) <= 8, len(lists)
    assert sorted(j["vm_name"] for j in jobs(emu)) == VMS and all(j["status"] == "Completed" for j in jobs(emu))
