# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: restore_results
short_description: One result per VM from the restores a loop started and the jobs it waited for
version_added: 0.2.0
author:
  - azbackup.restore contributors
description:
  - Puts each restore a loop of M(azbackup.restore.vm_restore) or M(azbackup.restore.crr_restore), or one task
    with their list form, started (with O(azbackup.restore.vm_restore#module:wait=none) or
    O(azbackup.restore.vm_restore#module:wait=operation)) back together with its job as
    M(azbackup.restore.restore_job_info) read it, and returns one entry per VM in the order of the
    loop. This is the fact the roles of the collection publish (C(restore_disks_results),
    C(replace_disks_results), C(secondary_region_restore_results)).
  - A restore that started or attached to a job is matched to its job by job id; one that only
    returned an operation URL is matched by position, as M(azbackup.restore.restore_job_info) returns
    the jobs in the order it was given them (O(azbackup.restore.restore_job_info#module:job_ids) first,
    then the jobs of O(azbackup.restore.restore_job_info#module:operation_urls)); the operation URLs
    the result names in C(pending_operation_urls) have no job yet and take no position.
  - A loop item that failed has the status C(FailedToStart) and its message in C(msg). In check mode
    an item without a job has the status C(CheckMode).
  - The restored disks are the managed disk ids found in the job's property bag, as the modules find
    them for their own RV(azbackup.restore.vm_restore#module:restored_disks).
  - The companion filter C(azbackup.restore.restore_failures), in the same file, turns these results into
    one line per VM whose restore did not succeed (the VM, its status, job id, message and error titles),
    given the options C(wait) (default V(true); V(false) also accepts C(InProgress)) and
    C(check_mode) (default V(false); V(true) also accepts C(CheckMode)).
positional: _input
options:
  _input:
    description:
      - The registered result of the loop that started the restores (or its C(results) list).
      - With O(role=restore_disks) a loop of M(azbackup.restore.vm_restore) over the VMs (each item is
        the VM's entry, C(name) and C(resource_group) or C(id)), or one M(azbackup.restore.vm_restore)
        task with O(azbackup.restore.vm_restore#module:vms), whose C(results) name each VM in C(vm).
      - With O(role=replace_disks) a loop of M(azbackup.restore.vm_restore) over the results of a
        check-mode plan of the same restores (a loop over the VMs), whose C(recovery_point) and
        C(request) are reported.
      - With O(role=secondary_region_restore) a loop of M(azbackup.restore.crr_restore) over the
        results of M(azbackup.restore.recovery_point_info) (a loop over the VMs), whose first recovery
        point is reported, or one M(azbackup.restore.crr_restore) task with
        O(azbackup.restore.crr_restore#module:vms), whose C(results) name each VM in C(vm).
    type: raw
    required: true
  jobs:
    description:
      - The registered result of the M(azbackup.restore.restore_job_info) task that read (or waited
        for) the jobs of the restores, with its C(jobs), C(msg) and C(secondary_region).
      - Skipped, failed or omitted, the entries keep what the loop itself returned.
    type: dict
  role:
    description:
      - Which of the collection's roles the loop comes from, that is how its items are nested and which
        keys each entry has.
      - V(restore_disks) and V(secondary_region_restore) entries have C(restored_disk_luns),
        C(restored_disks), C(config_blob_uri), C(template_blob_uri), C(storage_account),
        C(target_resource_group) and C(target_vm_name); V(secondary_region_restore) entries also
        C(secondary_region).
      - V(replace_disks) entries have C(replaced_disk_luns) and C(disks_before) instead.
    type: str
    choices: [restore_disks, replace_disks, secondary_region_restore]
    default: restore_disks
  restore_type:
    description:
      - The C(restore_type) reported for every VM (V(restore_disks) or V(new_vm)).
      - Ignored with O(role=replace_disks), whose restore type is always V(replace_disks).
    type: str
    default: restore_disks
  staging_storage_account:
    description: The C(storage_account) reported for a VM whose job does not name its target storage account.
    type: str
    default: ""
  target_resource_group:
    description: The C(target_resource_group) reported for a VM whose job does not name its target resource group.
    type: str
    default: ""
  secondary_region:
    description:
      - With O(role=secondary_region_restore), the C(secondary_region) reported when neither the loop
        item nor O(jobs) names one.
    type: str
    default: ""
  current:
    description:
      - With O(role=replace_disks), the registered result of M(azbackup.restore.vm_info) with
        O(azbackup.restore.vm_info#module:vms) over the same VMs in the same order (or of a loop of
        M(azbackup.restore.vm_info) over them, or its C(results) list), read before the disks were replaced;
        each VM's C(os_disk) and C(data_disks) become its C(disks_before).
    type: raw
  check_mode:
    description: Whether the play runs in check mode (pass C(ansible_check_mode)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Start the restore of every VM (without waiting)
  azbackup.restore.vm_restore:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: "{{ item.name }}"
    vm_resource_group: "{{ item.resource_group }}"
    restore_type: restore_disks
    staging_storage_account: strestorewe
    staging_storage_account_resource_group: rg-restore
    target_resource_group: rg-restore
    wait: none
  loop: "{{ vms }}"
  register: started
  ignore_errors: true

- name: Wait for all the restore jobs together
  azbackup.restore.restore_job_info:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    job_ids: "{{ started.results | map(attribute='job_id', default='') | select | unique | list }}"
    operation_urls: >-
      {{ started.results | map(attribute='job_id', default='')
         | zip(started.results | map(attribute='operation_url', default=''))
         | rejectattr('0') | map(attribute='1') | select | unique | list }}
    wait_for: completed
    fail_on_job_failure: false
  register: waited
  ignore_errors: true

- name: One result per VM
  ansible.builtin.set_fact:
    restored: >-
      {{ started | azbackup.restore.restore_results(jobs=waited, restore_type='restore_disks',
                                                    staging_storage_account='strestorewe',
                                                    target_resource_group='rg-restore',
                                                    check_mode=ansible_check_mode) }}

- name: Fail unless every restore succeeded
  ansible.builtin.assert:
    that: failures | length == 0
    fail_msg: "{{ failures | length }} restore(s) did not succeed: {{ failures | join('; ') }}"
  vars:
    failures: "{{ restored | azbackup.restore.restore_failures(check_mode=ansible_check_mode) }}"
"""

RETURN = r"""
_value:
  description:
    - One entry per item of the loop, in its order. The keys depend on O(role).
  type: list
  elements: dict
  contains:
    vm:
      description: The VM's name (the last part of its id when it was given by id).
      type: str
      sample: vm-web-01
    vm_id:
      description: The VM's resource id, when the item or the restore request names it, else an empty string.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01
    restore_type:
      description: V(restore_disks), V(new_vm) or V(replace_disks).
      type: str
      sample: restore_disks
    secondary_region:
      description: The region the cross-region restore went to. Only with O(role=secondary_region_restore).
      type: str
      sample: northeurope
    changed:
      description: Whether the loop item started a restore (V(false) when it attached to an earlier one).
      type: bool
      sample: true
    job_id:
      description: The restore job, or an empty string when there is none.
      type: str
      sample: 1895141b-a1ea-4dcc-b7a0-93c2edf72854
    status:
      description:
        - The job's status (C(Completed), C(CompletedWithWarnings), C(Failed), C(Cancelled), C(InProgress)...),
          C(FailedToStart) when the loop item failed, C(CheckMode) in check mode without a job,
          C(Unknown) otherwise.
      type: str
      sample: Completed
    msg:
      description: Why the restore could not start (the loop item's message), else the message of O(jobs).
      type: str
      sample: ""
    recovery_point:
      description: The recovery point restored (C(id), C(name), C(time), C(type)).
      type: dict
      sample: {"id": "/subscriptions/.../recoveryPoints/69933028466477", "name": "69933028466477",
               "time": "2026-11-23T15:42:15Z", "type": "AppConsistent"}
    restored_disk_luns:
      description: The data disk LUNs of the restore request, else those of the recovery point.
        Not with O(role=replace_disks).
      type: list
      elements: int
      sample: [0, 1]
    replaced_disk_luns:
      description: The data disk LUNs of the planned request, else those of the recovery point.
        Only with O(role=replace_disks).
      type: list
      elements: int
      sample: [0, 1, 2]
    restored_disks:
      description:
        - The ids of the managed disks the job names in its property bag (Azure's restore jobs name none
          today; the ARM template at C(template_blob_uri) does). Not with O(role=replace_disks).
      type: list
      elements: str
      sample: []
    config_blob_uri:
      description: The VM configuration the job wrote, or V(null). Not with O(role=replace_disks).
      type: str
      sample: https://strestorewe.blob.core.windows.net/vm-web-01-1a2b3c/config-vm-web-01-1a2b3c.json
    template_blob_uri:
      description: The ARM template the job wrote, or V(null). Not with O(role=replace_disks).
      type: str
      sample: https://strestorewe.blob.core.windows.net/vm-web-01-1a2b3c/azuredeploy1a2b3c.json
    storage_account:
      description: The job's target storage account, else O(staging_storage_account). Not with O(role=replace_disks).
      type: str
      sample: strestorewe
    target_resource_group:
      description: The job's target resource group, else O(target_resource_group). Not with O(role=replace_disks).
      type: str
      sample: rg-restore
    target_vm_name:
      description: The new VM the job created, or V(null). Not with O(role=replace_disks).
      type: str
      sample: vm-web-01-restored
    disks_before:
      description: The VM's C(os_disk) and C(data_disks) as O(current) read them. Only with O(role=replace_disks).
      type: dict
      sample: {"os_disk": {"name": "vm-db-01-osdisk", "id": "/subscriptions/.../disks/vm-db-01-osdisk"},
               "data_disks": []}
    start_time:
      description: When the job started, or V(null).
      type: str
      sample: "2026-11-23T16:43:20Z"
    end_time:
      description: When the job ended, or V(null).
      type: str
      sample: "2026-11-23T16:44:27Z"
    error_details:
      description: The job's errors (C(code), C(title), C(message), C(recommendations)).
      type: list
      elements: dict
      sample: []
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.azbackup.restore.plugins.module_utils._jobs import JOB_SUCCEEDED, restore_outputs


def _get(value, key, default=None):
    """``value[key]``, or ``default`` when ``value`` is no mapping or has no ``key``."""
    if isinstance(value, Mapping) and key in value:
        return value[key]
    return default


def _results(registered):
    """The list of a registered loop result, or the list itself."""
    if isinstance(registered, Mapping):
        registered = registered.get("results")
    if registered is None:
        return []
    if isinstance(registered, (list, tuple)):
        return list(registered)
    raise AnsibleFilterError("expected the registered result of a loop (or its results list), got %s"
                             % type(registered).__name__)


def _current(registered):
    """Each VM's vm_info result (with its ``vms``: the VM, or none), from vm_info's list form or a loop of it."""
    if isinstance(registered, Mapping) and isinstance(registered.get("vms"), list) and "results" not in registered:
        return [dict(vms=[vm] if _get(vm, "exists", True) else []) for vm in registered["vms"]]
    return _results(registered)


def _text(value):
    return u"%s" % (value,)


def _point_fields(point):
    return dict(id=_get(point, "id", ""), name=_get(point, "name", ""),
                time=_get(point, "time", ""), type=_get(point, "type", ""))


class _JobIndex(object):
    """The jobs of a restore_job_info result, found by job id or by operation URL.

    restore_job_info returns the jobs in the order asked for: the distinct job ids of the loop first,
    then the distinct operation URLs of the items that had no job id, but those still pending (no job yet).
    """

    def __init__(self, started, jobs):
        self.jobs = _get(jobs, "jobs") or []
        self.ids = self._unique(_get(r, "job_id", "") for r in started)
        pending = set(_text(u).strip() for u in _get(jobs, "pending_operation_urls") or [])
        self.urls = self._unique(_get(r, "operation_url", "") for r in started
                                 if not _get(r, "job_id", "") and _text(_get(r, "operation_url", "")).strip() not in pending)

    @staticmethod
    def _unique(values):
        out = []
        for value in values:
            if value and value not in out:
                out.append(value)
        return out

    def job_of(self, result):
        """The job of one loop item, or ``{}``."""
        job_id = _get(result, "job_id")
        if job_id:
            return next((j for j in self.jobs if _get(j, "job_id") == job_id), {})
        url = _get(result, "operation_url")
        if url and url in self.urls:
            position = len(self.ids) + self.urls.index(url)
            if position < len(self.jobs):
                return self.jobs[position]
        return {}


class _Restore(object):
    """A loop of vm_restore over the VMs (the item is the VM's entry), or the results of vm_restore's
    list form (``vms``), each naming its VM as ``resource_group/name``."""

    luns_key = "restored_disk_luns"
    request_key = "properties"

    def __init__(self, settings):
        self.settings = settings

    def vm(self, result):
        item = _get(result, "item")
        if item is None and isinstance(_get(result, "vm"), str):
            return dict(name=result["vm"].rsplit("/", maxsplit=1)[-1])
        return item or {}

    def point(self, result):
        return _get(result, "recovery_point", {})

    def request(self, result):
        return _get(_get(result, "request", {}), self.request_key)

    def restore_type(self):
        return self.settings["restore_type"]

    def region_fields(self, result, jobs):
        return []

    def outcome_fields(self, index, result, job):
        outputs = restore_outputs(job if isinstance(job, Mapping) else {})
        return [
            ("restored_disks", outputs["restored_disks"]),
            ("config_blob_uri", outputs["config_blob_uri"]),
            ("template_blob_uri", outputs["template_blob_uri"]),
            ("storage_account", _get(job, "target_storage_account") or self.settings["staging_storage_account"]),
            ("target_resource_group", _get(job, "target_resource_group") or self.settings["target_resource_group"]),
            ("target_vm_name", _get(job, "target_vm_name")),
        ]

    def entry(self, index, result, job, jobs):
        vm = self.vm(result)
        point = self.point(result)
        request = self.request(result)
        failed = _get(result, "failed", False)
        if failed:
            status = "FailedToStart"
        else:
            status = _get(job, "status") or ("CheckMode" if self.settings["check_mode"] else "Unknown")
        fields = [
            ("vm", _get(vm, "name") or _text(_get(vm, "id") or "").rsplit("/", maxsplit=1)[-1]),
            ("vm_id", _get(vm, "id") or _get(request, "sourceResourceId", "")),
            ("restore_type", self.restore_type()),
        ]
        fields += self.region_fields(result, jobs)
        fields += [
            ("changed", _get(result, "changed", False)),
            ("job_id", _get(job, "job_id") or _get(result, "job_id", "")),
            ("status", status),
            ("msg", _get(result, "msg", "") if failed else _get(jobs, "msg", "")),
            ("recovery_point", _point_fields(point)),
            (self.luns_key, _get(request, "restoreDiskLunList", _get(point, "disk_luns", []))),
        ]
        fields += self.outcome_fields(index, result, job)
        fields += [
            ("start_time", _get(job, "start_time")),
            ("end_time", _get(job, "end_time")),
            ("error_details", _get(job, "error_details", [])),
        ]
        return dict(fields)


class _Replace(_Restore):
    """A loop of vm_restore over the results of its check-mode plan (a loop over the VMs)."""

    luns_key = "replaced_disk_luns"

    def __init__(self, settings):
        super(_Replace, self).__init__(settings)
        self.current = _current(settings["current"])

    def vm(self, result):
        return _get(_get(result, "item"), "item", {})

    def point(self, result):
        return _get(_get(result, "item"), "recovery_point", {})

    def request(self, result):
        return _get(_get(_get(result, "item"), "request", {}), self.request_key)

    def restore_type(self):
        return "replace_disks"

    def outcome_fields(self, index, result, job):
        vms = _get(self.current[index], "vms", []) if index < len(self.current) else []
        now = vms[0] if vms else {}
        return [("disks_before", dict(os_disk=_get(now, "os_disk"), data_disks=_get(now, "data_disks", [])))]


class _SecondaryRestore(_Restore):
    """A loop of crr_restore over the results of recovery_point_info (a loop over the VMs), or the results
    of crr_restore's list form (``vms``), each naming its VM as ``resource_group/name``."""

    request_key = "restoreRequest"

    def vm(self, result):
        if _get(result, "item") is None:
            return super(_SecondaryRestore, self).vm(result)
        return _get(_get(result, "item"), "item", {})

    def point(self, result):
        if _get(result, "item") is None:
            return super(_SecondaryRestore, self).point(result)
        points = _get(_get(result, "item"), "recovery_points")
        return points[0] if points else {}

    def region_fields(self, result, jobs):
        return [("secondary_region",
                 _get(result, "secondary_region") or _get(jobs, "secondary_region", self.settings["secondary_region"]))]


ROLES = {
    "restore_disks": _Restore,
    "replace_disks": _Replace,
    "secondary_region_restore": _SecondaryRestore,
}


def restore_results(started, jobs=None, role="restore_disks", restore_type="restore_disks", staging_storage_account="",
                    target_resource_group="", secondary_region="", current=None, check_mode=False):
    """One result per loop item of ``started``, matched with its job in ``jobs``."""
    if role not in ROLES:
        raise AnsibleFilterError("restore_results: role must be one of %s, not %r" % (", ".join(sorted(ROLES)), role))
    if jobs is not None and not isinstance(jobs, Mapping):
        raise AnsibleFilterError("restore_results: jobs must be the registered result of restore_job_info, not %s"
                                 % type(jobs).__name__)
    settings = dict(restore_type=restore_type, staging_storage_account=staging_storage_account,
                    target_resource_group=target_resource_group, secondary_region=secondary_region,
                    current=current, check_mode=check_mode)
    flavour = ROLES[role](settings)
    results = _results(started)
    jobs = jobs or {}
    index = _JobIndex(results, jobs)
    return [flavour.entry(i, r, index.job_of(r), jobs) for i, r in enumerate(results)]


def restore_failures(results, wait=True, check_mode=False):
    """One line per entry of ``results`` (from restore_results) whose restore did not succeed."""
    accepted = list(JOB_SUCCEEDED) + ([] if wait else ["InProgress"]) + (["CheckMode"] if check_mode else [])
    lines = []
    for r in results or []:
        if _get(r, "status") in accepted:
            continue
        line = u"%s: %s" % (_text(_get(r, "vm")), _text(_get(r, "status")))
        if _get(r, "job_id"):
            line += u" (job %s)" % _text(r["job_id"])
        if _get(r, "msg"):
            line += u" - %s" % _text(r["msg"])
        if _get(r, "error_details"):
            titles = [_text(t) for t in (_get(e, "title", "") for e in r["error_details"]) if t]
            line += u" - %s" % u", ".join(titles)
        lines.append(line)
    return lines


class FilterModule(object):
    """The per-VM results of the collection's restore roles."""

    def filters(self):
        return {
            "restore_results": restore_results,
            "restore_failures": restore_failures,
        }
