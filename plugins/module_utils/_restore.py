# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The restore engine shared by vm_restore and crr_restore.

Internal to this collection: not a public API, may change at any time.

Plain values in, typed errors out, nothing here knows Ansible:

* option checks that need no network (``check_options``), name-or-id resolution of the targets
  (``resolve_targets``), the request body (``build_request``, ``crr_body``);
* pre-flight checks against the recovery point (``check_point``) and the target resources
  (``ResourceCache`` + ``check_resources``), then Azure's own pre-flight (``validate_with_azure``);
* ``RestoreRunner``: the idempotent job search, the restore POST with lost-response handling (a
  restore POST is never retried blindly), following the asynchronous operation to the job id and
  waiting for the job;
* cross-region restore helpers: the CRR access token's expiry (``access_details_problem``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import json
import re
import time

from ansible_collections.azbackup.restore.plugins.module_utils import _backup as bk
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    AzureConnectionError,
    OperationFailedError,
    OperationTimeoutError,
    ValidationError,
    redact_url,
)

PRIMARY_API_VERSION = bk.API_VERSION
CRR_API_VERSION = bk.CRR_API_VERSION

# api-versions of the Azure Resource Manager reads used by the pre-flight checks.
RESOURCE_GROUP_API_VERSION = "2021-04-01"
STORAGE_API_VERSION = "2023-01-01"
COMPUTE_API_VERSION = "2024-03-01"
NETWORK_API_VERSION = "2023-09-01"

# The property names of IaasVMRestoreRequest (with those it inherits from RestoreRequest and the
# one IaasVMRestoreWithRehydrationRequest adds), api-version 2024-04-01 of the swagger.
RESTORE_REQUEST_PROPERTIES = (
    "objectType", "resourceGuardOperationRequests",
    "recoveryPointId", "recoveryType", "sourceResourceId", "targetVirtualMachineId", "targetResourceGroupId",
    "storageAccountId", "virtualNetworkId", "subnetId", "targetDomainNameId", "region", "affinityGroup",
    "createNewCloudService", "originalStorageAccountOption", "encryptionDetails", "restoreDiskLunList",
    "restoreWithManagedDisks", "diskEncryptionSetId", "zones", "identityInfo", "identityBasedRestoreDetails",
    "extendedLocation", "securedVMDetails", "targetDiskNetworkAccessSettings",
    "recoveryPointRehydrationInfo",
)
# The same for the passive stamp (cross-region restore), api-version 2023-01-15: no
# resourceGuardOperationRequests, extendedLocation, securedVMDetails, targetDiskNetworkAccessSettings,
# and no rehydration subtype.
CRR_RESTORE_REQUEST_PROPERTIES = (
    "objectType",
    "recoveryPointId", "recoveryType", "sourceResourceId", "targetVirtualMachineId", "targetResourceGroupId",
    "storageAccountId", "virtualNetworkId", "subnetId", "targetDomainNameId", "region", "affinityGroup",
    "createNewCloudService", "originalStorageAccountOption", "encryptionDetails", "restoreDiskLunList",
    "restoreWithManagedDisks", "diskEncryptionSetId", "zones", "identityInfo", "identityBasedRestoreDetails",
)
# Properties the options set (extra_properties may not set them).
_OWNED_PROPERTIES = ("objectType", "recoveryPointId", "recoveryType", "sourceResourceId", "storageAccountId",
                     "region", "targetResourceGroupId", "targetVirtualMachineId", "virtualNetworkId", "subnetId",
                     "restoreDiskLunList", "zones", "diskEncryptionSetId", "identityInfo",
                     "recoveryPointRehydrationInfo")

# Options that describe a new VM; a disk replacement acts on the source VM and takes none of them.
TARGET_VM_OPTIONS = ("target_vm_name", "target_resource_group", "target_virtual_network",
                     "target_virtual_network_resource_group", "target_subnet", "target_zone")

# Storage account SKUs a restore cannot stage in (zone-redundant).
ZONE_REDUNDANT_SKU_SUFFIXES = ("_ZRS", "_GZRS", "_RAGZRS")

# Azure's answer when another operation already runs on the protected item.
IN_PROGRESS_ERROR_CODES = (
    "UserErrorAnotherOperationInProgress",
    "AnotherOperationInProgress",
    "UserErrorAnotherRestoreInProgressOnSameTarget",
    "BMSUserErrorAnotherOperationInProgress",
    "CloudDSMSAnotherOperationInProgress",
)

WAIT_MODES = ("none", "operation", "job")

# Polling defaults. The asynchronous operation of a restore usually says Succeeded at the first
# poll (and live Azure sends no Retry-After), so it starts small; jobs run for minutes to hours.
OPERATION_INTERVAL = 2.0
OPERATION_MAX_INTERVAL = 30.0
JOB_INTERVAL = 15.0
JOB_MAX_INTERVAL = 120.0
BACKOFF = 1.5

# After an ambiguous failure of the restore POST (the job can appear with a delay).
LOOKUPS = 4
LOOKUP_INTERVAL = 3.0
POST_ATTEMPTS = 2

# When Azure refuses a restore because another operation is in progress on the item, that
# operation may be one without a job yet (a run that timed out while following it, a concurrent
# run whose operation is slow): its job is waited for this long at most (never past wait_timeout),
# unless a running restore job of another kind shows which operation it is.
IN_PROGRESS_PATIENCE = 300

# A CRR access token that expires within this margin is replaced.
TOKEN_EXPIRY_MARGIN = 120

MASKED = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


class RestoreJobError(OperationFailedError):
    """The restore job ended Failed or Cancelled (``job`` is the normalized job)."""

    def __init__(self, msg, job=None, operation_url=None):
        job = job or {}
        first = (job.get("error_details") or [{}])[0]
        self.job = job
        self.job_id = job.get("job_id")
        super(RestoreJobError, self).__init__(
            msg, operation_url=operation_url, status=job.get("status"),
            error_code=None if first.get("code") is None else str(first.get("code")),
            error_message=first.get("message") or first.get("title"), body=None)

    def _fail_extras(self):
        out = super(RestoreJobError, self)._fail_extras()
        out.update(job_id=self.job_id, job=self.job)
        return out


