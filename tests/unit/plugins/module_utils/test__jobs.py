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


# --------------------------------------------------------------------------------------------
# watch_jobs: one job list per reader and round, one read of each job as it ends


class FakeReader(object):
    """A job reader whose jobs move one status along their sequence at each list."""

    def __init__(self, sequences, operation="Restore", starts=None, hidden=()):
        self.operation = operation
        self.sequences = dict((k, list(v)) for k, v in sequences.items())
        self.starts = starts or {}
        self.hidden = set(hidden)
        self.status, self.fresh = {}, set()
        self.lists, self.reads = [], []

    def _job(self, job_id):
        resource = job_resource(status=self.status[job_id], name=job_id,
                                start=self.starts.get(job_id, "2026-11-04T10:00:00Z"))
        resource["properties"]["extendedInfo"] = {"progressPercentage": 50.0} if resource["properties"]["status"] == \
            "InProgress" else resource["properties"]["extendedInfo"]
        return j.normalize_job(resource)

    def list(self, **filters):
        self.lists.append(filters)
        for k, seq in self.sequences.items():
            self.status[k] = seq.pop(0) if len(seq) > 1 else seq[0]
        self.fresh = set(self.sequences)
        return [self._job(k) for k in self.sequences if k not in self.hidden]

    def get(self, job_id):
        """The status of the last list (in its round), else the job moves on."""
        self.reads.append(job_id)
        if job_id in self.fresh:
            self.fresh.remove(job_id)
        else:
            seq = self.sequences[job_id]
            self.status[job_id] = seq.pop(0) if len(seq) > 1 else seq[0]
        return self._job(job_id)


class FakeTime(object):
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


NOW = parse_time("2026-11-05T12:00:00Z")


def watch(reader, jobs, timeout=600, **kwargs):
    t = FakeTime()
    result = j.watch_jobs(reader, jobs, timeout, poll_interval=10, sleep=t.sleep, clock=t.clock, now=lambda: NOW,
                          **kwargs)
    return result, t


def test_watch_jobs_lists_once_per_round_and_reads_each_job_once():
    ids = ["j%d" % i for i in range(30)]
    reader = FakeReader(dict((k, ["InProgress"] * (i % 3) + ["Completed"]) for i, k in enumerate(ids)))
    jobs = dict((k, None) for k in ids)
    rounds = []
    result, t = watch(reader, jobs, on_round=lambda js: rounds.append(j.job_summary(js.values())["running"]))
    assert result.done and result.last == [] and result.polls == 3
    assert len(reader.lists) == 3 and sorted(reader.reads) == sorted(ids) and t.sleeps == [10, 10]
    assert rounds == [20, 10, 0]
    assert all(job["status"] == "Completed" and job["recovery_point_time"] for job in jobs.values())
    # no start time known at first: a day back; then the earliest start time of the jobs still running
    assert reader.lists[0] == dict(operation="Restore", start=parse_time("2026-11-04T12:00:00Z"))
    assert reader.lists[1] == dict(operation="Restore", start=parse_time("2026-11-04T10:00:00Z"))


def test_jobs_that_end_together_are_read_side_by_side():
    import threading

    ids = ["j%d" % i for i in range(j.READ_CONCURRENCY + 2)]
    reader = FakeReader(dict((k, ["Completed"]) for k in ids))
    together = threading.Barrier(j.READ_CONCURRENCY, timeout=5)
    plain_get = reader.get

    def get(job_id):
        together.wait()  # breaks (BrokenBarrierError) unless READ_CONCURRENCY reads are in flight at once
        return plain_get(job_id)

    reader.get = get
    reader.list = lambda **filters: []  # the list shows none of them: each is read
    jobs = dict((k, None) for k in ids[:j.READ_CONCURRENCY])
    assert j.watch_round(reader, jobs, list(jobs), NOW) == []
    assert sorted(reader.reads) == sorted(jobs) and all(v["status"] == "Completed" for v in jobs.values())


def test_watch_jobs_earliest_start_and_missing_jobs():
    reader = FakeReader({"a": ["InProgress", "InProgress", "Completed"], "b": ["InProgress", "Completed"],
                         "old": ["InProgress", "InProgress", "Completed"]},
                        starts={"a": "2026-11-05T09:00:00Z", "b": "2026-11-05T08:00:00Z",
                                "old": "2026-10-01T00:00:00Z"}, hidden=["old"])
    jobs = dict((k, None) for k in ("a", "b", "old"))
    result, t = watch(reader, jobs)
    assert result.done and len(reader.lists) == 3
    assert reader.reads.count("old") == 3 and reader.reads.count("a") == 1 and reader.reads.count("b") == 1
    # round 2: "old" (read on its own in round 1) is the earliest; round 3: "b" has ended
    assert [f["start"] for f in reader.lists] == [parse_time(t) for t in (
        "2026-11-04T12:00:00Z", "2026-10-01T00:00:00Z", "2026-10-01T00:00:00Z")]


def test_watch_jobs_keeps_what_the_list_leaves_out_and_times_out():
    reader = FakeReader({"a": ["InProgress"], "b": ["InProgress"]})
    known = j.normalize_job(job_resource(name="a"))
    jobs = {"a": known, "b": j.normalize_job(job_resource(name="b"))}
    result, t = watch(reader, jobs, timeout=25)
    assert not result.done and result.last == ["a", "b"] and reader.reads == []
    # the jobs were read already: the first list waits one interval
    assert t.sleeps == [10, 10, 5] and len(reader.lists) == 3
    assert jobs["a"]["target_storage_account"] == "sa1" and jobs["a"]["extended_info"]["progress_percentage"] == 50.0
    assert jobs["a"]["extended_info"]["property_bag"] == known["extended_info"]["property_bag"]


def test_watch_jobs_one_list_per_region_and_nothing_to_wait_for():
    primary = FakeReader({"p": ["Completed"], "q": ["Completed"]})
    secondary = FakeReader({"s": ["Completed"], "t": ["Completed"]}, "CrossRegionRestore")
    keys = dict(p=primary, q=primary, s=secondary, t=secondary)
    jobs = dict((k, None) for k in keys)
    result, t = watch(lambda key: keys[key], jobs)
    assert result.done and len(primary.lists) == 1 and len(secondary.lists) == 1
    assert secondary.lists[0]["operation"] == "CrossRegionRestore"
    assert j.watch_jobs(primary, {"p": jobs["p"]}, 60) == (True, [], 0.0, 0)


def test_watch_jobs_reads_a_job_alone():
    # one job: one read per round costs what one list would, and gives the whole job
    reader = FakeReader({"a": ["InProgress", "InProgress", "Completed"]})
    result, t = watch(reader, {"a": None})
    assert result.done and reader.lists == [] and reader.reads == ["a"] * 3


def test_job_summary():
    assert j.job_summary([]) == dict(total=0, completed=0, failed=0, running=0, progress=[],
                                     text="0 of 0 done: 0 completed, 0 failed; 0 running")
    jobs = [dict(status="CompletedWithWarnings"), dict(status="Cancelled"), None,
            dict(status="InProgress", extended_info=dict(progress_percentage=12.5)), dict(status="Cancelling")]
    assert j.job_summary(jobs)["text"] == "2 of 4 done: 1 completed, 1 failed; 2 running (12.5%)"
