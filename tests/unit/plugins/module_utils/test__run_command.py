# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

import pytest

from ansible_collections.azbackup.restore.plugins.module_utils import _run_command as rc
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    OperationFailedError,
    OperationTimeoutError,
    ValidationError,
)
from ansible_collections.azbackup.restore.tests.unit.plugins.conftest import ARM, SUB, VM, Clock, FakeClient

OPS = ARM + "/subscriptions/%s/providers/Microsoft.Compute/locations/westeurope/operations/" % SUB
AGENT_MESSAGE = ("VM 'vm-web-01' has not reported status for VM agent or extensions. Verify that the OS is up and "
                 "healthy, the VM has a running VM agent, and that it can establish outbound connections to Azure "
                 "storage.")


class FakeAzure(object):
    """Azure Resource Manager for one VM (``conftest.VM``) and its run commands, as the contract describes
    them; ``handler`` answers a ``FakeClient``. ``outcome``: what the script does (``exit_code``, ``stdout``,
    ``stderr``, ``state``); ``op_polls``: polls of an operation before it ends; ``op_error``: the operation
    ends Failed with this ``{code, message}``."""

    def __init__(self, vm=True, power="running", provisioning="Succeeded", agent="Ready", op_polls=2,
                 op_error=None, delete_answer=None, group=True, **outcome):
        self.vm = vm
        self.group = group  # False: the VM's resource group does not exist
        self.power = power
        self.provisioning = provisioning
        self.agent = agent
        self.op_polls = op_polls
        self.op_error = op_error
        self.delete_answer = delete_answer
        self.outcome = dict(exit_code=0, stdout="", stderr="", state=None)
        self.outcome.update(outcome)
        self.commands = {}
        self.ops = {}
        self.sent = []  # the PUT bodies, as sent
        self.client = FakeClient(self.handler)

    # -- what the tests look at -------------------------------------------------------------------
    def methods(self):
        """The requests as (method, path without the VM id) in order."""
        out = []
        for method, url, dummy, dummy2, dummy3 in self.client.calls:
            out.append((method, url.replace(ARM, "").replace(VM, "{vm}").split("?")[0]))
        return out

    def writes(self):
        return [m for m in self.methods() if m[0] in ("PUT", "DELETE", "POST", "PATCH")]

    def put_running(self, name, start="2026-11-21T09:00:00Z"):
        self.commands[name] = self._resource(name, "Updating", {"executionState": "Running", "startTime": start})
        self.ops["attach"] = dict(left=self.op_polls, command=name, kind="put")

    def put_done(self, name, start="2026-11-21T08:00:00Z"):
        self.commands[name] = self._resource(name, "Succeeded", {
            "executionState": "Succeeded", "exitCode": 0, "output": "old", "error": "", "startTime": start,
            "endTime": start})

    # -- the fake ---------------------------------------------------------------------------------
    def handler(self, method, url, params, body):
        path = url.replace(ARM, "")
        if path.startswith(OPS.replace(ARM, "")):
            return self._operation(path.split("?")[0].rsplit("/", 1)[1])
        if path == VM:
            return self._vm()
        m = re.match(re.escape(VM) + r"/runCommands/([^/?]+)$", path)
        if m and method == "GET":
            return self._get(m.group(1))
        if m and method == "PUT":
            return self._put(m.group(1), body)
        if m and method == "DELETE":
            return self._delete(m.group(1))
        return 400, {}, {"error": {"code": "Unexpected", "message": "%s %s" % (method, url)}}

    def _vm(self):
        if not self.group:
            return 404, {"x-ms-correlation-request-id": "corr-rg"}, {"error": {
                "code": "ResourceGroupNotFound", "message": "Resource group 'rg-prod' could not be found."}}
        if not self.vm:
            return 404, {"x-ms-correlation-request-id": "corr-vm"}, {"error": {
                "code": "ResourceNotFound", "message": "The Resource 'Microsoft.Compute/virtualMachines/vm-web-01' "
                "under resource group 'rg-prod' was not found."}}
        agent = {"vmAgentVersion": "2.9.1.1", "statuses": [{"code": "ProvisioningState/succeeded",
                                                            "displayStatus": "Ready", "message": "Guest Agent is running"}]}
        if self.agent != "Ready":
            agent = {"vmAgentVersion": "Unknown", "statuses": [{
                "code": "ProvisioningState/Unavailable", "displayStatus": "Not Ready",
                "message": "VM status blob is found but not yet populated."}]}
        return 200, {}, {"id": VM, "name": "vm-web-01", "location": "westeurope", "properties": {
            "provisioningState": self.provisioning, "storageProfile": {"osDisk": {"osType": "Linux"}},
            "instanceView": {"statuses": [{"code": "ProvisioningState/succeeded"},
                                          {"code": "PowerState/%s" % self.power}], "vmAgent": agent}}}

    def _resource(self, name, provisioning, view=None):
        res = {"id": VM + "/runCommands/" + name, "name": name, "location": "westeurope",
               "type": "Microsoft.Compute/virtualMachines/runCommands",
               "properties": {"provisioningState": provisioning}}
        if view is not None:
            res["properties"]["instanceView"] = view
        return res

    def _get(self, name):
        if name not in self.commands:
            return 404, {}, {"error": {"code": "NotFound", "message": "The entity was not found."}}
        return 200, {}, copy.deepcopy(self.commands[name])

    def _put(self, name, body):
        self.sent.append(copy.deepcopy(body))
        status = 200 if name in self.commands else 201
        props = dict((k, v) for k, v in body["properties"].items() if k != "protectedParameters")
        res = self._resource(name, "Updating" if status == 200 else "Creating")
        res["properties"].update(props)
        self.commands[name] = res
        op_id = "op-%d" % len(self.ops)
        self.ops[op_id] = dict(left=self.op_polls, command=name, kind="put")
        return status, {"Azure-AsyncOperation": OPS + op_id + "?api-version=2024-03-01",
                        "x-ms-correlation-request-id": "corr-put-1"}, copy.deepcopy(res)

    def _finish_put(self, name):
        res = self.commands[name]
        if self.op_error:
            res["properties"]["provisioningState"] = "Failed"
            res["properties"]["instanceView"] = {"executionState": "Unknown"}
            return
        out = self.outcome
        state = out["state"] or ("Succeeded" if out["exit_code"] == 0 else "Failed")
        res["properties"]["provisioningState"] = "Succeeded"
        res["properties"]["instanceView"] = {
            "executionState": state, "executionMessage": "", "exitCode": -1 if state == "TimedOut" else out["exit_code"],
            "output": out["stdout"], "error": out["stderr"], "startTime": "2026-11-21T09:12:03Z",
            "endTime": "2026-11-21T09:12:05Z", "statuses": []}

    def _operation(self, op_id):
        op = self.ops[op_id]
        if op["left"] > 1:
            op["left"] -= 1
            return 200, {}, {"name": op_id, "status": "InProgress", "startTime": "2026-11-21T09:12:00Z"}
        if op["kind"] == "delete":
            self.commands.pop(op["command"], None)
            return 200, {}, {"name": op_id, "status": "Succeeded"}
        self._finish_put(op["command"])
        if self.op_error:
            return 200, {}, {"name": op_id, "status": "Failed", "error": dict(self.op_error)}
        return 200, {}, {"name": op_id, "status": "Succeeded", "endTime": "2026-11-21T09:12:06Z"}

    def _delete(self, name):
        if self.delete_answer is not None:
            return self.delete_answer
        if name not in self.commands:
            return 204, {}, None
        op_id = "del-%d" % len(self.ops)
        self.ops[op_id] = dict(left=1, command=name, kind="delete")
        return 202, {"Azure-AsyncOperation": OPS + op_id + "?api-version=2024-03-01",
                     "Location": OPS.replace("operations", "operationResults") + op_id}, None


