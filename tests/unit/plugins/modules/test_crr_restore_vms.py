# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""crr_restore's list form (``vms``): many cross-region restores from one task, one access token per VM."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
import time

import pytest
import responses

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common, _restore_flavours
from ansible_collections.azbackup.restore.plugins.module_utils._crr import MASKED
from ansible_collections.azbackup.restore.plugins.modules import crr_restore
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import SUB, ExitJson, FailJson, run_module_main
from ansible_collections.azbackup.restore.tests.unit.plugins.modules.test_crr_restore import FakeAzure, client, jwt

NAMES = ["vm-web-01", "vm-web-02", "vm-db-01"]


def vm_of(path):
    """The VM a protected item's URL (or a source VM id) names."""
    low = path.split("?")[0].lower()
    if "protecteditems/" in low:
        return low.split("protecteditems/")[1].split("/")[0].split("%3b")[-1]
    return low.rsplit("/", 1)[-1]


class FleetAzure(FakeAzure):
    """FakeAzure with several protected VMs: each VM's token names its VM, each job the VM it restores."""

    def __init__(self, rsps):
        super(FleetAzure, self).__init__(rsps)
        self.lock = threading.Lock()
        self.refuse = set()

    def handle(self, request):
        low = request.path_url.split("?")[0].lower()
        if request.method == "POST" and low.endswith("/accesstoken"):
            vm, rp = vm_of(low), low.split("/")[-2]
            token = jwt(time.time() + self.token_lifetime, rp) + "-" + vm
            with self.lock:
                self.tokens_issued.append(token)
                self.requests.append((request.method, request.url, json.loads(request.body)))
            return 200, {}, json.dumps({"properties": {"objectType": "WorkloadCrrAccessToken",
                                                       "accessTokenString": token, "recoveryPointId": rp}})
        if request.method == "POST" and low.endswith("/backupcrossregionrestore"):
            body = json.loads(request.body)
            vm = vm_of(body["restoreRequest"]["sourceResourceId"])
            if vm in self.refuse:  # Azure's text quotes the token it was given
                self.requests.append((request.method, request.url, body))
                return 400, {}, json.dumps({"error": {"code": "UserErrorSomething", "message": "refused %s with %s" % (
                    vm, body["crossRegionRestoreAccessDetails"]["accessTokenString"])}})
        with self.lock:
            return super(FleetAzure, self).handle(request)

    def job_doc(self, job_id):
        doc = super(FleetAzure, self).job_doc(job_id)
        doc["properties"]["entityFriendlyName"] = vm_of(self.jobs[job_id]["sourceResourceId"])
        return doc

    def tokens_of(self, vm):
        return [t for t in self.tokens_issued if t.endswith("-" + vm)]


@pytest.fixture
def fleet():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FleetAzure(rsps)


ARGS = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", restore_type="restore_disks",
            staging_storage_account="strestorene", staging_storage_account_resource_group="rg-dr",
            target_resource_group="rg-dr", subscription_id=SUB,
            vms=[dict(name=n, resource_group="rg-prod") for n in NAMES])


def run_main(monkeypatch, args, check_mode=False):
    """(ExitJson or FailJson, the result, the module's no_log values)."""
    return run_module_main(monkeypatch, crr_restore, args, check_mode=check_mode, client=client)


def printed(monkeypatch, capsys, args):
    """What the module really prints (Ansible's own exit_json / fail_json, no_log values masked)."""
    monkeypatch.setattr(_common, "get_client", lambda p: client())
    monkeypatch.setattr(_restore_flavours.time, "sleep", lambda s: None)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            crr_restore.main()
    out = capsys.readouterr().out
    return out, json.loads(out)


