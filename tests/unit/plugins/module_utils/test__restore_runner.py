# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _restore_runner as rn
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    AzureConnectionError,
    OperationFailedError,
    OperationTimeoutError,
    RestoreFailedError,
    ValidationError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import (
    JOB_INTERVAL,
    PrimaryJobs,
    normalize_job,
    restore_outputs,
)
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import (
    RP_TIME,
    VAULT,
    FakeClient,
    api_error,
    item_ref,
    raw_job,
)
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import Clock as _Clock

BLOBS = {"Config Blob Uri": "https://sa/c.json", "Template Blob Uri": "https://sa/t.json"}


def Clock():
    return _Clock(1000.0)


OP_URL = "https://management.azure.com" + item_ref().path + "/operationsStatus/op-1?api-version=2024-04-01"
RESTORE_URL = item_ref().recovery_point_path("111") + "/restore"


class Azure(object):
    """A scripted Azure Backup for the runner: jobs list, restore POST, operation, job GET."""

    def __init__(self, jobs=None, post=None, operation=None, job_states=None):
        self.jobs = list(jobs or [])
        self.post_answers = list(post or [(202, {"Azure-AsyncOperation": OP_URL}, None)])
        self.operation = list(operation or [(200, {}, {"status": "Succeeded", "properties": {
            "objectType": "OperationStatusJobExtendedInfo", "jobId": "job-new"}})])
        self.job_states = list(job_states or ["InProgress"])
        self.on_post = None
        self.list_calls = 0
        self.client = FakeClient(self.handle)

    def handle(self, method, url, p, body):
        if method == "GET" and url.endswith("/backupJobs"):
            self.list_calls += 1
            return 200, {}, {"value": list(self.jobs)}
        if method == "POST" and url.endswith("/restore"):
            answer = self.post_answers.pop(0) if len(self.post_answers) > 1 else self.post_answers[0]
            if self.on_post:
                self.on_post(self)
            return answer
        if method == "GET" and "operationsStatus" in url:
            return self.operation.pop(0) if len(self.operation) > 1 else self.operation[0]
        if method == "GET" and "/backupJobs/" in url:
            job_id = url.rsplit("/", 1)[1]
            status = self.job_states.pop(0) if len(self.job_states) > 1 else self.job_states[0]
            errors = [{"errorCode": 400016, "errorTitle": "UserErrorDiskQuota",
                       "errorString": "Disk quota reached"}] if status in ("Failed", "CompletedWithWarnings") else []
            return 200, {}, raw_job(job_id, status, errors=errors,
                                    bag=BLOBS
                                    if status.startswith("Completed") else None)
        raise AssertionError("unexpected %s %s" % (method, url))

    def posts(self):
        return self.client.count("POST", r"/restore$")


def call():
    criteria = dict(vm_name="vm-web-01", restore_type="restore_disks", recovery_point_time=RP_TIME,
                    storage_account_name="strestorewe", target_resource_group="rg-restore", target_vm_name=None)
    return rn.RestoreCall(RESTORE_URL, {"properties": {}}, "2024-04-01", criteria, RP_TIME, "restore vm-web-01")


def runner(azure, clock=None, **kw):
    clock = clock or Clock()
    return rn.RestoreRunner(azure.client, PrimaryJobs(azure.client, VAULT), sleep=clock.sleep, clock=clock, **kw)


