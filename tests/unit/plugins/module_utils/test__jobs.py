# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _jobs as j
from ansible_collections.azbackup.restore.plugins.module_utils._time import parse_time
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import RGS, raw_job, spec_example


def job_resource(status="InProgress", entity="vm1", location_type="RestoreDisks", rp_time="11/03/2026 01:00:00 AM",
                 sa="sa1", rg="rg-restore", extra_bag=None, name="job-1", start="2026-11-04T10:00:00Z"):
    bag = {"Job Type": "Recover disks", j.BAG_RP_TIME: rp_time, j.BAG_STORAGE_ACCOUNT: sa, j.BAG_TARGET_RG: rg}
    bag.update(extra_bag or {})
    return {"id": "/x/backupJobs/" + name, "name": name, "properties": {
        "jobType": "AzureIaaSVMJob", "operation": "Restore", "status": status, "entityFriendlyName": entity,
        "startTime": start, "endTime": "0001-01-01T00:00:00",
        "extendedInfo": {"propertyBag": bag, "internalPropertyBag": {"restoreLocationType": location_type}}}}


class TestJobs:
    CRIT = dict(vm_name="VM1", restore_type="restore_disks", recovery_point_time="2026-11-03T01:00:00Z",
                storage_account_name="sa1", target_resource_group="rg-restore")

    def test_normalize_spec_example(self):
        ex = spec_example("2024-04-01", "Common/GetJobDetails.json")
        job = j.normalize_job(ex["responses"]["200"]["body"])
        assert job["job_id"] == ex["responses"]["200"]["body"]["name"]
        assert job["status"] == ex["responses"]["200"]["body"]["properties"]["status"]

    def test_normalize_restore_outputs(self):
        job = j.normalize_job(job_resource(status="Completed", extra_bag={
            j.BAG_CONFIG_BLOB_URI: "https://sa1.blob/c/config.json",
            j.BAG_TEMPLATE_BLOB_URI: "https://sa1.blob/c/t.json"}))
        assert job["restore_type"] == "restore_disks"
        assert job["recovery_point_time"] == "2026-11-03T01:00:00Z"
        assert job["template_blob_uri"].endswith("t.json") and job["config_blob_uri"].endswith("config.json")
        assert job["end_time"] is None

    def test_match(self):
        assert j.match_restore_job(j.normalize_job(job_resource()), **self.CRIT)
        assert j.match_restore_job(j.normalize_job(job_resource(status="Completed")), **self.CRIT)

    @pytest.mark.parametrize("change", [
        dict(status="Failed"), dict(status="Cancelled"), dict(entity="vm2"), dict(location_type="OriginalLocation"),
        dict(rp_time="11/02/2026 01:00:00 AM"), dict(sa="other"), dict(rg="other-rg"),
    ])
    def test_no_match(self, change):
        assert not j.match_restore_job(j.normalize_job(job_resource(**change)), **self.CRIT)

    def test_new_vm_needs_same_target_name(self):
        crit = dict(self.CRIT)
        crit.update(restore_type="new_vm", target_vm_name="vm1-restored")
        job = job_resource(location_type="AlternateLocation", extra_bag={j.BAG_TARGET_VM: "vm1-restored"})
        assert j.match_restore_job(j.normalize_job(job), **crit)
        job = job_resource(location_type="AlternateLocation", extra_bag={j.BAG_TARGET_VM: "other"})
        assert not j.match_restore_job(j.normalize_job(job), **crit)

    def test_find_prefers_running(self):
        jobs = [j.normalize_job(job_resource(status="Completed", name="old", start="2026-11-04T09:00:00Z")),
                j.normalize_job(job_resource(status="InProgress", name="run", start="2026-11-04T08:00:00Z"))]
        assert j.find_restore_job(jobs, **self.CRIT)["job_id"] == "run"
        assert j.find_restore_job([], **self.CRIT) is None

    def test_job_filter(self):
        f = j.job_filter(operation="Restore", start=parse_time("2026-11-01T00:00:00Z"))
        assert f == ("backupManagementType eq 'AzureIaasVM' and operation eq 'Restore' and "
                     "startTime eq '2026-11-01 12:00:00 AM'")


class TestRestoreOutputs:
    def test_outputs(self):
        bag = {"Config Blob Uri": "https://c", "Template Blob Uri": "https://t"}
        job = j.normalize_job(raw_job("j", "Completed", bag=bag))
        assert j.restore_outputs(job) == dict(restored_disks=[], config_blob_uri="https://c",
                                              template_blob_uri="https://t")

    def test_disk_ids_in_the_bag_are_returned(self):
        d1 = RGS + "/rg-restore/providers/Microsoft.Compute/disks/vm-web-01-osdisk"
        d2 = RGS + "/rg-restore/providers/Microsoft.Compute/disks/vm-web-01-datadisk-1"
        job = j.normalize_job(raw_job("j", "Completed", bag={"Some Disks": "%s;%s" % (d1, d2), "Other": d1}))
        assert sorted(j.restore_outputs(job)["restored_disks"]) == sorted([d1, d2])