def params(**kw):
    base = dict(resource_group="rg-prod", vm_name="vm-web-01", script="echo hello", parameters=None,
                protected_parameters=None, run_command_name=None, timeout=300, wait_timeout=None, poll_interval=None,
                keep=False, output_limit=4096)
    base.update(kw)
    return base


def runner(azure, timeout=600, poll_interval=None, warnings=None):
    clock = Clock(now=100.0)
    poll = dict(interval=poll_interval, min_interval=poll_interval, max_interval=poll_interval,
                backoff=1.0) if poll_interval else {}
    run = rc.RunCommandRunner(azure.client, VM, timeout, poll=poll, sleep=clock.sleep, clock=clock,
                              warn=(warnings.append if warnings is not None else None))
    return run, clock


# --------------------------------------------------------------------------------------------
# Options


def test_default_name_is_deterministic_and_ignores_protected_values():
    one = rc.check_options(params(parameters={"B": "2", "A": 1}, protected_parameters={"TOKEN": "secret-one"}))
    same = rc.check_options(params(parameters={"A": "1", "B": 2}, protected_parameters={"TOKEN": "secret-two"}))
    assert re.fullmatch(r"azbackup-[0-9a-f]{12}", one.name)
    assert one.name == same.name
    assert rc.check_options(params(script="echo other", parameters={"A": 1, "B": 2})).name != one.name
    assert rc.check_options(params(parameters={"A": 1, "B": 3}, protected_parameters={"TOKEN": "x"})).name != one.name
    assert rc.check_options(params(parameters={"A": 1, "B": 2}, protected_parameters={"KEY": "x"})).name != one.name
    assert rc.check_options(params(run_command_name="mine")).name == "mine"
    assert "secret" not in one.name and rc.default_name("echo hello", [], []) == rc.check_options(params()).name


