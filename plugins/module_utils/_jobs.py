# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Azure Backup jobs: reading them in either region, recognising a restore, waiting for them.

Internal to this collection: not a public API, may change at any time.

``PrimaryJobs`` reads a vault's jobs in its own region (``backupJobs``), ``SecondaryJobs`` the cross-region
restore jobs in the paired region (``backupCrrJob(s)``, both POSTs), with one interface. Jobs are returned
normalized (``normalize_job``). One polling policy for every job wait: ``job_poll``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import datetime
import re
import time

from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import (
    VAULT_NOT_FOUND_CODES,
    not_found_refusal,
    vault_missing_text,
)
from ansible_collections.azbackup.restore.plugins.module_utils._time import (
    format_azure_time,
    format_filter_time,
    format_time,
    parse_job_rp_time,
    parse_time,
)

# The restore types of the options, as Azure names them (recoveryType of a request,
# restoreLocationType of a job's internal property bag).
RESTORE_TYPES = {
    "restore_disks": "RestoreDisks",
    "replace_disks": "OriginalLocation",
    "new_vm": "AlternateLocation",
}
RECOVERY_TYPE_TO_RESTORE_TYPE = dict((v, k) for k, v in RESTORE_TYPES.items())

JOB_RUNNING = ("InProgress", "Cancelling")
READ_CONCURRENCY = 100  # job reads of one poll round sent side by side (inside ARM's bucket of 250 reads)
JOB_SUCCEEDED = ("Completed", "CompletedWithWarnings")
JOB_FAILED = ("Failed", "Cancelled")
JOB_TERMINAL = JOB_SUCCEEDED + JOB_FAILED
JOB_STATUSES = ["InProgress", "Completed", "CompletedWithWarnings", "Failed", "Cancelled", "Cancelling"]

# Polling of jobs (they run for minutes to hours): 15 s growing by half at each poll up to 120 s,
# or the user's fixed poll_interval.
JOB_INTERVAL = 15.0
JOB_MAX_INTERVAL = 120.0
JOB_BACKOFF = 1.5

# How far back a watch's first job list looks (a job started earlier is read alone, giving its start).
WATCH_LOOKBACK = datetime.timedelta(days=1)

# Keys of a restore job's propertyBag, spelled as Azure spells them (note the trailing space).
BAG_RP_TIME = "Recovery point time "
BAG_STORAGE_ACCOUNT = "Target Storage Account Name"
BAG_TARGET_RG = "Target resource group"
BAG_TARGET_VM = "Target VM Name"
BAG_CONFIG_BLOB_URI = "Config Blob Uri"
BAG_TEMPLATE_BLOB_URI = "Template Blob Uri"
BAG_CONFIG_BLOB_NAME = "Config Blob Name"
BAG_CONFIG_BLOB_CONTAINER = "Config Blob Container Name"


# --------------------------------------------------------------------------------------------
# Normalized jobs


def job_filter(operation=None, status=None, start=None, end=None, backup_management_type="AzureIaasVM", job_id=None):
    """A BackupJobs_List / BackupCrrJobs_List ``$filter``."""
    parts = []
    if backup_management_type:
        parts.append("backupManagementType eq '%s'" % backup_management_type)
    if operation:
        parts.append("operation eq '%s'" % operation)
    if status:
        parts.append("status eq '%s'" % status)
    if job_id:
        parts.append("jobId eq '%s'" % job_id)
    if start is not None:
        parts.append("startTime eq '%s'" % format_filter_time(start))
    if end is not None:
        parts.append("endTime eq '%s'" % format_filter_time(end))
    return " and ".join(parts) or None


def _error_details(props):
    out = []
    for e in props.get("errorDetails") or []:
        out.append(dict(code=e.get("errorCode"), title=e.get("errorTitle"), message=e.get("errorString"),
                        recommendations=list(e.get("recommendations") or [])))
    return out


def _tasks(ext):
    return [dict(task_id=t.get("taskId"), status=t.get("status"), start_time=t.get("startTime"),
                 end_time=t.get("endTime"), duration=t.get("duration"), progress_percentage=t.get("progressPercentage"),
                 details=t.get("taskExecutionDetails")) for t in ext.get("tasksList") or []]


