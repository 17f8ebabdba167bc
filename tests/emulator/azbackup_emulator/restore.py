"""Validation of IaaS VM restore requests and the effects of completed restore jobs."""

import re

from . import guest
from . import resources as R
from . import versions as V
from .errors import Validation
from .util import det_hex, norm_region

RECOVERY_TYPES = ("Invalid", "OriginalLocation", "AlternateLocation", "RestoreDisks", "Offline")
SUPPORTED_TYPES = ("RestoreDisks", "OriginalLocation", "AlternateLocation")
ACTIVE_JOB = ("InProgress", "Cancelling")

PARAM = "UserErrorInvalidRequestParameter"
INPUT = "BMSUserErrorInvalidInput"


def _id_kind(parsed, ns, rtype):
    return (parsed and parsed.get("ns") and parsed["ns"].lower() == ns.lower()
            and parsed["type"].lower() == rtype.lower() and not parsed.get("ctype"))


def validate(core, vault, item, rp, req, api_version, crr_region=None, check_concurrency=True):
    """Validate a restore request (the object inside `properties`, or `restoreRequest` for CRR).
    Returns a plan dict; raises Validation."""
    state = core.state
    if not isinstance(req, dict):
        raise Validation(INPUT, "Input for restore request is invalid: the request must be a JSON object "
                                "with the restore parameters in 'properties'.")
    object_type = req.get("objectType")
    allowed = ["IaasVMRestoreRequest"]
    if crr_region is None and V.supports_rehydration(api_version):
        allowed.append("IaasVMRestoreWithRehydrationRequest")
    if object_type not in allowed:
        if object_type == "IaasVMRestoreWithRehydrationRequest" and crr_region:
            raise Validation(PARAM, "Archive restore isn't supported for the secondary region.")
        raise Validation(INPUT, "Input for restore request is invalid: objectType '%s' is not supported "
                                "for Azure IaaS VM restore. Supported values: %s."
                         % (object_type, ", ".join(allowed)))
    rtype = req.get("recoveryType")
    if rtype not in RECOVERY_TYPES:
        raise Validation(INPUT, "Input for restore request is invalid: recoveryType '%s' is not a valid "
                                "value. Allowed values: %s." % (rtype, ", ".join(SUPPORTED_TYPES)))
    if rtype not in SUPPORTED_TYPES:
        raise Validation(PARAM, "Recovery type '%s' is not supported for Azure virtual machines." % rtype)
    if crr_region and rtype == "OriginalLocation":
        raise Validation(PARAM, "Original location restore is not supported for cross region restore. "
                                "Restore disks or create a new virtual machine in the secondary region.")

    rp_id = req.get("recoveryPointId")
    if crr_region and not rp_id:
        raise Validation(PARAM, "recoveryPointId is required.")
    if rp_id is not None and str(rp_id) != rp["name"]:
        raise Validation(PARAM, "The recovery point id '%s' in the request does not match the recovery point "
                                "'%s' of the request URL." % (rp_id, rp["name"]))
    src = req.get("sourceResourceId")
    if not src:
        raise Validation(PARAM, "sourceResourceId is required.")
    if str(src).rstrip("/").lower() != item["vm_id"].lower():
        raise Validation(PARAM, "The sourceResourceId '%s' does not match the backed up virtual machine '%s'."
                         % (src, item["vm_id"]))

    region = crr_region or vault["location"]
    req_region = req.get("region")
    if not req_region:
        raise Validation(PARAM, "region is required.")
    if norm_region(req_region) != norm_region(region):
        if crr_region:
            msg = ("Cross region restore must target the secondary region '%s' of the vault; the request "
                   "names '%s'." % (region, req_region))
        else:
            msg = ("The restore region '%s' must be the region of the vault '%s'. To restore to the paired "
                   "region use cross region restore." % (req_region, region))
        raise Validation("UserErrorRestoreRegionMismatch", msg)

    # ---- recovery point tier
    tiers = rp["tiers"]
    usable = any(t["type"] in ("InstantRP", "HardenedRP") and t["status"] == "Valid" for t in tiers) or \
        any(t["type"] == "ArchivedRP" and t["status"] == "Rehydrated" for t in tiers)
    if crr_region:
        usable = rp["replicated"] and any(t["type"] == "HardenedRP" and t["status"] == "Valid" for t in tiers)
    archive_only = not usable and any(t["type"] == "ArchivedRP" and t["status"] == "Valid" for t in tiers)
    rehydration = None
    if object_type == "IaasVMRestoreWithRehydrationRequest":
        if not archive_only:
            raise Validation(PARAM, "The recovery point '%s' is not in the archive tier; use objectType "
                                    "'IaasVMRestoreRequest'." % rp["name"])
        info = req.get("recoveryPointRehydrationInfo")
        if not isinstance(info, dict):
            raise Validation(PARAM, "recoveryPointRehydrationInfo is required to restore a recovery point "
                                    "from the archive tier.")
        prio = info.get("rehydrationPriority")
        if prio not in ("Standard", "High"):
            raise Validation(PARAM, "rehydrationPriority must be 'Standard' or 'High'.")
        dur = str(info.get("rehydrationRetentionDuration") or "")
        m = re.match(r"^P(\d+)D$", dur)
        if not m or not 10 <= int(m.group(1)) <= 30:
            raise Validation(PARAM, "rehydrationRetentionDuration '%s' is invalid: give a duration between "
                                    "P10D and P30D." % dur)
        rehydration = {"priority": prio, "days": int(m.group(1))}
    elif archive_only:
        raise Validation("UserErrorRecoveryPointRehydrationRequired",
                         "The recovery point '%s' is in the archive tier. Restore it with objectType "
                         "'IaasVMRestoreWithRehydrationRequest' and recoveryPointRehydrationInfo." % rp["name"],
                         ["Rehydrate the recovery point as part of the restore."])
    elif not usable:
        raise Validation("UserErrorRecoveryPointNotFound" if crr_region else "UserErrorRecoveryPointNotUsable",
                         "The recovery point '%s' has no valid tier to restore from." % rp["name"])

    # ---- managed identity (identityInfo + identityBasedRestoreDetails, as Microsoft's examples build it)
    snap = rp["snapshot"]
    identity = _check_identity(state, vault, snap, req)

    # ---- staging storage account: identityBasedRestoreDetails.targetStorageAccountId with an identity
    sa_ref = identity["storage_account"] if identity else req.get("storageAccountId")
    if not sa_ref:
        raise Validation(PARAM, "storageAccountId is required.")
    sa_p = R.parse_id(sa_ref)
    if not _id_kind(sa_p, "Microsoft.Storage", "storageAccounts"):
        raise Validation(PARAM, "storageAccountId '%s' is not a valid storage account resource id." % sa_ref)
    sa = state.get(R.sa_id(sa_p["sub"], sa_p["rg"], sa_p["name"]))
    if sa is None:
        raise Validation("UserErrorStorageAccountNotFound",
                         "The storage account '%s' was not found in resource group '%s'. Make sure the "
                         "storage account exists." % (sa_p["name"], sa_p["rg"]))
    if norm_region(sa["location"]) != norm_region(region):
        raise Validation("UserErrorStorageAccountLocationMismatch",
                         "The staging storage account '%s' is in '%s'; it must be in the restore region '%s'."
                         % (sa["name"], sa["location"], region))
    if sa["sku"]["name"].upper().endswith("ZRS"):
        raise Validation("UserErrorStorageAccountIsZRS",
                         "The storage account '%s' is zone-redundant (%s). Zone-redundant storage accounts "
                         "can't be used as the staging location; choose a locally or geo-redundant one."
                         % (sa["name"], sa["sku"]["name"]))
    if sa["sku"]["name"].startswith("Premium"):
        raise Validation("UserErrorPremiumStorageAccountNotSupported",
                         "Premium storage account '%s' can't be used as the staging location." % sa["name"])

    # ---- disks
    luns = req.get("restoreDiskLunList")
    if luns is None:
        luns = list(rp["luns"])
    else:
        # An empty list restores the OS disk only (what the Azure CLI sends for --restore-only-osdisk).
        if not isinstance(luns, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in luns):
            raise Validation(PARAM, "restoreDiskLunList must be a list of integers.")
        missing = sorted(set(luns) - set(rp["luns"]))
        if missing:
            raise Validation("UserErrorInvalidDiskLunList",
                             "LUN(s) %s are not part of recovery point '%s'. Disks in the recovery point: %s."
                             % (", ".join(str(x) for x in missing), rp["name"],
                                ", ".join("LUN %d" % x for x in rp["luns"]) or "none"))
        luns = sorted(set(luns))
        if not rp["snapshot"]["managed"] and luns != sorted(rp["luns"]):
            raise Validation(PARAM, "Selective disk restore is supported only for virtual machines with "
                                    "managed disks.")

    zones = req.get("zones")
    if zones is not None:
        if not isinstance(zones, list) or any(str(z) not in ("1", "2", "3") for z in zones) or len(zones) > 1:
            raise Validation(PARAM, "zones must contain a single availability zone ('1', '2' or '3').")
        zones = [str(z) for z in zones]
        _check_cross_zone(vault, rp, zones, crr_region)
    _check_disk_options(rp, req)

    target_rg = None
    trg = req.get("targetResourceGroupId")
    if trg:
        p = R.parse_id(trg)
        if not p or p.get("ns"):
            raise Validation(PARAM, "targetResourceGroupId '%s' is not a valid resource group id." % trg)
        body = state.rg(p["sub"], p["rg"])
        if body is None:
            raise Validation("UserErrorTargetResourceGroupNotFound",
                             "The target resource group '%s' was not found." % p["rg"])
        target_rg = {"sub": body["id"].split("/")[2], "name": body["name"]}
    _check_cross_subscription(core, vault, rp, [target_rg["sub"] if target_rg else None, sa_p["sub"]])

    plan = {
        "recovery_type": rtype, "object_type": object_type, "region": region,
        "crr_region": crr_region,
        "storage_account": {"id": sa["id"], "name": sa["name"]},
        "target_rg": target_rg, "luns": luns, "zones": zones, "rehydration": rehydration,
        "rp_name": rp["name"], "rp_time": rp["time"].timestamp(),
        "vault_id": vault["id"], "item": item["name"],
        "restore_with_managed": bool(req.get("restoreWithManagedDisks")),
    }

    if rtype == "RestoreDisks":
        managed_out = target_rg is not None and (snap["managed"] or plan["restore_with_managed"])
        plan["output"] = "managed" if managed_out else "unmanaged"
    elif rtype == "OriginalLocation":
        vm = state.get(item["vm_id"])
        if vm is None:
            raise Validation("UserErrorOriginalVMNotFound",
                             "The original virtual machine '%s' no longer exists. Restore the disks or "
                             "create a new virtual machine instead." % item["vm_name"])
        plan["output"] = "managed" if snap["managed"] else "unmanaged"
        plan["target_vm"] = {"id": vm["id"]}
    else:
        tvm = req.get("targetVirtualMachineId")
        if not tvm:
            raise Validation(PARAM, "targetVirtualMachineId is required to restore to a new virtual machine.")
        vp = R.parse_id(tvm)
        if not _id_kind(vp, "Microsoft.Compute", "virtualMachines"):
            raise Validation(PARAM, "targetVirtualMachineId '%s' is not a valid virtual machine resource id." % tvm)
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", vp["name"]) or vp["name"].endswith((".", "-")):
            raise Validation(PARAM, "'%s' is not a valid virtual machine name." % vp["name"])
        if not trg:
            raise Validation(PARAM, "targetResourceGroupId is required to restore to a new virtual machine.")
        if vp["rg"].lower() != target_rg["name"].lower() or vp["sub"].lower() != target_rg["sub"].lower():
            raise Validation(PARAM, "The resource group of targetVirtualMachineId must be targetResourceGroupId.")
        if state.get(R.vm_id(target_rg["sub"], target_rg["name"], vp["name"])) is not None:
            raise Validation("UserErrorVmNameAlreadyExists",
                             "A virtual machine named '%s' already exists in resource group '%s'. Choose "
                             "another name." % (vp["name"], target_rg["name"]))
        for job in core.active_jobs():
            t = (job.get("plan") or {}).get("target_vm") or {}
            if t.get("new") and t["name"].lower() == vp["name"].lower() and \
                    t["rg"].lower() == target_rg["name"].lower():
                raise Validation("UserErrorVmNameAlreadyExists",
                                 "A virtual machine named '%s' is already being created in resource group "
                                 "'%s' by job '%s'." % (vp["name"], target_rg["name"], job["id"]))
        vnet_ref = req.get("virtualNetworkId")
        subnet_ref = req.get("subnetId")
        if not vnet_ref or not subnet_ref:
            raise Validation(PARAM, "virtualNetworkId and subnetId are required to restore to a new virtual machine.")
        np_ = R.parse_id(vnet_ref)
        if not _id_kind(np_, "Microsoft.Network", "virtualNetworks"):
            raise Validation(PARAM, "virtualNetworkId '%s' is not a valid virtual network id." % vnet_ref)
        vnet = state.get(R.vnet_id(np_["sub"], np_["rg"], np_["name"]))
        if vnet is None:
            raise Validation("UserErrorVirtualNetworkNotFound",
                             "The virtual network '%s' was not found in resource group '%s'." % (np_["name"], np_["rg"]))
        if norm_region(vnet["location"]) != norm_region(region):
            raise Validation("UserErrorVirtualNetworkLocationMismatch",
                             "The virtual network '%s' is in '%s'; it must be in the restore region '%s'."
                             % (vnet["name"], vnet["location"], region))
        sp = R.parse_id(subnet_ref)
        if not sp or (sp.get("ctype") or "").lower() != "subnets" or \
                R.vnet_id(sp["sub"], sp["rg"], sp["name"]).lower() != vnet["id"].lower():
            raise Validation(PARAM, "subnetId '%s' is not a subnet of virtual network '%s'." % (subnet_ref, vnet["name"]))
        subnet = next((s for s in vnet["properties"]["subnets"] if s["name"].lower() == sp["cname"].lower()), None)
        if subnet is None:
            raise Validation("UserErrorSubnetNotFound",
                             "The subnet '%s' was not found in virtual network '%s'." % (sp["cname"], vnet["name"]))
        plan["output"] = "managed" if (snap["managed"] or plan["restore_with_managed"]) else "unmanaged"
        plan["target_vm"] = {"new": True, "sub": target_rg["sub"], "rg": target_rg["name"], "name": vp["name"]}
        plan["subnet"] = subnet["id"]

    if check_concurrency:
        for job in core.active_jobs():
            if job["vault_id"].lower() == vault["id"].lower() and job["item"].lower() == item["name"].lower() \
                    and bool(job.get("crr_region")) == bool(crr_region):
                raise Validation("UserErrorAnotherOperationInProgress",
                                 "Another restore operation is in progress on the backup item '%s' (job '%s'). "
                                 "Wait for it to finish and try again." % (item["vm_name"], job["id"]),
                                 ["Wait for the running job to complete, then retry."])
        for op in core.pending_ops():
            if op.get("vault_id", "").lower() == vault["id"].lower() and \
                    (op.get("item") or "").lower() == item["name"].lower() and \
                    bool(op.get("crr_region")) == bool(crr_region):
                raise Validation("UserErrorAnotherOperationInProgress",
                                 "Another restore operation is in progress on the backup item '%s'. Wait for "
                                 "it to finish and try again." % item["vm_name"])
    return plan


