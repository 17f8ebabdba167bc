# -*- coding: utf-8 -*-
"""The restore_drill role (playbooks/restore_drill.yml) against the emulator.

The oracles: the report files (parsed as JSON and as JUnit XML), the emulator's request log (restores, writes)
and its resources (nothing the drill created is left).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import signal
import time
import xml.etree.ElementTree as ET

import pytest

from playbook import REPO, run_playbook, start_playbook

PLAYBOOK = os.path.join(REPO, "playbooks", "restore_drill.yml")
VMS = ["vm-app-001", "vm-app-002", "vm-app-003"]
TAG = "azbackup-restore-drill"
DRILL_RG = "/resourcegroups/rg-drill/"


def params(tmp_path, run_id="r1", **extra):
    out = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_names=",".join(VMS),
               vm_resource_group="rg-prod", drill_resource_group="rg-drill", drill_virtual_network="vnet-drill",
               drill_virtual_network_resource_group="rg-drill-net", drill_subnet="default",
               staging_storage_account="strestorewe", staging_storage_account_resource_group="rg-restore",
               run_id=run_id, report_dir=str(tmp_path / "reports"), poll_interval=2, vm_poll_interval=1,
               agent_timeout=60, check_script_linux="set -e\ntest -s /etc/hostname\n")
    out.update(extra)
    return out


@pytest.fixture
def fast(emu):
    emu.control.update_settings(job_durations={"AlternateLocation": 3},
                                guest={"boot_seconds": 1, "agent_ready_seconds": 2, "run_command_seconds": 1},
                                delete_seconds=1)
    return emu


def drill_resources(emu):
    """The ids of the resources of rg-drill, from the emulator's state."""
    return sorted(r["id"] for r in emu.control.state()["resources"] if DRILL_RG in r["id"].lower())


def restore_posts(emu):
    return [e for e in emu.control.requests() if e["method"] == "POST" and e["path"].split("?")[0].endswith("/restore")]


def writes(emu):
    """Requests that change something (a validation only reads)."""
    return [e for e in emu.control.requests() if e["method"] in ("PUT", "PATCH", "DELETE", "POST")
            and "/oauth2/" not in e["path"] and "/backupValidateOperation" not in e["path"]]


def reports(tmp_path, run_id="r1"):
    base = tmp_path / "reports" / ("restore-drill-%s" % run_id)
    report = json.loads((base.parent / (base.name + ".json")).read_text())
    junit = ET.parse(str(base.parent / (base.name + ".xml"))).getroot()
    markdown = (base.parent / (base.name + ".md")).read_text()
    return report, junit, markdown


def test_a_passing_drill_of_three_vms(fast, emu_env, tmp_path):
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path), timeout=300)
    assert res.rc == 0, res.output[-8000:]
    report, junit, markdown = reports(tmp_path)
    assert report["summary"]["passed"] == 3 and report["summary"]["passed_all"]
    assert [v["vm"] for v in report["vms"]] == ["rg-prod/" + vm for vm in VMS]
    for vm in report["vms"]:
        assert vm["status"] == "passed" and vm["restored_vm_name"].endswith("-drill-r1")
        assert isinstance(vm["rpo_seconds"], int) and vm["rpo_seconds"] > 0
        assert isinstance(vm["rto_seconds"], int) and vm["rto_seconds"] >= 0
        assert vm["check"]["rc"] == 0 and [s["name"] for s in vm["steps"]][-1] == "check_script"
    suite = junit.find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "0"
    assert sorted(c.get("name") for c in suite.findall("testcase")) == ["rg-prod/" + vm for vm in VMS]
    assert "vm-app-002-drill-r1" in markdown
    assert len(restore_posts(emu=fast)) == 3
    assert drill_resources(fast) == []
    assert "Restore drill r1: 3 of 3 VMs passed" in res.output


def test_the_vms_of_the_vault_matching_the_filters(fast, emu_env, tmp_path):
    extra = params(tmp_path, vm_names="", vm_filters={"vm_resource_group": "rg-prod", "vm_name": "vm-app-00[12]"},
                   check_script_linux="")
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=extra, timeout=300)
    assert res.rc == 0, res.output[-6000:]
    report, dummy, dummy2 = reports(tmp_path)
    assert sorted(v["vm"] for v in report["vms"]) == ["rg-prod/vm-app-001", "rg-prod/vm-app-002"]
    assert all(v["check"] is None and v["status"] == "passed" for v in report["vms"])
    assert drill_resources(fast) == []


def test_a_failing_check_fails_the_play_after_cleaning_up(fast, emu_env, tmp_path):
    fast.control.update_settings(guest={"run_command_outcomes": [
        {"vm": "vm-app-002-*", "exit_code": 3, "stdout": "checking\n", "stderr": "nginx is not running\n"}]})
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path), timeout=300)
    assert res.rc != 0
    report, junit, dummy = reports(tmp_path)
    failed = [v for v in report["vms"] if v["status"] == "failed"]
    assert [v["vm"] for v in failed] == ["rg-prod/vm-app-002"]
    assert failed[0]["failed_step"] == "check_script" and "exited 3" in failed[0]["reason"]
    assert failed[0]["check"]["stderr"] == "nginx is not running\n"
    assert junit.find("testsuite").get("failures") == "1"
    assert "rg-prod/vm-app-002: check script exited 3" in res.output
    assert drill_resources(fast) == []


