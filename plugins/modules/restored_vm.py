#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: restored_vm
short_description: Mark, check and remove a VM that a restore created
version_added: 0.2.0
description:
  - Works on a VM that M(azbackup.restore.vm_restore) created (O(azbackup.restore.vm_restore#module:restore_type=new_vm)),
    for example in a restore drill, together with what the VM owns. A VM owns the network interfaces it names
    whose C(virtualMachine) is that VM, and the managed disks it names whose C(managedBy) is that VM.
  - With O(state=present) the VM must exist (this module never creates one). The tags O(tags) are merged onto the
    VM and everything it owns (the Tags API, so other tags are kept), and with O(wait_for) the task waits until the
    VM runs, or runs with a ready VM agent, as its instance view reports.
  - With O(state=absent) the VM and what it owns are deleted, but only a VM that carries the mark (every tag of
    O(tags) with its value, and a name that matches O(name_pattern) when given). A VM named by O(name) that does not
    carry the mark fails the task before anything is deleted. Without O(name), every marked VM of the resource group
    is removed, and so are the marked disks, network interfaces and public IP addresses of the resource group that
    are attached to nothing (what an earlier removal cut short left behind).
  - Deletions follow Azure's asynchronous pattern; the task waits until Azure has deleted each resource. The VMs go
    first (a disk or network interface cannot be deleted while a VM uses it), then what they owned.
author:
  - azbackup.restore contributors (@azbackup)
options:
  resource_group:
    description:
      - The resource group of the VM (with O(state=absent) and no O(name), the resource group searched).
      - A resource group that does not exist (Azure's C(ResourceGroupNotFound)) fails the task naming this option,
        before anything is marked or deleted; with O(state=absent) it is not taken for a VM already removed.
    type: str
    required: true
  name:
    description:
      - The name of the VM.
      - Required with O(state=present).
    type: str
  state:
    description:
      - V(present) marks the VM and, with O(wait_for), waits for it.
      - V(absent) removes the VM, or every marked VM of the resource group, with what each owns.
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - With O(state=present), tags merged onto the VM and everything it owns. Tags already there are kept.
      - With O(state=absent), the mark. Only resources carrying every one of these tags, with these values, are
        removed. O(tags) or O(name_pattern) is required with O(state=absent).
    type: dict
  name_pattern:
    description:
      - With O(state=absent), a regular expression (Python syntax, case-insensitive) the whole name of a VM must
        match for the VM to be removed, for example C(.*-drill-20261206.*).
    type: str
  wait_for:
    description:
      - With O(state=present), what to wait for.
      - V(exists) does not wait.
      - V(running) waits until the VM's provisioning succeeded and its power state is C(running).
      - V(agent_ready) also waits until the VM agent reports C(Ready).
    type: str
    choices: [exists, running, agent_ready]
    default: exists
  wait_timeout:
    description:
      - Seconds to wait for the VM (O(state=present)), or for each group of deletions (O(state=absent)).
      - When it runs out the task fails with the VM's last state; a removal goes on in Azure and the next run
        picks it up.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two reads of the VM or of a deletion.
      - If not set, a booting VM is read every 10 seconds growing up to 30, and a deletion follows the delay
        Azure asks for (else 15 seconds growing up to 120).
    type: int
extends_documentation_fragment:
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_compute
  - azbackup.restore.attributes.platform
attributes:
  check_mode:
    support: full
    details:
      - Reads the VM and reports what would be marked (RV(marked)) or removed (RV(removed)); changes nothing and
        does not wait.
  diff_mode:
    support: none
notes:
  - C(changed) is V(true) when a tag was added or a resource removed (in check mode, when one would be).
  - The permissions needed are in docs/permissions.md (reading the VM, its disks and network interfaces, the
    Tags API, and the deletions).
seealso:
  - module: azbackup.restore.vm_restore
  - module: azbackup.restore.vm_run_command
  - module: azbackup.restore.drill_preflight
"""

EXAMPLES = r"""
- name: Mark a restored VM and wait until its VM agent is ready
  azbackup.restore.restored_vm:
    resource_group: rg-drill
    name: vm-web-01-drill-202612060230
    tags:
      azbackup-restore-drill: "202612060230"
    wait_for: agent_ready
    wait_timeout: 900
  register: restored

- name: Remove every VM (and what it owns) that this drill marked, and the marked leftovers
  azbackup.restore.restored_vm:
    resource_group: rg-drill
    state: absent
    tags:
      azbackup-restore-drill: "202612060230"

- name: Remove one VM, only if its name says it is a drill's
  azbackup.restore.restored_vm:
    resource_group: rg-drill
    name: vm-web-01-drill-202612060230
    state: absent
    name_pattern: ".*-drill-[0-9]+"

- name: What would be removed?
  azbackup.restore.restored_vm:
    resource_group: rg-drill
    state: absent
    tags:
      azbackup-restore-drill: "202612060230"
  check_mode: true
  register: would_remove
"""

RETURN = r"""
changed:
  description: Whether a tag was added or a resource removed (in check mode, whether one would be).
  returned: always
  type: bool
  sample: true
vm:
  description:
    - The VM as last read, with O(state=present).
  returned: with O(state=present) once the VM was read, also on failure
  type: dict
  contains:
    id:
      description: The VM's resource id.
      type: str
      returned: always
      sample: /subscriptions/.../resourceGroups/rg-drill/providers/Microsoft.Compute/virtualMachines/vm-web-01-drill-202612060230
    name:
      description: The VM's name.
      type: str
      returned: always
      sample: vm-web-01-drill-202612060230
    resource_group:
      description: The VM's resource group.
      type: str
      returned: always
      sample: rg-drill
    location:
      description: The VM's region.
      type: str
      returned: always
      sample: westeurope
    provisioning_state:
      description: Azure's provisioning state of the VM (C(Succeeded)...).
      type: str
      returned: always
      sample: Succeeded
    power_state:
      description: The power state from the instance view (C(running), C(starting), C(deallocated)...).
      type: str
      returned: always
      sample: running
    agent:
      description: The VM agent as the instance view reports it.
      type: dict
      returned: always
      contains:
        status:
          description: C(Ready) when the agent is ready (Azure's C(displayStatus)), for example C(Not Ready).
          type: str
          returned: always
          sample: Ready
        message:
          description: Azure's message about the agent.
          type: str
          returned: always
          sample: Guest Agent is running
        version:
          description: The agent's version (C(Unknown) while it has not reported).
          type: str
          returned: always
          sample: 2.9.1.1
        time:
          description: When the agent last reported.
          type: str
          returned: always
          sample: "2026-12-06T02:40:51Z"
    os_type:
      description: C(Linux) or C(Windows).
      type: str
      returned: always
      sample: Linux
    network_interfaces:
      description: The ids of the network interfaces the VM names.
      type: list
      returned: always
      elements: str
      sample: [/subscriptions/.../resourceGroups/rg-drill/providers/Microsoft.Network/networkInterfaces/vm-web-01-drill-202612060230-nic]
    disks:
      description: The ids of the managed disks the VM names.
      type: list
      returned: always
      elements: str
      sample: [/subscriptions/.../resourceGroups/rg-drill/providers/Microsoft.Compute/disks/vm-web-01-osdisk-20261206-023500]
    tags:
      description: The VM's tags as last read (before the tags this task added, unless O(wait_for) read the VM again after them).
      type: dict
      returned: always
      sample: {"RSVaultBackup": "5bd7a1c8-3e4f-4a6b-9c2d-0e1f2a3b4c5d"}
  sample: {"id": "/subscriptions/.../virtualMachines/vm-web-01-drill-202612060230", "name": "vm-web-01-drill-202612060230",
           "provisioning_state": "Succeeded", "power_state": "running",
           "agent": {"status": "Ready", "message": "Guest Agent is running", "version": "2.9.1.1"}}
ready:
  description:
    - Whether the VM met O(wait_for) (always V(true) for V(exists)); in check mode, whether it meets it now.
  returned: with O(state=present)
  type: bool
  sample: true
checked_at:
  description: When (UTC, on the host running the module) the VM was seen meeting O(wait_for).
  returned: with O(state=present)
  type: str
  sample: "2026-12-06T02:41:07Z"
marked:
  description: The ids of the resources this task added tags to (in check mode, would add).
  returned: always
  type: list
  elements: str
  sample: [/subscriptions/.../resourceGroups/rg-drill/providers/Microsoft.Compute/virtualMachines/vm-web-01-drill-202612060230]
removed:
  description:
    - The ids of the resources this task removed (in check mode, would remove), VMs first.
    - On failure, those removed before it.
  returned: always
  type: list
  elements: str
  sample: [/subscriptions/.../resourceGroups/rg-drill/providers/Microsoft.Compute/virtualMachines/vm-web-01-drill-202612060230]
duration:
  description: Seconds the task took.
  returned: success
  type: float
  sample: 41.5
"""

from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._restored_vm import WAIT_FOR, RestoredVm


def argument_spec():
    """The module's own options (the base adds the auth and connection ones)."""
    return dict(
        resource_group=dict(type="str", required=True),
        name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict"),
        name_pattern=dict(type="str"),
        wait_for=dict(type="str", choices=list(WAIT_FOR), default="exists"),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="int"),
    )


class Run(object):
    """One run of the module; what it changed survives a failure."""

    def __init__(self):
        self.work = None

    def extras(self):
        return self.work.extras() if self.work is not None else {}

    def execute(self, module):
        self.work = RestoredVm(module.client, module.subscription_id, module.params, check_mode=module.check_mode)
        if module.params["state"] == "present":
            return self.work.present()
        return self.work.absent()


def main():
    run = Run()
    AzBackupModule(argument_spec(), supports_check_mode=True,
                   required_if=[("state", "present", ("name",)), ("state", "absent", ("tags", "name_pattern"), True)]
                   ).run(run.execute, fail_extras=run.extras)


if __name__ == "__main__":
    main()
