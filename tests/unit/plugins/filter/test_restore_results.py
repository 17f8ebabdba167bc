# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.azbackup.restore.plugins.filter import restore_results as plugin
from ansible_collections.azbackup.restore.plugins.filter.restore_results import (
    FilterModule,
    restore_failures,
    restore_results,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
VM_B_ID = SUB + "/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-b"
DISK = SUB + "/resourceGroups/rg-restore/providers/Microsoft.Compute/disks/%s"
POINT = dict(id=SUB + "/recoveryPoints/111", name="111", time="2026-11-23T15:42:15Z", type="AppConsistent",
             disk_luns=[0, 1, 2], tiers=["InstantRP"])
POINT_FIELDS = dict(id=POINT["id"], name="111", time="2026-11-23T15:42:15Z", type="AppConsistent")

PRIMARY_KEYS = ["vm", "vm_id", "restore_type", "changed", "job_id", "status", "msg", "recovery_point",
                "restored_disk_luns", "restored_disks", "config_blob_uri", "template_blob_uri", "storage_account",
                "target_resource_group", "target_vm_name", "start_time", "end_time", "error_details"]
SECONDARY_KEYS = PRIMARY_KEYS[:3] + ["secondary_region"] + PRIMARY_KEYS[3:]
REPLACE_KEYS = ["vm", "vm_id", "restore_type", "changed", "job_id", "status", "msg", "recovery_point",
                "replaced_disk_luns", "disks_before", "start_time", "end_time", "error_details"]


def job(job_id, status="Completed", bag=None, **extra):
    """A job as restore_job_info returns it in ``jobs``."""
    out = dict(id=SUB + "/backupJobs/" + job_id, job_id=job_id, status=status, operation="Restore",
               start_time="2026-11-23T16:43:20Z", end_time=None if status == "InProgress" else "2026-11-23T16:44:27Z",
               error_details=[], extended_info=dict(property_bag=bag or {}), target_storage_account="strestorewe",
               target_resource_group="rg-restore", target_vm_name=None,
               config_blob_uri="https://strestorewe.blob.core.windows.net/c/config-%s.json" % job_id,
               template_blob_uri="https://strestorewe.blob.core.windows.net/c/azuredeploy%s.json" % job_id)
    out.update(extra)
    return out


def started(item, **extra):
    """One loop item of vm_restore with wait=none."""
    out = dict(item=item, changed=True, attached=False, recovery_point=POINT,
               request=dict(properties=dict(sourceResourceId=item.get("id") or SUB + "/vm/" + item["name"],
                                            restoreDiskLunList=[0])))
    out.update(extra)
    return out


VM_A = dict(name="vm-a", resource_group="rg-prod")
VM_B = dict(id=VM_B_ID)
VM_C = dict(name="vm-c", resource_group="rg-prod")

SETTINGS = dict(restore_type="restore_disks", staging_storage_account="stsetting", target_resource_group="rgsetting")

# (id, registered loop, restore_job_info result, filter options, expected subset of each entry)
PRIMARY_CASES = [
    ("started restore", [started(VM_A, job_id="j-a")], dict(jobs=[job("j-a")], msg=""), SETTINGS,
     [dict(vm="vm-a", vm_id=SUB + "/vm/vm-a", restore_type="restore_disks", changed=True, job_id="j-a",
           status="Completed", msg="", recovery_point=POINT_FIELDS, restored_disk_luns=[0], restored_disks=[],
           config_blob_uri="https://strestorewe.blob.core.windows.net/c/config-j-a.json",
           template_blob_uri="https://strestorewe.blob.core.windows.net/c/azuredeployj-a.json",
           storage_account="strestorewe", target_resource_group="rg-restore", target_vm_name=None,
           start_time="2026-11-23T16:43:20Z", end_time="2026-11-23T16:44:27Z", error_details=[])]),
    ("attached to an earlier restore", [started(VM_A, job_id="j-a", changed=False, attached=True)],
     dict(jobs=[job("j-a", status="InProgress")], msg=""), SETTINGS,
     [dict(changed=False, job_id="j-a", status="InProgress", end_time=None)]),
    ("failed to start", [dict(item=VM_C, failed=True, changed=False, msg="Failed to trigger restore of vm-c: (E) no")],
     dict(changed=False, skipped=True, skip_reason="Conditional result was False"), SETTINGS,
     [dict(vm="vm-c", vm_id="", changed=False, job_id="", status="FailedToStart",
           msg="Failed to trigger restore of vm-c: (E) no", recovery_point=dict(id="", name="", time="", type=""),
           restored_disk_luns=[], restored_disks=[], config_blob_uri=None, template_blob_uri=None,
           storage_account="stsetting", target_resource_group="rgsetting", start_time=None, error_details=[])]),
    ("check mode", [started(VM_A), started(VM_B, request=dict(properties={}))],
     dict(changed=False, skipped=True), dict(SETTINGS, check_mode=True),
     [dict(vm="vm-a", status="CheckMode", job_id="", msg=""),
      dict(vm="vm-b", vm_id=VM_B_ID, status="CheckMode", restored_disk_luns=[0, 1, 2])]),
    ("no job outside check mode", [started(VM_A)], None, SETTINGS, [dict(status="Unknown", job_id="")]),
    ("jobs found by operation URL after the job ids",
     [started(VM_A, operation_url="https://op/a"), started(VM_B, job_id="j-b"), started(VM_C, job_id="j-b"),
      started(dict(name="vm-d", resource_group="rg"), operation_url="https://op/d")],
     dict(jobs=[job("j-b"), job("j-op-a", status="Failed", target_storage_account=None),
                job("j-op-d", status="InProgress")], msg="1 of 3 jobs failed"), dict(SETTINGS, restore_type="new_vm"),
     [dict(vm="vm-a", job_id="j-op-a", status="Failed", msg="1 of 3 jobs failed", storage_account="stsetting",
           restore_type="new_vm"),
      dict(vm="vm-b", job_id="j-b", status="Completed"), dict(vm="vm-c", job_id="j-b", status="Completed"),
      dict(vm="vm-d", job_id="j-op-d", status="InProgress")]),
    ("an operation URL still pending takes no position",
     [started(VM_A, operation_url="https://op/a"), started(VM_B, job_id="j-b"),
      started(VM_C, operation_url="https://op/c"), started(dict(name="vm-d", resource_group="rg"), operation_url="https://op/d")],
     dict(jobs=[job("j-b"), job("j-op-a"), job("j-op-d", status="InProgress")], pending_operation_urls=["https://op/c"],
          timed_out=True, done=False, msg=""), SETTINGS,
     [dict(vm="vm-a", job_id="j-op-a", status="Completed"), dict(vm="vm-b", job_id="j-b", status="Completed"),
      dict(vm="vm-c", job_id="", status="Unknown"), dict(vm="vm-d", job_id="j-op-d", status="InProgress")]),
    ("an operation URL whose job was not read", [started(VM_A, operation_url="https://op/a")],
     dict(failed=True, msg="Failed to read the jobs"), SETTINGS,
     [dict(job_id="", status="Unknown", msg="Failed to read the jobs", storage_account="stsetting")]),
    ("restored disks are the managed disk ids of the property bag",
     [started(VM_A, job_id="j-a")],
     dict(jobs=[job("j-a", bag={"Restored disks": "%s; %s" % (DISK % "os", DISK % "data0"),
                                "Disk Id": "not-a-resource-id", "Target VM Name": DISK % "os"})]), SETTINGS,
     [dict(restored_disks=[DISK % "os", DISK % "data0"])]),
]


def _check(entries, expected, keys):
    assert len(entries) == len(expected)
    for entry, want in zip(entries, expected):
        assert list(entry) == keys
        assert dict((k, entry[k]) for k in want) == want


@pytest.mark.parametrize("loop, jobs, options, expected", [c[1:] for c in PRIMARY_CASES],
                         ids=[c[0] for c in PRIMARY_CASES])
def test_restore_disks_results(loop, jobs, options, expected):
    _check(restore_results(dict(results=loop, changed=True), jobs=jobs, **options), expected, PRIMARY_KEYS)


def test_the_results_list_itself_is_accepted():
    loop = [started(VM_A, job_id="j-a")]
    assert restore_results(loop, jobs=dict(jobs=[job("j-a")])) == \
        restore_results(dict(results=loop), jobs=dict(jobs=[job("j-a")]))


def points_of(item, *points):
    """One loop item of recovery_point_info over the VMs."""
    return dict(item=item, recovery_points=list(points), changed=False)


SECONDARY_CASES = [
    ("started in the region the module chose",
     [dict(item=points_of(VM_A, POINT), job_id="j-a", changed=True, secondary_region="northeurope",
           request=dict(restoreRequest=dict(sourceResourceId=SUB + "/vm/vm-a", restoreDiskLunList=[1])))],
     dict(jobs=[job("j-a", operation="CrossRegionRestore")], secondary_region="westeurope", msg=""), "",
     [dict(vm="vm-a", vm_id=SUB + "/vm/vm-a", secondary_region="northeurope", job_id="j-a", status="Completed",
           recovery_point=POINT_FIELDS, restored_disk_luns=[1], restore_type="new_vm")]),
    ("the jobs' region when the item names none",
     [dict(item=points_of(VM_B, POINT), operation_url="https://op/b", changed=True, request=dict(restoreRequest={}))],
     dict(jobs=[job("j-b")], secondary_region="westeurope", msg=""), "uksouth",
     [dict(vm="vm-b", vm_id=VM_B_ID, secondary_region="westeurope", job_id="j-b", restored_disk_luns=[0, 1, 2])]),
    ("the role's region when nothing else names one",
     [dict(item=points_of(VM_C), failed=True, changed=False, msg="no token")], None, "uksouth",
     [dict(vm="vm-c", secondary_region="uksouth", status="FailedToStart", msg="no token",
           recovery_point=dict(id="", name="", time="", type=""), restored_disk_luns=[],
           storage_account="stne", target_resource_group="rg-dr")]),
]


@pytest.mark.parametrize("loop, jobs, region, expected", [c[1:] for c in SECONDARY_CASES],
                         ids=[c[0] for c in SECONDARY_CASES])
def test_secondary_region_restore_results(loop, jobs, region, expected):
    entries = restore_results(dict(results=loop), jobs=jobs, role="secondary_region_restore", restore_type="new_vm",
                              staging_storage_account="stne", target_resource_group="rg-dr", secondary_region=region)
    _check(entries, expected, SECONDARY_KEYS)


@pytest.mark.parametrize("listed", [False, True], ids=["loop of vm_info", "vm_info with vms"])
def test_replace_disks_results(listed):
    plan = [started(VM_A, job_id="j-a", attached=True), started(VM_B), started(VM_C)]
    loop = [dict(item=plan[0], job_id="j-a", changed=False), dict(item=plan[1], operation_url="https://op/b"),
            dict(item=plan[2], failed=True, changed=False, msg="refused")]
    os_disk = dict(name="vm-a-os", id=DISK % "vm-a-os", lun=None)
    current = dict(results=[dict(item=VM_A, vms=[dict(os_disk=os_disk, data_disks=[dict(lun=0, name="d0")])]),
                            dict(item=VM_B, vms=[])])
    if listed:  # vm_info's list form: one entry per VM, in order, a missing VM with exists=false
        current = dict(changed=False, vms=[dict(exists=True, os_disk=os_disk, data_disks=[dict(lun=0, name="d0")]),
                                           dict(exists=False, id=VM_B_ID, name="vm-b", resource_group="rg-prod")])
    entries = restore_results(dict(results=loop), jobs=dict(jobs=[job("j-a"), job("j-b", status="Cancelled")]),
                              role="replace_disks", restore_type="ignored", current=current)
    _check(entries, [
        dict(vm="vm-a", restore_type="replace_disks", changed=False, job_id="j-a", status="Completed",
             replaced_disk_luns=[0], recovery_point=POINT_FIELDS,
             disks_before=dict(os_disk=os_disk, data_disks=[dict(lun=0, name="d0")])),
        dict(vm="vm-b", vm_id=VM_B_ID, changed=False, job_id="j-b", status="Cancelled",
             disks_before=dict(os_disk=None, data_disks=[])),
        dict(vm="vm-c", status="FailedToStart", msg="refused", disks_before=dict(os_disk=None, data_disks=[])),
    ], REPLACE_KEYS)


ENTRIES = [
    dict(vm="vm-a", status="Completed", job_id="j-a", msg="", error_details=[]),
    dict(vm="vm-b", status="CompletedWithWarnings", job_id="j-b", msg="", error_details=[]),
    dict(vm="vm-c", status="FailedToStart", job_id="", msg="Failed to trigger restore of vm-c: (E) no",
         error_details=[]),
    dict(vm="vm-d", status="Failed", job_id="j-d", msg="1 of 5 jobs failed",
         error_details=[dict(code=130002, title="UserErrorDiskCreation"), dict(code=1), dict(title="UserErrorOther")]),
    dict(vm="vm-e", status="InProgress", job_id="j-e", msg="", error_details=[]),
    dict(vm="vm-f", status="CheckMode", job_id="", msg="", error_details=[]),
]
TEXT_C = "vm-c: FailedToStart - Failed to trigger restore of vm-c: (E) no"
TEXT_D = "vm-d: Failed (job j-d) - 1 of 5 jobs failed - UserErrorDiskCreation, UserErrorOther"

FAILURE_CASES = [
    ("waited", dict(), [TEXT_C, TEXT_D, "vm-e: InProgress (job j-e)", "vm-f: CheckMode"]),
    ("without waiting", dict(wait=False), [TEXT_C, TEXT_D, "vm-f: CheckMode"]),
    ("check mode", dict(check_mode=True), [TEXT_C, TEXT_D, "vm-e: InProgress (job j-e)"]),
]


@pytest.mark.parametrize("options, expected", [c[1:] for c in FAILURE_CASES], ids=[c[0] for c in FAILURE_CASES])
def test_restore_failures(options, expected):
    assert restore_failures(ENTRIES, **options) == expected


def test_restore_failures_of_nothing():
    assert restore_failures([]) == [] and restore_failures(ENTRIES[:2]) == []


@pytest.mark.parametrize("call, message", [
    (lambda: restore_results([], role="restore"), "role must be one of"),
    (lambda: restore_results("text"), "registered result of a loop"),
    (lambda: restore_results([], jobs=["j-a"]), "registered result of restore_job_info"),
])
def test_refusals(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()


def test_filter_module_exports_both_filters():
    assert FilterModule().filters() == dict(restore_results=restore_results, restore_failures=restore_failures)


def test_documentation_matches_the_filter():
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    assert doc["name"] == "restore_results"
    params = list(inspect.signature(restore_results).parameters)
    assert sorted(doc["options"]) == sorted(["_input"] + params[1:])
    for name, option in doc["options"].items():
        if name != "_input" and "default" in option:
            assert inspect.signature(restore_results).parameters[name].default == option["default"], name
    assert sorted(doc["options"]["role"]["choices"]) == sorted(plugin.ROLES)
    returned = yaml.safe_load(plugin.RETURN)["_value"]["contains"]
    assert sorted(returned) == sorted(set(PRIMARY_KEYS + SECONDARY_KEYS + REPLACE_KEYS))
    assert yaml.safe_load(plugin.EXAMPLES)


def test_the_list_form_of_vm_restore_is_accepted():
    """One vm_restore task with ``vms``: its results name each VM as resource_group/name, without an item."""
    loop = [started(VM_A, job_id="j-a"), started(VM_B, operation_url="https://op/b"),
            dict(item=VM_C, failed=True, changed=False, msg="Failed to trigger restore of vm-c: (E) no")]
    listed = []
    for result, vm in zip(loop, ["rg-prod/vm-a", "rg-prod/vm-b", "rg-prod/vm-c"]):
        result = dict(result, vm=vm, failed=result.get("failed", False))
        del result["item"]
        listed.append(result)
    jobs = dict(jobs=[job("j-a"), job("j-op-b")], msg="")
    from_list = restore_results(dict(results=listed, changed=True), jobs=jobs, **SETTINGS)
    from_loop = restore_results(dict(results=loop, changed=True), jobs=jobs, **SETTINGS)
    assert [e["vm"] for e in from_list] == ["vm-a", "vm-b", "vm-c"]
    assert [e["status"] for e in from_list] == ["Completed", "Completed", "FailedToStart"]
    assert from_list == from_loop


def test_the_list_form_of_crr_restore_is_accepted():
    """One crr_restore task with ``vms``: each result names its VM and carries its own recovery point and region."""
    listed = [dict(vm="rg-prod/vm-a", failed=False, changed=True, job_id="j-a", secondary_region="northeurope",
                   recovery_point=POINT, request=dict(restoreRequest=dict(sourceResourceId=SUB + "/vm/vm-a",
                                                                          restoreDiskLunList=[1]))),
              dict(vm="rg-prod/vm-b", failed=False, changed=True, operation_url="https://op/b", recovery_point=POINT,
                   request=dict(restoreRequest=dict(sourceResourceId=VM_B_ID))),
              dict(vm="rg-prod/vm-c", failed=True, changed=False, msg="no recovery point of vm-c matches")]
    jobs = dict(jobs=[job("j-a", operation="CrossRegionRestore"), job("j-op-b")], secondary_region="westeurope",
                msg="")
    entries = restore_results(dict(results=listed, changed=True), jobs=jobs, role="secondary_region_restore",
                              restore_type="restore_disks", staging_storage_account="stne", target_resource_group="rg-dr",
                              secondary_region="uksouth")
    _check(entries, [
        dict(vm="vm-a", vm_id=SUB + "/vm/vm-a", secondary_region="northeurope", job_id="j-a", status="Completed",
             recovery_point=POINT_FIELDS, restored_disk_luns=[1]),
        dict(vm="vm-b", vm_id=VM_B_ID, secondary_region="westeurope", job_id="j-op-b", status="Completed",
             recovery_point=POINT_FIELDS, restored_disk_luns=[0, 1, 2]),
        dict(vm="vm-c", vm_id="", status="FailedToStart", msg="no recovery point of vm-c matches",
             recovery_point=dict(id="", name="", time="", type=""), storage_account="stne")], SECONDARY_KEYS)
