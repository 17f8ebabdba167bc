import pytest

from emulator_testlib import Api

pytestmark = pytest.mark.emulator


def test_resource_group_and_404(api):
    r = api.get("/subscriptions/%s/resourcegroups/rg-restore" % api.sub, "2021-04-01")
    assert r.status_code == 200
    assert r.json()["location"] == "westeurope" and r.json()["type"] == "Microsoft.Resources/resourceGroups"
    r = api.get("/subscriptions/%s/resourceGroups/rg-missing" % api.sub, "2021-04-01")
    assert r.status_code == 404
    assert r.json()["error"] == {"code": "ResourceGroupNotFound", "message": "Resource group 'rg-missing' could not be found."}
    r = api.get("/subscriptions/%s/resourcegroups" % api.sub, "2021-04-01")
    assert {g["name"] for g in r.json()["value"]} == {"rg-prod", "rg-restore", "rg-vault", "rg-dr", "rg-drill",
                                                      "rg-drill-net"}


def test_virtual_machines(api):
    r = api.get(api.vm_id("vm-web-01"), "2024-07-01")
    assert r.status_code == 200
    vm = r.json()
    sp = vm["properties"]["storageProfile"]
    assert vm["properties"]["hardwareProfile"]["vmSize"] == "Standard_D2s_v3"
    assert sp["osDisk"]["osType"] == "Linux" and "managedDisk" in sp["osDisk"]
    assert [d["lun"] for d in sp["dataDisks"]] == [0, 1]
    db = api.get(api.vm_id("vm-db-01"), "2024-07-01").json()
    assert db["zones"] == ["1"] and [d["lun"] for d in db["properties"]["storageProfile"]["dataDisks"]] == [0, 1, 2]
    legacy = api.get(api.vm_id("vm-legacy-01"), "2024-07-01").json()
    assert "vhd" in legacy["properties"]["storageProfile"]["osDisk"]
    assert legacy["properties"]["storageProfile"]["osDisk"]["osType"] == "Windows"
    disk_id = sp["osDisk"]["managedDisk"]["id"]
    d = api.get(disk_id, "2023-04-02")
    assert d.status_code == 200 and d.json()["managedBy"].lower() == api.vm_id("vm-web-01").lower()
    r = api.get(api.vm_id("vm-nope"), "2024-07-01")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "ResourceNotFound"
    assert r.json()["error"]["message"].startswith(
        "The Resource 'Microsoft.Compute/virtualMachines/vm-nope' under resource group 'rg-prod' was not found.")
    fleet = api.get("/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines" % api.sub, "2024-07-01")
    names = {v["name"] for v in fleet.json()["value"]}
    assert {"vm-app-001", "vm-app-030", "vm-web-01", "vm-db-01", "vm-legacy-01", "vm-lrs-01"} <= names
    assert "vm-app-031" not in names
    iv = api.get(api.vm_id("vm-web-01") + "/instanceView", "2024-07-01")
    assert iv.status_code == 200 and iv.json()["statuses"][1]["code"] == "PowerState/running"


def test_storage_accounts(api):
    expected = {("strestorewe", "rg-restore"): ("westeurope", "Standard_LRS"),
                ("strestorezrs", "rg-restore"): ("westeurope", "Standard_ZRS"),
                ("strestorene", "rg-dr"): ("northeurope", "Standard_LRS"),
                ("strestoreeus", "rg-restore"): ("eastus", "Standard_LRS")}
    for (name, rg), (loc, sku) in expected.items():
        r = api.get(api.sa_id(name, rg), "2023-05-01")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["location"] == loc and body["sku"] == {"name": sku, "tier": "Standard"}
        assert body["kind"] == "StorageV2"


def test_network(api):
    r = api.get(api.vnet_id("vnet-restore"), "2024-05-01")
    assert r.status_code == 200 and r.json()["properties"]["subnets"][0]["name"] == "default"
    r = api.get(api.vnet_id("vnet-dr", "rg-dr") + "/subnets/default", "2024-05-01")
    assert r.status_code == 200 and r.json()["id"].endswith("/virtualNetworks/vnet-dr/subnets/default")
    r = api.get(api.vnet_id("vnet-dr", "rg-dr") + "/subnets/other", "2024-05-01")
    assert r.status_code == 404


