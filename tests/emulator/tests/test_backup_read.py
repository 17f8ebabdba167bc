import datetime as dt
import urllib.parse

import pytest

from emulator_testlib import CRR

pytestmark = pytest.mark.emulator


def _t(s):
    return dt.datetime.fromisoformat(s.replace("Z", "")[:26])


def test_protected_items_list_and_filter(api):
    r = api.get(api.vault + "/backupProtectedItems",
                **{"$filter": "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"})
    assert r.status_code == 200
    items = r.json()["value"]
    names = {i["properties"]["friendlyName"] for i in items}
    assert {"vm-web-01", "vm-db-01", "vm-legacy-01", "vm-app-001", "vm-app-030"} <= names
    assert "vm-lrs-01" not in names and len(items) == 33
    web = next(i for i in items if i["properties"]["friendlyName"] == "vm-web-01")
    assert web["name"] == "VM;iaasvmcontainerv2;rg-prod;vm-web-01"
    assert web["properties"]["containerName"] == "iaasvmcontainerv2;rg-prod;vm-web-01"
    assert "/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-prod;vm-web-01/" in web["id"]
    assert web["properties"]["sourceResourceId"] == api.vm_id("vm-web-01")
    r = api.get(api.vault + "/backupProtectedItems/", **{"$filter": "friendlyName eq 'vm-db-01'"})
    assert [i["properties"]["friendlyName"] for i in r.json()["value"]] == ["vm-db-01"]
    r = api.get(api.vault + "/backupProtectedItems", **{"$filter": "backupManagementType eq 'AzureWorkload'"})
    assert r.json()["value"] == []
    r = api.get(api.vault + "/backupProtectedItems", **{"$filter": "bogus eq 'x'"})
    assert r.status_code == 400


