# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import json

from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common, _crr, _errors
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError, ValidationError
from ansible_collections.azbackup.restore.plugins.modules import crr_access_token as mod
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import ARM, ITEM, SUB, VAULT, make_client

RPS = ARM + ITEM + "/recoveryPoints"
LOC = ARM + "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations" % SUB
BASE = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01", vm_resource_group="rg-prod")
NOW = datetime.datetime(2026, 11, 10, 12, 0, 0, tzinfo=datetime.timezone.utc)
EXP = int(datetime.datetime(2026, 11, 11, 12, 0, 0, tzinfo=datetime.timezone.utc).timestamp())


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


TOKEN = "%s.%s.%s" % (b64({"alg": "RS256", "typ": "JWT"}), b64({"exp": EXP, "aud": "crr"}), "c2lnbmF0dXJl")
AAD = {"id": "aad", "name": "aad", "properties": {"tenantId": "t-1", "audience": "https://RecoveryServices/IaasCoord/aadmgmt/sdc",
                                                  "servicePrincipalObjectId": "sp-1"}}


def vault(location="swedencentral", crr="Enabled", redundancy=True):
    props = {"provisioningState": "Succeeded"}
    if redundancy:
        props["redundancySettings"] = {"standardTierStorageRedundancy": "GeoRedundant" if crr == "Enabled"
                                       else "LocallyRedundant", "crossRegionRestore": crr}
    return {"id": VAULT, "name": "rsv-prod", "location": location, "type": "Microsoft.RecoveryServices/vaults",
            "properties": props}


def locations():
    return {"value": [
        {"name": "swedencentral", "metadata": {"pairedRegion": [{"name": "swedensouth"}]}},
        {"name": "swedensouth", "metadata": {"pairedRegion": [{"name": "swedencentral"}]}},
        {"name": "westeurope", "metadata": {"pairedRegion": [{"name": "northeurope"}]}},
        {"name": "northeurope", "metadata": {"pairedRegion": [{"name": "westeurope"}]}},
    ]}


def rp(name, when, kind="AppConsistent"):
    return {"id": ITEM + "/recoveryPoints/" + name, "name": name, "properties": {
        "objectType": "IaasVMRecoveryPoint", "recoveryPointType": kind, "recoveryPointTime": when,
        "crossRegionRestoreState": "Supported",
        "recoveryPointTierDetails": [{"type": "HardenedRP", "status": "Valid"}]}}


REPLICATED = [rp("200", "2026-11-08T01:00:00Z"), rp("300", "2026-11-09T01:00:00Z", "CrashConsistent"),
              rp("100", "2026-11-07T01:00:00Z")]


def token_answer(token=TOKEN, rp_id="300"):
    return {"id": ITEM + "/recoveryPoints/" + rp_id, "name": rp_id, "properties": {
        "objectType": "CrrAccessToken", "accessTokenString": token, "recoveryPointId": rp_id,
        "recoveryPointTime": "11/9/2026 1:00:00 AM", "containerName": "iaasvmcontainerv2;rg-prod;vm-web-01",
        "backupManagementType": "AzureIaasVM", "datasourceType": "VM", "datasourceName": "vm-web-01"}}


def happy(rsps, location="swedencentral", secondary="swedensouth", token=TOKEN):
    rsps.add(responses.GET, ARM + VAULT, json=vault(location))
    rsps.add(responses.GET, ARM + "/subscriptions/%s/locations" % SUB, json=locations())
    rsps.add(responses.GET, RPS + "/", json={"value": REPLICATED})
    rsps.add(responses.GET, LOC + "/%s/backupAadProperties" % secondary, json=AAD)
    rsps.add(responses.POST, RPS + "/300/accessToken", json=token_answer(token))


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


@pytest.fixture(autouse=True)
def fixed_now():
    with mock.patch.object(mod, "_now", lambda: NOW):
        yield


def run(args, capsys, check_mode=False):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), mock.patch.object(_common, "get_client", return_value=make_client()) as gc:
        with pytest.raises(SystemExit) as exc:
            mod.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    out["_get_client_calls"] = gc.call_count
    return out


def calls(rsps, method=None, contains=""):
    return [c for c in rsps.calls if (method is None or c.request.method == method) and contains in c.request.url]


def q(call):
    return parse_qs(urlsplit(call.request.url).query)