def test_an_agent_that_never_gets_ready(fast, emu_env, tmp_path):
    fast.control.update_settings(guest={"agent_never_ready": ["vm-app-003-*"]})
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path, agent_timeout=6), timeout=300)
    assert res.rc != 0
    report, dummy, dummy2 = reports(tmp_path)
    by_vm = dict((v["vm"], v) for v in report["vms"])
    assert by_vm["rg-prod/vm-app-003"]["failed_step"] == "vm_agent"
    assert "Not Ready" in by_vm["rg-prod/vm-app-003"]["reason"]
    assert by_vm["rg-prod/vm-app-001"]["status"] == "passed"
    assert drill_resources(fast) == []


def test_an_interrupted_drill_is_finished_and_cleaned_up_by_its_rerun(fast, emu_env, tmp_path):
    # The first run keeps what it restored, as a drill cut short after its restores would leave it.
    first = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path, keep=True), timeout=300)
    assert first.rc == 0, first
    left = drill_resources(fast)
    assert len([i for i in left if "/virtualmachines/" in i.lower()]) == 3, (left, first.output[-5000:])
    # Another run id is refused while those are there, naming the run.
    other = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path, run_id="r2"), timeout=300)
    assert other.rc != 0 and "drill run r1 left behind" in other.output
    second = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path), timeout=300)
    assert second.rc == 0, second
    assert len(restore_posts(fast)) == 3  # the re-run attached to the first run's restores
    assert drill_resources(fast) == []


def test_a_drill_killed_while_restoring_is_finished_by_its_rerun(fast, emu_env, tmp_path):
    fast.control.update_settings(job_durations={"AlternateLocation": 20})
    proc = start_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path))
    try:
        deadline = time.monotonic() + 120
        while len(restore_posts(fast)) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(restore_posts(fast)) == 3
    assert not (tmp_path / "reports").exists()  # killed before its end
    fast.control.update_settings(job_durations={"AlternateLocation": 3})
    second = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path), timeout=300)
    assert second.rc == 0, second
    assert len(restore_posts(fast)) == 3
    report, dummy, dummy2 = reports(tmp_path)
    assert report["summary"]["passed"] == 3
    assert drill_resources(fast) == []


@pytest.mark.parametrize("overrides,needle", [
    (dict(drill_resource_group="rg-restore"), "resource(s) the drill did not create"),
    (dict(drill_resource_group="rg-prod"), "is the resource group of the source VM rg-prod/vm-app-001"),
    (dict(drill_virtual_network="vnet-peered"), "vnet-peered is peered with"),
    (dict(drill_virtual_network="vnet-gateway"), "vnet-gateway has a gateway"),
    (dict(drill_virtual_network="vnet-nowhere"), "vnet-nowhere does not exist"),
    (dict(drill_virtual_network="rg-prod-vnet", drill_virtual_network_resource_group="rg-prod"),
     "rg-prod-vnet is the network of the source VM rg-prod/vm-app-001"),
    (dict(drill_resource_group="rg-missing"), "resource group rg-missing does not exist"),
])
def test_every_safety_refusal_creates_and_deletes_nothing(fast, emu_env, tmp_path, overrides, needle):
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path, **overrides), timeout=300)
    assert res.rc != 0 and needle in res.output, res
    assert "nothing was created or deleted" in res.output
    assert writes(fast) == []
    assert not (tmp_path / "reports").exists()


def test_restored_vm_in_a_resource_group_that_does_not_exist_fails_naming_it(emu, emu_env):
    args = dict(resource_group="rg-typo", name="vm-app-001", tags={TAG: "r1"})
    res = run_playbook([
        {"name": "absent", "azbackup.restore.restored_vm": dict(args, state="absent"), "ignore_errors": True},
        {"name": "present", "azbackup.restore.restored_vm": args, "ignore_errors": True},
    ], emu_env)
    for name in ("absent", "present"):
        out = res.task(name)
        assert out.get("_state") == "failed" and out["option"] == "resource_group", out
        assert out["error_code"] == "ResourceGroupNotFound" and "resource group rg-typo does not exist" in out["msg"]
    assert writes(emu) == []


def test_check_mode_restores_nothing(fast, emu_env, tmp_path):
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path), check=True, timeout=300)
    assert res.rc == 0, res
    assert writes(fast) == [] and drill_resources(fast) == []


def test_credentials_given_to_the_role_reach_every_module(fast, emu_env, tmp_path):
    auth = dict(client_id=emu_env["AZURE_CLIENT_ID"], secret=emu_env["AZURE_SECRET"], tenant=emu_env["AZURE_TENANT"],
                subscription_id=emu_env["AZURE_SUBSCRIPTION_ID"], cloud_environment=emu_env["AZURE_CLOUD_ENVIRONMENT"])
    env = dict((k, v) for k, v in emu_env.items() if not k.startswith("AZURE_") and k != "ANSIBLE_AZURE_AUTH_SOURCE")
    role_vars = dict(restore_drill_auth=auth, restore_drill_vault_name="rsv-prod", restore_drill_vault_resource_group="rg-vault",
                     restore_drill_vms=[dict(name="vm-app-001", resource_group="rg-prod")],
                     restore_drill_resource_group="rg-drill", restore_drill_virtual_network="vnet-drill",
                     restore_drill_virtual_network_resource_group="rg-drill-net", restore_drill_subnet="default",
                     restore_drill_staging_storage_account="strestorewe",
                     restore_drill_staging_storage_account_resource_group="rg-restore", restore_drill_run_id="c1",
                     restore_drill_report_dir=str(tmp_path / "reports"))
    tasks = [{"name": "drill", "ansible.builtin.include_role": {"name": "azbackup.restore.restore_drill"},
              "vars": role_vars}]
    res = run_playbook(tasks, env, check=True, timeout=300)
    assert res.rc == 0, res.output[-6000:]
    assert "rg-prod/vm-app-001 -> rg-drill/vm-app-001-drill-c1: would be restored" in res.output
    assert writes(fast) == []
