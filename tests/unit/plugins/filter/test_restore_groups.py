# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible_collections.azbackup.restore.plugins.filter import restore_groups as plugin
from ansible_collections.azbackup.restore.plugins.filter.restore_groups import (
    REFUSAL,
    FilterModule,
    describe,
    restore_groups,
    restore_shares,
)

BASE = dict(restore_disks_vault_name="rsv-prod", restore_disks_vault_resource_group="rg-vault",
            restore_disks_staging_storage_account="strestorewe", restore_disks_target_resource_group="rg-restore",
            restore_disks_restore_type="restore_disks", restore_disks_wait=True,
            restore_disks_fail_on_job_failure=True)


def call(target, *names, **extra):
    """A host's description: its VMs ``names`` restored to the resource group ``target``."""
    variables = dict(BASE, restore_disks_target_resource_group=target,
                     restore_disks_vms=[dict(name=n, resource_group="rg-prod") for n in names])
    auth = extra.pop("auth", "a0")
    variables.update(extra)
    return dict(auth=auth, vars=variables)


def started(*names, **changed):
    """A vm_restore list-form result: each VM started (job j-<name>), or as given."""
    return dict(changed=True, warnings=["rg-prod/%s: slow" % n for n in names], results=[
        dict(vm="rg-prod/" + n, failed=False, changed=changed.get(n, True), job_id="j-" + n, operation_url="u-" + n,
             recovery_point=dict(name="1"), request=dict(properties={})) for n in names])


def jobs(*pairs):
    return dict(done=True, jobs=[dict(job_id="j-" + n, status=status, property_bag={}) for n, status in pairs])


class TestRestoreGroups:
    def test_hosts_with_the_same_variables_go_together_in_play_order(self):
        plan = restore_groups([["h1", call("rg-a", "vm1")], ["h2", call("rg-b", "vm2")], ["h3", call("rg-a", "vm3", "vm4")],
                               ["h4", None], ["h5", call("rg-a", "vm5", restore_disks_vault_name="")]])
        assert len(plan["groups"]) == 2
        a, b = plan["hosts"]["h1"]["group"], plan["hosts"]["h2"]["group"]
        assert plan["groups"][a]["leader"] == "h1" and plan["groups"][b]["leader"] == "h2"
        assert [v["name"] for v in plan["groups"][a]["vms"]] == ["vm1", "vm3", "vm4"]
        assert plan["groups"][a]["results_args"] == dict(restore_type="restore_disks", staging_storage_account="strestorewe",
                                                         target_resource_group="rg-a")
        assert plan["hosts"] == {"h1": {"leader": "h1", "group": a, "from": 0, "to": 1},
                                 "h2": {"leader": "h2", "group": b, "from": 0, "to": 1},
                                 "h3": {"leader": "h1", "group": a, "from": 1, "to": 3}}
        assert plan["refused"] == {"h5": REFUSAL}

    def test_other_credentials_make_another_group(self):
        plan = restore_groups([["h1", call("rg-a", "vm1")], ["h2", call("rg-a", "vm2", auth="a1")],
                               ["h3", call("rg-a", "vm3", auth="a0")]])
        assert [plan["hosts"][h]["leader"] for h in ("h1", "h2", "h3")] == ["h1", "h2", "h1"]

    def test_no_host(self):
        assert restore_groups([]) == dict(groups={}, hosts={}, refused={})


