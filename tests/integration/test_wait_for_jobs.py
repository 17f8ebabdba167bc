# -*- coding: utf-8 -*-
"""Waiting with progress: the wait_for_jobs role, alone and inside restore_disks.

The oracles: the progress lines in the play output, the emulator's request log (one job list per poll round),
and the jobs' final statuses in the emulator's state.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading
import time

import requests

import pytest

from playbook import run_playbook
from test_restore_job_info import VAULT, item_of, restore_disks_request

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api_versions
from ansible_collections.azbackup.restore.plugins.module_utils._common import get_client
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import RecoveryPoints

VMS = ["vm-app-%03d" % i for i in range(10, 14)]


def restore_disks(progress_interval, **extra):
    role_vars = dict(restore_disks_vault_name="rsv-prod", restore_disks_vault_resource_group="rg-vault",
                     restore_disks_vms=[dict(name=vm, resource_group="rg-prod") for vm in VMS],
                     restore_disks_staging_storage_account="strestorewe",
                     restore_disks_staging_storage_account_resource_group="rg-restore",
                     restore_disks_target_resource_group="rg-restore", restore_disks_poll_interval=1,
                     restore_disks_progress_interval=progress_interval)
    role_vars.update(extra)
    return [{"name": "restore", "ansible.builtin.include_role": {"name": "azbackup.restore.restore_disks"},
             "vars": role_vars}]


def progress_lines(output):
    return re.findall(r"Restore jobs: (\d+) of (\d+) done: (\d+) completed, (\d+) failed; (\d+) running", output)


def test_restore_disks_shows_progress_while_its_jobs_run(emu, emu_env):
    emu.control.update_settings(job_durations={"RestoreDisks": 9})
    res = run_playbook(restore_disks(progress_interval=3), emu_env, timeout=300)
    assert res.rc == 0, res.output[-6000:]
    lines = progress_lines(res.output)
    assert len(lines) >= 2, res.output[-4000:]
    assert any(int(running) > 0 for dummy, dummy2, dummy3, dummy4, running in lines)
    assert lines[-1] == ("4", "4", "4", "0", "0")
    statuses = [j["status"] for j in emu.control.state()["jobs"]]
    assert statuses.count("Completed") == 4


def test_failures_are_counted_and_the_role_still_judges_them(emu, emu_env):
    emu.control.update_settings(job_durations={"RestoreDisks": 2}, job_outcome="Failed")
    res = run_playbook(restore_disks(progress_interval=60), emu_env, timeout=300)
    assert res.rc != 0
    assert progress_lines(res.output)[-1] == ("4", "4", "0", "4", "0")
    assert "4 of 4 restore(s) did not succeed" in res.output


def test_the_wait_runs_out_without_failing_and_says_so(emu, emu_env):
    emu.control.update_settings(job_durations={"RestoreDisks": 600})
    tasks = restore_disks(progress_interval=2) + [{"name": "outcome", "ansible.builtin.debug": {
        "msg": "{{ wait_for_jobs_result.timed_out }} {{ wait_for_jobs_result.done }}"}}]
    tasks[0]["vars"].update(restore_disks_wait_timeout=5, restore_disks_fail_on_job_failure=False)
    res = run_playbook(tasks, emu_env, timeout=300)
    assert res.rc == 0, res.output[-6000:]
    assert res.task("outcome")["msg"] == "True False"
    lines = progress_lines(res.output)
    assert lines and all(int(running) == 4 for dummy, dummy2, dummy3, dummy4, running in lines)
    # No read per job per round: the rounds list the jobs (and read each job once, to resolve its operation).
    lists = [e for e in emu.control.requests() if e["method"] == "GET" and e["path"].split("?")[0].endswith("/backupJobs")]
    reads = [e for e in emu.control.requests() if e["method"] == "GET" and "/backupJobs/" in e["path"]
             and "/operation" not in e["path"].lower()]
    assert len(lists) >= 3 and len(reads) <= len(VMS) * 2


# --------------------------------------------------------------------------------------------
# Operations that take longer than a slice to name their job


STARTING = r"; (\d+) restore operation\(s\) still starting their job"


@pytest.fixture
def api(emu, emu_env, monkeypatch):
    """The collection's own ARM client, authenticated against the emulator like any Azure client."""
    for key, value in emu_env.items():
        monkeypatch.setenv(key, value)
    return get_client({}, session=requests.Session(), env=emu_env)


def start_restores(emu, api, operation_seconds):
    """Restore-disks requests sent straight to the API, each operation naming its job after its own number of
    (emulated) seconds: [(VM, Azure-AsyncOperation URL)]."""
    out = []
    for vm, seconds in zip(VMS, operation_seconds):
        emu.control.update_settings(operation_duration_seconds=seconds)
        item = item_of(api, vm)
        point = RecoveryPoints(api, item).choose({})["name"]
        body = {"properties": restore_disks_request(item, point, "westeurope", "rg-restore", "strestorewe")}
        resp = api.post(item.recovery_point_path(point) + "/restore", api_version=api_versions.BACKUP, json=body,
                        ok=(202,))
        out.append((vm, resp.header("Azure-AsyncOperation")))
    return out


