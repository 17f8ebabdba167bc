# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common
from ansible_collections.azbackup.restore.plugins.modules import protected_item_info as mod
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import ARM, RGS, SUB, VAULT, make_client

LIST = ARM + VAULT + "/backupProtectedItems"
BASE_ARGS = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")
VM_FILTER = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"


def item(vm, rg="rg-prod", state="Protected", health="Passed", policy="DefaultPolicy", policy_name=True,
         last="2026-12-05T23:02:11.1234567Z", extra=None):
    """A protected VM as BackupProtectedItems_List returns it."""
    container = "IaasVMContainer;iaasvmcontainerv2;%s;%s" % (rg, vm)
    name = "VM;iaasvmcontainerv2;%s;%s" % (rg, vm)
    vm_id = RGS + "/%s/providers/Microsoft.Compute/virtualMachines/%s" % (rg, vm)
    props = {
        "friendlyName": vm, "virtualMachineId": vm_id, "protectionStatus": "Healthy" if health == "Passed" else
        "Unhealthy", "protectionState": state, "healthStatus": health, "lastBackupStatus": "Completed",
        "lastBackupTime": last, "protectedItemDataId": "1234", "protectedItemType": "Microsoft.Compute/virtualMachines",
        "backupManagementType": "AzureIaasVM", "workloadType": "VM", "containerName": container.split(";", 1)[1],
        "sourceResourceId": vm_id, "policyId": VAULT + "/backupPolicies/" + policy, "lastRecoveryPoint": last,
        "extendedInfo": {"oldestRecoveryPoint": "2026-10-27T00:04:51Z", "recoveryPointCount": 8},
    }
    if policy_name:
        props["policyName"] = policy
    props.update(extra or {})
    return {"id": VAULT + "/backupFabrics/Azure/protectionContainers/%s/protectedItems/%s" % (container, name),
            "name": name, "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
            "properties": props}


ITEMS = [
    item("vm-web-02"),
    item("vm-db-01", state="ProtectionStopped", health="ActionRequired", policy="Enhanced"),
    item("vm-web-01"),
    item("vm-app-001", rg="rg-apps", health="ActionSuggested", policy="Enhanced", policy_name=False),
]


def run(args, client=None, check_mode=False, capsys=None):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    client = client or make_client()
    with patch_module_args(args), mock.patch.object(_common, "get_client", return_value=client):
        with pytest.raises(SystemExit) as exc:
            mod.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    return out


def query(call):
    return parse_qs(urlsplit(call.request.url).query)


def names(out):
    return [i["vm_name"] for i in out["protected_items"]]


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def vault_body(crr="Enabled"):
    return {"id": VAULT, "name": "rsv-prod", "type": "Microsoft.RecoveryServices/vaults", "location": "westeurope",
            "properties": {"redundancySettings": {"standardTierStorageRedundancy": "GeoRedundant",
                                                  "crossRegionRestore": crr}}}


def test_lists_every_vm_normalized_and_sorted(rsps, capsys):
    rsps.add(responses.GET, LIST, json={"value": ITEMS})
    out = run(BASE_ARGS, capsys=capsys)
    assert out["_rc"] == 0 and out["changed"] is False and out["region"] == "primary"
    assert out["vault_id"] == VAULT
    assert names(out) == ["vm-app-001", "vm-db-01", "vm-web-01", "vm-web-02"]
    web = out["protected_items"][2]
    assert web == {
        "id": ITEMS[2]["id"], "name": "VM;iaasvmcontainerv2;rg-prod;vm-web-01",
        "vm_id": RGS + "/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01",
        "vm_name": "vm-web-01", "vm_resource_group": "rg-prod",
        "container_name": "IaasVMContainer;iaasvmcontainerv2;rg-prod;vm-web-01",
        "protected_item_name": "VM;iaasvmcontainerv2;rg-prod;vm-web-01",
        "protection_state": "Protected", "protection_status": "Healthy", "health_status": "Passed",
        "last_backup_status": "Completed", "last_backup_time": "2026-12-05T23:02:11Z",
        "last_recovery_point": "2026-12-05T23:02:11Z", "oldest_recovery_point": "2026-10-27T00:04:51Z",
        "recovery_point_count": 8, "policy_name": "DefaultPolicy", "policy_id": VAULT + "/backupPolicies/DefaultPolicy",
        "properties": ITEMS[2]["properties"]}
    # policyName left out: the policy's name comes from policyId
    assert out["protected_items"][0]["policy_name"] == "Enhanced"
    assert len(rsps.calls) == 1 and rsps.calls[0].request.method == "GET"
    assert query(rsps.calls[0]) == {"api-version": ["2024-04-01"], "$filter": [VM_FILTER]}


