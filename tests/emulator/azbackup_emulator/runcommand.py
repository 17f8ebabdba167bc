"""Managed Run Command: PUT / GET / DELETE {vm}/runCommands/{name} (and the list).

The script does not run anywhere: its outcome comes from `settings.guest.run_command_outcomes`
(the first entry whose `vm` pattern matches the VM's name; none: exit 0, no output) and it takes
the entry's `seconds` (default `settings.guest.run_command_seconds`) of emulated time, cut at
`timeoutInSeconds` (TimedOut, exit code -1). The PUT's operation ends then (with
`asyncExecution` at once), Failed with VMAgentStatusCommunicationError when the VM agent is not
Ready at that moment. `protectedParameters` and `runAsPassword` are never stored."""

from . import armops, guest
from .core_types import Response
from .errors import ApiError, method_not_allowed, resource_not_found
from .util import from_ts, iso_offset, norm_region

RC_TYPE = "Microsoft.Compute/virtualMachines/runCommands"
SECRET_PROPERTIES = ("protectedParameters", "runAsPassword")
ECHOED = ("source", "parameters", "asyncExecution", "runAsUser", "timeoutInSeconds", "outputBlobUri",
          "errorBlobUri", "outputBlobManagedIdentity", "errorBlobManagedIdentity",
          "treatFailureAsDeploymentFailure")
AGENT_ERROR = ("VM '%s' has not reported status for VM agent or extensions. Verify that the OS is up and healthy, "
               "the VM has a running VM agent, and that it can establish outbound connections to Azure storage. "
               "Please refer to https://aka.ms/vmextensionlinuxtroubleshoot for additional VM agent "
               "troubleshooting information.")


def route(core, req, vm, vm_name, rest):
    """`rest` = ["runCommands"] or ["runCommands", name]; `vm` the VM body or None."""
    if vm is None:
        raise ApiError(404, "ParentResourceNotFound", "Can not perform requested operation on nested resource. "
                                                      "Parent resource '%s' not found." % vm_name)
    if len(rest) == 1:
        if req.method != "GET":
            raise method_not_allowed(req.method)
        expand = _expand(req)
        items = [doc(core, r, expand) for k, r in sorted(core.state.run_commands.items())
                 if r["vm_id"].lower() == vm["id"].lower()]
        return Response(200, {"value": items})
    rid = "%s/runCommands/%s" % (vm["id"], rest[1])
    rec = core.state.run_commands.get(rid.lower())
    if req.method == "GET":
        if rec is None:
            raise resource_not_found("Microsoft.Compute/virtualMachines/%s/runCommands" % vm["name"], rest[1],
                                     vm["id"].split("/")[4])
        return Response(200, doc(core, rec, _expand(req)))
    if req.method == "PUT":
        return put(core, req, vm, rid, rest[1], rec)
    if req.method == "DELETE":
        return delete(core, req, rec)
    raise method_not_allowed(req.method)


def _expand(req):
    return "instanceview" in (req.q("$expand") or "").lower()


def _invalid(message, target):
    return ApiError(400, "InvalidParameter", message, target=target)


def _properties(body, vm):
    if not isinstance(body, dict):
        raise _invalid("Required parameter 'runCommand' is missing (null).", "runCommand")
    if not body.get("location"):
        raise ApiError(400, "LocationRequired", "The location property is required for this definition.")
    if norm_region(body["location"]) != norm_region(vm["location"]):
        raise _invalid("The run command must be in the location '%s' of virtual machine '%s'."
                       % (vm["location"], vm["name"]), "location")
    props = body.get("properties")
    if not isinstance(props, dict):
        raise _invalid("Required parameter 'properties' is missing (null).", "properties")
    source = props.get("source")
    if not isinstance(source, dict) or not any(source.get(k) for k in ("script", "scriptUri", "commandId")):
        raise _invalid("Required parameter 'source' is missing (null): give script, scriptUri or commandId.",
                       "source")
    timeout = props.get("timeoutInSeconds", 0)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 0:
        raise _invalid("The value of parameter timeoutInSeconds is invalid.", "timeoutInSeconds")
    out = {k: props[k] for k in ECHOED if k in props}
    out.setdefault("parameters", [])
    out.setdefault("asyncExecution", False)
    out.setdefault("timeoutInSeconds", 0)
    out.setdefault("treatFailureAsDeploymentFailure", False)
    return out


def _check_vm(core, vm):
    what = "Operation 'Create or update run command' is not allowed on VM '%s' since the VM " % vm["name"]
    if guest.deleting(vm):
        raise ApiError(409, "OperationNotAllowed", what + "is marked for deletion. You can only retry the Delete "
                                                          "operation (or wait for an ongoing one to complete).")
    if guest.power_state(core, vm) != "running":
        raise ApiError(409, "OperationNotAllowed", what + "is not running.")


