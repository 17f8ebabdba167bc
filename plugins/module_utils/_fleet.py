# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many restores from one task: the single-VM sequence (``restore()``) for every VM of a list, side by
side in a bounded thread pool, with the reads they have in common made once.

Internal to this collection: not a public API, may change at any time.

Each VM keeps what a single run guarantees (its own checks and validation, the idempotent job search,
no blind repeat of its restore request, check mode); a VM's failure is its own result and does not
stop the others. The threads share one client (one token; a 429 pauses them all) and a ``SharedReads``:
the vault and its resource guard, the target resources (storage account, resource group, network) and
the job list searched before the restore requests. After its restore request each VM lists the jobs anew.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import threading
import time

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.azbackup.restore.plugins.module_utils import _resource_guard as resource_guard
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import parse_vm_id
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import FILTERS
from ansible_collections.azbackup.restore.plugins.module_utils._restore_checks import ResourceCache
from ansible_collections.azbackup.restore.plugins.module_utils._time import format_time, parse_time
from ansible_collections.azbackup.restore.plugins.module_utils._vault import read_vault

# Each VM sends two writes (Azure's validation, the restore) and a few reads: 20 side by side stay well
# inside ARM's per-subscription buckets (writes 200 + 10/s, reads 250 + 25/s), and a 429 pauses them all.
DEFAULT_CONCURRENCY = 20
MAX_CONCURRENCY = 50

# The shared job list reaches this far before the first VM's recovery point, so that it also covers
# the other VMs' points (taken by the same daily policy): a wider list is harmless, since a job is
# matched on its VM, recovery point and targets.
LISTING_MARGIN = datetime.timedelta(days=1)

# The options of one entry of ``vms`` beside the VM itself: they take the place of the module's.
VM_OVERRIDES = ("recovery_point_id", "target_vm_name", "container_name", "protected_item_name", "disk_luns",
                "restore_os_disk_only", "target_zone")

VMS_ARGSPEC = dict(
    vms=dict(type="list", elements="dict", options=dict(
        name=dict(type="str"),
        resource_group=dict(type="str"),
        id=dict(type="str"),
        recovery_point_id=dict(type="str"),
        target_vm_name=dict(type="str"),
        container_name=dict(type="str"),
        protected_item_name=dict(type="str"),
        disk_luns=dict(type="list", elements="int"),
        restore_os_disk_only=dict(type="bool"),
        target_zone=dict(type="str"),
    ), mutually_exclusive=[("id", "name"), ("id", "resource_group")], required_together=[("name", "resource_group")],
        required_one_of=[("id", "name")]),
    concurrency=dict(type="int", default=DEFAULT_CONCURRENCY),
    fail_on_vm_failure=dict(type="bool", default=True),
)
VMS_MUTUALLY_EXCLUSIVE = [("vms", "vm_id"), ("vms", "vm_name"), ("vms", "vm_resource_group"),
                          ("vms", "container_name"), ("vms", "protected_item_name"),
                          ("vms", "recovery_point_id"), ("vms", "target_vm_name")]
# What a module with the list form gives AzBackupModule: ``vms`` widens the VM options' "one of".
VMS_CONSTRAINTS = dict(mutually_exclusive=VMS_MUTUALLY_EXCLUSIVE, required_one_of=[("vm_id", "vm_name", "vms")])


class FleetFailedError(AzBackupError):
    """Some VMs of the list failed (``results`` holds every VM's result)."""

    def __init__(self, msg, results=None, changed=False):
        self.results = list(results or [])
        self.changed = changed
        super(FleetFailedError, self).__init__(msg)

    def _fail_extras(self):
        return dict(results=self.results, changed=self.changed)


