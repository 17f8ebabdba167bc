# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_auth_client_secret.ClientSecretTokenCredential: a client secret's tokens without azure-identity."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
from urllib.parse import parse_qs

import pytest
import requests
import responses

from ansible_collections.azbackup.restore.plugins.module_utils import _auth
from ansible_collections.azbackup.restore.plugins.module_utils import _cloud
from ansible_collections.azbackup.restore.plugins.module_utils import _auth_client_secret
from ansible_collections.azbackup.restore.plugins.module_utils import _errors as _errors_mod
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureAuthError, AzureConnectionError

SECRET = "Sh0uld-N3ver-Be-Seen~"
AUTHORITY = "https://login.microsoftonline.com/"
TOKEN_URL = "https://login.microsoftonline.com/tid/oauth2/v2.0/token"
SCOPE = "https://management.azure.com/.default"


@pytest.fixture(autouse=True)
def forget_secrets():
    saved = set(_errors_mod._SECRETS)
    yield
    _errors_mod._SECRETS.clear()
    _errors_mod._SECRETS.update(saved)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def credential(sleeps=None, tenant="tid", authority=AUTHORITY, clock=lambda: 1000.0):
    return _auth_client_secret.ClientSecretTokenCredential(tenant, "cid", SECRET, authority, requests.Session(),
                                                           timeout=(3, 30),
                                                           sleep=sleeps if sleeps is not None else Sleeps(),
                                                           clock=clock)


def settings(**kw):
    base = dict(auth_source="env", subscription_id="sub", client_id="cid", secret=SECRET, tenant="tid", profile=None,
                cloud_environment="AzureCloud", token_file=None, credentials_path="/none", source_of={})
    base.update(kw)
    return _auth.AuthSettings(**base)


class TestTokenRequest:
    @responses.activate
    def test_one_post_with_the_client_credentials_grant(self):
        responses.add(responses.POST, TOKEN_URL, json={"token_type": "Bearer", "expires_in": 3599,
                                                       "ext_expires_in": 3599, "access_token": "tok-1"})
        token = credential().get_token(SCOPE)
        assert token == _auth_client_secret.AccessToken("tok-1", 1000 + 3599)
        assert len(responses.calls) == 1
        req = responses.calls[0].request
        assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert parse_qs(req.body) == dict(grant_type=["client_credentials"], client_id=["cid"],
                                          client_secret=[SECRET], scope=[SCOPE])

    @responses.activate
    def test_custom_authority_and_tenant_are_joined_once(self):
        url = "https://127.0.0.1:8443/my%20tenant/oauth2/v2.0/token"
        responses.add(responses.POST, url, json={"access_token": "tok", "expires_in": "60"})
        cred = credential(tenant="my tenant", authority="https://127.0.0.1:8443/")
        assert cred.token_url == url
        assert cred.get_token("https://127.0.0.1:8443/.default").expires_on == 1060

    @responses.activate
    def test_aad_refusal_is_an_auth_error_with_aad_text(self):
        responses.add(responses.POST, TOKEN_URL, status=401, json={
            "error": "invalid_client", "error_codes": [7000215],
            "error_description": "AADSTS7000215: Invalid client secret provided. Trace ID: x"})
        sleeps = Sleeps()
        with pytest.raises(_auth_client_secret.TokenRequestError) as e:
            credential(sleeps).get_token(SCOPE)
        assert "(invalid_client) AADSTS7000215" in e.value.message and not e.value.unreachable
        assert sleeps == [] and len(responses.calls) == 1
        provider = _auth.TokenProvider(credential(), SCOPE, auth_source="env", secrets=[SECRET])
        with pytest.raises(AzureAuthError) as e:
            provider.token()
        msg = e.value.msg
        assert "AADSTS7000215" in msg and "ClientSecretTokenCredential" in msg and "auth_source=env" in msg
        assert SECRET not in msg

    @responses.activate
    def test_throttled_and_server_errors_are_retried_as_asked(self):
        responses.add(responses.POST, TOKEN_URL, status=429, headers={"Retry-After": "3"}, json={})
        responses.add(responses.POST, TOKEN_URL, status=503, body="busy")
        responses.add(responses.POST, TOKEN_URL, json={"access_token": "tok", "expires_in": 3600})
        sleeps = Sleeps()
        assert credential(sleeps).get_token(SCOPE).token == "tok"
        assert len(responses.calls) == 3 and sleeps[0] == 3.0 and len(sleeps) == 2

    @responses.activate
    def test_unreachable_endpoint_is_a_connection_error(self):
        for dummy in range(_auth_client_secret.TOKEN_REQUEST_ATTEMPTS):
            responses.add(responses.POST, TOKEN_URL, body=requests.ConnectionError("connection refused"))
        sleeps = Sleeps()
        provider = _auth.TokenProvider(credential(sleeps), SCOPE, auth_source="env")
        with pytest.raises(AzureConnectionError) as e:
            provider.token()
        assert "token endpoint" in e.value.msg and "connection refused" in e.value.msg
        attempts = _auth_client_secret.TOKEN_REQUEST_ATTEMPTS
        assert len(responses.calls) == attempts and len(sleeps) == attempts - 1

    @responses.activate
    def test_untrusted_certificate_is_not_retried(self):
        responses.add(responses.POST, TOKEN_URL, body=requests.exceptions.SSLError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"))
        with pytest.raises(_auth_client_secret.TokenRequestError) as e:
            credential().get_token(SCOPE)
        assert "REQUESTS_CA_BUNDLE" in e.value.message and len(responses.calls) == 1

    @responses.activate
    def test_answer_without_token(self):
        responses.add(responses.POST, TOKEN_URL, status=200, body="<html>proxy login</html>")
        with pytest.raises(_auth_client_secret.TokenRequestError) as e:
            credential().get_token(SCOPE)
        assert "HTTP 200" in e.value.message and "proxy login" in e.value.message

    @responses.activate
    def test_provider_caches_and_invalidate_fetches_anew(self):
        responses.add(responses.POST, TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})
        responses.add(responses.POST, TOKEN_URL, json={"access_token": "tok-2-long-enough-to-be-a-secret", "expires_in": 3600})
        provider = _auth.TokenProvider(credential(), SCOPE, clock=lambda: 1000.0, credential_factory=credential)
        assert provider.token() == "tok-1" and provider.token() == "tok-1"
        provider.invalidate()
        assert provider.token() == "tok-2-long-enough-to-be-a-secret" and len(responses.calls) == 2
        assert "tok-2-long-enough-to-be-a-secret" in _errors_mod._SECRETS


