# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""protected_item_info in one real playbook against the emulator; the emulator's state and request
log are the oracle.

The world is the default one with a few differences, so that the filters have something to tell
apart: vm-legacy-01 has its protection stopped (health ActionRequired, last backup Failed, one recovery
point, not replicated yet), vm-db-01 needs attention (ActionSuggested), both use EnhancedPolicy, and
vm-ops-01 lives in rg-restore. Lists come in pages of 10.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from playbook import REPO, run_playbook

pytestmark = [pytest.mark.integration, pytest.mark.emulator]

MODULE = "azbackup.restore.protected_item_info"
VAULT = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")
VM_FILTER = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"


def drill_world():
    with open(os.path.join(REPO, "tests", "emulator", "worlds", "default.yml")) as f:
        world = yaml.safe_load(f)
    world["settings"]["page_size"] = 10
    vms = dict((vm.get("name"), vm) for vm in world["virtual_machines"])
    vms["vm-legacy-01"]["backup"].update(protection_state="ProtectionStopped", health_status="ActionRequired",
                                         last_backup_status="Failed", policy="EnhancedPolicy",
                                         recovery_points={"daily": 1, "replication_lag": 1})
    vms["vm-db-01"]["backup"].update(health_status="ActionSuggested", policy="EnhancedPolicy")
    world["virtual_machines"].append({"name": "vm-ops-01", "resource_group": "rg-restore",
                                      "backup": {"vault": "rsv-prod"}})
    return world


@pytest.fixture(scope="module")
def drill_emu():
    from azbackup_emulator import Emulator

    emu = Emulator(world=drill_world(), tls=True)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def drill(drill_emu):
    from contract import swagger

    drill_emu.control.reset()
    env = {"AZURE_CLIENT_ID": drill_emu.client_id, "AZURE_SECRET": drill_emu.client_secret,
           "AZURE_TENANT": drill_emu.tenant_id, "AZURE_SUBSCRIPTION_ID": drill_emu.subscription_id,
           "AZURE_CLOUD_ENVIRONMENT": drill_emu.endpoint, "ANSIBLE_AZURE_AUTH_SOURCE": "env",
           "REQUESTS_CA_BUNDLE": drill_emu.ca_bundle}
    yield drill_emu, env
    swagger.assert_log_valid(drill_emu.control.requests())


def task(name, ignore_errors=False, check_mode=False, **args):
    t = {"name": name, MODULE: dict(VAULT, **args), "register": "r_" + name.replace(" ", "_")}
    if ignore_errors:
        t["ignore_errors"] = True
    if check_mode:
        t["check_mode"] = True
    return t


def failed(res):
    return res.get("_state") == "failed" or bool(res.get("failed"))


def vm_names(res):
    return [i["vm_name"] for i in res["protected_items"]]


