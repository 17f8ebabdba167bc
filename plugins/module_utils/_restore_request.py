# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The restore request: the options every restore takes, and the IaasVMRestoreRequest they make.

Internal to this collection: not a public API, may change at any time.

A new restore option costs one entry in ``RESTORE_ARGSPEC`` (and its twin in the doc fragment
azbackup.restore.restore_target), one step in ``build_request``, its name in ``OWNED_PROPERTIES``
when it sets a body property, and its checks in ``_restore_checks``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import RESTORE_TYPES

# The options of every restore (vm_restore and crr_restore); the doc fragment
# azbackup.restore.restore_target documents them (the two must not drift).
RESTORE_ARGSPEC = dict(
    staging_storage_account=dict(type="str", required=True),
    staging_storage_account_resource_group=dict(type="str"),
    target_resource_group=dict(type="str"),
    target_vm_name=dict(type="str"),
    target_virtual_network=dict(type="str"),
    target_virtual_network_resource_group=dict(type="str"),
    target_subnet=dict(type="str"),
    disk_luns=dict(type="list", elements="int"),
    restore_os_disk_only=dict(type="bool", default=False),
    target_zone=dict(type="str"),
    disk_encryption_set_id=dict(type="str"),
    restore_as_unmanaged_disks=dict(type="bool", default=False),
    identity=dict(type="dict", options=dict(
        type=dict(type="str", default="system_assigned", choices=["system_assigned", "user_assigned"]),
        id=dict(type="str"),
    )),
    target_subscription_id=dict(type="str"),
    use_original_storage_account=dict(type="bool", default=False),
    extra_properties=dict(type="dict"),
    force=dict(type="bool", default=False),
)

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
OWNED_PROPERTIES = ("objectType", "recoveryPointId", "recoveryType", "sourceResourceId", "storageAccountId",
                    "region", "targetResourceGroupId", "targetVirtualMachineId", "virtualNetworkId", "subnetId",
                    "restoreDiskLunList", "zones", "diskEncryptionSetId", "identityInfo",
                    "identityBasedRestoreDetails", "originalStorageAccountOption", "targetDiskNetworkAccessSettings",
                    "securedVMDetails", "extendedLocation", "recoveryPointRehydrationInfo",
                    "resourceGuardOperationRequests")

# The CLI's --disk-access-option values (TargetDiskNetworkAccessOption, a closed enum in the swagger).
DISK_ACCESS_OPTIONS = ("SameAsOnSourceDisks", "EnablePrivateAccessForAllDisks", "EnablePublicAccessForAllDisks")


def check_extra_properties(extra, allowed, api_version):
    """extra_properties may only name ``allowed`` request properties that the options do not set."""
    if not extra:
        return
    unknown = sorted(k for k in extra if k not in allowed)
    if unknown:
        raise ValidationError(
            "extra_properties has %s, which %s of IaasVMRestoreRequest (api-version %s); the properties it may "
            "set: %s" % (", ".join(unknown), "is not a property" if len(unknown) == 1 else "are not properties",
                         api_version, ", ".join(k for k in allowed if k not in OWNED_PROPERTIES)),
            option="extra_properties")
    owned = sorted(k for k in extra if k in OWNED_PROPERTIES)
    if owned:
        raise ValidationError("extra_properties may not set %s: the module's options set %s"
                              % (", ".join(owned), "it" if len(owned) == 1 else "them"), option="extra_properties")


def rehydration_duration(days):
    """The ISO 8601 duration of ``rehydration_duration`` (days, 10 to 30), or None."""
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


def wants_rehydration(params):
    return bool(params.get("rehydration_priority") or params.get("rehydration_duration"))


def _identity_info(identity):
    kind = identity.get("type") or "system_assigned"
    info = {"isSystemAssignedIdentity": kind == "system_assigned"}
    if not info["isSystemAssignedIdentity"]:
        info["managedIdentityResourceId"] = identity["id"]
    return info


