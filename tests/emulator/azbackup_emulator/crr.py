"""Location-scoped Microsoft.RecoveryServices operations: cross-region restore (passive stamp)
and BackupStatus."""

import base64
import json
import os
import time

from . import docs as D
from . import resources as R
from . import versions as V
from .core_types import Response
from .errors import ApiError, Validation, backup_not_found, method_not_allowed
from .listing import page, parse_filter
from .util import b64url, b64url_decode, det_uuid, from_ts, new_uuid, norm_region, us_time

INPUT = "BMSUserErrorInvalidInput"

SERVICE_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _is_location_path(segs):
    low = [s.lower() for s in segs[:6]]
    return (len(segs) >= 6 and low[0] == "subscriptions" and low[2] == "providers"
            and low[3] == "microsoft.recoveryservices" and low[4] == "locations")


def route(core, req):
    segs = req.segments
    if not _is_location_path(segs):
        return None
    sub, region = segs[1], segs[5]
    rest = [s.lower() for s in segs[6:]]
    if rest == ["backupstatus"]:
        V.check_api_version(req.api_version, V.BACKUP_PRIMARY, "locations/backupStatus", region,
                            core.state.region_names())
        _known_region(core, region, "locations/backupStatus")
        if req.method != "POST":
            raise method_not_allowed(req.method)
        return backup_status(core, req, sub, region)
    table = {
        ("backupaadproperties",): ("GET", aad_properties),
        ("backupcrossregionrestore",): ("POST", trigger),
        ("backupcrrjobs",): ("POST", list_jobs),
        ("backupcrrjob",): ("POST", get_job),
    }
    key = tuple(rest)
    if len(rest) == 2 and rest[0] in ("backupcrroperationsstatus", "backupcrroperationresults"):
        V.check_api_version(req.api_version, V.BACKUP_CRR, "locations/" + segs[6], region,
                            core.state.region_names())
        _known_region(core, region, "locations/" + segs[6])
        if req.method != "GET":
            raise method_not_allowed(req.method)
        if rest[0] == "backupcrroperationsstatus":
            return op_status(core, req, sub, region, segs[7])
        return op_result(core, req, sub, region, segs[7])
    if key in table:
        method, fn = table[key]
        V.check_api_version(req.api_version, V.BACKUP_CRR, "locations/" + segs[6], region,
                            core.state.region_names())
        _known_region(core, region, "locations/" + segs[6])
        if req.method != method:
            raise method_not_allowed(req.method)
        return fn(core, req, sub, region)
    raise ApiError(404, "InvalidResourceType",
                   "The resource type 'locations/%s' could not be found in the namespace "
                   "'Microsoft.RecoveryServices' for api version '%s'." % ("/".join(segs[6:7]) or "", req.api_version))


def _known_region(core, region, rtype):
    if core.state.region(region) is None:
        raise ApiError(400, "LocationNotAvailableForResourceType",
                       "The provided location '%s' is not available for resource type "
                       "'Microsoft.RecoveryServices/%s'. List of available regions for the resource type is "
                       "'%s'." % (region, rtype, ",".join(core.state.region_names())))


def _is_secondary_of_something(core, region):
    for r in core.state.regions.values():
        if r.get("paired_region") and norm_region(r["paired_region"]) == norm_region(region):
            return True
    return False


def audience_for(region):
    return "https://RecoveryServices/IaasCoord/aadmgmt/%s" % norm_region(region)


# ------------------------------------------------------------------ AAD properties

def aad_properties(core, req, sub, region):
    f = parse_filter(req.q("$filter"), {"backupmanagementtype": "backupManagementType"})
    if f and f.get("backupmanagementtype", "AzureIaasVM").lower() not in ("azureiaasvm", "azureworkload"):
        raise ApiError(400, INPUT, "Input for the filter is invalid: backupManagementType '%s' is not supported."
                       % f["backupmanagementtype"])
    if not _is_secondary_of_something(core, region):
        raise ApiError(400, "BMSUserErrorCrossRegionRestoreNotSupported",
                       "Cross Region Restore is not supported in region '%s': it is not the secondary region "
                       "of any region." % region)
    return Response(200, {
        "id": "/subscriptions/%s" % sub,
        "properties": {
            "tenantId": SERVICE_TENANT,
            "audience": audience_for(region),
            "servicePrincipalObjectId": det_uuid("crr-sp", norm_region(region)),
        },
    })


# ------------------------------------------------------------------ access token

def _token_payload(core, token):
    try:
        header, payload, sig = str(token).split(".")
        expected = core.sign("crr-token", header, payload)
        if expected != sig:
            return None
        return json.loads(b64url_decode(payload))
    except Exception:  # noqa: BLE001 - malformed
        return None


