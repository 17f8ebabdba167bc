# -*- coding: utf-8 -*-
"""Waiting with progress: the wait_for_jobs role, alone and inside restore_disks.

The oracles: the progress lines in the play output, the emulator's request log (one job list per poll round),
and the jobs' final statuses in the emulator's state.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from playbook import run_playbook

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
