# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import json

import pytest
import responses

from ansible_collections.azbackup.restore.plugins.module_utils import _ilr
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    OperationFailedError,
    ValidationError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import ProtectedItemRef
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import ARM, ITEM, SUB, VM, make_client

PASSWORD = "Ab3dEf6hIj9kLm0"
TAG = "b1a5d6e4c9f04e7a8b2c3d4e5f6a7b8c"
SUFFIX = "vm-web-01_westeurope_3157283729_" + TAG + PASSWORD
SCRIPT = '#!/usr/bin/env python3\nTargetPassword="%s"\nprint("mount")\n' % PASSWORD
OP = ITEM + "/operationsStatus/op-1"


def b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def linux(content=SCRIPT, suffix=SUFFIX):
    return {"osType": "Linux", "scriptExtension": ".py", "scriptNameSuffix": suffix, "scriptContent": b64(content)}


def status(scripts):
    return {"id": "op-1", "name": "op-1", "status": "Succeeded", "properties": {
        "objectType": "OperationStatusProvisionILRExtendedInfo", "recoveryTarget": {"clientScripts": scripts}}}


def item():
    return ProtectedItemRef(SUB, "rg-vault", "rsv-prod", "rg-prod", "vm-web-01")


def session():
    return _ilr.FileRecovery(make_client(), item(), "300")


def accepted(rsps, action="provisionInstantItemRecovery"):
    rsps.add(responses.POST, ARM + ITEM + "/recoveryPoints/300/" + action, status=202,
             headers={"Azure-AsyncOperation": ARM + OP + "?api-version=2024-04-01",
                      "Location": ARM + ITEM + "/operationResults/op-1?api-version=2024-04-01"})


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def test_split_name_suffix_reads_the_password_where_azure_puts_it():
    assert _ilr.split_name_suffix(SUFFIX) == ("vm-web-01_westeurope_3157283729_" + TAG, PASSWORD)
    assert _ilr.split_name_suffix(SUFFIX + "_x") == (SUFFIX + "_x", None)  # too short after the last _
    assert _ilr.split_name_suffix(None) == ("", None)
    assert _ilr.split_name_suffix("a_" + "x" * 32 + PASSWORD + "tail") == ("a_" + "x" * 32 + "tail", PASSWORD)


def test_normalize_script_decodes_and_drops_the_password():
    out = _ilr.normalize_script(linux(), PASSWORD)
    assert out["file_name"] == "vm-web-01_westeurope_3157283729_%s.py" % TAG
    assert out["os_type"] == "Linux" and out["extension"] == ".py" and out["url"] is None
    assert PASSWORD not in json.dumps(out)
    assert 'TargetPassword="UserInput012345"' in out["content"]
    again = _ilr.normalize_script(linux(SCRIPT + "echo %s\n" % PASSWORD), PASSWORD)
    assert PASSWORD not in again["content"] and again["content"].endswith("echo ********\n")
    win = _ilr.normalize_script({"osType": "Windows", "scriptExtension": ".exe", "scriptNameSuffix": SUFFIX,
                                 "url": "https://x.example/ILR.exe"}, PASSWORD)
    assert win["content"] is None and win["url"] == "https://x.example/ILR.exe" and win["file_name"].endswith(".exe")


def test_the_file_name_is_never_a_path():
    out = _ilr.normalize_script(linux(suffix="../../etc/cron.d/x_" + TAG + PASSWORD), PASSWORD)
    assert "/" not in out["file_name"] and not out["file_name"].startswith(".")


def test_bad_content_is_a_clear_error():
    with pytest.raises(AzBackupError, match="not base64"):
        _ilr.decode_content("\xff not base64 !!")


def test_provision_body():
    assert _ilr.provision_body("300", VM, "iqn.x", True) == {"properties": {
        "objectType": "IaasVMILRRegistrationRequest", "recoveryPointId": "300", "virtualMachineId": VM,
        "renewExistingRegistration": True, "initiatorName": "iqn.x"}}
    assert "initiatorName" not in _ilr.provision_body("300", VM)["properties"]


def test_provision_follows_the_operation_and_returns_the_scripts(rsps):
    accepted(rsps)
    rsps.add(responses.GET, ARM + OP, json=status([linux()]))
    out = session().provision(VM, renew=False)
    assert out["password"] == PASSWORD and out["operation_url"].startswith(ARM + OP)
    assert out["scripts"][0]["content"].startswith("#!/usr/bin/env python3")
    post = [c for c in rsps.calls if c.request.method == "POST"][0]
    assert json.loads(post.request.body)["properties"]["recoveryPointId"] == "300"
    # the password is a secret of every message from now on
    assert PASSWORD not in AzBackupError("x %s" % PASSWORD).msg


def test_provision_without_scripts_or_password_fails(rsps):
    accepted(rsps)
    rsps.add(responses.GET, ARM + OP, json=status([]))
    with pytest.raises(_ilr.FileRecoveryError, match="no client script"):
        session().provision(VM)
    rsps.replace(responses.GET, ARM + OP, json=status([linux(suffix="short")]))
    with pytest.raises(_ilr.FileRecoveryError, match="no password"):
        session().provision(VM)


def test_failed_operation_names_the_point(rsps):
    accepted(rsps)
    rsps.add(responses.GET, ARM + OP, json={"id": "op-1", "status": "Failed",
                                            "error": {"code": "UserErrorIlrFailed", "message": "nope"}})
    with pytest.raises(OperationFailedError) as e:
        session().provision(VM)
    assert "open the file recovery session of recovery point 300" in e.value.msg and "UserErrorIlrFailed" in e.value.msg


def test_missing_point_is_a_refusal_naming_the_option(rsps):
    rsps.add(responses.POST, ARM + ITEM + "/recoveryPoints/300/revokeInstantItemRecovery", status=404,
             json={"error": {"code": "BMSUserErrorObjectNotFound", "message": "gone"}})
    with pytest.raises(ValidationError) as e:
        session().revoke()
    assert e.value.option == "recovery_point_id"


def test_revoke(rsps):
    accepted(rsps, "revokeInstantItemRecovery")
    rsps.add(responses.GET, ARM + OP, json={"id": "op-1", "status": "Succeeded"})
    assert session().revoke().startswith(ARM + OP)


def test_session_active_and_expiry():
    assert _ilr.session_active({"properties": {"isInstantIlrSessionActive": True}})
    assert not _ilr.session_active({"properties": {}}) and not _ilr.session_active(None)
    t = datetime.datetime(2026, 12, 6, 0, 0, tzinfo=datetime.timezone.utc)
    assert _ilr.session_expiry(t) == datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.timezone.utc)