def access_token(core, req, vault, ids):
    from .backup import crr_vault_check, find_item
    crr_vault_check(vault)
    item = find_item(vault, *ids[:3])
    rp = next((r for r in item["rps"] if r["name"] == ids[3]), None)
    if rp is None:
        raise backup_not_found("Recovery point '%s' was not found for item '%s'." % (ids[3], item["vm_name"]))
    secondary = core.state.paired(vault["location"])
    body = req.json
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict) or not props.get("audience"):
        raise ApiError(400, INPUT, "Input for access token request is invalid: send the AADPropertiesResource "
                                   "returned by backupAadProperties of the secondary region.")
    if props["audience"].rstrip("/").lower() != audience_for(secondary).lower():
        raise ApiError(400, "UserErrorInvalidAADProperties",
                       "The AAD properties are not those of the secondary region '%s' of the vault." % secondary)
    if not rp["replicated"] or not any(t["type"] == "HardenedRP" and t["status"] == "Valid" for t in rp["tiers"]):
        raise ApiError(400, "BMSUserErrorRecoveryPointNotReplicated",
                       "The recovery point '%s' is not yet available in the secondary region '%s'. Choose a "
                       "recovery point listed by the secondary region." % (rp["name"], secondary))
    now = core.now_ts()
    lifetime = float(core.settings.get("crr_token_lifetime_seconds") or 86400)
    payload = {"v": vault["id"], "i": item["name"], "r": rp["name"], "g": norm_region(secondary),
               "iat": now, "exp": now + lifetime, "n": b64url(os.urandom(9))}
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")))
    pay = b64url(json.dumps(payload, separators=(",", ":")))
    token = "%s.%s.%s" % (header, pay, core.sign("crr-token", header, pay))
    snap = rp["snapshot"]
    rg_short = vault["location"][:3]
    stamp = det_uuid("stamp", vault["location"])
    xml = ('<IaaSVMRecoveryPointMetadataBase xmlns:i="http://www.w3.org/2001/XMLSchema-instance" '
           'i:type="IaaSVMRecoveryPointMetadata_V2015_09" xmlns="http://windowscloudbackup.com/CloudCommon/V2011_09">'
           '<MetadataVersion>V2015_09</MetadataVersion><ContainerType i:nil="true" />'
           '<IsBlockBlobEnabled>true</IsBlockBlobEnabled><IsManagedVirtualMachine>%s</IsManagedVirtualMachine>'
           '<OriginalSAOption>false</OriginalSAOption><OsType>%s</OsType><ReadMetadaFromConfigBlob i:nil="true" />'
           '<RecoveryPointConsistencyType>%s</RecoveryPointConsistencyType><RpDiskDetails i:nil="true" />'
           '<SourceIaaSVMRPKeyAndSecret i:nil="true" /><SourceIaaSVMStorageType>%s</SourceIaaSVMStorageType>'
           '<VMSizeDescription>%s</VMSizeDescription></IaaSVMRecoveryPointMetadataBase>'
           % (str(snap["managed"]).lower(), snap["os_type"], rp["type"], snap["storage_type"], snap["size"]))
    props_out = {
        "objectType": "WorkloadCrrAccessToken",
        "accessTokenString": token,
        "subscriptionId": vault["sub"],
        "resourceGroupName": vault["rg"],
        "resourceName": vault["name"],
        "resourceId": vault["numeric_id"],
        "protectionContainerId": item["container_numeric_id"],
        "recoveryPointId": rp["name"],
        "recoveryPointTime": us_time(rp["time"]),
        "containerName": item["short_container"],
        "containerType": "IaasVMContainer",
        "backupManagementType": "AzureIaasVM",
        "datasourceType": "VM",
        "datasourceName": item["vm_name"],
        "datasourceId": item["data_id"],
        "datasourceContainerName": item["short_container"],
        "coordinatorServiceStampId": stamp,
        "coordinatorServiceStampUri": "https://%s-pod01-coord1.backup.windowsazure.com" % rg_short,
        "protectionServiceStampId": det_uuid("prot-stamp", vault["location"]),
        "protectionServiceStampUri": "https://%s-pod01-prot1.backup.windowsazure.com" % rg_short,
        "tokenExtendedInformation": xml,
        "rpTierInformation": {"HardenedRP": "Valid"},
        "rpOriginalSAOption": False,
        "rpIsManagedVirtualMachine": bool(snap["managed"]),
        "rpVMSizeDescription": snap["size"],
        "bMSActiveRegion": vault["location"],
    }
    return Response(200, {"id": D.rp_path(vault, item, rp), "name": rp["name"], "type": D.RP_TYPE,
                          "properties": props_out})


# ------------------------------------------------------------------ trigger

def _vault_from_token(core, payload):
    return core.state.vaults.get(str(payload.get("v", "")).lower())


