# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The restored_vm and drill_preflight modules end to end over a scripted ARM (options, results, failures)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from unittest import mock

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common
from ansible_collections.azbackup.restore.plugins.modules import drill_preflight, restored_vm
from ansible_collections.azbackup.restore.tests.unit.plugins.module_utils.test__drill import TARGET, world
from ansible_collections.azbackup.restore.tests.unit.plugins.module_utils.test__restored_vm import (
    MARK,
    NIC,
    VM_ID,
    Arm,
    owned,
    vm_body,
)


def run(mod, arm, args, capsys, check_mode=False):
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), mock.patch.object(_common, "get_client", return_value=arm.client):
        with pytest.raises(SystemExit) as exc:
            mod.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    return out


def test_present_returns_the_vm_and_what_it_marked(capsys):
    arm = Arm(vm_body(), *owned())
    out = run(restored_vm, arm, dict(resource_group="rg-drill", name="vm-a-drill-1", tags=MARK, wait_for="agent_ready"),
              capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert out["changed"] and out["ready"] and len(out["marked"]) == 4 and out["removed"] == []
    assert out["vm"]["power_state"] == "running" and out["vm"]["agent"]["status"] == "Ready"


@pytest.mark.parametrize("args,needle", [
    (dict(state="absent"), "state is absent but any of the following are missing: tags, name_pattern"),
    (dict(state="present"), "state is present but all of the following are missing: name"),
])
def test_required_options_are_named(capsys, args, needle):
    arm = Arm()
    out = run(restored_vm, arm, dict(args, resource_group="rg-drill"), capsys)
    assert out["_rc"] == 1 and needle in out["msg"] and arm.client.calls == []


def test_a_failed_removal_reports_what_it_removed(capsys):
    arm = Arm(vm_body(tags=MARK), *owned())
    arm.refuse[NIC.lower()] = (400, {}, {"error": {"code": "NicInUse", "message": "in use"}})
    out = run(restored_vm, arm, dict(resource_group="rg-drill", state="absent", tags=MARK), capsys)
    assert out["_rc"] == 1 and out["error_code"] == "NicInUse"
    assert out["removed"] == [VM_ID] and out["changed"] is True


def test_preflight_refusal_fails_with_every_reason_and_changes_nothing(capsys):
    arm = world(gateway=True)
    out = run(drill_preflight, arm, dict(resource_group="rg-drill", virtual_network="vnet-drill",
                                         virtual_network_resource_group="rg-drill-net", tags=MARK,
                                         vms=[dict(name="vm-app-001", resource_group="rg-prod",
                                                   target_vm_name=TARGET)]), capsys, check_mode=True)
    assert out["_rc"] == 1 and out["refusals"][0]["option"] == "virtual_network"
    assert "nothing was created or deleted" in out["msg"] and not out["changed"]
    assert set(c[0] for c in arm.client.calls) == {"GET"}


def test_preflight_passes_with_its_findings(capsys):
    out = run(drill_preflight, world(), dict(resource_group="rg-drill", virtual_network="vnet-drill",
                                             virtual_network_resource_group="rg-drill-net", tags=MARK,
                                             vms=[dict(name="vm-app-001", resource_group="rg-prod",
                                                       target_vm_name=TARGET)]), capsys)
    assert out["_rc"] == 0, out.get("msg")
    assert out["refusals"] == [] and out["resource_group"]["name"] == "rg-drill" and not out["changed"]
