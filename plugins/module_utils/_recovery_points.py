# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Recovery points of a protected VM, in the vault's region or replicated to its secondary region.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import refusing_not_found
from ansible_collections.azbackup.restore.plugins.module_utils._time import (
    check_time_window,
    format_filter_time,
    format_time,
    parse_azure_time,
)

# The argument spec of the recovery point filters; its documentation is the doc fragment
# azbackup.restore.recovery_point (the two must not drift). Each module adds its own ``select``.
RECOVERY_POINT_ARGSPEC = dict(
    recovery_point_id=dict(type="str"),
    start_time=dict(type="str"),
    end_time=dict(type="str"),
    recovery_point_type=dict(type="str"),
    tier=dict(type="str", choices=["snapshot", "vault", "archive"]),
)
FILTERS = ("start_time", "end_time", "recovery_point_type", "tier")
RECOVERY_POINT_MUTUALLY_EXCLUSIVE = [("recovery_point_id", f) for f in FILTERS]

TIERS = {
    "snapshot": "InstantRP",
    "instant": "InstantRP",
    "vault": "HardenedRP",
    "archive": "ArchivedRP",
    "InstantRP": "InstantRP",
    "HardenedRP": "HardenedRP",
    "ArchivedRP": "ArchivedRP",
}
# Older api-versions serialise these enums as integers.
_TIER_TYPES = ["Invalid", "InstantRP", "HardenedRP", "ArchivedRP"]
_TIER_STATUSES = ["Invalid", "Valid", "Disabled", "Deleted", "Rehydrated"]
USABLE_TIER_STATUSES = ("Valid", "Rehydrated")


def recovery_point_filter(start=None, end=None):
    """The RP list $filter (keys sorted like the CLI), or None without a window."""
    parts = []
    if end is not None:
        parts.append("endDate eq '%s'" % format_filter_time(end))
    if start is not None:
        parts.append("startDate eq '%s'" % format_filter_time(start))
    return " and ".join(parts) or None


def _enum(value, names):
    if isinstance(value, int) and 0 <= value < len(names):
        return names[value]
    return value


def normalize_tiers(tiers):
    out = []
    for t in tiers or []:
        entry = dict(type=_enum(t.get("type"), _TIER_TYPES), status=_enum(t.get("status"), _TIER_STATUSES))
        if t.get("extendedInfo"):
            entry["extended_info"] = dict(t["extendedInfo"])
        out.append(entry)
    return out


def normalize_recovery_point(resource):
    """A recovery point resource as the modules return it (snake_case; raw properties kept)."""
    props = resource.get("properties") or {}
    disks = props.get("recoveryPointDiskConfiguration") or {}
    included = disks.get("includedDiskList") or []
    excluded = disks.get("excludedDiskList") or []
    tiers = normalize_tiers(props.get("recoveryPointTierDetails"))
    time = parse_azure_time(props.get("recoveryPointTime"))
    return dict(
        id=resource.get("id"),
        name=resource.get("name"),
        time=format_time(time) if time else None,
        type=props.get("recoveryPointType"),
        tiers=tiers,
        usable_tiers=[t["type"] for t in tiers if t.get("status") in USABLE_TIER_STATUSES],
        disk_luns=sorted(d.get("lun") for d in included if d.get("lun") is not None),
        excluded_disk_luns=sorted(d.get("lun") for d in excluded if d.get("lun") is not None),
        zones=list(props.get("zones") or []),
        os_type=props.get("osType"),
        vm_size=props.get("virtualMachineSize"),
        is_managed=props.get("isManagedVirtualMachine"),
        is_encrypted=props.get("isSourceVMEncrypted"),
        source_storage_type=props.get("sourceVMStorageType"),
        properties=props,
    )


def needs_rehydration(point):
    """True when the point (normalized) only lives in the archive tier."""
    usable = point.get("usable_tiers") or []
    archived = [t for t in point.get("tiers") or [] if t.get("type") == "ArchivedRP"]
    rehydrated = any(t.get("status") == "Rehydrated" for t in archived)
    return bool(archived) and not rehydrated and not any(t in ("InstantRP", "HardenedRP") for t in usable)


