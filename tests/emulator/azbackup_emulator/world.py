"""Loading and expanding world files (YAML or dict) into a normalised world description.

See tests/emulator/README.md for the schema."""

import copy
import os

import yaml

from . import guest, network

WORLDS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "worlds")
# The repository (collection) root: relative `role_definition_files` are taken from here.
REPO_ROOT = os.path.abspath(os.path.join(WORLDS_DIR, "..", "..", ".."))

DEFAULT_SETTINGS = {
    "time_scale": 1.0,
    "token_lifetime_seconds": 3600,
    "page_size": 200,
    "retry_after": None,
    "operation_duration_seconds": 0,
    "job_durations": {
        "RestoreDisks": 60,
        "OriginalLocation": 90,
        "AlternateLocation": 120,
        "CrossRegionRestore": 300,
    },
    "cancel_duration_seconds": 5,
    "job_outcome": "Completed",
    "crr_token_lifetime_seconds": 86400,
    "crr_task_completes_at": 0.95,
    "ilr_session_seconds": 43200,
    "delete_seconds": 2,
    "guest": {
        "boot_seconds": 2,
        "agent_ready_seconds": 4,
        "agent_never_ready": [],
        "run_command_seconds": 2,
        "run_command_outcomes": [],
    },
    "throttling": {
        "enabled": False,
        "reads": {"capacity": 250, "refill_per_second": 25},
        "writes": {"capacity": 200, "refill_per_second": 10},
    },
}

DEFAULT_RECOVERY_POINTS = {
    "daily": 7,
    "newest_age_hours": 1,
    "instant_count": 2,
    "replication_lag": 1,
    "types": ["AppConsistent", "CrashConsistent", "FileSystemConsistent"],
    "archived": [{"age_days": 40}],
}


class WorldError(ValueError):
    pass


