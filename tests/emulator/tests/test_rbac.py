"""Azure RBAC in the emulator: role assignments per client, built-in and custom roles, the action of
each request, and ARM's 403 answers."""

import json
import os

import pytest
import requests

from azbackup_emulator import world as W
from azbackup_emulator.rbac import (BUILTIN_ROLES, action_matches, linked_authorization_failed, request_action,
                                    scope_covers)
from azbackup_emulator.util import det_uuid
from emulator_testlib import Api

pytestmark = pytest.mark.emulator

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE_FILE = os.path.join(REPO, "docs", "rbac", "azbackup-restore-operator.json")
RESTORE = "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints/restore/action"


def as_client(emu, name):
    """An Api bound to the token of another client of the world."""
    c = emu.client(name)
    s = requests.Session()
    s.trust_env = False
    r = s.post("%s/%s/oauth2/v2.0/token" % (emu.endpoint, c["tenant_id"]), verify=emu.ca_bundle, data={
        "grant_type": "client_credentials", "client_id": c["client_id"], "client_secret": c["secret"],
        "scope": emu.endpoint + "/.default"})
    r.raise_for_status()
    return Api(emu, token=r.json()["access_token"])


def oid(client_id):
    return det_uuid("sp", client_id.lower())


def denied(resp, action, scope, client_id):
    assert resp.status_code == 403, resp.text
    assert resp.headers["x-ms-failure-cause"] == "gateway"
    assert resp.json() == {"error": {"code": "AuthorizationFailed", "message": (
        "The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' "
        "or the scope is invalid. If access was recently granted, please refresh your credentials."
        % (client_id, oid(client_id), action, scope))}}


def assign(emu, client, **assignment):
    """Replace every role assignment by one for ``client``."""
    assignment.setdefault("scope", "/subscriptions/%s" % emu.subscription_id)
    emu.core.rbac.set(role_assignments=[dict(principal=emu.client(client)["client_id"], **assignment)])


# ------------------------------------------------------------------------------ pure functions

