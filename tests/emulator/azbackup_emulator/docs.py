"""Backup documents (protected items, containers, recovery points, jobs, operation status),
built only from properties the swagger defines."""

import datetime as _dt

from . import versions as V
from .util import ZERO_TIME, iso, iso_duration, us_time

ITEM_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems"
RP_TYPE = ITEM_TYPE + "/recoveryPoints"
CONTAINER_TYPE = "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers"
JOB_TYPE = "Microsoft.RecoveryServices/vaults/backupJobs"

TERMINAL_JOB = ("Completed", "CompletedWithWarnings", "Failed", "Cancelled")


def container_path(vault, item):
    return "%s/backupFabrics/Azure/protectionContainers/%s" % (vault["id"], item["container"])


def item_path(vault, item):
    return "%s/protectedItems/%s" % (container_path(vault, item), item["name"])


def rp_path(vault, item, rp):
    return "%s/recoveryPoints/%s" % (item_path(vault, item), rp["name"])


def visible_rps(item, secondary):
    if not secondary:
        return list(item["rps"])
    return [rp for rp in item["rps"] if rp["replicated"] and _usable_in_secondary(rp)]


def _usable_in_secondary(rp):
    return any(t["type"] == "HardenedRP" and t["status"] == "Valid" for t in rp["tiers"])


def item_doc(vault, item, api_version, secondary=False):
    rps = visible_rps(item, secondary)
    newest = rps[0]["time"] if rps else None
    oldest = rps[-1]["time"] if rps else None
    vault_rps = [r for r in rps if any(t["type"] in ("InstantRP", "HardenedRP") and t["status"] == "Valid"
                                       for t in r["tiers"])]
    arch = [r for r in rps if any(t["type"] == "ArchivedRP" for t in r["tiers"])]
    ext = {"recoveryPointCount": len(rps), "policyInconsistent": False}
    if oldest:
        ext["oldestRecoveryPoint"] = iso(oldest)
    if vault_rps:
        ext["oldestRecoveryPointInVault"] = iso(vault_rps[-1]["time"])
    if arch:
        ext["oldestRecoveryPointInArchive"] = iso(arch[-1]["time"])
        ext["newestRecoveryPointInArchive"] = iso(arch[0]["time"])
    props = {
        "friendlyName": item["vm_name"],
        "virtualMachineId": item["vm_id"],
        "protectionStatus": "Healthy" if item.get("health_status", "Passed") == "Passed" else "Unhealthy",
        "protectionState": item.get("protection_state", "Protected"),
        "healthStatus": item.get("health_status", "Passed"),
        "lastBackupStatus": item.get("last_backup_status", "Completed"),
        "protectedItemDataId": item["data_id"],
        "protectedItemType": "Microsoft.Compute/virtualMachines",
        "backupManagementType": "AzureIaasVM",
        "workloadType": "VM",
        "containerName": item["short_container"],
        "sourceResourceId": item["vm_id"],
        "policyId": "%s/backupPolicies/%s" % (vault["id"], item["policy"]),
        "policyName": item["policy"],
        "isArchiveEnabled": bool(arch) or any(
            t["type"] == "ArchivedRP" for r in item["rps"] for t in r["tiers"]),
        "softDeleteRetentionPeriodInDays": int(vault.get("soft_delete_days", 14)),
        "vaultId": vault["id"],
        "extendedInfo": ext,
    }
    if newest:
        props["lastRecoveryPoint"] = iso(newest)
        props["lastBackupTime"] = iso(newest)
    if item.get("excluded_luns"):
        included = sorted({d["lun"] for r in item["rps"][:1] for d in r["snapshot"]["data_disks"]}
                          - set(item["excluded_luns"]))
        props["extendedProperties"] = {"diskExclusionProperties": {
            "diskLunList": included, "isInclusionList": True}}
    doc = {
        "id": item_path(vault, item),
        "name": item["name"],
        "type": ITEM_TYPE,
        "properties": props,
    }
    return V.shape_item(doc, V.profile(api_version))


