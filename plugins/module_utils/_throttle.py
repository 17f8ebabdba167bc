# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How the threads sharing one Resource Manager client pace their requests after a 429.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import itertools
import threading

# While a pause releases the waiting requests, each looks again at least this often (seconds), so
# that a spacing halved meanwhile takes effect at once.
POLL = 0.25
# A spacing below this (seconds) ends the pause: the requests go freely again.
FLOOR = 0.05


class Pacer(object):
    """The pause every thread sharing a client keeps after Azure throttled one of them (HTTP 429):
    ARM throttles per caller, not per thread. A slow start:

    * after a 429 with ``Retry-After`` D (``pause(D)``) no request starts within D seconds;
    * then the waiting requests go one at a time, D seconds apart at first, first come first served (a
      retry keeps the place of the call it retries); each answer other than a 429 to a request so
      released halves that spacing;
    * once the spacing is below ``floor``, or an answer comes while no request waits, the pause is over;
    * a 429 meanwhile pauses every request again, with its own ``Retry-After`` as the spacing.

    An answer to a request sent before the ``Retry-After`` ran out (before the pause) changes nothing.
    ``sleep`` and ``clock`` are the client's (``time.sleep`` and ``time.monotonic``, or a test's).
    """

    def __init__(self, sleep, clock, poll=POLL, floor=FLOOR):
        self._sleep = sleep
        self._clock = clock
        self.poll = poll
        self.floor = floor
        self._lock = threading.Lock()
        self._not_before = None  # no request starts before (None: no pause)
        self._spacing = 0.0  # seconds between two released requests
        self._next = 0.0  # when the first waiting request may go
        self._released = None  # when the last one went (None: none yet since the last 429)
        self._queue = []  # ``(since, ticket)`` of each waiting request, sorted: the call that began first goes first
        self._tickets = itertools.count()

    def pause(self, delay):
        """After a 429 asking for ``delay`` seconds: no request starts before then, and the spacing
        starts again at ``delay`` (429s answered before the pause's end: the longest wins)."""
        with self._lock:
            now = self._clock()
            until = now + delay
            if self._not_before is not None and now < self._not_before:
                self._spacing = max(self._spacing, delay)
                self._not_before = max(self._not_before, until)
            else:
                self._spacing = delay
                self._not_before = until
            self._next = self._not_before
            self._released = None

    def wait_turn(self, since=None):
        """Return when the request about to start may go: at once when no pause holds, else at its turn.
        ``since``: when the call it belongs to began (its first attempt), which places it in the queue."""
        with self._lock:
            if self._not_before is None:
                return
            ticket = (self._clock() if since is None else since, next(self._tickets))
            bisect.insort(self._queue, ticket)
        try:
            while True:
                with self._lock:
                    wait = self._wait(ticket)
                if wait is None:
                    return
                self._sleep(wait)
        finally:  # whatever happens (an interrupted sleep), the others do not wait for this one
            with self._lock:
                if ticket in self._queue:
                    self._queue.remove(ticket)

    def _wait(self, ticket):
        """``None`` when the request holding ``ticket`` goes now, else the seconds it sleeps before it
        looks again (under the lock)."""
        if self._not_before is None:
            return None
        now = self._clock()
        if now < self._not_before:
            return self._not_before - now  # no answer can end this part of the pause sooner
        if now >= self._next:
            if self._queue[0] == ticket:
                self._queue.pop(0)
                self._released = now
                self._next = now + self._spacing
                return None
            # the first in the queue goes now: the next one at the earliest half a spacing later
            return min(self.poll, max(self._spacing / 2, self.floor))
        soonest = self._next
        if self._released is not None and now < self._released + self._spacing / 2:
            soonest = min(soonest, self._released + self._spacing / 2)  # should an answer halve it
        return min(self.poll, soonest - now)

    def answered(self, started):
        """An answer other than a 429 to a request that started at ``started``: when it went during
        the pause (after its ``Retry-After``), the spacing halves, and below ``floor`` or with no
        request waiting the pause is over."""
        with self._lock:
            if self._not_before is None or started < self._not_before:
                return
            self._spacing /= 2
            if self._spacing < self.floor or not self._queue:
                self._not_before = None
                self._released = None
            else:
                last = self._not_before if self._released is None else self._released
                self._next = min(self._next, last + self._spacing)