def test_protected_item_get_name_forms(api):
    enc = api.get(api.item("vm-web-01"))
    raw = api.get(api.item("vm-web-01", encoded=False))
    upper = api.get(api.item("vm-web-01").replace("IaasVMContainer", "IAASVMCONTAINER").replace("/protectedItems/VM", "/protecteditems/vm"))
    slash = api.get(api.item("vm-web-01") + "/")
    for r in (enc, raw, upper, slash):
        assert r.status_code == 200, r.text
        assert r.json()["properties"]["friendlyName"] == "vm-web-01"
    log = api.emu.control.requests()
    assert any("%3B" in e["url"] and ";" in e["path"] for e in log)
    r = api.get(api.item("vm-nope"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "BMSUserErrorObjectNotFound"
    r = api.get(api.item("vm-web-01").replace("/Azure/", "/Other/"))
    assert r.status_code == 404


def test_recovery_points(api):
    rps = api.rps("vm-web-01")
    assert len(rps) == 8
    times = [_t(r["properties"]["recoveryPointTime"]) for r in rps]
    assert times == sorted(times, reverse=True)
    now = dt.datetime.utcnow()
    assert dt.timedelta(minutes=50) < now - times[0] < dt.timedelta(minutes=75)
    assert dt.timedelta(days=39) < now - times[-1] < dt.timedelta(days=41)
    tiers = [[(t["type"], t["status"]) for t in r["properties"]["recoveryPointTierDetails"]] for r in rps]
    assert tiers[0] == [("InstantRP", "Valid"), ("HardenedRP", "Valid")]
    assert tiers[6] == [("HardenedRP", "Valid")]
    assert tiers[-1] == [("ArchivedRP", "Valid")]
    assert {r["properties"]["recoveryPointType"] for r in rps[:7]} == {
        "AppConsistent", "CrashConsistent", "FileSystemConsistent"}
    luns = [d["lun"] for d in rps[0]["properties"]["recoveryPointDiskConfiguration"]["includedDiskList"]]
    assert luns == [0, 1]
    assert rps[0]["properties"]["isManagedVirtualMachine"] is True
    db = api.rps("vm-db-01")[0]["properties"]
    assert db["zones"] == ["1"]
    assert [d["lun"] for d in db["recoveryPointDiskConfiguration"]["includedDiskList"]] == [0, 1, 2]
    legacy = api.rps("vm-legacy-01")[0]["properties"]
    assert legacy["isManagedVirtualMachine"] is False and legacy["osType"] == "Windows"
    one = api.get(api.item("vm-web-01") + "/recoveryPoints/" + rps[2]["name"])
    assert one.status_code == 200 and one.json() == rps[2]
    assert api.get(api.item("vm-web-01") + "/recoveryPoints/123").status_code == 404
    # ids are deterministic across resets
    api.emu.control.reset()
    assert [r["name"] for r in api.rps("vm-web-01")] == [r["name"] for r in rps]


def test_recovery_point_filters(api):
    rps = api.rps("vm-web-01")
    t2 = _t(rps[2]["properties"]["recoveryPointTime"])
    start = (t2 - dt.timedelta(minutes=1))
    end = dt.datetime.utcnow() + dt.timedelta(days=1)
    cli = "startDate eq '%s' and endDate eq '%s'" % (
        start.strftime("%Y-%m-%d %I:%M:%S %p"), end.strftime("%Y-%m-%d %I:%M:%S %p"))
    r = api.get(api.item("vm-web-01") + "/recoveryPoints", **{"$filter": cli})
    assert [x["name"] for x in r.json()["value"]] == [x["name"] for x in rps[:3]]
    iso = "endDate eq '%s' and startDate eq '%s'" % (
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        (dt.datetime.utcnow() - dt.timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z"))
    r = api.get(api.item("vm-web-01") + "/recoveryPoints", **{"$filter": iso})
    assert len(r.json()["value"]) == 8
    r = api.get(api.item("vm-web-01") + "/recoveryPoints", **{"$filter": "startDate eq 'yesterday'"})
    assert r.status_code == 400


def test_paging_three_pages(api):
    api.emu.control.update_settings(page_size=3)
    url = api.item("vm-web-01") + "/recoveryPoints"
    r = api.get(url)
    pages = [r.json()]
    while "nextLink" in pages[-1]:
        nl = pages[-1]["nextLink"]
        assert nl.startswith(api.emu.endpoint) and "api-version=2024-04-01" in nl
        pages.append(api.s.get(nl).json())
    assert [len(p["value"]) for p in pages] == [3, 3, 2]
    names = [x["name"] for p in pages for x in p["value"]]
    api.emu.control.update_settings(page_size=200)
    assert names == [x["name"] for x in api.rps("vm-web-01")]
    api.emu.control.update_settings(page_size=10)
    # filters survive paging
    r = api.get(api.vault + "/backupProtectedItems", **{"$filter": "backupManagementType eq 'AzureIaasVM'"})
    total = len(r.json()["value"])
    nl = r.json()["nextLink"]
    assert "%24filter" in nl or "$filter" in nl
    q = urllib.parse.parse_qs(urllib.parse.urlparse(nl).query)
    assert q["$filter"] == ["backupManagementType eq 'AzureIaasVM'"]
    count = total
    while nl:
        body = api.s.get(nl).json()
        count += len(body["value"])
        nl = body.get("nextLink")
    assert count == 33
    bad = api.get(url, **{"$skipToken": "garbage"})
    assert bad.status_code == 400


@pytest.mark.invalid_traffic  # also reads a protected item at the passive-stamp api-version, which serves it although its swagger has no ProtectedItems_Get
def test_secondary_region_view(api):
    primary = api.rps("vm-web-01")
    secondary = api.rps("vm-web-01", api_version=CRR)
    assert [r["name"] for r in secondary] == [r["name"] for r in primary[1:7]]
    for r in secondary:
        tiers = r["properties"]["recoveryPointTierDetails"]
        assert [(t["type"], t["status"]) for t in tiers] == [("HardenedRP", "Valid")]
        assert tiers[0]["extendedInfo"]["crossRegionRestoreState"] == "Supported"
        assert "securityType" not in r["properties"]
    r = api.get(api.item("vm-web-01") + "/recoveryPoints/" + primary[0]["name"], CRR)
    assert r.status_code == 404
    r = api.get(api.item("vm-web-01") + "/recoveryPoints/" + primary[1]["name"], CRR)
    assert r.status_code == 200
    items = api.get(api.vault + "/backupProtectedItems/", CRR).json()["value"]
    assert len(items) == 33 and "vaultId" not in items[0]["properties"]
    item = api.get(api.item("vm-web-01"), CRR).json()
    assert item["properties"]["lastRecoveryPoint"] == secondary[0]["properties"]["recoveryPointTime"]
    r = api.get(api.item("vm-lrs-01", vault=api.vault_lrs) + "/recoveryPoints", CRR)
    assert r.status_code == 400 and r.json()["error"]["code"] == "BMSUserErrorCrossRegionRestoreNotEnabled"
    # the 2018-12-20 passive stamp has no recoveryPointProperties
    old = api.rps("vm-web-01", api_version="2018-12-20")
    assert "recoveryPointProperties" not in old[0]["properties"]


def test_legacy_api_version_shape(api):
    rps = api.rps("vm-web-01", api_version="2019-05-13")
    assert all(t["type"] in ("InstantRP", "HardenedRP") for r in rps for t in r["properties"]["recoveryPointTierDetails"])
    assert "zones" not in api.rps("vm-db-01", api_version="2019-05-13")[0]["properties"]


def test_containers(api):
    r = api.get(api.vault + "/backupProtectionContainers", **{"$filter": "backupManagementType eq 'AzureIaasVM'"})
    assert r.status_code == 200 and len(r.json()["value"]) == 33
    c = api.get(api.item("vm-web-01").split("/protectedItems/")[0])
    assert c.status_code == 200 and c.json()["properties"]["friendlyName"] == "vm-web-01"
    assert api.get(api.vault + "/backupProtectionContainers").status_code == 400


def test_backup_status(api):
    r = api.post("/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/westeurope/backupStatus" % api.sub,
                 {"resourceType": "VM", "resourceId": api.vm_id("vm-db-01")})
    assert r.status_code == 200
    assert r.json()["vaultId"] == api.vault and r.json()["protectedItemName"] == "VM;iaasvmcontainerv2;rg-prod;vm-db-01"


def test_world_features_encryption_exclusions_explicit_points():
    from azbackup_emulator import Emulator
    from emulator_testlib import Api
    from contract import swagger

    world = {
        "tenants": [{"id": "t1", "clients": [{"client_id": "c1", "secret": "s1"}]}],
        "subscriptions": [{"id": "00000000-0000-0000-0000-0000000000cc"}],
        "regions": [{"name": "westeurope", "paired_region": "northeurope"},
                    {"name": "northeurope", "paired_region": "westeurope"}],
        "resource_groups": [{"name": "rg-prod", "location": "westeurope"}],
        "vaults": [{"name": "v", "resource_group": "rg-prod", "cross_region_restore": True}],
        "virtual_machines": [
            {"name": "enc", "resource_group": "rg-prod", "encrypted": True, "data_disks": [0, 1, 2],
             "backup": {"vault": "v", "excluded_luns": [2], "recovery_points": [
                 {"id": "111", "age_days": 1, "type": "AppConsistent", "tiers": ["InstantRP", "HardenedRP"]},
                 {"id": "222", "time": "2024-01-02T03:04:05Z", "luns": [0], "replicated": False},
             ]}},
            {"fleet": {"prefix": "f-", "count": 3, "digits": 2}, "resource_group": "rg-prod",
             "backup": {"vault": "v", "recovery_points": {"daily": 2, "archived": []}}},
        ],
    }
    with Emulator(world=world) as emu:
        api = Api(emu)
        vault = "/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.RecoveryServices/vaults/v" % api.sub
        for version in ("2024-04-01", "2019-05-13", "2023-01-15"):
            rps = api.rps("enc", api_version=version, vault=vault)
            if version != "2023-01-15":  # the passive stamp has no ProtectedItems_Get
                api.get(api.item("enc", vault=vault), version)
        rps = api.rps("enc", vault=vault)
        assert [r["name"] for r in rps] == ["111", "222"]
        p = rps[0]["properties"]
        assert p["isSourceVMEncrypted"] is True and "keyAndSecret" in p
        assert [d["lun"] for d in p["recoveryPointDiskConfiguration"]["includedDiskList"]] == [0, 1]
        assert [d["lun"] for d in p["recoveryPointDiskConfiguration"]["excludedDiskList"]] == [2]
        assert rps[1]["properties"]["recoveryPointTime"].startswith("2024-01-02T03:04:05")
        item = api.get(api.item("enc", vault=vault)).json()
        assert item["properties"]["extendedProperties"]["diskExclusionProperties"] == {
            "diskLunList": [0, 1], "isInclusionList": True}
        names = [i["properties"]["friendlyName"] for i in api.get(vault + "/backupProtectedItems").json()["value"]]
        assert sorted(names) == ["enc", "f-01", "f-02", "f-03"]
        assert [r["name"] for r in api.rps("enc", api_version="2023-01-15", vault=vault)] == ["111"]
        swagger.assert_log_valid(emu.control.requests())
