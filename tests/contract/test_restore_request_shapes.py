"""The restore request bodies the modules build, next to Microsoft's own examples.

For the identity-based, cross-subscription and disk network access restores, the body the
collection builds (``_restore_request.build_request``) must have the structure of Microsoft's
``x-ms-examples``: the same property names where the example shows the case, the same nested keys,
and it must validate against the swagger of the api-version it is sent with.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parents[2]
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

from tests.contract import swagger  # noqa: E402

from ansible_collections.azbackup.restore.plugins.module_utils import _restore_request as rq  # noqa: E402
from ansible_collections.azbackup.restore.plugins.module_utils._restore_targets import resolve_targets  # noqa: E402

STABLE = (_REPO / "tests" / "contract" / "specs" / "specification" / "recoveryservicesbackup" / "resource-manager"
          / "Microsoft.RecoveryServices" / "stable")
SUB = "9a8b7c6d-0000-4000-8000-000000000003"
OTHER = "0b1c2d3e-0000-4000-8000-000000000005"
VM = "/subscriptions/%s/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01" % SUB
UAI = "/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id" % SUB
DISK_ACCESS = "/subscriptions/%s/resourceGroups/rg-restore/providers/Microsoft.Compute/diskAccesses/da" % SUB
POINT = {"name": "348916168024334", "is_managed": True, "properties": {}}


def example(version, name):
    with open(STABLE / version / "examples" / "AzureIaasVm" / name) as f:
        return json.load(f)["parameters"]


def options(**kw):
    base = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account="strestorewe",
                staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore")
    base.update(kw)
    return base


def build(restore_type="restore_disks", sub=SUB, **kw):
    p = options(**kw)
    return rq.build_request(p, restore_type, POINT, VM, resolve_targets(p, sub, "westeurope"))


def shape(value):
    """The structure of a JSON value: dicts by their keys (recursively), other values by their type."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


@pytest.fixture(scope="module")
def specs():
    return swagger.default_specset()


def valid(specs, version, body, crr=False):
    if crr:
        op = specs.operation(version, "CrossRegionRestore_Trigger")
        payload = {"crossRegionRestoreAccessDetails": {"objectType": "CrrAccessToken"}, "restoreRequest": body}
    else:
        op = specs.operation(version, "Restores_Trigger")
        payload = {"properties": body}
    return specs.validate_request(op, {"api-version": version}, payload)


class TestIdentity:
    def test_restore_disks_like_the_identity_example(self, specs):
        want = example("2024-04-01",
                       "TriggerRestore_RestoreDisks_IaasVMRestoreRequest_IdentityBasedRestoreDetails.json")
        want = want["parameters"]["properties"]
        got = build(target_resource_group=None, restore_as_unmanaged_disks=True,
                    identity=dict(type="user_assigned", id=UAI))
        assert set(got) == set(want)
        assert shape(got["identityInfo"]) == shape(want["identityInfo"])
        assert shape(got["identityBasedRestoreDetails"]) == shape(want["identityBasedRestoreDetails"])
        assert "storageAccountId" not in got and "storageAccountId" not in want
        assert valid(specs, "2024-04-01", got) == []

    def test_new_vm_like_the_alr_identity_example(self, specs):
        want = example("2024-04-01", "TriggerRestore_ALR_IaasVMRestoreRequest_IdentityBasedRestoreDetails.json")
        want = want["parameters"]["properties"]
        got = build("new_vm", target_vm_name="vm-new", target_virtual_network="vnet-restore", target_subnet="default",
                    identity=dict(type="system_assigned"))
        assert set(got) <= set(want), set(got) - set(want)
        assert set(got["identityInfo"]) <= set(want["identityInfo"])
        assert shape(got["identityBasedRestoreDetails"]) == shape(want["identityBasedRestoreDetails"])
        assert "storageAccountId" not in got
        assert valid(specs, "2024-04-01", got) == []

    def test_validation_like_the_validate_example(self, specs):
        want = example("2024-04-01", "ValidateOperation_RestoreDisk_IdentityBasedRestoreDetails.json")
        want = want["parameters"]["properties"]["restoreRequest"]
        got = build(target_resource_group=None, restore_as_unmanaged_disks=True,
                    identity=dict(type="user_assigned", id=UAI))
        assert set(got) == set(want)
        assert shape(got["identityBasedRestoreDetails"]) == shape(want["identityBasedRestoreDetails"])

    def test_cross_region_like_the_crr_identity_example(self, specs):
        want = example("2023-01-15", "TriggerCrossRegionRestore_IdentityBasedRestoreDetails_Post.json")
        want = want["parameters"]["restoreRequest"]
        got = build("new_vm", target_vm_name="vm-new", target_virtual_network="vnet-restore", target_subnet="default",
                    target_zone="2", identity=dict(type="user_assigned", id=UAI))
        assert set(got) <= set(want), set(got) - set(want)
        assert shape(got["identityInfo"]) == shape(want["identityInfo"])
        assert shape(got["identityBasedRestoreDetails"]) == shape(want["identityBasedRestoreDetails"])
        assert valid(specs, "2023-01-15", got, crr=True) == []