def container_doc(vault, item, api_version):
    return V.shape_container({
        "id": container_path(vault, item),
        "name": item["container"],
        "type": CONTAINER_TYPE,
        "properties": {
            "friendlyName": item["vm_name"],
            "backupManagementType": "AzureIaasVM",
            "registrationStatus": "Registered",
            "healthStatus": "Healthy",
            "containerType": "Microsoft.Compute/virtualMachines",
            "protectableObjectType": "Microsoft.Compute/virtualMachines",
            "virtualMachineId": item["vm_id"],
            "virtualMachineVersion": "Compute",
            "resourceGroup": item["vm_rg"],
        },
    }, V.profile(api_version))


def rp_doc(vault, item, rp, api_version, secondary=False):
    snap = rp["snapshot"]
    if secondary:
        tiers = [{"type": "HardenedRP", "status": "Valid",
                  "extendedInfo": {"crossRegionRestoreState": "Supported"}}]
    else:
        tiers = []
        for t in rp["tiers"]:
            entry = {"type": t["type"], "status": t["status"]}
            if t.get("extendedInfo"):
                entry["extendedInfo"] = dict(t["extendedInfo"])
            tiers.append(entry)
    disks = {d["lun"]: d for d in snap["data_disks"]}
    included = [{"lun": lun, "name": disks[lun]["name"]} for lun in rp["luns"] if lun in disks]
    excluded = [{"lun": d["lun"], "name": d["name"]} for d in snap["data_disks"] if d["lun"] not in rp["luns"]]
    disk_conf = {
        "numberOfDisksIncludedInBackup": len(included) + 1,
        "numberOfDisksAttachedToVm": len(snap["data_disks"]) + 1,
        "includedDiskList": included,
        "excludedDiskList": excluded,
    }
    props = {
        "objectType": "IaasVMRecoveryPoint",
        "recoveryPointType": rp["type"],
        "recoveryPointTime": iso(rp["time"]),
        "recoveryPointAdditionalInfo": "",
        "sourceVMStorageType": snap["storage_type"],
        "isSourceVMEncrypted": bool(snap["encrypted"]),
        "isInstantIlrSessionActive": bool(rp.get("ilr_session")) and not secondary,
        "recoveryPointTierDetails": tiers,
        "isManagedVirtualMachine": bool(snap["managed"]),
        "virtualMachineSize": snap["size"],
        "originalStorageAccountOption": bool(snap.get("original_storage_account_option")),
        "osType": snap["os_type"],
        "recoveryPointDiskConfiguration": disk_conf,
        "securityType": snap.get("security_type") or "None",
        "recoveryPointProperties": {"expiryTime": iso(rp["expiry"]), "ruleName": rp["rule"],
                                    "isSoftDeleted": False},
        "isPrivateAccessEnabledOnAnyDisk": bool(snap.get("private_disk_access")),
    }
    if snap.get("edge_zone"):
        props["extendedLocation"] = {"name": snap["edge_zone"], "type": "EdgeZone"}
    if snap.get("zone"):
        props["zones"] = [snap["zone"]]
    if snap["encrypted"]:
        props["keyAndSecret"] = {
            "bekDetails": {
                "secretUrl": "https://kv-%s.vault.azure.net/secrets/%s/%s" % (
                    item["vm_rg"].lower()[:12], rp["name"], rp["name"][:8]),
                "secretVaultId": "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.KeyVault/vaults/kv-%s"
                                 % (item["sub"], item["vm_rg"], item["vm_rg"].lower()[:12]),
                "secretData": "",
            },
            "encryptionMechanism": "SinglePass",
        }
    if any(t["type"] == "ArchivedRP" for t in rp["tiers"]) and not secondary:
        props["recoveryPointMoveReadinessInfo"] = {"ArchivedRP": {
            "isReadyForMove": False,
            "additionalInfo": "Recovery point cannot be moved to archive tier since it has already been moved."}}
    doc = {"id": rp_path(vault, item, rp), "name": rp["name"], "type": RP_TYPE, "properties": props}
    prof = V.profile(api_version)
    if secondary and prof == "crr-legacy":
        doc["properties"]["recoveryPointTierDetails"] = [{"type": "HardenedRP", "status": "Valid"}]
    return V.shape_rp(doc, prof)


# ------------------------------------------------------------------ jobs

JOB_TYPE_NAMES = {
    "RestoreDisks": "Recover disks",
    "OriginalLocation": "Replace existing disks",
    "AlternateLocation": "Create new virtual machine",
}


def job_id_path(job, vault):
    if job["operation"] == "CrossRegionRestore":
        return "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/%s/backupJobs/%s" % (
            vault["sub"], job["region"], job["id"])
    return "%s/backupJobs/%s" % (vault["id"], job["id"])


