# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from unittest import mock

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.azbackup.restore.plugins.module_utils import _common
from ansible_collections.azbackup.restore.plugins.module_utils._errors import registered_secrets
from ansible_collections.azbackup.restore.plugins.modules import vm_run_command as mod
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import VM, Clock
from ansible_collections.azbackup.restore.tests.unit.plugins.module_utils.test__run_command import (
    AGENT_MESSAGE,
    FakeAzure,
)

BASE = dict(resource_group="rg-prod", vm_name="vm-web-01", script="#!/bin/bash\nsystemctl is-active nginx\n")
SECRET = "Pr0tected-Value-4f2a9c"
RESULT_KEYS = ("rc", "stdout", "stderr", "stdout_lines", "stderr_lines", "execution_state", "start_time", "end_time",
               "vm_id", "run_command_name", "changed", "truncated")


@pytest.fixture
def clock():
    fake = Clock(now=1000.0)
    with mock.patch.object(mod, "_clock", fake), mock.patch.object(mod, "_sleep", fake.sleep):
        yield fake


def run(azure, capsys, check_mode=False, **args):
    args = dict(BASE, **args)
    if check_mode:
        args["_ansible_check_mode"] = True
    with patch_module_args(args), mock.patch.object(_common, "get_client", return_value=azure.client) as gc:
        with pytest.raises(SystemExit) as exc:
            mod.main()
    text = capsys.readouterr().out
    out = json.loads(text)
    out["_rc"] = exc.value.code
    out["_text"] = text
    out["_get_client_calls"] = gc.call_count
    return out


def assert_result_keys(out):
    missing = [k for k in RESULT_KEYS if k not in out]
    assert not missing, missing
    assert out["vm_id"] == VM


# --------------------------------------------------------------------------------------------
# Running


def test_success_returns_the_output_and_deletes_the_run_command(capsys, clock):
    azure = FakeAzure(stdout="active\nok\n", stderr="")
    out = run(azure, capsys, poll_interval=3)
    assert out["_rc"] == 0, out.get("msg")
    assert_result_keys(out)
    assert out["changed"] is True and out["rc"] == 0 and out["execution_state"] == "Succeeded"
    assert out["stdout"] == "active\nok\n" and out["stdout_lines"] == ["active", "ok"] and out["stderr_lines"] == []
    assert out["start_time"] == "2026-11-21T09:12:03Z" and out["end_time"] == "2026-11-21T09:12:05Z"
    assert out["truncated"] is False and re.fullmatch(r"azbackup-[0-9a-f]{12}", out["run_command_name"])
    name = out["run_command_name"]
    assert azure.writes() == [("PUT", "{vm}/runCommands/" + name), ("DELETE", "{vm}/runCommands/" + name)]
    assert azure.commands == {}  # the delete was followed to its end
    assert azure.methods()[-1][1].endswith("/operations/del-1")
    (body,) = azure.sent
    assert body["location"] == "westeurope" and body["properties"]["source"]["script"] == BASE["script"]
    assert body["properties"]["timeoutInSeconds"] == 300 and body["properties"]["asyncExecution"] is False
    assert body["properties"]["treatFailureAsDeploymentFailure"] is False
    assert clock.sleeps == [3] and out["duration"] == 3.0


def test_the_default_name_is_the_same_for_the_same_task(capsys, clock):
    first = run(FakeAzure(), capsys, parameters={"A": "1"})
    again = run(FakeAzure(), capsys, parameters={"A": "1"})
    other = run(FakeAzure(), capsys, parameters={"A": "2"})
    assert first["run_command_name"] == again["run_command_name"] != other["run_command_name"]


def test_non_zero_exit_fails_the_task_keeping_rc_and_output(capsys, clock):
    azure = FakeAzure(exit_code=3, stdout="checking\n", stderr="nginx is inactive\n")
    out = run(azure, capsys)
    assert out["_rc"] == 1 and out["failed"] is True
    assert_result_keys(out)
    assert out["rc"] == 3 and out["execution_state"] == "Failed" and out["changed"] is True
    assert out["stdout_lines"] == ["checking"] and out["stderr"] == "nginx is inactive\n"
    assert out["msg"].startswith("The script on VM vm-web-01 (resource group rg-prod) (run command azbackup-")
    assert "exited with code 3 (execution state Failed)" in out["msg"]
    assert [m[0] for m in azure.writes()] == ["PUT", "DELETE"] and azure.commands == {}


