# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import types
from collections import namedtuple

import pytest
import requests
import responses

from ansible_collections.azbackup.restore.plugins.module_utils import _auth
from ansible_collections.azbackup.restore.plugins.module_utils import _cloud
from ansible_collections.azbackup.restore.plugins.module_utils import _auth_client_secret
from ansible_collections.azbackup.restore.plugins.module_utils import _errors as _errors_mod
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    AzureAuthError,
    AzureConnectionError,
    MissingDependencyError,
    ValidationError,
)

SECRET = "Sh0uld-N3ver-Be-Seen~"
STACK = "https://management.local.azurestack.external"
AccessToken = namedtuple("AccessToken", "token expires_on")


@pytest.fixture(autouse=True)
def forget_secrets():
    """Secrets registered by a test must not leak into the next one."""
    saved = set(_errors_mod._SECRETS)
    yield
    _errors_mod._SECRETS.clear()
    _errors_mod._SECRETS.update(saved)


# --------------------------------------------------------------------------------------------
# A stand-in for azure.identity: records which credential was built with which arguments.

class FakeCredential(object):
    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs


def fake_identity():
    mod = types.ModuleType("fake_azure_identity")
    for name in ("ClientSecretCredential", "ManagedIdentityCredential", "AzureCliCredential",
                 "WorkloadIdentityCredential", "DefaultAzureCredential"):
        setattr(mod, name, type(name, (FakeCredential,), {}))
    return mod


@pytest.fixture
def identity(monkeypatch):
    mod = fake_identity()
    monkeypatch.setattr(_auth, "_import_identity", lambda: mod)
    return mod


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty HOME and config dir, so that the developer's own ~/.azure never leaks in."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def write_credentials(path, text):
    path.write_text(text)
    return str(path)


CRED_FILE = """
[default]
subscription_id = sub-file
client_id = cid-file
secret = %s
tenant = tenant-file

[prod]
subscription_id = sub-prod
client_id = cid-prod
secret = secret-prod
tenant = tenant-prod
cloud_environment = AzureUSGovernment

[partial]
client_id = cid-partial
""" % SECRET


def build(params, env=None, cloud=None, credentials_path="/nonexistent/credentials"):
    return _auth.build_credential(params, cloud or _cloud.KNOWN_CLOUDS["AzureCloud"], env=env or {},
                                  credentials_path=credentials_path)


# --------------------------------------------------------------------------------------------

class TestArgspec:
    def test_names_and_secret(self):
        assert set(_auth.AUTH_ARGSPEC) == set(["auth_source", "subscription_id", "client_id", "secret", "tenant",
                                               "profile", "cloud_environment", "api_timeout", "max_retries"])
        assert _auth.AUTH_ARGSPEC["secret"]["no_log"] is True
        assert _auth.AUTH_ARGSPEC["auth_source"]["default"] == "auto"
        assert "validate_certs" not in _auth.AUTH_ARGSPEC


