"""Azure RBAC for the emulator: role definitions, role assignments per client, the RBAC action of
each ARM request, and ARM's 403 answers (AuthorizationFailed, LinkedAuthorizationFailed).

Semantics (as Azure Resource Manager's):
* An action is allowed at a scope when some assignment of the client whose scope is that scope or
  one of its ancestors holds a role with an ``actions`` pattern matching the action and no
  ``not_actions`` pattern of that same role matching it. Patterns match case-insensitively; ``*``
  stands for any characters (``/`` included).
* A client that no assignment names is not restricted at all (the default world's first client).
* The restore triggers also check the rights Azure Backup needs on the resources the request
  names (source VM, staging storage account, target resource group, subnet): the "linked" check,
  answered with ``LinkedAuthorizationFailed``.
"""

import copy
import json
import os
import re

from .builtin_roles import BUILTIN_ROLES
from .core_types import Response
from .errors import ApiError
from .util import det_uuid

# --------------------------------------------------------------------------------------------
# Action names

RESTORE_ACTION = ("Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/"
                  "recoveryPoints/restore/action")
CRR_ACTION = "Microsoft.RecoveryServices/locations/backupCrossRegionRestore/action"
VM_WRITE = "Microsoft.Compute/virtualMachines/write"
DISK_WRITE = "Microsoft.Compute/disks/write"
NIC_WRITE = "Microsoft.Network/networkInterfaces/write"
SUBNET_JOIN = "Microsoft.Network/virtualNetworks/subnets/join/action"
STORAGE_WRITE = "Microsoft.Storage/storageAccounts/write"
STORAGE_KEYS = "Microsoft.Storage/storageAccounts/listKeys/action"

NAMESPACES = {n.lower(): n for n in (
    "Microsoft.Compute", "Microsoft.Storage", "Microsoft.Network", "Microsoft.RecoveryServices",
    "Microsoft.Resources", "Microsoft.Authorization", "Microsoft.ManagedIdentity")}

# Spelling of resource types and operations in action names (Microsoft's operations list).
TYPES = {t.lower(): t for t in (
    "virtualMachines", "disks", "snapshots", "availabilitySets", "images", "instanceView", "extensions",
    "diskEncryptionSets", "storageAccounts", "virtualNetworks", "subnets", "networkInterfaces",
    "publicIPAddresses", "networkSecurityGroups", "Vaults", "locations", "resourceGroups",
    "userAssignedIdentities", "backupFabrics", "protectionContainers", "protectedItems", "recoveryPoints",
    "backupJobs", "operationResults", "operationsStatus", "backupOperations", "backupOperationResults",
    "backupValidateOperation", "backupProtectedItems", "backupProtectionContainers", "backupstorageconfig",
    "backupconfig", "restore", "accessToken", "cancel", "backupStatus", "backupAadProperties",
    "backupCrossRegionRestore", "backupCrrJobs", "backupCrrJob", "backupCrrOperationsStatus",
    "backupCrrOperationResults", "listKeys", "runCommands", "operations", "tags", "virtualNetworkPeerings",
    "virtualNetworkGateways", "ipConfigurations", "resources")}

VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


class RbacError(ValueError):
    pass


def _type(name):
    return TYPES.get(name.lower(), name)


def _verb(method, last=None):
    if method == "POST":
        return "%s/action" % _type(last) if last else "action"
    return VERBS.get(method, "read")


def _scope(segs):
    return "/" + "/".join(segs)