def test_timed_out_fails_with_rc_null(capsys, clock):
    azure = FakeAzure(state="TimedOut", stdout="started\n")
    out = run(azure, capsys, timeout=60)
    assert out["_rc"] == 1
    assert_result_keys(out)
    assert out["rc"] is None and out["execution_state"] == "TimedOut" and out["stdout"] == "started\n"
    assert "timed out after the 60 seconds of timeout (execution state TimedOut)" in out["msg"]
    assert azure.sent[0]["properties"]["timeoutInSeconds"] == 60


def test_agent_not_ready_fails_with_azures_code_message_and_correlation_id(capsys, clock):
    azure = FakeAzure(agent="Not Ready", op_error={"code": "VMAgentStatusCommunicationError", "message": AGENT_MESSAGE})
    out = run(azure, capsys)
    assert out["_rc"] == 1
    assert_result_keys(out)
    assert out["rc"] is None and out["execution_state"] is None and out["changed"] is True
    assert "on VM vm-web-01 (resource group rg-prod) ended Failed before the script ran to an exit code" in out["msg"]
    assert "(VMAgentStatusCommunicationError) VM 'vm-web-01' has not reported status" in out["msg"]
    assert "(correlation id corr-put-1)" in out["msg"]
    assert out["error_code"] == "VMAgentStatusCommunicationError" and out["operation_status"] == "Failed"
    assert [m[0] for m in azure.writes()] == ["PUT", "DELETE"]


def test_wait_timeout_fails_and_keeps_the_run_command(capsys, clock):
    azure = FakeAzure(op_polls=10000)
    out = run(azure, capsys, timeout=30, poll_interval=10)
    assert out["_rc"] == 1 and out["rc"] is None
    assert "Timed out after 330s (wait_timeout)" in out["msg"] and "run the task again" in out["msg"]
    assert [m[0] for m in azure.writes()] == ["PUT"] and len(azure.commands) == 1
    assert clock.now - 1000.0 <= 330


@pytest.mark.parametrize("kw, text", [
    (dict(vm=False), "VM vm-web-01 (resource group rg-prod) does not exist (or its resource group does not): check "
                     "vm_name and resource_group"),
    (dict(power="deallocated"), "VM vm-web-01 (resource group rg-prod) is not running (power state: deallocated)"),
])
def test_vm_missing_or_not_running_fails_before_anything_is_sent(capsys, clock, kw, text):
    azure = FakeAzure(**kw)
    out = run(azure, capsys)
    assert out["_rc"] == 1 and text in out["msg"] and out["option"] == "vm_name"
    assert azure.methods() == [("GET", "{vm}")]
    assert_result_keys(out)
    assert out["changed"] is False and out["rc"] is None


def test_check_mode_reads_the_vm_and_sends_nothing(capsys, clock):
    azure = FakeAzure()
    out = run(azure, capsys, check_mode=True, protected_parameters={"TOKEN": SECRET})
    assert out["_rc"] == 0 and out["changed"] is True and out["rc"] is None
    assert_result_keys(out)
    assert out["msg"].startswith("Check mode: would run the script on VM vm-web-01 (resource group rg-prod) as run "
                                 "command azbackup-") and "nothing was sent" in out["msg"]
    assert azure.methods() == [("GET", "{vm}")]


def test_check_mode_still_refuses_a_vm_that_is_not_running(capsys, clock):
    out = run(FakeAzure(power="starting"), capsys, check_mode=True)
    assert out["_rc"] == 1 and "is not running (power state: starting)" in out["msg"]


def test_keep_true_does_not_delete(capsys, clock):
    azure = FakeAzure()
    out = run(azure, capsys, keep=True, run_command_name="post-restore")
    assert out["_rc"] == 0 and out["run_command_name"] == "post-restore"
    assert azure.writes() == [("PUT", "{vm}/runCommands/post-restore")] and "post-restore" in azure.commands


