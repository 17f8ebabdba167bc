# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""4. Fan-out: restore 100 VMs with the restore_disks role under the emulator's ARM throttling.

Layouts (bench/playbooks/):

* ``localhost``: one play on localhost, the role loops over the 100 VMs (start all, then one
  restore_job_info waits for all). One host, so ``forks`` does not change anything here;
* ``hosts``: an inventory of 100 hosts (vm-app-001..vm-app-100), each running the role for its
  own VM with ``delegate_to: localhost``, at forks 1 and 20.

Every job takes the same time L (emulator setting ``job_durations.RestoreDisks``, real seconds at
time scale 1); ARM throttling is on with ARM's buckets (reads 250 + 25/s, writes 200 + 10/s per
subscription). Reported per run: total wall time of ansible-playbook relative to the longest
job (as the emulator ran it: end - start), the trigger phase (first to last restore POST), 429
answers, failed tasks, and from the emulator's state that every VM got exactly one completed job.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import datetime
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import BENCH, PYTHON, EmulatorProcess, classify, log, run_playbook  # noqa: E402

TARGET_RATIO = 1.2


def _ts(value):
    return datetime.datetime.strptime(value[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def fleet(count):
    return ["vm-app-%03d" % i for i in range(1, count + 1)]


def run_one(emu, layout, forks, vms, job_seconds, poll_interval):
    emu.reset()
    emu.settings(time_scale=1, job_durations={"RestoreDisks": job_seconds}, throttling={"enabled": True})
    names = fleet(vms)
    work = tempfile.mkdtemp(prefix="azbackup-bench-fanout-")
    try:
        inventory = os.path.join(work, "inventory.ini")
        with open(inventory, "w") as f:
            f.write("localhost ansible_connection=local ansible_python_interpreter=%s\n\n[fleet]\n" % PYTHON)
            if layout == "hosts":
                f.write("".join("%s\n" % n for n in names))
        extra = dict(bench_poll_interval=poll_interval, bench_vms=[dict(name=n, resource_group="rg-prod")
                                                                   for n in names])
        playbook = os.path.join(BENCH, "playbooks", "fanout_%s.yml" % layout)
        wall, rc, data, output = run_playbook(playbook, emu, inventory, extra_vars=extra, forks=forks)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    entries = emu.requests()
    state = emu.state()
    jobs = [j for j in state["jobs"] if j["vm_name"] in names]
    durations = [(_ts(j["end"]) - _ts(j["start"])) for j in jobs if j.get("end")]
    posts = [e for e in entries if classify(e) == "restore POST" and e["status"] == 202]
    post_times = sorted(_ts(e["time"]) for e in posts)
    per_vm = {}
    for j in jobs:
        per_vm[j["vm_name"]] = per_vm.get(j["vm_name"], 0) + 1
    stats = data.get("stats", {})
    failed_tasks = sum(s.get("failures", 0) + s.get("unreachable", 0) for s in stats.values())
    failed_items = sum(1 for t in data.get("tasks", []) if t["result"].get("_state") in ("failed", "item_failed"))
    completed = sum(1 for j in jobs if j["status"] == "Completed")
    # Phases, in seconds from the start of ansible-playbook (emulator log times, same clock).
    t0 = data.get("_started_at", 0)
    times = [_ts(e["time"]) - t0 for e in entries]
    first_call = min(times) if times else None
    job_ends = [_ts(j["end"]) - t0 for j in jobs if j.get("end")]
    phases = dict(first_request=first_call,
                  first_post=post_times[0] - t0 if post_times else None,
                  last_post=post_times[-1] - t0 if post_times else None,
                  last_job_end=max(job_ends) if job_ends else None,
                  last_request=max(times) if times else None,
                  playbook_end=wall)
    longest = max(durations) if durations else None
    out = dict(layout=layout, forks=forks, vms=vms, rc=rc, wall=wall, longest_job=longest,
               ratio=wall / longest if longest else None,
               trigger=(post_times[-1] - post_times[0]) if post_times else None,
               requests=len(entries), job_reads=sum(1 for e in entries if classify(e) == "job GET"),
               throttled=sum(1 for e in entries if e["status"] == 429),
               failed=failed_tasks + failed_items, completed=completed, phases=phases, one_job_each=(
                   len(per_vm) == vms and set(per_vm.values()) == set([1])))
    if rc != 0 or out["failed"] or completed != vms:
        out["output_tail"] = output[-3000:]
    log("fan-out %s forks=%d: %s" % (layout, forks, dict((k, v) for k, v in out.items() if k != "output_tail")))
    return out


def run(emu, vms=100, job_seconds=120, poll_interval=10, configs=(("localhost", 1), ("hosts", 1), ("hosts", 20))):
    runs = [run_one(emu, layout, forks, vms, job_seconds, poll_interval) for layout, forks in configs]
    rows = []
    for r in runs:
        label = "%s, forks %d" % ("localhost + loop" if r["layout"] == "localhost" else "%d hosts + delegate_to" % vms,
                                  r["forks"])
        target = ok = None
        if r["forks"] >= 20:
            target, ok = "<= %.1f, 0 failed" % TARGET_RATIO, (r["ratio"] or 99) <= TARGET_RATIO and not r["failed"]
        overhead = r["wall"] - (r["longest_job"] or 0)
        rows.append(dict(
            bench="4 fan-out", metric="%d VMs, %s: total / longest job L (poll %ds) = ratio; trigger phase (first to "
            "last restore POST); 429s; failed tasks; VMs with exactly one completed job" % (vms, label, poll_interval),
            value="%.0f s / %.0f s = %.2f; %.0f s; %d; %d; %d/%d" % (
                r["wall"], r["longest_job"] or 0, r["ratio"] or 0, r["trigger"] or 0, r["throttled"], r["failed"],
                r["completed"] if r["one_job_each"] else 0, vms),
            target=target or "0 failed", ok=ok if ok is not None else (not r["failed"] and r["completed"] == vms)))
        rows.append(dict(
            bench="4 fan-out", metric="%s: time beyond the job (total - L); job length from which total <= %.1f x L; "
            "API requests (of which job reads)" % (label, TARGET_RATIO),
            value="%.0f s; %.0f s; %d (%d)" % (overhead, overhead / (TARGET_RATIO - 1), r["requests"], r["job_reads"]),
            target="", ok=None))
    return dict(rows=rows, runs=runs)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vms", type=int, default=100)
    p.add_argument("--job-seconds", type=int, default=120)
    p.add_argument("--poll-interval", type=int, default=10)
    p.add_argument("--config", action="append", help="layout:forks, e.g. hosts:20 (repeatable)")
    a = p.parse_args()
    configs = [(c.split(":")[0], int(c.split(":")[1])) for c in a.config] if a.config else \
        (("localhost", 1), ("hosts", 1), ("hosts", 20))
    with EmulatorProcess() as emu:
        out = run(emu, vms=a.vms, job_seconds=a.job_seconds, poll_interval=a.poll_interval, configs=configs)
    for row in out["rows"]:
        print("%s\n    %s" % (row["metric"], row["value"]))
    for r in out["runs"]:
        if r.get("output_tail"):
            print(r["output_tail"])


if __name__ == "__main__":
    main()
