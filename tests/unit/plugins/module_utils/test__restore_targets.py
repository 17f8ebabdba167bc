# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _restore_targets as tg
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import (
    RGS,
    SA,
    SUB,
    VNET,
    restore_params,
)

RG = RGS


def params(**kw):
    return restore_params(**kw)


class TestTargets:
    def test_names_become_ids(self):
        t = tg.resolve_targets(params(target_vm_name="vm2", target_virtual_network="vnet-restore",
                                      target_subnet="default"), SUB, "westeurope")
        assert t.storage_account_id == SA
        assert t.resource_group_id == RG + "/rg-restore"
        assert t.vm_id == RG + "/rg-restore/providers/Microsoft.Compute/virtualMachines/vm2"
        assert t.virtual_network_id == VNET
        assert t.subnet_id == VNET + "/subnets/default"
        assert (t.storage_account_name, t.resource_group_name, t.vm_name) == ("strestorewe", "rg-restore", "vm2")

    def test_ids_are_kept_and_subnet_id_gives_network(self):
        t = tg.resolve_targets(params(staging_storage_account=SA, target_resource_group=RG + "/rg-restore",
                                      target_subnet=VNET + "/subnets/default"), SUB, "westeurope")
        assert t.storage_account_id == SA and t.virtual_network_id == VNET

    def test_network_group_option(self):
        t = tg.resolve_targets(params(target_virtual_network="vnet-x", target_virtual_network_resource_group="rg-net",
                                      target_subnet="s1"), SUB, "westeurope")
        assert t.subnet_id == RG + "/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-x/subnets/s1"

    def test_storage_name_needs_group(self):
        with pytest.raises(ValidationError) as e:
            tg.resolve_targets(params(staging_storage_account_resource_group=None), SUB, "westeurope")
        assert e.value.option == "staging_storage_account_resource_group"

    def test_wrong_kind_of_id(self):
        with pytest.raises(ValidationError) as e:
            tg.resolve_targets(params(staging_storage_account=VNET), SUB, "westeurope")
        assert "Microsoft.Storage/storageAccounts" in e.value.msg
