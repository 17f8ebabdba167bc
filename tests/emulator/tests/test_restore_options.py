"""The restore rules of identity-based, cross-subscription, cross-zone, disk access, original storage
account, edge zone and confidential VM restores."""

import pytest

from azbackup_emulator import Emulator
from emulator_testlib import Api

pytestmark = pytest.mark.emulator

OTHER_SUB = "0b1c2d3e-0000-4000-8000-000000000005"


def refused(api, vm, body, code, rp=None, vault=None):
    rp = rp or body["properties"]["recoveryPointId"]
    r = api.post(api.item(vm, vault=vault) + "/recoveryPoints/%s/restore" % rp, body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code, err
    assert api.emu.control.state()["counts"]["jobs"] == 0
    return err["message"]


def identity_body(api, rp, info, vm="vm-web-01"):
    body = api.restore_body(vm, rp, identityInfo=info,
                            identityBasedRestoreDetails={"targetStorageAccountId": api.sa_id("strestorewe")})
    del body["properties"]["storageAccountId"]
    return body


def uai(api, name="id-restore"):
    return ("/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.ManagedIdentity/userAssignedIdentities/%s"
            % (api.sub, name))


def test_identity_based_restore_as_microsoft_builds_it(api, emu):
    rp = api.rps("vm-web-01")[0]["name"]
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/restore" % rp,
                 identity_body(api, rp, {"isSystemAssignedIdentity": True}))
    job = api.job(api.job_of(r))
    assert job["properties"]["extendedInfo"]["propertyBag"]["Target Storage Account Name"] == "strestorewe"
    emu.control.reset()
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/restore" % rp,
                 identity_body(api, rp, {"isSystemAssignedIdentity": False, "managedIdentityResourceId": uai(api)}))
    assert r.status_code == 202, r.text
    emu.control.reset()
    # the form of Microsoft's plain RestoreDisks example: identityInfo with storageAccountId
    r = api.restore("vm-web-01", rp, identityInfo={"isSystemAssignedIdentity": True})
    assert r.status_code == 202, r.text


def test_identity_rules(api):
    rp = api.rps("vm-web-01")[0]["name"]
    # identityInfo without a staging account
    body = identity_body(api, rp, {"isSystemAssignedIdentity": True})
    body["properties"]["identityBasedRestoreDetails"] = {}
    assert "targetStorageAccountId" in refused(api, "vm-web-01", body, "UserErrorInvalidRequestParameter")
    del body["properties"]["identityBasedRestoreDetails"]
    assert "targetStorageAccountId" in refused(api, "vm-web-01", body, "UserErrorInvalidRequestParameter")
    # two different staging accounts
    body = identity_body(api, rp, {"isSystemAssignedIdentity": True})
    body["properties"]["storageAccountId"] = api.sa_id("strestorezrs")
    assert "different" in refused(api, "vm-web-01", body, "UserErrorInvalidRequestParameter")
    body = identity_body(api, rp, {"isSystemAssignedIdentity": False, "managedIdentityResourceId": uai(api, "other")})
    assert "not an identity of vault" in refused(api, "vm-web-01", body, "UserErrorInvalidRequestParameter")
    rp_legacy = api.rps("vm-legacy-01")[0]["name"]
    body = identity_body(api, rp_legacy, {"isSystemAssignedIdentity": True}, vm="vm-legacy-01")
    body["properties"]["targetResourceGroupId"] = api.rg_id("rg-restore")
    assert "unmanaged" in refused(api, "vm-legacy-01", body, "UserErrorInvalidRequestParameter")
    # a vault without a system-assigned identity
    rp_lrs = api.rps("vm-lrs-01", vault=api.vault_lrs)[0]["name"]
    body = identity_body(api, rp_lrs, {"isSystemAssignedIdentity": True}, vm="vm-lrs-01")
    assert "not enabled" in refused(api, "vm-lrs-01", body, "UserErrorInvalidRequestParameter", vault=api.vault_lrs)


