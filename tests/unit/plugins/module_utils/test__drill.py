# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The drill's pre-flight: every refusal, each naming its option, and what it lets through."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import RGS, SUB
from ansible_collections.azbackup.restore.tests.unit.plugins.module_utils.test__restored_vm import (
    MARK,
    Arm,
    vm_body,
)

DRILL_RG = {"id": RGS + "/rg-drill", "name": "rg-drill", "location": "westeurope"}
NET = RGS + "/rg-drill-net/providers/Microsoft.Network/virtualNetworks/vnet-drill"
PROD_NET = RGS + "/rg-prod/providers/Microsoft.Network/virtualNetworks/rg-prod-vnet"
SOURCE = RGS + "/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-app-001"
SOURCE_NIC = RGS + "/rg-prod/providers/Microsoft.Network/networkInterfaces/vm-app-001-nic"
TARGET = "vm-app-001-drill-1"
TARGET_ID = RGS + "/rg-drill/providers/Microsoft.Compute/virtualMachines/" + TARGET


def vnet(vnet_id=NET, peerings=(), gateway=False):
    subnets = [{"name": "default", "id": vnet_id + "/subnets/default", "properties": {}}]
    if gateway:
        gateway_ip = RGS + "/rg-drill-net/providers/Microsoft.Network/virtualNetworkGateways/gw/ipConfigurations/default"
        subnets.append({"name": "GatewaySubnet", "id": vnet_id + "/subnets/GatewaySubnet",
                        "properties": {"ipConfigurations": [{"id": gateway_ip}]}})
    return {"id": vnet_id, "name": vnet_id.rsplit("/", 1)[-1], "location": "westeurope", "properties": {
        "subnets": subnets,
        "virtualNetworkPeerings": [{"name": "p", "properties": {"remoteVirtualNetwork": {"id": r}}} for r in peerings]}}


def world(*extra, **kw):
    source = vm_body(vm_id=SOURCE, nics=(SOURCE_NIC,), disks=(RGS + "/rg-prod/providers/Microsoft.Compute/disks/os",))
    nic = {"id": SOURCE_NIC, "name": "vm-app-001-nic", "properties": {
        "virtualMachine": {"id": SOURCE}, "ipConfigurations": [{"properties": {"subnet": {"id": PROD_NET + "/subnets/default"}}}]}}
    return Arm(DRILL_RG, vnet(**kw), source, nic, *extra)


def preflight(arm, **params):
    from ansible_collections.azbackup.restore.plugins.module_utils._drill import Preflight

    base = dict(resource_group="rg-drill", virtual_network="vnet-drill", virtual_network_resource_group="rg-drill-net",
                vms=[dict(name="vm-app-001", resource_group="rg-prod", target_vm_name=TARGET)], tags=MARK)
    base.update(params)
    return Preflight(arm.client, SUB, base).run()


def options(result):
    return sorted(r["option"] for r in result["refusals"])


def test_an_empty_resource_group_and_an_isolated_network_pass():
    result = preflight(world())
    assert result["refusals"] == [] and result["leftovers"] == []
    assert result["source_networks"] == {"rg-prod/vm-app-001": [PROD_NET]}
    assert result["virtual_network"]["subnets"] == ["default"]


def test_this_runs_leftovers_and_its_unmarked_restore_are_let_through():
    marked_disk = {"id": RGS + "/rg-drill/providers/Microsoft.Compute/disks/d1", "name": "d1", "tags": MARK}
    pending_vm = vm_body(vm_id=TARGET_ID, disks=(RGS + "/rg-drill/providers/Microsoft.Compute/disks/os2",), nics=())
    pending_disk = {"id": RGS + "/rg-drill/providers/Microsoft.Compute/disks/os2", "name": "os2", "managedBy": TARGET_ID}
    result = preflight(world(marked_disk, pending_vm, pending_disk))
    assert result["refusals"] == [] and len(result["leftovers"]) == 3


def test_anything_else_in_the_resource_group_is_refused_by_name():
    foreign = {"id": RGS + "/rg-drill/providers/Microsoft.Compute/disks/payroll", "name": "payroll"}
    other_run = {"id": RGS + "/rg-drill/providers/Microsoft.Compute/disks/old", "name": "old",
                 "tags": {"azbackup-restore-drill": "0"}}
    result = preflight(world(foreign, other_run))
    reasons = " | ".join(r["reason"] for r in result["refusals"])
    assert options(result) == ["resource_group", "resource_group"]
    assert "1 resource(s) the drill did not create" in reasons and "disks/payroll" in reasons
    assert "drill run 0 left behind" in reasons and "disks/old" in reasons