def _check_identity(state, vault, snap, req):
    """identityInfo names the vault's identity that reaches the staging account. Microsoft's identity
    examples (and the Azure CLI) name that account in identityBasedRestoreDetails.targetStorageAccountId
    and send no storageAccountId; the plain RestoreDisks example sends identityInfo with storageAccountId.
    Both are accepted; an identity restore without a staging account, or with two different ones, is not.
    The VM must have managed disks and the identity must be one of the vault's."""
    info = req.get("identityInfo")
    details = req.get("identityBasedRestoreDetails")
    target = None
    if details is not None:
        target = details.get("targetStorageAccountId") if isinstance(details, dict) else None
        if not target:
            raise Validation(PARAM, "identityBasedRestoreDetails.targetStorageAccountId is required.")
    if info is None:
        return {"storage_account": target} if target else None
    if not isinstance(info, dict):
        raise Validation(PARAM, "identityInfo is invalid.")
    plain = req.get("storageAccountId")
    if not target and not plain:
        raise Validation(PARAM, "identityBasedRestoreDetails.targetStorageAccountId is required for a restore with "
                                "a managed identity (identityInfo).")
    if target and plain and str(target).lower() != str(plain).lower():
        raise Validation(PARAM, "storageAccountId and identityBasedRestoreDetails.targetStorageAccountId name "
                                "different storage accounts.")
    target = target or plain
    if not snap["managed"]:
        raise Validation(PARAM, "Restore with a managed identity is not supported for virtual machines with "
                                "unmanaged disks.")
    vault_identity = (state.get(vault["id"]) or {}).get("identity") or {}
    kinds = (vault_identity.get("type") or "None").lower()
    if info.get("isSystemAssignedIdentity"):
        if "systemassigned" not in kinds:
            raise Validation(PARAM, "The system-assigned managed identity of vault '%s' is not enabled. Enable it "
                                    "or restore with one of the vault's user-assigned identities." % vault["name"])
    else:
        uai = info.get("managedIdentityResourceId")
        if not uai:
            raise Validation(PARAM, "identityInfo.managedIdentityResourceId is required for a user-assigned "
                                    "identity.")
        known = [k.lower() for k in (vault_identity.get("userAssignedIdentities") or {})]
        if str(uai).lower() not in known:
            raise Validation(PARAM, "The user-assigned managed identity '%s' is not an identity of vault '%s'."
                             % (uai, vault["name"]))
    return {"storage_account": target}


