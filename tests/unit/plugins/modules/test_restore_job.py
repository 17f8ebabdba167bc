# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common
from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import ArmClient
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import Clock, Tokens
from ansible_collections.azbackup.restore.plugins.modules import restore_job as mod

ARM = "https://management.azure.com"
SUB = "9a8b7c6d-0000-4000-8000-000000000003"
VAULT = "/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod" % SUB
JOBS = ARM + VAULT + "/backupJobs"
BASE = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", job_id="j")


def job(job_id, status):
    running = status in ("InProgress", "Cancelling")
    props = {"jobType": "AzureIaaSVMJob", "operation": "Restore", "status": status, "entityFriendlyName": "vm-web-01",
             "backupManagementType": "AzureIaasVM", "containerName": "iaasvmcontainerv2;rg-prod;vm-web-01",
             "startTime": "2026-11-10T10:00:00Z",
             "endTime": "0001-01-01T00:00:00" if running else "2026-11-10T11:00:00Z",
             "actionsInfo": ["Cancellable"] if status == "InProgress" else [],
             "extendedInfo": {"propertyBag": {}, "internalPropertyBag": {"restoreLocationType": "RestoreDisks"}}}
    return {"id": VAULT + "/backupJobs/" + job_id, "name": job_id,
            "type": "Microsoft.RecoveryServices/vaults/backupJobs", "properties": props}


class Scripted(object):
    """Answers GET backupJobs/{id} from per-job status sequences (the last one repeats)."""

    def __init__(self, rsps, sequences):
        self.sequences = dict((k, list(v)) for k, v in sequences.items())
        self.reads = dict((k, 0) for k in sequences)
        rsps.add_callback(responses.GET, re.compile(re.escape(JOBS) + r"/[^/?]+(\?.*)?$"), callback=self.answer)

    def answer(self, request):
        job_id = urlsplit(request.url).path.rsplit("/", 1)[1]
        if job_id not in self.sequences:
            return 404, {"x-ms-correlation-request-id": "corr-404"}, json.dumps(
                {"error": {"code": "BMSUserErrorJobNotFound", "message": "Job %s not found" % job_id}})
        seq = self.sequences[job_id]
        self.reads[job_id] += 1
        return 200, {}, json.dumps(job(job_id, seq.pop(0) if len(seq) > 1 else seq[0]))


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


@pytest.fixture
def clock():
    fake = Clock(now=1000.0)
    with mock.patch.object(mod, "_clock", fake), mock.patch.object(mod, "_sleep", fake.sleep):
        yield fake


def run(args, capsys, check_mode=False):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    client = ArmClient(ARM, Tokens(), sleep=lambda s: None, subscription_id=SUB)
    with patch_module_args(args), mock.patch.object(_common, "get_client", return_value=client) as gc:
        with pytest.raises(SystemExit) as exc:
            mod.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    out["_get_client_calls"] = gc.call_count
    return out


def posts(rsps):
    return [c for c in rsps.calls if c.request.method == "POST"]


def cancel_answer(rsps, status=202, headers=None, **kwargs):
    rsps.add(responses.POST, JOBS + "/j/cancel", status=status, headers=headers or {}, **kwargs)


# --------------------------------------------------------------------------------------------
# Cancelling


