# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _backup as b
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

SPECS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "contract", "specs", "specification",
                     "recoveryservicesbackup", "resource-manager", "Microsoft.RecoveryServices", "stable")
SUB = "9a8b7c6d-0000-4000-8000-000000000003"
UTC = datetime.timezone.utc


def example(version, name):
    with open(os.path.join(SPECS, version, "examples", name)) as f:
        return json.load(f)


class TestTime:
    def test_parse_iso_variants(self):
        assert b.parse_time("2026-11-01T08:00:00Z") == datetime.datetime(2026, 11, 1, 8, tzinfo=UTC)
        assert b.parse_time("2026-11-01T10:00:00+02:00") == datetime.datetime(2026, 11, 1, 8, tzinfo=UTC)
        assert b.parse_time("2026-11-01") == datetime.datetime(2026, 11, 1, tzinfo=UTC)
        assert b.parse_time("2019-12-25T22:07:11.1234567Z").microsecond == 123456

    @pytest.mark.parametrize("bad", ["yesterday", "01/11/2026", "2026-13-01", "2026-11-01T25:00:00Z", ""])
    def test_parse_bad_names_option(self, bad):
        with pytest.raises(ValidationError) as e:
            b.parse_time(bad, "start_time")
        assert "start_time" in str(e.value)

    def test_window_end_before_start(self):
        with pytest.raises(ValidationError) as e:
            b.check_time_window("2026-11-02T00:00:00Z", "2026-11-01T00:00:00Z")
        assert "end_time" in str(e.value) and "before" in str(e.value)

    def test_filter_format_is_the_clis(self):
        f = b.recovery_point_filter(b.parse_time("2024-01-01T00:00:00Z"), b.parse_time("2024-02-01T13:05:09Z"))
        assert f == "endDate eq '2024-02-01 01:05:09 PM' and startDate eq '2024-01-01 12:00:00 AM'"
        assert b.recovery_point_filter() is None

    def test_job_rp_time_us_format(self):
        assert b.parse_job_rp_time("12/25/2019 10:07:11 PM") == datetime.datetime(2019, 12, 25, 22, 7, 11, tzinfo=UTC)
        assert b.parse_job_rp_time("garbage") is None

    def test_azure_zero_time_is_none(self):
        assert b.parse_azure_time("0001-01-01T00:00:00") is None


class TestProtectedItem:
    def test_from_name(self):
        item = b.protected_item_ref(dict(vm_name="vm1", vm_resource_group="rg1", vault_name="v",
                                         vault_resource_group="rgv"), SUB)
        assert item.container == "iaasvmcontainer;iaasvmcontainerv2;rg1;vm1"
        assert item.item == "vm;iaasvmcontainerv2;rg1;vm1"
        assert item.path.endswith("/protectionContainers/iaasvmcontainer%3Biaasvmcontainerv2%3Brg1%3Bvm1"
                                  "/protectedItems/vm%3Biaasvmcontainerv2%3Brg1%3Bvm1")
        assert item.vm_id == "/subscriptions/%s/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1" % SUB

    def test_from_vm_id_keeps_its_subscription(self):
        other = "11111111-2222-3333-4444-555555555555"
        vm = "/subscriptions/%s/resourceGroups/RG1/providers/Microsoft.Compute/virtualMachines/VM1" % other
        item = b.protected_item_ref(dict(vm_id=vm, vault_name="v", vault_resource_group="rgv"), SUB)
        assert item.vm_name == "VM1" and item.vm_resource_group == "RG1"
        assert item.vm_id.startswith("/subscriptions/%s/" % other)
        assert item.vault_id.startswith("/subscriptions/%s/" % SUB)

    @pytest.mark.parametrize("vm_id", [
        "not-an-id",
        "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa" % SUB,
    ])
    def test_bad_vm_id(self, vm_id):
        with pytest.raises(ValidationError) as e:
            b.protected_item_ref(dict(vm_id=vm_id, vault_name="v", vault_resource_group="rgv"), SUB)
        assert e.value.option == "vm_id"

    def test_vm_id_and_name_exclusive(self):
        vm = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm" % SUB
        with pytest.raises(ValidationError):
            b.protected_item_ref(dict(vm_id=vm, vm_name="x", vault_name="v", vault_resource_group="rgv"), SUB)

    def test_explicit_names_win(self):
        item = b.protected_item_ref(dict(vm_name="vm1", vm_resource_group="rg1", vault_name="v",
                                         vault_resource_group="rgv", container_name="c;x",
                                         protected_item_name="i;y"), SUB)
        assert "/protectionContainers/c%3Bx/protectedItems/i%3By" in item.path