def test_body_sorts_parameters_and_sends_protected_ones_apart():
    spec = rc.check_options(params(script="run", parameters={"b": "x", "a": True, "C": 3},
                                   protected_parameters={"pw": "Secret-123456"}, timeout=42))
    assert spec.body("westeurope") == {"location": "westeurope", "properties": {
        "source": {"script": "run"},
        "parameters": [{"name": "C", "value": "3"}, {"name": "a", "value": "true"}, {"name": "b", "value": "x"}],
        "protectedParameters": [{"name": "pw", "value": "Secret-123456"}],
        "asyncExecution": False, "timeoutInSeconds": 42, "treatFailureAsDeploymentFailure": False}}
    assert spec.secret_values() == ["Secret-123456"]


@pytest.mark.parametrize("kw, option, text", [
    (dict(script=""), "script", "script is empty"),
    (dict(script="  \n "), "script", "script is empty"),
    (dict(timeout=0), "timeout", "1 to 5400"),
    (dict(timeout=5401), "timeout", "1 to 5400"),
    (dict(output_limit=-1), "output_limit", "0 or more"),
    (dict(wait_timeout=0), "wait_timeout", "at least 1"),
    (dict(poll_interval=0), "poll_interval", "at least 1"),
    (dict(parameters={"1abc": "x"}), "parameters", "'1abc'"),
    (dict(parameters={"a-b": "x"}), "parameters", "'a-b'"),
    (dict(parameters={"": "x"}), "parameters", "''"),
    (dict(parameters={"a b": "x"}), "parameters", "'a b'"),
    (dict(parameters={5: "x"}), "parameters", "5"),
    (dict(parameters={"ok": {"nested": 1}}), "parameters", "parameters.ok must be a string"),
    (dict(parameters={"ok": None}), "parameters", "got nothing"),
    (dict(protected_parameters={"bad name": "Secret-123456"}), "protected_parameters", "'bad name'"),
    (dict(parameters={"TOKEN": "a"}, protected_parameters={"token": "b"}), "protected_parameters", "both name"),
    (dict(run_command_name="../x"), "run_command_name", None),
    (dict(run_command_name="a/b"), "run_command_name", None),
    (dict(run_command_name="x?y"), "run_command_name", None),
    (dict(run_command_name="a%2Fb"), "run_command_name", None),
    (dict(run_command_name="ends."), "run_command_name", None),
    (dict(run_command_name="tab\tname"), "run_command_name", None),
    (dict(vm_name="../other"), "vm_name", None),
    (dict(vm_name="vm\u202ename"), "vm_name", None),
    (dict(resource_group="rg/../x"), "resource_group", None),
])
def test_bad_input_is_refused_naming_the_option(kw, option, text):
    with pytest.raises(ValidationError) as e:
        rc.check_options(params(**kw))
    assert e.value.option == option
    assert text is None or text in e.value.msg


