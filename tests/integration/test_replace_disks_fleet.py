# -*- coding: utf-8 -*-
"""The replace_disks role on several VMs: one plan task and one restore task for all of them.

Through playbooks/replace_disks.yml and its example vars (confirm: true, the newest snapshot point), with
the VMs of the emulator's fleet. The emulator's state and request log are the oracle.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from test_roles import fact, jobs, restore_posts, run, task_results

VMS = ["vm-app-%03d" % i for i in range(1, 4)]
PLAN = "Plan the replacement of every VM's disks (nothing is sent)"
START = "Replace the disks of every VM whose plan succeeded (without waiting)"
REPORT = "Report each VM's disks and the recovery point that will replace them"
VERDICT = "Fail unless every replacement succeeded"
VALIDATE = "/backupvalidateoperation"


@pytest.fixture
def fast(emu):
    """Replacements of about a second."""
    emu.control.update_settings(job_durations={"OriginalLocation": 1})
    return emu


def fleet(names=VMS):
    return [{"name": vm, "resource_group": "rg-prod"} for vm in names]


def vm_of_post(entry):
    """The VM a restore POST is for (its protected item, ...;rg-prod;<vm>/recoveryPoints/...)."""
    return entry["path"].split("/recoveryPoints/")[0].rsplit(";", 1)[1]


def vms_state(emu):
    return emu.control.state()["vms"]


def writes(emu):
    """The requests that could change something: every one but reads, tokens and Azure's validation."""
    return [e for e in emu.control.requests() if e["method"] not in ("GET", "HEAD") and e["kind"] != "aad"
            and not e["path"].lower().endswith(VALIDATE)]


def mentions(entry, vm):
    return vm in entry["path"] or vm in json.dumps(entry.get("request_body"))


def test_three_vms_from_one_plan_and_one_restore_task_then_a_rerun_attaches(fast, emu_env):
    emu = fast
    before = vms_state(emu)
    first = run("replace_disks", emu_env, extra_vars=dict(vms=fleet()))
    assert first.rc == 0, first

    # one restore POST per VM, one job each, and the VMs run on the restored disks
    sent = restore_posts(emu)
    assert sorted(vm_of_post(p) for p in sent) == VMS
    assert all(p["request_body"]["properties"]["recoveryType"] == "OriginalLocation" for p in sent)
    done = jobs(emu)
    assert sorted(j["vm_name"] for j in done) == VMS
    assert all(j["status"] == "Completed" and j["recovery_type"] == "OriginalLocation" for j in done)
    after = vms_state(emu)
    job_of = dict((j["vm_name"], j) for j in done)
    for vm in VMS:
        assert after[vm]["os_disk"]["id"] != before[vm]["os_disk"]["id"]
        assert after[vm]["os_disk"]["id"] in job_of[vm]["created"]

    # one task (not a loop) planned them, and one started them, each naming every VM
    (plan,) = task_results(first, PLAN)
    assert [r["vm"] for r in plan["results"]] == ["rg-prod/" + vm for vm in VMS]
    (start,) = task_results(first, START)
    assert [r["vm"] for r in start["results"]] == ["rg-prod/" + vm for vm in VMS]
    assert all(r["changed"] and not r["failed"] for r in start["results"])
    # each pinned to the point its plan chose
    assert [p["request_body"]["properties"]["recoveryPointId"] for p in sorted(sent, key=vm_of_post)] == \
        [r["recovery_point"]["name"] for r in plan["results"]]

    results = fact(first, "replace_disks_results")
    assert [r["vm"] for r in results] == VMS
    assert [r["job_id"] for r in results] == [job_of[vm]["id"] for vm in VMS]
    assert all(r["status"] == "Completed" and r["changed"] is True and r["restore_type"] == "replace_disks"
               for r in results)
    assert [r["disks_before"]["os_disk"]["id"] for r in results] == [before[vm]["os_disk"]["id"] for vm in VMS]
    assert [r["recovery_point"]["name"] for r in results] == [r["recovery_point"]["name"] for r in plan["results"]]

    # again: no restore POST, the same jobs, nothing changed
    second = run("replace_disks", emu_env, extra_vars=dict(vms=fleet()))
    assert second.rc == 0, second
    assert len(restore_posts(emu)) == len(VMS) and len(jobs(emu)) == len(VMS)
    assert vms_state(emu) == after
    assert second.stats["localhost"]["changed"] == 0
    again = fact(second, "replace_disks_results")
    assert [r["job_id"] for r in again] == [job_of[vm]["id"] for vm in VMS]
    assert all(r["changed"] is False and r["status"] == "Completed" for r in again)
    reported = [r["msg"]["action"] for r in task_results(second, REPORT) if r.get("_state") == "item_ok"]
    assert reported == ["already done by restore job %s; no new restore will start" % job_of[vm]["id"] for vm in VMS]


