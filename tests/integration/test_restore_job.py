# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""restore_job in real playbooks against the emulator, on jobs started through the emulator's own
API; the emulator's state and request log are the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import requests

import pytest

from playbook import run_playbook
from test_restore_job_info import VAULT, failed, job_state, start_restore

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api_versions
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._common import get_client


def task(name, check_mode=None, ignore_errors=False, **args):
    t = {"name": name, "azbackup.restore.restore_job": dict(VAULT, **args)}
    if check_mode is not None:
        t["check_mode"] = check_mode
    if ignore_errors:
        t["ignore_errors"] = True
    return t


@pytest.fixture
def api(emu, emu_env, monkeypatch):
    """The collection's own ARM client, authenticated against the emulator like any Azure client."""
    for key, value in emu_env.items():
        monkeypatch.setenv(key, value)
    return get_client({}, session=requests.Session(), env=emu_env)


def cancels(log):
    return [e for e in log if e["method"] == "POST" and e["path"].lower().endswith("/cancel")]


def test_cancel_check_mode_and_idempotency(emu, emu_env, api):
    emu.control.update_settings(job_durations={"RestoreDisks": 600}, cancel_duration_seconds=1)
    long_job = start_restore(api, "vm-app-004")[1]
    done_job = start_restore(api, "vm-app-005")[1]
    emu.control.finish_job(done_job, "Completed")
    emu.control.clear_requests()

    result = run_playbook([
        task("cancel check", check_mode=True, job_id=long_job),
        task("cancel", job_id=long_job, poll_interval=1, wait_timeout=60),
        task("cancel again", job_id=long_job),
        task("cancel again check", check_mode=True, job_id=long_job),
        task("cancel ended job", job_id=done_job),
        task("unknown job", ignore_errors=True, job_id="00000000-1111-4222-8333-444444444444"),
    ], emu_env)
    assert result.rc == 0 and result.stats["localhost"]["ignored"] == 1, result

    check = result.task("cancel check")
    assert check["changed"] is True and check["cancelled"] is True and check["job"]["status"] == "InProgress"
    cancel = result.task("cancel")
    assert cancel["changed"] is True and cancel["cancelled"] is True and cancel["job"]["status"] == "Cancelled"
    for name in ("cancel again", "cancel again check"):
        again = result.task(name)
        assert again["changed"] is False and again["cancelled"] is False and again["job"]["status"] == "Cancelled"
    ended = result.task("cancel ended job")
    assert ended["changed"] is False and ended["job"]["status"] == "Completed"
    unknown = result.task("unknown job")
    assert failed(unknown) and "Job 00000000-1111-4222-8333-444444444444 was not found" in unknown["msg"]
    assert unknown["option"] == "job_id" and unknown["error_code"]

    # The oracle: one cancellation reached Azure (none from check mode, none from the second run,
    # none for the ended job), its operation was followed to its end, and the job is cancelled there.
    log = emu.control.requests()
    sent = cancels(log)
    assert len(sent) == 1 and sent[0]["path"].endswith("/backupJobs/%s/cancel" % long_job)
    assert sent[0]["status"] == 202 and sent[0]["api_version"] == api_versions.BACKUP
    assert [e for e in log if "/operationresults/" in e["path"].lower()][-1]["status"] in (200, 204)
    assert [e for e in log if e["method"] not in ("GET", "POST") and e["kind"] != "aad"] == []
    state = job_state(emu)
    assert state[long_job]["status"] == "Cancelled" and state[done_job]["status"] == "Completed"


def test_cancelling_job_is_waited_for_without_a_change(emu, emu_env, api):
    emu.control.update_settings(job_durations={"RestoreDisks": 600}, cancel_duration_seconds=3)
    job_id = start_restore(api, "vm-app-006")[1]
    vault_id = rid.vault_id(api.subscription_id, VAULT["vault_resource_group"], VAULT["vault_name"])
    api.post("%s/backupJobs/%s/cancel" % (vault_id, job_id), api_version=api_versions.BACKUP, ok=(202,))
    emu.control.clear_requests()

    result = run_playbook([task("cancelled elsewhere", job_id=job_id, poll_interval=1, wait_timeout=60)], emu_env)
    assert result.rc == 0, result
    res = result.task("cancelled elsewhere")
    assert res["changed"] is False and res["cancelled"] is False and res["job"]["status"] == "Cancelled"

    assert cancels(emu.control.requests()) == []
    assert job_state(emu)[job_id]["status"] == "Cancelled"