def trigger(core, req, sub, region):
    from .backup import _retry_after, consume_outcome_rules, crr_vault_check, job_spec, outcomes_from
    from .restore import validate
    body = req.json
    if not isinstance(body, dict) or not isinstance(body.get("crossRegionRestoreAccessDetails"), dict) \
            or not isinstance(body.get("restoreRequest"), dict):
        raise ApiError(400, INPUT, "Input for cross region restore is invalid: the body must contain "
                                   "'crossRegionRestoreAccessDetails' and 'restoreRequest'.")
    details = body["crossRegionRestoreAccessDetails"]
    if details.get("objectType") not in ("CrrAccessToken", "WorkloadCrrAccessToken"):
        raise ApiError(400, INPUT, "Input for cross region restore is invalid: crossRegionRestoreAccessDetails."
                                   "objectType must be 'CrrAccessToken' or 'WorkloadCrrAccessToken'.")
    token = details.get("accessTokenString")
    payload = _token_payload(core, token) if token else None
    if payload is None:
        raise ApiError(400, "UserErrorInvalidCrossRegionRestoreAccessToken",
                       "The cross region restore access token is missing or invalid. Get a new token with "
                       "the accessToken operation of the recovery point.")
    if core.now_ts() >= payload["exp"]:
        raise ApiError(400, "UserErrorCrossRegionRestoreAccessTokenExpired",
                       "The cross region restore access token expired at %s. Get a new token."
                       % us_time(from_ts(payload["exp"])))
    vault = _vault_from_token(core, payload)
    if vault is None:
        raise backup_not_found("The vault of the access token no longer exists.")
    if vault["sub"].lower() != sub.lower():
        raise ApiError(400, INPUT, "The access token belongs to subscription '%s', not '%s'." % (vault["sub"], sub))
    crr_vault_check(vault)
    secondary = core.state.paired(vault["location"])
    if norm_region(region) != norm_region(secondary or ""):
        raise ApiError(400, "BMSUserErrorInvalidRegion",
                       "Cross region restore for vault '%s' must be triggered in its secondary region '%s', "
                       "not '%s'." % (vault["name"], secondary, region))
    if str(details.get("recoveryPointId", payload["r"])) != payload["r"] or \
            norm_region(payload["g"]) != norm_region(secondary):
        raise ApiError(400, "UserErrorInvalidCrossRegionRestoreAccessToken",
                       "crossRegionRestoreAccessDetails do not match the access token.")
    item = vault["items"].get(payload["i"].lower())
    rp = next((r for r in item["rps"] if r["name"] == payload["r"]), None) if item else None
    if rp is None:
        raise backup_not_found("The recovery point of the access token no longer exists.")
    rr = body["restoreRequest"]
    if rr.get("recoveryPointId") is not None and str(rr["recoveryPointId"]) != rp["name"]:
        raise ApiError(400, "UserErrorInvalidRequestParameter",
                       "The access token is for recovery point '%s', the restore request names '%s'."
                       % (rp["name"], rr["recoveryPointId"]))
    try:
        plan = validate(core, vault, item, rp, rr, req.api_version, crr_region=secondary)
    except Validation as e:
        raise e.to_api_error()
    op_outcome, job_outcome = outcomes_from(req.fault_actions)
    op_id = base64.urlsafe_b64encode(("%s;%s" % (vault["numeric_id"], new_uuid())).encode()).decode()
    op = core.new_operation("crr", vault, item["name"], plan, job_spec(vault, item, rp, plan, job_outcome),
                            crr_region=secondary, outcome=op_outcome, op_id=op_id)
    consume_outcome_rules(req.fault_actions)
    op["sub"] = sub
    op["region"] = norm_region(secondary)
    headers = {
        "Azure-AsyncOperation": signed_url(core, sub, secondary, "backupCrrOperationsStatus", op["id"], req.api_version),
        "Location": signed_url(core, sub, secondary, "backupCrrOperationResults", op["id"], req.api_version),
    }
    return Response(202, None, _retry_after(core, headers))


def _loc_path(sub, region, kind, op_id):
    return "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/%s/%s/%s" % (sub, region, kind, op_id)


def signed_url(core, sub, region, kind, op_id, api_version):
    path = _loc_path(sub, norm_region(region), kind, op_id)
    t = str(int(time.time()))
    c = b64url(os.urandom(18))
    s = b64url(det_uuid("scope", sub.lower()).encode())
    h = core.sign("crr-op", path.lower(), api_version, t, c, s)
    return "%s%s?api-version=%s&t=%s&c=%s&s=%s&h=%s" % (core.endpoint, path, api_version, t, c, s, h)


def _check_signature(core, req):
    t, c, s, h = (req.q(k) for k in ("t", "c", "s", "h"))
    ok = all((t, c, s, h)) and core.sign("crr-op", req.path.rstrip("/").lower(), req.api_version, t, c, s) == h
    if not ok:
        raise ApiError(400, "InvalidSignature",
                       "The operation URL signature is missing or invalid. Use the Azure-AsyncOperation or "
                       "Location URL exactly as it was returned.")


