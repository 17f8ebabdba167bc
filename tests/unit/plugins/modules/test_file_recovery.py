# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import json

from unittest import mock

import pytest
import responses

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common, _ilr
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError
from ansible_collections.azbackup.restore.plugins.modules import file_recovery as mod
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import ARM, ITEM, VM, make_client

RPS = ARM + ITEM + "/recoveryPoints"
OP = ARM + ITEM + "/operationsStatus/op-1"
BASE = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01", vm_resource_group="rg-prod")
NOW = datetime.datetime(2026, 12, 6, 0, 0, 0, tzinfo=datetime.timezone.utc)
PASSWORD = "Zx9Yw8Vu7Ts6Rq5"
SUFFIX = "vm-web-01_westeurope_3157283729_" + "c" * 32 + PASSWORD
CONTENT = '#!/usr/bin/env python3\nTargetPassword="%s"\n' % PASSWORD


def rp(name, when, active=False):
    return {"id": ITEM + "/recoveryPoints/" + name, "name": name, "properties": {
        "objectType": "IaasVMRecoveryPoint", "recoveryPointType": "AppConsistent", "recoveryPointTime": when,
        "isInstantIlrSessionActive": active, "osType": "Linux",
        "recoveryPointTierDetails": [{"type": "HardenedRP", "status": "Valid"}]}}


def scripted(rsps, active=False):
    points = [rp("200", "2026-12-04T01:00:00Z"), rp("300", "2026-12-05T01:00:00Z", active)]
    rsps.add(responses.GET, RPS, json={"value": points})
    rsps.add(responses.GET, RPS + "/300", json=points[1])
    for action in ("provisionInstantItemRecovery", "revokeInstantItemRecovery"):
        rsps.add(responses.POST, RPS + "/300/" + action, status=202,
                 headers={"Azure-AsyncOperation": OP + "?api-version=2024-04-01"})
    rsps.add(responses.GET, OP, json={"id": "op-1", "name": "op-1", "status": "Succeeded", "properties": {
        "objectType": "OperationStatusProvisionILRExtendedInfo", "recoveryTarget": {"clientScripts": [{
            "osType": "Linux", "scriptExtension": ".py", "scriptNameSuffix": SUFFIX,
            "scriptContent": base64.b64encode(CONTENT.encode()).decode()}]}}})


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


@pytest.fixture(autouse=True)
def fixed_now():
    with mock.patch.object(mod, "_now", lambda: NOW):
        yield


def run(args, capsys, check_mode=False):
    args = dict(BASE, **args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), mock.patch.object(_common, "get_client", return_value=make_client()):
        with pytest.raises(SystemExit) as exc:
            mod.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    return out


def posts(rsps):
    return [c for c in rsps.calls if c.request.method == "POST"]


def test_mount_opens_a_session_and_returns_the_script(rsps, capsys):
    scripted(rsps)
    out = run({}, capsys)
    assert out["_rc"] == 0 and out["changed"] is True and out["session_active"] is True
    (post,) = posts(rsps)
    assert post.request.url.startswith(RPS + "/300/provisionInstantItemRecovery?api-version=2024-04-01")
    assert json.loads(post.request.body) == {"properties": {
        "objectType": "IaasVMILRRegistrationRequest", "recoveryPointId": "300", "virtualMachineId": VM,
        "renewExistingRegistration": False}}
    (script,) = out["scripts"]
    assert script["file_name"] == "vm-web-01_westeurope_3157283729_%s.py" % ("c" * 32)
    assert script["content"] == '#!/usr/bin/env python3\nTargetPassword="UserInput012345"\n'
    assert out["password"] == PASSWORD
    assert out["expires_on"] == "2026-12-06T12:00:00Z"
    assert out["recovery_point"]["name"] == "300" and out["state"] == "mounted"
    # the password is in its own key only
    rest = dict(out)
    rest.pop("password")
    assert PASSWORD not in json.dumps(rest)


def test_open_session_is_no_change_without_renew(rsps, capsys):
    scripted(rsps, active=True)
    out = run({}, capsys)
    assert out["changed"] is False and out["session_active"] is True
    assert out["scripts"] == [] and out["password"] is None and posts(rsps) == []


def test_renew_opens_it_again(rsps, capsys):
    scripted(rsps, active=True)
    out = run(dict(renew=True, initiator_name="iqn.2004-10.com.ubuntu:01:abc"), capsys)
    assert out["changed"] is True and out["password"] == PASSWORD
    body = json.loads(posts(rsps)[0].request.body)["properties"]
    assert body["renewExistingRegistration"] is True and body["initiatorName"] == "iqn.2004-10.com.ubuntu:01:abc"


def test_check_mode_sends_no_post(rsps, capsys):
    scripted(rsps)
    out = run({}, capsys, check_mode=True)
    assert out["changed"] is True and out["scripts"] == [] and posts(rsps) == []
    scripted(rsps, active=True)
    out = run(dict(state="unmounted", recovery_point_id="300"), capsys, check_mode=True)
    assert out["changed"] is True and out["session_active"] is False and posts(rsps) == []


def test_unmount_revokes_an_open_session(rsps, capsys):
    scripted(rsps, active=True)
    out = run(dict(state="unmounted", recovery_point_id="300"), capsys)
    assert out["changed"] is True and out["session_active"] is False
    (post,) = posts(rsps)
    assert "/revokeInstantItemRecovery" in post.request.url and post.request.body is None
    assert out["operation_url"].startswith(OP)


def test_unmount_without_session_is_no_change(rsps, capsys):
    scripted(rsps)
    out = run(dict(state="unmounted"), capsys)
    assert out["changed"] is False and posts(rsps) == []


def test_password_masked_in_a_failure_after_it_arrived(rsps, capsys):
    scripted(rsps)

    def boom(opened_at):
        raise AzBackupError("could not compute the expiry of the session with %s" % PASSWORD)

    with mock.patch.object(_ilr, "session_expiry", boom):
        out = run({}, capsys)
    assert out["_rc"] == 1 and PASSWORD not in json.dumps(out)


def test_bad_time_window_fails_before_any_request(rsps, capsys):
    out = run(dict(start_time="2026-12-05T00:00:00Z", end_time="2026-12-01T00:00:00Z"), capsys)
    assert out["_rc"] == 1 and len(rsps.calls) == 0
