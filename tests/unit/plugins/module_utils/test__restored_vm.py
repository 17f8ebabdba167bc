# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_compute and _restored_vm against a small scripted ARM: reads, the Tags API, deletes that take a poll."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

import pytest

from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import RGS, SUB, Clock, FakeClient

DRILL = RGS + "/rg-drill"
VM_ID = DRILL + "/providers/Microsoft.Compute/virtualMachines/vm-a-drill-1"
OS_DISK = DRILL + "/providers/Microsoft.Compute/disks/vm-a-osdisk"
DATA_DISK = DRILL + "/providers/Microsoft.Compute/disks/vm-a-datadisk-0"
NIC = DRILL + "/providers/Microsoft.Network/networkInterfaces/vm-a-drill-1-nic"
OTHER_VM = DRILL + "/providers/Microsoft.Compute/virtualMachines/vm-b-drill-2"
MARK = {"azbackup-restore-drill": "1"}
OP = "https://management.azure.com/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/" % SUB


def vm_body(vm_id=VM_ID, tags=None, power="running", agent="Ready", provisioning="Succeeded", disks=(OS_DISK, DATA_DISK),
            nics=(NIC,)):
    return {
        "id": vm_id, "name": vm_id.rsplit("/", 1)[-1], "location": "westeurope", "tags": dict(tags or {}),
        "properties": {
            "provisioningState": provisioning,
            "storageProfile": {"osDisk": {"osType": "Linux", "managedDisk": {"id": disks[0]}},
                               "dataDisks": [{"lun": i, "managedDisk": {"id": d}} for i, d in enumerate(disks[1:])]},
            "networkProfile": {"networkInterfaces": [{"id": n} for n in nics]},
            "instanceView": {
                "statuses": [{"code": "ProvisioningState/%s" % provisioning.lower()}, {"code": "PowerState/%s" % power}],
                "vmAgent": {"vmAgentVersion": "2.9.1.1", "statuses": [{"displayStatus": agent, "message": "m"}]}},
        }}


def group_not_found(group):
    return 404, {"x-ms-correlation-request-id": "corr-rg"}, {"error": {
        "code": "ResourceGroupNotFound", "message": "Resource group '%s' could not be found." % group}}


class Arm(object):
    """Resources by id; DELETE answers 202 and the resource goes at the first poll of its operation.
    Anything in a resource group of ``missing_groups`` (lower case) is answered ``ResourceGroupNotFound``."""

    def __init__(self, *bodies):
        self.res = dict((b["id"].lower(), copy.deepcopy(b)) for b in bodies)
        self.ops = {}
        self.refuse = {}
        self.missing_groups = set()
        self.client = FakeClient(self.handle)

    def handle(self, method, url, params, body):
        path = url.replace("https://management.azure.com", "").lower()
        group = re.match(r"/subscriptions/[^/]+/resourcegroups/([^/]+)", path)
        if group and group.group(1) in self.missing_groups:
            return group_not_found(group.group(1))
        if path.startswith("/subscriptions/%s/providers/microsoft.compute/locations/" % SUB):
            gone = self.ops.pop(path.rsplit("/", 1)[-1])
            self.res.pop(gone, None)
            return 200, {}, {"status": "Succeeded"}
        if path.endswith("/providers/microsoft.resources/tags/default"):
            target = self.res[path[:-len("/providers/microsoft.resources/tags/default")]]
            target.setdefault("tags", {}).update(body["properties"]["tags"])
            return 200, {}, {"properties": {"tags": target["tags"]}}
        if path.endswith("/resources"):
            prefix = path[:-len("resources")]
            return 200, {}, {"value": [dict(id=b["id"], name=b["name"], tags=b.get("tags"), managedBy=b.get("managedBy"))
                                       for k, b in sorted(self.res.items()) if k.startswith(prefix)]}
        if path.endswith("/providers/microsoft.compute/virtualmachines"):
            return 200, {}, {"value": [b for k, b in sorted(self.res.items()) if k.startswith(path + "/")]}
        if method == "DELETE":
            if path in self.refuse:
                return self.refuse[path]
            if path not in self.res:
                return 204, {}, None
            op = "op%d" % (len(self.ops) + 1)
            self.ops[op] = path
            return 202, {"Azure-AsyncOperation": OP + op}, None
        if path in self.res:
            return 200, {}, self.res[path]
        return 404, {}, {"error": {"code": "ResourceNotFound", "message": "not found"}}


