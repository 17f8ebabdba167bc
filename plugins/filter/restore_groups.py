# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: restore_groups
short_description: Which hosts of a play restore their VMs together, and each host's share of the outcome
version_added: 0.2.0
author:
  - azbackup.restore contributors
description:
  - The role C(azbackup.restore.restore_disks) in the one-host-per-VM layout (an inventory host per VM, the
    role delegated to C(localhost)) describes each host's restores (its role variables but the credentials,
    and a digest of the credentials), and this filter plans them once for the play. The hosts whose
    variables are the same apart from C(restore_disks_vms), credentials included, form a group, in play order; the first host of a group (its leader) restores
    every VM of the group with one M(azbackup.restore.vm_restore) task and waits for their jobs once.
  - Each host's VMs become entries of O(azbackup.restore.vm_restore#module:vms), with what the role lets a VM
    set for itself (a recovery point id wins over the role's recovery point filters for that VM;
    C(disk_luns), C(restore_os_disk_only), C(target_zone), C(target_vm_name), which defaults to the VM's name
    and C(restore_disks_target_vm_name_suffix) when C(restore_disks_restore_type=new_vm)).
  - Returns C(groups) (a digest of the group's variables -> C(leader), C(vms), C(results_args), C(wait), C(fail_on_job_failure)),
    C(hosts) (host -> C(leader), C(group), and C(from) and C(to), the slice of the group's VMs that are the
    host's) and
    C(refused) (host -> why its variables are refused; that host takes no part and sends nothing). A host
    without a description takes no part either.
  - The companion filter C(azbackup.restore.restore_shares), in the same file, takes such a plan and each
    leader's C(started) (its M(azbackup.restore.vm_restore) result) and C(jobs) (the
    M(azbackup.restore.restore_job_info) result of its wait), and returns for each host of the plan its
    C(started) (its part of the results, their C(changed) and warnings), C(jobs) (the jobs of its VMs),
    C(results) (the C(azbackup.restore.restore_results) entries of its VMs, or V(null) when the group's task
    did not return any or the host was refused) and C(verdict) (empty, or why the host fails). It takes the
    option C(check_mode).
positional: _input
options:
  _input:
    description:
      - The play's hosts, in order, each with its description or V(null), as pairs C([host, description]).
      - A description has C(vars) (the role's variables but C(restore_disks_auth), variable name -> value) and
        C(auth) (a digest of C(restore_disks_auth)).
    type: list
    elements: list
    required: true
"""

EXAMPLES = r"""
- name: Plan which hosts' restores start together
  ansible.builtin.set_fact:
    plan: >-
      {{ ansible_play_batch | zip(ansible_play_batch | map('extract', hostvars)
                                  | map(attribute='__restore_disks_call', default=none))
         | azbackup.restore.restore_groups }}
  run_once: true
"""

RETURN = r"""
_value:
  description: The groups and each host's place in its group.
  type: dict
  sample:
    groups:
      0ec371:
        leader: vm-app-001
        vms: [{name: vm-app-001, resource_group: rg-prod}, {name: vm-app-002, resource_group: rg-prod}]
        results_args: {restore_type: restore_disks, staging_storage_account: strestorewe,
                       target_resource_group: rg-restore}
        wait: true
        fail_on_job_failure: true
    hosts:
      vm-app-001: {leader: vm-app-001, group: 0ec371, from: 0, to: 1}
      vm-app-002: {leader: vm-app-001, group: 0ec371, from: 1, to: 2}
    refused:
      vm-app-003: restore_disks needs restore_disks_vault_name, ...
"""

import hashlib
import json
from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.azbackup.restore.plugins.filter.restore_results import restore_failures, restore_results


_PREFIX = "restore_disks_"
REFUSAL = (
    "restore_disks needs restore_disks_vault_name, restore_disks_vault_resource_group, "
    "restore_disks_staging_storage_account and a non-empty restore_disks_vms list whose entries each have an id, "
    "or a name and a resource_group. restore_disks_restore_type=new_vm also needs "
    "restore_disks_target_resource_group, restore_disks_target_virtual_network and restore_disks_target_subnet. "
    "restore_disks_restore_os_disk_only and restore_disks_disk_luns exclude each other.")


def _flag(value):
    return boolean(value, strict=False)


def _refused(opt, vms):
    """Whether the role's variables (``opt``, without their prefix) are refused, before anything is sent."""
    new_vm = opt.get("restore_type") == "new_vm"
    return (not (opt.get("vault_name") and opt.get("vault_resource_group") and opt.get("staging_storage_account"))
            or not vms or not all(isinstance(vm, Mapping) and (vm.get("id") or (vm.get("name") and vm.get("resource_group")))
                                  for vm in vms)
            or (new_vm and not (opt.get("target_resource_group") and opt.get("target_virtual_network")
                                and opt.get("target_subnet")))
            or (_flag(opt.get("restore_os_disk_only", False)) and bool(opt.get("disk_luns"))))


def _entry(opt, vm):
    """A VM's entry of vm_restore's vms: the VM, and what the role lets a VM set for itself (a point id wins over
    the role's recovery point filters for that VM); keys without a value are left out."""
    os_only = _flag(vm.get("restore_os_disk_only", opt.get("restore_os_disk_only", False)))
    luns = [] if os_only else (vm.get("disk_luns") or opt.get("disk_luns") or [])
    vm_id = vm.get("id") or None
    name = vm.get("name") or (vm_id or "").split("/")[-1]
    entry = dict(
        id=vm_id,
        name=None if vm_id else vm.get("name"),
        resource_group=None if vm_id else vm.get("resource_group"),
        recovery_point_id=vm.get("recovery_point_id") or opt.get("recovery_point_id") or None,
        disk_luns=list(luns) or None,
        restore_os_disk_only=os_only,
        target_zone=vm.get("target_zone") or opt.get("target_zone") or None,
        target_vm_name=(vm.get("target_vm_name") or "%s%s" % (name, opt.get("target_vm_name_suffix") or ""))
        if opt.get("restore_type") == "new_vm" else None)
    return dict((k, v) for k, v in entry.items() if v is not None)


def describe(variables):
    """One host's restores, from its role variables (name -> value): why they are refused (or empty), its VMs
    (entries of vm_restore's vms), what reading and judging its results needs."""
    opt = dict((k[len(_PREFIX):], v) for k, v in (variables or {}).items() if k.startswith(_PREFIX))
    vms = opt.get("vms") if isinstance(opt.get("vms"), list) else []
    problem = REFUSAL if _refused(opt, vms) else ""
    return dict(
        problem=problem,
        vms=[] if problem else [_entry(opt, vm) for vm in vms],
        results_args=dict(restore_type=opt.get("restore_type"), staging_storage_account=opt.get("staging_storage_account"),
                          target_resource_group=opt.get("target_resource_group")),
        wait=_flag(opt.get("wait", True)),
        fail_on_job_failure=_flag(opt.get("fail_on_job_failure", True)))


def _digest(call):
    """What a host shares with the others of its group: its variables but restore_disks_vms, and the digest of
    its credentials."""
    shared = dict((k, v) for k, v in (call.get("vars") or {}).items() if k != _PREFIX + "vms")
    return hashlib.sha1(json.dumps([call.get("auth"), shared], sort_keys=True, default=str).encode("utf-8")).hexdigest()


def restore_groups(calls):
    """The plan of the hosts' restores: ``calls`` is ``[[host, description or None], ...]`` in play order."""
    groups, hosts, refused = {}, {}, {}
    for host, call in calls or []:
        if not isinstance(call, Mapping):
            continue
        mine = describe(call.get("vars"))
        if mine["problem"]:
            refused[host] = mine["problem"]
            continue
        key = _digest(call)
        group = groups.setdefault(key, dict(
            leader=host, vms=[], results_args=mine["results_args"], wait=mine["wait"],
            fail_on_job_failure=mine["fail_on_job_failure"]))
        hosts[host] = dict(leader=group["leader"], group=key,
                           **{"from": len(group["vms"]), "to": len(group["vms"]) + len(mine["vms"])})
        group["vms"].extend(mine["vms"])
    return dict(groups=groups, hosts=hosts, refused=refused)


def _waited(started):
    """Whether the leader waited for jobs: its restores named a job id or an operation URL."""
    return any(r.get("job_id") or r.get("operation_url") for r in started.get("results") or [])


def _verdict(group, started, mine, failed):
    if mine is None:
        return started.get("msg") or "The restores of host %s failed: see its error" % group["leader"]
    if failed and group["fail_on_job_failure"]:
        return ("%d of %d restore(s) did not succeed: %s. Every VM's outcome is in restore_disks_results; running "
                "the role again attaches to the restores already made." % (len(failed), len(mine), "; ".join(failed)))
    return ""


def _share(group, started, jobs, results, place, check_mode):
    """One host's part of its group's outcome."""
    lo, hi = place["from"], place["to"]
    mine = list(started.get("results") or [])[lo:hi] if results is not None else []
    labels = tuple("%s: " % r.get("vm") for r in mine)
    ids = set(r.get("job_id") for r in mine if r.get("job_id"))
    entries = results[lo:hi] if results is not None else None
    failed = restore_failures(entries, wait=group["wait"], check_mode=check_mode) if entries is not None else []
    return dict(
        started=dict(changed=any(r.get("changed") for r in mine), results=mine,
                     warnings=[w for w in started.get("warnings") or [] if labels and w.startswith(labels)]),
        jobs=dict(jobs, jobs=[j for j in jobs.get("jobs") or [] if j.get("job_id") in ids]) if jobs else {},
        results=entries, verdict=_verdict(group, started, entries, failed))


def restore_shares(plan, leaders, check_mode=False):
    """Each host's share of its group's outcome; ``leaders``: leader -> dict(started=..., jobs=...), a
    leader that is missing (it failed) or whose task returned no results failing every host of its group; a
    refused host's verdict is why it was refused."""
    out = {}
    for group in (plan.get("groups") or {}).values():
        lead = (leaders or {}).get(group["leader"]) or {}
        started = lead.get("started") or {}
        jobs = (lead.get("jobs") or {}) if _waited(started) else {}
        results = restore_results(started, jobs=jobs, check_mode=check_mode, **group["results_args"]) \
            if isinstance(started.get("results"), list) else None
        for host, place in (plan.get("hosts") or {}).items():
            if place["leader"] == group["leader"]:
                out[host] = _share(group, started, jobs, results, place, check_mode)
    for host, problem in (plan.get("refused") or {}).items():
        out[host] = dict(started=dict(changed=False, results=[], warnings=[]), jobs={}, results=None, verdict=problem)
    return out


class FilterModule(object):
    """Restores of a play's hosts, grouped."""

    def filters(self):
        return dict(restore_groups=restore_groups, restore_shares=restore_shares)
