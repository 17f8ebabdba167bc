# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A script run inside an Azure VM with the managed Run Command API (``{vm}/runCommands/{name}``).

Internal to this collection: not a public API, may change at any time.

The managed form is used, not the action form (``POST {vm}/runCommand`` with ``RunShellScript`` /
``RunPowerShellScript``): the action form reports no exit status (Azure/azure-cli#14425, #29750),
while a managed run command's instance view has ``executionState`` and ``exitCode``.

Sequence (``RunCommandRunner.run``): read the run command of that name (one left running by an
interrupted task is waited for, not started twice), PUT it with ``asyncExecution: false``, follow
its ``Azure-AsyncOperation``, read it with ``$expand=instanceView`` until its execution has ended,
then DELETE it and follow the delete (unless kept). Nothing here knows Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import re
import time

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as versions
from ansible_collections.azbackup.restore.plugins.module_utils import _compute
from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    OperationFailedError,
    OperationTimeoutError,
    ValidationError,
)

# Seconds a script may run (timeoutInSeconds). 90 minutes is the longest run Microsoft documents for
# a run command that is waited for: "The maximum time a script can run is 90 minutes" (action Run
# Command, https://learn.microsoft.com/azure/virtual-machines/linux/run-command#restrictions), and
# "the default timeout of 90 minutes" of managed Run Command, longer only with asyncExecution
# (https://learn.microsoft.com/azure/virtual-machines/windows/run-command-managed), which is not used here.
TIMEOUT_MIN = 1
TIMEOUT_MAX = 5400
DEFAULT_TIMEOUT = 300
# Seconds the task waits beyond ``timeout`` by default (delivery to the VM agent, status upload, delete).
WAIT_MARGIN = 300
# Characters kept of stdout and of stderr; Azure itself keeps only the last 4 KB of each.
DEFAULT_OUTPUT_LIMIT = 4096

NAME_PREFIX = "azbackup-"
# Environment variable names on Linux, parameter names of the script on Windows.
_PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}", re.ASCII)

# executionState values of a run command's instance view.
SUCCEEDED = "Succeeded"
RUNNING_STATES = ("pending", "running")
_PROVISIONING_DONE = ("succeeded", "failed", "canceled", "cancelled")
AGENT_ERROR_CODES = ("VMAgentStatusCommunicationError",)


class ScriptFailedError(AzBackupError):
    """The script ended, but not with exit code 0 and ``executionState`` ``Succeeded``."""

    def __init__(self, msg, execution_state=None, exit_code=None):
        self.execution_state = execution_state
        self.exit_code = exit_code
        super(ScriptFailedError, self).__init__(msg)

    def _fail_extras(self):
        return dict(execution_state=self.execution_state, rc=self.exit_code)


class RunCommandSpec(object):
    """What to run: the checked options (``check_options`` builds it, with no network)."""

    def __init__(self, script, parameters, protected_parameters, timeout, name, output_limit):
        self.script = script
        self.parameters = parameters  # [{"name", "value"}] sorted by name
        self.protected_parameters = protected_parameters  # the same; secret values
        self.timeout = timeout
        self.name = name
        self.output_limit = output_limit

    def body(self, location):
        """The PUT body (``protectedParameters`` holds the secrets: never log it)."""
        props = {"source": {"script": self.script}, "parameters": self.parameters,
                 "protectedParameters": self.protected_parameters, "asyncExecution": False,
                 "timeoutInSeconds": self.timeout, "treatFailureAsDeploymentFailure": False}
        return {"location": location, "properties": props}

    def secret_values(self):
        return [p["value"] for p in self.protected_parameters if p["value"]]


# --------------------------------------------------------------------------------------------
# Options (no network)


def _show_name(name):
    text = repr(name)
    return text if len(text) <= 60 else text[:60] + "..."


def _parameter_value(option, name, value):
    """The value as Azure takes it (a string); a refusal naming ``option`` for a missing or nested value."""
    if value is None or isinstance(value, (dict, list, tuple, set)):
        raise ValidationError("%s.%s must be a string, a number or a boolean, got %s" % (
            option, name, "nothing" if value is None else type(value).__name__), option=option)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parameter_list(value, option):
    """``{name: value}`` as ``[{"name", "value"}]`` sorted by name; a refusal naming ``option`` for a
    name that is not an identifier (letters, digits and ``_``, not starting with a digit). The error
    names the parameter, never its value."""
    out = []
    for name in sorted(value or {}, key=str):
        if not isinstance(name, str) or not _PARAMETER_NAME.fullmatch(name):
            raise ValidationError(
                "%s has the parameter name %s: a name must be 1 to 128 letters, digits and '_', not starting "
                "with a digit (an environment variable on Linux, a script parameter on Windows)"
                % (option, _show_name(name)), option=option)
        out.append({"name": name, "value": _parameter_value(option, name, value[name])})
    return out


