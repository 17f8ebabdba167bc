# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_resource_guard: the guard of a vault's restores and the auxiliary token of its tenant."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections

import pytest
import requests
import responses

from ansible_collections.azbackup.restore.plugins.module_utils import _auth
from ansible_collections.azbackup.restore.plugins.module_utils import _auth_client_secret
from ansible_collections.azbackup.restore.plugins.module_utils import _errors as _errors_mod
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_guard as rg
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, redact_text
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import VAULT, FakeClient

GUARD = ("/subscriptions/4d3c2b1a-0000-4000-8000-000000000007/resourceGroups/rg-security/providers/"
         "Microsoft.DataProtection/resourceGuards/rg-guard")
PROXY = {"id": VAULT + "/backupResourceGuardProxies/VaultProxy", "name": "VaultProxy", "properties": {
    "resourceGuardResourceId": GUARD, "resourceGuardOperationDetails": [
        {"vaultCriticalOperation": "Microsoft.RecoveryServices/vaults/backupPolicies/write",
         "defaultResourceRequest": GUARD + "/updatePolicyRequests/default"},
        {"vaultCriticalOperation": rg.RESTORE_OPERATION,
         "defaultResourceRequest": GUARD + "/triggerRestoreRequests/default"},
    ]}}


@pytest.fixture(autouse=True)
def forget_secrets():
    saved = set(_errors_mod._SECRETS)
    yield
    _errors_mod._SECRETS.clear()
    _errors_mod._SECRETS.update(saved)


def client(answer):
    return FakeClient(lambda m, u, p, b: answer)


class TestRestoreGuard:
    def test_found_through_the_proxy(self):
        c = client((200, {}, {"value": [PROXY]}))
        guard = rg.restore_guard(c, VAULT)
        assert guard.id == GUARD and guard.operation_request == GUARD + "/triggerRestoreRequests/default"
        assert c.calls[0][1] == VAULT + "/backupResourceGuardProxies" and c.calls[0][2] == "2024-04-01"
        assert "Backup MUA Operator" in guard.access_hint() and "resource_guard_tenant_id" in guard.access_hint()

    def test_none_without_proxy_or_restore_protection(self):
        assert rg.restore_guard(client((200, {}, {"value": []})), VAULT) is None
        only_policy = dict(PROXY, properties=dict(PROXY["properties"], resourceGuardOperationDetails=[
            PROXY["properties"]["resourceGuardOperationDetails"][0]]))
        assert rg.restore_guard(client((200, {}, {"value": [only_policy]})), VAULT) is None
        assert rg.restore_guard(client((404, {}, {"error": {"code": "NotFound", "message": "x"}})), VAULT) is None

    def test_other_errors_named(self):
        with pytest.raises(AzureApiError) as e:
            rg.restore_guard(client((403, {}, {"error": {"code": "AuthorizationFailed", "message": "no"}})), VAULT)
        assert "resource guard proxies" in e.value.msg


AccessToken = collections.namedtuple("AccessToken", "token expires_on")


class Credential(object):
    def __init__(self):
        self.calls = []

    def get_token(self, *scopes, **kwargs):
        self.calls.append((scopes, kwargs))
        return AccessToken("aux-token-of-%s" % kwargs.get("tenant_id"), 4102444800)


class TestAuxiliaryToken:
    def test_token_of_the_guard_tenant_is_a_secret(self):
        cred = Credential()
        provider = _auth.TokenProvider(cred, "https://management.azure.com/.default")
        headers = rg.auxiliary_headers(provider, "guard-tenant")
        assert headers == {"x-ms-authorization-auxiliary": "Bearer aux-token-of-guard-tenant"}
        assert cred.calls == [(("https://management.azure.com/.default",), {"tenant_id": "guard-tenant"})]
        assert "aux-token-of-guard-tenant" not in redact_text("header Bearer aux-token-of-guard-tenant")

    @responses.activate
    def test_client_secret_asks_the_other_tenant(self):
        responses.add(responses.POST, "https://login.microsoftonline.com/guard-tenant/oauth2/v2.0/token",
                      json={"access_token": "aux", "expires_in": 3599})
        cred = _auth_client_secret.ClientSecretTokenCredential("tid", "cid", "s3cret",
                                                               "https://login.microsoftonline.com/", requests.Session())
        assert cred.get_token("https://management.azure.com/.default", tenant_id="guard-tenant").token == "aux"
        assert cred.token_url.endswith("/tid/oauth2/v2.0/token")
