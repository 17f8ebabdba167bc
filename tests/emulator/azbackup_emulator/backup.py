"""Microsoft.RecoveryServices backup operations on a vault (primary region, and the vault-scoped
reads of the secondary region at the passive-stamp api-versions)."""

from . import docs as D
from . import versions as V
from .core_types import Response
from .errors import ApiError, Validation, backup_not_found, method_not_allowed, resource_not_found, rg_not_found
from .listing import page, parse_filter
from .restore import validate
from .util import new_uuid, parse_time, us_time
from . import ilr
from . import guard as G

ILR_ACTIONS = {"provisioninstantitemrecovery": ilr.provision, "revokeinstantitemrecovery": ilr.revoke}

VAULT_PREFIX = ["subscriptions", None, "resourcegroups", None, "providers", "microsoft.recoveryservices", "vaults", None]

PRIMARY_ONLY = "primary"
BOTH = "both"
CRR_ONLY = "crr"


def _is_vault_path(segs):
    if len(segs) < 9:
        return False
    low = [s.lower() for s in segs[:8]]
    return (low[0] == "subscriptions" and low[2] == "resourcegroups" and low[4] == "providers"
            and low[5] == "microsoft.recoveryservices" and low[6] == "vaults")


def check_version(core, req, which, vault_location, rtype="vaults"):
    if which == PRIMARY_ONLY:
        allowed = V.BACKUP_PRIMARY
    elif which == CRR_ONLY:
        allowed = V.BACKUP_CRR
    else:
        allowed = V.BACKUP_PRIMARY + V.BACKUP_CRR
    V.check_api_version(req.api_version, allowed, rtype, vault_location or "westeurope",
                        core.state.region_names())


def load_vault(core, req):
    segs = req.segments
    sub, rg, name = segs[1], segs[3], segs[7]
    if core.state.rg(sub, rg) is None:
        raise rg_not_found(rg)
    vault = core.state.vault(sub, rg, name)
    if vault is None:
        raise resource_not_found("Microsoft.RecoveryServices/vaults", name, rg)
    return vault


def crr_vault_check(vault):
    if not vault["crr"]:
        raise ApiError(400, "BMSUserErrorCrossRegionRestoreNotEnabled",
                       "Cross Region Restore is not enabled for the vault '%s'. Enable Cross Region Restore "
                       "on a geo-redundant vault to read or restore data in the secondary region." % vault["name"])


def find_item(vault, fabric, container, item_name):
    if fabric.lower() != "azure":
        raise backup_not_found("Fabric '%s' was not found. Azure virtual machines use the fabric 'Azure'." % fabric)
    item = vault["items"].get(item_name.lower())
    c = container.lower()
    if item is not None and c not in (item["container"].lower(), item["short_container"].lower()):
        item = None
    if item is None:
        raise backup_not_found("Item not found: the protected item '%s' of container '%s' does not exist in "
                               "vault '%s'." % (item_name, container, vault["name"]))
    return item


def find_container(vault, fabric, container):
    if fabric.lower() != "azure":
        raise backup_not_found("Fabric '%s' was not found." % fabric)
    c = container.lower()
    for item in vault["items"].values():
        if c in (item["container"].lower(), item["short_container"].lower()):
            return item
    raise backup_not_found("Container '%s' was not found in vault '%s'." % (container, vault["name"]))


def find_rp(core, item, rp_name, secondary):
    rps = D.visible_rps(item, secondary)
    rp = next((r for r in rps if r["name"] == rp_name), None)
    if rp is None:
        raise backup_not_found("Recovery point '%s' was not found%s for item '%s'."
                               % (rp_name, " in the secondary region" if secondary else "", item["vm_name"]))
    return rp


