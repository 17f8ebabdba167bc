# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import re

from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common
from ansible_collections.azbackup.restore.plugins.module_utils import _jobs
from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import ArmClient
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import Clock, Tokens
from ansible_collections.azbackup.restore.plugins.modules import restore_job_info as mod

ARM = "https://management.azure.com"
SUB = "9a8b7c6d-0000-4000-8000-000000000003"
VAULT = "/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod" % SUB
JOBS = ARM + VAULT + "/backupJobs"
ITEM = (VAULT + "/backupFabrics/Azure/protectionContainers/iaasvmcontainer%3Biaasvmcontainerv2%3Brg-prod%3Bvm-web-01"
        "/protectedItems/vm%3Biaasvmcontainerv2%3Brg-prod%3Bvm-web-01")
LOC = ARM + "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations" % SUB
BASE = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")
NOW = datetime.datetime(2026, 11, 10, 12, 0, 0, tzinfo=datetime.timezone.utc)


def job(job_id, status="InProgress", entity="vm-web-01", rg="rg-prod", operation="Restore",
        start="2026-11-10T10:00:00Z", errors=None, progress=None, region=None):
    base = ("/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/%s" % (SUB, region)) if region else VAULT
    props = {"jobType": "AzureIaaSVMJob", "operation": operation, "status": status, "entityFriendlyName": entity,
             "backupManagementType": "AzureIaasVM", "containerName": "iaasvmcontainerv2;%s;%s" % (rg, entity),
             "startTime": start, "endTime": "0001-01-01T00:00:00" if status in ("InProgress", "Cancelling") else
             "2026-11-10T11:00:00Z", "actionsInfo": ["Cancellable"] if status == "InProgress" else [],
             "extendedInfo": {"propertyBag": {}, "internalPropertyBag": {"restoreLocationType": "RestoreDisks"},
                              "progressPercentage": progress}}
    if errors:
        props["errorDetails"] = [{"errorCode": c, "errorTitle": t, "errorString": m, "recommendations": []}
                                 for c, t, m in errors]
    return {"id": base + "/backupJobs/" + job_id, "name": job_id,
            "type": "Microsoft.RecoveryServices/vaults/backupJobs", "properties": props}


class Scripted(object):
    """Answers GET backupJobs/{id} and the job list GET backupJobs from per-job status sequences, one
    status per poll round (the last one repeats): a list moves every job to its next status, and a read
    of a job the list showed ended gives that status; any other read moves the job on."""

    def __init__(self, rsps, sequences, listed=None, **job_kwargs):
        self.sequences = dict((k, list(v)) for k, v in sequences.items())
        self.reads = dict((k, 0) for k in sequences)
        self.lists = []
        self.listed = set(sequences) if listed is None else set(listed)
        self.shown = {}
        self.job_kwargs = job_kwargs
        rsps.add_callback(responses.GET, re.compile(re.escape(JOBS) + r"/[^/?]+(\?.*)?$"), callback=self.answer)
        rsps.add_callback(responses.GET, re.compile(re.escape(JOBS) + r"(\?.*)?$"), callback=self.answer_list)

    def _next(self, job_id):
        seq = self.sequences[job_id]
        return seq.pop(0) if len(seq) > 1 else seq[0]

    def _body(self, job_id, status):
        kwargs = dict(self.job_kwargs)
        if status == "Failed":
            kwargs["errors"] = [(400001, "UserErrorDiskQuotaExceeded", "The disk quota is exceeded")]
        return job(job_id, status, **kwargs)

    def answer(self, request):
        job_id = urlsplit(request.url).path.rsplit("/", 1)[1]
        if job_id not in self.sequences:
            return 404, {"x-ms-correlation-request-id": "corr-404"}, json.dumps(
                {"error": {"code": "BMSUserErrorJobNotFound", "message": "Job %s not found" % job_id}})
        self.reads[job_id] += 1
        shown = self.shown.pop(job_id, None)  # a read in the round of a list, of a job it showed ended
        status = shown if shown in _jobs.JOB_TERMINAL else self._next(job_id)
        return 200, {}, json.dumps(self._body(job_id, status))

    def answer_list(self, request):
        self.lists.append(parse_qs(urlsplit(request.url).query).get("$filter", [None])[0])
        self.shown = dict((k, self._next(k)) for k in self.sequences if k in self.listed)
        return 200, {}, json.dumps({"value": [self._body(k, s) for k, s in self.shown.items()]})


