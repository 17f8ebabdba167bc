# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""When and how long to wait before retrying an HTTP request (provider-neutral).

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import math
import random as _random
import time

from email.utils import parsedate_to_datetime

RETRY_STATUSES = (429, 500, 502, 503, 504)


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date), else ``None``.

    ``now`` is the current time in seconds since the epoch (``time.time()`` when not given); a date
    in the past gives 0.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(0.0, float(value))
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not math.isfinite(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 7231 dates are GMT
        when = when.replace(tzinfo=datetime.timezone.utc)
    if now is None:
        now = time.time()
    return max(0.0, when.timestamp() - now)


def retry_after_from_headers(headers, now=None):
    """The server's requested delay in seconds from ``Retry-After``, ``retry-after-ms`` or
    ``x-ms-retry-after-ms``; ``None`` when it sent none (or garbage)."""
    if not headers:
        return None
    lowered = dict((str(k).lower(), v) for k, v in headers.items())
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        try:
            millis = float(str(lowered.get(name)).strip())
        except ValueError:
            continue
        if math.isfinite(millis):
            return max(0.0, millis / 1000.0)
    return parse_retry_after(lowered.get("retry-after"), now=now)


class RetryPolicy(object):
    """How often and how long an HTTP request is retried.

    ``max_attempts`` counts every attempt (the first one included); ``max_total`` bounds the time
    from the first attempt to the start of the last one. ``delay()`` gives the pause before the
    next attempt.
    """

    def __init__(self, max_attempts=6, max_total=120.0, backoff_base=1.0, backoff_max=30.0, jitter=0.25,
                 statuses=RETRY_STATUSES, random=None):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = int(max_attempts)
        self.max_total = float(max_total)
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.jitter = float(jitter)
        self.statuses = tuple(statuses)
        self._random = random or _random.random

    @classmethod
    def from_max_retries(cls, max_retries, **kwargs):
        """The policy for the ``max_retries`` option: retries after the first attempt (0 = none)."""
        return cls(max_attempts=max(0, int(max_retries)) + 1, **kwargs)

    def retryable_status(self, status_code):
        return status_code in self.statuses

    def delay(self, attempt, retry_after=None):
        """Pause in seconds after failed attempt number ``attempt`` (1 for the first attempt).

        With a server's ``retry_after`` the pause is exactly that (never less, however long: the
        caller gives up instead when it exceeds its time budget); otherwise exponential backoff
        ``backoff_base * 2 ** (attempt - 1)`` spread by +/- ``jitter`` and capped by ``backoff_max``.
        """
        if retry_after is not None:
            return max(0.0, float(retry_after))
        exponent = max(0, int(attempt) - 1)
        base = self.backoff_base * (2 ** min(exponent, 32))
        spread = 1.0 + self.jitter * (2.0 * self._random() - 1.0)
        return max(0.0, min(self.backoff_max, base * spread))