def route(core, req):
    segs = req.segments
    if not _is_vault_path(segs):
        return None
    rest = segs[8:]
    low = [s.lower() for s in rest]
    m = req.method
    head = low[0]

    if head in ("backupprotecteditems",) and len(low) == 1:
        return _dispatch(core, req, BOTH, {"GET": list_items}, None)
    if head == "backupprotectioncontainers" and len(low) == 1:
        return _dispatch(core, req, PRIMARY_ONLY, {"GET": list_containers}, None)
    if head == "backupstorageconfig" and low[1:] == ["vaultstorageconfig"]:
        return _dispatch(core, req, BOTH, {"GET": storage_config, "PUT": storage_config,
                                           "PATCH": storage_config}, None)
    if head == "backupresourceguardproxies" and len(low) in (1, 2):
        return _dispatch(core, req, PRIMARY_ONLY, {"GET": guard_proxies}, rest[1] if len(low) == 2 else None)
    if head == "backupvalidateoperation" and len(low) == 1:
        return _dispatch(core, req, PRIMARY_ONLY, {"POST": validate_operation}, None)
    if head == "backupoperations" and len(low) == 2:
        return _dispatch(core, req, PRIMARY_ONLY, {"GET": vault_op_status}, rest[1])
    if head == "backupoperationresults" and len(low) == 2:
        return _dispatch(core, req, PRIMARY_ONLY, {"GET": vault_op_result}, rest[1])
    if head == "backupjobs":
        if len(low) == 1:
            return _dispatch(core, req, PRIMARY_ONLY, {"GET": list_jobs}, None)
        if len(low) == 2:
            return _dispatch(core, req, PRIMARY_ONLY, {"GET": get_job}, rest[1])
        if len(low) == 3 and low[2] == "cancel":
            return _dispatch(core, req, PRIMARY_ONLY, {"POST": cancel_job}, rest[1])
        if len(low) == 4 and low[2] == "operationresults":
            return _dispatch(core, req, PRIMARY_ONLY, {"GET": job_op_result}, (rest[1], rest[3]))
    if head == "backupfabrics" and len(low) >= 4 and low[2] == "protectioncontainers":
        fabric, container = rest[1], rest[3]
        if len(low) == 4:
            return _dispatch(core, req, PRIMARY_ONLY, {"GET": get_container}, (fabric, container))
        if len(low) >= 6 and low[4] == "protecteditems":
            ids = (fabric, container, rest[5])
            tail = low[6:]
            if not tail:
                return _dispatch(core, req, BOTH, {"GET": get_item}, ids)
            if tail == ["recoverypoints"]:
                return _dispatch(core, req, BOTH, {"GET": list_rps}, ids)
            if len(tail) == 2 and tail[0] == "recoverypoints":
                return _dispatch(core, req, BOTH, {"GET": get_rp}, ids + (rest[7],))
            if len(tail) == 3 and tail[0] == "recoverypoints" and tail[2] == "restore":
                return _dispatch(core, req, PRIMARY_ONLY, {"POST": trigger_restore}, ids + (rest[7],))
            if len(tail) == 3 and tail[0] == "recoverypoints" and tail[2] == "accesstoken":
                from . import crr
                return _dispatch(core, req, CRR_ONLY, {"POST": crr.access_token}, ids + (rest[7],))
            if len(tail) == 3 and tail[0] == "recoverypoints" and tail[2] in ILR_ACTIONS:
                return _dispatch(core, req, PRIMARY_ONLY, {"POST": ILR_ACTIONS[tail[2]]}, ids + (rest[7],))
            if len(tail) == 2 and tail[0] == "operationsstatus":
                return _dispatch(core, req, PRIMARY_ONLY, {"GET": item_op_status}, ids + (rest[7],))
            if len(tail) == 2 and tail[0] == "operationresults":
                return _dispatch(core, req, PRIMARY_ONLY, {"GET": item_op_result}, ids + (rest[7],))
    # The vault exists as a resource type, but this child type is not served by the emulator.
    vault_location = _vault_location(core, req)
    V.check_api_version(req.api_version, V.BACKUP_PRIMARY + V.BACKUP_CRR, "vaults", vault_location,
                        core.state.region_names())
    load_vault(core, req)
    raise ApiError(404, "InvalidResourceType",
                   "The resource type '%s' could not be found in the namespace 'Microsoft.RecoveryServices' "
                   "for api version '%s'." % ("vaults/" + "/".join(rest[::2]), req.api_version))


