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
the job list searched before the restore requests, sent side by side when the first VM starts. After its
restore request each VM lists the jobs anew; with ``wait=job`` their jobs are then waited for together
(``_fleet_wait``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import threading
import time

from concurrent.futures import ThreadPoolExecutor

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
except ImportError:  # the client reports the missing library
    HAS_REQUESTS = False

from ansible_collections.azbackup.restore.plugins.module_utils import _resource_guard as resource_guard
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._fleet_wait import wait_together
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import parse_vm_id
from ansible_collections.azbackup.restore.plugins.module_utils._read_once import ReadOnce
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import FILTERS
from ansible_collections.azbackup.restore.plugins.module_utils._restore_checks import ResourceCache
from ansible_collections.azbackup.restore.plugins.module_utils._restore_flavours import restore
from ansible_collections.azbackup.restore.plugins.module_utils._time import format_time, parse_time
from ansible_collections.azbackup.restore.plugins.module_utils._vault import read_vault

# Each VM sends two writes (Azure's validation, or the access token request of a cross-region restore,
# and the restore) and a few reads: 100 side by side fit ARM's per-subscription buckets (writes 200 +
# 10/s, reads 250 + 25/s) at once, and a 429 pauses them all for as long as Azure asks.
DEFAULT_CONCURRENCY = 100
MAX_CONCURRENCY = 100

# The shared job list reaches this far before the first VM's recovery point, so that it also covers
# the other VMs' points (taken by the same daily policy): a wider list is harmless, since a job is
# matched on its VM, recovery point and targets.
LISTING_MARGIN = datetime.timedelta(days=1)

# The job listing sent before any VM's recovery point is known reaches back this far (a daily policy's
# newest point is at most a day old; older points list once more), on these threads.
PREFETCH_WINDOW = datetime.timedelta(days=3)
PREFETCH_THREADS = 8

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
    """The reads restores of one task share, safe to use from several threads.

    Each is sent once, however many VMs ask for it (the others wait for its answer); ``prefetch``
    sends the ones every VM will need side by side on a few threads of its own, so that the first
    VM does not read them one after the other. ``close()`` (or ``with``) ends those threads.
    """

    def __init__(self, client, clock=time.monotonic, margin=LISTING_MARGIN, now=None):
        self.client = client
        self.clock = clock
        self.margin = margin
        self._now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self._pool = ThreadPoolExecutor(max_workers=PREFETCH_THREADS)
        _keep_connections(client, MAX_CONCURRENCY + PREFETCH_THREADS)
        self.resources = ResourceCache(client)
        self._once = ReadOnce()
        self._prefetch_lock = threading.Lock()
        self._prefetched = set()
        self._listings = {}
        self._listing_lock = threading.Lock()
        self.listing_count = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._pool.shutdown(wait=True)

    def once(self, key, read):
        """``read()`` once per task for ``key`` (a tuple naming what is read); its value, or its refusal, to
        every VM that asks."""
        return self._once.get(("once",) + tuple(key), read)

    def vault(self, item):
        """The vault of ``item``, read once (a refusal is repeated to every VM of that vault)."""
        return self._once.get(("vault", item.vault_id.lower()), lambda: read_vault(self.client, item))

    def guard(self, vault_id, api_version):
        """The resource guard that protects restores of the vault (or None), read once."""
        return self._once.get(("guard", vault_id.lower(), api_version),
                              lambda: resource_guard.restore_guard(self.client, vault_id, api_version=api_version))

    def prefetch(self, key, *reads):
        """Start ``reads`` (callables, their errors left for the VM that needs the value to meet again)
        in the background, the first time ``key`` is given."""
        with self._prefetch_lock:
            if key in self._prefetched:
                return
            self._prefetched.add(key)
        for read in reads:
            self._pool.submit(_quietly, read)

    def prefetch_listing(self, jobs):
        """Start the shared job listing before any recovery point is known: it reaches back
        ``PREFETCH_WINDOW`` from now, which holds the points a restore usually starts from; a VM whose
        point is older lists once more."""
        covered = self._now() - PREFETCH_WINDOW
        self.prefetch(("listing", type(jobs).__name__, jobs.where()), lambda: self._await(self._start(jobs, covered)))

    def listing(self, jobs):
        """``listing(since, fresh_after)`` for ``RestoreRunner``, over the job reader ``jobs``."""
        return lambda since, fresh_after=None: self.restores(jobs, since, fresh_after)

    def restores(self, jobs, since, fresh_after=None):
        """The restore jobs since ``since`` from a listing of the same job list that started after
        ``fresh_after`` (any when None), finished or on its way, listing once more only when none
        covers ``since``."""
        key = (type(jobs).__name__, jobs.where())
        want = parse_time(since) if since else None
        with self._listing_lock:
            for entry in reversed(self._listings.get(key, [])):
                fresh = fresh_after is None or entry["started"] >= fresh_after
                if fresh and (entry["covered"] is None or want is not None and entry["covered"] <= want):
                    break
            else:
                entry = None
        if entry is None:
            entry = self._start(jobs, want - self.margin if want is not None else None)
        return self._await(entry)

    def _start(self, jobs, covered):
        """A listing of the restore jobs since ``covered`` (a datetime, None for all), on its way: other
        VMs that it serves wait for it rather than list themselves."""
        key = (type(jobs).__name__, jobs.where())
        entry = dict(started=self.clock(), covered=covered, done=threading.Event(), listed=None, error=None)
        with self._listing_lock:
            self._listings.setdefault(key, []).append(entry)
            self.listing_count += 1
        try:
            entry["listed"] = jobs.restores_since(format_time(covered) if covered else None)
        except AzBackupError as e:
            entry["error"] = e
            with self._listing_lock:
                self._listings[key].remove(entry)  # the next VM that needs a listing tries again
        finally:
            entry["done"].set()
        return entry

    @staticmethod
    def _await(entry):
        entry["done"].wait()
        if entry["error"] is not None:
            raise entry["error"].reworded(entry["error"].msg)
        return list(entry["listed"])


def _keep_connections(client, count):
    """Let the client's HTTP session keep ``count`` connections open, one per thread (requests keeps 10
    and opens, then drops, one more per request beyond them: a TLS handshake each time)."""
    session = getattr(client, "session", None)
    if HAS_REQUESTS and isinstance(session, requests.Session):
        for prefix in ("https://", "http://"):
            session.mount(prefix, HTTPAdapter(pool_maxsize=count))


def _quietly(read):
    try:
        read()
    except Exception:  # the VM that needs the value reads it again and meets the error itself
        pass


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


def run_fleet(run_one, params, readers=None, sleep=None, clock=time.monotonic):
    """``run_one(params)`` (one VM's restore, returning its result) for every entry of ``params['vms']``,
    ``params['concurrency']`` at a time; returns the task's result, or raises FleetFailedError when a
    VM failed and ``fail_on_vm_failure`` is set.

    With ``wait=job`` and ``readers`` (a dict that ``run_one`` fills: job id -> the job reader of its VM),
    each VM runs until its restore names its job (``wait=operation``), then the jobs of all the VMs are
    waited for together, one job list per poll round (``_fleet_wait``)."""
    check_fleet_options(params)
    vms, started = params["vms"], clock()
    together = readers is not None and params.get("wait") == "job"
    each = dict(params, wait="operation") if together else params
    with ThreadPoolExecutor(max_workers=min(params["concurrency"], len(vms))) as pool:
        results = list(pool.map(lambda vm: _one(run_one, each, vm), vms))
    if together:
        wait_together(results, readers, params, started, sleep=sleep or time.sleep, clock=clock)
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


def restore_fleet(client, params, flavour_class, subscription_id, check_mode=False, flavours=None):
    """The list form of a restore module: each VM of ``params['vms']`` restored by ``restore()`` with its own
    ``flavour_class``, side by side, sharing one ``SharedReads``; with ``wait=job`` their jobs are waited for
    together. ``flavours`` (a list, when given) receives each VM's flavour (crr_restore hides the access
    tokens they fetched)."""
    readers = {}

    def one(vm_params):
        flavour = flavour_class(client, vm_params, subscription_id)
        if flavours is not None:
            flavours.append(flavour)  # list.append is atomic: the VMs' threads may add theirs at once
        result = restore(flavour, check_mode=check_mode, shared=shared)
        if result.get("job_id"):
            readers[result["job_id"]] = flavour.jobs()
        return result

    with SharedReads(client) as shared:
        return run_fleet(one, params, readers=readers)