def test_one_drill_playbook(drill):
    emu, env = drill
    truth = emu.control.state()["vaults"]["rsv-prod"]["items"]
    everything = sorted(truth, key=lambda n: ("rg-restore" if n == "vm-ops-01" else "rg-prod", n))
    assert len(everything) == 34

    result = run_playbook([
        task("all"),
        task("rg prod", vm_resource_group="RG-PROD"),
        task("pattern", vm_name="vm-app-00*"),
        task("stopped", protection_state=["ProtectionStopped"]),
        task("attention", health_status=["ActionRequired", "ActionSuggested"]),
        task("policy", policy_name="enhancedpolicy"),
        task("combined", vm_name="vm-*-01", policy_name=["DefaultPolicy"], vm_resource_group="rg-prod"),
        task("none", vm_name="nope-*"),
        task("secondary", region="secondary"),
        task("check", check_mode=True, vm_resource_group="rg-restore"),
        {"name": "points of the first attention item", "azbackup.restore.recovery_point_info": {
            "vault_name": "rsv-prod", "vault_resource_group": "rg-vault",
            "vm_id": "{{ r_attention.protected_items[0].vm_id }}",
            "container_name": "{{ r_attention.protected_items[0].container_name }}",
            "protected_item_name": "{{ r_attention.protected_items[0].protected_item_name }}", "select": "latest"}},
        task("no crr", ignore_errors=True, region="secondary", vault_name="rsv-lrs"),
        task("no vault", ignore_errors=True, vault_name="rsv-nope"),
        task("no vault secondary", ignore_errors=True, region="secondary", vault_name="rsv-nope"),
    ], env)
    assert result.rc == 0 and result.stats["localhost"]["ignored"] == 3, result

    listed = result.task("all")
    assert listed["changed"] is False and listed["region"] == "primary"
    assert vm_names(listed) == everything
    by_name = dict((i["vm_name"], i) for i in listed["protected_items"])
    for name, item in by_name.items():
        own = truth[name]
        assert item["protected_item_name"] == own["name"] and item["container_name"] == own["container"]
        assert (item["protection_state"], item["health_status"], item["policy_name"]) == (
            own["protection_state"], own["health_status"], own["policy"])
        assert item["last_recovery_point"] == max(p["time"] for p in own["recovery_points"])[:19] + "Z"
        assert item["policy_id"].endswith("/backupPolicies/" + own["policy"])
    legacy = by_name["vm-legacy-01"]
    assert legacy["last_backup_status"] == "Failed" and legacy["protection_status"] == "Unhealthy"
    assert by_name["vm-ops-01"]["vm_resource_group"] == "rg-restore"
    assert by_name["vm-web-01"]["vm_id"].endswith("/resourceGroups/rg-prod/providers/Microsoft.Compute/"
                                                  "virtualMachines/vm-web-01")
    assert by_name["vm-web-01"]["properties"]["protectedItemType"] == "Microsoft.Compute/virtualMachines"

    assert vm_names(result.task("rg prod")) == [n for n in everything if n != "vm-ops-01"]
    assert vm_names(result.task("pattern")) == ["vm-app-%03d" % i for i in range(1, 10)]
    assert vm_names(result.task("stopped")) == ["vm-legacy-01"]
    assert vm_names(result.task("attention")) == ["vm-db-01", "vm-legacy-01"]
    assert vm_names(result.task("policy")) == ["vm-db-01", "vm-legacy-01"]
    assert vm_names(result.task("combined")) == ["vm-web-01"]
    assert result.task("none")["protected_items"] == []
    assert vm_names(result.task("check")) == ["vm-ops-01"] and result.task("check")["changed"] is False

    # the secondary region: the items with a replicated point, their newest replicated point
    secondary = result.task("secondary")
    assert secondary["region"] == "secondary"
    assert vm_names(secondary) == [n for n in everything if n != "vm-legacy-01"]
    web = truth["vm-web-01"]["recovery_points"]
    newest_replicated = max(p["time"] for p in web if p["replicated"])
    assert next(i for i in secondary["protected_items"] if i["vm_name"] == "vm-web-01")[
        "last_recovery_point"] == newest_replicated[:19] + "Z"

    points = result.task("points of the first attention item")["recovery_points"]
    assert [p["name"] for p in points] == [max(truth["vm-db-01"]["recovery_points"], key=lambda p: p["time"])["name"]]

    no_crr = result.task("no crr")
    assert failed(no_crr) and no_crr["option"] == "vault_name" and "rsv-lrs" in no_crr["msg"]
    assert "cross-region restore" in no_crr["msg"]
    for name in ("no vault", "no vault secondary"):
        refused = result.task(name)
        assert failed(refused) and refused["option"] == "vault_name", refused
        assert refused["msg"].startswith("Vault rsv-nope was not found in resource group rg-vault")
        assert refused["error_code"] == "ResourceNotFound" and refused["status_code"] == 404

    # The oracle: nothing but GETs; every list follows the pages, with Azure's VM $filter, the CRR
    # api-version (and the trailing slash) in the secondary region only
    log = [e for e in emu.control.requests() if e["kind"] == "arm"]
    assert all(e["method"] == "GET" for e in log)
    lists = [e for e in log if e["path"].lower().rstrip("/").endswith("/backupprotecteditems")]
    assert all(e["query"]["$filter"] == VM_FILTER for e in lists)
    prod = [e for e in lists if "/vaults/rsv-prod/" in e["path"]]
    primary_lists = [e for e in prod if e["api_version"] == "2024-04-01"]
    crr_lists = [e for e in prod if e["api_version"] == "2023-01-15"]
    # 9 primary listings of 34 items and one of 33 in the secondary region, 10 a page
    assert len(primary_lists) == 9 * 4 and len(crr_lists) == 4 and all(e["status"] == 200 for e in prod)
    assert len([e for e in primary_lists if "$skipToken" not in e["query"]]) == 9
    assert all(e["path"].endswith("/") for e in crr_lists)
    assert not [e for e in primary_lists if e["path"].endswith("/")]
    # the missing vault: one primary listing (404); the secondary region reads the vault first
    assert [(e["status"], e["api_version"]) for e in lists if "/vaults/rsv-nope/" in e["path"]] == [
        (404, "2024-04-01")]
    assert not [e for e in lists if "/vaults/rsv-lrs/" in e["path"]]  # refused before listing
