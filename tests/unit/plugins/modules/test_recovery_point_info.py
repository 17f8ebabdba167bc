# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import responses

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common
from ansible_collections.azbackup.restore.plugins.modules import recovery_point_info as mod
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import ARM, ITEM, SUB, VAULT, make_client

RPS = ARM + ITEM + "/recoveryPoints"
BASE_ARGS = dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_name="vm-web-01",
                 vm_resource_group="rg-prod")


def rp(name, when, kind="AppConsistent", tiers=(("HardenedRP", "Valid"),), luns=(0, 1), extra=None):
    props = {
        "objectType": "IaasVMRecoveryPoint", "recoveryPointType": kind, "recoveryPointTime": when,
        "recoveryPointTierDetails": [{"type": t, "status": s} for t, s in tiers],
        "recoveryPointDiskConfiguration": {"includedDiskList": [{"lun": n, "name": "d%d" % n} for n in luns],
                                           "excludedDiskList": []},
        "osType": "Linux", "virtualMachineSize": "Standard_D2s_v3", "isManagedVirtualMachine": True,
        "isSourceVMEncrypted": False, "sourceVMStorageType": "NormalStorage", "zones": [],
    }
    props.update(extra or {})
    return {"id": ITEM + "/recoveryPoints/" + name, "name": name,
            "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints",
            "properties": props}


POINTS = [
    rp("100", "2026-11-01T01:00:00Z", "CrashConsistent"),
    rp("300", "2026-11-03T01:00:00Z", "AppConsistent", (("InstantRP", "Valid"), ("HardenedRP", "Valid"))),
    rp("200", "2026-11-02T01:00:00Z", "FileSystemConsistent"),
    rp("050", "2026-09-20T01:00:00Z", "AppConsistent", (("ArchivedRP", "Valid"),)),
]


def run(args, client=None, check_mode=False, capsys=None):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    client = client or make_client()
    with patch_module_args(args), mock.patch.object(_common, "get_client", return_value=client) as gc:
        with pytest.raises(SystemExit) as exc:
            mod.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    out["_get_client_calls"] = gc.call_count
    return out


def query(call):
    return parse_qs(urlsplit(call.request.url).query)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def test_list_all_newest_first(rsps, capsys):
    rsps.add(responses.GET, RPS, json={"value": POINTS})
    out = run(BASE_ARGS, capsys=capsys)
    assert out["_rc"] == 0 and out["changed"] is False
    assert [p["name"] for p in out["recovery_points"]] == ["300", "200", "100", "050"]
    first = out["recovery_points"][0]
    assert first["time"] == "2026-11-03T01:00:00Z" and first["type"] == "AppConsistent"
    assert first["usable_tiers"] == ["InstantRP", "HardenedRP"] and first["disk_luns"] == [0, 1]
    assert first["properties"]["objectType"] == "IaasVMRecoveryPoint"
    assert out["protected_item"] == {
        "vault_id": VAULT,
        "vm_id": "/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01" % SUB,
        "container_name": "iaasvmcontainer;iaasvmcontainerv2;rg-prod;vm-web-01",
        "protected_item_name": "vm;iaasvmcontainerv2;rg-prod;vm-web-01"}
    assert len(rsps.calls) == 1
    assert query(rsps.calls[0]) == {"api-version": ["2024-04-01"]}
    assert "%3B" in rsps.calls[0].request.url


def test_follows_next_link(rsps, capsys):
    next_link = RPS + "?api-version=2024-04-01&$skipToken=abc"
    rsps.add(responses.GET, RPS, json={"value": POINTS[:2], "nextLink": next_link})
    rsps.add(responses.GET, RPS, json={"value": POINTS[2:]})
    out = run(BASE_ARGS, capsys=capsys)
    assert len(out["recovery_points"]) == 4
    assert rsps.calls[1].request.url == next_link


def test_latest_by_type_and_tier(rsps, capsys):
    rsps.add(responses.GET, RPS, json={"value": POINTS})
    out = run(dict(BASE_ARGS, recovery_point_type="appconsistent", select="latest"), capsys=capsys)
    assert [p["name"] for p in out["recovery_points"]] == ["300"]
    out = run(dict(BASE_ARGS, tier="archive"), capsys=capsys)
    assert [p["name"] for p in out["recovery_points"]] == ["050"]
    out = run(dict(BASE_ARGS, tier="snapshot"), capsys=capsys)
    assert [p["name"] for p in out["recovery_points"]] == ["300"]
    out = run(dict(BASE_ARGS, recovery_point_type="NoSuchType", select="latest"), capsys=capsys)
    assert out["_rc"] == 0 and out["recovery_points"] == []


