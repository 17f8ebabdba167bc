#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: file_recovery
short_description: Open or close a file recovery session on an Azure Backup recovery point
version_added: 0.2.0
description:
  - Opens a file (item-level) recovery session on one recovery point of an Azure VM protected in a Recovery
    Services vault, as C(az backup restore files mount-rp) does, and returns the client script that mounts
    the point's disks on a machine, with its password.
  - Closes the session (O(state=unmounted)), as C(az backup restore files unmount-rp) does.
  - The module only talks to Azure. Running the script on the machine that should receive the files, copying
    them and unmounting are the job of the role C(azbackup.restore.restore_files) (or yours).
  - O(state=mounted) sends C(POST .../recoveryPoints/{id}/provisionInstantItemRecovery) and follows the operation
    Azure starts; its result (C(OperationStatusProvisionILRExtendedInfo)) holds the client scripts.
  - O(state=unmounted) sends C(POST .../recoveryPoints/{id}/revokeInstantItemRecovery) and follows the operation.
  - Idempotent. The recovery point's C(isInstantIlrSessionActive) says whether a session is open. With
    O(state=mounted) an open session is no change, and the script is not returned (Azure hands the script and its
    password out only when a session is opened); O(renew=true) opens the session again
    (C(renewExistingRegistration)) and returns a new script and password. With O(state=unmounted) a point without
    an open session is no change, and nothing is sent, as the Azure CLI does.
author:
  - azbackup.restore contributors (@azbackup)
options:
  state:
    description:
      - V(mounted) opens a session (the recovery point's disks can then be mounted with the script).
      - V(unmounted) closes the session; the disks a script mounted are disconnected.
    type: str
    choices: [mounted, unmounted]
    default: mounted
  select:
    description:
      - Without O(recovery_point_id), V(latest) takes the newest recovery point matching the filters.
    type: str
    choices: [latest]
    default: latest
  initiator_name:
    description:
      - The iSCSI initiator name of the machine that will run the script (C(InitiatorName) in
        C(/etc/iscsi/initiatorname.iscsi) on Linux), sent as C(initiatorName).
      - If not set, none is sent, as the Azure CLI does.
    type: str
  renew:
    description:
      - With O(state=mounted), open the session again even when one is open (C(renewExistingRegistration)), to
        get a script and a password again or to extend the session.
    type: bool
    default: false
  wait_timeout:
    description:
      - How many seconds to follow Azure's operation before failing.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two polls of the operation. If not set, Azure's C(Retry-After), else a few seconds
        growing slowly.
    type: int
  api_version:
    description:
      - The api-version of the Azure Backup (Microsoft.RecoveryServices) requests.
    type: str
    default: '2024-04-01'
extends_documentation_fragment:
  - azbackup.restore.protected_item
  - azbackup.restore.recovery_point
  - azbackup.restore.azure
  - azbackup.restore.attributes
  - azbackup.restore.attributes.actiongroup_azure
  - azbackup.restore.attributes.platform
attributes:
  check_mode:
    support: full
    details:
      - Reads the recovery point and reports whether a session would be opened or closed; sends no POST, so no
        script is returned.
  diff_mode:
    support: none
notes:
  - The result holds a secret, RV(password). Set C(no_log=true) on the task (and on the tasks that use it). The
    module never puts the password anywhere else in the result, in a warning or in an error message; the
    returned script content asks for the password instead of carrying it (as the Azure CLI writes it).
  - Azure closes a session 12 hours after it was opened; RV(expires_on) is computed from the time this task opened
    it (Azure does not return it).
  - On Linux the script is a Python script run as root with C(python3); it needs the iSCSI initiator
    (C(open-iscsi), C(iscsiadm)) and outbound HTTPS (port 3260 for iSCSI) to Azure. On Windows Azure gives the URL
    of an executable (RV(scripts[].url)) to run by hand.
  - A session blocks nothing else of the VM's backups, but a recovery point with an open session is kept until
    the session ends. Always close it (O(state=unmounted)) once the files are copied.
seealso:
  - module: azbackup.restore.recovery_point_info
  - name: Recover files from Azure virtual machine backup
    description: Azure Backup's documentation of file recovery.
    link: https://learn.microsoft.com/azure/backup/backup-azure-restore-files-from-vm
"""

EXAMPLES = r"""
- name: Open a file recovery session on the newest recovery point
  azbackup.restore.file_recovery:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
  register: ilr
  no_log: true

- name: Put the Linux script on the machine that should receive the files
  ansible.builtin.copy:
    content: "{{ (ilr.scripts | selectattr('os_type', 'equalto', 'Linux') | first).content }}"
    dest: "/root/{{ (ilr.scripts | selectattr('os_type', 'equalto', 'Linux') | first).file_name }}"
    mode: "0700"
  delegate_to: restore-host.example.com
  when: ilr.scripts | length > 0

- name: A session on one recovery point, for a given iSCSI initiator, renewed if open
  azbackup.restore.file_recovery:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    recovery_point_id: "26083826328862"
    initiator_name: iqn.2004-10.com.ubuntu:01:5a3c2f1e9b7d
    renew: true
  register: ilr
  no_log: true

- name: Close the session
  azbackup.restore.file_recovery:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
    recovery_point_id: "{{ ilr.recovery_point.name }}"
    state: unmounted

- name: Would a session be opened?
  azbackup.restore.file_recovery:
    vault_name: rsv-prod
    vault_resource_group: rg-vault
    vm_name: vm-web-01
    vm_resource_group: rg-prod
  check_mode: true
"""

RETURN = r"""
changed:
  description: Whether a session was opened or closed (in check mode, would be).
  returned: always
  type: bool
  sample: true
state:
  description: The state asked for, V(mounted) or V(unmounted).
  returned: success
  type: str
  sample: mounted
session_active:
  description: Whether the recovery point has an open session once the task is done (in check mode, would have).
  returned: success
  type: bool
  sample: true
scripts:
  description:
    - The client scripts Azure returned for this session (V([]) when no session was opened by this run).
  returned: success
  type: list
  elements: dict
  contains:
    os_type:
      description: The operating system the script is for, C(Linux) or C(Windows).
      type: str
      returned: always
      sample: Linux
    file_name:
      description:
        - The name to save the script under, with Azure's mandatory suffix (C(scriptNameSuffix) without the
          password) and its extension. The script looks for its own name, so keep it.
      type: str
      returned: always
      sample: vm-web-01_westeurope_3157283729_b1a5d6e4c9f04e7a8b2c3d4e5f6a7b8c.py
    extension:
      description: The script's extension (C(.py), C(.exe)...).
      type: str
      returned: always
      sample: .py
    content:
      description:
        - The script, decoded from Azure's base64 C(scriptContent). Its password line asks for the password on
          the standard input. Null when Azure gives a URL instead.
      type: str
      returned: always
      sample: "#!/usr/bin/env python3\n..."
    url:
      description: Where to download the script (Windows), null otherwise.
      type: str
      returned: always
      sample: null