def _vault_location(core, req):
    segs = req.segments
    v = core.state.vault(segs[1], segs[3], segs[7])
    return v["location"] if v else "westeurope"


def _dispatch(core, req, which, methods, args):
    check_version(core, req, which, _vault_location(core, req))
    vault = load_vault(core, req)
    fn = methods.get(req.method)
    if fn is None:
        raise method_not_allowed(req.method)
    return fn(core, req, vault, args)


# ------------------------------------------------------------------ protected items

ITEM_FILTER = {k.lower(): k for k in ("backupManagementType", "itemType", "policyName", "containerName",
                                      "backupEngineName", "friendlyName", "fabricName", "backupSetName",
                                      "healthState", "expand")}


def list_items(core, req, vault, _unused):
    secondary = V.is_crr(req.api_version)
    if secondary:
        crr_vault_check(vault)
    f = parse_filter(req.q("$filter"), ITEM_FILTER)
    items = sorted(vault["items"].values(), key=lambda i: (i["vm_rg"].lower(), i["vm_name"].lower()))
    out = []
    for it in items:
        if secondary and not D.visible_rps(it, True):
            continue
        if "backupmanagementtype" in f and f["backupmanagementtype"].lower() != "azureiaasvm":
            continue
        if "itemtype" in f and f["itemtype"].lower() != "vm":
            continue
        if "policyname" in f and f["policyname"].lower() != it["policy"].lower():
            continue
        if "friendlyname" in f and f["friendlyname"].lower() != it["vm_name"].lower():
            continue
        if "containername" in f and f["containername"].lower() not in (
                it["container"].lower(), it["short_container"].lower()):
            continue
        if "fabricname" in f and f["fabricname"].lower() != "azure":
            continue
        if "healthstate" in f and f["healthstate"].lower() != it.get("health_status", "Passed").lower():
            continue
        if "backupenginename" in f or "backupsetname" in f:
            continue
        out.append(it)
    return Response(200, page(core, req, out, lambda it: D.item_doc(vault, it, req.api_version, secondary),
                              req.q("$filter")))


def get_item(core, req, vault, ids):
    secondary = V.is_crr(req.api_version)
    if secondary:
        crr_vault_check(vault)
    item = find_item(vault, *ids)
    if secondary and not D.visible_rps(item, True):
        raise backup_not_found("The item '%s' has no data in the secondary region yet." % item["vm_name"])
    return Response(200, D.item_doc(vault, item, req.api_version, secondary))


def list_containers(core, req, vault, _unused):
    f = parse_filter(req.q("$filter"), {k.lower(): k for k in (
        "backupManagementType", "containerType", "backupEngineName", "fabricName", "status", "friendlyName")})
    if "backupmanagementtype" not in f:
        raise ApiError(400, "BMSUserErrorInvalidInput",
                       "Input for the filter is invalid: backupManagementType is required.")
    items = sorted(vault["items"].values(), key=lambda i: (i["vm_rg"].lower(), i["vm_name"].lower()))
    out = []
    for it in items:
        if f["backupmanagementtype"].lower() != "azureiaasvm":
            continue
        if "friendlyname" in f and f["friendlyname"].lower() != it["vm_name"].lower():
            continue
        if "status" in f and f["status"].lower() != "registered":
            continue
        out.append(it)
    return Response(200, page(core, req, out, lambda it: D.container_doc(vault, it, req.api_version),
                              req.q("$filter")))


def get_container(core, req, vault, ids):
    item = find_container(vault, *ids)
    return Response(200, D.container_doc(vault, item, req.api_version))


