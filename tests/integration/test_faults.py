# -*- coding: utf-8 -*-
"""Azure misbehaving under real playbook runs: the emulator's fault rules, throttling, token expiry,
timeouts, interrupted and concurrent runs.

The emulator's request log and state are the oracle: how many restore requests were sent and what
they were answered, how many jobs exist, when each retry came after a 429, which token requests
were made. Durations are kept small (Retry-After 1, jobs of a few seconds, the job-finish control).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import yaml

from playbook import REPO, collections_path, run_playbook

BASE = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_resource_group="rg-prod",
            restore_type="restore_disks", staging_storage_account="strestorewe",
            staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore")
CRR_BASE = dict(BASE, staging_storage_account="strestorene", staging_storage_account_resource_group="rg-dr",
                target_resource_group="rg-dr")
PLAYBOOKS = os.path.join(REPO, "playbooks")
RESTORE_POST = r"/recoveryPoints/[^/]+/restore$"


def vm_restore(name, vm, register=None, **args):
    task = {"name": name, "azbackup.restore.vm_restore": dict(BASE, vm_name=vm, **args), "ignore_errors": True}
    if register:
        task["register"] = register
    return task


def crr_restore(name, vm, **args):
    return {"name": name, "azbackup.restore.crr_restore": dict(CRR_BASE, vm_name=vm, **args), "ignore_errors": True}


def failed(result):
    return result.get("_state") == "failed"


def header(entry, name, which="response_headers"):
    for key, value in (entry.get(which) or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def when(entry):
    """The time the emulator received the request (its log has 7 fractional digits and a Z)."""
    return datetime.datetime.strptime(entry["time"][:26], "%Y-%m-%dT%H:%M:%S.%f")


def restore_posts(log, vm=None):
    """Restore requests (primary and cross-region), optionally those of one VM's recovery points."""
    out = []
    for e in log:
        if e["method"] != "POST":
            continue
        if re.search(RESTORE_POST, e["path"]) and (vm is None or (";%s/" % vm) in e["path"]):
            out.append(e)
        elif e["path"].lower().endswith("/backupcrossregionrestore") and (
                vm is None or vm in json.dumps(e.get("request_body"))):
            out.append(e)
    return out


def jobs(emu, vm=None):
    return [j for j in emu.control.state()["jobs"] if vm is None or j["vm_name"] == vm]


def job_durations(emu, seconds, **settings):
    emu.control.update_settings(job_durations={"RestoreDisks": seconds, "OriginalLocation": seconds,
                                               "AlternateLocation": seconds, "CrossRegionRestore": seconds},
                                **settings)


def same_request(a, b):
    """Two log entries of the same client call: its retries keep x-ms-client-request-id (Azure AD's
    token requests carry none: the next token request is the retry)."""
    if a["kind"] == "aad":
        return b["kind"] == "aad" and b["method"] == a["method"] and b["path"] == a["path"]
    rid = header(a, "x-ms-client-request-id", "request_headers")
    return rid is not None and header(b, "x-ms-client-request-id", "request_headers") == rid


def check_retry_after(log):
    """After each answer with Retry-After N, the client's retry came N s later or more; returns the
    (entry, delay) pairs checked. Every such answer must have been retried."""
    checked = []
    for i, e in enumerate(log):
        wait = header(e, "Retry-After")
        if e["status"] not in (429, 503) or wait is None:
            continue
        retry = next((n for n in log[i + 1:] if same_request(e, n)), None)
        assert retry is not None, "no retry of %s %s (seq %s)" % (e["method"], e["path"], e["seq"])
        delay = (when(retry) - when(e)).total_seconds()
        assert delay >= float(wait) - 0.01, "retried %.3f s after a %s with Retry-After %s: %s %s" % (
            delay, e["status"], wait, e["method"], e["path"])
        checked.append((e, delay))
    return checked


def fault(emu, **rule):
    return emu.control.add_fault(**rule)["id"]


def applied(emu, rule_id):
    return next(r["applied"] for r in emu.control.faults() if r["id"] == rule_id)


# --------------------------------------------------------------------------------------------
# transient faults: retried, the restore completes once