def make_client():
    return ArmClient(ARM, Tokens(), sleep=lambda s: None, subscription_id=SUB)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


@pytest.fixture
def clock():
    fake = Clock(now=1000.0)
    with mock.patch.object(mod, "_clock", fake), mock.patch.object(mod, "_sleep", fake.sleep), \
            mock.patch.object(mod, "_now", lambda: NOW):
        yield fake


def run(args, capsys, check_mode=False, client=None):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), mock.patch.object(_common, "get_client", return_value=client or make_client()) as gc:
        with pytest.raises(SystemExit) as exc:
            mod.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    out["_get_client_calls"] = gc.call_count
    return out


def q(call):
    return parse_qs(urlsplit(call.request.url).query)


def posts(rsps):
    return [c for c in rsps.calls if c.request.method == "POST"]


# --------------------------------------------------------------------------------------------
# Listing


def test_list_default_window_and_filter(rsps, clock, capsys):
    rsps.add(responses.GET, JOBS, json={"value": [job("a", "Completed", start="2026-11-09T10:00:00Z"),
                                                  job("b", "InProgress", start="2026-11-10T10:00:00Z")]})
    out = run(BASE, capsys)
    assert out["_rc"] == 0 and out["changed"] is False
    assert [j["job_id"] for j in out["jobs"]] == ["b", "a"]
    assert "job" not in out
    assert q(rsps.calls[0])["$filter"] == [
        "backupManagementType eq 'AzureIaasVM' and operation eq 'Restore' and startTime eq '2026-11-03 12:00:00 PM' "
        "and endTime eq '2026-11-10 12:00:00 PM'"]
    assert q(rsps.calls[0])["api-version"] == ["2024-04-01"]


def test_list_filters_status_operation_all_and_window(rsps, clock, capsys):
    rsps.add(responses.GET, JOBS, json={"value": [job("a", "Failed", operation="Backup")]})
    out = run(dict(BASE, status="Failed", operation="all", start_time="2026-11-01T00:00:00Z",
                   end_time="2026-11-02T00:00:00Z"), capsys)
    assert [j["job_id"] for j in out["jobs"]] == ["a"]
    assert q(rsps.calls[0])["$filter"] == [
        "backupManagementType eq 'AzureIaasVM' and status eq 'Failed' and startTime eq '2026-11-01 12:00:00 AM' "
        "and endTime eq '2026-11-02 12:00:00 AM'"]


def test_list_applies_filters_again(rsps, clock, capsys):
    # A server that ignores $filter: status and operation are applied to the answer too.
    rsps.add(responses.GET, JOBS, json={"value": [job("a", "Failed"), job("b", "Completed"),
                                                  job("c", "Failed", operation="Backup")]})
    out = run(dict(BASE, status="Failed"), capsys)
    assert [j["job_id"] for j in out["jobs"]] == ["a"]


def test_list_by_vm(rsps, clock, capsys):
    rsps.add(responses.GET, JOBS, json={"value": [
        job("a", entity="vm-web-01", rg="rg-prod"), job("b", entity="vm-db-01", rg="rg-prod"),
        job("c", entity="vm-web-01", rg="rg-other")]})
    out = run(dict(BASE, vm_name="VM-WEB-01"), capsys)
    assert sorted(j["job_id"] for j in out["jobs"]) == ["a", "c"]
    out = run(dict(BASE, vm_name="vm-web-01", vm_resource_group="rg-prod"), capsys)
    assert [j["job_id"] for j in out["jobs"]] == ["a"]
    vm = "/subscriptions/%s/resourceGroups/rg-other/providers/Microsoft.Compute/virtualMachines/vm-web-01" % SUB
    out = run(dict(BASE, vm_id=vm), capsys)
    assert [j["job_id"] for j in out["jobs"]] == ["c"]


def test_only_end_time_gives_seven_days_before_it(rsps, clock, capsys):
    rsps.add(responses.GET, JOBS, json={"value": []})
    out = run(dict(BASE, end_time="2026-11-08T00:00:00Z"), capsys)
    assert out["jobs"] == []
    assert "startTime eq '2026-11-01 12:00:00 AM' and endTime eq '2026-11-08 12:00:00 AM'" in \
        q(rsps.calls[0])["$filter"][0]


