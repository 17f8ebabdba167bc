# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Parse and build Azure Resource Manager ids, and the names Azure Backup gives to VMs.

``check_segment`` is the one gate for identifiers that become URL path segments: every builder
here passes each name and id through it.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import unicodedata

from urllib.parse import quote, unquote

from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

FABRIC = "Azure"

# Characters of a name left as they are in a path; everything else (";" above all) is
# percent-encoded, as the Azure CLI sends container and item names.
_NAME_SAFE = "-._~()"


def encode_name(name):
    """``name`` as one path segment (``;`` -> ``%3B``); an already encoded name is not encoded twice."""
    return quote(unquote(str(name)), safe=_NAME_SAFE)


# --------------------------------------------------------------------------------------------
# The gate for identifiers that become URL path segments
#
# Every value that ends up as one segment of a request path goes through ``check_segment`` with
# the kind of identifier it is. A value is refused when it could add, remove or escape a path
# segment ("/", "\\", "." or ".." as a whole, percent-encodings, "?", "#", control and invisible
# characters, empty or whitespace-only values, over-long values) or when it is not shaped like
# the names Azure gives to that kind of resource. The name rules follow Microsoft's page
# https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
# and the ids Azure Backup returns (swagger examples, recorded traffic).

_SHOW = 80  # at most this many characters of a refused value appear in a message

# Unicode categories of "letters or digits as defined by Char.IsLetterOrDigit" (resource groups).
_LETTER_OR_DIGIT = frozenset(("Lu", "Ll", "Lt", "Lm", "Lo", "Nd"))
_NAME_PUNCT = frozenset("_-.()")


class SegmentError(ValidationError, ValueError):
    """An identifier refused as a URL path segment.

    A ``ValidationError`` (modules report it with ``option``) and a ``ValueError`` (what the
    builders of this file raised before the gate existed). ``kind`` is the kind of identifier.
    """

    def __init__(self, msg, option=None, kind=None):
        self.kind = kind
        super(SegmentError, self).__init__(msg, option=option)


def _is_arm_name_char(char):
    return char in _NAME_PUNCT or unicodedata.category(char) in _LETTER_OR_DIGIT


def _arm_name_chars(value):
    return all(_is_arm_name_char(c) for c in value)


def _resource_group_ok(value):
    return _arm_name_chars(value) and not value.endswith(".")


def _backup_name_ok(value):
    """Container and protected item names: ``;``-separated parts made of ARM-name characters."""
    parts = value.split(";")
    return all(p and p not in (".", "..") and _arm_name_chars(p) for p in parts)


def _regex(pattern):
    compiled = re.compile(pattern, re.ASCII)
    return lambda value: compiled.fullmatch(value) is not None


_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
# Job and operation ids: GUIDs for the primary region; the cross-region restore service gives
# URL-safe base64 ("MTMz...MGY=", the example of CrrOperationStatus_Get).
_OPAQUE_ID = r"[A-Za-z0-9_+=-]+"
# A letter or digit, then letters, digits, "_", "." and "-", the last one from the class put in for %s.
_DOTTED_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[%s])?"


class _Kind(object):
    def __init__(self, max_len, valid, expected, min_len=1, percent_ok=()):
        self.min_len = min_len
        self.max_len = max_len
        self.valid = valid
        self.expected = expected
        self.percent_ok = percent_ok  # percent-encodings decoded before the check


