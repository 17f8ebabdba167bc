# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The checks before a restore: the options alone, against the recovery point, against the target
resources, then Azure's own validation. Each refusal is a ValidationError naming the option.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import same_name
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import needs_rehydration
from ansible_collections.azbackup.restore.plugins.module_utils._restore_request import (
    check_extra_properties,
    rehydration_duration,
    wants_rehydration,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_targets import TARGET_VM_OPTIONS, is_id, name_of
from ansible_collections.azbackup.restore.plugins.module_utils._vault import normalize_region

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


def check_restore_type(params, restore_type, allowed):
    """The target options each restore type takes and needs."""
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
        if "target_virtual_network" in missing and is_id(params.get("target_subnet")):
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


def check_disks_and_identity(params):
    """disk_luns, restore_os_disk_only and identity on their own."""
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
    if params.get("rehydration_duration") is not None:
        rehydration_duration(params["rehydration_duration"])


def check_options(params, restore_type, flavour):
    """Refuse option combinations before any request; ValidationError names the option."""
    check_restore_type(params, restore_type, flavour.restore_types)
    if not flavour.can_rehydrate and wants_rehydration(params):
        raise ValidationError("a cross-region restore cannot restore archive-tier recovery points, so it takes no "
                              "rehydration options", option="rehydration_priority")
    check_disks_and_identity(params)
    check_extra_properties(params.get("extra_properties"), flavour.request_properties, flavour.api_version)


def check_point(point, params, restore_type, can_rehydrate=True):
    """Pre-flight checks of the options against the (normalized) recovery point."""
    luns = params.get("disk_luns") or []
    have = point.get("disk_luns") or []
    missing = sorted(set(int(x) for x in luns) - set(have))
    if missing:
        raise ValidationError("disk_luns %s %s not in recovery point %s (it holds the data disks with LUNs %s)"
                              % (", ".join(str(x) for x in missing), "is" if len(missing) == 1 else "are",
                                 point.get("name"), ", ".join(str(x) for x in have) or "none"),
                              option="disk_luns")
    rehydrate = wants_rehydration(params)
    if needs_rehydration(point):
        if not can_rehydrate:
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
    sa = cache.get(storage_account_id, api.STORAGE)
    if sa is None:
        raise ValidationError("staging storage account %s does not exist" % storage_account_id,
                              option="staging_storage_account", azure_error=cache.not_found(storage_account_id))
    location = sa.get("location")
    if location and normalize_region(location) != normalize_region(region):
        raise ValidationError(
            "staging storage account %s is in %s, but the restore runs in %s (%s): a restore stages its data in a "
            "storage account of the region it restores to" % (
                name_of(storage_account_id), location, region,
                "the vault's secondary region" if secondary else "the vault's region"),
            option="staging_storage_account")
    sku = ((sa.get("sku") or {}).get("name") or "")
    if sku.upper().endswith(ZONE_REDUNDANT_SKU_SUFFIXES):
        raise ValidationError("staging storage account %s is zone-redundant (%s), which Azure Backup cannot stage a "
                              "restore in: use a locally or geo-redundant account (for example Standard_LRS)"
                              % (name_of(storage_account_id), sku), option="staging_storage_account")
    if sku.lower().startswith("premium"):
        raise ValidationError("staging storage account %s is a premium account (%s), which Azure Backup cannot stage "
                              "a restore in: use a standard account (for example Standard_LRS)"
                              % (name_of(storage_account_id), sku), option="staging_storage_account")
    return sa


def check_resources(cache, targets, restore_type, source_vm_id, secondary=False):
    """The pre-flight checks that read the target resources (each GET once per run)."""
    check_storage_account(cache, targets.storage_account_id, targets.region, secondary=secondary)
    if targets.resource_group_id and cache.get(targets.resource_group_id, api.RESOURCE_GROUP) is None:
        raise ValidationError("target resource group %s does not exist" % targets.resource_group_name,
                              option="target_resource_group", azure_error=cache.not_found(targets.resource_group_id))
    if restore_type == "replace_disks":
        if cache.get(source_vm_id, api.COMPUTE) is None:
            raise ValidationError("restore_type=replace_disks replaces the disks of the source VM, but %s does not "
                                  "exist (any more): use restore_type=new_vm or restore_disks" % source_vm_id,
                                  option="restore_type", azure_error=cache.not_found(source_vm_id))
    if restore_type == "new_vm":
        if cache.get(targets.vm_id, api.COMPUTE) is not None:
            raise ValidationError("a VM named %s already exists in resource group %s: choose a free target_vm_name "
                                  "(restore_type=new_vm creates a VM)" % (targets.vm_name, targets.resource_group_name),
                                  option="target_vm_name")
        vnet = cache.get(targets.virtual_network_id, api.NETWORK)
        if vnet is None:
            raise ValidationError("target virtual network %s does not exist" % targets.virtual_network_id,
                                  option="target_virtual_network",
                                  azure_error=cache.not_found(targets.virtual_network_id))
        if vnet.get("location") and normalize_region(vnet["location"]) != normalize_region(targets.region):
            raise ValidationError("target virtual network %s is in %s, but the new VM is created in %s"
                                  % (name_of(targets.virtual_network_id), vnet["location"], targets.region),
                                  option="target_virtual_network")
        subnets = (vnet.get("properties") or {}).get("subnets")
        if subnets is not None:
            found = any(same_name(s.get("name"), name_of(targets.subnet_id)) for s in subnets)
        else:
            found = cache.get(targets.subnet_id, api.NETWORK) is not None
        if not found:
            raise ValidationError("subnet %s does not exist in virtual network %s"
                                  % (name_of(targets.subnet_id), name_of(targets.virtual_network_id)),
                                  option="target_subnet", azure_error=cache.not_found(targets.subnet_id))


def _recommendations(result):
    return " [%s]" % " ".join(result["recommendations"]) if result.get("recommendations") else ""


def validate_with_azure(client, vault_id, recovery_point_resource_id, request, api_version=api.BACKUP):
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
