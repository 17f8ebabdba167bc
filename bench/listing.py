# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""5. Scale of listing: recovery_point_info on items with 1,000 / 5,000 / 10,000 recovery points.

The bench world's vm-rp-1k, vm-rp-5k and vm-rp-10k are listed across pages of 200 (the
emulator's page size, ARM's usual one). Per size: wall time, the module's CPU time and peak RSS
(os.wait4), the pages it read (request log) and the size of its result. Linear means the cost
per extra point stays the same from 1k to 5k and from 5k to 10k; quadratic work would double it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    VAULT, EmulatorProcess, classify, log, module_args_file, module_command, module_env, run_measured,
)

SIZES = ((1000, "vm-rp-1k"), (5000, "vm-rp-5k"), (10000, "vm-rp-10k"))
LINEAR_LIMIT = 1.5  # cost per extra point, 5k->10k over 1k->5k


def _emulator_cpu(emu):
    with open("/proc/%d/stat" % emu.proc.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))


def run(emu, rounds=2):
    work = tempfile.mkdtemp(prefix="azbackup-bench-listing-")
    emu.reset()
    results = {}
    try:
        for r in range(rounds):
            for n, vm in SIZES:
                args = dict(VAULT, vm_name=vm, vm_resource_group="rg-prod")
                emu.clear_requests()
                before = _emulator_cpu(emu)
                res = run_measured(module_command("recovery_point_info", module_args_file(args, work)),
                                   env=module_env(emu))
                emulator_cpu = _emulator_cpu(emu) - before
                if res.rc != 0:
                    raise RuntimeError("recovery_point_info failed: %s" % res.stderr[-2000:])
                got = len(res.json()["recovery_points"])
                if got != n:
                    raise RuntimeError("%s: %d recovery points listed, expected %d" % (vm, got, n))
                pages = sum(1 for e in emu.requests() if classify(e) == "recovery point list GET")
                best = results.get(n)
                if best is None or res.wall < best["wall"]:
                    results[n] = dict(wall=res.wall, cpu=res.cpu, rss=res.max_rss_mb, pages=pages,
                                      output_mb=len(res.stdout) / 1e6, emulator_cpu=emulator_cpu)
                log("listing %d points: wall %.2fs cpu %.2fs rss %.0fMB, %d pages, emulator cpu %.2fs"
                    % (n, res.wall, res.cpu, res.max_rss_mb, pages, emulator_cpu))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def slope(key, a, b):
        return (results[b][key] - results[a][key]) / float(b - a)

    cpu_growth = slope("cpu", 5000, 10000) / max(1e-9, slope("cpu", 1000, 5000))
    rss_growth = slope("rss", 5000, 10000) / max(1e-9, slope("rss", 1000, 5000))
    rows = []
    for n, dummy in SIZES:
        x = results[n]
        rows.append(dict(bench="5 listing scale", metric="%d recovery points: wall s / module CPU s / peak RSS MB / "
                         "pages / result MB" % n, value="%.2f / %.2f / %.0f / %d / %.1f" % (
                             x["wall"], x["cpu"], x["rss"], x["pages"], x["output_mb"]), target="", ok=None))
    rows.append(dict(bench="5 listing scale", metric="cost per extra point, 5k->10k over 1k->5k: module CPU / memory",
                     value="%.2f / %.2f (%.0f us, %.1f KB per point)" % (
                         cpu_growth, rss_growth, slope("cpu", 5000, 10000) * 1e6, slope("rss", 5000, 10000) * 1024),
                     target="~1 (linear), < %.1f" % LINEAR_LIMIT,
                     ok=cpu_growth < LINEAR_LIMIT and rss_growth < LINEAR_LIMIT))
    return dict(rows=rows, sizes=results, cpu_growth=cpu_growth, rss_growth=rss_growth)


def main():
    with EmulatorProcess() as emu:
        out = run(emu)
    for row in out["rows"]:
        print("%-100s %s" % (row["metric"], row["value"]))


if __name__ == "__main__":
    main()