class TestResolveCloud:
    @pytest.mark.parametrize("name, rm, authority, scope", [
        ("AzureCloud", "https://management.azure.com/", "https://login.microsoftonline.com/",
         "https://management.azure.com/.default"),
        ("AzureUSGovernment", "https://management.usgovcloudapi.net/", "https://login.microsoftonline.us/",
         "https://management.usgovcloudapi.net/.default"),
        ("AzureChinaCloud", "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn/",
         "https://management.chinacloudapi.cn/.default"),
    ])
    def test_named_clouds(self, name, rm, authority, scope):
        for spelling in (name, name.lower(), " %s " % name.upper()):
            cloud = _cloud.resolve_cloud(spelling, session=object())  # no request for a named cloud
            assert cloud == _cloud.CloudEndpoints(name, rm, authority, scope)

    def test_default_and_alias(self):
        assert _cloud.resolve_cloud(None).name == "AzureCloud"
        assert _cloud.resolve_cloud("AzurePublicCloud").name == "AzureCloud"

    def test_unknown_name(self):
        with pytest.raises(ValidationError) as exc:
            _cloud.resolve_cloud("AzureGermanCloud")
        assert exc.value.option == "cloud_environment" and "AzureChinaCloud" in exc.value.msg

    @pytest.mark.parametrize("url", ["http://management.local.azurestack.external", "HTTP://127.0.0.1:8443/"])
    @responses.activate
    def test_plain_http_url_refused_without_a_request(self, url):
        responses.add(responses.GET, url.rstrip("/").lower() + "/metadata/endpoints", json={})
        with pytest.raises(ValidationError) as exc:
            _cloud.resolve_cloud(url, requests.Session())
        assert exc.value.option == "cloud_environment" and "https://" in exc.value.msg
        assert len(responses.calls) == 0

    @responses.activate
    def test_metadata_url(self, monkeypatch, tmp_path):
        bundle = tmp_path / "ca.pem"
        bundle.write_text("not really a CA")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        responses.add(responses.GET, STACK + "/metadata/endpoints?api-version=2015-01-01", json={
            "galleryEndpoint": "https://gallery", "graphEndpoint": "https://graph",
            "authentication": {"loginEndpoint": "https://adfs.local.azurestack.external/adfs/",
                               "audiences": ["https://management.adfs.azurestack.local/4d7a-b2f8/"]}})
        cloud = _cloud.resolve_cloud(STACK + "/", requests.Session())
        assert cloud.name == STACK
        assert cloud.resource_manager == STACK + "/"
        assert cloud.authority_host == "https://adfs.local.azurestack.external/adfs/"
        assert cloud.scope == "https://management.adfs.azurestack.local/4d7a-b2f8/.default"
        call = responses.calls[0]
        assert call.request.url == STACK + "/metadata/endpoints?api-version=2015-01-01"
        assert call.request.req_kwargs["verify"] == str(bundle)  # REQUESTS_CA_BUNDLE honoured

    @responses.activate
    def test_metadata_http_error(self):
        responses.add(responses.GET, STACK + "/metadata/endpoints", status=404,
                      json={"error": {"code": "NotFound", "message": "no such thing"}})
        with pytest.raises(AzureApiError) as exc:
            _cloud.resolve_cloud(STACK, requests.Session())
        assert "NotFound" in exc.value.msg and STACK in exc.value.msg

    @responses.activate
    def test_metadata_without_authentication(self):
        responses.add(responses.GET, STACK + "/metadata/endpoints", json={"galleryEndpoint": "x"})
        with pytest.raises(ValidationError) as exc:
            _cloud.resolve_cloud(STACK, requests.Session())
        assert "loginEndpoint" in exc.value.msg

    @responses.activate
    def test_metadata_unreachable(self):
        responses.add(responses.GET, STACK + "/metadata/endpoints",
                      body=requests.exceptions.ConnectionError("refused"))
        slept = []
        with pytest.raises(AzureConnectionError) as exc:
            _cloud.resolve_cloud(STACK, requests.Session(), sleep=slept.append)
        assert "cloud metadata" in exc.value.msg
        assert len(responses.calls) == _cloud.METADATA_ATTEMPTS == exc.value.attempts and len(slept) == 2

    @responses.activate
    def test_metadata_transient_errors_are_retried(self):
        url = STACK + "/metadata/endpoints"
        responses.add(responses.GET, url, status=503, headers={"Retry-After": "1"},
                      json={"error": {"code": "ServiceUnavailable", "message": "later"}})
        responses.add(responses.GET, url, body=requests.exceptions.ConnectionError("reset"))
        responses.add(responses.GET, url, json={"authentication": {"loginEndpoint": "https://login/",
                                                                   "audiences": ["https://aud/"]}})
        slept = []
        cloud = _cloud.resolve_cloud(STACK, requests.Session(), sleep=slept.append)
        assert cloud.authority_host == "https://login/" and len(responses.calls) == 3
        assert slept[0] == 1.0  # the Retry-After of the 503

    @responses.activate
    def test_metadata_gives_up_after_the_attempts(self):
        responses.add(responses.GET, STACK + "/metadata/endpoints", status=503,
                      json={"error": {"code": "ServiceUnavailable", "message": "later"}})
        with pytest.raises(AzureApiError) as exc:
            _cloud.resolve_cloud(STACK, requests.Session(), sleep=lambda s: None)
        assert exc.value.status_code == 503 and len(responses.calls) == _cloud.METADATA_ATTEMPTS
        assert "gave up after 3 attempts" in exc.value.msg


