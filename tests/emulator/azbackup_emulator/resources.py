"""ARM resource bodies (Resources, Compute, Storage, Network, RecoveryServices vaults) shaped
like the real providers answer them."""

import re

from .util import det_hex, det_uuid, iso, iso_offset, sanitize

ID_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"(?:/providers/(?P<ns>[^/]+)/(?P<type>[^/]+)/(?P<name>[^/]+)"
    r"(?:/(?P<ctype>[^/]+)/(?P<cname>[^/]+))?)?/?$", re.I)


def parse_id(rid):
    """Parse an ARM id into a dict (keys sub, rg, ns, type, name, ctype, cname) or None."""
    if not isinstance(rid, str):
        return None
    m = ID_RE.match(rid.strip())
    if not m:
        return None
    return m.groupdict()


def rg_id(sub, rg):
    return "/subscriptions/%s/resourceGroups/%s" % (sub, rg)


def res_id(sub, rg, ns, rtype, name):
    return "%s/providers/%s/%s/%s" % (rg_id(sub, rg), ns, rtype, name)


def vm_id(sub, rg, name):
    return res_id(sub, rg, "Microsoft.Compute", "virtualMachines", name)


def disk_id(sub, rg, name):
    return res_id(sub, rg, "Microsoft.Compute", "disks", name)


def sa_id(sub, rg, name):
    return res_id(sub, rg, "Microsoft.Storage", "storageAccounts", name)


def vnet_id(sub, rg, name):
    return res_id(sub, rg, "Microsoft.Network", "virtualNetworks", name)


def nic_id(sub, rg, name):
    return res_id(sub, rg, "Microsoft.Network", "networkInterfaces", name)


def vault_id(sub, rg, name):
    return res_id(sub, rg, "Microsoft.RecoveryServices", "vaults", name)


def premium_capable(size):
    """Standard_D2s_v3 -> True (the 's' marks premium-storage capable sizes)."""
    base = str(size).split("_")
    return len(base) > 1 and "s" in re.sub(r"^[A-Za-z]+\d+", "", base[1]).lower()


def disk_sku_for(size):
    return "Premium_LRS" if premium_capable(size) else "StandardSSD_LRS"


def _sku_tier(sku):
    return "Premium" if sku.startswith("Premium") else "Standard"


def system_data(created):
    return {"createdBy": "emulator", "createdByType": "Application", "createdAt": iso(created),
            "lastModifiedBy": "emulator", "lastModifiedByType": "Application",
            "lastModifiedAt": iso(created)}


def rg_body(sub, name, location, tags=None):
    return {
        "id": rg_id(sub, name),
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": dict(tags or {}),
        "properties": {"provisioningState": "Succeeded"},
    }


def disk_body(sub, rg, name, location, size_gb, sku, created, os_type=None, zone=None,
              managed_by=None, create_option="Empty", source=None, tags=None):
    body = {
        "name": name,
        "id": disk_id(sub, rg, name),
        "type": "Microsoft.Compute/disks",
        "location": location,
        "tags": dict(tags or {}),
        "sku": {"name": sku, "tier": _sku_tier(sku)},
        "properties": {
            "creationData": {"createOption": create_option},
            "diskSizeGB": int(size_gb),
            "diskIOPSReadWrite": 500 if sku.startswith("Premium") else 500,
            "diskMBpsReadWrite": 100 if sku.startswith("Premium") else 60,
            "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
            "networkAccessPolicy": "AllowAll",
            "publicNetworkAccess": "Enabled",
            "timeCreated": iso_offset(created),
            "provisioningState": "Succeeded",
            "diskState": "Attached" if managed_by else "Unattached",
            "diskSizeBytes": int(size_gb) * 1024 ** 3,
            "uniqueId": det_uuid("disk", sub, rg.lower(), name.lower(), iso(created)),
            "tier": "P10" if sku.startswith("Premium") else "E10",
        },
    }
    if source:
        body["properties"]["creationData"].update(source)
    if os_type:
        body["properties"]["osType"] = os_type
        body["properties"]["hyperVGeneration"] = "V1"
    if zone:
        body["zones"] = [str(zone)]
    if managed_by:
        body["managedBy"] = managed_by
    return body


def os_disk_entry(vm_name, os_type, managed, name, size_gb, sub, rg, sku=None, vhd_uri=None):
    entry = {
        "osType": os_type,
        "name": name,
        "createOption": "FromImage",
        "caching": "ReadWrite",
        "diskSizeGB": int(size_gb),
        "deleteOption": "Detach",
    }
    if managed:
        entry["managedDisk"] = {"storageAccountType": sku, "id": disk_id(sub, rg, name)}
    else:
        entry["vhd"] = {"uri": vhd_uri}
    return entry


