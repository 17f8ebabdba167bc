# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Recovery Services vault: reading it, and whether it restores in its secondary region.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils._errors import ValidationError
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import (
    refusing_not_found,
    vault_missing_text,
)


def normalize_region(value):
    """Azure region names compare without spaces and case (``West Europe`` is ``westeurope``)."""
    return (value or "").replace(" ", "").lower()


def read_vault(client, item):
    """The vault resource of ``item`` (raw); a ValidationError naming the option when it is missing."""
    with refusing_not_found("Failed to read vault %s (resource group %s)" % (item.vault_name, item.vault_resource_group),
                            vault_missing_text(item), "vault_name", item):
        return client.get(item.vault_id, api_version=api.VAULT).body or {}


def crr_state(client, vault, vault_id):
    """(enabled, why) for cross-region restore on a vault: its ``redundancySettings.crossRegionRestore``,
    else the ``crossRegionRestoreFlag`` of its backup storage configuration (older vaults)."""
    props = (vault or {}).get("properties") or {}
    redundancy = props.get("redundancySettings") or {}
    value = redundancy.get("crossRegionRestore")
    if value is not None:
        why = "redundancySettings.crossRegionRestore is %s" % value
        if redundancy.get("standardTierStorageRedundancy"):
            why += ", storage redundancy %s" % redundancy["standardTierStorageRedundancy"]
        return str(value).lower() == "enabled", why
    with refusing_not_found("Failed to read the backup storage configuration of vault %s" % vault_id,
                            "the backup storage configuration of vault %s does not exist" % vault_id, "vault_name"):
        config = client.get(vault_id + "/backupstorageconfig/vaultstorageconfig", api_version=api.BACKUP).body
    cfg = (config or {}).get("properties") or {}
    flag = cfg.get("crossRegionRestoreFlag")
    return bool(flag), "crossRegionRestoreFlag is %s, storage type %s" % (flag, cfg.get("storageType"))


def require_crr(client, item, vault):
    """Refuse a vault without cross-region restore (it has no copy in a secondary region)."""
    enabled, why = crr_state(client, vault, item.vault_id)
    if not enabled:
        raise ValidationError(
            "Vault %s (resource group %s) has no copy in a secondary region: vault %s does not have cross-region "
            "restore enabled (%s). Enable cross-region restore on a geo-redundant vault, or restore in the "
            "primary region with azbackup.restore.vm_restore"
            % (item.vault_name, item.vault_resource_group, item.vault_name, why), option="vault_name")
