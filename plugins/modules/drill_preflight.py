#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: drill_preflight
short_description: Refuse a restore drill that could touch anything but its own resources
version_added: 0.2.0
description:
  - The safety check a restore drill runs before it restores anything (the M(azbackup.restore.restored_vm) and
    M(azbackup.restore.vm_restore) tasks of the C(azbackup.restore.restore_drill) role). It only reads.
  - The drill is refused, with every reason at once and the option at fault for each, when
    one of the following holds.
  - the resource group O(resource_group) does not exist, is the resource group of a source VM, or holds anything
    the drill did not create. Resources carrying O(tags) (this run's mark) are this run's leftovers and allowed; so
    are a VM named as one of this run's restored VMs that is not marked yet (a restore of this run that ended after
    its drill was cut short) and the disks and network interfaces it owns, and the network O(virtual_network) itself.
    Resources carrying a tag of O(tags) with another value are named as another drill run's leftovers.
  - a restored VM would have its source's name, or two restored VMs the same name.
  - the network O(virtual_network) does not exist, is the network of a source VM (read from the source VM's
    network interfaces, when the source VM still exists), is peered with another network, or has a gateway (a
    C(GatewaySubnet) in use). When the network's resource group does not exist, the refusal names the option that
    named that group (O(virtual_network_resource_group), O(virtual_network) for an id, else O(resource_group)).
author:
  - azbackup.restore contributors (@azbackup)
options:
  resource_group:
    description:
      - The resource group the drill restores into, dedicated to restore drills.
    type: str
    required: true
  virtual_network:
    description:
      - The network the restored VMs join, by name (in O(virtual_network_resource_group)) or resource id.
    type: str
    required: true
  virtual_network_resource_group:
    description:
      - The resource group of O(virtual_network) when it is a name. Defaults to O(resource_group).
    type: str
  vms:
    description:
      - The source VMs of the drill, each with the name its restored copy gets.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The name of the source VM, with O(vms[].resource_group).
        type: str
      resource_group:
        description: The resource group of the source VM O(vms[].name).
        type: str
      id:
        description: The resource id of the source VM (instead of O(vms[].name) and O(vms[].resource_group)).
        type: str
      target_vm_name:
        description: The name of the restored VM.
        type: str
        required: true
  tags:
    description:
      - The drill run's mark, the tags every resource the drill creates gets, for example
        C(azbackup-restore-drill=202612060230).
    type: dict
    required: true
extends_documentation_fragment:
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_compute
  - azbackup.restore.attributes.platform
attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it runs the same in check mode.
  diff_mode:
    support: none
notes:
  - A refusal fails the task; RV(refusals) lists every reason with the option at fault.
seealso:
  - module: azbackup.restore.restored_vm
  - module: azbackup.restore.vm_restore
"""

EXAMPLES = r"""
- name: Is this drill safe to run?
  azbackup.restore.drill_preflight:
    resource_group: rg-drill
    virtual_network: vnet-drill
    virtual_network_resource_group: rg-drill-net
    vms:
      - name: vm-app-001
        resource_group: rg-prod
        target_vm_name: vm-app-001-drill-202612060230
      - id: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-app-002
        target_vm_name: vm-app-002-drill-202612060230
    tags:
      azbackup-restore-drill: "202612060230"
  register: preflight
"""

RETURN = r"""
changed:
  description: Always V(false); the module only reads.
  returned: always
  type: bool
  sample: false
refusals:
  description: Why the drill is refused (empty when it may run), each with the option at fault.
  returned: always
  type: list
  elements: dict
  contains:
    option:
      description: The option at fault.
      type: str
      returned: always
      sample: virtual_network
    reason:
      description: What is wrong, naming the resources.
      type: str
      returned: always
      sample: "vnet-peered is peered with .../virtualNetworks/vnet-restore: a drill's network reaches nothing else"
  sample: [{"option": "virtual_network", "reason": "vnet-peered is peered with .../virtualNetworks/vnet-restore: a drill's network reaches nothing else"}]
leftovers:
  description: The ids of the resources of O(resource_group) that this drill run created earlier (marked, or restored
    but not marked yet); the drill removes them when it ends.
  returned: always
  type: list
  elements: str
  sample: [/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-drill/providers/Microsoft.Compute/disks/vm-app-001-osdisk-20261206-023500]
notes:
  description: What could not be checked, for example a source VM that no longer exists (or whose resource group
    no longer exists).
  returned: always
  type: list
  elements: str
  sample: ["source VM rg-prod/vm-app-009 does not exist any more: its network was not compared"]
resource_group:
  description: The drill's resource group (C(id), C(name), C(location)); V(null) when it does not exist.
  returned: always
  type: dict
  sample: {"id": "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-drill", "name": "rg-drill", "location": "westeurope"}
virtual_network:
  description: The drill's network (C(id), C(name), C(location), C(subnets)); V(null) when it does not exist.
  returned: always
  type: dict
  sample: {"id": "/subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-drill-net/providers/Microsoft.Network/virtualNetworks/vnet-drill",
           "name": "vnet-drill", "location": "westeurope", "subnets": ["default"]}
source_networks:
  description: The ids of the networks each source VM uses, by source VM (C(resource_group/name)).
  returned: always
  type: dict
  sample: {"rg-prod/vm-app-001": ["/subscriptions/.../resourceGroups/rg-prod/providers/Microsoft.Network/virtualNetworks/rg-prod-vnet"]}
"""

from ansible_collections.azbackup.restore.plugins.module_utils._drill import VMS_SPEC, Preflight, PreflightRefused
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule


def argument_spec():
    """The module's own options (the base adds the auth and connection ones)."""
    return dict(
        resource_group=dict(type="str", required=True),
        virtual_network=dict(type="str", required=True),
        virtual_network_resource_group=dict(type="str"),
        vms=dict(type="list", elements="dict", required=True, options=VMS_SPEC,
                 mutually_exclusive=[("id", "name"), ("id", "resource_group")],
                 required_together=[("name", "resource_group")]),
        tags=dict(type="dict", required=True),
    )


def run(module):
    result = Preflight(module.client, module.subscription_id, module.params).run()
    if result["refusals"]:
        raise PreflightRefused(result)
    return result


def main():
    AzBackupModule(argument_spec(), supports_check_mode=True).run(run)


if __name__ == "__main__":
    main()