def data_disk_entry(lun, managed, name, size_gb, sub, rg, sku=None, vhd_uri=None):
    entry = {
        "lun": int(lun),
        "name": name,
        "createOption": "Attach" if managed else "Empty",
        "caching": "None",
        "diskSizeGB": int(size_gb),
        "toBeDetached": False,
        "deleteOption": "Detach",
    }
    if managed:
        entry["managedDisk"] = {"storageAccountType": sku, "id": disk_id(sub, rg, name)}
    else:
        entry["vhd"] = {"uri": vhd_uri}
    return entry


def vm_body(sub, rg, name, location, size, os_type, os_disk, data_disks, nic, created,
            zone=None, encrypted=False, tags=None):
    linux = os_type.lower() == "linux"
    body = {
        "name": name,
        "id": vm_id(sub, rg, name),
        "type": "Microsoft.Compute/virtualMachines",
        "location": location,
        "tags": dict(tags or {}),
        "properties": {
            "vmId": det_uuid("vmid", sub, rg.lower(), name.lower(), iso(created)),
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {
                "imageReference": (
                    {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                     "sku": "22_04-lts-gen2", "version": "latest", "exactVersion": "22.04.202401010"}
                    if linux else
                    {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
                     "sku": "2022-datacenter-azure-edition", "version": "latest",
                     "exactVersion": "20348.2227.240104"}),
                "osDisk": os_disk,
                "dataDisks": data_disks,
            },
            "osProfile": {
                "computerName": name[:15] if not linux else name,
                "adminUsername": "azureuser",
                "secrets": [],
                "allowExtensionOperations": True,
                "requireGuestProvisionSignal": True,
            },
            "networkProfile": {"networkInterfaces": [{"id": nic}]},
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
            "provisioningState": "Succeeded",
            "timeCreated": iso_offset(created),
        },
    }
    if linux:
        body["properties"]["osProfile"]["linuxConfiguration"] = {
            "disablePasswordAuthentication": True, "provisionVMAgent": True,
            "patchSettings": {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"}}
    else:
        body["properties"]["osProfile"]["windowsConfiguration"] = {
            "provisionVMAgent": True, "enableAutomaticUpdates": True,
            "patchSettings": {"patchMode": "AutomaticByOS", "assessmentMode": "ImageDefault"}}
    if zone:
        body["zones"] = [str(zone)]
    if encrypted:
        body["properties"]["securityProfile"] = {"encryptionAtHost": False}
        body["properties"]["storageProfile"]["osDisk"]["encryptionSettings"] = {"enabled": True}
    return body


def nic_body(sub, rg, name, location, subnet=None, vm=None, ip="10.0.0.4"):
    ipconf = {
        "name": "ipconfig1",
        "id": nic_id(sub, rg, name) + "/ipConfigurations/ipconfig1",
        "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
        "properties": {
            "provisioningState": "Succeeded",
            "privateIPAddress": ip,
            "privateIPAllocationMethod": "Dynamic",
            "primary": True,
            "privateIPAddressVersion": "IPv4",
        },
    }
    if subnet:
        ipconf["properties"]["subnet"] = {"id": subnet}
    body = {
        "name": name,
        "id": nic_id(sub, rg, name),
        "etag": 'W/"%s"' % det_uuid("nic-etag", sub, rg, name),
        "type": "Microsoft.Network/networkInterfaces",
        "location": location,
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": det_uuid("nic", sub, rg.lower(), name.lower()),
            "ipConfigurations": [ipconf],
            "enableAcceleratedNetworking": False,
            "enableIPForwarding": False,
            "primary": True,
            "nicType": "Standard",
        },
    }
    if vm:
        body["properties"]["virtualMachine"] = {"id": vm}
    return body


def storage_body(sub, rg, name, location, sku, kind, created, secondary=None):
    body = {
        "sku": {"name": sku, "tier": _sku_tier(sku)},
        "kind": kind,
        "id": sa_id(sub, rg, name),
        "name": name,
        "type": "Microsoft.Storage/storageAccounts",
        "location": location,
        "tags": {},
        "properties": {
            "keyCreationTime": {"key1": iso(created), "key2": iso(created)},
            "allowCrossTenantReplication": False,
            "privateEndpointConnections": [],
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": False,
            "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [],
                            "defaultAction": "Allow"},
            "supportsHttpsTrafficOnly": True,
            "encryption": {
                "services": {
                    "file": {"keyType": "Account", "enabled": True, "lastEnabledTime": iso(created)},
                    "blob": {"keyType": "Account", "enabled": True, "lastEnabledTime": iso(created)},
                },
                "keySource": "Microsoft.Storage",
            },
            "accessTier": "Hot",
            "provisioningState": "Succeeded",
            "creationTime": iso(created),
            "primaryEndpoints": {
                "dfs": "https://%s.dfs.core.windows.net/" % name,
                "web": "https://%s.z6.web.core.windows.net/" % name,
                "blob": "https://%s.blob.core.windows.net/" % name,
                "queue": "https://%s.queue.core.windows.net/" % name,
                "table": "https://%s.table.core.windows.net/" % name,
                "file": "https://%s.file.core.windows.net/" % name,
            },
            "primaryLocation": location,
            "statusOfPrimary": "available",
        },
    }
    if secondary and sku.split("_")[-1] in ("GRS", "RAGRS", "GZRS", "RAGZRS"):
        body["properties"]["secondaryLocation"] = secondary
        body["properties"]["statusOfSecondary"] = "available"
    return body


