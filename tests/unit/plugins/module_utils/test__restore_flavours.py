# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _restore_flavours as fl
from ansible_collections.azbackup.restore.plugins.module_utils._errors import RestoreFailedError, ValidationError
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import (
    SUB,
    VAULT,
    FakeClient,
    api_error,
    item_ref,
    restore_params,
)

PARAMS = restore_params(vault_name="rsv-prod", vault_resource_group="rg-vault", restore_type="restore_disks")


def no_request(*args):
    return AssertionError("no request expected")


class TestFlavours:
    def test_primary_and_secondary_share_one_interface(self):
        for name in ("locate", "recovery_points", "selection", "call", "jobs", "preflight", "validate",
                     "fix_refusal", "result"):
            assert callable(getattr(fl.PrimaryRestore, name)) and callable(getattr(fl.CrossRegionRestore, name))
        assert fl.CrossRegionRestore.restore_types == ("restore_disks", "new_vm")
        assert fl.PrimaryRestore.can_rehydrate and not fl.CrossRegionRestore.can_rehydrate

    def test_given_token_is_a_secret_and_picks_its_point(self):
        token = "given-token-0123456789"
        flavour = fl.CrossRegionRestore(FakeClient(no_request), dict(PARAMS, access_details={
            "accessTokenString": token, "recoveryPointId": 150}), SUB)
        assert flavour.secrets == {token}
        assert flavour.selection()["recovery_point_id"] == "150"
        flavour.params = dict(flavour.params, tier="vault")
        assert flavour.selection().get("recovery_point_id") is None

    def test_primary_refuses_another_region(self):
        flavour = fl.PrimaryRestore(FakeClient(no_request), dict(PARAMS, region="northeurope"), SUB)
        flavour.locate({"location": "westeurope"})
        with pytest.raises(ValidationError) as e:
            flavour.preflight(None, None, None)
        assert e.value.option == "region" and "crr_restore" in e.value.msg

    def test_only_token_refusals_are_fixed(self):
        flavour = fl.CrossRegionRestore(FakeClient(no_request), PARAMS, SUB)
        assert flavour.fix_refusal(api_error(400, "UserErrorX"), None) is False


class TestRestore:
    def test_option_refusal_sends_nothing(self):
        client = FakeClient(no_request)
        with pytest.raises(ValidationError) as e:
            fl.restore(fl.PrimaryRestore(client, dict(PARAMS, target_vm_name="vm2"), SUB))
        assert e.value.option == "target_vm_name" and client.calls == []

    def test_failure_in_the_runner_carries_what_was_read(self):
        vault = {"id": VAULT, "location": "westeurope"}
        rp = {"id": item_ref().recovery_point_path("111"), "name": "111", "properties": {
            "recoveryPointTime": "2026-11-20T22:07:11Z", "isManagedVirtualMachine": True,
            "recoveryPointTierDetails": [{"type": "HardenedRP", "status": "Valid"}]}}

        def handler(method, url, params, body):
            if url == VAULT:
                return 200, {}, vault
            if url.endswith("/recoveryPoints"):
                return 200, {}, {"value": [rp]}
            if url.endswith("/backupJobs"):
                return 200, {}, {"value": []}
            return 404, {}, {"error": {"code": "ResourceNotFound", "message": "no"}}
        with pytest.raises(RestoreFailedError) as e:
            fl.restore(fl.PrimaryRestore(FakeClient(handler), PARAMS, SUB), sleep=lambda s: None, clock=lambda: 0.0)
        assert isinstance(e.value.cause, ValidationError)
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["option"] == "staging_storage_account" and kwargs["recovery_point"]["name"] == "111"
        assert kwargs["request"]["properties"]["recoveryPointId"] == "111"
