"""Virtual network extras: peerings, gateways (a GatewaySubnet used by a virtual network gateway)
and the subnets' ipConfigurations (the NICs and gateways placed in them), shaped like
Microsoft.Network answers them."""

import copy

from . import resources as R
from .core_types import Response
from .errors import ApiError, method_not_allowed
from .util import det_uuid

GATEWAY_SUBNET = "GatewaySubnet"
PEERING_TYPE = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"


class NetworkWorldError(ValueError):
    pass


# ------------------------------------------------------------------ world schema

def normalise_vnet(n):
    """`peerings: [<vnet name or id>]` and `gateway: true | <name> | {name, address_prefix}` of a
    world virtual network (after its subnets are normalised)."""
    peerings = n.get("peerings") or []
    if isinstance(peerings, str):
        peerings = [peerings]
    if not isinstance(peerings, list) or not all(isinstance(p, str) and p for p in peerings):
        raise NetworkWorldError("virtual network %s: peerings must be a list of vnet names or ids" % n["name"])
    n["peerings"] = list(peerings)
    gw = n.get("gateway")
    if not gw:
        n["gateway"] = None
        return n
    if gw is True:
        gw = {}
    elif isinstance(gw, str):
        gw = {"name": gw}
    elif not isinstance(gw, dict):
        raise NetworkWorldError("virtual network %s: gateway must be true, a name or a mapping" % n["name"])
    gw = dict(gw)
    gw.setdefault("name", "%s-gw" % n["name"])
    base = n["address_prefix"].split("/")[0].split(".")
    gw.setdefault("address_prefix", "%s.%s.255.0/27" % (base[0], base[1]))
    if not any(s["name"].lower() == GATEWAY_SUBNET.lower() for s in n["subnets"]):
        n["subnets"].append({"name": GATEWAY_SUBNET, "address_prefix": gw["address_prefix"]})
    n["gateway"] = gw
    return n


# ------------------------------------------------------------------ building

def gateway_id(sub, rg, name):
    return R.res_id(sub, rg, "Microsoft.Network", "virtualNetworkGateways", name)


def gateway_body(sub, rg, name, location, subnet_id):
    gid = gateway_id(sub, rg, name)
    return {
        "name": name,
        "id": gid,
        "etag": 'W/"%s"' % det_uuid("vgw-etag", sub, rg, name),
        "type": "Microsoft.Network/virtualNetworkGateways",
        "location": location,
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": det_uuid("vgw", sub, rg.lower(), name.lower()),
            "ipConfigurations": [{
                "name": "default",
                "id": gid + "/ipConfigurations/default",
                "etag": 'W/"%s"' % det_uuid("vgw-etag", sub, rg, name),
                "type": "Microsoft.Network/virtualNetworkGateways/ipConfigurations",
                "properties": {"provisioningState": "Succeeded", "privateIPAllocationMethod": "Dynamic",
                               "subnet": {"id": subnet_id}},
            }],
            "sku": {"name": "VpnGw1", "tier": "VpnGw1", "capacity": 2},
            "gatewayType": "Vpn",
            "vpnType": "RouteBased",
            "vpnGatewayGeneration": "Generation1",
            "enableBgp": False,
            "activeActive": False,
        },
    }


def peering_body(local, remote_id, remote=None):
    name = "%s-to-%s" % (local["name"], remote_id.rstrip("/").rsplit("/", 1)[-1])
    prefixes = remote["properties"]["addressSpace"]["addressPrefixes"] if remote else []
    return {
        "name": name,
        "id": "%s/virtualNetworkPeerings/%s" % (local["id"], name),
        "etag": 'W/"%s"' % det_uuid("peering-etag", local["id"].lower(), name),
        "type": PEERING_TYPE,
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": det_uuid("peering", local["id"].lower(), name.lower()),
            "peeringState": "Connected",
            "peeringSyncLevel": "FullyInSync",
            "remoteVirtualNetwork": {"id": remote["id"] if remote else remote_id},
            "remoteAddressSpace": {"addressPrefixes": list(prefixes)},
            "allowVirtualNetworkAccess": True,
            "allowForwardedTraffic": False,
            "allowGatewayTransit": False,
            "useRemoteGateways": False,
        },
    }