class TestRecoveryPoints:
    def test_normalize_spec_example(self):
        ex = example("2024-04-01", "AzureIaasVm/RecoveryPoints_Get.json")
        p = b.normalize_recovery_point(ex["responses"]["200"]["body"])
        assert p["name"] == ex["responses"]["200"]["body"]["name"]
        assert p["time"].endswith("Z")
        assert p["properties"]["objectType"] == "IaasVMRecoveryPoint"
        assert isinstance(p["tiers"], list)

    def test_integer_tier_enums(self):
        p = b.normalize_recovery_point({"name": "1", "properties": {
            "recoveryPointTierDetails": [{"type": 1, "status": 1}, {"type": 2, "status": 1}],
            "recoveryPointTime": "2026-11-01T00:00:00Z"}})
        assert p["usable_tiers"] == ["InstantRP", "HardenedRP"]

    def _points(self):
        def rp(name, when, kind, tiers):
            return b.normalize_recovery_point({"name": name, "properties": {
                "recoveryPointType": kind, "recoveryPointTime": when,
                "recoveryPointTierDetails": [{"type": t, "status": s} for t, s in tiers],
                "recoveryPointDiskConfiguration": {"includedDiskList": [{"lun": 1}, {"lun": 0}]}}})
        return [
            rp("1", "2026-11-01T01:00:00Z", "CrashConsistent", [("HardenedRP", "Valid")]),
            rp("3", "2026-11-03T01:00:00Z", "AppConsistent", [("InstantRP", "Valid"), ("HardenedRP", "Valid")]),
            rp("2", "2026-11-02T01:00:00Z", "AppConsistent", [("HardenedRP", "Valid")]),
            rp("0", "2026-09-01T01:00:00Z", "AppConsistent", [("ArchivedRP", "Valid")]),
        ]

    def test_select_latest_and_filters(self):
        pts = self._points()
        assert [p["name"] for p in b.select_recovery_points(pts)] == ["3", "2", "1", "0"]
        assert [p["name"] for p in b.select_recovery_points(pts, latest=True)] == ["3"]
        assert [p["name"] for p in b.select_recovery_points(pts, tier="snapshot")] == ["3"]
        assert [p["name"] for p in b.select_recovery_points(pts, tier="archive")] == ["0"]
        assert [p["name"] for p in b.select_recovery_points(pts, recovery_point_type="crashconsistent")] == ["1"]
        before = b.parse_time("2026-11-02T12:00:00Z")
        assert [p["name"] for p in b.select_recovery_points(pts, end=before, latest=True)] == ["2"]
        assert pts[0]["disk_luns"] == [0, 1]

    def test_needs_rehydration(self):
        pts = dict((p["name"], p) for p in self._points())
        assert b.needs_rehydration(pts["0"]) is True
        assert b.needs_rehydration(pts["3"]) is False


class TestRestoreRequest:
    VM = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm" % SUB
    SA = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa" % SUB

    def test_restore_disks_matches_spec_example_shape(self):
        ex = example("2024-04-01", "AzureIaasVm/TriggerRestore_RestoreDisks_IaasVMRestoreRequest.json")
        want = ex["parameters"]["parameters"]["properties"]
        got = b.build_restore_request("restore_disks", "348916168024334", self.VM, "southeastasia", self.SA,
                                      target_resource_group_id="/subscriptions/%s/resourceGroups/t" % SUB)
        for key in ("objectType", "recoveryType", "createNewCloudService", "originalStorageAccountOption",
                    "encryptionDetails"):
            assert got[key] == want[key], key
        assert "targetVirtualMachineId" not in got

    def test_new_vm_and_luns_and_zone(self):
        got = b.build_restore_request("new_vm", "1", self.VM, "westeurope", self.SA, target_vm_id="t", virtual_network_id="n",
                                      subnet_id="s", disk_luns=[2, 0], zones=[1])
        assert got["recoveryType"] == "AlternateLocation"
        assert (got["targetVirtualMachineId"], got["virtualNetworkId"], got["subnetId"]) == ("t", "n", "s")
        assert got["restoreDiskLunList"] == [0, 2] and got["zones"] == ["1"]

    def test_os_disk_only_sends_empty_lun_list(self):
        got = b.build_restore_request("restore_disks", "1", self.VM, "r", self.SA, restore_os_disk_only=True)
        assert got["restoreDiskLunList"] == []

    def test_rehydration(self):
        got = b.build_restore_request("restore_disks", "1", self.VM, "r", self.SA, rehydration_priority="High",
                                      rehydration_duration_value=b.rehydration_duration(12))
        assert got["objectType"] == "IaasVMRestoreWithRehydrationRequest"
        assert got["recoveryPointRehydrationInfo"] == {"rehydrationPriority": "High",
                                                       "rehydrationRetentionDuration": "P12D"}

    @pytest.mark.parametrize("bad", [5, 31, "ten", "P1W"])
    def test_rehydration_duration_bounds(self, bad):
        with pytest.raises(ValidationError):
            b.rehydration_duration(bad)

    def test_identity(self):
        got = b.build_restore_request("restore_disks", "1", self.VM, "r", self.SA,
                                      identity={"type": "user_assigned", "id": "/x/y"})
        assert got["identityInfo"] == {"isSystemAssignedIdentity": False, "managedIdentityResourceId": "/x/y"}
        with pytest.raises(ValidationError):
            b.build_restore_request("restore_disks", "1", self.VM, "r", self.SA, identity={"type": "user_assigned"})

    def test_extra_properties_cannot_override_identity_of_the_restore(self):
        with pytest.raises(ValidationError):
            b.build_restore_request("restore_disks", "1", self.VM, "r", self.SA, extra_properties={"recoveryType": "x"})
        got = b.build_restore_request("restore_disks", "1", self.VM, "r", self.SA,
                                      extra_properties={"restoreWithManagedDisks": True})
        assert got["restoreWithManagedDisks"] is True


