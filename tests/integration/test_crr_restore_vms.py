# -*- coding: utf-8 -*-
"""crr_restore's list form (``vms``) against the emulator; the emulator's request log and state are the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from playbook import run_playbook

from test_crr_restore import DR, crr_jobs, failed, posts

VMS = ["vm-app-%03d" % i for i in range(11, 14)]

TASK = {"name": "fleet", "register": "r", "azbackup.restore.crr_restore": dict(
    vault_name="rsv-prod", vault_resource_group="rg-vault", restore_type="restore_disks",
    vms=[dict(name=vm, resource_group="rg-prod") for vm in VMS], concurrency=3, wait="none", **DR)}


def fleet_task(**args):
    task = json.loads(json.dumps(TASK))
    task["azbackup.restore.crr_restore"].update(args)
    return task


def replicated(emu, vm):
    """The newest recovery point of ``vm`` replicated to the secondary region."""
    rps = emu.control.state()["vaults"]["rsv-prod"]["items"][vm]["recovery_points"]
    return [p["name"] for p in rps if p["replicated"]][0]


def tokens(emu):
    """Every access token the emulator issued."""
    return [e["response_body"]["properties"]["accessTokenString"] for e in posts(emu, "/accessToken")
            if e["status"] == 200]


def test_three_vms_from_one_task_then_a_rerun_attaches(emu, emu_env):
    first = run_playbook([TASK], emu_env)
    assert first.rc == 0, first
    result = first.task("fleet")
    assert result["changed"] is True
    assert [r["vm"] for r in result["results"]] == ["rg-prod/" + vm for vm in VMS]
    assert all(r["changed"] and not r["failed"] and r["operation_url"] for r in result["results"])
    assert all(r["secondary_region"] == "northeurope" and r["access_token_source"] == "fetched"
               for r in result["results"])

    # one cross-region restore request per VM, in the secondary region, from its newest replicated point,
    # each with the token of its own recovery point
    sent = [p for p in posts(emu, "/backupCrossRegionRestore") if p["status"] == 202]
    assert len(sent) == len(VMS) and all("/locations/northeurope/" in p["path"] for p in sent)
    by_vm = dict((p["request_body"]["restoreRequest"]["sourceResourceId"].rsplit("/", 1)[1], p) for p in sent)
    assert sorted(by_vm) == VMS
    for vm, post in by_vm.items():
        assert post["request_body"]["restoreRequest"]["recoveryPointId"] == replicated(emu, vm)
        (token_post,) = posts(emu, "/accessToken", vm)
        assert "/recoveryPoints/%s/accessToken" % replicated(emu, vm) in token_post["path"]
        token = token_post["response_body"]["properties"]["accessTokenString"]
        assert post["request_body"]["crossRegionRestoreAccessDetails"]["accessTokenString"] == token
    # one cross-region restore job each
    jobs = crr_jobs(emu)
    assert sorted(jobs) == VMS and all(j["operation"] == "CrossRegionRestore" for j in jobs.values())
    # no token shows: not in the output, not in any task result
    issued = tokens(emu)
    assert len(issued) == len(VMS)
    assert not [t for t in issued if t in first.output or t in json.dumps(first.data)]

    second = run_playbook([TASK], emu_env)
    assert second.rc == 0, second
    again = second.task("fleet")
    assert again["changed"] is False
    assert all(r["attached"] and not r["changed"] and r["access_token_source"] is None for r in again["results"])
    assert [r["job_id"] for r in again["results"]] == [jobs[vm]["id"] for vm in VMS]
    assert len(posts(emu, "/backupCrossRegionRestore")) == len(VMS) and len(crr_jobs(emu)) == len(VMS)
    assert len(posts(emu, "/accessToken")) == len(VMS)


def test_access_details_with_vms_is_refused_before_any_request(emu, emu_env):
    task = fleet_task(access_details={"accessTokenString": "x.y.z", "recoveryPointId": "1"})
    task["ignore_errors"] = True
    result = run_playbook([task], emu_env)
    r = result.task("fleet")
    assert failed(r) and r.get("option") == "access_details", r
    assert "access_details and vms are mutually exclusive" in r["msg"]
    assert emu.control.requests() == []


def test_one_vm_failing_does_not_stop_the_others(emu, emu_env):
    refused = VMS[1]
    emu.control.add_fault(method="POST", path=r"%s/recoveryPoints/[^/]+/accessToken$" % refused, action="status",
                          status=400, code="UserErrorSomething", message="Azure refused the token of %s." % refused)
    result = run_playbook([fleet_task(fail_on_vm_failure=False)], emu_env)
    assert result.rc == 0, result
    r = result.task("fleet")
    assert r["changed"] is True
    assert [x["failed"] for x in r["results"]] == [False, True, False]
    bad = r["results"][1]
    assert bad["vm"] == "rg-prod/" + refused and bad["error_code"] == "UserErrorSomething"
    assert "access token" in bad["msg"] and "Azure refused the token of %s." % refused in bad["msg"]
    assert sorted(crr_jobs(emu)) == [VMS[0], VMS[2]]
    sent = posts(emu, "/backupCrossRegionRestore")
    assert sorted(p["request_body"]["restoreRequest"]["sourceResourceId"].rsplit("/", 1)[1] for p in sent) == \
        [VMS[0], VMS[2]]

    # the same without fail_on_vm_failure: the others still run, then the task fails naming the VM
    emu.control.reset()
    emu.control.add_fault(method="POST", path=r"%s/recoveryPoints/[^/]+/accessToken$" % refused, action="status",
                          status=400, code="UserErrorSomething", message="Azure refused the token of %s." % refused)
    task = fleet_task()
    task["ignore_errors"] = True
    strict = run_playbook([task], emu_env).task("fleet")
    assert failed(strict) and strict["msg"].startswith("Failed to restore 1 of 3 VMs: rg-prod/%s: " % refused)
    assert sorted(crr_jobs(emu)) == [VMS[0], VMS[2]]


def test_check_mode_sends_no_restore(emu, emu_env):
    result = run_playbook([TASK], emu_env, check=True)
    assert result.rc == 0, result
    r = result.task("fleet")
    assert r["changed"] is True and all(not x["failed"] and x["changed"] for x in r["results"])
    points = [x["request"]["restoreRequest"]["recoveryPointId"] for x in r["results"]]
    assert points == [replicated(emu, vm) for vm in VMS]
    assert all(x["request"]["crossRegionRestoreAccessDetails"]["accessTokenString"] ==
               "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" for x in r["results"])
    assert posts(emu, "/backupCrossRegionRestore") == [] and crr_jobs(emu) == {}
    issued = tokens(emu)
    assert len(issued) == len(VMS) and not [t for t in issued if t in result.output or t in json.dumps(result.data)]