@pytest.mark.parametrize("pattern, action, expected", [
    ("*", "Microsoft.Compute/virtualMachines/write", True),
    ("*/read", "Microsoft.Storage/storageAccounts/read", True),
    ("*/read", "Microsoft.Storage/storageAccounts/listKeys/action", False),
    ("Microsoft.Compute/*", "Microsoft.Compute/disks/write", True),
    ("Microsoft.Compute/*", "Microsoft.Network/virtualNetworks/read", False),
    ("microsoft.recoveryservices/vaults/backupjobs/*", "Microsoft.RecoveryServices/Vaults/backupJobs/cancel/action", True),
    ("Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/*/read",
     "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints/read", True),
    ("Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/*/read", RESTORE, False),
    ("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", True),
    ("Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/readX", False),
    ("Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines.read", False),
])
def test_action_patterns(pattern, action, expected):
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize("assignment_scope, scope, expected", [
    ("/", "/subscriptions/s/resourceGroups/rg", True),
    ("/subscriptions/S", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm", True),
    ("/subscriptions/s/resourceGroups/RG", "/subscriptions/s/resourcegroups/rg/", True),
    ("/subscriptions/s/resourceGroups/rg", "/subscriptions/s/resourceGroups/rg2", False),
    ("/subscriptions/s/resourceGroups/rg", "/subscriptions/s", False),
    ("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
     "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-2", False),
])
def test_scope_covers_descendants(assignment_scope, scope, expected):
    assert scope_covers(assignment_scope, scope) is expected


V = "/subscriptions/s/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/v"
I = V + "/backupFabrics/Azure/protectionContainers/c/protectedItems/i"
L = "/subscriptions/s/providers/Microsoft.RecoveryServices/locations/northeurope"


@pytest.mark.parametrize("method, path, action, scope", [
    ("GET", "/subscriptions/s", "Microsoft.Resources/subscriptions/read", "/subscriptions/s"),
    ("GET", "/subscriptions/s/locations", "Microsoft.Resources/subscriptions/locations/read", "/subscriptions/s"),
    ("HEAD", "/subscriptions/s/resourcegroups/rg", "Microsoft.Resources/subscriptions/resourceGroups/read",
     "/subscriptions/s/resourcegroups/rg"),
    ("GET", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa",
     "Microsoft.Storage/storageAccounts/read", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa"),
    ("GET", "/subscriptions/s/resourceGroups/rg/providers/microsoft.compute/DISKS",
     "Microsoft.Compute/disks/read", "/subscriptions/s/resourceGroups/rg"),
    ("GET", "/subscriptions/s/providers/Microsoft.Compute/virtualMachines", "Microsoft.Compute/virtualMachines/read",
     "/subscriptions/s"),
    ("GET", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/n/subnets/d",
     "Microsoft.Network/virtualNetworks/subnets/read",
     "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/n/subnets/d"),
    ("GET", V, "Microsoft.RecoveryServices/Vaults/read", V),
    ("GET", V + "/backupJobs", "Microsoft.RecoveryServices/Vaults/backupJobs/read", V),
    ("GET", V + "/backupJobs/j", "Microsoft.RecoveryServices/Vaults/backupJobs/read", V + "/backupJobs/j"),
    ("POST", V + "/backupJobs/j/cancel", "Microsoft.RecoveryServices/Vaults/backupJobs/cancel/action", V + "/backupJobs/j"),
    ("GET", V + "/backupJobs/j/operationResults/o", "Microsoft.RecoveryServices/Vaults/backupJobs/operationResults/read",
     V + "/backupJobs/j/operationResults/o"),
    ("POST", V + "/backupValidateOperation", "Microsoft.RecoveryServices/Vaults/backupValidateOperation/action", V),
    ("GET", V + "/backupstorageconfig/vaultstorageconfig", "Microsoft.RecoveryServices/Vaults/backupstorageconfig/read",
     V + "/backupstorageconfig/vaultstorageconfig"),
    ("GET", I + "/recoveryPoints", "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/"
                                   "protectedItems/recoveryPoints/read", I),
    ("POST", I + "/recoveryPoints/1/restore", RESTORE, I + "/recoveryPoints/1"),
    ("POST", I + "/recoveryPoints/1/accessToken", "Microsoft.RecoveryServices/Vaults/backupFabrics/"
     "protectionContainers/protectedItems/recoveryPoints/accessToken/action", I + "/recoveryPoints/1"),
    ("GET", I + "/operationsStatus/o", "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/"
                                       "protectedItems/operationsStatus/read", I + "/operationsStatus/o"),
    ("GET", L + "/backupAadProperties", "Microsoft.RecoveryServices/locations/backupAadProperties/read", L),
    ("POST", L + "/backupCrossRegionRestore", "Microsoft.RecoveryServices/locations/backupCrossRegionRestore/action", L),
    ("POST", L + "/backupCrrJobs", "Microsoft.RecoveryServices/locations/backupCrrJobs/action", L),
    ("POST", L + "/backupCrrJob", "Microsoft.RecoveryServices/locations/backupCrrJob/action", L),
    ("GET", L + "/backupCrrOperationsStatus/o", "Microsoft.RecoveryServices/locations/backupCrrOperationsStatus/read",
     L + "/backupCrrOperationsStatus/o"),
    ("POST", L.replace("northeurope", "westeurope") + "/backupStatus",
     "Microsoft.RecoveryServices/locations/backupStatus/action", L.replace("northeurope", "westeurope")),
])
def test_request_actions(method, path, action, scope):
    assert request_action(method, path.strip("/").split("/")) == (action, scope)


def test_unauthorised_paths_have_no_action():
    assert request_action("GET", ["subscriptions"]) is None
    assert request_action("GET", ["tenants"]) is None


def test_builtin_roles_are_the_documented_ones():
    roles = {r["name"]: r for r in BUILTIN_ROLES}
    assert set(roles) >= {"Owner", "Contributor", "Reader", "Backup Operator", "Backup Reader",
                          "Virtual Machine Contributor"}
    assert roles["Reader"]["actions"] == ["*/read"]
    assert roles["Contributor"]["actions"] == ["*"] and "Microsoft.Authorization/*/Write" in roles["Contributor"]["not_actions"]
    assert RESTORE in roles["Backup Operator"]["actions"] and RESTORE not in roles["Backup Reader"]["actions"]
    assert "Microsoft.Compute/virtualMachines/*" in roles["Virtual Machine Contributor"]["actions"]


# ------------------------------------------------------------------------------ the world

def test_the_default_world_loads_the_documented_custom_role(emu):
    with open(ROLE_FILE) as f:
        documented = json.load(f)
    (definition,) = emu.core.world["role_definitions"]
    assert definition["name"] == documented["Name"] and definition["actions"] == documented["Actions"]
    (assignment,) = emu.core.world["role_assignments"]
    operator = emu.client("restore-operator")
    assert assignment == {"principal": operator["client_id"], "scope": "/subscriptions/" + emu.subscription_id,
                          "role": documented["Name"], "actions": documented["Actions"], "not_actions": []}
    assert [c["restricted"] for c in emu.clients] == [False, True]
    assert emu.clients[0]["client_id"] == emu.client_id


def test_env_and_clients(emu):
    env = emu.env(client="restore-operator")
    operator = emu.client("azbackup-restore-operator")
    assert env["AZURE_CLIENT_ID"] == operator["client_id"] != emu.client_id
    assert env["AZURE_SECRET"] == operator["secret"] and env["AZURE_TENANT"] == emu.tenant_id
    assert emu.env()["AZURE_CLIENT_ID"] == emu.client_id
    assert emu.client(operator["client_id"].upper())["name"] == "restore-operator"
    with pytest.raises(KeyError):
        emu.client("nobody")


@pytest.mark.parametrize("extra, message", [
    ({"role_assignments": [{"principal": "c1", "role": "No Such Role", "scope": "/"}]}, "unknown role 'No Such Role'"),
    ({"role_assignments": [{"role": "Reader", "scope": "/"}]}, "'principal'"),
    ({"role_assignments": [{"principal": "c1", "role": "Reader"}]}, "'scope'"),
    ({"role_assignments": [{"principal": "c1", "role": "Reader", "actions": ["*"], "scope": "/"}]}, "not both"),
    ({"role_definition_files": ["docs/rbac/missing.json"]}, "cannot read role definition file"),
    ({"role_definitions": [{"Actions": ["*"]}]}, "'Name' is required"),
])
def test_world_errors(extra, message):
    world = {"tenants": [{"id": "t1", "clients": [{"client_id": "c1", "secret": "s1"}]}],
             "subscriptions": [{"id": "s1"}]}
    world.update(extra)
    with pytest.raises(W.WorldError) as e:
        W.load(world)
    assert message in str(e.value)


# ------------------------------------------------------------------------------ requests

def test_a_client_without_assignments_may_do_everything(api):
    assert api.get(api.vault).status_code == 200
    r = api.restore("vm-web-01")
    assert r.status_code == 202, r.text


def test_the_exact_authorization_failed_answer(emu):
    operator = as_client(emu, "restore-operator")
    cid = emu.client("restore-operator")["client_id"]
    # the custom role reads recovery points, not the vault's list of protected items
    assert operator.get(operator.item("vm-web-01") + "/recoveryPoints").status_code == 200
    r = operator.get(operator.vault + "/backupProtectedItems")
    denied(r, "Microsoft.RecoveryServices/Vaults/backupProtectedItems/read", operator.vault, cid)
    assert r.headers["x-ms-request-id"] and r.headers["x-ms-correlation-request-id"]
    entry = emu.control.requests()[-1]
    assert entry["status"] == 403 and entry["response_body"]["error"]["code"] == "AuthorizationFailed"


def test_not_actions_subtract_and_scopes_cover_descendants(emu):
    assign(emu, "restore-operator", actions=["*/read"], not_actions=["Microsoft.RecoveryServices/Vaults/backupJobs/*"],
           scope="/subscriptions/%s/resourceGroups/rg-vault" % emu.subscription_id)
    operator = as_client(emu, "restore-operator")
    cid = emu.client("restore-operator")["client_id"]
    assert operator.get(operator.vault).status_code == 200
    assert operator.get(operator.item("vm-web-01") + "/recoveryPoints").status_code == 200
    denied(operator.get(operator.vault + "/backupJobs"), "Microsoft.RecoveryServices/Vaults/backupJobs/read",
           operator.vault, cid)
    # rg-restore is outside the assignment's scope
    sa = operator.sa_id("strestorewe")
    denied(operator.get(sa, "2023-01-01"), "Microsoft.Storage/storageAccounts/read", sa, cid)
    # and so is the subscription itself
    denied(operator.get("/subscriptions/%s/locations" % emu.subscription_id, "2022-12-01"),
           "Microsoft.Resources/subscriptions/locations/read", "/subscriptions/%s" % emu.subscription_id, cid)


def test_roles_add_up(emu):
    cid = emu.client("restore-operator")["client_id"]
    sub = "/subscriptions/%s" % emu.subscription_id
    emu.core.rbac.set(role_assignments=[
        {"principal": cid, "role": "Backup Reader", "scope": sub + "/resourceGroups/rg-vault"},
        {"principal": cid, "actions": ["Microsoft.Storage/storageAccounts/read"], "scope": sub}])
    operator = as_client(emu, "restore-operator")
    assert operator.get(operator.vault + "/backupJobs").status_code == 200
    assert operator.get(operator.sa_id("strestorewe"), "2023-01-01").status_code == 200
    assert operator.get(operator.vm_id("vm-web-01"), "2024-03-01").status_code == 403


def test_reader_reads_but_does_not_validate_or_restore(emu):
    assign(emu, "restore-operator", role="Reader")
    operator = as_client(emu, "restore-operator")
    cid = emu.client("restore-operator")["client_id"]
    rp = operator.rps("vm-web-01")[0]["name"]
    assert operator.get(operator.vm_id("vm-web-01"), "2024-03-01").status_code == 200
    rp_id = operator.item("vm-web-01", encoded=False) + "/recoveryPoints/" + rp
    r = operator.post(operator.vault + "/backupValidateOperation", {"id": rp_id, "properties": {
        "objectType": "ValidateIaasVMRestoreOperationRequest",
        "restoreRequest": operator.restore_body("vm-web-01", rp)["properties"]}})
    denied(r, "Microsoft.RecoveryServices/Vaults/backupValidateOperation/action", operator.vault, cid)
    r = operator.restore("vm-web-01", rp)
    denied(r, RESTORE, operator.item("vm-web-01", encoded=False) + "/recoveryPoints/" + rp, cid)
    assert emu.control.state()["jobs"] == []


def test_backup_reader_cannot_restore(emu):
    assign(emu, "restore-operator", role="Backup Reader")
    operator = as_client(emu, "restore-operator")
    rp = operator.rps("vm-web-01")[0]["name"]
    assert operator.restore("vm-web-01", rp).json()["error"]["code"] == "AuthorizationFailed"


def test_backup_operator_alone_fails_the_linked_check(emu):
    """Backup Operator on the vault starts no restore: Azure Backup also wants rights on the source
    VM and the staging storage account (Microsoft's minimum role requirements)."""
    assign(emu, "restore-operator", role="Backup Operator",
           scope="/subscriptions/%s/resourceGroups/rg-vault" % emu.subscription_id)
    operator = as_client(emu, "restore-operator")
    c = emu.client("restore-operator")
    rp = operator.rps("vm-web-01")[0]["name"]
    r = operator.restore("vm-web-01", rp)
    assert r.status_code == 403, r.text
    sa = operator.sa_id("strestorewe")
    claims = {"appid": c["client_id"], "oid": oid(c["client_id"])}
    expected = linked_authorization_failed(
        claims, RESTORE, operator.item("vm-web-01", encoded=False) + "/recoveryPoints/" + rp,
        [("Microsoft.Compute/virtualMachines/write", operator.vm_id("vm-web-01")),
         ("Microsoft.Storage/storageAccounts/write", sa), ("Microsoft.Storage/storageAccounts/listKeys/action", sa),
         ("Microsoft.Compute/disks/write", operator.rg_id("rg-restore"))])
    assert r.json() == expected.to_body()
    message = r.json()["error"]["message"]
    assert message.startswith("The client '%s' with object id '%s' has permission to perform action '%s' on scope"
                              % (c["client_id"], oid(c["client_id"]), RESTORE))
    assert ("does not have permission to perform action(s) 'Microsoft.Compute/virtualMachines/write,"
            "Microsoft.Storage/storageAccounts/write,Microsoft.Storage/storageAccounts/listKeys/action,"
            "Microsoft.Compute/disks/write' on the linked scope(s) '%s,%s,%s,%s' (respectively) or the linked "
            "scope(s) are invalid." % (operator.vm_id("vm-web-01"), sa, sa, operator.rg_id("rg-restore"))) in message
    assert emu.control.state()["jobs"] == []


def test_backup_operator_with_vm_contributor_and_the_staging_account_restores(emu):
    cid = emu.client("restore-operator")["client_id"]
    sub = "/subscriptions/%s" % emu.subscription_id
    emu.core.rbac.set(role_assignments=[
        {"principal": cid, "role": "Backup Operator", "scope": sub + "/resourceGroups/rg-vault"},
        {"principal": cid, "role": "Virtual Machine Contributor", "scope": sub + "/resourceGroups/rg-prod"},
        {"principal": cid, "role": "Virtual Machine Contributor", "scope": sub + "/resourceGroups/rg-restore"},
        {"principal": cid, "actions": ["Microsoft.Storage/storageAccounts/write"],
         "scope": sub + "/resourceGroups/rg-restore/providers/Microsoft.Storage/storageAccounts/strestorewe"}])
    operator = as_client(emu, "restore-operator")
    r = operator.restore("vm-web-01")
    assert r.status_code == 202, r.text


def test_new_vm_needs_the_subnet_join(emu):
    assign(emu, "restore-operator", role="Contributor", not_actions=["Microsoft.Network/virtualNetworks/subnets/join/action"])
    operator = as_client(emu, "restore-operator")
    rp = operator.rps("vm-web-01")[0]["name"]
    vnet = operator.vnet_id("vnet-restore")
    r = operator.restore("vm-web-01", rp, recovery_type="AlternateLocation",
                         targetVirtualMachineId=operator.vm_id("vm-new", "rg-restore"), virtualNetworkId=vnet,
                         subnetId=vnet + "/subnets/default")
    assert r.status_code == 403 and r.json()["error"]["code"] == "LinkedAuthorizationFailed"
    assert "perform action 'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) '%s'" \
           % (vnet + "/subnets/default") in r.json()["error"]["message"]


def test_crr_trigger_and_token_are_authorised(api, emu):
    region = "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/northeurope" % emu.subscription_id
    rp = api.rps("vm-web-01", api_version="2023-01-15")[0]["name"]
    aad = api.get(region + "/backupAadProperties", "2023-01-15").json()
    token_url = api.item("vm-web-01") + "/recoveryPoints/%s/accessToken" % rp
    token = api.post(token_url, aad, api_version="2023-01-15").json()["properties"]
    assign(emu, "restore-operator", role="Backup Reader")
    operator = as_client(emu, "restore-operator")
    r = operator.post(token_url, aad, api_version="2023-01-15")
    assert r.status_code == 403 and "recoveryPoints/accessToken/action" in r.json()["error"]["message"]
    body = {"crossRegionRestoreAccessDetails": token, "restoreRequest": operator.restore_body(
        "vm-web-01", rp, sa="strestorene", sa_rg="rg-dr", region="northeurope", target_rg="rg-dr")["properties"]}
    r = operator.post(region + "/backupCrossRegionRestore", body, api_version="2023-01-15")
    want = "'Microsoft.RecoveryServices/locations/backupCrossRegionRestore/action' over scope '%s'" % region
    assert r.status_code == 403 and want in r.json()["error"]["message"]
    # Backup Reader lists CRR jobs
    assert operator.post(region + "/backupCrrJobs", {"resourceId": operator.vault},
                         api_version="2023-01-15").status_code == 200


# ------------------------------------------------------------------------------ control API

def test_control_api(emu):
    s = requests.Session()
    s.trust_env = False
    s.verify = emu.ca_bundle
    view = s.get(emu.control_url + "/rbac").json()
    assert "Backup Operator" in view["builtin_roles"] and len(view["role_assignments"]) == 1
    operator = [c for c in view["clients"] if c["name"] == "restore-operator"][0]
    assert operator["restricted"] is True and operator["secret"] == emu.client("restore-operator")["secret"]
    cid = operator["client_id"]
    r = s.put(emu.control_url + "/rbac", json={"role_assignments": [
        {"principal": cid, "role": "Reader", "scope": "/subscriptions/%s" % emu.subscription_id}]})
    assert r.status_code == 200 and r.json()["role_assignments"][0]["role"] == "Reader"
    api = as_client(emu, "restore-operator")
    assert api.restore("vm-web-01").status_code == 403
    r = s.put(emu.control_url + "/rbac", json={"role_assignments": [{"principal": cid, "role": "Nope", "scope": "/"}]})
    assert r.status_code == 400 and "unknown role" in r.json()["error"]["message"]
    # a custom role defined at run time
    r = s.put(emu.control_url + "/rbac", json={
        "role_definitions": [{"Name": "Vault reader", "Actions": ["Microsoft.RecoveryServices/Vaults/read"]}],
        "role_assignments": [{"principal": cid, "role": "vault reader", "scope": "/"}]})
    assert r.status_code == 200
    assert api.get(api.vault).status_code == 200 and api.get(api.vault + "/backupJobs").status_code == 403
    assert s.post(emu.control_url + "/rbac/reset").json()["role_assignments"] == emu.core.world["role_assignments"]
    assert api.get(api.vault + "/backupJobs").status_code == 200
    # a reset of the emulator restores the world's assignments too
    emu.core.rbac.set(role_assignments=[])
    assert not emu.client("restore-operator")["restricted"]
    emu.control.reset()
    assert emu.client("restore-operator")["restricted"]
