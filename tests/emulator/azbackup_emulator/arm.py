"""Plain Azure Resource Manager reads: subscriptions, locations, resource groups and the
Compute / Storage / Network / RecoveryServices resources of the world."""

import copy

from . import armops, deletes, guest, network, runcommand
from . import versions as V
from .core_types import Response
from .errors import ApiError, method_not_allowed, resource_not_found, rg_not_found
from .listing import page

KNOWN = {
    "microsoft.compute": ("Microsoft.Compute", {
        "virtualmachines": "virtualMachines", "disks": "disks", "snapshots": "snapshots",
        "availabilitysets": "availabilitySets", "images": "images"}),
    "microsoft.storage": ("Microsoft.Storage", {"storageaccounts": "storageAccounts"}),
    "microsoft.network": ("Microsoft.Network", {
        "virtualnetworks": "virtualNetworks", "networkinterfaces": "networkInterfaces",
        "publicipaddresses": "publicIPAddresses", "networksecuritygroups": "networkSecurityGroups",
        "virtualnetworkgateways": "virtualNetworkGateways"}),
    "microsoft.recoveryservices": ("Microsoft.RecoveryServices", {"vaults": "vaults"}),
    "microsoft.managedidentity": ("Microsoft.ManagedIdentity", {"userassignedidentities": "userAssignedIdentities"}),
    "microsoft.resources": ("Microsoft.Resources", {"resourcegroups": "resourceGroups"}),
}


def _check_generic(core, req, rtype, location=None):
    V.check_api_version(req.api_version, V.plausible_generic, rtype, location or "westeurope",
                        core.state.region_names())


def _visible_subs(core, req):
    tid = str((req.claims or {}).get("tid", "")).lower()
    appid = str((req.claims or {}).get("appid", "")).lower()
    client = core.state.clients.get(appid)
    allowed = client.get("subscriptions") if client else None
    out = []
    for s in core.state.subscriptions.values():
        if s["tenant"].lower() != tid:
            continue
        if allowed and s["id"].lower() not in [str(x).lower() for x in allowed]:
            continue
        out.append(s)
    return out


def subscription_body(core, s):
    return {
        "id": "/subscriptions/%s" % s["id"],
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": s["id"],
        "tenantId": s["tenant"],
        "displayName": s["display_name"],
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                 "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
    }


def location_body(sub, r):
    name = r["name"]
    body = {
        "id": "/subscriptions/%s/locations/%s" % (sub, name),
        "name": name,
        "type": "Region",
        "displayName": r["display_name"],
        "regionalDisplayName": "(%s) %s" % (r.get("geography_group") or "Global", r["display_name"]),
        "metadata": {
            "regionType": r.get("region_type", "Physical"),
            "regionCategory": r.get("region_category", "Recommended"),
            "geography": r.get("geography", ""),
            "geographyGroup": r.get("geography_group", ""),
            "longitude": str(r.get("longitude", "0")),
            "latitude": str(r.get("latitude", "0")),
            "physicalLocation": r.get("physical_location", ""),
        },
    }
    pair = r.get("paired_region")
    if pair:
        body["metadata"]["pairedRegion"] = [{"name": pair, "id": "/subscriptions/%s/locations/%s" % (sub, pair)}]
    else:
        body["metadata"]["pairedRegion"] = []
    if r.get("zones"):
        body["availabilityZoneMappings"] = [{"logicalZone": str(z), "physicalZone": "%s-az%s" % (name, z)}
                                            for z in r["zones"]]
    return body


def _tenants(core, req):
    _check_generic(core, req, "tenants")
    if req.method != "GET":
        raise method_not_allowed(req.method)
    tid = str((req.claims or {}).get("tid", "")).lower()
    t = core.state.tenants.get(tid)
    value = [] if t is None else [{"id": "/tenants/%s" % t["id"], "tenantId": t["id"],
                                   "tenantCategory": "Home", "displayName": t["display_name"],
                                   "defaultDomain": t["default_domain"], "domains": [t["default_domain"]],
                                   "tenantType": "AAD"}]
    return Response(200, {"value": value})


def route(core, req):
    segs = req.segments
    low = [s.lower() for s in segs]
    m = req.method
    if low == ["tenants"]:
        return _tenants(core, req)
    if not low or low[0] != "subscriptions":
        raise ApiError(404, "InvalidResourceType", "The resource type could not be found in the namespace "
                                                   "'Microsoft.Resources' for api version '%s'." % req.api_version)
    if len(low) == 1:
        _check_generic(core, req, "subscriptions")
        if m != "GET":
            raise method_not_allowed(m)
        return Response(200, {"value": [subscription_body(core, s) for s in _visible_subs(core, req)],
                              "count": {"type": "Total", "value": len(_visible_subs(core, req))}})
    sub = segs[1]
    s = core.state.subscriptions.get(sub.lower())
    if len(low) == 2:
        _check_generic(core, req, "subscriptions")
        if m != "GET":
            raise method_not_allowed(m)
        return Response(200, subscription_body(core, s))
    if low[2:] == ["locations"]:
        _check_generic(core, req, "locations")
        if m != "GET":
            raise method_not_allowed(m)
        return Response(200, {"value": [location_body(s["id"], r) for r in core.state.regions.values()]})
    if low[2] == "resourcegroups":
        if len(low) == 3:
            _check_generic(core, req, "resourceGroups")
            if m != "GET":
                raise method_not_allowed(m)
            rgs = [b for (sid, _unused), b in sorted(core.state.rgs.items()) if sid == sub.lower()]
            return Response(200, {"value": copy.deepcopy(rgs)})
        rg = segs[3]
        if len(low) == 4:
            _check_generic(core, req, "resourceGroups")
            body = core.state.rg(sub, rg)
            if m == "HEAD":
                return Response(204 if body else 404, None)
            if m != "GET":
                raise method_not_allowed(m)
            if body is None:
                raise rg_not_found(rg)
            return Response(200, copy.deepcopy(body))
        if len(low) >= 7 and low[4] == "providers":
            return _provider(core, req, sub, rg, segs[5], segs[6:])
        if len(low) == 5 and low[4] == "resources":
            return _rg_resources(core, req, sub, rg)
    if low[2] == "providers" and len(low) >= 5:
        return _provider(core, req, sub, None, segs[3], segs[4:])
    raise ApiError(404, "InvalidResourceType",
                   "The resource type '%s' could not be found in the namespace 'Microsoft.Resources' for api "
                   "version '%s'." % (segs[2], req.api_version))