password:
  description:
    - The password the script asks for. A secret - use C(no_log=true).
    - Null when no session was opened by this run.
  returned: success
  type: str
  sample: "********"
expires_on:
  description:
    - When Azure will close the session (12 hours after this run opened it), ISO 8601 UTC. Null when no session
      was opened by this run.
  returned: success
  type: str
  sample: "2026-12-06T12:00:00Z"
operation_url:
  description: The URL of Azure's operation this run followed (null when nothing was sent).
  returned: success
  type: str
  sample: https://management.azure.com/subscriptions/.../operationsStatus/7d7c5f0e?api-version=2024-04-01
recovery_point:
  description: The recovery point, as M(azbackup.restore.recovery_point_info) returns recovery points.
  returned: success
  type: dict
  sample: {"name": "26083826328862", "time": "2026-11-03T01:00:00Z", "type": "AppConsistent"}
protected_item:
  description: The protected item of the virtual machine.
  returned: success
  type: dict
  sample: {"vault_id": "/subscriptions/.../vaults/rsv-prod", "vm_id": "/subscriptions/.../virtualMachines/vm-web-01",
           "container_name": "iaasvmcontainer;iaasvmcontainerv2;rg-prod;vm-web-01",
           "protected_item_name": "vm;iaasvmcontainerv2;rg-prod;vm-web-01"}
"""

import datetime

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils import _ilr
from ansible_collections.azbackup.restore.plugins.module_utils._module import AzBackupModule
from ansible_collections.azbackup.restore.plugins.module_utils._poller import poll_settings
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import protected_item_ref
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import RecoveryPoints
from ansible_collections.azbackup.restore.plugins.module_utils._time import check_time_window, format_time

GROUPS = ("protected_item", "recovery_point")


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def argument_spec():
    """The module's own options (GROUPS add the shared ones)."""
    return dict(
        state=dict(type="str", choices=["mounted", "unmounted"], default="mounted"),
        select=dict(type="str", choices=["latest"], default="latest"),
        initiator_name=dict(type="str"),
        renew=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="int"),
        api_version=dict(type="str", default=api.BACKUP),
    )


def _mount(module, session, point, item, active):
    params = module.params
    result = dict(changed=True, session_active=True, scripts=[], password=None, expires_on=None, operation_url=None)
    if active and not params["renew"]:
        return dict(result, changed=False)
    if module.check_mode:
        return result
    opened_at = _now()
    out = session.provision(item.vm_id, params.get("initiator_name"), params["renew"])
    module.hide(out["password"])
    # Ansible masks every no_log value in the whole result: the password leaves them for its own key,
    # the only one that holds it (the scripts' content and file names come without it).
    if out["password"]:
        module.show(out["password"])
    return dict(result, scripts=out["scripts"], password=out["password"], operation_url=out["operation_url"],
                expires_on=format_time(_ilr.session_expiry(opened_at)))


def run(module):
    params = module.params
    check_time_window(params["start_time"], params["end_time"])  # before any request
    item = protected_item_ref(params, module.subscription_id)
    points = RecoveryPoints(module.client, item, api_version=params["api_version"])
    point = points.choose(params)
    if params["recovery_point_id"] is None:
        point = points.get(point["name"])  # the list may omit the session flag; the point itself has it
    active = _ilr.session_active(point)
    session = _ilr.FileRecovery(module.client, item, point["name"], api_version=params["api_version"],
                                poll=poll_settings(params["wait_timeout"], params["poll_interval"]))
    if params["state"] == "mounted":
        result = _mount(module, session, point, item, active)
    elif not active:
        result = dict(changed=False, session_active=False, operation_url=None)
    elif module.check_mode:
        result = dict(changed=True, session_active=False, operation_url=None)
    else:
        result = dict(changed=True, session_active=False, operation_url=session.revoke())
    result.setdefault("scripts", [])
    result.setdefault("password", None)
    result.setdefault("expires_on", None)
    return dict(result, state=params["state"], recovery_point=point, protected_item=item.as_dict())


def main():
    AzBackupModule(argument_spec(), groups=GROUPS, supports_check_mode=True).run(run)


if __name__ == "__main__":
    main()