def deep_merge(base, patch):
    out = copy.deepcopy(base)
    for k, v in (patch or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def resolve_path(world):
    """A world argument may be a path, a bare name of a file in worlds/ ('default',
    'minimal.yml') or a dict."""
    if isinstance(world, dict):
        return None
    if world is None:
        world = "default"
    world = str(world)
    if os.path.exists(world):
        return os.path.abspath(world)
    for cand in (world, world + ".yml", world + ".yaml"):
        p = os.path.join(WORLDS_DIR, cand)
        if os.path.exists(p):
            return p
    raise WorldError("world file not found: %s" % world)


def load(world):
    path = resolve_path(world)
    if path is None:
        raw = copy.deepcopy(world)
    else:
        with open(path, "r", encoding="utf-8") as f:
            raw = yaml.safe_load(f) or {}
    return normalise(raw)


def _req(d, key, what):
    if key not in d or d[key] in (None, ""):
        raise WorldError("%s: '%s' is required" % (what, key))
    return d[key]


def _disks(spec):
    out = []
    for i, d in enumerate(spec or []):
        if isinstance(d, int):
            d = {"lun": d}
        d = dict(d)
        d.setdefault("lun", i)
        d.setdefault("size_gb", 128)
        out.append(d)
    return out


def normalise(raw):
    w = {}
    w["settings"] = deep_merge(DEFAULT_SETTINGS, raw.get("settings") or {})
    try:
        guest.check_settings(w["settings"])
    except ValueError as e:
        raise WorldError("settings: %s" % e)

    tenants = []
    for t in raw.get("tenants") or []:
        tid = str(_req(t, "id", "tenant"))
        clients = []
        for c in t.get("clients") or []:
            clients.append({
                "client_id": str(_req(c, "client_id", "client")),
                "secret": str(_req(c, "secret", "client")),
                "display_name": c.get("display_name", "app-%s" % str(c["client_id"])[:8]),
                "name": str(c.get("name") or c.get("display_name") or c["client_id"]),
                "subscriptions": c.get("subscriptions"),
            })
        tenants.append({"id": tid, "display_name": t.get("display_name", "Emulated tenant"),
                        "default_domain": t.get("default_domain", "emulator.onmicrosoft.com"),
                        "clients": clients,
                        # multi-tenant apps of other tenants consented here (tokens of this tenant)
                        "guest_clients": [str(g) for g in t.get("guest_clients") or []]})
    if not tenants:
        raise WorldError("world: at least one tenant with a client is required")
    w["tenants"] = tenants

    subs = []
    for s in raw.get("subscriptions") or []:
        subs.append({"id": str(_req(s, "id", "subscription")),
                     "tenant": str(s.get("tenant") or tenants[0]["id"]),
                     "display_name": s.get("display_name", "Emulated subscription")})
    if not subs:
        raise WorldError("world: at least one subscription is required")
    w["subscriptions"] = subs
    default_sub = subs[0]["id"]

    regions = []
    for r in raw.get("regions") or []:
        r = dict(r)
        _req(r, "name", "region")
        r.setdefault("display_name", r["name"])
        r.setdefault("paired_region", None)
        r.setdefault("region_type", "Physical")
        r.setdefault("region_category", "Recommended")
        r.setdefault("geography", "")
        r.setdefault("geography_group", r.get("geography", ""))
        r.setdefault("physical_location", "")
        r.setdefault("latitude", "0")
        r.setdefault("longitude", "0")
        r.setdefault("zones", ["1", "2", "3"])
        regions.append(r)
    w["regions"] = regions

    def with_sub(d):
        d = dict(d)
        d["subscription"] = str(d.get("subscription") or default_sub)
        return d

    rgs = []
    for g in raw.get("resource_groups") or []:
        g = with_sub(g)
        _req(g, "name", "resource group")
        _req(g, "location", "resource group %s" % g["name"])
        g.setdefault("tags", {})
        rgs.append(g)
    w["resource_groups"] = rgs
    rg_loc = {(g["subscription"].lower(), g["name"].lower()): g["location"] for g in rgs}

    def loc_of(d, what):
        if d.get("location"):
            return d["location"]
        key = (d["subscription"].lower(), str(_req(d, "resource_group", what)).lower())
        if key not in rg_loc:
            raise WorldError("%s: unknown resource group %s" % (what, d["resource_group"]))
        return rg_loc[key]

    sas = []
    for a in raw.get("storage_accounts") or []:
        a = with_sub(a)
        _req(a, "name", "storage account")
        _req(a, "resource_group", "storage account %s" % a["name"])
        a["location"] = loc_of(a, "storage account %s" % a["name"])
        a.setdefault("sku", "Standard_LRS")
        a.setdefault("kind", "StorageV2")
        sas.append(a)
    w["storage_accounts"] = sas

    w["virtual_networks"] = _vnets(raw, with_sub, loc_of)

    uais = []
    for u in raw.get("user_assigned_identities") or []:
        u = with_sub(u)
        _req(u, "name", "user-assigned identity")
        _req(u, "resource_group", "user-assigned identity %s" % u["name"])
        u["location"] = loc_of(u, "user-assigned identity %s" % u["name"])
        uais.append(u)
    w["user_assigned_identities"] = uais

    vaults = []
    for v in raw.get("vaults") or []:
        v = with_sub(v)
        _req(v, "name", "vault")
        _req(v, "resource_group", "vault %s" % v["name"])
        v["location"] = loc_of(v, "vault %s" % v["name"])
        v.setdefault("redundancy", "GeoRedundant")
        v.setdefault("cross_region_restore", False)
        v.setdefault("default_policy", "DefaultPolicy")
        v.setdefault("soft_delete_days", 14)
        v.setdefault("cross_subscription_restore", "Enabled")
        if v["cross_subscription_restore"] not in ("Enabled", "Disabled", "PermanentlyDisabled"):
            raise WorldError("vault %s: cross_subscription_restore must be Enabled, Disabled or PermanentlyDisabled"
                             % v["name"])
        guard = v.get("resource_guard")
        if guard:
            guard = dict(guard)
            _req(guard, "id", "resource guard of vault %s" % v["name"])
            guard["tenant"] = str(guard.get("tenant") or "")
            guard["operators"] = [str(x) for x in guard.get("operators") or []]
            guard["operations"] = list(guard.get("operations") or ["restore"])
            v["resource_guard"] = guard
        ident = dict(v.get("identity") or {})
        ident.setdefault("system_assigned", False)
        ident["user_assigned"] = [str(x) for x in ident.get("user_assigned") or []]
        v["identity"] = ident
        vaults.append(v)
    w["vaults"] = vaults

    vms = []
    for spec in raw.get("virtual_machines") or []:
        spec = with_sub(spec)
        if "fleet" in spec:
            fleet = dict(spec.pop("fleet"))
            prefix = _req(fleet, "prefix", "fleet")
            count = int(_req(fleet, "count", "fleet"))
            start = int(fleet.get("start", 1))
            digits = int(fleet.get("digits", max(3, len(str(start + count - 1)))))
            for i in range(start, start + count):
                vm = copy.deepcopy(spec)
                vm["name"] = "%s%0*d" % (prefix, digits, i)
                vm["fleet"] = prefix
                vms.append(_vm(vm, loc_of))
        else:
            vms.append(_vm(spec, loc_of))
    names = set()
    for vm in vms:
        key = (vm["subscription"].lower(), vm["resource_group"].lower(), vm["name"].lower())
        if key in names:
            raise WorldError("duplicate virtual machine %s" % vm["name"])
        names.add(key)
    w["virtual_machines"] = vms

    w["faults"] = list(raw.get("faults") or [])
    _rbac(raw, w)
    return w


def _vnets(raw, with_sub, loc_of):
    """The world's virtual networks: subnets (names or mappings), peerings and gateway (network.py)."""
    vnets = []
    for n in raw.get("virtual_networks") or []:
        n = with_sub(n)
        _req(n, "name", "virtual network")
        _req(n, "resource_group", "virtual network %s" % n["name"])
        n["location"] = loc_of(n, "virtual network %s" % n["name"])
        n.setdefault("address_prefix", "10.0.0.0/16")
        subnets = []
        for i, s in enumerate(n.get("subnets") or [{"name": "default"}]):
            if isinstance(s, str):
                s = {"name": s}
            s = dict(s)
            base = n["address_prefix"].split("/")[0].split(".")
            s.setdefault("address_prefix", "%s.%s.%d.0/24" % (base[0], base[1], i))
            subnets.append(s)
        n["subnets"] = subnets
        vnets.append(n)
    try:
        for n in vnets:
            network.normalise_vnet(n)
        network.check_peerings(vnets)
    except network.NetworkWorldError as e:
        raise WorldError(str(e))
    return vnets


def _rbac(raw, w):
    """Custom role definitions (inline and from files) and role assignments, validated."""
    from . import rbac

    try:
        files = raw.get("role_definition_files") or []
        if isinstance(files, str):
            files = [files]
        definitions = rbac.resolve_role_definition_files(files, REPO_ROOT)
        for i, d in enumerate(raw.get("role_definitions") or []):
            definitions.append(rbac.normalise_role_definition(d, "role_definitions[%d]" % i))
        roles = rbac.build_roles(definitions)
        assignments = [rbac.normalise_assignment(a, roles, i)
                       for i, a in enumerate(raw.get("role_assignments") or [])]
    except rbac.RbacError as e:
        raise WorldError(str(e))
    w["role_definitions"] = definitions
    w["role_assignments"] = assignments


def _vm(spec, loc_of):
    vm = dict(spec)
    _req(vm, "name", "virtual machine")
    _req(vm, "resource_group", "virtual machine %s" % vm["name"])
    vm["location"] = loc_of(vm, "virtual machine %s" % vm["name"])
    vm.setdefault("size", "Standard_D2s_v3")
    vm.setdefault("os_type", "Linux")
    vm.setdefault("managed", True)
    vm.setdefault("zone", None)
    if vm["zone"] is not None:
        vm["zone"] = str(vm["zone"])
    vm.setdefault("encrypted", False)
    vm.setdefault("deleted", False)
    vm.setdefault("private_disk_access", False)
    vm.setdefault("original_storage_account_option", False)
    vm.setdefault("edge_zone", None)
    vm.setdefault("security_type", None)
    vm.setdefault("os_disk_size_gb", 127 if vm["os_type"].lower() == "windows" else 30)
    vm["data_disks"] = _disks(vm.get("data_disks"))
    luns = [d["lun"] for d in vm["data_disks"]]
    if len(set(luns)) != len(luns):
        raise WorldError("virtual machine %s: duplicate data disk LUNs" % vm["name"])
    b = vm.get("backup")
    if b:
        b = dict(b)
        _req(b, "vault", "backup of %s" % vm["name"])
        rp = b.get("recovery_points", "default")
        if rp in (None, "default"):
            rp = copy.deepcopy(DEFAULT_RECOVERY_POINTS)
        elif isinstance(rp, list):
            rp = {"daily": 0, "archived": [], "explicit": rp}
        else:
            rp = deep_merge({k: v for k, v in DEFAULT_RECOVERY_POINTS.items() if k != "archived"}, rp)
            rp.setdefault("archived", [])
        rp.setdefault("explicit", [])
        b["recovery_points"] = rp
        b.setdefault("excluded_luns", [])
        _backup_status(b, vm["name"])
        vm["backup"] = b
    return vm


# What a protected item reports about its backups (AzureIaaSVMProtectedItem, 2024-04-01 enums).
PROTECTION_STATES = ("Invalid", "IRPending", "Protected", "ProtectionError", "ProtectionStopped",
                     "ProtectionPaused", "BackupsSuspended")
HEALTH_STATUSES = ("Passed", "ActionRequired", "ActionSuggested", "Invalid")


def _backup_status(b, vm_name):
    """Defaults and checks of a backup's protection_state, health_status and last_backup_status."""
    b.setdefault("protection_state", "Protected")
    b.setdefault("health_status", "Passed")
    b.setdefault("last_backup_status", "Completed")
    for key, allowed in (("protection_state", PROTECTION_STATES), ("health_status", HEALTH_STATUSES)):
        match = [v for v in allowed if v.lower() == str(b[key]).lower()]
        if not match:
            raise WorldError("backup of %s: %s must be one of %s, got %r" % (vm_name, key, ", ".join(allowed), b[key]))
        b[key] = match[0]