class TestListForm:
    def test_every_vm_restored_once_with_its_own_token(self, fleet, monkeypatch):
        kind, result, dummy = run_main(monkeypatch, ARGS)
        assert kind is ExitJson and result["changed"] is True
        assert [r["vm"] for r in result["results"]] == ["rg-prod/" + n for n in NAMES]
        assert all(not r["failed"] and r["changed"] and r["job_id"] for r in result["results"])
        assert all(r["secondary_region"] == "northeurope" and r["access_token_source"] == "fetched"
                   for r in result["results"])
        # one token per VM, asked for at that VM's own recovery point, and sent with that VM's restore only
        assert all(len(fleet.tokens_of(n)) == 1 for n in NAMES)
        posts = fleet.posts("/backupCrossRegionRestore")
        assert sorted(vm_of(p[2]["restoreRequest"]["sourceResourceId"]) for p in posts) == sorted(NAMES)
        for post in posts:
            vm = vm_of(post[2]["restoreRequest"]["sourceResourceId"])
            assert post[2]["crossRegionRestoreAccessDetails"]["accessTokenString"] == fleet.tokens_of(vm)[0]
            assert "/locations/northeurope/" in post[1]
        assert all(r["request"]["crossRegionRestoreAccessDetails"]["accessTokenString"] == MASKED
                   for r in result["results"])

    def test_the_vault_paired_region_and_aad_properties_are_read_once(self, fleet, monkeypatch):
        kind, result, dummy = run_main(monkeypatch, ARGS)
        assert kind is ExitJson

        def gets(suffix):
            return [r for r in fleet.requests if r[0] == "GET" and r[1].split("?")[0].lower().endswith(suffix)]
        assert len(gets("/vaults/rsv-prod")) == 1
        assert len(gets("/locations")) == 1  # the paired region
        assert len(gets("/backupaadproperties")) == 1
        assert len(fleet.posts("/accessToken")) == len(NAMES)  # but a token per VM

    def test_a_paired_region_given_is_not_read(self, fleet, monkeypatch):
        kind, result, dummy = run_main(monkeypatch, dict(ARGS, secondary_region="North Europe"))
        assert kind is ExitJson and all(r["secondary_region"] == "northeurope" for r in result["results"])
        assert not [r for r in fleet.requests if r[0] == "GET" and r[1].split("?")[0].lower().endswith("/locations")]

    def test_rerun_attaches_without_a_token(self, fleet, monkeypatch):
        run_main(monkeypatch, ARGS)
        kind, result, dummy = run_main(monkeypatch, ARGS)
        assert kind is ExitJson and result["changed"] is False
        assert all(r["attached"] and not r["changed"] and r["access_token_source"] is None for r in result["results"])
        assert len(fleet.posts("/backupCrossRegionRestore")) == len(NAMES)
        assert len(fleet.posts("/accessToken")) == len(NAMES)

    def test_check_mode_gets_tokens_and_sends_no_restore(self, fleet, monkeypatch):
        kind, result, no_log = run_main(monkeypatch, ARGS, check_mode=True)
        assert kind is ExitJson and result["changed"] is True
        assert not fleet.posts("/backupCrossRegionRestore") and len(fleet.posts("/accessToken")) == len(NAMES)
        assert all(r["request"]["restoreRequest"]["recoveryType"] == "RestoreDisks" for r in result["results"])
        assert set(fleet.tokens_issued) <= no_log

    def test_a_failing_vm_does_not_stop_the_others(self, fleet, monkeypatch):
        fleet.refuse.add("vm-web-02")
        kind, result, dummy = run_main(monkeypatch, dict(ARGS, fail_on_vm_failure=False))
        assert kind is ExitJson
        assert [r["failed"] for r in result["results"]] == [False, True, False]
        assert result["results"][1]["error_code"] == "UserErrorSomething"
        assert sum(1 for r in result["results"] if r.get("job_id")) == 2

    def test_a_failing_vm_fails_the_task_at_the_end(self, fleet, monkeypatch):
        fleet.refuse.add("vm-db-01")
        kind, result, dummy = run_main(monkeypatch, ARGS)
        assert kind is FailJson and result["changed"] is True
        assert result["msg"].startswith("Failed to restore 1 of 3 VMs: rg-prod/vm-db-01: ")
        assert len(result["results"]) == 3

    def test_per_vm_point_and_overrides(self, fleet, monkeypatch):
        vms = [dict(name="vm-web-01", resource_group="rg-prod", recovery_point_id="150", disk_luns=[1]),
               dict(name="vm-web-02", resource_group="rg-prod", restore_os_disk_only=True)]
        kind, result, dummy = run_main(monkeypatch, dict(ARGS, vms=vms))
        assert kind is ExitJson, result
        assert [r["recovery_point"]["name"] for r in result["results"]] == ["150", "200"]
        first, second = [r["request"]["restoreRequest"] for r in result["results"]]
        assert first["restoreDiskLunList"] == [1] and second["restoreDiskLunList"] == []
        assert [p[1].split("/recoveryPoints/")[1].split("/")[0] for p in fleet.posts("/accessToken")
                if "vm-web-01" in p[1]] == ["150"]

    @pytest.mark.parametrize("extra, text", [
        (dict(vm_name="vm-web-01", vm_resource_group="rg-prod"), "mutually exclusive"),
        (dict(recovery_point_id="200"), "mutually exclusive"),
        (dict(concurrency=0), "concurrency must be between 1 and"),
        (dict(vms=[dict(name="a", resource_group="rg"), dict(name="A", resource_group="RG")]), "more than once"),
    ])
    def test_refusals(self, fleet, monkeypatch, extra, text):
        kind, result, dummy = run_main(monkeypatch, dict(ARGS, **extra))
        assert kind is FailJson and text in result["msg"] and not fleet.requests

    def test_access_details_refused_with_vms(self, fleet, monkeypatch):
        given = {"accessTokenString": jwt(time.time() + 3600), "recoveryPointId": "200"}
        kind, result, no_log = run_main(monkeypatch, dict(ARGS, access_details=given))
        assert kind is FailJson and result["option"] == "access_details"
        assert "access_details and vms are mutually exclusive" in result["msg"]
        assert not fleet.requests
        assert given["accessTokenString"] in no_log and given["accessTokenString"] not in json.dumps(result)

    def test_single_vm_form_unchanged(self, fleet, monkeypatch):
        args = dict(ARGS, vm_name="vm-web-01", vm_resource_group="rg-prod")
        del args["vms"]
        kind, result, dummy = run_main(monkeypatch, args)
        assert kind is ExitJson and "results" not in result and result["job_id"]

    def test_one_of_vm_options_or_vms_required(self, fleet, monkeypatch):
        args = dict(ARGS)
        del args["vms"]
        kind, result, dummy = run_main(monkeypatch, args)
        assert kind is FailJson and "vm_id, vm_name, vms" in result["msg"]


class TestSecrets:
    def test_every_vms_token_is_a_no_log_value(self, fleet, monkeypatch):
        kind, result, no_log = run_main(monkeypatch, ARGS)
        assert kind is ExitJson and len(fleet.tokens_issued) == len(NAMES)
        assert set(fleet.tokens_issued) <= no_log

    def test_every_vms_token_is_masked_in_the_output(self, fleet, monkeypatch, capsys):
        out, result = printed(monkeypatch, capsys, dict(ARGS, fail_on_vm_failure=False))
        assert len(fleet.tokens_issued) == len(NAMES) and len(result["results"]) == len(NAMES)
        assert not [t for t in fleet.tokens_issued if t in out]

    def test_tokens_stay_masked_when_vms_fail(self, fleet, monkeypatch, capsys):
        """Azure's refusal quotes the token; the failed task's output names neither that one nor the others."""
        fleet.refuse.update(["vm-web-01", "vm-db-01"])
        out, result = printed(monkeypatch, capsys, ARGS)
        assert result["failed"] is True and result["msg"].startswith("Failed to restore 2 of 3 VMs")
        assert len(fleet.tokens_issued) == len(NAMES)
        assert not [t for t in fleet.tokens_issued if t in out]
        assert "refused vm-web-01 with " in out