def test_refusal_of_a_protected_parameter_never_shows_its_value():
    with pytest.raises(ValidationError) as e:
        rc.check_options(params(protected_parameters={"ok": "Secret-123456", "bad-name": "Other-secret-99"}))
    assert "Secret-123456" not in e.value.msg and "Other-secret-99" not in e.value.msg
    assert "'bad-name'" in e.value.msg


def test_wait_timeout_defaults_to_timeout_plus_300():
    assert rc.wait_timeout(params(timeout=60)) == 360
    assert rc.wait_timeout(params(timeout=60, wait_timeout=90)) == 90


# --------------------------------------------------------------------------------------------
# Output


def test_cut_output_keeps_the_end_and_says_how_much_was_cut():
    assert rc.cut_output("abc", 3) == ("abc", 0)
    text, cut = rc.cut_output("0123456789", 4)
    assert cut == 6 and text == "[6 earlier characters cut by output_limit=4]\n6789"
    assert rc.cut_output("abc", 0) == ("[3 earlier characters cut by output_limit=0]\n", 3)
    assert rc.cut_output(None, 10) == ("", 0)


def test_outcome_rc_only_for_an_exit_code():
    done = rc.normalize_view({"properties": {"provisioningState": "Succeeded", "instanceView": {
        "executionState": "Failed", "exitCode": 3, "output": "a\nb\n", "error": "oops\n", "startTime": "s",
        "endTime": "e"}}})
    out = rc.outcome(done, 4096)
    assert out == dict(rc=3, stdout="a\nb\n", stderr="oops\n", stdout_lines=["a", "b"], stderr_lines=["oops"],
                       execution_state="Failed", start_time="s", end_time="e", truncated=False)
    timed_out = dict(done, execution_state="TimedOut", exit_code=-1)
    assert rc.outcome(timed_out, 4096)["rc"] is None
    assert rc.empty_outcome()["rc"] is None and rc.empty_outcome()["stdout_lines"] == []
    assert rc.outcome(dict(done, stdout="x" * 10), 4)["truncated"] is True


@pytest.mark.parametrize("state, code, text", [
    ("Failed", 3, "exited with code 3 (execution state Failed)"),
    ("TimedOut", None, "timed out after the 300 seconds of timeout"),
    ("Canceled", None, "ended with execution state Canceled and no exit code"),
    ("Succeeded", 1, "exited with code 1 (execution state Succeeded)"),
])
def test_check_outcome_fails_like_command(state, code, text):
    with pytest.raises(rc.ScriptFailedError) as e:
        rc.check_outcome(dict(execution_state=state, rc=code), VM, "azbackup-x", 300)
    assert "VM vm-web-01 (resource group rg-prod)" in e.value.msg and text in e.value.msg
    assert e.value.to_fail_kwargs()["rc"] == code
    rc.check_outcome(dict(execution_state="Succeeded", rc=0), VM, "azbackup-x", 300)


# --------------------------------------------------------------------------------------------
# The VM


def test_running_vm_is_read_with_its_instance_view():
    azure = FakeAzure()
    state = rc.read_running_vm(azure.client, VM)
    assert state["location"] == "westeurope" and state["agent"]["status"] == "Ready"
    assert azure.client.calls[0][3] == {"$expand": "instanceView"}


@pytest.mark.parametrize("kw, text", [
    (dict(vm=False), "VM vm-web-01 (resource group rg-prod) does not exist"),
    (dict(power="deallocated"), "is not running (power state: deallocated)"),
    (dict(power="stopped"), "is not running (power state: stopped)"),
    (dict(provisioning="Deleting"), "is being deleted"),
])
def test_vm_missing_or_not_running_is_refused(kw, text):
    azure = FakeAzure(**kw)
    with pytest.raises(ValidationError) as e:
        rc.read_running_vm(azure.client, VM)
    assert e.value.option == "vm_name" and text in e.value.msg and "nothing was sent" in e.value.msg
    assert azure.writes() == []


