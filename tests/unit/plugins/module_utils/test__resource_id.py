# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as r
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError

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


# --------------------------------------------------------------------------------------------
# The gate for identifiers that become URL path segments

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "contract", "specs", "specification",
                        "recoveryservicesbackup", "resource-manager", "Microsoft.RecoveryServices", "stable")
CRR_OP = "MTMzMDgzNzkwNjQxODEzODE2MDtkMTY3MzM3Yy0yM2I1LTQ5ODgtODkwZC0xY2MyMmQ5MTYyZjA="
ATTACKS = ("932891484644960954/../../../../../../backupJobs/x", "../../../../../backupJobs")
BACKUP_NAME_KINDS = ("container_name", "protected_item_name")

# Values that add, remove or escape a path segment, or are no identifier at all: refused for every kind.
HOSTILE = [
    ("slash", "/"),
    ("slash inside", "rg1/x"),
    ("dot dot", ".."),
    ("dot", "."),
    ("backslash", "a\\b"),
    ("encoded slash", "%2F"),
    ("encoded slash, lower case", "a%2fb"),
    ("encoded backslash", "%5C"),
    ("encoded dots", "%2E%2E"),
    ("encoded semicolon twice", "a%253Bb"),
    ("stray percent", "50%"),
    ("question mark", "?"),
    ("query", "123?api-version=2016-06-01"),
    ("hash", "#"),
    ("fragment", "123#x"),
    ("ampersand", "a&b"),
    ("carriage return", "\r"),
    ("line feed", "123\n"),
    ("header injection", "123\r\nX-Injected: 1"),
    ("nul", "\x00"),
    ("nul inside", "12\x0034"),
    ("tab", "a\tb"),
    ("delete", "a\x7f"),
    ("C1 control", "a\x85b"),
    ("line separator", "a\u2028b"),
    ("empty", ""),
    ("blank", "   "),
    ("leading space", " 123"),
    ("trailing space", "123 "),
    ("inner space", "a b"),
    ("2000 characters", "9" * 2000),
    ("2000 letters", "a" * 2000),
    ("right-to-left override", "abc\u202e123"),
    ("zero-width space", "12\u200b3"),
    ("combining acute", "e\u0301"),
    ("combining only", "\u0301"),
    ("fullwidth solidus", "a\uff0fb"),
    ("another resource id", "/subscriptions/x/resourceGroups/y"),
    ("another relative path", "backupJobs/x"),
    ("url", "https://evil.example/x"),
    ("none", None),
    ("bool", True),
    ("list", ["1"]),
    ("bytes", b"123"),
    ("float", 1.5),
] + [("attack %d" % i, v) for i, v in enumerate(ATTACKS)]