def _rg_resources(core, req, sub, rg):
    """GET …/resourceGroups/{rg}/resources: GenericResourceExpanded items (tags, and managedBy / sku /
    kind where the resource has them), paged like the other lists."""
    _check_generic(core, req, "resources")
    if core.state.rg(sub, rg) is None:
        raise rg_not_found(rg)
    if req.method != "GET":
        raise method_not_allowed(req.method)
    prefix = ("/subscriptions/%s/resourcegroups/%s/" % (sub, rg)).lower()
    items = [b for k, b in sorted(core.state.res.items()) if k.startswith(prefix)]

    def item(b):
        out = {"id": b["id"], "name": b["name"], "type": b["type"], "location": b.get("location"),
               "tags": dict(b.get("tags") or {})}
        for key in ("managedBy", "sku", "kind"):
            if b.get(key):
                out[key] = copy.deepcopy(b[key])
        return out
    return Response(200, page(core, req, items, item))


def _provider(core, req, sub, rg, ns, rest):
    m = req.method
    known = KNOWN.get(ns.lower())
    if known is None:
        raise ApiError(404, "InvalidResourceNamespace", "The resource namespace '%s' is invalid." % ns)
    ns_name, types = known
    if rg is None and rest[0].lower() == "locations" and len(rest) == 4:
        found = armops.route(core, req, sub, ns_name, rest[1], rest[2:])
        if found is not None:
            return found
    rtype = types.get(rest[0].lower())
    if rtype is None:
        raise ApiError(404, "InvalidResourceType",
                       "The resource type '%s' could not be found in the namespace '%s' for api version '%s'."
                       % (rest[0], ns_name, req.api_version))
    location = None
    if rg is not None:
        body = core.state.rg(sub, rg)
        location = body["location"] if body else None
    _check_generic(core, req, rtype, location)
    if rg is not None and core.state.rg(sub, rg) is None:
        raise rg_not_found(rg)
    if len(rest) == 1:
        if m != "GET":
            raise method_not_allowed(m)
        value = copy.deepcopy(core.state.list_res(sub, ns_name, rtype, rg))
        if rtype == "virtualNetworks":
            value = network.view_vnets(core.state, value)
        return Response(200, {"value": value})
    if rg is None:
        raise ApiError(404, "InvalidResourceType",
                       "The resource type '%s/%s' could not be found." % (rtype, rest[1]))
    name = rest[1]
    rid = "/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s" % (sub, rg, ns_name, rtype, name)
    body = core.state.get(rid)
    if len(rest) == 2:
        return _resource(core, req, body, ns_name, rtype, rid, name, rg)
    if rtype == "virtualMachines" and rest[2].lower() == "runcommands" and len(rest) <= 4:
        return runcommand.route(core, req, body, name, rest[2:])
    if body is None:
        raise resource_not_found("%s/%s" % (ns_name, rtype), name, rg)
    child = rest[2].lower()
    if rtype == "virtualNetworks":
        found = network.vnet_child(core, req, body, rest)
        if found is not None:
            return found
    if m != "GET":
        raise method_not_allowed(m)
    if rtype == "virtualMachines" and child == "instanceview" and len(rest) == 3:
        return Response(200, guest.instance_view(core, body))
    raise ApiError(404, "InvalidResourceType",
                   "The resource type '%s/%s' could not be found in the namespace '%s' for api version '%s'."
                   % (rtype, rest[2], ns_name, req.api_version))


def _resource(core, req, body, ns_name, rtype, rid, name, rg):
    """GET / DELETE of a resource."""
    if req.method == "DELETE":
        return deletes.delete(core, req, ns_name, rtype, rid)
    if req.method != "GET":
        raise method_not_allowed(req.method)
    if body is None:
        raise resource_not_found("%s/%s" % (ns_name, rtype), name, rg)
    if rtype == "virtualNetworks":
        return Response(200, network.view_vnet(core.state, body))
    out = copy.deepcopy(body)
    if rtype == "virtualMachines" and "instanceview" in (req.q("$expand") or "").lower():
        out["properties"]["instanceView"] = guest.instance_view(core, body)
    return Response(200, out)