def test_transient_faults_at_every_step_are_retried(emu, emu_env):
    job_durations(emu, 2)
    vm = "vm-app-002"
    rules = dict(
        token_429=fault(emu, method="POST", path=r"/oauth2/v2\.0/token$", action="status", status=429, count=1),
        vault_429=fault(emu, method="GET", path=r"/vaults/rsv-prod$", action="status", status=429, count=1),
        points_503=fault(emu, method="GET", path=vm + r"/recoveryPoints$", action="status", status=503,
                         retry_after=1, count=3),
        storage_slow=fault(emu, method="GET", path=r"/storageAccounts/strestorewe$", action="delay", seconds=3,
                           count=1),
        restore_500=fault(emu, method="POST", path=vm + RESTORE_POST, action="status", status=500, count=1),
        restore_429=fault(emu, method="POST", path=vm + RESTORE_POST, action="status", status=429, after=1, count=1),
        poll_drop=fault(emu, method="GET", path=vm + r"/operationsStatus/", action="drop", count=1),
        poll_429=fault(emu, method="GET", path=vm + r"/operationsStatus/", action="status", status=429, after=1,
                       count=1),
        job_502=fault(emu, method="GET", path=r"/backupJobs/[^/]+$", action="status", status=502, count=1),
        job_429=fault(emu, method="GET", path=r"/backupJobs/[^/]+$", action="status", status=429, after=1, count=1),
    )
    result = run_playbook([vm_restore("restore", vm, wait="job", poll_interval=1, api_timeout=2)], emu_env)
    log = emu.control.requests()

    task = result.task("restore")
    assert result.rc == 0 and not failed(task), result
    assert task["changed"] is True and task["job"]["status"] == "Completed"
    for name, rule_id in rules.items():
        assert applied(emu, rule_id) == (3 if name == "points_503" else 1), name
    # one restore: the 500 (Azure did not act), the 429, then the 202; one job
    posts = restore_posts(log, vm)
    assert [p["status"] for p in posts] == [500, 429, 202]
    (job,) = jobs(emu)
    assert job["id"] == task["job_id"] and job["status"] == "Completed"
    # the slow answer was given up after api_timeout and asked again
    storage = [e for e in log if e["path"].endswith("/storageAccounts/strestorewe")]
    assert len(storage) == 2 and (when(storage[1]) - when(storage[0])).total_seconds() >= 2
    # the dropped poll was sent again
    polls = [e for e in log if "/operationsStatus/" in e["path"]]
    assert [p["status"] for p in polls][:3] == [0, 429, 200]
    # never faster than Retry-After: token 429, vault 429, three 503s, restore 429, poll 429, job 429
    assert len(check_retry_after(log)) == 8


def test_thirty_vm_fan_out_under_arm_throttling(emu, emu_env):
    """playbooks/restore_disks.yml on the 30-VM fleet with ARM's token buckets small enough to
    throttle: no task fails, one restore per VM, and no retry before its Retry-After."""
    job_durations(emu, 1, throttling={"enabled": True, "reads": {"capacity": 10, "refill_per_second": 5},
                                      "writes": {"capacity": 30, "refill_per_second": 1}})
    fleet = ["vm-app-%03d" % i for i in range(1, 31)]
    fault(emu, method="POST", path=r"/oauth2/v2\.0/token$", action="status", status=429, count=1)
    fault(emu, method="POST", path="vm-app-015" + RESTORE_POST, action="status", status=429, count=1)
    result = run_playbook(os.path.join(PLAYBOOKS, "restore_disks.yml"), emu_env, extra_args=[
        "-e", "@" + os.path.join(PLAYBOOKS, "vars", "restore_disks.yml"),
        "-e", json.dumps({"vm_names": ",".join(fleet), "poll_interval": 1})])
    log = emu.control.requests()

    assert result.rc == 0 and result.stats["localhost"]["failures"] == 0, result
    by_vm = dict((j["vm_name"], j) for j in jobs(emu))
    assert sorted(by_vm) == fleet and len(jobs(emu)) == 30
    assert set(j["status"] for j in by_vm.values()) == {"Completed"}
    accepted = [p for p in restore_posts(log) if p["status"] == 202]
    assert sorted(re.search(r";(vm-app-\d+)/", p["path"]).group(1) for p in accepted) == fleet
    throttled = [e for e in log if e["status"] == 429]
    by_bucket = [e for e in throttled if not e.get("faults")]
    assert by_bucket and all(header(e, "Retry-After") for e in by_bucket)
    assert [e for e in throttled if e["method"] == "GET" and "/backupJobs/" in e["path"]]  # while polling
    assert [e for e in throttled if re.search(RESTORE_POST, e["path"])]  # the restore POST
    assert [e for e in throttled if e["kind"] == "aad"]  # the token request
    assert len(check_retry_after(log)) == len(throttled)


