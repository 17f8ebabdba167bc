# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from email.utils import formatdate

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils._retry import (
    RetryPolicy,
    parse_retry_after,
    retry_after_from_headers,
)

NOW = 1767225600.0  # 2026-01-01T00:00:00Z


class TestParseRetryAfter:
    @pytest.mark.parametrize("value, expected", [
        ("7", 7.0), (" 60 ", 60.0), ("1.5", 1.5), ("0", 0.0), ("-3", 0.0), (12, 12.0), (2.5, 2.5),
    ])
    def test_seconds(self, value, expected):
        assert parse_retry_after(value) == expected

    def test_http_date(self):
        assert parse_retry_after(formatdate(NOW + 30, usegmt=True), now=NOW) == 30.0
        assert parse_retry_after("Thu, 01 Jan 2026 00:02:00 GMT", now=NOW) == 120.0

    def test_http_date_in_the_past_is_zero(self):
        assert parse_retry_after(formatdate(NOW - 300, usegmt=True), now=NOW) == 0.0

    def test_http_date_uses_wall_clock_by_default(self):
        import time
        delay = parse_retry_after(formatdate(time.time() + 100, usegmt=True))
        assert 95 <= delay <= 100

    @pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "Mon, 99 Foo 2026", True])
    def test_garbage(self, value):
        assert parse_retry_after(value) is None

    def test_headers(self):
        assert retry_after_from_headers({"Retry-After": "9"}) == 9.0
        assert retry_after_from_headers({"retry-after": formatdate(NOW + 5, usegmt=True)}, now=NOW) == 5.0
        assert retry_after_from_headers({"retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
        assert retry_after_from_headers({"x-ms-retry-after-ms": "250"}) == 0.25
        assert retry_after_from_headers({"x-ms-retry-after-ms": "junk", "Retry-After": "3"}) == 3.0
        assert retry_after_from_headers({}) is None
        assert retry_after_from_headers(None) is None


class TestRetryPolicy:
    def test_defaults_match_contract(self):
        p = RetryPolicy()
        assert (p.max_attempts, p.max_total, p.backoff_base, p.backoff_max, p.jitter) == (6, 120.0, 1.0, 30.0, 0.25)
        assert p.statuses == (429, 500, 502, 503, 504)
        assert p.retryable_status(503) and not p.retryable_status(501) and not p.retryable_status(404)

    def test_retry_after_wins_and_is_never_shortened(self):
        p = RetryPolicy(random=lambda: 0.0)
        assert p.delay(1, retry_after=7) == 7.0
        assert p.delay(5, retry_after=300) == 300.0  # longer than backoff_max: the caller decides to give up
        assert p.delay(1, retry_after=0) == 0.0

    def test_exponential_backoff_without_jitter(self):
        p = RetryPolicy(jitter=0.0)
        assert [p.delay(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]

    def test_jitter_bounds(self):
        low = RetryPolicy(random=lambda: 0.0)
        high = RetryPolicy(random=lambda: 1.0)
        assert low.delay(3) == 3.0 and high.delay(3) == 5.0  # 4 s +/- 25 %
        assert high.delay(10) == 30.0  # still capped

    def test_jitter_really_varies(self):
        p = RetryPolicy()
        values = set(round(p.delay(3), 6) for dummy in range(50))
        assert len(values) > 1 and all(3.0 <= v <= 5.0 for v in values)

    def test_from_max_retries(self):
        assert RetryPolicy.from_max_retries(6).max_attempts == 7
        assert RetryPolicy.from_max_retries(0).max_attempts == 1
        assert RetryPolicy.from_max_retries(-2).max_attempts == 1

    def test_bad_max_attempts(self):
        with pytest.raises(ValueError):
            RetryPolicy(max_attempts=0)
