# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiting: the one generic waiter, and the poller of Azure asynchronous operations.

Internal to this collection: not a public API, may change at any time.

Pacing: the server's Retry-After when it sends one (clamped to [min_interval, max_interval]);
otherwise ``interval`` (15 s by default) growing 1.5x per poll up to ``max_interval`` (120 s).
No sleep ever ends past the deadline: the last one is cut to the time left, then one last poll.
``sleep`` and ``clock`` are injectable so that tests never really sleep.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from collections import namedtuple

from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    OperationFailedError,
    OperationTimeoutError,
    header_value,
    parse_error_body,
)
from ansible_collections.azbackup.restore.plugins.module_utils._retry import retry_after_from_headers

DEFAULT_TIMEOUT = 3600
DEFAULT_INTERVAL = 15.0
DEFAULT_MIN_INTERVAL = 1.0
DEFAULT_MAX_INTERVAL = 120.0
DEFAULT_BACKOFF = 1.5

WAIT_CHOICES = ("none", "operation", "job")

# Must agree exactly with plugins/doc_fragments/wait.py.
WAIT_ARGSPEC = dict(
    wait=dict(type="str", default="operation", choices=list(WAIT_CHOICES)),
    wait_timeout=dict(type="int", default=DEFAULT_TIMEOUT),
    poll_interval=dict(type="int"),
)

PollResult = namedtuple("PollResult", "status body url polls elapsed")
WaitResult = namedtuple("WaitResult", "done last elapsed polls")
OperationPoll = namedtuple("OperationPoll", "status response")

_SUCCEEDED = ("succeeded",)
_FAILED = ("failed", "canceled", "cancelled")


def _clamp(value, low, high):
    return max(low, min(high, value))


def poll_settings(wait_timeout=None, poll_interval=None):
    """Keyword arguments for ``wait_until`` / ``poll_operation`` from the ``wait`` options.

    ``poll_interval`` set by the user is a fixed interval (it wins over Retry-After and does not
    grow); unset, the adaptive pacing described in this module's docstring applies.
    """
    kwargs = dict(timeout=DEFAULT_TIMEOUT if wait_timeout is None else max(0, wait_timeout))
    if poll_interval is not None:
        p = max(0, poll_interval)
        kwargs.update(interval=p, min_interval=p, max_interval=p, backoff=1.0)
    return kwargs


def wait_until(fetch, is_done, timeout, interval=None, min_interval=DEFAULT_MIN_INTERVAL,
               max_interval=DEFAULT_MAX_INTERVAL, backoff=DEFAULT_BACKOFF, sleep=time.sleep, clock=time.monotonic,
               retry_after_from=None, initial_delay=None):
    """Call ``fetch()`` until ``is_done(last)`` is true or ``timeout`` seconds have passed.

    The first fetch is immediate (after ``initial_delay`` when given, e.g. the Retry-After of the
    request that started the operation); the next ones start one interval after the previous one
    started (a server's Retry-After is counted from its answer). ``retry_after_from(last)`` may return the server's
    requested delay. Returns ``WaitResult(done, last, elapsed, polls)``; on timeout ``done`` is
    False and the caller raises with its own context. ``timeout=0`` fetches once ("no wait").
    Exceptions from ``fetch`` and ``is_done`` propagate.
    """
    start = clock()
    deadline = start + max(0, timeout)
    current = float(DEFAULT_INTERVAL if interval is None else interval)
    polls = 0
    if initial_delay is not None:
        delay = min(_clamp(initial_delay, min_interval, max_interval), deadline - clock())
        if delay > 0:
            sleep(delay)
    while True:
        fetched_at = clock()
        last = fetch()
        polls += 1
        if is_done(last):
            return WaitResult(True, last, clock() - start, polls)
        now = clock()
        remaining = deadline - now
        if remaining <= 0:
            return WaitResult(False, last, now - start, polls)
        server = retry_after_from(last) if retry_after_from is not None else None
        if server is not None:
            delay = _clamp(server, min_interval, max_interval)  # counted from Azure's answer
        else:
            # The interval is from one poll's start to the next: a slow answer does not stretch the cadence.
            delay = max(0.0, _clamp(current, min_interval, max_interval) - (now - fetched_at))
            current = min(current * backoff, max_interval)
        sleep(min(delay, remaining))


def _strip_label(value, label):
    # The CRR swagger examples' header values start with "location: " / "azure-asyncoperation: ".
    if value and value.lower().startswith(label + ":"):
        return value[len(label) + 1:].strip()
    return value or None


