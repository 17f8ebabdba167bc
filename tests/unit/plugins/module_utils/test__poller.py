# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
import responses

from ansible_collections.azbackup.restore.plugins.module_utils import _poller as p
from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import ArmClient, ArmResponse
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    OperationFailedError,
    OperationTimeoutError,
    UntrustedUrlError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._retry import RetryPolicy

BASE = "https://management.azure.com"
ITEM = ("/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.RecoveryServices/vaults/v1/backupFabrics/Azure"
        "/protectionContainers/IaasVMContainer%3Biaasvmcontainerv2%3Brg1%3Bvm1"
        "/protectedItems/VM%3Biaasvmcontainerv2%3Brg1%3Bvm1")
OP = "5c0d4c8e-1b2a-4c7e-9a41-6a1c0f3e9d11"
STATUS_URL = BASE + ITEM + "/operationsStatus/" + OP + "?api-version=2026-02-01"
RESULT_URL = BASE + ITEM + "/operationResults/" + OP + "?api-version=2026-02-01"
CRR = BASE + "/subscriptions/sub1/providers/Microsoft.RecoveryServices/locations/westus"
CRR_STATUS = (CRR + "/backupCrrOperationsStatus/MTMzMDgz%2BNzkw%3D?api-version=2023-01-15"
              "&t=638400000000000000&c=MIIHcert%2Babc~d%7E&s=SiGn%2F%3D_-&h=HaSh%3D")


def base(url):
    return url.split("?", maxsplit=1)[0]


class FakeTime(object):
    def __init__(self, now=0.0):
        self.now = now
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class FakeTokens(object):
    def token(self):
        return "tok"

    def invalidate(self):
        pass


@pytest.fixture
def t():
    return FakeTime()


@pytest.fixture
def client(t):
    return ArmClient(BASE, FakeTokens(), retry=RetryPolicy(max_attempts=2, jitter=0), sleep=t.sleep, clock=t.clock)


def in_progress(headers=None):
    return dict(json={"id": OP, "name": OP, "status": "InProgress", "startTime": "2026-01-01T00:00:00Z",
                      "endTime": "0001-01-01T00:00:00"}, headers=headers or {})


def succeeded():
    return dict(json={"id": OP, "name": OP, "status": "Succeeded", "startTime": "2026-01-01T00:00:00Z",
                      "endTime": "2026-01-01T00:01:07Z",
                      "properties": {"objectType": "OperationStatusJobExtendedInfo", "jobId": "job-123"}})


