"""Plain ARM for restore drills: asynchronous deletes, the Tags API, the resource group's resources
list, virtual network peerings / gateways, and the RBAC actions of these requests."""

import re

import pytest
import requests

from azbackup_emulator import world as W
from azbackup_emulator.rbac import request_action
from emulator_testlib import Api
from test_guest import restore_new_vm

pytestmark = pytest.mark.emulator

COMPUTE, NETWORK, RESOURCES = "2024-03-01", "2023-09-01", "2021-04-01"


def nic_of(api, vm_body):
    return vm_body["properties"]["networkProfile"]["networkInterfaces"][0]["id"]


def disks_of(vm_body):
    sp = vm_body["properties"]["storageProfile"]
    return [d["managedDisk"]["id"] for d in [sp["osDisk"]] + sp["dataDisks"]]


def tags_url(rid):
    return rid + "/providers/Microsoft.Resources/tags/default"


# ------------------------------------------------------------------------------ deletes

def test_delete_vm_is_asynchronous_and_detaches(api, emu):
    vm = api.vm_id("vm-app-001")
    body = api.get(vm, COMPUTE).json()
    nic, disks = nic_of(api, body), disks_of(body)
    r = api.send("DELETE", vm, None, COMPUTE)
    assert r.status_code == 202 and not r.content
    base = r"^https://[^/]+/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/" % api.sub
    assert re.match(base + r"operations/[0-9a-f-]{36}\?api-version=%s$" % COMPUTE, r.headers["Azure-AsyncOperation"])
    assert re.match(base + r"operationResults/[0-9a-f-]{36}\?api-version=%s$" % COMPUTE, r.headers["Location"])
    assert api.get(vm, COMPUTE).json()["properties"]["provisioningState"] == "Deleting"
    iv = api.get(vm + "/instanceView", COMPUTE).json()
    assert iv["statuses"][0] == {"code": "ProvisioningState/deleting", "level": "Info", "displayStatus": "Deleting"}
    assert api.s.get(r.headers["Azure-AsyncOperation"]).json()["status"] == "InProgress"
    assert api.s.get(r.headers["Location"]).status_code == 202
    again = api.send("DELETE", vm, None, COMPUTE)        # the same operation
    assert again.status_code == 202 and again.headers["Location"] == r.headers["Location"]
    rc_body = {"location": "westeurope", "properties": {"source": {"script": "true"}}}
    rc = api.send("PUT", vm + "/runCommands/x", rc_body, COMPUTE)
    assert rc.status_code == 409 and "marked for deletion" in rc.json()["error"]["message"]
    # refusals while the VM still holds its disks and NIC
    d = api.send("DELETE", disks[0], None, COMPUTE)
    assert d.status_code == 409 and d.json()["error"] == {
        "code": "OperationNotAllowed", "message": "Disk %s is attached to VM %s." % (disks[0].rsplit("/", 1)[1], vm)}
    n = api.send("DELETE", nic, None, NETWORK)
    assert n.status_code == 400 and n.json()["error"] == {
        "code": "NicInUse",
        "message": "Network Interface %s is used by existing resource %s. In order to delete the network interface, "
                   "it must be dissociated from the resource. To learn more, see aka.ms/deletenic." % (nic, vm)}
    emu.control.advance(2.5)
    st = api.s.get(r.headers["Azure-AsyncOperation"]).json()
    assert st["status"] == "Succeeded" and set(st) == {"name", "status", "startTime", "endTime"}
    assert api.s.get(r.headers["Location"]).status_code == 204
    assert api.get(vm, COMPUTE).status_code == 404
    assert api.send("DELETE", vm, None, COMPUTE).status_code == 204
    for disk in disks:
        b = api.get(disk, COMPUTE).json()
        assert "managedBy" not in b and b["properties"]["diskState"] == "Unattached"
    assert "virtualMachine" not in api.get(nic, NETWORK).json()["properties"]
    ops = emu.control.state()["arm_operations"]
    assert [(o["kind"], o["status"]) for o in ops] == [("delete", "Succeeded")]


def test_delete_disk_and_nic(api, emu):
    vm = api.vm_id("vm-app-002")
    body = api.get(vm, COMPUTE).json()
    api.send("DELETE", vm, None, COMPUTE)
    emu.control.advance(2.5)
    disk, nic = disks_of(body)[0], nic_of(api, body)
    r = api.send("DELETE", disk, None, COMPUTE)
    assert r.status_code == 202 and api.get(disk, COMPUTE).json()["properties"]["provisioningState"] == "Deleting"
    n = api.send("DELETE", nic, None, NETWORK)
    assert n.status_code == 202 and "/providers/Microsoft.Network/locations/westeurope/" in n.headers["Location"]
    assert api.s.get(n.headers["Azure-AsyncOperation"]).json() == {"status": "InProgress"}
    assert api.get(nic, NETWORK).json()["properties"]["provisioningState"] == "Deleting"
    emu.control.update_settings(delete_seconds=60)          # running operations keep their duration
    emu.control.advance(2.5)
    assert api.s.get(n.headers["Azure-AsyncOperation"]).json() == {"status": "Succeeded"}
    assert api.s.get(n.headers["Location"]).status_code == 204
    assert api.get(disk, COMPUTE).status_code == 404 and api.get(nic, NETWORK).status_code == 404
    assert api.send("DELETE", disk, None, COMPUTE).status_code == 204
    assert api.send("DELETE", nic, None, NETWORK).status_code == 204
    assert api.send("DELETE", api.sa_id("strestorewe"), None, "2023-05-01").status_code == 405