class TestHttpsOnly:
    """The secret goes only to the authority over HTTPS, and never after a redirect."""

    @pytest.mark.parametrize("authority", ["http://login.microsoftonline.com/", "HTTP://127.0.0.1:8443",
                                           "login.microsoftonline.com", "https:///tid"])
    @responses.activate
    def test_non_https_authority_refused_before_any_request(self, authority):
        responses.add(responses.POST, "http://login.microsoftonline.com/tid/oauth2/v2.0/token",
                      json={"access_token": "tok", "expires_in": 60})
        with pytest.raises(AzureAuthError) as e:
            credential(authority=authority)
        assert "Refused to send the client secret" in e.value.msg and "HTTPS" in e.value.msg
        assert SECRET not in e.value.msg and len(responses.calls) == 0

    def test_the_error_names_the_host(self):
        with pytest.raises(AzureAuthError) as e:
            credential(authority="http://login.example.test:8080/")
        assert "login.example.test" in e.value.msg and "authority" in e.value.msg

    def test_client_secret_credential_for_an_http_cloud(self):
        cloud = _cloud.CloudEndpoints("https://stack", "https://stack/", "http://login.stack/", "x/.default")
        with pytest.raises(AzureAuthError) as e:
            _auth_client_secret.client_secret_credential(settings(), cloud, requests.Session())
        assert "login.stack" in e.value.msg

    @pytest.mark.parametrize("status", [301, 302, 307, 308])
    @responses.activate
    def test_redirect_is_not_followed(self, status):
        evil = "https://other-host.example/tid/oauth2/v2.0/token"
        responses.add(responses.POST, TOKEN_URL, status=status, headers={"Location": evil})
        responses.add(responses.POST, evil, json={"access_token": "stolen", "expires_in": 60})
        with pytest.raises(_auth_client_secret.TokenRequestError) as e:
            credential().get_token(SCOPE)
        assert "HTTP %d" % status in e.value.message
        assert [c.request.url for c in responses.calls] == [TOKEN_URL]


class TestWhenUsed:
    cloud = _cloud.KNOWN_CLOUDS["AzureCloud"]

    @pytest.mark.parametrize("s", [settings(), settings(auth_source="credential_file"), settings(auth_source="auto")])
    def test_client_secret_sources(self, s):
        cred = _auth_client_secret.client_secret_credential(s, self.cloud, requests.Session(), timeout=(5, 50))
        assert isinstance(cred, _auth_client_secret.ClientSecretTokenCredential)
        assert cred.token_url == TOKEN_URL and cred.timeout == (5, 50)

    @pytest.mark.parametrize("s", [
        settings(auth_source="auto", secret=None),
        settings(auth_source="msi", secret=None),
        settings(auth_source="cli", secret=None),
        settings(auth_source="workload_identity", secret=None, token_file="/t"),
        settings(tenant="adfs"),
    ])
    def test_other_sources_are_left_to_azure_identity(self, s):
        assert _auth_client_secret.client_secret_credential(s, self.cloud, requests.Session()) is None

    def test_adfs_authority_and_missing_session(self):
        adfs = _cloud.CloudEndpoints("https://stack", "https://stack/", "https://adfs.stack/adfs/", "x/.default")
        assert _auth_client_secret.client_secret_credential(settings(), adfs, requests.Session()) is None
        assert _auth_client_secret.client_secret_credential(settings(), self.cloud, None) is None

    def test_a_client_secret_run_never_imports_azure_identity(self, tmp_path):
        # Checked in a clean interpreter whose sys.path imports this checkout as ansible_collections.azbackup.restore.
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
        (tmp_path / "ansible_collections" / "azbackup").mkdir(parents=True)
        os.symlink(root, str(tmp_path / "ansible_collections" / "azbackup" / "restore"))
        env = dict(os.environ, PYTHONPATH=str(tmp_path), AZURE_CLIENT_ID="cid", AZURE_SECRET=SECRET,
                   AZURE_TENANT="tid", AZURE_SUBSCRIPTION_ID="sub", AZURE_CLOUD_ENVIRONMENT="AzureCloud")
        code = ("import sys; from ansible_collections.azbackup.restore.plugins.module_utils import _common; "
                "client = _common.get_client(dict(auth_source='env')); "
                "print(type(client.token_provider.credential).__name__, 'azure.identity' in sys.modules)")
        out = subprocess.check_output([sys.executable, "-c", code], env=env)
        assert out.split() == [b"ClientSecretTokenCredential", b"False"]