def test_vm_in_a_missing_resource_group_is_refused_naming_resource_group():
    azure = FakeAzure(group=False)
    with pytest.raises(ValidationError) as e:
        rc.read_running_vm(azure.client, VM)
    assert e.value.option == "resource_group"
    assert e.value.msg.startswith("VM vm-web-01 (resource group rg-prod) cannot be read, nothing was sent: resource "
                                  "group rg-prod does not exist (check resource_group): (ResourceGroupNotFound) "
                                  "Resource group 'rg-prod' could not be found. (correlation id corr-rg)")
    assert e.value.to_fail_kwargs()["error_code"] == "ResourceGroupNotFound"
    assert azure.writes() == []


# --------------------------------------------------------------------------------------------
# The run


def test_success_puts_follows_reads_deletes_and_follows_the_delete():
    azure = FakeAzure(stdout="hello\n", op_polls=2)
    run, clock = runner(azure, poll_interval=5)
    spec = rc.check_options(params(parameters={"A": "1"}))
    view = run.run(spec, "westeurope")
    name = spec.name
    assert view["execution_state"] == "Succeeded" and view["exit_code"] == 0 and view["stdout"] == "hello\n"
    assert azure.methods() == [
        ("GET", "{vm}/runCommands/" + name),
        ("PUT", "{vm}/runCommands/" + name),
        ("GET", OPS.replace(ARM, "") + "op-0"), ("GET", OPS.replace(ARM, "") + "op-0"),
        ("GET", "{vm}/runCommands/" + name),
        ("DELETE", "{vm}/runCommands/" + name),
        ("GET", OPS.replace(ARM, "") + "del-1"),
    ]
    assert azure.client.calls[4][3] == {"$expand": "instanceView"}
    assert azure.client.calls[1][2] == "2024-03-01"
    assert name not in azure.commands and run.changed is True and clock.sleeps == [5]


def test_keep_leaves_the_run_command():
    azure = FakeAzure()
    run, dummy = runner(azure)
    spec = rc.check_options(params(run_command_name="kept"))
    run.run(spec, "westeurope", keep=True)
    assert azure.writes() == [("PUT", "{vm}/runCommands/kept")]
    assert azure.commands["kept"]["properties"]["provisioningState"] == "Succeeded"


def test_non_zero_exit_is_returned_and_the_run_command_deleted():
    azure = FakeAzure(exit_code=2, stdout="partial\n", stderr="boom\n")
    run, dummy = runner(azure)
    view = run.run(rc.check_options(params()), "westeurope")
    assert view["execution_state"] == "Failed" and view["exit_code"] == 2 and view["stderr"] == "boom\n"
    assert [m[0] for m in azure.writes()] == ["PUT", "DELETE"] and azure.commands == {}


def test_agent_not_ready_fails_with_azure_code_message_and_correlation_id_and_cleans_up():
    azure = FakeAzure(agent="Not Ready", op_error={"code": "VMAgentStatusCommunicationError", "message": AGENT_MESSAGE})
    run, dummy = runner(azure)
    vm = rc.read_running_vm(azure.client, VM)
    with pytest.raises(OperationFailedError) as e:
        run.run(rc.check_options(params(run_command_name="rc1")), vm["location"], agent=vm["agent"])
    msg = e.value.msg
    assert "Run command rc1 on VM vm-web-01 (resource group rg-prod) ended Failed before the script ran" in msg
    assert "(VMAgentStatusCommunicationError) VM 'vm-web-01' has not reported status" in msg
    assert "(correlation id corr-put-1)" in msg and "Not Ready (VM status blob is found but not yet populated.)" in msg
    assert e.value.to_fail_kwargs()["error_code"] == "VMAgentStatusCommunicationError"
    assert [m[0] for m in azure.writes()] == ["PUT", "DELETE"] and azure.commands == {}
    assert run.changed is True


def test_operation_timeout_keeps_the_run_command_for_a_re_run():
    azure = FakeAzure(op_polls=1000)
    run, clock = runner(azure, timeout=60, poll_interval=10)
    with pytest.raises(OperationTimeoutError) as e:
        run.run(rc.check_options(params(run_command_name="slow")), "westeurope")
    assert "Timed out after 60s (wait_timeout) waiting for run command slow on VM vm-web-01" in e.value.msg
    assert "run the task again to wait for it" in e.value.msg and e.value.operation_url
    assert [m[0] for m in azure.writes()] == ["PUT"] and "slow" in azure.commands
    assert clock.now - 100.0 <= 60


