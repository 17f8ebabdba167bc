# -*- coding: utf-8 -*-
"""vm_info in a real playbook against the emulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from playbook import run_playbook


def test_vm_info_reads_the_disks_the_emulator_has(emu, emu_env):
    result = run_playbook([
        {"name": "managed", "azbackup.restore.vm_info": {"vm_name": "vm-db-01", "vm_resource_group": "rg-prod"}},
        {"name": "unmanaged", "azbackup.restore.vm_info": {"vm_name": "vm-legacy-01", "vm_resource_group": "rg-prod"}},
        {"name": "missing", "azbackup.restore.vm_info": {"vm_name": "vm-nope", "vm_resource_group": "rg-prod"}},
    ], emu_env)
    assert result.rc == 0, result
    truth = emu.control.state()["vms"]["vm-db-01"]
    db = result.task("managed")["vms"][0]
    assert db["id"] == truth["id"] and db["location"] == truth["location"] == "westeurope"
    assert db["zones"] == truth["zones"] == ["1"] and db["managed_disks"] is True
    assert db["os_disk"]["id"] == truth["os_disk"]["id"]
    assert [(d["lun"], d["id"]) for d in db["data_disks"]] == [(d["lun"], d["id"]) for d in truth["data_disks"]]
    assert [d["lun"] for d in db["data_disks"]] == [0, 1, 2]
    legacy = result.task("unmanaged")["vms"][0]
    assert legacy["managed_disks"] is False and legacy["os_disk"]["vhd_uri"].endswith(".vhd")
    assert result.task("missing")["vms"] == []
    assert not result.task("managed")["changed"]
    gets = [e for e in emu.control.requests() if "/virtualmachines/" in e["path"].lower()]
    assert len(gets) == 3


def test_vm_info_reads_several_vms_from_one_task(emu, emu_env):
    truth = emu.control.state()["vms"]
    result = run_playbook([
        {"name": "fleet", "azbackup.restore.vm_info": {"vms": [
            {"name": "vm-db-01", "resource_group": "rg-prod"},
            {"name": "vm-nope", "resource_group": "rg-prod"},
            {"id": truth["vm-legacy-01"]["id"]}]}},
    ], emu_env)
    assert result.rc == 0, result
    vms = result.task("fleet")["vms"]
    assert [(v["name"], v["exists"]) for v in vms] == [("vm-db-01", True), ("vm-nope", False), ("vm-legacy-01", True)]
    assert vms[0]["os_disk"]["id"] == truth["vm-db-01"]["os_disk"]["id"]
    assert vms[1] == {"exists": False, "id": vms[1]["id"], "name": "vm-nope", "resource_group": "rg-prod"}
    assert vms[1]["id"].endswith("/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-nope")
    assert vms[2]["managed_disks"] is False
    gets = [e for e in emu.control.requests() if "/virtualmachines/" in e["path"].lower()]
    assert len(gets) == 3