class AzureValidationError(ValidationError):
    """Azure's own pre-flight (backupValidateOperation) refused the restore request."""

    def __init__(self, msg, results=None, request_id=None, correlation_id=None):
        self.results = results or []
        self.request_id = request_id
        self.correlation_id = correlation_id
        if correlation_id:
            msg = "%s (correlation id %s)" % (msg, correlation_id)
        super(AzureValidationError, self).__init__(msg)

    def _fail_extras(self):
        out = super(AzureValidationError, self)._fail_extras()
        out["validation_results"] = self.results
        codes = [r.get("code") for r in self.results if r.get("code")]
        if codes:
            out["error_code"] = codes[0]
        if self.request_id:
            out["request_id"] = self.request_id
        if self.correlation_id:
            out["correlation_id"] = self.correlation_id
        return out


# --------------------------------------------------------------------------------------------
# Names and ids


def _same(a, b):
    return (a or "").strip().lower() == (b or "").strip().lower()


def normalize_region(value):
    return (value or "").replace(" ", "").lower()


def _parse(value, option, namespace, rtype):
    """Parse an ARM id given for ``option`` and check its type (``rtype`` may be 'a/b' for a child)."""
    try:
        parsed = rid.parse_resource_id(value)
    except ValueError as e:
        raise ValidationError("%s is not a valid resource id: %s" % (option, e), option=option)
    got = "%s/%s" % (parsed.get("namespace") or "", parsed.get("type") or "")
    children = parsed.get("children") or []
    for child in children:
        got += "/" + (child.get("type") if isinstance(child, dict) else child[0])
    if got.lower() != ("%s/%s" % (namespace, rtype)).lower():
        raise ValidationError("%s must be the id of a %s/%s resource, got %r" % (option, namespace, rtype, value),
                              option=option)
    return parsed


def _is_id(value):
    return isinstance(value, str) and value.startswith("/")


def resource_group_id(subscription_id, value, option="target_resource_group"):
    """A resource group id from a name or an id."""
    if not value:
        return None
    if _is_id(value):
        parts = [p for p in value.split("/") if p]
        if len(parts) != 4 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
            raise ValidationError("%s must be a resource group name or id (/subscriptions/{id}/resourceGroups/"
                                  "{name}), got %r" % (option, value), option=option)
        return "/subscriptions/%s/resourceGroups/%s" % (parts[1], parts[3])
    return rid.resource_group_id(subscription_id, value)


def _name_of(resource_id):
    return resource_id.rstrip("/").split("/")[-1] if resource_id else None


class RestoreTargets(object):
    """The resolved ids of what a restore writes to."""

    def __init__(self, region, storage_account_id, resource_group_id=None, vm_id=None, virtual_network_id=None,
                 subnet_id=None):
        self.region = region
        self.storage_account_id = storage_account_id
        self.resource_group_id = resource_group_id
        self.vm_id = vm_id
        self.virtual_network_id = virtual_network_id
        self.subnet_id = subnet_id

    @property
    def storage_account_name(self):
        return _name_of(self.storage_account_id)

    @property
    def resource_group_name(self):
        return _name_of(self.resource_group_id)

    @property
    def vm_name(self):
        return _name_of(self.vm_id)

    def as_dict(self):
        return dict(region=self.region, storage_account_id=self.storage_account_id,
                    resource_group_id=self.resource_group_id, vm_id=self.vm_id,
                    virtual_network_id=self.virtual_network_id, subnet_id=self.subnet_id)


def resolve_targets(params, subscription_id, region):
    """Turn the target options (names or ids) into a RestoreTargets; no network."""
    sa = params.get("staging_storage_account")
    if not sa:
        raise ValidationError("staging_storage_account is required", option="staging_storage_account")
    if _is_id(sa):
        _parse(sa, "staging_storage_account", "Microsoft.Storage", "storageAccounts")
        sa_id = sa
    else:
        sa_rg = params.get("staging_storage_account_resource_group")
        if not sa_rg:
            raise ValidationError("staging_storage_account_resource_group is required when staging_storage_account "
                                  "is a name (or give the storage account's resource id)",
                                  option="staging_storage_account_resource_group")
        sa_id = rid.storage_account_id(subscription_id, sa_rg, sa)
    rg_id = resource_group_id(subscription_id, params.get("target_resource_group"))
    rg_sub = rg_id.split("/")[2] if rg_id else subscription_id
    vm = None
    if params.get("target_vm_name"):
        if not rg_id:
            raise ValidationError("target_vm_name needs target_resource_group", option="target_resource_group")
        vm = rid.vm_id(rg_sub, _name_of(rg_id), params["target_vm_name"])
    vnet = params.get("target_virtual_network")
    subnet = params.get("target_subnet")
    vnet_id = subnet_id = None
    if subnet and _is_id(subnet):
        parsed = _parse(subnet, "target_subnet", "Microsoft.Network", "virtualNetworks/subnets")
        subnet_id = subnet
        vnet_id = subnet.rsplit("/subnets/", 1)[0] if "/subnets/" in subnet else \
            rid.virtual_network_id(parsed["subscription"], parsed["resource_group"], parsed["name"])
        if vnet and not _same(vnet, vnet_id if _is_id(vnet) else _name_of(vnet_id)):
            raise ValidationError("target_subnet %s is not in target_virtual_network %s" % (subnet, vnet),
                                  option="target_subnet")
    elif vnet:
        if _is_id(vnet):
            _parse(vnet, "target_virtual_network", "Microsoft.Network", "virtualNetworks")
            vnet_id = vnet
        else:
            vnet_rg = params.get("target_virtual_network_resource_group") or _name_of(rg_id)
            if not vnet_rg:
                raise ValidationError("target_virtual_network_resource_group (or target_resource_group) is required "
                                      "when target_virtual_network is a name",
                                      option="target_virtual_network_resource_group")
            vnet_id = rid.virtual_network_id(rg_sub, vnet_rg, vnet)
        if subnet:
            subnet_id = rid.subnet_id(*(_vnet_parts(vnet_id) + (subnet,)))
    elif subnet:
        raise ValidationError("target_subnet given by name needs target_virtual_network", option="target_virtual_network")
    return RestoreTargets(region, sa_id, rg_id, vm, vnet_id, subnet_id)


def _vnet_parts(vnet_id):
    parts = [p for p in vnet_id.split("/") if p]
    return (parts[1], parts[3], parts[-1])


# --------------------------------------------------------------------------------------------
# Option checks (no network)


