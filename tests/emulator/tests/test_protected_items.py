"""BackupProtectedItems_List (primary) and BackupProtectedItemsCrr_List (secondary region): shapes,
paging, filters, and the protection state / health a world gives each protected VM."""

import pytest

from azbackup_emulator import Emulator
from azbackup_emulator.world import WorldError
from contract import swagger
from emulator_testlib import CRR, Api

pytestmark = pytest.mark.emulator

VM_FILTER = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"


def world(**backups):
    """A vault with CRR and four VMs; ``backups`` adds backup settings per VM name."""
    vms = []
    for name in ("vm-a", "vm-b", "vm-c", "vm-d"):
        backup = {"vault": "v", "recovery_points": {"daily": 3, "archived": [], "replication_lag": 1}}
        backup.update(backups.get(name.replace("-", "_"), {}))
        vms.append({"name": name, "resource_group": "rg-b" if name == "vm-d" else "rg-a", "backup": backup})
    return {
        "tenants": [{"id": "11111111-0000-4000-8000-000000000001",
                     "clients": [{"client_id": "22222222-0000-4000-8000-000000000002", "secret": "s"}]}],
        "subscriptions": [{"id": "33333333-0000-4000-8000-000000000003"}],
        "regions": [{"name": "westeurope", "paired_region": "northeurope"},
                    {"name": "northeurope", "paired_region": "westeurope"}],
        "resource_groups": [{"name": "rg-a", "location": "westeurope"}, {"name": "rg-b", "location": "westeurope"}],
        "vaults": [{"name": "v", "resource_group": "rg-a", "cross_region_restore": True}],
        "virtual_machines": vms,
    }


def all_pages(api, url, api_version, **params):
    items, pages = [], 0
    r = api.get(url, api_version, **params)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["value"]
        pages += 1
        if not body.get("nextLink"):
            return items, pages
        r = api.get(body["nextLink"], None)


def test_states_shapes_paging_and_both_regions():
    w = world(vm_b={"protection_state": "ProtectionStopped", "health_status": "ActionRequired",
                    "last_backup_status": "Failed", "policy": "Enhanced"},
              vm_c={"protection_state": "backupssuspended", "health_status": "ActionSuggested",
                    "recovery_points": {"daily": 1, "archived": [], "replication_lag": 1}})
    w["settings"] = {"page_size": 2}
    with Emulator(world=w) as emu:
        api = Api(emu)
        vault = "/subscriptions/%s/resourceGroups/rg-a/providers/Microsoft.RecoveryServices/vaults/v" % api.sub
        items, pages = all_pages(api, vault + "/backupProtectedItems", "2024-04-01", **{"$filter": VM_FILTER})
        assert pages == 2
        props = dict((i["properties"]["friendlyName"], i["properties"]) for i in items)
        assert sorted(props) == ["vm-a", "vm-b", "vm-c", "vm-d"]
        a, b, c = props["vm-a"], props["vm-b"], props["vm-c"]
        assert (a["protectionState"], a["healthStatus"], a["protectionStatus"], a["lastBackupStatus"]) == (
            "Protected", "Passed", "Healthy", "Completed")
        assert (b["protectionState"], b["healthStatus"], b["protectionStatus"], b["lastBackupStatus"]) == (
            "ProtectionStopped", "ActionRequired", "Unhealthy", "Failed")
        assert b["policyName"] == "Enhanced" and b["policyId"].endswith("/backupPolicies/Enhanced")
        assert c["protectionState"] == "BackupsSuspended" and c["healthStatus"] == "ActionSuggested"
        assert a["lastRecoveryPoint"] == a["lastBackupTime"] and a["extendedInfo"]["recoveryPointCount"] == 3
        assert emu.control.state()["vaults"]["v"]["items"]["vm-b"]["health_status"] == "ActionRequired"

        flt = VM_FILTER + " and healthState eq 'ActionRequired'"
        only_b = api.get(vault + "/backupProtectedItems", **{"$filter": flt}).json()["value"]
        assert [i["properties"]["friendlyName"] for i in only_b] == ["vm-b"]

        # the secondary region: only items with a replicated point (vm-c has none), their newest
        # replicated point, the 2023-01-15 shape (no policyName, BackupsSuspended unknown there)
        secondary, pages = all_pages(api, vault + "/backupProtectedItems/", CRR, **{"$filter": VM_FILTER})
        crr = dict((i["properties"]["friendlyName"], i["properties"]) for i in secondary)
        assert sorted(crr) == ["vm-a", "vm-b", "vm-d"] and pages == 2
        assert "policyName" not in crr["vm-b"] and crr["vm-b"]["protectionState"] == "ProtectionStopped"
        assert crr["vm-a"]["lastRecoveryPoint"] < a["lastRecoveryPoint"]
        assert crr["vm-a"]["extendedInfo"]["recoveryPointCount"] == 2

        # 2019-05-13 knows no BackupsSuspended either
        old, _pages = all_pages(api, vault + "/backupProtectedItems", "2019-05-13", **{"$filter": VM_FILTER})
        old_c = next(i for i in old if i["properties"]["friendlyName"] == "vm-c")
        assert old_c["properties"]["protectionState"] == "ProtectionStopped"
        swagger.assert_log_valid(emu.control.requests())


def test_world_refuses_unknown_states():
    with pytest.raises(WorldError, match="protection_state"):
        Emulator(world=world(vm_a={"protection_state": "Sleeping"})).start()
    with pytest.raises(WorldError, match="health_status"):
        Emulator(world=world(vm_a={"health_status": "Fine"})).start()