def test_a_running_run_command_is_attached_to_not_started_again():
    azure = FakeAzure()
    azure.put_running("rc1")
    polls = []

    def finish_after_two_reads(method, url, p, body):
        if method == "GET" and url.endswith("/runCommands/rc1"):
            polls.append(url)
            if len(polls) == 3:
                azure._finish_put("rc1")
        return FakeAzure.handler(azure, method, url, p, body)

    azure.client.handler = finish_after_two_reads
    warnings = []
    run, clock = runner(azure, poll_interval=7, warnings=warnings)
    view = run.run(rc.check_options(params(run_command_name="rc1")), "westeurope")
    assert view["execution_state"] == "Succeeded"
    assert [m[0] for m in azure.writes()] == ["DELETE"]  # no PUT
    assert run.attached and run.changed and clock.sleeps == [7]
    assert "was still running" in warnings[0]


def test_a_finished_run_command_of_that_name_is_removed_and_run_anew_and_a_stale_result_is_warned():
    azure = FakeAzure()
    azure.put_done("rc1", start="2026-11-21T09:12:03Z")  # the start time the fake reports for the new run too
    warnings = []
    run, dummy = runner(azure, warnings=warnings)
    run.run(rc.check_options(params(run_command_name="rc1")), "westeurope")
    assert [m[0] for m in azure.writes()] == ["DELETE", "PUT", "DELETE"]
    assert len(warnings) == 1 and "may not have run the script again" in warnings[0]


def test_failed_delete_is_a_warning_not_a_failure():
    azure = FakeAzure(delete_answer=(403, {}, {"error": {"code": "AuthorizationFailed", "message": "no delete"}}))
    warnings = []
    run, dummy = runner(azure, warnings=warnings)
    view = run.run(rc.check_options(params(run_command_name="rc1")), "westeurope")
    assert view["exit_code"] == 0
    assert "Run command rc1 stays on VM vm-web-01 (resource group rg-prod)" in warnings[0]
    assert "(AuthorizationFailed) no delete" in warnings[0]
    assert "az vm run-command delete --name rc1 --vm-name vm-web-01 --resource-group rg-prod" in warnings[0]


def test_a_delete_still_running_at_the_deadline_is_a_warning():
    azure = FakeAzure(op_polls=1)
    warnings = []
    run, clock = runner(azure, timeout=60, poll_interval=10, warnings=warnings)
    original = azure._delete

    def slow_delete(name):
        answer = original(name)
        azure.ops["del-1"]["left"] = 1000
        clock.now += 60  # the script used up the time
        return answer

    azure._delete = slow_delete
    view = run.run(rc.check_options(params(run_command_name="rc1")), "westeurope")
    assert view["exit_code"] == 0 and "rc1" in azure.commands
    assert warnings == ["Azure accepted the deletion of run command rc1 of VM vm-web-01 (resource group rg-prod) but "
                        "had not finished it when wait_timeout ran out; it goes on in Azure"]


def test_put_refused_by_azure_names_the_vm_and_deletes_nothing():
    azure = FakeAzure()
    azure.client.handler = lambda m, u, p, b: (409, {"x-ms-correlation-request-id": "corr-409"}, {"error": {
        "code": "OperationNotAllowed", "message": "Operation 'Create or update run command' is not allowed on VM "
        "'vm-web-01' since the VM is not running."}}) if m == "PUT" else FakeAzure.handler(azure, m, u, p, b)
    run, dummy = runner(azure)
    with pytest.raises(Exception) as e:
        run.run(rc.check_options(params(run_command_name="rc1")), "westeurope")
    assert "Azure refused to run the script on VM vm-web-01 (resource group rg-prod) (run command rc1)" in e.value.msg
    assert "(OperationNotAllowed)" in e.value.msg and "corr-409" in e.value.msg
    assert [m[0] for m in azure.writes()] == ["PUT"] and run.changed is False
