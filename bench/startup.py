# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""1. Start-up and per-task cost: one recovery_point_info run against the warm emulator.

Side by side, in interleaved rounds (the machine is noisy, so each round gives a ratio and the
median ratio is reported):

* ``ours (AnsiballZ)``: the module's AnsiballZ payload, built with ``module_common.modify_module``
  exactly as Ansible builds it, run with the project's Python;
* ``ours (python -m)``: the module run as ansible-test runs it, with an args file;
* ``SDK script``: the same list call through azure-mgmt-recoveryservicesbackup + azure-identity
  (bench/sdk/sdk_list.py, in .venv-bench), pointed at the emulator with the same credentials;
* ``SDK module (AnsiballZ)``: that script as an Ansible module (bench/sdk/recovery_point_info_sdk.py),
  built and run like ours: what an SDK-based Ansible module costs;
* ``ansible.builtin.ping (AnsiballZ)``: Ansible's own floor for any Python module (the payload's
  ansible.module_utils are compiled from source on every run). Cost above it is what a module adds;
* ``ours via azure-identity (python -m)``: ours with the client secret handed to azure-identity's
  ClientSecretCredential, as before ``_auth_client_secret.ClientSecretTokenCredential`` (the before/after figure).

Wall time, CPU time and peak RSS come from ``os.wait4`` on each process. Also: the HTTP requests
of one run of each, and the import-time split of ours (``python -X importtime``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    BENCH, PYTHON, VAULT, EmulatorProcess, build_ansiballz, classify, ensure_bench_venv, log, median,
    module_args_file, module_command, module_env, run_measured,
)

MODULE = "azbackup.restore.recovery_point_info"

# recovery_point_info with the client secret going through azure-identity (the path before
# _auth_client_secret.ClientSecretTokenCredential), run like ``python -m`` with an args file.
_VIA_AZURE_IDENTITY = """
import runpy, sys
from ansible_collections.azbackup.restore.plugins.module_utils import _common
_common.client_secret_credential = lambda *args, **kwargs: None
sys.argv = ["recovery_point_info", sys.argv[1]]
runpy.run_module("ansible_collections.azbackup.restore.plugins.modules.recovery_point_info", run_name="__main__")
"""
TARGET_RATIO = 1.0 / 3.0

# Top-level imports grouped for the import-time split.
IMPORT_GROUPS = (
    ("ansible.module_utils.basic (every module)", ("ansible",)),
    ("requests", ("requests", "urllib3", "charset_normalizer", "idna", "certifi")),
    ("collection module_utils", ("ansible_collections",)),
    ("azure.identity / msal", ("azure", "msal", "cryptography", "jwt")),
)


def import_split(stderr):
    """{group: seconds} from ``-X importtime`` output (top-level imports only)."""
    totals = dict((name, 0.0) for name, dummy in IMPORT_GROUPS)
    totals["other"] = 0.0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2]
        if name[:1] != " " or name[1:2] == " ":  # nested import: counted in its parent
            continue
        name = name.strip()
        cumulative = int(parts[1]) / 1e6
        for group, prefixes in IMPORT_GROUPS:
            if name.split(".")[0] in prefixes:
                totals[group] += cumulative
                break
        else:
            totals["other"] += cumulative
    return totals


def _requests_of(emu, cmd, env):
    emu.clear_requests()
    res = run_measured(cmd, env=env)
    if res.rc != 0:
        raise RuntimeError("%s failed: %s %s" % (cmd, res.stdout[-2000:], res.stderr[-2000:]))
    return [classify(e) for e in emu.requests()]


