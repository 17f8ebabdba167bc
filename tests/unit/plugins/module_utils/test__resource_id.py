# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as r

SUB = "9a8b7c6d-0000-4000-8000-000000000003"
VAULT = "/subscriptions/%s/resourceGroups/rg-vault/providers/Microsoft.RecoveryServices/vaults/vault1" % SUB
ITEM_ID = (VAULT + "/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;RG1;vm1"
           "/protectedItems/VM;iaasvmcontainerv2;RG1;vm1")


class TestParse:
    def test_vm(self):
        d = r.parse_resource_id("/subscriptions/%s/resourceGroups/My.RG(1)/providers/Microsoft.Compute/"
                                "virtualMachines/VM-One" % SUB)
        assert d["subscription"] == SUB and d["resource_group"] == "My.RG(1)"
        assert (d["namespace"], d["type"], d["name"]) == ("Microsoft.Compute", "virtualMachines", "VM-One")
        assert d["children"] == [] and (d["resource_type"], d["resource_name"]) == ("virtualMachines", "VM-One")

    def test_protected_item_with_children(self):
        d = r.parse_resource_id(ITEM_ID)
        assert d["type"] == "vaults" and d["name"] == "vault1"
        assert d["child_type_1"] == "backupFabrics" and d["child_name_1"] == "Azure"
        assert d["child_type_2"] == "protectionContainers"
        assert d["child_name_2"] == "IaasVMContainer;iaasvmcontainerv2;RG1;vm1"
        assert d["child_name_3"] == "VM;iaasvmcontainerv2;RG1;vm1"
        assert d["resource_type"] == "protectedItems" and len(d["children"]) == 3

    def test_percent_encoded_and_case_insensitive_keywords(self):
        enc = ITEM_ID.replace(";", "%3B").replace("/subscriptions/", "/Subscriptions/").replace(
            "resourceGroups", "resourcegroups").replace("/providers/", "/Providers/")
        d = r.parse_resource_id(enc + "/")
        assert d["child_name_2"] == "IaasVMContainer;iaasvmcontainerv2;RG1;vm1"
        assert d["resource_group"] == "rg-vault"

    def test_subscription_level_provider_resource(self):
        job = "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/westus/backupJobs/j-1" % SUB
        d = r.parse_resource_id(job)
        assert d["resource_group"] is None and d["type"] == "locations" and d["name"] == "westus"
        assert d["children"] == [dict(type="backupJobs", name="j-1")]

    def test_subscription_and_group(self):
        assert r.parse_resource_id("/subscriptions/%s" % SUB)["resource_group"] is None
        d = r.parse_resource_id(r.resource_group_id(SUB, "rg1"))
        assert d["resource_group"] == "rg1" and d["namespace"] is None

    @pytest.mark.parametrize("bad, why", [
        (None, "non-empty"),
        ("", "non-empty"),
        ("vm1", "starts with"),
        ("subscriptions/x/resourceGroups/rg", "starts with"),
        ("/resourceGroups/rg/providers/A/b/c", "starts with /subscriptions"),
        ("/subscriptions", "starts with /subscriptions"),
        ("/subscriptions/x//resourceGroups/rg", "empty segment"),
        ("/subscriptions/x/resourceGroups", "without a name"),
        ("/subscriptions/x/resourceGroups/rg/virtualMachines/vm", "expected /providers/"),
        ("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute", "needs /providers/{namespace}"),
        ("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines", "needs"),
        ("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/n/subnets", "no name"),
        ("/subscriptions/x/resourceGroups/rg/providers/A.B/t/n/providers/C.D/u/m", "extension"),
    ])
    def test_malformed(self, bad, why):
        with pytest.raises(ValueError) as exc:
            r.parse_resource_id(bad)
        assert why in str(exc.value)