def subnet_body(sub, rg, vnet, name, prefix):
    return {
        "name": name,
        "id": vnet_id(sub, rg, vnet) + "/subnets/" + name,
        "etag": 'W/"%s"' % det_uuid("subnet-etag", sub, rg, vnet, name),
        "type": "Microsoft.Network/virtualNetworks/subnets",
        "properties": {
            "provisioningState": "Succeeded",
            "addressPrefix": prefix,
            "delegations": [],
            "privateEndpointNetworkPolicies": "Disabled",
            "privateLinkServiceNetworkPolicies": "Enabled",
        },
    }


def vnet_body(sub, rg, name, location, prefix, subnets):
    return {
        "name": name,
        "id": vnet_id(sub, rg, name),
        "etag": 'W/"%s"' % det_uuid("vnet-etag", sub, rg, name),
        "type": "Microsoft.Network/virtualNetworks",
        "location": location,
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": det_uuid("vnet", sub, rg.lower(), name.lower()),
            "addressSpace": {"addressPrefixes": [prefix]},
            "subnets": [subnet_body(sub, rg, name, s["name"], s["address_prefix"]) for s in subnets],
            "virtualNetworkPeerings": [],
            "enableDdosProtection": False,
        },
    }


def identity_id(sub, rg, name):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ManagedIdentity/userAssignedIdentities/%s" % (
        sub, rg, name)


def identity_body(sub, rg, name, location, tenant):
    rid = identity_id(sub, rg, name)
    return {"id": rid, "name": name, "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
            "location": location, "tags": {},
            "properties": {"tenantId": tenant, "principalId": det_uuid("uai-principal", rid.lower()),
                           "clientId": det_uuid("uai-client", rid.lower())}}


def vault_identity(sub, rg, name, tenant, spec):
    """The vault's managed identities (ARM's identity block) from the world's ``identity``."""
    spec = spec or {}
    kinds = (["SystemAssigned"] if spec.get("system_assigned") else []) + \
        (["UserAssigned"] if spec.get("user_assigned") else [])
    if not kinds:
        return {"type": "None"}
    out = {"type": ", ".join(kinds)}
    if spec.get("system_assigned"):
        out.update(principalId=det_uuid("vault-principal", vault_id(sub, rg, name).lower()), tenantId=tenant)
    if spec.get("user_assigned"):
        out["userAssignedIdentities"] = {
            u: {"principalId": det_uuid("uai-principal", u.lower()), "clientId": det_uuid("uai-client", u.lower())}
            for u in spec["user_assigned"]}
    return out


def vault_body(sub, rg, name, location, redundancy, crr, created, soft_delete_days=14, csr="Enabled",
               identity=None):
    return {
        "location": location,
        "name": name,
        "etag": 'W/"datetime\'%s\'"' % iso(created).replace(":", "%3A"),
        "tags": {},
        "identity": identity or {"type": "None"},
        "properties": {
            "provisioningState": "Succeeded",
            "privateEndpointStateForBackup": "None",
            "privateEndpointStateForSiteRecovery": "None",
            "redundancySettings": {
                "standardTierStorageRedundancy": redundancy,
                "crossRegionRestore": "Enabled" if crr else "Disabled",
            },
            "securitySettings": {
                "immutabilitySettings": {"state": "Disabled"},
                "softDeleteSettings": {"softDeleteState": "Enabled",
                                       "softDeleteRetentionPeriodInDays": int(soft_delete_days),
                                       "enhancedSecurityState": "Enabled"},
                "multiUserAuthorization": "Disabled",
            },
            "secureScore": "Minimum",
            "bcdrSecurityLevel": "Fair",
            "publicNetworkAccess": "Enabled",
            "restoreSettings": {"crossSubscriptionRestoreSettings": {"crossSubscriptionRestoreState": csr}},
        },
        "id": vault_id(sub, rg, name),
        "type": "Microsoft.RecoveryServices/vaults",
        "sku": {"name": "RS0", "tier": "Standard"},
        "systemData": system_data(created),
    }


def vhd_account_for(sub, rg, vm):
    return ("%svhd%s" % (sanitize(rg)[:10], det_hex(6, sub, rg.lower(), vm.lower())))[:24]