def test_user_assigned_identity_is_served(api):
    r = api.get(uai(api), "2023-01-31")
    assert r.status_code == 200 and r.json()["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities"
    assert api.get(uai(api, "nope"), "2023-01-31").status_code == 404
    vault = api.get(api.vault, "2023-04-01").json()
    assert vault["identity"]["type"] == "SystemAssigned, UserAssigned"
    assert [k.lower() for k in vault["identity"]["userAssignedIdentities"]] == [uai(api).lower()]


def test_cross_subscription_restore(api, emu):
    rp = api.rps("vm-web-01")[0]["name"]
    body = api.restore_body("vm-web-01", rp)
    body["properties"]["targetResourceGroupId"] = "/subscriptions/%s/resourceGroups/rg-restore-dev" % OTHER_SUB
    body["properties"]["storageAccountId"] = ("/subscriptions/%s/resourceGroups/rg-restore-dev/providers/"
                                              "Microsoft.Storage/storageAccounts/strestoredev" % OTHER_SUB)
    r = api.post(api.item("vm-web-01") + "/recoveryPoints/%s/restore" % rp, body)
    job_id = api.job_of(r)
    emu.control.advance(7)
    assert api.job(job_id)["properties"]["status"] == "Completed"
    r = api.get("/subscriptions/%s/resourceGroups/rg-restore-dev/providers/Microsoft.Compute/disks" % OTHER_SUB,
                "2023-04-02")
    assert len(r.json()["value"]) == 3


def test_cross_subscription_rules(api):
    rp_lrs = api.rps("vm-lrs-01", vault=api.vault_lrs)[0]["name"]
    body = api.restore_body("vm-lrs-01", rp_lrs)
    body["properties"]["targetResourceGroupId"] = "/subscriptions/%s/resourceGroups/rg-restore-dev" % OTHER_SUB
    assert "permanently disabled" in refused(api, "vm-lrs-01", body, "UserErrorCrossSubscriptionRestoreNotEnabled",
                                             vault=api.vault_lrs)
    rp = api.rps("vm-legacy-01")[0]["name"]
    body = api.restore_body("vm-legacy-01", rp)
    body["properties"]["targetResourceGroupId"] = "/subscriptions/%s/resourceGroups/rg-restore-dev" % OTHER_SUB
    assert "unmanaged" in refused(api, "vm-legacy-01", body, "UserErrorInvalidRequestParameter")


def test_cross_zone_rules(api):
    rps = api.rps("vm-db-01")
    # the point's own zone is no cross-zone restore
    r = api.restore("vm-db-01", rps[0]["name"], zones=["1"])
    assert r.status_code == 202, r.text
    api.emu.control.reset()
    # another zone in the primary region of a geo-redundant vault
    body = api.restore_body("vm-db-01", rps[0]["name"], zones=["2"])
    refused(api, "vm-db-01", body, "UserErrorCrossZoneRestoreNotSupported")
    # a vault without zone-redundant storage or cross-region restore
    rp_lrs = api.rps("vm-lrs-01", vault=api.vault_lrs)[0]["name"]
    refused(api, "vm-lrs-01", api.restore_body("vm-lrs-01", rp_lrs, zones=["2"]),
            "UserErrorCrossZoneRestoreNotSupported", vault=api.vault_lrs)


def test_cross_zone_in_a_zone_redundant_vault():
    world = {
        "tenants": [{"id": "8f0e1c1a-0000-4000-8000-000000000001",
                     "clients": [{"client_id": "5a4b3c2d-0000-4000-8000-000000000002", "secret": "s"}]}],
        "subscriptions": [{"id": "9a8b7c6d-0000-4000-8000-000000000003"}],
        "regions": [{"name": "westeurope", "paired_region": "northeurope"},
                    {"name": "northeurope", "paired_region": "westeurope"}],
        "resource_groups": [{"name": "rg-prod", "location": "westeurope"},
                            {"name": "rg-restore", "location": "westeurope"},
                            {"name": "rg-vault", "location": "westeurope"}],
        "storage_accounts": [{"name": "strestorewe", "resource_group": "rg-restore"}],
        "vaults": [{"name": "rsv-prod", "resource_group": "rg-vault", "redundancy": "ZoneRedundant"}],
        "virtual_machines": [
            {"name": "vm-web-01", "resource_group": "rg-prod", "backup": {"vault": "rsv-prod"},
             "private_disk_access": True},
            {"name": "vm-legacy-01", "resource_group": "rg-prod", "managed": False, "backup": {"vault": "rsv-prod"},
             "original_storage_account_option": True},
            {"name": "vm-edge-01", "resource_group": "rg-prod", "edge_zone": "losangeles",
             "backup": {"vault": "rsv-prod"}},
        ],
    }
    with Emulator(world=world, tls=False) as emu:
        api = Api(emu)
        rps = api.rps("vm-web-01")
        assert rps[0]["properties"]["isPrivateAccessEnabledOnAnyDisk"] is True
        hardened = next(p for p in rps if [t["type"] for t in p["properties"]["recoveryPointTierDetails"]]
                        == ["HardenedRP"])
        assert api.restore("vm-web-01", hardened["name"], zones=["2"]).status_code == 202
        emu.control.reset()
        # disk network access
        access = {"targetDiskNetworkAccessOption": "EnablePrivateAccessForAllDisks"}
        refused(api, "vm-web-01", api.restore_body("vm-web-01", rps[0]["name"], targetDiskNetworkAccessSettings=access),
                "UserErrorInvalidRequestParameter")
        access["targetDiskAccessId"] = ("/subscriptions/%s/resourceGroups/rg-restore/providers/Microsoft.Compute/"
                                        "diskAccesses/da" % api.sub)
        assert api.restore("vm-web-01", rps[0]["name"], targetDiskNetworkAccessSettings=access).status_code == 202
        emu.control.reset()
        # original storage account: only where the point allows it, only for unmanaged VMs
        legacy = api.rps("vm-legacy-01")[0]
        assert legacy["properties"]["originalStorageAccountOption"] is True
        assert api.restore("vm-legacy-01", legacy["name"], target_rg=None,
                           originalStorageAccountOption=True).status_code == 202
        emu.control.reset()
        refused(api, "vm-web-01", api.restore_body("vm-web-01", rps[0]["name"], originalStorageAccountOption=True),
                "UserErrorInvalidRequestParameter")
        # edge zone: the point's extendedLocation only
        edge = api.rps("vm-edge-01")[0]
        assert edge["properties"]["extendedLocation"] == {"name": "losangeles", "type": "EdgeZone"}
        refused(api, "vm-web-01", api.restore_body("vm-web-01", rps[0]["name"],
                                                   extendedLocation={"name": "losangeles", "type": "EdgeZone"}),
                "UserErrorInvalidRequestParameter")
        assert api.restore("vm-edge-01", edge["name"],
                           extendedLocation={"name": "losangeles", "type": "EdgeZone"}).status_code == 202
        emu.control.reset()
        # confidential VMs: a disk encryption set id
        refused(api, "vm-web-01", api.restore_body("vm-web-01", rps[0]["name"],
                                                   securedVMDetails={"securedVMOsDiskEncryptionSetId": "x"}),
                "UserErrorInvalidRequestParameter")


GUARD_TENANT = "7e6d5c4b-0000-4000-8000-000000000006"
GUARD = ("/subscriptions/4d3c2b1a-0000-4000-8000-000000000007/resourceGroups/rg-security/providers/"
         "Microsoft.DataProtection/resourceGuards/rg-guard")


def guard_token(emu, tenant=GUARD_TENANT):
    import requests
    r = requests.post("%s/%s/oauth2/v2.0/token" % (emu.endpoint, tenant), verify=emu.ca_bundle,
                      data=dict(grant_type="client_credentials", client_id=emu.client_id,
                                client_secret=emu.client_secret, scope=emu.endpoint + "/.default"))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def test_resource_guard_proxy(api):
    r = api.get(api.vault_lrs + "/backupResourceGuardProxies")
    proxy = r.json()["value"][0]
    assert proxy["name"] == "VaultProxy" and proxy["properties"]["resourceGuardResourceId"] == GUARD
    detail = proxy["properties"]["resourceGuardOperationDetails"][0]
    assert detail["vaultCriticalOperation"].endswith("/recoveryPoints/restore/action")
    assert detail["defaultResourceRequest"] == GUARD + "/triggerRestoreRequests/default"
    assert api.get(api.vault_lrs + "/backupResourceGuardProxies/VaultProxy").json() == proxy
    assert api.get(api.vault + "/backupResourceGuardProxies").json() == {"value": []}


def test_restore_of_a_guarded_vault(api, emu):
    rp = api.rps("vm-lrs-01", vault=api.vault_lrs)[0]["name"]
    url = api.item("vm-lrs-01", vault=api.vault_lrs) + "/recoveryPoints/%s/restore" % rp
    # without the guard's operation request
    refused(api, "vm-lrs-01", api.restore_body("vm-lrs-01", rp), "UserErrorCriticalOperationUnauthorized",
            vault=api.vault_lrs)
    body = api.restore_body("vm-lrs-01", rp, resourceGuardOperationRequests=[GUARD + "/triggerRestoreRequests/default"])
    # without a token of the guard's tenant
    r = api.post(url, body)
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationTokenTenant"
    # a token of the caller's own tenant does not do
    r = api.s.post(api.url(url), params={"api-version": "2024-04-01"}, json=body,
                   headers={"x-ms-authorization-auxiliary": "Bearer " + api.token()})
    assert r.status_code == 401
    r = api.s.post(api.url(url), params={"api-version": "2024-04-01"}, json=body,
                   headers={"x-ms-authorization-auxiliary": "Bearer " + guard_token(emu)})
    assert r.status_code == 202, r.text
    logged = [e for e in emu.control.requests() if e["method"] == "POST" and e["kind"] == "arm"][-1]
    assert logged["request_headers"]["x-ms-authorization-auxiliary"] == "Bearer <redacted>"


def test_guard_operator_needed(api, emu):
    emu.control.reset()
    state = emu.core.state if hasattr(emu, "core") else None
    if state is None:
        pytest.skip("in-process emulator only")
    vault = state.vaults[api.vault_lrs.lower()]
    saved = vault["resource_guard"]["operators"]
    vault["resource_guard"]["operators"] = []
    try:
        rp = api.rps("vm-lrs-01", vault=api.vault_lrs)[0]["name"]
        body = api.restore_body("vm-lrs-01", rp,
                                resourceGuardOperationRequests=[GUARD + "/triggerRestoreRequests/default"])
        r = api.s.post(api.url(api.item("vm-lrs-01", vault=api.vault_lrs) + "/recoveryPoints/%s/restore" % rp),
                       params={"api-version": "2024-04-01"}, json=body,
                       headers={"x-ms-authorization-auxiliary": "Bearer " + guard_token(emu)})
        assert r.status_code == 403 and "Backup MUA Operator" in r.json()["error"]["message"]
    finally:
        vault["resource_guard"]["operators"] = saved


def test_guest_client_tokens_only_where_consented(emu):
    import requests
    r = requests.post("%s/%s/oauth2/v2.0/token" % (emu.endpoint, GUARD_TENANT), verify=emu.ca_bundle,
                      data=dict(grant_type="client_credentials", client_id="6c5d4e3f-0000-4000-8000-000000000004",
                                client_secret="emulator-restore-operator-secret", scope=emu.endpoint + "/.default"))
    assert r.status_code == 401 and "AADSTS700016" in r.text