def _check_no_overlap(parameters, protected):
    public = set(p["name"].lower() for p in parameters)
    both = sorted(p["name"] for p in protected if p["name"].lower() in public)
    if both:
        raise ValidationError("parameters and protected_parameters both name %s: give each parameter once"
                              % ", ".join(both), option="protected_parameters")


def default_name(script, parameters, protected_names):
    """``azbackup-`` and 12 hex digits of a SHA-256 of the script, the parameters and the names (never
    the values) of the protected parameters: the same task gets the same run command again."""
    identity = json.dumps({"script": script, "parameters": [[p["name"], p["value"]] for p in parameters],
                           "protected_parameters": sorted(protected_names)}, sort_keys=True)
    return NAME_PREFIX + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:12]


def _check_numbers(params):
    timeout = params.get("timeout")
    if timeout is None or not TIMEOUT_MIN <= timeout <= TIMEOUT_MAX:
        raise ValidationError("timeout must be %d to %d seconds (Azure runs a script for at most 90 minutes), got %r"
                              % (TIMEOUT_MIN, TIMEOUT_MAX, timeout), option="timeout")
    if params.get("wait_timeout") is not None and params["wait_timeout"] < 1:
        raise ValidationError("wait_timeout must be at least 1 second, got %r" % params["wait_timeout"],
                              option="wait_timeout")
    if params.get("poll_interval") is not None and params["poll_interval"] < 1:
        raise ValidationError("poll_interval must be at least 1 second, got %r" % params["poll_interval"],
                              option="poll_interval")
    limit = params.get("output_limit")
    if limit is None or limit < 0:
        raise ValidationError("output_limit must be 0 or more characters, got %r" % limit, option="output_limit")


def check_options(params):
    """The ``RunCommandSpec`` of the options; ``ValidationError`` naming the option at fault, before any request."""
    rid.check_segment(params.get("resource_group"), "resource_group", "resource_group")
    rid.check_segment(params.get("vm_name"), "vm", "vm_name")
    script = params.get("script")
    if not isinstance(script, str) or not script.strip():
        raise ValidationError("script is empty: give the text of the script to run", option="script")
    _check_numbers(params)
    parameters = parameter_list(params.get("parameters"), "parameters")
    protected = parameter_list(params.get("protected_parameters"), "protected_parameters")
    _check_no_overlap(parameters, protected)
    name = params.get("run_command_name")
    if name is None:
        name = default_name(script, parameters, [p["name"] for p in protected])
    name = rid.check_segment(name, "name", "run_command_name")
    return RunCommandSpec(script, parameters, protected, params["timeout"], name, params["output_limit"])


def wait_timeout(params):
    """``wait_timeout``, or ``timeout`` + 300 seconds when not set."""
    if params.get("wait_timeout") is not None:
        return params["wait_timeout"]
    return params["timeout"] + WAIT_MARGIN


# --------------------------------------------------------------------------------------------
# The VM


def describe_vm(vm_id):
    parts = rid.parse_resource_id(vm_id)
    return "VM %s (resource group %s)" % (parts["name"], parts["resource_group"])


def read_running_vm(client, vm_id):
    """``_compute.vm_state`` of the VM (read with its instance view); a refusal naming ``vm_name`` when
    it does not exist, is being deleted or is not running, naming ``resource_group`` when its resource
    group does not exist."""
    what = describe_vm(vm_id)
    try:
        vm = _compute.read_vm(client, vm_id, instance_view=True, resource_group_option="resource_group")
    except AzureApiError as e:
        raise e.with_context("Failed to read %s" % what, show_correlation_id=True)
    except ValidationError as e:  # its resource group (or subscription) does not exist
        raise e.prefixed("%s cannot be read, nothing was sent" % what)
    if vm is None:
        raise ValidationError("%s does not exist (or its resource group does not): check vm_name and "
                              "resource_group; nothing was sent" % what, option="vm_name")
    state = _compute.vm_state(vm)
    if (state["provisioning_state"] or "").lower() == "deleting":
        raise ValidationError("%s is being deleted; nothing was sent" % what, option="vm_name")
    if state["power_state"] != "running":
        raise ValidationError("%s is not running (power state: %s): Run Command needs a running VM and its VM "
                              "agent: start it first; nothing was sent" % (what, state["power_state"] or "unknown"),
                              option="vm_name")
    return state


# --------------------------------------------------------------------------------------------
# The instance view and the task's outcome


