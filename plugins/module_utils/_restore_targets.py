# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a restore writes to: the target options (names or ids) resolved into resource ids.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._jobs import same_name

# Options that describe a new VM; a disk replacement acts on the source VM and takes none of them.
TARGET_VM_OPTIONS = ("target_vm_name", "target_resource_group", "target_virtual_network",
                     "target_virtual_network_resource_group", "target_subnet", "target_zone")


def _parse(value, option, namespace, rtype):
    """Parse an ARM id given for ``option`` and check its type (``rtype`` may be 'a/b' for a child)."""
    try:
        parsed = rid.parse_resource_id(value)
    except ValueError as e:
        raise ValidationError("%s is not a valid resource id: %s" % (option, e), option=option)
    got = "%s/%s" % (parsed.get("namespace") or "", parsed.get("type") or "")
    children = parsed.get("children") or []
    for child in children:
        got += "/" + (child.get("type") if isinstance(child, dict) else child[0])
    if got.lower() != ("%s/%s" % (namespace, rtype)).lower():
        raise ValidationError("%s must be the id of a %s/%s resource, got %r" % (option, namespace, rtype, value),
                              option=option)
    return parsed


def is_id(value):
    return isinstance(value, str) and value.startswith("/")


def resource_group_id(subscription_id, value, option="target_resource_group"):
    """A resource group id from a name or an id."""
    if not value:
        return None
    if is_id(value):
        parts = [p for p in value.split("/") if p]
        if len(parts) != 4 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
            raise ValidationError("%s must be a resource group name or id (/subscriptions/{id}/resourceGroups/"
                                  "{name}), got %r" % (option, value), option=option)
        return "/subscriptions/%s/resourceGroups/%s" % (parts[1], parts[3])
    return rid.resource_group_id(subscription_id, value, option=option)


def name_of(resource_id):
    return resource_id.rstrip("/").split("/")[-1] if resource_id else None


class RestoreTargets(object):
    """The resolved ids of what a restore writes to."""

    def __init__(self, region, storage_account_id, resource_group_id=None, vm_id=None, virtual_network_id=None,
                 subnet_id=None):
        self.region = region
        self.storage_account_id = storage_account_id
        self.resource_group_id = resource_group_id
        self.vm_id = vm_id
        self.virtual_network_id = virtual_network_id
        self.subnet_id = subnet_id

    @property
    def storage_account_name(self):
        return name_of(self.storage_account_id)

    @property
    def resource_group_name(self):
        return name_of(self.resource_group_id)

    @property
    def vm_name(self):
        return name_of(self.vm_id)

    def as_dict(self):
        return dict(region=self.region, storage_account_id=self.storage_account_id,
                    resource_group_id=self.resource_group_id, vm_id=self.vm_id,
                    virtual_network_id=self.virtual_network_id, subnet_id=self.subnet_id)


def resolve_targets(params, subscription_id, region):
    """Turn the target options (names or ids) into a RestoreTargets; no network."""
    sa = params.get("staging_storage_account")
    if not sa:
        raise ValidationError("staging_storage_account is required", option="staging_storage_account")
    if is_id(sa):
        _parse(sa, "staging_storage_account", "Microsoft.Storage", "storageAccounts")
        sa_id = sa
    else:
        sa_rg = params.get("staging_storage_account_resource_group")
        if not sa_rg:
            raise ValidationError("staging_storage_account_resource_group is required when staging_storage_account "
                                  "is a name (or give the storage account's resource id)",
                                  option="staging_storage_account_resource_group")
        sa_id = rid.storage_account_id(subscription_id, sa_rg, sa)
    rg_id = resource_group_id(subscription_id, params.get("target_resource_group"))
    rg_sub = rg_id.split("/")[2] if rg_id else subscription_id
    vm = None
    if params.get("target_vm_name"):
        if not rg_id:
            raise ValidationError("target_vm_name needs target_resource_group", option="target_resource_group")
        vm = rid.vm_id(rg_sub, name_of(rg_id), params["target_vm_name"], option="target_vm_name",
                       resource_group_option="target_resource_group")
    vnet = params.get("target_virtual_network")
    subnet = params.get("target_subnet")
    vnet_id = subnet_id = None
    if subnet and is_id(subnet):
        parsed = _parse(subnet, "target_subnet", "Microsoft.Network", "virtualNetworks/subnets")
        subnet_id = subnet
        vnet_id = subnet.rsplit("/subnets/", 1)[0] if "/subnets/" in subnet else \
            rid.virtual_network_id(parsed["subscription"], parsed["resource_group"], parsed["name"])
        if vnet and not same_name(vnet, vnet_id if is_id(vnet) else name_of(vnet_id)):
            raise ValidationError("target_subnet %s is not in target_virtual_network %s" % (subnet, vnet),
                                  option="target_subnet")
    elif vnet:
        if is_id(vnet):
            _parse(vnet, "target_virtual_network", "Microsoft.Network", "virtualNetworks")
            vnet_id = vnet
        else:
            vnet_rg = params.get("target_virtual_network_resource_group") or name_of(rg_id)
            if not vnet_rg:
                raise ValidationError("target_virtual_network_resource_group (or target_resource_group) is required "
                                      "when target_virtual_network is a name",
                                      option="target_virtual_network_resource_group")
            vnet_id = rid.virtual_network_id(rg_sub, vnet_rg, vnet)
        if subnet:
            subnet_id = rid.subnet_id(*(_vnet_parts(vnet_id) + (subnet,)))
    elif subnet:
        raise ValidationError("target_subnet given by name needs target_virtual_network", option="target_virtual_network")
    return RestoreTargets(region, sa_id, rg_id, vm, vnet_id, subnet_id)


def _vnet_parts(vnet_id):
    parts = [p for p in vnet_id.split("/") if p]
    return (parts[1], parts[3], parts[-1])