def check_options(params, restore_type, crr=False):
    """Refuse option combinations before any request; ValidationError names the option."""
    allowed = ("restore_disks", "new_vm") if crr else tuple(bk.RESTORE_TYPES)
    if restore_type not in allowed:
        raise ValidationError("restore_type must be one of %s, got %r" % (", ".join(allowed), restore_type),
                              option="restore_type")
    if restore_type == "replace_disks":
        given = [o for o in TARGET_VM_OPTIONS if params.get(o) not in (None, "", [])]
        if given:
            raise ValidationError(
                "restore_type=replace_disks replaces the disks of the source VM %s itself and takes no target VM "
                "options, but %s %s given; use restore_type=new_vm to create another VM, or restore_disks"
                % (params.get("vm_name") or params.get("vm_id") or "", ", ".join(given),
                   "was" if len(given) == 1 else "were"), option=given[0])
        if params.get("restore_as_unmanaged_disks"):
            raise ValidationError("restore_as_unmanaged_disks applies to restore_type=restore_disks only",
                                  option="restore_as_unmanaged_disks")
    if restore_type == "new_vm":
        missing = [o for o in ("target_vm_name", "target_resource_group", "target_virtual_network", "target_subnet")
                   if not params.get(o)]
        # a subnet id names its virtual network
        if "target_virtual_network" in missing and _is_id(params.get("target_subnet")):
            missing.remove("target_virtual_network")
        if missing:
            raise ValidationError("restore_type=new_vm needs %s" % ", ".join(missing), option=missing[0])
        if params.get("restore_as_unmanaged_disks"):
            raise ValidationError("restore_as_unmanaged_disks applies to restore_type=restore_disks only",
                                  option="restore_as_unmanaged_disks")
    if restore_type == "restore_disks":
        for o in ("target_vm_name", "target_virtual_network", "target_subnet", "target_virtual_network_resource_group"):
            if params.get(o):
                raise ValidationError("%s applies to restore_type=new_vm only (restore_disks creates no VM)" % o,
                                      option=o)
        if params.get("restore_as_unmanaged_disks") and params.get("target_resource_group"):
            raise ValidationError("restore_as_unmanaged_disks restores page blobs into the staging storage account "
                                  "and takes no target_resource_group", option="target_resource_group")
    if params.get("disk_luns") and params.get("restore_os_disk_only"):
        raise ValidationError("disk_luns and restore_os_disk_only are mutually exclusive", option="disk_luns")
    for lun in params.get("disk_luns") or []:
        if not isinstance(lun, int) or lun < 0:
            raise ValidationError("disk_luns must be non-negative integers, got %r" % (lun,), option="disk_luns")
    identity = params.get("identity")
    if identity:
        kind = identity.get("type") or "system_assigned"
        if kind not in ("system_assigned", "user_assigned"):
            raise ValidationError("identity.type must be system_assigned or user_assigned", option="identity")
        if kind == "user_assigned" and not identity.get("id"):
            raise ValidationError("identity.id (a user-assigned identity's resource id) is required with "
                                  "identity.type=user_assigned", option="identity")
        if kind == "system_assigned" and identity.get("id"):
            raise ValidationError("identity.id applies to identity.type=user_assigned only", option="identity")
    if crr and (params.get("rehydration_priority") or params.get("rehydration_duration")):
        raise ValidationError("a cross-region restore cannot restore archive-tier recovery points, so it takes no "
                              "rehydration options", option="rehydration_priority")
    if params.get("rehydration_duration") is not None:
        bk.rehydration_duration(params["rehydration_duration"])
    check_extra_properties(params.get("extra_properties"), crr=crr)


def check_extra_properties(extra, crr=False):
    """extra_properties may only name IaasVMRestoreRequest properties the options do not set."""
    if not extra:
        return
    known = CRR_RESTORE_REQUEST_PROPERTIES if crr else RESTORE_REQUEST_PROPERTIES
    unknown = sorted(k for k in extra if k not in known)
    if unknown:
        raise ValidationError(
            "extra_properties has %s, which %s of IaasVMRestoreRequest (api-version %s); the properties it may "
            "set: %s" % (", ".join(unknown), "is not a property" if len(unknown) == 1 else "are not properties",
                         CRR_API_VERSION if crr else PRIMARY_API_VERSION,
                         ", ".join(k for k in known if k not in _OWNED_PROPERTIES)),
            option="extra_properties")
    owned = sorted(k for k in extra if k in _OWNED_PROPERTIES)
    if owned:
        raise ValidationError("extra_properties may not set %s: the module's options set %s"
                              % (", ".join(owned), "it" if len(owned) == 1 else "them"), option="extra_properties")


# --------------------------------------------------------------------------------------------
# Not found: which option is at fault


# Azure's codes for a missing subscription / resource group, which make every resource under them
# "not found" too.
SUBSCRIPTION_NOT_FOUND_CODES = ("SubscriptionNotFound", "InvalidSubscriptionId")
RESOURCE_GROUP_NOT_FOUND_CODES = ("ResourceGroupNotFound",)


def not_found_refusal(err, msg, option, item=None):
    """A ValidationError for Azure's 404 ``err`` on a resource the options name.

    ``msg`` / ``option`` say what was not found; when Azure says the subscription or the vault's
    resource group is what is missing, the message says that instead. Azure's code and
    correlation id go with it.
    """
    code = err.error_code or ""
    if code in SUBSCRIPTION_NOT_FOUND_CODES:
        return ValidationError("subscription %s was not found (or the credentials cannot see it)"
                               % (item.subscription_id if item is not None else "?"),
                               option="subscription_id", azure_error=err)
    vault_paths = ("vault_name", "vm_name", "vm_id", "recovery_point_id")  # lookups under the vault's path
    if code in RESOURCE_GROUP_NOT_FOUND_CODES and item is not None and option in vault_paths:
        return ValidationError("resource group %s of vault %s does not exist" % (
            item.vault_resource_group, item.vault_name), option="vault_resource_group", azure_error=err)
    return ValidationError(msg, option=option, azure_error=err)


def read_vault(client, item):
    """The vault resource (raw); ValidationError naming the option at fault when it does not exist."""
    try:
        return bk.get_vault(client, item.vault_id)
    except AzureApiError as e:
        if e.status_code == 404:
            raise not_found_refusal(e, "vault %s does not exist in resource group %s"
                                    % (item.vault_name, item.vault_resource_group), "vault_name", item)
        raise e.with_context("Failed to read vault %s" % item.vault_name)


# --------------------------------------------------------------------------------------------
# Recovery point