REFUSALS = [
    # deleted since its last backup: vm_info finds nothing and the plan refuses to replace its disks
    pytest.param({}, "does not exist", id="deleted-vm"),
    # a data disk its recovery point does not hold
    pytest.param({"disk_luns": [5]}, "disk_luns", id="lun-not-in-point"),
]


@pytest.mark.parametrize("entry, reason", REFUSALS)
def test_a_refused_vm_gets_no_restore_the_others_go_on_and_the_role_fails_naming_it(fast, emu_env, entry, reason):
    emu = fast
    refused = VMS[1]
    if not entry:
        emu.control.add_fault(method="GET", path=r"/virtualMachines/%s$" % refused, action="status", status=404,
                              code="ResourceNotFound",
                              message="The Resource 'Microsoft.Compute/virtualMachines/%s' under resource group "
                                      "'rg-prod' was not found." % refused)
    before = vms_state(emu)[refused]
    vms = fleet()
    vms[1].update(entry)
    result = run("replace_disks", emu_env, extra_vars=dict(vms=vms))
    assert result.rc != 0, result

    # the others were replaced, each once; nothing that writes was sent for the refused VM
    ok = [vm for vm in VMS if vm != refused]
    assert sorted(vm_of_post(p) for p in restore_posts(emu)) == ok
    assert sorted(j["vm_name"] for j in jobs(emu)) == ok and all(j["status"] == "Completed" for j in jobs(emu))
    assert not [e["path"] for e in emu.control.requests() if e["method"] == "POST" and mentions(e, refused)]
    assert vms_state(emu)[refused] == before

    # it was reported as refused before anything was replaced
    report = dict((r["msg"]["vm"], r["msg"]["action"]) for r in task_results(result, REPORT)
                  if r.get("_state") == "item_ok")
    assert report[refused].startswith("refused, its disks will not be replaced: ") and reason in report[refused]
    assert all(report[vm] == "the disks of the VM will be replaced" for vm in ok)

    results = dict((r["vm"], r) for r in fact(result, "replace_disks_results"))
    assert list(results) == VMS
    assert results[refused]["status"] == "FailedToStart" and reason in results[refused]["msg"]
    assert results[refused]["job_id"] == "" and results[refused]["changed"] is False
    assert all(results[vm]["status"] == "Completed" and results[vm]["job_id"] for vm in ok)

    # the role failed at the end, after publishing the results, naming the refused VM only
    (verdict,) = task_results(result, VERDICT)
    assert verdict["_state"] == "failed"
    assert "1 of 3 replacement(s) did not succeed: %s: FailedToStart" % refused in verdict["msg"]
    assert not any(vm in verdict["msg"] for vm in ok)


def test_check_mode_plans_every_vm_and_sends_no_write(emu, emu_env):
    before = vms_state(emu)
    result = run("replace_disks", emu_env, extra_vars=dict(vms=fleet()), check=True)
    assert result.rc == 0, result
    assert writes(emu) == [] and restore_posts(emu) == [] and jobs(emu) == []
    # Azure validated each VM's request (which changes nothing)
    validations = [e for e in emu.control.requests() if e["path"].lower().endswith(VALIDATE)]
    assert sorted(set(vm for vm in VMS for e in validations if mentions(e, vm))) == VMS
    assert vms_state(emu) == before
    results = fact(result, "replace_disks_results")
    assert [(r["vm"], r["status"], r["changed"]) for r in results] == [(vm, "CheckMode", True) for vm in VMS]
    assert all(r["recovery_point"]["name"] for r in results)


def test_concurrency_out_of_range_is_refused_before_anything_is_sent(emu, emu_env):
    result = run("replace_disks", emu_env, extra_vars=dict(vms=fleet(), replace_disks_concurrency=101))
    assert result.rc != 0
    (check,) = task_results(result, "Check the replace_disks variables")
    assert check["_state"] == "failed" and "replace_disks_concurrency must be between 1 and 100" in check["msg"]
    assert emu.control.requests() == []


def test_a_vm_named_twice_is_refused_before_anything_is_written(emu, emu_env):
    result = run("replace_disks", emu_env, extra_vars=dict(vms=fleet() + fleet(VMS[:1])))
    assert result.rc != 0
    (plan,) = task_results(result, PLAN)
    assert plan["_state"] == "failed" and "more than once" in plan["msg"] and VMS[0] in plan["msg"]
    assert writes(emu) == [] and jobs(emu) == []
