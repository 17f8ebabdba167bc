# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The jobs of a list of restores (``vms`` with ``wait=job``), waited for together: one job list per job
reader and poll round, plus one read of each job as it ends (``_jobs.watch_jobs``), not one read of every
job in every round. Each VM is then judged as a single ``wait=job`` run judges its job.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import (
    job_is_terminal,
    restore_outputs,
    watch_jobs,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_runner import (
    check_job,
    job_timed_out,
    warning_text,
)

DEFAULT_TIMEOUT = 3600


def waited_jobs(results, readers):
    """(jobs, reader_of): the job (as last read) of each VM whose restore named one, and its reader, one
    reader object per job list (VMs of one vault share their listing)."""
    jobs, reader_of, canonical = {}, {}, {}
    for result in results:
        job_id = result.get("job_id")
        if result.get("failed") or not job_id or job_id not in readers:
            continue
        reader = readers[job_id]
        reader_of[job_id] = canonical.setdefault((type(reader).__name__, reader.where()), reader)
        jobs[job_id] = result.get("job")
    return jobs, reader_of


def wait_together(results, readers, params, started, sleep=time.sleep, clock=time.monotonic):
    """Wait until the job of every VM of ``results`` (run_fleet's, their jobs known: ``readers`` maps a job id
    to the job reader of its VM) has ended or ``wait_timeout`` (from ``started`` on ``clock``) runs out, then
    judge each VM: its job (and, for restore_disks, the restored disks), a warning, or its failure."""
    jobs, reader_of = waited_jobs(results, readers)
    if not jobs:
        return
    timeout = params.get("wait_timeout")
    left = max(0.0, (DEFAULT_TIMEOUT if timeout is None else timeout) - (clock() - started))
    watch_jobs(lambda key: reader_of[key], jobs, left, params.get("poll_interval"), sleep=sleep, clock=clock)
    for result in results:
        if result.get("job_id") in jobs:
            judge(result, jobs[result["job_id"]], clock() - started, params.get("restore_type"))


def judge(result, job, elapsed, restore_type):
    """The result of one VM once its job was waited for, as a single run with ``wait=job`` gives it."""
    result["job"] = job
    description = "restore of %s" % result["vm"]
    try:
        if not job_is_terminal(job):
            raise job_timed_out(result["job_id"], job, elapsed, description, result.get("operation_url"))
        check_job(job, description, result.get("operation_url"))
    except AzBackupError as e:
        result.update(e.to_fail_kwargs())
        result.update(failed=True, job=job)
        return
    if job.get("status") == "CompletedWithWarnings":
        result.setdefault("warnings", []).append(warning_text(job, description))
    if restore_type == "restore_disks":
        result.update(restore_outputs(job))
