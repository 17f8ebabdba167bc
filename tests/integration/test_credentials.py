# -*- coding: utf-8 -*-
"""The bearer token goes only to the Resource Manager endpoint: answers that point elsewhere.

The emulator hands out operation URLs and nextLinks on another name of the same server
(``https://localhost:PORT``) or on plain ``http://``. Had the client followed one, the emulator would
have logged a request with that Host header; its request log is the oracle.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import urlsplit

import pytest

from playbook import run_playbook

BASE = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_resource_group="rg-prod",
            staging_storage_account="strestorewe", staging_storage_account_resource_group="rg-restore",
            target_resource_group="rg-restore", restore_type="restore_disks")
RESTORE_POST = r"/recoveryPoints/[^/]+/restore$"


def port(emu):
    return urlsplit(emu.endpoint).port


def hosts(emu):
    """The Host header of every request the emulator received."""
    out = set()
    for e in emu.control.requests():
        headers = dict((k.lower(), v) for k, v in (e.get("request_headers") or {}).items())
        out.add(headers.get("host"))
    return out


def restore_posts(emu, vm):
    return [e for e in emu.control.requests()
            if e["method"] == "POST" and e["path"].endswith("/restore") and (";%s/" % vm) in e["path"]]


@pytest.mark.parametrize("scheme_host", ["https://localhost", "http://127.0.0.1"])
def test_foreign_operation_url_is_not_followed_and_the_job_is_found(emu, emu_env, scheme_host):
    emu.control.update_settings(job_durations={"RestoreDisks": 0})
    url_base = "%s:%d" % (scheme_host, port(emu))
    emu.control.add_fault(method="POST", path="vm-web-01" + RESTORE_POST, action="foreign_operation_url",
                          url_base=url_base, count=1)
    result = run_playbook([{"name": "restore", "register": "r", "azbackup.restore.vm_restore": dict(
        BASE, vm_name="vm-web-01", wait="job", poll_interval=1)}], emu_env)
    r = result.task("restore")
    jobs = [j for j in emu.control.state()["jobs"] if j["vm_name"] == "vm-web-01"]
    assert r.get("_state") != "failed", r
    assert r["changed"] is True and len(jobs) == 1 and r["job_id"] == jobs[0]["id"], r
    assert r["job"]["status"] == "Completed"
    warning = " ".join(r.get("warnings") or [])
    assert urlsplit(url_base).hostname in warning and "does not send credentials" in warning, r
    assert len(restore_posts(emu, "vm-web-01")) == 1
    assert "localhost:%d" % port(emu) not in hosts(emu)
    assert all(h == "127.0.0.1:%d" % port(emu) for h in hosts(emu) if h), hosts(emu)


def test_foreign_next_link_is_refused_naming_the_host(emu, emu_env):
    url_base = "https://localhost:%d" % port(emu)
    emu.control.update_settings(page_size=1)
    emu.control.add_fault(method="GET", path=r"vm-web-01/recoveryPoints$", action="foreign_next_link",
                          url_base=url_base, count=1)
    result = run_playbook([{"name": "points", "ignore_errors": True, "azbackup.restore.recovery_point_info": dict(
        vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01", vm_resource_group="rg-prod")}],
        emu_env)
    r = result.task("points")
    assert r.get("_state") == "failed", r
    assert "localhost" in r["msg"] and "nothing was sent" in r["msg"], r["msg"]
    assert "?" not in r["msg"].split("localhost", 1)[1].split(" ")[0], r["msg"]
    assert "localhost:%d" % port(emu) not in hosts(emu)