def request_action(method, segments):
    """The RBAC action and scope of an ARM request: ``(action, scope)``, or ``None`` for the
    requests ARM does not authorise by role (``GET /subscriptions``, ``GET /tenants``, unknown
    paths)."""
    segs = list(segments)
    low = [s.lower() for s in segs]
    m = method.upper()
    if len(low) < 2 or low[0] != "subscriptions":
        return None
    sub_scope = segs[:2]
    if len(low) == 2:
        return "Microsoft.Resources/subscriptions/%s" % _verb(m), _scope(sub_scope)
    if low[2:] == ["locations"]:
        return "Microsoft.Resources/subscriptions/locations/read", _scope(sub_scope)
    if low[2] == "resourcegroups":
        if len(low) == 3:
            return "Microsoft.Resources/subscriptions/resourceGroups/read", _scope(sub_scope)
        if len(low) == 4:
            return "Microsoft.Resources/subscriptions/resourceGroups/%s" % _verb(m), _scope(segs[:4])
        if len(low) == 5 and low[4] == "resources":
            return "Microsoft.Resources/subscriptions/resourceGroups/resources/read", _scope(segs[:4])
        if len(low) >= 7 and low[4] == "providers":
            return _provider_action(m, segs, 5, segs[:4])
        return None
    if low[2] == "providers" and len(low) >= 5:
        return _provider_action(m, segs, 3, sub_scope)
    return None


def _provider_action(method, segs, ns_index, parent):
    """``.../providers/{ns}/{type}/{name}/{child type}/{child name}...[/{operation}]``: the types
    make the action; an odd number of segments after the namespace ends in a collection (GET) or
    an operation (POST). An extension resource (``{resource id}/providers/{ns}/…``, e.g. the Tags
    API's ``…/providers/Microsoft.Resources/tags/default``) takes its action from its own namespace."""
    ns = NAMESPACES.get(segs[ns_index].lower(), segs[ns_index])
    rest = segs[ns_index + 1:]
    for i in range(2, len(rest) - 1, 2):
        if rest[i].lower() == "providers":
            return _provider_action(method, segs, ns_index + i + 2, segs[:ns_index + i + 1])
    types = [_type(t) for t in rest[0::2]]
    if len(rest) % 2 == 0:
        action = "%s/%s/%s" % (ns, "/".join(types), _verb(method))
        scope = _scope(segs)
    elif method == "POST" and len(rest) > 1:
        action = "%s/%s/%s" % (ns, "/".join(types[:-1]), _verb(method, rest[-1]))
        scope = _scope(segs[:-1])
    else:
        action = "%s/%s/%s" % (ns, "/".join(types), _verb(method))
        scope = _scope(segs[:-1]) if len(rest) > 1 else _scope(parent)
    return action, scope


# --------------------------------------------------------------------------------------------
# Patterns and scopes


def compile_pattern(pattern):
    parts = [re.escape(p) for p in str(pattern).split("*")]
    return re.compile("^" + ".*".join(parts) + "$", re.IGNORECASE | re.DOTALL)


def action_matches(pattern, action):
    """Whether an ``actions`` / ``notActions`` pattern matches an action (case-insensitive, ``*`` =
    any characters)."""
    return bool(compile_pattern(pattern).match(action))


def scope_segments(scope):
    return [s.lower() for s in str(scope or "/").split("/") if s != ""]


def scope_covers(assignment_scope, scope):
    """Whether an assignment at ``assignment_scope`` applies at ``scope`` (the same scope or a
    descendant; ``/`` covers everything)."""
    a = scope_segments(assignment_scope)
    return scope_segments(scope)[:len(a)] == a


# --------------------------------------------------------------------------------------------
# Role definitions and assignments


def _pick(d, *names):
    """The value of the first key of ``d`` matching one of ``names`` case-insensitively (``_`` and
    ``-`` ignored: ``not_actions`` = ``notActions`` = ``NotActions``)."""
    want = [n.lower().replace("_", "") for n in names]
    for k, v in d.items():
        if str(k).lower().replace("_", "").replace("-", "") in want:
            return v
    return None


def _string_list(value, what):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise RbacError("%s must be a list of strings" % what)
    return list(value)