def normalize_job(resource):
    """A job resource as the modules return it."""
    props = resource.get("properties") or {}
    ext = props.get("extendedInfo") or {}
    bag = dict(ext.get("propertyBag") or {})
    internal = dict(ext.get("internalPropertyBag") or {})
    return dict(
        id=resource.get("id"),
        job_id=resource.get("name"),
        status=props.get("status"),
        operation=props.get("operation"),
        entity=props.get("entityFriendlyName"),
        backup_management_type=props.get("backupManagementType"),
        container_name=props.get("containerName"),
        start_time=format_azure_time(props.get("startTime")),
        end_time=format_azure_time(props.get("endTime")),
        duration=props.get("duration"),
        activity_id=props.get("activityId"),
        actions=list(props.get("actionsInfo") or []),
        error_details=_error_details(props),
        restore_type=RECOVERY_TYPE_TO_RESTORE_TYPE.get(internal.get("restoreLocationType")),
        extended_info=dict(
            tasks=_tasks(ext),
            property_bag=bag,
            internal_property_bag=internal,
            progress_percentage=ext.get("progressPercentage"),
            estimated_remaining_duration=ext.get("estimatedRemainingDuration"),
            dynamic_error_message=ext.get("dynamicErrorMessage"),
        ),
        recovery_point_time=format_time(parse_job_rp_time(bag.get(BAG_RP_TIME))) if bag.get(BAG_RP_TIME) else None,
        target_storage_account=bag.get(BAG_STORAGE_ACCOUNT),
        target_resource_group=bag.get(BAG_TARGET_RG),
        target_vm_name=_bag_get(bag, BAG_TARGET_VM),
        config_blob_uri=bag.get(BAG_CONFIG_BLOB_URI),
        template_blob_uri=bag.get(BAG_TEMPLATE_BLOB_URI),
        config_blob_name=bag.get(BAG_CONFIG_BLOB_NAME),
        config_blob_container_name=bag.get(BAG_CONFIG_BLOB_CONTAINER),
    )


def _bag_get(bag, key):
    """propertyBag lookup tolerant of case and surrounding spaces in the key."""
    if key in bag:
        return bag[key]
    want = key.strip().lower()
    for k, v in bag.items():
        if k.strip().lower() == want:
            return v
    return None


def job_is_running(job):
    return job.get("status") in JOB_RUNNING


def job_is_terminal(job):
    return job.get("status") in JOB_TERMINAL


def same_name(a, b):
    """Azure names compare without regard to case or surrounding spaces."""
    return (a or "").strip().lower() == (b or "").strip().lower()


# --------------------------------------------------------------------------------------------
# Recognising a restore


def match_restore_job(job, vm_name, restore_type, recovery_point_time, storage_account_name=None,
                      target_resource_group=None, target_vm_name=None, include_completed=True):
    """Is this normalized job an earlier restore of the same thing?

    Azure's job does not carry the recovery point id: the match is on the protected VM, the
    operation, the restore location type, the recovery point time and the targets. Failed and
    cancelled jobs never match (a re-run should try again).
    """
    if job.get("operation") not in ("Restore", "CrossRegionRestore") or not same_name(job.get("entity"), vm_name):
        return False
    status = job.get("status")
    if status in JOB_FAILED or (status in JOB_SUCCEEDED and not include_completed):
        return False
    if job.get("restore_type") and job["restore_type"] != restore_type:
        return False
    rp_time = parse_job_rp_time(job.get("recovery_point_time")) if job.get("recovery_point_time") else None
    want = parse_time(recovery_point_time) if recovery_point_time else None
    if want is None or rp_time is None or abs((rp_time - want).total_seconds()) > 1:
        return False
    if storage_account_name and job.get("target_storage_account") and \
            not same_name(job["target_storage_account"], storage_account_name):
        return False
    if target_resource_group and job.get("target_resource_group") and \
            not same_name(job["target_resource_group"], target_resource_group):
        return False
    if restore_type == "new_vm" and target_vm_name and not same_name(job.get("target_vm_name"), target_vm_name):
        return False
    return True


def find_restore_job(jobs, **criteria):
    """The newest matching job (running ones first), or None."""
    matches = [j for j in jobs if match_restore_job(j, **criteria)]
    if not matches:
        return None
    matches.sort(key=lambda j: (job_is_running(j), j.get("start_time") or ""), reverse=True)
    return matches[0]