def test_happy_path_with_an_unusual_pair(rsps, capsys):
    happy(rsps)
    out = run(BASE, capsys)
    assert out["_rc"] == 0 and out["changed"] is False
    assert out["secondary_region"] == "swedensouth"
    assert out["recovery_point"]["name"] == "300"
    # the token reaches the caller intact, for crr_restore
    assert out["access_details"]["accessTokenString"] == TOKEN
    assert out["access_details"]["objectType"] == "CrrAccessToken"
    assert out["expires_on"] == "2026-11-11T12:00:00Z"
    assert out["aad_properties"] == AAD
    assert out["protected_item"]["vault_id"] == VAULT
    # the requests: vault, locations, secondary points (CRR path and version), AAD of the pair, token
    assert [c.request.method for c in rsps.calls] == ["GET", "GET", "GET", "GET", "POST"]
    rp_list = calls(rsps, "GET", "/recoveryPoints")[0]
    assert urlsplit(rp_list.request.url).path.endswith("/recoveryPoints/")
    assert q(rp_list)["api-version"] == ["2023-01-15"]
    aad = calls(rsps, "GET", "backupAadProperties")[0]
    assert "/locations/swedensouth/" in aad.request.url and q(aad)["api-version"] == ["2023-01-15"]
    post = calls(rsps, "POST")[0]
    assert json.loads(post.request.body) == {"properties": AAD["properties"]}
    assert q(post)["api-version"] == ["2023-01-15"]


class FakeModule(object):
    """What run() uses of an AzBackupModule, recording the values it hides and shows."""

    def __init__(self, params):
        self.params = params
        self.client = make_client()
        self.subscription_id = SUB
        self.check_mode = False
        self.hidden, self.shown = [], []

    def hide(self, *values):
        self.hidden.extend(values)

    def show(self, value):
        self.shown.append(value)


def test_token_is_a_secret_and_leaves_no_log_values_only_for_the_result():
    """While the module works, the token is a secret of every error message; run() lets it reach the result."""
    params = dict.fromkeys(mod.argument_spec())
    params.update(BASE, select="latest", api_version="2023-01-15", start_time=None, end_time=None)
    module = FakeModule(params)
    token = "opaque-token-%s" % id(module)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        happy(r, token=token)
        result = mod.run(module)
    assert module.shown == [token]
    assert result["access_details"]["accessTokenString"] == token
    assert token not in AzBackupError("something went wrong with %s" % token).msg
    assert _errors.REDACTED in AzBackupError("x %s" % token).msg


def test_token_masked_in_a_failure_after_it_arrived(rsps, capsys):
    happy(rsps)

    def boom(token, now):
        raise AzBackupError("could not read the expiry of %s" % token)

    with mock.patch.object(_crr, "token_expiry", boom):
        out = run(BASE, capsys)
    assert out["_rc"] == 1
    assert TOKEN not in json.dumps(out)
    assert "could not read the expiry of ********" in out["msg"]


def test_token_masked_by_ansible_no_log_values_too(rsps, capsys):
    happy(rsps)

    def boom(token, now):
        # A message that bypasses the collection's own redaction: Ansible's no_log_values still mask it.
        raise AzBackupError("x")

    with mock.patch.object(_crr, "token_expiry", boom), \
            mock.patch.object(_common, "fail_from_error",
                              lambda module, err, **kw: module.fail_json(msg="leak " + TOKEN)):
        out = run(BASE, capsys)
    assert out["_rc"] == 1 and TOKEN not in json.dumps(out)


def test_check_mode_still_gets_the_token(rsps, capsys):
    happy(rsps)
    out = run(BASE, capsys, check_mode=True)
    assert out["_rc"] == 0 and out["changed"] is False and calls(rsps, "POST", "accessToken")


def test_crr_disabled_vault_is_refused_before_the_token(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault("westeurope", crr="Disabled"))
    out = run(BASE, capsys)
    assert out["_rc"] == 1 and out["option"] == "vault_name"
    assert "does not have cross-region restore enabled" in out["msg"]
    assert "LocallyRedundant" in out["msg"]
    assert len(rsps.calls) == 1 and calls(rsps, "POST") == []


def test_vault_without_redundancy_settings_reads_the_storage_config(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault("westeurope", redundancy=False))
    rsps.add(responses.GET, ARM + VAULT + "/backupstorageconfig/vaultstorageconfig",
             json={"properties": {"storageType": "LocallyRedundant", "crossRegionRestoreFlag": False}})
    out = run(BASE, capsys)
    assert out["_rc"] == 1 and "crossRegionRestoreFlag is False" in out["msg"]
    assert calls(rsps, "POST") == []


def test_secondary_region_option_and_aad_properties_skip_lookups(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault("westeurope"))
    rsps.add(responses.GET, RPS + "/", json={"value": REPLICATED})
    rsps.add(responses.POST, RPS + "/300/accessToken", json=token_answer())
    out = run(dict(BASE, secondary_region="North Europe", aad_properties=AAD["properties"]), capsys)
    assert out["_rc"] == 0 and out["secondary_region"] == "northeurope"
    assert calls(rsps, contains="/locations") == [] and calls(rsps, contains="backupAadProperties") == []
    assert json.loads(calls(rsps, "POST")[0].request.body) == {"properties": AAD["properties"]}