def normalize_view(body):
    """A run command's ``properties`` and ``instanceView`` as the module reports them."""
    props = (body or {}).get("properties") or {}
    view = props.get("instanceView") or {}
    return dict(provisioning_state=props.get("provisioningState"), execution_state=view.get("executionState"),
                execution_message=view.get("executionMessage") or None, exit_code=view.get("exitCode"),
                stdout=view.get("output") or "", stderr=view.get("error") or "",
                start_time=view.get("startTime"), end_time=view.get("endTime"))


def cut_output(text, limit):
    """``(text, cut)``: the last ``limit`` characters of ``text``, after a line saying how many were cut."""
    text = text or ""
    if len(text) <= limit:
        return text, 0
    cut = len(text) - limit
    return "[%d earlier characters cut by output_limit=%d]\n%s" % (cut, limit, text[cut:]), cut


def outcome(view, limit):
    """The result keys of a run that reached Azure (``view`` from ``normalize_view``, or None)."""
    view = view or normalize_view(None)
    stdout, cut_out = cut_output(view["stdout"], limit)
    stderr, cut_err = cut_output(view["stderr"], limit)
    state = view["execution_state"]
    rc = view["exit_code"] if state in (SUCCEEDED, "Failed") and isinstance(view["exit_code"], int) else None
    return dict(rc=rc, stdout=stdout, stderr=stderr, stdout_lines=stdout.splitlines(),
                stderr_lines=stderr.splitlines(), execution_state=state, start_time=view["start_time"],
                end_time=view["end_time"], truncated=bool(cut_out or cut_err))


def empty_outcome():
    return outcome(None, DEFAULT_OUTPUT_LIMIT)


def check_outcome(result, vm_id, name, timeout, message=None):
    """``ScriptFailedError`` unless the script exited 0 with ``executionState`` ``Succeeded``."""
    state, rc = result["execution_state"], result["rc"]
    if state == SUCCEEDED and rc == 0:
        return
    what = "The script on %s (run command %s)" % (describe_vm(vm_id), name)
    if state == "TimedOut":
        msg = "%s timed out after the %d seconds of timeout (execution state TimedOut)" % (what, timeout)
    elif rc is not None:
        msg = "%s exited with code %d (execution state %s)" % (what, rc, state)
    else:
        msg = "%s ended with execution state %s and no exit code" % (what, state or "unknown")
    if message:
        msg += ": %s" % message
    raise ScriptFailedError(msg, execution_state=state, exit_code=rc)


# --------------------------------------------------------------------------------------------
# The requests


class RunCommands(object):
    """The run commands of one VM: read, create or update (deleted with ``_compute.Deletion``)."""

    def __init__(self, client, vm_id):
        self.client = client
        self.vm_id = vm_id

    def path(self, name):
        return "%s/runCommands/%s" % (self.vm_id, rid.check_segment(name, "name", "run_command_name"))

    def read(self, name):
        """The run command with its instance view, or None when there is none of that name."""
        return _compute.read(self.client, self.path(name), params={"$expand": "instanceView"})

    def put(self, name, body):
        return self.client.request("PUT", self.path(name), api_version=versions.COMPUTE, json=body, ok=(200, 201))


def _running(body):
    view = normalize_view(body)
    return (view["execution_state"] or "").lower() in RUNNING_STATES or \
        (view["provisioning_state"] or "").lower() in ("creating", "updating")


def _ended(body):
    view = normalize_view(body)
    provisioning = (view["provisioning_state"] or "").lower()
    return provisioning in _PROVISIONING_DONE and (view["execution_state"] or "").lower() not in RUNNING_STATES


