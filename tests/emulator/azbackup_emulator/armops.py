"""Asynchronous operations of the plain ARM providers (Microsoft.Compute, Microsoft.Network):
deletes and run commands. ARM's pattern: the request answers 201/202 with
`Azure-AsyncOperation: /subscriptions/{s}/providers/{ns}/locations/{loc}/operations/{id}` (the
status document) and, for deletes, `Location: …/operationResults/{id}` (202 while running, then
204 / 200). Operations end on the emulator clock (advanced in `Core.tick`)."""

import urllib.parse

from . import versions as V
from .core_types import Response
from .errors import ApiError, method_not_allowed
from .util import from_ts, iso_offset, new_uuid, norm_region

NAMESPACES = {"microsoft.compute": "Microsoft.Compute", "microsoft.network": "Microsoft.Network"}


def start(core, sub, ns, location, kind, target, duration, data=None):
    """Register an operation that ends `duration` emulated seconds from now."""
    op = {"id": new_uuid(), "sub": sub, "ns": ns, "location": norm_region(location), "kind": kind,
          "target": target, "start": core.now_ts(), "duration": max(0.0, float(duration or 0)),
          "status": "InProgress", "end": None, "error": None, "data": dict(data or {})}
    core.state.arm_ops[op["id"]] = op
    return op


def pending(core, kind, target):
    """The running operation of that kind on that resource, if any."""
    for op in core.state.arm_ops.values():
        if op["status"] == "InProgress" and op["kind"] == kind and op["target"].lower() == target.lower():
            return op
    return None


def headers(core, op, api_version, location=True):
    base = "%s/subscriptions/%s/providers/%s/locations/%s" % (core.endpoint, op["sub"], op["ns"], op["location"])
    query = "api-version=%s" % urllib.parse.quote(api_version or "")
    out = {"Azure-AsyncOperation": "%s/operations/%s?%s" % (base, op["id"], query)}
    if location:
        out["Location"] = "%s/operationResults/%s?%s" % (base, op["id"], query)
    ra = core.settings.get("retry_after")
    if ra is not None:
        out["Retry-After"] = str(int(ra))
    return out


def _finishers():
    from . import deletes, runcommand
    return {"delete": deletes.finish, "run_command": runcommand.finish,
            "run_command_delete": runcommand.finish_delete}


def advance(core, now):
    due = [op for op in core.state.arm_ops.values()
           if op["status"] == "InProgress" and now >= op["start"] + op["duration"]]
    if not due:
        return
    finishers = _finishers()
    for op in sorted(due, key=lambda o: o["start"] + o["duration"]):
        at = op["start"] + op["duration"]
        op["end"] = at
        finishers[op["kind"]](core, op, at)
        if op["status"] == "InProgress":
            op["status"] = "Succeeded"


def fail(op, code, message):
    op["status"] = "Failed"
    op["error"] = {"code": code, "message": message}


def status_doc(op):
    """Compute's status document {name, status, startTime, endTime?, error?}; Network's {status, error?}."""
    if op["ns"] == "Microsoft.Network":
        doc = {"status": op["status"]}
    else:
        doc = {"name": op["id"], "status": op["status"], "startTime": iso_offset(from_ts(op["start"]))}
        if op["end"] is not None:
            doc["endTime"] = iso_offset(from_ts(op["end"]))
    if op["error"]:
        doc["error"] = dict(op["error"])
    return doc


def route(core, req, sub, ns, location, rest):
    """GET /subscriptions/{s}/providers/{ns}/locations/{loc}/operations/{id} (the status; with
    `monitor=true`, as Compute's own Location URLs say, the result) and …/operationResults/{id}."""
    kind = rest[0].lower()
    if ns.lower() not in NAMESPACES or kind not in ("operations", "operationresults") or len(rest) != 2:
        return None
    V.check_api_version(req.api_version, V.plausible_generic, "locations/" + rest[0], location,
                        core.state.region_names())
    if req.method != "GET":
        raise method_not_allowed(req.method)
    op = core.state.arm_ops.get(rest[1])
    if op is None or op["sub"].lower() != sub.lower() or op["ns"].lower() != ns.lower() \
            or op["location"] != norm_region(location):
        raise ApiError(404, "NotFound", "The entity was not found in this Azure location.")
    if kind == "operations" and str(req.q("monitor") or "").lower() != "true":
        return Response(200, status_doc(op))
    if op["status"] == "InProgress":
        return Response(202, None, headers(core, op, req.api_version))
    if op["status"] == "Failed":
        return Response(400, {"error": dict(op["error"])})
    return Response(204 if op["kind"] in ("delete", "run_command_delete") else 200, None)


def view(core):
    """The operations for GET /_emulator/state."""
    return [{"id": o["id"], "kind": o["kind"], "target": o["target"], "status": o["status"],
             "error": o["error"]} for o in sorted(core.state.arm_ops.values(), key=lambda o: o["start"])]
