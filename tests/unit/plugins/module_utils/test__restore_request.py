# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _restore_request as rq
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._restore_targets import RestoreTargets, resolve_targets
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import (
    ARCHIVE,
    RGS,
    RP_TIME,
    SA,
    SPECS,
    SUB,
    VNET,
    item_ref,
    point,
    restore_params,
    spec_example,
)

RG = RGS
VM = RGS + "/rg/providers/Microsoft.Compute/virtualMachines/vm"
SA_RG = RGS + "/rg/providers/Microsoft.Storage/storageAccounts/sa"


def params(**kw):
    return restore_params(**kw)


class TestRequestProperties:
    @pytest.mark.parametrize("version,names,crr", [
        ("2024-04-01", rq.RESTORE_REQUEST_PROPERTIES, False),
        ("2023-01-15", rq.CRR_RESTORE_REQUEST_PROPERTIES, True),
    ])
    def test_property_lists_match_the_swagger(self, version, names, crr):
        with open(os.path.join(SPECS, version, "bms.json")) as f:
            defs = json.load(f)["definitions"]
        want = set(defs["IaasVMRestoreRequest"]["properties"]) | set(defs["RestoreRequest"]["properties"])
        if not crr:
            want |= set(defs["IaasVMRestoreWithRehydrationRequest"]["properties"])
        assert set(names) == want

    def test_restore_disks_matches_spec_example_shape(self):
        ex = spec_example("2024-04-01", "AzureIaasVm/TriggerRestore_RestoreDisks_IaasVMRestoreRequest.json")
        want = ex["parameters"]["parameters"]["properties"]
        targets = RestoreTargets("southeastasia", SA_RG, RGS + "/t")
        got = rq.build_request({}, "restore_disks", {"name": "348916168024334"}, VM, targets)
        for key in ("objectType", "recoveryType", "createNewCloudService", "originalStorageAccountOption",
                    "encryptionDetails"):
            assert got[key] == want[key], key
        assert "targetVirtualMachineId" not in got

    def test_new_vm_and_luns_and_zone(self):
        targets = RestoreTargets("westeurope", SA_RG, RGS + "/t", vm_id="t", virtual_network_id="n", subnet_id="s")
        got = rq.build_request(dict(disk_luns=[2, 0], target_zone=1), "new_vm", {"name": "1"}, VM, targets)
        assert got["recoveryType"] == "AlternateLocation"
        assert (got["targetVirtualMachineId"], got["virtualNetworkId"], got["subnetId"]) == ("t", "n", "s")
        assert got["restoreDiskLunList"] == [0, 2] and got["zones"] == ["1"]

    @pytest.mark.parametrize("bad", [5, 31, "ten", "P1W"])
    def test_rehydration_duration_bounds(self, bad):
        with pytest.raises(ValidationError) as e:
            rq.rehydration_duration(bad)
        assert e.value.option == "rehydration_duration"

    def test_rehydration_duration(self):
        assert rq.rehydration_duration(12) == "P12D" and rq.rehydration_duration(None) is None

    def test_extra_properties_cannot_override_identity_of_the_restore(self):
        with pytest.raises(ValidationError) as e:
            rq.check_extra_properties({"recoveryType": "x"}, rq.RESTORE_REQUEST_PROPERTIES, "2024-04-01")
        assert e.value.option == "extra_properties"
        rq.check_extra_properties({"restoreWithManagedDisks": True}, rq.RESTORE_REQUEST_PROPERTIES, "2024-04-01")
        got = rq.build_request(dict(extra_properties={"restoreWithManagedDisks": True}), "restore_disks",
                               {"name": "1"}, VM, RestoreTargets("r", SA_RG))
        assert got["restoreWithManagedDisks"] is True


