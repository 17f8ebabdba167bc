# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Parse and build Azure Resource Manager ids, and the names Azure Backup gives to VMs.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote, unquote

FABRIC = "Azure"

# Characters of a name left as they are in a path; everything else (";" above all) is
# percent-encoded, as the Azure CLI sends container and item names.
_NAME_SAFE = "-._~()"


def encode_name(name):
    """``name`` as one path segment (``;`` -> ``%3B``); an already encoded name is not encoded twice."""
    return quote(unquote(str(name)), safe=_NAME_SAFE)


def parse_resource_id(rid):
    """Split an ARM id into its parts.

    Returns a dict with ``subscription``, ``resource_group`` (``None`` for subscription-level ids),
    ``namespace``, ``type``, ``name`` (the top resource), ``children`` (a list of
    ``{"type", "name"}``), ``child_type_N`` / ``child_name_N`` (N from 1), and ``resource_type`` /
    ``resource_name`` for the last segment pair. Keys are lower case; values keep their case and
    are percent-decoded. Raises ``ValueError`` naming what is wrong with a malformed id.
    """
    if not isinstance(rid, str) or not rid.strip():
        raise ValueError("a resource id must be a non-empty string, got %r" % (rid,))
    text = rid.strip()
    if not text.startswith("/"):
        raise ValueError("a resource id starts with /subscriptions/, got %r" % rid)
    if text.endswith("/") and len(text) > 1:
        text = text[:-1]
    segments = text[1:].split("/")
    if any(s == "" for s in segments):
        raise ValueError("empty segment (//) in resource id %r" % rid)
    segments = [unquote(s) for s in segments]
    if len(segments) < 2 or segments[0].lower() != "subscriptions":
        raise ValueError("a resource id starts with /subscriptions/{subscription id}, got %r" % rid)
    out = dict(subscription=segments[1], resource_group=None, namespace=None, type=None, name=None,
               children=[], resource_type=None, resource_name=None)
    rest = segments[2:]
    if rest and rest[0].lower() == "resourcegroups":
        if len(rest) < 2:
            raise ValueError("resourceGroups without a name in resource id %r" % rid)
        out["resource_group"] = rest[1]
        rest = rest[2:]
    if not rest:
        return out
    if rest[0].lower() != "providers":
        raise ValueError("expected /providers/ after the %s in resource id %r, got %r"
                         % ("resource group" if out["resource_group"] else "subscription", rid, rest[0]))
    if len(rest) < 4:
        raise ValueError("a provider resource id needs /providers/{namespace}/{type}/{name}, got %r" % rid)
    out["namespace"], out["type"], out["name"] = rest[1], rest[2], rest[3]
    out["resource_type"], out["resource_name"] = rest[2], rest[3]
    rest = rest[4:]
    if len(rest) % 2:
        raise ValueError("resource id %r ends with a type (%r) but no name" % (rid, rest[-1]))
    for i in range(0, len(rest), 2):
        ctype, cname = rest[i], rest[i + 1]
        if ctype.lower() == "providers":
            raise ValueError("extension resource ids (a second /providers/) are not supported: %r" % rid)
        n = i // 2 + 1
        out["children"].append(dict(type=ctype, name=cname))
        out["child_type_%d" % n] = ctype
        out["child_name_%d" % n] = cname
        out["resource_type"], out["resource_name"] = ctype, cname
    return out


def _check(**parts):
    for key, value in parts.items():
        if not value or "/" in str(value):
            raise ValueError("%s must be a non-empty name without '/', got %r" % (key, value))


def _check_id(**parts):
    for key, value in parts.items():
        if not value or not str(value).startswith("/"):
            raise ValueError("%s must be a resource id (/subscriptions/...), got %r" % (key, value))


def resource_group_id(subscription, resource_group):
    _check(subscription=subscription, resource_group=resource_group)
    return "/subscriptions/%s/resourceGroups/%s" % (subscription, resource_group)


