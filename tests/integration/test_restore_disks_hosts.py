# -*- coding: utf-8 -*-
"""The restore_disks role in the one-host-per-VM layout: an inventory host per VM, the role delegated to
localhost. The hosts that share their role variables start their restores from one vm_restore task and
wait for the jobs once; each host gets its own results and its own failure. The emulator's request log
and state are the oracle."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

from playbook import run_playbook

from test_roles import jobs, restore_posts

HOSTS = ["vm-app-%03d" % i for i in range(1, 6)]

PLAY = """
- name: Restore the disks of the fleet, one host per VM
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Restore this host's VM
      ansible.builtin.include_role:
        name: azbackup.restore.restore_disks
        apply:
          delegate_to: localhost
      vars:
        restore_disks_vault_name: rsv-prod
        restore_disks_vault_resource_group: rg-vault
        restore_disks_staging_storage_account: strestorewe
        restore_disks_staging_storage_account_resource_group: rg-restore
        restore_disks_target_resource_group: "{{ target_group | default('rg-restore') }}"
        restore_disks_restore_type: "{{ restore_type | default('restore_disks') }}"
        restore_disks_vms:
          - name: "{{ inventory_hostname }}"
            resource_group: rg-prod
        restore_disks_poll_interval: 1
"""


def inventory(host_vars=None):
    """An inventory file with a group ``fleet`` of one host per VM (``host_vars``: host -> vars)."""
    path = os.path.join(tempfile.mkdtemp(prefix="azbackup-inv-"), "fleet.ini")
    with open(path, "w") as f:
        f.write("[fleet]\n")
        for host in HOSTS:
            extra = " ".join("%s=%s" % kv for kv in sorted((host_vars or {}).get(host, {}).items()))
            f.write("%s ansible_connection=local %s\n" % (host, extra))
    return ["-i", path]


def by_host(result, task_suffix):
    """{host: result} of the tasks whose name ends with ``task_suffix`` (the last one per host)."""
    out = {}
    for entry in result.data.get("tasks", []):
        if entry["task"].endswith(task_suffix):
            out[entry["host"]] = entry["result"]
    return out


def published(result):
    return dict((h, r["ansible_facts"]["restore_disks_results"])
                for h, r in by_host(result, "Publish restore_disks_results").items())


def started_by_group(emu, result):
    """The restore POSTs, and the VMs of each vm_restore task that ran (the leaders' tasks)."""
    starts = by_host(result, "Start the restore of every VM (without waiting for the jobs)")
    groups = [sorted(r["vm"].split("/")[1] for r in res["results"]) for res in starts.values()
              if res.get("_state") != "skipped"]
    return restore_posts(emu), sorted(groups)


def test_hosts_restore_together_and_each_keeps_its_own_results(fast, emu_env):
    emu = fast
    first = run_playbook(PLAY, emu_env, extra_args=inventory())
    assert first.rc == 0, first
    posts, groups = started_by_group(emu, first)
    assert groups == [HOSTS] and len(posts) == len(HOSTS)  # one task, one restore per VM
    assert len(by_host(first, "Start the restore of every VM (without waiting for the jobs)")) == 1
    log = emu.control.requests()
    assert sum(1 for e in log if "/oauth2/" in e["path"]) == 2  # one token to start, one to wait
    results = published(first)
    assert sorted(results) == HOSTS
    by_vm = dict((j["vm_name"], j) for j in jobs(emu))
    for host, entries in results.items():
        assert [(r["vm"], r["status"], r["job_id"]) for r in entries] == [(host, "Completed", by_vm[host]["id"])]
    assert all(first.stats[h]["changed"] == 1 for h in HOSTS), first.stats

    again = run_playbook(PLAY, emu_env, extra_args=inventory())
    assert again.rc == 0, again
    assert len(restore_posts(emu)) == len(HOSTS) and len(jobs(emu)) == len(HOSTS)
    assert all(again.stats[h]["changed"] == 0 for h in HOSTS), again.stats
    assert all(r["results"][0]["attached"] for r in by_host(again, "Start the restore of every VM (without waiting for the jobs)")
               .values() if r.get("_state") != "skipped")


def test_a_failed_job_fails_its_host_only(fast, emu_env):
    emu = fast
    emu.control.add_fault(action="job_outcome", status="Failed", method="POST",
                          path=r".*vm-app-003/recoveryPoints/[^/]+/restore$", error_code=130002,
                          error_string="Restore failed: the disk could not be created.")
    result = run_playbook(PLAY, emu_env, extra_args=inventory())
    assert result.rc != 0
    failed = dict((h, r) for h, r in by_host(result, "Fail unless every restore succeeded").items()
                  if r.get("_state") == "failed")
    assert list(failed) == ["vm-app-003"]
    assert "1 of 1 restore(s) did not succeed" in failed["vm-app-003"]["msg"]
    assert "vm-app-003: Failed" in failed["vm-app-003"]["msg"]
    assert all(result.stats[h]["failures"] == 0 for h in HOSTS if h != "vm-app-003")


def test_hosts_with_other_options_restore_in_their_own_group(fast, emu_env):
    emu = fast
    other = dict(target_group="rg-dr")
    result = run_playbook(PLAY, emu_env, extra_args=inventory({"vm-app-002": other, "vm-app-004": other}))
    assert result.rc == 0, result
    posts, groups = started_by_group(emu, result)
    assert groups == [["vm-app-001", "vm-app-003", "vm-app-005"], ["vm-app-002", "vm-app-004"]]
    targets = dict((p["path"].split("/recoveryPoints/")[0].rsplit(";", 1)[1],
                    p["request_body"]["properties"]["targetResourceGroupId"].rsplit("/", 1)[1]) for p in posts)
    assert targets == {"vm-app-001": "rg-restore", "vm-app-002": "rg-dr", "vm-app-003": "rg-restore",
                       "vm-app-004": "rg-dr", "vm-app-005": "rg-restore"}
    starts = by_host(result, "Start the restore of every VM (without waiting for the jobs)")
    assert sorted(h for h, r in starts.items() if r.get("_state") != "skipped") == ["vm-app-001", "vm-app-002"]
    assert sorted(published(result)) == HOSTS


def test_a_host_with_refused_variables_fails_alone_and_sends_nothing(fast, emu_env):
    emu = fast
    # new_vm needs a target network: refused for that host, before anything is sent for it
    result = run_playbook(PLAY, emu_env, extra_args=inventory({"vm-app-005": dict(restore_type="new_vm")}))
    assert result.rc != 0
    failed = [h for h, r in by_host(result, "Fail unless every restore succeeded").items()
              if r.get("_state") == "failed"]
    assert failed == ["vm-app-005"]
    msg = by_host(result, "Fail unless every restore succeeded")["vm-app-005"]["msg"]
    assert "restore_disks_target_virtual_network" in msg
    posts, groups = started_by_group(emu, result)
    assert groups == [HOSTS[:4]] and len(posts) == 4


def test_check_mode_sends_no_restore(emu, emu_env):
    result = run_playbook(PLAY, emu_env, check=True, extra_args=inventory())
    assert result.rc == 0, result
    assert restore_posts(emu) == [] and jobs(emu) == []
    assert all(r[0]["status"] == "CheckMode" for r in published(result).values()), json.dumps(published(result))
