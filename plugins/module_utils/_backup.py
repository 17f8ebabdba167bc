# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Azure Backup domain helpers: protected items, recovery points, restore requests and jobs.

Internal to this collection: not a public API, may change at any time.

Everything here takes plain values (a client, ids, dicts) and raises the typed errors of
``_errors``; nothing here knows Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid

API_VERSION = "2024-04-01"
CRR_API_VERSION = "2023-01-15"

# Azure's $filter date format (the one the Azure CLI sends).
FILTER_TIME_FORMAT = "%Y-%m-%d %I:%M:%S %p"
# The US-style format of the "Recovery point time " entry of a restore job's propertyBag.
JOB_RP_TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"

RESTORE_TYPES = {
    "restore_disks": "RestoreDisks",
    "replace_disks": "OriginalLocation",
    "new_vm": "AlternateLocation",
}
RECOVERY_TYPE_TO_RESTORE_TYPE = dict((v, k) for k, v in RESTORE_TYPES.items())

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

JOB_RUNNING = ("InProgress", "Cancelling")
JOB_SUCCEEDED = ("Completed", "CompletedWithWarnings")
JOB_FAILED = ("Failed", "Cancelled")
JOB_TERMINAL = JOB_SUCCEEDED + JOB_FAILED

# Keys of a restore job's propertyBag, spelled as Azure spells them (note the trailing space).
BAG_RP_TIME = "Recovery point time "
BAG_STORAGE_ACCOUNT = "Target Storage Account Name"
BAG_TARGET_RG = "Target resource group"
BAG_TARGET_VM = "Target VM Name"
BAG_CONFIG_BLOB_URI = "Config Blob Uri"
BAG_TEMPLATE_BLOB_URI = "Template Blob Uri"
BAG_CONFIG_BLOB_NAME = "Config Blob Name"
BAG_CONFIG_BLOB_CONTAINER = "Config Blob Container Name"


# --------------------------------------------------------------------------------------------
# Time


_ISO_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(value, option=None):
    """Parse an ISO 8601 date or date-time into an aware UTC datetime.

    A value without a zone is taken as UTC (Azure sends its times that way). Raises
    ValidationError naming ``option`` when the value is not ISO 8601.
    """
    if isinstance(value, datetime.datetime):
        dt = value
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=datetime.timezone.utc)
        return dt.astimezone(datetime.timezone.utc)
    text = str(value).strip() if value is not None else ""
    m = _ISO_RE.match(text)
    if not m:
        raise ValidationError(
            "%s must be an ISO 8601 date or date-time (for example 2026-11-01T08:00:00Z), got %r"
            % (option or "time", value), option=option)
    year, month, day, hour, minute, second, frac, zone = m.groups()
    try:
        micro = int((frac or "0").ljust(6, "0")[:6])
        dt = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                               int(second or 0), micro)
    except ValueError as e:
        raise ValidationError("%s is not a valid date-time (%s): %r" % (option or "time", e, value), option=option)
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        dt = (dt - sign * offset)
    return dt.replace(tzinfo=datetime.timezone.utc)


