# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import threading
import time
import uuid
from email.utils import formatdate

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import ArmClient, certainly_not_sent
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    AzureConnectionError,
    UntrustedUrlError,
    ValidationError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._retry import RetryPolicy

BASE = "https://management.azure.com"
VAULT = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.RecoveryServices/vaults/v1"
ITEM = VAULT + "/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg1;vm1" \
    "/protectedItems/VM;iaasvmcontainerv2;rg1;vm1"
ITEM_ENC = ITEM.replace(";", "%3B")
SIGNED = (BASE + "/subscriptions/sub1/providers/Microsoft.RecoveryServices/locations/westus/"
          "backupCrrOperationsStatus/b64%2Bop%3D%3D?api-version=2023-01-15&t=638400000000000000"
          "&c=MIIHcert%2Babc~x%7E&s=SiGnAtUrE_-%2F%3D&h=HaSh-%3D")
CORR = {"x-ms-correlation-request-id": "corr-42", "x-ms-request-id": "req-42"}


class FakeTokens(object):
    def __init__(self):
        self.n = 1
        self.invalidated = 0

    def token(self):
        return "tok-%d" % self.n

    def invalidate(self):
        self.invalidated += 1
        self.n += 1


class FakeTime(object):
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeTime()


@pytest.fixture
def client(clock):
    return ArmClient(BASE + "/", FakeTokens(), retry=RetryPolicy(max_attempts=4, jitter=0.0), sleep=clock.sleep,
                     clock=clock.clock, user_agent="azbackup.restore/test")


def reset_error():
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))


def refused_error():
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason))


class TestRequestShape:
    @responses.activate
    def test_headers_and_body(self, client):
        responses.add(responses.POST, BASE + ITEM_ENC + "/recoveryPoints/123/restore", status=202)
        resp = client.post(ITEM + "/recoveryPoints/123/restore", api_version="2026-02-01",
                           json={"properties": {"objectType": "IaasVMRestoreRequest"}})
        assert resp.status_code == 202 and resp.body is None
        req = responses.calls[0].request
        assert req.url == BASE + ITEM_ENC + "/recoveryPoints/123/restore?api-version=2026-02-01"
        assert req.headers["Authorization"] == "Bearer tok-1"
        assert req.headers["User-Agent"] == "azbackup.restore/test"
        assert req.headers["Accept"] == "application/json"
        assert req.headers["Content-Type"] == "application/json"
        uuid.UUID(req.headers["x-ms-client-request-id"])
        assert json.loads(req.body) == {"properties": {"objectType": "IaasVMRestoreRequest"}}
        assert client.request_count == 1

    @responses.activate
    def test_get_without_body_has_no_content_type(self, client):
        responses.add(responses.GET, BASE + VAULT, json={"name": "v1"},
                      headers=CORR)
        resp = client.get(VAULT, api_version="2023-04-01")
        assert resp.body == {"name": "v1"}
        assert resp.correlation_id == "corr-42" and resp.request_id == "req-42"
        assert resp.header("X-MS-REQUEST-ID") == "req-42"
        assert "Content-Type" not in responses.calls[0].request.headers

    @responses.activate
    def test_default_user_agent(self):
        responses.add(responses.GET, BASE + VAULT, json={})
        ArmClient(BASE, FakeTokens()).get(VAULT, api_version="x")
        ua = responses.calls[0].request.headers["User-Agent"]
        assert ua.startswith("azbackup.restore/0.1.0 python/") and " requests/" in ua

    @responses.activate
    def test_extra_headers(self, client):
        responses.add(responses.POST, BASE + "/x", status=200, json={})
        client.post("/x", json={}, headers={"x-ms-authorization-auxiliary": "Bearer aux"})
        assert responses.calls[0].request.headers["x-ms-authorization-auxiliary"] == "Bearer aux"

    @responses.activate
    def test_requests_ca_bundle_is_honoured(self, client, monkeypatch, tmp_path):
        bundle = tmp_path / "ca.pem"
        bundle.write_text("x")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        responses.add(responses.GET, BASE + VAULT, json={})
        client.get(VAULT)
        assert responses.calls[0].request.req_kwargs["verify"] == str(bundle)
        assert responses.calls[0].request.req_kwargs["timeout"] == (10, 60)

    @responses.activate
    def test_text_body(self, client):
        responses.add(responses.GET, BASE + "/t", body="plain words", status=200)
        assert client.get("/t").body == "plain words"