class RunCommandRunner(object):
    """One run of a script on one VM, within one deadline. ``changed`` says whether the script was
    started (or a running one attached to), ``view`` is the run command as last read."""

    def __init__(self, client, vm_id, deadline_seconds, poll=None, warn=None, sleep=time.sleep, clock=time.monotonic):
        self.commands = RunCommands(client, vm_id)
        self.vm_id = vm_id
        self.what = describe_vm(vm_id)
        self.poll = dict(poll or {})
        self.warn = warn or (lambda text: None)
        self.sleep = sleep
        self.clock = clock
        self.timeout = deadline_seconds
        self.deadline = clock() + max(0, deadline_seconds)
        self.changed = False
        self.attached = False
        self.view = None
        self.correlation_id = None

    def remaining(self):
        return max(0, self.deadline - self.clock())

    def run(self, spec, location, keep=False, agent=None):
        """Run ``spec`` (see the module docstring); returns ``normalize_view`` of the run command at its end.
        The run command is deleted afterwards unless ``keep``, also when it failed, but not after a timeout
        (the script may still be running: a re-run attaches to it)."""
        existing = self._read(spec.name)
        try:
            view = self._execute(spec, location, existing, agent)
        except OperationTimeoutError:
            raise
        except AzBackupError:
            if self.changed and not keep:
                self._cleanup(spec.name)
            raise
        if not keep:
            self._cleanup(spec.name)
        return view

    def _read(self, name):
        try:
            return self.commands.read(name)
        except AzureApiError as e:
            raise e.with_context("Failed to read run command %s of %s" % (name, self.what), show_correlation_id=True)

    def _execute(self, spec, location, existing, agent):
        previous = normalize_view(existing) if existing else None
        if existing and _running(existing):
            self.changed = self.attached = True
            self.warn("Run command %s of %s was still running (left by an earlier task?): the task waits for it "
                      "instead of starting the script again" % (spec.name, self.what))
        else:
            if existing:
                # An ended run of that name (kept, or whose deletion failed): removed first, so that the PUT
                # creates a new run rather than updating one Azure may not run again.
                self._cleanup(spec.name)
            resp = self._put(spec, location)
            self.changed = True
            self._follow(spec.name, resp, agent)
        self.view = normalize_view(self._wait(spec.name))
        if previous and not self.attached and previous["start_time"] and \
                previous["start_time"] == self.view["start_time"]:
            self.warn("Run command %s of %s reports the start time of its earlier run (%s): Azure may not have run "
                      "the script again" % (spec.name, self.what, previous["start_time"]))
        return self.view

    def _put(self, spec, location):
        try:
            resp = self.commands.put(spec.name, spec.body(location))
        except AzureApiError as e:
            raise e.with_context("Azure refused to run the script on %s (run command %s)" % (self.what, spec.name),
                                 show_correlation_id=True)
        self.correlation_id = resp.correlation_id
        return resp

    def _follow(self, name, resp, agent):
        """Follow the operation the PUT started (when Azure started one) to its end."""
        urls = _poller.operation_urls(resp)
        if not (urls["async_url"] or urls["location_url"]):
            return
        try:
            _poller.poll_operation(self.commands.client, timeout=self.remaining(), sleep=self.sleep, clock=self.clock,
                                   **dict(urls, **self.poll))
        except AzureApiError as e:
            raise e.with_context("Run command %s sent to %s, but following it failed" % (name, self.what),
                                 show_correlation_id=True)
        except OperationFailedError as e:
            raise e.reworded(self._failed_text(name, e, agent))
        except OperationTimeoutError as e:
            raise e.reworded(self._timeout_text(name))

    def _failed_text(self, name, err, agent):
        msg = "Run command %s on %s ended %s before the script ran to an exit code: (%s) %s" % (
            name, self.what, err.status, err.error_code or "no error code", err.error_message or "Azure gave no details")
        if self.correlation_id:
            msg += " (correlation id %s)" % self.correlation_id
        if err.error_code in AGENT_ERROR_CODES and agent and agent.get("status"):
            msg += ". The VM agent's status when the task started: %s%s" % (
                agent["status"], " (%s)" % agent["message"] if agent.get("message") else "")
        return msg

    def _timeout_text(self, name):
        return ("Timed out after %ss (wait_timeout) waiting for run command %s on %s; the script may still be running "
                "in the VM and the run command was kept: run the task again to wait for it, or raise wait_timeout"
                % (self.timeout, name, self.what))

    def _wait(self, name):
        """Read the run command until its execution has ended; its body."""
        def fetch():
            body = self._read(name)
            if body is None:
                raise AzBackupError("Run command %s of %s disappeared before its result could be read (deleted by "
                                    "someone else?)" % (name, self.what))
            return body

        result = _poller.wait_until(fetch, _ended, self.remaining(), sleep=self.sleep, clock=self.clock, **self.poll)
        if not result.done:
            raise OperationTimeoutError(self._timeout_text(name), last_status=normalize_view(result.last)
                                        ["execution_state"], elapsed=result.elapsed)
        return result.last

    def _cleanup(self, name):
        """DELETE the run command and follow the delete; a failure is a warning (the script has run)."""
        try:
            _compute.Deletion(self.commands.client, self.remaining(), poll=self.poll, sleep=self.sleep,
                              clock=self.clock).delete([self.commands.path(name)])
        except OperationTimeoutError:
            self.warn("Azure accepted the deletion of run command %s of %s but had not finished it when wait_timeout "
                      "ran out; it goes on in Azure" % (name, self.what))
        except AzBackupError as e:
            parts = rid.parse_resource_id(self.vm_id)
            command = "az vm run-command delete --name %s --vm-name %s --resource-group %s" % (
                name, parts["name"], parts["resource_group"])
            self.warn("Run command %s stays on %s: deleting it failed: %s. Delete it with `%s`"
                      % (name, self.what, e.msg, command))