def owned():
    return [
        {"id": OS_DISK, "name": "vm-a-osdisk", "managedBy": VM_ID},
        {"id": DATA_DISK, "name": "vm-a-datadisk-0", "managedBy": VM_ID},
        {"id": NIC, "name": "vm-a-drill-1-nic", "properties": {"virtualMachine": {"id": VM_ID}}},
    ]


@pytest.fixture
def clock(monkeypatch):
    from ansible_collections.azbackup.restore.plugins.module_utils import _restored_vm

    c = Clock(1000.0)
    monkeypatch.setattr(_restored_vm, "_sleep", c.sleep)
    monkeypatch.setattr(_restored_vm, "_clock", c)
    return c


def run(arm, check_mode=False, **params):
    from ansible_collections.azbackup.restore.plugins.module_utils._restored_vm import RestoredVm

    present = params.get("state", "present") == "present"
    base = dict(resource_group="rg-drill", name="vm-a-drill-1" if present else None, tags=None, name_pattern=None, wait_for="exists",
                wait_timeout=600, poll_interval=None)
    base.update(params)
    work = RestoredVm(arm.client, SUB, base, check_mode=check_mode)
    return work, (work.present() if present else work.absent())


# -- _compute


def test_vm_state_reads_power_agent_and_owned_resources():
    from ansible_collections.azbackup.restore.plugins.module_utils import _compute

    state = _compute.vm_state(vm_body(power="starting", agent="Not Ready"))
    assert (state["power_state"], state["agent"]["status"]) == ("starting", "Not Ready")
    assert state["disks"] == [OS_DISK, DATA_DISK] and state["network_interfaces"] == [NIC]
    assert state["resource_group"] == "rg-drill" and state["os_type"] == "Linux"


def test_api_version_follows_the_namespace_and_refuses_others():
    from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions, _compute
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError

    assert _compute.api_version_of(NIC) == _api_versions.NETWORK
    assert _compute.api_version_of(VM_ID) == _api_versions.COMPUTE
    with pytest.raises(AzBackupError, match="does not manage"):
        _compute.api_version_of(RGS + "/rg/providers/Microsoft.Storage/storageAccounts/sa")


def test_read_tells_a_missing_resource_from_a_missing_resource_group():
    from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions, _compute
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

    arm = Arm()
    arm.missing_groups.add("rg-typo")
    assert _compute.read(arm.client, VM_ID, resource_group_option="resource_group") is None  # ResourceNotFound
    with pytest.raises(ValidationError) as e:
        _compute.read_vm(arm.client, VM_ID.replace("rg-drill", "rg-typo"), resource_group_option="resource_group")
    assert e.value.option == "resource_group"
    assert e.value.msg == ("resource group rg-typo does not exist (check resource_group): (ResourceGroupNotFound) "
                           "Resource group 'rg-typo' could not be found. (correlation id corr-rg)")
    fail = e.value.to_fail_kwargs()
    assert (fail["option"], fail["status_code"], fail["error_code"]) == ("resource_group", 404, "ResourceGroupNotFound")
    # the resource group itself: absent
    assert _compute.read(arm.client, RGS + "/rg-typo", api_version=_api_versions.RESOURCE_GROUP) is None
    with pytest.raises(ValidationError) as e:
        _compute.list_resources(arm.client, SUB, "rg-typo", resource_group_option="resource_group")
    assert e.value.option == "resource_group" and "(ResourceGroupNotFound)" in e.value.msg


@pytest.mark.parametrize("answer,option", [
    ((404, {}, {"error": {"code": "ResourceNotFound", "message": "gone"}}), None),
    ((404, {}, None), None),
    ((404, {}, {"error": {"code": "SubscriptionNotFound", "message": "no such subscription"}}), "subscription_id"),
    ((404, {}, {"error": {"code": "ResourceGroupNotFound", "message": "no such group"}}), "resource_group"),
])
def test_read_refuses_only_a_missing_container(answer, option):
    from ansible_collections.azbackup.restore.plugins.module_utils import _compute
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

    client = FakeClient(lambda method, url, params, body: answer)
    if option is None:
        assert _compute.read(client, NIC, resource_group_option="resource_group") is None
        return
    with pytest.raises(ValidationError) as e:
        _compute.read(client, NIC, resource_group_option="resource_group")
    assert e.value.option == option and e.value.azure_error.error_code == answer[2]["error"]["code"]
    assert (SUB if option == "subscription_id" else "rg-drill") in e.value.msg


