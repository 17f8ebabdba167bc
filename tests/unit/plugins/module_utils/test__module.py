# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common, _module
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    RestoreFailedError,
    ValidationError,
    add_secret,
)
from ansible_collections.azbackup.restore.plugins.module_utils._poller import WAIT_ARGSPEC
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import PROTECTED_ITEM_ARGSPEC
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import SUB

ARGS = dict(vault_name="v", vault_resource_group="rg", vm_name="vm", vm_resource_group="rg-vm", subscription_id=SUB)


def run(args, func, groups=("protected_item",), capsys=None, **kw):
    with patch_module_args(args):
        module = _module.AzBackupModule(dict(extra=dict(type="str")), groups=groups, **kw)
        with pytest.raises(SystemExit) as e:
            module.run(func)
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = e.value.code
    return module, out


class TestSpec:
    def test_groups_are_merged_with_the_shared_options(self):
        spec, exclusive, together, one_of = _module.build_spec(dict(extra=dict(type="str")), ("protected_item", "wait"))
        assert set(PROTECTED_ITEM_ARGSPEC) | set(WAIT_ARGSPEC) | set(_common.azure_argument_spec()) | {"extra"} \
            == set(spec)
        assert ("vm_id", "vm_name") in exclusive and ("vm_name", "vm_resource_group") in together
        assert ("vm_id", "vm_name") in one_of

    def test_module_options_win_and_groups_are_copies(self):
        spec = _module.build_spec(dict(vault_name=dict(type="str")), ("protected_item",))[0]
        assert "required" not in spec["vault_name"]
        spec = _module.build_spec({}, ("protected_item",))[0]
        spec["vault_name"]["required"] = False
        assert PROTECTED_ITEM_ARGSPEC["vault_name"]["required"] is True

    def test_group_rules_are_enforced(self, capsys):
        with patch_module_args(dict(ARGS, vm_id="/x")):
            with pytest.raises(SystemExit) as e:
                _module.AzBackupModule({}, groups=("protected_item",))
        assert e.value.code == 1 and "mutually exclusive" in json.loads(capsys.readouterr().out)["msg"]


class TestRun:
    def test_secrets_of_the_options_are_no_log_values(self, capsys):
        module, out = run(dict(ARGS, secret="s3cr3t-client-secret"), lambda m: dict(changed=False), capsys=capsys)
        assert "s3cr3t-client-secret" in module.module.no_log_values and out["_rc"] == 0

    def test_client_is_built_lazily_once(self, capsys, monkeypatch):
        built = []
        monkeypatch.setattr(_common, "get_client", lambda params: built.append(params) or object())
        dummy, out = run(ARGS, lambda m: dict(changed=False), capsys=capsys)
        assert built == []

        def twice(m):
            return dict(changed=False, same=m.client is m.client)
        dummy, out = run(ARGS, twice, capsys=capsys)
        assert len(built) == 1 and out["same"] is True

    def test_error_fails_with_its_details(self, capsys):
        def fail(m):
            raise ValidationError("bad luns", option="disk_luns")
        dummy, out = run(ARGS, fail, capsys=capsys)
        assert out["_rc"] == 1 and out["failed"] is True and out["msg"] == "bad luns" and out["option"] == "disk_luns"

    def test_a_known_secret_never_reaches_a_failure(self, capsys, monkeypatch):
        token = "tok-0123456789abcdef"

        def fail(m):
            add_secret(token)
            m.show(token)  # a token the task exists to return...
            raise ValidationError("x")  # ...but the task fails after all
        # a message that bypasses the collection's own redaction: Ansible's no_log_values still mask it
        monkeypatch.setattr(_common, "fail_from_error", lambda module, err, **kw: module.fail_json(msg="leak " + token))
        dummy, out = run(ARGS, fail, capsys=capsys)
        assert out["_rc"] == 1 and token not in json.dumps(out)

    def test_warnings_of_the_result_become_warnings(self, capsys, monkeypatch):
        warned = []
        monkeypatch.setattr(_module.AnsibleModule, "warn", lambda self, text: warned.append(text))
        dummy, out = run(ARGS, lambda m: dict(changed=True, warnings=["mind the gap"]), capsys=capsys)
        assert out["_rc"] == 0 and out["changed"] is True and warned == ["mind the gap"] and "warnings" not in out

    def test_fail_extras(self, capsys):
        def fail(m):
            raise ValidationError("no")
        with patch_module_args(ARGS):
            module = _module.AzBackupModule({}, groups=("protected_item",))
            with pytest.raises(SystemExit):
                module.run(fail, fail_extras=lambda: dict(seen="vault"))
        assert json.loads(capsys.readouterr().out)["seen"] == "vault"