class TestAsyncOperation:
    @responses.activate
    def test_in_progress_then_succeeded(self, client, t):
        responses.add(responses.GET, base(STATUS_URL), **in_progress())
        responses.add(responses.GET, base(STATUS_URL), **in_progress())
        responses.add(responses.GET, base(STATUS_URL), **succeeded())
        res = p.poll_operation(client, async_url=STATUS_URL, sleep=t.sleep, clock=t.clock)
        assert res.status == "Succeeded"
        assert res.body["properties"]["jobId"] == "job-123"
        assert res.url == STATUS_URL and res.polls == 3
        assert t.sleeps == [15.0, 22.5]  # no Retry-After: default interval growing 1.5x
        assert res.elapsed == 37.5
        assert all(c.request.url == STATUS_URL for c in responses.calls)

    @responses.activate
    def test_first_poll_is_immediate(self, client, t):
        responses.add(responses.GET, base(STATUS_URL), **succeeded())
        res = p.poll_operation(client, async_url=STATUS_URL, sleep=t.sleep, clock=t.clock)
        assert res.polls == 1 and t.sleeps == [] and res.elapsed == 0

    @responses.activate
    def test_both_headers_prefer_async_operation(self, client, t):
        responses.add(responses.GET, base(RESULT_URL), status=500)
        responses.add(responses.GET, base(STATUS_URL), **succeeded())
        res = p.poll_operation(client, async_url=STATUS_URL, location_url=RESULT_URL, sleep=t.sleep,
                               clock=t.clock)
        assert res.body["properties"]["jobId"] == "job-123"
        assert [c.request.url for c in responses.calls] == [STATUS_URL]

    @responses.activate
    def test_signed_url_used_verbatim(self, client, t):
        responses.add(responses.GET, base(CRR_STATUS), **in_progress())
        responses.add(responses.GET, base(CRR_STATUS), **succeeded())
        res = p.poll_operation(client, async_url=CRR_STATUS, sleep=t.sleep, clock=t.clock)
        assert [c.request.url for c in responses.calls] == [CRR_STATUS, CRR_STATUS]
        assert res.url == CRR_STATUS

    @responses.activate
    def test_failed_with_error_body(self, client, t):
        responses.add(responses.GET, base(STATUS_URL), json={
            "id": OP, "name": OP, "status": "Failed",
            "error": {"code": "UserErrorTargetStorageAccountNotFound", "message": "The storage account was deleted"}})
        with pytest.raises(OperationFailedError) as exc:
            p.poll_operation(client, async_url=STATUS_URL, sleep=t.sleep, clock=t.clock)
        err = exc.value
        assert err.status == "Failed"
        assert err.error_code == "UserErrorTargetStorageAccountNotFound"
        assert err.error_message == "The storage account was deleted"
        assert err.operation_url == STATUS_URL and err.body["status"] == "Failed"
        assert "(UserErrorTargetStorageAccountNotFound) The storage account was deleted" in err.msg
        assert err.to_fail_kwargs()["error_code"] == "UserErrorTargetStorageAccountNotFound"

    @responses.activate
    def test_canceled(self, client, t):
        responses.add(responses.GET, base(STATUS_URL), json={"id": OP, "status": "Canceled"})
        with pytest.raises(OperationFailedError) as exc:
            p.poll_operation(client, async_url=STATUS_URL, sleep=t.sleep, clock=t.clock)
        assert exc.value.status == "Canceled" and exc.value.error_code is None
        assert "ended Canceled" in exc.value.msg and "no error details" in exc.value.msg

    @responses.activate
    def test_retry_after_is_honoured_and_clamped(self, client, t):
        responses.add(responses.GET, base(STATUS_URL), **in_progress({"Retry-After": "60"}))
        responses.add(responses.GET, base(STATUS_URL), **in_progress({"Retry-After": "600"}))
        responses.add(responses.GET, base(STATUS_URL), **in_progress({"Retry-After": "0"}))
        responses.add(responses.GET, base(STATUS_URL), **in_progress())
        responses.add(responses.GET, base(STATUS_URL), **succeeded())
        p.poll_operation(client, async_url=STATUS_URL, sleep=t.sleep, clock=t.clock)
        assert t.sleeps == [60.0, 120.0, 1.0, 15.0]

    @responses.activate
    def test_initial_retry_after_from_trigger(self, client, t):
        trigger = ArmResponse(202, {"Azure-AsyncOperation": STATUS_URL, "Location": RESULT_URL,
                                    "Retry-After": "60"}, None, BASE + ITEM)
        responses.add(responses.GET, base(STATUS_URL), **succeeded())
        res = p.poll_operation(client, sleep=t.sleep, clock=t.clock, **p.operation_urls(trigger))
        assert t.sleeps == [60.0] and res.polls == 1


class TestLocation:
    @responses.activate
    def test_202_then_204(self, client, t):
        responses.add(responses.GET, base(RESULT_URL), status=202, headers={"Location": RESULT_URL})
        responses.add(responses.GET, base(RESULT_URL), status=202)
        responses.add(responses.GET, base(RESULT_URL), status=204)
        res = p.poll_operation(client, location_url=RESULT_URL, sleep=t.sleep, clock=t.clock)
        assert res.status == "Succeeded" and res.body is None and res.polls == 3
        assert t.sleeps == [15.0, 22.5]

    @responses.activate
    def test_202_then_200_with_body_and_new_location(self, client, t):
        moved = RESULT_URL + "&page=2"
        responses.add(responses.GET, base(RESULT_URL), status=202, headers={"Location": moved, "Retry-After": "5"})
        responses.add(responses.GET, base(RESULT_URL), status=200, json={"id": "x"})
        res = p.poll_operation(client, location_url=RESULT_URL, sleep=t.sleep, clock=t.clock)
        assert res.body == {"id": "x"} and res.url == moved
        assert [c.request.url for c in responses.calls] == [RESULT_URL, moved]
        assert t.sleeps == [5.0]

    @responses.activate
    def test_4xx_is_operation_failure(self, client, t):
        responses.add(responses.GET, base(RESULT_URL), status=400,
                      json={"error": {"code": "UserErrorX", "message": "bad restore"}})
        with pytest.raises(OperationFailedError) as exc:
            p.poll_operation(client, location_url=RESULT_URL, sleep=t.sleep, clock=t.clock)
        assert exc.value.error_code == "UserErrorX" and exc.value.status == "Failed"

    @responses.activate
    def test_5xx_stays_an_api_error(self, client, t):
        responses.add(responses.GET, base(RESULT_URL), status=500)
        responses.add(responses.GET, base(RESULT_URL), status=500)
        with pytest.raises(AzureApiError):
            p.poll_operation(client, location_url=RESULT_URL, sleep=t.sleep, clock=t.clock)

    def test_no_url(self, client):
        with pytest.raises(AzBackupError) as exc:
            p.poll_operation(client)
        assert "neither an Azure-AsyncOperation nor a Location" in exc.value.msg


