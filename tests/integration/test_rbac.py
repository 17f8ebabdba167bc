# -*- coding: utf-8 -*-
"""The custom role of docs/rbac/azbackup-restore-operator.json is sufficient and minimal.

The emulator's default world has a second client ("restore-operator") that holds exactly that role
(read from the same file) at the subscription scope. With it, every scenario works; without any
single action of the role, a scenario that needs the action fails with a message naming it, and,
when the action is needed before the restore is triggered, no restore is triggered.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

import pytest

from playbook import REPO, run_playbook

pytestmark = [pytest.mark.integration, pytest.mark.emulator]

ROLE_FILE = os.path.join(REPO, "docs", "rbac", "azbackup-restore-operator.json")
with open(ROLE_FILE) as _f:
    ROLE = json.load(_f)
OPERATOR = "restore-operator"

VAULT = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")
VM = dict(VAULT, vm_name="vm-web-01", vm_resource_group="rg-prod")
STAGING = dict(staging_storage_account="strestorewe", staging_storage_account_resource_group="rg-restore")
DR = dict(staging_storage_account="strestorene", staging_storage_account_resource_group="rg-dr",
          target_resource_group="rg-dr")
WAIT = dict(wait="job", poll_interval=1)

SCENARIOS = {
    "restore_disks": [{"name": "restore", "azbackup.restore.vm_restore": dict(
        VM, **STAGING, restore_type="restore_disks", target_resource_group="rg-restore", **WAIT)}],
    "replace_disks": [{"name": "restore", "azbackup.restore.vm_restore": dict(
        VM, **STAGING, restore_type="replace_disks", **WAIT)}],
    "new_vm": [{"name": "restore", "azbackup.restore.vm_restore": dict(
        VM, **STAGING, restore_type="new_vm", target_resource_group="rg-restore", target_vm_name="vm-web-01-new",
        target_virtual_network="vnet-restore", target_subnet="default", **WAIT)}],
    "crr_restore": [{"name": "restore", "azbackup.restore.crr_restore": dict(
        VM, **DR, restore_type="restore_disks", **WAIT)}],
    "crr_new_vm": [{"name": "restore", "azbackup.restore.crr_restore": dict(
        VM, **DR, restore_type="new_vm", target_vm_name="vm-web-01-dr", target_virtual_network="vnet-dr",
        target_subnet="default", **WAIT)}],
    "crr_access_token": [{"name": "token", "azbackup.restore.crr_access_token": dict(VM), "no_log": True}],
    "recovery_point_info": [
        {"name": "primary", "azbackup.restore.recovery_point_info": dict(VM, select="latest")},
        {"name": "secondary", "azbackup.restore.recovery_point_info": dict(VM, region="secondary")}],
    "restore_job_info": [
        {"name": "primary", "azbackup.restore.restore_job_info": dict(VAULT)},
        {"name": "secondary", "azbackup.restore.restore_job_info": dict(VAULT, region="secondary")}],
    "vm_info": [{"name": "vm", "azbackup.restore.vm_info": dict(vm_name="vm-web-01", vm_resource_group="rg-prod")}],
}

RS = "Microsoft.RecoveryServices/"
ITEM = RS + "Vaults/backupFabrics/protectionContainers/protectedItems/"
# Every action of the custom role: a scenario that needs it, and when: "before" the restore (or
# cancel) is triggered, "at" the trigger (ARM's check or Azure Backup's linked check), or "after" it.
NEEDED = [
    (RS + "Vaults/read", "restore_disks", "before"),
    (ITEM + "recoveryPoints/read", "restore_disks", "before"),
    (RS + "Vaults/backupJobs/read", "restore_disks", "before"),
    (RS + "Vaults/backupValidateOperation/action", "restore_disks", "before"),
    (RS + "Vaults/backupResourceGuardProxies/read", "restore_disks", "before"),
    (ITEM + "recoveryPoints/restore/action", "restore_disks", "at"),
    (ITEM + "operationsStatus/read", "restore_disks", "after"),
    (RS + "Vaults/backupJobs/cancel/action", "cancel", "at"),
    (RS + "Vaults/backupJobs/operationResults/read", "cancel", "after"),
    ("Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints/"
     "accessToken/action", "crr_restore", "before"),
    (RS + "locations/backupAadProperties/read", "crr_restore", "before"),
    (RS + "locations/backupCrossRegionRestore/action", "crr_restore", "at"),
    (RS + "locations/backupCrrOperationsStatus/read", "crr_restore", "after"),
    (RS + "locations/backupCrrJobs/action", "crr_restore", "before"),
    (RS + "locations/backupCrrJob/action", "crr_restore", "after"),
    ("Microsoft.Resources/subscriptions/locations/read", "crr_restore", "before"),
    ("Microsoft.Resources/subscriptions/resourceGroups/read", "restore_disks", "before"),
    ("Microsoft.Storage/storageAccounts/read", "restore_disks", "before"),
    ("Microsoft.Storage/storageAccounts/write", "restore_disks", "at"),
    ("Microsoft.Storage/storageAccounts/listKeys/action", "crr_restore", "at"),
    ("Microsoft.Compute/virtualMachines/read", "replace_disks", "before"),
    ("Microsoft.Compute/virtualMachines/write", "replace_disks", "at"),
    ("Microsoft.Compute/disks/write", "restore_disks", "at"),
    ("Microsoft.Network/virtualNetworks/read", "new_vm", "before"),
    ("Microsoft.Network/virtualNetworks/subnets/join/action", "new_vm", "at"),
    ("Microsoft.Network/networkInterfaces/write", "crr_new_vm", "at"),
]


@pytest.fixture
def fast(emu):
    """Restore jobs that end as they start; cancellations that take a second."""
    emu.control.update_settings(job_durations={"RestoreDisks": 0, "OriginalLocation": 0, "AlternateLocation": 0,
                                               "CrossRegionRestore": 0}, cancel_duration_seconds=1)
    return emu


def operator_env(emu):
    env = emu.env(client=OPERATOR)
    assert env["AZURE_CLIENT_ID"] != emu.client_id
    return env


def without(emu, action):
    """The restore operator holds the custom role minus one action (as a NotActions entry)."""
    operator = emu.client(OPERATOR)
    emu.core.rbac.set(role_assignments=[{
        "principal": operator["client_id"], "scope": "/subscriptions/%s" % emu.subscription_id,
        "actions": ROLE["Actions"], "not_actions": [action]}])


def triggers(emu, kind):
    """The POSTs that start something: restores (primary and cross-region) or cancellations."""
    pattern = r"/backupJobs/[^/]+/cancel$" if kind == "cancel" else r"(/recoveryPoints/[^/]+/restore|/backupCrossRegionRestore)$"
    return [e for e in emu.control.requests() if e["method"] == "POST" and re.search(pattern, e["path"], re.I)]


def cancel_scenario(emu):
    """A restore started by the world's unrestricted client, then cancelled by the restore operator."""
    admin = emu.client()
    emu.control.update_settings(job_durations={"RestoreDisks": 3600})
    args = dict(VAULT, job_id="{{ started.job_id }}", state="cancelled", wait_timeout=60, poll_interval=1)
    return [
        {"name": "start", "no_log": True, "register": "started", "azbackup.restore.vm_restore": dict(
            VM, **STAGING, restore_type="restore_disks", target_resource_group="rg-restore", wait="operation",
            client_id=admin["client_id"], secret=admin["secret"], tenant=admin["tenant_id"])},
        {"name": "cancel", "azbackup.restore.restore_job": args},
    ]