class TestDeniedPermission:
    DENIED = ("The client '5a4b' with object id '5a4b' does not have authorization to perform action "
              "'Microsoft.Storage/storageAccounts/read' over scope '/subscriptions/%s/resourceGroups/rg-restore/"
              "providers/Microsoft.Storage/storageAccounts/strestorewe' or the scope is invalid. If access was "
              "recently granted, please refresh your credentials." % SUB)

    def denied(self, status=403, code="AuthorizationFailed"):
        return AzureApiError(status_code=status, error_code=code, error_message=self.DENIED, method="GET",
                             url="https://management.azure.com/x")

    def test_names_the_action_the_scope_and_the_option(self, capsys):
        def fail(m):
            raise self.denied().with_context("Failed to read strestorewe")
        dummy, out = run(dict(ARGS, extra="strestorewe"), fail, capsys=capsys)
        assert out["_rc"] == 1 and out["denied_action"] == "Microsoft.Storage/storageAccounts/read"
        assert out["denied_scope"].endswith("/storageAccounts/strestorewe") and out["denied_options"] == ["extra"]
        assert "lack the Azure permission Microsoft.Storage/storageAccounts/read over /subscriptions/" in out["msg"]
        assert "(the resource of extra)" in out["msg"] and out["msg"].startswith("Failed to read strestorewe: ")

    def test_found_through_a_refusal_and_a_restore_failure(self, capsys):
        wrapped = RestoreFailedError(ValidationError("no", option="x", azure_error=self.denied()))

        def fail(m):
            raise wrapped
        dummy, out = run(ARGS, fail, capsys=capsys)
        assert out["denied_action"] == "Microsoft.Storage/storageAccounts/read" and out["denied_options"] == []
        assert "(the resource of" not in out["msg"] and "lack the Azure permission" in out["msg"]

    @pytest.mark.parametrize("status,code", [(403, "SomethingElse"), (404, "AuthorizationFailed")])
    def test_other_errors_are_left_alone(self, capsys, status, code):
        def fail(m):
            raise self.denied(status, code)
        dummy, out = run(ARGS, fail, capsys=capsys)
        assert "denied_action" not in out and "lack the Azure permission" not in out["msg"]

    def test_linked_authorization_failed_names_the_linked_action(self):
        err = AzureApiError(status_code=403, error_code="LinkedAuthorizationFailed", error_message=(
            "The client 'c' with object id 'o' has permission to perform action 'Microsoft.RecoveryServices/Vaults/"
            "backupFabrics/protectionContainers/protectedItems/recoveryPoints/restore/action' on scope '/x/rp'; "
            "however, it does not have permission to perform action 'Microsoft.Network/virtualNetworks/subnets/"
            "join/action' on the linked scope(s) '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/"
            "virtualNetworks/vnet/subnets/default' or the linked scope(s) are invalid."))
        assert _module.denied_permission(err) == (
            "Microsoft.Network/virtualNetworks/subnets/join/action",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default")
        assert _module.options_of_scope(err.denied_permission[1], dict(target_subnet="default", a=None, b=1)) == [
            "target_subnet"]