_DISK_ID_RE = re.compile(r"/subscriptions/[^/\s,;\"']+/resourceGroups/[^/\s,;\"']+/providers/Microsoft\.Compute/disks/"
                         r"[^/\s,;\"']+", re.I)


def restore_outputs(job):
    """What a restore-disks job tells about what it made (from its propertyBag), for the next task.

    Azure's property bag has no documented key for the restored disks; any managed disk id found in
    its values is returned (none today: the ARM template names them).
    """
    job = job or {}
    bag = (job.get("extended_info") or {}).get("property_bag") or {}
    disks = []
    for key in sorted(bag):
        for disk_id in _DISK_ID_RE.findall(str(bag[key] or "")):
            if disk_id not in disks:
                disks.append(disk_id)
    return dict(restored_disks=disks, config_blob_uri=job.get("config_blob_uri"),
                template_blob_uri=job.get("template_blob_uri"))


# --------------------------------------------------------------------------------------------
# Texts


def progress_text(job):
    """``", 45% done"`` for a job that says how far it is, else ``""``."""
    pct = ((job or {}).get("extended_info") or {}).get("progress_percentage")
    return ", %s%% done" % pct if pct is not None else ""


def describe_job(job):
    """``"{job id} ({status}[, {progress}%])"``."""
    text = "%s (%s" % (job.get("job_id"), job.get("status") or "unknown")
    progress = (job.get("extended_info") or {}).get("progress_percentage")
    if progress is not None and job.get("status") in JOB_RUNNING:
        text += ", %s%%" % (int(progress) if float(progress).is_integer() else progress)
    return text + ")"


def errors_text(job, by_title=False):
    """Azure's errors of a job, ``"(code) message"`` each, then its dynamic error message.

    ``by_title`` labels each error with its title (``UserError...``) rather than its numeric code,
    and gives the dynamic message only when the job has no error details.
    """
    errors = job.get("error_details") or []
    dynamic = (job.get("extended_info") or {}).get("dynamic_error_message")
    if by_title:
        if not errors:
            return dynamic or "Azure gave no error details"
        return "; ".join("(%s) %s" % (e.get("title") or e.get("code") or "no error code",
                                      e.get("message") or "no message") for e in errors)
    parts = ["(%s) %s" % (e.get("code"), e.get("message") or e.get("title") or "no message") for e in errors]
    if dynamic:
        parts.append(dynamic)
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# Reading jobs in either region


class PrimaryJobs(object):
    """The jobs of a vault in its own region."""

    operation = "Restore"
    region = None

    def __init__(self, client, vault_id, api_version=api.BACKUP):
        self.client = client
        self.vault_id = vault_id
        self.api_version = api_version

    def where(self):
        parsed = rid.parse_resource_id(self.vault_id)
        return "vault %s (resource group %s)" % (parsed["name"], parsed["resource_group"])

    def get(self, job_id):
        path = rid.job_path(self.vault_id, job_id)
        return normalize_job(self.client.get(path, api_version=self.api_version).body)

    def list(self, **filters):
        """The jobs matching ``filters`` (as ``job_filter`` takes them), every page."""
        flt = job_filter(**filters)
        raw = self.client.list("%s/backupJobs" % self.vault_id, api_version=self.api_version,
                               params={"$filter": flt} if flt else None)
        return [normalize_job(j) for j in raw]

    def restores_since(self, since=None):
        """The restore jobs that started at or after ``since``."""
        return self.list(operation=self.operation, start=parse_time(since) if since else None)

    def running(self):
        """The vault's running jobs of any operation (a backup, too)."""
        return self.list(status="InProgress")

    def cancel(self, job_id):
        """POST cancel; returns the answer (202 with the URLs to follow, or 200/204)."""
        return self.client.post(rid.job_path(self.vault_id, job_id) + "/cancel", api_version=self.api_version,
                                ok=(200, 202, 204), idempotent=True)