def normalise_role_definition(d, source="role definition"):
    """A role definition in the form ``az role definition create --role-definition`` takes
    (``Name``, ``IsCustom``, ``Description``, ``Actions``, ``NotActions``, ``DataActions``,
    ``NotDataActions``, ``AssignableScopes``), in ARM's form (``roleName`` / ``properties`` /
    ``permissions``), or with snake_case keys."""
    if not isinstance(d, dict):
        raise RbacError("%s: a role definition must be an object" % source)
    props = _pick(d, "properties")
    if isinstance(props, dict):
        d = dict(d, **props)
    perms = _pick(d, "permissions")
    if isinstance(perms, list) and perms:
        block = perms[0]
        if len(perms) > 1:
            raise RbacError("%s: only one permissions block is supported" % source)
        d = dict(d, **block)
    name = _pick(d, "roleName", "name")
    if not isinstance(name, str) or not name:
        raise RbacError("%s: 'Name' is required" % source)
    out = {
        "name": name,
        "id": str(_pick(d, "id") or det_uuid("role", name.lower())).rsplit("/", 1)[-1],
        "description": _pick(d, "description") or "",
        "is_custom": bool(_pick(d, "isCustom") if _pick(d, "isCustom") is not None else True),
        "actions": _string_list(_pick(d, "actions"), "%s: Actions" % source),
        "not_actions": _string_list(_pick(d, "notActions"), "%s: NotActions" % source),
        "data_actions": _string_list(_pick(d, "dataActions"), "%s: DataActions" % source),
        "not_data_actions": _string_list(_pick(d, "notDataActions"), "%s: NotDataActions" % source),
        "assignable_scopes": _string_list(_pick(d, "assignableScopes"), "%s: AssignableScopes" % source),
        "source": source,
    }
    return out