def test_follows_next_link(rsps, capsys):
    next_link = LIST + "?api-version=2024-04-01&$skipToken=abc"
    rsps.add(responses.GET, LIST, json={"value": ITEMS[:2], "nextLink": next_link})
    rsps.add(responses.GET, LIST, json={"value": ITEMS[2:]})
    out = run(BASE_ARGS, capsys=capsys)
    assert len(out["protected_items"]) == 4
    assert rsps.calls[1].request.url == next_link


@pytest.mark.parametrize("filters, expected", [
    (dict(vm_resource_group="RG-PROD"), ["vm-db-01", "vm-web-01", "vm-web-02"]),
    (dict(vm_name="vm-web-*"), ["vm-web-01", "vm-web-02"]),
    (dict(vm_name="VM-WEB-0[2-9]"), ["vm-web-02"]),
    (dict(vm_name="vm-db-01"), ["vm-db-01"]),
    (dict(vm_name="vm-db"), []),
    (dict(protection_state=["ProtectionStopped"]), ["vm-db-01"]),
    (dict(health_status=["ActionRequired", "ActionSuggested"]), ["vm-app-001", "vm-db-01"]),
    (dict(policy_name=["enhanced"]), ["vm-app-001", "vm-db-01"]),
    (dict(policy_name="Enhanced", vm_resource_group="rg-prod"), ["vm-db-01"]),
    (dict(vm_name="vm-*", protection_state="Protected", health_status="Passed", policy_name="DefaultPolicy"),
     ["vm-web-01", "vm-web-02"]),
    (dict(vm_resource_group="rg-nope"), []),
])
def test_filters_are_applied_client_side(rsps, capsys, filters, expected):
    rsps.add(responses.GET, LIST, json={"value": ITEMS})
    out = run(dict(BASE_ARGS, **filters), capsys=capsys)
    assert out["_rc"] == 0 and names(out) == expected
    # whatever the filters, Azure's $filter is the VM one
    assert query(rsps.calls[0])["$filter"] == [VM_FILTER]


def test_azure_filter_applied_again(rsps, capsys):
    sql = item("sqlvm", extra={"backupManagementType": "AzureWorkload", "workloadType": "SQLDataBase",
                               "protectedItemType": "AzureVmWorkloadSQLDatabase"})
    classic = item("classic", extra={"protectedItemType": "Microsoft.ClassicCompute/virtualMachines"})
    rsps.add(responses.GET, LIST, json={"value": [sql, classic]})
    out = run(BASE_ARGS, capsys=capsys)
    assert names(out) == ["classic"]


def test_empty_vault(rsps, capsys):
    rsps.add(responses.GET, LIST, json={"value": []})
    out = run(BASE_ARGS, capsys=capsys)
    assert out["_rc"] == 0 and out["protected_items"] == []


def test_secondary_region_reads_the_vault_then_the_crr_list(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault_body())
    rsps.add(responses.GET, LIST + "/", json={"value": [item("vm-web-01", last="2026-12-04T23:00:00Z")]})
    out = run(dict(BASE_ARGS, region="secondary"), capsys=capsys)
    assert out["_rc"] == 0 and out["region"] == "secondary"
    assert names(out) == ["vm-web-01"] and out["protected_items"][0]["last_recovery_point"] == "2026-12-04T23:00:00Z"
    assert [urlsplit(c.request.url).path for c in rsps.calls] == [VAULT, VAULT + "/backupProtectedItems/"]
    assert query(rsps.calls[0]) == {"api-version": ["2023-04-01"]}
    assert query(rsps.calls[1]) == {"api-version": ["2023-01-15"], "$filter": [VM_FILTER]}