# --------------------------------------------------------------------------------------------
# faults that last: bounded retries, then a clear error naming what failed


def test_lasting_faults_end_with_a_clear_error(emu, emu_env):
    job_durations(emu, 2)
    fault(emu, method="GET", path=r"vm-app-003/recoveryPoints$", action="status", status=503, retry_after=1)
    fault(emu, method="GET", path=r"vm-app-004/recoveryPoints$", action="delay", seconds=2)
    lost = fault(emu, method="GET", path=r"/backupJobs/[^/]+$", action="drop")
    retries = dict(max_retries=2)
    play = [
        vm_restore("unavailable", "vm-app-003", **retries),
        vm_restore("too slow", "vm-app-004", api_timeout=1, **retries),
        vm_restore("polls lost", "vm-app-005", wait="job", poll_interval=1, **retries),
        {"name": "the network recovers", "ansible.builtin.uri": {
            "url": "%s/_emulator/faults/%s" % (emu.endpoint, lost), "method": "DELETE",
            "ca_path": emu.ca_bundle}},
        vm_restore("run again", "vm-app-005", wait="job", poll_interval=1, **retries),
    ]
    result = run_playbook(play, emu_env)
    log = emu.control.requests()

    def requests_to(pattern):
        return [e for e in log if re.search(pattern, e["path"])]

    # 503 three times (1 + max_retries), then Azure's code and the operation in words
    unavailable = result.task("unavailable")
    assert failed(unavailable) and unavailable["status_code"] == 503
    assert unavailable["error_code"] == "ServiceUnavailable" and unavailable["correlation_id"]
    assert unavailable["msg"].startswith("Failed to list the recovery points of vm;iaasvmcontainerv2;rg-prod;"
                                         "vm-app-003: (ServiceUnavailable)")
    assert "[gave up after 3 attempts]" in unavailable["msg"]
    assert [e["status"] for e in requests_to(r"vm-app-003/recoveryPoints$")] == [503, 503, 503]

    # no answer within api_timeout, three times
    slow = result.task("too slow")
    assert failed(slow) and slow["attempts"] == 3 and "vm-app-004" in slow["url"]
    assert "failed after 3 attempt(s): ReadTimeout" in slow["msg"] and "no answer within 1 s" in slow["msg"]
    assert "api_timeout" in slow["msg"] and len(requests_to(r"vm-app-004/recoveryPoints$")) == 3

    # the restore started, then every poll of its job was lost: the task says so and how to resume
    polls_lost = result.task("polls lost")
    (job,) = jobs(emu, "vm-app-005")
    assert failed(polls_lost) and polls_lost["changed"] is True and polls_lost["job_id"] == job["id"]
    assert polls_lost["msg"].startswith("Started to restore vm;iaasvmcontainerv2;rg-prod;vm-app-005 (restore_disks)")
    assert "(job %s), but following it failed: GET " % job["id"] in polls_lost["msg"]
    assert "run the task again to attach to it" in polls_lost["msg"]
    # ... and the run after the outage attaches to that job and sees it finish
    again = result.task("run again")
    assert not failed(again) and again["changed"] is False and again["attached"] is True
    assert again["job_id"] == job["id"] and again["job"]["status"] == "Completed"
    assert len(restore_posts(log, "vm-app-005")) == 1 and len(jobs(emu)) == 1
    assert restore_posts(log, "vm-app-003") == restore_posts(log, "vm-app-004") == []


# --------------------------------------------------------------------------------------------
# the bearer token expires during a long wait


