"""Multi-user authorization: a vault protected by a Resource Guard (Microsoft.DataProtection), its
resource guard proxy (``backupResourceGuardProxies/VaultProxy``) and the check of a critical operation."""

PROXY_NAME = "VaultProxy"
RESTORE_OPERATION = ("Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/"
                     "recoveryPoints/restore/action")
RESTORE_REQUEST = "triggerRestoreRequests/default"
CODE = "UserErrorCriticalOperationUnauthorized"


def proxy_body(vault, guard, updated):
    details = []
    if "restore" in guard["operations"]:
        details.append({"vaultCriticalOperation": RESTORE_OPERATION,
                        "defaultResourceRequest": "%s/%s" % (guard["id"], RESTORE_REQUEST)})
    return {"id": "%s/backupResourceGuardProxies/%s" % (vault["id"], PROXY_NAME), "name": PROXY_NAME,
            "type": "Microsoft.RecoveryServices/vaults/backupResourceGuardProxies",
            "properties": {"resourceGuardResourceId": guard["id"], "resourceGuardOperationDetails": details,
                           "lastUpdatedTime": updated, "description": ""}}


def check_restore(core, req, vault, props):
    """A restore of a vault whose guard protects restores: the operation request in the body, and the
    caller authorized on the guard (a guard of another tenant: through a token of that tenant in
    ``x-ms-authorization-auxiliary``)."""
    from .errors import ApiError

    guard = vault.get("resource_guard")
    if not guard or "restore" not in guard["operations"]:
        return
    wanted = ("%s/%s" % (guard["id"], RESTORE_REQUEST)).lower()
    given = [str(x).lower() for x in props.get("resourceGuardOperationRequests") or []]
    if wanted not in given:
        raise ApiError(400, CODE, "Restore is a critical operation protected by the resource guard '%s' of vault "
                                  "'%s'. Send the operation request '%s/%s' in resourceGuardOperationRequests."
                       % (guard["id"], vault["name"], guard["id"], RESTORE_REQUEST))
    claims = getattr(req, "claims", None) or {}
    appid = str(claims.get("appid", "")).lower()
    tenant = guard["tenant"].lower()
    if str(claims.get("tid", "")).lower() != tenant:
        aux = core.auth.auxiliary_claims(req.header("x-ms-authorization-auxiliary"))
        if not any(str(c.get("tid", "")).lower() == tenant and str(c.get("appid", "")).lower() == appid
                   for c in aux):
            raise ApiError(401, "InvalidAuthenticationTokenTenant",
                           "The resource guard '%s' is in tenant '%s': send a token of that tenant for the same "
                           "client in the 'x-ms-authorization-auxiliary' header." % (guard["id"], guard["tenant"]))
    if appid not in [str(o).lower() for o in guard["operators"]]:
        raise ApiError(403, CODE, "The client '%s' does not have authorization to perform action "
                                  "'Microsoft.DataProtection/resourceGuards/%s/action' over the resource guard "
                                  "'%s'. Ask the owner of the resource guard for the Backup MUA Operator role on it."
                       % (claims.get("appid"), RESTORE_REQUEST, guard["id"]))
