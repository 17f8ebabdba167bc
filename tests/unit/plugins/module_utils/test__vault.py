# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _vault as v
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import SUB, VAULT, FakeClient, item_ref


def vault(redundancy):
    return {"id": VAULT, "location": "westeurope", "properties": {"redundancySettings": redundancy}}


class TestReadVault:
    @pytest.mark.parametrize("code,option,text", [
        ("ResourceNotFound", "vault_name", "Vault rsv-prod was not found in resource group rg-vault"),
        ("ResourceGroupNotFound", "vault_resource_group", "resource group rg-vault of vault rsv-prod does not exist"),
        ("SubscriptionNotFound", "subscription_id", "subscription %s was not found" % SUB),
    ])
    def test_not_found_names_the_option_and_azures_answer(self, code, option, text):
        client = FakeClient(lambda *a: (404, {"x-ms-correlation-request-id": "corr-7"},
                                        {"error": {"code": code, "message": "Azure says no"}}))
        with pytest.raises(ValidationError) as e:
            v.read_vault(client, item_ref())
        kwargs = e.value.to_fail_kwargs()
        assert kwargs["option"] == option and kwargs["msg"].startswith(text)
        assert kwargs["error_code"] == code and kwargs["correlation_id"] == "corr-7" and kwargs["status_code"] == 404
        assert "(%s) Azure says no (correlation id corr-7)" % code in kwargs["msg"]

    def test_reads_the_vault(self):
        client = FakeClient(lambda *a: (200, {}, {"id": VAULT}))
        assert v.read_vault(client, item_ref()) == {"id": VAULT}
        assert client.calls[0][1:3] == (VAULT, "2023-04-01")


class TestCrr:
    def test_redundancy_settings(self):
        client = FakeClient(lambda *a: AssertionError("no request"))
        assert v.crr_state(client, vault({"crossRegionRestore": "Enabled"}), VAULT)[0] is True
        enabled, why = v.crr_state(client, vault({"crossRegionRestore": "Disabled",
                                                  "standardTierStorageRedundancy": "LocallyRedundant"}), VAULT)
        assert enabled is False and "LocallyRedundant" in why
        assert client.calls == []

    def test_older_vault_reads_the_storage_config(self):
        client = FakeClient(lambda *a: (200, {}, {"properties": {"crossRegionRestoreFlag": True,
                                                                 "storageType": "GeoRedundant"}}))
        assert v.crr_state(client, {"properties": {}}, VAULT) == (
            True, "crossRegionRestoreFlag is True, storage type GeoRedundant")
        assert client.calls[0][1] == VAULT + "/backupstorageconfig/vaultstorageconfig"

    def test_require_crr_refuses(self):
        client = FakeClient(lambda *a: AssertionError("no request"))
        with pytest.raises(ValidationError) as e:
            v.require_crr(client, item_ref(), vault({"crossRegionRestore": "Disabled"}))
        assert e.value.option == "vault_name" and "does not have cross-region restore enabled" in e.value.msg
        v.require_crr(client, item_ref(), vault({"crossRegionRestore": "Enabled"}))

    def test_normalize_region(self):
        assert v.normalize_region("West Europe") == "westeurope" and v.normalize_region(None) == ""