def test_filters_pick_the_newest_matching(rsps, capsys):
    happy(rsps)
    rsps.add(responses.POST, RPS + "/200/accessToken", json=token_answer(rp_id="200"))
    out = run(dict(BASE, recovery_point_type="appconsistent", start_time="2026-11-01T00:00:00Z"), capsys)
    assert out["_rc"] == 0 and out["recovery_point"]["name"] == "200"
    assert "startDate eq '2026-11-01 12:00:00 AM'" in q(calls(rsps, "GET", "/recoveryPoints")[0])["$filter"][0]
    assert calls(rsps, "POST")[0].request.url.startswith(RPS + "/200/accessToken")


def test_no_replicated_point(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault("westeurope"))
    rsps.add(responses.GET, ARM + "/subscriptions/%s/locations" % SUB, json=locations())
    rsps.add(responses.GET, RPS + "/", json={"value": []})
    out = run(BASE, capsys)
    assert out["_rc"] == 1
    assert "No recovery point of VM vm-web-01" in out["msg"] and "secondary region northeurope" in out["msg"]
    assert calls(rsps, "POST") == []


def test_point_not_replicated_yet(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault("westeurope"))
    rsps.add(responses.GET, ARM + "/subscriptions/%s/locations" % SUB, json=locations())

    def point(request):
        if "2023-01-15" in request.url:
            return 404, {}, json.dumps({"error": {"code": "BMSUserErrorObjectNotFound", "message": "not found"}})
        return 200, {}, json.dumps(rp("400", "2026-11-10T01:00:00Z"))

    rsps.add_callback(responses.GET, RPS + "/400", callback=point)
    out = run(dict(BASE, recovery_point_id="400"), capsys)
    assert out["_rc"] == 1 and "not replicated to the secondary region yet" in out["msg"]
    assert calls(rsps, "POST") == [] and calls(rsps, contains="backupAadProperties") == []


def test_token_request_error(rsps, capsys):
    happy(rsps)
    rsps.replace(responses.POST, RPS + "/300/accessToken", status=400,
                 json={"error": {"code": "CloudInvalidInputError", "message": "bad"}},
                 headers={"x-ms-correlation-request-id": "corr-7"})
    out = run(BASE, capsys)
    assert out["_rc"] == 1 and out["error_code"] == "CloudInvalidInputError"
    assert out["msg"].startswith("Failed to get the cross-region restore access token of recovery point 300")
    assert out["correlation_id"] == "corr-7"
    assert len(calls(rsps, "POST")) == 1  # not retried


def test_unknown_vault(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT.replace("rsv-prod", "rsv-nope"), status=404,
             json={"error": {"code": "ResourceNotFound", "message": "vault not found"}})
    out = run(dict(BASE, vault_name="rsv-nope"), capsys)
    assert out["_rc"] == 1 and out["msg"].startswith("Vault rsv-nope was not found in resource group rg-vault")


def test_region_without_pair(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault("lonelyregion"))
    rsps.add(responses.GET, ARM + "/subscriptions/%s/locations" % SUB,
             json={"value": [{"name": "lonelyregion", "metadata": {"pairedRegion": []}}]})
    out = run(BASE, capsys)
    assert out["_rc"] == 1 and "no paired region" in out["msg"] and out["option"] == "secondary_region"


@pytest.mark.parametrize("args", [
    dict(recovery_point_id="1", start_time="2026-11-01T00:00:00Z"),
    dict(start_time="2026-11-05T00:00:00Z", end_time="2026-11-01T00:00:00Z"),
    dict(select="all"),
    dict(vm_name=None, vm_resource_group=None),
])
def test_validation_before_any_request(rsps, capsys, args):
    out = run(dict(BASE, **args), capsys)
    assert out["_rc"] == 1 and len(rsps.calls) == 0


def test_missing_token_in_answer(rsps, capsys):
    happy(rsps)
    rsps.replace(responses.POST, RPS + "/300/accessToken", json={"properties": {"objectType": "CrrAccessToken"}})
    out = run(BASE, capsys)
    assert out["_rc"] == 1 and "without an accessTokenString" in out["msg"]


def test_token_expiry():
    assert _crr.token_expiry(TOKEN, NOW) == datetime.datetime(2026, 11, 11, 12, tzinfo=datetime.timezone.utc)
    assert _crr.token_expiry("not-a-jwt", NOW) == NOW + datetime.timedelta(hours=23)
    assert _crr.token_expiry("a.%s.c" % b64({"exp": "soon"}), NOW) == NOW + datetime.timedelta(hours=23)
    assert _crr.token_expiry("a.!!!.c", NOW) == NOW + datetime.timedelta(hours=23)


def test_aad_body():
    assert _crr.aad_body(AAD) is AAD
    assert _crr.aad_body({"tenantId": "t"}) == {"properties": {"tenantId": "t"}}
    with pytest.raises(ValidationError):
        _crr.aad_body({})
    assert _crr.token_request_body(dict(AAD, location="x")) == {"properties": AAD["properties"], "location": "x"}
