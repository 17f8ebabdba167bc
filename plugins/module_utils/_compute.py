# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Virtual machines after a restore: a VM and its instance view, what it owns (network interfaces,
managed disks), tags (the Tags API), the resources of a resource group, and removal with ARM's
asynchronous deletes.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
from collections import namedtuple

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as versions
from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError, AzureApiError
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import (
    RESOURCE_GROUP_NOT_FOUND_CODES,
    SUBSCRIPTION_NOT_FOUND_CODES,
    not_found_refusal,
)

VM_TYPE = "microsoft.compute/virtualmachines"
DISK_TYPE = "microsoft.compute/disks"
NIC_TYPE = "microsoft.network/networkinterfaces"
PUBLIC_IP_TYPE = "microsoft.network/publicipaddresses"

# The api-version of a resource by its provider namespace.
_NAMESPACE_VERSIONS = {
    "microsoft.compute": versions.COMPUTE,
    "microsoft.network": versions.NETWORK,
}

AGENT_READY = "Ready"


def resource_type(resource_id):
    """``microsoft.compute/virtualmachines`` for a VM id (lower case; ``None`` for a malformed id)."""
    try:
        parts = rid.parse_resource_id(resource_id)
    except ValueError:
        return None
    types = [parts["type"]] + [c["type"] for c in parts["children"]]
    return ("%s/%s" % (parts["namespace"], "/".join(types))).lower() if parts["namespace"] else None


def api_version_of(resource_id):
    """The api-version the collection uses for the resource ``resource_id``."""
    try:
        namespace = (rid.parse_resource_id(resource_id)["namespace"] or "").lower()
    except ValueError as e:
        raise AzBackupError("Azure named a resource by a malformed id: %s" % e)
    version = _NAMESPACE_VERSIONS.get(namespace)
    if version is None:
        raise AzBackupError("The collection does not manage resources of %s (%s)" % (namespace, resource_id))
    return version


# What not_found_refusal names a missing subscription by.
_Subscription = namedtuple("_Subscription", "subscription_id")


def missing_container(err, subscription_id, resource_group, option=None, of_group=False):
    """The ``ValidationError`` for Azure's 404 ``err`` when it says that the resource group
    (``ResourceGroupNotFound``) or the subscription holding the resource is missing: an option is wrong,
    the resource is not merely absent. It names ``option`` (the option that holds the resource group;
    ``subscription_id`` for a missing subscription) and carries Azure's code, message and correlation id.
    ``None`` for any other answer. ``of_group``: the resource is the resource group itself."""
    code = (err.error_code or "") if err.status_code == 404 else ""
    if code in SUBSCRIPTION_NOT_FOUND_CODES:
        return not_found_refusal(err, None, option, _Subscription(subscription_id))
    if code in RESOURCE_GROUP_NOT_FOUND_CODES and not of_group:
        return not_found_refusal(err, "resource group %s does not exist (%s)" % (
            resource_group, "check %s" % option if option else "in subscription %s" % subscription_id), option)
    return None


def read(client, resource_id, params=None, api_version=None, resource_group_option=None):
    """The resource's body, or ``None`` when Azure does not know it (a 404 ``ResourceNotFound``, or one
    without a code). A 404 saying that its resource group or subscription is missing raises
    ``missing_container``'s ``ValidationError``, naming ``resource_group_option``."""
    resp = client.get(resource_id, api_version=api_version or api_version_of(resource_id), params=params,
                      ok=(200, 404))
    if resp.status_code == 200:
        return resp.body
    err = AzureApiError.from_response(resp.status_code, resp.headers, resp.body, "GET", resp.url)
    try:
        parts = rid.parse_resource_id(resource_id)
    except ValueError:
        return None
    refusal = missing_container(err, parts["subscription"], parts["resource_group"], resource_group_option,
                                of_group=parts["namespace"] is None)
    if refusal is not None:
        raise refusal
    return None


def read_vm(client, vm_id, instance_view=False, resource_group_option=None):
    """The VM (with its instance view when asked), or ``None`` when it does not exist (see ``read``)."""
    return read(client, vm_id, params={"$expand": "instanceView"} if instance_view else None,
                resource_group_option=resource_group_option)


def _status_codes(statuses, prefix):
    for status in statuses or []:
        code = str((status or {}).get("code") or "")
        if code.lower().startswith(prefix.lower() + "/"):
            yield code[len(prefix) + 1:], status


def power_state(instance_view):
    """``running``, ``starting``, ``deallocated``... from the instance view (``None`` when it has none)."""
    for value, dummy in _status_codes((instance_view or {}).get("statuses"), "PowerState"):
        return value
    return None


def agent_status(instance_view):
    """The VM agent as the instance view reports it: ``status`` (Azure's ``displayStatus``, ``Ready``
    when ready), ``message`` and ``version``."""
    agent = (instance_view or {}).get("vmAgent") or {}
    statuses = agent.get("statuses") or []
    last = statuses[-1] if statuses else {}
    return dict(status=last.get("displayStatus"), message=last.get("message"),
                version=agent.get("vmAgentVersion"), time=last.get("time"))