class SharedReads(object):
    """The reads restores of one task share, safe to use from several threads."""

    def __init__(self, client, clock=time.monotonic, margin=LISTING_MARGIN):
        self.client = client
        self.clock = clock
        self.margin = margin
        self.resources = ResourceCache(client)
        self._once = {}
        self._once_lock = threading.Lock()
        self._listings = {}
        self._listing_lock = threading.Lock()
        self.listing_count = 0

    def _read_once(self, key, read):
        """``read()`` the first time ``key`` is asked for; its value (or its error) every time."""
        with self._once_lock:
            if key not in self._once:
                try:
                    self._once[key] = (read(), None)
                except AzBackupError as e:
                    self._once[key] = (None, e)
            value, err = self._once[key]
        if err is not None:
            raise err.reworded(err.msg)
        return value

    def vault(self, item):
        """The vault of ``item``, read once (a refusal is repeated to every VM of that vault)."""
        return self._read_once(("vault", item.vault_id.lower()), lambda: read_vault(self.client, item))

    def guard(self, vault_id, api_version):
        """The resource guard that protects restores of the vault (or None), read once."""
        return self._read_once(("guard", vault_id.lower(), api_version),
                               lambda: resource_guard.restore_guard(self.client, vault_id, api_version=api_version))

    def listing(self, jobs):
        """``listing(since, fresh_after)`` for ``RestoreRunner``, over the job reader ``jobs``."""
        return lambda since, fresh_after=None: self.restores(jobs, since, fresh_after)

    def restores(self, jobs, since, fresh_after=None):
        """The restore jobs since ``since`` from a listing of the same job list that started after
        ``fresh_after`` (any when None), listing once more only when none covers ``since``."""
        key = (type(jobs).__name__, jobs.where())
        want = parse_time(since) if since else None
        with self._listing_lock:
            for started, covered, listed in reversed(self._listings.get(key, [])):
                fresh = fresh_after is None or started >= fresh_after
                if fresh and (covered is None or want is not None and covered <= want):
                    return list(listed)
            started = self.clock()
            covered = want - self.margin if want is not None else None
            listed = jobs.restores_since(format_time(covered) if covered else None)
            self.listing_count += 1
            self._listings.setdefault(key, []).append((started, covered, listed))
            return list(listed)


def vm_params(params, vm):
    """The single-VM options of the entry ``vm`` of ``vms``."""
    out = dict(params, vms=None, vm_id=vm.get("id"), vm_name=vm.get("name"), vm_resource_group=vm.get("resource_group"))
    for key in VM_OVERRIDES:
        if vm.get(key) is not None:
            out[key] = vm[key]
    if vm.get("recovery_point_id"):
        # The VM's own point wins over the filters that choose the others'.
        out.update((key, None) for key in FILTERS)
    return out


def vm_label(vm):
    """How results and messages name the VM of an entry of ``vms``: ``resource_group/name``."""
    if vm.get("id"):
        dummy, rg, name = parse_vm_id(vm["id"], option="vms")
        return "%s/%s" % (rg, name)
    return "%s/%s" % (vm.get("resource_group"), vm.get("name"))


def check_fleet_options(params):
    """Offline refusals of the list form (the argument spec checks each entry)."""
    vms = params.get("vms") or []
    if not vms:
        raise ValidationError("vms must name at least one VM", option="vms")
    concurrency = params.get("concurrency")
    if concurrency is None or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValidationError("concurrency must be between 1 and %d, got %s" % (MAX_CONCURRENCY, concurrency),
                              option="concurrency")
    labels = [vm_label(vm).lower() for vm in vms]
    twice = sorted(set(label for label in labels if labels.count(label) > 1))
    if twice:
        raise ValidationError("vms names VM %s more than once" % ", ".join(twice), option="vms")


def _one(run_one, params, vm):
    label = vm_label(vm)
    try:
        result = run_one(vm_params(params, vm))
    except AzBackupError as e:
        out = e.to_fail_kwargs()
        out.setdefault("changed", False)
        out.update(vm=label, failed=True, warnings=[])
        return out
    except Exception as e:  # a bug in one VM's run must not hide the others' results
        return dict(vm=label, failed=True, changed=False, warnings=[], msg="%s: %s" % (type(e).__name__, e))
    result.update(vm=label, failed=False, msg="Restore of %s %s" % (
        label, "attached to job %s" % result.get("job_id") if result.get("attached") else
        "started" if result.get("changed") else "checked"))
    return result


def run_fleet(run_one, params):
    """``run_one(params)`` (one VM's restore, returning its result) for every entry of ``params['vms']``,
    ``params['concurrency']`` at a time; returns the task's result, or raises FleetFailedError when a
    VM failed and ``fail_on_vm_failure`` is set."""
    check_fleet_options(params)
    vms = params["vms"]
    with ThreadPoolExecutor(max_workers=min(params["concurrency"], len(vms))) as pool:
        results = list(pool.map(lambda vm: _one(run_one, params, vm), vms))
    warnings = []
    for result in results:
        warnings.extend("%s: %s" % (result["vm"], w) for w in result.pop("warnings", None) or [])
    changed = any(r.get("changed") for r in results)
    failed = [r for r in results if r["failed"]]
    if failed and params.get("fail_on_vm_failure", True):
        raise FleetFailedError("Failed to restore %d of %d VMs: %s" % (
            len(failed), len(results), "; ".join("%s: %s" % (r["vm"], r["msg"]) for r in failed)),
            results=results, changed=changed)
    return dict(changed=changed, results=results, warnings=warnings)