def resolve_recovery_point(client, item, params, api_version=PRIMARY_API_VERSION, secondary=False):
    """The recovery point to restore (raw resource): the given id, or the newest matching the filters."""
    where = "in the secondary region (it may not be replicated yet)" if secondary else ""
    rp_id = params.get("recovery_point_id")
    if rp_id:
        try:
            return bk.get_recovery_point(client, item, rp_id, api_version=api_version)
        except AzureApiError as e:
            if e.status_code == 404:
                raise not_found_refusal(e, "recovery point %s of %s does not exist%s" % (
                    rp_id, item.item, " " + where if where else ""), "recovery_point_id", item)
            raise e.with_context("Failed to read recovery point %s of %s" % (rp_id, item.item))
    start, end = bk.check_time_window(params.get("start_time"), params.get("end_time"))
    try:
        raw = bk.list_recovery_points(client, item, api_version=api_version, start=start, end=end)
    except AzureApiError as e:
        if e.status_code == 404:
            raise not_found_refusal(e, "%s is not a protected item of vault %s" % (item.item, item.vault_name),
                                    "vm_id" if params.get("vm_id") else "vm_name", item)
        raise e.with_context("Failed to list the recovery points of %s" % item.item)
    points = dict((p.get("name"), p) for p in raw)
    chosen = bk.select_recovery_points([bk.normalize_recovery_point(p) for p in raw],
                                       recovery_point_type=params.get("recovery_point_type"),
                                       tier=params.get("tier"), start=start, end=end, latest=True)
    if not chosen:
        filters = ", ".join("%s=%s" % (k, params[k]) for k in ("recovery_point_type", "tier", "start_time", "end_time")
                            if params.get(k))
        raise ValidationError("no recovery point of %s matches%s%s" % (
            item.item, " " + filters if filters else "", " " + where if where else ""), option="recovery_point_id")
    return points[chosen[0]["name"]]


def check_point(point, params, restore_type, crr=False):
    """Pre-flight checks of the options against the (normalized) recovery point."""
    luns = params.get("disk_luns") or []
    have = point.get("disk_luns") or []
    missing = sorted(set(int(x) for x in luns) - set(have))
    if missing:
        raise ValidationError("disk_luns %s %s not in recovery point %s (it holds the data disks with LUNs %s)"
                              % (", ".join(str(x) for x in missing), "is" if len(missing) == 1 else "are",
                                 point.get("name"), ", ".join(str(x) for x in have) or "none"),
                              option="disk_luns")
    rehydrate = bool(params.get("rehydration_priority") or params.get("rehydration_duration"))
    if bk.needs_rehydration(point):
        if crr:
            raise ValidationError("recovery point %s is in the archive tier only; a cross-region restore cannot "
                                  "rehydrate it: restore it in the primary region with vm_restore" % point.get("name"),
                                  option="recovery_point_id")
        if not rehydrate:
            raise ValidationError("recovery point %s is in the archive tier only: set rehydration_priority "
                                  "(Standard or High) and/or rehydration_duration (10 to 30 days) to rehydrate it"
                                  % point.get("name"), option="rehydration_priority")
    elif rehydrate:
        raise ValidationError("rehydration_priority and rehydration_duration apply to archive-tier recovery points "
                              "only, and %s is in the %s tier" % (point.get("name"),
                                                                  ", ".join(point.get("usable_tiers") or []) or "?"),
                              option="rehydration_priority")
    if restore_type == "restore_disks" and point.get("is_managed") and not params.get("target_resource_group") \
            and not params.get("restore_as_unmanaged_disks"):
        raise ValidationError("recovery point %s is of a VM with managed disks: set target_resource_group for the "
                              "restored managed disks (without it Azure restores unmanaged disks into the staging "
                              "storage account), or set restore_as_unmanaged_disks=true if that is what you want"
                              % point.get("name"), option="target_resource_group")


# --------------------------------------------------------------------------------------------
# Request body


def build_request(params, restore_type, point, item, targets, crr=False):
    """The IaasVMRestoreRequest for these options (unwrapped)."""
    rehydrate_days = params.get("rehydration_duration")
    zone = params.get("target_zone")
    managed = point.get("is_managed")
    target_rg = targets.resource_group_id
    if restore_type == "restore_disks" and params.get("restore_as_unmanaged_disks"):
        target_rg = None
    request = bk.build_restore_request(
        restore_type, point.get("name"), item.vm_id, targets.region, targets.storage_account_id,
        target_resource_group_id=target_rg, target_vm_id=targets.vm_id,
        virtual_network_id=targets.virtual_network_id, subnet_id=targets.subnet_id,
        disk_luns=params.get("disk_luns"), restore_os_disk_only=params.get("restore_os_disk_only"),
        zones=[zone] if zone not in (None, "") else None,
        disk_encryption_set_id=params.get("disk_encryption_set_id"), identity=params.get("identity"),
        rehydration_priority=None if crr else params.get("rehydration_priority"),
        rehydration_duration_value=None if crr else bk.rehydration_duration(rehydrate_days),
        extra_properties=params.get("extra_properties"))
    if managed is False and target_rg and restore_type in ("restore_disks", "new_vm"):
        # An unmanaged VM restored with a target resource group gets managed disks.
        request.setdefault("restoreWithManagedDisks", True)
    return request


def match_criteria(item, restore_type, point, targets):
    """What find_restore_job needs to recognise an earlier restore of the same thing."""
    return dict(vm_name=item.vm_name, restore_type=restore_type, recovery_point_time=point.get("time"),
                storage_account_name=targets.storage_account_name,
                target_resource_group=targets.resource_group_name if restore_type != "replace_disks" else None,
                target_vm_name=targets.vm_name if restore_type == "new_vm" else None)


def crr_body(access_details, request):
    """The backupCrossRegionRestore body (not wrapped in properties)."""
    details = dict(access_details)
    details.setdefault("objectType", "CrrAccessToken")
    return {"crossRegionRestoreAccessDetails": details, "restoreRequest": request}


def masked_body(body):
    """A copy of a CRR body fit for a result: the access token masked."""
    out = copy.deepcopy(body)
    details = out.get("crossRegionRestoreAccessDetails")
    if isinstance(details, dict) and "accessTokenString" in details:
        details["accessTokenString"] = MASKED
    return out


# --------------------------------------------------------------------------------------------
# Pre-flight against the target resources


class ResourceCache(object):
    """GETs of ARM resources, one per resource and run; a 404 is remembered as None (and its error
    as ``not_found(resource_id)``)."""

    def __init__(self, client):
        self.client = client
        self._cache = {}
        self._not_found = {}

    def get(self, resource_id, api_version):
        key = resource_id.lower()
        if key not in self._cache:
            try:
                self._cache[key] = self.client.get(resource_id, api_version=api_version).body or {}
            except AzureApiError as e:
                if e.status_code != 404:
                    raise e.with_context("Failed to read %s" % resource_id)
                self._cache[key] = None
                self._not_found[key] = e
        return self._cache[key]

    def not_found(self, resource_id):
        """Azure's answer (an AzureApiError) when ``resource_id`` was not found, else None."""
        return self._not_found.get((resource_id or "").lower())

    def put(self, resource_id, body):
        self._cache[resource_id.lower()] = body


