# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The checks before a restore: the options alone, against the recovery point, against the target
resources, then Azure's own validation. Each refusal is a ValidationError naming the option.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import same_name
from ansible_collections.azbackup.restore.plugins.module_utils._read_once import ReadOnce
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import needs_rehydration
from ansible_collections.azbackup.restore.plugins.module_utils._restore_request import (
    DISK_ACCESS_OPTIONS,
    check_extra_properties,
    edge_zone,
    rehydration_duration,
    wants_rehydration,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_targets import TARGET_VM_OPTIONS, is_id, name_of
from ansible_collections.azbackup.restore.plugins.module_utils._vault import normalize_region

# Storage account SKUs a restore cannot stage in (zone-redundant).
ZONE_REDUNDANT_SKU_SUFFIXES = ("_ZRS", "_GZRS", "_RAGZRS")

# Cross-subscription restore: the vault's restoreSettings.crossSubscriptionRestoreSettings state, and
# what Microsoft's "Restore Azure VM data in the Azure portal" page (section "Cross Subscription Restore
# for Azure VM", https://learn.microsoft.com/azure/backup/backup-azure-arm-restore-vms) rules out: a
# replacement of the source VM's disks (it stays where it is; the CLI applies --target-subscription-id to
# the other restore types only), recovery points in the snapshot tier only, unmanaged VMs and VMs
# encrypted with Azure Disk Encryption.
CSR_SETTING = "restoreSettings.crossSubscriptionRestoreSettings.crossSubscriptionRestoreState"
CSR_REFUSED_STATES = ("disabled", "permanentlydisabled")
CSR_DOC = ("https://learn.microsoft.com/azure/backup/backup-azure-arm-restore-vms"
           "#cross-subscription-restore-for-azure-vm")

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


def _check_id(value, option, namespace, rtype):
    """``value`` must be the resource id of a ``namespace``/``rtype`` resource."""
    try:
        if isinstance(value, str) and value != value.strip():  # the id is read as given, not as parsed
            raise ValueError("resource id %r has leading or trailing whitespace" % value[:200])
        parsed = rid.parse_resource_id(value)
    except ValueError as e:
        raise ValidationError("%s is not a valid resource id: %s" % (option, e), option=option)
    got = "%s/%s" % (parsed.get("namespace") or "", parsed.get("type") or "")
    if got.lower() != ("%s/%s" % (namespace, rtype)).lower() or parsed.get("children"):
        raise ValidationError("%s must be the id of a %s/%s resource, got %r" % (option, namespace, rtype, value),
                              option=option)
    # the id is read as given: its parts must be names Azure gives
    rid.check_segment(parsed["subscription"], "subscription_id", option)
    rid.check_segment(parsed["resource_group"], "resource_group", option)
    rid.check_segment(parsed["name"], "name", option)
    return parsed


def check_new_options(params, restore_type):
    """target_subscription_id, identity, disk_network_access, the confidential VM key and the edge zone alone."""
    sub = params.get("target_subscription_id")
    if sub:
        rid.check_segment(sub, "subscription_id", "target_subscription_id")
        if restore_type == "replace_disks":
            raise ValidationError("target_subscription_id applies to restore_disks and new_vm: restore_type="
                                  "replace_disks replaces the disks of the source VM in its own subscription",
                                  option="target_subscription_id")
        for option in ("target_resource_group", "staging_storage_account", "target_virtual_network", "target_subnet"):
            value = params.get(option)
            if is_id(value) and value.split("/")[2].lower() != sub.lower():
                raise ValidationError("%s is in subscription %s, but target_subscription_id is %s: a "
                                      "cross-subscription restore writes everything to the target subscription"
                                      % (option, value.split("/")[2], sub), option=option)
        if params.get("restore_to_edge_zone"):
            raise ValidationError("restore_to_edge_zone cannot be combined with target_subscription_id (the Azure CLI "
                                  "refuses an edge zone restore to another subscription)",
                                  option="restore_to_edge_zone")
    identity = params.get("identity")
    if identity and identity.get("id"):
        _check_id(identity["id"], "identity", "Microsoft.ManagedIdentity", "userAssignedIdentities")
    access = params.get("disk_network_access")
    if access:
        option, access_id = access.get("option"), access.get("disk_access_id")
        if option not in DISK_ACCESS_OPTIONS:
            raise ValidationError("disk_network_access.option must be one of %s" % ", ".join(DISK_ACCESS_OPTIONS),
                                  option="disk_network_access")
        if option == "EnablePrivateAccessForAllDisks" and not access_id:
            raise ValidationError("disk_network_access.disk_access_id (a Microsoft.Compute/diskAccesses id) is "
                                  "required with option=EnablePrivateAccessForAllDisks", option="disk_network_access")
        if option != "EnablePrivateAccessForAllDisks" and access_id:
            raise ValidationError("disk_network_access.disk_access_id applies to option=EnablePrivateAccessForAllDisks "
                                  "only", option="disk_network_access")
        if access_id:
            _check_id(access_id, "disk_network_access", "Microsoft.Compute", "diskAccesses")
    tenant = params.get("resource_guard_tenant_id")
    if tenant is not None and not re.match(r"^(?:[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}|"
                                           r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+)$", tenant):
        raise ValidationError("resource_guard_tenant_id must be a tenant id (a GUID) or a tenant domain name such as "
                              "contoso.onmicrosoft.com, got %r" % (tenant,), option="resource_guard_tenant_id")
    des = params.get("secured_vm_os_disk_encryption_set_id")
    if des:
        _check_id(des, "secured_vm_os_disk_encryption_set_id", "Microsoft.Compute", "diskEncryptionSets")
    if params.get("use_original_storage_account") and params.get("restore_as_unmanaged_disks"):
        raise ValidationError("use_original_storage_account and restore_as_unmanaged_disks are mutually exclusive",
                              option="use_original_storage_account")


def check_options(params, restore_type, flavour):
    """Refuse option combinations before any request; ValidationError names the option."""
    check_restore_type(params, restore_type, flavour.restore_types)
    if not flavour.can_rehydrate and wants_rehydration(params):
        raise ValidationError("a cross-region restore cannot restore archive-tier recovery points, so it takes no "
                              "rehydration options", option="rehydration_priority")
    check_disks_and_identity(params)
    check_new_options(params, restore_type)
    check_extra_properties(params.get("extra_properties"), flavour.request_properties, flavour.api_version)


def check_point_options(point, params):
    """identity, target_subscription_id, use_original_storage_account, disk_network_access and
    restore_to_edge_zone against the (normalized) recovery point, as the Azure CLI checks them."""
    name = point.get("name")
    props = point.get("properties") or {}
    if params.get("identity") and point.get("is_managed") is False:
        raise ValidationError("recovery point %s is of a VM with unmanaged disks, and a restore with a managed "
                              "identity is not supported for unmanaged VMs: leave identity out" % name,
                              option="identity")
    if params.get("target_subscription_id"):
        if point.get("is_managed") is False:
            why = "of a VM with unmanaged disks"
        elif point.get("is_encrypted"):
            why = "of a VM encrypted with Azure Disk Encryption"
        elif "HardenedRP" not in (point.get("usable_tiers") or []):
            why = "in the snapshot tier only"
        else:
            why = None
        if why:
            raise ValidationError("recovery point %s is %s, which Azure cannot restore to another subscription (%s): "
                                  "leave target_subscription_id out" % (name, why, CSR_DOC),
                                  option="target_subscription_id")
    if params.get("use_original_storage_account"):
        if point.get("is_managed") is not False:
            raise ValidationError("use_original_storage_account applies to VMs with unmanaged disks, and recovery "
                                  "point %s is of a VM with managed disks" % name,
                                  option="use_original_storage_account")
        if not props.get("originalStorageAccountOption"):
            raise ValidationError("recovery point %s cannot restore the disks to their original storage accounts "
                                  "(its originalStorageAccountOption is false): leave use_original_storage_account "
                                  "out to restore them to the staging storage account" % name,
                                  option="use_original_storage_account")
    if "isPrivateAccessEnabledOnAnyDisk" in props:
        private = props.get("isPrivateAccessEnabledOnAnyDisk")
        given = (params.get("disk_network_access") or {}).get("option")
        if private and not given:
            raise ValidationError("recovery point %s has private access enabled on a disk: set "
                                  "disk_network_access.option (SameAsOnSourceDisks, EnablePrivateAccessForAllDisks "
                                  "or EnablePublicAccessForAllDisks)" % name, option="disk_network_access")
        if given and not private:
            raise ValidationError("disk_network_access applies to recovery points with private access enabled on a "
                                  "disk, and recovery point %s has none" % name, option="disk_network_access")
    if params.get("restore_to_edge_zone") and not edge_zone(point):
        raise ValidationError("recovery point %s is not of an edge zone VM (it has no extendedLocation): leave "
                              "restore_to_edge_zone out" % name, option="restore_to_edge_zone")


def check_zone(point, params, vault, secondary=False):
    """A restore to another zone (target_zone), as the Azure CLI checks it: the vault must be
    zone-redundant or have cross-region restore, the point must be in the vault tier and, unless the
    vault is zone-redundant, of a zone-pinned VM and restored in the secondary region."""
    zone = params.get("target_zone")
    if zone in (None, "") or str(zone) not in ("1", "2", "3"):
        return  # no zone, or one Azure's validation refuses with its own words
    if [str(zone)] == [str(z) for z in point.get("zones") or []]:
        return  # the zone the VM was in: no cross-zone restore
    redundancy = ((vault or {}).get("properties") or {}).get("redundancySettings") or {}
    if not redundancy:
        return
    zrs = (redundancy.get("standardTierStorageRedundancy") or "").lower() == "zoneredundant"
    crr = (redundancy.get("crossRegionRestore") or "").lower() == "enabled"
    name = point.get("name")
    if not (zrs or crr):
        raise ValidationError("target_zone needs a zone-redundant vault or a vault with cross-region restore enabled, "
                              "and vault %s is %s without cross-region restore: leave target_zone out"
                              % ((vault or {}).get("name"), redundancy.get("standardTierStorageRedundancy")),
                              option="target_zone")
    if "HardenedRP" not in (point.get("usable_tiers") or []):
        raise ValidationError("target_zone needs a recovery point in the vault tier, and %s is in the %s tier only"
                              % (name, ", ".join(point.get("usable_tiers") or []) or "?"), option="target_zone")
    if not zrs:
        if not point.get("zones"):
            raise ValidationError("target_zone needs a zone-redundant vault or a recovery point of a zone-pinned VM, "
                                  "and recovery point %s has no zone" % name, option="target_zone")
        if not secondary:
            raise ValidationError("target_zone in the vault's own region needs a zone-redundant vault, and vault %s "
                                  "is %s: restore to another zone in the secondary region (crr_restore), or leave "
                                  "target_zone out" % ((vault or {}).get("name"),
                                                       redundancy.get("standardTierStorageRedundancy")),
                                  option="target_zone")


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
    as ``not_found(resource_id)``). Threads may share one: a resource is read once, the others wait for it."""

    def __init__(self, client):
        self.client = client
        self._reads = ReadOnce()
        self._not_found = {}

    def get(self, resource_id, api_version):
        return self._reads.get(resource_id.lower(), lambda: self._read(resource_id, api_version))

    def _read(self, resource_id, api_version):
        try:
            return self.client.get(resource_id, api_version=api_version).body or {}
        except AzureApiError as e:
            if e.status_code != 404:
                raise e.with_context("Failed to read %s" % resource_id)
            self._not_found[resource_id.lower()] = e
            return None

    def not_found(self, resource_id):
        """Azure's answer (an AzureApiError) when ``resource_id`` was not found, else None."""
        return self._not_found.get((resource_id or "").lower())

    def put(self, resource_id, body):
        self._reads.put(resource_id.lower(), body)


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