def wait_for(predicate, timeout=60, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s" % predicate)


def job_polls(emu, job_id, since=None):
    return [e for e in emu.control.requests(since=since) if e["method"] == "GET"
            and e["path"].endswith("/backupJobs/" + job_id)]


def test_token_expiring_during_a_long_wait_is_renewed(emu, emu_env):
    job_durations(emu, 600)
    outcome = {}

    def operator():
        job = wait_for(lambda: jobs(emu))[0]
        wait_for(lambda: len(job_polls(emu, job["id"])) >= 2)
        mark = emu.control.requests()[-1]["seq"]
        emu.control.expire_tokens()
        # the next poll is refused (401), a new token is fetched, the poll is answered
        outcome["renewed"] = wait_for(lambda: [e for e in job_polls(emu, job["id"], mark) if e["status"] == 200])
        emu.control.finish_job(job["id"])

    watcher = threading.Thread(target=operator)
    watcher.start()
    result = run_playbook([vm_restore("restore", "vm-app-012", wait="job", poll_interval=1, wait_timeout=120)],
                          emu_env)
    watcher.join()
    log = emu.control.requests()

    task = result.task("restore")
    assert not failed(task) and task["job"]["status"] == "Completed", task
    refused = [e for e in log if e["status"] == 401]
    assert len(refused) == 1 and refused[0]["response_body"]["error"]["code"] == "ExpiredAuthenticationToken"
    tokens = [e for e in log if e["kind"] == "aad" and e["method"] == "POST"]
    assert len(tokens) == 2 and when(tokens[0]) < when(refused[0]) < when(tokens[1])
    retried = next(e for e in log if e["seq"] > tokens[1]["seq"])
    assert same_request(refused[0], retried) and retried["status"] == 200
    assert len(jobs(emu)) == 1 and len(restore_posts(log)) == 1


# --------------------------------------------------------------------------------------------
# the answer to a restore request is lost after Azure acted on it


def test_lost_restore_answer_is_found_not_repeated(emu, emu_env):
    job_durations(emu, 1)
    fault(emu, method="POST", path="vm-app-007" + RESTORE_POST, action="drop_after_commit", count=1)
    fault(emu, method="POST", path=r"/backupCrossRegionRestore$", action="drop_after_commit", count=1)
    play = [
        vm_restore("primary", "vm-app-007", wait="job", poll_interval=1),
        vm_restore("primary again", "vm-app-007", wait="job", poll_interval=1),
        crr_restore("secondary", "vm-db-01", wait="job", poll_interval=1),
        crr_restore("secondary again", "vm-db-01", wait="job", poll_interval=1),
    ]
    result = run_playbook(play, emu_env)
    log = emu.control.requests()
    for vm, first, second in (("vm-app-007", "primary", "primary again"), ("vm-db-01", "secondary", "secondary again")):
        (job,) = jobs(emu, vm)
        (post,) = restore_posts(log, vm)
        assert post["status"] == 0 and post["committed_status"] == 202, post
        lost, rerun = result.task(first), result.task(second)
        assert not failed(lost) and lost["changed"] is True and lost["attached"] is True, lost
        assert lost["job_id"] == job["id"] and lost["job"]["status"] == "Completed"
        assert not failed(rerun) and rerun["changed"] is False and rerun["job_id"] == job["id"]
    assert len(jobs(emu)) == 2


# --------------------------------------------------------------------------------------------
# how operations and jobs end


def test_operation_and_job_outcomes(emu, emu_env):
    job_durations(emu, 1)
    fault(emu, method="POST", path="vm-app-008" + RESTORE_POST, action="operation_outcome", status="Failed",
          code="UserErrorRestoreTargetUnavailable", message="The restore target cannot be used now.")
    fault(emu, method="POST", path="vm-app-009" + RESTORE_POST, action="job_outcome", status="Failed",
          error_code=400203, error_title="UserErrorDiskCreationFailed",
          error_string="Disk creation failed: the quota of managed disks is reached.",
          recommendations=["Raise the quota and restore again."])
    fault(emu, method="POST", path="vm-app-010" + RESTORE_POST, action="job_outcome", status="CompletedWithWarnings",
          error_string="Some VM settings could not be restored.")
    fault(emu, method="POST", path="vm-app-011" + RESTORE_POST, action="job_outcome", status="Cancelled")
    play = [vm_restore(name, vm, register=name.replace(" ", "_"), wait="job", poll_interval=1)
            for name, vm in (("operation failed", "vm-app-008"), ("job failed", "vm-app-009"),
                             ("job with warnings", "vm-app-010"), ("job cancelled", "vm-app-011"))]
    play.append({"name": "the jobs, as restore_job_info reports them", "ignore_errors": True,
                 "azbackup.restore.restore_job_info": {
                     "vault_name": "rsv-prod", "vault_resource_group": "rg-vault", "wait_for": "completed",
                     "poll_interval": 1, "fail_on_job_failure": True,
                     "job_ids": ["{{ job_failed.job_id }}", "{{ job_with_warnings.job_id }}",
                                 "{{ job_cancelled.job_id }}"]}})
    result = run_playbook(play, emu_env)
    by_vm = dict((j["vm_name"], j) for j in jobs(emu))

    op = result.task("operation failed")
    assert failed(op) and op["error_code"] == "UserErrorRestoreTargetUnavailable" and op["changed"] is True
    assert op["operation_status"] == "Failed" and "The restore target cannot be used now." in op["msg"]
    assert "operationsStatus" in op["operation_url"] and "vm-app-008" not in by_vm  # no job at all

    job_failed = result.task("job failed")
    assert failed(job_failed) and job_failed["job_id"] == by_vm["vm-app-009"]["id"]
    assert job_failed["error_code"] == "400203" and job_failed["job"]["status"] == "Failed"
    assert "failed: (400203) Disk creation failed" in job_failed["msg"]
    assert by_vm["vm-app-009"]["status"] == "Failed" and not by_vm["vm-app-009"]["created"]

    warned = result.task("job with warnings")
    assert not failed(warned) and warned["job"]["status"] == "CompletedWithWarnings"
    assert any("completed with warnings" in w and "Some VM settings could not be restored." in w
               for w in warned["warnings"])
    assert by_vm["vm-app-010"]["created"]

    cancelled = result.task("job cancelled")
    assert failed(cancelled) and cancelled["job"]["status"] == "Cancelled"
    assert "was cancelled" in cancelled["msg"] and cancelled["job_id"] in cancelled["msg"]
    assert by_vm["vm-app-011"]["status"] == "Cancelled" and not by_vm["vm-app-011"]["created"]

    report = result.task("the jobs, as restore_job_info reports them")
    statuses = [j["status"] for j in report["jobs"]]
    assert failed(report) and statuses == ["Failed", "CompletedWithWarnings", "Cancelled"]
    assert by_vm["vm-app-009"]["id"] in report["msg"] and by_vm["vm-app-011"]["id"] in report["msg"]
    assert any(by_vm["vm-app-010"]["id"] in w for w in report.get("warnings", []))
    assert len(restore_posts(emu.control.requests())) == 4


# --------------------------------------------------------------------------------------------
# wait_timeout, interrupted runs, concurrent runs: a re-run attaches, never restores twice


def finish_when_polled(emu, job_id, since, status="Completed"):
    wait_for(lambda: job_polls(emu, job_id, since), timeout=90)
    emu.control.finish_job(job_id, status)


def test_wait_timeout_before_the_job_exists_then_a_rerun_attaches(emu, emu_env):
    """The operation itself outlasts wait_timeout (no job yet): the re-run's request meets Azure's
    "another operation in progress", and the re-run waits for that operation's job, longer than its
    usual look-ups after a doubtful request, then attaches to it."""
    job_durations(emu, 1, operation_duration_seconds=600)
    task = vm_restore("restore", "vm-app-014", wait="job", poll_interval=1, wait_timeout=2)
    first = run_playbook([task], emu_env)
    timed_out = first.task("restore")
    assert failed(timed_out) and timed_out["changed"] is True and "job_id" not in timed_out
    assert timed_out["last_status"] == "InProgress" and "operationsStatus" in timed_out["operation_url"]
    assert "Run again to resume" in timed_out["msg"] and jobs(emu) == []

    def operation_ends_late():
        # once the re-run has looked for the job as often as after any doubtful request, the
        # operation ends (the emulated clock jumps) and its job appears
        refused = wait_for(lambda: [p for p in restore_posts(emu.control.requests()) if p["status"] == 400], 90)[0]
        wait_for(lambda: len([e for e in emu.control.requests(since=refused["seq"])
                              if e["method"] == "GET" and e["path"].endswith("/backupJobs")]) >= 4, 60)
        emu.control.advance(600)

    operator = threading.Thread(target=operation_ends_late)
    operator.start()
    task["azbackup.restore.vm_restore"]["wait_timeout"] = 120
    second = run_playbook([task], emu_env)
    operator.join()
    resumed = second.task("restore")
    (job,) = jobs(emu)
    assert not failed(resumed) and resumed["changed"] is False and resumed["attached"] is True, resumed
    assert resumed["job_id"] == job["id"] and resumed["job"]["status"] == "Completed"
    posts = restore_posts(emu.control.requests())
    assert [p["status"] for p in posts] == [202, 400]
    assert posts[1]["response_body"]["error"]["code"] == "UserErrorAnotherOperationInProgress"


def replicated_point(emu, vm):
    """The newest recovery point of ``vm`` that the secondary region has."""
    points = emu.control.state()["vaults"]["rsv-prod"]["items"][vm]["recovery_points"]
    return next(p["name"] for p in points if p["replicated"] and any(t["type"] == "HardenedRP" for t in p["tiers"]))


def descendants(pid):
    """Process ids below ``pid`` (from the parent ids in /proc)."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        cur = todo.pop()
        kids = [p for p, parent in parents.items() if parent == cur]
        out.extend(kids)
        todo.extend(kids)
    return out


def kill_if_ours(pid, marker):
    """SIGKILL ``pid`` if it still is a process of ours (its command line names ``marker``, the
    run's working directory, which holds the playbook and the module files)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if marker.encode() not in f.read():
                return
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def start_playbook(tasks, env, workdir):
    """ansible-playbook started in the background, the way run_playbook would run it."""
    play = [{"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    path = os.path.join(workdir, "playbook.yml")
    with open(path, "w") as f:
        yaml.safe_dump(play, f)
    with open(os.path.join(workdir, "inventory.ini"), "w") as f:
        f.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    full_env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("AZURE_", "ANSIBLE_")))
    full_env.update(ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"),
                    ANSIBLE_REMOTE_TMP=os.path.join(workdir, "remote-tmp"),
                    ANSIBLE_HOME=os.path.join(workdir, "home"), ANSIBLE_NOCOLOR="1",
                    ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_RETRY_FILES_ENABLED="0")
    full_env.update(env)
    return subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                             "-i", os.path.join(workdir, "inventory.ini"), path],
                            env=full_env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


@pytest.mark.parametrize("how", ["ctrl-c", "kill -9"])
def test_interrupted_run_then_a_rerun_attaches(emu, emu_env, how):
    job_durations(emu, 600)
    task = vm_restore("restore", "vm-app-016", wait="job", poll_interval=1, wait_timeout=120)
    workdir = tempfile.mkdtemp(prefix="azbackup-interrupted-")
    proc = start_playbook([task], emu_env, workdir)
    leftovers = []
    try:
        job = wait_for(lambda: jobs(emu), timeout=60)[0]
        wait_for(lambda: len(job_polls(emu, job["id"])) >= 2)
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to its foreground process group
        else:
            leftovers = descendants(proc.pid)
            os.kill(proc.pid, signal.SIGKILL)  # ansible-playbook only: its module process is orphaned
        output = proc.communicate(timeout=60)[0]
        mark = emu.control.requests()[-1]["seq"]
        if how == "ctrl-c":
            assert proc.returncode != 0 and "User interrupted execution" in output, output
        else:
            assert proc.returncode == -signal.SIGKILL
            # the orphaned module polls on (it sends nothing else)
            wait_for(lambda: job_polls(emu, job["id"], mark), timeout=15)

        mark = emu.control.requests()[-1]["seq"]
        finisher = threading.Thread(target=finish_when_polled, args=(emu, job["id"], mark))
        finisher.start()
        rerun = run_playbook([task], emu_env)
        finisher.join()
        again = rerun.task("restore")
        assert not failed(again) and again["changed"] is False and again["attached"] is True
        assert again["job_id"] == job["id"] and again["job"]["status"] == "Completed"
        assert len(jobs(emu)) == 1 and len(restore_posts(emu.control.requests())) == 1
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        for pid in leftovers:  # the orphaned worker and module (which only polls) of the killed run
            kill_if_ours(pid, workdir)


def test_two_concurrent_runs_of_the_crr_playbook_start_one_restore(emu, emu_env):
    job_durations(emu, 3)
    args = ["-e", "@" + os.path.join(PLAYBOOKS, "vars", "secondary_region_restore.yml"),
            "-e", json.dumps({"poll_interval": 1})]
    results = [None, None]

    def run(i):
        results[i] = run_playbook(os.path.join(PLAYBOOKS, "secondary_region_restore.yml"), emu_env, extra_args=args)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for res in results:
        assert res.rc == 0, res
    (job,) = jobs(emu)
    assert job["crr"] is True and job["status"] == "Completed"
    accepted = [p for p in restore_posts(emu.control.requests()) if p["status"] == 202]
    assert len(accepted) == 1
    started = [r for res in results for n, r in res.tasks()
               if n.endswith("Start the cross-region restore of every VM (without waiting)") and r.get("_state") == "ok"]
    # one run started the restore, the other attached to it (each task restores the one VM)
    assert sorted(r["results"][0]["changed"] for r in started) == [False, True]


def test_crr_access_token_expired_before_the_trigger(emu, emu_env):
    """A token that expires before it is used is replaced: the module's own check of its expiry,
    and Azure's refusal of a token it considers expired (the emulated clock moved on a day)."""
    job_durations(emu, 1, crr_token_lifetime_seconds=60)
    vm = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_resource_group="rg-prod")

    def token_tasks(name):
        return [{"name": "token of " + name, "no_log": True, "register": "token",
                 "azbackup.restore.crr_access_token": dict(vm, vm_name=name,
                                                           recovery_point_id=replicated_point(emu, name))}]

    def restore_with_token(name):
        return crr_restore("restore " + name, name, access_details="{{ token.access_details }}", wait="job",
                           poll_interval=1)

    def control(name, path, body):
        return {"name": name, "ansible.builtin.uri": {"url": emu.endpoint + "/_emulator/" + path, "method": "POST",
                                                      "body_format": "json", "body": body, "ca_path": emu.ca_bundle}}

    # vm-web-01's token lives 60 s only: the module replaces it before it sends anything
    play = token_tasks("vm-web-01") + [restore_with_token("vm-web-01")]
    # vm-db-01's token lives a day, but a day passes before it is used: Azure refuses it
    play += [control("tokens live a day", "settings", {"crr_token_lifetime_seconds": 86400})]
    play += token_tasks("vm-db-01")
    play += [control("a day passes", "clock/advance", {"seconds": 86400 + 3600}), restore_with_token("vm-db-01")]
    result = run_playbook(play, emu_env)
    log = emu.control.requests()

    def token_posts(name):
        return [e for e in log if e["method"] == "POST" and e["path"].endswith("/accessToken") and
                ";%s/" % name in e["path"]]

    short = result.task("restore vm-web-01")
    assert not failed(short) and short["access_token_source"] == "refreshed" and short["job"]["status"] == "Completed"
    (post,) = restore_posts(log, "vm-web-01")
    issued = [e["response_body"]["properties"]["accessTokenString"] for e in token_posts("vm-web-01")]
    assert post["status"] == 202 and len(issued) == 2
    assert post["request_body"]["crossRegionRestoreAccessDetails"]["accessTokenString"] == issued[1]

    refused = result.task("restore vm-db-01")
    assert not failed(refused) and refused["access_token_source"] == "refreshed", refused
    posts = restore_posts(log, "vm-db-01")
    assert [p["status"] for p in posts] == [400, 202]
    assert posts[0]["response_body"]["error"]["code"] == "UserErrorCrossRegionRestoreAccessTokenExpired"
    issued = [e["response_body"]["properties"]["accessTokenString"] for e in token_posts("vm-db-01")]
    assert len(issued) == 2 and [p["request_body"]["crossRegionRestoreAccessDetails"]["accessTokenString"]
                                 for p in posts] == issued
    assert len(jobs(emu)) == 2
