"""Item-level (file) recovery: provisionInstantItemRecovery / revokeInstantItemRecovery, the session
flag of recovery points (isInstantIlrSessionActive), session expiry on the emulated clock, and the
client scripts (a Linux Python script, base64-encoded as Azure sends it; a URL for Windows)."""

import base64
import hashlib
import json
import os
import secrets
import string
import time

from . import docs as D
from .core_types import Response
from .errors import ApiError
from .util import det_hex, from_ts, iso, new_uuid

SCRIPT_TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ilr_script.py")
PASSWORD_ALPHABET = string.ascii_letters + string.digits
INPUT = "BMSUserErrorInvalidInput"


def _password():
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _unused in range(15))


def _substitute(text, rp, item):
    for key, value in (("{rp}", rp["name"]), ("{time}", iso(rp["time"])), ("{vm}", item["vm_name"])):
        text = text.replace(key, value)
    return text


def _volumes(spec, rp, item):
    """The volumes of a point: the world's ``file_recovery.volumes`` with ``{rp}``, ``{time}``, ``{vm}``
    replaced in file contents (so that each point's files differ)."""
    out = []
    for i, vol in enumerate((spec or {}).get("volumes") or []):
        files = {}
        for rel, entry in (vol.get("files") or {}).items():
            if not isinstance(entry, dict):
                entry = {"content": entry}
            content = _substitute(str(entry.get("content", "")), rp, item).encode("utf-8")
            files[rel] = {"content": base64.b64encode(content).decode("ascii"), "mode": str(entry.get("mode", "0644"))}
        out.append({"label": vol.get("label") or "Volume%d" % (i + 1), "files": files,
                    "folders": list(vol.get("folders") or []), "links": dict(vol.get("links") or {})})
    if not out:
        out.append({"label": "Volume1", "files": {}, "folders": [], "links": {}})
    return out


def linux_script(core, item, rp, password, expires_ts):
    """The Python client script of a session, with the point's tree inside."""
    remaining = max(0.0, (expires_ts - core.now_ts()) / max(core.clock.scale, 1e-9))
    session = {
        "vm": item["vm_name"], "recovery_point": rp["name"],
        "password_sha256": hashlib.sha256(password.encode("utf-8")).hexdigest(),
        "expires_at": time.time() + remaining,
        "volumes": _volumes(item.get("file_recovery"), rp, item),
    }
    with open(SCRIPT_TEMPLATE, encoding="utf-8") as f:
        text = f.read()
    blob = base64.b64encode(json.dumps(session, sort_keys=True).encode("utf-8")).decode("ascii")
    # Azure's scripts spell the line TargetPassword="..." (what the Azure CLI replaces).
    text = text.replace('TargetPassword = "__TARGET_PASSWORD__"', 'TargetPassword="%s"' % password)
    return "#!/usr/bin/env python3\n" + text.replace("__SESSION__", blob)


def client_scripts(core, vault, item, rp, password, expires_ts):
    """``ClientScriptForConnect`` list: the script's name suffix carries the password 33 characters after
    its last ``_`` (where the Azure CLI reads it)."""
    tag = det_hex(32, "ilr", vault["id"].lower(), item["name"].lower(), rp["name"], new_uuid())
    suffix = "%s_%s_%s_%s%s" % (item["vm_name"], vault["location"], item["container_numeric_id"], tag, password)
    if (rp["snapshot"].get("os_type") or "Linux").lower() == "windows":
        return [{"osType": "Windows", "scriptExtension": ".exe", "scriptNameSuffix": suffix,
                 "url": "https://%s.ilr.backup.windowsazure.com/download/%s/ILRExeFile.exe"
                        % (vault["location"].lower(), tag)}]
    content = linux_script(core, item, rp, password, expires_ts)
    return [{"osType": "Linux", "scriptExtension": ".py", "scriptNameSuffix": suffix,
             "scriptContent": base64.b64encode(content.encode("utf-8")).decode("ascii")}]