def test_secondary_region_refused_without_crr(rsps, capsys):
    rsps.add(responses.GET, ARM + VAULT, json=vault_body("Disabled"))
    out = run(dict(BASE_ARGS, region="secondary"), capsys=capsys)
    assert out["failed"] is True and out["option"] == "vault_name"
    assert "rsv-prod" in out["msg"] and "cross-region restore" in out["msg"]
    assert len(rsps.calls) == 1


def test_api_version_option(rsps, capsys):
    rsps.add(responses.GET, LIST, json={"value": ITEMS})
    run(dict(BASE_ARGS, api_version="2026-02-01"), capsys=capsys)
    assert query(rsps.calls[0])["api-version"] == ["2026-02-01"]


def arm_error(status, code, message):
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize("region", ["primary", "secondary"])
def test_unknown_vault_refused_naming_vault_name(rsps, capsys, region):
    url = ARM + VAULT if region == "secondary" else LIST
    rsps.add(responses.GET, url, status=404, json=arm_error(404, "ResourceNotFound", "The Resource was not found."),
             headers={"x-ms-correlation-request-id": "corr-1"})
    out = run(dict(BASE_ARGS, region=region), capsys=capsys)
    assert out["failed"] is True and out["option"] == "vault_name"
    assert out["msg"].startswith("Vault rsv-prod was not found in resource group rg-vault")
    assert out["error_code"] == "ResourceNotFound" and out["status_code"] == 404


def test_missing_vault_resource_group_named(rsps, capsys):
    rsps.add(responses.GET, LIST, status=404, json=arm_error(404, "ResourceGroupNotFound", "no such group"))
    out = run(BASE_ARGS, capsys=capsys)
    assert out["failed"] is True and out["option"] == "vault_resource_group"
    assert "resource group rg-vault of vault rsv-prod does not exist" in out["msg"]


def test_other_errors_say_what_was_done(rsps, capsys):
    rsps.add(responses.GET, LIST, status=403, json=arm_error(403, "AuthorizationFailed", "no read on items"))
    out = run(BASE_ARGS, capsys=capsys)
    assert out["failed"] is True and out["error_code"] == "AuthorizationFailed" and out["status_code"] == 403
    assert out["msg"].startswith("Failed to list the protected items of vault rsv-prod (resource group rg-vault)")
    assert "no read on items" in out["msg"]


def test_bad_vault_name_refused_before_any_request(rsps, capsys):
    out = run(dict(BASE_ARGS, vault_name="rsv/../x"), capsys=capsys)
    assert out["failed"] is True and out["option"] == "vault_name"
    assert len(rsps.calls) == 0


def test_unknown_choice_refused(rsps, capsys):
    out = run(dict(BASE_ARGS, health_status=["Fine"]), capsys=capsys)
    assert out["failed"] is True and "health_status" in out["msg"]
    assert len(rsps.calls) == 0


def test_check_mode_reads_the_same(rsps, capsys):
    rsps.add(responses.GET, LIST, json={"value": ITEMS})
    out = run(dict(BASE_ARGS, vm_name="vm-web-*"), check_mode=True, capsys=capsys)
    assert out["_rc"] == 0 and out["changed"] is False and names(out) == ["vm-web-01", "vm-web-02"]
    assert [c.request.method for c in rsps.calls] == ["GET"]


def test_sub_is_the_clients(rsps, capsys):
    rsps.add(responses.GET, LIST, json={"value": []})
    out = run(BASE_ARGS, capsys=capsys)
    assert out["vault_id"].startswith("/subscriptions/%s/" % SUB)