class TestUrls:
    def test_path_encoding(self, client):
        assert client.build_url(ITEM, "v1") == BASE + ITEM_ENC + "?api-version=v1"
        assert client.build_url(ITEM_ENC, "v1") == BASE + ITEM_ENC + "?api-version=v1"  # not encoded twice
        assert client.build_url("relative/path") == BASE + "/relative/path"

    def test_params_are_percent_encoded(self, client):
        url = client.build_url("/rp", "2026-02-01", {"$filter": "startDate eq '2024-01-01 12:00:00 AM'",
                                                     "skip": None})
        assert url == BASE + "/rp?api-version=2026-02-01&$filter=startDate%20eq%20'2024-01-01%2012:00:00%20AM'"

    def test_absolute_url_verbatim(self, client):
        assert client.build_url(SIGNED, "2026-02-01") == SIGNED  # has an api-version: nothing added

    def test_absolute_url_without_api_version(self, client):
        assert client.build_url("https://elsewhere/p?x=1", "v9") == "https://elsewhere/p?x=1&api-version=v9"

    def test_path_with_query(self, client):
        assert client.build_url("/p;q?api-version=v2", "v1") == BASE + "/p%3Bq?api-version=v2"

    @responses.activate
    def test_signed_url_sent_verbatim(self, client):
        responses.add(responses.GET, SIGNED.split("?", maxsplit=1)[0], json={"status": "InProgress"})
        client.get(SIGNED)
        assert responses.calls[0].request.url == SIGNED


class TestRetries:
    @responses.activate
    def test_429_retry_after_seconds(self, client, clock):
        responses.add(responses.GET, BASE + VAULT, status=429, headers={"Retry-After": "7"},
                      json={"error": {"code": "TooManyRequests", "message": "slow down"}})
        responses.add(responses.GET, BASE + VAULT, json={"ok": True})
        assert client.get(VAULT).body == {"ok": True}
        assert clock.sleeps == [7.0]
        assert client.request_count == 2

    @responses.activate
    def test_429_retry_after_http_date(self, client, clock):
        when = formatdate(time.time() + 20, usegmt=True)
        responses.add(responses.GET, BASE + VAULT, status=429, headers={"Retry-After": when})
        responses.add(responses.GET, BASE + VAULT, json={})
        client.get(VAULT)
        assert len(clock.sleeps) == 1 and 17.0 <= clock.sleeps[0] <= 20.0

    @responses.activate
    def test_503_then_success(self, client, clock):
        responses.add(responses.GET, BASE + VAULT, status=503, body="Service Unavailable")
        responses.add(responses.GET, BASE + VAULT, status=200, json={"name": "v1"})
        assert client.get(VAULT).body == {"name": "v1"}
        assert clock.sleeps == [1.0]  # backoff_base, no jitter
        ids = set(c.request.headers["x-ms-client-request-id"] for c in responses.calls)
        assert len(ids) == 1  # one logical request

    @responses.activate
    def test_exhausted_names_correlation_id(self, client, clock):
        for dummy in range(4):
            responses.add(responses.GET, BASE + VAULT, status=500, headers=CORR,
                          json={"error": {"code": "InternalServerError", "message": "boom"}})
        with pytest.raises(AzureApiError) as exc:
            client.get(VAULT, api_version="2023-04-01")
        err = exc.value
        assert err.status_code == 500 and err.error_code == "InternalServerError" and err.attempts == 4
        assert "corr-42" in err.msg and "gave up after 4 attempts" in err.msg
        assert err.to_fail_kwargs()["correlation_id"] == "corr-42"
        assert err.to_fail_kwargs()["request_id"] == "req-42"
        assert clock.sleeps == [1.0, 2.0, 4.0]
        assert client.request_count == 4

    @responses.activate
    def test_total_time_budget(self, clock):
        c = ArmClient(BASE, FakeTokens(), retry=RetryPolicy(max_attempts=10, max_total=30), sleep=clock.sleep,
                      clock=clock.clock)
        responses.add(responses.GET, BASE + VAULT, status=429, headers={"Retry-After": "45"})
        with pytest.raises(AzureApiError) as exc:
            c.get(VAULT)
        assert exc.value.status_code == 429 and clock.sleeps == []  # never sleeps past the budget

    @responses.activate
    def test_post_not_retried_after_5xx(self, client, clock):
        responses.add(responses.POST, BASE + "/restore", status=500, json={"error": {"code": "X", "message": "y"}})
        with pytest.raises(AzureApiError) as exc:
            client.post("/restore", json={})
        assert client.request_count == 1 and clock.sleeps == []
        assert "not retried" in exc.value.msg and exc.value.retried is False

    @responses.activate
    def test_post_retried_after_429(self, client, clock):
        responses.add(responses.POST, BASE + "/restore", status=429, headers={"Retry-After": "3"})
        responses.add(responses.POST, BASE + "/restore", status=202)
        assert client.post("/restore", json={}).status_code == 202
        assert clock.sleeps == [3.0]

    @responses.activate
    def test_idempotent_post_retried_after_5xx(self, client):
        responses.add(responses.POST, BASE + "/read", status=503)
        responses.add(responses.POST, BASE + "/read", json={"v": 1})
        assert client.post("/read", json={}, ok=(200,), idempotent=True).body == {"v": 1}

    @responses.activate
    def test_non_retryable_status(self, client):
        responses.add(responses.GET, BASE + VAULT, status=404, json={"error": {"code": "ResourceNotFound",
                                                                               "message": "gone"}})
        with pytest.raises(AzureApiError) as exc:
            client.get(VAULT)
        assert exc.value.error_code == "ResourceNotFound" and client.request_count == 1

    @responses.activate
    def test_unexpected_success_status(self, client):
        responses.add(responses.GET, BASE + VAULT, status=202)
        with pytest.raises(AzureApiError) as exc:
            client.get(VAULT)
        assert "Unexpected answer HTTP 202 (expected 200)" in exc.value.msg

    @responses.activate
    def test_ok_none_accepts_any_2xx(self, client):
        responses.add(responses.DELETE, BASE + VAULT, status=204)
        assert client.request("DELETE", VAULT, ok=None).status_code == 204

    @responses.activate
    def test_gateway_html_error(self, client):
        for dummy in range(4):
            responses.add(responses.GET, BASE + VAULT, status=502,
                          body="<html><body><h1>502 Bad Gateway</h1></body></html>")
        with pytest.raises(AzureApiError) as exc:
            client.get(VAULT)
        assert "(HTTP 502) 502 Bad Gateway" in exc.value.msg


