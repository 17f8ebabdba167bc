# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import types
from collections import namedtuple

import pytest
import responses
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.azbackup.restore.plugins.doc_fragments import attributes as attributes_fragment
from ansible_collections.azbackup.restore.plugins.doc_fragments import azure as azure_fragment
from ansible_collections.azbackup.restore.plugins.module_utils import _auth, _common
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    AzureAuthError,
    MissingDependencyError,
    ValidationError,
)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
SECRET = "c0mmon-Secret-Value"
AccessToken = namedtuple("AccessToken", "token expires_on")


AZ_ENV = ("ANSIBLE_AZURE_AUTH_SOURCE", "AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET",
          "AZURE_CLIENT_SECRET", "AZURE_TENANT", "AZURE_TENANT_ID", "AZURE_PROFILE", "AZURE_CLOUD_ENVIRONMENT",
          "AZURE_FEDERATED_TOKEN_FILE", "AZURE_HTTP_USER_AGENT", "REQUESTS_CA_BUNDLE")


@pytest.fixture(autouse=True)
def clean(monkeypatch, tmp_path):
    for name in AZ_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "cli"))
    monkeypatch.setattr(_common, "_CLIENTS", {})


class FakeModule(object):
    class Failed(Exception):
        pass

    def __init__(self):
        self.failed_with = None

    def fail_json(self, **kwargs):
        self.failed_with = kwargs
        raise self.Failed()


class FakeCredential(object):
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.scopes = []

    def get_token(self, *scopes):
        self.scopes.append(scopes)
        return AccessToken("token-%d" % len(self.scopes), 4102444800)


@pytest.fixture
def identity(monkeypatch):
    mod = types.ModuleType("fake_azure_identity")
    for name in ("ClientSecretCredential", "ManagedIdentityCredential", "AzureCliCredential",
                 "WorkloadIdentityCredential", "DefaultAzureCredential"):
        setattr(mod, name, type(name, (FakeCredential,), {}))
    monkeypatch.setattr(_auth, "_import_identity", lambda: mod)
    return mod


SP = dict(auth_source="auto", subscription_id="sub-1", client_id="cid", secret=SECRET, tenant="tid",
          profile=None, cloud_environment=None, api_timeout=60, max_retries=6)


# --------------------------------------------------------------------------------------------

class TestArgspecAndFragments:
    def test_fragment_requirements(self):
        doc = yaml.safe_load(azure_fragment.ModuleDocFragment.DOCUMENTATION)
        assert "azure-identity >= 1.15.0" in doc["requirements"]
        assert not any("validate_certs" in o or "auxiliary" in o for o in doc["options"])

    def test_argspec_is_a_copy(self):
        spec = _common.azure_argument_spec()
        spec["extra"] = dict(type="str")
        spec["secret"]["no_log"] = False
        assert "extra" not in _common.azure_argument_spec()
        assert _common.azure_argument_spec()["secret"]["no_log"] is True
        assert "fallback" not in _auth.AUTH_ARGSPEC["auth_source"]

    def test_auth_source_env_fallback(self, monkeypatch):
        validator = ArgumentSpecValidator(_common.azure_argument_spec())
        assert validator.validate({}).validated_parameters["auth_source"] == "auto"
        monkeypatch.setenv("ANSIBLE_AZURE_AUTH_SOURCE", "cli")
        assert validator.validate({}).validated_parameters["auth_source"] == "cli"
        assert validator.validate(dict(auth_source="msi")).validated_parameters["auth_source"] == "msi"

    def test_secret_is_no_log(self):
        result = ArgumentSpecValidator(_common.azure_argument_spec()).validate(dict(secret=SECRET))
        assert SECRET in result._no_log_values

    def test_attribute_fragments(self):
        frag = attributes_fragment.ModuleDocFragment
        base = yaml.safe_load(frag.DOCUMENTATION)["attributes"]
        assert set(base) == set(["check_mode", "diff_mode"])
        info = yaml.safe_load(frag.INFO_MODULE)["attributes"]
        assert info["check_mode"]["support"] == "full" and info["diff_mode"]["support"] == "N/A"
        group = yaml.safe_load(frag.ACTIONGROUP_AZURE)["attributes"]["action_group"]
        assert group["support"] == "full" and group["membership"] == ["azbackup.restore.azure"]
        assert "group/azbackup.restore.azure" in group["description"]
        assert frag.ACTION_GROUP == frag.ACTIONGROUP_AZURE
        platform = yaml.safe_load(frag.PLATFORM)["attributes"]["platform"]
        assert platform["platforms"] == "azure" and platform["support"] == "full"

    def test_action_group_exists_in_runtime(self):
        with open(os.path.join(ROOT, "meta", "runtime.yml")) as f:
            runtime = yaml.safe_load(f)
        group = yaml.safe_load(attributes_fragment.ModuleDocFragment.ACTIONGROUP_AZURE)
        name = group["attributes"]["action_group"]["membership"][0]
        assert name.split(".")[-1] in runtime["action_groups"]