def resource_id(subscription, resource_group, namespace, type_, name, *children):
    """Build an id; ``children`` are alternating child types and names."""
    _check(namespace=namespace, type=type_, name=name)
    if len(children) % 2:
        raise ValueError("child types and names must come in pairs, got %r" % (children,))
    for i in range(0, len(children), 2):
        _check(child_type=children[i], child_name=children[i + 1])
    out = "%s/providers/%s/%s/%s" % (resource_group_id(subscription, resource_group), namespace, type_, name)
    return out + "".join("/%s" % c for c in children)


def vm_id(subscription, resource_group, name):
    return resource_id(subscription, resource_group, "Microsoft.Compute", "virtualMachines", name)


def vault_id(subscription, resource_group, name):
    return resource_id(subscription, resource_group, "Microsoft.RecoveryServices", "vaults", name)


def storage_account_id(subscription, resource_group, name):
    return resource_id(subscription, resource_group, "Microsoft.Storage", "storageAccounts", name)


def virtual_network_id(subscription, resource_group, name):
    return resource_id(subscription, resource_group, "Microsoft.Network", "virtualNetworks", name)


def subnet_id(subscription, resource_group, virtual_network, subnet):
    return resource_id(subscription, resource_group, "Microsoft.Network", "virtualNetworks", virtual_network,
                       "subnets", subnet)


def disk_encryption_set_id(subscription, resource_group, name):
    return resource_id(subscription, resource_group, "Microsoft.Compute", "diskEncryptionSets", name)


def location_path(subscription, region):
    """``/subscriptions/{s}/providers/Microsoft.RecoveryServices/locations/{region}`` (CRR calls)."""
    _check(subscription=subscription, region=region)
    return "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/%s" % (subscription, region)


def container_name(resource_group, vm_name):
    """Azure Backup's protection container of an ARM VM."""
    _check(resource_group=resource_group, vm_name=vm_name)
    return "iaasvmcontainer;iaasvmcontainerv2;%s;%s" % (resource_group, vm_name)


def protected_item_name(resource_group, vm_name):
    """Azure Backup's protected item of an ARM VM."""
    _check(resource_group=resource_group, vm_name=vm_name)
    return "vm;iaasvmcontainerv2;%s;%s" % (resource_group, vm_name)


def protected_item_path(vault, container, item):
    """``{vault}/backupFabrics/Azure/protectionContainers/{container}/protectedItems/{item}``, ``;`` as ``%3B``."""
    _check_id(vault_id=vault)
    _check(container=container, item=item)
    return "%s/backupFabrics/%s/protectionContainers/%s/protectedItems/%s" % (
        vault.rstrip("/"), FABRIC, encode_name(container), encode_name(item))


def recovery_point_path(item_path, recovery_point_id):
    _check_id(item_path=item_path)
    _check(recovery_point_id=recovery_point_id)
    return "%s/recoveryPoints/%s" % (item_path.rstrip("/"), encode_name(recovery_point_id))


def names_from_protected_item_id(item_id):
    """``(container_name, protected_item_name)`` from a protected item's (or a recovery point's) id.

    Use this rather than the item's ``properties.containerName``, which lacks the first segment
    (``iaasvmcontainerv2;rg;vm`` instead of ``IaasVMContainer;iaasvmcontainerv2;rg;vm``).
    """
    parts = parse_resource_id(item_id)
    children = parts["children"]
    types = [c["type"].lower() for c in children]
    if (parts["type"] or "").lower() == "vaults":
        for i in range(len(types) - 1):
            # normally after backupFabrics/Azure; some swagger examples leave the fabric out
            if types[i] == "protectioncontainers" and types[i + 1] == "protecteditems":
                return children[i]["name"], children[i + 1]["name"]
    raise ValueError("not the id of a protected item of a Recovery Services vault: %r" % item_id)


def same_resource(a, b):
    """True when two ids name the same resource (ARM ids compare case-insensitively)."""
    if not a or not b:
        return False

    def norm(rid):
        return unquote(rid.strip()).rstrip("/").lower()
    return norm(a) == norm(b)
