# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

from ansible_collections.azbackup.restore.plugins.filter import restore_groups as plugin
from ansible_collections.azbackup.restore.plugins.filter.restore_groups import (
    FilterModule,
    restore_groups,
    restore_shares,
)

ARGS = dict(restore_type="restore_disks", staging_storage_account="strestorewe", target_resource_group="rg-restore")


def call(sig, *names, **extra):
    out = dict(sig=sig, problem="", vms=[dict(name=n, resource_group="rg-prod") for n in names], results_args=ARGS,
               wait=True, fail_on_job_failure=True)
    out.update(extra)
    return out


def started(*names, **changed):
    """A vm_restore list-form result: each VM started (job j-<name>), or as given."""
    return dict(changed=True, warnings=["rg-prod/%s: slow" % n for n in names], results=[
        dict(vm="rg-prod/" + n, failed=False, changed=changed.get(n, True), job_id="j-" + n, operation_url="u-" + n,
             recovery_point=dict(name="1"), request=dict(properties={})) for n in names])


def jobs(*pairs):
    return dict(done=True, jobs=[dict(job_id="j-" + n, status=status, property_bag={}) for n, status in pairs])


class TestRestoreGroups:
    def test_hosts_with_the_same_digest_go_together_in_play_order(self):
        plan = restore_groups([["h1", call("a", "vm1")], ["h2", call("b", "vm2")], ["h3", call("a", "vm3", "vm4")],
                               ["h4", None], ["h5", call("a", "vm5", problem="restore_disks needs ...")]])
        assert sorted(plan["groups"]) == ["a", "b"]
        assert plan["groups"]["a"]["leader"] == "h1" and plan["groups"]["b"]["leader"] == "h2"
        assert [v["name"] for v in plan["groups"]["a"]["vms"]] == ["vm1", "vm3", "vm4"]
        assert plan["hosts"] == {"h1": {"leader": "h1", "from": 0, "to": 1}, "h2": {"leader": "h2", "from": 0, "to": 1},
                                 "h3": {"leader": "h1", "from": 1, "to": 3}}

    def test_no_host(self):
        assert restore_groups([]) == dict(groups={}, hosts={})


class TestRestoreShares:
    def plan(self):
        return restore_groups([["h1", call("a", "vm1")], ["h2", call("a", "vm2", "vm3")]])

    def test_each_host_gets_its_own_vms_jobs_and_warnings(self):
        out = restore_shares(self.plan(), {"h1": dict(started=started("vm1", "vm2", "vm3", vm1=False),
                                                      jobs=jobs(("vm1", "Completed"), ("vm2", "Completed"),
                                                                ("vm3", "Completed")))})
        assert sorted(out) == ["h1", "h2"]
        assert [r["vm"] for r in out["h2"]["results"]] == ["vm2", "vm3"]
        assert [r["status"] for r in out["h2"]["results"]] == ["Completed", "Completed"]
        assert [j["job_id"] for j in out["h2"]["jobs"]["jobs"]] == ["j-vm2", "j-vm3"]
        assert out["h2"]["started"]["warnings"] == ["rg-prod/vm2: slow", "rg-prod/vm3: slow"]
        assert out["h1"]["started"]["changed"] is False and out["h2"]["started"]["changed"] is True
        assert out["h1"]["verdict"] == "" and out["h2"]["verdict"] == ""

    def test_a_failed_job_is_the_verdict_of_its_host_only(self):
        out = restore_shares(self.plan(), {"h1": dict(started=started("vm1", "vm2", "vm3"),
                                                      jobs=jobs(("vm1", "Completed"), ("vm2", "Completed"),
                                                                ("vm3", "Failed")))})
        assert out["h1"]["verdict"] == ""
        assert out["h2"]["verdict"].startswith("1 of 2 restore(s) did not succeed: vm3: Failed")

    def test_a_job_failure_that_does_not_fail_the_role(self):
        plan = restore_groups([["h1", call("a", "vm1", fail_on_job_failure=False)]])
        out = restore_shares(plan, {"h1": dict(started=started("vm1"), jobs=jobs(("vm1", "Failed")))})
        assert out["h1"]["verdict"] == "" and out["h1"]["results"][0]["status"] == "Failed"

    def test_a_refused_task_or_a_failed_leader_fails_the_whole_group(self):
        refused = restore_shares(self.plan(), {"h1": dict(started=dict(failed=True, msg="concurrency must be ..."))})
        assert refused["h2"]["results"] is None and refused["h2"]["verdict"] == "concurrency must be ..."
        gone = restore_shares(self.plan(), {})
        assert gone["h2"]["verdict"] == "The restores of host h1 failed: see its error"

    def test_jobs_unused_when_the_leader_did_not_wait(self):
        plan = restore_groups([["h1", call("a", "vm1")]])
        none = dict(changed=False, results=[dict(vm="rg-prod/vm1", failed=False, changed=True)])
        out = restore_shares(plan, {"h1": dict(started=none, jobs=jobs(("vm1", "Completed")))}, check_mode=True)
        assert out["h1"]["jobs"] == {} and out["h1"]["results"][0]["status"] == "CheckMode"


def test_filters_and_documentation():
    assert FilterModule().filters() == dict(restore_groups=restore_groups, restore_shares=restore_shares)
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc["name"] == "restore_groups" and "restore_shares" in " ".join(doc["description"])
    assert yaml.safe_load(plugin.RETURN)["_value"]["type"] == "dict" and yaml.safe_load(plugin.EXAMPLES)