def test_rehydrated_archive_point_counts_for_archive_tier(rsps, capsys):
    rsps.add(responses.GET, RPS, json={"value": [rp("1", "2026-09-01T00:00:00Z", tiers=(("ArchivedRP", "Rehydrated"),)),
                                                 rp("2", "2026-09-02T00:00:00Z", tiers=(("ArchivedRP", "Disabled"),))]})
    out = run(dict(BASE_ARGS, tier="archive"), capsys=capsys)
    assert [p["name"] for p in out["recovery_points"]] == ["1"]


def test_window_is_sent_as_filter_and_applied_again(rsps, capsys):
    # The server ignores the filter here: the module must still drop the points outside the window.
    rsps.add(responses.GET, RPS, json={"value": POINTS})
    out = run(dict(BASE_ARGS, start_time="2026-11-02T00:00:00Z", end_time="2026-11-02T14:30:00+01:00"),
              capsys=capsys)
    assert [p["name"] for p in out["recovery_points"]] == ["200"]
    assert query(rsps.calls[0])["$filter"] == [
        "endDate eq '2026-11-02 01:30:00 PM' and startDate eq '2026-11-02 12:00:00 AM'"]


def test_only_start_time(rsps, capsys):
    rsps.add(responses.GET, RPS, json={"value": POINTS})
    out = run(dict(BASE_ARGS, start_time="2026-11-02"), capsys=capsys)
    assert [p["name"] for p in out["recovery_points"]] == ["300", "200"]
    assert query(rsps.calls[0])["$filter"] == ["startDate eq '2026-11-02 12:00:00 AM'"]


@pytest.mark.parametrize("args, option", [
    (dict(start_time="2026-11-03T00:00:00Z", end_time="2026-11-02T00:00:00Z"), "end_time"),
    (dict(start_time="yesterday"), "start_time"),
    (dict(end_time="2026-13-01"), "end_time"),
])
def test_bad_window_fails_before_any_request(rsps, capsys, args, option):
    out = run(dict(BASE_ARGS, **args), capsys=capsys)
    assert out["_rc"] == 1 and out["failed"] is True
    assert out["option"] == option and option in out["msg"]
    assert len(rsps.calls) == 0 and out["_get_client_calls"] == 0