def _crr_op(core, req, sub, region, op_id):
    _check_signature(core, req)
    op = core.state.ops.get(op_id)
    if op is None or op["kind"] != "crr" or op.get("sub", "").lower() != sub.lower() or \
            op.get("region") != norm_region(region):
        raise backup_not_found("Operation '%s' was not found." % op_id)
    return op


def op_status(core, req, sub, region, op_id):
    op = _crr_op(core, req, sub, region, op_id)
    return Response(200, D.op_doc(op, _loc_path(sub, norm_region(region), "backupCrrOperationsStatus", op["id"])))


def op_result(core, req, sub, region, op_id):
    from .backup import _retry_after
    op = _crr_op(core, req, sub, region, op_id)
    if op["status"] == "InProgress":
        self_url = core.endpoint + req.target
        status_url = signed_url(core, sub, region, "backupCrrOperationsStatus", op["id"], req.api_version)
        return Response(202, None, _retry_after(core, {"Location": self_url, "Azure-AsyncOperation": status_url}))
    if op["status"] == "Succeeded":
        return Response(200, None)
    err = op.get("error") or {"code": "UserErrorRestoreOperationFailed", "message": "The operation failed."}
    return Response(400, {"error": {"code": err["code"], "message": err["message"]}})


# ------------------------------------------------------------------ jobs

def _vault_from_body(core, req, sub, region):
    body = req.json
    if not isinstance(body, dict) or not body.get("resourceId"):
        raise ApiError(400, INPUT, "Input is invalid: the body must name the vault in 'resourceId'.")
    p = R.parse_id(body["resourceId"])
    if not p or (p.get("ns") or "").lower() != "microsoft.recoveryservices" or p["type"].lower() != "vaults" \
            or p.get("ctype"):
        raise ApiError(400, INPUT, "Input is invalid: resourceId '%s' is not a Recovery Services vault id."
                       % body["resourceId"])
    vault = core.state.vault(p["sub"], p["rg"], p["name"])
    if vault is None:
        raise ApiError(404, "ResourceNotFound",
                       "The Resource 'Microsoft.RecoveryServices/vaults/%s' under resource group '%s' was not "
                       "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                       % (p["name"], p["rg"]))
    if vault["sub"].lower() != sub.lower():
        raise ApiError(400, INPUT, "The vault belongs to another subscription.")
    secondary = core.state.paired(vault["location"])
    if norm_region(region) != norm_region(secondary or ""):
        raise ApiError(400, "BMSUserErrorInvalidRegion",
                       "Cross region restore jobs of vault '%s' are in its secondary region '%s', not '%s'."
                       % (vault["name"], secondary, region))
    return vault, body


def _crr_jobs(core, vault):
    return [j for j in core.state.jobs.values()
            if j["vault_id"].lower() == vault["id"].lower() and j.get("crr_region")]


def list_jobs(core, req, sub, region):
    from .backup import JOB_FILTER, filter_jobs
    vault, _unused = _vault_from_body(core, req, sub, region)
    f = parse_filter(req.q("$filter"), JOB_FILTER)
    jobs = filter_jobs(_crr_jobs(core, vault), f)
    now = core.now_ts()
    return Response(200, page(core, req, jobs, lambda j: D.job_doc(j, vault, now, req.api_version),
                              req.q("$filter")))


def get_job(core, req, sub, region):
    vault, body = _vault_from_body(core, req, sub, region)
    name = body.get("jobName")
    if not name:
        raise ApiError(400, INPUT, "Input is invalid: 'jobName' is required.")
    job = next((j for j in _crr_jobs(core, vault) if j["id"].lower() == str(name).lower()), None)
    if job is None:
        raise backup_not_found("Job '%s' was not found." % name)
    return Response(200, D.job_doc(job, vault, core.now_ts(), req.api_version))


# ------------------------------------------------------------------ backup status

def backup_status(core, req, sub, region):
    body = req.json
    if not isinstance(body, dict) or not body.get("resourceId"):
        raise ApiError(400, INPUT, "Input is invalid: 'resourceId' is required.")
    rid = str(body["resourceId"]).lower()
    for vault in core.state.vaults.values():
        if vault["sub"].lower() != sub.lower():
            continue
        for item in vault["items"].values():
            if item["vm_id"].lower() == rid:
                return Response(200, {
                    "protectionStatus": "Protected",
                    "vaultId": vault["id"],
                    "fabricName": "Azure",
                    "containerName": item["container"],
                    "protectedItemName": item["name"],
                    "policyName": item["policy"],
                    "registrationStatus": "Registered",
                })
    return Response(200, {"protectionStatus": "NotProtected"})