def check_storage_account(cache, storage_account_id, region, secondary=False):
    sa = cache.get(storage_account_id, STORAGE_API_VERSION)
    if sa is None:
        raise ValidationError("staging storage account %s does not exist" % storage_account_id,
                              option="staging_storage_account", azure_error=cache.not_found(storage_account_id))
    location = sa.get("location")
    if location and normalize_region(location) != normalize_region(region):
        raise ValidationError(
            "staging storage account %s is in %s, but the restore runs in %s (%s): a restore stages its data in a "
            "storage account of the region it restores to" % (
                _name_of(storage_account_id), location, region,
                "the vault's secondary region" if secondary else "the vault's region"),
            option="staging_storage_account")
    sku = ((sa.get("sku") or {}).get("name") or "")
    if sku.upper().endswith(ZONE_REDUNDANT_SKU_SUFFIXES):
        raise ValidationError("staging storage account %s is zone-redundant (%s), which Azure Backup cannot stage a "
                              "restore in: use a locally or geo-redundant account (for example Standard_LRS)"
                              % (_name_of(storage_account_id), sku), option="staging_storage_account")
    if sku.lower().startswith("premium"):
        raise ValidationError("staging storage account %s is a premium account (%s), which Azure Backup cannot stage "
                              "a restore in: use a standard account (for example Standard_LRS)"
                              % (_name_of(storage_account_id), sku), option="staging_storage_account")
    return sa


def check_resources(cache, targets, restore_type, source_vm_id, secondary=False):
    """The pre-flight checks that read the target resources (each GET once per run)."""
    check_storage_account(cache, targets.storage_account_id, targets.region, secondary=secondary)
    if targets.resource_group_id and cache.get(targets.resource_group_id, RESOURCE_GROUP_API_VERSION) is None:
        raise ValidationError("target resource group %s does not exist" % targets.resource_group_name,
                              option="target_resource_group", azure_error=cache.not_found(targets.resource_group_id))
    if restore_type == "replace_disks":
        if cache.get(source_vm_id, COMPUTE_API_VERSION) is None:
            raise ValidationError("restore_type=replace_disks replaces the disks of the source VM, but %s does not "
                                  "exist (any more): use restore_type=new_vm or restore_disks" % source_vm_id,
                                  option="restore_type", azure_error=cache.not_found(source_vm_id))
    if restore_type == "new_vm":
        if cache.get(targets.vm_id, COMPUTE_API_VERSION) is not None:
            raise ValidationError("a VM named %s already exists in resource group %s: choose a free target_vm_name "
                                  "(restore_type=new_vm creates a VM)" % (targets.vm_name, targets.resource_group_name),
                                  option="target_vm_name")
        vnet = cache.get(targets.virtual_network_id, NETWORK_API_VERSION)
        if vnet is None:
            raise ValidationError("target virtual network %s does not exist" % targets.virtual_network_id,
                                  option="target_virtual_network",
                                  azure_error=cache.not_found(targets.virtual_network_id))
        if vnet.get("location") and normalize_region(vnet["location"]) != normalize_region(targets.region):
            raise ValidationError("target virtual network %s is in %s, but the new VM is created in %s"
                                  % (_name_of(targets.virtual_network_id), vnet["location"], targets.region),
                                  option="target_virtual_network")
        subnets = (vnet.get("properties") or {}).get("subnets")
        if subnets is not None:
            found = any(_same(s.get("name"), _name_of(targets.subnet_id)) for s in subnets)
        else:
            found = cache.get(targets.subnet_id, NETWORK_API_VERSION) is not None
        if not found:
            raise ValidationError("subnet %s does not exist in virtual network %s"
                                  % (_name_of(targets.subnet_id), _name_of(targets.virtual_network_id)),
                                  option="target_subnet", azure_error=cache.not_found(targets.subnet_id))


def _recommendations(result):
    return " [%s]" % " ".join(result["recommendations"]) if result.get("recommendations") else ""


def validate_with_azure(client, vault_id, recovery_point_resource_id, request, api_version=PRIMARY_API_VERSION):
    """Azure's own pre-flight (backupValidateOperation); raises AzureValidationError with its findings."""
    body = {"id": recovery_point_resource_id,
            "properties": {"objectType": "ValidateIaasVMRestoreOperationRequest", "restoreRequest": request}}
    try:
        resp = client.post(vault_id + "/backupValidateOperation", api_version=api_version, json=body, ok=(200,),
                           idempotent=True)
    except AzureApiError as e:
        raise e.with_context("Azure refused to validate the restore request")
    results = ((resp.body or {}).get("validateOperationResponse") or {}).get("validationResults") or []
    # "Another operation is in progress" is no fault of the request: the restore request itself
    # meets it too, and then attaches to that operation's job when it is the same restore.
    results = [r for r in results if (r.get("code") or "").lower() not in
               [c.lower() for c in IN_PROGRESS_ERROR_CODES]]
    if results:
        found = [dict(code=r.get("code"), message=r.get("message"),
                      recommendations=list(r.get("recommendations") or [])) for r in results]
        text = "; ".join("(%s) %s%s" % (r["code"], r["message"], _recommendations(r)) for r in found)
        raise AzureValidationError("Azure's validation of the restore request failed: %s" % text, results=found,
                                   request_id=resp.request_id, correlation_id=resp.correlation_id)
    return resp.body


# --------------------------------------------------------------------------------------------
# Restore outputs


_DISK_ID_RE = re.compile(r"/subscriptions/[^/\s,;\"']+/resourceGroups/[^/\s,;\"']+/providers/Microsoft\.Compute/disks/"
                         r"[^/\s,;\"']+", re.I)


def restore_outputs(job):
    """What a restore-disks job tells about what it made (from its propertyBag), for the next task.

    Azure's property bag has no documented key for the restored disks; any managed disk id found in
    its values is returned (none today: the ARM template names them).
    """
    job = job or {}
    bag = (job.get("extended_info") or {}).get("property_bag") or {}
    disks = []
    for key in sorted(bag):
        for disk_id in _DISK_ID_RE.findall(str(bag[key] or "")):
            if disk_id not in disks:
                disks.append(disk_id)
    return dict(restored_disks=disks, config_blob_uri=job.get("config_blob_uri"),
                template_blob_uri=job.get("template_blob_uri"))


