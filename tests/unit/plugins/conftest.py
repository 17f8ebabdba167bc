# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fakes and constants shared by the plugin tests.

Test files import them as ``ansible_collections.azbackup.restore.tests.unit.plugins.conftest``;
pytest loads this file as a conftest too, for the fixtures, before the collection is importable:
the collection's modules are imported where they are used.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

import pytest

ARM = "https://management.azure.com"
SUB = "9a8b7c6d-0000-4000-8000-000000000003"
RGS = "/subscriptions/%s/resourceGroups" % SUB
VAULT = RGS + "/rg-vault/providers/Microsoft.RecoveryServices/vaults/rsv-prod"
ITEM = (VAULT + "/backupFabrics/Azure/protectionContainers/iaasvmcontainer%3Biaasvmcontainerv2%3Brg-prod%3Bvm-web-01"
        "/protectedItems/vm%3Biaasvmcontainerv2%3Brg-prod%3Bvm-web-01")
VM = RGS + "/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web-01"


class Tokens(object):
    """A token provider that never talks to Azure AD."""

    def __init__(self, value="test-bearer"):
        self.value = value

    def token(self):
        return self.value

    def invalidate(self):
        pass


class Clock(object):
    """A fake monotonic clock whose sleep advances it: tests never really sleep."""

    def __init__(self, now=0.0):
        self.now = now
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(max_attempts=None):
    """An ArmClient on the public cloud with fake tokens and no real sleeps."""
    from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import ArmClient
    from ansible_collections.azbackup.restore.plugins.module_utils._retry import RetryPolicy

    kwargs = dict(retry=RetryPolicy(max_attempts=max_attempts)) if max_attempts else {}
    return ArmClient(ARM, Tokens(), sleep=lambda s: None, subscription_id=SUB, **kwargs)


@pytest.fixture(autouse=True)
def forget_secrets():
    """Secrets registered by a test must not leak into the next one."""
    from ansible_collections.azbackup.restore.plugins.module_utils import _errors as _errors_mod

    saved = set(_errors_mod._SECRETS)
    yield
    _errors_mod._SECRETS.clear()
    _errors_mod._SECRETS.update(saved)


# --------------------------------------------------------------------------------------------
# The restore domain: a protected VM, its points, its restore jobs, a scripted client


SA = RGS + "/rg-restore/providers/Microsoft.Storage/storageAccounts/strestorewe"
VNET = RGS + "/rg-restore/providers/Microsoft.Network/virtualNetworks/vnet-restore"
RP_TIME = "2026-11-20T22:07:11Z"
ARCHIVE = (("ArchivedRP", "Valid"),)
SPECS = os.path.join(os.path.dirname(__file__), "..", "..", "contract", "specs", "specification",
                     "recoveryservicesbackup", "resource-manager", "Microsoft.RecoveryServices", "stable")


def spec_example(version, name):
    """An example of Azure's REST API specification (tests/contract/specs)."""
    with open(os.path.join(SPECS, version, "examples", name)) as f:
        return json.load(f)


def item_ref():
    from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import ProtectedItemRef

    return ProtectedItemRef(SUB, "rg-vault", "rsv-prod", "rg-prod", "vm-web-01")


def point(luns=(0, 1), managed=True, tiers=(("InstantRP", "Valid"), ("HardenedRP", "Valid")), name="111"):
    """A normalized recovery point of item_ref()."""
    from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import normalize_recovery_point

    return normalize_recovery_point({
        "id": item_ref().recovery_point_path(name), "name": name,
        "properties": {
            "objectType": "IaasVMRecoveryPoint", "recoveryPointType": "CrashConsistent",
            "recoveryPointTime": RP_TIME, "isManagedVirtualMachine": managed,
            "recoveryPointTierDetails": [{"type": t, "status": s} for t, s in tiers],
            "recoveryPointDiskConfiguration": {"includedDiskList": [{"lun": lun, "name": "d%d" % lun}
                                                                    for lun in luns]},
        }})