@pytest.mark.parametrize("args, option", [
    (dict(start_time="2026-11-05T00:00:00Z", end_time="2026-11-01T00:00:00Z"), "end_time"),
    (dict(start_time="last week"), "start_time"),
    (dict(start_time="2026-12-01T00:00:00Z"), "start_time"),
    (dict(vm_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa"), "vm_id"),
])
def test_bad_options_fail_before_any_request(rsps, clock, capsys, args, option):
    out = run(dict(BASE, **args), capsys)
    assert out["_rc"] == 1 and out["option"] == option
    assert len(rsps.calls) == 0 and out["_get_client_calls"] == 0


@pytest.mark.parametrize("args", [
    dict(job_id="a", status="Failed"),
    dict(job_ids=["a"], start_time="2026-11-01T00:00:00Z"),
    dict(operation_url="https://x/y", vm_name="vm"),
    dict(vm_resource_group="rg-prod"),
    dict(wait_for="forever"),
])
def test_argument_validation(rsps, clock, capsys, args):
    out = run(dict(BASE, **args), capsys)
    assert out["_rc"] == 1 and len(rsps.calls) == 0


def test_cancel_is_not_an_option_of_an_info_module(rsps, clock, capsys):
    # restore_job cancels jobs; restore_job_info only reads and waits.
    out = run(dict(BASE, job_id="j", cancel=True), capsys)
    assert out["_rc"] == 1 and "cancel" in out["msg"] and "Unsupported parameters" in out["msg"]
    assert len(rsps.calls) == 0 and out["_get_client_calls"] == 0


def test_list_wait_for_waits_for_the_running_ones_only(rsps, clock, capsys):
    rsps.add(responses.GET, JOBS, json={"value": [job("done", "Completed"), job("run", "InProgress")]})
    scripted = Scripted(rsps, {"run": ["InProgress", "Completed"], "done": ["Completed"]})
    out = run(dict(BASE, wait_for="completed", poll_interval=5), capsys)
    assert out["_rc"] == 0
    assert dict((j["job_id"], j["status"]) for j in out["jobs"]) == {"done": "Completed", "run": "Completed"}
    # the jobs were just listed: the wait starts one interval later; one job alone is read, not listed
    assert scripted.reads == {"run": 2, "done": 0} and scripted.lists == [] and clock.sleeps == [5, 5]


# --------------------------------------------------------------------------------------------
# Getting and waiting


def test_get_one_job(rsps, clock, capsys):
    Scripted(rsps, {"j1": ["Completed"]})
    out = run(dict(BASE, job_id="j1"), capsys)
    assert out["_rc"] == 0 and out["job"]["job_id"] == "j1" and out["job"]["status"] == "Completed"
    assert [j["job_id"] for j in out["jobs"]] == ["j1"]
    assert len(rsps.calls) == 1 and clock.sleeps == []


def test_get_several_in_order(rsps, clock, capsys):
    Scripted(rsps, {"j1": ["Completed"], "j2": ["InProgress"], "j3": ["Failed"]})
    out = run(dict(BASE, job_id="j2", job_ids=["j3", "j1", "j2"]), capsys)
    assert out["_rc"] == 0  # wait_for none: failures are reported, not fatal
    assert [j["job_id"] for j in out["jobs"]] == ["j2", "j3", "j1"]
    assert "job" not in out


def test_unknown_job(rsps, clock, capsys):
    Scripted(rsps, {})
    out = run(dict(BASE, job_id="nope"), capsys)
    assert out["_rc"] == 1
    assert out["msg"].startswith("Job nope was not found in vault rsv-prod (resource group rg-vault)")
    assert out["error_code"] == "BMSUserErrorJobNotFound" and out["correlation_id"] == "corr-404"


def test_wait_polls_only_running_jobs(rsps, clock, capsys):
    scripted = Scripted(rsps, {
        "fast": ["InProgress", "Completed"],
        "slow": ["InProgress", "InProgress", "InProgress", "Completed"],
        "done": ["Completed"],
    })
    out = run(dict(BASE, job_ids=["fast", "slow", "done"], wait_for="completed"), capsys)
    assert out["_rc"] == 0, out["msg"] if "msg" in out else out
    assert [j["status"] for j in out["jobs"]] == ["Completed"] * 3
    # one job list per round (the first at once) and one read of each job once it ended, while several
    # jobs run; "slow", running alone, is read (one request either way, and the read gives the whole job)
    assert len(scripted.lists) == 2
    assert scripted.reads == {"fast": 1, "slow": 2, "done": 1}
    # the first list looks back a day (no start time known yet), the next ones from the earliest start time
    assert scripted.lists == [
        "backupManagementType eq 'AzureIaasVM' and operation eq 'Restore' and startTime eq '2026-11-09 12:00:00 PM'",
        "backupManagementType eq 'AzureIaasVM' and operation eq 'Restore' and startTime eq '2026-11-10 10:00:00 AM'"]
    # the one job polling policy: 15 s, then growing by half
    assert clock.sleeps == [15.0, 22.5, 33.75]
    assert out["duration"] == round(15.0 + 22.5 + 33.75, 1)


def test_wait_with_fixed_interval(rsps, clock, capsys):
    Scripted(rsps, {"j": ["InProgress", "InProgress", "InProgress", "Completed"]})
    out = run(dict(BASE, job_id="j", wait_for="completed", poll_interval=10), capsys)
    assert out["_rc"] == 0 and clock.sleeps == [10, 10, 10]


def test_a_slice_that_runs_out_returns_the_jobs_without_failing(rsps, clock, capsys):
    Scripted(rsps, {"j1": ["InProgress"], "j2": ["InProgress", "Completed"]}, progress=45.0)
    out = run(dict(BASE, job_ids=["j1", "j2"], wait_for="completed", wait_timeout=60, poll_interval=30,
                   fail_on_timeout=False), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert out["timed_out"] is True and out["done"] is False
    assert [j["status"] for j in out["jobs"]] == ["InProgress", "Completed"]
    assert out["summary"]["running"] == 1 and out["summary"]["progress"] == [45.0]
    assert sum(clock.sleeps) == 60


def test_done_when_every_job_waited_for_ended(rsps, clock, capsys):
    Scripted(rsps, {"j1": ["InProgress", "Completed"]})
    out = run(dict(BASE, job_ids=["j1"], wait_for="completed", poll_interval=5, fail_on_timeout=False), capsys)
    assert out["_rc"] == 0 and out["done"] is True and out["timed_out"] is False


def test_wait_timeout_names_running_jobs(rsps, clock, capsys):
    scripted = Scripted(rsps, {"j1": ["InProgress"], "j2": ["InProgress", "Completed"]}, progress=45.0)
    out = run(dict(BASE, job_ids=["j1", "j2"], wait_for="completed", wait_timeout=100, poll_interval=30), capsys)
    assert out["_rc"] == 1
    assert "Timed out after 100s" in out["msg"] and "j1 (InProgress, 45%)" in out["msg"]
    assert "j2" not in out["msg"].split("still running:")[1].split(";")[0]
    assert out["job_id"] == "j1" and out["last_status"] == "InProgress"
    assert dict((j["job_id"], j["status"]) for j in out["jobs"]) == {"j1": "InProgress", "j2": "Completed"}
    assert sum(clock.sleeps) == 100
    assert scripted.reads == {"j1": 3, "j2": 1} and len(scripted.lists) == 2
    assert out["summary"] == dict(total=2, completed=1, failed=0, running=1, progress=[45.0],
                                  text="1 of 2 done: 1 completed, 0 failed; 1 running (45%)")


def test_failed_job_fails_the_wait(rsps, clock, capsys):
    Scripted(rsps, {"ok": ["Completed"], "bad": ["InProgress", "Failed"]})
    out = run(dict(BASE, job_ids=["ok", "bad"], wait_for="completed", poll_interval=1), capsys)
    assert out["_rc"] == 1
    assert "job bad (Restore of vm-web-01) ended Failed: (UserErrorDiskQuotaExceeded) The disk quota is exceeded" \
        in out["msg"]
    assert out["error_code"] == "UserErrorDiskQuotaExceeded"
    assert [j["status"] for j in out["jobs"]] == ["Completed", "Failed"]


def test_failed_job_tolerated_when_asked(rsps, clock, capsys):
    Scripted(rsps, {"bad": ["Failed"]})
    out = run(dict(BASE, job_id="bad", wait_for="completed", fail_on_job_failure=False), capsys)
    assert out["_rc"] == 0 and out["job"]["status"] == "Failed"
    out = run(dict(BASE, job_id="bad", fail_on_job_failure=True), capsys)
    assert out["_rc"] == 1 and "ended Failed" in out["msg"]


def test_completed_with_warnings_warns(rsps, clock, capsys):
    Scripted(rsps, {"w": ["CompletedWithWarnings"]})
    with mock.patch.object(AnsibleModule, "warn") as warn:
        out = run(dict(BASE, job_id="w", wait_for="completed"), capsys)
    assert out["_rc"] == 0
    assert len(warn.call_args_list) == 1
    assert "Job w (Restore of vm-web-01) completed with warnings" in warn.call_args_list[0][0][0]
    with mock.patch.object(AnsibleModule, "warn") as warn:
        run(dict(BASE, job_id="w"), capsys)
    assert warn.call_args_list == []


# --------------------------------------------------------------------------------------------
# Operation URLs


OP = ARM + ITEM + "/operationsStatus/op-1"
SIGNED = "?api-version=2024-04-01&t=638&c=MIIB&s=SIGNATURE-SECRET&h=abc"


def test_operation_url_is_followed_verbatim(rsps, clock, capsys):
    state = {"n": 0}

    def op(request):
        state["n"] += 1
        assert request.url == OP + SIGNED
        if state["n"] < 3:
            return 200, {}, json.dumps({"id": "op-1", "name": "op-1", "status": "InProgress"})
        return 200, {}, json.dumps({"id": "op-1", "name": "op-1", "status": "Succeeded",
                                    "properties": {"objectType": "OperationStatusJobExtendedInfo", "jobId": "j9"}})

    rsps.add_callback(responses.GET, OP, callback=op)
    Scripted(rsps, {"j9": ["InProgress"]})
    out = run(dict(BASE, operation_url=OP + SIGNED), capsys)
    assert out["_rc"] == 0 and out["job"]["job_id"] == "j9"
    assert state["n"] == 3 and len(clock.sleeps) == 2


def test_operation_urls_fan_out(rsps, clock, capsys):
    for i in (1, 2):
        rsps.add(responses.GET, ARM + ITEM + "/operationsStatus/op-%d" % i,
                 json={"status": "Succeeded", "properties": {"jobId": "j%d" % i}})
    scripted = Scripted(rsps, {"j1": ["InProgress", "Completed"], "j2": ["InProgress", "InProgress", "Completed"]})
    out = run(dict(BASE, operation_urls=[ARM + ITEM + "/operationsStatus/op-1", ARM + ITEM + "/operationsStatus/op-2"],
                   wait_for="completed", poll_interval=5), capsys)
    assert out["_rc"] == 0 and [j["job_id"] for j in out["jobs"]] == ["j1", "j2"]
    assert scripted.reads == {"j1": 1, "j2": 1} and len(scripted.lists) == 2
    assert sum(clock.sleeps) == 10


def test_operation_urls_are_followed_side_by_side_and_keep_their_order(rsps, clock, capsys):
    import threading

    from ansible_collections.azbackup.restore.plugins.module_utils._jobs import READ_CONCURRENCY

    together = threading.Barrier(READ_CONCURRENCY, timeout=5)

    def answer(request):
        together.wait()  # breaks unless READ_CONCURRENCY operations are followed at once
        number = request.url.split("?")[0].rsplit("-", 1)[1]
        return 200, {}, json.dumps({"status": "Succeeded", "properties": {"jobId": "j%s" % number}})

    urls = [ARM + ITEM + "/operationsStatus/op-%d" % i for i in range(READ_CONCURRENCY)]
    for url in urls:
        rsps.add_callback(responses.GET, url, callback=answer)
    Scripted(rsps, dict(("j%d" % i, ["Completed"]) for i in range(READ_CONCURRENCY)))
    out = run(dict(BASE, operation_urls=urls), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert [j["job_id"] for j in out["jobs"]] == ["j%d" % i for i in range(READ_CONCURRENCY)]


def test_failed_operation(rsps, clock, capsys):
    rsps.add(responses.GET, OP, json={"status": "Failed", "error": {"code": "UserErrorX", "message": "bad request"}})
    out = run(dict(BASE, operation_url=OP + SIGNED), capsys)
    assert out["_rc"] == 1
    assert "ended Failed without starting a job: (UserErrorX) bad request" in out["msg"]
    out.pop("invocation")
    assert "SIGNATURE-SECRET" not in json.dumps(out)


def slow_operations(rsps, running):
    """op-1, op-2, op-3 name jobs j1, j2, j3 at once, but those of ``running`` stay InProgress."""
    urls = [ARM + ITEM + "/operationsStatus/op-%d" % i for i in (1, 2, 3)]
    for i, url in enumerate(urls, 1):
        body = {"status": "InProgress"} if i in running else {"status": "Succeeded", "properties": {"jobId": "j%d" % i}}
        rsps.add(responses.GET, url, json=body)
    return urls


def test_an_operation_running_past_a_slice_is_returned_pending(rsps, clock, capsys):
    urls = slow_operations(rsps, running=(2,))
    Scripted(rsps, {"j0": ["Completed"], "j1": ["InProgress"], "j3": ["Completed"]})
    out = run(dict(BASE, job_ids=["j0"], operation_urls=[" " + urls[1] + SIGNED, urls[0], "", urls[2]],
                   wait_for="completed", wait_timeout=30, poll_interval=5, fail_on_timeout=False), capsys)
    assert out["_rc"] == 0, out.get("msg")
    # Verbatim (stripped) to be given again; the jobs of the other URLs keep their order.
    assert out["pending_operation_urls"] == [urls[1] + SIGNED]
    assert [j["job_id"] for j in out["jobs"]] == ["j0", "j1", "j3"]
    assert out["done"] is False and out["timed_out"] is True
    assert out["summary"]["total"] == 3 and out["summary"]["running"] == 1
    assert sum(clock.sleeps) == 30
    # The slow operation was polled until the slice ran out, then the jobs read once.
    assert len([c for c in rsps.calls if "/op-2" in c.request.url]) == 7


def test_a_lone_operation_running_past_a_slice_gives_no_job(rsps, clock, capsys):
    urls = slow_operations(rsps, running=(1,))
    out = run(dict(BASE, operation_url=urls[0], wait_timeout=10, poll_interval=5, fail_on_timeout=False), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert out["pending_operation_urls"] == [urls[0]] and out["jobs"] == [] and "job" not in out
    assert out["done"] is False and out["timed_out"] is True and out["summary"]["total"] == 0


def test_pending_is_empty_when_every_operation_named_its_job(rsps, clock, capsys):
    urls = slow_operations(rsps, running=())
    Scripted(rsps, {"j1": ["Completed"], "j2": ["Completed"], "j3": ["Completed"]})
    out = run(dict(BASE, operation_urls=urls, wait_for="completed", wait_timeout=30, fail_on_timeout=False), capsys)
    assert out["_rc"] == 0 and out["pending_operation_urls"] == []
    assert out["done"] is True and out["timed_out"] is False


def test_an_operation_running_past_the_timeout_still_fails_by_default(rsps, clock, capsys):
    urls = slow_operations(rsps, running=(2,))
    Scripted(rsps, {"j1": ["InProgress"], "j3": ["Completed"]})
    out = run(dict(BASE, operation_urls=[urls[0], urls[1] + SIGNED, urls[2]], wait_for="completed", wait_timeout=30,
                   poll_interval=5), capsys)
    assert out["_rc"] == 1
    assert "Timed out after 30s waiting for operation" in out["msg"] and "/operationsStatus/op-2" in out["msg"]
    assert out["last_status"] == "InProgress" and out["operation_url"].endswith("/op-2?api-version=2024-04-01")
    assert out["pending_operation_urls"] == []
    out.pop("invocation")
    assert "SIGNATURE-SECRET" not in json.dumps(out)


def test_a_failed_operation_fails_also_when_waiting_in_slices(rsps, clock, capsys):
    urls = slow_operations(rsps, running=(2,))
    rsps.replace(responses.GET, urls[0], json={"status": "Failed", "error": {"code": "UserErrorX", "message": "bad"}})
    out = run(dict(BASE, operation_urls=urls, wait_for="completed", wait_timeout=30, poll_interval=5,
                   fail_on_timeout=False), capsys)
    assert out["_rc"] == 1
    assert "op-1 ended Failed without starting a job: (UserErrorX) bad" in out["msg"]


def test_location_url_refused(rsps, clock, capsys):
    out = run(dict(BASE, operation_url=ARM + ITEM + "/operationResults/op-1" + SIGNED), capsys)
    assert out["_rc"] == 1 and "Azure-AsyncOperation" in out["msg"] and len(rsps.calls) == 0
    assert "SIGNATURE-SECRET" not in out["msg"]


def test_operation_wait_counts_against_wait_timeout(rsps, clock, capsys):
    rsps.add(responses.GET, OP, json={"status": "InProgress"})
    out = run(dict(BASE, operation_url=OP, wait_timeout=60, poll_interval=20), capsys)
    assert out["_rc"] == 1 and "Timed out after 60s" in out["msg"]
    assert sum(clock.sleeps) == 60


def test_crr_operation_url_reads_a_crr_job(rsps, clock, capsys):
    op = LOC + "/northeurope/backupCrrOperationsStatus/b3BlcmF0aW9u"
    rsps.add(responses.GET, op, json={"status": "Succeeded", "properties": {"jobId": "c1"}})
    rsps.add(responses.POST, LOC + "/northeurope/backupCrrJob",
             json=job("c1", "InProgress", operation="CrossRegionRestore", region="northeurope"))
    out = run(dict(BASE, operation_url=op + SIGNED), capsys)
    assert out["_rc"] == 0 and out["job"]["operation"] == "CrossRegionRestore"
    assert out["secondary_region"] == "northeurope"
    call = posts(rsps)[0]
    assert json.loads(call.request.body) == {"resourceId": VAULT, "jobName": "c1"}
    assert q(call)["api-version"] == ["2023-01-15"]


# --------------------------------------------------------------------------------------------
# Secondary region


def vault(location="swedencentral"):
    return {"id": VAULT, "name": "rsv-prod", "location": location, "type": "Microsoft.RecoveryServices/vaults",
            "properties": {"redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant",
                                                  "crossRegionRestore": "Enabled"}}}


def locations():
    return {"value": [
        {"name": "swedencentral", "metadata": {"pairedRegion": [{"name": "swedensouth"}]}},
        {"name": "swedensouth", "metadata": {"pairedRegion": [{"name": "swedencentral"}]}},
        {"name": "westeurope", "metadata": {"pairedRegion": [{"name": "northeurope"}]}},
    ]}


def test_secondary_region_from_the_locations_api(rsps, clock, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault("swedencentral"))
    rsps.add(responses.GET, ARM + "/subscriptions/%s/locations" % SUB, json=locations())
    rsps.add(responses.POST, LOC + "/swedensouth/backupCrrJob",
             json=job("c1", "Completed", operation="CrossRegionRestore", region="swedensouth"))
    out = run(dict(BASE, job_id="c1", region="secondary"), capsys)
    assert out["_rc"] == 0 and out["secondary_region"] == "swedensouth"
    assert json.loads(posts(rsps)[0].request.body) == {"resourceId": VAULT, "jobName": "c1"}


def test_secondary_region_option_skips_the_lookup(rsps, clock, capsys):
    rsps.add(responses.POST, LOC + "/northeurope/backupCrrJobs",
             json={"value": [job("c1", "InProgress", operation="CrossRegionRestore", region="northeurope")]})
    out = run(dict(BASE, region="secondary", secondary_region="North Europe"), capsys)
    assert out["_rc"] == 0 and [j["job_id"] for j in out["jobs"]] == ["c1"]
    call = rsps.calls[0]
    assert len(rsps.calls) == 1 and call.request.method == "POST"
    assert json.loads(call.request.body) == {"resourceId": VAULT}
    assert "operation eq 'CrossRegionRestore'" in q(call)["$filter"][0]


def test_crr_jobs_wait(rsps, clock, capsys):
    seq = ["InProgress", "InProgress", "Completed"]

    def answer(request):
        body = json.loads(request.body)
        status = seq.pop(0) if len(seq) > 1 else seq[0]
        return 200, {}, json.dumps(job(body["jobName"], status, operation="CrossRegionRestore", region="northeurope"))

    rsps.add_callback(responses.POST, LOC + "/northeurope/backupCrrJob", callback=answer)
    out = run(dict(BASE, job_id="c1", region="secondary", secondary_region="northeurope", wait_for="completed",
                   poll_interval=1), capsys)
    assert out["_rc"] == 0 and out["job"]["status"] == "Completed" and len(posts(rsps)) == 3


def test_crr_jobs_wait_lists_once_per_round(rsps, clock, capsys):
    seq = ["InProgress", "InProgress", "Completed"]

    def answer_list(request):
        assert json.loads(request.body) == {"resourceId": VAULT}
        status = seq.pop(0) if len(seq) > 1 else seq[0]
        return 200, {}, json.dumps({"value": [job(c, status, operation="CrossRegionRestore", region="northeurope")
                                              for c in ("c1", "c2")]})

    def answer(request):
        body = json.loads(request.body)
        return 200, {}, json.dumps(job(body["jobName"], seq[0], operation="CrossRegionRestore", region="northeurope"))

    rsps.add_callback(responses.POST, LOC + "/northeurope/backupCrrJobs", callback=answer_list)
    rsps.add_callback(responses.POST, LOC + "/northeurope/backupCrrJob", callback=answer)
    out = run(dict(BASE, job_ids=["c1", "c2"], region="secondary", secondary_region="northeurope",
                   wait_for="completed", poll_interval=1), capsys)
    assert out["_rc"] == 0 and [j["status"] for j in out["jobs"]] == ["Completed"] * 2
    # one BackupCrrJobs_List per round, one read of each job once it ended
    sent = [c.request.url.split("?")[0].rsplit("/", 1)[1] for c in posts(rsps)]
    assert sent == ["backupCrrJobs"] * 3 + ["backupCrrJob"] * 2
    assert "operation eq 'CrossRegionRestore'" in q(posts(rsps)[0])["$filter"][0]


# --------------------------------------------------------------------------------------------
# Plain helpers


def test_job_matches_vm():
    j = _jobs.normalize_job(job("a", entity="vm-web-01", rg="rg-prod"))
    assert mod.job_matches_vm(j, "vm-web-01", "RG-PROD")
    assert not mod.job_matches_vm(j, "vm-web-01", "rg-other")
    assert not mod.job_matches_vm(j, "vm-web-02")
    j["container_name"] = None
    assert mod.job_matches_vm(j, "vm-web-01", "rg-other")


def test_operation_region():
    assert mod.operation_region(LOC + "/NorthEurope/backupCrrOperationsStatus/x?c=1") == "northeurope"
    assert mod.operation_region(OP) is None


def test_empty_ids_and_urls_are_ignored(rsps, clock, capsys):
    # What a fan-out of restores started with wait=none gives: no job id yet for the restores it started.
    Scripted(rsps, {"j1": ["Completed"]})
    out = run(dict(BASE, job_ids=["", "j1", " "], operation_urls=["", "  "], wait_for="completed"), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert [j["job_id"] for j in out["jobs"]] == ["j1"]
    assert [c.request.url.split("?")[0] for c in rsps.calls] == [JOBS + "/j1"]


def test_only_empty_ids_read_nothing(rsps, clock, capsys):
    Scripted(rsps, {})
    out = run(dict(BASE, job_ids=[""], wait_for="completed"), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert out["jobs"] == [] and len(rsps.calls) == 0 and clock.sleeps == []


# --------------------------------------------------------------------------------------------
# The cost of a wait: one job list per round, one read of each job as it ends


def test_thirty_jobs_three_rounds_cost_three_lists_and_thirty_reads(rsps, clock, capsys):
    ids = ["job-%02d" % i for i in range(30)]
    # a third of the jobs end at each round
    scripted = Scripted(rsps, dict((k, ["InProgress"] * (i % 3) + ["Completed"]) for i, k in enumerate(ids)))
    out = run(dict(BASE, job_ids=ids, wait_for="completed", poll_interval=10), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert [j["job_id"] for j in out["jobs"]] == ids and set(j["status"] for j in out["jobs"]) == {"Completed"}
    assert len(scripted.lists) == 3 and clock.sleeps == [10, 10]
    assert scripted.reads == dict((k, 1) for k in ids)
    assert len(rsps.calls) == 3 + 30
    assert out["summary"]["text"] == "30 of 30 done: 30 completed, 0 failed; 0 running"


def test_a_job_the_list_does_not_show_is_read_on_its_own(rsps, clock, capsys):
    # "old" started before the list's start time (or the list lost it): it is read each round it is missing.
    scripted = Scripted(rsps, {"new": ["InProgress", "InProgress", "Completed"],
                               "old": ["InProgress", "InProgress", "Completed"]}, listed=["new"])
    out = run(dict(BASE, job_ids=["old", "new"], wait_for="completed", poll_interval=10), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert len(scripted.lists) == 3 and scripted.reads == {"old": 3, "new": 1}
    assert [j["status"] for j in out["jobs"]] == ["Completed", "Completed"]


def test_summary_counts_done_running_and_failed(rsps, clock, capsys):
    Scripted(rsps, {"ok": ["Completed"], "bad": ["Failed"], "run": ["InProgress"]}, progress=40.0)
    out = run(dict(BASE, job_ids=["ok", "bad", "run"]), capsys)
    assert out["_rc"] == 0
    assert out["summary"] == dict(total=3, completed=1, failed=1, running=1, progress=[40.0],
                                  text="2 of 3 done: 1 completed, 1 failed; 1 running (40%)")