# --------------------------------------------------------------------------------------------
# Cross-region restore access token


def jwt_expiry(token):
    """The ``exp`` claim (seconds since the epoch) of a JWT, or None when it is no JWT."""
    if not token or not isinstance(token, str) or token.count(".") < 2:
        return None
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))
    except (ValueError, TypeError, UnicodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def access_details_problem(details, recovery_point_id, now=None, margin=TOKEN_EXPIRY_MARGIN):
    """Why given access details cannot be used (a short text), or None when they can."""
    if not isinstance(details, dict) or not details.get("accessTokenString"):
        return "they hold no accessTokenString"
    if details.get("recoveryPointId") and str(details["recoveryPointId"]) != str(recovery_point_id):
        return "they are for recovery point %s, not %s" % (details["recoveryPointId"], recovery_point_id)
    exp = jwt_expiry(details["accessTokenString"])
    now = time.time() if now is None else now
    if exp is not None and exp <= now + margin:
        return "the token expired" if exp <= now else "the token expires in %d s" % int(exp - now)
    return None


def crr_enabled(vault):
    """Is cross-region restore enabled on a vault resource (raw)?"""
    props = (vault or {}).get("properties") or {}
    redundancy = props.get("redundancySettings") or {}
    value = redundancy.get("crossRegionRestore")
    if value is None:
        return None
    return str(value).lower() == "enabled"


# --------------------------------------------------------------------------------------------
# Jobs of the primary and of the secondary region


class PrimaryJobs(object):
    """Restore jobs of a vault in its own region."""

    operation = "Restore"

    def __init__(self, client, vault_id, api_version=PRIMARY_API_VERSION):
        self.client = client
        self.vault_id = vault_id
        self.api_version = api_version

    def list(self, since=None):
        raw = bk.list_jobs(self.client, self.vault_id, api_version=self.api_version, operation=self.operation,
                           start=bk.parse_time(since) if since else None)
        return [bk.normalize_job(j) for j in raw]

    def get(self, job_id):
        return bk.normalize_job(bk.get_job(self.client, self.vault_id, job_id, api_version=self.api_version))

    def running(self):
        """The vault's running jobs of any operation (a backup, too)."""
        raw = bk.list_jobs(self.client, self.vault_id, api_version=self.api_version, status="InProgress")
        return [bk.normalize_job(j) for j in raw]


class CrrJobs(object):
    """Cross-region restore jobs of a vault, read in the secondary region."""

    operation = "CrossRegionRestore"

    def __init__(self, client, subscription_id, region, vault_id, api_version=CRR_API_VERSION):
        self.client = client
        self.subscription_id = subscription_id
        self.region = region
        self.vault_id = vault_id
        self.api_version = api_version

    def list(self, since=None):
        raw = bk.list_crr_jobs(self.client, self.subscription_id, self.region, self.vault_id,
                               api_version=self.api_version, operation=self.operation,
                               start=bk.parse_time(since) if since else None)
        return [bk.normalize_job(j) for j in raw]

    def get(self, job_id):
        return bk.normalize_job(bk.get_crr_job(self.client, self.subscription_id, self.region, self.vault_id, job_id,
                                               api_version=self.api_version))

    def running(self):
        """The vault's running jobs of any operation in the secondary region."""
        raw = bk.list_crr_jobs(self.client, self.subscription_id, self.region, self.vault_id,
                               api_version=self.api_version, status="InProgress")
        return [bk.normalize_job(j) for j in raw]


# --------------------------------------------------------------------------------------------
# The runner


class RestoreCall(object):
    """One restore to run: the POST (url, api-version, body), how to recognise its job, what it is."""

    def __init__(self, url, body, api_version, criteria, since, description):
        self.url = url
        self.body = body
        self.api_version = api_version
        self.criteria = criteria
        self.since = since
        self.description = description


class RestoreOutcome(object):
    def __init__(self, changed, attached=False, job=None, job_id=None, operation_url=None, location_url=None,
                 warnings=None, attached_reason=None):
        self.changed = changed
        self.attached = attached
        self.job = job
        self.job_id = job_id
        self.operation_url = operation_url
        self.location_url = location_url
        self.warnings = warnings or []
        self.attached_reason = attached_reason
        self.retry_after = None

    def as_dict(self):
        return dict(changed=self.changed, job=self.job, job_id=self.job_id, operation_url=self.operation_url)


def is_ambiguous(err):
    """Might Azure have acted on the request that failed this way (no answer, a 5xx, a timeout)?"""
    if isinstance(err, AzureConnectionError):
        return True
    if isinstance(err, AzureApiError):
        return err.status_code is None or err.status_code >= 500 or err.status_code == 408
    return False


def is_in_progress_error(err):
    if not isinstance(err, AzureApiError) or err.status_code not in (400, 409):
        return False
    code = (err.error_code or "").lower()
    if code in [c.lower() for c in IN_PROGRESS_ERROR_CODES]:
        return True
    return "anotheroperationinprogress" in code or "inprogress" in code and "operation" in code


class RestoreRunner(object):
    """Idempotent trigger, lost-response handling, operation following and job waiting."""

    def __init__(self, client, jobs, sleep=time.sleep, clock=time.monotonic, lookups=LOOKUPS,
                 lookup_interval=LOOKUP_INTERVAL, post_attempts=POST_ATTEMPTS, fix_refusal=None):
        """``fix_refusal(err)``: called once when Azure refuses the restore request clearly (4xx);
        returns True when it changed ``call.body`` so that sending it again can succeed (a CRR
        access token that expired on the way)."""
        self.client = client
        self.fix_refusal = fix_refusal
        self.jobs = jobs
        self.sleep = sleep
        self.clock = clock
        self.lookups = lookups
        self.lookup_interval = lookup_interval
        self.post_attempts = post_attempts
        self.known_ids = set()

    # -- job search

    def _list(self, since):
        try:
            return self.jobs.list(since)
        except AzureApiError as e:
            raise e.with_context("Failed to list the vault's %s jobs" % self.jobs.operation)

    def find_existing(self, call):
        """The earlier restore of the same thing (running or completed), or None; remembers the ids seen."""
        jobs = self._list(call.since)
        self.known_ids.update(j.get("job_id") for j in jobs if j.get("job_id"))
        return bk.find_restore_job(jobs, **call.criteria)

    def look_for_new_job(self, call, polls=None, patience=0):
        """A matching job not seen before the POST, polling the job list a few times.

        ``patience`` (seconds): go on looking that long (the interval growing) unless a running
        restore job of the same VM that is not this restore shows up, which explains Azure's
        "another operation is in progress" otherwise.
        """
        polls = max(1, self.lookups if polls is None else polls)
        start = self.clock()
        interval = self.lookup_interval
        i = 0
        while True:
            if i:
                self.sleep(interval)
                if i >= polls:
                    interval = min(interval * BACKOFF, OPERATION_MAX_INTERVAL)
            listed = self._list(call.since)
            jobs = [j for j in listed if j.get("job_id") not in self.known_ids]
            job = bk.find_restore_job(jobs, **call.criteria)
            if job:
                return job
            i += 1
            if i < polls:
                continue
            left = patience - (self.clock() - start)
            if left <= 0 or self._item_busy(call, listed):
                return None
            interval = min(interval, left)

    def _item_busy(self, call, listed):
        """Is another job of the same VM running (another restore, a backup...)? Then it, not an
        operation still without a job, is what Azure's "another operation in progress" means."""
        vm = call.criteria.get("vm_name")

        def other(job):
            return bk.job_is_running(job) and _same(job.get("entity"), vm) and \
                not bk.match_restore_job(job, **call.criteria)
        if any(other(j) for j in listed):
            return True
        running = getattr(self.jobs, "running", None)
        if running is None:
            return False
        try:
            return any(other(j) for j in running())
        except AzureApiError:
            return False

    def _started_meanwhile(self, call):
        job = self.look_for_new_job(call, polls=1)
        if job is None:
            return None
        return RestoreOutcome(False, attached=True, job=job, job_id=job.get("job_id"),
                              attached_reason="another run started the same restore")

    # -- trigger

    def trigger(self, call, patience=0):
        """POST the restore once (more only when Azure certainly did not act); returns a RestoreOutcome.

        ``patience``: how long to wait for the job of an operation Azure says is in progress on the
        item (see ``look_for_new_job``).
        """
        attempt = 0
        lost = False
        while True:
            attempt += 1
            try:
                resp = self.client.post(call.url, api_version=call.api_version, json=call.body, ok=(200, 202),
                                        idempotent=False)
            except (AzureApiError, AzureConnectionError) as e:
                if is_in_progress_error(e):
                    job = self.look_for_new_job(call, patience=patience)
                    if job:
                        # After a lost answer, the operation in progress is most likely our own.
                        return RestoreOutcome(lost, attached=True, job=job, job_id=job.get("job_id"),
                                              attached_reason="the answer to the restore request was lost; "
                                              "found its job" if lost else "another run started the same restore")
                    raise e.with_context("Azure refused to %s: another operation is in progress on the item"
                                         % call.description)
                if not is_ambiguous(e):
                    if isinstance(e, AzureApiError):
                        fix, self.fix_refusal = self.fix_refusal, None
                        if fix is not None and fix(e):
                            attempt -= 1
                            continue
                        raise e.with_context("Failed to %s" % call.description)
                    raise
                job = self.look_for_new_job(call)
                if job:
                    return RestoreOutcome(True, attached=True, job=job, job_id=job.get("job_id"),
                                          attached_reason="the answer to the restore request was lost; found its job")
                lost = True
                if attempt >= self.post_attempts:
                    if isinstance(e, AzureApiError):
                        raise e.with_context("Failed to %s (no restore job appeared after the failed request, "
                                             "tried %d times)" % (call.description, attempt))
                    raise AzureConnectionError(
                        "Failed to %s: the request lost its connection before Azure answered, %d times, and no "
                        "restore job appeared after it (%s)" % (call.description, attempt, e.reason or e.msg),
                        method=e.method, url=e.url, attempts=attempt, reason=e.reason)
                continue
            urls = _poller.operation_urls(resp)
            outcome = RestoreOutcome(True, operation_url=urls["async_url"], location_url=urls["location_url"])
            outcome.retry_after = urls["retry_after"]
            return outcome

    # -- operation and job

    def follow_operation(self, outcome, call, timeout, interval=None):
        """Poll the 202's Azure-AsyncOperation (verbatim) until it names the job; returns the job id."""
        if not outcome.operation_url and not outcome.location_url:
            job = self.look_for_new_job(call)
            if job:
                return job.get("job_id")
            raise AzBackupError("Azure accepted the request to %s but named no operation to follow and no job "
                                "appeared" % call.description)
        try:
            result = _poller.poll_operation(
                self.client, async_url=outcome.operation_url, location_url=outcome.location_url, timeout=timeout,
                interval=interval if interval else OPERATION_INTERVAL,
                min_interval=min(interval, _poller.DEFAULT_MIN_INTERVAL) if interval else _poller.DEFAULT_MIN_INTERVAL,
                max_interval=interval if interval else OPERATION_MAX_INTERVAL,
                backoff=1.0 if interval else BACKOFF, sleep=self.sleep, clock=self.clock,
                retry_after=None if interval else outcome.retry_after)
        except OperationFailedError as e:
            raise OperationFailedError(
                "Failed to %s: the operation ended %s: (%s) %s"
                % (call.description, e.status, e.error_code, e.error_message or "no message"),
                operation_url=e.operation_url, status=e.status, error_code=e.error_code,
                error_message=e.error_message, body=e.body)
        except OperationTimeoutError as e:
            raise OperationTimeoutError(
                "Timed out after %ss waiting for the operation of the request to %s (last status %s); operation "
                "%s. Run again to resume: the task attaches to the restore it started"
                % (_secs(e.elapsed), call.description, e.last_status, redact_url(outcome.operation_url or
                                                                                 outcome.location_url)),
                operation_url=outcome.operation_url or outcome.location_url, last_status=e.last_status,
                elapsed=e.elapsed)
        body = result.body if isinstance(result.body, dict) else {}
        job_id = (body.get("properties") or {}).get("jobId")
        if job_id:
            return job_id
        job = self.look_for_new_job(call)
        if job:
            return job.get("job_id")
        raise AzBackupError("The operation of the request to %s ended %s without naming its job, and no new job "
                            "was found" % (call.description, result.status))

    def get_job(self, job_id):
        try:
            return self.jobs.get(job_id)
        except AzureApiError as e:
            raise e.with_context("Failed to read job %s" % job_id)

    def wait_for_job(self, job_id, timeout, interval=None, operation_url=None, description="restore", job=None):
        """Wait until the job ends; returns it (Completed, CompletedWithWarnings) or raises."""
        state = dict(job=job)

        def fetch():
            state["job"] = self.get_job(job_id)
            return state["job"]

        if job is None or not bk.job_is_terminal(job):
            first = interval if interval else JOB_INTERVAL
            backoff = 1.0 if interval else BACKOFF
            # With the job just read, the first poll waits one interval.
            result = _poller.wait_until(
                fetch, bk.job_is_terminal, timeout=timeout,
                interval=first * backoff if job is not None else first,
                min_interval=min(first, _poller.DEFAULT_MIN_INTERVAL),
                max_interval=interval if interval else JOB_MAX_INTERVAL,
                backoff=backoff, sleep=self.sleep, clock=self.clock,
                initial_delay=first if job is not None else None)
            if not result.done:
                last = result.last or state["job"] or {}
                raise OperationTimeoutError(
                    "Timed out after %ss waiting for %s job %s (last status %s%s)%s. Run again to resume: the "
                    "task attaches to the running job" % (
                        _secs(result.elapsed), description, job_id, last.get("status"),
                        _progress(last), "; operation %s" % redact_url(operation_url) if operation_url else ""),
                    operation_url=operation_url, job_id=job_id, last_status=last.get("status"),
                    elapsed=result.elapsed, last=last)
            job = result.last
        return check_job(job, description, operation_url)

    def run(self, call, force=False, wait="operation", wait_timeout=3600, poll_interval=None, check_mode=False,
            preflight=None):
        """The whole restore: search, pre-flight, trigger, follow; returns a RestoreOutcome.

        ``preflight()`` runs only when a new restore is to start (not when attaching to an earlier
        one, whose own run checked it, and whose results, a VM or rehydrated point, would now make
        the checks fail).
        """
        if wait not in WAIT_MODES:
            raise ValidationError("wait must be one of %s" % ", ".join(WAIT_MODES), option="wait")
        wait_timeout = 3600 if wait_timeout is None else wait_timeout
        start = self.clock()
        existing = self.find_existing(call)
        if existing and not force:
            outcome = RestoreOutcome(False, attached=True, job=existing, job_id=existing.get("job_id"),
                                     attached_reason="an earlier run started the same restore")
        else:
            outcome = None
            if preflight is not None:
                try:
                    preflight()
                except ValidationError:
                    # A concurrent run may have started (or finished) the same restore since the
                    # search, and made a check fail (the new VM exists now...): look once more.
                    outcome = None if force else self._started_meanwhile(call)
                    if outcome is None:
                        raise
                if outcome is None and not force and not check_mode:
                    # The checks took a while: look once more just before the request.
                    outcome = self._started_meanwhile(call)
            if outcome is None:
                if check_mode:
                    return RestoreOutcome(True)
                patience = 0 if wait == "none" else \
                    min(IN_PROGRESS_PATIENCE, max(0.0, wait_timeout - (self.clock() - start)))
                outcome = self.trigger(call, patience=patience)
        try:
            if outcome.job_id is None and wait != "none":
                remaining = max(0.0, wait_timeout - (self.clock() - start))
                outcome.job_id = self.follow_operation(outcome, call, remaining, poll_interval)
            if outcome.job_id and outcome.job is None:
                outcome.job = self.get_job(outcome.job_id)
            if wait == "job" and outcome.job_id and not check_mode:
                remaining = max(0.0, wait_timeout - (self.clock() - start))
                outcome.job = self.wait_for_job(outcome.job_id, remaining, poll_interval, outcome.operation_url,
                                                call.description, job=outcome.job)
            if outcome.job and outcome.job.get("status") == "CompletedWithWarnings":
                outcome.warnings.append(warning_text(outcome.job, call.description))
            elif outcome.job and bk.job_is_terminal(outcome.job) and wait != "none":
                check_job(outcome.job, call.description, outcome.operation_url)
        except AzBackupError as e:
            # The restore runs (or ran): say which, so that the failure can be followed up.
            e.restore_outcome = outcome
            if not isinstance(e, (OperationFailedError, OperationTimeoutError)):
                # Azure or the network failed while the task followed the restore (retries
                # exhausted): the restore itself goes on, and a re-run attaches to it.
                e._set_msg("%s, but following it failed: %s. The restore may still be running: run the task again "
                           "to attach to it (or follow it with azbackup.restore.restore_job_info)"
                           % (_what_runs(outcome, call), e.msg))
            raise
        return outcome


def _what_runs(outcome, call):
    if outcome.attached:
        return "Attached to job %s (%s)" % (outcome.job_id, call.description)
    if outcome.job_id:
        return "Started to %s (job %s)" % (call.description, outcome.job_id)
    return "Started to %s (operation %s)" % (call.description,
                                             redact_url(outcome.operation_url or outcome.location_url) or "unknown")


def failure_extras(err):
    """Extra fail_json keys for an error raised after a restore started (or with a partial result)."""
    out = dict(getattr(err, "partial_result", None) or {})
    outcome = getattr(err, "restore_outcome", None)
    if outcome is not None:
        out["changed"] = outcome.changed
        out["attached"] = outcome.attached
        job_id = outcome.job_id or getattr(err, "job_id", None)
        if job_id:
            out["job_id"] = job_id
        if outcome.job or getattr(err, "job", None):
            out["job"] = getattr(err, "job", None) or outcome.job
        if outcome.operation_url:
            out["operation_url"] = redact_url(outcome.operation_url)
    return out


def _secs(value):
    try:
        return "%d" % round(float(value))
    except (TypeError, ValueError):
        return "?"


def _progress(job):
    pct = ((job or {}).get("extended_info") or {}).get("progress_percentage")
    return ", %s%% done" % pct if pct is not None else ""


def _errors_text(job):
    parts = []
    for e in job.get("error_details") or []:
        parts.append("(%s) %s" % (e.get("code"), e.get("message") or e.get("title") or "no message"))
    dyn = (job.get("extended_info") or {}).get("dynamic_error_message")
    if dyn:
        parts.append(dyn)
    return "; ".join(parts)


def warning_text(job, description="restore"):
    text = _errors_text(job)
    return "%s job %s completed with warnings%s" % (description[:1].upper() + description[1:], job.get("job_id"),
                                                    ": " + text if text else "")


def check_job(job, description="restore", operation_url=None):
    """A terminal job: returned when it succeeded, else RestoreJobError with Azure's code and message."""
    status = job.get("status")
    if status == "Failed":
        text = _errors_text(job) or "Azure gave no error details"
        raise RestoreJobError("Restore job %s (%s) failed: %s" % (job.get("job_id"), description, text), job=job,
                              operation_url=operation_url)
    if status in ("Cancelled", "Cancelling"):
        raise RestoreJobError("Restore job %s (%s) was cancelled" % (job.get("job_id"), description), job=job,
                              operation_url=operation_url)
    return job