def _vault_tier(rp):
    return any(t["type"] == "HardenedRP" and t["status"] == "Valid" for t in rp["tiers"])


def _check_cross_zone(vault, rp, zones, crr_region):
    """A restore to another zone than the point's: a zone-redundant vault, or, in the secondary region of
    a vault with cross-region restore, a zone-pinned VM; always from the vault tier."""
    snap = rp["snapshot"]
    if snap.get("zone") and zones == [str(snap["zone"])]:
        return
    zrs = vault["redundancy"] == "ZoneRedundant"
    if not (zrs or vault["crr"]):
        raise Validation("UserErrorCrossZoneRestoreNotSupported",
                         "Cross zonal restore is supported for vaults with zone-redundant storage or with cross "
                         "region restore enabled.")
    if not _vault_tier(rp):
        raise Validation("UserErrorCrossZoneRestoreNotSupported",
                         "Cross zonal restore is supported from recovery points in the vault tier only.")
    if not zrs and (not snap.get("zone") or not crr_region):
        raise Validation("UserErrorCrossZoneRestoreNotSupported",
                         "Cross zonal restore needs a vault with zone-redundant storage, or a zone-pinned virtual "
                         "machine restored in the secondary region.")


def _check_disk_options(rp, req):
    """originalStorageAccountOption, targetDiskNetworkAccessSettings, extendedLocation, securedVMDetails."""
    snap = rp["snapshot"]
    if req.get("originalStorageAccountOption") is True:
        if snap["managed"]:
            raise Validation(PARAM, "originalStorageAccountOption applies to virtual machines with unmanaged disks.")
        if not snap.get("original_storage_account_option"):
            raise Validation(PARAM, "The recovery point '%s' does not support restoring disks to their original "
                                    "storage accounts." % rp["name"])
    access = req.get("targetDiskNetworkAccessSettings")
    if access is not None:
        option = access.get("targetDiskNetworkAccessOption") if isinstance(access, dict) else None
        if option not in ("SameAsOnSourceDisks", "EnablePrivateAccessForAllDisks", "EnablePublicAccessForAllDisks"):
            raise Validation(INPUT, "Input for restore request is invalid: targetDiskNetworkAccessOption '%s' is not "
                                    "a valid value." % (option,))
        disk_access = access.get("targetDiskAccessId")
        if option == "EnablePrivateAccessForAllDisks":
            if not _id_kind(R.parse_id(disk_access or ""), "Microsoft.Compute", "diskAccesses"):
                raise Validation(PARAM, "targetDiskAccessId must be the id of a disk access resource when "
                                        "targetDiskNetworkAccessOption is EnablePrivateAccessForAllDisks.")
        elif disk_access:
            raise Validation(PARAM, "targetDiskAccessId applies to EnablePrivateAccessForAllDisks only.")
    location = req.get("extendedLocation")
    if location is not None:
        name = location.get("name") if isinstance(location, dict) else None
        if not snap.get("edge_zone") or not name or str(name).lower() != str(snap["edge_zone"]).lower():
            raise Validation(PARAM, "extendedLocation '%s' is not the edge zone of the recovery point '%s'."
                             % (name, rp["name"]))
    secured = req.get("securedVMDetails")
    if secured is not None:
        des = secured.get("securedVMOsDiskEncryptionSetId") if isinstance(secured, dict) else None
        if not _id_kind(R.parse_id(des or ""), "Microsoft.Compute", "diskEncryptionSets"):
            raise Validation(PARAM, "securedVMOsDiskEncryptionSetId must be the id of a disk encryption set.")


