# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The safety pre-flight of a restore drill: reads only, and every reason to refuse the drill at once.

Internal to this collection: not a public API, may change at any time.

A drill restores VMs into a resource group of its own and a network cut off from everything else,
and removes afterwards only what carries its mark. It is refused when:

* the resource group does not exist, is the resource group of a source VM, or holds anything the
  drill did not create (a resource of another drill run is named as such);
* a restored VM would have its source's name;
* the network does not exist, is a network a source VM uses, is peered with another network, or has
  a gateway.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as versions
from ansible_collections.azbackup.restore.plugins.module_utils import _compute as compute
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError, ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import parse_vm_id
from ansible_collections.azbackup.restore.plugins.module_utils._restored_vm import check_tags

SHOWN = 10  # resources named in one refusal; the rest are counted

VMS_SPEC = dict(
    name=dict(type="str"),
    resource_group=dict(type="str"),
    id=dict(type="str"),
    target_vm_name=dict(type="str", required=True),
)


def _low(value):
    return str(value or "").rstrip("/").lower()


def _show(ids):
    ids = sorted(ids)
    text = ", ".join(ids[:SHOWN])
    return text + (" and %d more" % (len(ids) - SHOWN) if len(ids) > SHOWN else "")


def vnet_of_subnet(subnet_id):
    """The virtual network id of a subnet id (``None`` for anything else)."""
    text = str(subnet_id or "")
    cut = text.lower().find("/subnets/")
    return text[:cut] if cut > 0 else None


class Source(object):
    """A VM the drill restores: its id, resource group, and the name its restored copy gets."""

    def __init__(self, subscription_id, entry):
        if entry.get("id"):
            sub, rg, name = parse_vm_id(entry["id"], option="vms")
        else:
            if not entry.get("name") or not entry.get("resource_group"):
                raise ValidationError("each entry of vms needs id, or name and resource_group", option="vms")
            sub, rg, name = subscription_id, entry["resource_group"], entry["name"]
        self.id = rid.vm_id(sub, rg, name, option="vms", resource_group_option="vms")
        self.subscription_id, self.resource_group, self.name = sub, rg, name
        self.label = "%s/%s" % (rg, name)
        self.target = rid.check_segment(entry["target_vm_name"], "vm", "vms")