class TestConnectionErrors:
    @responses.activate
    def test_get_retried_after_reset(self, client, clock):
        responses.add(responses.GET, BASE + VAULT, body=reset_error())
        responses.add(responses.GET, BASE + VAULT, json={"ok": 1})
        assert client.get(VAULT).body == {"ok": 1}
        assert clock.sleeps == [1.0]

    @responses.activate
    def test_post_not_retried_after_reset(self, client, clock):
        responses.add(responses.POST, BASE + "/restore", body=reset_error())
        with pytest.raises(AzureConnectionError) as exc:
            client.post("/restore", json={})
        assert client.request_count == 1 and "may have acted" in exc.value.msg

    @responses.activate
    def test_post_not_retried_after_read_timeout(self, client):
        responses.add(responses.POST, BASE + "/restore", body=requests.exceptions.ReadTimeout("read timed out"))
        with pytest.raises(AzureConnectionError):
            client.post("/restore", json={})
        assert client.request_count == 1

    @responses.activate
    def test_post_retried_after_refused(self, client, clock):
        responses.add(responses.POST, BASE + "/restore", body=refused_error())
        responses.add(responses.POST, BASE + "/restore", body=requests.exceptions.ConnectTimeout("connect"))
        responses.add(responses.POST, BASE + "/restore", status=202)
        assert client.post("/restore", json={}).status_code == 202
        assert client.request_count == 3 and clock.sleeps == [1.0, 2.0]

    @responses.activate
    def test_connection_errors_exhausted(self, client):
        for dummy in range(4):
            responses.add(responses.GET, BASE + VAULT, body=reset_error())
        with pytest.raises(AzureConnectionError) as exc:
            client.get(VAULT, api_version="v1")
        assert exc.value.attempts == 4 and "failed after 4 attempt(s)" in exc.value.msg

    @responses.activate
    def test_certificate_error_not_retried(self, client):
        responses.add(responses.GET, BASE + VAULT, body=requests.exceptions.SSLError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"))
        with pytest.raises(AzureConnectionError) as exc:
            client.get(VAULT)
        assert "REQUESTS_CA_BUNDLE" in exc.value.msg and client.request_count == 1

    def test_classification(self):
        assert certainly_not_sent(refused_error())
        assert certainly_not_sent(requests.exceptions.ConnectTimeout("x"))
        assert not certainly_not_sent(reset_error())
        assert not certainly_not_sent(requests.exceptions.ReadTimeout("x"))


class _Server(object):
    """A local TCP server: 'reset' reads a request and drops the connection without answering."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self.run)
        self.thread.daemon = True
        self.stop = False
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                conn, dummy = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            try:
                conn.settimeout(2)
                conn.recv(65536)
            except OSError:
                pass
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.sock.close()


class TestRealSockets:
    """The same rules against real urllib3 exceptions (loopback only)."""

    def test_refused_post_is_retried(self, clock):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        c = ArmClient("http://127.0.0.1:%d" % port, FakeTokens(), retry=RetryPolicy(max_attempts=3, jitter=0),
                      sleep=clock.sleep, clock=clock.clock, timeout=(2, 2))
        with pytest.raises(AzureConnectionError) as exc:
            c.post("/restore", json={})
        assert c.request_count == 3 and clock.sleeps == [1.0, 2.0]
        assert "failed after 3 attempt(s)" in exc.value.msg

    def test_dropped_connection(self, clock):
        server = _Server()
        try:
            c = ArmClient("http://127.0.0.1:%d" % server.port, FakeTokens(),
                          retry=RetryPolicy(max_attempts=3, jitter=0), sleep=clock.sleep, clock=clock.clock,
                          timeout=(2, 2))
            with pytest.raises(AzureConnectionError):
                c.post("/restore", json={})
            assert c.request_count == 1  # the server got the request: a POST must not be sent again
            with pytest.raises(AzureConnectionError):
                c.get("/vault")
            assert c.request_count == 4  # a GET is retried
        finally:
            server.close()


class TestUnauthorized:
    @responses.activate
    def test_401_refreshes_token_once(self, client):
        responses.add(responses.GET, BASE + VAULT, status=401,
                      json={"error": {"code": "ExpiredAuthenticationToken", "message": "expired"}})
        responses.add(responses.GET, BASE + VAULT, json={"ok": 1})
        assert client.get(VAULT).body == {"ok": 1}
        assert client.token_provider.invalidated == 1
        assert [c.request.headers["Authorization"] for c in responses.calls] == ["Bearer tok-1", "Bearer tok-2"]

    @responses.activate
    def test_401_twice_is_an_error(self, client):
        for dummy in range(2):
            responses.add(responses.POST, BASE + "/restore", status=401,
                          json={"error": {"code": "InvalidAuthenticationToken", "message": "no"}})
        with pytest.raises(AzureApiError) as exc:
            client.post("/restore", json={})
        assert exc.value.status_code == 401 and client.request_count == 2
        assert client.token_provider.invalidated == 1

    @responses.activate
    def test_token_never_in_messages(self, client):
        responses.add(responses.GET, SIGNED.split("?", maxsplit=1)[0], status=403, json={"error": {
            "code": "AuthorizationFailed", "message": "token tok-1 (Bearer tok-1) may not read %s" % SIGNED}})
        with pytest.raises(AzureApiError) as exc:
            client.get(SIGNED)
        text = exc.value.msg + json.dumps(exc.value.to_fail_kwargs())
        assert "Bearer tok-1" not in text and "SiGnAtUrE" not in text and "HaSh" not in text
        assert "api-version=2023-01-15" in exc.value.url


class TestPaging:
    @responses.activate
    def test_three_pages(self, client):
        page2 = BASE + VAULT + "/backupJobs?api-version=2026-02-01&$skiptoken=p2%3D%3D"
        page3 = BASE + VAULT + "/backupJobs?api-version=2026-02-01&$skiptoken=p3%3D%3D"
        responses.add(responses.GET, BASE + VAULT + "/backupJobs", json={"value": [1, 2], "nextLink": page2})
        responses.add(responses.GET, BASE + VAULT + "/backupJobs", json={"value": [3], "nextLink": page3})
        responses.add(responses.GET, BASE + VAULT + "/backupJobs", json={"value": [4, 5], "nextLink": ""})
        assert list(client.list(VAULT + "/backupJobs", api_version="2026-02-01",
                                params={"$filter": "status eq 'InProgress'"})) == [1, 2, 3, 4, 5]
        urls = [c.request.url for c in responses.calls]
        assert urls[0] == BASE + VAULT + "/backupJobs?api-version=2026-02-01&$filter=status%20eq%20'InProgress'"
        assert urls[1:] == [page2, page3]  # verbatim

    @responses.activate
    def test_missing_next_link_and_value(self, client):
        responses.add(responses.GET, BASE + "/x", json={})
        assert list(client.list("/x")) == []

    @responses.activate
    def test_next_link_without_api_version_gets_it(self, client):
        responses.add(responses.GET, BASE + "/x", json={"value": [1], "nextLink": BASE + "/x?$skiptoken=2"})
        responses.add(responses.GET, BASE + "/x", json={"value": [2]})
        assert list(client.list("/x", api_version="v1")) == [1, 2]
        assert responses.calls[1].request.url == BASE + "/x?$skiptoken=2&api-version=v1"

    @responses.activate
    def test_repeating_next_link(self, client):
        loop = BASE + "/x?api-version=v1&$skiptoken=same"
        responses.add(responses.GET, BASE + "/x", json={"value": [1], "nextLink": loop})
        responses.add(responses.GET, BASE + "/x", json={"value": [2], "nextLink": loop})
        got = []
        with pytest.raises(AzBackupError) as exc:
            for item in client.list("/x", api_version="v1"):
                got.append(item)
        assert got == [1, 2] and "same nextLink" in exc.value.msg and len(responses.calls) == 2

    @responses.activate
    def test_post_list(self, client):
        responses.add(responses.POST, BASE + "/crrJobs", json={"value": [1], "nextLink": BASE + "/crrJobs?p=2"})
        responses.add(responses.GET, BASE + "/crrJobs", json={"value": [2]})
        assert list(client.list("/crrJobs", method="POST", json={"resourceId": VAULT})) == [1, 2]
        assert json.loads(responses.calls[0].request.body) == {"resourceId": VAULT}
        assert responses.calls[1].request.method == "GET"


class TestTimeoutMessage:
    @responses.activate
    def test_read_timeout_names_the_limit_and_the_option(self, clock):
        client = ArmClient(BASE, FakeTokens(), retry=RetryPolicy(max_attempts=2, jitter=0.0), sleep=clock.sleep,
                           clock=clock.clock, timeout=(5, 7))
        responses.add(responses.GET, BASE + "/x", body=requests.exceptions.ReadTimeout("read timed out"))
        with pytest.raises(AzureConnectionError) as exc:
            client.get("/x")
        assert exc.value.attempts == 2 and "within 7 s" in exc.value.msg and "api_timeout" in exc.value.msg


FOREIGN_QUERY = "?api-version=2026-02-01&t=6384&c=CeRt&s=SiGnAtUrE&h=HaSh"
OP_PATH = VAULT + "/backupFabrics/Azure/operationsStatus/op-1"


def foreign_calls(host):
    return [c for c in responses.calls if host in c.request.url]


def assert_refused(exc, host, reason):
    err = exc.value
    assert isinstance(err, AzBackupError) and err.host == host and err.reason == reason
    text = err.msg + json.dumps(err.to_fail_kwargs())
    assert host in err.msg
    for secret in ("SiGnAtUrE", "HaSh", "CeRt", "t=6384", "tok-"):
        assert secret not in text
    assert err.to_fail_kwargs()["host"] == host and err.to_fail_kwargs()["reason"] == reason
    assert "nothing was sent" in err.msg


class TestTrustedEndpoint:
    """The token goes only to base_url's scheme, host and port; nothing is sent anywhere else."""

    @pytest.mark.parametrize("url, host, reason", [
        ("https://other-host.example" + OP_PATH + FOREIGN_QUERY, "other-host.example", "other host"),
        ("http://management.azure.com" + OP_PATH + FOREIGN_QUERY, "management.azure.com", "not HTTPS"),
        ("https://management.azure.com:8443" + OP_PATH + FOREIGN_QUERY, "management.azure.com", "other port"),
        ("https://management.azure.com.other-host.example" + OP_PATH + FOREIGN_QUERY,
         "management.azure.com.other-host.example", "other host"),
        ("https://management.azure.com@other-host.example" + OP_PATH + FOREIGN_QUERY, "other-host.example",
         "malformed"),
    ])
    @responses.activate
    def test_async_operation_url_refused(self, client, url, host, reason):
        foreign = url.split("?", maxsplit=1)[0]
        responses.add(responses.GET, foreign, json={"status": "Succeeded"})
        with pytest.raises(UntrustedUrlError) as exc:
            client.get(url)
        assert_refused(exc, host, reason)
        assert len(responses.calls) == 0 and client.request_count == 0
        assert "SiGnAtUrE" not in exc.value.url and "api-version=2026-02-01" in exc.value.url

    @responses.activate
    def test_location_url_refused_for_a_post_too(self, client):
        location = "https://other-host.example:444" + VAULT + "/operationResults/op-1" + FOREIGN_QUERY
        responses.add(responses.POST, location.split("?", maxsplit=1)[0], status=202)
        with pytest.raises(UntrustedUrlError) as exc:
            client.post(location, json={"a": 1})
        assert_refused(exc, "other-host.example", "other host")
        assert "other-host.example:444" + VAULT + "/operationResults/op-1" in exc.value.msg
        assert "https://management.azure.com:443" in exc.value.msg
        assert len(responses.calls) == 0

    @responses.activate
    def test_next_link_to_another_host_stops_paging(self, client):
        evil = "https://other-host.example" + VAULT + "/backupJobs" + FOREIGN_QUERY
        responses.add(responses.GET, BASE + VAULT + "/backupJobs", json={"value": [1, 2], "nextLink": evil})
        responses.add(responses.GET, "https://other-host.example" + VAULT + "/backupJobs", json={"value": [3]})
        got = []
        with pytest.raises(UntrustedUrlError) as exc:
            for item in client.list(VAULT + "/backupJobs", api_version="2026-02-01"):
                got.append(item)
        assert got == [1, 2]
        assert_refused(exc, "other-host.example", "other host")
        assert len(responses.calls) == 1 and foreign_calls("other-host.example") == []

    @responses.activate
    def test_next_link_over_http_stops_paging(self, client):
        plain = "http://management.azure.com" + VAULT + "/backupJobs" + FOREIGN_QUERY
        responses.add(responses.GET, BASE + VAULT + "/backupJobs", json={"value": [1], "nextLink": plain})
        responses.add(responses.GET, "http://management.azure.com" + VAULT + "/backupJobs", json={"value": [2]})
        with pytest.raises(UntrustedUrlError) as exc:
            list(client.list(VAULT + "/backupJobs", api_version="2026-02-01"))
        assert_refused(exc, "management.azure.com", "not HTTPS")
        assert [c.request.url.split(":", 1)[0] for c in responses.calls] == ["https"]

    @pytest.mark.parametrize("url", [
        BASE + ":443" + VAULT,
        "HTTPS://Management.Azure.COM" + VAULT,
        "https://management.azure.com:443" + VAULT + "?api-version=x",
    ])
    @responses.activate
    def test_same_endpoint_spelled_differently_is_accepted(self, client, url):
        responses.add(responses.GET, url.split("?", maxsplit=1)[0], json={"ok": 1})
        assert client.get(url).body == {"ok": 1}
        assert responses.calls[0].request.headers["Authorization"] == "Bearer tok-1"

    @pytest.mark.parametrize("url, reason", [
        ("https://127.0.0.1:8443/x", None),
        ("https://127.0.0.1:8443/x?api-version=1", None),
        ("http://127.0.0.1:8443/x", "not HTTPS"),
        ("https://127.0.0.1:8444/x", "other port"),
        ("https://127.0.0.1/x", "other port"),
        ("https://localhost:8443/x", "other host"),
        ("https://127.0.0.2:8443/x", "other host"),
        ("https://127.0.0.1:8443/x\r\nHost: other-host.example", "malformed"),
        ("https://127.0.0.1:8443/x y", "malformed"),
        ("https://127.0.0.1:99999/x", "malformed"),
        ("https:///x", "malformed"),
        ("https://other-host.example\\@127.0.0.1:8443/x", "malformed"),
    ])
    def test_emulator_like_endpoint(self, url, reason):
        c = ArmClient("https://127.0.0.1:8443/", FakeTokens())
        if reason is None:
            c.check_url(url)
            return
        with pytest.raises(UntrustedUrlError) as exc:
            c.check_url(url)
        assert exc.value.reason == reason and "https://127.0.0.1:8443" in exc.value.msg

    def test_ipv6_endpoint(self):
        c = ArmClient("https://[::1]:8443", FakeTokens())
        c.check_url("https://[::1]:8443/x")
        with pytest.raises(UntrustedUrlError) as exc:
            c.check_url("https://[::2]:8443/x")
        assert exc.value.host == "::2" and "https://[::1]:8443" in exc.value.msg

    def test_relative_urls_stay_on_the_endpoint(self, client):
        for path in ("//other-host.example/x", "@other-host.example/x", "other-host.example/x"):
            url = client.build_url(path)
            assert url.startswith(BASE + "/")
            client.check_url(url)

    @pytest.mark.parametrize("base", ["http://management.azure.com", "http://10.0.0.1:8080", "ftp://127.0.0.1"])
    def test_base_url_must_be_https(self, base):
        with pytest.raises(UntrustedUrlError) as exc:
            ArmClient(base, FakeTokens())
        assert exc.value.reason == "not HTTPS" and "HTTPS" in exc.value.msg

    def test_base_url_malformed(self):
        with pytest.raises(UntrustedUrlError) as exc:
            ArmClient("management.azure.com", FakeTokens())
        assert exc.value.reason == "malformed"

    @pytest.mark.parametrize("base", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"])
    def test_plain_http_only_to_loopback(self, base):
        c = ArmClient(base, FakeTokens())
        c.check_url(base + "/x")
        with pytest.raises(UntrustedUrlError) as exc:
            c.check_url(base.replace("http://", "https://") + "/x")
        assert exc.value.reason == "other scheme"

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    @responses.activate
    def test_redirect_is_not_followed(self, client, status):
        evil = "https://other-host.example/steal" + FOREIGN_QUERY
        responses.add(responses.GET, BASE + VAULT, status=status, headers={"Location": evil})
        responses.add(responses.GET, "https://other-host.example/steal", json={"stolen": True})
        with pytest.raises(AzureApiError) as exc:
            client.get(VAULT)
        assert exc.value.status_code == status
        assert "Unexpected answer HTTP %d" % status in exc.value.msg
        assert "redirect to https://other-host.example/steal, not followed" in exc.value.msg
        assert "SiGnAtUrE" not in exc.value.msg
        assert len(responses.calls) == 1 and foreign_calls("other-host.example") == []
        assert client.request_count == 1

    @responses.activate
    def test_redirect_of_a_post_is_not_followed(self, client):
        responses.add(responses.POST, BASE + "/restore", status=307,
                      headers={"Location": "https://other-host.example/restore"})
        responses.add(responses.POST, "https://other-host.example/restore", status=202)
        with pytest.raises(AzureApiError):
            client.post("/restore", json={"secret-ish": 1}, ok=(202,))
        assert len(responses.calls) == 1 and foreign_calls("other-host.example") == []

    @responses.activate
    def test_redirect_on_the_same_host_is_not_followed_either(self, client):
        responses.add(responses.GET, BASE + VAULT, status=302, headers={"Location": BASE + "/elsewhere"})
        responses.add(responses.GET, BASE + "/elsewhere", json={})
        with pytest.raises(AzureApiError):
            client.get(VAULT)
        assert len(responses.calls) == 1


class TestHeaderInjection:
    @pytest.mark.parametrize("value", ["Bearer aux\r\nX-Evil: 1", "Bearer aux\nX-Evil: 1", "a\rb", "a\0b"])
    @responses.activate
    def test_value_with_cr_lf_nul_refused(self, client, value):
        responses.add(responses.POST, BASE + "/x", json={})
        with pytest.raises(ValidationError) as exc:
            client.post("/x", json={}, headers={"x-ms-authorization-auxiliary": value})
        assert "x-ms-authorization-auxiliary" in exc.value.msg and "aux" not in exc.value.msg.replace(
            "auxiliary", "")
        assert len(responses.calls) == 0 and client.request_count == 0

    @responses.activate
    def test_name_with_line_break_refused(self, client):
        responses.add(responses.GET, BASE + "/x", json={})
        with pytest.raises(ValidationError) as exc:
            client.request("GET", "/x", headers={"X-A\r\nX-B": "v"})
        assert "X-A??X-B" in exc.value.msg and len(responses.calls) == 0

    @responses.activate
    def test_user_agent_from_the_environment_checked(self):
        c = ArmClient(BASE, FakeTokens(), user_agent="azbackup.restore/1 ci\r\nX-Evil: 1")
        responses.add(responses.GET, BASE + "/x", json={})
        with pytest.raises(ValidationError) as exc:
            c.get("/x")
        assert "'User-Agent'" in exc.value.msg and len(responses.calls) == 0

    @responses.activate
    def test_token_with_line_break_refused_and_not_shown(self, client):
        client.token_provider.token = lambda: "tok-\r\nX-Evil: 1"
        responses.add(responses.GET, BASE + "/x", json={})
        with pytest.raises(ValidationError) as exc:
            client.get("/x")
        assert "'Authorization'" in exc.value.msg and "tok-" not in exc.value.msg and "Evil" not in exc.value.msg
        assert len(responses.calls) == 0

    @responses.activate
    def test_tab_and_ordinary_values_pass(self, client):
        responses.add(responses.GET, BASE + "/x", json={})
        client.request("GET", "/x", headers={"x-ms-custom": "a\tb", "x-bytes": b"v"})
        assert responses.calls[0].request.headers["x-ms-custom"] == "a\tb"


class VirtualTime(object):
    """Virtual time for ``threads`` real threads: ``sleep`` blocks until every one of them sleeps (or
    has ended), then the time jumps to the earliest wake-up. Deterministic, and nothing really waits."""

    def __init__(self, threads):
        self.now = 0.0
        self.running = threads
        self.wakes = []
        self.cond = threading.Condition()

    def clock(self):
        with self.cond:
            return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        with self.cond:
            wake = self.now + seconds
            self.wakes.append(wake)
            self.running -= 1
            self._advance()
            try:
                while self.now < wake:
                    assert self.cond.wait(10), "virtual time stuck at %s" % self.now
            finally:
                self.wakes.remove(wake)
                self.running += 1

    def done(self):
        with self.cond:
            self.running -= 1
            self._advance()

    def _advance(self):
        if not self.running and self.wakes:
            self.now = max(self.now, min(self.wakes))
            self.cond.notify_all()


class Throttling(object):
    """A ``responses`` callback: answers the requests in the order they arrive with ``answers``
    (status, headers, seconds the answer takes; an exception as status is raised), then 200 after 0.9 s;
    logs when each one started."""

    def __init__(self, time, answers):
        self.time = time
        self.answers = list(answers)
        self.starts = []
        self.lock = threading.Lock()

    def __call__(self, request):
        with self.lock:
            self.starts.append((self.time.clock(), request.url[len(BASE):]))
            status, headers, latency = self.answers.pop(0) if self.answers else (200, {}, 0.9)
        self.time.sleep(latency)
        if isinstance(status, Exception):
            raise status  # pylint: disable=raising-bad-type
        return status, headers, "{}"

    def times(self):
        return [when for when, dummy in self.starts]


def run_threads(targets, done=lambda: None):
    """Run each callable in a thread of its own, wait for all; re-raise the first error."""
    errors = []

    def run(target):
        try:
            target()
        except BaseException as e:  # pylint: disable=broad-except
            errors.append(e)
        finally:
            done()
    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.daemon = True
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]


class TestThrottlingAcrossThreads:
    """One client shared by threads: a 429 pauses them all; after its Retry-After the waiting requests
    go one at a time, first come first served (a retry keeps its call's place), D seconds apart at
    first, half as far apart after each answer (not a 429), until the spacing is below 0.05 s or nobody
    waits: then they go freely."""

    def throttled(self, answers, arrivals, retry=None):
        """Thread 0 sends at 0 s, the others at their ``arrivals`` (virtual seconds); the log of starts."""
        vt = VirtualTime(1 + len(arrivals))
        azure = Throttling(vt, answers)
        for i in range(1 + len(arrivals)):
            responses.add_callback(responses.GET, BASE + "/vm/%d" % i, callback=azure)
        client = ArmClient(BASE, FakeTokens(), retry=retry or RetryPolicy(max_attempts=4, jitter=0.0), sleep=vt.sleep,
                           clock=vt.clock)

        def later(i, when):
            vt.sleep(when)
            client.get("/vm/%d" % i)
        run_threads([lambda: client.get("/vm/0")] + [lambda i=i, w=w: later(i, w) for i, w in enumerate(arrivals, 1)],
                    done=vt.done)
        return azure

    @responses.activate
    def test_after_the_probe_they_go_ever_closer_then_freely(self):
        azure = self.throttled([(429, {"Retry-After": "8"}, 0.0)] + [(200, {}, 0.01)] * 10,
                               arrivals=[1, 2, 3, 4, 5, 6, 7, 7.5, 7.6, 7.7])
        times = azure.times()
        # 8 s: the probe (the throttled request, first to wait); each answer 0.01 s later halves the spacing
        assert times[:9] == pytest.approx([0.0, 8.0, 12.0, 14.0, 15.0, 15.5, 15.75, 15.875, 15.9375]), times
        # in the order they came; the answer at 15.9475 s brings the spacing below 0.05 s: the last three at once
        assert [url for dummy, url in azure.starts[:9]] == ["/vm/%d" % i for i in (0, 0, 1, 2, 3, 4, 5, 6, 7)]
        assert len(times) == 12 and all(15.9475 <= t <= 16.2 for t in times[9:]), times

    @responses.activate
    def test_a_429_meanwhile_starts_again_from_its_retry_after(self):
        azure = self.throttled([(429, {"Retry-After": "8"}, 0.0), (200, {}, 0.1), (429, {"Retry-After": "2"}, 0.1)] +
                               [(200, {}, 0.1)] * 5, arrivals=[1, 2, 3, 4])
        times = azure.times()
        # 8 s: the probe; 12 s: the next one, throttled at 12.1 s for 2 s: nothing until 14.1 s, then 2 s
        # apart (its Retry-After, not the 1 s the spacing had come down to), halving again; the throttled
        # one goes first again: it came before the others
        assert times == pytest.approx([0.0, 8.0, 12.0, 14.1, 15.1, 15.6, 15.85]), times
        assert [url for dummy, url in azure.starts] == ["/vm/%d" % i for i in (0, 0, 1, 1, 2, 3, 4)]

    @responses.activate
    def test_no_request_before_retry_after(self):
        # /vm/1 was sent before the 429 came (at 0.1 s): its answer at 2.05 s neither ends the pause nor
        # hastens it; /vm/5 comes after the Retry-After ran out (8.15 s): it waits for its turn behind the others
        azure = self.throttled([(429, {"Retry-After": "8"}, 0.1), (200, {}, 2.0)] + [(200, {}, 0.9)] * 5,
                               arrivals=[0.05, 1, 3, 6.5, 8.15])
        times = azure.times()
        assert times[:2] == [0.0, 0.05] and azure.starts[1][1] == "/vm/1"
        assert times[2:5] == pytest.approx([8.1, 12.1, 14.1]), times  # the probe answered at 9 s: 4 s, then 2 s
        assert len(times) == 7 and min(times[2:]) >= 8.1
        assert [url for dummy, url in azure.starts[2:]] == ["/vm/%d" % i for i in (0, 2, 3, 4, 5)]

    @responses.activate
    def test_a_probe_without_answer_lets_the_next_one_go(self):
        reset = requests.exceptions.ConnectionError("Connection reset by peer")
        azure = self.throttled([(429, {"Retry-After": "8"}, 0.0), (reset, {}, 0.9)] + [(200, {}, 0.1)] * 5,
                               arrivals=[1, 2, 3], retry=RetryPolicy(max_attempts=4, jitter=0.0, backoff_base=10))
        times = azure.times()
        # 8 s: the probe, its connection lost at 8.9 s (no answer: the spacing stays 8 s; it retries 20 s
        # later); 16 s: the next in the queue all the same; answered, 4 s later the one after, then 2 s;
        # nobody waits when that one is answered: the probe's retry goes at once at 28.9 s
        assert times == pytest.approx([0.0, 8.0, 16.0, 20.0, 22.0, 28.9]), times
        assert [url for dummy, url in azure.starts] == ["/vm/%d" % i for i in (0, 0, 1, 2, 3, 0)]

    @responses.activate
    def test_a_429_given_up_still_pauses_the_client(self, clock):
        c = ArmClient(BASE, FakeTokens(), retry=RetryPolicy(max_attempts=1), sleep=clock.sleep, clock=clock.clock)
        responses.add(responses.GET, BASE + VAULT, status=429, headers={"Retry-After": "7"})
        responses.add(responses.GET, BASE + "/other", json={})
        responses.add(responses.GET, BASE + "/third", json={})
        with pytest.raises(AzureApiError):
            c.get(VAULT)
        assert clock.sleeps == []
        c.get("/other")  # another thread's request, say: it waits the Retry-After, alone
        assert clock.sleeps == [7.0] and c.request_count == 2
        c.get("/third")  # answered with nobody waiting: the pause is over
        assert clock.sleeps == [7.0] and c.request_count == 3

    @responses.activate
    def test_real_threads_and_clock(self):
        lock = threading.Lock()
        answers = [(429, {"Retry-After": "0.4"}, 0.0)]
        log = []
        slept = threading.Event()

        def answer(request):
            with lock:
                start = time.monotonic()
                status, headers, latency = answers.pop(0) if answers else (200, {}, 0.02)
            time.sleep(latency)
            with lock:
                log.append((start, time.monotonic(), status))
            return status, headers, "{}"

        def sleep(seconds):
            slept.set()  # the 429 has paused the client: the others start
            time.sleep(seconds)
        for i in range(6):
            responses.add_callback(responses.GET, BASE + "/vm/%d" % i, callback=answer)
        client = ArmClient(BASE, FakeTokens(), retry=RetryPolicy(max_attempts=4, jitter=0.0), sleep=sleep)
        run_threads([lambda: client.get("/vm/0")] +
                    [lambda i=i: slept.wait(10) and client.get("/vm/%d" % i) for i in range(1, 6)])
        log.sort()
        assert [status for dummy, dummy, status in log] == [429] + [200] * 6
        starts = [start for start, dummy, dummy in log]
        assert starts[1] >= log[0][1] + 0.4 - 0.01  # the probe: not before the Retry-After
        gaps = [b - a for a, b in zip(starts[1:], starts[2:])]
        # 0.2 s, 0.1 s, 0.05 s (each answered within 0.02 s), then the spacing is below 0.05 s: the last two
        # at once; not all at once after the probe, nor one per 0.4 s
        assert gaps[0] >= 0.19 and gaps[1] >= 0.09 and gaps[2] >= 0.04, gaps
        assert starts[-1] <= starts[1] + 0.35 + 0.02 + 0.25 + 0.3, gaps