def _by_name(vnets, spec, ref):
    found = [n for n in vnets if n["name"].lower() == ref.lower()
             and n["subscription"].lower() == spec["subscription"].lower()]
    if len(found) != 1:
        raise NetworkWorldError("virtual network %s: peering %s names %s virtual network of its subscription" % (
            spec["name"], ref, "no" if not found else "more than one"))
    return found[0]


def check_peerings(vnets):
    """Every peering given by name names exactly one vnet of the world (same subscription)."""
    for spec in vnets:
        for ref in spec.get("peerings") or []:
            if not ref.lower().startswith("/subscriptions/"):
                _by_name(vnets, spec, ref)


def _resolve(state, vnets, spec, ref):
    if ref.lower().startswith("/subscriptions/"):
        return ref, state.get(ref)
    o = _by_name(vnets, spec, ref)
    rid = R.vnet_id(o["subscription"], o["resource_group"], o["name"])
    return rid, state.get(rid)


def _add_peering(local, remote_id, remote):
    peerings = local["properties"].setdefault("virtualNetworkPeerings", [])
    if any(p["properties"]["remoteVirtualNetwork"]["id"].lower() == remote_id.lower() for p in peerings):
        return
    peerings.append(peering_body(local, remote_id, remote))


def build(state, vnets):
    """Peerings (on both sides: a Connected peering needs both) and gateways of the world's vnets;
    their bodies are already in the state."""
    for spec in vnets:
        local = state.get(R.vnet_id(spec["subscription"], spec["resource_group"], spec["name"]))
        for ref in spec.get("peerings") or []:
            remote_id, remote = _resolve(state, vnets, spec, ref)
            _add_peering(local, remote_id, remote)
            if remote is not None:
                _add_peering(remote, local["id"], local)
        gw = spec.get("gateway")
        if gw:
            subnet = next(s for s in local["properties"]["subnets"] if s["name"].lower() == GATEWAY_SUBNET.lower())
            body = gateway_body(spec["subscription"], spec["resource_group"], gw["name"], spec["location"],
                                subnet["id"])
            state.put(body)
            subnet["properties"]["ipConfigurations"] = [{"id": body["properties"]["ipConfigurations"][0]["id"]}]


# ------------------------------------------------------------------ reads

def _nic_ipconfigs(state):
    """subnet id (lower) -> [ipConfiguration ids of the NICs in it]."""
    out = {}
    for body in state.res.values():
        if body["type"] != "Microsoft.Network/networkInterfaces":
            continue
        for ipc in body["properties"].get("ipConfigurations") or []:
            subnet = ((ipc.get("properties") or {}).get("subnet") or {}).get("id")
            if subnet:
                out.setdefault(subnet.lower(), []).append({"id": ipc["id"]})
    return out


def view_vnet(state, body, ipconfigs=None):
    """A copy of a vnet body whose subnets list the ipConfigurations placed in them."""
    ipconfigs = _nic_ipconfigs(state) if ipconfigs is None else ipconfigs
    out = copy.deepcopy(body)
    for sn in out["properties"]["subnets"]:
        refs = list(sn["properties"].get("ipConfigurations") or []) + ipconfigs.get(sn["id"].lower(), [])
        if refs:
            sn["properties"]["ipConfigurations"] = refs
    return out


def view_vnets(state, bodies):
    ipconfigs = _nic_ipconfigs(state)
    return [view_vnet(state, b, ipconfigs) for b in bodies]


def vnet_child(core, req, body, rest):
    """GET {vnet}/subnets[/{name}] and {vnet}/virtualNetworkPeerings[/{name}]."""
    if req.method != "GET":
        raise method_not_allowed(req.method)
    child = rest[2].lower()
    vnet = view_vnet(core.state, body)
    key = {"subnets": "subnets", "virtualnetworkpeerings": "virtualNetworkPeerings"}.get(child)
    if key is None or len(rest) > 4:
        return None
    items = vnet["properties"].get(key) or []
    if len(rest) == 3:
        return Response(200, {"value": items})
    found = next((x for x in items if x["name"].lower() == rest[3].lower()), None)
    if found is None:
        raise ApiError(404, "NotFound", "Resource %s/%s/%s not found." % (body["id"], rest[2], rest[3]))
    return Response(200, found)
