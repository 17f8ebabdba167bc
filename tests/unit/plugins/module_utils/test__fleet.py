# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest
import responses

from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import ArmClient
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError
from ansible_collections.azbackup.restore.plugins.module_utils._fleet import FleetFailedError, SharedReads, run_fleet
from ansible_collections.azbackup.restore.plugins.module_utils._retry import RetryPolicy
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import ARM, VAULT, Clock, Tokens, item_ref


def fleet_params(n, concurrency=10, **kw):
    return dict(vms=[dict(name="vm%d" % i, resource_group="rg") for i in range(n)], concurrency=concurrency, **kw)


class TestRunFleet:
    def test_concurrency_is_bounded(self):
        lock = threading.Lock()
        state = dict(active=0, most=0)

        def run_one(params):
            with lock:
                state["active"] += 1
                state["most"] = max(state["most"], state["active"])
            time.sleep(0.02)
            with lock:
                state["active"] -= 1
            return dict(changed=True, warnings=[])
        result = run_fleet(run_one, fleet_params(12, concurrency=3))
        assert state["most"] == 3 and len(result["results"]) == 12

    def test_each_vm_its_own_params(self):
        seen = []
        run_fleet(lambda p: seen.append((p["vm_name"], p["vm_resource_group"], p["vms"])) or dict(changed=False),
                  fleet_params(3))
        assert sorted(seen) == [("vm0", "rg", None), ("vm1", "rg", None), ("vm2", "rg", None)]

    def test_failure_and_bug_do_not_stop_the_others(self):
        def run_one(params):
            if params["vm_name"] == "vm1":
                raise AzureApiError("Failed to restore vm1: (Nope) no", status_code=400, error_code="Nope")
            if params["vm_name"] == "vm2":
                raise KeyError("x")
            return dict(changed=True, warnings=["slow"])
        with pytest.raises(FleetFailedError) as e:
            run_fleet(run_one, fleet_params(4))
        err = e.value
        assert err.msg.startswith("Failed to restore 2 of 4 VMs: rg/vm1: Failed to restore vm1: (Nope) no; rg/vm2: ")
        assert [r["failed"] for r in err.results] == [False, True, True, False]
        assert err.results[1]["error_code"] == "Nope" and err.changed is True
        assert err.to_fail_kwargs()["results"][0]["vm"] == "rg/vm0"

    def test_warnings_name_their_vm(self):
        result = run_fleet(lambda p: dict(changed=True, warnings=["slow"]), fleet_params(2, fail_on_vm_failure=False))
        assert result["warnings"] == ["rg/vm0: slow", "rg/vm1: slow"]


class FakeJobs(object):
    def __init__(self):
        self.calls = []

    def where(self):
        return "vault"

    def restores_since(self, since):
        self.calls.append(since)
        return [dict(job_id="j%d" % len(self.calls))]


class TestSharedReads:
    def test_one_listing_covers_later_points(self):
        clock = Clock(100.0)
        shared, jobs = SharedReads(None, clock=clock), FakeJobs()
        listing = shared.listing(jobs)
        assert listing("2026-11-20T22:00:00Z", None) == [dict(job_id="j1")]
        assert listing("2026-11-20T10:00:00Z", None) == [dict(job_id="j1")]  # within a day before
        assert jobs.calls == ["2026-11-19T22:00:00Z"]
        listing("2026-11-01T00:00:00Z", None)  # earlier than the listing reaches: listed again
        assert len(jobs.calls) == 2

    def test_fresh_listing_after_the_checks(self):
        clock = Clock(100.0)
        shared, jobs = SharedReads(None, clock=clock), FakeJobs()
        listing = shared.listing(jobs)
        listing("2026-11-20T22:00:00Z", None)
        clock.now = 130.0
        assert listing("2026-11-20T22:00:00Z", 120.0) == [dict(job_id="j2")]  # started after the checks began
        assert listing("2026-11-20T22:00:00Z", 125.0) == [dict(job_id="j2")]  # shared by the next VM
        assert len(jobs.calls) == 2

    @responses.activate
    def test_vault_read_once_across_threads(self):
        responses.add(responses.GET, ARM + VAULT, json={"location": "westeurope"})
        client = ArmClient(ARM, Tokens(), sleep=lambda s: None)
        shared = SharedReads(client)
        threads = [threading.Thread(target=shared.vault, args=(item_ref(),)) for dummy in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(responses.calls) == 1 and shared.vault(item_ref()) == {"location": "westeurope"}


class TestThrottlingShared:
    @responses.activate
    def test_a_429_pauses_every_thread(self):
        clock = Clock()
        state = dict(inside=False)

        def sleep(seconds):
            # While the throttled request waits, another thread's request starts: it waits too.
            clock.sleeps.append(seconds)
            if not state["inside"]:
                state["inside"] = True
                client.get("/other")
            clock.now += seconds
        responses.add(responses.GET, ARM + VAULT, status=429, headers={"Retry-After": "7"})
        responses.add(responses.GET, ARM + VAULT, json={})
        responses.add(responses.GET, ARM + "/other", json={})
        client = ArmClient(ARM, Tokens(), retry=RetryPolicy(max_attempts=3, jitter=0.0), sleep=sleep, clock=clock)
        client.get(VAULT)
        # the throttled request retries after 7 s, the other one after it, 7 s later
        assert clock.sleeps == [7.0, 14.0]
        assert [c.request.url.split("?")[0] for c in responses.calls] == [ARM + VAULT, ARM + "/other", ARM + VAULT]
