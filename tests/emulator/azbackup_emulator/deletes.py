"""DELETE of virtual machines, managed disks and network interfaces, with ARM's asynchronous
pattern: 202 (no body, Azure-AsyncOperation + Location), the resource reads provisioningState
`Deleting` until `settings.delete_seconds` have passed, then it is gone; 204 when it does not exist.
A VM's deletion, when it ends, detaches its disks and NICs (their deleteOption is Detach)."""

from . import armops, guest
from .core_types import Response
from .errors import ApiError, method_not_allowed

DELETABLE = {("Microsoft.Compute", "virtualMachines"), ("Microsoft.Compute", "disks"),
             ("Microsoft.Network", "networkInterfaces")}


def delete(core, req, ns, rtype, rid):
    """DELETE {resource id}; the resource group exists."""
    if (ns, rtype) not in DELETABLE:
        raise method_not_allowed(req.method)
    body = core.state.get(rid)
    if body is None:
        return Response(204, None)
    running = armops.pending(core, "delete", body["id"])
    if running is not None:
        return Response(202, None, armops.headers(core, running, req.api_version))
    _refuse(rtype, body)
    body["properties"]["provisioningState"] = "Deleting"
    op = armops.start(core, body["id"].split("/")[2], ns, body["location"], "delete", body["id"],
                      core.settings.get("delete_seconds") or 0)
    return Response(202, None, armops.headers(core, op, req.api_version))


def _refuse(rtype, body):
    if rtype == "disks" and body.get("managedBy"):
        raise ApiError(409, "OperationNotAllowed",
                       "Disk %s is attached to VM %s." % (body["name"], body["managedBy"]))
    vm = (body["properties"].get("virtualMachine") or {}).get("id") if rtype == "networkInterfaces" else None
    if vm:
        raise ApiError(400, "NicInUse",
                       "Network Interface %s is used by existing resource %s. In order to delete the network "
                       "interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic."
                       % (body["id"], vm))


def finish(core, op, at):
    state = core.state
    body = state.get(op["target"])
    if body is None:
        return
    if body["type"] == "Microsoft.Compute/virtualMachines":
        _release(core, body["id"])
    state.delete(body["id"])


def _release(core, vm_id):
    """What a VM's deletion leaves behind: its disks Unattached, its NICs without virtualMachine,
    no run commands, no guest."""
    low = vm_id.lower()
    for body in core.state.res.values():
        if body["type"] == "Microsoft.Compute/disks" and str(body.get("managedBy") or "").lower() == low:
            body.pop("managedBy", None)
            body["properties"]["diskState"] = "Unattached"
        elif body["type"] == "Microsoft.Network/networkInterfaces":
            ref = body["properties"].get("virtualMachine") or {}
            if str(ref.get("id") or "").lower() == low:
                body["properties"].pop("virtualMachine", None)
    for key in [k for k in core.state.run_commands if k.startswith(low + "/runcommands/")]:
        core.state.run_commands.pop(key)
    guest.forget(core.state, vm_id)
