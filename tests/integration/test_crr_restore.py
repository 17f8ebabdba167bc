# -*- coding: utf-8 -*-
"""crr_restore in real playbooks against the emulator; the emulator's request log and state are the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from playbook import run_playbook

VAULT = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_resource_group="rg-prod")
DR = dict(staging_storage_account="strestorene", staging_storage_account_resource_group="rg-dr",
          target_resource_group="rg-dr")


def crr_task(name, vm, register, ignore_errors=False, **args):
    options = dict(VAULT, vm_name=vm, restore_type="restore_disks", **DR)
    options.update(args)
    task = {"name": name, "azbackup.restore.crr_restore": options, "register": register}
    if ignore_errors:
        task["ignore_errors"] = True
    return task


def token_task(name, vm, register):
    return {"name": name, "azbackup.restore.crr_access_token": dict(VAULT, vm_name=vm), "register": register,
            "no_log": True}


def control_task(name, path, body):
    return {"name": name, "ansible.builtin.uri": {
        "url": "{{ control_url }}/%s" % path, "method": "POST", "body_format": "json", "body": body,
        "ca_path": "{{ ca_bundle }}"}}


def posts(emu, suffix, vm=None):
    out = []
    for e in emu.control.requests():
        if e["method"] == "POST" and e["path"].lower().endswith(suffix.lower()):
            if vm is None or vm in e["path"] or vm in str(e.get("request_body")):
                out.append(e)
    return out


def crr_jobs(emu):
    return dict((j["vm_name"], j) for j in emu.control.state()["jobs"] if j["crr"])


def failed(result):
    return result.get("_state") == "failed"


@pytest.fixture
def fast(emu):
    """Restore jobs that end as they start."""
    emu.control.update_settings(job_durations={"CrossRegionRestore": 0, "RestoreDisks": 0, "AlternateLocation": 0})
    return emu


def test_restore_with_crr_access_token_output(fast, emu_env):
    emu = fast
    play = [
        token_task("token", "vm-web-01", "tok"),
        crr_task("restore", "vm-web-01", "r", recovery_point_id="{{ tok.recovery_point.name }}",
                 access_details="{{ tok.access_details }}", wait="job", poll_interval=1),
        {"name": "new vm", "azbackup.restore.crr_restore": dict(
            VAULT, vm_name="vm-app-023", restore_type="new_vm", staging_storage_account="strestorene",
            staging_storage_account_resource_group="rg-dr", target_resource_group="rg-dr",
            target_vm_name="vm-app-023-dr", target_virtual_network="vnet-dr", target_subnet="default",
            wait="job", poll_interval=1), "register": "n"},
    ]
    result = run_playbook(play, emu_env)
    assert result.rc == 0, result
    r = result.task("restore")
    token_answers = posts(emu, "/accessToken")
    # one token for vm-web-01 (from crr_access_token, not fetched again), one fetched for vm-app-023
    assert len(posts(emu, "/accessToken", "vm-web-01")) == 1 and len(token_answers) == 2
    token = posts(emu, "/accessToken", "vm-web-01")[0]["response_body"]["properties"]["accessTokenString"]
    assert r["access_token_source"] == "given" and r["secondary_region"] == "northeurope"
    triggers = posts(emu, "/backupCrossRegionRestore")
    assert [t["status"] for t in triggers] == [202, 202]
    first = triggers[0]
    assert "/locations/northeurope/" in first["path"] and first["api_version"] == "2023-01-15"
    assert first["request_body"]["crossRegionRestoreAccessDetails"]["accessTokenString"] == token
    assert first["request_body"]["restoreRequest"]["region"] == "northeurope"
    assert first["request_body"]["restoreRequest"]["recoveryPointId"] == r["recovery_point"]["name"]
    # the signed operation URL was followed exactly as received
    signed = first["response_headers"]["Azure-AsyncOperation"]
    assert "&h=" in signed and r["operation_url"] == signed
    status_gets = [e for e in emu.control.requests() if "backupcrroperationsstatus" in e["path"].lower()]
    assert status_gets and all(e["status"] == 200 for e in status_gets)
    assert signed.endswith(status_gets[0]["url"])
    # the CRR job, read with POST backupCrrJob, and the disks it made in the secondary region
    jobs = crr_jobs(emu)
    assert jobs["vm-web-01"]["status"] == "Completed" and r["job"]["status"] == "Completed"
    assert r["job_id"] == jobs["vm-web-01"]["id"] and r["job"]["operation"] == "CrossRegionRestore"
    assert posts(emu, "/backupCrrJob")
    dr_disks = [d for d in emu.control.state()["disks"] if d["resource_group"] == "rg-dr"]
    assert dr_disks and all(d["location"] == "northeurope" for d in dr_disks)
    # new_vm in the secondary region
    assert result.task("new vm")["request"]["restoreRequest"]["recoveryType"] == "AlternateLocation"
    assert emu.control.state()["vms"]["vm-app-023-dr"]["location"] == "northeurope"
    # never the token in a result or in the output
    assert r["request"]["crossRegionRestoreAccessDetails"]["accessTokenString"] == \
        "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    for t in token_answers:
        assert t["response_body"]["properties"]["accessTokenString"] not in result.output
        assert t["response_body"]["properties"]["accessTokenString"] not in str(result.data)


def test_token_fetched_refreshed_and_idempotent(fast, emu_env):
    emu = fast
    play = [
        # a token about to expire: replaced before the request
        control_task("short tokens", "settings", {"crr_token_lifetime_seconds": 60}),
        token_task("token 21", "vm-app-021", "tok21"),
        control_task("long tokens", "settings", {"crr_token_lifetime_seconds": 86400}),
        crr_task("expiring", "vm-app-021", "a", access_details="{{ tok21.access_details }}"),
        # a token Azure finds expired (its clock ran a day ahead): replaced after the refusal
        token_task("token 22", "vm-app-022", "tok22"),
        control_task("a day later", "clock/advance", {"seconds": 90000}),
        crr_task("refused", "vm-app-022", "b", access_details="{{ tok22.access_details }}"),
        # no token at all: fetched; then the same task again attaches
        crr_task("fetched", "vm-app-020", "c"),
        crr_task("fetched again", "vm-app-020", "d"),
    ]
    result = run_playbook(play, emu_env, extra_vars={"control_url": emu.control_url, "ca_bundle": emu.ca_bundle})
    assert result.rc == 0, result
    expiring, refused = result.task("expiring"), result.task("refused")
    fetched, again = result.task("fetched"), result.task("fetched again")

    assert expiring["access_token_source"] == "refreshed" and expiring["changed"] is True
    assert len(posts(emu, "/accessToken", "vm-app-021")) == 2
    assert [t["status"] for t in posts(emu, "/backupCrossRegionRestore", "vm-app-021")] == [202]

    assert refused["access_token_source"] == "refreshed" and refused["changed"] is True
    tries = posts(emu, "/backupCrossRegionRestore", "vm-app-022")
    assert [t["status"] for t in tries] == [400, 202]
    assert tries[0]["response_body"]["error"]["code"] == "UserErrorCrossRegionRestoreAccessTokenExpired"
    assert len(posts(emu, "/accessToken", "vm-app-022")) == 2

    assert fetched["access_token_source"] == "fetched" and fetched["changed"] is True
    assert again["changed"] is False and again["attached"] is True and again["job_id"] == fetched["job_id"]
    assert len(posts(emu, "/backupCrossRegionRestore", "vm-app-020")) == 1
    assert len(posts(emu, "/accessToken", "vm-app-020")) == 1
    assert sorted(crr_jobs(emu)) == ["vm-app-020", "vm-app-021", "vm-app-022"]


def test_refusals_send_no_restore(emu, emu_env):
    state = emu.control.state()["vaults"]["rsv-prod"]["items"]["vm-web-01"]["recovery_points"]
    not_replicated = [p["name"] for p in state if not p["replicated"]][0]
    play = [
        {"name": "no crr", "azbackup.restore.crr_restore": dict(
            vault_name="rsv-lrs", vault_resource_group="rg-vault", vm_name="vm-lrs-01", vm_resource_group="rg-prod",
            restore_type="restore_disks", **DR), "register": "a", "ignore_errors": True},
        crr_task("primary storage", "vm-web-01", "b", ignore_errors=True, staging_storage_account="strestorewe",
                 staging_storage_account_resource_group="rg-restore"),
        crr_task("not replicated", "vm-web-01", "d", ignore_errors=True, recovery_point_id=not_replicated),
        crr_task("archive", "vm-web-01", "e", ignore_errors=True, tier="archive"),
    ]
    result = run_playbook(play, emu_env)
    expected = {
        "no crr": ("vault_name", "cross-region restore"),
        "primary storage": ("staging_storage_account", "northeurope"),
        "not replicated": ("recovery_point_id", "secondary region"),
        "archive": ("recovery_point_id", "no recovery point"),
    }
    for name, (option, text) in expected.items():
        r = result.task(name)
        assert failed(r), (name, r)
        assert r.get("option") == option and text in r["msg"], (name, r["msg"])
    assert posts(emu, "/backupCrossRegionRestore") == [] and posts(emu, "/accessToken") == []
    assert crr_jobs(emu) == {}
