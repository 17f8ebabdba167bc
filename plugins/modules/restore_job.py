#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: restore_job
short_description: Cancel an Azure Backup job
version_added: 0.2.0
description:
  - Cancels a running job of a Recovery Services vault, typically a restore started by
    M(azbackup.restore.vm_restore).
  - Sends C(POST .../backupJobs/{job_id}/cancel) and follows the cancellation Azure starts to its end; with
    O(wait=true) it then waits until the job has ended.
  - A job that has already ended (C(Completed), C(CompletedWithWarnings), C(Failed) or C(Cancelled)) or is
    already being cancelled (C(Cancelling)) is left alone, so running the task again changes nothing.
  - Only jobs of the vault's own region can be cancelled. Azure has no call to cancel a cross-region restore
    job (a C(CrossRegionRestore) job of the secondary region), so this module has no region option.
  - To read, list or wait for jobs without changing them, use M(azbackup.restore.restore_job_info).
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
      - The job (its id, a GUID), for example the C(job_id) a restore module returns.
    type: str
    required: true
  state:
    description:
      - V(cancelled) cancels the job if it is running (C(InProgress)).
    type: str
    choices: [cancelled]
    default: cancelled
  wait:
    description:
      - Wait until the job has ended, normally C(Cancelled) (a job may also end C(Completed) or C(Failed)
        before the cancellation takes effect; the module then warns).
      - With V(false) the task returns once Azure's cancellation operation has ended; the job may still be
        C(Cancelling).
      - A job found C(Cancelling) is waited for, too (still without a change).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait in all, for the cancellation operation and the job together.
      - When it runs out the task fails, naming the job and its last status; the cancellation goes on in Azure.
    type: int
    default: 3600
  poll_interval:
    description:
      - Seconds between two polls of the cancellation operation or the job.
      - If not set, 15 seconds growing by half at each poll up to 120 seconds (the cancellation operation
        honours the server's C(Retry-After) when it sends one).
      - When set, this fixed interval is used.
    type: int
extends_documentation_fragment:
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_azure
  - azbackup.restore.attributes.platform
attributes:
  check_mode:
    support: full
    details:
      - Reads the job and reports C(changed=true) when it would cancel it; sends no cancellation and does
        not wait.
  diff_mode:
    support: none
notes:
  - C(changed) is V(true) only when the task sent a cancellation (or would, in check mode).
  - Azure's refusal to cancel a job (for example C(BMSUserErrorJobNotCancellable)) fails the task with
    Azure's error code in C(error_code).
  - Failures carry C(job) (the job as last read) and C(cancelled) beside the message.
seealso:
  - module: azbackup.restore.restore_job_info
  - module: azbackup.restore.vm_restore
"""

EXAMPLES = r"""
- name: Start a restore without waiting for it
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    wait: operation
  register: restore

- name: Cancel it and wait until it is cancelled
  azbackup.restore.restore_job:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    job_id: "{{ restore.job_id }}"
    state: cancelled
    wait_timeout: 900
  register: cancel

- name: Cancel a job without waiting for it to end
  azbackup.restore.restore_job:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    job_id: 5bd7a1c8-3e4f-4a6b-9c2d-0e1f2a3b4c5d
    wait: false

- name: Would this job be cancelled?
  azbackup.restore.restore_job:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    job_id: 5bd7a1c8-3e4f-4a6b-9c2d-0e1f2a3b4c5d
  check_mode: true
  register: would_cancel
"""

RETURN = r"""
changed:
  description: Whether the task sent a cancellation (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
cancelled:
  description:
    - Whether the task sent a cancellation (in check mode, whether it would); V(false) for a job that had
      already ended or was already being cancelled.
  returned: always
  type: bool
  sample: true
job:
  description:
    - The job as last read, normalized as M(azbackup.restore.restore_job_info) returns it (C(job_id),
      C(status), C(operation), C(entity), C(start_time), C(end_time), C(error_details), C(extended_info)...).
    - In check mode, the job as it was before any cancellation.
  returned: success, and on failure once the job was read
  type: dict
  sample: {"job_id": "5bd7a1c8-3e4f-4a6b-9c2d-0e1f2a3b4c5d", "status": "Cancelled", "operation": "Restore",
           "entity": "vm-web-01", "start_time": "2026-11-04T10:00:00Z", "end_time": "2026-11-04T10:03:12Z"}
duration:
  description: Seconds the task waited (the cancellation operation and the job).
  returned: success
  type: float
  sample: 42.5
"""

import time

from ansible_collections.azbackup.restore.plugins.module_utils import _jobs
from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    OperationFailedError,
    OperationTimeoutError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule

# Injected so that tests never sleep.
_sleep = time.sleep
_clock = time.monotonic


def argument_spec():
    """The module's own options (the base adds the auth and connection ones)."""
    return dict(
        vault_name=dict(type="str", required=True),
        vault_resource_group=dict(type="str", required=True),
        job_id=dict(type="str", required=True),
        state=dict(type="str", choices=["cancelled"], default="cancelled"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=_poller.DEFAULT_TIMEOUT),
        poll_interval=dict(type="int"),
    )


def read_job(jobs, job_id):
    """The normalized job; a refusal naming the option at fault when Azure does not know it."""
    with _jobs.refusing_job_not_found(jobs, job_id):
        return jobs.get(job_id)


def send_cancel(jobs, job_id):
    """POST cancel: Azure's answer (202 with the cancellation to follow, or 200 / 204)."""
    with _jobs.refusing_job_not_found(jobs, job_id, doing="cancel"):
        return jobs.cancel(job_id)


def follow_cancel(jobs, job_id, resp, timeout, poll):
    """Follow the cancellation Azure started (a 202 with Azure-AsyncOperation or Location) to its end."""
    urls = _poller.operation_urls(resp)
    if resp.status_code != 202 or not (urls["async_url"] or urls["location_url"]):
        return
    what = "job %s of %s" % (job_id, jobs.where())
    try:
        _poller.poll_operation(jobs.client, timeout=timeout, sleep=_sleep, clock=_clock, **dict(urls, **poll))
    except AzureApiError as e:
        raise e.with_context("Cancellation of %s sent, but following it failed" % what, show_correlation_id=True)
    except OperationFailedError as e:
        raise e.reworded("The cancellation of %s ended %s: (%s) %s" % (
            what, e.status, e.error_code or "no error code", e.error_message or "Azure gave no details"))
    except OperationTimeoutError as e:
        raise e.prefixed("Cancellation of %s sent" % what)


class Cancellation(object):
    """One run of the module: the job as last read and whether a cancellation was sent (also on failure)."""

    def __init__(self):
        self.job = None
        self.cancelled = False

    def extras(self):
        """What the result carries beside the outcome, also when the task fails."""
        out = dict(cancelled=self.cancelled)
        if self.cancelled:
            out["changed"] = True
        if self.job is not None:
            out["job"] = self.job
        return out

    def execute(self, module):
        params = module.params
        started = _clock()
        poll = _poller.poll_settings(params["wait_timeout"], params["poll_interval"])
        timeout = poll.pop("timeout")

        def remaining():
            return max(0, timeout - (_clock() - started))

        vault_id = rid.vault_id(module.subscription_id, params["vault_resource_group"], params["vault_name"])
        jobs = _jobs.PrimaryJobs(module.client, vault_id)
        job_id = params["job_id"]
        self.job = read_job(jobs, job_id)
        running = self.job.get("status") == "InProgress"
        if module.check_mode:
            self.cancelled = running
            return self.result(started)
        if running:
            resp = send_cancel(jobs, job_id)
            self.cancelled = True
            follow_cancel(jobs, job_id, resp, remaining(), poll)
            self.job = read_job(jobs, job_id)
        if params["wait"] and self.job.get("status") in _jobs.JOB_RUNNING:
            self._wait(jobs, job_id, remaining(), timeout, params["poll_interval"])
        if self.cancelled and _jobs.job_is_terminal(self.job) and self.job.get("status") != "Cancelled":
            module.warn("Job %s ended %s before its cancellation took effect" % (job_id, self.job.get("status")))
        return self.result(started)

    def _wait(self, jobs, job_id, timeout, wait_timeout, poll_interval):
        """Poll the job until it has ended; OperationTimeoutError naming it when ``timeout`` runs out."""
        state = {job_id: self.job}
        result = _jobs.wait_for_jobs(lambda key: read_job(jobs, key), state, timeout, poll_interval=poll_interval,
                                     sleep=_sleep, clock=_clock)
        self.job = state[job_id]
        if not result.done:
            raise OperationTimeoutError(
                "Timed out after %ds waiting for job %s of %s to end after its cancellation; the cancellation "
                "goes on in Azure: run the task again to wait longer, or raise wait_timeout"
                % (wait_timeout, _jobs.describe_job(self.job), jobs.where()),
                job_id=job_id, last_status=self.job.get("status"), elapsed=result.elapsed)

    def result(self, started):
        out = dict(changed=self.cancelled, duration=round(_clock() - started, 1))
        out.update(self.extras())
        return out


def main():
    run = Cancellation()
    module = AzBackupModule(argument_spec(), supports_check_mode=True)
    module.run(run.execute, fail_extras=run.extras)


if __name__ == "__main__":
    main()