def outcome_for(core, vm_name):
    g = guest.guest_settings(core)
    for o in g.get("run_command_outcomes") or []:
        if guest.matches(vm_name, o.get("vm", "*")):
            found = dict(o)
            break
    else:
        found = {}
    return {"exit_code": int(found.get("exit_code", 0)), "stdout": found.get("stdout", ""),
            "stderr": found.get("stderr", ""),
            "seconds": float(found.get("seconds", g.get("run_command_seconds") or 0))}


def put(core, req, vm, rid, name, rec):
    props = _properties(req.json, vm)
    _check_vm(core, vm)
    running = rec and (armops.pending(core, "run_command", rid) or armops.pending(core, "run_command_delete", rid))
    if running:
        raise ApiError(409, "Conflict", "Another operation on this or dependent resource is in progress. To retrieve "
                                        "status of the operation use uri: %s"
                       % armops.headers(core, running, req.api_version)["Azure-AsyncOperation"])
    out = outcome_for(core, vm["name"])
    now = core.now_ts()
    timeout = props["timeoutInSeconds"]
    timed_out = bool(timeout) and out["seconds"] > timeout
    run = float(timeout) if timed_out else out["seconds"]
    new = {"id": rid, "name": name, "vm_id": vm["id"], "vm_name": vm["name"], "location": vm["location"],
           "tags": dict(req.json.get("tags") or {}) if isinstance(req.json.get("tags"), dict) else {},
           "properties": props,
           "provisioning": "Updating" if rec is not None else "Creating",
           "exec_start": now, "exec_end": now + run, "timed_out": timed_out, "outcome": out, "ran": None}
    core.state.run_commands[rid.lower()] = new
    op = armops.start(core, rid.split("/")[2], "Microsoft.Compute", vm["location"], "run_command", rid,
                      0 if props["asyncExecution"] else run)
    return Response(200 if rec is not None else 201, doc(core, new, False),
                    armops.headers(core, op, req.api_version, location=False))


def finish(core, op, at):
    """The PUT's operation ends: the agent took the command (or not), the script ran (or is running)."""
    rec = core.state.run_commands.get(op["target"].lower())
    vm = core.state.get(rec["vm_id"]) if rec else None
    if rec is None or vm is None:
        return armops.fail(op, "OperationPreempted", "Operation execution has been preempted by a more recent "
                                                     "operation.")
    if not guest.agent_ready(core, vm, at):
        rec["ran"], rec["provisioning"] = False, "Failed"
        return armops.fail(op, "VMAgentStatusCommunicationError", AGENT_ERROR % vm["name"])
    rec["ran"] = True
    failed = rec["timed_out"] or rec["outcome"]["exit_code"] != 0
    if failed and rec["properties"]["treatFailureAsDeploymentFailure"] and not rec["properties"]["asyncExecution"]:
        rec["provisioning"] = "Failed"
        return armops.fail(op, "VMExtensionProvisioningError",
                           "VM has reported a failure when processing extension '%s'. Error message: \"%s\"."
                           % (rec["name"], "Execution timed out" if rec["timed_out"] else
                              "Execution completed with exit code %d" % rec["outcome"]["exit_code"]))
    rec["provisioning"] = "Succeeded"


def delete(core, req, rec):
    if rec is None:
        return Response(204, None)
    op = armops.pending(core, "run_command_delete", rec["id"])
    if op is None:
        rec["deleting"] = True
        op = armops.start(core, rec["id"].split("/")[2], "Microsoft.Compute", rec["location"], "run_command_delete",
                          rec["id"], core.settings.get("delete_seconds") or 0)
    return Response(202, None, armops.headers(core, op, req.api_version))


def finish_delete(core, op, at):
    core.state.run_commands.pop(op["target"].lower(), None)


def instance_view(core, rec):
    """executionState Running / Succeeded / Failed / TimedOut (Pending while the agent is not
    Ready, Unknown when it never took the command)."""
    now = core.now_ts()
    view = {"executionState": "Unknown", "executionMessage": "", "exitCode": 0, "output": "", "error": "",
            "statuses": []}
    if rec["ran"] is False:
        return view
    vm = core.state.get(rec["vm_id"])
    if rec["ran"] is None and vm is not None and not guest.agent_ready(core, vm):
        view["executionState"] = "Pending"
        return view
    view["startTime"] = iso_offset(from_ts(rec["exec_start"]))
    if now < rec["exec_end"]:
        view["executionState"] = "Running"
        return view
    out = rec["outcome"]
    view.update(output=out["stdout"], error=out["stderr"], endTime=iso_offset(from_ts(rec["exec_end"])))
    if rec["timed_out"]:
        view.update(executionState="TimedOut", exitCode=-1)
    else:
        view.update(executionState="Failed" if out["exit_code"] != 0 else "Succeeded", exitCode=out["exit_code"])
    return view


def doc(core, rec, expand):
    props = dict(rec["properties"])
    props["provisioningState"] = "Deleting" if rec.get("deleting") else rec["provisioning"]
    if expand:
        props["instanceView"] = instance_view(core, rec)
    body = {"name": rec["name"], "id": rec["id"], "type": RC_TYPE, "location": rec["location"],
            "properties": props}
    if rec["tags"]:
        body["tags"] = dict(rec["tags"])
    return body
