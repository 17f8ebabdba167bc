"""api-version tables and the per-version shaping of Backup documents.

Documents are built in their fullest (2024-04-01 / 2026-02-01) form and pruned to what the
schema of the requested api-version defines."""

import re

from .errors import ApiError

# Primary ("active stamp") versions of Microsoft.RecoveryServices backup operations.
BACKUP_PRIMARY = [
    "2016-06-01", "2016-08-10", "2016-12-01", "2017-07-01", "2019-05-13", "2019-06-15",
    "2020-02-02", "2020-10-01", "2020-12-01", "2021-01-01", "2021-02-01", "2021-02-10",
    "2021-03-01", "2021-04-01", "2021-06-01", "2021-07-01", "2021-08-01", "2021-10-01",
    "2021-12-01", "2022-01-01", "2022-02-01", "2022-03-01", "2022-04-01", "2022-06-01-preview",
    "2022-09-01-preview", "2022-09-30-preview", "2022-10-01", "2023-01-01", "2023-02-01",
    "2023-04-01", "2023-06-01", "2023-08-01", "2024-01-01", "2024-02-01", "2024-04-01",
    "2024-07-30-preview", "2024-10-01", "2024-11-01-preview", "2025-01-01", "2025-02-01",
    "2025-08-01", "2026-01-01", "2026-01-31-preview", "2026-02-01", "2026-03-31-preview",
]
# Passive-stamp (cross-region restore) versions.
BACKUP_CRR = ["2018-12-20", "2021-11-15", "2023-01-15"]

# The profile decides which properties a document may carry.
LEGACY_PRIMARY_BEFORE = "2020-10-01"

_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(-preview|-beta|-alpha|-privatepreview)?$")


def well_formed(api_version):
    m = _DATE_RE.match(api_version or "")
    if not m:
        return False
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    return 1 <= mo <= 12 and 1 <= d <= 31 and 2014 <= y <= 2100


def plausible_generic(api_version):
    """Versions accepted for Compute / Storage / Network / Resources / vault resources: any
    well-formed date from 2015 up to the end of 2026."""
    if not well_formed(api_version):
        return False
    import datetime
    return "2015-01-01" <= api_version[:10] <= "%d-12-31" % (datetime.date.today().year + 1)


def check_api_version(api_version, allowed, rtype, location="westeurope", locations=()):
    """Raise the ARM error for a missing / malformed / unsupported api-version.
    `allowed` is a list of versions or a predicate."""
    if not api_version:
        raise ApiError(400, "MissingApiVersionParameter",
                       "The api-version query parameter (?api-version=) is required for all requests.")
    if not well_formed(api_version):
        supported = ", ".join(allowed) if isinstance(allowed, (list, tuple)) else ""
        raise ApiError(400, "InvalidApiVersionParameter",
                       "The api-version '%s' is invalid. The supported versions are '%s'."
                       % (api_version, supported or "2024-04-01"))
    ok = allowed(api_version) if callable(allowed) else api_version in allowed
    if not ok:
        supported = ", ".join(allowed) if isinstance(allowed, (list, tuple)) else "2015-01-01 and later"
        raise ApiError(400, "NoRegisteredProviderFound",
                       "No registered resource provider found for location '%s' and API version '%s' "
                       "for type '%s'. The supported api-versions are '%s'. The supported locations "
                       "are '%s'." % (location, api_version, rtype, supported, ", ".join(locations)))


def is_crr(api_version):
    return api_version in BACKUP_CRR


def profile(api_version):
    """'modern', 'legacy' (2019-05-13 era primary), 'crr' (2021-11-15 / 2023-01-15) or
    'crr-legacy' (2018-12-20)."""
    if api_version in BACKUP_CRR:
        return "crr-legacy" if api_version == "2018-12-20" else "crr"
    if api_version[:10] < LEGACY_PRIMARY_BEFORE:
        return "legacy"
    return "modern"


def supports_rehydration(api_version):
    return profile(api_version) == "modern"


# --- pruning -------------------------------------------------------------------------------

_ITEM_NOT_IN_OLD = ("isArchiveEnabled", "policyName", "softDeleteRetentionPeriodInDays", "vaultId")
_ITEM_EXT_NOT_IN_OLD = ("oldestRecoveryPointInVault", "oldestRecoveryPointInArchive",
                        "newestRecoveryPointInArchive")


def shape_item(doc, prof):
    if prof == "modern":
        return doc
    props = doc["properties"]
    for k in _ITEM_NOT_IN_OLD:
        props.pop(k, None)
    if prof == "legacy":
        props.pop("kpisHealths", None)
        props.pop("resourceGuardOperationRequests", None)
    if props.get("protectionState") == "BackupsSuspended":
        props["protectionState"] = "ProtectionStopped"
    ext = props.get("extendedInfo")
    if ext:
        for k in _ITEM_EXT_NOT_IN_OLD:
            ext.pop(k, None)
    return doc


def shape_rp(doc, prof):
    if prof == "modern":
        return doc
    props = doc["properties"]
    for k in ("extendedLocation", "isPrivateAccessEnabledOnAnyDisk", "securityType"):
        props.pop(k, None)
    if prof in ("legacy", "crr-legacy"):
        props.pop("recoveryPointProperties", None)
    if prof == "legacy":
        for k in ("recoveryPointMoveReadinessInfo", "zones"):
            props.pop(k, None)
        tiers = []
        for t in props.get("recoveryPointTierDetails") or []:
            if t.get("type") in ("InstantRP", "HardenedRP") and t.get("status") in (
                    "Valid", "Disabled", "Deleted", "Invalid"):
                tiers.append({"type": t["type"], "status": t["status"]})
        props["recoveryPointTierDetails"] = tiers
    return doc


def shape_job(doc, prof):
    if prof == "modern":
        return doc
    props = doc["properties"]
    props.pop("containerName", None)
    props.pop("isUserTriggered", None)
    return doc


def shape_container(doc, prof):
    return doc
