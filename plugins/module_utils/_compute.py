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

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as versions
from ansible_collections.azbackup.restore.plugins.module_utils import _poller
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError, AzureApiError

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


def read(client, resource_id, params=None, api_version=None):
    """The resource's body, or ``None`` when Azure does not know it (404)."""
    resp = client.get(resource_id, api_version=api_version or api_version_of(resource_id), params=params,
                      ok=(200, 404))
    return resp.body if resp.status_code == 200 else None


def read_vm(client, vm_id, instance_view=False):
    """The VM (with its instance view when asked), or ``None`` when it does not exist."""
    return read(client, vm_id, params={"$expand": "instanceView"} if instance_view else None)


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


def list_resources(client, subscription_id, resource_group):
    """Every resource of a resource group (id, name, type, location, tags, managedBy)."""
    url = "%s/resources" % rid.resource_group_id(subscription_id, resource_group)
    return list(client.list(url, api_version=versions.RESOURCE_GROUP))


def list_vms(client, subscription_id, resource_group):
    """The VMs of a resource group."""
    url = "%s/providers/Microsoft.Compute/virtualMachines" % rid.resource_group_id(subscription_id, resource_group)
    return list(client.list(url, api_version=versions.COMPUTE))


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
