#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vm_run_command
short_description: Run a script inside an Azure VM and get its exit code and output
version_added: 0.2.0
description:
  - Runs a script inside a running Azure virtual machine through the VM agent, with Azure's managed Run Command,
    and returns its exit code, standard output and standard error, as M(ansible.builtin.command) does for a host
    Ansible reaches. Use it to check or prepare a VM after a restore, when it has no SSH or WinRM access yet.
  - Sends C(PUT {vm}/runCommands/{run_command_name}) with the script (C(asyncExecution=false),
    C(treatFailureAsDeploymentFailure=false)), follows the C(Azure-AsyncOperation) Azure starts to its end, reads
    the run command with C($expand=instanceView) (C(executionState), C(exitCode), C(output), C(error),
    C(startTime), C(endTime)), then deletes the run command and follows the delete, unless O(keep=true).
  - "Why the managed form: the action form (C(POST {vm}/runCommand) with C(RunShellScript) or
    C(RunPowerShellScript), C(az vm run-command invoke)) reports no exit status: a script that exits non-zero
    is reported as succeeded (Azure/azure-cli#14425, Azure/azure-cli#29750). The managed form runs the script with
    the same interpreters, the VM's own shell: bash on Linux, PowerShell on Windows, and reports its exit code."
  - Like M(ansible.builtin.command), the task fails when the script exits with a code other than 0 or does not
    end C(Succeeded) (for example C(TimedOut) after O(timeout)); the failed result still holds RV(rc),
    RV(stdout), RV(stderr) and the other return values. Use C(failed_when) to decide otherwise.
  - A VM that does not exist, is being deleted or is not running (its power state, read from its instance view)
    is refused before anything is sent, and so is a O(resource_group) that does not exist (the refusal names
    O(resource_group) and carries Azure's C(ResourceGroupNotFound)).
  - A run command of the same name still running in the VM (left by a task that was interrupted) is waited for,
    not started a second time; the default O(run_command_name) is the same for the same script and parameters,
    so running the interrupted task again finds it. One that has ended (kept with O(keep=true), or whose deletion
    failed) is deleted first, and the script runs anew.
author:
  - azbackup.restore contributors (@azbackup)
options:
  resource_group:
    description:
      - Resource group of the virtual machine.
    type: str
    required: true
  vm_name:
    description:
      - Name of the virtual machine. It must be running.
    type: str
    required: true
  script:
    description:
      - The text of the script, for example a YAML block scalar (C(|)).
      - On Linux a bash script, run as root; on Windows a PowerShell script, run as the System account.
      - The script is stored in the run command resource and in the VM while it runs; put secrets in
        O(protected_parameters), not in the script.
    type: str
    required: true
  parameters:
    description:
      - Parameters of the script, a mapping of names to values, sent as the run command's C(parameters) (sorted by
        name).
      - On Linux each one becomes an environment variable of the script (a parameter whose value is empty is not
        set); on Windows each one is passed as C(-Name value), so declare them in a C(param()) block.
      - Names are 1 to 128 letters, digits and C(_), not starting with a digit. Values are sent as strings
        (V(true) and V(false) for booleans).
    type: dict
  protected_parameters:
    description:
      - Secret parameters of the script, passed to it as O(parameters) are, sent as the run command's
        C(protectedParameters). Azure never returns them; the module never puts their values in its result, a
        warning or a message.
      - A name must not be in O(parameters) too.
    type: dict
  run_command_name:
    description:
      - Name of the run command resource on the VM.
      - If not set, C(azbackup-) and 12 hexadecimal digits of a SHA-256 of O(script), O(parameters) and the names
        (not the values) of O(protected_parameters). The same task always uses the same name, so that running an
        interrupted task again finds its own run command.
      - Letters, digits, underscores, hyphens, periods and parentheses, not ending with a period.
    type: str
  timeout:
    description:
      - Seconds the script may run (C(timeoutInSeconds)); a script still running then is stopped and the run ends
        C(TimedOut).
      - V(1) to V(5400). 90 minutes is the longest run Microsoft documents for a run command that is waited for
        (U(https://learn.microsoft.com/azure/virtual-machines/linux/run-command#restrictions),
        U(https://learn.microsoft.com/azure/virtual-machines/windows/run-command-managed)).
    type: int
    default: 300
  wait_timeout:
    description:
      - Seconds the task waits in all (the operation, the result and the delete of the run command).
      - If not set, O(timeout) plus 300 seconds.
      - When it runs out the task fails; the run command is kept, since the script may still be running. Running
        the task again waits for it.
    type: int
  poll_interval:
    description:
      - Seconds between two polls of the operation or of the run command.
      - If not set, 15 seconds growing by half at each poll up to 120 seconds (Azure's C(Retry-After) wins when
        it sends one).
    type: int
  keep:
    description:
      - Keep the run command resource on the VM after the run (C(az vm run-command show --expand instanceView)
        shows it again).
      - With V(false) it is deleted, also when the script failed, but not when O(wait_timeout) ran out.
    type: bool
    default: false
  output_limit:
    description:
      - Characters kept of RV(stdout) and of RV(stderr) each. Longer output keeps its last O(output_limit)
        characters after a first line saying how many were cut, and RV(truncated) is V(true).
      - V(0) keeps none of it (only that line).
      - Azure itself keeps only the last 4 KB of each stream of a run command.
    type: int
    default: 4096
extends_documentation_fragment:
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_compute
  - azbackup.restore.attributes.platform
attributes:
  check_mode:
    support: full
    details:
      - Reads the VM (and refuses as above), sends nothing, and returns C(changed=true) with RV(rc) null and a
        RV(msg) saying what would run.
  diff_mode:
    support: none
notes:
  - A run is an action, so RV(changed) is V(true) whenever the script ran, as with M(ansible.builtin.command).
    Set C(changed_when=false) on tasks that only check something.
  - The VM agent must be ready and reach Azure (outbound HTTPS). When it does not, Azure ends the operation
    C(Failed) (for example C(VMAgentStatusCommunicationError)); the task fails with Azure's code, message and
    correlation id, and RV(rc) is null. A VM just restored may need a few minutes before its agent is ready.
  - The Linux VM agent must be 2.4.0.2 or later for managed Run Command.
  - Failures also carry C(error_code), C(status_code) and C(correlation_id) when Azure answered with an error.
  - The identity needs C(Microsoft.Compute/virtualMachines/read) and C(Microsoft.Compute/virtualMachines/runCommands/write),
    C(read) and C(delete) on the VM (Virtual Machine Contributor holds them); see C(docs/permissions.md).
seealso:
  - module: azbackup.restore.vm_info
  - module: azbackup.restore.vm_restore
  - module: ansible.builtin.command
  - name: Run scripts in your Linux VM by using managed Run Commands
    description: Microsoft's documentation of managed Run Command.
    link: https://learn.microsoft.com/azure/virtual-machines/linux/run-command-managed
  - name: Virtual Machine Run Commands - Create Or Update
    description: The REST operation the module sends.
    link: https://learn.microsoft.com/rest/api/compute/virtual-machine-run-commands/create-or-update
"""

EXAMPLES = r"""
- name: Is the restored VM serving its application? (a check, so no change)
  azbackup.restore.vm_run_command:
    resource_group: rg-restore
    vm_name: vm-web-01-restored
    script: |
      systemctl is-active nginx
      curl -fsS http://localhost/healthz
  changed_when: false
  register: health

- name: Register the restored VM with the monitoring server (Linux, parameters as environment variables)
  azbackup.restore.vm_run_command:
    resource_group: rg-restore
    vm_name: vm-db-01-restored
    script: |
      set -eu
      /opt/monitor/bin/register --server "$MONITOR_SERVER" --token "$MONITOR_TOKEN"
    parameters:
      MONITOR_SERVER: monitor.example.com
    protected_parameters:
      MONITOR_TOKEN: "{{ monitor_token }}"
    timeout: 600

- name: Check a Windows service (PowerShell, parameters in a param() block)
  azbackup.restore.vm_run_command:
    resource_group: rg-restore
    vm_name: vm-app-02-restored
    script: |
      param([string]$ServiceName)
      $service = Get-Service -Name $ServiceName
      if ($service.Status -ne 'Running') { Write-Error "$ServiceName is $($service.Status)"; exit 3 }
      Write-Output "$ServiceName is running"
    parameters:
      ServiceName: W3SVC
  changed_when: false

- name: Let the play decide on the exit code (1 means "needs attention", not a failure)
  azbackup.restore.vm_run_command:
    resource_group: rg-restore
    vm_name: vm-web-01-restored
    script: test -f /var/run/reboot-required && exit 1 || exit 0
  register: reboot_check
  failed_when: reboot_check.rc is none or reboot_check.rc > 1
  changed_when: false

- name: Keep the run command on the VM under a name of our own
  azbackup.restore.vm_run_command:
    resource_group: rg-restore
    vm_name: vm-web-01-restored
    run_command_name: post-restore-cleanup
    script: rm -rf /var/cache/app/*
    keep: true
    output_limit: 1024

- name: Would the script run? (reads the VM, sends nothing)
  azbackup.restore.vm_run_command:
    resource_group: rg-restore
    vm_name: vm-web-01-restored
    script: uptime
  check_mode: true
"""

RETURN = r"""
changed:
  description: Whether the script ran (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
rc:
  description:
    - The exit code of the script.
    - Null when the script did not run to an exit code (the VM agent was not ready, the run timed out, check mode).
  returned: always
  type: int
  sample: 0
stdout:
  description:
    - The standard output of the script (Azure keeps its last 4 KB), cut to O(output_limit) characters.
  returned: always
  type: str
  sample: "active\nok\n"
stderr:
  description:
    - The standard error of the script (Azure keeps its last 4 KB), cut to O(output_limit) characters.
  returned: always
  type: str
  sample: ""
stdout_lines:
  description: RV(stdout) split into lines.
  returned: always
  type: list
  elements: str
  sample: ["active", "ok"]
stderr_lines:
  description: RV(stderr) split into lines.
  returned: always
  type: list
  elements: str
  sample: []
execution_state:
  description:
    - The run's C(executionState) as Azure reports it, C(Succeeded), C(Failed) (a non-zero exit code),
      C(TimedOut), C(Canceled) or C(Unknown).
    - Null when the script did not run (check mode, Azure's operation failed).
  returned: always
  type: str
  sample: Succeeded
start_time:
  description: When the script started in the VM (Azure's C(startTime)); null when it did not run.
  returned: always
  type: str
  sample: "2026-11-21T09:12:03.4178302+00:00"
end_time:
  description: When the script ended in the VM (Azure's C(endTime)); null when it did not run.
  returned: always
  type: str
  sample: "2026-11-21T09:12:05.0911874+00:00"
truncated:
  description: Whether RV(stdout) or RV(stderr) was cut to O(output_limit).
  returned: always
  type: bool
  sample: false
vm_id:
  description: Resource id of the virtual machine.
  returned: always
  type: str
  sample: /subscriptions/9a8b7c6d-0000-4000-8000-000000000003/resourceGroups/rg-restore/providers/Microsoft.Compute/virtualMachines/vm-web-01-restored
run_command_name:
  description: Name of the run command resource used (deleted after the run unless O(keep=true)).
  returned: always
  type: str
  sample: azbackup-3f9a1c0d5e7b
duration:
  description: Seconds the task took, from its first request to its last.
  returned: success
  type: float
  sample: 21.4
msg:
  description: In check mode, what would run; on failure, what went wrong.
  returned: check mode, failure
  type: str
  sample: "Check mode: would run the script on VM vm-web-01-restored (resource group rg-restore) as run command azbackup-3f9a1c0d5e7b; nothing was sent"
"""

import time

from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils import _run_command
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule

# Injected so that tests never sleep.
_sleep = time.sleep
_clock = time.monotonic


def argument_spec():
    """The module's own options (the base adds the auth and connection ones)."""
    return dict(
        resource_group=dict(type="str", required=True),
        vm_name=dict(type="str", required=True),
        script=dict(type="str", required=True),
        parameters=dict(type="dict"),
        protected_parameters=dict(type="dict", no_log=True),
        run_command_name=dict(type="str"),
        timeout=dict(type="int", default=_run_command.DEFAULT_TIMEOUT),
        wait_timeout=dict(type="int"),
        poll_interval=dict(type="int"),
        keep=dict(type="bool", default=False),
        output_limit=dict(type="int", default=_run_command.DEFAULT_OUTPUT_LIMIT),
    )


class RunScript(object):
    """One run of the module; what it knows so far is in the result, also when it fails."""

    def __init__(self):
        self.vm_id = None
        self.name = None
        self.changed = False
        self.runner = None
        self.outcome = None

    def main(self, module):
        module.run(self.execute, fail_extras=self.extras)

    def extras(self):
        """The result keys, also on failure (rc null and no output until Azure reported the run)."""
        out = dict(changed=self.changed or bool(self.runner and self.runner.changed), vm_id=self.vm_id,
                   run_command_name=self.name)
        out.update(self.outcome or _run_command.empty_outcome())
        return out

    def execute(self, module):
        started = _clock()
        params = module.params
        spec = _run_command.check_options(params)
        self.name = spec.name
        module.hide(*spec.secret_values())
        self.vm_id = rid.vm_id(module.subscription_id, params["resource_group"], params["vm_name"],
                               option="vm_name", resource_group_option="resource_group")
        vm = _run_command.read_running_vm(module.client, self.vm_id)
        if module.check_mode:
            self.changed = True
            return dict(self.extras(), duration=round(_clock() - started, 1),
                        msg="Check mode: would run the script on %s as run command %s; nothing was sent"
                        % (_run_command.describe_vm(self.vm_id), spec.name))
        poll = _poller.poll_settings(_run_command.wait_timeout(params), params["poll_interval"])
        self.runner = _run_command.RunCommandRunner(module.client, self.vm_id, poll.pop("timeout"), poll=poll,
                                                    warn=module.warn, sleep=_sleep, clock=_clock)
        view = self.runner.run(spec, vm["location"], keep=params["keep"], agent=vm["agent"])
        self.outcome = _run_command.outcome(view, spec.output_limit)
        _run_command.check_outcome(self.outcome, self.vm_id, spec.name, spec.timeout, view["execution_message"])
        return dict(self.extras(), duration=round(_clock() - started, 1))


def main():
    RunScript().main(AzBackupModule(argument_spec(), supports_check_mode=True))


if __name__ == "__main__":
    main()