class TestCredentialSelection:
    def test_auto_explicit_service_principal(self, identity):
        cred = build(dict(client_id="cid", secret=SECRET, tenant="tid"))
        assert type(cred).__name__ == "ClientSecretCredential"
        assert cred.args == ("tid", "cid", SECRET)
        assert cred.kwargs == dict(authority="https://login.microsoftonline.com/")

    def test_auto_env_service_principal(self, identity):
        cred = build({}, env=dict(AZURE_CLIENT_ID="cid", AZURE_SECRET=SECRET, AZURE_TENANT="tid"))
        assert type(cred).__name__ == "ClientSecretCredential" and cred.args == ("tid", "cid", SECRET)

    def test_sdk_env_names(self, identity):
        cred = build({}, env=dict(AZURE_CLIENT_ID="cid", AZURE_CLIENT_SECRET=SECRET, AZURE_TENANT_ID="tid"))
        assert cred.args == ("tid", "cid", SECRET)

    def test_explicit_wins_over_env(self, identity):
        cred = build(dict(client_id="mine", secret="mine-secret", tenant="my-tenant"),
                     env=dict(AZURE_CLIENT_ID="env", AZURE_SECRET="env-secret", AZURE_TENANT="env-tenant"))
        assert cred.args == ("my-tenant", "mine", "mine-secret")

    def test_auto_mixes_explicit_and_env(self, identity):
        cred = build(dict(client_id="mine"), env=dict(AZURE_SECRET=SECRET, AZURE_TENANT_ID="tid"))
        assert cred.args == ("tid", "mine", SECRET)

    def test_auto_falls_back_to_default_credential(self, identity, home):
        cred = build({}, credentials_path=str(home / "nothing"))
        assert type(cred).__name__ == "DefaultAzureCredential"
        assert cred.kwargs == dict(authority="https://login.microsoftonline.com/")

    def test_auto_default_credential_with_identity_client_id(self, identity, home):
        cred = build(dict(client_id="uami"), credentials_path=str(home / "nothing"))
        assert cred.kwargs["managed_identity_client_id"] == "uami"

    def test_auto_secret_without_tenant_is_an_error(self, identity):
        with pytest.raises(AzureAuthError) as exc:
            build(dict(client_id="cid", secret=SECRET))
        msg = exc.value.msg
        assert "tenant" in msg and "AZURE_TENANT" in msg and SECRET not in msg

    def test_auto_uses_credential_file(self, identity, tmp_path):
        path = write_credentials(tmp_path / "credentials", CRED_FILE)
        cred = build({}, credentials_path=path)
        assert type(cred).__name__ == "ClientSecretCredential"
        assert cred.args == ("tenant-file", "cid-file", SECRET)

    def test_auto_unknown_profile(self, identity, tmp_path):
        with pytest.raises(AzureAuthError) as exc:
            build(dict(profile="prod"), credentials_path=str(tmp_path / "missing"))
        assert "profile prod" in exc.value.msg

    def test_env_missing_everything(self, identity):
        with pytest.raises(AzureAuthError) as exc:
            build(dict(auth_source="env"))
        msg = exc.value.msg
        for name in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_CLIENT_SECRET", "AZURE_TENANT", "AZURE_TENANT_ID",
                     "missing: client_id, secret, tenant"):
            assert name in msg
        assert exc.value.auth_source == "env"

    def test_env_missing_secret_only(self, identity):
        with pytest.raises(AzureAuthError) as exc:
            build(dict(auth_source="env"), env=dict(AZURE_CLIENT_ID="cid", AZURE_TENANT="tid"))
        assert exc.value.msg.endswith("missing: secret")

    def test_credential_file_default_and_profile(self, identity, tmp_path):
        path = write_credentials(tmp_path / "credentials", CRED_FILE)
        cred = build(dict(auth_source="credential_file"), credentials_path=path,
                     env=dict(AZURE_CLIENT_ID="ignored", AZURE_SECRET="ignored", AZURE_TENANT="ignored"))
        assert cred.args == ("tenant-file", "cid-file", SECRET)
        cred = build(dict(auth_source="credential_file", profile="prod"), credentials_path=path)
        assert cred.args == ("tenant-prod", "cid-prod", "secret-prod")
        cred = build(dict(auth_source="credential_file"), env=dict(AZURE_PROFILE="prod"), credentials_path=path)
        assert cred.args == ("tenant-prod", "cid-prod", "secret-prod")

    def test_credential_file_settings(self, tmp_path):
        path = write_credentials(tmp_path / "credentials", CRED_FILE)
        s = _auth.resolve_settings(dict(auth_source="credential_file", profile="prod"), {}, path)
        assert s.subscription_id == "sub-prod" and s.cloud_environment == "AzureUSGovernment"
        s = _auth.resolve_settings(dict(auth_source="credential_file", profile="prod", subscription_id="mine",
                                        cloud_environment="AzureChinaCloud"), {}, path)
        assert s.subscription_id == "mine" and s.cloud_environment == "AzureChinaCloud"
        assert s.source_of["subscription_id"] == "option" and s.source_of["client_id"] == "credential_file"

    def test_credential_file_missing(self, identity, tmp_path):
        with pytest.raises(AzureAuthError) as exc:
            build(dict(auth_source="credential_file"), credentials_path=str(tmp_path / "nope"))
        assert "no credential file" in exc.value.msg and "[default]" in exc.value.msg

    def test_credential_file_missing_section(self, identity, tmp_path):
        path = write_credentials(tmp_path / "credentials", CRED_FILE)
        with pytest.raises(AzureAuthError) as exc:
            build(dict(auth_source="credential_file", profile="staging"), credentials_path=path)
        assert "[staging]" in exc.value.msg and "AZURE_PROFILE" in exc.value.msg and "prod" in exc.value.msg

    def test_credential_file_missing_keys(self, identity, tmp_path):
        path = write_credentials(tmp_path / "credentials", CRED_FILE)
        with pytest.raises(AzureAuthError) as exc:
            build(dict(auth_source="credential_file", profile="partial"), credentials_path=path)
        assert "lacks secret, tenant" in exc.value.msg

    def test_credential_file_unreadable(self, identity, tmp_path):
        path = write_credentials(tmp_path / "credentials", "this is not [ini")
        with pytest.raises(AzureAuthError) as exc:
            build(dict(auth_source="credential_file"), credentials_path=path)
        assert "Could not read the credential file" in exc.value.msg

    def test_msi(self, identity):
        cred = build(dict(auth_source="msi"), env=dict(AZURE_CLIENT_ID="sp-from-env"))
        assert type(cred).__name__ == "ManagedIdentityCredential" and cred.kwargs == dict(client_id=None)
        cred = build(dict(auth_source="msi", client_id="uami"))
        assert cred.kwargs == dict(client_id="uami")

    def test_cli(self, identity):
        cred = build(dict(auth_source="cli"))
        assert type(cred).__name__ == "AzureCliCredential" and cred.kwargs == {}
        assert build(dict(auth_source="cli", tenant="tid")).kwargs == dict(tenant_id="tid")

    def test_workload_identity(self, identity):
        cred = build(dict(auth_source="workload_identity"),
                     env=dict(AZURE_TENANT_ID="tid", AZURE_CLIENT_ID="cid", AZURE_FEDERATED_TOKEN_FILE="/var/t"))
        assert type(cred).__name__ == "WorkloadIdentityCredential"
        assert cred.kwargs == dict(tenant_id="tid", client_id="cid", token_file_path="/var/t",
                                   authority="https://login.microsoftonline.com/")

    def test_workload_identity_missing(self, identity):
        with pytest.raises(AzureAuthError) as exc:
            build(dict(auth_source="workload_identity", client_id="cid"))
        msg = exc.value.msg
        assert "AZURE_FEDERATED_TOKEN_FILE" in msg and "AZURE_TENANT_ID" in msg and "AZURE_CLIENT_ID" not in msg

    def test_sovereign_cloud_authority(self, identity):
        cloud = _cloud.KNOWN_CLOUDS["AzureUSGovernment"]
        cred = build(dict(client_id="cid", secret=SECRET, tenant="tid"), cloud=cloud)
        assert cred.kwargs == dict(authority="https://login.microsoftonline.us/", disable_instance_discovery=True)

    def test_stack_cloud_authority(self, identity):
        cloud = _cloud.CloudEndpoints(STACK, STACK + "/", "https://adfs.local/adfs/", "https://aud/.default")
        cred = build(dict(auth_source="env", client_id="cid", secret=SECRET, tenant="adfs"), cloud=cloud)
        assert cred.kwargs == dict(authority="https://adfs.local/adfs/", disable_instance_discovery=True)
        dac = build({}, cloud=cloud)
        assert dac.kwargs == dict(authority="https://adfs.local/adfs/")

    def test_identity_value_error_is_auth_error_without_secret(self, identity):
        def boom(*a, **k):
            raise ValueError("bad tenant id for secret %s" % SECRET)
        identity.ClientSecretCredential = boom
        with pytest.raises(AzureAuthError) as exc:
            build(dict(client_id="cid", secret=SECRET, tenant="t t"))
        assert SECRET not in exc.value.msg and "bad tenant id" in exc.value.msg

    def test_missing_azure_identity(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "azure.identity", None)
        with pytest.raises(MissingDependencyError) as exc:
            _auth._import_identity()
        assert exc.value.library == "azure-identity"

    def test_bad_auth_source(self):
        with pytest.raises(ValidationError):
            _auth.resolve_settings(dict(auth_source="password"), {})

    def test_auth_source_from_env_when_not_given(self, identity):
        s = _auth.resolve_settings({}, dict(ANSIBLE_AZURE_AUTH_SOURCE="cli"))
        assert s.auth_source == "cli"

    def test_settings_repr_hides_secret(self):
        s = _auth.resolve_settings(dict(client_id="cid", secret=SECRET, tenant="tid"), {})
        assert SECRET not in repr(s) and "cid" in repr(s)