def test_cancel_running_job_follows_the_cancellation(rsps, clock, capsys):
    scripted = Scripted(rsps, {"j": ["InProgress", "Cancelled"]})
    cancel_op = JOBS + "/j/operationResults/c-op"
    cancel_answer(rsps, headers={"Location": cancel_op + "?api-version=2024-04-01"})
    op_answers = [202, 204]
    rsps.add_callback(responses.GET, cancel_op, callback=lambda r: (op_answers.pop(0), {}, ""))
    out = run(dict(BASE, poll_interval=2), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert out["changed"] is True and out["cancelled"] is True and out["job"]["status"] == "Cancelled"
    assert len(posts(rsps)) == 1 and parse_qs(urlsplit(posts(rsps)[0].request.url).query)["api-version"] == [
        "2024-04-01"]
    assert op_answers == [] and scripted.reads["j"] == 2 and clock.sleeps == [2]
    assert out["duration"] == 2.0


def test_cancel_follows_an_async_operation(rsps, clock, capsys):
    Scripted(rsps, {"j": ["InProgress", "Cancelled"]})
    status_url = ARM + VAULT + "/backupJobs/j/operationsStatus/c-op"
    cancel_answer(rsps, headers={"Azure-AsyncOperation": status_url + "?api-version=2024-04-01"})
    answers = [{"status": "InProgress"}, {"status": "Succeeded"}]
    rsps.add_callback(responses.GET, status_url, callback=lambda r: (200, {}, json.dumps(answers.pop(0))))
    out = run(dict(BASE), capsys)
    assert out["_rc"] == 0 and out["changed"] is True and out["job"]["status"] == "Cancelled"
    assert answers == [] and clock.sleeps == [15.0]


def test_cancel_then_wait_until_cancelled(rsps, clock, capsys):
    scripted = Scripted(rsps, {"j": ["InProgress", "Cancelling", "Cancelling", "Cancelled"]})
    cancel_answer(rsps)
    out = run(dict(BASE), capsys)
    assert out["_rc"] == 0 and out["changed"] is True and out["job"]["status"] == "Cancelled"
    # the one job polling policy: 15 s, then growing by half
    assert clock.sleeps == [15.0, 22.5] and scripted.reads["j"] == 4
    assert len(posts(rsps)) == 1


def test_cancel_without_wait_returns_the_job_cancelling(rsps, clock, capsys):
    scripted = Scripted(rsps, {"j": ["InProgress", "Cancelling", "Cancelled"]})
    cancel_answer(rsps, status=204)
    out = run(dict(BASE, wait=False), capsys)
    assert out["_rc"] == 0 and out["changed"] is True and out["job"]["status"] == "Cancelling"
    assert clock.sleeps == [] and scripted.reads["j"] == 2


def test_job_that_ended_before_the_cancellation_warns(rsps, clock, capsys):
    Scripted(rsps, {"j": ["InProgress", "Cancelling", "Completed"]})
    cancel_answer(rsps)
    with mock.patch.object(AnsibleModule, "warn") as warn:
        out = run(dict(BASE, poll_interval=1), capsys)
    assert out["_rc"] == 0 and out["changed"] is True and out["job"]["status"] == "Completed"
    assert [c[0][0] for c in warn.call_args_list] == ["Job j ended Completed before its cancellation took effect"]


# --------------------------------------------------------------------------------------------
# Idempotency and check mode


@pytest.mark.parametrize("status", ["Completed", "CompletedWithWarnings", "Failed", "Cancelled"])
def test_ended_job_changes_nothing(rsps, clock, capsys, status):
    scripted = Scripted(rsps, {"j": [status]})
    out = run(dict(BASE), capsys)
    assert out["_rc"] == 0 and out["changed"] is False and out["cancelled"] is False
    assert out["job"]["status"] == status
    assert posts(rsps) == [] and scripted.reads["j"] == 1 and clock.sleeps == []


def test_cancelling_job_is_waited_for_without_a_change(rsps, clock, capsys):
    scripted = Scripted(rsps, {"j": ["Cancelling", "Cancelling", "Cancelled"]})
    out = run(dict(BASE, poll_interval=5), capsys)
    assert out["_rc"] == 0 and out["changed"] is False and out["cancelled"] is False
    assert out["job"]["status"] == "Cancelled" and posts(rsps) == []
    assert scripted.reads["j"] == 3 and clock.sleeps == [5, 5]


def test_cancelling_job_without_wait(rsps, clock, capsys):
    scripted = Scripted(rsps, {"j": ["Cancelling"]})
    out = run(dict(BASE, wait=False), capsys)
    assert out["_rc"] == 0 and out["changed"] is False and out["job"]["status"] == "Cancelling"
    assert posts(rsps) == [] and scripted.reads["j"] == 1


@pytest.mark.parametrize("status, changed", [("InProgress", True), ("Cancelling", False), ("Completed", False)])
def test_check_mode_sends_nothing(rsps, clock, capsys, status, changed):
    scripted = Scripted(rsps, {"j": [status]})
    out = run(dict(BASE), capsys, check_mode=True)
    assert out["_rc"] == 0 and out["changed"] is changed and out["cancelled"] is changed
    assert out["job"]["status"] == status
    assert posts(rsps) == [] and scripted.reads["j"] == 1 and clock.sleeps == []


# --------------------------------------------------------------------------------------------
# Failures


def test_azure_refusal_fails_with_its_code(rsps, clock, capsys):
    Scripted(rsps, {"j": ["InProgress"]})
    cancel_answer(rsps, status=400, headers={"x-ms-correlation-request-id": "corr-400"},
                  json={"error": {"code": "BMSUserErrorJobNotCancellable", "message": "cannot cancel"}})
    out = run(dict(BASE), capsys)
    assert out["_rc"] == 1 and out["error_code"] == "BMSUserErrorJobNotCancellable"
    assert out["msg"].startswith("Failed to cancel job j of vault rsv-prod (resource group rg-vault): "
                                 "(BMSUserErrorJobNotCancellable) cannot cancel")
    assert out["correlation_id"] == "corr-400" and "corr-400" in out["msg"]
    assert out["job"]["status"] == "InProgress" and out["cancelled"] is False and not out.get("changed")


def test_unknown_job(rsps, clock, capsys):
    Scripted(rsps, {})
    out = run(dict(BASE, job_id="nope"), capsys)
    assert out["_rc"] == 1 and out["option"] == "job_id"
    assert out["msg"].startswith("Job nope was not found in vault rsv-prod (resource group rg-vault)")
    assert out["error_code"] == "BMSUserErrorJobNotFound" and out["correlation_id"] == "corr-404"
    assert posts(rsps) == [] and "job" not in out


def test_unknown_vault(rsps, clock, capsys):
    rsps.add(responses.GET, JOBS + "/j", status=404, json={"error": {
        "code": "ResourceNotFound",
        "message": "The Resource 'Microsoft.RecoveryServices/vaults/rsv-prod' was not found"}})
    out = run(dict(BASE), capsys)
    assert out["_rc"] == 1 and out["option"] == "vault_name" and out["error_code"] == "ResourceNotFound"
    assert out["msg"].startswith("Vault rsv-prod was not found in resource group rg-vault")


def test_failed_cancellation_operation(rsps, clock, capsys):
    Scripted(rsps, {"j": ["InProgress"]})
    cancel_op = JOBS + "/j/operationResults/c-op"
    cancel_answer(rsps, headers={"Location": cancel_op})
    rsps.add(responses.GET, cancel_op, status=400, json={"error": {"code": "UserErrorX", "message": "went wrong"}})
    out = run(dict(BASE), capsys)
    assert out["_rc"] == 1 and out["error_code"] == "UserErrorX"
    assert out["msg"].startswith("The cancellation of job j of vault rsv-prod (resource group rg-vault) ended Failed")
    assert out["changed"] is True and out["cancelled"] is True


def test_wait_timeout_names_the_job(rsps, clock, capsys):
    Scripted(rsps, {"j": ["InProgress", "Cancelling"]})
    cancel_answer(rsps)
    out = run(dict(BASE, wait_timeout=10, poll_interval=4), capsys)
    assert out["_rc"] == 1 and "Timed out after 10s" in out["msg"] and "j (Cancelling)" in out["msg"]
    assert out["job_id"] == "j" and out["last_status"] == "Cancelling"
    assert out["changed"] is True and out["cancelled"] is True and out["job"]["status"] == "Cancelling"
    assert sum(clock.sleeps) == 10


# --------------------------------------------------------------------------------------------
# Options


@pytest.mark.parametrize("args, text", [
    (dict(job_id=None), "job_id"),
    (dict(state="running"), "state"),
    # Azure has no call to cancel a cross-region restore job: no region option.
    (dict(region="secondary"), "region"),
    (dict(cancel=True), "cancel"),
])
def test_argument_validation(rsps, clock, capsys, args, text):
    params = dict(BASE, **args)
    params = dict((k, v) for k, v in params.items() if v is not None)
    out = run(params, capsys)
    assert out["_rc"] == 1 and text in out["msg"]
    assert len(rsps.calls) == 0 and out["_get_client_calls"] == 0
