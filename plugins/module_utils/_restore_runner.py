# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Running one restore: the idempotent job search, the restore POST with lost-answer handling (a
restore POST is never repeated blindly), following the asynchronous operation to the job id, and
waiting for the job. The same for every restore flavour: the flavour gives the URL, the body and
the job reader.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    AzureConnectionError,
    OperationFailedError,
    OperationTimeoutError,
    RestoreFailedError,
    UntrustedUrlError,
    ValidationError,
    redact_url,
)
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import (
    errors_text,
    find_restore_job,
    job_is_running,
    job_is_terminal,
    match_restore_job,
    progress_text,
    same_name,
    wait_for_jobs,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_checks import IN_PROGRESS_ERROR_CODES

WAIT_MODES = ("none", "operation", "job")

# Polling of the asynchronous operation of a restore: it usually says Succeeded at the first poll
# (and live Azure sends no Retry-After), so it starts small.
OPERATION_INTERVAL = 2.0
OPERATION_MAX_INTERVAL = 30.0
BACKOFF = 1.5

# After an ambiguous failure of the restore POST (the job can appear with a delay).
LOOKUPS = 4
LOOKUP_INTERVAL = 3.0
POST_ATTEMPTS = 2

# When Azure refuses a restore because another operation is in progress on the item, that
# operation may be one without a job yet (a run that timed out while following it, a concurrent
# run whose operation is slow): its job is waited for this long at most (never past wait_timeout),
# unless a running restore job of another kind shows which operation it is.
IN_PROGRESS_PATIENCE = 300


class RestoreJobError(OperationFailedError):
    """The restore job ended Failed or Cancelled (``job`` is the normalized job)."""

    def __init__(self, msg, job=None, operation_url=None):
        job = job or {}
        first = (job.get("error_details") or [{}])[0]
        self.job = job
        self.job_id = job.get("job_id")
        super(RestoreJobError, self).__init__(
            msg, operation_url=operation_url, status=job.get("status"),
            error_code=None if first.get("code") is None else str(first.get("code")),
            error_message=first.get("message") or first.get("title"), body=None)

    def _fail_extras(self):
        out = super(RestoreJobError, self)._fail_extras()
        out.update(job_id=self.job_id, job=self.job)
        return out


class RestoreCall(object):
    """One restore to run: the POST (url, api-version, body), how to recognise its job, what it is."""

    def __init__(self, url, body, api_version, criteria, since, description, headers=None):
        self.url = url
        self.body = body
        self.headers = headers
        self.api_version = api_version
        self.criteria = criteria
        self.since = since
        self.description = description


class RestoreOutcome(object):
    def __init__(self, changed, attached=False, job=None, job_id=None, operation_url=None, location_url=None,
                 warnings=None, attached_reason=None):
        self.changed = changed
        self.attached = attached
        self.job = job
        self.job_id = job_id
        self.operation_url = operation_url
        self.location_url = location_url
        self.warnings = warnings or []
        self.attached_reason = attached_reason
        self.retry_after = None

    def as_dict(self):
        return dict(changed=self.changed, attached=self.attached, job=self.job, job_id=self.job_id,
                    operation_url=self.operation_url)


def is_ambiguous(err):
    """Might Azure have acted on the request that failed this way (no answer, a 5xx, a timeout)?"""
    if isinstance(err, AzureConnectionError):
        return True
    if isinstance(err, AzureApiError):
        return err.status_code is None or err.status_code >= 500 or err.status_code == 408
    return False


def is_in_progress_error(err):
    if not isinstance(err, AzureApiError) or err.status_code not in (400, 409):
        return False
    code = (err.error_code or "").lower()
    if code in [c.lower() for c in IN_PROGRESS_ERROR_CODES]:
        return True
    return "anotheroperationinprogress" in code or "inprogress" in code and "operation" in code


class RestoreRunner(object):
    """Idempotent trigger, lost-response handling, operation following and job waiting."""

    def __init__(self, client, jobs, sleep=time.sleep, clock=time.monotonic, lookups=LOOKUPS,
                 lookup_interval=LOOKUP_INTERVAL, post_attempts=POST_ATTEMPTS, fix_refusal=None, listing=None):
        """``fix_refusal(err)``: called once when Azure refuses the restore request clearly (4xx);
        returns True when it changed ``call.body`` so that sending it again can succeed (a CRR
        access token that expired on the way).

        ``listing(since, fresh_after)``: the vault's restore jobs from a listing shared with other
        restores of the same run (one that started after ``fresh_after`` on ``clock``, when given), for
        the searches before the restore request; every look after the request lists anew."""
        self.listing = listing
        self.searched_at = None
        self.client = client
        self.fix_refusal = fix_refusal
        self.jobs = jobs
        self.sleep = sleep
        self.clock = clock
        self.lookups = lookups
        self.lookup_interval = lookup_interval
        self.post_attempts = post_attempts
        self.known_ids = set()

    # -- job search

    def _list(self, since, shared=False):
        try:
            if shared and self.listing is not None:
                return self.listing(since, self.searched_at)
            return self.jobs.restores_since(since)
        except AzureApiError as e:
            raise e.with_context("Failed to list the vault's %s jobs" % self.jobs.operation)

    def find_existing(self, call):
        """The earlier restore of the same thing (running or completed), or None; remembers the ids seen."""
        jobs = self._list(call.since, shared=True)
        self.searched_at = self.clock()
        self.known_ids.update(j.get("job_id") for j in jobs if j.get("job_id"))
        return find_restore_job(jobs, **call.criteria)

    def look_for_new_job(self, call, polls=None, patience=0, shared=False):
        """A matching job not seen before the POST, polling the job list a few times.

        ``patience`` (seconds): go on looking that long (the interval growing) unless a running
        restore job of the same VM that is not this restore shows up, which explains Azure's
        "another operation is in progress" otherwise.
        """
        polls = max(1, self.lookups if polls is None else polls)
        start = self.clock()
        interval = self.lookup_interval
        i = 0
        while True:
            if i:
                self.sleep(interval)
                if i >= polls:
                    interval = min(interval * BACKOFF, OPERATION_MAX_INTERVAL)
            listed = self._list(call.since, shared=shared)
            jobs = [j for j in listed if j.get("job_id") not in self.known_ids]
            job = find_restore_job(jobs, **call.criteria)
            if job:
                return job
            i += 1
            if i < polls:
                continue
            left = patience - (self.clock() - start)
            if left <= 0 or self._item_busy(call, listed):
                return None
            interval = min(interval, left)

    def _item_busy(self, call, listed):
        """Is another job of the same VM running (another restore, a backup...)? Then it, not an
        operation still without a job, is what Azure's "another operation in progress" means."""
        vm = call.criteria.get("vm_name")

        def other(job):
            return job_is_running(job) and same_name(job.get("entity"), vm) and \
                not match_restore_job(job, **call.criteria)
        if any(other(j) for j in listed):
            return True
        try:
            return any(other(j) for j in self.jobs.running())
        except AzureApiError:
            return False

    def _started_meanwhile(self, call):
        job = self.look_for_new_job(call, polls=1, shared=True)
        if job is None:
            return None
        return RestoreOutcome(False, attached=True, job=job, job_id=job.get("job_id"),
                              attached_reason="another run started the same restore")

    def _validate_and_look(self, call, validate, look=True):
        """Azure's validation, then (when ``look``) one more look for the same restore started since
        the search, as the checks took a while: the restore that appeared meanwhile, or None. With a
        job list shared by the restores of a list, the look runs beside the validation (it started
        after the checks, and one listing serves every VM that asks meanwhile)."""
        if not look:
            if validate is not None:
                validate()
            return None
        if validate is None:
            return self._started_meanwhile(call)
        if self.listing is None:
            validate()
            return self._started_meanwhile(call)
        with ThreadPoolExecutor(max_workers=1) as pool:
            looking = pool.submit(self._started_meanwhile, call)
            validate()
            return looking.result()

    # -- trigger

    def trigger(self, call, patience=0):
        """POST the restore once (more only when Azure certainly did not act); returns a RestoreOutcome.

        ``patience``: how long to wait for the job of an operation Azure says is in progress on the
        item (see ``look_for_new_job``).
        """
        attempt = 0
        lost = False
        while True:
            attempt += 1
            try:
                resp = self.client.post(call.url, api_version=call.api_version, json=call.body, ok=(200, 202),
                                        idempotent=False, headers=call.headers)
            except (AzureApiError, AzureConnectionError) as e:
                if is_in_progress_error(e):
                    job = self.look_for_new_job(call, patience=patience)
                    if job:
                        # After a lost answer, the operation in progress is most likely our own.
                        return RestoreOutcome(lost, attached=True, job=job, job_id=job.get("job_id"),
                                              attached_reason="the answer to the restore request was lost; "
                                              "found its job" if lost else "another run started the same restore")
                    raise e.with_context("Azure refused to %s: another operation is in progress on the item"
                                         % call.description)
                if not is_ambiguous(e):
                    if isinstance(e, AzureApiError):
                        fix, self.fix_refusal = self.fix_refusal, None
                        if fix is not None and fix(e):
                            attempt -= 1
                            continue
                        raise e.with_context("Failed to %s" % call.description)
                    raise
                job = self.look_for_new_job(call)
                if job:
                    return RestoreOutcome(True, attached=True, job=job, job_id=job.get("job_id"),
                                          attached_reason="the answer to the restore request was lost; found its job")
                lost = True
                if attempt >= self.post_attempts:
                    if isinstance(e, AzureApiError):
                        raise e.with_context("Failed to %s (no restore job appeared after the failed request, "
                                             "tried %d times)" % (call.description, attempt))
                    raise AzureConnectionError(
                        "Failed to %s: the request lost its connection before Azure answered, %d times, and no "
                        "restore job appeared after it (%s)" % (call.description, attempt, e.reason or e.msg),
                        method=e.method, url=e.url, attempts=attempt, reason=e.reason)
                continue
            urls = _poller.operation_urls(resp)
            outcome = RestoreOutcome(True, operation_url=urls["async_url"], location_url=urls["location_url"])
            outcome.retry_after = urls["retry_after"]
            return outcome

    # -- operation and job

    def follow_operation(self, outcome, call, timeout, interval=None):
        """Poll the 202's Azure-AsyncOperation (verbatim) until it names the job; returns the job id."""
        if not outcome.operation_url and not outcome.location_url:
            job = self.look_for_new_job(call)
            if job:
                return job.get("job_id")
            raise AzBackupError("Azure accepted the request to %s but named no operation to follow and no job "
                                "appeared" % call.description)
        try:
            result = _poller.poll_operation(
                self.client, async_url=outcome.operation_url, location_url=outcome.location_url, timeout=timeout,
                interval=interval if interval else OPERATION_INTERVAL,
                min_interval=min(interval, _poller.DEFAULT_MIN_INTERVAL) if interval else _poller.DEFAULT_MIN_INTERVAL,
                max_interval=interval if interval else OPERATION_MAX_INTERVAL,
                backoff=1.0 if interval else BACKOFF, sleep=self.sleep, clock=self.clock,
                retry_after=None if interval else outcome.retry_after)
        except UntrustedUrlError as e:
            return self._job_of_refused_operation(outcome, call, e)
        except OperationFailedError as e:
            raise OperationFailedError(
                "Failed to %s: the operation ended %s: (%s) %s"
                % (call.description, e.status, e.error_code, e.error_message or "no message"),
                operation_url=e.operation_url, status=e.status, error_code=e.error_code,
                error_message=e.error_message, body=e.body)
        except OperationTimeoutError as e:
            raise OperationTimeoutError(
                "Timed out after %ss waiting for the operation of the request to %s (last status %s); operation "
                "%s. Run again to resume: the task attaches to the restore it started"
                % (_secs(e.elapsed), call.description, e.last_status, redact_url(outcome.operation_url or
                                                                                 outcome.location_url)),
                operation_url=outcome.operation_url or outcome.location_url, last_status=e.last_status,
                elapsed=e.elapsed)
        body = result.body if isinstance(result.body, dict) else {}
        job_id = (body.get("properties") or {}).get("jobId")
        if job_id:
            return job_id
        job = self.look_for_new_job(call)
        if job:
            return job.get("job_id")
        raise AzBackupError("The operation of the request to %s ended %s without naming its job, and no new job "
                            "was found" % (call.description, result.status))

    def _job_of_refused_operation(self, outcome, call, err):
        """The restore started, but the URL to follow it is not on the Resource Manager endpoint (no
        credential went there): find its job as after a lost answer, and say what was refused."""
        outcome.warnings.append(
            "Azure's answer to the request to %s named an operation URL on %s (%s), which the collection does not "
            "send credentials to; the restore's job was looked up in the vault's job list instead"
            % (call.description, err.host or "no host", err.reason or "untrusted"))
        outcome.operation_url = outcome.location_url = None
        job = self.look_for_new_job(call)
        if job:
            return job.get("job_id")
        raise err.reworded("Started to %s, but %s; no job of it appeared in the vault's job list. Follow it with "
                           "azbackup.restore.restore_job_info" % (call.description, err.msg))

    def get_job(self, job_id):
        try:
            return self.jobs.get(job_id)
        except AzureApiError as e:
            raise e.with_context("Failed to read job %s" % job_id)

    def wait_for_job(self, job_id, timeout, interval=None, operation_url=None, description="restore", job=None):
        """Wait until the job ends; returns it (Completed, CompletedWithWarnings) or raises."""
        jobs = {job_id: job if job is not None else self.get_job(job_id)}
        if not job_is_terminal(jobs[job_id]):
            result = wait_for_jobs(self.get_job, jobs, timeout, interval, sleep=self.sleep, clock=self.clock,
                                   first_poll_now=job is None)
            if not result.done:
                raise job_timed_out(job_id, jobs[job_id], result.elapsed, description, operation_url)
        return check_job(jobs[job_id], description, operation_url)

    def start(self, call, force=False, wait="operation", wait_timeout=3600, check_mode=False, preflight=None,
              start=None, validate=None):
        """Attach to an earlier restore of the same thing, or check and trigger a new one; returns a
        RestoreOutcome (``RestoreOutcome(True)`` without a job in check mode).

        ``preflight()`` (the checks) and then ``validate()`` (Azure's own validation) run only when a
        new restore is to start (not when attaching to an earlier one, whose own run checked it, and
        whose results, a VM or rehydrated point, would now make the checks fail).
        """
        start = self.clock() if start is None else start
        existing = self.find_existing(call)
        if existing and not force:
            return RestoreOutcome(False, attached=True, job=existing, job_id=existing.get("job_id"),
                                  attached_reason="an earlier run started the same restore")
        if preflight is not None or validate is not None:
            try:
                if preflight is not None:
                    preflight()
                outcome = self._validate_and_look(call, validate, look=not force and not check_mode)
            except ValidationError:
                # A concurrent run may have started (or finished) the same restore since the
                # search, and made a check fail (the new VM exists now...): look once more.
                outcome = None if force else self._started_meanwhile(call)
                if outcome is None:
                    raise
                return outcome
            if outcome is not None:
                return outcome
        if check_mode:
            return RestoreOutcome(True)
        patience = 0 if wait == "none" else min(IN_PROGRESS_PATIENCE, max(0.0, wait_timeout - (self.clock() - start)))
        return self.trigger(call, patience=patience)

    def follow(self, outcome, call, wait="operation", wait_timeout=3600, poll_interval=None, start=None):
        """Follow a started or attached restore as ``wait`` says; RestoreFailedError when that fails."""
        start = self.clock() if start is None else start
        try:
            if outcome.job_id is None and wait != "none":
                remaining = max(0.0, wait_timeout - (self.clock() - start))
                outcome.job_id = self.follow_operation(outcome, call, remaining, poll_interval)
            if outcome.job_id and outcome.job is None:
                outcome.job = self.get_job(outcome.job_id)
            if wait == "job" and outcome.job_id:
                remaining = max(0.0, wait_timeout - (self.clock() - start))
                outcome.job = self.wait_for_job(outcome.job_id, remaining, poll_interval, outcome.operation_url,
                                                call.description, job=outcome.job)
            if outcome.job and outcome.job.get("status") == "CompletedWithWarnings":
                outcome.warnings.append(warning_text(outcome.job, call.description))
            elif outcome.job and job_is_terminal(outcome.job) and wait != "none":
                check_job(outcome.job, call.description, outcome.operation_url)
        except AzBackupError as e:
            cause = e
            if not isinstance(e, (OperationFailedError, OperationTimeoutError)):
                # Azure or the network failed while the task followed the restore (retries
                # exhausted): the restore itself goes on, and a re-run attaches to it.
                cause = e.reworded("%s, but following it failed: %s. The restore may still be running: run the task "
                                   "again to attach to it (or follow it with azbackup.restore.restore_job_info)"
                                   % (_what_runs(outcome, call), e.msg))
            raise RestoreFailedError(cause, outcome=outcome.as_dict())
        return outcome

    def run(self, call, force=False, wait="operation", wait_timeout=3600, poll_interval=None, check_mode=False,
            preflight=None, validate=None):
        """The whole restore: search, pre-flight, trigger, follow; returns a RestoreOutcome."""
        if wait not in WAIT_MODES:
            raise ValidationError("wait must be one of %s" % ", ".join(WAIT_MODES), option="wait")
        wait_timeout = 3600 if wait_timeout is None else wait_timeout
        start = self.clock()
        outcome = self.start(call, force=force, wait=wait, wait_timeout=wait_timeout, check_mode=check_mode,
                             preflight=preflight, start=start, validate=validate)
        if check_mode and outcome.job_id is None:
            return outcome
        return self.follow(outcome, call, wait="operation" if check_mode and wait == "job" else wait,
                           wait_timeout=wait_timeout, poll_interval=poll_interval, start=start)


def _what_runs(outcome, call):
    if outcome.attached:
        return "Attached to job %s (%s)" % (outcome.job_id, call.description)
    if outcome.job_id:
        return "Started to %s (job %s)" % (call.description, outcome.job_id)
    return "Started to %s (operation %s)" % (call.description,
                                             redact_url(outcome.operation_url or outcome.location_url) or "unknown")


def _secs(value):
    try:
        return "%d" % round(float(value))
    except (TypeError, ValueError):
        return "?"


def warning_text(job, description="restore"):
    text = errors_text(job)
    return "%s job %s completed with warnings%s" % (description[:1].upper() + description[1:], job.get("job_id"),
                                                    ": " + text if text else "")


def job_timed_out(job_id, last, elapsed, description="restore", operation_url=None):
    """The error of a wait that ran out after ``elapsed`` seconds before job ``job_id`` ended (``last``: the job as
    last read)."""
    last = last or {}
    return OperationTimeoutError(
        "Timed out after %ss waiting for %s job %s (last status %s%s)%s. Run again to resume: the task attaches to "
        "the running job" % (_secs(elapsed), description, job_id, last.get("status"), progress_text(last),
                             "; operation %s" % redact_url(operation_url) if operation_url else ""),
        operation_url=operation_url, job_id=job_id, last_status=last.get("status"), elapsed=elapsed, last=last)


def check_job(job, description="restore", operation_url=None):
    """A terminal job: returned when it succeeded, else RestoreJobError with Azure's code and message."""
    status = job.get("status")
    if status == "Failed":
        text = errors_text(job) or "Azure gave no error details"
        raise RestoreJobError("Restore job %s (%s) failed: %s" % (job.get("job_id"), description, text), job=job,
                              operation_url=operation_url)
    if status in ("Cancelled", "Cancelling"):
        raise RestoreJobError("Restore job %s (%s) was cancelled" % (job.get("job_id"), description), job=job,
                              operation_url=operation_url)
    return job
