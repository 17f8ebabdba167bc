# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Cross-region restore: the secondary region, its AAD properties and the access token.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import datetime
import json
import time

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils import _resource_id as rid
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    ValidationError,
    add_secret,
)
from ansible_collections.azbackup.restore.plugins.module_utils._vault import normalize_region

# A given access token that expires within this margin is replaced.
TOKEN_EXPIRY_MARGIN = 120
# Azure's tokens last about 24 hours; without an exp claim, one hour is kept as a margin.
TOKEN_LIFETIME = datetime.timedelta(hours=24)
TOKEN_MARGIN = datetime.timedelta(hours=1)
# What Ansible shows instead of a no_log value (the access token in a request body).
MASKED = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
READ_ONLY_ENVELOPE = ("id", "name", "type")
# Azure's refusals of an access token that expired or does not fit.
TOKEN_REFUSED_CODES = ("UserErrorCrossRegionRestoreAccessTokenExpired", "UserErrorInvalidCrossRegionRestoreAccessToken")


# --------------------------------------------------------------------------------------------
# The secondary region


def paired_region(client, subscription_id, region):
    """The paired (secondary) region of ``region`` from ARM's locations API, never a fixed table."""
    want = normalize_region(region)
    for loc in client.list("/subscriptions/%s/locations" % subscription_id, api_version=api.LOCATIONS):
        if (loc.get("name") or "").lower() == want:
            pairs = ((loc.get("metadata") or {}).get("pairedRegion") or [])
            if not pairs:
                raise ValidationError("Azure names no paired region for %s, so it has no secondary region for "
                                      "cross-region restore; set secondary_region" % region, option="secondary_region")
            return normalize_region(pairs[0].get("name"))
    raise ValidationError("region %r is not one of the subscription's locations" % region, option="secondary_region")


def secondary_region_of(client, subscription_id, vault, secondary_region=None):
    """The vault's secondary region: ``secondary_region`` when given, else the paired region of the
    vault's location as ARM's locations API names it (both normalized: ``northeurope``)."""
    if secondary_region:
        return rid.check_segment(normalize_region(secondary_region), "region", "secondary_region")
    location = (vault or {}).get("location")
    if not location:
        raise ValidationError("the vault has no location to find its paired region from; set secondary_region",
                              option="secondary_region")
    try:
        return paired_region(client, subscription_id, location)
    except AzureApiError as e:
        raise e.with_context("Failed to read the paired region of %s from the locations of subscription %s"
                             % (location, subscription_id), show_correlation_id=True)


# --------------------------------------------------------------------------------------------
# The access token


def aad_body(value):
    """The AAD properties resource from the resource itself or its bare properties."""
    if not isinstance(value, dict) or not value:
        raise ValidationError("aad_properties must be the backupAadProperties resource or its properties",
                              option="aad_properties")
    return value if isinstance(value.get("properties"), dict) else dict(properties=value)


def token_request_body(aad):
    """The access token request body: the AAD properties resource without its read-only envelope."""
    return dict((k, v) for k, v in aad.items() if k not in READ_ONLY_ENVELOPE)


def get_aad_properties(client, subscription_id, region, api_version=api.CRR):
    """The secondary region's ``backupAadProperties`` resource."""
    try:
        return client.get(rid.location_path(subscription_id, region) + "/backupAadProperties",
                          api_version=api_version).body
    except AzureApiError as e:
        raise e.with_context("Failed to read the backupAadProperties of the secondary region %s" % region,
                             show_correlation_id=True)


def request_access_token(client, item, recovery_point_id, aad, api_version=api.CRR):
    """Azure's access details (the ``properties`` of a CrrAccessToken) for one replicated point.

    The token is registered as a secret at once (never in a message of this process).
    """
    try:
        resource = client.post(item.recovery_point_path(recovery_point_id) + "/accessToken",
                               api_version=api_version, json=token_request_body(aad), ok=(200,), idempotent=True).body
    except AzureApiError as e:
        raise e.with_context("Failed to get the cross-region restore access token of recovery point %s of %s"
                             % (recovery_point_id, item.describe()), show_correlation_id=True)
    details = dict((resource or {}).get("properties") or {})
    token = details.get("accessTokenString")
    if not token:
        raise AzBackupError("Azure answered the access token request for recovery point %s of %s without an "
                            "accessTokenString" % (recovery_point_id, item.describe()))
    add_secret(token)
    return details


def jwt_expiry(token):
    """The ``exp`` claim (seconds since the epoch) of a JWT, read without verifying anything; None
    when ``token`` is no JWT or has no such claim."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")).decode("utf-8"))
    except (ValueError, TypeError, UnicodeError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def token_expiry(token, now):
    """When the token expires (an aware datetime): its ``exp`` claim, else ``now`` + 24 h - 1 h."""
    exp = jwt_expiry(token)
    if exp is not None:
        return datetime.datetime.fromtimestamp(exp, datetime.timezone.utc)
    return now + TOKEN_LIFETIME - TOKEN_MARGIN


def access_details_problem(details, recovery_point_id, now=None, margin=TOKEN_EXPIRY_MARGIN):
    """Why given access details cannot be used (a short text), or None when they can."""
    if not isinstance(details, dict) or not details.get("accessTokenString"):
        return "they hold no accessTokenString"
    if details.get("recoveryPointId") and str(details["recoveryPointId"]) != str(recovery_point_id):
        return "they are for recovery point %s, not %s" % (details["recoveryPointId"], recovery_point_id)
    exp = jwt_expiry(details["accessTokenString"])
    now = time.time() if now is None else now
    if exp is not None and exp <= now + margin:
        return "the token expired" if exp <= now else "the token expires in %d s" % int(exp - now)
    return None


def crr_body(access_details, request):
    """The backupCrossRegionRestore body (not wrapped in properties)."""
    details = dict(access_details)
    details.setdefault("objectType", "CrrAccessToken")
    return {"crossRegionRestoreAccessDetails": details, "restoreRequest": request}


def masked_body(body):
    """A copy of a cross-region restore body fit for a result: the access token masked."""
    out = copy.deepcopy(body)
    details = out.get("crossRegionRestoreAccessDetails")
    if isinstance(details, dict) and "accessTokenString" in details:
        details["accessTokenString"] = MASKED
    return out