# ------------------------------------------------------------------ recovery points

RP_FILTER = {k.lower(): k for k in ("startDate", "endDate", "restorePointQueryType", "extendedInfo",
                                    "moveReadyRPOnly", "includeSoftDeletedRP")}


def _filter_time(f, key):
    if key not in f:
        return None
    t = parse_time(f[key])
    if t is None:
        raise ApiError(400, "BMSUserErrorInvalidInput",
                       "Input for the filter is invalid: '%s' is not a valid date-time for %s."
                       % (f[key], RP_FILTER.get(key, key)))
    return t


def list_rps(core, req, vault, ids):
    secondary = V.is_crr(req.api_version)
    if secondary:
        crr_vault_check(vault)
    item = find_item(vault, *ids)
    f = parse_filter(req.q("$filter"), RP_FILTER)
    start = _filter_time(f, "startdate")
    end = _filter_time(f, "enddate")
    if start and end and start > end:
        raise ApiError(400, "BMSUserErrorInvalidInput",
                       "Input for the filter is invalid: startDate must not be later than endDate.")
    rps = D.visible_rps(item, secondary)
    out = [r for r in rps if (start is None or r["time"] >= start) and (end is None or r["time"] <= end)]
    if str(f.get("movereadyrponly", "")).lower() == "true":
        out = []
    return Response(200, page(core, req, out, lambda r: D.rp_doc(vault, item, r, req.api_version, secondary),
                              req.q("$filter")))


def get_rp(core, req, vault, ids):
    secondary = V.is_crr(req.api_version)
    if secondary:
        crr_vault_check(vault)
        if req.api_version == "2018-12-20":
            raise ApiError(400, "NoRegisteredProviderFound",
                           "No registered resource provider found for location '%s' and API version '%s' for "
                           "type 'vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints'."
                           % (vault["location"], req.api_version))
    item = find_item(vault, *ids[:3])
    rp = find_rp(core, item, ids[3], secondary)
    return Response(200, D.rp_doc(vault, item, rp, req.api_version, secondary))


# ------------------------------------------------------------------ restore

def outcomes_from(rules):
    """The operation / job outcomes the fault rules of a request ask for."""
    op_outcome = None
    job_outcome = None
    for r in rules or []:
        if r["action"] == "operation_outcome":
            op_outcome = {"status": r.get("status", "Failed"),
                          "code": r.get("code", "UserErrorRestoreOperationFailed"),
                          "message": r.get("message", "The restore operation failed.")}
        elif r["action"] == "job_outcome":
            job_outcome = {k: r[k] for k in ("status", "error_code", "error_title", "error_string",
                                             "recommendations") if k in r}
    return op_outcome, job_outcome


def consume_outcome_rules(rules):
    for r in rules or []:
        if r["action"] in ("operation_outcome", "job_outcome"):
            r["applied"] += 1


def initial_property_bag(vault, item, rp, plan):
    bag = {
        "Job Type": D.JOB_TYPE_NAMES[plan["recovery_type"]],
        "Recovery point time ": us_time(rp["time"]),
        "Target Storage Account Name": plan["storage_account"]["name"],
    }
    if plan["recovery_type"] == "OriginalLocation":
        bag["Target resource group"] = item["vm_rg"]
    elif plan.get("target_rg"):
        bag["Target resource group"] = plan["target_rg"]["name"]
    if plan["recovery_type"] == "AlternateLocation":
        bag["Target VM Name"] = plan["target_vm"]["name"]
    if plan.get("rehydration"):
        bag["Rehydration Priority"] = plan["rehydration"]["priority"]
    if plan.get("crr_region"):
        bag["Vault Subscription Id"] = vault["sub"]
        bag["Vault Resource Group Name"] = vault["rg"]
        bag["Vault Name"] = vault["name"]
        bag["Source Region"] = vault["location"]
    return bag


