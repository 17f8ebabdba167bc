# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""6. Fleet restore under Azure's latency: the layouts the roles document against a floor client.

The emulator answers in microseconds; here it answers as slowly as Azure does (``LATENCY``, as
emulator ``delay`` faults: every GET 0.25 s, Azure Backup GETs 0.75 s, every ARM POST 1 s, the
restore POST 2 s, the token POST 0.3 s), with ARM throttling on (ARM's buckets: reads 250 + 25/s,
writes 200 + 10/s per subscription) and RestoreDisks jobs of ``job_seconds``. For each layout:

* ``loop``: a loop of vm_restore on localhost, one task per VM, then one restore_job_info
  (bench/playbooks/fanout_loop.yml: how the restore_disks role started the restores before vm_restore took
  a list of VMs);
* ``localhost``: the restore_disks role on localhost, which starts every VM with one vm_restore task
  (``vms``, the list form) (bench/playbooks/fanout_localhost.yml);
* ``hosts``: one inventory host per VM, the role with ``delegate_to: localhost``, forks 20
  (bench/playbooks/fanout_hosts.yml);
* ``floor``: a minimal concurrent client against the same emulator and profile (``floor``): one
  token; per VM, at once: recovery point list, restore POST, operation poll; then one job list per
  10 s round until every job has ended.

