"""The guest side of virtual machines: restored VMs boot on the emulator clock (power state
starting -> running, VM agent Not Ready -> Ready, per `settings.guest`) and the VM instance view.

VMs of the world are running with a Ready agent from the start. A VM created by a restore is
recorded in `state.guests` (never in its ARM body) with the time the restore job completed."""

import fnmatch

from .util import from_ts, iso_offset

GUEST_KEYS = ("boot_seconds", "agent_ready_seconds", "agent_never_ready", "run_command_seconds",
              "run_command_outcomes")
OUTCOME_KEYS = ("vm", "exit_code", "stdout", "stderr", "seconds")
AGENT_VERSION = "2.9.1.1"


# ------------------------------------------------------------------ settings

def _number(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("%s must be a number >= 0, got %r" % (what, value))


def _outcome(o, i):
    what = "guest.run_command_outcomes[%d]" % i
    if not isinstance(o, dict):
        raise ValueError("%s must be a mapping {vm, exit_code, stdout, stderr}" % what)
    unknown = set(o) - set(OUTCOME_KEYS)
    if unknown:
        raise ValueError("%s: unknown keys %s" % (what, ", ".join(sorted(unknown))))
    if not isinstance(o.get("vm", "*"), str):
        raise ValueError("%s: vm must be a name pattern" % what)
    code = o.get("exit_code", 0)
    if isinstance(code, bool) or not isinstance(code, int):
        raise ValueError("%s: exit_code must be an integer" % what)
    for k in ("stdout", "stderr"):
        if not isinstance(o.get(k, ""), str):
            raise ValueError("%s: %s must be a string" % (what, k))
    if "seconds" in o:
        _number(o["seconds"], what + ".seconds")


def check_settings(settings):
    """Validate `guest` and `delete_seconds` of a (merged) settings dict; ValueError when wrong."""
    _number(settings.get("delete_seconds", 0), "delete_seconds")
    g = settings.get("guest")
    if not isinstance(g, dict):
        raise ValueError("guest must be a mapping")
    unknown = set(g) - set(GUEST_KEYS)
    if unknown:
        raise ValueError("unknown guest settings: %s" % ", ".join(sorted(unknown)))
    for k in ("boot_seconds", "agent_ready_seconds", "run_command_seconds"):
        _number(g.get(k, 0), "guest." + k)
    never = g.get("agent_never_ready") or []
    if not isinstance(never, list) or not all(isinstance(p, str) for p in never):
        raise ValueError("guest.agent_never_ready must be a list of VM name patterns")
    outcomes = g.get("run_command_outcomes") or []
    if not isinstance(outcomes, list):
        raise ValueError("guest.run_command_outcomes must be a list")
    for i, o in enumerate(outcomes):
        _outcome(o, i)


def guest_settings(core):
    return core.settings.get("guest") or {}


def matches(name, pattern):
    return fnmatch.fnmatchcase(str(name).lower(), str(pattern).lower())


# ------------------------------------------------------------------ boot timeline

def vm_created(state, vm, at_ts):
    """Record a VM a restore created (boots from `at_ts`)."""
    state.guests[vm["id"].lower()] = {"created": float(at_ts), "name": vm["name"]}


def forget(state, vm_id):
    state.guests.pop(str(vm_id).lower(), None)


def _record(core, vm):
    return core.state.guests.get(vm["id"].lower())


def deleting(vm):
    return vm["properties"].get("provisioningState") == "Deleting"


def power_state(core, vm, at=None):
    """'starting' or 'running'."""
    rec = _record(core, vm)
    if rec is None:
        return "running"
    at = core.now_ts() if at is None else at
    boot = float(guest_settings(core).get("boot_seconds") or 0)
    return "starting" if at - rec["created"] < boot else "running"


def agent_ready(core, vm, at=None):
    rec = _record(core, vm)
    if rec is None:
        return True
    g = guest_settings(core)
    if any(matches(vm["name"], p) for p in g.get("agent_never_ready") or []):
        return False
    at = core.now_ts() if at is None else at
    return at - rec["created"] >= float(g.get("agent_ready_seconds") or 0)


# ------------------------------------------------------------------ instance view

def _status(code, display, time=None, level="Info", message=None):
    s = {"code": code, "level": level, "displayStatus": display}
    if message is not None:
        s["message"] = message
    if time is not None:
        s["time"] = time
    return s


def _agent(ready, now):
    if ready:
        return {"vmAgentVersion": AGENT_VERSION, "statuses": [_status(
            "ProvisioningState/succeeded", "Ready", now, message="Guest Agent is running")]}
    return {"vmAgentVersion": "Unknown", "statuses": [_status(
        "ProvisioningState/Unavailable", "Not Ready", now, level="Warning",
        message="VM status blob is found but not yet populated.")]}


def _os_name(vm):
    return "ubuntu" if vm["properties"]["storageProfile"]["osDisk"].get("osType") == "Linux" else "Windows"


def _world_view(vm):
    return {
        "computerName": vm["name"],
        "osName": _os_name(vm),
        "vmAgent": {"vmAgentVersion": AGENT_VERSION, "statuses": [{
            "code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready"}]},
        "disks": [{"name": vm["properties"]["storageProfile"]["osDisk"]["name"],
                   "statuses": [_status("ProvisioningState/succeeded", "Provisioning succeeded")]}],
        "statuses": [
            _status("ProvisioningState/succeeded", "Provisioning succeeded"),
            _status("PowerState/running", "VM running"),
        ],
    }


def _restored_view(core, vm, rec):
    now = iso_offset(from_ts(core.now_ts()))
    created = iso_offset(from_ts(rec["created"]))
    ready = agent_ready(core, vm)
    sp = vm["properties"]["storageProfile"]
    view = {}
    if ready:
        view.update(computerName=vm["name"], osName=_os_name(vm))
    view["vmAgent"] = _agent(ready, now)
    provisioned = [_status("ProvisioningState/succeeded", "Provisioning succeeded", created)]
    view["disks"] = [{"name": d["name"], "statuses": list(provisioned)}
                     for d in [sp["osDisk"]] + list(sp.get("dataDisks") or [])]
    power = power_state(core, vm)
    view["statuses"] = [
        _status("ProvisioningState/succeeded", "Provisioning succeeded", created),
        _status("PowerState/%s" % power, "VM %s" % power),
    ]
    return view


def instance_view(core, vm):
    """The instance view of a VM now."""
    rec = _record(core, vm)
    view = _world_view(vm) if rec is None else _restored_view(core, vm, rec)
    if deleting(vm):
        view["statuses"][0] = _status("ProvisioningState/deleting", "Deleting")
    return view
