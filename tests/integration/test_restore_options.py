# -*- coding: utf-8 -*-
"""Identity-based, cross-subscription and cross-region-zone restores through vm_restore and
crr_restore against the emulator; the emulator's request log and state are the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from playbook import run_playbook

SUB = "9a8b7c6d-0000-4000-8000-000000000003"
DEV_SUB = "0b1c2d3e-0000-4000-8000-000000000005"
UAI = ("/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
       "id-restore" % SUB)
BASE = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01", vm_resource_group="rg-prod",
            restore_type="restore_disks", staging_storage_account="strestorewe",
            staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore",
            wait="job", poll_interval=1)


def restore_posts(emu):
    return [e for e in emu.control.requests()
            if e["method"] == "POST" and e["path"].lower().endswith(("/restore", "/backupcrossregionrestore"))]


def test_identity_based_restore(emu, emu_env):
    emu.control.update_settings(job_durations={"RestoreDisks": 0})
    play = [{"name": "user-assigned identity", "register": "r",
             "azbackup.restore.vm_restore": dict(BASE, identity=dict(type="user_assigned", id=UAI))}]
    result = run_playbook(play, emu_env)
    assert result.rc == 0, result
    task = result.task("user-assigned identity")
    assert task["changed"] is True and task["job"]["status"] == "Completed"
    body = restore_posts(emu)[0]["request_body"]["properties"]
    assert "storageAccountId" not in body
    assert body["identityInfo"] == {"isSystemAssignedIdentity": False, "managedIdentityResourceId": UAI}
    assert body["identityBasedRestoreDetails"]["targetStorageAccountId"].endswith("/storageAccounts/strestorewe")
    # the pre-flight read the identity, and Azure's validation saw the same body
    gets = [e["path"] for e in emu.control.requests() if e["method"] == "GET"]
    assert any(p.lower() == UAI.lower() for p in gets)
    validate = [e for e in emu.control.requests() if e["path"].endswith("/backupValidateOperation")][0]
    assert validate["request_body"]["properties"]["restoreRequest"]["identityBasedRestoreDetails"] == \
        body["identityBasedRestoreDetails"]


def test_cross_subscription_restore(emu, emu_env):
    emu.control.update_settings(job_durations={"RestoreDisks": 0})
    play = [{"name": "to the development subscription", "register": "r",
             "azbackup.restore.vm_restore": dict(BASE, target_subscription_id=DEV_SUB,
                                                 target_resource_group="rg-restore-dev",
                                                 staging_storage_account="strestoredev",
                                                 staging_storage_account_resource_group="rg-restore-dev")}]
    result = run_playbook(play, emu_env)
    assert result.rc == 0, result
    body = restore_posts(emu)[0]["request_body"]["properties"]
    assert body["targetResourceGroupId"] == "/subscriptions/%s/resourceGroups/rg-restore-dev" % DEV_SUB
    assert body["storageAccountId"].startswith("/subscriptions/%s/" % DEV_SUB)
    assert body["sourceResourceId"].startswith("/subscriptions/%s/" % SUB)
    disks = [d for d in emu.control.state()["disks"] if d["resource_group"] == "rg-restore-dev"]
    assert len(disks) == 3


def test_zone_of_a_zone_pinned_vm(emu, emu_env):
    """vm-db-01 (zone 1) in its own zone in the primary region; another zone in the secondary region."""
    emu.control.update_settings(job_durations={"RestoreDisks": 0, "CrossRegionRestore": 0})
    crr = dict(BASE, vm_name="vm-db-01", staging_storage_account="strestorene",
               staging_storage_account_resource_group="rg-dr", target_resource_group="rg-dr", target_zone="2",
               select="latest",
               end_time="{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(ansible_date_time.epoch | int - 86400 * 2, utc=true) }}")
    play = [{"name": "own zone", "register": "a",
             "azbackup.restore.vm_restore": dict(BASE, vm_name="vm-db-01", target_zone="1")},
            {"name": "another zone, secondary region", "register": "b", "azbackup.restore.crr_restore": crr}]
    result = run_playbook(play, emu_env, gather_facts=True)
    assert result.rc == 0, result
    bodies = [e["request_body"] for e in restore_posts(emu)]
    assert bodies[0]["properties"]["zones"] == ["1"]
    assert bodies[1]["restoreRequest"]["zones"] == ["2"]


GUARD_TENANT = "7e6d5c4b-0000-4000-8000-000000000006"
GUARD = ("/subscriptions/4d3c2b1a-0000-4000-8000-000000000007/resourceGroups/rg-security/providers/"
         "Microsoft.DataProtection/resourceGuards/rg-guard")
LRS = dict(BASE, vault_name="rsv-lrs", vm_name="vm-lrs-01")


def test_resource_guard(emu, emu_env):
    """rsv-lrs is protected by a guard of another tenant: the operation request and that tenant's token."""
    emu.control.update_settings(job_durations={"RestoreDisks": 0})
    play = [{"name": "without the guard's tenant", "register": "a", "ignore_errors": True,
             "azbackup.restore.vm_restore": LRS},
            {"name": "with it", "register": "b",
             "azbackup.restore.vm_restore": dict(LRS, resource_guard_tenant_id=GUARD_TENANT)}]
    result = run_playbook(play, emu_env)
    assert result.rc == 0, result
    refused = result.task("without the guard's tenant")
    assert refused.get("_state") == "failed" and refused.get("option") == "resource_guard_tenant_id", refused
    assert "Backup MUA Operator" in refused["msg"] and GUARD in refused["msg"]
    done = result.task("with it")
    assert done["changed"] is True and done["job"]["status"] == "Completed"
    posts = restore_posts(emu)
    # Azure refuses the first (no token of the guard's tenant) before acting; the client tries once more with a
    # fresh token, as after any 401
    assert [p["status"] for p in posts] == [401, 401, 202]
    for p in posts:
        assert p["request_body"]["properties"]["resourceGuardOperationRequests"] == [
            GUARD + "/triggerRestoreRequests/default"]
    assert "x-ms-authorization-auxiliary" not in {k.lower() for k in posts[0]["request_headers"]}
    aux = [v for k, v in posts[2]["request_headers"].items() if k.lower() == "x-ms-authorization-auxiliary"]
    assert aux == ["Bearer <redacted>"]
    # the token of the guard's tenant appears in no output
    tokens = [t["token"] for t in emu.control.issued_tokens()]
    assert len(tokens) >= 2 and not [t for t in tokens if t in result.stdout + result.stderr]
