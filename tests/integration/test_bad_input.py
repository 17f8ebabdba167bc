# -*- coding: utf-8 -*-
"""Bad input: every case fails with one clear message naming the option or the resource, carries
Azure's error code and correlation id when Azure answered, and never reaches a restore request.

The cases run as tasks of a few playbooks (``ignore_errors: true``), each playbook once per test
session: the first test of a group that needs it runs it (under a file lock, so that pytest-xdist
workers share one run) and keeps the task results and the emulator's request log; every case is
then its own test on that record. The emulator's log is the oracle: no restore POST at all, and the
correlation id a failure reports is one the emulator really sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import json
import os
import re
from collections import namedtuple

import pytest

from playbook import run_playbook

SUB = "9a8b7c6d-0000-4000-8000-000000000003"
OTHER_SUB = "00000000-0000-4000-8000-0000000000ff"
RG_PROD = "/subscriptions/%s/resourceGroups/rg-prod" % SUB
RG_RESTORE = "/subscriptions/%s/resourceGroups/rg-restore" % SUB
VNET_ID = RG_RESTORE + "/providers/Microsoft.Network/virtualNetworks/vnet-restore"
UNKNOWN_ID = "00000000-1111-4222-8333-444444444444"
NOT_ISO = "last tuesday"

VAULT = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")
VM = dict(VAULT, vm_name="vm-web-01", vm_resource_group="rg-prod")
RESTORE = dict(VM, restore_type="restore_disks", staging_storage_account="strestorewe",
               staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore")
NEW_VM = dict(RESTORE, restore_type="new_vm", target_vm_name="vm-web-01-new", target_virtual_network="vnet-restore",
              target_subnet="default")
CRR = dict(VM, restore_type="restore_disks", staging_storage_account="strestorene",
           staging_storage_account_resource_group="rg-dr", target_resource_group="rg-dr")
UNSET = object()

# module: the module's short name; args: its options (UNSET removes an option of the base);
# option: the option the failure names (the ``option`` key of the result, or in the message for
# Ansible's own argument checks); texts: what the message says; azure: Azure's error code when
# Azure answered (then ``error_code`` and a ``correlation_id`` the emulator sent are in the result).
Case = namedtuple("Case", "name module args option texts azure")


def case(name, module, base, option, texts, azure=None, **args):
    merged = dict(base)
    for key, value in args.items():
        if value is UNSET:
            merged.pop(key, None)
        else:
            merged[key] = value
    return Case(name, module, merged, option, texts, azure)


VM_RESTORE_CASES = [
    # malformed resource ids
    case("malformed vm_id", "vm_restore", RESTORE, "vm_id", ["vm_id", "Microsoft.Compute/virtualMachines"],
         vm_id=RG_PROD, vm_name=UNSET, vm_resource_group=UNSET),
    case("storage account id of another type", "vm_restore", RESTORE, "staging_storage_account",
         ["Microsoft.Storage/storageAccounts", "virtualNetworks"], staging_storage_account=VNET_ID),
    case("malformed subnet id", "vm_restore", NEW_VM, "target_subnet", ["virtualNetworks/subnets"],
         target_subnet=VNET_ID + "/subnet/default", target_virtual_network=UNSET),
    # unknown resources
    case("unknown vault", "vm_restore", RESTORE, "vault_name", ["vault rsv-nope does not exist"], "ResourceNotFound",
         vault_name="rsv-nope"),
    case("unknown vault resource group", "vm_restore", RESTORE, "vault_resource_group",
         ["resource group rg-nope of vault rsv-prod does not exist"], "ResourceGroupNotFound",
         vault_resource_group="rg-nope"),
    case("unknown subscription", "vm_restore", RESTORE, "subscription_id",
         ["subscription %s was not found" % OTHER_SUB], "SubscriptionNotFound", subscription_id=OTHER_SUB),
    case("unknown vm", "vm_restore", RESTORE, "vm_name", ["vm-nope", "is not a protected item of vault rsv-prod"],
         "BMSUserErrorObjectNotFound", vm_name="vm-nope"),
    case("unknown recovery point", "vm_restore", RESTORE, "recovery_point_id",
         ["recovery point 99999999999999", "does not exist"], "BMSUserErrorObjectNotFound",
         recovery_point_id="99999999999999"),
    case("unknown storage account", "vm_restore", RESTORE, "staging_storage_account",
         ["staging storage account", "stnope does not exist"], "ResourceNotFound", staging_storage_account="stnope"),
    case("unknown target resource group", "vm_restore", RESTORE, "target_resource_group",
         ["target resource group rg-nope does not exist"], "ResourceGroupNotFound", target_resource_group="rg-nope"),
    case("unknown virtual network", "vm_restore", NEW_VM, "target_virtual_network",
         ["vnet-nope does not exist"], "ResourceNotFound", target_virtual_network="vnet-nope"),
    case("unknown subnet", "vm_restore", NEW_VM, "target_subnet",
         ["subnet nope does not exist in virtual network vnet-restore"], target_subnet="nope"),
    # the recovery point and the targets
    case("luns not in the recovery point", "vm_restore", RESTORE, "disk_luns",
         ["disk_luns 5, 7 are not in recovery point", "LUNs 0, 1"], disk_luns=[0, 5, 7]),
    case("archive point without rehydration", "vm_restore", RESTORE, "rehydration_priority",
         ["archive tier only", "rehydration_priority"], tier="archive"),
    case("rehydration of a point that is not archived", "vm_restore", RESTORE, "rehydration_priority",
         ["archive-tier recovery points only"], rehydration_priority="High"),
    case("zone-redundant staging account", "vm_restore", RESTORE, "staging_storage_account",
         ["strestorezrs is zone-redundant (Standard_ZRS)"], staging_storage_account="strestorezrs"),
    case("staging account in another region", "vm_restore", RESTORE, "staging_storage_account",
         ["strestoreeus is in eastus", "westeurope"], staging_storage_account="strestoreeus"),
    case("target vm name taken", "vm_restore", NEW_VM, "target_vm_name",
         ["a VM named vm-db-01 already exists in resource group rg-prod"], target_vm_name="vm-db-01",
         target_resource_group="rg-prod", target_virtual_network_resource_group="rg-restore"),
    case("zone refused by Azure's validation", "vm_restore", RESTORE, None,
         ["Azure's validation of the restore request failed", "zones"], "UserErrorInvalidRequestParameter",
         target_zone="7"),
    # option combinations
    case("vm_id with vm_name", "vm_restore", RESTORE, "vm_id|vm_name", ["mutually exclusive"],
         vm_id=RG_PROD + "/providers/Microsoft.Compute/virtualMachines/vm-web-01"),
    case("recovery_point_id with start_time", "vm_restore", RESTORE, "recovery_point_id|start_time",
         ["mutually exclusive"], recovery_point_id="1", start_time="2026-01-01T00:00:00Z"),
    case("disk_luns with restore_os_disk_only", "vm_restore", RESTORE, "disk_luns",
         ["disk_luns and restore_os_disk_only are mutually exclusive"], disk_luns=[0], restore_os_disk_only=True),
    case("new_vm without its targets", "vm_restore", RESTORE, "target_vm_name",
         ["restore_type=new_vm needs target_vm_name, target_virtual_network, target_subnet"], restore_type="new_vm"),
    case("replace_disks with target vm options", "vm_restore", RESTORE, "target_resource_group",
         ["restore_type=replace_disks", "takes no target VM options", "target_resource_group"],
         restore_type="replace_disks"),
    case("extra_properties not of the request", "vm_restore", RESTORE, "extra_properties",
         ["extra_properties has colour", "not a property of IaasVMRestoreRequest"], extra_properties={"colour": "red"}),
    # time windows
    case("end before start", "vm_restore", RESTORE, "end_time", ["end_time", "is before start_time"],
         start_time="2026-01-02T00:00:00Z", end_time="2026-01-01T00:00:00Z"),
    case("start_time not ISO 8601", "vm_restore", RESTORE, "start_time", ["start_time must be an ISO 8601", NOT_ISO],
         start_time=NOT_ISO),
]

DEV_SUB = "0b1c2d3e-0000-4000-8000-000000000005"
IDENTITY_NOPE = ("/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
                 "id-nope" % SUB)
DISK_ACCESS = RG_RESTORE + "/providers/Microsoft.Compute/diskAccesses/da-restore"
TO_DEV = dict(target_subscription_id=DEV_SUB, target_resource_group="rg-restore-dev",
              staging_storage_account="strestoredev", staging_storage_account_resource_group="rg-restore-dev")

RESTORE_OPTION_CASES = [
    case("user-assigned identity that does not exist", "vm_restore", RESTORE, "identity",
         ["user-assigned identity", "id-nope does not exist"], "ResourceNotFound",
         identity=dict(type="user_assigned", id=IDENTITY_NOPE)),
    case("identity for a VM with unmanaged disks", "vm_restore", RESTORE, "identity",
         ["unmanaged disks", "managed identity"], vm_name="vm-legacy-01", identity=dict(type="system_assigned")),
    case("cross-subscription restore on a vault that forbids it", "vm_restore",
         dict(RESTORE, vault_name="rsv-lrs", vm_name="vm-lrs-01", **TO_DEV), "target_subscription_id",
         ["crossSubscriptionRestoreState is PermanentlyDisabled"]),
    case("cross-subscription restore replacing disks", "vm_restore", dict(RESTORE, **TO_DEV),
         "target_subscription_id", ["replace_disks"], restore_type="replace_disks", target_resource_group=UNSET),
    case("cross-subscription restore of a VM with unmanaged disks", "vm_restore", dict(RESTORE, **TO_DEV),
         "target_subscription_id", ["unmanaged disks", "another subscription"], vm_name="vm-legacy-01"),
    case("another zone in the primary region of a geo-redundant vault", "vm_restore", RESTORE, "target_zone",
         ["needs a zone-redundant vault", "crr_restore"], vm_name="vm-db-01", target_zone="2"),
    case("disk network access for a point without private disks", "vm_restore", RESTORE, "disk_network_access",
         ["has none"], disk_network_access=dict(option="SameAsOnSourceDisks")),
    case("private disk access without a disk access", "vm_restore", RESTORE, "disk_network_access",
         ["disk_access_id", "required"], disk_network_access=dict(option="EnablePrivateAccessForAllDisks")),
    case("disk access id of another type", "vm_restore", RESTORE, "disk_network_access",
         ["Microsoft.Compute/diskAccesses"], disk_network_access=dict(option="EnablePrivateAccessForAllDisks",
                                                                      disk_access_id=VNET_ID)),
    case("original storage account for a VM with managed disks", "vm_restore", RESTORE,
         "use_original_storage_account", ["unmanaged disks"], use_original_storage_account=True),
    case("edge zone for a VM outside edge zones", "vm_restore", RESTORE, "restore_to_edge_zone",
         ["not of an edge zone VM"], restore_to_edge_zone=True),
    case("confidential VM key of another type", "vm_restore", RESTORE, "secured_vm_os_disk_encryption_set_id",
         ["Microsoft.Compute/diskEncryptionSets"], secured_vm_os_disk_encryption_set_id=DISK_ACCESS),
    case("disk network access in the secondary region", "crr_restore", CRR, "disk_network_access",
         ["Unsupported parameters", "disk_network_access"], disk_network_access=dict(option="SameAsOnSourceDisks")),
    case("resource guard tenant in the secondary region", "crr_restore", CRR, "resource_guard_tenant_id",
         ["Unsupported parameters", "resource_guard_tenant_id"], resource_guard_tenant_id=SUB),
]

OTHER_CASES = [
    # credentials (Azure AD answers: its AADSTS code and correlation id)
    case("wrong client secret", "recovery_point_info", VM, "secret", ["AADSTS7000215", "check secret"],
         "AADSTS7000215", secret="not-the-client-secret"),
    case("unknown client id", "recovery_point_info", VM, "client_id", ["AADSTS700016", "check client_id"],
         "AADSTS700016", client_id=UNKNOWN_ID),
    case("unknown tenant", "recovery_point_info", VM, "tenant", ["AADSTS90002", "check tenant"], "AADSTS90002",
         tenant=UNKNOWN_ID),
    case("cloud_environment not a cloud", "vm_info", dict(vm_name="vm-web-01", vm_resource_group="rg-prod"),
         "cloud_environment", ["cloud_environment must be AzureCloud"], cloud_environment="AzureMoonCloud"),
    # cross-region restore
    case("cross-region restore on a vault without it", "crr_restore",
         dict(CRR, vault_name="rsv-lrs", vm_name="vm-lrs-01"), "vault_name",
         ["vault rsv-lrs does not have cross-region restore enabled"]),
    case("cross-region token on a vault without it", "crr_access_token",
         dict(VAULT, vault_name="rsv-lrs", vm_name="vm-lrs-01", vm_resource_group="rg-prod"), "vault_name",
         ["Vault rsv-lrs", "does not have cross-region restore enabled"]),
    case("recovery point not yet replicated (restore)", "crr_restore", CRR, "recovery_point_id",
         ["does not exist in the secondary region", "not be replicated yet"], "BMSUserErrorObjectNotFound",
         recovery_point_id="{{ newest_point }}"),
    case("recovery point not yet replicated (token)", "crr_access_token", VM, "recovery_point_id",
         ["is not replicated to the secondary region yet"], "BMSUserErrorObjectNotFound",
         recovery_point_id="{{ newest_point }}"),
    case("cross-region staging account in the primary region", "crr_restore", CRR, "staging_storage_account",
         ["strestorewe is in westeurope", "northeurope", "secondary region"], staging_storage_account="strestorewe",
         staging_storage_account_resource_group="rg-restore"),
    case("cross-region restore replacing disks", "crr_restore", CRR, "restore_type",
         ["value of restore_type must be one of", "replace_disks"], restore_type="replace_disks"),
    # the read modules
    case("vm_info in an unknown resource group", "vm_info", dict(vm_name="vm-web-01", vm_resource_group="rg-nope"),
         "vm_resource_group", ["resource group rg-nope does not exist"], "ResourceGroupNotFound"),
    case("unknown job", "restore_job_info", VAULT, None, ["Job %s was not found" % UNKNOWN_ID],
         "BMSUserErrorObjectNotFound", job_id=UNKNOWN_ID),
]

# One playbook run per group. The groups are interleaved in the test order, so that pytest-xdist
# workers (which take the tests in turn) each start a different group instead of waiting for one.
_BY_NAME = dict((c.name, c) for c in VM_RESTORE_CASES + RESTORE_OPTION_CASES + OTHER_CASES)
GROUPS = dict((group, [_BY_NAME.pop(name) for name in names]) for group, names in (
    ("ids and combinations", [
        "malformed vm_id", "storage account id of another type", "malformed subnet id", "vm_id with vm_name",
        "recovery_point_id with start_time", "disk_luns with restore_os_disk_only", "new_vm without its targets",
        "replace_disks with target vm options", "extra_properties not of the request", "end before start",
        "start_time not ISO 8601"]),
    ("unknown resources", [
        "unknown vault", "unknown vault resource group", "unknown subscription", "unknown vm",
        "unknown recovery point", "unknown storage account", "unknown target resource group",
        "unknown virtual network", "unknown subnet", "vm_info in an unknown resource group"]),
    ("recovery point and targets", [
        "luns not in the recovery point", "archive point without rehydration",
        "rehydration of a point that is not archived", "zone-redundant staging account",
        "staging account in another region", "target vm name taken", "zone refused by Azure's validation"]),
    ("credentials", [
        "wrong client secret", "unknown client id", "unknown tenant", "cloud_environment not a cloud", "unknown job"]),
    ("cross-region", [
        "cross-region restore on a vault without it", "cross-region token on a vault without it",
        "recovery point not yet replicated (restore)", "recovery point not yet replicated (token)",
        "cross-region staging account in the primary region", "cross-region restore replacing disks"]),
    ("restore options", [c.name for c in RESTORE_OPTION_CASES]),
))
assert not _BY_NAME, "cases in no group: %s" % sorted(_BY_NAME)
CASES = [(group, cases[i]) for i in range(max(len(c) for c in GROUPS.values()))
         for group, cases in GROUPS.items() if i < len(cases)]


def test_enough_cases_with_unique_names():
    names = [c.name for dummy, c in CASES]
    assert len(names) >= 25 and len(set(names)) == len(names)


# --------------------------------------------------------------------------------------------
# one playbook run per group and test session


def _play(group):
    tasks = []
    if group == "cross-region":
        tasks += [{
            "name": "newest recovery point (replicated to the secondary region only after a lag)",
            "azbackup.restore.recovery_point_info": dict(VM, select="latest"),
            "register": "points",
        }, {
            "name": "remember it",
            "ansible.builtin.set_fact": {"newest_point": "{{ points.recovery_points[0].name }}"},
        }]
    for c in GROUPS[group]:
        tasks.append({"name": c.name, "azbackup.restore." + c.module: c.args, "ignore_errors": True})
    return tasks


def _summary(entry):
    """What the tests need of a log entry: the request, the answer's error code and correlation id."""
    body = entry.get("response_body") if isinstance(entry.get("response_body"), dict) else {}
    err = body.get("error")
    headers = dict((k.lower(), v) for k, v in (entry.get("response_headers") or {}).items())
    return dict(method=entry["method"], path=entry["path"], kind=entry["kind"], status=entry["status"],
                code=err.get("code") if isinstance(err, dict) else err,
                correlation_id=headers.get("x-ms-correlation-request-id") or body.get("correlation_id"))


