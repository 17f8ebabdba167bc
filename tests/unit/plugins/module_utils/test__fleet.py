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

    def test_reads_of_different_keys_go_side_by_side(self):
        # The guard's read starts while the vault's is still on its way (each waits for the other).
        both = threading.Barrier(2, timeout=5)
        shared = SharedReads(None)
        with shared:
            out = {}
            t = threading.Thread(target=lambda: out.setdefault("vault", shared._once.get("vault", both.wait)))
            t.start()
            shared._once.get("guard", both.wait)
            t.join()
        assert not both.broken

    def test_a_failed_read_is_repeated_to_every_asker(self):
        calls = []

        def read():
            calls.append(1)
            raise AzureApiError("Failed to read vault v: (ResourceNotFound) gone", status_code=404)
        with SharedReads(None) as shared:
            errors = []
            for dummy in range(3):
                with pytest.raises(AzureApiError) as e:
                    shared._once.get("vault", read)
                errors.append(e.value)
        assert len(calls) == 1 and len(set(id(e) for e in errors)) == 3 and "gone" in errors[2].msg

    def test_prefetch_starts_the_reads_once_before_anyone_asks(self):
        started = threading.Event()
        calls = []

        def read():
            calls.append(1)
            started.set()
            return "v"
        with SharedReads(None) as shared:
            shared.prefetch("k", lambda: shared._once.get("k", read))
            shared.prefetch("k", lambda: shared._once.get("k", read))  # the same key: not again
            assert started.wait(5)
            assert shared._once.get("k", read) == "v"
        assert calls == [1]

    def test_prefetch_errors_are_met_by_the_vm_that_needs_the_value(self):
        def read():
            raise AzureApiError("Failed to read vault v: (AuthorizationFailed) no", status_code=403)
        with SharedReads(None) as shared:
            shared.prefetch("k", lambda: shared._once.get("k", read))
            with pytest.raises(AzureApiError, match="AuthorizationFailed"):
                shared._once.get("k", read)

    def test_prefetched_listing_reaches_back_three_days(self):
        import datetime
        now = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.timezone.utc)
        jobs = FakeJobs()
        with SharedReads(None, now=lambda: now) as shared:
            shared.prefetch_listing(jobs)
        assert jobs.calls == ["2026-11-18T12:00:00Z"]
        listing = shared.listing(jobs)
        assert listing("2026-11-21T02:00:00Z", None) == [dict(job_id="j1")]  # a point of last night: covered
        listing("2026-11-10T00:00:00Z", None)  # an older point: listed once more
        assert jobs.calls[1] == "2026-11-09T00:00:00Z"

    def test_a_listing_on_its_way_serves_who_asks_meanwhile(self):
        release, jobs = threading.Event(), FakeJobs()
        real = jobs.restores_since

        def slow(since):
            release.wait(5)
            return real(since)
        jobs.restores_since = slow
        with SharedReads(None) as shared:
            listing, got = shared.listing(jobs), []
            first = threading.Thread(target=lambda: got.append(listing("2026-11-20T22:00:00Z", None)))
            first.start()
            while not shared._listings:
                time.sleep(0.01)
            second = threading.Thread(target=lambda: got.append(listing("2026-11-20T23:00:00Z", None)))
            second.start()
            release.set()
            first.join()
            second.join()
        assert got == [[dict(job_id="j1")]] * 2 and jobs.calls == ["2026-11-19T22:00:00Z"]

    def test_listings_that_cannot_serve_each_other_go_side_by_side(self):
        both, jobs = threading.Barrier(2, timeout=5), FakeJobs()
        real = jobs.restores_since

        def meet(since):
            both.wait()
            return real(since)
        jobs.restores_since = meet
        with SharedReads(None) as shared:
            listing = shared.listing(jobs)
            first = threading.Thread(target=listing, args=("2026-11-20T22:00:00Z", None))
            first.start()
            listing("2026-11-01T00:00:00Z", None)  # older than the first reaches: its own listing
            first.join()
        assert not both.broken and len(jobs.calls) == 2

    def test_the_session_keeps_a_connection_per_thread(self):
        client = ArmClient(ARM, Tokens(), sleep=lambda s: None)
        with SharedReads(client):
            adapter = client.session.get_adapter(ARM)
        assert adapter._pool_maxsize >= 100


class TestThrottlingShared:
    @responses.activate
    def test_a_429_pauses_every_thread(self):
        from ansible_collections.azbackup.restore.tests.unit.plugins.module_utils.test__arm_client import (
            VirtualTime, run_threads)
        vt = VirtualTime(2)  # two real threads on one virtual clock
        starts, sleeps = [], dict()

        def sleep(seconds):
            sleeps.setdefault(threading.current_thread().name, []).append(seconds)
            vt.sleep(seconds)

        def answer(*answers):
            todo = list(answers)
            return lambda request: starts.append((vt.clock(), request.url.split("?")[0])) or todo.pop(0)
        responses.add_callback(responses.GET, ARM + VAULT, callback=answer((429, {"Retry-After": "7"}, ""),
                                                                           (200, {}, "{}")))
        responses.add_callback(responses.GET, ARM + "/other", callback=answer((200, {}, "{}")))
        client = ArmClient(ARM, Tokens(), retry=RetryPolicy(max_attempts=3, jitter=0.0), sleep=sleep, clock=vt.clock)

        def other():
            threading.current_thread().name = "other"
            vt.sleep(1)  # another thread's request, sent while the throttled one waits: it waits too
            client.get("/other")

        def throttled():
            threading.current_thread().name = "throttled"
            client.get(VAULT)
        run_threads([throttled, other], done=vt.done)
        # Neither goes before the Retry-After: the throttled one first (it came first); once it is answered
        # the other one goes half a Retry-After after it (not 7 s after it, nor at once)
        assert starts == [(0.0, ARM + VAULT), (7.0, ARM + VAULT), (10.5, ARM + "/other")]
        assert sleeps["throttled"] == [7.0]
        assert sleeps["other"][0] == 6.0 and max(sleeps["other"][1:]) <= 0.25  # then looks again often
        assert sum(sleeps["other"]) == pytest.approx(9.5)