def load_role_definition_file(path):
    """The role definitions in a JSON file (one object or a list of them)."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise RbacError("cannot read role definition file %s: %s" % (path, e))
    items = data if isinstance(data, list) else [data]
    return [normalise_role_definition(d, source=path) for d in items]


def builtin_role_definitions():
    out = []
    for r in BUILTIN_ROLES:
        d = dict(r)
        d.setdefault("data_actions", [])
        d.setdefault("not_data_actions", [])
        d["is_custom"] = False
        d["assignable_scopes"] = ["/"]
        d["source"] = "built-in"
        out.append(copy.deepcopy(d))
    return out


def normalise_assignment(a, roles, index=0):
    """``{principal, scope, role}`` or ``{principal, scope, actions, not_actions}`` (inline)."""
    what = "role_assignments[%d]" % index
    if not isinstance(a, dict):
        raise RbacError("%s must be an object" % what)
    principal = _pick(a, "principal", "principalId", "client_id")
    if not principal:
        raise RbacError("%s: 'principal' (a client id) is required" % what)
    scope = _pick(a, "scope")
    if not scope or not str(scope).startswith("/"):
        raise RbacError("%s: 'scope' (an ARM id such as /subscriptions/<id>, or /) is required" % what)
    role = _pick(a, "role", "roleDefinitionName")
    inline = _pick(a, "actions")
    if role and inline is not None:
        raise RbacError("%s: give either 'role' or inline 'actions', not both" % what)
    if role:
        found = roles.get(str(role).lower())
        if found is None:
            raise RbacError("%s: unknown role '%s' (known: %s)" % (what, role, ", ".join(
                sorted(r["name"] for r in roles.values()))))
        definition = found
        role_name = found["name"]
    else:
        if inline is None:
            raise RbacError("%s: 'role' or inline 'actions' is required" % what)
        definition = normalise_role_definition({
            "name": "inline role of %s" % what, "actions": inline,
            "notActions": _pick(a, "notActions") or []}, source=what)
        role_name = None
    not_actions = _string_list(_pick(a, "notActions"), "%s: not_actions" % what) if role else \
        definition["not_actions"]
    return {
        "principal": str(principal),
        "scope": "/" + "/".join(s for s in str(scope).split("/") if s),
        "role": role_name,
        "actions": list(definition["actions"]),
        "not_actions": list(definition["not_actions"]) + ([n for n in not_actions
                                                           if n not in definition["not_actions"]]),
    }


def build_roles(definitions):
    roles = {r["name"].lower(): r for r in builtin_role_definitions()}
    for d in definitions:
        roles[d["name"].lower()] = d
    return roles


# --------------------------------------------------------------------------------------------
# The authorizer


class Rbac:
    """The role assignments in force (the world's, or those set through the control API)."""

    def __init__(self, world):
        self.world = world
        self.reset()

    def reset(self):
        self.definitions = copy.deepcopy(self.world.get("role_definitions") or [])
        self.roles = build_roles(self.definitions)
        self.assignments = copy.deepcopy(self.world.get("role_assignments") or [])
        self._compiled = {}

    # ---------------------------------------------------------------- changes
    def set(self, role_assignments=None, role_definitions=None):
        """Replace the custom role definitions and/or the assignments (validated as in a world)."""
        definitions = self.definitions
        if role_definitions is not None:
            if not isinstance(role_definitions, list):
                raise RbacError("role_definitions must be a list")
            definitions = [normalise_role_definition(d, "role_definitions[%d]" % i)
                           for i, d in enumerate(role_definitions)]
        roles = build_roles(definitions)
        assignments = self.assignments
        if role_assignments is not None:
            if not isinstance(role_assignments, list):
                raise RbacError("role_assignments must be a list")
            assignments = [normalise_assignment(a, roles, i) for i, a in enumerate(role_assignments)]
        self.definitions, self.roles, self.assignments = definitions, roles, assignments
        self._compiled = {}
        return self.view()

    def view(self, clients=None):
        out = {"role_definitions": copy.deepcopy(self.definitions),
               "builtin_roles": sorted(r["name"] for r in builtin_role_definitions()),
               "role_assignments": copy.deepcopy(self.assignments)}
        if clients is not None:
            out["clients"] = [{"client_id": c["client_id"], "secret": c["secret"], "name": c.get("name"),
                               "display_name": c.get("display_name"), "tenant_id": c.get("tenant"),
                               "restricted": self.restricted(c["client_id"])} for c in clients]
        return out

    # ---------------------------------------------------------------- decisions
    def _patterns(self, patterns):
        key = tuple(patterns)
        if key not in self._compiled:
            self._compiled[key] = [compile_pattern(p) for p in patterns]
        return self._compiled[key]

    def _mine(self, claims):
        ids = {str((claims or {}).get("appid", "")).lower(), str((claims or {}).get("oid", "")).lower()}
        ids.discard("")
        return [a for a in self.assignments if a["principal"].lower() in ids]

    def restricted(self, client_id):
        return any(a["principal"].lower() == str(client_id).lower() for a in self.assignments)

    def allowed(self, claims, action, scope):
        """Whether the client of ``claims`` may perform ``action`` at ``scope``."""
        mine = self._mine(claims)
        if not mine:
            return True
        for a in mine:
            if not scope_covers(a["scope"], scope):
                continue
            if any(p.match(action) for p in self._patterns(a["actions"])) and \
                    not any(p.match(action) for p in self._patterns(a["not_actions"])):
                return True
        return False

    def authorize(self, core, req):
        """Raise ARM's 403 when the request's action (or, for a restore trigger, a linked action)
        is not allowed."""
        found = request_action(req.method, req.segments)
        if found is None:
            return
        action, scope = found
        claims = req.claims or {}
        if not self._mine(claims):
            return
        if not self.allowed(claims, action, scope):
            raise authorization_failed(claims, action, scope)
        missing = [(a, s) for a, s in linked_requirements(core, req, action) if not self.allowed(claims, a, s)]
        if missing:
            raise linked_authorization_failed(claims, action, scope, missing)

    # ---------------------------------------------------------------- control API
    def control(self, core, req):
        """``GET /_emulator/rbac``, ``PUT /_emulator/rbac`` (``{role_assignments, role_definitions}``,
        each optional), ``POST /_emulator/rbac/reset``."""
        low = [s.lower() for s in req.segments[2:]]
        clients = list(core.state.clients.values())
        if not low and req.method == "GET":
            return Response(200, self.view(clients))
        if not low and req.method in ("PUT", "POST", "PATCH"):
            body = req.json if isinstance(req.json, dict) else {}
            try:
                self.set(role_assignments=body.get("role_assignments"),
                         role_definitions=body.get("role_definitions"))
            except RbacError as e:
                raise ApiError(400, "InvalidRoleAssignment", str(e))
            return Response(200, self.view(clients))
        if low == ["reset"] and req.method == "POST":
            self.reset()
            return Response(200, self.view(clients))
        raise ApiError(404, "NotFound", "Unknown control request %s %s" % (req.method, req.path))


def linked_requirements(core, req, action):
    """The (action, scope) pairs Azure Backup checks on the caller's side when a restore is
    triggered, from the resources the request names (Microsoft's "minimum role requirements for
    Azure VM backup" table: the source VM, the staging storage account, the target resource group
    and, for a new VM, its subnet)."""
    body = req.json if isinstance(req.json, dict) else {}
    if action.lower() == RESTORE_ACTION.lower():
        rr = body.get("properties")
    elif action.lower() == CRR_ACTION.lower():
        rr = body.get("restoreRequest")
    else:
        return []
    if not isinstance(rr, dict):
        return []
    out = []

    def add(what, scope):
        if isinstance(scope, str) and scope.lower().startswith("/subscriptions/"):
            out.append((what, "/" + "/".join(s for s in scope.split("/") if s)))

    recovery_type = str(rr.get("recoveryType") or "")
    source = rr.get("sourceResourceId")
    target_rg = rr.get("targetResourceGroupId")
    add(VM_WRITE, source)
    add(STORAGE_WRITE, rr.get("storageAccountId"))
    add(STORAGE_KEYS, rr.get("storageAccountId"))
    if recovery_type == "RestoreDisks" and target_rg:
        add(DISK_WRITE, target_rg)
    elif recovery_type == "OriginalLocation" and isinstance(source, str):
        vm = core.state.get(source) if hasattr(core.state, "get") else None
        managed = bool(vm and (((vm.get("properties") or {}).get("storageProfile") or {})
                               .get("osDisk") or {}).get("managedDisk"))
        if managed:
            add(DISK_WRITE, "/".join(source.split("/")[:5]))
    elif recovery_type == "AlternateLocation":
        add(VM_WRITE, rr.get("targetVirtualMachineId"))
        add(DISK_WRITE, target_rg)
        add(NIC_WRITE, target_rg)
        add(SUBNET_JOIN, rr.get("subnetId"))
    return out


# --------------------------------------------------------------------------------------------
# ARM's answers


def _client(claims):
    return str(claims.get("appid", "")), str(claims.get("oid", ""))


def authorization_failed(claims, action, scope):
    client, oid = _client(claims)
    return ApiError(403, "AuthorizationFailed",
                    "The client '%s' with object id '%s' does not have authorization to perform action '%s' over "
                    "scope '%s' or the scope is invalid. If access was recently granted, please refresh your "
                    "credentials." % (client, oid, action, scope),
                    headers={"x-ms-failure-cause": "gateway"})


def linked_authorization_failed(claims, action, scope, missing):
    client, oid = _client(claims)
    if len(missing) == 1:
        what = "action '%s' on the linked scope(s) '%s'" % missing[0]
    else:
        what = "action(s) '%s' on the linked scope(s) '%s' (respectively)" % (
            ",".join(a for a, _unused in missing), ",".join(s for _unused, s in missing))
    return ApiError(403, "LinkedAuthorizationFailed",
                    "The client '%s' with object id '%s' has permission to perform action '%s' on scope '%s'; "
                    "however, it does not have permission to perform %s or the linked scope(s) are invalid."
                    % (client, oid, action, scope, what))


def resolve_role_definition_files(paths, base):
    """Role definitions from files; relative paths are taken from ``base`` (the repository)."""
    out = []
    for p in paths or []:
        path = p if os.path.isabs(p) else os.path.join(base, p)
        out.extend(load_role_definition_file(path))
    return out