def restore_params(**kw):
    """The options of a restore_disks of item_ref() into rg-restore."""
    base = dict(vm_name="vm-web-01", vm_resource_group="rg-prod", staging_storage_account="strestorewe",
                staging_storage_account_resource_group="rg-restore", target_resource_group="rg-restore")
    base.update(kw)
    return base


def raw_job(job_id, status="InProgress", restore_type="RestoreDisks", rp_time="11/20/2026 10:07:11 PM",
            entity="vm-web-01", sa="strestorewe", rg="rg-restore", operation="Restore", bag=None, errors=None,
            target_vm=None):
    """A restore job resource of the vault as Azure returns it."""
    bag_ = {"Job Type": "Recover disks", "Recovery point time ": rp_time, "Target Storage Account Name": sa,
            "Target resource group": rg}
    if target_vm:
        bag_["Target VM Name"] = target_vm
    bag_.update(bag or {})
    return {
        "id": VAULT + "/backupJobs/" + job_id, "name": job_id, "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": {
            "jobType": "AzureIaaSVMJob", "entityFriendlyName": entity, "backupManagementType": "AzureIaasVM",
            "operation": operation, "status": status, "startTime": "2026-11-21T08:00:00Z",
            "errorDetails": errors or [],
            "extendedInfo": {"propertyBag": bag_, "internalPropertyBag": {"restoreLocationType": restore_type}},
        }}


def api_error(status, code="SomeError", message="it went wrong"):
    from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError

    return AzureApiError(status_code=status, error_code=code, error_message=message, method="POST",
                         url="https://x/y", retried=status < 500)


class FakeClient(object):
    """Answers requests from a handler(method, url, params, json) -> (status, headers, body) or an exception."""

    def __init__(self, handler):
        self.handler = handler
        self.calls = []
        self.subscription_id = SUB

    def request(self, method, url, api_version=None, params=None, json=None, headers=None, ok=(200,),
                idempotent=None):
        from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import ArmResponse
        from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError

        self.calls.append((method, url, api_version, params, json))
        answer = self.handler(method, url, params or {}, json)
        if isinstance(answer, Exception):
            raise answer
        status, hdrs, body = answer
        if ok is not None and status not in ok:
            raise AzureApiError.from_response(status, hdrs, body, method, url, retried=method == "GET")
        return ArmResponse(status, hdrs, body, url)

    def get(self, url, api_version=None, params=None, ok=(200,)):
        return self.request("GET", url, api_version=api_version, params=params, ok=ok)

    def post(self, url, api_version=None, json=None, ok=(200, 202), idempotent=False, params=None, headers=None):
        return self.request("POST", url, api_version=api_version, params=params, json=json, ok=ok,
                            idempotent=idempotent)

    def list(self, url, api_version=None, params=None, method="GET", json=None):
        return iter(self.request(method, url, api_version=api_version, params=params, json=json).body["value"])

    def count(self, method, pattern):
        return len([c for c in self.calls if c[0] == method and re.search(pattern, c[1])])


class ExitJson(Exception):
    """A module's exit_json, caught (its args[0]: the result)."""


class FailJson(Exception):
    """A module's fail_json, caught (its args[0]: the result)."""


def run_module_main(monkeypatch, module, args, check_mode=False, client=None, sleep=None):
    """Run ``module.main()`` with ``args`` against a test client (one attempt per request; ``time.sleep`` is
    ``sleep``, by default one that returns at once); returns (ExitJson or FailJson, the result, the module's
    no_log values)."""
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.azbackup.restore.plugins.module_utils import _common, _module, _restore_flavours
    seen = {}

    def caught(kind):
        def leave(self, **kw):
            seen["no_log_values"] = set(self.no_log_values)
            raise kind(kw)
        return leave
    monkeypatch.setattr(_module.AnsibleModule, "exit_json", caught(ExitJson))
    monkeypatch.setattr(_module.AnsibleModule, "fail_json", caught(FailJson))
    monkeypatch.setattr(_common, "get_client", lambda p: client() if client else make_client(max_attempts=1))
    monkeypatch.setattr(_restore_flavours.time, "sleep", sleep or (lambda s: None))
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as e:
            module.main()
    return e.type, e.value.args[0], seen["no_log_values"]
