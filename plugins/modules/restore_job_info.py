#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: restore_job_info
short_description: Read, list and wait for Azure Backup restore jobs
version_added: 0.1.0
description:
  - Reads the jobs of a Recovery Services vault - one by O(job_id), several by O(job_ids), or the job
    behind an asynchronous operation URL returned by M(azbackup.restore.vm_restore) or
    M(azbackup.restore.crr_restore) with C(wait=none) - or lists the vault's jobs with filters.
  - With O(wait_for=completed) waits until every selected job has ended, polling only the jobs still
    running, so that restores started in parallel take as long as the slowest one.
  - With O(region=secondary) reads the cross-region restore jobs, which live in the vault's secondary
    (paired) region.
  - The module only reads; M(azbackup.restore.restore_job) cancels a job.
author:
  - azbackup.restore contributors (@azbackup)
options:
  vault_name:
    description:
      - Name of the Recovery Services vault.
    type: str
    required: true
  vault_resource_group:
    description:
      - Resource group of the vault.
    type: str
    required: true
  job_id:
    description:
      - Read this job (its id, a GUID).
    type: str
  job_ids:
    description:
      - Read these jobs.
      - May be combined with O(job_id), O(operation_url) and O(operation_urls); the jobs are returned in the
        order given, each once.
      - Empty entries are ignored, such as those a loop of restores started with C(wait=none) gives for the
        restores that have no job id yet.
    type: list
    elements: str
  operation_url:
    description:
      - The C(Azure-AsyncOperation) URL of a restore (the C(operation_url) a restore module returns with
        C(wait=none)). It is read verbatim; its C(properties.jobId) names the job.
      - If the operation is still running, the module waits for it (within O(wait_timeout)) whatever
        O(wait_for) says.
      - If it still runs when O(wait_timeout) runs out, the task fails naming it, or with O(fail_on_timeout=false)
        returns it in RV(pending_operation_urls) (with RV(timed_out=true) and RV(done=false)) for the next call.
      - A cross-region restore operation (C(.../locations/{region}/backupCrrOperationsStatus/...)) names a job
        of that secondary region.
    type: str
  operation_urls:
    description:
      - Several operation URLs, as O(operation_url).
      - Empty entries are ignored, as in O(job_ids).
    type: list
    elements: str
  status:
    description:
      - When listing, only jobs with this status.
    type: str
    choices: [InProgress, Completed, CompletedWithWarnings, Failed, Cancelled, Cancelling]
  operation:
    description:
      - When listing, only jobs of this operation; V(all) for every operation.
      - If not set, V(Restore) with O(region=primary) and V(CrossRegionRestore) with O(region=secondary).
    type: str
    choices: [all, Restore, CrossRegionRestore, Backup, ConfigureBackup, DisableBackup, DeleteBackupData, Register,
              UnRegister, Undelete, UpdateCustomerManagedKey]
  start_time:
    description:
      - When listing, only jobs started at or after this time, ISO 8601 (V(2026-11-01T08:00:00Z); without a
        zone the time is UTC).
      - Azure needs a time window to list jobs. If not set, seven days before O(end_time).
    type: str
  end_time:
    description:
      - When listing, only jobs started at or before this time, ISO 8601.
      - If not set, now.
      - A window that ends before it starts fails before any request is sent.
    type: str
  vm_id:
    description:
      - When listing, only jobs of this protected virtual machine (its resource id).
      - Applied to the answer (the job's entity and container names); Azure has no such filter.
      - Mutually exclusive with O(vm_name) and O(vm_resource_group).
    type: str
  vm_name:
    description:
      - When listing, only jobs of the protected virtual machine of this name.
    type: str
  vm_resource_group:
    description:
      - With O(vm_name), only jobs whose container names this resource group.
    type: str
  region:
    description:
      - V(primary) reads the jobs in the vault's region.
      - V(secondary) reads the cross-region restore jobs in the vault's secondary region (with C(POST
        backupCrrJob) and C(POST backupCrrJobs)).
    type: str
    choices: [primary, secondary]
    default: primary
  secondary_region:
    description:
      - The secondary region for O(region=secondary), for example V(northeurope).
      - If not set, the paired region of the vault's region as Azure Resource Manager's locations API names it.
    type: str
  api_version:
    description:
      - The api-version of the job requests.
      - If not set, V(2024-04-01) for O(region=primary) and V(2023-01-15) for O(region=secondary).
    type: str
  wait_for:
    description:
      - V(none) returns the jobs as they are.
      - V(completed) waits until every selected job has ended (C(Completed), C(CompletedWithWarnings),
        C(Failed) or C(Cancelled)). When listing, the jobs still running in the list are waited for.
      - Each round costs one job list request (per region) however many jobs are waited for, filtered by
        operation and the earliest start time of the jobs still running, plus one read of each job that
        ended since the round before (for its full details) or that the list does not show. A job waited for
        alone is read instead, one request per round as well.
      - To report progress while waiting, call the module in slices of a bounded O(wait_timeout) with
        O(fail_on_timeout=false) and show RV(summary) between them (the role C(azbackup.restore.wait_for_jobs) does,
        and the other roles wait with it).
    type: str
    choices: [none, completed]
    default: none
  wait_timeout:
    description:
      - Seconds to wait in all, for operation URLs and jobs together.
      - When it runs out the task fails, naming the jobs still running and their last status (unless
        O(fail_on_timeout=false)).
    type: int
    default: 3600
  fail_on_timeout:
    description:
      - With V(false), a wait that runs out of O(wait_timeout) returns the jobs as last read, with RV(timed_out=true)
        and RV(done=false), instead of failing. This is how to wait in slices and report progress between them
        (the role C(azbackup.restore.wait_for_jobs) does).
      - An operation URL whose operation has not named its job yet is then no error either; it is returned in
        RV(pending_operation_urls), to give again to the next call. An operation that ended C(Failed) still fails
        the task.
    type: bool
    default: true
    version_added: 0.2.0
  poll_interval:
    description:
      - Seconds between two rounds of polling.
      - If not set, 15 seconds growing by half at each round up to 120 seconds (asynchronous operations
        honour the server's C(Retry-After) when it sends one).
      - When set, this fixed interval is used.
    type: int
  fail_on_job_failure:
    description:
      - Fail the task when a job it names (by id or operation URL) or waits for ended C(Failed) or C(Cancelled),
        naming each job's Azure error code and message.
      - If not set, V(true) with O(wait_for=completed), else V(false).
    type: bool
extends_documentation_fragment:
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_azure
  - azbackup.restore.attributes.platform
  - azbackup.restore.attributes.info_module
notes:
  - The module only reads; it always returns C(changed=false).
  - Failures carry C(jobs) (the last state of every selected job) beside the message.
seealso:
  - module: azbackup.restore.restore_job
  - module: azbackup.restore.vm_restore
  - module: azbackup.restore.crr_restore
"""

EXAMPLES = r"""
- name: Restore jobs of the last seven days
  azbackup.restore.restore_job_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
  register: restores

- name: Failed restores of one VM in November
  azbackup.restore.restore_job_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    status: Failed
    start_time: "2026-11-01T00:00:00Z"
    end_time: "2026-11-30T23:59:59Z"

- name: One job
  azbackup.restore.restore_job_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    job_id: 5bd7a1c8-3e4f-4a6b-9c2d-0e1f2a3b4c5d
  register: one

- name: Start several restores without waiting
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: "{{ item }}"
    vm_resource_group: rg-prod
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    wait: none
  loop: [vm-app-001, vm-app-002, vm-app-003]
  register: started

- name: Wait for all of them (as long as the slowest)
  azbackup.restore.restore_job_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    # a run that found its restore already running returns the job id instead of an operation URL
    operation_urls: "{{ started.results | map(attribute='operation_url', default='') | select | list }}"
    job_ids: "{{ started.results | map(attribute='job_id', default='') | select | list }}"
    wait_for: completed
    wait_timeout: 7200

- name: Wait for cross-region restore jobs
  azbackup.restore.restore_job_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    region: secondary
    job_ids: "{{ crr_job_ids }}"
    wait_for: completed
"""

RETURN = r"""
jobs:
  description:
    - The jobs, in the order asked for, or newest first when listing (V([]) when none matches).
    - The operation URLs of RV(pending_operation_urls) have no job yet and take no place in the list (the jobs of
      the other URLs keep their order).
  returned: success, and on failure once jobs were read
  type: list
  elements: dict
  contains:
    id:
      description: Resource id of the job.
      returned: always
      type: str
      sample: "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-vault/providers/\
        Microsoft.RecoveryServices/vaults/rsv-prod/backupJobs/5bd7a1c8-3e4f-4a6b-9c2d-0e1f2a3b4c5d"
    job_id:
      description: The job id.
      returned: always
      type: str
      sample: 5bd7a1c8-3e4f-4a6b-9c2d-0e1f2a3b4c5d
    status:
      description: C(InProgress), C(Cancelling), C(Completed), C(CompletedWithWarnings), C(Failed) or C(Cancelled).
      returned: always
      type: str
      sample: Completed
    operation:
      description: What the job does (C(Restore), C(CrossRegionRestore), C(Backup)...).
      returned: always
      type: str
      sample: Restore
    entity:
      description: Name of the protected virtual machine.
      returned: always
      type: str
      sample: vm-web-01
    backup_management_type:
      description: Azure Backup's management type.
      returned: always
      type: str
      sample: AzureIaasVM
    container_name:
      description: The protection container of the virtual machine.
      returned: always
      type: str
      sample: iaasvmcontainerv2;rg-prod;vm-web-01
    start_time:
      description: When the job started, ISO 8601 UTC.
      returned: always
      type: str
      sample: "2026-11-04T10:00:00Z"
    end_time:
      description: When the job ended, ISO 8601 UTC (V(null) while running).
      returned: always
      type: str
      sample: "2026-11-04T10:01:07Z"
    duration:
      description: How long the job ran, ISO 8601 duration.
      returned: always
      type: str
      sample: PT1M7S
    activity_id:
      description: Azure's activity id of the job.
      returned: always
      type: str
      sample: 0d1f0bd3-7b40-4d4c-bd7f-9f0c3c4d7e1a
    actions:
      description: What can be done with the job (C(Cancellable), C(Retriable)).
      returned: always
      type: list
      elements: raw
      sample: [Cancellable]
    error_details:
      description: Azure's errors of a failed job.
      returned: always
      type: list
      elements: dict
      sample: [{"code": 400001, "title": "UserErrorStorageAccountNotFound", "message": "...", "recommendations": []}]
    restore_type:
      description: V(restore_disks), V(replace_disks) or V(new_vm) for restore jobs.
      returned: always
      type: str
      sample: restore_disks
    recovery_point_time:
      description: Time of the recovery point a restore job restores, ISO 8601 UTC.
      returned: always
      type: str
      sample: "2026-11-03T01:00:00Z"
    target_storage_account:
      description: Staging storage account of a restore job.
      returned: always
      type: str
      sample: strestorewe
    target_resource_group:
      description: Target resource group of a restore job.
      returned: always
      type: str
      sample: rg-restore
    target_vm_name:
      description: Name of the virtual machine a V(new_vm) restore creates.
      returned: always
      type: str
      sample: vm-web-01-restored
    config_blob_uri:
      description: URI of the restored virtual machine's configuration (a completed restore-disks job).
      returned: always
      type: str
      sample: https://strestorewe.blob.core.windows.net/vm-web-01-abc/config-vm-web-01.json
    template_blob_uri:
      description: URI of the ARM template that creates a virtual machine from the restored disks.
      returned: always
      type: str
      sample: https://strestorewe.blob.core.windows.net/vm-web-01-abc/azuredeploy.json
    config_blob_name:
      description: Name of the configuration blob.
      returned: always
      type: str
      sample: config-vm-web-01.json
    config_blob_container_name:
      description: Container of the configuration blob.
      returned: always
      type: str
      sample: vm-web-01-abc
    extended_info:
      description: Tasks, progress and the raw property bags of the job.
      returned: always
      type: dict
      sample: {"progress_percentage": 45.0, "tasks": [], "property_bag": {}, "internal_property_bag": {}}
job:
  description: The job, when exactly one was asked for (by O(job_id), O(operation_url) or a list of one).
  returned: success, when one job was asked for
  type: dict
  sample: {"job_id": "5bd7a1c8-3e4f-4a6b-9c2d-0e1f2a3b4c5d", "status": "Completed", "operation": "Restore"}
secondary_region:
  description: The secondary region the cross-region restore jobs were read in.
  returned: when jobs of the secondary region were read
  type: str
  sample: northeurope
done:
  description:
    - Whether every job the task waited for (without O(wait_for=completed), every job it returns) has ended, and
      every operation URL has named its job (RV(pending_operation_urls) is empty).
  returned: success
  type: bool
  sample: false
  version_added: 0.2.0
timed_out:
  description:
    - Whether the wait ran out of O(wait_timeout) with jobs still running or operation URLs still pending (only with
      O(fail_on_timeout=false); else the task fails).
  returned: success
  type: bool
  sample: false
  version_added: 0.2.0
pending_operation_urls:
  description:
    - With O(fail_on_timeout=false), the operation URLs (as given, in their order) whose operation was still running
      when O(wait_timeout) ran out, so that no job id is known for them yet; V([]) when none. Their jobs are not in
      RV(jobs). Give them again in O(operation_urls) of the next call to wait on (the role
      C(azbackup.restore.wait_for_jobs) does).
  returned: success, and on failure once jobs were read
  type: list
  elements: str
  sample: ["https://management.azure.com/subscriptions/.../protectedItems/.../operationsStatus/2b9f0a4c?api-version=2024-04-01"]
  version_added: 0.2.0
summary:
  description:
    - How many of RV(jobs) are done and running, with a one-line text, for progress reports.
  returned: success, and on failure once jobs were read
  type: dict
  contains:
    total:
      description: Number of jobs.
      type: int
      returned: always
      sample: 5
    completed:
      description: Jobs ended C(Completed) or C(CompletedWithWarnings).
      type: int
      returned: always
      sample: 2
    failed:
      description: Jobs ended C(Failed) or C(Cancelled).
      type: int
      returned: always
      sample: 1
    running:
      description: Jobs still running (C(InProgress), C(Cancelling)).
      type: int
      returned: always
      sample: 2
    progress:
      description: Azure's progress percentage of each running job that gives one, lowest first.
      type: list
      elements: float
      returned: always
      sample: [45.0, 80.0]
    text:
      description: The counts in one line.
      type: str
      returned: always
      sample: "3 of 5 done: 2 completed, 1 failed; 2 running (45%, 80%)"
duration:
  description: Seconds the task waited (operations and jobs).
  returned: success
  type: float
  sample: 95.2
"""


import datetime
import re
import time
import unicodedata
from urllib.parse import urlsplit

from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils import _crr
from ansible_collections.azbackup.restore.plugins.module_utils import _jobs
from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    OperationFailedError,
    OperationTimeoutError,
    UntrustedUrlError,
    ValidationError,
    redact_url,
)
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import (
    not_found_refusal,
    parse_vm_id,
    vault_missing_text,
)
from ansible_collections.azbackup.restore.plugins.module_utils._time import check_time_window, format_time
from ansible_collections.azbackup.restore.plugins.module_utils._vault import normalize_region, read_vault

OPERATIONS = ["all", "Restore", "CrossRegionRestore", "Backup", "ConfigureBackup", "DisableBackup", "DeleteBackupData",
              "Register", "UnRegister", "Undelete", "UpdateCustomerManagedKey"]
SELECTORS = ("job_id", "job_ids", "operation_url", "operation_urls")
LIST_FILTERS = ("status", "operation", "start_time", "end_time", "vm_id", "vm_name", "vm_resource_group")
MUTUALLY_EXCLUSIVE = [("vm_id", "vm_name"), ("vm_id", "vm_resource_group")] + \
    [(s, f) for s in SELECTORS for f in LIST_FILTERS]
DEFAULT_WINDOW = datetime.timedelta(days=7)

# Injected so that tests never sleep.
_sleep = time.sleep
_clock = time.monotonic


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _given(values):
    """The non-empty values, stripped (a fan-out's list of job ids has empty ones for the restores without)."""
    return [v.strip() for v in values if v and v.strip()]


def _listed(value):
    return value if isinstance(value, list) else [value]


# The last segments of the Azure-AsyncOperation URLs of Azure Backup (primary and cross-region).
_OPERATION_TYPES = ("backupoperations", "operationsstatus", "operationstatus", "backupcrroperationsstatus",
                    "operations", "operationresults", "backupcrroperationresults")


def check_operation_url(url, option, client=None):
    """``url`` if it is an https:// URL of an Azure Backup operation, with no segment that could add,
    remove or escape one, on the client's Resource Manager endpoint; else a refusal naming ``option``."""
    parts = urlsplit(url)
    problem = None
    if any(unicodedata.category(c)[0] == "C" for c in url):
        problem = "contains a control or invisible character"
    elif parts.scheme.lower() != "https" or not parts.netloc or "#" in url:
        problem = "is not an https:// URL without a fragment"
    else:
        try:
            parsed = rid.parse_resource_id(parts.path)
        except ValueError as e:
            problem = "has a path that is not an Azure resource path (%s)" % e
        else:
            kind = (parsed["resource_type"] or "").lower()
            if kind not in _OPERATION_TYPES or not parsed["resource_name"]:
                problem = "does not name an operation of Azure Backup (.../backupOperations/{id}, " \
                          ".../operationsStatus/{id} or .../backupCrrOperationsStatus/{id})"
            else:
                try:
                    rid.check_segment(parsed["resource_name"], "operation_id", option)
                except ValueError as e:
                    problem = "names an operation id that is not one (%s)" % e
    if problem is None and client is not None:
        try:
            client.check_url(url)
        except UntrustedUrlError as e:
            problem = "is refused (%s)" % e.msg
    if problem is None:
        return url
    raise ValidationError("%s %s: %r" % (option, problem, redact_url(url)[:200]), option=option)


# A job to read: its id and, for a cross-region restore job, the secondary region (None: primary).
JobRef = namedtuple("JobRef", "job_id region")

_CRR_OPERATION_RE = re.compile(r"/locations/([^/]+)/backupcrroperationsstatus/", re.IGNORECASE)


def argument_spec():
    """The module's own options (the base adds the auth and connection ones)."""
    return dict(
        vault_name=dict(type="str", required=True),
        vault_resource_group=dict(type="str", required=True),
        job_id=dict(type="str"),
        job_ids=dict(type="list", elements="str"),
        operation_url=dict(type="str"),
        operation_urls=dict(type="list", elements="str"),
        status=dict(type="str", choices=list(_jobs.JOB_STATUSES)),
        operation=dict(type="str", choices=OPERATIONS),
        start_time=dict(type="str"),
        end_time=dict(type="str"),
        vm_id=dict(type="str"),
        vm_name=dict(type="str"),
        vm_resource_group=dict(type="str"),
        region=dict(type="str", choices=["primary", "secondary"], default="primary"),
        secondary_region=dict(type="str"),
        api_version=dict(type="str"),
        wait_for=dict(type="str", choices=["none", "completed"], default="none"),
        wait_timeout=dict(type="int", default=3600),
        poll_interval=dict(type="int"),
        fail_on_job_failure=dict(type="bool"),
        fail_on_timeout=dict(type="bool", default=True),
    )


# --------------------------------------------------------------------------------------------
# Plain helpers


def list_window(start_time, end_time, now):
    """The (start, end) of a job listing: the options, else the seven days before the end (now)."""
    start, end = check_time_window(start_time, end_time)
    if end is None:
        end = now
        if start is not None and start > end:
            raise ValidationError("start_time (%s) is in the future" % format_time(start), option="start_time")
    if start is None:
        start = end - DEFAULT_WINDOW
    return start, end


def vm_filter(params):
    """(vm_name, vm_resource_group) to filter listed jobs on, from vm_id or vm_name / vm_resource_group."""
    if params.get("vm_id"):
        dummy, resource_group, name = parse_vm_id(params["vm_id"])
        return name, resource_group
    return params.get("vm_name"), params.get("vm_resource_group")


def job_matches_vm(job, vm_name, vm_resource_group=None):
    """Is this normalized job about that VM? The entity is the VM name; the container, when the job
    names one (``iaasvmcontainerv2;{rg};{vm}``), must end with the resource group and the name."""
    if vm_name and (job.get("entity") or "").strip().lower() != vm_name.lower():
        return False
    container = (job.get("container_name") or "").lower()
    if vm_resource_group and container and ";" in container:
        if not container.endswith(";%s;%s" % (vm_resource_group.lower(), (vm_name or job.get("entity") or "").lower())):
            return False
    return True


def operation_region(url):
    """The secondary region of a cross-region restore operation URL, or None for a primary one."""
    m = _CRR_OPERATION_RE.search(url.split("?", 1)[0])
    return m.group(1).lower() if m else None


def failed_jobs(jobs):
    return [j for j in jobs if j.get("status") in _jobs.JOB_FAILED]


def jobs_failed_error(failed):
    """The error naming every failed job with Azure's error code (the error's title, else its code) and message."""
    texts = ["job %s (%s of %s) ended %s: %s" % (j.get("job_id"), j.get("operation"), j.get("entity"),
                                                 j.get("status"), _jobs.errors_text(j, by_title=True)) for j in failed]
    errors = failed[0].get("error_details") or [{}]
    code = errors[0].get("title") or errors[0].get("code")
    return OperationFailedError("%d job(s) ended without success: %s" % (len(failed), "; ".join(texts)),
                                status=failed[0].get("status"), error_code=str(code) if code is not None else None)


def resolve_operation(client, url, timeout, poll, pending_ok=False):
    """The JobRef an Azure-AsyncOperation URL leads to (waiting for the operation when it runs). When
    ``timeout`` runs out first: None if ``pending_ok`` (the caller asks again later), else the poller's
    ``OperationTimeoutError`` naming the URL."""
    path = url.split("?", 1)[0].lower()
    if "/operationresults/" in path or "/backupcrroperationresults/" in path:
        raise ValidationError("%s is an operation's Location URL, which never names the job; give the "
                              "Azure-AsyncOperation URL (.../operationsStatus/... or .../backupCrrOperationsStatus/...)"
                              % redact_url(url), option="operation_url")
    try:
        result = _poller.poll_operation(client, async_url=url, timeout=timeout, sleep=_sleep, clock=_clock, **poll)
    except OperationTimeoutError:
        if pending_ok:
            return None
        raise
    except AzureApiError as e:
        raise e.with_context("Failed to read operation %s" % redact_url(url), show_correlation_id=True)
    except OperationFailedError as e:
        raise e.reworded("The restore operation %s ended %s without starting a job: (%s) %s" % (
            redact_url(url), e.status, e.error_code or "no error code", e.error_message or "Azure gave no details"))
    body = result.body if isinstance(result.body, dict) else {}
    job_id = (body.get("properties") or {}).get("jobId")
    if not job_id:
        raise AzBackupError("Operation %s ended %s but names no job (no properties.jobId)" % (
            redact_url(url), result.status))
    return JobRef(job_id, operation_region(url))


# --------------------------------------------------------------------------------------------
# Reading jobs


class VaultJobs(object):
    """The jobs of one vault in both regions: ``_jobs.PrimaryJobs``, and ``_jobs.SecondaryJobs`` per
    secondary region (the vault's own found on first need). Azure's errors name the vault and the job.

    It is also the vault reference ``read_vault`` and the not-found refusals take.
    """

    def __init__(self, client, subscription_id, params):
        self.client = client
        self.subscription_id = subscription_id
        self.vault_name = params["vault_name"]
        self.vault_resource_group = params["vault_resource_group"]
        self.vault_id = rid.vault_id(subscription_id, self.vault_resource_group, self.vault_name)
        self.secondary = params["region"] == "secondary"
        self.api_version = params.get("api_version")
        self._secondary_region = None
        if params.get("secondary_region"):
            self._secondary_region = rid.check_segment(normalize_region(params["secondary_region"]), "region",
                                                       "secondary_region")
        self._readers = {}

    def secondary_region(self):
        """The option, else the paired region of the vault's region (ARM's locations API)."""
        if self._secondary_region is None:
            vault = read_vault(self.client, self)
            self._secondary_region = _crr.secondary_region_of(self.client, self.subscription_id, vault)
        return self._secondary_region

    def _version(self, secondary):
        """The api_version option for the region the module reads, the default for the other one."""
        if self.api_version and secondary == self.secondary:
            return self.api_version
        return api.CRR if secondary else api.BACKUP

    def reader(self, region=None):
        """The jobs of the vault's region (``region`` None) or of that secondary region."""
        if region not in self._readers:
            if region:
                self._readers[region] = _jobs.SecondaryJobs(self.client, self.subscription_id, region, self.vault_id,
                                                            api_version=self._version(True))
            else:
                self._readers[region] = _jobs.PrimaryJobs(self.client, self.vault_id, api_version=self._version(False))
        return self._readers[region]

    def get(self, ref):
        """The normalized job ``ref`` names."""
        reader = self.reader(ref.region)
        with _jobs.refusing_job_not_found(reader, ref.job_id):
            return reader.get(ref.job_id)

    def list(self, secondary, **filters):
        """[(JobRef, normalized job)] of the jobs matching ``filters`` in the primary or secondary region."""
        return self.list_in(self.secondary_region() if secondary else None, **filters)

    def list_in(self, region, **filters):
        """[(JobRef, normalized job)] of the jobs matching ``filters`` in the vault's region (``region``
        None) or in that secondary region."""
        secondary = region is not None
        reader = self.reader(region)
        try:
            jobs = reader.list(**filters)
        except AzureApiError as e:
            if e.status_code == 404 and not secondary:
                raise not_found_refusal(e, vault_missing_text(self), "vault_name", self)
            raise e.with_context("Failed to list the jobs of %s" % reader.where(), show_correlation_id=True)
        return [(JobRef(j.get("job_id"), reader.region), j) for j in jobs]


class WatchedJobs(object):
    """The reader ``_jobs.watch_jobs`` takes, for the jobs of one region of a ``VaultJobs``: Azure's
    errors name the vault and the job as ``VaultJobs.get`` and ``VaultJobs.list`` word them."""

    def __init__(self, vault, region):
        self.vault = vault
        self.region = region
        self.operation = vault.reader(region).operation

    def get(self, job_id):
        return self.vault.get(JobRef(job_id, self.region))

    def list(self, **filters):
        return [job for dummy, job in self.vault.list_in(self.region, **filters)]


# --------------------------------------------------------------------------------------------
# The module


class Run(object):
    """One run of the module: what it read, for the result (also on failure)."""

    def __init__(self):
        self.params = None
        self.refs = []
        self.state = {}
        self.listed = False
        self.secondary_region = None
        self.timed_out = False
        self.pending_urls = []  # operation URLs still running when the wait ran out (fail_on_timeout=false)

    def jobs(self):
        return [self.state[r] for r in self.refs if r in self.state]

    def extras(self):
        """What the result carries beside the outcome, also when the task fails."""
        out = dict(jobs=self.jobs(), summary=_jobs.job_summary(self.jobs()),
                   pending_operation_urls=list(self.pending_urls))
        if self.secondary_region:
            out["secondary_region"] = self.secondary_region
        return out

    def execute(self, module):
        self.params = params = module.params
        started = _clock()
        poll = _poller.poll_settings(params["wait_timeout"], params["poll_interval"])
        timeout = poll.pop("timeout")

        def remaining():
            return max(0, timeout - (_clock() - started))

        # Option checks first: nothing is sent when they fail.
        selected = any(params.get(k) for k in SELECTORS)
        window = None if selected else list_window(params.get("start_time"), params.get("end_time"), _now())
        vm = vm_filter(params)
        secondary = params["region"] == "secondary"

        vault = VaultJobs(module.client, module.subscription_id, params)
        if selected:
            self._read_selected(vault, secondary, remaining, poll)
            watched = list(self.refs)
        else:
            self._read_list(vault, secondary, window, vm)
            watched = [r for r in self.refs if not _jobs.job_is_terminal(self.state[r])]
        self.secondary_region = next((r.region for r in self.refs if r.region), None) or \
            (vault.secondary_region() if secondary else None)

        if params["wait_for"] == "completed":
            self._wait(vault, watched, remaining(), timeout)
        self._judge(module, [self.state[r] for r in watched])

        result = dict(changed=False, duration=round(_clock() - started, 1),
                      timed_out=self.timed_out or bool(self.pending_urls),
                      done=not self.pending_urls and all(_jobs.job_is_terminal(self.state[r])
                                                         for r in watched if r in self.state))
        result.update(self.extras())
        if not self.listed and len(self.refs) == 1 and not self.pending_urls:
            result["job"] = self.state[self.refs[0]]
        return result

    def _read_selected(self, vault, secondary, remaining, poll):
        """The jobs named by id or by operation URL, in the order given."""
        params = self.params
        ids = [rid.check_segment(v, "job_id", option) for option in ("job_id", "job_ids")
               for v in _given(_listed(params.get(option)))]
        urls = [check_operation_url(v, option, vault.client) for option in ("operation_url", "operation_urls")
                for v in _given(_listed(params.get(option)))]
        for job_id in ids:
            self._add(JobRef(job_id, vault.secondary_region() if secondary else None))
        # The operations are followed side by side (each answers in about 0.75 s), their jobs kept in order;
        # with fail_on_timeout=false, one still running at the deadline is returned as pending, not an error.
        pending_ok = not params["fail_on_timeout"]
        with ThreadPoolExecutor(max_workers=max(1, min(_jobs.READ_CONCURRENCY, len(urls)))) as pool:
            refs = list(pool.map(lambda url: resolve_operation(vault.client, url, remaining(), poll, pending_ok),
                                 urls))
        for url, ref in zip(urls, refs):
            if ref is None:
                self.pending_urls.append(url)
                continue
            if secondary and not ref.region:
                ref = JobRef(ref.job_id, vault.secondary_region())
            self._add(ref)
        if params["wait_for"] != "completed":  # else the wait's first round reads them
            for ref in self.refs:
                self.state[ref] = vault.get(ref)

    def _read_list(self, vault, secondary, window, vm):
        """The jobs of the window (Azure's filter, applied again here with the VM filter), newest first."""
        params = self.params
        operation = params.get("operation") or ("CrossRegionRestore" if secondary else "Restore")
        filters = dict(status=params.get("status"), start=window[0], end=window[1])
        if operation != "all":
            filters["operation"] = operation
        listed = [(r, j) for r, j in vault.list(secondary, **filters)
                  if job_matches_vm(j, *vm) and (not params.get("status") or j.get("status") == params["status"])
                  and (operation == "all" or j.get("operation") == operation)]
        listed.sort(key=lambda rj: rj[1].get("start_time") or "", reverse=True)
        for ref, job in listed:
            if ref not in self.state:
                self.refs.append(ref)
                self.state[ref] = job
        self.listed = True

    def _wait(self, vault, refs, timeout, wait_timeout):
        """Poll the jobs of ``refs`` until all have ended: one job list per region and round, and one read of
        each job as it ends (or when the list does not show it)."""
        jobs = dict((r, self.state.get(r)) for r in refs)
        readers = {}

        def reader_of(ref):
            if ref.region not in readers:
                readers[ref.region] = WatchedJobs(vault, ref.region)
            return readers[ref.region]

        try:
            result = _jobs.watch_jobs(reader_of, jobs, timeout, poll_interval=self.params["poll_interval"],
                                      sleep=_sleep, clock=_clock, now=_now)
        finally:
            self.state.update((r, j) for r, j in jobs.items() if j)
        if not result.done:
            if not self.params["fail_on_timeout"]:
                self.timed_out = True
                return
            pending = [r for r in refs if r in result.last]
            raise OperationTimeoutError(
                "Timed out after %ds waiting for %d job(s) still running: %s; they keep running in Azure: run the "
                "task again to wait longer, or raise wait_timeout"
                % (wait_timeout, len(pending), ", ".join(_jobs.describe_job(self.state[r]) for r in pending)),
                job_id=", ".join(r.job_id for r in pending),
                last_status=", ".join(self.state[r].get("status") or "unknown" for r in pending),
                elapsed=result.elapsed)

    def _judge(self, module, jobs):
        """Warnings for jobs completed with warnings, failure for failed ones (as the options ask)."""
        params = self.params
        if params["wait_for"] == "completed":
            for job in jobs:
                if job.get("status") == "CompletedWithWarnings":
                    module.warn("Job %s (%s of %s) completed with warnings: %s" % (
                        job.get("job_id"), job.get("operation"), job.get("entity"),
                        _jobs.errors_text(job, by_title=True)))
        fail_on_failure = params.get("fail_on_job_failure")
        if fail_on_failure is None:
            fail_on_failure = params["wait_for"] == "completed"
        failed = failed_jobs(jobs) if fail_on_failure else []
        if failed:
            raise jobs_failed_error(failed)

    def _add(self, ref):
        if ref not in self.refs:
            self.refs.append(ref)


def main():
    run = Run()
    module = AzBackupModule(argument_spec(), mutually_exclusive=MUTUALLY_EXCLUSIVE,
                            required_by=dict(vm_resource_group="vm_name"), supports_check_mode=True)
    module.run(run.execute, fail_extras=run.extras)


if __name__ == "__main__":
    main()
