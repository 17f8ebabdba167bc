# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A VM a restore created: mark it (tags on the VM and what it owns), wait until it runs with a ready
VM agent, and remove it with what it owns -- only when it carries the mark.

Internal to this collection: not a public API, may change at any time.

"What it owns": the network interfaces the VM names whose ``virtualMachine`` is that VM, and the
managed disks it names whose ``managedBy`` is that VM. Nothing else is ever deleted, apart from
leftovers (disks, network interfaces, public IP addresses) that carry every tag of the mark and are
attached to nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import time

from ansible_collections.azbackup.restore.plugins.module_utils import _compute as compute
from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    OperationTimeoutError,
    ValidationError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._time import format_time

# Injected so that tests never sleep and control the clocks.
_sleep = time.sleep
_clock = time.monotonic


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


WAIT_FOR = ("exists", "running", "agent_ready")
LEFTOVER_TYPES = (compute.DISK_TYPE, compute.NIC_TYPE, compute.PUBLIC_IP_TYPE)
MAX_TAG_NAME = 512
MAX_TAG_VALUE = 256
# A booting VM is polled at most this many seconds apart (unless poll_interval says otherwise).
MAX_BOOT_POLL = 30


def check_tags(tags, option="tags"):
    """``tags`` as a dict of strings, refused naming ``option`` when Azure would not take it."""
    out = {}
    for key, value in (tags or {}).items():
        key = str(key)
        if not key.strip() or len(key) > MAX_TAG_NAME or re.search(r"[<>%&\\?/]", key):
            raise ValidationError("%s has a tag name Azure does not allow: %r (1 to %d characters, none of < > %% & "
                                  "\\ ? /)" % (option, key[:80], MAX_TAG_NAME), option=option)
        if value is None or isinstance(value, (dict, list)) or len(str(value)) > MAX_TAG_VALUE:
            raise ValidationError("%s: the value of tag %r must be a string of at most %d characters"
                                  % (option, key, MAX_TAG_VALUE), option=option)
        out[key] = str(value)
    return out


class Mark(object):
    """What a VM must carry to be removed: every tag of ``tags``, and a name matching ``name_pattern``."""

    def __init__(self, tags=None, name_pattern=None):
        self.tags = check_tags(tags)
        self.pattern = None
        if name_pattern is not None:
            try:
                self.pattern = re.compile(name_pattern, re.IGNORECASE)
            except re.error as e:
                raise ValidationError("name_pattern is not a valid regular expression: %s" % e, option="name_pattern")
        if not self.tags and self.pattern is None:
            raise ValidationError("state=absent needs tags or name_pattern: the mark a VM must carry to be removed",
                                  option="tags")

    def on(self, resource):
        """Whether ``resource`` carries the mark (``name_pattern`` applies to VMs only)."""
        if not compute.carries(resource, self.tags):
            return False
        is_vm = compute.resource_type(resource.get("id")) == compute.VM_TYPE
        return not (is_vm and self.pattern is not None and not self.pattern.fullmatch(resource.get("name") or ""))

    def describe(self):
        parts = ["tags %s" % ", ".join("%s=%s" % kv for kv in sorted(self.tags.items()))] if self.tags else []
        if self.pattern is not None:
            parts.append("a name matching %s" % self.pattern.pattern)
        return " and ".join(parts)


def _same(a, b):
    return bool(a) and bool(b) and str(a).rstrip("/").lower() == str(b).rstrip("/").lower()


def owned_resources(client, vm):
    """The bodies of the network interfaces and managed disks that ``vm`` owns (see the module docstring)."""
    nic_ids, disk_ids = compute.owned_ids(vm)
    owned = []
    for nic_id in nic_ids:
        nic = compute.read(client, nic_id)
        if nic is not None and _same(((nic.get("properties") or {}).get("virtualMachine") or {}).get("id"), vm["id"]):
            owned.append(nic)
    for disk_id in disk_ids:
        disk = compute.read(client, disk_id)
        if disk is not None and _same(disk.get("managedBy"), vm["id"]):
            owned.append(disk)
    return owned