def test_carries_compares_tag_names_without_case_and_values_exactly():
    from ansible_collections.azbackup.restore.plugins.module_utils._compute import carries, missing_tags

    assert carries({"tags": {"AzBackup-Restore-Drill": "1"}}, MARK)
    assert not carries({"tags": {"azbackup-restore-drill": "2"}}, MARK)
    assert missing_tags({"tags": {"azbackup-restore-drill": "2", "x": "y"}}, MARK) == MARK


# -- state=present


def test_present_marks_the_vm_and_what_it_owns_once(clock):
    arm = Arm(vm_body(), *owned())
    dummy, result = run(arm, tags=MARK)
    assert result["changed"] and sorted(result["marked"]) == sorted([VM_ID, OS_DISK, DATA_DISK, NIC])
    assert all(arm.res[i.lower()]["tags"] == MARK for i in (VM_ID, OS_DISK, DATA_DISK, NIC))
    dummy, again = run(arm, tags=MARK)
    assert not again["changed"] and again["marked"] == []


def test_present_in_check_mode_tags_nothing(clock):
    arm = Arm(vm_body(), *owned())
    dummy, result = run(arm, check_mode=True, tags=MARK)
    assert result["changed"] and len(result["marked"]) == 4
    assert arm.client.count("PATCH", ".") == 0


def test_present_does_not_tag_a_disk_the_vm_does_not_own(clock):
    foreign = dict(owned()[1], managedBy=OTHER_VM)
    arm = Arm(vm_body(), owned()[0], foreign, owned()[2])
    dummy, result = run(arm, tags=MARK)
    assert DATA_DISK not in result["marked"] and "tags" not in arm.res[DATA_DISK.lower()]


def test_present_waits_for_the_agent(clock):
    arm = Arm(vm_body(agent="Not Ready"), *owned())
    reads = {"n": 0}
    handle = arm.handle

    def booting(method, url, params, body):
        if method == "GET" and params.get("$expand") == "instanceView":
            reads["n"] += 1
            if reads["n"] == 3:
                arm.res[VM_ID.lower()] = vm_body()
        return handle(method, url, params, body)

    arm.client.handler = booting
    dummy, result = run(arm, wait_for="agent_ready", poll_interval=5)
    assert result["ready"] and result["vm"]["agent"]["status"] == "Ready" and result["checked_at"].endswith("Z")
    assert reads["n"] == 3 and clock.sleeps == [5, 5]


def test_present_times_out_naming_the_agent_state(clock):
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import OperationTimeoutError

    arm = Arm(vm_body(agent="Not Ready"), *owned())
    with pytest.raises(OperationTimeoutError, match=r"not running with a ready VM agent after 30s: .*VM agent Not Ready"):
        run(arm, wait_for="agent_ready", wait_timeout=30, poll_interval=10)


def test_present_refuses_a_missing_vm_naming_the_option(clock):
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

    with pytest.raises(ValidationError) as e:
        run(Arm(), name="vm-a-drill-1")
    assert e.value.option == "name" and "vm_restore" in e.value.msg


def test_present_in_a_missing_resource_group_names_resource_group(clock):
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

    arm = Arm(vm_body(), *owned())
    arm.missing_groups.add("rg-typo")
    with pytest.raises(ValidationError) as e:
        run(arm, resource_group="rg-typo", tags=MARK)
    assert e.value.option == "resource_group" and "(ResourceGroupNotFound)" in e.value.msg
    assert arm.client.count("PATCH", ".") == 0


# -- state=absent


def test_absent_removes_the_marked_vm_then_what_it_owned(clock):
    arm = Arm(vm_body(tags=MARK), *owned())
    dummy, result = run(arm, state="absent", tags=MARK)
    assert result["removed"][0] == VM_ID and sorted(result["removed"][1:]) == sorted([OS_DISK, DATA_DISK, NIC])
    assert arm.res == {}
    deletes = [c[1] for c in arm.client.calls if c[0] == "DELETE"]
    assert deletes[0].endswith("vm-a-drill-1")
    dummy, again = run(arm, state="absent", tags=MARK)
    assert not again["changed"] and again["removed"] == []


@pytest.mark.parametrize("name", ["vm-a-drill-1", None])
def test_absent_in_a_missing_resource_group_fails_naming_it_and_deletes_nothing(clock, name):
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

    arm = Arm(vm_body(tags=MARK), *owned())
    arm.missing_groups.add("rg-typo")
    with pytest.raises(ValidationError) as e:
        run(arm, state="absent", resource_group="rg-typo", name=name, tags=MARK)
    assert e.value.option == "resource_group"
    assert "resource group rg-typo does not exist" in e.value.msg and "could not be found" in e.value.msg
    assert arm.client.count("DELETE", ".") + arm.client.count("PATCH", ".") == 0 and len(arm.res) == 4