class TestSubscription:
    def test_precedence(self, tmp_path):
        path = write_credentials(tmp_path / "credentials", CRED_FILE)
        env = dict(AZURE_SUBSCRIPTION_ID="sub-env", AZURE_CONFIG_DIR=str(tmp_path))
        assert _auth.resolve_settings(dict(subscription_id="sub-opt"), env, path).subscription_id == "sub-opt"
        assert _auth.resolve_settings({}, env, path).subscription_id == "sub-env"
        assert _auth.resolve_settings({}, dict(AZURE_CONFIG_DIR=str(tmp_path)), path).subscription_id == "sub-file"

    def test_cli_default_subscription(self, tmp_path):
        profile = {"subscriptions": [{"id": "sub-a", "isDefault": False}, {"id": "sub-cli", "isDefault": True}]}
        (tmp_path / "azureProfile.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(profile).encode())
        env = dict(AZURE_CONFIG_DIR=str(tmp_path))
        s = _auth.resolve_settings(dict(auth_source="cli"), env, str(tmp_path / "none"))
        assert s.subscription_id == "sub-cli" and s.source_of["subscription_id"] == "cli"
        s = _auth.resolve_settings(dict(auth_source="msi"), env, str(tmp_path / "none"))
        assert s.subscription_id is None

    def test_cloud_from_env(self):
        assert _auth.resolve_settings({}, dict(AZURE_CLOUD_ENVIRONMENT="AzureChinaCloud"),
                                      "/none").cloud_environment == "AzureChinaCloud"
        assert _auth.resolve_settings({}, {}, "/none").cloud_environment == "AzureCloud"


# --------------------------------------------------------------------------------------------

class FakeClock(object):
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


class ScriptedCredential(object):
    """get_token returns tokens (or raises) from a script; counts calls."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []

    def get_token(self, *scopes):
        self.calls.append(scopes)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


class TestTokenProvider:
    def test_caches_until_margin(self):
        clock = FakeClock(1000.0)
        cred = ScriptedCredential(AccessToken("t1", 1000 + 3600), AccessToken("t2", 1000 + 7200))
        tp = _auth.TokenProvider(cred, "https://management.azure.com/.default", clock=clock)
        assert tp.token() == "t1"
        clock.now = 1000 + 3600 - 301
        assert tp.token() == "t1"
        assert len(cred.calls) == 1
        clock.now = 1000 + 3600 - 300  # within the 300 s margin: refresh before expiry
        assert tp.token() == "t2"
        assert cred.calls == [("https://management.azure.com/.default",)] * 2

    def test_invalidate(self):
        cred = ScriptedCredential(AccessToken("t1", 99999), AccessToken("t2", 99999))
        tp = _auth.TokenProvider(cred, "scope", clock=FakeClock())
        assert tp.token() == "t1"
        tp.invalidate()
        assert tp.token() == "t2" and tp.fetch_count == 2

    def test_invalidate_replaces_a_caching_credential(self):
        class CachingCredential(object):
            """Like azure-identity: hands back its cached token until that expires."""

            def __init__(self, name):
                self.name = name

            def get_token(self, *scopes):
                return AccessToken(self.name, 99999)

        made = []

        def factory():
            made.append(CachingCredential("fresh-%d" % len(made)))
            return made[-1]

        tp = _auth.TokenProvider(CachingCredential("rejected"), "scope", clock=FakeClock(), credential_factory=factory)
        assert tp.token() == "rejected"
        tp.invalidate()
        assert tp.token() == "fresh-0" and len(made) == 1

    def test_short_lived_token_is_still_cached(self):
        clock = FakeClock(1000.0)
        cred = ScriptedCredential(AccessToken("short", 1000 + 120), AccessToken("next", 1000 + 240))
        tp = _auth.TokenProvider(cred, "scope", clock=clock)
        assert tp.token() == "short"
        clock.now = 1050
        assert tp.token() == "short"  # margin shrinks to half the lifetime (60 s)
        clock.now = 1061
        assert tp.token() == "next"

    def test_aad_error_becomes_auth_error_without_secret(self):
        from azure.core.exceptions import ClientAuthenticationError
        aad = ClientAuthenticationError(
            message="Authentication failed: AADSTS7000215: Invalid client secret provided. Ensure the secret "
                    "being sent is %s the client secret value. Trace ID: 1" % SECRET)
        cred = type("ClientSecretCredential", (ScriptedCredential,), {})(aad)
        tp = _auth.TokenProvider(cred, "scope", auth_source="env", secrets=[SECRET])
        with pytest.raises(AzureAuthError) as exc:
            tp.token()
        msg = exc.value.msg
        assert "AADSTS7000215" in msg and "ClientSecretCredential" in msg and "auth_source=env" in msg
        assert SECRET not in msg and SECRET not in json.dumps(exc.value.to_fail_kwargs())

    def test_default_credential_failure_names_what_to_set(self):
        from azure.core.exceptions import ClientAuthenticationError
        cred = type("DefaultAzureCredential", (ScriptedCredential,), {})(
            ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token from the included "
                                      "credentials.\nAttempted credentials:\n\tEnvironmentCredential: ..."))
        with pytest.raises(AzureAuthError) as exc:
            _auth.TokenProvider(cred, "scope", auth_source="auto").token()
        msg = exc.value.msg
        for name in ("client_id", "secret", "tenant", "AZURE_CLIENT_ID", "AZURE_SECRET", "az login", "msi"):
            assert name in msg
        assert "\n" not in msg

    def test_cli_hint(self):
        from azure.identity import CredentialUnavailableError
        cred = type("AzureCliCredential", (ScriptedCredential,), {})(
            CredentialUnavailableError("Please run 'az login' to set up an account"))
        with pytest.raises(AzureAuthError) as exc:
            _auth.TokenProvider(cred, "scope", auth_source="cli").token()
        assert "Log in with 'az login'" in exc.value.msg

    def test_network_error_is_connection_error(self):
        from azure.core.exceptions import ServiceRequestError
        cred = ScriptedCredential(ServiceRequestError("connection refused"))
        with pytest.raises(AzureConnectionError) as exc:
            _auth.TokenProvider(cred, "scope").token()
        assert "token endpoint" in exc.value.msg

    def test_lazy_import(self, tmp_path):
        # azure.identity is heavy: importing the module glue must not import it (checked in a clean interpreter
        # whose sys.path imports this checkout as ansible_collections.azbackup.restore).
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
        (tmp_path / "ansible_collections" / "azbackup").mkdir(parents=True)
        os.symlink(root, str(tmp_path / "ansible_collections" / "azbackup" / "restore"))
        env = dict(os.environ, PYTHONPATH=str(tmp_path))
        code = ("import sys; from ansible_collections.azbackup.restore.plugins.module_utils import _common; "
                "print('azure.identity' in sys.modules, 'azure.core' in sys.modules, 'requests' in sys.modules)")
        out = subprocess.check_output([sys.executable, "-c", code], env=env)
        assert out.split() == [b"False", b"False", b"True"]


class TestAadErrorDetails:
    TEXT = ("Azure AD answered HTTP 401 to the token request: (invalid_client) AADSTS7000215: Invalid client secret "
            "provided. Trace ID: 0c4e2a51-0000-4000-8000-00000000aaaa Correlation ID: "
            "5d1f3b7c-0000-4000-8000-00000000bbbb Timestamp: 2026-11-23 17:29:55Z")

    def test_code_and_correlation_id(self):
        assert _auth.aad_error_details(self.TEXT) == ("AADSTS7000215", "5d1f3b7c-0000-4000-8000-00000000bbbb")
        assert _auth.aad_error_details("no details") == (None, None)

    def test_token_failure_names_the_option(self):
        class Refusing(object):
            def get_token(self, *scopes, **kwargs):
                raise _auth_client_secret.TokenRequestError(TestAadErrorDetails.TEXT)
        provider = _auth.TokenProvider(Refusing(), "https://management.azure.com/.default", auth_source="env")
        with pytest.raises(AzureAuthError) as exc:
            provider.token()
        kwargs = exc.value.to_fail_kwargs()
        assert kwargs["error_code"] == "AADSTS7000215"
        assert kwargs["correlation_id"] == "5d1f3b7c-0000-4000-8000-00000000bbbb"
        assert "check secret (or AZURE_SECRET" in kwargs["msg"]