def edge_zone(point):
    """The point's ``extendedLocation`` when its VM was in an edge zone, else None."""
    location = (point.get("properties") or {}).get("extendedLocation") or {}
    if location.get("name"):
        return dict((k, location[k]) for k in ("name", "type") if location.get(k))
    return None


def build_request(params, restore_type, point, source_vm_id, targets):
    """The IaasVMRestoreRequest for these options (the ``properties`` of a restore POST body)."""
    target_rg = targets.resource_group_id
    if restore_type == "restore_disks" and params.get("restore_as_unmanaged_disks"):
        target_rg = None
    rehydrate = wants_rehydration(params)
    body = {
        "objectType": "IaasVMRestoreWithRehydrationRequest" if rehydrate else "IaasVMRestoreRequest",
        "recoveryPointId": point.get("name"),
        "recoveryType": RESTORE_TYPES[restore_type],
        "sourceResourceId": source_vm_id,
        "storageAccountId": targets.storage_account_id,
        "region": targets.region,
        # Classic-VM semantics; Azure's own examples (and the CLI) send true for RestoreDisks only.
        "createNewCloudService": restore_type == "restore_disks",
        "originalStorageAccountOption": bool(params.get("use_original_storage_account")),
        "encryptionDetails": {"encryptionEnabled": False},
    }
    if target_rg:
        body["targetResourceGroupId"] = target_rg
    if restore_type == "new_vm":
        body.update(targetVirtualMachineId=targets.vm_id, virtualNetworkId=targets.virtual_network_id,
                    subnetId=targets.subnet_id)
    if params.get("restore_os_disk_only"):
        body["restoreDiskLunList"] = []
    elif params.get("disk_luns"):
        body["restoreDiskLunList"] = sorted(int(x) for x in params["disk_luns"])
    if params.get("target_zone") not in (None, ""):
        body["zones"] = [str(params["target_zone"])]
    if params.get("disk_encryption_set_id"):
        body["diskEncryptionSetId"] = params["disk_encryption_set_id"]
    if params.get("identity"):
        # As Microsoft's examples and the CLI build it: the staging account moves from storageAccountId
        # into identityBasedRestoreDetails, which the identity reaches it with.
        body["identityInfo"] = _identity_info(params["identity"])
        body["identityBasedRestoreDetails"] = {"targetStorageAccountId": body.pop("storageAccountId")}
    access = params.get("disk_network_access")
    if access and access.get("option"):
        settings = {"targetDiskNetworkAccessOption": access["option"]}
        if access.get("disk_access_id"):
            settings["targetDiskAccessId"] = access["disk_access_id"]
        body["targetDiskNetworkAccessSettings"] = settings
    if params.get("secured_vm_os_disk_encryption_set_id"):
        body["securedVMDetails"] = {"securedVMOsDiskEncryptionSetId": params["secured_vm_os_disk_encryption_set_id"]}
    location = edge_zone(point)
    if location and (params.get("restore_to_edge_zone") or restore_type == "replace_disks"):
        # The CLI sends the point's edge zone when asked, and always when replacing the disks of an edge zone VM.
        body["extendedLocation"] = location
    if rehydrate:
        body["recoveryPointRehydrationInfo"] = {
            "rehydrationPriority": params.get("rehydration_priority") or "Standard",
            "rehydrationRetentionDuration": rehydration_duration(params.get("rehydration_duration")) or "P15D",
        }
    body.update(params.get("extra_properties") or {})
    if point.get("is_managed") is False and target_rg and restore_type in ("restore_disks", "new_vm"):
        # An unmanaged VM restored with a target resource group gets managed disks.
        body.setdefault("restoreWithManagedDisks", True)
    return body


def match_criteria(item, restore_type, point, targets):
    """What ``_jobs.find_restore_job`` needs to recognise an earlier restore of the same thing."""
    return dict(vm_name=item.vm_name, restore_type=restore_type, recovery_point_time=point.get("time"),
                storage_account_name=targets.storage_account_name,
                target_resource_group=targets.resource_group_name if restore_type != "replace_disks" else None,
                target_vm_name=targets.vm_name if restore_type == "new_vm" else None)