def _run_group(emulator, group):
    from contract import swagger

    emulator.control.reset()
    env = {
        "AZURE_CLIENT_ID": emulator.client_id, "AZURE_SECRET": emulator.client_secret,
        "AZURE_TENANT": emulator.tenant_id, "AZURE_SUBSCRIPTION_ID": emulator.subscription_id,
        "AZURE_CLOUD_ENVIRONMENT": emulator.endpoint, "ANSIBLE_AZURE_AUTH_SOURCE": "env",
        "REQUESTS_CA_BUNDLE": emulator.ca_bundle,
    }
    result = run_playbook(_play(group), env)
    log = emulator.control.requests()
    swagger.assert_log_valid(log)
    return dict(rc=result.rc, output=result.output[-3000:], tasks=dict(result.tasks()),
                log=[_summary(e) for e in log])


@pytest.fixture(scope="module")
def runs(tmp_path_factory, emulator_session):
    """group -> the record of its playbook run, made once per test session: pytest-xdist workers
    share the records through files, each group made under its own lock. A worker that finds the
    group it needs being made by another one makes a group nobody has made yet meanwhile."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    root = tmp_path_factory.getbasetemp()
    if run_id:
        root = root.parent
    cache = {}

    def path(group):
        return root / ("azbackup-bad-input-%s-%s.json" % (run_id or "single", group.replace(" ", "-")))

    def make(group, wait):
        """Make the group's record unless it exists; False when another worker holds it (and not wait)."""
        with open(str(path(group)) + ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                return False
            try:
                if not path(group).exists():
                    path(group).write_text(json.dumps(_run_group(emulator_session, group)))
                return True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def get(group):
        if group not in cache:
            while not make(group, wait=False):
                others = [g for g in GROUPS if g != group and not path(g).exists()]
                if not any(make(g, wait=False) for g in others):
                    make(group, wait=True)
                    break
            cache[group] = json.loads(path(group).read_text())
        return cache[group]
    return get


def restore_requests(log):
    return [e for e in log if e["method"] == "POST" and re.search(r"(/restore|/backupCrossRegionRestore)$",
                                                                  e["path"], re.I)]


@pytest.mark.parametrize("group,c", CASES, ids=[c.name.replace(" ", "_") for dummy, c in CASES])
def test_bad_input(runs, group, c):
    run = runs(group)
    assert run["rc"] == 0, run["output"]
    # never a restore request, whatever the case
    assert restore_requests(run["log"]) == []
    res = run["tasks"][c.name]
    assert res.get("_state") == "failed", res
    assert res.get("changed") in (None, False), res
    msg = res["msg"]
    for text in c.texts:
        assert text in msg, (text, msg)
    if c.option and "|" in c.option:  # Ansible's own check names the options in its message
        assert c.option in msg, msg
    elif c.option and res.get("option"):
        assert res["option"] == c.option, res
    elif c.option:
        assert c.option in msg, msg
    if c.azure:
        assert res.get("error_code") == c.azure, res
        corr = res.get("correlation_id")
        assert corr and corr in msg, res
        # the correlation id of an answer the emulator really sent
        assert [e for e in run["log"] if e["correlation_id"] == corr], corr
    else:
        assert not res.get("error_code"), res
