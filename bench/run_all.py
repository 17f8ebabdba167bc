# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the six benchmarks against the Azure Backup emulator and print one table (``make bench``).

usage: .venv/bin/python bench/run_all.py [--only NAME ...] [--full] [--fanout-job-seconds N]
                                         [--fleet-vms N ...] [--fleet-job-seconds N]

1. start-up and per-task cost (bench/startup.py)    2. API calls per restore (bench/api_calls.py)
3. completion latency (bench/latency.py)            4. fan-out of 100 restores (bench/fanout.py)
5. scale of listing (bench/listing.py)            6. fleet restore under Azure's latency (bench/fleet.py)

Prepares .venv-bench (bench/requirements.txt, for the SDK comparison) with scripts/venv.sh,
starts one emulator on bench/world.yml, resets it before each benchmark, and writes the table
with the date and the machine to stdout and to bench/results/ (Markdown and JSON). The default
run takes 6 to 9 minutes on 2 cores; ``--full`` runs the fan-out with 10-minute jobs and adds the
100-host layout at forks 1 (about 40 minutes more), and the fleet benchmark with 30 and 100 VMs and
60 s jobs instead of 4 VMs and 20 s jobs. The fleet benchmark's layouts are also printed side by
side after the table. Benchmarks print figures; nothing here is a test.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api_calls  # noqa: E402
import fanout  # noqa: E402
import fleet  # noqa: E402
import latency  # noqa: E402
import listing  # noqa: E402
import startup  # noqa: E402
from common import BENCH, REPO, EmulatorProcess, ensure_bench_venv, log  # noqa: E402

NAMES = ("startup", "api_calls", "latency", "fanout", "listing", "fleet")


def machine():
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        from ansible.release import __version__ as ansible_version
    except ImportError:
        ansible_version = "unknown"
    try:
        commit = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                                         stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return dict(date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                nproc=os.cpu_count(), python=platform.python_version(), cpu=cpu, ansible_core=ansible_version,
                commit=commit, load=" ".join("%.1f" % x for x in os.getloadavg()))


def markdown(rows, info, elapsed, command):
    out = ["Measured %s on %s CPU(s), %s; Python %s, ansible-core %s; commit %s; load average at the end %s; "
           "took %.0f s." % (info["date"], info["nproc"], info["cpu"], info["python"], info["ansible_core"],
                             info["commit"], info["load"], elapsed),
           "Command: `%s`" % command, "",
           "| # | measure | value | target | met |", "|---|---|---|---|---|"]
    for r in rows:
        met = {True: "yes", False: "**no**", None: ""}[r.get("ok")]
        out.append("| %s | %s | %s | %s | %s |" % (r["bench"], r["metric"], r["value"], r.get("target") or "", met))
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=NAMES, help="run only these benchmarks (repeatable)")
    p.add_argument("--full", action="store_true",
                   help="fan-out also with 100 hosts at forks 1, and 10-minute jobs (poll 10 s)")
    p.add_argument("--fanout-job-seconds", type=int, default=None, help="job length of the fan-out (default 45)")
    p.add_argument("--fanout-poll-interval", type=int, default=None, help="restore_disks_poll_interval (default 5)")
    p.add_argument("--startup-rounds", type=int, default=5)
    p.add_argument("--fleet-vms", type=int, action="append",
                   help="fleet sizes of the latency benchmark (repeatable; default 4, --full 30 and 100)")
    p.add_argument("--fleet-job-seconds", type=int, default=None,
                   help="RestoreDisks job length of the latency benchmark (default 20, --full 60)")
    a = p.parse_args(argv)
    names = a.only or list(NAMES)
    job_seconds = a.fanout_job_seconds or (600 if a.full else 45)
    poll = a.fanout_poll_interval or (10 if a.full else 5)
    configs = (("localhost", 1), ("hosts", 20)) + ((("hosts", 1),) if a.full else ())

    started = time.monotonic()
    info = machine()
    log("machine: %s" % info)
    results, rows, errors = {}, [], []
    with EmulatorProcess() as emu:
        log("emulator on bench/world.yml at %s" % emu.endpoint)
        for name in names:
            log("benchmark %s" % name)
            try:
                if name == "startup":
                    log("preparing .venv-bench (bench/requirements.txt)")
                    out = startup.run(emu, rounds=a.startup_rounds, sdk_python=ensure_bench_venv())
                elif name == "api_calls":
                    out = api_calls.run(emu)
                elif name == "latency":
                    out = latency.run(emu)
                elif name == "fleet":
                    size = fleet.FULL if a.full else fleet.QUICK
                    out = fleet.run(emu, vm_counts=a.fleet_vms or size["vms"],
                                    job_seconds=a.fleet_job_seconds or size["job_seconds"])
                elif name == "fanout":
                    out = fanout.run(emu, vms=100, job_seconds=job_seconds, poll_interval=poll, configs=configs)
                else:
                    out = listing.run(emu)
            except Exception:
                text = traceback.format_exc()
                log("benchmark %s failed:\n%s" % (name, text))
                errors.append(name)
                out = dict(rows=[dict(bench=name, metric="error", value=text.strip().splitlines()[-1][:200],
                                      target="", ok=False)], error=text)
            results[name] = out
            rows.extend(out["rows"])
    elapsed = time.monotonic() - started
    info["load"] = " ".join("%.1f" % x for x in os.getloadavg())
    args = sys.argv[1:] if argv is None else argv
    command = ".venv/bin/python bench/run_all.py %s" % " ".join(args) if args else "make bench"
    table = markdown(rows, info, elapsed, command)
    if results.get("fleet", {}).get("table"):
        table += "\n\nFleet restore under Azure's latency (6), side by side:\n\n" + results["fleet"]["table"]
    print(table)
    out_dir = os.path.join(BENCH, "results")
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    with open(os.path.join(out_dir, "bench-%s.md" % stamp), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(out_dir, "bench-%s.json" % stamp), "w") as f:
        json.dump(dict(machine=info, elapsed=elapsed, rows=rows, results=results), f, indent=1, default=str)
    log("results in %s (bench-%s.md / .json)" % (os.path.relpath(out_dir, REPO), stamp))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
