# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError
from ansible_collections.azbackup.restore.plugins.module_utils._read_once import ReadOnce


def in_threads(n, target):
    """Run ``target(i)`` in ``n`` threads; their results or exceptions, in order."""
    out = [None] * n

    def run(i):
        try:
            out[i] = ("ok", target(i))
        except Exception as e:  # pylint: disable=broad-exception-caught
            out[i] = ("error", e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out


def test_a_key_is_read_once_however_many_threads_ask():
    once, calls, asked = ReadOnce(), [], threading.Barrier(8)

    def read():
        calls.append(1)
        return {"id": "vault"}

    def ask(i):
        asked.wait(5)
        return once.get(("vault", "v1"), read)

    assert in_threads(8, ask) == [("ok", {"id": "vault"})] * 8
    assert len(calls) == 1


def test_other_keys_are_read_while_one_is_on_its_way():
    once, both = ReadOnce(), threading.Barrier(2)

    def read(name):
        both.wait(5)  # breaks unless the two reads are on their way at the same time
        return name

    assert in_threads(2, lambda i: once.get(i, lambda: read("k%d" % i))) == [("ok", "k0"), ("ok", "k1")]


def test_an_azure_error_is_kept_and_every_caller_gets_its_own_copy():
    once, calls = ReadOnce(), []

    def read():
        calls.append(1)
        raise AzureApiError("Forbidden", status_code=403, error_code="AuthorizationFailed")

    errors = []
    for dummy in range(3):
        with pytest.raises(AzureApiError) as e:
            once.get("k", read)
        errors.append(e.value)
    assert len(calls) == 1
    assert [(x.status_code, x.error_code) for x in errors] == [(403, "AuthorizationFailed")] * 3
    assert len(set(id(x) for x in errors)) == 3


def test_another_error_reaches_the_threads_that_waited_too():
    once, started, release = ReadOnce(), threading.Event(), threading.Event()

    def read():
        started.set()
        release.wait(5)
        raise KeyError("properties")

    def ask(i):
        if i:
            started.wait(5)
        else:
            threading.Timer(0.2, release.set).start()
        return once.get("k", read)

    out = in_threads(3, ask)
    assert [kind for kind, error in out] == ["error"] * 3
    assert all(isinstance(error, KeyError) for kind, error in out)


def test_a_value_put_is_not_read():
    once = ReadOnce()
    once.put("k", None)
    assert once.get("k", lambda: pytest.fail("read")) is None
