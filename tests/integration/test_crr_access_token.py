# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""crr_access_token in real playbooks against the emulator; the emulator's request log is the
oracle, and the token it issued must never show in Ansible's output."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from playbook import run_playbook

WEB = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01", vm_resource_group="rg-prod")


def failed(res):
    return res.get("_state") == "failed" or bool(res.get("failed"))


def token_posts(emu):
    return [e for e in emu.control.requests() if e["method"] == "POST" and e["path"].lower().endswith("/accesstoken")]


def test_token_masked_refusals_and_the_token_usable(emu, emu_env, tmp_path):
    points = emu.control.state()["vaults"]["rsv-prod"]["items"]["vm-web-01"]["recovery_points"]
    newest = max(points, key=lambda p: p["time"])
    newest_replicated = max((p for p in points if p["replicated"]), key=lambda p: p["time"])
    assert not newest["replicated"]
    saved = str(tmp_path / "token.txt")

    result = run_playbook([
        {"name": "token", "azbackup.restore.crr_access_token": WEB, "register": "crr", "no_log": True},
        # What crr_restore gets: the token itself, not a masked copy (written where the test can read it).
        {"name": "save", "copy": {"content": "{{ crr.access_details.accessTokenString }}", "dest": saved},
         "no_log": True},
        {"name": "facts", "set_fact": {"rp": "{{ crr.recovery_point.name }}", "region": "{{ crr.secondary_region }}",
                                       "expires": "{{ crr.expires_on }}", "changed_": "{{ crr.changed }}"}},
        {"name": "lrs vault", "ignore_errors": True,
         "azbackup.restore.crr_access_token": dict(WEB, vault_name="rsv-lrs", vm_name="vm-lrs-01")},
        {"name": "not replicated", "ignore_errors": True,
         "azbackup.restore.crr_access_token": dict(WEB, recovery_point_id=newest["name"])},
    ], emu_env, verbosity=4)
    assert result.rc == 0 and result.stats["localhost"]["ignored"] == 2, result

    # The oracle: exactly one token request, for the newest replicated point, with the body Azure's
    # backupAadProperties of the paired region (from the locations API) gave.
    log = emu.control.requests()
    posts = token_posts(emu)
    assert len(posts) == 1 and posts[0]["status"] == 200
    assert posts[0]["path"].endswith("/recoveryPoints/%s/accessToken" % newest_replicated["name"])
    assert posts[0]["api_version"] == "2023-01-15"
    aad = [e for e in log if e["path"].lower().endswith("/backupaadproperties")]
    assert len(aad) == 1 and "/locations/northeurope/" in aad[0]["path"]
    assert posts[0]["request_body"] == {"properties": aad[0]["response_body"]["properties"]}
    assert [e for e in log if e["method"] == "GET" and e["path"].lower().endswith("/locations")]
    token = posts[0]["response_body"]["properties"]["accessTokenString"]
    assert len(token) > 20

    # Masked everywhere Ansible prints, at -vvvv; yet the registered result held the real token.
    assert token not in result.output
    assert token.split(".")[1] not in result.output
    with open(saved) as f:
        assert f.read() == token
    facts = result.task("facts")["ansible_facts"]
    assert facts["rp"] == newest_replicated["name"] and facts["region"] == "northeurope"
    assert facts["expires"].endswith("Z") and str(facts["changed_"]) == "False"

    lrs = result.task("lrs vault")
    assert failed(lrs) and "does not have cross-region restore enabled" in lrs["msg"] and "rsv-lrs" in lrs["msg"]
    not_replicated = result.task("not replicated")
    assert failed(not_replicated) and "not replicated to the secondary region yet" in not_replicated["msg"]
    for res in (lrs, not_replicated):
        assert token not in str(res)
    # Neither refusal asked for a token, nor for the AAD properties.
    assert not [e for e in posts if "rsv-lrs" in e["path"] or newest["name"] in e["path"]]
