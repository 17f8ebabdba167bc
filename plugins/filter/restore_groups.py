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
    role delegated to C(localhost)) describes each host's restores (its VMs and a digest of its other role
    variables), and this filter plans them once for the play. The hosts with the same digest form a group,
    in play order; the first host of a group (its leader) restores every VM of the group with one
    M(azbackup.restore.vm_restore) task and waits for their jobs once.
  - Returns C(groups) (digest -> C(leader), C(vms), C(results_args), C(wait), C(fail_on_job_failure)) and
    C(hosts) (host -> C(leader), and C(from) and C(to), the slice of the group's VMs that are the host's).
    A host without a description, or whose description holds a C(problem), takes no part.
  - The companion filter C(azbackup.restore.restore_shares), in the same file, takes such a plan and each
    leader's C(started) (its M(azbackup.restore.vm_restore) result) and C(jobs) (the
    M(azbackup.restore.restore_job_info) result of its wait), and returns for each host of the plan its
    C(started) (its part of the results, their C(changed) and warnings), C(jobs) (the jobs of its VMs),
    C(results) (the C(azbackup.restore.restore_results) entries of its VMs, or V(null) when the group's task
    did not return any) and C(verdict) (empty, or why the host fails). It takes the option C(check_mode).
positional: _input
options:
  _input:
    description:
      - The play's hosts, in order, each with its description or V(null), as pairs C([host, description]).
      - A description has C(sig), C(vms) (entries of O(azbackup.restore.vm_restore#module:vms)), C(problem),
        C(results_args), C(wait) and C(fail_on_job_failure).
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
      vm-app-001: {leader: vm-app-001, from: 0, to: 1}
      vm-app-002: {leader: vm-app-001, from: 1, to: 2}
"""

from collections.abc import Mapping

from ansible_collections.azbackup.restore.plugins.filter.restore_results import restore_failures, restore_results


def restore_groups(calls):
    """The plan of the hosts' restores: ``calls`` is ``[[host, description or None], ...]`` in play order."""
    groups, hosts = {}, {}
    for host, call in calls or []:
        if not isinstance(call, Mapping) or call.get("problem"):
            continue
        group = groups.setdefault(call["sig"], dict(
            leader=host, vms=[], results_args=dict(call.get("results_args") or {}), wait=call.get("wait", True),
            fail_on_job_failure=call.get("fail_on_job_failure", True)))
        hosts[host] = dict(leader=group["leader"], **{"from": len(group["vms"]), "to": len(group["vms"]) +
                                                      len(call.get("vms") or [])})
        group["vms"].extend(call.get("vms") or [])
    return dict(groups=groups, hosts=hosts)


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
    leader that is missing (it failed) or whose task returned no results failing every host of its group."""
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
    return out


class FilterModule(object):
    """Restores of a play's hosts, grouped."""

    def filters(self):
        return dict(restore_groups=restore_groups, restore_shares=restore_shares)