class TestCrossSubscription:
    def test_targets_in_the_target_subscription(self, specs):
        want = example("2024-04-01", "TriggerRestore_ALR_IaasVMRestoreRequest.json")["parameters"]["properties"]
        got = build("new_vm", sub=OTHER, target_subscription_id=OTHER, target_vm_name="vm-new",
                    target_virtual_network="vnet-restore", target_subnet="default")
        assert set(got) <= set(want), set(got) - set(want)
        for key in ("targetResourceGroupId", "targetVirtualMachineId", "virtualNetworkId", "subnetId",
                    "storageAccountId"):
            assert got[key].startswith("/subscriptions/%s/resourceGroups/" % OTHER), key
        assert got["sourceResourceId"] == VM
        assert valid(specs, "2024-04-01", got) == []


class TestDiskNetworkAccess:
    def test_like_the_restore_disks_example(self, specs):
        want = example("2024-04-01", "TriggerRestore_RestoreDisks_IaasVMRestoreRequest.json")
        want = want["parameters"]["properties"]
        got = build(disk_network_access=dict(option="EnablePrivateAccessForAllDisks", disk_access_id=DISK_ACCESS))
        assert shape(got["targetDiskNetworkAccessSettings"]) == shape(want["targetDiskNetworkAccessSettings"])
        assert valid(specs, "2024-04-01", got) == []

    def test_not_in_the_secondary_region_api(self):
        assert "targetDiskNetworkAccessSettings" not in rq.CRR_RESTORE_REQUEST_PROPERTIES


class TestResourceGuard:
    def test_like_the_resource_guard_example(self, specs):
        want = example("2024-04-01", "TriggerRestore_ResourceGuardEnabled.json")["parameters"]["properties"]
        got = build(target_resource_group=None, restore_as_unmanaged_disks=True,
                    identity=dict(type="user_assigned", id=UAI))
        # what PrimaryRestore.preflight adds for a vault whose resource guard protects restores
        got["resourceGuardOperationRequests"] = [want["resourceGuardOperationRequests"][0]]
        assert set(got) == set(want)
        assert shape(got["resourceGuardOperationRequests"]) == shape(want["resourceGuardOperationRequests"])
        assert valid(specs, "2024-04-01", got) == []

    def test_the_flavour_adds_the_operation_request(self):
        import types

        from ansible_collections.azbackup.restore.plugins.module_utils import _resource_guard as rg
        from ansible_collections.azbackup.restore.plugins.module_utils._restore_flavours import PrimaryRestore

        guard = ("/subscriptions/%s/resourceGroups/rg-security/providers/Microsoft.DataProtection/resourceGuards/g"
                 % OTHER)
        proxy = {"properties": {"resourceGuardResourceId": guard, "resourceGuardOperationDetails": [
            {"vaultCriticalOperation": rg.RESTORE_OPERATION,
             "defaultResourceRequest": guard + "/triggerRestoreRequests/default"}]}}

        class Provider(object):
            def token_for_tenant(self, tenant):
                return "aux-" + tenant

        client = types.SimpleNamespace(list=lambda url, api_version=None: iter([proxy]), token_provider=Provider())
        flavour = PrimaryRestore(client, options(vault_name="rsv-prod", vault_resource_group="rg-vault",
                                                 resource_guard_tenant_id="guard-tenant"), SUB)
        flavour.vault = {"location": "westeurope"}
        flavour.region = "westeurope"
        request = build()
        call = types.SimpleNamespace(headers=None)
        flavour.preflight(call, POINT, request)
        assert request["resourceGuardOperationRequests"] == [guard + "/triggerRestoreRequests/default"]
        assert call.headers == {"x-ms-authorization-auxiliary": "Bearer aux-guard-tenant"}