def _check_cross_subscription(core, vault, rp, subs):
    """A restore that writes to another subscription than the vault's: the vault's cross-subscription
    restore setting, the same tenant, and not for unmanaged, ADE-encrypted or snapshot-only points."""
    others = sorted(set(str(s).lower() for s in subs if s and str(s).lower() != vault["sub"].lower()))
    if not others:
        return
    if vault.get("csr", "Enabled") != "Enabled":
        raise Validation("UserErrorCrossSubscriptionRestoreNotEnabled",
                         "Cross subscription restore is %s on vault '%s'." % (
                             "permanently disabled" if vault["csr"] == "PermanentlyDisabled" else "disabled",
                             vault["name"]))
    state = core.state
    tenant = (state.subscriptions.get(vault["sub"].lower()) or {}).get("tenant")
    for sub in others:
        s = state.subscriptions.get(sub)
        if s is None:
            raise Validation(PARAM, "The target subscription '%s' was not found." % sub)
        if tenant and s.get("tenant") and s["tenant"].lower() != tenant.lower():
            raise Validation(PARAM, "Cross subscription restore is supported within the tenant of the vault only.")
    snap = rp["snapshot"]
    if not snap["managed"] or snap["encrypted"] or not _vault_tier(rp):
        raise Validation(PARAM, "Cross subscription restore is not supported for %s." % (
            "virtual machines with unmanaged disks" if not snap["managed"] else
            "encrypted virtual machines" if snap["encrypted"] else "recovery points in the snapshot tier only"))


