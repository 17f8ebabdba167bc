# -*- coding: utf-8 -*-
"""The playbooks of playbooks/ run through ansible-runner the way AWX runs a job template.

A private data directory with ``project/`` (the playbooks, as a project checkout has them),
``inventory/``, ``env/envvars`` (what an AWX Azure credential injects) and ``env/extravars`` (survey
answers: flat, mostly strings), then ``ansible_runner.run``. The emulator's state is the oracle;
the runner's status, rc and events are checked too.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import shutil
import sys

import pytest
import yaml

from playbook import REPO, collections_path

ansible_runner = pytest.importorskip("ansible_runner")


@pytest.fixture
def fast(emu):
    emu.control.update_settings(job_durations={"RestoreDisks": 1, "OriginalLocation": 1, "AlternateLocation": 1,
                                               "CrossRegionRestore": 1})
    return emu


@pytest.fixture
def awx_job(tmp_path, monkeypatch, emu_env):
    """Returns run(playbook, extravars) -> (runner, private data dir)."""
    for name in list(os.environ):
        if name.startswith(("AZURE_", "ANSIBLE_")):
            monkeypatch.delenv(name)

    def run(playbook, extravars):
        pdd = tmp_path / ("job-" + playbook.replace(".yml", ""))
        (pdd / "project").mkdir(parents=True)
        (pdd / "env").mkdir()
        (pdd / "inventory").mkdir()
        for path in glob.glob(os.path.join(REPO, "playbooks", "*.yml")):
            shutil.copy(path, str(pdd / "project"))
        (pdd / "inventory" / "hosts").write_text(
            "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
        envvars = dict(emu_env)
        envvars.update({
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
            "ANSIBLE_COLLECTIONS_PATH": collections_path(),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
            "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
        })
        (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
        (pdd / "env" / "extravars").write_text(yaml.safe_dump(extravars))
        runner = ansible_runner.run(private_data_dir=str(pdd), playbook=playbook, ident="job", quiet=True)
        return runner, pdd

    return run


def ok_events(runner, task_suffix):
    return [e for e in runner.events if e.get("event") in ("runner_on_ok", "runner_item_on_ok")
            and (e.get("event_data") or {}).get("task", "").endswith(task_suffix)]


def artifacts_text(pdd):
    """Everything the runner wrote for the job except ``command``, which holds the whole environment
    (credentials included) in plain text by design."""
    out = []
    for path in glob.glob(str(pdd / "artifacts" / "job" / "**"), recursive=True):
        if os.path.isfile(path) and os.path.basename(path) != "command":
            with open(path, errors="replace") as f:
                out.append(f.read())
    return "\n".join(out)


def published(runner, name):
    events = ok_events(runner, "Publish " + name)
    assert events, "no Publish %s event" % name
    return events[-1]["event_data"]["res"]["ansible_facts"][name]


def test_restore_disks_job_template(fast, awx_job):
    emu = fast
    survey = {"vault_name": "rsv-prod", "vault_resource_group": "rg-vault", "vm_names": "vm-web-01",
              "vm_resource_group": "rg-prod", "staging_storage_account": "strestorewe",
              "staging_storage_account_resource_group": "rg-restore", "target_resource_group": "rg-restore",
              "disk_luns": "1", "poll_interval": 1, "wait_timeout": "600"}
    runner, pdd = awx_job("restore_disks.yml", survey)
    assert runner.status == "successful" and runner.rc == 0, runner.stdout.read()

    (job,) = emu.control.state()["jobs"]
    assert job["vm_name"] == "vm-web-01" and job["status"] == "Completed" and job["recovery_type"] == "RestoreDisks"
    disks = [d for d in emu.control.state()["disks"] if d["id"] in job["created"]]
    assert sorted(d["name"].split("-")[3] for d in disks) == ["datadisk", "osdisk"]
    # One task starts every VM (vm_restore's list form): one result per VM in its results.
    started = ok_events(runner, "Start the restore of every VM (without waiting for the jobs)")
    (start,) = [e for e in started if e["event"] == "runner_on_ok"]
    assert [r["changed"] for r in start["event_data"]["res"]["results"]] == [True]
    (result,) = published(runner, "restore_disks_results")
    assert result["job_id"] == job["id"] and result["restored_disk_luns"] == [1]
    assert result["template_blob_uri"] == job["property_bag"]["Template Blob Uri"]
    assert runner.stats["changed"] == {"localhost": 1}
    assert emu.client_secret not in artifacts_text(pdd)


def test_replace_disks_job_template(fast, awx_job):
    emu = fast
    before = emu.control.state()["vms"]["vm-app-007"]
    point = emu.control.state()["vaults"]["rsv-prod"]["items"]["vm-app-007"]["recovery_points"][2]
    survey = {"vault_name": "rsv-prod", "vault_resource_group": "rg-vault", "vm_names": "vm-app-007",
              "vm_resource_group": "rg-prod", "staging_storage_account": "strestorewe",
              "staging_storage_account_resource_group": "rg-restore", "recovery_point_id": point["name"],
              "confirm": "false", "poll_interval": 1}
    runner, pdd = awx_job("replace_disks.yml", survey)
    assert runner.status == "successful" and runner.rc == 0, runner.stdout.read()

    (job,) = emu.control.state()["jobs"]
    assert job["recovery_type"] == "OriginalLocation" and job["recovery_point"] == point["name"]
    after = emu.control.state()["vms"]["vm-app-007"]
    assert after["os_disk"]["id"] != before["os_disk"]["id"] and after["os_disk"]["id"] in job["created"]
    (result,) = published(runner, "replace_disks_results")
    assert result["job_id"] == job["id"] and result["status"] == "Completed"


def test_replace_disks_job_template_refuses_without_confirmation(emu, awx_job):
    survey = {"vault_name": "rsv-prod", "vault_resource_group": "rg-vault", "vm_names": "vm-app-007",
              "vm_resource_group": "rg-prod", "staging_storage_account": "strestorewe",
              "staging_storage_account_resource_group": "rg-restore", "confirm": "false"}
    runner, _unused = awx_job("replace_disks.yml", survey)
    assert runner.status == "failed" and runner.rc != 0
    failed = [e for e in runner.events if e.get("event") == "runner_on_failed"]
    assert len(failed) == 1 and "Refusing to replace the disks of vm-app-007" in failed[0]["event_data"]["res"]["msg"]
    assert emu.control.requests() == [] and emu.control.state()["jobs"] == []


def test_secondary_region_restore_job_template(fast, awx_job):
    emu = fast
    survey = {"vault_name": "rsv-prod", "vault_resource_group": "rg-vault", "vm_names": "vm-db-01",
              "vm_resource_group": "rg-prod", "staging_storage_account": "strestorene",
              "staging_storage_account_resource_group": "rg-dr", "target_resource_group": "rg-dr",
              "disk_luns": "0,2", "poll_interval": 1}
    runner, pdd = awx_job("secondary_region_restore.yml", survey)
    assert runner.status == "successful" and runner.rc == 0, runner.stdout.read()

    (job,) = emu.control.state()["jobs"]
    assert job["crr"] is True and job["status"] == "Completed" and job["vm_name"] == "vm-db-01"
    (post,) = [e for e in emu.control.requests() if e["path"].lower().endswith("/backupcrossregionrestore")]
    assert "/locations/northeurope/" in post["path"]
    assert post["request_body"]["restoreRequest"]["restoreDiskLunList"] == [0, 2]
    (result,) = published(runner, "secondary_region_restore_results")
    assert result["job_id"] == job["id"] and result["secondary_region"] == "northeurope"
    # the token is in no event, no stdout, no artifact (but ``command``, which holds the environment)
    token = post["request_body"]["crossRegionRestoreAccessDetails"]["accessTokenString"]
    text = artifacts_text(pdd)
    assert token and token not in text and token not in json.dumps(list(runner.events))
    # each VM's token is fetched inside crr_restore: the task that starts the restores is given none
    start_events = ok_events(runner, "Start the cross-region restore of every VM (without waiting)")
    assert start_events and all(e["event_data"]["res"]["invocation"]["module_args"].get("access_details") is None
                                for e in start_events)