Reported (from the emulator's request log and state, not from the clients): wall time and its ratio
to the floor's, the trigger phase (first to last accepted restore POST), requests per VM, job
requests per wait round (job lists + job reads after the last restore POST, per round of each
waiter), 429 answers, failed tasks, and that every VM got exactly one completed job.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import datetime
import os
import shutil
import sys
import tempfile
import threading
import time

from concurrent.futures import ThreadPoolExecutor

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import BENCH, PYTHON, EmulatorProcess, classify, log, run_playbook  # noqa: E402

SUB = "9a8b7c6d-0000-4000-8000-000000000003"
VAULT_ID = "/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod" % SUB
API = "2024-04-01"
ROUND = 10  # seconds between two job lists of the floor client; also the roles' poll_interval here

# Delays add up when several rules match a request.
LATENCY = [
    dict(method="GET", path=".*", action="delay", seconds=0.25),                                # every GET
    dict(method="GET", path="/providers/microsoft\\.recoveryservices/", action="delay", seconds=0.5),  # Backup: 0.75
    dict(method="POST", path="^/subscriptions/", action="delay", seconds=1.0),                  # every ARM POST
    dict(method="POST", path="/restore$", action="delay", seconds=1.0),                         # restore POST: 2
    dict(method="POST", path="/oauth2/", action="delay", seconds=0.3),                          # token POST
]

# The targets (bench figures, not tests).
TARGETS = dict(localhost=1.15, hosts=1.25)
QUICK = dict(vms=(4,), job_seconds=20)
FULL = dict(vms=(30, 100), job_seconds=60)


def _ts(value):
    return datetime.datetime.strptime(value[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def fleet(count):
    return ["vm-app-%03d" % i for i in range(1, count + 1)]


def prepare(emu, job_seconds):
    emu.reset()
    emu.settings(time_scale=1, job_durations={"RestoreDisks": job_seconds}, throttling={"enabled": True})
    for rule in LATENCY:
        emu.add_fault(**rule)


# --------------------------------------------------------------------------------------------
# The floor: the least a client has to send, all VMs at once


class Floor(object):
    """A minimal concurrent client: one token, then per VM (in parallel) a recovery point list, the
    restore POST and its operation poll, then one job list (every page) per ``ROUND`` seconds."""

    def __init__(self, emu):
        self.emu = emu
        self.endpoint = emu.endpoint
        self.session = requests.Session()
        self.session.verify = emu.info["ca_bundle"]
        self.session.trust_env = False
        self.lock = threading.Lock()
        self.token = None

    def _token(self):
        info = self.emu.info
        resp = self.session.post("%s/%s/oauth2/v2.0/token" % (self.endpoint, info["tenant_id"]), data=dict(
            grant_type="client_credentials", client_id=info["client_id"], client_secret=info["client_secret"],
            scope=self.endpoint + "/.default"), timeout=60)
        resp.raise_for_status()
        return resp.json()["access_token"]

    def call(self, method, url, **kwargs):
        """One ARM request; a 429 waits for its Retry-After and tries again."""
        if not url.startswith("http"):
            url = self.endpoint + url
        while True:
            resp = self.session.request(method, url, headers={"Authorization": "Bearer " + self.token},
                                        timeout=120, **kwargs)
            if resp.status_code != 429:
                resp.raise_for_status()
                return resp
            time.sleep(float(resp.headers.get("Retry-After") or 1))

    def restore(self, vm):
        item = "%s/backupFabrics/Azure/protectionContainers/iaasvmcontainer;iaasvmcontainerv2;rg-prod;%s" \
               "/protectedItems/vm;iaasvmcontainerv2;rg-prod;%s" % (VAULT_ID, vm, vm)
        points = self.call("GET", item + "/recoveryPoints", params={"api-version": API}).json()["value"]
        point = max(points, key=lambda p: p["properties"].get("recoveryPointTime") or "")["name"]
        body = {"properties": {
            "objectType": "IaasVMRestoreRequest", "recoveryPointId": point, "recoveryType": "RestoreDisks",
            "sourceResourceId": "/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Compute/"
                                "virtualMachines/%s" % (SUB, vm),
            "storageAccountId": "/subscriptions/%s/resourceGroups/rg-restore/providers/Microsoft.Storage/"
                                "storageAccounts/strestorewe" % SUB,
            "targetResourceGroupId": "/subscriptions/%s/resourceGroups/rg-restore" % SUB, "region": "westeurope",
            "createNewCloudService": True, "originalStorageAccountOption": False,
            "encryptionDetails": {"encryptionEnabled": False}}}
        resp = self.call("POST", "%s/recoveryPoints/%s/restore" % (item, point), params={"api-version": API},
                         json=body)
        operation = resp.headers["Azure-AsyncOperation"]
        while True:
            status = self.call("GET", operation).json()
            if status.get("status") != "InProgress":
                return status["properties"]["jobId"]
            time.sleep(1)

    def jobs(self, since):
        flt = "backupManagementType eq 'AzureIaasVM' and operation eq 'Restore' and startTime eq '%s'" % (
            since.strftime("%Y-%m-%d %I:%M:%S %p"))
        page = self.call("GET", VAULT_ID + "/backupJobs", params={"api-version": API, "$filter": flt}).json()
        out = list(page.get("value") or [])
        while page.get("nextLink"):
            page = self.call("GET", page["nextLink"]).json()
            out += page.get("value") or []
        return dict((j["name"], j["properties"]["status"]) for j in out)

    def run(self, names):
        started = time.monotonic()
        since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
        self.token = self._token()
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            ids = list(pool.map(self.restore, names))
        while True:
            round_start = time.monotonic()
            statuses = self.jobs(since)
            if all(statuses.get(i) in ("Completed", "CompletedWithWarnings", "Failed", "Cancelled") for i in ids):
                return time.monotonic() - started
            time.sleep(max(0.0, ROUND - (time.monotonic() - round_start)))


# --------------------------------------------------------------------------------------------
# One layout, measured by the emulator


def analyse(emu, names, wall, waiters, rc=0, failed=0, output=""):
    entries = emu.requests()
    jobs = [j for j in emu.state()["jobs"] if j["vm_name"] in names]
    posts = sorted(_ts(e["time"]) for e in entries if classify(e) == "restore POST" and e["status"] == 202)
    last_post = max(e["seq"] for e in entries if classify(e) == "restore POST") if posts else 0
    waiting = [e for e in entries if e["seq"] > last_post]
    lists = [e for e in waiting if classify(e) == "job list GET" and not any(
        k.lower() == "$skiptoken" for k in (e.get("query") or {}))]
    pages = [e for e in waiting if classify(e) == "job list GET"]
    reads = [e for e in waiting if classify(e) == "job GET"]
    # A waiter's round is one job list, or one read of the job it waits for when it waits for one only.
    rounds = (len(lists) or len(reads)) / float(waiters)
    per_vm = {}
    for j in jobs:
        per_vm[j["vm_name"]] = per_vm.get(j["vm_name"], 0) + 1
    completed = sum(1 for j in jobs if j["status"] == "Completed")
    return dict(vms=len(names), wall=wall, rc=rc, failed=failed, requests=len(entries),
                requests_per_vm=len(entries) / float(len(names)),
                trigger=(posts[-1] - posts[0]) if posts else None, job_lists=len(pages), job_reads=len(reads),
                rounds=rounds, job_requests_per_round=(len(pages) + len(reads)) / rounds if rounds else None,
                throttled=sum(1 for e in entries if e["status"] == 429), completed=completed,
                one_job_each=len(per_vm) == len(names) and set(per_vm.values()) == set([1]),
                output_tail=output[-3000:] if (rc or failed or completed != len(names)) else None)


def run_floor(emu, names, job_seconds):
    prepare(emu, job_seconds)
    wall = Floor(emu).run(names)
    return dict(analyse(emu, names, wall, 1), layout="floor")


def run_layout(emu, layout, names, job_seconds, forks=20):
    prepare(emu, job_seconds)
    work = tempfile.mkdtemp(prefix="azbackup-bench-fleet-")
    try:
        inventory = os.path.join(work, "inventory.ini")
        with open(inventory, "w") as f:
            f.write("localhost ansible_connection=local ansible_python_interpreter=%s\n\n[fleet]\n" % PYTHON)
            if layout == "hosts":
                f.write("".join("%s\n" % n for n in names))
        extra = dict(bench_poll_interval=ROUND, bench_vms=[dict(name=n, resource_group="rg-prod") for n in names])
        playbook = os.path.join(BENCH, "playbooks", "fanout_%s.yml" % layout)
        wall, rc, data, output = run_playbook(playbook, emu, inventory, extra_vars=extra, forks=forks)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stats = data.get("stats", {})
    failed = sum(s.get("failures", 0) + s.get("unreachable", 0) for s in stats.values())
    out = analyse(emu, names, wall, 1, rc, failed, output)  # the role waits once for all its hosts
    return dict(out, layout=layout, forks=forks)


LABELS = dict(loop="loop of vm_restore on localhost, one task per VM",
              localhost="restore_disks role on localhost, one vm_restore task with vms (list form)",
              hosts="one host per VM + delegate_to: localhost, forks 20",
              floor="floor: minimal concurrent client")


def table(runs, job_seconds):
    """The layouts side by side, one line each."""
    out = ["RestoreDisks jobs of %d s; latency profile and ARM throttling as in bench/fleet.py; roles poll every %d s."
           % (job_seconds, ROUND), "",
           "| VMs | layout | wall | wall / floor | trigger phase | requests per VM | job lists + reads while waiting "
           "(per round) | 429s | failed | one completed job per VM |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        out.append("| %d | %s | %.0f s | %s | %s | %.1f | %d + %d (%s) | %d | %d | %s |" % (
            r["vms"], LABELS[r["layout"]], r["wall"], "%.2f" % r["ratio"] if r.get("ratio") else "1.00",
            "%.1f s" % r["trigger"] if r["trigger"] is not None else "-", r["requests_per_vm"], r["job_lists"],
            r["job_reads"], "%.1f" % r["job_requests_per_round"] if r["job_requests_per_round"] else "-",
            r["throttled"], r["failed"], "%d/%d" % (r["completed"] if r["one_job_each"] else 0, r["vms"])))
    return "\n".join(out)


LAYOUTS = ("loop", "localhost", "hosts")


def run(emu, vm_counts=QUICK["vms"], job_seconds=QUICK["job_seconds"], layouts=LAYOUTS):
    runs, rows = [], []
    for count in vm_counts:
        names = fleet(count)
        floor = run_floor(emu, names, job_seconds)
        log("fleet %d VMs, floor: %s" % (count, dict((k, v) for k, v in floor.items() if k != "output_tail")))
        group = [floor]
        for layout in layouts:
            r = run_layout(emu, layout, names, job_seconds)
            log("fleet %d VMs, %s: %s" % (count, layout, dict((k, v) for k, v in r.items() if k != "output_tail")))
            group.append(r)
        for r in group:
            r["ratio"] = r["wall"] / floor["wall"]
            good = not r["rc"] and not r["failed"] and r["one_job_each"] and r["completed"] == count
            target = TARGETS.get(r["layout"])
            rows.append(dict(
                bench="6 fleet", metric="%d VMs, %s: wall / floor; trigger phase; requests per VM; job requests per "
                "wait round; 429s; VMs with exactly one completed job" % (count, LABELS[r["layout"]]),
                value="%.0f s / %.0f s = %.2f; %.1f s; %.1f; %s; %d; %d/%d" % (
                    r["wall"], floor["wall"], r["ratio"], r["trigger"] or 0, r["requests_per_vm"],
                    "%.1f" % r["job_requests_per_round"] if r["job_requests_per_round"] else "-", r["throttled"],
                    r["completed"] if r["one_job_each"] else 0, count),
                target="<= %.2f x floor, <= floor + 4 requests per VM" % target if target else "",
                ok=(good and r["ratio"] <= target and r["requests_per_vm"] <= floor["requests_per_vm"] + 4)
                if target else good))
        runs += group
    return dict(rows=rows, runs=runs, table=table(runs, job_seconds))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vms", type=int, action="append", help="fleet size (repeatable; default %s)" % (QUICK["vms"],))
    p.add_argument("--job-seconds", type=int, default=None, help="RestoreDisks job length (default %d, --full %d)"
                   % (QUICK["job_seconds"], FULL["job_seconds"]))
    p.add_argument("--full", action="store_true", help="30 and 100 VMs, 60 s jobs")
    p.add_argument("--layouts", nargs="+", choices=LAYOUTS, default=list(LAYOUTS),
                   help="the layouts to run beside the floor (default: all)")
    a = p.parse_args()
    size = FULL if a.full else QUICK
    with EmulatorProcess() as emu:
        out = run(emu, vm_counts=a.vms or size["vms"], job_seconds=a.job_seconds or size["job_seconds"],
                  layouts=a.layouts)
    print(out["table"])
    for r in out["runs"]:
        if r.get("output_tail"):
            print(r["output_tail"])


if __name__ == "__main__":
    main()