def _check_request(item, rp, body):
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict) or props.get("objectType") != "IaasVMILRRegistrationRequest":
        raise ApiError(400, INPUT, "Input for file recovery is invalid: send an ILRRequestResource whose "
                                   "properties have objectType 'IaasVMILRRegistrationRequest'.")
    if props.get("recoveryPointId") is not None and str(props["recoveryPointId"]) != rp["name"]:
        raise ApiError(400, "UserErrorInvalidRequestParameter",
                       "The recovery point id '%s' in the request does not match the recovery point '%s' of the "
                       "request URL." % (props["recoveryPointId"], rp["name"]))
    vm_id = props.get("virtualMachineId")
    if not vm_id or str(vm_id).rstrip("/").lower() != item["vm_id"].lower():
        raise ApiError(400, "UserErrorInvalidRequestParameter",
                       "The virtualMachineId '%s' does not match the backed up virtual machine '%s'."
                       % (vm_id, item["vm_id"]))
    if not any(t["type"] in ("InstantRP", "HardenedRP") and t["status"] == "Valid" for t in rp["tiers"]):
        raise ApiError(400, "UserErrorRecoveryPointNotUsable",
                       "File recovery is not supported from recovery point '%s': it is only in the archive tier. "
                       "Rehydrate it first." % rp["name"])
    return props


def _operation(core, vault, item, extended=None):
    now = core.now_ts()
    op = {"id": new_uuid(), "kind": "ilr", "vault_id": vault["id"], "item": item["name"], "start": now,
          "duration": float(core.settings.get("operation_duration_seconds") or 0), "status": "InProgress",
          "end": None, "outcome": {"status": "Succeeded"}, "job_id": None, "extended": extended}
    core.state.ops[op["id"]] = op
    advance(core, op, now)
    return op


def advance(core, op, now):
    """ILR operations end without a job; their status document carries ``extended`` when given."""
    if op["status"] == "InProgress" and now >= op["start"] + op["duration"]:
        op["status"] = "Succeeded"
        op["end"] = op["start"] + op["duration"]


def _accepted(core, req, vault, item, op):
    from .backup import _retry_after
    base = core.endpoint + D.item_path(vault, item)
    return Response(202, None, _retry_after(core, {
        "Azure-AsyncOperation": "%s/operationsStatus/%s?api-version=%s" % (base, op["id"], req.api_version),
        "Location": "%s/operationResults/%s?api-version=%s" % (base, op["id"], req.api_version),
    }))


def provision(core, req, vault, ids):
    from .backup import find_item, find_rp
    item = find_item(vault, *ids[:3])
    rp = find_rp(core, item, ids[3], False)
    props = _check_request(item, rp, req.json)
    now = core.now_ts()
    expires = now + float(core.settings.get("ilr_session_seconds") or 43200)
    password = _password()
    scripts = client_scripts(core, vault, item, rp, password, expires)
    rp["ilr_session"] = {"opened": now, "expires": expires, "initiator": props.get("initiatorName"),
                         "renewed": bool(props.get("renewExistingRegistration"))}
    op = _operation(core, vault, item, {"objectType": "OperationStatusProvisionILRExtendedInfo",
                                        "recoveryTarget": {"clientScripts": scripts}})
    return _accepted(core, req, vault, item, op)


def revoke(core, req, vault, ids):
    from .backup import find_item, find_rp
    item = find_item(vault, *ids[:3])
    rp = find_rp(core, item, ids[3], False)
    rp.pop("ilr_session", None)
    return _accepted(core, req, vault, item, _operation(core, vault, item))


def expire_sessions(core, now):
    """Close the sessions whose time is up (Azure closes them 12 hours after they were opened)."""
    for vault in core.state.vaults.values():
        for item in vault["items"].values():
            for rp in item["rps"]:
                session = rp.get("ilr_session")
                if session and now >= session["expires"]:
                    rp.pop("ilr_session", None)


def session_view(core):
    """The open sessions, for the control API's state."""
    out = []
    for vault in core.state.vaults.values():
        for item in vault["items"].values():
            for rp in item["rps"]:
                s = rp.get("ilr_session")
                if s:
                    out.append({"vault": vault["name"], "vm_name": item["vm_name"], "recovery_point": rp["name"],
                                "initiator": s["initiator"], "renewed": s["renewed"],
                                "expires": iso(from_ts(s["expires"]))})
    return out