def check_cross_subscription(vault, params):
    """The vault's cross-subscription restore setting allows a restore to target_subscription_id."""
    sub = params.get("target_subscription_id")
    vault_sub = ((vault or {}).get("id") or "").split("/")[2:3]
    if not sub or (vault_sub and vault_sub[0].lower() == sub.lower()):
        return
    settings = (((vault or {}).get("properties") or {}).get("restoreSettings") or {}).get(
        "crossSubscriptionRestoreSettings") or {}
    state = settings.get("crossSubscriptionRestoreState")
    if state and state.lower() in CSR_REFUSED_STATES:
        raise ValidationError("vault %s does not allow cross-subscription restore (%s is %s)%s: restore in the "
                              "vault's subscription, or have the vault's owner enable it"
                              % ((vault or {}).get("name"), CSR_SETTING, state,
                                 ", and it can never be enabled again" if state.lower() == "permanentlydisabled"
                                 else ""), option="target_subscription_id")


def check_identity(cache, params):
    """A user-assigned identity must exist (the vault restores with it)."""
    identity = params.get("identity") or {}
    if identity.get("id") and cache.get(identity["id"], api.MANAGED_IDENTITY) is None:
        raise ValidationError("user-assigned identity %s does not exist" % identity["id"], option="identity",
                              azure_error=cache.not_found(identity["id"]))


def resource_reads(targets, restore_type, source_vm_id, params=None):
    """The (resource id, api-version) pairs ``check_resources`` reads, to send them early side by side."""
    identity = (params or {}).get("identity") or {}
    reads = [(identity.get("id"), api.MANAGED_IDENTITY), (targets.storage_account_id, api.STORAGE),
             (targets.resource_group_id, api.RESOURCE_GROUP)]
    if restore_type == "replace_disks":
        reads.append((source_vm_id, api.COMPUTE))
    if restore_type == "new_vm":
        reads += [(targets.vm_id, api.COMPUTE), (targets.virtual_network_id, api.NETWORK)]
    return [(resource_id, version) for resource_id, version in reads if resource_id]


def check_resources(cache, targets, restore_type, source_vm_id, secondary=False, params=None):
    """The pre-flight checks that read the target resources (each GET once per run)."""
    check_identity(cache, params or {})
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
