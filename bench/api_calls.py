# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""2. API calls per restore, counted in the emulator's request log (the oracle, not the module).

One ``vm_restore`` (restore_disks of vm-web-01, ``wait: job``) for a job of T seconds. The emulator
sends no Retry-After on job reads (live Azure sends none either), so the poll cadence R is the
module's ``poll_interval``. The minimum a restore needs:

    1 token POST
  + the pre-flight the module needs: vault GET, recovery point list, the idempotency search (job
    list), staging storage account GET, target resource group GET, backupValidateOperation POST
  + 1 restore POST
  + 1 operation GET (the only place Azure names the job id)
  + ceil(T / R) job polls

The cloud metadata GET is counted apart: it is how a custom cloud (the emulator, Azure Stack) is
discovered, and is not sent for Azure's public or sovereign clouds. Then the same task again: an
idempotent re-run attaches to the job and sends no POST.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import math
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    RESTORE_TARGETS, VAULT, EmulatorProcess, classify, log, module_args_file, module_command, module_env,
    run_measured,
)

PREFLIGHT = ("vault GET", "recovery point list GET", "job list GET", "storage account GET", "resource group GET",
             "validate POST")
SLACK = 2


def _run_restore(emu, args, work):
    emu.clear_requests()
    res = run_measured(module_command("vm_restore", module_args_file(args, work)), env=module_env(emu))
    if res.rc != 0:
        raise RuntimeError("vm_restore failed: %s %s" % (res.stdout[-3000:], res.stderr[-2000:]))
    return res.json(), emu.requests()


def run(emu, job_seconds=8, poll_interval=2):
    work = tempfile.mkdtemp(prefix="azbackup-bench-calls-")
    try:
        emu.reset()
        emu.settings(time_scale=1, job_durations={"RestoreDisks": job_seconds})
        args = dict(VAULT, **RESTORE_TARGETS)
        args.update(vm_name="vm-web-01", vm_resource_group="rg-prod",
                    restore_type="restore_disks", wait="job", poll_interval=poll_interval)
        result, entries = _run_restore(emu, args, work)
        rerun, rerun_entries = _run_restore(emu, args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if result.get("job", {}).get("status") != "Completed" or not result.get("changed"):
        raise RuntimeError("the restore did not complete: %s" % result)
    kinds = [classify(e) for e in entries]
    counts = collections.Counter(kinds)
    polls = int(math.ceil(float(job_seconds) / poll_interval))
    minimum = 1 + len(PREFLIGHT) + 1 + 1 + polls
    metadata = counts.get("cloud metadata GET", 0)
    total = len(kinds) - metadata
    preflight = sum(counts.get(k, 0) for k in PREFLIGHT)
    rerun_counts = collections.Counter(classify(e) for e in rerun_entries)
    log("api calls: %s" % dict(counts))
    rows = [
        dict(bench="2 API calls", metric="vm_restore wait=job, T=%ds, R=%ds: calls (minimum 1 token + %d pre-flight + "
             "1 POST + 1 operation + %d polls = %d)" % (job_seconds, poll_interval, len(PREFLIGHT), polls, minimum),
             value="%d (+%d)" % (total, total - minimum), target="<= minimum + %d" % SLACK,
             ok=total <= minimum + SLACK),
        dict(bench="2 API calls", metric="of which: token / pre-flight / restore POST / operation / job reads",
             value="%d / %d / %d / %d / %d" % (counts.get("token POST", 0) + counts.get("AAD discovery GET", 0),
                                               preflight, counts.get("restore POST", 0), counts.get("operation GET", 0),
                                               counts.get("job GET", 0)),
             target="1 / %d / 1 / 1 / %d" % (len(PREFLIGHT), polls), ok=None),
        dict(bench="2 API calls", metric="cloud metadata GET (custom clouds only), 429s",
             value="%d, %d" % (metadata, sum(1 for e in entries if e.get("status") == 429)), target="", ok=None),
        dict(bench="2 API calls", metric="idempotent re-run of the same task: calls, restore POSTs",
             value="%d, %d" % (sum(rerun_counts.values()) - rerun_counts.get("cloud metadata GET", 0),
                               rerun_counts.get("restore POST", 0)), target="0 POST",
             ok=rerun_counts.get("restore POST", 0) == 0 and rerun.get("changed") is False),
    ]
    return dict(rows=rows, sequence=kinds, counts=dict(counts), minimum=minimum, total=total,
                rerun=dict(rerun_counts))


def main():
    with EmulatorProcess() as emu:
        out = run(emu)
    for row in out["rows"]:
        print("%-100s %s" % (row["metric"], row["value"]))
    print(" -> ".join(out["sequence"]))


if __name__ == "__main__":
    main()