class TestBuildRequest:
    def targets(self, **kw):
        return resolve_targets(params(**kw), SUB, "westeurope")

    def test_restore_disks(self):
        req = rq.build_request(params(disk_luns=[1]), "restore_disks", point(), item_ref().vm_id, self.targets())
        assert req == {
            "objectType": "IaasVMRestoreRequest", "recoveryPointId": "111", "recoveryType": "RestoreDisks",
            "sourceResourceId": item_ref().vm_id, "storageAccountId": SA, "region": "westeurope",
            "createNewCloudService": True, "originalStorageAccountOption": False,
            "encryptionDetails": {"encryptionEnabled": False}, "targetResourceGroupId": RG + "/rg-restore",
            "restoreDiskLunList": [1]}

    def test_replace_disks(self):
        p = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account=SA)
        req = rq.build_request(p, "replace_disks", point(), item_ref().vm_id, resolve_targets(p, SUB, "westeurope"))
        assert req["recoveryType"] == "OriginalLocation"
        assert not [k for k in req if k in ("targetVirtualMachineId", "targetResourceGroupId", "subnetId")]

    def test_new_vm(self):
        t = self.targets(target_vm_name="vm2", target_virtual_network="vnet-restore", target_subnet="default")
        req = rq.build_request(params(target_zone="2"), "new_vm", point(), item_ref().vm_id, t)
        assert req["recoveryType"] == "AlternateLocation"
        assert req["targetVirtualMachineId"].endswith("/virtualMachines/vm2")
        assert req["virtualNetworkId"] == VNET and req["subnetId"] == VNET + "/subnets/default"
        assert req["zones"] == ["2"]

    def test_rehydration(self):
        req = rq.build_request(params(rehydration_priority="High", rehydration_duration=20), "restore_disks",
                               point(tiers=ARCHIVE), item_ref().vm_id, self.targets())
        assert req["objectType"] == "IaasVMRestoreWithRehydrationRequest"
        assert req["recoveryPointRehydrationInfo"] == {"rehydrationPriority": "High",
                                                       "rehydrationRetentionDuration": "P20D"}

    def test_unmanaged_choices(self):
        req = rq.build_request(params(target_resource_group=None, restore_as_unmanaged_disks=True), "restore_disks",
                               point(), item_ref().vm_id, self.targets(target_resource_group=None))
        assert "targetResourceGroupId" not in req
        req = rq.build_request(params(), "restore_disks", point(managed=False), item_ref().vm_id, self.targets())
        assert req["restoreWithManagedDisks"] is True

    def test_os_disk_only_and_identity_and_extra(self):
        req = rq.build_request(params(restore_os_disk_only=True, identity=dict(type="user_assigned", id="/x/id"),
                                      extra_properties={"affinityGroup": "ag"}),
                               "restore_disks", point(), item_ref().vm_id, self.targets())
        assert req["restoreDiskLunList"] == []
        assert req["identityInfo"] == {"isSystemAssignedIdentity": False, "managedIdentityResourceId": "/x/id"}
        assert req["affinityGroup"] == "ag"

    def test_identity_moves_the_staging_account(self):
        # As Microsoft's examples and the CLI: identityBasedRestoreDetails instead of storageAccountId.
        req = rq.build_request(params(identity=dict(type="system_assigned")), "restore_disks", point(),
                               item_ref().vm_id, self.targets())
        assert "storageAccountId" not in req
        assert req["identityInfo"] == {"isSystemAssignedIdentity": True}
        assert req["identityBasedRestoreDetails"] == {"targetStorageAccountId": SA}

    def test_original_storage_account(self):
        req = rq.build_request(params(use_original_storage_account=True), "restore_disks", point(managed=False),
                               item_ref().vm_id, self.targets())
        assert req["originalStorageAccountOption"] is True

    def test_disk_network_access(self):
        access = dict(option="EnablePrivateAccessForAllDisks", disk_access_id="/da")
        req = rq.build_request(params(disk_network_access=access), "restore_disks", point(), item_ref().vm_id,
                               self.targets())
        assert req["targetDiskNetworkAccessSettings"] == {
            "targetDiskNetworkAccessOption": "EnablePrivateAccessForAllDisks", "targetDiskAccessId": "/da"}
        req = rq.build_request(params(disk_network_access=dict(option="SameAsOnSourceDisks")), "restore_disks",
                               point(), item_ref().vm_id, self.targets())
        assert req["targetDiskNetworkAccessSettings"] == {"targetDiskNetworkAccessOption": "SameAsOnSourceDisks"}

    def test_secured_vm_and_edge_zone(self):
        p = point()
        p["properties"]["extendedLocation"] = {"name": "losangeles", "type": "EdgeZone"}
        req = rq.build_request(params(secured_vm_os_disk_encryption_set_id="/des", restore_to_edge_zone=True),
                               "restore_disks", p, item_ref().vm_id, self.targets())
        assert req["securedVMDetails"] == {"securedVMOsDiskEncryptionSetId": "/des"}
        assert req["extendedLocation"] == {"name": "losangeles", "type": "EdgeZone"}
        assert "extendedLocation" not in rq.build_request(params(), "restore_disks", p, item_ref().vm_id,
                                                          self.targets())
        # replacing the disks of an edge zone VM keeps its edge zone, as the CLI sends it
        q = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account=SA)
        req = rq.build_request(q, "replace_disks", p, item_ref().vm_id, resolve_targets(q, SUB, "westeurope"))
        assert req["extendedLocation"]["name"] == "losangeles"

    def test_cross_subscription_targets(self):
        other = "0b1c2d3e-0000-4000-8000-000000000005"
        p = params(target_subscription_id=other)
        req = rq.build_request(p, "restore_disks", point(), item_ref().vm_id, resolve_targets(p, other, "westeurope"))
        assert req["targetResourceGroupId"] == "/subscriptions/%s/resourceGroups/rg-restore" % other
        assert req["storageAccountId"].startswith("/subscriptions/%s/" % other)
        assert req["sourceResourceId"] == item_ref().vm_id

    @pytest.mark.parametrize("name", ["identityBasedRestoreDetails", "originalStorageAccountOption",
                                      "targetDiskNetworkAccessSettings", "securedVMDetails", "extendedLocation"])
    def test_new_properties_are_owned(self, name):
        with pytest.raises(ValidationError) as e:
            rq.check_extra_properties({name: {}}, rq.RESTORE_REQUEST_PROPERTIES, "2024-04-01")
        assert e.value.option == "extra_properties"

    def test_match_criteria(self):
        c = rq.match_criteria(item_ref(), "restore_disks", point(), self.targets())
        assert c == dict(vm_name="vm-web-01", restore_type="restore_disks", recovery_point_time=RP_TIME,
                         storage_account_name="strestorewe", target_resource_group="rg-restore", target_vm_name=None)