class Preflight(object):
    """One pre-flight: ``refusals`` (option, reason) and what it read, for the result."""

    def __init__(self, client, subscription_id, params):
        self.client = client
        self.subscription_id = subscription_id
        self.params = params
        self.tags = check_tags(params.get("tags"))
        if not self.tags:
            raise ValidationError("tags must hold the drill run's mark (at least one tag)", option="tags")
        self.rg_id = rid.resource_group_id(subscription_id, params["resource_group"])
        self.vnet_id = self._vnet_id()
        self.sources = [Source(subscription_id, e) for e in params.get("vms") or []]
        if not self.sources:
            raise ValidationError("vms must name at least one VM", option="vms")
        self.refusals = []
        self.notes = []
        self.leftovers = []
        self.source_networks = {}
        self.resource_group = None
        self.virtual_network = None

    def _vnet_id(self):
        value = self.params["virtual_network"]
        if value.startswith("/"):
            try:
                parts = rid.parse_resource_id(value)
            except ValueError as e:
                raise ValidationError("virtual_network is not a virtual network id: %s" % e, option="virtual_network")
            if compute.resource_type(value) != "microsoft.network/virtualnetworks":
                raise ValidationError("virtual_network is not a virtual network id: %s" % value, option="virtual_network")
            return rid.resource_id(parts["subscription"], parts["resource_group"], "Microsoft.Network",
                                   "virtualNetworks", parts["name"], option="virtual_network")
        rg = self.params.get("virtual_network_resource_group") or self.params["resource_group"]
        return rid.resource_id(self.subscription_id, rg, "Microsoft.Network", "virtualNetworks",
                               rid.check_segment(value, "virtual_network", "virtual_network"),
                               option="virtual_network", resource_group_option="virtual_network_resource_group")

    def refuse(self, option, reason):
        self.refusals.append(dict(option=option, reason=reason))

    def run(self):
        self._check_names()
        self._check_resource_group()
        self._read_source_networks()
        self._check_network()
        if self.resource_group is not None:
            self._check_contents()
        return self.result()

    def result(self):
        return dict(changed=False, refusals=self.refusals, leftovers=sorted(self.leftovers), notes=self.notes,
                    resource_group=self.resource_group, virtual_network=self.virtual_network,
                    source_networks=self.source_networks)

    def _check_names(self):
        seen = {}
        for s in self.sources:
            if _low(s.target) == _low(s.name):
                self.refuse("vms", "the restored copy of %s would have its source's name %s: name restored VMs so "
                                   "that they can be told from their sources" % (s.label, s.name))
            if _low(s.target) in seen:
                self.refuse("vms", "%s and %s would both be restored as %s" % (seen[_low(s.target)], s.label, s.target))
            seen[_low(s.target)] = s.label

    def _check_resource_group(self):
        body = compute.read(self.client, self.rg_id, api_version=versions.RESOURCE_GROUP,
                            resource_group_option="resource_group")
        if body is None:
            self.refuse("resource_group", "resource group %s does not exist: create a resource group dedicated to "
                                          "restore drills" % self.params["resource_group"])
            return
        self.resource_group = dict(id=body.get("id"), name=body.get("name"), location=body.get("location"))
        for s in self.sources:
            if _low(s.subscription_id) == _low(self.subscription_id) and _low(s.resource_group) == _low(
                    self.params["resource_group"]):
                self.refuse("resource_group", "%s is the resource group of the source VM %s: a drill restores into "
                                              "a resource group of its own" % (self.params["resource_group"], s.label))

    def _read_source_networks(self):
        for s in self.sources:
            try:
                vm = compute.read_vm(self.client, s.id, resource_group_option="vms")
            except ValidationError as e:  # its resource group (or subscription) does not exist (any more)
                self.notes.append("source VM %s cannot be read, %s: its network was not compared" % (s.label, e.msg))
                continue
            if vm is None:
                self.notes.append("source VM %s does not exist any more: its network was not compared" % s.label)
                continue
            vnets = set()
            for nic_id in compute.owned_ids(vm)[0]:
                nic = compute.read(self.client, nic_id) or {}
                for conf in (nic.get("properties") or {}).get("ipConfigurations") or []:
                    vnet = vnet_of_subnet((((conf or {}).get("properties") or {}).get("subnet") or {}).get("id"))
                    if vnet:
                        vnets.add(vnet)
            self.source_networks[s.label] = sorted(vnets)

    def _vnet_group_option(self):
        """The option that names the resource group of the network."""
        if self.params["virtual_network"].startswith("/"):
            return "virtual_network"
        return "virtual_network_resource_group" if self.params.get("virtual_network_resource_group") else "resource_group"

    def _check_network(self):
        try:
            vnet = compute.read(self.client, self.vnet_id, resource_group_option=self._vnet_group_option())
        except ValidationError as e:  # the network's resource group does not exist
            if not (e.option == "resource_group" and self.resource_group is None):  # else refused already
                self.refuse(e.option, e.msg)
            return
        if vnet is None:
            where = "" if self.params["virtual_network"].startswith("/") else " (virtual_network %s in " \
                "virtual_network_resource_group %s)" % (self.params["virtual_network"], self.vnet_id.split("/")[4])
            self.refuse("virtual_network", "virtual network %s does not exist%s" % (self.vnet_id, where))
            return
        props = vnet.get("properties") or {}
        subnets = props.get("subnets") or []
        self.virtual_network = dict(id=vnet.get("id"), name=vnet.get("name"), location=vnet.get("location"),
                                    subnets=[s.get("name") for s in subnets])
        for label, vnets in sorted(self.source_networks.items()):
            if any(_low(v) == _low(self.vnet_id) for v in vnets):
                self.refuse("virtual_network", "%s is the network of the source VM %s: a restored copy there would "
                                               "answer on its source's network" % (vnet.get("name"), label))
        peerings = props.get("virtualNetworkPeerings") or []
        if peerings:
            remote = [((p.get("properties") or {}).get("remoteVirtualNetwork") or {}).get("id") or p.get("name")
                      for p in peerings]
            self.refuse("virtual_network", "%s is peered with %s: a drill's network reaches nothing else"
                        % (vnet.get("name"), _show([str(r) for r in remote])))
        gateways = [s.get("name") for s in subnets if _low(s.get("name")) == "gatewaysubnet" and (
            (s.get("properties") or {}).get("ipConfigurations"))]
        if gateways:
            self.refuse("virtual_network", "%s has a gateway (subnet GatewaySubnet in use): a drill's network reaches "
                                           "nothing else" % vnet.get("name"))

    def _classify(self, entry, targets):
        """``mine``, ``pending`` (this run's restore, not marked yet), ``other_run`` (its value) or ``foreign``."""
        if compute.carries(entry, self.tags):
            return "mine", None
        tags = dict((str(k).lower(), v) for k, v in (entry.get("tags") or {}).items())
        other = [tags[k.lower()] for k in self.tags if k.lower() in tags]
        if other:
            return "other_run", other[0]
        kind = compute.resource_type(entry.get("id"))
        if kind == compute.VM_TYPE and _low(entry.get("name")) in targets:
            return "pending", None
        if kind == compute.DISK_TYPE and _low(entry.get("managedBy")) in targets.values():
            return "pending", None
        if kind == compute.NIC_TYPE:
            nic = compute.read(self.client, entry["id"]) or {}
            owner = ((nic.get("properties") or {}).get("virtualMachine") or {}).get("id")
            if _low(owner) in targets.values():
                return "pending", None
        return "foreign", None

    def _check_contents(self):
        targets = dict((_low(s.target), _low(rid.vm_id(self.subscription_id, self.params["resource_group"], s.target,
                                                       option="vms", resource_group_option="resource_group")))
                       for s in self.sources)
        foreign, runs = [], {}
        for entry in compute.list_resources(self.client, self.subscription_id, self.params["resource_group"]):
            if _low(entry.get("id")) == _low(self.vnet_id):
                continue
            kind, run = self._classify(entry, targets)
            if kind in ("mine", "pending"):
                self.leftovers.append(entry["id"])
            elif kind == "other_run":
                runs.setdefault(run, []).append(entry["id"])
            else:
                foreign.append(entry["id"])
        for run, ids in sorted(runs.items()):
            self.refuse("resource_group", "%s holds what drill run %s left behind (%s): run that drill again with "
                                          "its run id to finish and clean it up, or remove those resources"
                        % (self.params["resource_group"], run, _show(ids)))
        if foreign:
            self.refuse("resource_group", "%s holds %d resource(s) the drill did not create (%s): a drill runs in a "
                                          "resource group of its own, which it may empty"
                        % (self.params["resource_group"], len(foreign), _show(foreign)))


class PreflightRefused(AzBackupError):
    """The drill must not run: ``refusals`` says why (each with the option at fault)."""

    def __init__(self, result):
        self.result = result
        reasons = "; ".join("%s: %s" % (r["option"], r["reason"]) for r in result["refusals"])
        super(PreflightRefused, self).__init__("The restore drill is refused, nothing was created or deleted: %s"
                                               % reasons)

    def _fail_extras(self):
        return dict(self.result)
