# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Values read once per key by threads that share them.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError


class _Entry(object):
    __slots__ = ("done", "value", "error")

    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error = None


class ReadOnce(object):
    """The first thread that asks for a key reads it; the others wait for its answer, while reads of other
    keys go on. The value, or the error, is kept: every later caller gets the same (an ``AzBackupError`` as
    a copy of its own, so that each caller may reword it)."""

    def __init__(self):
        self._entries = {}
        self._lock = threading.Lock()

    def get(self, key, read):
        """``read()`` the first time ``key`` is asked for; its value (or its error) every time."""
        with self._lock:
            entry = self._entries.get(key)
            first = entry is None
            if first:
                entry = self._entries[key] = _Entry()
        if first:
            try:
                entry.value = read()
            except Exception as e:  # pylint: disable=broad-exception-caught
                entry.error = e
            finally:
                entry.done.set()
        entry.done.wait()
        if isinstance(entry.error, AzBackupError):
            raise entry.error.reworded(entry.error.msg)
        if entry.error is not None:
            raise entry.error
        return entry.value

    def put(self, key, value):
        """Keep ``value`` for ``key``, as if it had been read."""
        entry = _Entry()
        entry.value = value
        entry.done.set()
        with self._lock:
            self._entries[key] = entry
