# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import inspect
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.azbackup.restore.plugins.filter import restore_drill as plugin
from ansible_collections.azbackup.restore.plugins.filter.restore_drill import (
    FilterModule,
    restore_drill_junit,
    restore_drill_markdown,
    restore_drill_report,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RUN_ID = "202612060230"
STARTED = "2026-12-06T02:30:00Z"
FINISHED = "2026-12-06T02:47:41Z"
HOSTILE = u'<b class="x">&amp; ]]> \x00\x07\x1b[31mred\x1b[0m \ud800 | *bold* _it_ `tick`'


def point(name, time, kind="AppConsistent"):
    return dict(id=SUB + "/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod/recoveryPoints/"
                + name, name=name, time=time, type=kind, tiers=[], disk_luns=[0])


def restore(vm, job_id, recovery_point):
    """The entry of one VM in vm_restore's ``results`` (the list form, wait=none)."""
    return dict(vm=vm, failed=False, changed=True, attached=False, job_id=job_id, recovery_point=recovery_point,
                msg="Restore of %s started" % vm)


def job(job_id, status="Completed", start="2026-12-06T02:30:12Z", end="2026-12-06T02:36:00Z", errors=None):
    """A job as restore_job_info returns it in ``jobs``."""
    return dict(id=SUB + "/backupJobs/" + job_id, job_id=job_id, status=status, operation="Restore",
                entity="vm", start_time=start, end_time=end, duration="PT5M48S", error_details=errors or [],
                recovery_point_time=None)


def verification(name, checked_at, failed=False, msg="", ready=True, provisioning="Succeeded", power="running",
                 agent="Ready"):
    """A result of the restored_vm module (state=present, wait_for=agent_ready)."""
    out = dict(failed=failed, changed=True, msg=msg, checked_at=checked_at,
               vm=dict(id=SUB + "/resourceGroups/rg-drill/providers/Microsoft.Compute/virtualMachines/" + name,
                       name=name, resource_group="rg-drill", provisioning_state=provisioning, power_state=power,
                       agent=dict(status=agent, message="Guest Agent is running", version="2.9.1.1")),
               marked=[], removed=[])
    if ready is not None:
        out["ready"] = ready
    return out


def check(rc, stdout="", stderr="", failed=None, start="2026-12-06T02:38:05.4178302+00:00",
          end="2026-12-06T02:39:17.0911874+00:00", state=None, msg=""):
    """A result of the vm_run_command module."""
    return dict(failed=(rc != 0) if failed is None else failed, changed=True, msg=msg, rc=rc, stdout=stdout,
                stderr=stderr, execution_state=state or ("Succeeded" if rc == 0 else "Failed"),
                start_time=start, end_time=end)


def record(vm, requested_at, restore_result, job_result, verified, checked, skipped_reason=None):
    name = vm.split("/")[1] + "-drill"
    out = dict(vm=vm, restored_vm_name=name, restored_resource_group="rg-drill", restore=restore_result,
               restore_requested_at=requested_at, job=job_result, verification=verified, check=checked)
    if skipped_reason is not None:
        out["skipped_reason"] = skipped_reason
    return out


AGENT_MSG = "VM agent not ready within 600 s (last status: Not Ready)"
ZRS_MSG = ("Failed to trigger restore of rg-prod/vm-app-003: (UserErrorStorageAccountIsZRS) The staging storage "
           "account is\nzone-redundant")

RECORDS = [
    # Passed, with a check script: RPO from a point with Azure's 7-digit fraction, RTO to the script's end.
    record("rg-prod/vm-web-01", "2026-12-06T02:30:05Z",
           restore("rg-prod/vm-web-01", "j-web", point("1", "2026-12-05T22:00:00.1234567Z")), job("j-web"),
           verification("vm-web-01-drill", "2026-12-06T02:38:00Z"), check(0, stdout="nginx active\n")),
    # Passed, without a check script: the point's time has an offset, RTO to the check of the VM.
    record("rg-prod/vm-db-01", "2026-12-06T02:30:07Z",
           restore("rg-prod/vm-db-01", "j-db", point("2", "2026-12-06T02:17:01+02:00", "CrashConsistent")),
           job("j-db"), verification("vm-db-01-drill", "2026-12-06T02:36:07Z"), None),
    # Its VM agent never got ready.
    record("rg-prod/vm-app-001", "2026-12-06T02:30:10Z",
           restore("rg-prod/vm-app-001", "j-app1", point("3", "2026-12-05T23:00:00Z")), job("j-app1"),
           verification("vm-app-001-drill", None, failed=True, msg=AGENT_MSG, ready=None, agent="Not Ready"), None,
           skipped_reason="the restored VM was not ready"),
    # Its check script exited 1, with hostile output.
    record("rg-prod/vm-app-002", "2026-12-06T02:30:12Z",
           restore("rg-prod/vm-app-002", "j-app2", point("4", "2026-12-06T01:00:00Z")), job("j-app2"),
           verification("vm-app-002-drill", "2026-12-06T02:37:00Z"),
           check(1, stdout=HOSTILE, stderr="error: service down\n", end="2026-12-06T02:38:30Z")),
    # Its restore failed to start.
    record("rg-prod/vm-app-003", "2026-12-06T02:30:01Z",
           dict(vm="rg-prod/vm-app-003", failed=True, changed=False, msg=ZRS_MSG, error_code="UserErrorStorageAccountIsZRS"),
           None, None, None, skipped_reason="the restore failed"),
]
REMOVED = [SUB + "/resourceGroups/rg-drill/providers/Microsoft.Compute/%s/x%d" % (kind, i)
           for i, kind in enumerate(["virtualMachines", "virtualMachines", "disks", "disks", "networkInterfaces",
                                     "networkInterfaces"])]
CLEANUP = dict(changed=True, marked=[], removed=REMOVED, duration=71.2)

# Expected figures, from the timestamps above.
RPO_WEB = 4 * 3600 + 29 * 60 + 59        # 02:30:00 - 22:00:00.1234567 = 4h 29m 59.88s, rounded down
RPO_DB = 2 * 3600 + 12 * 60 + 59         # 02:30:00 - 00:17:01 (02:17:01+02:00)
RPO_APP1 = 3 * 3600 + 30 * 60            # 02:30:00 - 23:00:00
RPO_APP2 = 90 * 60                       # 02:30:00 - 01:00:00
RTO_WEB = 9 * 60 + 12                    # 02:30:05 -> 02:39:17.09 (the script's end, after the VM's check at 02:38:00)
RTO_DB = 6 * 60                          # 02:30:07 -> 02:36:07 (the VM's check; no script)
ELAPSED_APP1 = 5 * 60 + 50               # 02:30:10 -> 02:36:00 (the job's end: the VM was never ready)
ELAPSED_APP2 = 8 * 60 + 18               # 02:30:12 -> 02:38:30 (the script's end)
FLEET_RTO = 9 * 60 + 16                  # 02:30:01 (first request, vm-app-003) -> 02:39:17.09 (last passed check)
DURATION = 17 * 60 + 41

VM_KEYS = ["vm", "restored_vm_name", "restored_resource_group", "restored_vm_id", "recovery_point", "job_id",
           "job_status", "status", "failed_step", "reason", "restore_requested_at", "verified_at", "rpo_seconds",
           "rto_seconds", "elapsed_seconds", "steps", "check"]
SUMMARY_KEYS = ["vms", "passed", "failed", "passed_all", "rpo_seconds", "rto_seconds", "fleet_rto_seconds", "run_id",
                "started_at", "finished_at", "duration_seconds", "vault", "cleanup", "summary_lines"]


def make_report(records=None, **options):
    options = dict(dict(vault_name="rsv-prod", vault_resource_group="rg-vault", cleanup=CLEANUP), **options)
    return restore_drill_report(copy.deepcopy(RECORDS if records is None else records), RUN_ID, STARTED, FINISHED,
                                **options)


@pytest.fixture(scope="module")
def report():
    return make_report()


def by_vm(report):
    return dict((vm["vm"], vm) for vm in report["vms"])


def test_report_layout(report):
    assert list(report) == ["format_version", "run_id", "started_at", "finished_at", "vault", "summary", "vms"]
    assert report["format_version"] == 1 and report["run_id"] == RUN_ID
    assert (report["started_at"], report["finished_at"]) == (STARTED, FINISHED)
    assert report["vault"] == dict(name="rsv-prod", resource_group="rg-vault")
    assert list(report["summary"]) == SUMMARY_KEYS
    assert [vm["vm"] for vm in report["vms"]] == [r["vm"] for r in RECORDS]
    assert all(list(vm) == VM_KEYS for vm in report["vms"])
    assert json.loads(json.dumps(report)) == report


def test_passed_vm_with_a_check_script(report):
    vm = by_vm(report)["rg-prod/vm-web-01"]
    assert (vm["status"], vm["failed_step"], vm["reason"]) == ("passed", None, None)
    assert vm["restored_vm_name"] == "vm-web-01-drill" and vm["restored_resource_group"] == "rg-drill"
    assert vm["restored_vm_id"].endswith("/virtualMachines/vm-web-01-drill")
    assert vm["recovery_point"] == dict(id=point("1", "")["id"], time="2026-12-05T22:00:00Z", type="AppConsistent")
    assert (vm["job_id"], vm["job_status"]) == ("j-web", "Completed")
    assert (vm["rpo_seconds"], vm["rto_seconds"], vm["elapsed_seconds"]) == (RPO_WEB, RTO_WEB, RTO_WEB)
    assert (vm["restore_requested_at"], vm["verified_at"]) == ("2026-12-06T02:30:05Z", "2026-12-06T02:39:17Z")
    assert [(s["name"], s["passed"]) for s in vm["steps"]] == [(name, True) for name in plugin.STEPS]
    assert vm["steps"][0]["message"] == "Restore of rg-prod/vm-web-01 started"
    assert vm["steps"][4]["message"] == "VM agent Ready (version 2.9.1.1)"
    assert vm["check"] == dict(rc=0, stdout="nginx active\n", stderr="")


def test_passed_vm_without_a_check_script(report):
    vm = by_vm(report)["rg-prod/vm-db-01"]
    assert vm["status"] == "passed" and vm["check"] is None
    assert [s["name"] for s in vm["steps"]] == ["restore", "job", "provisioning", "power_state", "vm_agent"]
    assert vm["recovery_point"]["time"] == "2026-12-06T00:17:01Z"
    assert (vm["rpo_seconds"], vm["rto_seconds"], vm["verified_at"]) == (RPO_DB, RTO_DB, "2026-12-06T02:36:07Z")


def test_vm_agent_never_ready(report):
    vm = by_vm(report)["rg-prod/vm-app-001"]
    assert (vm["status"], vm["failed_step"], vm["reason"]) == ("failed", "vm_agent", AGENT_MSG)
    assert [(s["name"], s["passed"]) for s in vm["steps"]] == [
        ("restore", True), ("job", True), ("provisioning", True), ("power_state", True), ("vm_agent", False)]
    assert (vm["rpo_seconds"], vm["rto_seconds"], vm["verified_at"]) == (RPO_APP1, None, None)
    assert vm["elapsed_seconds"] == ELAPSED_APP1 and vm["check"] is None


def test_check_script_exited_1(report):
    vm = by_vm(report)["rg-prod/vm-app-002"]
    assert (vm["status"], vm["failed_step"], vm["reason"]) == ("failed", "check_script", "check script exited 1")
    assert vm["steps"][-1] == dict(name="check_script", passed=False, message="check script exited 1")
    assert len(vm["steps"]) == 6 and all(s["passed"] for s in vm["steps"][:5])
    assert (vm["rpo_seconds"], vm["rto_seconds"], vm["elapsed_seconds"]) == (RPO_APP2, None, ELAPSED_APP2)
    assert vm["check"] == dict(rc=1, stdout=HOSTILE, stderr="error: service down\n")


def test_restore_failed_to_start(report):
    vm = by_vm(report)["rg-prod/vm-app-003"]
    assert (vm["status"], vm["failed_step"]) == ("failed", "restore")
    assert vm["reason"] == ("restore failed: Failed to trigger restore of rg-prod/vm-app-003: "
                            "(UserErrorStorageAccountIsZRS) The staging storage account is zone-redundant")
    assert vm["steps"] == [dict(name="restore", passed=False, message=vm["reason"])]
    assert vm["recovery_point"] is None and vm["rpo_seconds"] is None and vm["rto_seconds"] is None
    assert vm["job_id"] is None and vm["job_status"] is None and vm["restored_vm_id"] is None and vm["check"] is None


def test_fleet_summary(report):
    summary = report["summary"]
    assert (summary["vms"], summary["passed"], summary["failed"], summary["passed_all"]) == (5, 2, 3, False)
    assert summary["rpo_seconds"] == dict(max=RPO_WEB, mean=(RPO_WEB + RPO_DB) // 2)
    assert summary["rto_seconds"] == dict(max=RTO_WEB, mean=(RTO_WEB + RTO_DB) // 2)
    assert summary["fleet_rto_seconds"] == FLEET_RTO
    assert summary["duration_seconds"] == DURATION
    assert (summary["run_id"], summary["started_at"], summary["finished_at"]) == (RUN_ID, STARTED, FINISHED)
    assert summary["vault"] == report["vault"]
    assert summary["cleanup"] == dict(kept=False, removed=6, failed=False, msg="")
    assert summary["summary_lines"] == [
        "Restore drill 202612060230: 2 of 5 VMs passed; RPO max 4h 29m; RTO max 9m 12s",
        "FAILED rg-prod/vm-app-001: " + AGENT_MSG,
        "FAILED rg-prod/vm-app-002: check script exited 1",
        "FAILED rg-prod/vm-app-003: " + by_vm(report)["rg-prod/vm-app-003"]["reason"],
    ]


def test_all_passed_kept_and_a_failed_cleanup():
    kept = make_report(RECORDS[:2], cleanup=dict(skipped=True, changed=False), keep=True)["summary"]
    assert kept["passed_all"] is True and kept["failed"] == 0
    assert kept["cleanup"] == dict(kept=True, removed=None, failed=False, msg="")
    assert kept["fleet_rto_seconds"] == RTO_WEB  # 02:30:05 -> 02:39:17.09
    assert kept["summary_lines"] == ["Restore drill 202612060230: 2 of 2 VMs passed; RPO max 4h 29m; RTO max 9m 12s"]
    failed = make_report(RECORDS[:1], cleanup=dict(failed=True, msg="Refused:\n VM carries no mark", removed=[]))
    assert failed["summary"]["cleanup"] == dict(kept=False, removed=0, failed=True, msg="Refused: VM carries no mark")
    assert failed["summary"]["summary_lines"][1:] == ["CLEANUP FAILED: Refused: VM carries no mark"]


def test_no_vm_did_not_pass():
    summary = make_report([], cleanup=None)["summary"]
    assert (summary["vms"], summary["passed_all"], summary["fleet_rto_seconds"]) == (0, False, None)
    assert summary["rpo_seconds"] == dict(max=None, mean=None) == summary["rto_seconds"]
    assert summary["cleanup"] == dict(kept=False, removed=None, failed=False, msg="")
    assert summary["summary_lines"] == ["Restore drill 202612060230: 0 of 0 VMs passed; RPO max n/a; RTO max n/a"]


WEB = RECORDS[0]
STEP_CASES = [
    ("job failed", dict(job=job("j-web", "Failed", errors=[dict(code=1, title="UserErrorDiskCreation"), dict(code=2)])),
     "job", "restore job j-web Failed: UserErrorDiskCreation, 2"),
    ("job still running", dict(job=job("j-web", "InProgress", end=None)), "job", "restore job j-web still InProgress"),
    ("job not read", dict(job=None, skipped_reason="restore_job_info failed"), "job",
     "restore job not read: restore_job_info failed"),
    ("not verified", dict(verification=None, check=None, skipped_reason="the job failed"), "provisioning",
     "restored VM not verified: the job failed"),
    ("verification skipped", dict(verification=dict(skipped=True, changed=False), check=None), "provisioning",
     "restored VM not verified"),
    ("provisioning failed",
     dict(verification=verification("v", None, failed=True, msg="VM v is in provisioning state Failed",
                                    provisioning="Failed", power=None, agent=None)),
     "provisioning", "VM v is in provisioning state Failed"),
    ("stopped, without a message", dict(verification=verification("v", None, ready=False, power="PowerState/stopped")),
     "power_state", "VM power state stopped"),
    ("agent not ready, without a message", dict(verification=verification("v", None, ready=False, agent="Not Ready")),
     "vm_agent", "VM agent Not Ready (version 2.9.1.1)"),
    ("script timed out", dict(check=check(None, failed=True, state="TimedOut", msg="The script ran\nover 300 s")),
     "check_script", "check script failed (TimedOut): The script ran over 300 s"),
    ("script not run after a passed check", dict(check=None, skipped_reason="the run command was refused"),
     "check_script", "check script not run: the run command was refused"),
    ("restore not started", dict(restore=None, job=None, verification=None, check=None), "restore",
     "restore not started"),
]


@pytest.mark.parametrize("change, step, reason", [c[1:] for c in STEP_CASES], ids=[c[0] for c in STEP_CASES])
def test_failed_step_and_reason(change, step, reason):
    vm = make_report([dict(WEB, **change)])["vms"][0]
    assert (vm["status"], vm["failed_step"], vm["reason"]) == ("failed", step, reason)
    assert [s["name"] for s in vm["steps"]] == list(plugin.STEPS[:plugin.STEPS.index(step) + 1])
    assert vm["steps"][-1] == dict(name=step, passed=False, message=reason)
    assert vm["rto_seconds"] is None and vm["verified_at"] is None


def test_a_skipped_check_counts_as_no_check_script():
    vm = make_report([dict(WEB, check=dict(skipped=True, changed=False, skip_reason="Conditional result was False"))])
    vm = vm["vms"][0]
    assert vm["status"] == "passed" and vm["check"] is None
    assert vm["rto_seconds"] == 7 * 60 + 55  # 02:30:05 -> 02:38:00, the check of the VM


@pytest.mark.parametrize("time, rpo", [
    ("2026-12-05T22:00:00Z", 16200),
    ("2026-12-05T22:00:00+00:00", 16200),
    ("2026-12-05T23:30:00+01:30", 16200),
    ("2026-12-05T17:00:00-0500", 16200),
    ("2026-12-05T22:00:00", 16200),
    ("2026-12-05 22:00:00z", 16200),
    ("2026-12-05T22:00:00.1234567Z", 16199),
    ("2026-12-05T22:00:00.123456789+00:00", 16199),
    ("2026-12-05T21:59:59.9Z", 16200),
    ("2026-12-05T22:00Z", 16200),
])
def test_times_are_parsed_robustly(time, rpo):
    vm = make_report([dict(WEB, restore=dict(WEB["restore"], recovery_point=point("1", time)))])["vms"][0]
    assert vm["rpo_seconds"] == rpo


def test_started_and_finished_may_have_offsets_and_fractions():
    report = restore_drill_report([], 2026, "2026-12-06T03:30:00.5+01:00", datetime.datetime(2026, 12, 6, 2, 47, 41))
    assert (report["run_id"], report["started_at"], report["finished_at"]) == ("2026", STARTED, FINISHED)
    assert report["summary"]["duration_seconds"] == DURATION - 1  # the half second started_at has


def test_check_output_is_cut_to_its_last_4_kib():
    long_out = "x" * 6000 + "END"
    accented = u"é" * 3000  # 6000 bytes of UTF-8
    vm = make_report([dict(WEB, check=check(0, stdout=long_out, stderr=accented))])["vms"][0]
    stdout, stderr = vm["check"]["stdout"], vm["check"]["stderr"]
    marker, kept = stdout.split("\n", 1)
    assert marker == "[... cut: 1907 of 6003 bytes, the last 4096 kept ...]"
    assert kept == "x" * 4093 + "END"
    marker, kept = stderr.split("\n", 1)
    assert marker == "[... cut: 1904 of 6000 bytes, the last 4096 kept ...]" and kept == u"é" * 2048
    short = make_report([dict(WEB, check=check(0, stdout="y" * 4096))])["vms"][0]
    assert short["check"]["stdout"] == "y" * 4096


REFUSALS = [
    (lambda: restore_drill_report(dict(vm="a/b"), RUN_ID, STARTED, FINISHED), "expected a list of per-VM records"),
    (lambda: restore_drill_report("a/b", RUN_ID, STARTED, FINISHED), "expected a list of per-VM records, got str"),
    (lambda: restore_drill_report([dict(restore=None)], RUN_ID, STARTED, FINISHED), "naming its source VM in 'vm'"),
    (lambda: restore_drill_report(["rg/vm"], RUN_ID, STARTED, FINISHED), "naming its source VM in 'vm'"),
    (lambda: restore_drill_report([dict(vm="rg/vm", restore="started")], RUN_ID, STARTED, FINISHED),
     "restore of VM rg/vm must be a dict or null, not str"),
    (lambda: restore_drill_report([dict(vm="rg/vm", restore_requested_at="yesterday")], RUN_ID, STARTED, FINISHED),
     "restore_requested_at of VM rg/vm must be an ISO 8601 date or date-time"),
    (lambda: restore_drill_report([dict(vm="rg/vm", restore_requested_at="2026-02-30T00:00:00Z")], RUN_ID, STARTED,
                                  FINISHED), "restore_requested_at of VM rg/vm is not a valid date-time"),
    (lambda: restore_drill_report([], RUN_ID, "12/06/2026 02:30", FINISHED), "started_at must be an ISO 8601"),
    (lambda: restore_drill_report([], RUN_ID, STARTED, None), "started_at and finished_at are required"),
    (lambda: restore_drill_report([], RUN_ID, FINISHED, STARTED), "finished_at .* is before started_at"),
    (lambda: restore_drill_report([], " ", STARTED, FINISHED), "run_id must not be empty"),
    (lambda: restore_drill_report([], RUN_ID, STARTED, FINISHED, cleanup=["x"]), "cleanup must be the registered"),
    (lambda: restore_drill_junit(dict(vms=[])), "restore_drill_junit: expected the report of"),
    (lambda: restore_drill_junit([]), "restore_drill_junit: expected the report of"),
    (lambda: restore_drill_markdown(dict(format_version=1, vms=["rg/vm"])), "every entry of the report's vms"),
]


@pytest.mark.parametrize("call, message", REFUSALS)
def test_refusals(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()


# -- JUnit ----------------------------------------------------------------------------------------

def test_junit(report):
    text = restore_drill_junit(report)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites" and root.get("tests") == "5" and root.get("failures") == "3"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == "restore_drill 202612060230"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "3", "0")
    assert suite.get("time") == str(DURATION) and suite.get("timestamp") == "2026-12-06T02:30:00"
    properties = dict((p.get("name"), p.get("value")) for p in suite.find("properties"))
    assert properties == dict(run_id=RUN_ID, vault="rg-vault/rsv-prod", started_at=STARTED, finished_at=FINISHED)
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r["vm"] for r in RECORDS]
    assert set(c.get("classname") for c in cases) == set(["restore_drill.rsv-prod"])
    assert [c.get("time") for c in cases] == [str(RTO_WEB), str(RTO_DB), str(ELAPSED_APP1), str(ELAPSED_APP2), "0"]
    failures = [c.find("failure") for c in cases]
    assert [f is None for f in failures] == [True, True, False, False, False]
    assert [(f.get("type"), f.get("message")) for f in failures[2:]] == [
        ("vm_agent", AGENT_MSG), ("check_script", "check script exited 1"),
        ("restore", by_vm(report)["rg-prod/vm-app-003"]["reason"])]
    assert "vm_agent: FAILED - " + AGENT_MSG in failures[2].text
    assert "provisioning: passed - provisioning state Succeeded" in failures[2].text
    for case in cases:
        assert len(case.findall("system-out")) == 1
    web_out = cases[0].find("system-out").text
    assert "RPO: 4h 29m (%d s)" % RPO_WEB in web_out and "RTO: 9m 12s (%d s)" % RTO_WEB in web_out
    assert "recovery point: 2026-12-05T22:00:00Z (AppConsistent) " + point("1", "")["id"] in web_out
    assert "restored VM: rg-drill/vm-web-01-drill " + SUB in web_out and "job: j-web (Completed)" in web_out
    assert "RTO: n/a" in cases[4].find("system-out").text


def test_junit_escapes_hostile_text(report):
    text = restore_drill_junit(report)
    assert "]]&gt;" in text and "&lt;b class=" in text and "&amp;amp;" in text
    assert not re.search(u"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]", text)
    failure = ET.fromstring(text.encode("utf-8")).findall("testsuite/testcase")[3].find("failure")
    clean = HOSTILE.replace(u"\x00", u"\ufffd").replace(u"\x07", u"\ufffd").replace(u"\x1b", u"\ufffd")
    clean = clean.replace(u"\ud800", u"\ufffd")
    assert u"check script stdout:\n" + clean + u"\ncheck script stderr:\nerror: service down\n" in failure.text


def test_junit_escapes_hostile_attributes():
    hostile = dict(RECORDS[4], vm=u'rg/vm "<&>\x01', restore=dict(RECORDS[4]["restore"], msg=u'bad <x y="1"> & ]]>\x02'))
    text = restore_drill_junit(restore_drill_report([hostile], u'run <&"', STARTED, FINISHED, vault_name="rsv&1"))
    root = ET.fromstring(text.encode("utf-8"))
    case = root.find("testsuite/testcase")
    assert root.find("testsuite").get("name") == u'restore_drill run <&"'
    assert (case.get("classname"), case.get("name")) == (u"restore_drill.rsv&1", u'rg/vm "<&>\ufffd')
    assert case.find("failure").get("message") == u'restore failed: bad <x y="1"> & ]]>\ufffd'


# -- Markdown -------------------------------------------------------------------------------------

def cells(row):
    """The cells of a Markdown table row, split at the pipes that are not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_markdown(report):
    text = restore_drill_markdown(report)
    lines = text.splitlines()
    assert lines[0] == "# Restore drill 202612060230" and text.endswith("\n")
    assert lines[2] == ("Vault rg-vault/rsv-prod; started 2026-12-06T02:30:00Z, finished 2026-12-06T02:47:41Z (17m 41s); "
                        "**2 of 5 VMs passed**; RPO max 4h 29m (mean 3h 21m); RTO max 9m 12s (mean 7m 36s); "
                        "fleet RTO 9m 16s.")
    assert lines[4] == "| VM | Restored as | Recovery point | RPO | RTO | Result | Reason |"
    rows = [cells(line) for line in lines[6:]]
    assert len(rows) == 5 and all(len(row) == 7 for row in rows)
    assert rows[0] == ["rg-prod/vm-web-01", "rg-drill/vm-web-01-drill", "2026-12-05T22:00:00Z (AppConsistent)",
                       "4h 29m", "9m 12s", "passed", ""]
    assert rows[1][3:6] == ["2h 12m", "6m 0s", "passed"]
    assert rows[2][3:] == ["3h 30m", "n/a", r"**FAILED** (vm\_agent)", AGENT_MSG]
    assert rows[3][3:] == ["1h 30m", "n/a", r"**FAILED** (check\_script)", "check script exited 1"]
    assert rows[4][2:6] == ["", "n/a", "n/a", "**FAILED** (restore)"]


def test_markdown_escapes_pipes_newlines_and_markup():
    failed = dict(RECORDS[4]["restore"], msg="a | b <i>*c*</i> `d`\x00")
    hostile = dict(RECORDS[4], vm="rg/vm|x", restored_vm_name="a\nb", restore=failed)
    text = restore_drill_markdown(restore_drill_report([hostile], "r|1", STARTED, FINISHED))
    lines = text.splitlines()
    assert lines[0] == r"# Restore drill r\|1"
    row = cells(lines[-1])
    assert len(row) == 7
    assert row[0] == r"rg/vm\|x" and row[1] == "rg-drill/a<br>b"
    assert row[6] == u"restore failed: a \\| b \\<i\\>\\*c\\*\\</i\\> \\`d\\`\ufffd"
    assert "\x00" not in text


# -- the filter module and its documentation ------------------------------------------------------

def test_filter_module_exports_the_four_filters():
    assert FilterModule().filters() == dict(restore_drill_report=restore_drill_report,
                                            restore_drill_junit=restore_drill_junit,
                                            restore_drill_markdown=restore_drill_markdown,
                                            restore_drill_records=plugin.restore_drill_records)


# -- restore_drill_records: what the role registered, one record per VM -------------------------------

SOURCES = [dict(vm="rg-prod/vm-a", target_vm_name="vm-a-drill-1"), dict(vm="rg-prod/vm-b", target_vm_name="vm-b-drill-1"),
           dict(vm="rg-other/vm-a", target_vm_name="vm-a-drill-1x")]


def restore_entry(name, status, job_id=None):
    return dict(vm=name, status=status, job_id=job_id, msg="m-" + name, changed=True,
                recovery_point=dict(id="p", time="2026-12-06T01:00:00Z"), start_time="2026-12-06T02:30:10Z",
                end_time="2026-12-06T02:35:00Z" if status == "Completed" else None, error_details=[])


def async_result(label, **module_result):
    return dict(module_result, finished=1, drill_job=dict(drill_vm=dict(vm=label)))


def test_records_join_by_position_and_by_the_loop_variables():
    restores = [restore_entry("vm-a", "Completed", "j1"), restore_entry("vm-b", "FailedToStart"),
                restore_entry("vm-a", "Completed", "j3")]
    verified = {"results": [
        async_result("rg-prod/vm-a", ready=True, failed=False, checked_at="2026-12-06T02:36:00Z",
                     vm=dict(provisioning_state="Succeeded", power_state="running", agent=dict(status="Ready"))),
        # the role lets a failed verification pass (failed_when: false): not ready is a failure again
        async_result("rg-other/vm-a", failed=False, msg="VM vm-a-drill-1x was not running with a ready VM agent",
                     vm=dict(provisioning_state="Succeeded", power_state="running", agent=dict(status="Not Ready"))),
    ]}
    checked = [dict(rc=0, stdout="ok", finished=1,
                    drill_job=dict(drill_check=dict(drill_job=dict(drill_vm=dict(vm="rg-prod/vm-a"))))),
               dict(skipped=True)]
    records = plugin.restore_drill_records(SOURCES, restores=restores, requested_at="2026-12-06T02:30:00Z",
                                           verifications=verified, checks=checked, restored_resource_group="rg-drill")
    assert [r["vm"] for r in records] == ["rg-prod/vm-a", "rg-prod/vm-b", "rg-other/vm-a"]
    assert records[0]["job"]["job_id"] == "j1" and records[2]["job"]["job_id"] == "j3"
    assert records[0]["verification"]["failed"] is False and records[0]["check"]["rc"] == 0
    assert records[1]["restore"]["failed"] and records[1]["job"] is None and records[1]["verification"] is None
    assert records[2]["verification"]["failed"] is True and records[2]["check"] is None
    report = restore_drill_report(records, "1", "2026-12-06T02:29:00Z", "2026-12-06T02:40:00Z")
    assert [v["status"] for v in report["vms"]] == ["passed", "failed", "failed"]
    assert report["vms"][2]["failed_step"] == "vm_agent" and "ready VM agent" in report["vms"][2]["reason"]
    assert report["vms"][0]["rto_seconds"] == 360


def test_records_refuse_restores_that_do_not_match_the_sources():
    with pytest.raises(AnsibleFilterError, match="restores has 1 entries for 3 source VMs"):
        plugin.restore_drill_records(SOURCES, restores=[restore_entry("vm-a", "Completed", "j1")])
    with pytest.raises(AnsibleFilterError, match="list of source VMs"):
        plugin.restore_drill_records({"vm": "x"})


def test_an_unfinished_verification_is_a_failure_with_its_reason():
    verified = [dict(finished=0, msg="timed out", drill_job=dict(drill_vm=dict(vm="rg-prod/vm-a")))]
    records = plugin.restore_drill_records(SOURCES[:1], verifications=verified)
    assert records[0]["verification"]["failed"] and "did not finish" in records[0]["verification"]["msg"]


def doc_of(name):
    path = os.path.join(os.path.dirname(plugin.__file__), name + ".yml")
    with open(path) as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize("name", sorted(FilterModule().filters()))
def test_documentation_matches_the_filter(name):
    doc = doc_of(name)
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    assert doc["DOCUMENTATION"]["name"] == name
    assert "azbackup.restore." + name in doc["EXAMPLES"] and yaml.safe_load(doc["EXAMPLES"])
    parameters = inspect.signature(FilterModule().filters()[name]).parameters
    options = doc["DOCUMENTATION"]["options"]
    assert sorted(options) == sorted(["_input"] + list(parameters)[1:])
    for option, spec in options.items():
        if option != "_input":
            undocumented = inspect.Parameter.empty if spec.get("required") else None
            assert parameters[option].default == spec.get("default", undocumented), option
    assert list(doc["RETURN"]) == ["_value"]


def test_documented_report_keys(report):
    doc = doc_of("restore_drill_report")
    returned = doc["RETURN"]["_value"]["contains"]
    assert sorted(returned) == sorted(report)
    assert sorted(returned["summary"]["contains"]) == sorted(SUMMARY_KEYS)
    assert sorted(returned["vms"]["contains"]) == sorted(VM_KEYS)
    records = doc["DOCUMENTATION"]["options"]["_input"]["suboptions"]
    assert sorted(records) == sorted(set(k for r in RECORDS for k in r))
