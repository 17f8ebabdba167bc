# -*- coding: utf-8 -*-
"""A smoke set on the oldest supported ansible-core (2.16, the `.venv-oldest` that `make test` builds).

The same playbooks and modules as the other integration tests, run by that venv's ansible-playbook
and Python against the emulator, whose state and request log are the oracle. Skipped when
`.venv-oldest` does not exist (`make venv-oldest` makes it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
import yaml

import playbook as harness

OLDEST_PYTHON = os.path.join(harness.REPO, ".venv-oldest", "bin", "python")
PLAYBOOKS = os.path.join(harness.REPO, "playbooks")

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(os.path.dirname(OLDEST_PYTHON), "ansible-playbook")),
                                reason=".venv-oldest (make venv-oldest) does not exist")


@pytest.fixture
def oldest(monkeypatch):
    """run_playbook with .venv-oldest's ansible-playbook and Python (it takes both from sys.executable)."""
    version = subprocess.run([OLDEST_PYTHON, "-c", "import ansible; print(ansible.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version.startswith("2.16."), version
    monkeypatch.setattr(sys, "executable", OLDEST_PYTHON)
    return harness.run_playbook


@pytest.fixture
def fast(emu):
    emu.control.update_settings(job_durations={"RestoreDisks": 1, "OriginalLocation": 1, "AlternateLocation": 1,
                                               "CrossRegionRestore": 1})
    return emu


def posts(emu, suffix):
    return [e for e in emu.control.requests() if e["method"] == "POST" and e["path"].lower().endswith(suffix)]


def scenario(run, name, env, **extra_vars):
    extra = dict(poll_interval=1, wait_timeout=300)
    extra.update(extra_vars)
    return run(os.path.join(PLAYBOOKS, name + ".yml"), env,
               extra_args=["-e", "@" + os.path.join(PLAYBOOKS, "vars", name + ".yml"), "-e", json.dumps(extra)])


def test_restore_disks_fan_out_and_rerun(oldest, fast, emu_env):
    first = scenario(oldest, "restore_disks", emu_env)
    assert first.rc == 0, first
    sent = posts(fast, "/restore")
    assert sorted(p["request_body"]["properties"]["sourceResourceId"].rsplit("/", 1)[1] for p in sent) == \
        ["vm-db-01", "vm-web-01"]
    assert sorted((j["vm_name"], j["status"]) for j in fast.control.state()["jobs"]) == \
        [("vm-db-01", "Completed"), ("vm-web-01", "Completed")]

    second = scenario(oldest, "restore_disks", emu_env)
    assert second.rc == 0, second
    assert len(posts(fast, "/restore")) == 2 and second.stats["localhost"]["changed"] == 0


def test_secondary_region_restore(oldest, fast, emu_env):
    result = scenario(oldest, "secondary_region_restore", emu_env)
    assert result.rc == 0, result
    (sent,) = posts(fast, "/backupcrossregionrestore")
    assert "/locations/northeurope/" in sent["path"]
    token = sent["request_body"]["crossRegionRestoreAccessDetails"]["accessTokenString"]
    assert token and token not in result.output and token not in json.dumps(result.data)
    (job,) = fast.control.state()["jobs"]
    assert job["operation"] == "CrossRegionRestore" and job["status"] == "Completed"


def test_check_mode_and_group_defaults(oldest, emu, emu_env):
    play = [{
        "name": "group defaults", "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/azbackup.restore.azure": {"vault_name": "rsv-prod", "vault_resource_group": "rg-vault"}},
        "tasks": [
            {"name": "version", "ansible.builtin.set_fact": {"core_version": "{{ ansible_version.full }}"}},
            {"name": "disks", "azbackup.restore.vm_info": {"vm_name": "vm-db-01", "vm_resource_group": "rg-prod"}},
            {"name": "plan", "check_mode": True, "azbackup.restore.vm_restore": {
                "vm_name": "vm-web-01", "vm_resource_group": "rg-prod", "restore_type": "restore_disks",
                "staging_storage_account": "strestorewe", "staging_storage_account_resource_group": "rg-restore",
                "target_resource_group": "rg-restore"}},
        ],
    }]
    result = oldest(yaml.safe_dump(play), emu_env)
    assert result.rc == 0, result
    assert result.task("version")["ansible_facts"]["core_version"].startswith("2.16.")
    assert [d["lun"] for d in result.task("disks")["vms"][0]["data_disks"]] == [0, 1, 2]
    plan = result.task("plan")
    assert plan["changed"] is True and plan["request"]["properties"]["recoveryType"] == "RestoreDisks"
    assert posts(emu, "/restore") == [] and emu.control.state()["jobs"] == []