def select_recovery_points(points, recovery_point_type=None, tier=None, start=None, end=None, latest=False):
    """Filter normalized points client-side and sort them newest first; keep only the newest with latest."""
    want_tier = TIERS.get(tier, tier) if tier else None
    out = []
    for p in points:
        if recovery_point_type and (p.get("type") or "").lower() != recovery_point_type.lower():
            continue
        if want_tier and want_tier not in p.get("usable_tiers", []):
            continue
        t = parse_azure_time(p.get("time"))
        if start is not None and (t is None or t < start):
            continue
        if end is not None and (t is None or t > end):
            continue
        out.append(p)
    out.sort(key=lambda p: p.get("time") or "", reverse=True)
    if latest:
        out = out[:1]
    return out


def describe_filters(params):
    """``" matching start_time=..., tier=..."`` for the filters given, else ``""``."""
    used = ["%s=%s" % (k, params[k]) for k in FILTERS if params.get(k)]
    return " matching %s" % ", ".join(used) if used else ""


class RecoveryPoints(object):
    """The recovery points of one protected item in one region.

    ``secondary`` reads the points replicated to the vault's paired region (``region`` names it in
    messages): the same URLs with the cross-region restore api-version (RecoveryPointsCrr_List
    spells the list URL with a trailing slash).
    """

    def __init__(self, client, item, secondary=False, region=None, api_version=None):
        self.client = client
        self.item = item
        self.secondary = secondary
        self.region = region
        self.api_version = api_version or (api.CRR if secondary else api.BACKUP)

    def _where(self):
        if not self.secondary:
            return ""
        return " in the secondary region%s" % (" " + self.region if self.region else "")

    def get(self, recovery_point_id):
        """One point, normalized; a refusal naming recovery_point_id when it does not exist."""
        item = self.item
        try:
            raw = self.client.get(item.recovery_point_path(recovery_point_id), api_version=self.api_version).body
        except AzureApiError as e:
            if e.status_code == 404 and self.secondary and self._in_primary(recovery_point_id):
                raise ValidationError(
                    "recovery point %s of %s does not exist in the secondary region: it is not replicated to the "
                    "secondary region yet (Azure copies recovery points to the paired region some hours after they "
                    "are taken, so the newest may not be replicated yet); use an older recovery point or the primary "
                    "region" % (recovery_point_id, item.describe()), option="recovery_point_id", azure_error=e)
            with refusing_not_found("Failed to read recovery point %s of %s" % (recovery_point_id, item.item),
                                    "recovery point %s of %s does not exist%s" % (
                                        recovery_point_id, item.describe(),
                                        self._where() + " (it may not be replicated yet)" if self.secondary else ""),
                                    "recovery_point_id", item):
                raise
        return normalize_recovery_point(raw)

    def _in_primary(self, recovery_point_id):
        try:
            self.client.get(self.item.recovery_point_path(recovery_point_id), api_version=api.BACKUP)
        except AzureApiError:
            return False
        return True

    def list(self, start=None, end=None):
        """Every point of the item (every page), normalized; the time window goes as ``$filter``."""
        item = self.item
        flt = recovery_point_filter(start, end)
        url = item.path + ("/recoveryPoints/" if self.secondary else "/recoveryPoints")
        with refusing_not_found("Failed to list the recovery points of %s%s" % (item.item, self._where()),
                                "%s was not found: %s is not a protected item of vault %s" % (
                                    item.describe(), item.item, item.vault_name),
                                "vm_name" if item.vm_name else "vm_id", item):
            raw = list(self.client.list(url, api_version=self.api_version, params={"$filter": flt} if flt else None))
        return [normalize_recovery_point(p) for p in raw]

    def find(self, params, latest=False):
        """The points the options ask for, newest first: the one named by ``recovery_point_id``, or
        those matching the filters (the time window is sent as ``$filter`` and applied again here)."""
        start, end = check_time_window(params.get("start_time"), params.get("end_time"))
        if params.get("recovery_point_id"):
            return [self.get(params["recovery_point_id"])]
        return select_recovery_points(self.list(start, end), recovery_point_type=params.get("recovery_point_type"),
                                      tier=params.get("tier"), start=start, end=end, latest=latest)

    def choose(self, params):
        """The one point to restore: the given id, or the newest matching the filters."""
        points = self.find(params, latest=True)
        if not points:
            filters = describe_filters(params)[len(" matching"):]
            raise ValidationError("no recovery point of %s matches%s%s" % (
                self.item.describe(), filters or " (it has none)",
                self._where() + " (the newest points may not be replicated yet)" if self.secondary else ""),
                option="recovery_point_id")
        return points[0]