class TestBuild:
    def test_builders(self):
        rg = "/subscriptions/%s/resourceGroups/rg1" % SUB
        assert r.resource_group_id(SUB, "rg1") == rg
        assert r.vm_id(SUB, "rg1", "vm1") == rg + "/providers/Microsoft.Compute/virtualMachines/vm1"
        assert r.vault_id(SUB, "rg1", "v") == rg + "/providers/Microsoft.RecoveryServices/vaults/v"
        assert r.storage_account_id(SUB, "rg1", "sa") == rg + "/providers/Microsoft.Storage/storageAccounts/sa"
        assert r.virtual_network_id(SUB, "rg1", "n") == rg + "/providers/Microsoft.Network/virtualNetworks/n"
        assert r.subnet_id(SUB, "rg1", "n", "s") == rg + "/providers/Microsoft.Network/virtualNetworks/n/subnets/s"
        assert r.disk_encryption_set_id(SUB, "rg1", "d") == rg + "/providers/Microsoft.Compute/diskEncryptionSets/d"
        assert r.location_path(SUB, "westus") == \
            "/subscriptions/%s/providers/Microsoft.RecoveryServices/locations/westus" % SUB

    @pytest.mark.parametrize("builder, args", [
        (r.vm_id, (SUB, "rg1", "vm1")),
        (r.vault_id, (SUB, "rg", "v")),
        (r.storage_account_id, (SUB, "rg", "sa")),
        (r.virtual_network_id, (SUB, "rg", "n")),
        (r.disk_encryption_set_id, (SUB, "rg", "d")),
    ])
    def test_round_trip(self, builder, args):
        d = r.parse_resource_id(builder(*args))
        assert (d["subscription"], d["resource_group"], d["name"]) == args

    def test_subnet_round_trip(self):
        d = r.parse_resource_id(r.subnet_id(SUB, "rg", "net", "sn"))
        assert (d["name"], d["child_type_1"], d["child_name_1"]) == ("net", "subnets", "sn")

    @pytest.mark.parametrize("args", [(SUB, "", "vm"), (SUB, "rg", None), ("", "rg", "vm"), (SUB, "rg", "a/b")])
    def test_bad_parts(self, args):
        with pytest.raises(ValueError):
            r.vm_id(*args)


class TestBackupNames:
    def test_names(self):
        assert r.container_name("rg1", "vm1") == "iaasvmcontainer;iaasvmcontainerv2;rg1;vm1"
        assert r.protected_item_name("rg1", "vm1") == "vm;iaasvmcontainerv2;rg1;vm1"

    def test_protected_item_path(self):
        path = r.protected_item_path(VAULT, r.container_name("rg1", "vm1"), r.protected_item_name("rg1", "vm1"))
        assert path == (VAULT + "/backupFabrics/Azure/protectionContainers/iaasvmcontainer%3Biaasvmcontainerv2%3B"
                        "rg1%3Bvm1/protectedItems/vm%3Biaasvmcontainerv2%3Brg1%3Bvm1")

    def test_protected_item_path_not_double_encoded(self):
        once = r.protected_item_path(VAULT, "a;b", "c;d")
        assert r.protected_item_path(VAULT, "a%3Bb", "c%3bd") == once

    def test_path_round_trip(self):
        path = r.protected_item_path(VAULT + "/", "IaasVMContainer;iaasvmcontainerv2;My.RG(1);vm_1",
                                     "VM;iaasvmcontainerv2;My.RG(1);vm_1")
        assert r.names_from_protected_item_id(path) == ("IaasVMContainer;iaasvmcontainerv2;My.RG(1);vm_1",
                                                        "VM;iaasvmcontainerv2;My.RG(1);vm_1")

    def test_recovery_point_path(self):
        item = r.protected_item_path(VAULT, "c;1", "i;1")
        assert r.recovery_point_path(item, "26083826328862") == item + "/recoveryPoints/26083826328862"
        with pytest.raises(ValueError):
            r.recovery_point_path("not-a-path", "1")

    def test_names_from_item_id(self):
        assert r.names_from_protected_item_id(ITEM_ID) == ("IaasVMContainer;iaasvmcontainerv2;RG1;vm1",
                                                           "VM;iaasvmcontainerv2;RG1;vm1")
        # a recovery point's id works too
        assert r.names_from_protected_item_id(ITEM_ID + "/recoveryPoints/123")[1] == "VM;iaasvmcontainerv2;RG1;vm1"

    def test_names_from_swagger_example_id_without_fabric(self):
        example = ("/Subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/SwaggerTestRg/providers/"
                   "Microsoft.RecoveryServices/vaults/NetSDKTestRsVault/protectionContainers/"
                   "IaasVMContainer;iaasvmcontainer;iaasvm-rg;iaasvm-1/protectedItems/VM;iaasvmcontainer;iaasvm-rg;"
                   "iaasvm-1")
        assert r.names_from_protected_item_id(example)[0] == "IaasVMContainer;iaasvmcontainer;iaasvm-rg;iaasvm-1"

    @pytest.mark.parametrize("bad", [VAULT, r.vm_id(SUB, "rg", "vm"), "garbage"])
    def test_names_from_non_item(self, bad):
        with pytest.raises(ValueError):
            r.names_from_protected_item_id(bad)

    def test_same_resource(self):
        assert r.same_resource(ITEM_ID, ITEM_ID.upper())
        assert r.same_resource(ITEM_ID, ITEM_ID.replace(";", "%3B") + "/")
        assert not r.same_resource(VAULT, VAULT + "2")
        assert not r.same_resource(None, VAULT) and not r.same_resource(VAULT, "")