class TestUserAgent:
    def test_parts(self):
        ua = _common.user_agent({})
        parts = ua.split()
        assert parts[0] == "azbackup.restore/0.1.0"
        assert parts[1].startswith("python/") and parts[2].startswith("requests/")
        assert parts[3].startswith("ansible-core/2.")

    def test_env_appended(self):
        assert _common.user_agent(dict(AZURE_HTTP_USER_AGENT="pipeline/7")).endswith(" pipeline/7")


class TestGetClient:
    def test_public_cloud_client(self, identity):
        client = _common.get_client(dict(SP, api_timeout=30, max_retries=2))
        assert client.base_url == "https://management.azure.com"
        assert client.subscription_id == "sub-1"
        assert client.cloud.name == "AzureCloud"
        assert client.timeout == (10, 30)
        assert client.retry.max_attempts == 3
        # A client secret needs no azure-identity: one token POST to Azure AD (see _auth_client_secret).
        cred = client.token_provider.credential
        assert type(cred).__name__ == "ClientSecretTokenCredential"
        assert cred.token_url == "https://login.microsoftonline.com/tid/oauth2/v2.0/token"
        assert cred.session is client.session and cred.timeout == (10, 30)
        assert client.token_provider.scope == "https://management.azure.com/.default"
        assert client.user_agent.startswith("azbackup.restore/0.1.0 ")

    def test_cached_per_auth_params(self, identity):
        a = _common.get_client(dict(SP))
        assert _common.get_client(dict(SP)) is a
        assert _common.get_client(dict(SP, subscription_id="sub-2")) is not a
        assert _common.get_client(dict(SP, secret="other-secret")) is not a

    def test_sovereign_cloud(self, identity):
        client = _common.get_client(dict(SP, cloud_environment="AzureChinaCloud"))
        assert client.base_url == "https://management.chinacloudapi.cn"
        assert client.token_provider.credential.token_url == "https://login.chinacloudapi.cn/tid/oauth2/v2.0/token"

    @responses.activate
    def test_stack_cloud_end_to_end(self, identity, monkeypatch):
        stack = "https://management.local.azurestack.external"
        monkeypatch.setenv("AZURE_HTTP_USER_AGENT", "ci/1")
        responses.add(responses.GET, stack + "/metadata/endpoints", json={"authentication": {
            "loginEndpoint": "https://login.stack/", "audiences": ["https://management.stack/app"]}})
        responses.add(responses.POST, "https://login.stack/tid/oauth2/v2.0/token",
                      json={"token_type": "Bearer", "expires_in": 3599, "access_token": "token-1"})
        responses.add(responses.GET, stack + "/subscriptions/sub-1/resourceGroups",
                      json={"value": [{"name": "rg1"}]})
        client = _common.get_client(dict(SP, cloud_environment=stack))
        assert list(client.list("/subscriptions/sub-1/resourceGroups", api_version="2021-04-01")) == [
            {"name": "rg1"}]
        token_req = responses.calls[1].request
        assert "scope=https%3A%2F%2Fmanagement.stack%2Fapp%2F.default" in token_req.body
        req = responses.calls[2].request
        assert req.url == stack + "/subscriptions/sub-1/resourceGroups?api-version=2021-04-01"
        assert req.headers["Authorization"] == "Bearer token-1"
        assert req.headers["User-Agent"].endswith(" ci/1")

    @responses.activate
    def test_stack_adfs_uses_azure_identity(self, identity):
        stack = "https://management.local.azurestack.external"
        responses.add(responses.GET, stack + "/metadata/endpoints", json={"authentication": {
            "loginEndpoint": "https://adfs.stack/adfs/", "audiences": ["https://management.stack/app"]}})
        client = _common.get_client(dict(SP, cloud_environment=stack, tenant="adfs"))
        cred = client.token_provider.credential
        assert type(cred).__name__ == "ClientSecretCredential"
        assert cred.kwargs == dict(authority="https://adfs.stack/adfs/", disable_instance_discovery=True)

    def test_other_auth_sources_use_azure_identity(self, identity):
        client = _common.get_client(dict(SP, auth_source="msi", secret=None))
        assert type(client.token_provider.credential).__name__ == "ManagedIdentityCredential"
        client.token_provider.invalidate()
        assert type(client.token_provider.credential).__name__ == "ManagedIdentityCredential"

    def test_env_credentials(self, identity, monkeypatch):
        monkeypatch.setenv("AZURE_CLIENT_ID", "env-cid")
        monkeypatch.setenv("AZURE_SECRET", SECRET)
        monkeypatch.setenv("AZURE_TENANT", "env-tid")
        monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "env-sub")
        client = _common.get_client(dict(auth_source="env", api_timeout=60, max_retries=6))
        cred = client.token_provider.credential
        assert (cred.tenant_id, cred.client_id) == ("env-tid", "env-cid")
        assert cred.token_url == "https://login.microsoftonline.com/env-tid/oauth2/v2.0/token"
        assert client.subscription_id == "env-sub"

    def test_missing_credentials_message(self, identity):
        with pytest.raises(AzureAuthError) as exc:
            _common.get_client(dict(auth_source="env"))
        assert "AZURE_CLIENT_ID" in exc.value.msg

    def test_bad_cloud(self, identity):
        with pytest.raises(ValidationError):
            _common.get_client(dict(SP, cloud_environment="Mars"))

    def test_missing_requests(self, monkeypatch):
        monkeypatch.setattr(_common, "HAS_REQUESTS", False)
        with pytest.raises(MissingDependencyError) as exc:
            _common.get_client(dict(SP))
        assert exc.value.library == "requests"

    def test_require_subscription(self, identity):
        client = _common.get_client(dict(SP, subscription_id=None))
        assert client.subscription_id is None
        with pytest.raises(AzureAuthError) as exc:
            _common.require_subscription(client)
        assert "AZURE_SUBSCRIPTION_ID" in exc.value.msg
        assert _common.require_subscription(_common.get_client(dict(SP))) == "sub-1"