class TestUntrustedUrls:
    """A URL from Azure's headers that leaves the endpoint is refused by the client, unsent and unretried."""

    FOREIGN_STATUS = STATUS_URL.replace(BASE, "https://other-host.example") + "&sig=SiGnAtUrE"
    PLAIN_RESULT = RESULT_URL.replace(BASE, "http://management.azure.com") + "&sig=SiGnAtUrE"

    @responses.activate
    def test_async_operation_url_to_another_host(self, client, t):
        responses.add(responses.GET, base(self.FOREIGN_STATUS), **succeeded())
        with pytest.raises(UntrustedUrlError) as exc:
            p.poll_operation(client, async_url=self.FOREIGN_STATUS, sleep=t.sleep, clock=t.clock)
        assert exc.value.host == "other-host.example" and exc.value.reason == "other host"
        assert "SiGnAtUrE" not in exc.value.msg and "operationsStatus/" + OP in exc.value.msg
        assert len(responses.calls) == 0 and t.sleeps == []

    @responses.activate
    def test_location_url_over_http(self, client, t):
        responses.add(responses.GET, base(self.PLAIN_RESULT), status=204)
        with pytest.raises(UntrustedUrlError) as exc:
            p.poll_operation(client, location_url=self.PLAIN_RESULT, sleep=t.sleep, clock=t.clock)
        assert exc.value.reason == "not HTTPS" and len(responses.calls) == 0

    @responses.activate
    def test_new_location_to_another_port_stops_the_wait(self, client, t):
        moved = RESULT_URL.replace(BASE, BASE + ":8443")
        responses.add(responses.GET, base(RESULT_URL), status=202, headers={"Location": moved})
        responses.add(responses.GET, base(moved), status=204)
        with pytest.raises(UntrustedUrlError) as exc:
            p.poll_operation(client, location_url=RESULT_URL, sleep=t.sleep, clock=t.clock)
        assert exc.value.reason == "other port" and exc.value.host == "management.azure.com"
        assert [c.request.url for c in responses.calls] == [RESULT_URL]

    @responses.activate
    def test_async_url_from_the_trigger_answer(self, client, t):
        headers = {"Azure-AsyncOperation": self.FOREIGN_STATUS, "Location": self.PLAIN_RESULT}
        with pytest.raises(UntrustedUrlError) as exc:
            p.poll_operation(client, sleep=t.sleep, clock=t.clock, **p.operation_urls(headers))
        assert isinstance(exc.value, AzBackupError) and not isinstance(exc.value, AzureApiError)
        assert exc.value.host == "other-host.example" and len(responses.calls) == 0


class TestTimeout:
    @responses.activate
    def test_timeout_names_url_and_never_oversleeps(self, client, t):
        for dummy in range(10):
            responses.add(responses.GET, base(CRR_STATUS), **in_progress())
        with pytest.raises(OperationTimeoutError) as exc:
            p.poll_operation(client, async_url=CRR_STATUS, timeout=40, sleep=t.sleep, clock=t.clock)
        err = exc.value
        assert t.sleeps == [15.0, 22.5, 2.5]  # the last sleep is cut to the time left
        assert t.now == 40.0 and len(responses.calls) == 4  # one last poll at the deadline
        assert err.operation_url == CRR_STATUS  # verbatim, to resume
        assert err.last_status == "InProgress" and err.elapsed == 40.0
        assert "backupCrrOperationsStatus/MTMzMDgz%2BNzkw%3D?api-version=2023-01-15" in err.msg
        assert "SiGn" not in err.msg and "HaSh" not in err.msg
        assert "SiGn" not in json.dumps(err.to_fail_kwargs())

    @responses.activate
    def test_timeout_zero_polls_once(self, client, t):
        responses.add(responses.GET, base(STATUS_URL), **in_progress())
        with pytest.raises(OperationTimeoutError):
            p.poll_operation(client, async_url=STATUS_URL, timeout=0, sleep=t.sleep, clock=t.clock)
        assert t.sleeps == [] and len(responses.calls) == 1

    @responses.activate
    def test_long_retry_after_cut_at_deadline(self, client, t):
        for dummy in range(3):
            responses.add(responses.GET, base(STATUS_URL), **in_progress({"Retry-After": "100"}))
        with pytest.raises(OperationTimeoutError):
            p.poll_operation(client, async_url=STATUS_URL, timeout=30, sleep=t.sleep, clock=t.clock)
        assert t.sleeps == [30.0] and t.now == 30.0