def _attached(client, entry):
    """Whether a leftover candidate is attached to something (then it is no leftover)."""
    kind = compute.resource_type(entry.get("id"))
    if kind == compute.DISK_TYPE:
        return bool(entry.get("managedBy"))
    body = compute.read(client, entry["id"])
    if body is None:
        return False
    props = body.get("properties") or {}
    if kind == compute.NIC_TYPE:
        return bool((props.get("virtualMachine") or {}).get("id"))
    return bool(props.get("ipConfiguration"))


def leftovers(client, subscription_id, resource_group, mark, known):
    """Marked disks, network interfaces and public IP addresses of the resource group attached to nothing."""
    out = []
    for entry in compute.list_resources(client, subscription_id, resource_group):
        rid_ = entry.get("id")
        if compute.resource_type(rid_) not in LEFTOVER_TYPES or rid_.lower() in known:
            continue
        if compute.carries(entry, mark.tags) and not _attached(client, entry):
            out.append(rid_)
    return out


def _ready(vm, wait_for):
    state = compute.vm_state(vm)
    if wait_for == "exists":
        return True
    running = state["power_state"] == "running" and (state["provisioning_state"] or "").lower() == "succeeded"
    if wait_for == "running":
        return running
    return running and state["agent"]["status"] == compute.AGENT_READY


def describe_state(state):
    agent = state["agent"]
    return "provisioning %s, power state %s, VM agent %s%s" % (
        state["provisioning_state"] or "unknown", state["power_state"] or "unknown", agent["status"] or "unknown",
        ": %s" % agent["message"] if agent.get("message") else "")