class TestIdempotency:
    def test_attaches_to_running_job(self):
        az = Azure(jobs=[raw_job("job-old")])
        out = runner(az).run(call())
        assert out.changed is False and out.attached and out.job_id == "job-old"
        assert az.posts() == 0

    def test_attaches_to_completed_job(self):
        az = Azure(jobs=[raw_job("job-old", "Completed")])
        out = runner(az).run(call(), wait="job")
        assert out.changed is False and out.job["status"] == "Completed"

    @pytest.mark.parametrize("job", [
        raw_job("j", "Failed"), raw_job("j", "Cancelled"), raw_job("j", restore_type="OriginalLocation"),
        raw_job("j", rp_time="11/19/2026 10:07:11 PM"), raw_job("j", sa="other"), raw_job("j", rg="rg-other"),
        raw_job("j", entity="vm-db-01"),
    ])
    def test_other_jobs_do_not_match(self, job):
        az = Azure(jobs=[job])
        out = runner(az).run(call())
        assert out.changed is True and az.posts() == 1 and out.job_id == "job-new"

    def test_force_restores_again(self):
        az = Azure(jobs=[raw_job("job-old", "Completed")])
        out = runner(az).run(call(), force=True)
        assert out.changed is True and az.posts() == 1 and out.job_id == "job-new"

    def test_check_mode_sends_nothing(self):
        az = Azure()
        out = runner(az).run(call(), check_mode=True)
        assert out.changed is True and az.posts() == 0 and out.job_id is None
        az = Azure(jobs=[raw_job("job-old")])
        out = runner(az).run(call(), check_mode=True, wait="job")
        assert out.changed is False and out.job_id == "job-old" and az.posts() == 0

    def test_list_filter(self):
        az = Azure()
        runner(az).run(call(), check_mode=True)
        method, url, version, p, body = az.client.calls[0]
        assert url == VAULT + "/backupJobs" and version == "2024-04-01"
        assert "operation eq 'Restore'" in p["$filter"] and "startTime eq '2026-11-20 10:07:11 PM'" in p["$filter"]


class TestLostResponse:
    def test_ambiguous_error_then_job_found_attaches(self):
        az = Azure(post=[api_error(500, "InternalServerError")])
        clock = Clock()

        def job_appears_later(a):
            a.appear_after = a.list_calls + 2
        az.on_post = job_appears_later
        orig = az.handle

        def handle(method, url, p, body):
            if method == "GET" and url.endswith("/backupJobs") and getattr(az, "appear_after", None) \
                    and az.list_calls + 1 >= az.appear_after:
                az.jobs = [raw_job("job-lost")]
            return orig(method, url, p, body)
        az.client.handler = handle
        out = runner(az, clock).run(call())
        assert az.posts() == 1
        assert out.changed is True and out.attached and out.job_id == "job-lost"
        assert clock.sleeps and max(clock.sleeps) <= rn.LOOKUP_INTERVAL

    def test_ambiguous_error_no_job_retries_once(self):
        az = Azure(post=[api_error(502, "BadGateway"), (202, {"Azure-AsyncOperation": OP_URL}, None)])
        out = runner(az).run(call())
        assert az.posts() == 2 and out.changed is True and out.job_id == "job-new"
        assert az.list_calls == 1 + rn.LOOKUPS

    def test_connection_lost_counts_as_ambiguous(self):
        err = AzureConnectionError("lost", method="POST", url="https://x")
        az = Azure(post=[err, (202, {"Azure-AsyncOperation": OP_URL}, None)])
        out = runner(az).run(call())
        assert az.posts() == 2 and out.job_id == "job-new"

    def test_bounded(self):
        az = Azure(post=[api_error(503, "ServiceUnavailable")])
        with pytest.raises(AzureApiError) as e:
            runner(az).run(call())
        assert az.posts() == rn.POST_ATTEMPTS and "ServiceUnavailable" in e.value.msg

    def test_clear_refusal_is_not_retried(self):
        az = Azure(post=[api_error(400, "UserErrorStorageAccountIsZRS", "The storage account is ZRS")])
        with pytest.raises(AzureApiError) as e:
            runner(az).run(call())
        assert az.posts() == 1 and az.list_calls == 1
        assert "Failed to restore vm-web-01: (UserErrorStorageAccountIsZRS) The storage account is ZRS" == e.value.msg

    def test_another_operation_same_restore_attaches(self):
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "Another operation is in progress")])

        def other_run_started_it(a):
            a.jobs = [raw_job("job-other")]
        az.on_post = other_run_started_it
        out = runner(az).run(call())
        assert out.changed is False and out.attached and out.job_id == "job-other" and az.posts() == 1

    def test_another_operation_different_fails_with_azures_message(self):
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "A backup is in progress")])
        az.on_post = lambda a: setattr(a, "jobs", [raw_job("job-backup", operation="Backup")])
        with pytest.raises(AzureApiError) as e:
            runner(az).run(call())
        assert "A backup is in progress" in e.value.msg and az.posts() == 1