class SecondaryJobs(PrimaryJobs):
    """The cross-region restore jobs of a vault, read in its secondary region."""

    operation = "CrossRegionRestore"

    def __init__(self, client, subscription_id, region, vault_id, api_version=api.CRR):
        super(SecondaryJobs, self).__init__(client, vault_id, api_version)
        self.subscription_id = subscription_id
        self.region = region

    def _location(self):
        return rid.location_path(self.subscription_id, self.region)

    def where(self):
        return "%s in the secondary region %s" % (super(SecondaryJobs, self).where(), self.region)

    def get(self, job_id):
        body = {"resourceId": self.vault_id, "jobName": rid.check_segment(job_id, "job_id", "job_id")}
        return normalize_job(self.client.post(self._location() + "/backupCrrJob", api_version=self.api_version,
                                              json=body, ok=(200,), idempotent=True).body)

    def list(self, **filters):
        flt = job_filter(**filters)
        raw = self.client.list(self._location() + "/backupCrrJobs", api_version=self.api_version,
                               params={"$filter": flt} if flt else None, method="POST",
                               json={"resourceId": self.vault_id})
        return [normalize_job(j) for j in raw]

    def cancel(self, job_id):
        raise NotImplementedError("Azure has no cancel for cross-region restore jobs")


# What not_found_refusal needs to name a vault.
_Vault = namedtuple("_Vault", "subscription_id vault_resource_group vault_name")


@contextlib.contextmanager
def refusing_job_not_found(jobs, job_id, doing="read"):
    """Azure's errors of a request about job ``job_id`` of ``jobs`` (a PrimaryJobs / SecondaryJobs)
    worded as ``_protected_items.refusing_not_found`` words them: a missing subscription, resource
    group or vault names that option, any other 404 names ``job_id`` ("Job {id} was not found in
    {where}"), anything else is ``"Failed to {doing} job {id} of {where}: (code) message"``."""
    try:
        yield
    except AzureApiError as e:
        parsed = rid.parse_resource_id(jobs.vault_id)
        vault = _Vault(parsed["subscription"], parsed["resource_group"], parsed["name"])
        if e.status_code == 404 and e.error_code in VAULT_NOT_FOUND_CODES:
            raise not_found_refusal(e, vault_missing_text(vault), "vault_name", vault)
        if e.status_code == 404:
            raise not_found_refusal(e, "Job %s was not found in %s" % (job_id, jobs.where()), "job_id", vault)
        raise e.with_context("Failed to %s job %s of %s" % (doing, job_id, jobs.where()), show_correlation_id=True)


# --------------------------------------------------------------------------------------------
# Waiting


def job_poll(poll_interval=None, first_poll_now=False):
    """The keyword arguments of ``_poller.wait_until`` for jobs: the user's fixed ``poll_interval``,
    else ``JOB_INTERVAL`` growing by ``JOB_BACKOFF`` up to ``JOB_MAX_INTERVAL``. Unless
    ``first_poll_now``, the first poll waits one interval (the jobs were just read)."""
    first = float(poll_interval) if poll_interval else JOB_INTERVAL
    backoff = 1.0 if poll_interval else JOB_BACKOFF
    return dict(interval=first if first_poll_now else first * backoff,
                min_interval=min(first, _poller.DEFAULT_MIN_INTERVAL),
                max_interval=first if poll_interval else JOB_MAX_INTERVAL, backoff=backoff,
                initial_delay=None if first_poll_now else first)


def wait_for_jobs(read, jobs, timeout, poll_interval=None, sleep=time.sleep, clock=time.monotonic,
                  first_poll_now=False):
    """Poll the jobs of ``jobs`` (a dict key -> normalized job, updated in place) that still run,
    ``read(key)`` reading one, until all have ended or ``timeout`` runs out.

    Returns ``_poller.WaitResult``; ``result.last`` is the list of keys still running.
    """
    pending = [k for k, j in jobs.items() if not job_is_terminal(j)]
    if not pending:
        return _poller.WaitResult(True, [], 0.0, 0)

    def fetch():
        for key in list(pending):
            jobs[key] = read(key)
            if job_is_terminal(jobs[key]):
                pending.remove(key)
        return list(pending)

    return _poller.wait_until(fetch, lambda p: not p, timeout, sleep=sleep, clock=clock,
                              **job_poll(poll_interval, first_poll_now))