@pytest.mark.parametrize("args", [
    dict(recovery_point_id="1", start_time="2026-11-01T00:00:00Z"),
    dict(recovery_point_id="1", tier="vault"),
    dict(vm_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"),
    dict(vm_name=None),
    dict(tier="cold"),
    dict(region="tertiary"),
])
def test_option_validation(rsps, capsys, args):
    out = run(dict(BASE_ARGS, **args), capsys=capsys)
    assert out["_rc"] == 1 and out["failed"] is True
    assert len(rsps.calls) == 0


def test_vm_id_selects_the_item(rsps, capsys):
    rsps.add(responses.GET, RPS, json={"value": POINTS})
    vm = "/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01" % SUB
    out = run(dict(vault_name="rsv-prod", vault_resource_group="rg-vault", vm_id=vm), capsys=capsys)
    assert out["_rc"] == 0 and out["protected_item"]["vm_id"] == vm


def test_secondary_region_uses_crr_api_version_and_the_crr_path(rsps, capsys):
    rsps.add(responses.GET, RPS + "/", json={"value": POINTS[:1]})
    out = run(dict(BASE_ARGS, region="secondary"), capsys=capsys)
    assert out["_rc"] == 0 and [p["name"] for p in out["recovery_points"]] == ["100"]
    assert out["region"] == "secondary"
    assert urlsplit(rsps.calls[0].request.url).path.endswith("/recoveryPoints/")
    assert query(rsps.calls[0])["api-version"] == ["2023-01-15"]


def test_api_version_override(rsps, capsys):
    rsps.add(responses.GET, RPS, json={"value": []})
    out = run(dict(BASE_ARGS, api_version="2026-02-01"), capsys=capsys)
    assert out["recovery_points"] == []
    assert query(rsps.calls[0])["api-version"] == ["2026-02-01"]


def test_get_by_id(rsps, capsys):
    rsps.add(responses.GET, RPS + "/300", json=POINTS[1])
    out = run(dict(BASE_ARGS, recovery_point_id="300"), capsys=capsys)
    assert [p["name"] for p in out["recovery_points"]] == ["300"]
    assert len(rsps.calls) == 1


def not_found(code, message, corr="corr-123"):
    return dict(status=404, json={"error": {"code": code, "message": message}},
                headers={"x-ms-correlation-request-id": corr, "x-ms-request-id": "req-9"})


def test_unknown_vault(rsps, capsys):
    rsps.add(responses.GET, re.compile(r".*/recoveryPoints.*"),
             **not_found("ResourceNotFound", "The Resource 'Microsoft.RecoveryServices/vaults/rsv-nope' under "
                                             "resource group 'rg-vault' was not found."))
    out = run(dict(BASE_ARGS, vault_name="rsv-nope"), capsys=capsys)
    assert out["_rc"] == 1
    assert out["msg"].startswith("Vault rsv-nope was not found in resource group rg-vault")
    assert "(ResourceNotFound)" in out["msg"] and "corr-123" in out["msg"]
    assert out["error_code"] == "ResourceNotFound" and out["status_code"] == 404
    assert out["correlation_id"] == "corr-123" and out["request_id"] == "req-9"


def test_unknown_vm(rsps, capsys):
    rsps.add(responses.GET, re.compile(r".*/recoveryPoints.*"),
             **not_found("BMSUserErrorObjectNotFound", "Item not found"))
    out = run(dict(BASE_ARGS, vm_name="vm-nope"), capsys=capsys)
    assert out["_rc"] == 1
    assert "VM vm-nope (resource group rg-prod) in vault rsv-prod" in out["msg"]
    assert "(BMSUserErrorObjectNotFound) Item not found" in out["msg"]


def test_unknown_point(rsps, capsys):
    rsps.add(responses.GET, RPS + "/999", **not_found("BMSUserErrorObjectNotFound", "Recovery point not found"))
    out = run(dict(BASE_ARGS, recovery_point_id="999"), capsys=capsys)
    assert out["_rc"] == 1
    assert "999" in out["msg"] and "BMSUserErrorObjectNotFound" in out["msg"]
    assert out["error_code"] == "BMSUserErrorObjectNotFound"


def test_point_not_replicated_yet(rsps, capsys):
    responses_seen = []

    def answer(request):
        responses_seen.append(parse_qs(urlsplit(request.url).query)["api-version"][0])
        if "2023-01-15" in request.url:
            return 404, {}, json.dumps({"error": {"code": "BMSUserErrorObjectNotFound", "message": "not found"}})
        return 200, {}, json.dumps(POINTS[1])

    rsps.add_callback(responses.GET, RPS + "/300", callback=answer)
    out = run(dict(BASE_ARGS, recovery_point_id="300", region="secondary"), capsys=capsys)
    assert out["_rc"] == 1
    assert "not replicated to the secondary region yet" in out["msg"]
    assert out["option"] == "recovery_point_id"
    assert responses_seen == ["2023-01-15", "2024-04-01"]


def test_point_unknown_in_both_regions(rsps, capsys):
    rsps.add(responses.GET, RPS + "/999", **not_found("BMSUserErrorObjectNotFound", "nope"))
    out = run(dict(BASE_ARGS, recovery_point_id="999", region="secondary"), capsys=capsys)
    assert out["_rc"] == 1
    assert out["option"] == "recovery_point_id"
    assert "recovery point 999 of VM vm-web-01 (resource group rg-prod)" in out["msg"]
    assert "does not exist in the secondary region" in out["msg"]
    assert "not replicated to the secondary region yet" not in out["msg"]


def test_server_error_is_reported_with_context(rsps, capsys):
    rsps.add(responses.GET, RPS, status=403,
             json={"error": {"code": "AuthorizationFailed", "message": "no read access"}})
    out = run(BASE_ARGS, capsys=capsys)
    assert out["_rc"] == 1 and out["status_code"] == 403
    assert out["msg"].startswith("Failed to list the recovery points of vm;iaasvmcontainerv2;rg-prod;vm-web-01: "
                                 "(AuthorizationFailed) no read access")


def test_check_mode_reads_the_same(rsps, capsys):
    rsps.add(responses.GET, RPS, json={"value": POINTS})
    out = run(BASE_ARGS, check_mode=True, capsys=capsys)
    assert out["_rc"] == 0 and out["changed"] is False and len(out["recovery_points"]) == 4


def test_key_material_is_masked(rsps, capsys):
    secret_point = rp("7", "2026-11-04T00:00:00Z", extra={
        "isSourceVMEncrypted": True,
        "keyAndSecret": {"kekDetails": {"keyUrl": "https://kv/keys/k/1", "keyBackupData": "S3CR3T-KEK-BLOB"},
                         "bekDetails": {"secretUrl": "https://kv/secrets/s/1", "secretData": "S3CR3T-BEK-BLOB"},
                         "encryptionMechanism": "SinglePass"}})
    rsps.add(responses.GET, RPS, json={"value": [secret_point]})
    out = run(BASE_ARGS, capsys=capsys)
    text = json.dumps(out)
    assert "S3CR3T" not in text
    kas = out["recovery_points"][0]["properties"]["keyAndSecret"]
    assert kas["bekDetails"]["secretUrl"] == "https://kv/secrets/s/1"
    assert kas["bekDetails"]["secretData"] == "********"


def test_mask_key_material_keeps_other_values():
    assert mod.mask_key_material({"a": [{"secretData": "x", "b": 1}], "secretData": ""}) == {
        "a": [{"secretData": "********", "b": 1}], "secretData": ""}


def test_item_path_is_what_the_cli_sends():
    # The encoded names must decode back to Azure's names.
    assert unquote(ITEM).endswith("protectedItems/vm;iaasvmcontainerv2;rg-prod;vm-web-01")