def test_long_output_is_cut_with_a_marker(capsys, clock):
    azure = FakeAzure(stdout="".join("line %03d\n" % i for i in range(100)), stderr="e" * 50)
    out = run(azure, capsys, output_limit=18)
    assert out["_rc"] == 0 and out["truncated"] is True
    assert out["stdout"] == "[882 earlier characters cut by output_limit=18]\nline 098\nline 099\n"
    assert out["stdout_lines"] == ["[882 earlier characters cut by output_limit=18]", "line 098", "line 099"]
    assert out["stderr"] == "[32 earlier characters cut by output_limit=18]\n" + "e" * 18


# --------------------------------------------------------------------------------------------
# Secrets


@pytest.mark.parametrize("exit_code", [0, 4])
def test_protected_parameters_are_sent_but_never_returned(capsys, clock, exit_code):
    azure = FakeAzure(exit_code=exit_code, stdout="token is %s\n" % SECRET, stderr="bad %s\n" % SECRET)
    out = run(azure, capsys, parameters={"SERVER": "monitor.example.com"}, protected_parameters={"TOKEN": SECRET})
    assert out["_rc"] == (0 if exit_code == 0 else 1)
    props = azure.sent[0]["properties"]
    assert props["protectedParameters"] == [{"name": "TOKEN", "value": SECRET}]
    assert props["parameters"] == [{"name": "SERVER", "value": "monitor.example.com"}]
    assert SECRET not in out["_text"]  # the whole JSON result, messages and echoed output included
    assert SECRET in registered_secrets()  # redacted from the collection's own error texts too
    assert "********" in out["stdout"] and "********" in out["stderr"]
    assert out["invocation"]["module_args"]["parameters"] == {"SERVER": "monitor.example.com"}
    assert out["invocation"]["module_args"]["protected_parameters"] == {"TOKEN": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}


def test_a_refused_protected_parameter_shows_its_name_only(capsys, clock):
    azure = FakeAzure()
    out = run(azure, capsys, protected_parameters={"bad-name": SECRET})
    assert out["_rc"] == 1 and out["option"] == "protected_parameters" and "'bad-name'" in out["msg"]
    assert SECRET not in out["_text"] and azure.client.calls == []


def test_agent_failure_message_never_shows_a_protected_value(capsys, clock):
    azure = FakeAzure(op_error={"code": "VMAgentStatusCommunicationError", "message": "agent said %s" % SECRET})
    out = run(azure, capsys, protected_parameters={"TOKEN": SECRET})
    assert out["_rc"] == 1 and "VMAgentStatusCommunicationError" in out["msg"] and SECRET not in out["_text"]


# --------------------------------------------------------------------------------------------
# Bad input: refused naming the option, before any request


@pytest.mark.parametrize("kw, option", [
    (dict(script=""), "script"),
    (dict(script="   "), "script"),
    (dict(timeout=0), "timeout"),
    (dict(timeout=5401), "timeout"),
    (dict(output_limit=-1), "output_limit"),
    (dict(parameters={"not-an-identifier": "x"}), "parameters"),
    (dict(parameters={"9lives": "x"}), "parameters"),
    (dict(vm_name="../vm-web-01"), "vm_name"),
    (dict(vm_name="vm-web-01/runCommands/x"), "vm_name"),
    (dict(resource_group="rg-prod/../rg-other"), "resource_group"),
    (dict(run_command_name="../../delete-me"), "run_command_name"),
    (dict(run_command_name="x?api-version=1"), "run_command_name"),
    (dict(run_command_name="x%2F..%2Fy"), "run_command_name"),
])
def test_bad_input_is_refused_before_any_request(capsys, clock, kw, option):
    azure = FakeAzure()
    out = run(azure, capsys, **kw)
    assert out["_rc"] == 1 and out["option"] == option and option in out["msg"]
    assert azure.client.calls == [] and out["_get_client_calls"] == 0
