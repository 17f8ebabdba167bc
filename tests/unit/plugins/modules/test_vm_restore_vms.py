# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""vm_restore's list form (``vms``): many restores from one task."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

import pytest
import responses

from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import RGS, SUB, VAULT
from ansible_collections.azbackup.restore.tests.unit.plugins.modules.test_vm_restore import (
    ExitJson,
    FailJson,
    FakeAzure,
    run_main,
)

NAMES = ["vm-web-01", "vm-web-02", "vm-db-01", "vm-app-01"]


class FleetAzure(FakeAzure):
    """FakeAzure with several protected VMs: each job names the VM its restore request was for."""

    def __init__(self, rsps):
        super(FleetAzure, self).__init__(rsps)
        self.lock = threading.Lock()
        self.refuse = set()
        self.lose = set()
        self.job_failures = set()
        for name in NAMES:
            vm_id = RGS + "/rg-prod/providers/Microsoft.Compute/virtualMachines/" + name
            self.resources[vm_id] = {"location": "westeurope"}

    def handle(self, request):
        low = request.path_url.split("?")[0].lower()
        vm = None
        if request.method == "POST" and low.endswith("/restore"):
            vm = low.split("protecteditems/")[1].split("/")[0].split("%3b")[-1]
            if vm in self.refuse:
                return 400, {}, json.dumps({"error": {"code": "UserErrorSomething", "message": "refused %s" % vm}})
        with self.lock:
            before = set(self.jobs)
            answer = super(FleetAzure, self).handle(request)
            for job_id in set(self.jobs) - before:
                self.jobs[job_id]["vm"] = vm
        if vm in self.lose:  # Azure started the restore, but its answer is lost
            return 500, {}, json.dumps({"error": {"code": "InternalError", "message": "lost"}})
        return answer

    def job_doc(self, job_id):
        doc = super(FleetAzure, self).job_doc(job_id)
        vm = self.jobs[job_id].get("vm") or "vm-web-01"
        doc["properties"]["entityFriendlyName"] = vm
        if vm in self.job_failures and doc["properties"]["status"] != "InProgress":
            doc["properties"]["status"] = "Failed"
            doc["properties"]["errorDetails"] = [{"errorCode": "UserErrorDiskQuota", "errorString": "Disk quota"}]
        return doc

    def gets(self, suffix):
        return [r for r in self.requests if r[0] == "GET" and r[1].split("?")[0].lower().endswith(suffix.lower())]


class SideBySide(FleetAzure):
    """The first GET of each of KINDS is answered only once the first of every other kind has come."""

    KINDS = [("vault", lambda p: p == VAULT.lower()), ("guard", lambda p: p.endswith("/backupresourceguardproxies")),
             ("jobs", lambda p: p.endswith("/backupjobs")), ("storage", lambda p: "/storageaccounts/" in p),
             ("points", lambda p: p.endswith("/recoverypoints"))]

    def __init__(self, rsps, parties=None):
        self.together = threading.Barrier(parties or len(self.KINDS), timeout=5)
        self.waited = set()
        super(SideBySide, self).__init__(rsps)

    def handle(self, request):
        path = request.path_url.split("?")[0].lower()
        kind = next((k for k, match in self.KINDS if request.method == "GET" and match(path)), None)
        with self.lock:
            first = kind is not None and kind not in self.waited
            self.waited.add(kind)
        if first:
            self.together.wait()
        return super(SideBySide, self).handle(request)


@pytest.fixture
def fleet():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FleetAzure(rsps)


ARGS = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", restore_type="restore_disks",
            staging_storage_account="strestorewe", staging_storage_account_resource_group="rg-restore",
            target_resource_group="rg-restore", subscription_id=SUB,
            vms=[dict(name=n, resource_group="rg-prod") for n in NAMES])


