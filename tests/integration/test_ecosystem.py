# -*- coding: utf-8 -*-
"""The collection as users get it: built, installed, run from AWX-style credentials, in an EE."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
import tarfile

import pytest

from playbook import REPO, run_playbook

BIN = os.path.dirname(sys.executable)

LIST_LATEST = [{
    "name": "latest point",
    "azbackup.restore.recovery_point_info": {
        "vault_name": "rsv-prod", "vault_resource_group": "rg-vault",
        "vm_name": "vm-web-01", "vm_resource_group": "rg-prod", "select": "latest",
    },
    "register": "rp",
}]


def _rp_gets(emu):
    return [e for e in emu.control.requests() if e["method"] == "GET" and e["path"].lower().endswith("/recoverypoints")]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    proc = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", REPO, "--output-path",
                           str(out), "--force"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tarballs = [p for p in os.listdir(str(out)) if p.endswith(".tar.gz")]
    assert tarballs == ["azbackup-restore-0.1.0.tar.gz"]
    return os.path.join(str(out), tarballs[0])


def test_tarball_ships_no_tests_emulator_bench_or_venv(built):
    with tarfile.open(built) as tar:
        names = tar.getnames()
    assert "plugins/modules/vm_restore.py" in names
    assert "meta/runtime.yml" in names and "requirements.txt" in names
    assert "roles/restore_disks/tasks/main.yml" in names
    for name in names:
        top = name.split("/")[0]
        assert top not in ("tests", "bench", "tools", ".venv", ".venv-oldest", "build", "collections", ".ci",
                           "scripts", ".git"), name
        assert "__pycache__" not in name, name


def test_installed_copy_runs_against_azure(built, tmp_path, emu, emu_env):
    dest = tmp_path / "collections"
    clean_env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    proc = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "--force",
                           "-p", str(dest), built], capture_output=True, text=True, env=clean_env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = dest / "ansible_collections" / "azbackup" / "restore"
    assert (installed / "plugins" / "modules" / "recovery_point_info.py").exists()
    assert not (installed / "tests").exists()
    env = dict(emu_env, ANSIBLE_COLLECTIONS_PATH=str(dest))
    result = run_playbook(LIST_LATEST, env)
    assert result.rc == 0, result
    points = result.task("latest point")["recovery_points"]
    assert len(points) == 1
    assert len(_rp_gets(emu)) == 1


def test_awx_azure_rm_credential_variables_only(emu, emu_env):
    """AWX's "Microsoft Azure Resource Manager" credential injects exactly these variables."""
    awx = dict((k, emu_env[k]) for k in ("AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET",
                                         "AZURE_TENANT", "AZURE_CLOUD_ENVIRONMENT"))
    # The emulator's certificate authority; in AWX the execution environment's trust store plays this part.
    awx["REQUESTS_CA_BUNDLE"] = emu_env["REQUESTS_CA_BUNDLE"]
    result = run_playbook(LIST_LATEST, awx)
    assert result.rc == 0, result
    assert len(_rp_gets(emu)) == 1
    token_requests = [e for e in emu.control.requests() if e["kind"] == "aad" and e["method"] == "POST"]
    assert token_requests and token_requests[-1]["request_body"]["client_id"] == awx["AZURE_CLIENT_ID"]


def test_credentials_set_once_with_module_defaults(emu, emu_env):
    """Credentials and vault given once for the whole action group, no AZURE_* variables at all."""
    play = [{
        "name": "group defaults",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {"group/azbackup.restore.azure": {
            "auth_source": "auto",
            "client_id": emu_env["AZURE_CLIENT_ID"],
            "secret": emu_env["AZURE_SECRET"],
            "tenant": emu_env["AZURE_TENANT"],
            "subscription_id": emu_env["AZURE_SUBSCRIPTION_ID"],
            "cloud_environment": emu_env["AZURE_CLOUD_ENVIRONMENT"],
            "vault_name": "rsv-prod",
            "vault_resource_group": "rg-vault",
        }},
        "tasks": [
            {"name": "points", "azbackup.restore.recovery_point_info": {
                "vm_name": "vm-web-01", "vm_resource_group": "rg-prod", "select": "latest"}},
            {"name": "jobs", "azbackup.restore.restore_job_info": {}},
        ],
    }]
    import yaml
    env = {"REQUESTS_CA_BUNDLE": emu_env["REQUESTS_CA_BUNDLE"]}
    result = run_playbook(yaml.safe_dump(play), env)
    assert result.rc == 0, result
    assert len(result.task("points")["recovery_points"]) == 1
    assert isinstance(result.task("jobs")["jobs"], list)
    assert len(_rp_gets(emu)) == 1


def test_execution_environment_context(tmp_path):
    ctx = tmp_path / "context"
    proc = subprocess.run([os.path.join(BIN, "ansible-builder"), "create", "-f",
                           os.path.join(REPO, "execution-environment.yml"), "--context", str(ctx)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reqs = (ctx / "_build" / "requirements.txt").read_text()
    assert "requests" in reqs and "azure-identity" in reqs
    assert "azbackup.restore" in (ctx / "_build" / "requirements.yml").read_text()
    assert "ca-certificates" in (ctx / "_build" / "bindep.txt").read_text()
    assert (ctx / "Dockerfile").exists() or (ctx / "Containerfile").exists()