def test_deleting_a_restored_vm(api, emu):
    vm, job = restore_new_vm(api, emu)
    body = api.get(vm, COMPUTE).json()
    api.send("DELETE", vm, None, COMPUTE)
    emu.control.advance(2.5)
    for disk in disks_of(body):
        b = api.get(disk, COMPUTE).json()
        assert "managedBy" not in b and b["tags"] == {"RSVaultBackup": job}
        assert api.send("DELETE", disk, None, COMPUTE).status_code == 202
    nic = api.get(nic_of(api, body), NETWORK).json()
    assert nic["tags"] == {"RSVaultBackup": job} and "virtualMachine" not in nic["properties"]
    assert api.send("DELETE", nic["id"], None, NETWORK).status_code == 202
    emu.control.advance(2.5)
    assert api.get(api.rg_id("rg-drill") + "/resources", RESOURCES).json() == {"value": []}


# ------------------------------------------------------------------------------ tags

def test_tags_api_merge_replace_delete(api):
    disk = api.get(api.vm_id("vm-web-01"), COMPUTE).json()["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
    r = api.send("PATCH", tags_url(disk), {"operation": "Merge", "properties": {"tags": {"drill": "d1", "owner": "ops"}}},
                 RESOURCES)
    assert r.status_code == 200 and r.json() == {
        "id": tags_url(disk), "name": "default", "type": "Microsoft.Resources/tags",
        "properties": {"tags": {"drill": "d1", "owner": "ops"}}}
    r = api.send("PATCH", tags_url(disk), {"operation": "merge", "properties": {"tags": {"DRILL": "d2"}}}, RESOURCES)
    assert r.json()["properties"]["tags"] == {"owner": "ops", "DRILL": "d2"}
    r = api.send("PATCH", tags_url(disk), {"operation": "Delete", "properties": {"tags": {"owner": "other"}}}, RESOURCES)
    assert r.json()["properties"]["tags"] == {"owner": "ops", "DRILL": "d2"}     # the value must match
    r = api.send("PATCH", tags_url(disk), {"operation": "Delete", "properties": {"tags": {"drill": ""}}}, RESOURCES)
    assert r.json()["properties"]["tags"] == {"owner": "ops"}
    assert api.get(disk, COMPUTE).json()["tags"] == {"owner": "ops"}
    r = api.send("PATCH", tags_url(disk), {"operation": "Replace", "properties": {"tags": {"a": "1"}}}, RESOURCES)
    assert r.json()["properties"]["tags"] == {"a": "1"}
    assert api.get(tags_url(disk), RESOURCES).json()["properties"]["tags"] == {"a": "1"}
    rg = api.rg_id("rg-drill")
    r = api.send("PATCH", tags_url(rg), {"operation": "Merge", "properties": {"tags": {"drill": "yes"}}}, RESOURCES)
    assert r.status_code == 200 and api.get(rg, RESOURCES).json()["tags"] == {"drill": "yes"}
    assert api.send("PUT", tags_url(rg), {"properties": {"tags": {"x": "y"}}}, RESOURCES).json()["properties"]["tags"] == {"x": "y"}
    assert api.send("DELETE", tags_url(rg), None, RESOURCES).status_code == 200
    assert api.get(rg, RESOURCES).json()["tags"] == {}


def test_tags_api_refusals(api):
    vm = api.vm_id("vm-web-01")
    r = api.send("PATCH", tags_url(vm), {"operation": "Append", "properties": {"tags": {}}}, RESOURCES)
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
    r = api.send("PATCH", tags_url(vm), {"operation": "Merge", "properties": {"tags": {"a/b": "x"}}}, RESOURCES)
    assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidTagNameCharacters"
    r = api.send("PATCH", tags_url(vm), {"operation": "Merge", "properties": {"tags": {"n": 1}}}, RESOURCES)
    assert r.status_code == 400
    r = api.send("PATCH", tags_url(api.vm_id("vm-nope")), {"operation": "Merge", "properties": {"tags": {}}}, RESOURCES)
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceNotFound"
    r = api.send("PATCH", tags_url(api.rg_id("rg-nope")), {"operation": "Merge", "properties": {"tags": {}}}, RESOURCES)
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceGroupNotFound"
    r = api.send("PATCH", tags_url(api.vault), {"operation": "Merge", "properties": {"tags": {"k": "v"}}}, RESOURCES)
    assert r.status_code == 200 and api.get(api.vault).json()["tags"] == {"k": "v"}


# ------------------------------------------------------------------------------ resources list

def test_resources_list_with_tags_and_paging(api, emu):
    rg = api.rg_id("rg-drill")
    assert api.get(rg + "/resources", RESOURCES).json() == {"value": []}
    vm, job = restore_new_vm(api, emu)
    listed = api.get(rg + "/resources", RESOURCES).json()
    assert "nextLink" not in listed
    by_type = {}
    for item in listed["value"]:
        assert set(item) <= {"id", "name", "type", "location", "tags", "managedBy", "sku", "kind"}
        assert item["tags"] == {"RSVaultBackup": job} and item["location"] == "westeurope"
        by_type.setdefault(item["type"], []).append(item)
    assert [x["id"] for x in by_type["Microsoft.Compute/virtualMachines"]] == [vm]
    assert len(by_type["Microsoft.Compute/disks"]) == 3 and len(by_type["Microsoft.Network/networkInterfaces"]) == 1
    assert all(d["managedBy"] == vm for d in by_type["Microsoft.Compute/disks"])
    emu.control.update_settings(page_size=2)
    seen, url = [], rg + "/resources"
    pages = 0
    while url:
        page = api.get(url, RESOURCES).json()
        assert len(page["value"]) <= 2
        seen += [x["id"] for x in page["value"]]
        url = page.get("nextLink")
        pages += 1
    assert pages == 3 and seen == [x["id"] for x in listed["value"]]
    emu.control.update_settings(page_size=200)
    names = {x["name"] for x in api.get(api.rg_id("rg-drill-net") + "/resources", RESOURCES).json()["value"]}
    assert names == {"vnet-drill", "vnet-peered", "vnet-gateway", "vnet-gateway-gw"}


# ------------------------------------------------------------------------------ networks

def test_vnet_peerings_and_gateway(api, emu):
    drill = api.get(api.vnet_id("vnet-drill", "rg-drill-net"), NETWORK).json()["properties"]
    assert drill["addressSpace"]["addressPrefixes"] == ["10.30.0.0/16"] and drill["virtualNetworkPeerings"] == []
    assert [s["name"] for s in drill["subnets"]] == ["default"]
    peered = api.get(api.vnet_id("vnet-peered", "rg-drill-net"), NETWORK).json()["properties"]
    (p,) = peered["virtualNetworkPeerings"]
    assert p["properties"]["peeringState"] == "Connected"
    assert p["properties"]["remoteVirtualNetwork"]["id"] == api.vnet_id("vnet-restore")
    (back,) = api.get(api.vnet_id("vnet-restore"), NETWORK).json()["properties"]["virtualNetworkPeerings"]
    assert back["properties"]["remoteVirtualNetwork"]["id"] == api.vnet_id("vnet-peered", "rg-drill-net")
    r = api.get(api.vnet_id("vnet-peered", "rg-drill-net") + "/virtualNetworkPeerings/" + p["name"], NETWORK)
    assert r.status_code == 200 and r.json() == p
    gw = api.get(api.vnet_id("vnet-gateway", "rg-drill-net"), NETWORK).json()["properties"]
    assert [s["name"] for s in gw["subnets"]] == ["default", "GatewaySubnet"]
    (ipc,) = gw["subnets"][1]["properties"]["ipConfigurations"]
    assert re.search(r"/providers/Microsoft.Network/virtualNetworkGateways/[^/]+/ipConfigurations/default$", ipc["id"])
    gateway = api.get(ipc["id"].rsplit("/ipConfigurations/", 1)[0], NETWORK)
    assert gateway.status_code == 200 and gateway.json()["type"] == "Microsoft.Network/virtualNetworkGateways"
    # a NIC placed in a subnet shows up in its ipConfigurations
    vm, _unused = restore_new_vm(api, emu)
    sub = api.get(api.vnet_id("vnet-drill", "rg-drill-net") + "/subnets/default", NETWORK).json()
    nic = api.get(vm, COMPUTE).json()["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
    assert [x["id"] for x in sub["properties"]["ipConfigurations"]] == [nic + "/ipConfigurations/ipconfig1"]


def test_world_schema_peerings_and_gateway():
    base = {"tenants": [{"id": "t", "clients": [{"client_id": "c", "secret": "s"}]}], "subscriptions": [{"id": "s"}],
            "resource_groups": [{"name": "rg", "location": "westeurope"}]}
    w = W.normalise(dict(base, virtual_networks=[
        {"name": "a", "resource_group": "rg", "address_prefix": "10.1.0.0/16", "peerings": ["b"]},
        {"name": "b", "resource_group": "rg", "address_prefix": "10.2.0.0/16",
         "gateway": {"name": "gw-b", "address_prefix": "10.2.254.0/27"}}]))
    a, b = w["virtual_networks"]
    assert a["peerings"] == ["b"] and a["gateway"] is None
    assert b["gateway"]["name"] == "gw-b" and b["subnets"][-1] == {"name": "GatewaySubnet", "address_prefix": "10.2.254.0/27"}
    with pytest.raises(W.WorldError):
        W.normalise(dict(base, virtual_networks=[{"name": "a", "resource_group": "rg", "peerings": ["nope"]}]))
    with pytest.raises(W.WorldError):
        W.normalise(dict(base, settings={"guest": {"boot_seconds": "soon"}}))


# ------------------------------------------------------------------------------ RBAC

V = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"


@pytest.mark.parametrize("method,path,action,scope", [
    ("DELETE", V, "Microsoft.Compute/virtualMachines/delete", V),
    ("PUT", V + "/runCommands/rc", "Microsoft.Compute/virtualMachines/runCommands/write", V + "/runCommands/rc"),
    ("GET", V + "/runCommands/rc", "Microsoft.Compute/virtualMachines/runCommands/read", V + "/runCommands/rc"),
    ("DELETE", V + "/runCommands/rc", "Microsoft.Compute/virtualMachines/runCommands/delete", V + "/runCommands/rc"),
    ("GET", V + "/runCommands", "Microsoft.Compute/virtualMachines/runCommands/read", V),
    ("DELETE", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d",
     "Microsoft.Compute/disks/delete", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d"),
    ("DELETE", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n",
     "Microsoft.Network/networkInterfaces/delete",
     "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n"),
    ("PATCH", tags_url(V), "Microsoft.Resources/tags/write", tags_url(V)),
    ("PATCH", tags_url("/subscriptions/s/resourceGroups/rg"), "Microsoft.Resources/tags/write",
     tags_url("/subscriptions/s/resourceGroups/rg")),
    ("GET", tags_url(V), "Microsoft.Resources/tags/read", tags_url(V)),
    ("GET", "/subscriptions/s/resourceGroups/rg/resources",
     "Microsoft.Resources/subscriptions/resourceGroups/resources/read", "/subscriptions/s/resourceGroups/rg"),
    ("GET", "/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/1",
     "Microsoft.Compute/locations/operations/read",
     "/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/1"),
    ("GET", "/subscriptions/s/providers/Microsoft.Network/locations/westeurope/operationResults/1",
     "Microsoft.Network/locations/operationResults/read",
     "/subscriptions/s/providers/Microsoft.Network/locations/westeurope/operationResults/1"),
])
def test_request_actions_of_drill_requests(method, path, action, scope):
    assert request_action(method, path.strip("/").split("/")) == (action, scope)


def test_rbac_enforced_on_drill_requests(api, emu):
    operator = emu.client("restore-operator")
    emu.core.rbac.set(role_assignments=[{"principal": operator["client_id"], "scope": "/subscriptions/" + api.sub,
                                         "actions": ["*/read", "Microsoft.Compute/virtualMachines/delete"]}])
    s = requests.Session()
    s.trust_env = False
    token = s.post("%s/%s/oauth2/v2.0/token" % (emu.endpoint, operator["tenant_id"]), verify=emu.ca_bundle, data={
        "grant_type": "client_credentials", "client_id": operator["client_id"], "client_secret": operator["secret"],
        "scope": emu.endpoint + "/.default"}).json()["access_token"]
    op = Api(emu, token=token)
    vm = api.vm_id("vm-app-003")
    r = op.send("PATCH", tags_url(vm), {"operation": "Merge", "properties": {"tags": {"a": "b"}}}, RESOURCES)
    assert r.status_code == 403 and "'Microsoft.Resources/tags/write' over scope '%s'" % tags_url(vm) in r.text
    r = op.send("PUT", vm + "/runCommands/x", {"location": "westeurope", "properties": {}}, COMPUTE)
    assert r.status_code == 403 and "Microsoft.Compute/virtualMachines/runCommands/write" in r.text
    disk = api.get(vm, COMPUTE).json()["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
    r = op.send("DELETE", disk, None, COMPUTE)
    assert r.status_code == 403 and "Microsoft.Compute/disks/delete" in r.text
    r = op.send("DELETE", vm, None, COMPUTE)
    assert r.status_code == 202
    assert op.s.get(r.headers["Azure-AsyncOperation"]).status_code == 200      # a read
    assert op.s.get(r.headers["Location"]).status_code == 202
    assert op.get(api.rg_id("rg-prod") + "/resources", RESOURCES).status_code == 200