def format_time(dt):
    """ISO 8601 UTC with a Z, seconds precision (how the modules return times)."""
    if dt is None:
        return None
    return parse_time(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_filter_time(dt):
    return parse_time(dt).strftime(FILTER_TIME_FORMAT)


def parse_azure_time(value):
    """Parse a time as Azure returns it; None for empty or the 0001-01-01 'not yet' marker."""
    if not value or str(value).startswith("0001-01-01"):
        return None
    try:
        return parse_time(value)
    except ValidationError:
        return None


def parse_job_rp_time(value):
    """Parse the propertyBag's 'Recovery point time ' (US style, UTC). None when unparsable."""
    if not value:
        return None
    try:
        return datetime.datetime.strptime(str(value).strip(), JOB_RP_TIME_FORMAT).replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return parse_azure_time(value)


def check_time_window(start, end):
    """Parse the start/end options and refuse a window that ends before it starts."""
    start_dt = parse_time(start, "start_time") if start else None
    end_dt = parse_time(end, "end_time") if end else None
    if start_dt and end_dt and end_dt < start_dt:
        raise ValidationError("end_time (%s) is before start_time (%s)" % (format_time(end_dt), format_time(start_dt)),
                              option="end_time")
    return start_dt, end_dt


# --------------------------------------------------------------------------------------------
# Protected item


class ProtectedItemRef(object):
    """Where a protected VM lives in a vault, and the VM it protects."""

    def __init__(self, subscription_id, vault_resource_group, vault_name, vm_resource_group, vm_name,
                 container=None, item=None, vm_subscription_id=None):
        self.subscription_id = subscription_id
        self.vault_resource_group = vault_resource_group
        self.vault_name = vault_name
        self.vm_resource_group = vm_resource_group
        self.vm_name = vm_name
        self.vm_subscription_id = vm_subscription_id or subscription_id
        self.container = container or rid.container_name(vm_resource_group, vm_name)
        self.item = item or rid.protected_item_name(vm_resource_group, vm_name)

    @property
    def vault_id(self):
        return rid.vault_id(self.subscription_id, self.vault_resource_group, self.vault_name)

    @property
    def vm_id(self):
        return rid.vm_id(self.vm_subscription_id, self.vm_resource_group, self.vm_name)

    @property
    def path(self):
        return rid.protected_item_path(self.vault_id, self.container, self.item)

    def recovery_point_path(self, recovery_point_id):
        return "%s/recoveryPoints/%s" % (self.path, recovery_point_id)

    def as_dict(self):
        return dict(vault_id=self.vault_id, vm_id=self.vm_id, container_name=self.container,
                    protected_item_name=self.item)


def protected_item_ref(params, subscription_id):
    """Build a ProtectedItemRef from the common module options (vm_id | vm_name + vm_resource_group)."""
    vm_id = params.get("vm_id")
    vm_name = params.get("vm_name")
    vm_rg = params.get("vm_resource_group")
    vm_sub = None
    if vm_id:
        if vm_name or vm_rg:
            raise ValidationError("vm_id is mutually exclusive with vm_name and vm_resource_group", option="vm_id")
        try:
            parsed = rid.parse_resource_id(vm_id)
        except ValueError as e:
            raise ValidationError("vm_id is not a valid virtual machine resource id: %s" % e, option="vm_id")
        if (parsed.get("namespace") or "").lower() != "microsoft.compute" or \
                (parsed.get("type") or "").lower() != "virtualmachines" or parsed.get("children"):
            raise ValidationError("vm_id must be the id of a Microsoft.Compute/virtualMachines resource, got %r"
                                  % vm_id, option="vm_id")
        vm_name, vm_rg, vm_sub = parsed["name"], parsed["resource_group"], parsed["subscription"]
    elif not (vm_name and vm_rg):
        raise ValidationError("one of vm_id, or vm_name with vm_resource_group, is required", option="vm_name")
    if not params.get("vault_name") or not params.get("vault_resource_group"):
        raise ValidationError("vault_name and vault_resource_group are required", option="vault_name")
    return ProtectedItemRef(subscription_id, params["vault_resource_group"], params["vault_name"], vm_rg, vm_name,
                            container=params.get("container_name"), item=params.get("protected_item_name"),
                            vm_subscription_id=vm_sub)


# --------------------------------------------------------------------------------------------
# Recovery points


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


def _snake(name):
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def snake_dict(value):
    """camelCase keys to snake_case, recursively (maps keyed by data, not schema, stay as they are)."""
    if isinstance(value, dict):
        return dict((_snake(k), snake_dict(v)) for k, v in value.items())
    if isinstance(value, list):
        return [snake_dict(v) for v in value]
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


def list_recovery_points(client, item, api_version=API_VERSION, start=None, end=None):
    """All recovery points of an item (every page), raw resources."""
    params = {}
    flt = recovery_point_filter(start, end)
    if flt:
        params["$filter"] = flt
    return list(client.list(item.path + "/recoveryPoints", api_version=api_version, params=params or None))


def get_recovery_point(client, item, recovery_point_id, api_version=API_VERSION):
    return client.get(item.recovery_point_path(recovery_point_id), api_version=api_version).body


# --------------------------------------------------------------------------------------------
# Restore request


def rehydration_duration(days):
    if days is None:
        return None
    if isinstance(days, int) or (isinstance(days, str) and days.isdigit()):
        days = int(days)
        if not 10 <= days <= 30:
            raise ValidationError("rehydration_duration must be between 10 and 30 days, got %d" % days,
                                  option="rehydration_duration")
        return "P%dD" % days
    if isinstance(days, str) and re.match(r"^P\d+D$", days):
        return days
    raise ValidationError("rehydration_duration must be a number of days (10 to 30), got %r" % (days,),
                          option="rehydration_duration")


def build_restore_request(restore_type, recovery_point_id, source_vm_id, region, storage_account_id,
                          target_resource_group_id=None, target_vm_id=None, virtual_network_id=None,
                          subnet_id=None, disk_luns=None, restore_os_disk_only=False, zones=None,
                          disk_encryption_set_id=None, identity=None, rehydration_priority=None,
                          rehydration_duration_value=None, original_storage_account_option=False,
                          extra_properties=None):
    """The IaasVMRestoreRequest (the ``properties`` of the restore POST body)."""
    if restore_type not in RESTORE_TYPES:
        raise ValidationError("restore_type must be one of %s" % ", ".join(sorted(RESTORE_TYPES)), option="restore_type")
    rehydrate = bool(rehydration_priority or rehydration_duration_value)
    body = {
        "objectType": "IaasVMRestoreWithRehydrationRequest" if rehydrate else "IaasVMRestoreRequest",
        "recoveryPointId": recovery_point_id,
        "recoveryType": RESTORE_TYPES[restore_type],
        "sourceResourceId": source_vm_id,
        "storageAccountId": storage_account_id,
        "region": region,
        # Classic-VM semantics; Azure's own examples (and the CLI) send true for RestoreDisks only.
        "createNewCloudService": restore_type == "restore_disks",
        "originalStorageAccountOption": bool(original_storage_account_option),
        "encryptionDetails": {"encryptionEnabled": False},
    }
    if target_resource_group_id:
        body["targetResourceGroupId"] = target_resource_group_id
    if restore_type == "new_vm":
        body["targetVirtualMachineId"] = target_vm_id
        body["virtualNetworkId"] = virtual_network_id
        body["subnetId"] = subnet_id
    if restore_os_disk_only:
        body["restoreDiskLunList"] = []
    elif disk_luns:
        body["restoreDiskLunList"] = sorted(int(x) for x in disk_luns)
    if zones:
        body["zones"] = [str(z) for z in zones]
    if disk_encryption_set_id:
        body["diskEncryptionSetId"] = disk_encryption_set_id
    if identity:
        kind = identity.get("type", "system_assigned")
        info = {"isSystemAssignedIdentity": kind in ("system", "system_assigned", "SystemAssigned")}
        if not info["isSystemAssignedIdentity"]:
            if not identity.get("id"):
                raise ValidationError("identity.id is required for a user-assigned identity", option="identity")
            info["managedIdentityResourceId"] = identity["id"]
        body["identityInfo"] = info
    if rehydrate:
        body["recoveryPointRehydrationInfo"] = {
            "rehydrationPriority": rehydration_priority or "Standard",
            "rehydrationRetentionDuration": rehydration_duration_value or "P15D",
        }
    for key, value in (extra_properties or {}).items():
        if key in ("objectType", "recoveryPointId", "recoveryType", "sourceResourceId"):
            raise ValidationError("extra_properties may not override %s" % key, option="extra_properties")
        body[key] = value
    return body


# --------------------------------------------------------------------------------------------
# Jobs


def job_filter(operation=None, status=None, start=None, end=None, backup_management_type="AzureIaasVM", job_id=None):
    """A BackupJobs_List $filter."""
    parts = []
    if backup_management_type:
        parts.append("backupManagementType eq '%s'" % backup_management_type)
    if operation:
        parts.append("operation eq '%s'" % operation)
    if status:
        parts.append("status eq '%s'" % status)
    if job_id:
        parts.append("jobId eq '%s'" % job_id)
    if start is not None:
        parts.append("startTime eq '%s'" % format_filter_time(start))
    if end is not None:
        parts.append("endTime eq '%s'" % format_filter_time(end))
    return " and ".join(parts) or None


def _error_details(props):
    out = []
    for e in props.get("errorDetails") or []:
        out.append(dict(code=e.get("errorCode"), title=e.get("errorTitle"), message=e.get("errorString"),
                        recommendations=list(e.get("recommendations") or [])))
    return out


def normalize_job(resource):
    """A job resource as the modules return it."""
    props = resource.get("properties") or {}
    ext = props.get("extendedInfo") or {}
    bag = dict(ext.get("propertyBag") or {})
    internal = dict(ext.get("internalPropertyBag") or {})
    tasks = []
    for t in ext.get("tasksList") or []:
        tasks.append(dict(task_id=t.get("taskId"), status=t.get("status"), start_time=t.get("startTime"),
                          end_time=t.get("endTime"), duration=t.get("duration"),
                          progress_percentage=t.get("progressPercentage"),
                          details=t.get("taskExecutionDetails")))
    start = parse_azure_time(props.get("startTime"))
    end = parse_azure_time(props.get("endTime"))
    job = dict(
        id=resource.get("id"),
        job_id=resource.get("name"),
        status=props.get("status"),
        operation=props.get("operation"),
        entity=props.get("entityFriendlyName"),
        backup_management_type=props.get("backupManagementType"),
        container_name=props.get("containerName"),
        start_time=format_time(start) if start else None,
        end_time=format_time(end) if end else None,
        duration=props.get("duration"),
        activity_id=props.get("activityId"),
        actions=list(props.get("actionsInfo") or []),
        error_details=_error_details(props),
        restore_type=RECOVERY_TYPE_TO_RESTORE_TYPE.get(internal.get("restoreLocationType")),
        extended_info=dict(
            tasks=tasks,
            property_bag=bag,
            internal_property_bag=internal,
            progress_percentage=ext.get("progressPercentage"),
            estimated_remaining_duration=ext.get("estimatedRemainingDuration"),
            dynamic_error_message=ext.get("dynamicErrorMessage"),
        ),
        recovery_point_time=format_time(parse_job_rp_time(bag.get(BAG_RP_TIME))) if bag.get(BAG_RP_TIME) else None,
        target_storage_account=bag.get(BAG_STORAGE_ACCOUNT),
        target_resource_group=bag.get(BAG_TARGET_RG),
        target_vm_name=_bag_get(bag, BAG_TARGET_VM),
        config_blob_uri=bag.get(BAG_CONFIG_BLOB_URI),
        template_blob_uri=bag.get(BAG_TEMPLATE_BLOB_URI),
        config_blob_name=bag.get(BAG_CONFIG_BLOB_NAME),
        config_blob_container_name=bag.get(BAG_CONFIG_BLOB_CONTAINER),
    )
    return job


def _bag_get(bag, key):
    """propertyBag lookup tolerant of case and surrounding spaces in the key."""
    if key in bag:
        return bag[key]
    want = key.strip().lower()
    for k, v in bag.items():
        if k.strip().lower() == want:
            return v
    return None


def job_is_running(job):
    return job.get("status") in JOB_RUNNING


def job_is_terminal(job):
    return job.get("status") in JOB_TERMINAL


def _same_name(a, b):
    return (a or "").strip().lower() == (b or "").strip().lower()


def match_restore_job(job, vm_name, restore_type, recovery_point_time, storage_account_name=None,
                      target_resource_group=None, target_vm_name=None, include_completed=True):
    """Is this normalized job an earlier restore of the same thing?

    Azure's job does not carry the recovery point id: the match is on the protected VM, the
    operation, the restore location type, the recovery point time and the targets. Failed and
    cancelled jobs never match (a re-run should try again).
    """
    if job.get("operation") not in ("Restore", "CrossRegionRestore"):
        return False
    if not _same_name(job.get("entity"), vm_name):
        return False
    status = job.get("status")
    if status in JOB_FAILED:
        return False
    if status in JOB_SUCCEEDED and not include_completed:
        return False
    if job.get("restore_type") and job["restore_type"] != restore_type:
        return False
    rp_time = parse_job_rp_time(job.get("recovery_point_time")) if job.get("recovery_point_time") else None
    want = parse_time(recovery_point_time) if recovery_point_time else None
    if want is None or rp_time is None or abs((rp_time - want).total_seconds()) > 1:
        return False
    if storage_account_name and job.get("target_storage_account") and \
            not _same_name(job["target_storage_account"], storage_account_name):
        return False
    if target_resource_group and job.get("target_resource_group") and \
            not _same_name(job["target_resource_group"], target_resource_group):
        return False
    if restore_type == "new_vm" and target_vm_name and not _same_name(job.get("target_vm_name"), target_vm_name):
        return False
    return True


def find_restore_job(jobs, **criteria):
    """The newest matching job (running ones first), or None."""
    matches = [j for j in jobs if match_restore_job(j, **criteria)]
    if not matches:
        return None
    matches.sort(key=lambda j: (job_is_running(j), j.get("start_time") or ""), reverse=True)
    return matches[0]


def get_job(client, vault_id, job_id, api_version=API_VERSION):
    """A primary-region job, raw."""
    return client.get("%s/backupJobs/%s" % (vault_id, job_id), api_version=api_version).body


def list_jobs(client, vault_id, api_version=API_VERSION, **filters):
    """Primary-region jobs of a vault (every page), raw. ``filters`` as job_filter takes them."""
    flt = job_filter(**filters)
    return list(client.list("%s/backupJobs" % vault_id, api_version=api_version,
                            params={"$filter": flt} if flt else None))


# --------------------------------------------------------------------------------------------
# Vaults, regions and cross-region restore


def get_vault(client, vault_id, api_version="2023-04-01"):
    """The Recovery Services vault resource (location, redundancy, CRR setting), raw."""
    return client.get(vault_id, api_version=api_version).body


def paired_region(client, subscription_id, region, api_version="2022-12-01"):
    """The paired (secondary) region of ``region`` from ARM's locations API, never a fixed table."""
    want = (region or "").replace(" ", "").lower()
    for loc in client.list("/subscriptions/%s/locations" % subscription_id, api_version=api_version):
        if (loc.get("name") or "").lower() == want:
            pairs = ((loc.get("metadata") or {}).get("pairedRegion") or [])
            if not pairs:
                raise ValidationError("Azure names no paired region for %s, so it has no secondary region for "
                                      "cross-region restore; set secondary_region" % region, option="secondary_region")
            return pairs[0].get("name")
    raise ValidationError("region %r is not one of the subscription's locations" % region, option="secondary_region")


def crr_location_path(subscription_id, region):
    return "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/%s" % (subscription_id, region)


def get_aad_properties(client, subscription_id, secondary_region, api_version=CRR_API_VERSION):
    """The secondary region's AAD properties resource (the body of the access token request)."""
    return client.get(crr_location_path(subscription_id, secondary_region) + "/backupAadProperties",
                      api_version=api_version).body


def get_crr_access_token(client, item, recovery_point_id, aad_properties, api_version=CRR_API_VERSION):
    """The CRR access token resource for one replicated recovery point, raw (holds a secret)."""
    return client.post(item.recovery_point_path(recovery_point_id) + "/accessToken", api_version=api_version,
                       json=aad_properties, ok=(200,), idempotent=True).body


def get_crr_job(client, subscription_id, secondary_region, vault_id, job_id, api_version=CRR_API_VERSION):
    """A cross-region restore job, raw (read with POST backupCrrJob)."""
    return client.post(crr_location_path(subscription_id, secondary_region) + "/backupCrrJob",
                       api_version=api_version, json={"resourceId": vault_id, "jobName": job_id}, ok=(200,),
                       idempotent=True).body


def list_crr_jobs(client, subscription_id, secondary_region, vault_id, api_version=CRR_API_VERSION, **filters):
    """Cross-region jobs of a vault in the secondary region (every page), raw."""
    flt = job_filter(**filters)
    url = crr_location_path(subscription_id, secondary_region) + "/backupCrrJobs"
    return list(client.list(url, api_version=api_version, params={"$filter": flt} if flt else None,
                            method="POST", json={"resourceId": vault_id}))


# --------------------------------------------------------------------------------------------
# Recovery point queries and the secondary region, as recovery_point_info and crr_access_token
# (and restore_job_info for the region) use them.

VAULT_NOT_FOUND_CODES = ("ResourceNotFound", "ResourceGroupNotFound", "SubscriptionNotFound")


def api_failure(err, prefix):
    """``err`` (an AzureApiError) with the message ``"{prefix}: ({code}) {message}"`` and its
    correlation id, so that a failure names the resource, Azure's words and the id to quote."""
    out = err.with_context(prefix)
    if getattr(err, "correlation_id", None):
        out._set_msg("%s (correlation id %s)" % (out.msg, err.correlation_id))
    return out


def describe_item(item):
    """How messages name a protected VM."""
    return "VM %s (resource group %s) in vault %s (resource group %s)" % (
        item.vm_name, item.vm_resource_group, item.vault_name, item.vault_resource_group)


def _not_found_failure(err, item, what):
    if err.error_code in VAULT_NOT_FOUND_CODES:
        return api_failure(err, "Vault %s was not found in resource group %s (while reading %s)" % (
            item.vault_name, item.vault_resource_group, what))
    return api_failure(err, "Failed to read %s of %s" % (what, describe_item(item)))


def recovery_points_url(item, secondary=False):
    """The recovery point list URL; RecoveryPointsCrr_List spells it with a trailing slash."""
    return item.path + ("/recoveryPoints/" if secondary else "/recoveryPoints")


def find_recovery_points(client, item, recovery_point_id=None, start=None, end=None, recovery_point_type=None,
                         tier=None, latest=False, secondary=False, api_version=None):
    """Normalized recovery points of ``item``, newest first: the one named by ``recovery_point_id``,
    or those matching the filters (the time window is sent as ``$filter`` and applied again here).

    ``secondary`` reads the points replicated to the vault's paired region: the same URLs with the
    cross-region restore api-version. Raises AzureApiError with a message naming the vault, the VM
    and the point, or ValidationError when a point exists in the primary region only.
    """
    if api_version is None:
        api_version = CRR_API_VERSION if secondary else API_VERSION
    if recovery_point_id:
        try:
            raw = get_recovery_point(client, item, recovery_point_id, api_version=api_version)
        except AzureApiError as e:
            if e.status_code != 404 or e.error_code in VAULT_NOT_FOUND_CODES:
                raise _not_found_failure(e, item, "recovery point %s" % recovery_point_id)
            if secondary and _exists_in_primary(client, item, recovery_point_id):
                raise ValidationError(
                    "Recovery point %s of %s is not replicated to the secondary region yet (Azure copies "
                    "recovery points to the paired region some hours after they are taken); use an older "
                    "recovery point or the primary region" % (recovery_point_id, describe_item(item)),
                    option="recovery_point_id", azure_error=e)
            raise api_failure(e, "Recovery point %s of %s was not found%s" % (
                recovery_point_id, describe_item(item), " in the secondary region" if secondary else ""))
        return [normalize_recovery_point(raw)]
    try:
        raw = list(client.list(recovery_points_url(item, secondary), api_version=api_version,
                               params={"$filter": recovery_point_filter(start, end)}
                               if (start is not None or end is not None) else None))
    except AzureApiError as e:
        if e.status_code == 404:
            raise _not_found_failure(e, item, "the recovery points%s" % (
                " in the secondary region" if secondary else ""))
        raise api_failure(e, "Failed to list the recovery points of %s" % describe_item(item))
    points = [normalize_recovery_point(p) for p in raw]
    return select_recovery_points(points, recovery_point_type=recovery_point_type, tier=tier, start=start,
                                  end=end, latest=latest)


def _exists_in_primary(client, item, recovery_point_id):
    try:
        get_recovery_point(client, item, recovery_point_id, api_version=API_VERSION)
    except AzureApiError:
        return False
    return True


def vault_location(vault):
    return (vault or {}).get("location")


def secondary_region_of(client, subscription_id, vault, secondary_region=None):
    """The vault's secondary region: ``secondary_region`` when given, else the paired region of
    the vault's location as ARM's locations API names it."""
    if secondary_region:
        return secondary_region.replace(" ", "").lower()
    location = vault_location(vault)
    if not location:
        raise ValidationError("the vault has no location to find its paired region from; set secondary_region",
                              option="secondary_region")
    try:
        return paired_region(client, subscription_id, location)
    except AzureApiError as e:
        raise api_failure(e, "Failed to read the paired region of %s from the locations of subscription %s"
                          % (location, subscription_id))


def read_vault(client, subscription_id, vault_resource_group, vault_name):
    """The vault resource, or AzureApiError naming it."""
    try:
        return get_vault(client, rid.vault_id(subscription_id, vault_resource_group, vault_name))
    except AzureApiError as e:
        if e.status_code == 404:
            raise api_failure(e, "Vault %s was not found in resource group %s" % (vault_name, vault_resource_group))
        raise api_failure(e, "Failed to read vault %s (resource group %s)" % (vault_name, vault_resource_group))