class TestListForm:
    def test_every_vm_restored_once(self, fleet, monkeypatch):
        kind, result = run_main(monkeypatch, ARGS)
        assert kind is ExitJson and result["changed"] is True
        assert [r["vm"] for r in result["results"]] == ["rg-prod/" + n for n in NAMES]
        assert all(r["failed"] is False and r["changed"] and r["job_id"] for r in result["results"])
        assert len(set(r["job_id"] for r in result["results"])) == len(NAMES)
        posted = sorted(r[1].split("protectedItems/")[1].split("/")[0].rsplit("%3B", 1)[1]
                        for r in fleet.posts("/restore"))
        assert posted == sorted(NAMES)
        assert all(r["recovery_point"]["name"] == "300" and r["request"] for r in result["results"])

    def test_shared_reads_once(self, fleet, monkeypatch):
        kind, result = run_main(monkeypatch, ARGS)
        assert kind is ExitJson
        assert len(fleet.gets(VAULT)) == 1
        assert len(fleet.gets("/storageAccounts/strestorewe")) == 1
        assert len(fleet.gets(RGS + "/rg-restore")) == 1
        assert len(fleet.gets("/backupResourceGuardProxies")) == 1
        first_post = min(i for i, r in enumerate(fleet.requests) if r[0] == "POST" and r[1].split("?")[0].endswith(
            "/restore"))
        searches = [r for r in fleet.requests[:first_post] if r[1].split("?")[0].endswith("/backupJobs")]
        # The idempotency search: one listing for all VMs, and the look again just before the requests.
        assert 1 <= len(searches) <= 1 + len(NAMES)

    def test_the_reads_before_the_first_request_go_side_by_side(self, monkeypatch):
        # The first read of each kind waits until the four others are on their way: they must be sent
        # side by side (one after the other, the first would wait in vain and the barrier break).
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            fleet = SideBySide(rsps)
            kind, result = run_main(monkeypatch, ARGS)
        assert not fleet.together.broken and kind is ExitJson, result
        assert len(fleet.gets(VAULT)) == 1 and len(fleet.posts("/restore")) == len(NAMES)

    def test_a_missing_vault_is_what_every_vm_reports(self, fleet, monkeypatch):
        kind, result = run_main(monkeypatch, dict(ARGS, vault_name="rsv-gone"))
        assert kind is FailJson and not fleet.posts("/restore")
        assert all(r["failed"] and "rsv-gone" in r["msg"] and r.get("option") == "vault_name"
                   for r in result["results"]), result["results"]

    @staticmethod
    def ending_after(fleet, rounds):
        """A sleep after which (the ``rounds``-th) the jobs have ended: each poll round of the wait sleeps
        once before it."""
        sleeps = []

        def sleep(seconds):
            sleeps.append(seconds)
            if len(sleeps) >= rounds:
                fleet.job_status = "Completed"
        return sleep

    def test_wait_job_waits_for_every_job_together(self, fleet, monkeypatch):
        kind, result = run_main(monkeypatch, dict(ARGS, wait="job", poll_interval=5),
                                sleep=self.ending_after(fleet, rounds=3))
        assert kind is ExitJson, result
        assert all(r["job"]["status"] == "Completed" and r["config_blob_uri"] for r in result["results"])
        last_post = max(i for i, r in enumerate(fleet.requests) if r[0] == "POST" and r[1].split("?")[0].endswith(
            "/restore"))
        after = fleet.requests[last_post + 1:]
        lists = [r for r in after if r[0] == "GET" and r[1].split("?")[0].endswith("/backupJobs")]
        reads = [r for r in fleet.requests if r[0] == "GET" and "/backupJobs/" in r[1]]
        # one job list per round (3), one read of each job after its operation and one as it ended:
        # not one read of every job in every round (that would be 4 x 4 more)
        assert len(lists) == 3 and len(reads) == 2 * len(NAMES)

    def test_wait_job_a_failed_job_fails_its_vm_only(self, fleet, monkeypatch):
        fleet.job_failures.add("vm-db-01")
        kind, result = run_main(monkeypatch, dict(ARGS, wait="job", fail_on_vm_failure=False),
                                sleep=self.ending_after(fleet, rounds=1))
        assert kind is ExitJson, result
        failed = [r for r in result["results"] if r["failed"]]
        assert [r["vm"] for r in failed] == ["rg-prod/vm-db-01"]
        assert "failed: UserErrorDiskQuota" in failed[0]["msg"] or "Disk quota" in failed[0]["msg"], failed[0]["msg"]
        assert failed[0]["job"]["status"] == "Failed" and failed[0]["changed"] is True

    def test_wait_job_timeout_names_each_running_job(self, fleet, monkeypatch):
        kind, result = run_main(monkeypatch, dict(ARGS, wait="job", wait_timeout=0), sleep=self.ending_after(fleet, 1000))
        assert kind is FailJson
        assert all(r["failed"] and "Timed out" in r["msg"] and r["job_id"] in r["msg"] and "Run again" in r["msg"]
                   for r in result["results"]), [r["msg"] for r in result["results"]]
        assert len(fleet.posts("/restore")) == len(NAMES)

    def test_a_failing_vm_does_not_stop_the_others(self, fleet, monkeypatch):
        fleet.refuse.add("vm-web-02")
        kind, result = run_main(monkeypatch, ARGS)
        assert kind is FailJson and result["changed"] is True
        assert result["msg"].startswith("Failed to restore 1 of 4 VMs: rg-prod/vm-web-02: ")
        assert "UserErrorSomething" in result["msg"]
        failed = [r for r in result["results"] if r["failed"]]
        assert [r["vm"] for r in failed] == ["rg-prod/vm-web-02"] and failed[0]["error_code"] == "UserErrorSomething"
        assert sum(1 for r in result["results"] if r.get("job_id") and not r["failed"]) == 3

    def test_a_lost_answer_lists_the_jobs_again(self, fleet, monkeypatch):
        fleet.lose.add("vm-db-01")
        kind, result = run_main(monkeypatch, ARGS)
        assert kind is ExitJson, result
        db = result["results"][2]
        assert db["changed"] is True and db["attached"] is True and db["job_id"]
        lost = [i for i, r in enumerate(fleet.requests) if r[0] == "POST" and "vm-db-01/recoveryPoints" in r[1]
                and r[1].split("?")[0].endswith("/restore")]
        assert len(lost) == 1  # never sent twice
        # the look for its job after the lost answer is a listing of its own, after the request
        assert [r for r in fleet.requests[lost[0] + 1:] if r[1].split("?")[0].endswith("/backupJobs")]

    def test_failures_kept_in_results_when_asked(self, fleet, monkeypatch):
        fleet.refuse.add("vm-db-01")
        kind, result = run_main(monkeypatch, dict(ARGS, fail_on_vm_failure=False))
        assert kind is ExitJson and [r["failed"] for r in result["results"]] == [False, False, True, False]
        assert "refused vm-db-01" in result["results"][2]["msg"]

    def test_check_mode_sends_no_restore(self, fleet, monkeypatch):
        kind, result = run_main(monkeypatch, ARGS, check_mode=True)
        assert kind is ExitJson and result["changed"] is True and not fleet.posts("/restore")
        assert len(fleet.posts("/backupValidateOperation")) == len(NAMES)
        assert all(r["request"]["properties"]["recoveryType"] == "RestoreDisks" for r in result["results"])

    def test_rerun_attaches(self, fleet, monkeypatch):
        run_main(monkeypatch, ARGS)
        kind, result = run_main(monkeypatch, ARGS)
        assert kind is ExitJson and result["changed"] is False
        assert all(r["attached"] and not r["changed"] for r in result["results"])
        assert len(fleet.posts("/restore")) == len(NAMES)

    def test_per_vm_overrides(self, fleet, monkeypatch):
        vms = [dict(name="vm-web-01", resource_group="rg-prod", recovery_point_id="200"),
               dict(id=RGS + "/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-02")]
        kind, result = run_main(monkeypatch, dict(ARGS, vms=vms))
        assert kind is ExitJson
        assert [r["recovery_point"]["name"] for r in result["results"]] == ["200", "300"]
        assert result["results"][1]["vm"] == "rg-prod/vm-web-02"

    def test_a_vms_point_wins_over_the_filters(self, fleet, monkeypatch):
        vms = [dict(name="vm-web-01", resource_group="rg-prod", recovery_point_id="200", disk_luns=[1]),
               dict(name="vm-web-02", resource_group="rg-prod", restore_os_disk_only=True)]
        kind, result = run_main(monkeypatch, dict(ARGS, vms=vms, start_time="2026-11-20T00:00:00Z"))
        assert kind is ExitJson, result
        assert [r["recovery_point"]["name"] for r in result["results"]] == ["200", "300"]
        first, second = [r["request"]["properties"] for r in result["results"]]
        assert first["restoreDiskLunList"] == [1] and second["restoreDiskLunList"] == []

    @pytest.mark.parametrize("extra, text", [
        (dict(vm_name="vm-web-01", vm_resource_group="rg-prod"), "mutually exclusive"),
        (dict(recovery_point_id="300"), "mutually exclusive"),
        (dict(concurrency=0), "concurrency must be between 1 and 100"),
        (dict(concurrency=101), "concurrency must be between 1 and 100"),
        (dict(vms=[dict(name="vm-web-01")]), "resource_group"),
        (dict(vms=[dict(name="a", resource_group="rg"), dict(name="A", resource_group="RG")]), "more than once"),
    ])
    def test_refusals(self, fleet, monkeypatch, extra, text):
        kind, result = run_main(monkeypatch, dict(ARGS, **extra))
        assert kind is FailJson and text in result["msg"] and not fleet.requests

    def test_single_vm_form_unchanged(self, fleet, monkeypatch):
        args = dict(ARGS, vm_name="vm-web-01", vm_resource_group="rg-prod")
        del args["vms"]
        kind, result = run_main(monkeypatch, args)
        assert kind is ExitJson and "results" not in result and result["job_id"]

    def test_one_of_vm_options_or_vms_required(self, fleet, monkeypatch):
        args = dict(ARGS)
        del args["vms"]
        kind, result = run_main(monkeypatch, args)
        assert kind is FailJson and "vm_id, vm_name, vms" in result["msg"]