class TestFollowAndWait:
    def test_operation_followed_verbatim_to_job(self):
        signed = OP_URL + "&t=1&s=abc%2Fdef"
        az = Azure(post=[(202, {"Azure-AsyncOperation": signed, "Location": "https://x/loc"}, None)],
                   operation=[(200, {}, {"status": "InProgress"}), (200, {}, {"status": "Succeeded", "properties": {
                       "jobId": "job-new"}})])
        clock = Clock()
        out = runner(az, clock).run(call())
        polls = [c for c in az.client.calls if "operationsStatus" in c[1]]
        assert [c[1] for c in polls] == [signed, signed]
        assert out.operation_url == signed and out.job_id == "job-new" and out.job["status"] == "InProgress"
        assert clock.sleeps == [rn.OPERATION_INTERVAL]

    def test_wait_none_does_not_poll(self):
        az = Azure()
        out = runner(az).run(call(), wait="none")
        assert out.changed and out.operation_url == OP_URL and out.job_id is None
        assert not [c for c in az.client.calls if "operationsStatus" in c[1] or "/backupJobs/" in c[1]]

    def test_operation_failed(self):
        az = Azure(operation=[(200, {}, {"status": "Failed", "error": {"code": "UserErrorX", "message": "bad"}})])
        with pytest.raises(RestoreFailedError) as e:
            runner(az).run(call())
        assert isinstance(e.value.cause, OperationFailedError)
        assert e.value.cause.error_code == "UserErrorX" and "bad" in e.value.msg
        assert e.value.to_fail_kwargs()["changed"] is True

    def test_operation_timeout_names_url(self):
        az = Azure(operation=[(200, {}, {"status": "InProgress"})])
        with pytest.raises(RestoreFailedError) as e:
            runner(az).run(call(), wait_timeout=30)
        assert isinstance(e.value.cause, OperationTimeoutError)
        assert "operationsStatus/op-1" in e.value.msg and "Run again" in e.value.msg
        extras = e.value.to_fail_kwargs()
        assert extras["changed"] is True and "operationsStatus/op-1" in extras["operation_url"]

    def test_succeeded_without_job_id_finds_job(self):
        az = Azure(operation=[(200, {}, {"status": "Succeeded"})])
        az.on_post = lambda a: setattr(a, "jobs", [raw_job("job-found")])
        out = runner(az).run(call())
        assert out.job_id == "job-found"

    def test_wait_job_completed(self):
        az = Azure(job_states=["InProgress", "InProgress", "Completed"])
        clock = Clock()
        out = runner(az, clock).run(call(), wait="job")
        assert out.job["status"] == "Completed" and not out.warnings
        job_sleeps = clock.sleeps[-2:]
        assert job_sleeps == [JOB_INTERVAL, JOB_INTERVAL * rn.BACKOFF]
        assert restore_outputs(out.job)["template_blob_uri"] == "https://sa/t.json"

    def test_wait_job_fixed_interval(self):
        az = Azure(job_states=["InProgress", "InProgress", "InProgress", "Completed"])
        clock = Clock()
        runner(az, clock).run(call(), wait="job", poll_interval=7)
        assert set(clock.sleeps) == {7}

    def test_wait_job_with_warnings(self):
        az = Azure(job_states=["CompletedWithWarnings"])
        out = runner(az).run(call(), wait="job")
        assert out.job["status"] == "CompletedWithWarnings"
        assert out.warnings and "Disk quota reached" in out.warnings[0] and "job-new" in out.warnings[0]

    def test_wait_job_failed(self):
        az = Azure(job_states=["InProgress", "Failed"])
        with pytest.raises(RestoreFailedError) as e:
            runner(az).run(call(), wait="job")
        assert isinstance(e.value.cause, rn.RestoreJobError)
        assert "job-new" in e.value.msg and "UserErrorDiskQuota" not in e.value.msg
        assert "(400016) Disk quota reached" in e.value.msg
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["job_id"] == "job-new" and kwargs["error_code"] == "400016"
        assert e.value.to_fail_kwargs()["changed"] is True

    def test_wait_job_cancelled(self):
        az = Azure(job_states=["Cancelled"])
        with pytest.raises(RestoreFailedError) as e:
            runner(az).run(call(), wait="job")
        assert isinstance(e.value.cause, rn.RestoreJobError)
        assert "cancelled" in e.value.msg

    def test_wait_job_timeout_names_job_and_operation(self):
        az = Azure(job_states=["InProgress"])
        clock = Clock()
        with pytest.raises(RestoreFailedError) as e:
            runner(az, clock).run(call(), wait="job", wait_timeout=100)
        assert isinstance(e.value.cause, OperationTimeoutError)
        assert "job-new" in e.value.msg and "operationsStatus/op-1" in e.value.msg
        assert e.value.cause.job_id == "job-new"
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["job_id"] == "job-new" and "op-1" in kwargs["operation_url"]
        assert clock.now - 1000.0 <= 100.0 + 1e-6

    def test_attached_job_is_waited_for(self):
        az = Azure(jobs=[raw_job("job-old")], job_states=["InProgress", "Completed"])
        out = runner(az).run(call(), wait="job")
        assert out.changed is False and out.job_id == "job-old" and out.job["status"] == "Completed"
        assert az.posts() == 0

    def test_failed_job_seen_with_operation_wait(self):
        az = Azure(job_states=["Failed"])
        with pytest.raises(RestoreFailedError) as e:
            runner(az).run(call())
        assert isinstance(e.value.cause, rn.RestoreJobError)