class TestFailures:
    def test_api_error(self):
        module = FakeModule()
        err = AzureApiError.from_response(409, {"x-ms-correlation-request-id": "c1", "x-ms-request-id": "r1"},
                                          {"error": {"code": "Conflict", "message": "busy"}}, "POST",
                                          "https://management.azure.com/x?api-version=1&sig=abc")
        with pytest.raises(FakeModule.Failed):
            _common.fail_from_error(module, err.with_context("Failed to trigger restore"), restore_job=None)
        assert module.failed_with == dict(msg="Failed to trigger restore: (Conflict) busy", status_code=409,
                                          error_code="Conflict", request_id="r1", correlation_id="c1",
                                          restore_job=None)

    def test_extra_wins(self):
        module = FakeModule()
        with pytest.raises(FakeModule.Failed):
            _common.fail_from_error(module, ValidationError("bad", option="x"), option="y", changed=False)
        assert module.failed_with == dict(msg="bad", option="y", changed=False)

    def test_missing_library(self):
        module = FakeModule()
        with pytest.raises(FakeModule.Failed):
            _common.fail_from_error(module, MissingDependencyError("azure-identity", "Traceback: ..."))
        assert "Failed to import the required Python library (azure-identity)" in module.failed_with["msg"]
        assert module.failed_with["exception"] == "Traceback: ..."

    def test_unexpected_exception_is_redacted(self):
        module = FakeModule()
        try:
            raise RuntimeError("broke with Bearer abc.def and https://h/p?sig=zzz")
        except RuntimeError as e:
            with pytest.raises(FakeModule.Failed):
                _common.fail_from_error(module, e)
        msg = module.failed_with["msg"]
        assert msg.startswith("RuntimeError: ") and "abc.def" not in msg and "zzz" not in msg
        assert "Traceback" in module.failed_with["exception"]

    def test_check_dependencies(self, monkeypatch):
        module = FakeModule()
        _common.check_dependencies(module)
        assert module.failed_with is None
        monkeypatch.setattr(_common, "HAS_REQUESTS", False)
        with pytest.raises(FakeModule.Failed):
            _common.check_dependencies(module)
        assert "(requests)" in module.failed_with["msg"]


class TestSecretValues:
    def test_sources(self, monkeypatch, tmp_path):
        azure = tmp_path / ".azure"
        azure.mkdir()
        (azure / "credentials").write_text("[default]\nsecret = from-file\n[p2]\nsecret = from-p2\n")
        monkeypatch.setenv("AZURE_SECRET", "from-env")
        monkeypatch.setenv("AZURE_CLIENT_SECRET", "from-env-2")
        assert _common.secret_values(dict(secret=SECRET)) == set([SECRET, "from-env", "from-env-2", "from-file"])
        assert "from-p2" in _common.secret_values(dict(profile="p2"))
        assert _common.secret_values(dict(profile="nope")) == set(["from-env", "from-env-2"])

    def test_nothing(self):
        assert _common.secret_values({}) == set()