def job_spec(vault, item, rp, plan, job_outcome):
    from .restore import restored_size_gb
    return {
        "vm_name": item["vm_name"],
        "short_container": item["short_container"],
        "property_bag": initial_property_bag(vault, item, rp, plan),
        "size_gb": restored_size_gb(rp, plan),
        "outcome": job_outcome,
    }


def _retry_after(core, headers):
    ra = core.settings.get("retry_after")
    if ra not in (None, 0, "", False):
        headers["Retry-After"] = str(int(ra))
    return headers


def guard_proxies(core, req, vault, name):
    guard = vault.get("resource_guard")
    updated = core.state.anchor.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    body = G.proxy_body(vault, guard, updated) if guard else None
    if name is None:
        return Response(200, {"value": [body] if body else []})
    if body is None or name.lower() != G.PROXY_NAME.lower():
        raise ApiError(404, "BMSUserErrorObjectNotFound", "The resource guard proxy '%s' was not found." % name)
    return Response(200, body)


def trigger_restore(core, req, vault, ids):
    item = find_item(vault, *ids[:3])
    rp = find_rp(core, item, ids[3], False)
    body = req.json
    if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
        raise ApiError(400, "BMSUserErrorInvalidInput",
                       "Input for restore request is invalid: the restore parameters must be sent in "
                       "'properties' (a RestoreRequestResource).")
    try:
        plan = validate(core, vault, item, rp, body["properties"], req.api_version)
    except Validation as e:
        raise e.to_api_error()
    G.check_restore(core, req, vault, body["properties"])
    op_outcome, job_outcome = outcomes_from(req.fault_actions)
    op = core.new_operation("restore", vault, item["name"], plan, job_spec(vault, item, rp, plan, job_outcome),
                            outcome=op_outcome)
    consume_outcome_rules(req.fault_actions)
    base = core.endpoint + D.item_path(vault, item)
    headers = {
        "Azure-AsyncOperation": "%s/operationsStatus/%s?api-version=%s" % (base, op["id"], req.api_version),
        "Location": "%s/operationResults/%s?api-version=%s" % (base, op["id"], req.api_version),
    }
    return Response(202, None, _retry_after(core, headers))


def _op(core, vault, op_id, item=None):
    op = core.state.ops.get(op_id)
    if op is None or op["kind"] not in ("restore", "ilr") or op["vault_id"].lower() != vault["id"].lower() or \
            (item is not None and (op.get("item") or "").lower() != item["name"].lower()):
        raise backup_not_found("Operation '%s' was not found." % op_id)
    return op


def item_op_status(core, req, vault, ids):
    item = find_item(vault, *ids[:3])
    return Response(200, D.op_doc(_op(core, vault, ids[3], item)))


def vault_op_status(core, req, vault, op_id):
    return Response(200, D.op_doc(_op(core, vault, op_id)))


def _op_result(core, req, op, self_url, status_url):
    if op["status"] == "InProgress":
        return Response(202, None, _retry_after(core, {"Location": self_url, "Azure-AsyncOperation": status_url}))
    if op["status"] == "Succeeded":
        return Response(204, None)
    err = op.get("error") or {"code": "UserErrorRestoreOperationFailed", "message": "The operation failed."}
    return Response(400, {"error": {"code": err["code"], "message": err["message"]}})


def item_op_result(core, req, vault, ids):
    item = find_item(vault, *ids[:3])
    op = _op(core, vault, ids[3], item)
    base = core.endpoint + D.item_path(vault, item)
    return _op_result(core, req, op, "%s/operationResults/%s?api-version=%s" % (base, op["id"], req.api_version),
                      "%s/operationsStatus/%s?api-version=%s" % (base, op["id"], req.api_version))


def vault_op_result(core, req, vault, op_id):
    op = _op(core, vault, op_id)
    base = core.endpoint + vault["id"]
    return _op_result(core, req, op, "%s/backupOperationResults/%s?api-version=%s" % (base, op["id"], req.api_version),
                      "%s/backupOperations/%s?api-version=%s" % (base, op["id"], req.api_version))