VALID = [
    # recovery point names of the swagger examples and of the recorded traffic
    ("recovery_point_id", "26083826328862"),
    ("recovery_point_id", "2252884060104889907"),
    ("recovery_point_id", "932891484644960954"),
    ("recovery_point_id", "348916168024334"),
    ("recovery_point_id", "1"),
    ("recovery_point_id", "9" * 20),
    ("job_id", "00000000-0000-0000-0000-000000000000"),
    ("job_id", "02585cc9-d7f4-4b46-860c-14c048cce178"),
    ("job_id", CRR_OP),
    ("job_id", "job-1"),
    ("operation_id", "00000000-0000-0000-0000-000000000000"),
    ("operation_id", CRR_OP),
    ("operation_id", "MzM7YWJj-_w=="),
    ("subscription_id", SUB),
    ("subscription_id", "F2EDFD5D-5496-4683-B94F-B3588C579009"),
    ("tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
    ("tenant", "contoso.onmicrosoft.com"),
    ("resource_group", "SwaggerTestRg"),
    ("resource_group", "fijivalidation-asr-microsoftrrdclab3-408"),
    ("resource_group", "My.RG(1)"),
    ("resource_group", "rg_1"),
    ("resource_group", "r" * 90),
    ("resource_group", "r\u00e9sum\u00e9-rg"),  # Char.IsLetterOrDigit letters
    ("vault", "NetSDKTestRsVault"),
    ("vault", "rsv-prod"),
    ("vault", "v" * 50),
    ("vm", "iaasvm-1"),
    ("vm", "vm_1"),
    ("vm", "vm.web.01"),
    ("vm", "VM-WEB-01"),
    ("vm", "v" * 64),
    ("storage_account", "strestorewe"),
    ("storage_account", "s" * 24),
    ("virtual_network", "vnet-restore"),
    ("virtual_network", "vnet.dr_"),
    ("subnet", "default"),
    ("subnet", "GatewaySubnet"),
    ("subnet", "s" * 80),
    ("disk_encryption_set", "des-restore_1"),
    ("user_assigned_identity", "id-restore_1"),
    ("region", "westus"),
    ("region", "eastus2euap"),
    ("container_name", "IaasVMContainer;iaasvmcontainerv2;rshhtestmdvmrg;rshmdvmsmall"),
    ("container_name", "iaasvmcontainer;iaasvmcontainer;iaasvm-rg;iaasvm-1"),
    ("container_name", "iaasvmcontainer;iaasVMContainerV2;My.RG(1);vm_1"),
    ("container_name", "iaasvmcontainer%3Biaasvmcontainerv2%3Brg-prod%3Bvm-web-01"),
    ("protected_item_name", "VM;iaasvmcontainerv2;fijivalidation-asr-microsoftrrdclab3-408;vm408"),
    ("protected_item_name", "vm%3biaasvmcontainerv2%3brg%3bvm"),
    ("namespace", "Microsoft.RecoveryServices"),
    ("resource_type", "virtualMachines"),
    ("name", "anything-(1)_x.y"),
]


def _kinds_but(*excluded):
    return [k for k in r.KINDS if k not in excluded]


def _refused(value, kind, option=None):
    with pytest.raises(r.SegmentError) as exc:
        r.check_segment(value, kind, option)
    return exc.value


class TestGate:
    def test_kinds(self):
        assert set(k for k, dummy in VALID) == set(r.KINDS)

    @pytest.mark.parametrize("kind, value", VALID)
    def test_valid(self, kind, value):
        assert r.check_segment(value, kind, "opt") == value

    def test_integer_recovery_point_id(self):
        assert r.check_segment(26083826328862, "recovery_point_id") == "26083826328862"

    @pytest.mark.parametrize("kind", r.KINDS)
    @pytest.mark.parametrize("label, value", HOSTILE, ids=[h[0] for h in HOSTILE])
    def test_hostile_refused_for_every_kind(self, kind, label, value):
        err = _refused(value, kind, "the_option")
        assert isinstance(err, ValidationError) and isinstance(err, ValueError)
        assert err.option == "the_option" and err.kind == kind
        assert err.msg.startswith("the_option ")
        assert err.to_fail_kwargs()["option"] == "the_option"

    @pytest.mark.parametrize("kind", _kinds_but(*BACKUP_NAME_KINDS))
    def test_semicolon_only_in_backup_names(self, kind):
        _refused("rg1;vm1", kind)
        _refused("rg1%3Bvm1", kind)

    @pytest.mark.parametrize("kind", BACKUP_NAME_KINDS)
    @pytest.mark.parametrize("value", [";", "a;", ";a", "a;;b", "a;..;b", "a;.", "a%3B%3Bb", "a%3B%2F..%3Bb",
                                       "a;b c", "a;b&c", "a;b=c", "a;" + "b" * 300])
    def test_backup_name_parts(self, kind, value):
        _refused(value, kind)

    @pytest.mark.parametrize("value", ["00000000-0000-0000-0000-000000000000", "+1", "-1", "1e5", "0x1F", "1.0",
                                       "\u0661\u0662\u0663", "\uff11\uff12", "9" * 21, "rp-1", "12a"])
    def test_recovery_point_id_is_decimal_digits(self, value):
        assert "decimal digits" in _refused(value, "recovery_point_id").msg

    @pytest.mark.parametrize("value", ATTACKS)
    def test_reported_attacks(self, value):
        err = _refused(value, "recovery_point_id", "recovery_point_id")
        assert err.option == "recovery_point_id" and "recovery_point_id" in err.msg
        assert "'/'" in err.msg
        item = r.protected_item_path(VAULT, "c;1", "i;1")
        with pytest.raises(ValidationError) as exc:
            r.recovery_point_path(item, value)
        assert exc.value.option == "recovery_point_id" and "recovery_point_id" in exc.value.msg

    @pytest.mark.parametrize("kind, value", [
        ("subscription_id", "not-a-guid"),
        ("subscription_id", SUB + "0"),
        ("subscription_id", "{%s}" % SUB),
        ("resource_group", "rg."),
        ("resource_group", "r" * 91),
        ("resource_group", "rg!"),
        ("vault", "1vault"),
        ("vault", "vault_1"),
        ("vault", "v" * 51),
        ("vm", "vm."),
        ("vm", "-vm"),
        ("vm", "vm(1)"),
        ("vm", "v" * 65),
        ("storage_account", "StRestore"),
        ("storage_account", "st-restore"),
        ("storage_account", "s" * 25),
        ("virtual_network", "vnet."),
        ("virtual_network", "vnet-"),
        ("virtual_network", "_vnet"),
        ("subnet", "s" * 81),
        ("disk_encryption_set", "des.1"),
        ("user_assigned_identity", "-id"),
        ("region", "West US"),
        ("region", "west-us"),
        ("job_id", "a/b"),
        ("job_id", "a.b"),
        ("operation_id", "a" * 257),
        ("namespace", "Microsoft"),
        ("resource_type", "virtual.Machines"),
        ("name", "name."),
    ])
    def test_kind_rules(self, kind, value):
        _refused(value, kind)

    def test_message_shows_80_characters_at_most(self):
        value = "A" * 79 + "B" * 1921
        err = _refused(value, "vault", "vault_name")
        assert "B" * 2 not in err.msg and "A" * 79 + "B" in err.msg
        assert "2000 characters" in err.msg and "more than the 50 allowed" in err.msg

    @pytest.mark.parametrize("value, shown", [
        ("12\r\n34", "'12\\r\\n34'"),
        ("12\x0034", "'12\\x0034'"),
        ("12\u202e34", "'12\\u202e34'"),
        ("12\x7f", "'12\\x7f'"),
    ])
    def test_message_escapes_control_characters(self, value, shown):
        err = _refused(value, "recovery_point_id")
        assert shown in err.msg and "control or invisible" in err.msg
        assert not any(c in err.msg for c in "\r\n\x00\x7f\u202e")
        assert err.option == "recovery_point_id"  # the kind, when no option is given

    @pytest.mark.parametrize("value, words", [
        ("a/b", "'/'"), ("..", "'..'"), ("%2F", "'%'"), ("a?b", "'?'"), ("", "empty"), ("9" * 30, "30 characters"),
        ("12a", "naming rules"),
    ])
    def test_message_says_what_is_wrong(self, value, words):
        err = _refused(value, "recovery_point_id", "recovery_point_id")
        assert words in err.msg and "1 to 20 decimal digits" in err.msg

    def test_unknown_kind(self):
        with pytest.raises(ValueError) as exc:
            r.check_segment("x", "nope")
        assert not isinstance(exc.value, ValidationError)


VNET_ID = "/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/net" % SUB


class TestBuildersUseTheGate:
    @pytest.mark.parametrize("call, option", [
        (lambda: r.resource_group_id(SUB, "rg/.."), "resource_group"),
        (lambda: r.resource_group_id("x", "rg"), "subscription_id"),
        (lambda: r.resource_group_id(SUB, "rg?", option="target_resource_group"), "target_resource_group"),
        (lambda: r.vm_id(SUB, "rg", "vm/../../x"), "vm_name"),
        (lambda: r.vm_id(SUB, "..", "vm"), "vm_resource_group"),
        (lambda: r.vm_id(SUB + "/x", "rg", "vm"), "subscription_id"),
        (lambda: r.vm_id(SUB, "rg", "vm%2F", option="target_vm_name"), "target_vm_name"),
        (lambda: r.vault_id(SUB, "rg", "v#"), "vault_name"),
        (lambda: r.vault_id(SUB, "rg\n", "v"), "vault_resource_group"),
        (lambda: r.storage_account_id(SUB, "rg", "StRestore"), "staging_storage_account"),
        (lambda: r.storage_account_id(SUB, "rg;", "sa"), "staging_storage_account_resource_group"),
        (lambda: r.virtual_network_id(SUB, "rg", "."), "target_virtual_network"),
        (lambda: r.subnet_id(SUB, "rg", "net", "../x"), "target_subnet"),
        (lambda: r.subnet_id(SUB, "rg", "net/subnets", "s"), "target_virtual_network"),
        (lambda: r.subnet_id(SUB, "rg\x00", "net", "s"), "target_virtual_network_resource_group"),
        (lambda: r.disk_encryption_set_id(SUB, "rg", "d\u202e"), "disk_encryption_set"),
        (lambda: r.location_path(SUB, "west/../us"), "region"),
        (lambda: r.resource_id(SUB, "rg", "A.B", "t", "n", "c", "x/y"), "name"),
        (lambda: r.resource_id(SUB, "rg", "A.B", "t", "n", "c"), "name"),
        (lambda: r.resource_id(SUB, "rg", "A.B/..", "t", "n"), "namespace"),
        (lambda: r.container_name("rg", "vm;x"), "vm_name"),
        (lambda: r.container_name("rg/x", "vm"), "vm_resource_group"),
        (lambda: r.protected_item_name("rg", "vm\r\n"), "vm_name"),
        (lambda: r.protected_item_path(VAULT, "c;../x", "i;1"), "container_name"),
        (lambda: r.protected_item_path(VAULT, "c;1", "i%3B1%2F.."), "protected_item_name"),
        (lambda: r.protected_item_path(VAULT + "/../other", "c;1", "i;1"), "vault_id"),
        (lambda: r.protected_item_path("vault1", "c;1", "i;1"), "vault_id"),
        (lambda: r.recovery_point_path(ITEM_ID + "?x=1", "1"), "protected_item"),
        (lambda: r.recovery_point_path(ITEM_ID, "1/..", option="rp"), "rp"),
        (lambda: r.job_path(VAULT, "../backupPolicies/p"), "job_id"),
        (lambda: r.job_path(VAULT, "j/1", option="job"), "job"),
        (lambda: r.job_path("/subscriptions/%s/resourceGroups/rg/%%2E%%2E" % SUB, "j"), "vault_id"),
    ])
    def test_refusals_name_the_option(self, call, option):
        with pytest.raises(r.SegmentError) as exc:
            call()
        assert isinstance(exc.value, ValueError)
        assert exc.value.option == option and exc.value.msg.startswith(option + " ")

    def test_job_path(self):
        assert r.job_path(VAULT, "02585cc9-d7f4-4b46-860c-14c048cce178") == \
            VAULT + "/backupJobs/02585cc9-d7f4-4b46-860c-14c048cce178"
        assert r.job_path(VAULT + "/", CRR_OP) == VAULT + "/backupJobs/" + CRR_OP

    def test_subnet_and_container_builders(self):
        assert r.subnet_id(SUB, "rg", "net", "default") == VNET_ID + "/subnets/default"
        assert r.resource_id(SUB, "rg", "Microsoft.Network", "virtualNetworks", "net", "subnets", "default") == \
            VNET_ID + "/subnets/default"
        assert r.container_name("r\u00e9sum\u00e9", "vm_1") == "iaasvmcontainer;iaasvmcontainerv2;r\u00e9sum\u00e9;vm_1"

    def test_recovery_point_path_strips_the_slash(self):
        item = r.protected_item_path(VAULT, "c;1", "i;1")
        assert r.recovery_point_path(item + "/", 26083826328862) == item + "/recoveryPoints/26083826328862"


class TestParseRefusesPathTricks:
    @pytest.mark.parametrize("bad, why", [
        (VAULT + "/..", "'..' segment"),
        (VAULT + "/.", "'.' segment"),
        (VAULT + "/../../../../rg2/providers/A.B/t/n", "'..' segment"),
        ("/subscriptions/x/resourceGroups/%2E%2E/providers/A.B/t/n", "'..' segment"),
        ("/subscriptions/x/resourceGroups/rg%2F..%2Fother/providers/A.B/t/n", "encoded '/'"),
        ("/subscriptions/x/resourceGroups/rg%2fx/providers/A.B/t/n", "encoded '/'"),
        ("/subscriptions/x/resourceGroups/rg%5Cx/providers/A.B/t/n", "encoded '\\\\'"),
        ("/subscriptions/x/resourceGroups/rg%3Fx/providers/A.B/t/n", "encoded '?'"),
        ("/subscriptions/x/resourceGroups/rg%23x/providers/A.B/t/n", "encoded '#'"),
        ("/subscriptions/x/resourceGroups/rg%252F/providers/A.B/t/n", "percent-encoded twice"),
        ("/subscriptions/x/resourceGroups/rg\\x/providers/A.B/t/n", "'\\\\'"),
        (VAULT + "?api-version=2016-06-01", "query"),
        (VAULT + "#frag", "fragment"),
        (VAULT + "\x00", "control"),
        (VAULT + "%00", "control"),
        ("/subscriptions/x/resourceGroups/r%0Ag/providers/A.B/t/n", "control"),
        ("/subscriptions/x/resourceGroups/rg\r\nX: 1/providers/A.B/t/n", "control"),
        ("/subscriptions/x/resourceGroups/rg\u202e/providers/A.B/t/n", "invisible"),
    ])
    def test_refused(self, bad, why):
        with pytest.raises(ValueError) as exc:
            r.parse_resource_id(bad)
        assert why in str(exc.value)

    def test_long_id_is_not_echoed_whole(self):
        with pytest.raises(ValueError) as exc:
            r.parse_resource_id("/subscriptions/x/" + "a" * 2000)
        assert "a" * 81 not in str(exc.value) and "characters)" in str(exc.value)


CHILD_KINDS = dict(recoverypoints="recovery_point_id", protectioncontainers="container_name",
                   protecteditems="protected_item_name", backupjobs="job_id")


def _swagger_examples():
    """(kind, value) of every recovery point, container, item, job and operation id in the examples."""
    found = set()

    def from_path(text):
        path = text.split("?")[0]
        if "://" in path:
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        try:
            children = r.parse_resource_id(path)["children"]
        except ValueError:  # a list URL (ends with a type), a template with {placeholders}...
            return
        for child in children:
            ctype, name = child["type"].lower(), child["name"]
            if name.startswith("{"):
                continue
            if ctype in CHILD_KINDS:
                found.add((CHILD_KINDS[ctype], name))
            elif ctype.endswith(("operationresults", "operationsstatus", "operationsstatuses", "operations")):
                found.add(("operation_id", name))

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "recoveryPointId" and isinstance(value, str):
                    found.add(("recovery_point_id", value))
                elif key in ("jobName", "jobId") and isinstance(value, str):
                    found.add(("job_id", value))
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and "/subscriptions/" in node.lower():
            from_path(node)

    for folder, _dirs, files in os.walk(EXAMPLES):
        for name in files:
            if name.endswith(".json") and "examples" in folder:
                with open(os.path.join(folder, name)) as f:
                    walk(json.load(f))
    return sorted(found)


SWAGGER_VALUES = _swagger_examples() if os.path.isdir(EXAMPLES) else []


@pytest.mark.skipif(not SWAGGER_VALUES, reason="swagger examples not present")
class TestSwaggerExamplesPass:
    def test_every_kind_is_found(self):
        kinds = set(k for k, dummy in SWAGGER_VALUES)
        assert kinds == {"recovery_point_id", "container_name", "protected_item_name", "job_id", "operation_id"}
        assert ("operation_id", CRR_OP) in SWAGGER_VALUES

    @pytest.mark.parametrize("kind, value", SWAGGER_VALUES)
    def test_example_value_passes(self, kind, value):
        assert r.check_segment(value, kind) == value