def job_resource(status="InProgress", entity="vm1", location_type="RestoreDisks", rp_time="11/03/2026 01:00:00 AM",
                 sa="sa1", rg="rg-restore", extra_bag=None, name="job-1", start="2026-11-04T10:00:00Z"):
    bag = {"Job Type": "Recover disks", b.BAG_RP_TIME: rp_time, b.BAG_STORAGE_ACCOUNT: sa, b.BAG_TARGET_RG: rg}
    bag.update(extra_bag or {})
    return {"id": "/x/backupJobs/" + name, "name": name, "properties": {
        "jobType": "AzureIaaSVMJob", "operation": "Restore", "status": status, "entityFriendlyName": entity,
        "startTime": start, "endTime": "0001-01-01T00:00:00",
        "extendedInfo": {"propertyBag": bag, "internalPropertyBag": {"restoreLocationType": location_type}}}}


class TestJobs:
    CRIT = dict(vm_name="VM1", restore_type="restore_disks", recovery_point_time="2026-11-03T01:00:00Z",
                storage_account_name="sa1", target_resource_group="rg-restore")

    def test_normalize_spec_example(self):
        ex = example("2024-04-01", "Common/GetJobDetails.json")
        j = b.normalize_job(ex["responses"]["200"]["body"])
        assert j["job_id"] == ex["responses"]["200"]["body"]["name"]
        assert j["status"] == ex["responses"]["200"]["body"]["properties"]["status"]

    def test_normalize_restore_outputs(self):
        j = b.normalize_job(job_resource(status="Completed", extra_bag={
            b.BAG_CONFIG_BLOB_URI: "https://sa1.blob/c/config.json", b.BAG_TEMPLATE_BLOB_URI: "https://sa1.blob/c/t.json"}))
        assert j["restore_type"] == "restore_disks"
        assert j["recovery_point_time"] == "2026-11-03T01:00:00Z"
        assert j["template_blob_uri"].endswith("t.json") and j["config_blob_uri"].endswith("config.json")

    def test_match(self):
        assert b.match_restore_job(b.normalize_job(job_resource()), **self.CRIT)
        assert b.match_restore_job(b.normalize_job(job_resource(status="Completed")), **self.CRIT)

    @pytest.mark.parametrize("change", [
        dict(status="Failed"), dict(status="Cancelled"), dict(entity="vm2"), dict(location_type="OriginalLocation"),
        dict(rp_time="11/02/2026 01:00:00 AM"), dict(sa="other"), dict(rg="other-rg"),
    ])
    def test_no_match(self, change):
        assert not b.match_restore_job(b.normalize_job(job_resource(**change)), **self.CRIT)

    def test_new_vm_needs_same_target_name(self):
        crit = dict(self.CRIT)
        crit.update(restore_type="new_vm", target_vm_name="vm1-restored")
        job = job_resource(location_type="AlternateLocation", extra_bag={b.BAG_TARGET_VM: "vm1-restored"})
        assert b.match_restore_job(b.normalize_job(job), **crit)
        job = job_resource(location_type="AlternateLocation", extra_bag={b.BAG_TARGET_VM: "other"})
        assert not b.match_restore_job(b.normalize_job(job), **crit)

    def test_find_prefers_running(self):
        jobs = [b.normalize_job(job_resource(status="Completed", name="old", start="2026-11-04T09:00:00Z")),
                b.normalize_job(job_resource(status="InProgress", name="run", start="2026-11-04T08:00:00Z"))]
        assert b.find_restore_job(jobs, **self.CRIT)["job_id"] == "run"
        assert b.find_restore_job([], **self.CRIT) is None

    def test_job_filter(self):
        f = b.job_filter(operation="Restore", start=b.parse_time("2026-11-01T00:00:00Z"))
        assert f == "backupManagementType eq 'AzureIaasVM' and operation eq 'Restore' and startTime eq '2026-11-01 12:00:00 AM'"