# ------------------------------------------------------------------ validate

def validate_operation(core, req, vault, _unused):
    body = req.json
    if not isinstance(body, dict):
        raise ApiError(400, "BMSUserErrorInvalidInput", "Input for validate operation is invalid: a JSON body is required.")
    inner = body.get("properties") if isinstance(body.get("properties"), dict) else body
    if inner.get("objectType") not in ("ValidateIaasVMRestoreOperationRequest", "ValidateRestoreOperationRequest"):
        raise ApiError(400, "BMSUserErrorInvalidInput",
                       "Input for validate operation is invalid: objectType '%s' is not supported; use "
                       "'ValidateIaasVMRestoreOperationRequest'." % inner.get("objectType"))
    rr = inner.get("restoreRequest")
    if not isinstance(rr, dict):
        raise ApiError(400, "BMSUserErrorInvalidInput", "Input for validate operation is invalid: restoreRequest is required.")
    item = rp = None
    rp_ref = body.get("id")
    if rp_ref:
        segs = [s for s in str(rp_ref).split("/") if s != ""]
        low = [s.lower() for s in segs]
        try:
            i = low.index("backupfabrics")
            fabric, container, item_name, rp_name = segs[i + 1], segs[i + 3], segs[i + 5], segs[i + 7]
            if low[i + 2] != "protectioncontainers" or low[i + 4] != "protecteditems" or low[i + 6] != "recoverypoints":
                raise ValueError
        except (ValueError, IndexError):
            raise ApiError(400, "BMSUserErrorInvalidInput", "Input for validate operation is invalid: 'id' must "
                                                            "be the ARM id of a recovery point.")
        if "/".join(low[:8]) != vault["id"].strip("/").lower():
            raise backup_not_found("The recovery point '%s' does not belong to vault '%s'." % (rp_ref, vault["name"]))
        item = find_item(vault, fabric, container, item_name)
        rp = find_rp(core, item, rp_name, False)
    else:
        item = core.state.find_item_by_vm(vault, rr.get("sourceResourceId") or "")
        if item is not None:
            rp = next((r for r in item["rps"] if r["name"] == str(rr.get("recoveryPointId"))), None)
    results = []
    if item is None or rp is None:
        results.append({"code": "BMSUserErrorObjectNotFound",
                        "message": "The recovery point to restore from was not found in vault '%s'." % vault["name"]})
    else:
        try:
            validate(core, vault, item, rp, rr, req.api_version)
        except Validation as e:
            results.append(e.to_result())
    return Response(200, {"validateOperationResponse": {"validationResults": results}})


# ------------------------------------------------------------------ jobs

JOB_FILTER = {k.lower(): k for k in ("status", "operation", "backupManagementType", "startTime", "endTime", "jobId")}


def primary_jobs(core, vault):
    return [j for j in core.state.jobs.values()
            if j["vault_id"].lower() == vault["id"].lower() and not j.get("crr_region")]


def filter_jobs(jobs, f):
    start = _filter_time(f, "starttime")
    end = _filter_time(f, "endtime")
    out = []
    for j in jobs:
        if "status" in f and f["status"].lower() != j["status"].lower():
            continue
        if "operation" in f and f["operation"].lower() != j["operation"].lower():
            continue
        if "backupmanagementtype" in f and f["backupmanagementtype"].lower() != "azureiaasvm":
            continue
        if "jobid" in f and f["jobid"].lower() != j["id"].lower():
            continue
        if start is not None and j["start"] < start.timestamp():
            continue
        if end is not None and j["start"] > end.timestamp():
            continue
        out.append(j)
    out.sort(key=lambda j: j["start"], reverse=True)
    return out


def list_jobs(core, req, vault, _unused):
    f = parse_filter(req.q("$filter"), JOB_FILTER)
    jobs = filter_jobs(primary_jobs(core, vault), f)
    now = core.now_ts()
    return Response(200, page(core, req, jobs, lambda j: D.job_doc(j, vault, now, req.api_version), req.q("$filter")))


