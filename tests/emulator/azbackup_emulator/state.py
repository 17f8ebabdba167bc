"""The mutable world: ARM resources, vaults with protected items and recovery points, jobs and
operations. Built from a normalised world (see world.py)."""

import datetime as _dt

from . import network
from . import resources as R
from .util import det_digits, det_hex, norm_region

CONTAINER_PREFIX = "IaasVMContainer;iaasvmcontainerv2"
ITEM_PREFIX = "VM;iaasvmcontainerv2"


def storage_type_for(size):
    return "PremiumVMOnPremiumStorage" if R.premium_capable(size) else "NormalStorage"


class State:
    def __init__(self, world, anchor):
        self.world = world
        self.anchor = anchor
        self.tenants = {}
        self.clients = {}
        self.subscriptions = {}
        self.regions = {}
        self.rgs = {}
        self.res = {}
        self.blobs = {}
        self.vaults = {}
        self.jobs = {}
        self.ops = {}
        self.arm_ops = {}        # Compute / Network asynchronous operations (armops.py)
        self.guests = {}         # VMs created by restores: vm id (lower) -> {created, name} (guest.py)
        self.run_commands = {}   # run command id (lower) -> record (runcommand.py)
        self._build()

    # ------------------------------------------------------------------ building
    def _build(self):
        w = self.world
        created = self.anchor - _dt.timedelta(days=400)
        for t in w["tenants"]:
            self.tenants[t["id"].lower()] = t
            for c in t["clients"]:
                cc = dict(c)
                cc["tenant"] = t["id"]
                self.clients[c["client_id"].lower()] = cc
        for s in w["subscriptions"]:
            self.subscriptions[s["id"].lower()] = s
        for r in w["regions"]:
            self.regions[norm_region(r["name"])] = r
        for g in w["resource_groups"]:
            self.rgs[(g["subscription"].lower(), g["name"].lower())] = R.rg_body(
                g["subscription"], g["name"], g["location"], g.get("tags"))
        for a in w["storage_accounts"]:
            body = R.storage_body(a["subscription"], a["resource_group"], a["name"], a["location"],
                                  a["sku"], a["kind"], created, self.paired(a["location"]))
            self.put(body)
        for n in w["virtual_networks"]:
            self.put(R.vnet_body(n["subscription"], n["resource_group"], n["name"], n["location"],
                                 n["address_prefix"], n["subnets"]))
        network.build(self, w["virtual_networks"])
        for u in w.get("user_assigned_identities") or []:
            self.put(R.identity_body(u["subscription"], u["resource_group"], u["name"], u["location"],
                                     self._tenant_of(u["subscription"])))
        for v in w["vaults"]:
            body = R.vault_body(v["subscription"], v["resource_group"], v["name"], v["location"],
                                v["redundancy"], bool(v["cross_region_restore"]), created,
                                v.get("soft_delete_days", 14), csr=v.get("cross_subscription_restore", "Enabled"),
                                identity=R.vault_identity(v["subscription"], v["resource_group"], v["name"],
                                                          self._tenant_of(v["subscription"]), v.get("identity")))
            self.put(body)
            self.vaults[body["id"].lower()] = {
                "id": body["id"], "name": v["name"], "rg": v["resource_group"],
                "sub": v["subscription"], "location": v["location"],
                "redundancy": v["redundancy"],
                "crr": bool(v["cross_region_restore"]) and v["redundancy"] == "GeoRedundant",
                "default_policy": v["default_policy"],
                "soft_delete_days": v.get("soft_delete_days", 14),
                "csr": v.get("cross_subscription_restore", "Enabled"),
                "resource_guard": _guard(v, self._tenant_of(v["subscription"])),
                "numeric_id": det_digits(19, "vault", body["id"].lower()),
                "items": {},
            }
        for i, spec in enumerate(w["virtual_machines"]):
            self._build_vm(spec, created, i)

    def _tenant_of(self, sub):
        s = self.subscriptions.get(str(sub).lower()) or {}
        return s.get("tenant") or self.world["tenants"][0]["id"]

    def _build_vm(self, spec, created, index):
        sub, rg, name = spec["subscription"], spec["resource_group"], spec["name"]
        loc = spec["location"]
        managed = bool(spec["managed"])
        sku = R.disk_sku_for(spec["size"])
        vmid = R.vm_id(sub, rg, name)
        vhd_account = spec.get("vhd_storage_account") or R.vhd_account_for(sub, rg, name)
        os_name = ("%s_OsDisk_1_%s" % (name, det_hex(32, "osdisk", vmid.lower()))) if managed \
            else "%s-osdisk" % name
        os_vhd = None if managed else "https://%s.blob.core.windows.net/vhds/%s.vhd" % (vhd_account, os_name)
        snapshot = {
            "size": spec["size"], "os_type": spec["os_type"], "managed": managed,
            "zone": spec.get("zone"), "encrypted": bool(spec["encrypted"]),
            "private_disk_access": bool(spec.get("private_disk_access")),
            "original_storage_account_option": bool(spec.get("original_storage_account_option")),
            "edge_zone": spec.get("edge_zone"), "security_type": spec.get("security_type"),
            "storage_type": storage_type_for(spec["size"]), "location": loc,
            "disk_sku": sku,
            "os_disk": {"name": os_name, "size_gb": spec["os_disk_size_gb"]},
            "data_disks": [],
        }
        data_entries = []
        for d in spec["data_disks"]:
            dname = d.get("name") or ("%s_DataDisk_%d" % (name, d["lun"]) if managed
                                      else "%s-datadisk-%d" % (name, d["lun"]))
            snapshot["data_disks"].append({"lun": d["lun"], "name": dname, "size_gb": d["size_gb"]})
            uri = None if managed else "https://%s.blob.core.windows.net/vhds/%s.vhd" % (vhd_account, dname)
            data_entries.append(R.data_disk_entry(d["lun"], managed, dname, d["size_gb"], sub, rg, sku, uri))
        if not spec.get("deleted"):
            nic = R.nic_body(sub, rg, "%s-nic" % name, loc,
                             subnet=spec.get("subnet_id") or
                             "%s/subnets/default" % R.vnet_id(sub, rg, "%s-vnet" % rg),
                             vm=vmid, ip="10.0.%d.%d" % (index // 250, 4 + index % 250))
            self.put(nic)
            body = R.vm_body(
                sub, rg, name, loc, spec["size"], spec["os_type"],
                R.os_disk_entry(name, spec["os_type"], managed, os_name, spec["os_disk_size_gb"],
                                sub, rg, sku, os_vhd),
                data_entries, nic["id"], created, zone=spec.get("zone"),
                encrypted=spec["encrypted"], tags=spec.get("tags"))
            self.put(body)
            if managed:
                self.put(R.disk_body(sub, rg, os_name, loc, spec["os_disk_size_gb"], sku, created,
                                     os_type=spec["os_type"], zone=spec.get("zone"), managed_by=vmid,
                                     create_option="FromImage"))
                for d in snapshot["data_disks"]:
                    self.put(R.disk_body(sub, rg, d["name"], loc, d["size_gb"], sku, created,
                                         zone=spec.get("zone"), managed_by=vmid))
        b = spec.get("backup")
        if b:
            self._protect(spec, vmid, snapshot, b)

    def _protect(self, spec, vmid, snapshot, b):
        vault = self.find_vault_by_name(b["vault"], b.get("vault_resource_group"), spec["subscription"])
        if vault is None:
            raise ValueError("virtual machine %s: unknown vault %s" % (spec["name"], b["vault"]))
        rgl, vml = spec["resource_group"].lower(), spec["name"].lower()
        item = {
            "vault_id": vault["id"],
            "vm_id": vmid,
            "vm_name": spec["name"],
            "vm_rg": spec["resource_group"],
            "sub": spec["subscription"],
            "location": spec["location"],
            "container": "%s;%s;%s" % (CONTAINER_PREFIX, rgl, vml),
            "short_container": "iaasvmcontainerv2;%s;%s" % (rgl, vml),
            "name": "%s;%s;%s" % (ITEM_PREFIX, rgl, vml),
            "policy": b.get("policy") or vault["default_policy"],
            "data_id": det_digits(18, "item", vault["id"].lower(), vmid.lower()),
            "container_numeric_id": int(det_digits(12, "container", vault["id"].lower(), vmid.lower())),
            "excluded_luns": [int(x) for x in b.get("excluded_luns") or []],
            "file_recovery": b.get("file_recovery"),
            "protection_state": b.get("protection_state") or "Protected",
            "health_status": b.get("health_status") or "Passed",
            "last_backup_status": b.get("last_backup_status") or "Completed",
            "rps": [],
        }
        item["rps"] = self._gen_rps(vault, item, snapshot, b["recovery_points"])
        vault["items"][item["name"].lower()] = item

    def _gen_rps(self, vault, item, snapshot, spec):
        rps = []
        key = (vault["id"].lower(), item["name"].lower())
        included = [d["lun"] for d in snapshot["data_disks"] if d["lun"] not in item["excluded_luns"]]
        types = spec.get("types") or ["CrashConsistent"]
        newest = self.anchor - _dt.timedelta(hours=float(spec.get("newest_age_hours", 1)))
        instant = int(spec.get("instant_count", 2))
        lag = int(spec.get("replication_lag", 1))
        for i in range(int(spec.get("daily", 0))):
            jitter = int(det_digits(4, "jitter", key, i)) % 300
            t = newest - _dt.timedelta(days=i, seconds=jitter)
            tiers = [{"type": "InstantRP", "status": "Valid"}] if i < instant else []
            tiers.append({"type": "HardenedRP", "status": "Valid"})
            rps.append(self._rp(key, "daily-%d" % i, t, types[i % len(types)], tiers, included,
                                i >= lag, snapshot, "Daily", 30))
        for j, a in enumerate(spec.get("archived") or []):
            if not isinstance(a, dict):
                a = {"age_days": a}
            t = self.anchor - _dt.timedelta(days=float(a.get("age_days", 40)),
                                            seconds=int(det_digits(4, "ajitter", key, j)) % 300)
            tiers = [{"type": "ArchivedRP", "status": a.get("status", "Valid")}]
            rps.append(self._rp(key, "archived-%d" % j, t, a.get("type", "CrashConsistent"), tiers,
                                included, bool(a.get("replicated", False)), snapshot, "Monthly", 365))
        for k, e in enumerate(spec.get("explicit") or []):
            e = dict(e)
            if e.get("time"):
                from .util import parse_time
                t = parse_time(e["time"])
                if t is None:
                    raise ValueError("recovery point: bad time %r" % e["time"])
            else:
                t = self.anchor - _dt.timedelta(days=float(e.get("age_days", 0)),
                                                hours=float(e.get("age_hours", 0)))
            tiers = []
            for tier in e.get("tiers") or ["HardenedRP"]:
                if isinstance(tier, str):
                    tier = {"type": tier, "status": "Valid"}
                tiers.append(dict(tier))
            luns = [int(x) for x in e["luns"]] if "luns" in e else included
            rp = self._rp(key, "explicit-%d" % k, t, e.get("type", "CrashConsistent"), tiers, luns,
                          bool(e.get("replicated", True)), snapshot, e.get("rule", "Daily"), 30)
            if e.get("id"):
                rp["name"] = str(e["id"])
            rps.append(rp)
        rps.sort(key=lambda r: r["time"], reverse=True)
        return rps

    def _rp(self, key, tag, t, rtype, tiers, luns, replicated, snapshot, rule, keep_days):
        return {
            "name": det_digits(14, "rp", key[0], key[1], tag),
            "time": t,
            "type": rtype,
            "tiers": tiers,
            "luns": sorted(int(x) for x in luns),
            "replicated": replicated,
            "snapshot": snapshot,          # shared by the item's points; never modified
            "rule": rule,
            "expiry": t + _dt.timedelta(days=keep_days),
        }

    # ------------------------------------------------------------------ lookups
    def put(self, body):
        self.res[body["id"].lower()] = body
        return body

    def get(self, rid):
        return self.res.get(str(rid).lower().rstrip("/"))

    def delete(self, rid):
        return self.res.pop(str(rid).lower(), None)

    def rg(self, sub, name):
        return self.rgs.get((str(sub).lower(), str(name).lower()))

    def region(self, name):
        return self.regions.get(norm_region(name))

    def paired(self, name):
        r = self.region(name)
        return r.get("paired_region") if r else None

    def region_names(self):
        return [r["name"] for r in self.regions.values()]

    def find_vault_by_name(self, name, rg=None, sub=None):
        for v in self.vaults.values():
            if v["name"].lower() != str(name).lower():
                continue
            if rg and v["rg"].lower() != str(rg).lower():
                continue
            if sub and v["sub"].lower() != str(sub).lower():
                continue
            return v
        return None

    def vault(self, sub, rg, name):
        return self.vaults.get(R.vault_id(sub, rg, name).lower())

    def list_res(self, sub, ns, rtype, rg=None):
        prefix = ("/subscriptions/%s/resourcegroups/%s/" % (sub, rg) if rg else
                  "/subscriptions/%s/" % sub).lower()
        suffix = "/providers/%s/%s/" % (ns, rtype)
        out = []
        for k, body in self.res.items():
            if k.startswith(prefix) and suffix.lower() in k and k.count("/") == 8:
                out.append(body)
        out.sort(key=lambda b: b["id"].lower())
        return out

    def find_item_by_vm(self, vault, vm_resource_id):
        for item in vault["items"].values():
            if item["vm_id"].lower() == str(vm_resource_id).lower():
                return item
        return None

    def add_blob(self, sa_body, container, name, size_gb=0, job_id=None, kind="vhd"):
        uri = "https://%s.blob.core.windows.net/%s/%s" % (sa_body["name"], container, name)
        self.blobs.setdefault(sa_body["id"].lower(), []).append(
            {"container": container, "name": name, "uri": uri, "size_gb": size_gb,
             "job_id": job_id, "kind": kind, "storage_account": sa_body["name"]})
        return uri

    def unique_disk_name(self, sub, rg, base):
        name = base
        n = 1
        while self.get(R.disk_id(sub, rg, name)) is not None:
            n += 1
            name = "%s-%d" % (base, n)
        return name

    # ------------------------------------------------------------------ summary
    def summary(self):
        vms = {}
        for body in self.res.values():
            if body["type"] != "Microsoft.Compute/virtualMachines":
                continue
            sp = body["properties"]["storageProfile"]
            os_d = sp["osDisk"]
            key = body["name"]
            if key in vms:
                key = "%s/%s" % (body["id"].split("/")[4], body["name"])
            vms[key] = {
                "id": body["id"],
                "resource_group": body["id"].split("/")[4],
                "location": body["location"],
                "zones": body.get("zones", []),
                "size": body["properties"]["hardwareProfile"]["vmSize"],
                "os_disk": {"name": os_d["name"],
                            "id": (os_d.get("managedDisk") or {}).get("id"),
                            "vhd": (os_d.get("vhd") or {}).get("uri")},
                "data_disks": [{"lun": d["lun"], "name": d["name"],
                                "id": (d.get("managedDisk") or {}).get("id"),
                                "vhd": (d.get("vhd") or {}).get("uri")} for d in sp["dataDisks"]],
            }
        disks = [{"name": b["name"], "id": b["id"], "location": b["location"],
                  "resource_group": b["id"].split("/")[4], "managed_by": b.get("managedBy"),
                  "zones": b.get("zones", []), "size_gb": b["properties"]["diskSizeGB"],
                  "tags": b.get("tags", {})}
                 for b in self.res.values() if b["type"] == "Microsoft.Compute/disks"]
        disks.sort(key=lambda d: d["id"].lower())
        blobs = [dict(b) for lst in self.blobs.values() for b in lst]
        resources = [{"id": b["id"], "type": b.get("type"), "tags": dict(b.get("tags") or {})}
                     for k, b in sorted(self.res.items())]
        return {"vms": vms, "disks": disks, "blobs": blobs, "resources": resources}


def _guard(vault_spec, vault_tenant):
    guard = vault_spec.get("resource_guard")
    if not guard:
        return None
    return dict(guard, tenant=guard.get("tenant") or vault_tenant)