@pytest.mark.parametrize("kw,needle", [
    (dict(peerings=[PROD_NET]), "is peered with " + PROD_NET),
    (dict(gateway=True), "has a gateway"),
    (dict(vnet_id=PROD_NET), "is the network of the source VM rg-prod/vm-app-001"),
])
def test_a_network_that_reaches_anything_is_refused(kw, needle):
    arm = world(**kw)
    params = dict(virtual_network=PROD_NET) if kw.get("vnet_id") else {}
    result = preflight(arm, **params)
    assert options(result) == ["virtual_network"] and needle in result["refusals"][0]["reason"]


def test_missing_resource_group_and_network_are_refused_together():
    arm = world()
    del arm.res[RGS.lower() + "/rg-drill"]
    del arm.res[NET.lower()]
    result = preflight(arm)
    assert options(result) == ["resource_group", "virtual_network"]
    assert result["resource_group"] is None and result["virtual_network"] is None


@pytest.mark.parametrize("params,option", [
    (dict(), "virtual_network_resource_group"),
    (dict(virtual_network=NET), "virtual_network"),
])
def test_a_network_in_a_missing_resource_group_is_refused_naming_the_option(params, option):
    arm = world()
    arm.missing_groups.add("rg-drill-net")
    result = preflight(arm, **params)
    assert options(result) == [option] and result["virtual_network"] is None
    assert "resource group rg-drill-net does not exist (check %s): (ResourceGroupNotFound)" % option \
        in result["refusals"][0]["reason"]


def test_a_missing_resource_group_is_refused_once_when_it_also_holds_the_network():
    arm = world()
    del arm.res[RGS.lower() + "/rg-drill"]
    arm.missing_groups.add("rg-drill")
    result = preflight(arm, virtual_network_resource_group=None)
    assert options(result) == ["resource_group"] and "does not exist" in result["refusals"][0]["reason"]


def test_a_source_in_a_missing_resource_group_is_a_note():
    arm = world()
    arm.missing_groups.add("rg-gone")
    result = preflight(arm, vms=[dict(name="vm-app-001", resource_group="rg-gone", target_vm_name=TARGET)])
    assert result["refusals"] == []
    assert "resource group rg-gone does not exist (check vms): (ResourceGroupNotFound)" in result["notes"][0]


def test_the_sources_resource_group_and_names_are_refused():
    arm = world()
    arm.res[RGS.lower() + "/rg-prod"] = dict(DRILL_RG, id=RGS + "/rg-prod", name="rg-prod")
    result = preflight(arm, resource_group="rg-prod", virtual_network=NET,
                       vms=[dict(name="vm-app-001", resource_group="rg-prod", target_vm_name="VM-APP-001"),
                            dict(id=RGS + "/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-app-002",
                                 target_vm_name="vm-app-001")])
    reasons = [r["reason"] for r in result["refusals"]]
    assert any("would have its source's name" in r for r in reasons)
    assert any("would both be restored as vm-app-001" in r for r in reasons)
    assert any("is the resource group of the source VM rg-prod/vm-app-001" in r for r in reasons)
    assert any("vm-app-002 does not exist" in n for n in result["notes"])


def test_bad_options_are_refused_before_any_request():
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

    arm = world()
    for params, option in ((dict(tags={}), "tags"), (dict(vms=[]), "vms"),
                           (dict(virtual_network="/subscriptions/x/resourceGroups/r/providers/Microsoft.Compute/disks/d"),
                            "virtual_network"),
                           (dict(vms=[dict(name="../x", resource_group="rg", target_vm_name="y")]), "vms")):
        with pytest.raises(ValidationError) as e:
            preflight(arm, **params)
        assert e.value.option == option
    assert arm.client.calls == []


def test_a_refusal_fails_with_every_reason():
    from ansible_collections.azbackup.restore.plugins.module_utils._drill import PreflightRefused

    result = preflight(world(gateway=True, peerings=[PROD_NET]))
    err = PreflightRefused(result)
    assert "nothing was created or deleted" in err.msg and err.msg.count("virtual_network:") == 2
    assert err.to_fail_kwargs()["refusals"] == result["refusals"]