class RestoredVm(object):
    """One run of the restored_vm module; ``vm``, ``marked`` and ``removed`` survive a failure."""

    def __init__(self, client, subscription_id, params, check_mode=False):
        self.client = client
        self.subscription_id = subscription_id
        self.params = params
        self.check_mode = check_mode
        self.vm = None
        self.marked = []
        self.removed = []
        self.started = _clock()

    def extras(self):
        out = dict(marked=self.marked, removed=self.removed)
        if self.marked or self.removed:
            out["changed"] = True
        if self.vm is not None:
            out["vm"] = self.vm
        return out

    def _vm_id(self, name):
        return rid.vm_id(self.subscription_id, self.params["resource_group"], name, option="name",
                         resource_group_option="resource_group")

    def _result(self, **extra):
        out = dict(changed=bool(self.marked or self.removed), duration=round(_clock() - self.started, 1))
        out.update(self.extras())
        out.update(extra)
        return out

    # -- state=present

    def present(self):
        params = self.params
        tags = check_tags(params.get("tags"))
        vm_id = self._vm_id(params["name"])
        vm = compute.read_vm(self.client, vm_id, instance_view=True, resource_group_option="resource_group")
        if vm is None:
            raise ValidationError("VM %s not found in resource group %s: this module marks and checks a VM that a "
                                  "restore created (azbackup.restore.vm_restore with restore_type=new_vm creates it)"
                                  % (params["name"], params["resource_group"]), option="name")
        self.vm = compute.vm_state(vm)
        if (self.vm["provisioning_state"] or "").lower() in ("deleting", "failed"):
            raise AzBackupError("VM %s is in provisioning state %s" % (vm_id, self.vm["provisioning_state"]))
        if tags:
            self._mark(vm, tags)
        wait_for = params.get("wait_for") or "exists"
        if self.check_mode or _ready(vm, wait_for):
            ready = _ready(vm, wait_for)
        else:
            vm = self._wait(vm_id, wait_for)
            ready = True
        return self._result(ready=ready, checked_at=format_time(_utcnow()) if ready else None)

    def _mark(self, vm, tags):
        for resource in [vm] + owned_resources(self.client, vm):
            missing = compute.missing_tags(resource, tags)
            if not missing:
                continue
            if not self.check_mode:
                compute.merge_tags(self.client, resource["id"], missing)
            self.marked.append(resource["id"])

    def _wait(self, vm_id, wait_for):
        settings = _poller.poll_settings(self.params.get("wait_timeout"), self.params.get("poll_interval"))
        timeout = settings["timeout"]
        poll = dict((k, v) for k, v in settings.items() if k != "timeout")
        if self.params.get("poll_interval") is None:
            poll.update(interval=10, max_interval=MAX_BOOT_POLL)
        seen = {}

        def fetch():
            vm = compute.read_vm(self.client, vm_id, instance_view=True, resource_group_option="resource_group")
            if vm is None:
                raise AzBackupError("VM %s disappeared while waiting for it" % vm_id)
            self.vm = compute.vm_state(vm)
            if (self.vm["provisioning_state"] or "").lower() == "failed":
                raise AzBackupError("VM %s: provisioning failed (%s)" % (vm_id, describe_state(self.vm)))
            seen["vm"] = vm
            return vm

        # The VM was just read: the first poll waits an interval.
        result = _poller.wait_until(fetch, lambda vm: _ready(vm, wait_for), timeout=timeout, sleep=_sleep,
                                    clock=_clock, initial_delay=poll.get("interval"), **poll)
        if not result.done:
            want = "running" if wait_for == "running" else "running with a ready VM agent"
            raise OperationTimeoutError("VM %s was not %s after %ds: %s" % (
                self.params["name"], want, timeout, describe_state(self.vm)),
                last_status=self.vm["agent"]["status"] if wait_for == "agent_ready" else self.vm["power_state"],
                elapsed=result.elapsed)
        return seen["vm"]

    # -- state=absent

    def absent(self):
        params = self.params
        mark = Mark(params.get("tags"), params.get("name_pattern"))
        vms = self._marked_vms(mark)
        owned = []
        for vm in vms:
            owned.extend(owned_resources(self.client, vm))
        known = set(v["id"].lower() for v in vms) | set(o["id"].lower() for o in owned)
        extra = [] if params.get("name") or not mark.tags else leftovers(
            self.client, self.subscription_id, params["resource_group"], mark, known)
        plan_vms = [v["id"] for v in vms]
        plan_rest = [o["id"] for o in owned] + extra
        if self.check_mode:
            self.removed = plan_vms + plan_rest
            return self._result()
        if mark.tags:
            # Mark what the VMs own first: a removal cut short after the VMs are gone leaves
            # marked leftovers, which the next run finds and removes.
            for resource in owned:
                missing = compute.missing_tags(resource, mark.tags)
                if missing:
                    compute.merge_tags(self.client, resource["id"], missing)
        self._delete(plan_vms)
        nics_disks = [i for i in plan_rest if compute.resource_type(i) != compute.PUBLIC_IP_TYPE]
        self._delete(nics_disks)
        self._delete([i for i in plan_rest if i not in nics_disks])
        return self._result()

    def _marked_vms(self, mark):
        params = self.params
        if params.get("name"):
            vm = compute.read_vm(self.client, self._vm_id(params["name"]), resource_group_option="resource_group")
            if vm is None:
                return []
            if not mark.on(vm):
                raise ValidationError("VM %s of resource group %s does not carry %s: nothing was removed"
                                      % (params["name"], params["resource_group"], mark.describe()),
                                      option="tags" if mark.tags else "name_pattern")
            return [vm]
        return [vm for vm in compute.list_vms(self.client, self.subscription_id, params["resource_group"],
                                              resource_group_option="resource_group") if mark.on(vm)]

    def _delete(self, ids):
        if not ids:
            return
        poll = _poller.poll_settings(self.params.get("wait_timeout"), self.params.get("poll_interval"))
        timeout = poll.pop("timeout")
        deletion = compute.Deletion(self.client, timeout, poll=poll, sleep=_sleep, clock=_clock)
        try:
            deletion.delete(ids)
        finally:
            self.removed.extend(deletion.deleted)
