# -*- coding: utf-8 -*-
"""Test-only callback: writes every task result to the JSON file named by AZBACKUP_TEST_RESULTS."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: test_results
type: aggregate
short_description: write task results to a JSON file for the integration tests
description: Writes every task result to the file named by the environment variable AZBACKUP_TEST_RESULTS.
requirements: [enable in configuration]
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "test_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self._tasks = []

    def _add(self, result, state):
        res = dict(result._result)
        res["_state"] = state
        self._tasks.append({"task": result._task.get_name(), "host": result._host.get_name(), "result": res})

    def v2_runner_on_ok(self, result, **kwargs):
        self._add(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._add(result, "failed")

    def v2_runner_on_skipped(self, result, **kwargs):
        self._add(result, "skipped")

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._add(result, "unreachable")

    def v2_runner_item_on_ok(self, result):
        self._add(result, "item_ok")

    def v2_runner_item_on_failed(self, result):
        self._add(result, "item_failed")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("AZBACKUP_TEST_RESULTS")
        if not path:
            return
        summary = dict((h, stats.summarize(h)) for h in sorted(stats.processed.keys()))
        with open(path, "w") as f:
            json.dump({"tasks": self._tasks, "stats": summary}, f, default=str)