def operation_urls(response):
    """``dict(async_url, location_url, retry_after)`` from the answer that started an operation."""
    headers = response.headers if hasattr(response, "headers") else response
    return dict(
        async_url=_strip_label(header_value(headers, "Azure-AsyncOperation"), "azure-asyncoperation"),
        location_url=_strip_label(header_value(headers, "Location"), "location"),
        retry_after=retry_after_from_headers(headers),
    )


def _poll_async(client, state):
    """One poll of an ``Azure-AsyncOperation`` URL: its ``status`` (``InProgress`` for a bare 202)."""
    resp = client.request("GET", state["url"], ok=(200, 201, 202))
    body = resp.body if isinstance(resp.body, dict) else {}
    status = body.get("status")
    if not status:
        status = "InProgress" if resp.status_code == 202 else None
    return OperationPoll(status, resp)


def _poll_location(client, state):
    """One poll of a ``Location`` URL: 202 running (a new ``Location`` is followed from then on),
    200/201/204 done, a 4xx (but 401, 403, 429) ``OperationFailedError``."""
    try:
        resp = client.request("GET", state["url"], ok=(200, 201, 202, 204))
    except AzureApiError as e:
        if e.status_code is None or not 400 <= e.status_code < 500 or e.status_code in (401, 403, 429):
            raise
        raise OperationFailedError("Operation %s failed: HTTP %s (%s) %s" % (
            state["url"], e.status_code, e.error_code or "no error code", e.error_message or ""),
            operation_url=state["url"], status="Failed", error_code=e.error_code,
            error_message=e.error_message)
    if resp.status_code == 202:
        follow = _strip_label(resp.header("Location"), "location")
        if follow:
            state["url"] = follow
        return OperationPoll("InProgress", resp)
    return OperationPoll("Succeeded", resp)


def _operation_done(poll, url):
    """True when ``poll`` says ``Succeeded``; ``OperationFailedError`` when ``Failed`` / ``Canceled``."""
    status = (poll.status or "").lower()
    if status in _SUCCEEDED:
        return True
    if status in _FAILED:
        body = poll.response.body
        err = parse_error_body(body if isinstance(body, dict) and body.get("error") else None)
        raise OperationFailedError("Operation %s ended %s: (%s) %s" % (
            url, poll.status, err["code"] or "no error code",
            err["message"] or "Azure gave no error details"),
            operation_url=url, status=poll.status, error_code=err["code"],
            error_message=err["message"], body=body)
    return False


def _server_delay(poll):
    return retry_after_from_headers(poll.response.headers)


def poll_operation(client, async_url=None, location_url=None, timeout=DEFAULT_TIMEOUT, interval=None,
                   min_interval=DEFAULT_MIN_INTERVAL, max_interval=DEFAULT_MAX_INTERVAL, backoff=DEFAULT_BACKOFF,
                   sleep=time.sleep, clock=time.monotonic, retry_after=None):
    """Follow an Azure asynchronous operation to its end; return ``PollResult``.

    ``Azure-AsyncOperation`` (``async_url``) is preferred: HTTP 200 with ``status`` ``InProgress``
    until ``Succeeded`` (the body, e.g. ``properties.jobId``, is returned) or ``Failed`` /
    ``Canceled`` (``OperationFailedError`` with ``error.code`` / ``error.message``). ``Location``
    alone: 202 means running, 200/201/204 done. URLs are used verbatim. ``retry_after``: the
    Retry-After of the answer that started the operation (waited before the first poll).
    Raises ``OperationTimeoutError`` (with the verbatim URL, to resume) at the deadline.
    """
    if async_url:
        url, poll_once = async_url, _poll_async
    elif location_url:
        url, poll_once = location_url, _poll_location
    else:
        raise AzBackupError("Azure started an asynchronous operation but sent neither an Azure-AsyncOperation "
                            "nor a Location header to follow it")
    state = dict(url=url)

    def fetch():
        return poll_once(client, state)

    def is_done(poll):
        return _operation_done(poll, state["url"])

    result = wait_until(fetch, is_done, timeout, interval=interval, min_interval=min_interval,
                        max_interval=max_interval, backoff=backoff, sleep=sleep, clock=clock,
                        retry_after_from=_server_delay, initial_delay=retry_after)
    last = result.last
    if not result.done:
        raise OperationTimeoutError(
            "Timed out after %ds waiting for operation %s (last status: %s, %d polls); it may still be running: "
            "re-run to pick it up, or raise wait_timeout"
            % (timeout, state["url"], last.status or "unknown", result.polls),
            operation_url=state["url"], last_status=last.status, elapsed=result.elapsed,
            last=last.response.body)
    return PollResult(last.status, last.response.body, state["url"], result.polls, result.elapsed)