class TestInProgressDetection:
    @pytest.mark.parametrize("code,expected", [
        ("UserErrorAnotherOperationInProgress", True), ("BMSUserErrorAnotherOperationInProgress", True),
        ("UserErrorStorageAccountIsZRS", False), (None, False)])
    def test_codes(self, code, expected):
        assert rn.is_in_progress_error(api_error(400, code)) is expected

    def test_ambiguous(self):
        assert rn.is_ambiguous(api_error(500)) and rn.is_ambiguous(api_error(504))
        assert not rn.is_ambiguous(api_error(400)) and not rn.is_ambiguous(api_error(429))
        assert rn.is_ambiguous(AzureConnectionError("x"))


class TestPreflightAndRefusals:
    def test_preflight_runs_only_for_a_new_restore(self):
        ran = []
        az = Azure(jobs=[raw_job("job-old")])
        runner(az).run(call(), preflight=lambda: ran.append(1))
        assert ran == []
        az = Azure()
        runner(az).run(call(), check_mode=True, preflight=lambda: ran.append(1))
        assert ran == [1] and az.posts() == 0

    def test_preflight_failure_after_a_concurrent_start_attaches(self):
        az = Azure()

        def preflight():
            # meanwhile another run started the same restore, and the target is taken now
            az.jobs = [raw_job("job-other")]
            raise ValidationError("a VM named vm2 already exists", option="target_vm_name")
        out = runner(az).run(call(), preflight=preflight)
        assert out.changed is False and out.attached and out.job_id == "job-other" and az.posts() == 0

    def test_preflight_failure_without_a_concurrent_start_fails(self):
        az = Azure()

        def preflight():
            raise ValidationError("bad", option="disk_luns")
        with pytest.raises(ValidationError):
            runner(az).run(call(), preflight=preflight)
        assert az.posts() == 0

    def test_validation_then_a_last_look_one_after_the_other_for_one_vm(self):
        az, order = Azure(), []
        runner(az).run(call(), preflight=lambda: order.append(("checks", az.list_calls)),
                       validate=lambda: order.append(("validate", az.list_calls)))
        # the search listed once before the checks; the last look lists after the validation
        assert order == [("checks", 1), ("validate", 1)] and az.list_calls == 2 and az.posts() == 1

    def test_with_a_shared_job_list_the_last_look_runs_beside_the_validation(self):
        from ansible_collections.azbackup.restore.plugins.module_utils._fleet import SharedReads
        az = Azure()
        both = threading.Barrier(2, timeout=5)
        real_handle = az.client.handler

        def handle(method, url, p, body):
            if method == "GET" and url.endswith("/backupJobs") and az.list_calls >= 1:
                both.wait()  # the last look's listing waits for the validation to be on its way
            return real_handle(method, url, p, body)
        az.client.handler = handle
        with SharedReads(az.client) as shared:  # the real clock: the last look lists anew
            jobs = PrimaryJobs(az.client, VAULT)
            out = rn.RestoreRunner(az.client, jobs, sleep=Clock().sleep,
                                   listing=shared.listing(jobs)).run(call(), validate=both.wait)
        assert not both.broken and out.changed and az.posts() == 1 and az.list_calls == 2

    def test_a_restore_seen_by_the_last_look_is_attached_to(self):
        az = Azure()

        def validate():
            az.jobs = [raw_job("job-other")]  # another run started the same restore meanwhile
        out = runner(az).run(call(), validate=validate)
        assert out.attached and out.job_id == "job-other" and az.posts() == 0

    def test_check_mode_validates_without_a_last_look(self):
        az, ran = Azure(), []
        runner(az).run(call(), check_mode=True, validate=lambda: ran.append(1))
        assert ran == [1] and az.list_calls == 1 and az.posts() == 0

    def test_fix_refusal_once(self):
        az = Azure(post=[api_error(400, "UserErrorCrossRegionRestoreAccessTokenExpired", "expired"),
                         (202, {"Azure-AsyncOperation": OP_URL}, None)])
        fixes = []

        def fix(err):
            fixes.append(err.error_code)
            return True
        out = rn.RestoreRunner(az.client, PrimaryJobs(az.client, VAULT), sleep=Clock().sleep, clock=Clock(),
                               fix_refusal=fix).run(call())
        assert fixes == ["UserErrorCrossRegionRestoreAccessTokenExpired"] and az.posts() == 2 and out.changed

    def test_fix_refusal_not_twice(self):
        az = Azure(post=[api_error(400, "UserErrorCrossRegionRestoreAccessTokenExpired", "expired")])
        with pytest.raises(AzureApiError):
            rn.RestoreRunner(az.client, PrimaryJobs(az.client, VAULT), sleep=Clock().sleep, clock=Clock(),
                             fix_refusal=lambda e: True).run(call())
        assert az.posts() == 2

    def test_in_progress_after_a_lost_answer_is_our_own(self):
        az = Azure(post=[api_error(500, "InternalServerError"),
                         api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        calls = {"n": 0}

        def on_post(a):
            calls["n"] += 1
            if calls["n"] == 2:
                a.jobs = [raw_job("job-mine")]
        az.on_post = on_post
        out = runner(az).run(call())
        assert out.changed is True and out.attached and out.job_id == "job-mine" and az.posts() == 2


class TestFaults:
    def test_in_progress_waits_for_the_job_of_a_pending_operation(self):
        # A run that timed out while following its operation leaves an operation without a job;
        # the re-run's request meets "another operation in progress" and waits for that job.
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        clock = Clock()
        orig = az.handle

        def handle(method, url, p, body):
            if method == "GET" and url.endswith("/backupJobs") and clock.now >= 1060:
                az.jobs = [raw_job("job-pending")]
            return orig(method, url, p, body)
        az.client.handler = handle
        out = runner(az, clock).run(call(), wait="operation", wait_timeout=600)
        assert out.changed is False and out.attached and out.job_id == "job-pending" and az.posts() == 1
        assert az.list_calls > 1 + rn.LOOKUPS and clock.now - 1000 < rn.IN_PROGRESS_PATIENCE

    def test_in_progress_patience_is_bounded_by_wait_timeout(self):
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        clock = Clock()
        with pytest.raises(AzureApiError) as e:
            runner(az, clock).run(call(), wait="job", wait_timeout=40)
        assert "another operation is in progress" in e.value.msg and 40 <= clock.now - 1000 <= 45

    def test_in_progress_of_another_restore_fails_at_once(self):
        az = Azure(jobs=[raw_job("job-other", rp_time="11/19/2026 10:07:11 PM")],
                   post=[api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        clock = Clock()
        with pytest.raises(AzureApiError):
            runner(az, clock).run(call(), wait="job", wait_timeout=3600)
        assert az.list_calls == 1 + rn.LOOKUPS and clock.now - 1000 <= rn.LOOKUPS * rn.LOOKUP_INTERVAL

    def test_in_progress_without_waiting_looks_a_few_times_only(self):
        az = Azure(post=[api_error(400, "UserErrorAnotherOperationInProgress", "in progress")])
        with pytest.raises(AzureApiError):
            runner(az).run(call(), wait="none", wait_timeout=3600)
        assert az.list_calls == 1 + rn.LOOKUPS

    def test_connection_lost_every_time_says_what_was_tried(self):
        err = AzureConnectionError("POST https://x lost its connection", method="POST", url="https://x",
                                   reason="ConnectionError: reset")
        az = Azure(post=[err])
        with pytest.raises(AzureConnectionError) as e:
            runner(az).run(call())
        assert az.posts() == rn.POST_ATTEMPTS and e.value.attempts == rn.POST_ATTEMPTS
        assert e.value.msg.startswith("Failed to restore vm-web-01: the request lost its connection")
        assert "no restore job appeared" in e.value.msg and "not retried" not in e.value.msg

    def test_failure_while_following_a_started_restore(self):
        az = Azure(operation=[api_error(503, "ServiceUnavailable", "later")])
        with pytest.raises(RestoreFailedError) as e:
            runner(az).run(call(), wait="job")
        assert isinstance(e.value.cause, AzureApiError)
        assert e.value.msg.startswith("Started to restore vm-web-01 (operation https://management.azure.com/")
        assert "but following it failed" in e.value.msg and "run the task again" in e.value.msg
        extras = e.value.to_fail_kwargs()
        assert extras["changed"] is True and extras["operation_url"].endswith("op-1?api-version=2024-04-01")

    def test_failure_while_following_an_attached_job(self):
        az = Azure(jobs=[raw_job("job-old")])
        orig = az.handle

        def handle(method, url, p, body):
            if "/backupJobs/" in url:
                raise AzureConnectionError("GET https://x failed after 7 attempt(s): reset", method="GET",
                                           url="https://x", attempts=7)
            return orig(method, url, p, body)
        az.client.handler = handle
        with pytest.raises(RestoreFailedError) as e:
            runner(az).run(call(), wait="job")
        assert isinstance(e.value.cause, AzureConnectionError)
        assert e.value.msg.startswith("Attached to job job-old (restore vm-web-01), but following it failed")

    def test_in_progress_because_of_a_backup_fails_without_waiting(self):
        # The vault's restore jobs (filtered by operation) do not show the running backup: the
        # running jobs of any operation do, so the task does not wait for a job that never comes.
        backup = normalize_job(raw_job("job-backup", operation="Backup"))

        class Jobs(object):
            operation = "Restore"
            running_calls = 0

            def restores_since(self, since=None):
                return []

            def running(self):
                Jobs.running_calls += 1
                return [backup]

            def get(self, job_id):
                raise AssertionError("no job to read")
        client = FakeClient(lambda *a: api_error(400, "UserErrorAnotherOperationInProgress", "a backup runs"))
        clock = Clock()
        runner_ = rn.RestoreRunner(client, Jobs(), sleep=clock.sleep, clock=clock)
        with pytest.raises(AzureApiError) as e:
            runner_.run(call(), wait="job", wait_timeout=3600)
        assert "a backup runs" in e.value.msg and Jobs.running_calls == 1
        assert clock.now - 1000 <= rn.LOOKUPS * rn.LOOKUP_INTERVAL
