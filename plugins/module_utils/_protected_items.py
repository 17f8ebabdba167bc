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
import fnmatch

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._time import format_azure_time

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
    # each part becomes a path segment: refused here, naming the option it came from
    return (rid.check_segment(parsed["subscription"], "subscription_id", option),
            rid.check_segment(parsed["resource_group"], "resource_group", option),
            rid.check_segment(parsed["name"], "vm", option))


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


# --------------------------------------------------------------------------------------------
# The VMs a vault protects (BackupProtectedItems_List; BackupProtectedItemsCrr_List in the
# secondary region)

# Azure's $filter of the list: the one the Azure CLI sends for VMs. The other filters are applied
# client-side, and these two again.
VM_ITEMS_FILTER = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"
VM_ITEM_TYPES = ("microsoft.compute/virtualmachines", "microsoft.classiccompute/virtualmachines")
# The client-side filters (module options of the same names).
ITEM_FILTERS = ("vm_resource_group", "vm_name", "protection_state", "health_status", "policy_name")


class VaultRef(object):
    """A vault, with the attributes of ProtectedItemRef that name it (``read_vault`` and
    ``require_crr`` take either)."""

    def __init__(self, subscription_id, vault_resource_group, vault_name):
        self.subscription_id = subscription_id
        self.vault_resource_group = vault_resource_group
        self.vault_name = vault_name

    @property
    def vault_id(self):
        return rid.vault_id(self.subscription_id, self.vault_resource_group, self.vault_name)

    def describe(self):
        return "vault %s (resource group %s)" % (self.vault_name, self.vault_resource_group)


def vault_ref(params, subscription_id):
    """A VaultRef from the vault_name / vault_resource_group options, its names checked."""
    if not params.get("vault_name") or not params.get("vault_resource_group"):
        raise ValidationError("vault_name and vault_resource_group are required", option="vault_name")
    ref = VaultRef(subscription_id, params["vault_resource_group"], params["vault_name"])
    ref.vault_id  # a name that cannot be a URL path segment is refused before any request
    return ref


def _container_and_item(resource, props):
    """(container_name, protected_item_name) as the other modules take them: from the item's id."""
    try:
        return rid.names_from_protected_item_id(resource.get("id") or "")
    except ValueError:
        container = props.get("containerName")
        if container and len(container.split(";")) == 3:  # containerName lacks the first segment
            container = "IaasVMContainer;" + container
        return container, resource.get("name")


def _vm_of(props, item_name):
    """(vm_id, vm_resource_group, vm_name) of a listed item: from its VM id, else its item name
    (``VM;iaasvmcontainerv2;{rg};{vm}``)."""
    vm_id = props.get("virtualMachineId") or props.get("sourceResourceId") or None
    parsed = {}
    if vm_id:
        try:
            parsed = rid.parse_resource_id(vm_id)
        except ValueError:
            parsed = {}
    parts = (item_name or "").split(";") if len((item_name or "").split(";")) >= 4 else [None, None]
    vm_rg = parsed.get("resource_group") or parts[-2]
    vm_name = props.get("friendlyName") or parsed.get("name") or parts[-1]
    return vm_id, vm_rg, vm_name


def normalize_protected_item(resource):
    """A protected VM of a vault's list as the modules return it (snake_case; raw properties kept)."""
    props = resource.get("properties") or {}
    ext = props.get("extendedInfo") or {}
    container, item = _container_and_item(resource, props)
    vm_id, vm_rg, vm_name = _vm_of(props, item)
    policy_id = props.get("policyId") or None
    return dict(
        id=resource.get("id"),
        name=resource.get("name"),
        vm_id=vm_id,
        vm_name=vm_name,
        vm_resource_group=vm_rg,
        container_name=container,
        protected_item_name=item,
        protection_state=props.get("protectionState"),
        protection_status=props.get("protectionStatus"),
        health_status=props.get("healthStatus"),
        last_backup_status=props.get("lastBackupStatus"),
        last_backup_time=format_azure_time(props.get("lastBackupTime")),
        last_recovery_point=format_azure_time(props.get("lastRecoveryPoint")),
        oldest_recovery_point=format_azure_time(ext.get("oldestRecoveryPoint")),
        recovery_point_count=ext.get("recoveryPointCount"),
        policy_name=props.get("policyName") or (policy_id.rstrip("/").split("/")[-1] if policy_id else None),
        policy_id=policy_id,
        properties=props,
    )


def _is_vm_item(props):
    """What the $filter asks for, checked again (a property Azure left out does not count against it)."""
    return ((props.get("backupManagementType") or "AzureIaasVM").lower() == "azureiaasvm"
            and (props.get("workloadType") or "VM").lower() == "vm"
            and (props.get("protectedItemType") or VM_ITEM_TYPES[0]).lower() in VM_ITEM_TYPES)


def _one_of(value, wanted):
    if not wanted:
        return True
    wanted = [wanted] if isinstance(wanted, str) else wanted
    return (value or "").lower() in [str(w).lower() for w in wanted]


def select_protected_items(items, vm_resource_group=None, vm_name=None, protection_state=None,
                           health_status=None, policy_name=None):
    """The normalized items matching every filter given (case-insensitive; ``vm_name`` is an
    fnmatch-style pattern; the others take one value or a list), by VM resource group and name."""
    out = []
    for it in items:
        if not _is_vm_item(it.get("properties") or {}):
            continue
        if vm_resource_group and (it.get("vm_resource_group") or "").lower() != vm_resource_group.lower():
            continue
        if vm_name and not fnmatch.fnmatchcase((it.get("vm_name") or "").lower(), vm_name.lower()):
            continue
        if _one_of(it.get("protection_state"), protection_state) and _one_of(it.get("health_status"), health_status) \
                and _one_of(it.get("policy_name"), policy_name):
            out.append(it)
    out.sort(key=lambda i: ((i.get("vm_resource_group") or "").lower(), (i.get("vm_name") or "").lower()))
    return out


def list_protected_items(client, vault, secondary=False, api_version=None):
    """Every protected VM of ``vault`` (a VaultRef), every page, normalized; the $filter is
    VM_ITEMS_FILTER. ``secondary`` lists those replicated to the paired region: the same URL with
    the cross-region restore api-version (BackupProtectedItemsCrr_List spells it with a trailing
    slash). A missing vault is refused naming vault_name (or vault_resource_group)."""
    url = vault.vault_id + ("/backupProtectedItems/" if secondary else "/backupProtectedItems")
    with refusing_not_found("Failed to list the protected items of %s%s" % (
            vault.describe(), " in the secondary region" if secondary else ""),
            vault_missing_text(vault), "vault_name", vault):
        raw = list(client.list(url, api_version=api_version or (api.CRR if secondary else api.BACKUP),
                               params={"$filter": VM_ITEMS_FILTER}))
    return [normalize_protected_item(r) for r in raw]