def _job(core, vault, job_id):
    job = core.state.jobs.get(job_id)
    if job is None:
        job = next((j for j in core.state.jobs.values() if j["id"].lower() == str(job_id).lower()), None)
    if job is None or job["vault_id"].lower() != vault["id"].lower() or job.get("crr_region"):
        raise backup_not_found("Job '%s' was not found in vault '%s'." % (job_id, vault["name"]))
    return job


def get_job(core, req, vault, job_id):
    job = _job(core, vault, job_id)
    return Response(200, D.job_doc(job, vault, core.now_ts(), req.api_version))


def cancel_job(core, req, vault, job_id):
    job = _job(core, vault, job_id)
    if job["status"] not in ("InProgress", "Cancelling"):
        raise ApiError(400, "BMSUserErrorJobNotCancellable",
                       "The job '%s' can't be cancelled because it has already finished (status: %s)."
                       % (job["id"], job["status"]))
    if job["cancel_at"] is None:
        job["cancel_at"] = core.now_ts()
        job["status"] = "Cancelling"
    op_id = new_uuid()
    core.state.ops[op_id] = {"id": op_id, "kind": "cancel", "vault_id": vault["id"], "item": job["item"],
                             "job_id": job["id"], "start": core.now_ts(), "duration": 0, "status": "InProgress",
                             "end": None, "outcome": {"status": "Succeeded"}}
    core.tick()
    loc = "%s%s/backupJobs/%s/operationResults/%s?api-version=%s" % (
        core.endpoint, vault["id"], job["id"], op_id, req.api_version)
    return Response(202, None, _retry_after(core, {"Location": loc}))


def job_op_result(core, req, vault, ids):
    job = _job(core, vault, ids[0])
    op = core.state.ops.get(ids[1])
    if op is None or op["kind"] != "cancel" or op["job_id"] != job["id"]:
        raise backup_not_found("Operation '%s' was not found for job '%s'." % (ids[1], job["id"]))
    if op["status"] == "InProgress":
        loc = "%s%s/backupJobs/%s/operationResults/%s?api-version=%s" % (
            core.endpoint, vault["id"], job["id"], op["id"], req.api_version)
        return Response(202, None, _retry_after(core, {"Location": loc}))
    return Response(204, None)


# ------------------------------------------------------------------ storage config

def storage_config(core, req, vault, _unused):
    crr_api = V.is_crr(req.api_version)
    if req.method in ("PUT", "PATCH"):
        body = req.json if isinstance(req.json, dict) else {}
        props = body.get("properties") or {}
        if "crossRegionRestoreFlag" in props:
            flag = bool(props["crossRegionRestoreFlag"])
            if flag and vault["redundancy"] != "GeoRedundant":
                raise ApiError(400, "BMSUserErrorCrossRegionRestoreNotAllowed",
                               "Cross Region Restore can only be enabled on a geo-redundant vault.")
            vault["crr"] = flag
            vbody = core.state.get(vault["id"])
            if vbody:
                vbody["properties"]["redundancySettings"]["crossRegionRestore"] = "Enabled" if flag else "Disabled"
        if req.method == "PATCH":
            return Response(204, None)
    props = {
        "storageModelType": vault["redundancy"],
        "storageType": vault["redundancy"],
        "storageTypeState": "Locked",
        "crossRegionRestoreFlag": bool(vault["crr"]),
    }
    if not crr_api and V.profile(req.api_version) == "modern":
        props["dedupState"] = "Disabled"
        props["xcoolState"] = "Disabled"
    return Response(200, {
        "id": "%s/backupstorageconfig/vaultstorageconfig" % vault["id"],
        "name": "vaultstorageconfig",
        "type": "Microsoft.RecoveryServices/vaults/backupstorageconfig",
        "properties": props,
    })