def scenario(emu, name):
    return cancel_scenario(emu) if name == "cancel" else SCENARIOS[name]


def test_every_action_of_the_role_is_proven_needed():
    assert sorted(a.lower() for a, _s, _w in NEEDED) == sorted(a.lower() for a in ROLE["Actions"])
    assert ROLE["NotActions"] == [] and ROLE["DataActions"] == [] and ROLE["NotDataActions"] == []
    assert ROLE["IsCustom"] is True and ROLE["AssignableScopes"] == ["/subscriptions/00000000-0000-0000-0000-000000000000"]


def test_the_operator_holds_exactly_the_documented_role(emu):
    operator = emu.client(OPERATOR)
    assert operator["restricted"] and not emu.client()["restricted"]
    (assignment,) = [a for a in emu.core.rbac.assignments if a["principal"] == operator["client_id"]]
    assert assignment["role"] == ROLE["Name"] and assignment["actions"] == ROLE["Actions"]
    assert assignment["scope"] == "/subscriptions/%s" % emu.subscription_id


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_role_is_sufficient(fast, name):
    emu = fast
    result = run_playbook(SCENARIOS[name], operator_env(emu))
    assert result.rc == 0, result
    assert not [e for e in emu.control.requests() if e["status"] == 403]
    if name in ("restore_disks", "replace_disks", "new_vm", "crr_restore", "crr_new_vm"):
        (job,) = emu.control.state()["jobs"]
        assert job["status"] == "Completed" and result.task("restore")["job"]["status"] == "Completed"


