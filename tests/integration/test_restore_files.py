# -*- coding: utf-8 -*-
"""The restore_files role (playbooks/restore_files.yml) against the emulator, with localhost as the target.

The oracles: the files on disk, the emulator's request log (provision / revoke) and its state (sessions).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

import pytest

from playbook import REPO, run_playbook

PLAYBOOK = os.path.join(REPO, "playbooks", "restore_files.yml")


def params(tmp_path, **extra):
    out = dict(target_hosts="localhost", vault_name="rsv-prod", vault_resource_group="rg-vault",
               vm_name="vm-web-01", vm_resource_group="rg-prod", dest=str(tmp_path / "restored"),
               paths=["etc/app/app.conf", "home/deploy", "var/www/html/assets/*.txt", "opt/app/run.sh"],
               require_iscsi=False, use_become=False, work_dir=str(tmp_path / "work"), poll_interval=1,
               script_environment={"AZBACKUP_EMULATOR_ILR_BASE": str(tmp_path / "work")})
    out.update(extra)
    return out


def ilr_calls(emu, action):
    return [e for e in emu.control.requests() if e["method"] == "POST" and e["path"].endswith("/" + action)]


def points(emu):
    return emu.control.state()["vaults"]["rsv-prod"]["items"]["vm-web-01"]["recovery_points"]


def assert_closed(emu, tmp_path):
    assert len(ilr_calls(emu, "provisionInstantItemRecovery")) == 1
    assert len(ilr_calls(emu, "revokeInstantItemRecovery")) == 1
    assert emu.control.state()["ilr_sessions"] == []
    work = tmp_path / "work"
    assert not work.exists() or sorted(p.name for p in work.iterdir()) == []


def test_files_of_the_chosen_point_are_copied_and_the_session_closed(emu, emu_env, tmp_path):
    newest, older = points(emu)[0]["name"], points(emu)[1]["name"]
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path, recovery_point_id=older), timeout=240)
    assert res.rc == 0, res.stdout[-6000:]
    dest = tmp_path / "restored"
    conf = (dest / "etc/app/app.conf").read_text()
    assert "recovery_point=%s" % older in conf and newest not in conf
    assert (dest / "home/deploy/notes.txt").read_text() == "private notes %s\n" % older
    assert oct((dest / "home/deploy/notes.txt").stat().st_mode & 0o777) == "0o600"
    assert oct((dest / "opt/app/run.sh").stat().st_mode & 0o777) == "0o755"
    assert (dest / "var/www/html/assets/logo.txt").read_text() == "LOGO %s\n" % older
    assert not (dest / "var/www/html/index.html").exists()
    reported = [r for n, r in res.tasks() if n.endswith("Report what was copied")][-1]
    result = reported["ansible_facts"]["restore_files_result"]
    assert result["recovery_point"]["name"] == older
    copied = {c["path"]: c for c in result["copied"]}
    data = (dest / "etc/app/app.conf").read_bytes()
    assert copied["etc/app/app.conf"]["checksum"] == hashlib.sha1(data).hexdigest()
    assert copied["etc/app/app.conf"]["size"] == len(data)
    assert copied["home/deploy"]["type"] == "directory" and "home/deploy/notes.txt" in copied
    assert_closed(emu, tmp_path)
    body = ilr_calls(emu, "provisionInstantItemRecovery")[0]["request_body"]["properties"]
    assert body["recoveryPointId"] == older and body["objectType"] == "IaasVMILRRegistrationRequest"


def test_a_missing_path_fails_naming_it_and_still_closes_the_session(emu, emu_env, tmp_path):
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path, paths=["etc/app/app.conf", "etc/nope.conf"]),
                       timeout=240)
    assert res.rc != 0
    assert "etc/nope.conf does not exist" in res.output
    assert not (tmp_path / "restored" / "etc/app/app.conf").exists()  # nothing copied on a refusal
    assert_closed(emu, tmp_path)


@pytest.mark.parametrize("path, words", [
    ("var/www/html", "var/www/html/passwd is a symbolic link"),
    ("../etc/passwd", "'..' is not allowed"),
    ("/etc/passwd", "/etc/passwd is absolute"),
])
def test_paths_leaving_the_volume_are_refused(emu, emu_env, tmp_path, path, words):
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path, paths=[path]), timeout=240)
    assert res.rc != 0 and words in res.output, res
    assert not (tmp_path / "restored").exists() or not any((tmp_path / "restored").iterdir())
    assert_closed(emu, tmp_path)


def test_the_password_never_reaches_the_output(emu, emu_env, tmp_path):
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path), verbosity=4, timeout=240)
    assert res.rc == 0, res
    provision = ilr_calls(emu, "provisionInstantItemRecovery")[0]
    status = [e for e in emu.control.requests() if "/operationsStatus/" in e["path"]
              and (e.get("response_body") or {}).get("properties")][0]
    suffix = status["response_body"]["properties"]["recoveryTarget"]["clientScripts"][0]["scriptNameSuffix"]
    start = suffix.rfind("_") + 33
    password = suffix[start:start + 15]
    assert len(password) == 15 and provision
    assert password not in res.output
    assert password not in str(res.data)
    assert_closed(emu, tmp_path)


def test_missing_iscsi_is_named(emu, emu_env, tmp_path):
    res = run_playbook(PLAYBOOK, emu_env, extra_vars=params(tmp_path, require_iscsi=True,
                                                            work_dir=str(tmp_path / "w")), timeout=240)
    if res.rc == 0:
        pytest.skip("this machine has iscsiadm")
    assert "iscsiadm" in res.output and ilr_calls(emu, "provisionInstantItemRecovery") == []