class TestWaitUntil:
    def test_backoff_and_clamp(self, t):
        seen = []
        res = p.wait_until(lambda: seen.append(1) or len(seen), lambda n: n >= 9, timeout=10000, sleep=t.sleep,
                           clock=t.clock)
        assert res.done and res.last == 9 and res.polls == 9
        assert t.sleeps == [15.0, 22.5, 33.75, 50.625, 75.9375, 113.90625, 120.0, 120.0]
        assert res.elapsed == sum(t.sleeps)

    def test_custom_interval_and_bounds(self, t):
        n = []
        p.wait_until(lambda: n.append(1) or len(n), lambda k: k >= 4, timeout=100, interval=0.2, min_interval=1,
                     max_interval=2, sleep=t.sleep, clock=t.clock)
        assert t.sleeps == [1.0, 1.0, 1.0]  # 0.2 .. 0.45 clamped up to min_interval

    def test_not_done_returns_false(self, t):
        res = p.wait_until(lambda: "Running", lambda s: s == "Completed", timeout=20, interval=5, backoff=1.0,
                           sleep=t.sleep, clock=t.clock)
        assert res == p.WaitResult(False, "Running", 20.0, 5)
        assert t.sleeps == [5.0] * 4

    def test_the_interval_runs_from_one_poll_start_to_the_next(self, t):
        starts = []

        def fetch():  # each answer takes 3 s
            starts.append(t.now)
            t.now += 3.0
            return len(starts)
        p.wait_until(fetch, lambda n: n >= 4, timeout=100, interval=10, backoff=1.0, sleep=t.sleep, clock=t.clock)
        assert starts == [0.0, 10.0, 20.0, 30.0] and t.sleeps == [7.0, 7.0, 7.0]

    def test_a_server_delay_counts_from_its_answer(self, t):
        def fetch():
            t.now += 3.0
            return "running"
        p.wait_until(fetch, lambda s: False, timeout=30, interval=10, backoff=1.0, sleep=t.sleep, clock=t.clock,
                     retry_after_from=lambda s: 5)
        assert t.sleeps[:2] == [5.0, 5.0]

    def test_zero_timeout_is_no_wait(self, t):
        res = p.wait_until(lambda: "x", lambda s: False, timeout=0, sleep=t.sleep, clock=t.clock)
        assert (res.done, res.polls, t.sleeps) == (False, 1, [])

    def test_errors_propagate(self, t):
        def fetch():
            raise AzureApiError(msg="boom", status_code=500)
        with pytest.raises(AzureApiError):
            p.wait_until(fetch, bool, timeout=10, sleep=t.sleep, clock=t.clock)

    def test_retry_after_from(self, t):
        states = iter([("a", 7), ("b", None), ("c", None)])
        res = p.wait_until(lambda: next(states), lambda s: s[0] == "c", timeout=100, retry_after_from=lambda s: s[1],
                           sleep=t.sleep, clock=t.clock)
        assert res.done and t.sleeps == [7.0, 15.0]

    def test_poll_settings_fixed_interval(self, t):
        kw = p.poll_settings(wait_timeout=100, poll_interval=3)
        assert kw == dict(timeout=100, interval=3, min_interval=3, max_interval=3, backoff=1.0)
        states = iter([("a", 60), ("b", None), ("c", None)])
        p.wait_until(lambda: next(states), lambda s: s[0] == "c", retry_after_from=lambda s: s[1], sleep=t.sleep,
                     clock=t.clock, **kw)
        assert t.sleeps == [3, 3]  # the user's interval wins over Retry-After and does not grow
        assert p.poll_settings() == dict(timeout=3600)


class TestOperationUrls:
    def test_from_headers_and_quirky_examples(self):
        urls = p.operation_urls({"location": "location: https://x/operationResults/1?api-version=1",
                                 "azure-asyncoperation": "azure-asyncoperation: https://x/operationsStatus/1",
                                 "Retry-After": 60})
        assert urls == dict(async_url="https://x/operationsStatus/1",
                            location_url="https://x/operationResults/1?api-version=1", retry_after=60.0)

    def test_none(self):
        assert p.operation_urls({}) == dict(async_url=None, location_url=None, retry_after=None)

    def test_wait_argspec(self):
        assert p.WAIT_ARGSPEC == dict(wait=dict(type="str", default="operation", choices=["none", "operation", "job"]),
                                      wait_timeout=dict(type="int", default=3600), poll_interval=dict(type="int"))
