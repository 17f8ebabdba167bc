# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Multi-user authorization: the Resource Guard that protects a vault's critical operations.

Internal to this collection: not a public API, may change at any time.

A vault protected by a Resource Guard names it in its resource guard proxy
(``backupResourceGuardProxies``); a critical operation such as a restore then carries the guard's
operation request in ``resourceGuardOperationRequests`` and, when the guard lives in another tenant,
a token of that tenant in ``x-ms-authorization-auxiliary`` (as the Azure CLI sends them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureApiError

RESTORE_OPERATION = ("Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/"
                     "recoveryPoints/restore/action")
AUXILIARY_HEADER = "x-ms-authorization-auxiliary"
# What Azure answers a critical operation the guard does not allow.
REFUSAL_CODES = ("UserErrorCriticalOperationUnauthorized", "CloudUserErrorCriticalOperationUnauthorized",
                 "BMSUserErrorCriticalOperationUnauthorized", "InvalidAuthenticationTokenTenant",
                 "LinkedAuthorizationFailed")


class ResourceGuard(object):
    def __init__(self, guard_id, operation_request):
        self.id = guard_id
        self.operation_request = operation_request

    def access_hint(self, tenant_id=None):
        """What to ask the guard's owner for."""
        return ("the vault is protected by the resource guard %s: ask its owner for the Backup MUA Operator role on "
                "the guard (or an approved, time-bound access)%s" % (
                    self.id, "" if tenant_id else ", and set resource_guard_tenant_id when the guard is in "
                    "another tenant"))


def restore_guard(client, vault_id, api_version=api.BACKUP):
    """The ResourceGuard that protects restores of the vault, or None."""
    try:
        proxies = list(client.list(vault_id + "/backupResourceGuardProxies", api_version=api_version))
    except AzureApiError as e:
        if e.status_code == 404:
            return None
        raise e.with_context("Failed to read the resource guard proxies of vault %s" % vault_id)
    if not proxies:
        return None
    props = proxies[0].get("properties") or {}
    for detail in props.get("resourceGuardOperationDetails") or []:
        if (detail.get("vaultCriticalOperation") or "").lower() == RESTORE_OPERATION.lower():
            return ResourceGuard(props.get("resourceGuardResourceId"), detail.get("defaultResourceRequest"))
    return None


def auxiliary_headers(token_provider, tenant_id):
    """The ``x-ms-authorization-auxiliary`` header with a token of ``tenant_id`` (registered as a secret)."""
    return {AUXILIARY_HEADER: "Bearer " + token_provider.token_for_tenant(tenant_id)}
