import time

import pytest
import requests

from emulator_testlib import Api

pytestmark = pytest.mark.emulator


def test_azure_identity_client_secret_credential(emu, monkeypatch):
    from azure.identity import ClientSecretCredential

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle)
    cred = ClientSecretCredential(emu.tenant_id, emu.client_id, emu.client_secret,
                                  authority=emu.endpoint, disable_instance_discovery=True)
    tok = cred.get_token(emu.endpoint + "/.default")
    assert tok.token.count(".") == 2
    assert tok.expires_on > time.time() + 3000
    r = requests.get(emu.endpoint + "/subscriptions/%s/resourcegroups/rg-prod" % emu.subscription_id,
                     params={"api-version": "2021-04-01"}, headers={"Authorization": "Bearer " + tok.token})
    assert r.status_code == 200 and r.json()["name"] == "rg-prod"
    log = emu.control.requests()
    aad = [e for e in log if e["kind"] == "aad"]
    assert any(e["path"].endswith("/v2.0/.well-known/openid-configuration") for e in aad)
    token_calls = [e for e in aad if e["path"].endswith("/oauth2/v2.0/token")]
    assert token_calls and token_calls[0]["request_body"]["client_secret"] == "<redacted>"
    assert token_calls[0]["response_body"]["access_token"] == "<redacted>"


def test_azure_identity_wrong_secret(emu, monkeypatch):
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import ClientSecretCredential

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle)
    cred = ClientSecretCredential(emu.tenant_id, emu.client_id, "wrong",
                                  authority=emu.endpoint, disable_instance_discovery=True)
    try:
        cred.get_token(emu.endpoint + "/.default")
    except ClientAuthenticationError as e:
        assert "AADSTS7000215" in str(e)
    else:
        raise AssertionError("expected an authentication error")


def test_metadata_endpoints(emu):
    r = requests.get(emu.endpoint + "/metadata/endpoints", params={"api-version": "2015-01-01"}, verify=emu.ca_bundle)
    assert r.status_code == 200
    body = r.json()
    assert body["authentication"]["loginEndpoint"] == emu.endpoint + "/"
    assert body["authentication"]["audiences"] == [emu.endpoint + "/"]
    assert {"galleryEndpoint", "graphEndpoint", "portalEndpoint"} <= set(body)


def test_openid_configuration(emu):
    for path in ("/%s/v2.0/.well-known/openid-configuration", "/%s/.well-known/openid-configuration"):
        r = requests.get(emu.endpoint + path % emu.tenant_id, verify=emu.ca_bundle)
        assert r.status_code == 200
        assert r.json()["token_endpoint"].startswith(emu.endpoint + "/" + emu.tenant_id + "/oauth2/")
        assert r.json()["issuer"].startswith(emu.endpoint)
    r = requests.get(emu.endpoint + "/nope-tenant/v2.0/.well-known/openid-configuration", verify=emu.ca_bundle)
    assert r.status_code == 400 and "AADSTS90002" in r.json()["error_description"]


def _token(emu, **form):
    data = {"grant_type": "client_credentials", "client_id": emu.client_id, "client_secret": emu.client_secret,
            "scope": emu.endpoint + "/.default"}
    data.update(form)
    tenant = data.pop("tenant", emu.tenant_id)
    return requests.post("%s/%s/oauth2/v2.0/token" % (emu.endpoint, tenant), data=data, verify=emu.ca_bundle)


def test_token_endpoint_errors(emu):
    ok = _token(emu)
    assert ok.status_code == 200
    body = ok.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["ext_expires_in"] == 3600
    bad = _token(emu, client_secret="nope")
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client" and bad.json()["error_codes"] == [7000215]
    assert bad.json()["error_description"].startswith("AADSTS7000215: Invalid client secret provided")
    unknown = _token(emu, client_id="00000000-0000-0000-0000-00000000dead")
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    tenant = _token(emu, tenant="00000000-0000-0000-0000-00000000beef")
    assert tenant.status_code == 400 and tenant.json()["error"] == "invalid_request"
    assert "AADSTS90002" in tenant.json()["error_description"]


def test_arm_requires_valid_token(emu):
    url = emu.endpoint + "/subscriptions/%s/resourcegroups/rg-prod" % emu.subscription_id
    r = requests.get(url, params={"api-version": "2021-04-01"}, verify=emu.ca_bundle)
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    assert r.json()["error"]["code"] == "AuthenticationFailed"
    r = requests.get(url, params={"api-version": "2021-04-01"}, verify=emu.ca_bundle,
                     headers={"Authorization": "Bearer abc.def.ghi"})
    assert r.status_code == 401
    assert r.json() == {"error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}}
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")


def test_expired_token(emu):
    api = Api(emu)
    assert api.get("/subscriptions/%s" % emu.subscription_id, "2022-12-01").status_code == 200
    emu.control.expire_tokens()
    r = api.get("/subscriptions/%s" % emu.subscription_id, "2022-12-01")
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["code"] == "ExpiredAuthenticationToken"
    assert err["message"].startswith("The access token expiry UTC time '") and "is earlier than current UTC time" in err["message"]
    fresh = Api(emu)
    assert fresh.get("/subscriptions/%s" % emu.subscription_id, "2022-12-01").status_code == 200


def test_token_lifetime_setting(emu):
    emu.control.update_settings(token_lifetime_seconds=0)
    r = _token(emu)
    assert r.json()["expires_in"] == 0
    tok = r.json()["access_token"]
    r = requests.get(emu.endpoint + "/subscriptions/%s" % emu.subscription_id, params={"api-version": "2022-12-01"},
                     headers={"Authorization": "Bearer " + tok}, verify=emu.ca_bundle)
    assert r.status_code == 401 and r.json()["error"]["code"] == "ExpiredAuthenticationToken"


def test_wrong_audience(emu):
    r = _token(emu, scope="https://management.azure.com/.default")
    tok = r.json()["access_token"]
    r = requests.get(emu.endpoint + "/subscriptions/%s" % emu.subscription_id, params={"api-version": "2022-12-01"},
                     headers={"Authorization": "Bearer " + tok}, verify=emu.ca_bundle)
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationTokenAudience"


def test_cloud_metadata_discovery_flow(emu, monkeypatch):
    """What a client does with AZURE_CLOUD_ENVIRONMENT=<endpoint>: read the metadata, use
    loginEndpoint as authority and audiences[0] + '/.default' as scope."""
    from azure.identity import ClientSecretCredential

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_bundle)
    meta = requests.get(emu.endpoint + "/metadata/endpoints", params={"api-version": "2015-01-01"}).json()
    cred = ClientSecretCredential(emu.tenant_id, emu.client_id, emu.client_secret,
                                  authority=meta["authentication"]["loginEndpoint"], disable_instance_discovery=True)
    tok = cred.get_token(meta["authentication"]["audiences"][0] + "/.default")
    r = requests.get(emu.endpoint + "/subscriptions/%s/locations" % emu.subscription_id,
                     params={"api-version": "2022-12-01"}, headers={"Authorization": "Bearer " + tok.token})
    assert r.status_code == 200