def job_doc(job, vault, now_ts, api_version):
    status = job["status"]
    start = job["start"]
    end = job.get("end")
    elapsed = (end if end is not None else now_ts) - start
    total = max(job["duration"], 0.001)
    frac = min(max(elapsed / total, 0.0), 1.0)
    size = job["size_gb"]
    task_done_at = job.get("task_done_at", 1.0)
    if status in TERMINAL_JOB:
        task_status = {"Completed": "Completed", "CompletedWithWarnings": "Completed",
                       "Failed": "Failed", "Cancelled": "Cancelled"}[status]
        transferred = size if status.startswith("Completed") else int(size * frac)
    elif status == "Cancelling":
        task_status = "Cancelling"
        transferred = int(size * frac)
    else:
        task_status = "Completed" if frac >= task_done_at else "InProgress"
        transferred = size if task_status == "Completed" else int(size * frac)
    task = {
        "taskId": "Transfer data from vault",
        "startTime": iso(_ts(start)),
        "duration": iso_duration(elapsed if task_status != "Completed" or status in TERMINAL_JOB
                                 else total * task_done_at),
        "status": task_status,
        "taskExecutionDetails": "%d GBs / %d GBs Transferred" % (transferred, size),
    }
    if task_status in ("Completed", "Failed", "Cancelled"):
        task["endTime"] = iso(_ts(end if end is not None else start + total * task_done_at))
        task["progressPercentage"] = 100.0 if task_status == "Completed" else round(frac * 100, 1)
    else:
        task["progressPercentage"] = round(frac * 100, 1)
    ext = {
        "tasksList": [task],
        "propertyBag": dict(job["property_bag"]),
        "internalPropertyBag": {"AdHoc": "False", "restoreLocationType": job["recovery_type"]},
    }
    if status in ("InProgress", "Cancelling"):
        pct = round(frac * 100, 1)
        if task_status == "Completed":
            pct = 99.0
        ext["progressPercentage"] = min(pct, 99.0)
        ext["estimatedRemainingDuration"] = iso_duration(max(total - elapsed, 0))
    if status == "Failed" and job.get("error"):
        ext["dynamicErrorMessage"] = job["error"].get("errorString", "")
    props = {
        "jobType": "AzureIaaSVMJob",
        "entityFriendlyName": job["vm_name"],
        "backupManagementType": "AzureIaasVM",
        "operation": job["operation"],
        "status": status,
        "startTime": iso(_ts(start)),
        "activityId": job["activity_id"],
        "duration": iso_duration(elapsed),
        "actionsInfo": ["Cancellable"] if status == "InProgress" else [],
        "virtualMachineVersion": "Compute",
        "extendedInfo": ext,
        "containerName": job["short_container"],
        "isUserTriggered": True,
    }
    if end is not None:
        props["endTime"] = iso(_ts(end))
    if status in ("Failed", "CompletedWithWarnings") and job.get("error"):
        e = job["error"]
        props["errorDetails"] = [{
            "errorCode": int(e.get("errorCode", 0)),
            "errorTitle": e.get("errorTitle", ""),
            "errorString": e.get("errorString", ""),
            "recommendations": list(e.get("recommendations") or []),
        }]
    doc = {"id": job_id_path(job, vault), "name": job["id"], "type": JOB_TYPE, "properties": props}
    return V.shape_job(doc, V.profile(api_version))


def _ts(ts):
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc)


def op_doc(op, full_id=None):
    doc = {
        "id": full_id or op["id"],
        "name": op["id"],
        "status": op["status"],
        "startTime": iso(_ts(op["start"])),
        "endTime": iso(_ts(op["end"])) if op.get("end") is not None else ZERO_TIME,
    }
    if op["status"] == "Succeeded" and op.get("extended"):
        doc["properties"] = dict(op["extended"])
    if op["status"] == "Succeeded" and op.get("job_id"):
        doc["properties"] = {"objectType": "OperationStatusJobExtendedInfo", "jobId": op["job_id"]}
    if op["status"] in ("Failed", "Canceled") and op.get("error"):
        doc["error"] = {"code": op["error"]["code"], "message": op["error"]["message"]}
    return doc


def rp_time_us(rp):
    return us_time(rp["time"])