def test_vaults_and_storage_config(api):
    v = api.get(api.vault, "2024-04-01").json()
    assert v["properties"]["redundancySettings"] == {"standardTierStorageRedundancy": "GeoRedundant",
                                                     "crossRegionRestore": "Enabled"}
    assert v["location"] == "westeurope"
    lrs = api.get(api.vault_lrs, "2023-04-01").json()
    assert lrs["properties"]["redundancySettings"] == {"standardTierStorageRedundancy": "LocallyRedundant",
                                                       "crossRegionRestore": "Disabled"}
    c = api.get(api.vault + "/backupstorageconfig/vaultstorageconfig")
    assert c.status_code == 200 and c.json()["properties"]["crossRegionRestoreFlag"] is True
    c = api.get(api.vault_lrs + "/backupstorageconfig/vaultstorageconfig", "2023-01-15")
    assert c.json()["properties"] == {"storageModelType": "LocallyRedundant", "storageType": "LocallyRedundant",
                                      "storageTypeState": "Locked", "crossRegionRestoreFlag": False}
    r = api.get(api.vault.replace("rsv-prod", "rsv-nope"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound"


def test_locations(api):
    r = api.get("/subscriptions/%s/locations" % api.sub, "2022-12-01")
    assert r.status_code == 200
    locs = {l["name"]: l for l in r.json()["value"]}
    pairs = {n: [p["name"] for p in l["metadata"]["pairedRegion"]] for n, l in locs.items()}
    assert pairs["westeurope"] == ["northeurope"] and pairs["northeurope"] == ["westeurope"]
    assert pairs["eastus"] == ["westus"] and pairs["westus"] == ["eastus"]
    assert pairs["swedencentral"] == ["swedensouth"]
    we = locs["westeurope"]
    assert we["displayName"] == "West Europe" and we["metadata"]["regionType"] == "Physical"


@pytest.mark.invalid_traffic  # wrong api-versions, on purpose
def test_api_version_errors(api):
    path = "/subscriptions/%s/resourcegroups/rg-prod" % api.sub
    r = api.get(path, None)
    assert r.status_code == 400 and r.json()["error"]["code"] == "MissingApiVersionParameter"
    r = api.get(path, "2021-13-45x")
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidApiVersionParameter"
    r = api.get(api.vault + "/backupProtectedItems", "2024-04-02")
    assert r.status_code == 400 and r.json()["error"]["code"] == "NoRegisteredProviderFound"
    for v in ("2019-05-13", "2026-02-01", "2024-04-01", "2023-01-15", "2021-11-15", "2018-12-20"):
        assert api.get(api.vault + "/backupProtectedItems", v).status_code == 200, v
    r = api.get(api.vault + "/backupJobs", "2023-01-15")
    assert r.status_code == 400 and r.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_unknown_paths(api):
    r = api.get("/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Foo/bars/x" % api.sub, "2021-04-01")
    assert r.status_code == 404 and r.json()["error"]["code"] == "InvalidResourceNamespace"
    r = api.get("/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Compute/gadgets/x" % api.sub, "2021-04-01")
    assert r.status_code == 404 and r.json()["error"]["code"] == "InvalidResourceType"
    r = api.s.delete(api.url(api.sa_id("strestorewe")), params={"api-version": "2023-05-01"})
    assert r.status_code == 405
    r = api.get("/subscriptions/00000000-0000-0000-0000-000000000999/resourcegroups/x", "2021-04-01")
    assert r.status_code in (401, 404)


def test_headers(api):
    r = api.s.get(api.url("/subscriptions/%s/resourcegroups/rg-prod" % api.sub), params={"api-version": "2021-04-01"},
                  headers={"x-ms-correlation-request-id": "corr-123", "x-ms-client-request-id": "cli-1"})
    assert r.headers["x-ms-correlation-request-id"] == "corr-123"
    assert r.headers["x-ms-client-request-id"] == "cli-1"
    assert len(r.headers["x-ms-request-id"]) == 36
    assert int(r.headers["x-ms-ratelimit-remaining-subscription-reads"]) > 0
    r = api.s.get(api.url("/subscriptions/%s/resourcegroups/rg-prod" % api.sub), params={"api-version": "2021-04-01"})
    assert len(r.headers["x-ms-correlation-request-id"]) == 36


def test_subscription_and_tenants(api):
    r = api.get("/subscriptions", "2022-12-01")
    # the default world's second subscription (the target of cross-subscription restores) comes second
    assert [s["subscriptionId"] for s in r.json()["value"]] == [api.sub, "0b1c2d3e-0000-4000-8000-000000000005"]
    r = api.get("/tenants", "2022-12-01")
    assert r.json()["value"][0]["tenantId"] == api.emu.tenant_id


def test_plain_http_emulator():
    from azbackup_emulator import Emulator
    with Emulator(world="minimal", tls=False) as emu:
        assert emu.endpoint.startswith("http://") and emu.ca_bundle is None
        api = Api(emu)
        r = api.get("/subscriptions/%s/resourcegroups/rg-app" % emu.subscription_id, "2021-04-01")
        assert r.status_code == 200