def wait_and_match(restores, timeout):
    """The wait_for_jobs role on the operation URLs, then restore_results on what it published."""
    return [
        {"name": "wait", "ansible.builtin.include_role": {"name": "azbackup.restore.wait_for_jobs"},
         "vars": dict(wait_for_jobs_vault_name=VAULT["vault_name"],
                      wait_for_jobs_vault_resource_group=VAULT["vault_resource_group"],
                      wait_for_jobs_operation_urls=[url for vm, url in restores], wait_for_jobs_timeout=timeout,
                      wait_for_jobs_poll_interval=1, wait_for_jobs_progress_interval=2)},
        {"name": "outcome", "ansible.builtin.debug": {"msg": "{{ wait_for_jobs_result }}"}},
        {"name": "per vm",
         "ansible.builtin.debug": {"msg": "{{ started | azbackup.restore.restore_results(jobs=wait_for_jobs_result) }}"}},
    ]


def started_loop(restores):
    return [dict(item=dict(name=vm, resource_group="rg-prod"), operation_url=url, changed=True) for vm, url in restores]


def operation_polls(emu, url):
    """The reads of the operation of ``url`` (the emulator names its job as the operation: not those)."""
    tail = "/operationsstatus/" + url.split("?")[0].rsplit("/", 1)[1].lower()
    return [e for e in emu.control.requests() if e["method"] == "GET" and e["path"].split("?")[0].lower().endswith(tail)]


def end_late(emu, url):
    """A thread that lets the operation of ``url`` run on through more than one slice (polled 4 times: at most 3
    polls fit in a slice of 2 s at 1 s), then ends it (the emulated clock jumps past it)."""
    def operator():
        deadline = time.time() + 120
        while len(operation_polls(emu, url)) < 4 and time.time() < deadline:
            time.sleep(0.1)
        emu.control.advance(600)

    thread = threading.Thread(target=operator, daemon=True)
    thread.start()
    return thread


def test_operations_that_outlast_a_slice_are_followed_in_the_next(emu, emu_env, api):
    emu.control.update_settings(job_durations={"RestoreDisks": 2})
    restores = start_restores(emu, api, [600, 600, 600])
    operator = end_late(emu, restores[0][1])
    res = run_playbook(wait_and_match(restores, timeout=60), emu_env, extra_vars=dict(started=started_loop(restores)),
                       timeout=300)
    operator.join()
    assert res.rc == 0, res.output[-6000:]
    assert re.search(r"Restore jobs: 0 of 0 done: 0 completed, 0 failed; 0 running" + STARTING, res.output).group(1) \
        == "3", res.output[-4000:]
    assert progress_lines(res.output)[-1] == ("3", "3", "3", "0", "0")
    outcome = res.task("outcome")["msg"]
    assert outcome["done"] is True and outcome["timed_out"] is False and outcome["pending_operation_urls"] == []
    jobs = dict((j["id"], j) for j in emu.control.state()["jobs"])
    assert [jobs[j["job_id"]]["vm_name"] for j in outcome["jobs"]] == VMS[:3]
    per_vm = res.task("per vm")["msg"]
    assert [(r["vm"], jobs[r["job_id"]]["vm_name"], r["status"]) for r in per_vm] == \
        [(vm, vm, "Completed") for vm in VMS[:3]]


def test_jobs_keep_their_order_when_a_middle_operation_names_its_job_late(emu, emu_env, api):
    emu.control.update_settings(job_durations={"RestoreDisks": 2})
    restores = start_restores(emu, api, [0, 600, 0])
    operator = end_late(emu, restores[1][1])
    res = run_playbook(wait_and_match(restores, timeout=60), emu_env, extra_vars=dict(started=started_loop(restores)),
                       timeout=300)
    operator.join()
    assert res.rc == 0, res.output[-6000:]
    assert re.findall(STARTING, res.output)[:1] == ["1"], res.output[-4000:]
    outcome = res.task("outcome")["msg"]
    assert outcome["done"] is True and outcome["pending_operation_urls"] == []
    jobs = dict((j["id"], j) for j in emu.control.state()["jobs"])
    assert [jobs[j["job_id"]]["vm_name"] for j in outcome["jobs"]] == VMS[:3]
    per_vm = res.task("per vm")["msg"]
    assert [(r["vm"], jobs[r["job_id"]]["vm_name"], r["status"]) for r in per_vm] == \
        [(vm, vm, "Completed") for vm in VMS[:3]]
    # The URL before the late one was read by job id after the first slice; the one after it was asked again.
    assert len(operation_polls(emu, restores[0][1])) == 1
    assert len(operation_polls(emu, restores[2][1])) >= 2


def test_a_wait_that_runs_out_before_an_operation_names_its_job_says_which(emu, emu_env, api):
    emu.control.update_settings(job_durations={"RestoreDisks": 1})
    restores = start_restores(emu, api, [0, 600, 0])
    res = run_playbook(wait_and_match(restores, timeout=4), emu_env, extra_vars=dict(started=started_loop(restores)),
                       timeout=300)
    assert res.rc == 0, res.output[-6000:]
    outcome = res.task("outcome")["msg"]
    assert outcome["timed_out"] is True and outcome["done"] is False and not outcome.get("failed")
    assert outcome["pending_operation_urls"] == [restores[1][1]]
    jobs = dict((j["id"], j) for j in emu.control.state()["jobs"])
    assert [jobs[j["job_id"]]["vm_name"] for j in outcome["jobs"]] == [VMS[0], VMS[2]]
    per_vm = res.task("per vm")["msg"]
    assert [(r["vm"], r["status"]) for r in per_vm] == [(VMS[0], "Completed"), (VMS[1], "Unknown"), (VMS[2], "Completed")]
    assert jobs[per_vm[2]["job_id"]]["vm_name"] == VMS[2] and per_vm[1]["job_id"] == ""
