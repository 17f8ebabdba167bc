# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The protected VM: where it lives in a vault, how messages name it, and Azure's "not found"
answers turned into refusals that name the option at fault.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib

from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError

# The argument spec of the options that name a protected VM; its documentation is the doc
# fragment azbackup.restore.protected_item (the two must not drift).
PROTECTED_ITEM_ARGSPEC = dict(
    vault_name=dict(type="str", required=True),
    vault_resource_group=dict(type="str", required=True),
    vm_id=dict(type="str"),
    vm_name=dict(type="str"),
    vm_resource_group=dict(type="str"),
    container_name=dict(type="str"),
    protected_item_name=dict(type="str"),
)
PROTECTED_ITEM_MUTUALLY_EXCLUSIVE = [("vm_id", "vm_name"), ("vm_id", "vm_resource_group")]
PROTECTED_ITEM_REQUIRED_TOGETHER = [("vm_name", "vm_resource_group")]
PROTECTED_ITEM_REQUIRED_ONE_OF = [("vm_id", "vm_name")]

# Azure's codes for a missing subscription / resource group, which make every resource under them
# "not found" too.
SUBSCRIPTION_NOT_FOUND_CODES = ("SubscriptionNotFound", "InvalidSubscriptionId")
RESOURCE_GROUP_NOT_FOUND_CODES = ("ResourceGroupNotFound",)
VAULT_NOT_FOUND_CODES = ("ResourceNotFound",) + RESOURCE_GROUP_NOT_FOUND_CODES + SUBSCRIPTION_NOT_FOUND_CODES


class ProtectedItemRef(object):
    """Where a protected VM lives in a vault, and the VM it protects."""

    def __init__(self, subscription_id, vault_resource_group, vault_name, vm_resource_group, vm_name,
                 container=None, item=None, vm_subscription_id=None):
        self.subscription_id = subscription_id
        self.vault_resource_group = vault_resource_group
        self.vault_name = vault_name
        self.vm_resource_group = vm_resource_group
        self.vm_name = vm_name
        self.vm_subscription_id = vm_subscription_id or subscription_id
        self.container = container or rid.container_name(vm_resource_group, vm_name)
        self.item = item or rid.protected_item_name(vm_resource_group, vm_name)

    @property
    def vault_id(self):
        return rid.vault_id(self.subscription_id, self.vault_resource_group, self.vault_name)

    @property
    def vm_id(self):
        return rid.vm_id(self.vm_subscription_id, self.vm_resource_group, self.vm_name)

    @property
    def path(self):
        return rid.protected_item_path(self.vault_id, self.container, self.item)

    def recovery_point_path(self, recovery_point_id):
        return rid.recovery_point_path(self.path, recovery_point_id)

    def describe(self):
        """How messages name the protected VM."""
        return "VM %s (resource group %s) in vault %s (resource group %s)" % (
            self.vm_name, self.vm_resource_group, self.vault_name, self.vault_resource_group)

    def as_dict(self):
        return dict(vault_id=self.vault_id, vm_id=self.vm_id, container_name=self.container,
                    protected_item_name=self.item)


def parse_vm_id(vm_id, option="vm_id"):
    """(subscription, resource group, name) of a virtual machine id; ValidationError naming ``option``."""
    try:
        parsed = rid.parse_resource_id(vm_id)
    except ValueError as e:
        raise ValidationError("%s is not a valid virtual machine resource id: %s" % (option, e), option=option)
    if (parsed.get("namespace") or "").lower() != "microsoft.compute" or \
            (parsed.get("type") or "").lower() != "virtualmachines" or parsed.get("children"):
        raise ValidationError("%s must be the id of a Microsoft.Compute/virtualMachines resource, got %r"
                              % (option, vm_id), option=option)
    return parsed["subscription"], parsed["resource_group"], parsed["name"]


def protected_item_ref(params, subscription_id):
    """Build a ProtectedItemRef from the common module options (vm_id | vm_name + vm_resource_group)."""
    vm_name, vm_rg, vm_sub = params.get("vm_name"), params.get("vm_resource_group"), None
    if params.get("vm_id"):
        if vm_name or vm_rg:
            raise ValidationError("vm_id is mutually exclusive with vm_name and vm_resource_group", option="vm_id")
        vm_sub, vm_rg, vm_name = parse_vm_id(params["vm_id"])
    elif not (vm_name and vm_rg):
        raise ValidationError("one of vm_id, or vm_name with vm_resource_group, is required", option="vm_name")
    if not params.get("vault_name") or not params.get("vault_resource_group"):
        raise ValidationError("vault_name and vault_resource_group are required", option="vault_name")
    return ProtectedItemRef(subscription_id, params["vault_resource_group"], params["vault_name"], vm_rg, vm_name,
                            container=params.get("container_name"), item=params.get("protected_item_name"),
                            vm_subscription_id=vm_sub)


# --------------------------------------------------------------------------------------------
# "Not found": which option is at fault


def vault_missing_text(item):
    return "Vault %s was not found in resource group %s (vault %s does not exist, or these credentials cannot " \
           "read it)" % (item.vault_name, item.vault_resource_group, item.vault_name)


def not_found_refusal(err, msg, option, item=None):
    """A ValidationError for Azure's 404 ``err`` on a resource the options name.

    ``msg`` / ``option`` say what was not found; when Azure says that the subscription or the
    vault's resource group is what is missing, the refusal says that instead. Azure's code,
    message and correlation id go with it.
    """
    code = err.error_code or ""
    if code in SUBSCRIPTION_NOT_FOUND_CODES:
        return ValidationError("subscription %s was not found (or the credentials cannot see it)"
                               % (item.subscription_id if item is not None else "?"),
                               option="subscription_id", azure_error=err)
    under_vault = ("vault_name", "vm_name", "vm_id", "recovery_point_id")  # lookups under the vault's path
    if code in RESOURCE_GROUP_NOT_FOUND_CODES and item is not None and option in under_vault:
        return ValidationError("resource group %s of vault %s does not exist" % (
            item.vault_resource_group, item.vault_name), option="vault_resource_group", azure_error=err)
    if code in VAULT_NOT_FOUND_CODES and item is not None and option in under_vault[1:]:
        return ValidationError(vault_missing_text(item), option="vault_name", azure_error=err)
    return ValidationError(msg, option=option, azure_error=err)


@contextlib.contextmanager
def refusing_not_found(failed, not_found, option, item=None):
    """Turn Azure's errors of the requests in the block into messages naming the resource:
    a 404 into ``not_found_refusal(err, not_found, option, item)``, anything else into
    ``"{failed}: (code) message (correlation id ...)"``."""
    try:
        yield
    except AzureApiError as e:
        if e.status_code == 404:
            raise not_found_refusal(e, not_found, option, item)
        raise e.with_context(failed, show_correlation_id=True)