class TestDescribe:
    """A host's role variables -> its VMs as vm_restore's vms entries, or why they are refused."""

    def test_a_vm_sets_what_the_role_lets_it_set(self):
        out = describe(dict(BASE, restore_disks_recovery_point_id="rp-role", restore_disks_disk_luns=[0, 1],
                            restore_disks_target_zone="2", restore_disks_vms=[
                                dict(name="vm1", resource_group="rg-prod"),
                                dict(id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm2",
                                     name="ignored", recovery_point_id="rp-own", restore_os_disk_only="yes")]))
        assert out["problem"] == ""
        assert out["vms"] == [
            dict(name="vm1", resource_group="rg-prod", recovery_point_id="rp-role", disk_luns=[0, 1],
                 restore_os_disk_only=False, target_zone="2"),
            dict(id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm2",
                 recovery_point_id="rp-own", restore_os_disk_only=True, target_zone="2")]
        assert out["wait"] is True and out["fail_on_job_failure"] is True

    def test_new_vm_names_each_vm_and_needs_a_network(self):
        net = dict(restore_disks_restore_type="new_vm", restore_disks_target_virtual_network="vnet",
                   restore_disks_target_subnet="default", restore_disks_target_vm_name_suffix="-dr")
        vms = [dict(name="vm1", resource_group="rg-prod"), dict(name="vm2", resource_group="rg-prod", target_vm_name="x"),
               dict(id="/s/x/virtualMachines/vm3")]
        out = describe(dict(BASE, restore_disks_vms=vms, **net))
        assert [v["target_vm_name"] for v in out["vms"]] == ["vm1-dr", "x", "vm3-dr"]
        assert describe(dict(BASE, restore_disks_vms=vms, restore_disks_restore_type="new_vm"))["problem"] == REFUSAL

    def test_refused_variables_send_nothing(self):
        for bad in (dict(restore_disks_vault_name=""), dict(restore_disks_staging_storage_account=""),
                    dict(restore_disks_vms=[]), dict(restore_disks_vms=[dict(name="vm1")]),
                    dict(restore_disks_vms=[dict(resource_group="rg")]),
                    dict(restore_disks_restore_os_disk_only=True, restore_disks_disk_luns=[1])):
            variables = dict(BASE, restore_disks_vms=[dict(name="vm1", resource_group="rg-prod")])
            variables.update(bad)
            out = describe(variables)
            assert out["problem"] == REFUSAL and out["vms"] == [], bad


class TestRestoreShares:
    def plan(self):
        return restore_groups([["h1", call("rg-restore", "vm1")], ["h2", call("rg-restore", "vm2", "vm3")]])

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
        plan = restore_groups([["h1", call("rg-restore", "vm1", restore_disks_fail_on_job_failure=False)]])
        out = restore_shares(plan, {"h1": dict(started=started("vm1"), jobs=jobs(("vm1", "Failed")))})
        assert out["h1"]["verdict"] == "" and out["h1"]["results"][0]["status"] == "Failed"

    def test_a_refused_task_or_a_failed_leader_fails_the_whole_group(self):
        refused = restore_shares(self.plan(), {"h1": dict(started=dict(failed=True, msg="concurrency must be ..."))})
        assert refused["h2"]["results"] is None and refused["h2"]["verdict"] == "concurrency must be ..."
        gone = restore_shares(self.plan(), {})
        assert gone["h2"]["verdict"] == "The restores of host h1 failed: see its error"

    def test_a_refused_host_fails_with_why(self):
        plan = restore_groups([["h1", call("rg-restore", "vm1")], ["h2", call("rg-restore", "vm2", restore_disks_vms=[])]])
        out = restore_shares(plan, {"h1": dict(started=started("vm1"), jobs=jobs(("vm1", "Completed")))})
        assert out["h1"]["verdict"] == "" and out["h2"]["verdict"] == REFUSAL
        assert out["h2"]["results"] is None and out["h2"]["started"]["changed"] is False

    def test_jobs_unused_when_the_leader_did_not_wait(self):
        plan = restore_groups([["h1", call("rg-restore", "vm1")]])
        none = dict(changed=False, results=[dict(vm="rg-prod/vm1", failed=False, changed=True)])
        out = restore_shares(plan, {"h1": dict(started=none, jobs=jobs(("vm1", "Completed")))}, check_mode=True)
        assert out["h1"]["jobs"] == {} and out["h1"]["results"][0]["status"] == "CheckMode"


def test_filters_and_documentation():
    assert FilterModule().filters() == dict(restore_groups=restore_groups, restore_shares=restore_shares)
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc["name"] == "restore_groups" and "restore_shares" in " ".join(doc["description"])
    assert yaml.safe_load(plugin.RETURN)["_value"]["type"] == "dict" and yaml.safe_load(plugin.EXAMPLES)


def test_the_role_describes_a_host_with_every_option_but_its_credentials():
    """The restore_disks role passes this filter every option of its argument spec (restore_disks_auth only as a
    digest): an option left out would let hosts that differ in it restore together."""
    role = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "restore_disks")
    with open(os.path.join(role, "meta", "argument_specs.yml")) as f:
        spec = list(yaml.safe_load(f)["argument_specs"]["main"]["options"])
    with open(os.path.join(role, "tasks", "main.yml")) as f:
        describe_task = [t for t in yaml.safe_load(f) if t["name"] == "Describe this host's restores"][0]
    assert describe_task["vars"]["__restore_disks_options"] == [o for o in spec if o != "restore_disks_auth"]
    assert "restore_disks_auth" in describe_task["ansible.builtin.set_fact"]["__restore_disks_call"]["auth"]