def owned_ids(vm):
    """``(nic_ids, disk_ids)`` the VM body names: its network interfaces and its managed disks."""
    props = (vm or {}).get("properties") or {}
    nics = [n.get("id") for n in (props.get("networkProfile") or {}).get("networkInterfaces") or [] if n.get("id")]
    storage = props.get("storageProfile") or {}
    disks = []
    for disk in [storage.get("osDisk") or {}] + list(storage.get("dataDisks") or []):
        disk_id = (disk.get("managedDisk") or {}).get("id")
        if disk_id:
            disks.append(disk_id)
    return nics, disks


def vm_state(vm):
    """What the collection reports of a VM read with its instance view."""
    props = vm.get("properties") or {}
    view = props.get("instanceView") or {}
    nics, disks = owned_ids(vm)
    parts = rid.parse_resource_id(vm["id"])
    return dict(id=vm.get("id"), name=vm.get("name"), resource_group=parts["resource_group"],
                location=vm.get("location"), provisioning_state=props.get("provisioningState"),
                power_state=power_state(view), agent=agent_status(view),
                os_type=((props.get("storageProfile") or {}).get("osDisk") or {}).get("osType"),
                network_interfaces=nics, disks=disks, tags=dict(vm.get("tags") or {}))


def carries(resource, tags):
    """Whether ``resource`` (a body or a listing entry) has every tag of ``tags`` with that value."""
    have = (resource or {}).get("tags") or {}
    lowered = dict((str(k).lower(), v) for k, v in have.items())
    return all(lowered.get(str(k).lower()) == str(v) for k, v in (tags or {}).items())


def missing_tags(resource, tags):
    """The tags of ``tags`` that ``resource`` lacks or carries with another value."""
    have = dict((str(k).lower(), v) for k, v in ((resource or {}).get("tags") or {}).items())
    return dict((k, str(v)) for k, v in (tags or {}).items() if have.get(str(k).lower()) != str(v))


def merge_tags(client, resource_id, tags):
    """Add ``tags`` to the resource's tags (the Tags API, operation ``Merge``); returns its tags after."""
    resp = client.request("PATCH", "%s/providers/Microsoft.Resources/tags/default" % resource_id,
                          api_version=versions.TAGS, ok=(200,),
                          json={"operation": "Merge", "properties": {"tags": dict(tags)}})
    return ((resp.body or {}).get("properties") or {}).get("tags") or {}


def _listed(client, url, api_version, subscription_id, resource_group, resource_group_option):
    try:
        return list(client.list(url, api_version=api_version))
    except AzureApiError as e:
        refusal = missing_container(e, subscription_id, resource_group, resource_group_option)
        if refusal is None:
            raise
        raise refusal


def list_resources(client, subscription_id, resource_group, resource_group_option=None):
    """Every resource of a resource group (id, name, type, location, tags, managedBy); a missing resource
    group raises ``missing_container``'s ``ValidationError``, naming ``resource_group_option``."""
    url = "%s/resources" % rid.resource_group_id(subscription_id, resource_group)
    return _listed(client, url, versions.RESOURCE_GROUP, subscription_id, resource_group, resource_group_option)


def list_vms(client, subscription_id, resource_group, resource_group_option=None):
    """The VMs of a resource group (a missing resource group: as ``list_resources``)."""
    url = "%s/providers/Microsoft.Compute/virtualMachines" % rid.resource_group_id(subscription_id, resource_group)
    return _listed(client, url, versions.COMPUTE, subscription_id, resource_group, resource_group_option)


class Deletion(object):
    """Resources deleted side by side: every DELETE sent first, then every operation followed."""

    def __init__(self, client, timeout, poll=None, sleep=time.sleep, clock=time.monotonic):
        self.client = client
        self.poll = dict(poll or {})
        self.sleep = sleep
        self.clock = clock
        self.deadline = clock() + max(0, timeout)
        self.timeout = timeout
        self.deleted = []

    def _send(self, resource_id):
        """DELETE; the operation to follow (``None``: already gone or deleted at once)."""
        try:
            resp = self.client.request("DELETE", resource_id, api_version=api_version_of(resource_id),
                                       ok=(200, 202, 204))
        except AzureApiError as e:
            raise e.with_context("Azure refused to delete %s" % resource_id, show_correlation_id=True)
        if resp.status_code != 202:
            return None
        return _poller.operation_urls(resp)

    def delete(self, resource_ids):
        """Delete ``resource_ids`` and wait for all of them. ``deleted`` lists, also after a failure, the
        ids Azure deleted or did not know."""
        started = []
        for resource_id in resource_ids:
            urls = self._send(resource_id)
            if urls is None:
                self.deleted.append(resource_id)
            else:
                started.append((resource_id, urls))
        for resource_id, urls in started:
            left = self.deadline - self.clock()
            try:
                _poller.poll_operation(self.client, timeout=max(0, left), sleep=self.sleep, clock=self.clock,
                                       **dict(urls, **self.poll))
            except AzBackupError as e:
                raise e.prefixed("Deleting %s (wait_timeout %ss)" % (resource_id, self.timeout))
            self.deleted.append(resource_id)
        return list(self.deleted)