def run(emu, rounds=7, sdk_python=None):
    sdk_python = sdk_python or ensure_bench_venv()
    work = tempfile.mkdtemp(prefix="azbackup-bench-startup-")
    try:
        emu.reset()
        args = dict(VAULT, vm_name="vm-web-01", vm_resource_group="rg-prod")
        args_path = module_args_file(args, work)
        ours_zip = build_ansiballz(MODULE, args, os.path.join(work, "ours_ansiballz.py"))
        sdk_zip = build_ansiballz(os.path.join(BENCH, "sdk", "recovery_point_info_sdk.py"), args,
                                  os.path.join(work, "sdk_ansiballz.py"), interpreter=sdk_python)
        ping_zip = build_ansiballz("ansible.builtin.ping", {}, os.path.join(work, "ping_ansiballz.py"))
        variants = [
            ("ours (AnsiballZ)", [PYTHON, ours_zip]),
            ("ours (python -m)", module_command("recovery_point_info", args_path)),
            ("SDK script", [sdk_python, os.path.join(BENCH, "sdk", "sdk_list.py"), args_path]),
            ("SDK module (AnsiballZ)", [sdk_python, sdk_zip]),
            ("ansible.builtin.ping (AnsiballZ)", [PYTHON, ping_zip]),
            ("ours via azure-identity (python -m)", [PYTHON, "-c", _VIA_AZURE_IDENTITY, args_path]),
        ]
        env = module_env(emu)

        # Warm-up, and the same answer from all four.
        names = None
        for label, cmd in variants:
            res = run_measured(cmd, env=env)
            if res.rc != 0:
                raise RuntimeError("%s failed (rc %s): %s %s" % (label, res.rc, res.stdout[-2000:], res.stderr[-2000:]))
            if "ping" in label:
                continue
            got = sorted(p["name"] for p in res.json()["recovery_points"])
            if names is None:
                names = got
            elif got != names:
                raise RuntimeError("%s listed other recovery points: %s vs %s" % (label, got, names))

        samples = dict((label, []) for label, dummy in variants)
        ratios, ratios_module, own, own_cpu, before_after = [], [], [], [], []
        for r in range(rounds):
            order = variants[r % len(variants):] + variants[:r % len(variants)]
            this, cpu = {}, {}
            for label, cmd in order:
                res = run_measured(cmd, env=env)
                if res.rc != 0:
                    raise RuntimeError("%s failed: %s" % (label, res.stderr[-2000:]))
                samples[label].append(res)
                this[label] = res.wall
                cpu[label] = res.cpu
            ping = "ansible.builtin.ping (AnsiballZ)"
            ratios.append(this["ours (AnsiballZ)"] / this["SDK script"])
            ratios_module.append(this["ours (AnsiballZ)"] / this["SDK module (AnsiballZ)"])
            own.append((this["ours (AnsiballZ)"] - this[ping]) / max(1e-3, this["SDK module (AnsiballZ)"] - this[ping]))
            before_after.append(this["ours (python -m)"] / this["ours via azure-identity (python -m)"])
            own_cpu.append((cpu["ours (AnsiballZ)"] - cpu[ping]) / max(1e-3, cpu["SDK module (AnsiballZ)"] - cpu[ping]))
            log("startup round %d/%d: %s" % (r + 1, rounds, ", ".join("%s %.2fs" % (k, v) for k, v in this.items())))

        imports = run_measured([PYTHON, "-X", "importtime"] + module_command("recovery_point_info", args_path)[1:],
                               env=env)
        split = import_split(imports.stderr)
        ours_requests = _requests_of(emu, variants[0][1], env)
        sdk_requests = _requests_of(emu, variants[2][1], env)
        identity_requests = _requests_of(emu, variants[5][1], env)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    table = []
    for label, dummy in variants:
        runs = samples[label]
        table.append(dict(variant=label, wall=median([x.wall for x in runs]), wall_min=min(x.wall for x in runs),
                          cpu=median([x.cpu for x in runs]), rss_mb=median([x.max_rss_mb for x in runs])))
    ratio = median(ratios)
    rows = [
        dict(bench="1 start-up", metric="recovery_point_info wall time, ours (AnsiballZ) / SDK script "
             "(median of %d interleaved rounds)" % rounds, value="%.2f" % ratio, target="<= 0.33",
             ok=ratio <= TARGET_RATIO),
        dict(bench="1 start-up", metric="ours (AnsiballZ) / SDK-based module (AnsiballZ), wall time",
             value="%.2f" % median(ratios_module), target="", ok=None),
        dict(bench="1 start-up", metric="cost above Ansible's floor (ping): ours / SDK-based module, wall (CPU)",
             value="%.2f (%.2f)" % (median(own), median(own_cpu)), target="<= 0.33", ok=median(own) <= TARGET_RATIO),
    ]
    for t in table:
        rows.append(dict(bench="1 start-up", metric="%s: wall s (min) / CPU s / peak RSS MB" % t["variant"],
                         value="%.2f (%.2f) / %.2f / %.0f" % (t["wall"], t["wall_min"], t["cpu"], t["rss_mb"]),
                         target="", ok=None))
    rows.append(dict(bench="1 start-up", metric="imports of ours (python -X importtime), s",
                     value=", ".join("%s %.2f" % (k, v) for k, v in split.items() if v >= 0.005),
                     target="no azure.identity", ok=split["azure.identity / msal"] < 0.005))
    rows.append(dict(bench="1 start-up", metric="HTTP requests per run: ours / SDK script",
                     value="%d (%s) / %d (%s)" % (len(ours_requests), ", ".join(ours_requests), len(sdk_requests),
                                                  ", ".join(sdk_requests)), target="", ok=None))
    rows.append(dict(bench="1 start-up", metric="before/after the client-secret change: ours (python -m) / ours via "
                     "azure-identity, wall time; requests per run before",
                     value="%.2f; %d (%s)" % (median(before_after), len(identity_requests),
                                              ", ".join(identity_requests)), target="", ok=None))
    return dict(rows=rows, table=table, ratios=ratios, ratios_module=ratios_module, own=own, own_cpu=own_cpu,
                before_after=before_after, imports=split,
                requests=dict(ours=ours_requests, sdk=sdk_requests, via_azure_identity=identity_requests))


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with EmulatorProcess() as emu:
        out = run(emu, rounds=rounds)
    for row in out["rows"]:
        print("%-70s %s" % (row["metric"], row["value"]))


if __name__ == "__main__":
    main()