def test_the_role_is_sufficient_to_cancel(fast):
    emu = fast
    result = run_playbook(cancel_scenario(emu), operator_env(emu))
    assert result.rc == 0, result
    (job,) = emu.control.state()["jobs"]
    assert job["status"] == "Cancelled"
    assert [e["status"] for e in triggers(emu, "cancel")] == [202]


@pytest.mark.parametrize("playbook_name", ["restore_disks", "replace_disks", "secondary_region_restore"])
def test_the_role_is_sufficient_for_the_scenario_playbooks(fast, playbook_name):
    """The roles, through playbooks/<name>.yml and its example vars."""
    emu = fast
    path = os.path.join(REPO, "playbooks", playbook_name + ".yml")
    vars_file = os.path.join(REPO, "playbooks", "vars", playbook_name + ".yml")
    result = run_playbook(path, operator_env(emu), extra_args=["-e", "@" + vars_file,
                                                               "-e", json.dumps({"poll_interval": 1})])
    assert result.rc == 0, result
    assert not [e for e in emu.control.requests() if e["status"] == 403]
    assert emu.control.state()["jobs"] and all(j["status"] == "Completed" for j in emu.control.state()["jobs"])


@pytest.mark.parametrize("action, name, when", NEEDED, ids=[a.split("/", 1)[1] for a, _n, _w in NEEDED])
def test_each_action_is_needed(fast, action, name, when):
    emu = fast
    plays = scenario(emu, name)
    without(emu, action)
    result = run_playbook(plays, operator_env(emu))
    assert result.rc != 0, result
    failed = [res for _n, res in result.tasks() if res.get("_state") == "failed" or res.get("failed")]
    assert failed, result
    msg = str(failed[-1].get("msg"))
    # (action names are case-insensitive: Microsoft spells some "vaults", some "Vaults")
    assert action.lower() in msg.lower(), msg
    denials = [e for e in emu.control.requests() if e["status"] == 403]
    assert denials and all(e["response_body"]["error"]["code"] in ("AuthorizationFailed", "LinkedAuthorizationFailed")
                           for e in denials)
    assert action.lower() in denials[0]["response_body"]["error"]["message"].lower()
    kind = "cancel" if name == "cancel" else "restore"
    sent = triggers(emu, kind)
    if when == "before":
        assert sent == [], [e["path"] for e in sent]
    elif when == "at":
        assert [e["status"] for e in sent] == [403]
    else:
        assert [e["status"] for e in sent] == [202]
    if kind == "restore" and when != "after":
        assert emu.control.state()["jobs"] == []