def restored_size_gb(rp, plan):
    snap = rp["snapshot"]
    size = int(snap["os_disk"]["size_gb"])
    for d in snap["data_disks"]:
        if d["lun"] in plan["luns"]:
            size += int(d["size_gb"])
    return size


# ------------------------------------------------------------------ effects

def _stamp(ts):
    import datetime as _dt
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y%m%d-%H%M%S")


def apply_effects(core, job, at_ts):
    """Make a completed restore job's results real. Returns property-bag additions."""
    import datetime as _dt
    state = core.state
    plan = job["plan"]
    vault = state.vaults[plan["vault_id"].lower()]
    item = vault["items"][plan["item"].lower()]
    rp = next((r for r in item["rps"] if r["name"] == plan["rp_name"]), None)
    if rp is None:
        return {}
    snap = rp["snapshot"]
    at = _dt.datetime.fromtimestamp(at_ts, _dt.timezone.utc)
    stamp = _stamp(at_ts)
    vm_l = item["vm_name"].lower()
    sa = state.get(plan["storage_account"]["id"])
    bag = {}
    container = "%s-%s" % (vm_l, det_hex(32, "container", job["id"]))
    if sa is not None:
        config_name = "config-%s-%s.json" % (vm_l, job["id"])
        bag["Config Blob Name"] = config_name
        bag["Config Blob Container Name"] = container
        bag["Config Blob Uri"] = state.add_blob(sa, container, config_name, 0, job["id"], "config")
        if plan["recovery_type"] == "RestoreDisks":
            bag["Template Blob Uri"] = state.add_blob(sa, container, "azuredeploy%s.json" % job["id"], 0,
                                                      job["id"], "template")
    zone = (plan.get("zones") or [None])[0] or snap.get("zone")
    disks = [("os", None, snap["os_disk"])] + [
        ("data", d["lun"], d) for d in snap["data_disks"] if d["lun"] in plan["luns"]]
    region = plan["region"]
    tags = {"RSVaultBackup": job["id"]}

    def make_managed(sub, rg, kind, lun, d, managed_by=None):
        base = "%s-osdisk-%s" % (item["vm_name"], stamp) if kind == "os" else \
            "%s-datadisk-%d-%s" % (item["vm_name"], lun, stamp)
        name = state.unique_disk_name(sub, rg, base)
        body = R.disk_body(sub, rg, name, region, d["size_gb"], snap["disk_sku"], at,
                           os_type=snap["os_type"] if kind == "os" else None, zone=zone,
                           managed_by=managed_by, create_option="Restore",
                           source={"sourceResourceId": "%s/recoveryPoints/%s" % (
                               "%s/backupFabrics/Azure/protectionContainers/%s/protectedItems/%s" % (
                                   vault["id"], item["container"], item["name"]), rp["name"])},
                           tags=tags)
        state.put(body)
        job["created"].append(body["id"])
        return body

    def make_vhd(kind, lun, d):
        name = ("%s-osdisk-%s.vhd" % (vm_l, stamp)) if kind == "os" else \
            ("%s-datadisk-%d-%s.vhd" % (vm_l, lun, stamp))
        if sa is None:
            return None
        uri = state.add_blob(sa, container, name, d["size_gb"], job["id"], "vhd")
        job["created"].append(uri)
        return uri

    rtype = plan["recovery_type"]
    if rtype == "RestoreDisks":
        if plan["output"] == "managed":
            for kind, lun, d in disks:
                make_managed(plan["target_rg"]["sub"], plan["target_rg"]["name"], kind, lun, d)
        else:
            for kind, lun, d in disks:
                make_vhd(kind, lun, d)
    elif rtype == "OriginalLocation":
        vm = state.get(plan["target_vm"]["id"])
        if vm is None:
            return bag
        sub, rg = vm["id"].split("/")[2], vm["id"].split("/")[4]
        sp = vm["properties"]["storageProfile"]
        for kind, lun, d in disks:
            if plan["output"] == "managed":
                body = make_managed(sub, rg, kind, lun, d, managed_by=vm["id"])
                ref = {"storageAccountType": snap["disk_sku"], "id": body["id"]}
                if kind == "os":
                    old = (sp["osDisk"].get("managedDisk") or {}).get("id")
                    sp["osDisk"]["name"] = body["name"]
                    sp["osDisk"]["managedDisk"] = ref
                    sp["osDisk"].pop("vhd", None)
                else:
                    entry = next((x for x in sp["dataDisks"] if x["lun"] == lun), None)
                    if entry is None:
                        entry = R.data_disk_entry(lun, True, body["name"], d["size_gb"], sub, rg, snap["disk_sku"])
                        sp["dataDisks"].append(entry)
                        old = None
                    else:
                        old = (entry.get("managedDisk") or {}).get("id")
                    entry["name"] = body["name"]
                    entry["managedDisk"] = ref
                    entry.pop("vhd", None)
                _detach(state, old)
            else:
                uri = make_vhd(kind, lun, d)
                if kind == "os":
                    sp["osDisk"]["vhd"] = {"uri": uri}
                    sp["osDisk"]["name"] = uri.rsplit("/", 1)[-1][:-4]
                else:
                    entry = next((x for x in sp["dataDisks"] if x["lun"] == lun), None)
                    if entry is not None:
                        entry["vhd"] = {"uri": uri}
                        entry["name"] = uri.rsplit("/", 1)[-1][:-4]
        sp["dataDisks"].sort(key=lambda x: x["lun"])
    else:
        t = plan["target_vm"]
        sub, rg, name = t["sub"], t["rg"], t["name"]
        vmid = R.vm_id(sub, rg, name)
        if state.get(vmid) is not None:
            return bag
        os_entry = None
        data_entries = []
        for kind, lun, d in disks:
            if plan["output"] == "managed":
                body = make_managed(sub, rg, kind, lun, d, managed_by=vmid)
                if kind == "os":
                    os_entry = R.os_disk_entry(name, snap["os_type"], True, body["name"], d["size_gb"],
                                               sub, rg, snap["disk_sku"])
                    os_entry["createOption"] = "Attach"
                else:
                    data_entries.append(R.data_disk_entry(lun, True, body["name"], d["size_gb"], sub, rg,
                                                          snap["disk_sku"]))
            else:
                uri = make_vhd(kind, lun, d)
                dname = uri.rsplit("/", 1)[-1][:-4]
                if kind == "os":
                    os_entry = R.os_disk_entry(name, snap["os_type"], False, dname, d["size_gb"], sub, rg,
                                               vhd_uri=uri)
                    os_entry["createOption"] = "Attach"
                else:
                    data_entries.append(R.data_disk_entry(lun, False, dname, d["size_gb"], sub, rg, vhd_uri=uri))
        nic = R.nic_body(sub, rg, "%s-nic-%s" % (name, stamp.replace("-", "")), region,
                         subnet=plan.get("subnet"), vm=vmid)
        nic["tags"] = dict(tags)
        state.put(nic)
        job["created"].append(nic["id"])
        vm = R.vm_body(sub, rg, name, region, snap["size"], snap["os_type"], os_entry, data_entries,
                       nic["id"], at, zone=zone, encrypted=snap["encrypted"], tags=tags)
        vm["properties"]["storageProfile"].pop("imageReference", None)
        vm["properties"].pop("osProfile", None)
        state.put(vm)
        guest.vm_created(state, vm, at_ts)
        job["created"].append(vm["id"])
    if plan.get("rehydration"):
        for t in rp["tiers"]:
            if t["type"] == "ArchivedRP":
                t["status"] = "Rehydrated"
                t["extendedInfo"] = {"RehydratedRPExpiryTime": (at + _dt.timedelta(
                    days=plan["rehydration"]["days"])).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")}
    return bag


def _detach(state, disk_ref):
    if not disk_ref:
        return
    d = state.get(disk_ref)
    if d is not None:
        d.pop("managedBy", None)
        d["properties"]["diskState"] = "Unattached"