def job_summary(jobs):
    """How many of these normalized jobs are done, running (with Azure's progress) and failed, and a
    one-line ``text``: ``"3 of 5 done: 2 completed, 1 failed; 2 running (45%, 80%)"``."""
    jobs = [j for j in jobs if j]
    completed = [j for j in jobs if j.get("status") in JOB_SUCCEEDED]
    failed = [j for j in jobs if j.get("status") in JOB_FAILED]
    running = [j for j in jobs if not job_is_terminal(j)]
    progress = [float(p) for p in [(j.get("extended_info") or {}).get("progress_percentage") for j in running]
                if p is not None]
    text = "%d of %d done: %d completed, %d failed; %d running" % (
        len(completed) + len(failed), len(jobs), len(completed), len(failed), len(running))
    if progress:
        text += " (%s)" % ", ".join("%g%%" % p for p in sorted(progress))
    return dict(total=len(jobs), completed=len(completed), failed=len(failed), running=len(running),
                progress=sorted(progress), text=text)


def _merged(old, new):
    """A listed job over what was known of it: a list may leave out what a read of the job gives."""
    out, ext = dict(old or {}), dict((old or {}).get("extended_info") or {})
    out.update((k, v) for k, v in new.items() if v not in (None, "", [], {}) or k not in out)
    ext.update((k, v) for k, v in (new.get("extended_info") or {}).items() if v not in (None, "", [], {}))
    return dict(out, extended_info=ext)


def _watch_filters(reader, jobs, keys, now):
    """The ``operation`` and ``start`` of the one job list that covers the jobs of ``keys``."""
    known = [jobs[k] for k in keys if jobs.get(k)]
    starts = [parse_time(j["start_time"]) for j in known if j.get("start_time")]
    operations = set(j.get("operation") for j in known if j.get("operation"))
    if len(known) < len(keys):
        operations.add(reader.operation)
    if len(starts) < len(keys):
        starts.append(now - WATCH_LOOKBACK)
    return dict(operation=operations.pop() if len(operations) == 1 else None, start=min(starts))


def watch_round(reader, jobs, keys, now=None):
    """One poll round over the jobs of ``keys`` in ``jobs`` (key -> normalized job or None; updated in place),
    all of one ``reader``: ONE job list (every page) filtered by operation and the earliest start time of
    these jobs, then a read of each job the list shows ended (for its full property bag) or does not show,
    side by side; a job alone is read (one request too). Returns the keys still running."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    listed = {} if len(keys) == 1 else dict(
        (str(j.get("job_id")).lower(), j) for j in reader.list(**_watch_filters(reader, jobs, keys, now)))
    to_read = []
    for key in keys:
        seen = listed.get(str(getattr(key, "job_id", key)).lower())
        if seen is not None and not job_is_terminal(seen):
            jobs[key] = _merged(jobs.get(key), seen)
        else:
            to_read.append(key)
    # The jobs that ended together are read side by side (Azure answers a job read in about 0.75 s).
    with ThreadPoolExecutor(max_workers=max(1, min(READ_CONCURRENCY, len(to_read)))) as pool:
        for key, job in zip(to_read, pool.map(lambda k: reader.get(getattr(k, "job_id", k)), to_read)):
            jobs[key] = job
    return [k for k in keys if not job_is_terminal(jobs[k])]


def watch_jobs(reader, jobs, timeout, poll_interval=None, sleep=time.sleep, clock=time.monotonic, now=None,
               on_round=None):
    """``wait_for_jobs`` at the cost of one job list per reader and round plus one read of each job as it
    ends (``watch_round``); the first round is at once when a job is not read yet, else after one interval.
    ``jobs``: key (a job id, or has a ``job_id``) -> normalized job or None, updated in place. ``reader``: a
    reader, or key -> reader (jobs of several regions). ``on_round(jobs)`` after each round. Returns
    ``_poller.WaitResult`` (``last``: the keys still running)."""
    pending = [k for k, j in jobs.items() if not j or not job_is_terminal(j)]
    if not pending:
        return _poller.WaitResult(True, [], 0.0, 0)
    reader_of = (lambda key: reader) if hasattr(reader, "list") else reader

    def fetch():
        readers, running = [], []
        for key in pending:
            readers += [] if any(r is reader_of(key) for r in readers) else [reader_of(key)]
        for one in readers:
            running += watch_round(one, jobs, [k for k in pending if reader_of(k) is one], now() if now else None)
        pending[:] = [k for k in pending if k in running]
        if on_round:
            on_round(jobs)
        return list(pending)

    return _poller.wait_until(fetch, lambda p: not p, timeout, sleep=sleep, clock=clock,
                              **job_poll(poll_interval, first_poll_now=not all(jobs.values())))