# Lengths: only the maximum of each kind is enforced; Azure's minimums (vault 2, storage account
# 3, virtual network 2, user-assigned identity 3) are left to Azure, whose answer names the problem.
_KINDS = {
    # Azure Backup's recovery point names are decimal strings ("26083826328862",
    # "2252884060104889907"): every example of the swagger, and the recorded traffic.
    "recovery_point_id": _Kind(20, _regex(r"[0-9]+"),
                               "a recovery point id: 1 to 20 decimal digits, as Azure names recovery points"),
    "job_id": _Kind(256, _regex(_OPAQUE_ID),
                    "a backup job id: a GUID, or the letters, digits, '-', '_', '+' and '=' of a "
                    "cross-region restore job id"),
    "operation_id": _Kind(256, _regex(_OPAQUE_ID),
                          "an operation id: a GUID, or the letters, digits, '-', '_', '+' and '=' of a "
                          "cross-region restore operation id"),
    "subscription_id": _Kind(36, _regex(_GUID), "a subscription id (a GUID)", min_len=36),
    # The Azure AD tenant: a segment of the token endpoint's path.
    "tenant": _Kind(256, _regex(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"),
                    "a tenant id (a GUID) or a tenant domain name such as contoso.onmicrosoft.com"),
    "resource_group": _Kind(90, _resource_group_ok,
                            "a resource group name: 1 to 90 letters, digits, '_', '-', '.', '(' and ')', "
                            "not ending with '.'"),
    "vault": _Kind(50, _regex(r"[A-Za-z][A-Za-z0-9-]*"),
                   "a Recovery Services vault name: up to 50 letters, digits and '-', starting with a letter"),
    "vm": _Kind(64, _regex(_DOTTED_NAME % "A-Za-z0-9_-"),
                "a virtual machine name: 1 to 64 letters, digits, '-', '_' and '.', starting with a letter "
                "or digit, not ending with '.'"),
    "storage_account": _Kind(24, _regex(r"[a-z0-9]+"),
                             "a storage account name: up to 24 lowercase letters and digits"),
    "virtual_network": _Kind(64, _regex(_DOTTED_NAME % "A-Za-z0-9_"),
                             "a virtual network name: up to 64 letters, digits, '_', '.' and '-', starting with "
                             "a letter or digit, ending with a letter, digit or '_'"),
    "subnet": _Kind(80, _regex(_DOTTED_NAME % "A-Za-z0-9_"),
                    "a subnet name: 1 to 80 letters, digits, '_', '.' and '-', starting with a letter or "
                    "digit, ending with a letter, digit or '_'"),
    "disk_encryption_set": _Kind(80, _regex(r"[A-Za-z0-9_-]+"),
                                 "a disk encryption set name: 1 to 80 letters, digits, '_' and '-'"),
    "user_assigned_identity": _Kind(128, _regex(r"[A-Za-z0-9][A-Za-z0-9_-]*"),
                                    "a user-assigned identity name: up to 128 letters, digits, '-' and '_', "
                                    "starting with a letter or digit"),
    "region": _Kind(64, _regex(r"[A-Za-z0-9]+"), "an Azure region name such as westeurope (letters and digits)"),
    # IaasVMContainer;iaasvmcontainerv2;{rg};{vm} and VM;iaasvmcontainerv2;{rg};{vm} (any case);
    # explicit names of items that do not follow that naming are allowed in the same alphabet.
    "container_name": _Kind(300, _backup_name_ok,
                            "a protection container name such as iaasvmcontainer;iaasvmcontainerv2;{rg};{vm}: "
                            "';'-separated parts of letters, digits, '_', '-', '.', '(' and ')'",
                            percent_ok=("%3B", "%3b")),
    "protected_item_name": _Kind(300, _backup_name_ok,
                                 "a protected item name such as vm;iaasvmcontainerv2;{rg};{vm}: ';'-separated "
                                 "parts of letters, digits, '_', '-', '.', '(' and ')'",
                                 percent_ok=("%3B", "%3b")),
    # The generic parts of resource_id(): provider namespace, resource type, any resource name.
    "namespace": _Kind(64, _regex(r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)+"),
                       "a resource provider namespace such as Microsoft.Compute"),
    "resource_type": _Kind(64, _regex(r"[A-Za-z][A-Za-z0-9]*"), "a resource type such as virtualMachines"),
    "name": _Kind(260, _resource_group_ok,
                  "a resource name: letters, digits, '_', '-', '.', '(' and ')', not ending with '.'"),
}

# The kinds ``check_segment`` knows.
KINDS = tuple(sorted(_KINDS))


def _show(value):
    """``value`` for a message: repr (control characters escaped), at most ``_SHOW`` characters of it."""
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= _SHOW else text[:_SHOW] + "..."
    text = value
    if len(text) > _SHOW:
        return "%r... (%d characters)" % (text[:_SHOW], len(text))
    return repr(text)


def _first_invisible(text):
    """The first control, format or line-breaking character of ``text``, or None.

    Cc (NUL, CR, LF, DEL...), Cf (U+202E right-to-left override, zero-width space...), Cs, Co,
    Cn, and the line and paragraph separators U+2028 / U+2029.
    """
    for char in text:
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp"):
            return char
    return None


def _path_problem(text):
    """What in ``text`` would add, remove or escape a path segment, or None."""
    if not text.strip():
        return "is empty or blank"
    char = _first_invisible(text)
    if char is not None:
        return "contains the control or invisible character %r" % char
    for char in "/\\":
        if char in text:
            return "contains %r, which would add a segment to the request path" % char
    for char in "?#":
        if char in text:
            return "contains %r, which would end the request path" % char
    if text in (".", ".."):
        return "is %r, which would name a different path" % text
    return None


def check_segment(value, kind, option=None):
    """``value`` as a string, if it is safe as one URL path segment and shaped as Azure names ``kind``.

    ``kind`` is one of ``KINDS``. Raises ``SegmentError`` (a ``ValidationError`` naming ``option``,
    and a ``ValueError``) that says what is wrong, showing at most 80 characters of the value.
    """
    spec = _KINDS.get(kind)
    if spec is None:
        raise ValueError("unknown kind of identifier %r (one of %s)" % (kind, ", ".join(KINDS)))
    option = option or kind
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SegmentError("%s must be a string, got %s. Expected %s." % (option, _type_name(value), spec.expected),
                           option=option, kind=kind)
    text = str(value)
    checked = text
    for encoded in spec.percent_ok:
        checked = checked.replace(encoded, unquote(encoded))
    problem = _path_problem(checked)
    if problem is None and "%" in checked:
        problem = "contains '%' (a percent-encoding?), which is in no Azure name"
    if problem is None and checked != checked.strip():
        problem = "has leading or trailing whitespace"
    if problem is None and len(checked) > spec.max_len:
        problem = "is %d characters long, more than the %d allowed" % (len(checked), spec.max_len)
    if problem is None and len(checked) < spec.min_len:
        problem = "is %d characters long, fewer than the %d needed" % (len(checked), spec.min_len)
    if problem is None and not spec.valid(checked):
        problem = "does not follow Azure's naming rules"
    if problem is None:
        return text
    raise SegmentError("%s %s: %s. Expected %s." % (option, problem, _show(text), spec.expected),
                       option=option, kind=kind)


def _type_name(value):
    return "None" if value is None else type(value).__name__


def _id_segment_problem(segment):
    """What is wrong with one percent-decoded segment of a resource id, or None."""
    if segment in (".", ".."):
        return "has a %r segment" % segment
    char = _first_invisible(segment)
    if char is not None:
        return "has an encoded control or invisible character (%r)" % char
    for char in "/\\?#":
        if char in segment:
            return "has an encoded %r in a segment" % char
    if "%" in segment:
        return "has a segment that is percent-encoded twice (or a stray '%')"
    return None


def _id_segments(rid):
    """The percent-decoded segments of resource id ``rid`` (a trailing ``/`` ignored); ``ValueError``
    naming what would not stay the same path in a request (see ``parse_resource_id``)."""
    if not isinstance(rid, str) or not rid.strip():
        raise ValueError("a resource id must be a non-empty string, got %s" % _show(rid))
    text = rid.strip()
    if not text.startswith("/"):
        raise ValueError("a resource id starts with /subscriptions/, got %s" % _show(rid))
    char = _first_invisible(text)
    if char is not None:
        raise ValueError("resource id %s contains the control or invisible character %r" % (_show(rid), char))
    for char in "?#":
        if char in text:
            raise ValueError("resource id %s has a %s (%r): give the id alone"
                             % (_show(rid), "query" if char == "?" else "fragment", char))
    if "\\" in text:
        raise ValueError("resource id %s contains %r" % (_show(rid), "\\"))
    if text.endswith("/") and len(text) > 1:
        text = text[:-1]
    segments = text[1:].split("/")
    if any(s == "" for s in segments):
        raise ValueError("empty segment (//) in resource id %s" % _show(rid))
    segments = [unquote(s) for s in segments]
    for segment in segments:
        problem = _id_segment_problem(segment)
        if problem:
            raise ValueError("resource id %s %s" % (_show(rid), problem))
    return segments


def parse_resource_id(rid):
    """Split an ARM id into its parts.

    Returns a dict with ``subscription``, ``resource_group`` (``None`` for subscription-level ids),
    ``namespace``, ``type``, ``name`` (the top resource), ``children`` (a list of
    ``{"type", "name"}``), ``child_type_N`` / ``child_name_N`` (N from 1), and ``resource_type`` /
    ``resource_name`` for the last segment pair. Keys are lower case; values keep their case and
    are percent-decoded. Raises ``ValueError`` naming what is wrong with a malformed id, among
    them ids that would not stay the same path in a request: ``.`` / ``..`` segments, encoded
    ``/`` or ``\\`` (``%2F``, ``%5C``), control or invisible characters, a query or a fragment.
    """
    segments = _id_segments(rid)
    if len(segments) < 2 or segments[0].lower() != "subscriptions":
        raise ValueError("a resource id starts with /subscriptions/{subscription id}, got %s" % _show(rid))
    out = dict(subscription=segments[1], resource_group=None, namespace=None, type=None, name=None,
               children=[], resource_type=None, resource_name=None)
    rest = segments[2:]
    if rest and rest[0].lower() == "resourcegroups":
        if len(rest) < 2:
            raise ValueError("resourceGroups without a name in resource id %s" % _show(rid))
        out["resource_group"] = rest[1]
        rest = rest[2:]
    if not rest:
        return out
    if rest[0].lower() != "providers":
        raise ValueError("expected /providers/ after the %s in resource id %s, got %s"
                         % ("resource group" if out["resource_group"] else "subscription", _show(rid),
                            _show(rest[0])))
    if len(rest) < 4:
        raise ValueError("a provider resource id needs /providers/{namespace}/{type}/{name}, got %s" % _show(rid))
    out["namespace"], out["type"], out["name"] = rest[1], rest[2], rest[3]
    out["resource_type"], out["resource_name"] = rest[2], rest[3]
    rest = rest[4:]
    if len(rest) % 2:
        raise ValueError("resource id %s ends with a type (%s) but no name" % (_show(rid), _show(rest[-1])))
    for i in range(0, len(rest), 2):
        ctype, cname = rest[i], rest[i + 1]
        if ctype.lower() == "providers":
            raise ValueError("extension resource ids (a second /providers/) are not supported: %s" % _show(rid))
        n = i // 2 + 1
        out["children"].append(dict(type=ctype, name=cname))
        out["child_type_%d" % n] = ctype
        out["child_name_%d" % n] = cname
        out["resource_type"], out["resource_name"] = ctype, cname
    return out


def _check_base(path, option):
    """``path`` (a resource id such as a vault's, or a path below one) without its trailing ``/``.

    Refused with ``SegmentError`` naming ``option`` when ``parse_resource_id`` refuses it.
    """
    try:
        parse_resource_id(path)
    except ValueError as e:
        raise SegmentError("%s must be a resource id (/subscriptions/...): %s" % (option, e), option=option)
    return path.strip().rstrip("/")


def _arm_id(subscription, resource_group, namespace, type_, name, children=()):
    out = "/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s" % (
        subscription, resource_group, namespace, type_, name)
    return out + "".join("/%s" % c for c in children)


def resource_group_id(subscription, resource_group, option="resource_group"):
    """``/subscriptions/{s}/resourceGroups/{rg}``."""
    subscription = check_segment(subscription, "subscription_id", "subscription_id")
    resource_group = check_segment(resource_group, "resource_group", option)
    return "/subscriptions/%s/resourceGroups/%s" % (subscription, resource_group)


def resource_id(subscription, resource_group, namespace, type_, name, *children, option="name",
                resource_group_option="resource_group"):
    """Build an id; ``children`` are alternating child types and names.

    The names are checked as any ARM name (``check_segment`` kind ``name``); the builders below
    check them against the rules of their resource type.
    """
    subscription = check_segment(subscription, "subscription_id", "subscription_id")
    resource_group = check_segment(resource_group, "resource_group", resource_group_option)
    namespace = check_segment(namespace, "namespace", "namespace")
    type_ = check_segment(type_, "resource_type", "type")
    name = check_segment(name, "name", option)
    if len(children) % 2:
        raise SegmentError("%s has child types and names that do not come in pairs: %s" % (option, _show(children)),
                           option=option, kind="name")
    checked = []
    for i in range(0, len(children), 2):
        checked.append(check_segment(children[i], "resource_type", "child_type"))
        checked.append(check_segment(children[i + 1], "name", option))
    return _arm_id(subscription, resource_group, namespace, type_, name, checked)


def _typed_id(subscription, resource_group, namespace, type_, name, kind, option, resource_group_option):
    subscription = check_segment(subscription, "subscription_id", "subscription_id")
    resource_group = check_segment(resource_group, "resource_group", resource_group_option)
    return _arm_id(subscription, resource_group, namespace, type_, check_segment(name, kind, option))


def vm_id(subscription, resource_group, name, option="vm_name", resource_group_option="vm_resource_group"):
    return _typed_id(subscription, resource_group, "Microsoft.Compute", "virtualMachines", name, "vm", option,
                     resource_group_option)


def vault_id(subscription, resource_group, name, option="vault_name", resource_group_option="vault_resource_group"):
    return _typed_id(subscription, resource_group, "Microsoft.RecoveryServices", "vaults", name, "vault", option,
                     resource_group_option)


def storage_account_id(subscription, resource_group, name, option="staging_storage_account",
                       resource_group_option="staging_storage_account_resource_group"):
    return _typed_id(subscription, resource_group, "Microsoft.Storage", "storageAccounts", name, "storage_account",
                     option, resource_group_option)


def virtual_network_id(subscription, resource_group, name, option="target_virtual_network",
                       resource_group_option="target_virtual_network_resource_group"):
    return _typed_id(subscription, resource_group, "Microsoft.Network", "virtualNetworks", name, "virtual_network",
                     option, resource_group_option)


def subnet_id(subscription, resource_group, virtual_network, subnet, option="target_subnet",
              virtual_network_option="target_virtual_network",
              resource_group_option="target_virtual_network_resource_group"):
    vnet = virtual_network_id(subscription, resource_group, virtual_network, option=virtual_network_option,
                              resource_group_option=resource_group_option)
    return "%s/subnets/%s" % (vnet, check_segment(subnet, "subnet", option))


def disk_encryption_set_id(subscription, resource_group, name, option="disk_encryption_set",
                           resource_group_option="disk_encryption_set_resource_group"):
    return _typed_id(subscription, resource_group, "Microsoft.Compute", "diskEncryptionSets", name,
                     "disk_encryption_set", option, resource_group_option)


def location_path(subscription, region, option="region"):
    """``/subscriptions/{s}/providers/Microsoft.RecoveryServices/locations/{region}`` (CRR calls)."""
    subscription = check_segment(subscription, "subscription_id", "subscription_id")
    region = check_segment(region, "region", option)
    return "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/%s" % (subscription, region)


def container_name(resource_group, vm_name, resource_group_option="vm_resource_group", option="vm_name"):
    """Azure Backup's protection container of an ARM VM."""
    resource_group = check_segment(resource_group, "resource_group", resource_group_option)
    vm_name = check_segment(vm_name, "vm", option)
    return "iaasvmcontainer;iaasvmcontainerv2;%s;%s" % (resource_group, vm_name)


def protected_item_name(resource_group, vm_name, resource_group_option="vm_resource_group", option="vm_name"):
    """Azure Backup's protected item of an ARM VM."""
    resource_group = check_segment(resource_group, "resource_group", resource_group_option)
    vm_name = check_segment(vm_name, "vm", option)
    return "vm;iaasvmcontainerv2;%s;%s" % (resource_group, vm_name)


def protected_item_path(vault, container, item, container_option="container_name",
                        item_option="protected_item_name", vault_option="vault_id"):
    """``{vault}/backupFabrics/Azure/protectionContainers/{container}/protectedItems/{item}``, ``;`` as ``%3B``."""
    vault = _check_base(vault, vault_option)
    container = check_segment(container, "container_name", container_option)
    item = check_segment(item, "protected_item_name", item_option)
    return "%s/backupFabrics/%s/protectionContainers/%s/protectedItems/%s" % (
        vault, FABRIC, encode_name(container), encode_name(item))


def recovery_point_path(item_path, recovery_point_id, option="recovery_point_id", item_option="protected_item"):
    """``{item_path}/recoveryPoints/{recovery_point_id}``."""
    item_path = _check_base(item_path, item_option)
    recovery_point_id = check_segment(recovery_point_id, "recovery_point_id", option)
    return "%s/recoveryPoints/%s" % (item_path, recovery_point_id)


def job_path(vault_id, job_id, option="job_id", vault_option="vault_id"):
    """``{vault_id}/backupJobs/{job_id}`` (a job of the vault's own region)."""
    vault_id = _check_base(vault_id, vault_option)
    return "%s/backupJobs/%s" % (vault_id, check_segment(job_id, "job_id", option))


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