def test_absent_of_a_vm_that_does_not_exist_removes_nothing(clock):
    arm = Arm(*owned())
    dummy, result = run(arm, state="absent", name="vm-a-drill-1", tags=MARK)
    assert not result["changed"] and result["removed"] == []
    assert arm.client.count("DELETE", ".") == 0


def test_absent_never_touches_an_unmarked_vm_or_attached_leftovers(clock):
    unmarked = vm_body(vm_id=OTHER_VM, disks=(DRILL + "/providers/Microsoft.Compute/disks/b-os",), nics=())
    attached = {"id": DRILL + "/providers/Microsoft.Compute/disks/b-os", "name": "b-os", "managedBy": OTHER_VM,
                "tags": MARK}
    arm = Arm(unmarked, attached)
    dummy, result = run(arm, state="absent", tags=MARK)
    assert result["removed"] == [] and arm.client.count("DELETE", ".") == 0


def test_absent_removes_marked_leftovers_attached_to_nothing(clock):
    loose = {"id": OS_DISK, "name": "vm-a-osdisk", "tags": MARK}
    arm = Arm(loose, dict(owned()[2], tags=MARK, properties={}))
    dummy, result = run(arm, state="absent", tags=MARK)
    assert sorted(result["removed"]) == sorted([OS_DISK, NIC]) and arm.res == {}


def test_absent_refuses_a_named_vm_without_the_mark(clock):
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

    arm = Arm(vm_body(tags={"azbackup-restore-drill": "other"}), *owned())
    with pytest.raises(ValidationError, match="does not carry tags azbackup-restore-drill=1: nothing was removed"):
        run(arm, state="absent", name="vm-a-drill-1", tags=MARK)
    with pytest.raises(ValidationError, match="a name matching"):
        run(arm, state="absent", name="vm-a-drill-1", name_pattern="web-.*")
    assert arm.client.count("DELETE", ".") == 0


def test_absent_by_name_pattern_matches_the_whole_name(clock):
    arm = Arm(vm_body(), *owned())
    dummy, result = run(arm, state="absent", name_pattern="vm-a-drill")
    assert result["removed"] == []
    dummy, result = run(arm, state="absent", name_pattern="vm-a-drill-[0-9]+")
    assert result["removed"][0] == VM_ID


def test_absent_marks_what_the_vm_owns_before_deleting_it(clock):
    arm = Arm(vm_body(tags=MARK), *owned())
    order = []
    handle = arm.handle

    def record(method, url, params, body):
        if method in ("PATCH", "DELETE"):
            order.append(method)
        return handle(method, url, params, body)

    arm.client.handler = record
    run(arm, state="absent", tags=MARK)
    assert order[:4] == ["PATCH"] * 3 + ["DELETE"]


def test_absent_in_check_mode_deletes_nothing(clock):
    arm = Arm(vm_body(tags=MARK), *owned())
    dummy, result = run(arm, check_mode=True, state="absent", tags=MARK)
    assert len(result["removed"]) == 4 and len(arm.res) == 4
    assert arm.client.count("DELETE", ".") + arm.client.count("PATCH", ".") == 0


def test_a_refused_delete_keeps_what_was_removed(clock):
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError
    from ansible_collections.azbackup.restore.plugins.module_utils._restored_vm import RestoredVm

    arm = Arm(vm_body(tags=MARK), *owned())
    arm.refuse[NIC.lower()] = (400, {}, {"error": {"code": "NicInUse", "message": "in use"}})
    work = RestoredVm(arm.client, SUB, dict(resource_group="rg-drill", name=None, tags=MARK, name_pattern=None,
                                            wait_timeout=600, poll_interval=None))
    with pytest.raises(AzureApiError, match=r"Azure refused to delete .*vm-a-drill-1-nic: \(NicInUse\) in use"):
        work.absent()
    assert work.removed == [VM_ID] and work.extras()["changed"]


def test_mark_refuses_bad_options_before_any_request(clock):
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

    arm = Arm()
    for params, option in ((dict(tags=None), "tags"), (dict(name_pattern="("), "name_pattern"),
                           (dict(tags={"a/b": "x"}), "tags"), (dict(tags={"k": "v" * 300}), "tags")):
        with pytest.raises(ValidationError) as e:
            run(arm, state="absent", **params)
        assert e.value.option == option
    assert arm.client.calls == []
