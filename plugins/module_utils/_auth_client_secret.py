# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A client secret's tokens: the OAuth 2.0 client-credentials grant without azure-identity.

Internal to this collection: not a public API, may change at any time.

``client_secret_credential`` tells when a ``ClientSecretTokenCredential`` serves the resolved
settings (``_auth.resolve_settings``); ``_auth.TokenProvider`` caches its tokens.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from collections import namedtuple
from urllib.parse import quote, urlsplit

from ansible_collections.azbackup.restore.plugins.module_utils._cloud import KNOWN_CLOUDS
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzureAuthError
from ansible_collections.azbackup.restore.plugins.module_utils._retry import RetryPolicy, retry_after_from_headers


AccessToken = namedtuple("AccessToken", "token expires_on")
TOKEN_REQUEST_ATTEMPTS = 3


class TokenRequestError(Exception):
    """A token request that failed: ``unreachable`` when no answer came back (network, 5xx)."""

    def __init__(self, message, unreachable=False):
        super(TokenRequestError, self).__init__(message)
        self.message = message
        self.unreachable = unreachable


def _is_adfs(authority_host, tenant):
    path = urlsplit(authority_host or "").path.strip("/").lower()
    return (tenant or "").lower() == "adfs" or path == "adfs" or path.endswith("/adfs")


class ClientSecretTokenCredential(object):
    """A client secret's tokens from Azure AD's v2.0 token endpoint: one POST per token.

    The OAuth 2.0 client-credentials grant, as azure-identity's ``ClientSecretCredential`` sends
    it, but without importing azure-identity (about 0.4 s per module run) and without MSAL's
    discovery requests (instance metadata, OpenID configuration) before the token request.
    ``session`` is a ``requests.Session`` (``REQUESTS_CA_BUNDLE`` and proxies apply). A 429 / 5xx
    or a connection error is retried (``TOKEN_REQUEST_ATTEMPTS``); other failures raise
    ``TokenRequestError`` with Azure AD's ``(error) error_description`` (AADSTS code included).
    The secret goes only to the authority's token URL over HTTPS: another scheme raises
    ``AzureAuthError`` here, before any request, and a redirect is never followed.
    """

    def __init__(self, tenant_id, client_id, client_secret, authority_host, session, timeout=(10, 60),
                 sleep=time.sleep, clock=time.time):
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._secret = client_secret
        self.authority_host = authority_host
        self.session = session
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self.token_url = "%s/%s/oauth2/v2.0/token" % (authority_host.rstrip("/"), quote(tenant_id, safe=""))
        _require_https(authority_host, "the Azure AD authority")
        _require_https(self.token_url, "the token URL")

    def get_token(self, *scopes, **kwargs):
        data = dict(grant_type="client_credentials", client_id=self.client_id, client_secret=self._secret,
                    scope=" ".join(scopes))
        tenant = kwargs.get("tenant_id")
        token_url = self.token_url if not tenant or tenant == self.tenant_id else "%s/%s/oauth2/v2.0/token" % (
            self.authority_host.rstrip("/"), quote(tenant, safe=""))
        retry = RetryPolicy(max_attempts=TOKEN_REQUEST_ATTEMPTS, backoff_max=10.0)
        for attempt in range(1, TOKEN_REQUEST_ATTEMPTS + 1):
            last = attempt == TOKEN_REQUEST_ATTEMPTS
            now = self._clock()
            try:
                resp = self.session.post(token_url, data=data, headers={"Accept": "application/json"},
                                         timeout=self.timeout, allow_redirects=False)
            except Exception as e:  # requests.RequestException and friends
                text = "%s: %s" % (type(e).__name__, e)
                if "certificate verify failed" in text.lower():
                    raise TokenRequestError("%s (TLS certificate of %s not trusted: point REQUESTS_CA_BUNDLE at the "
                                            "CA bundle that signs it)" % (text, self.authority_host), unreachable=True)
                if last:
                    raise TokenRequestError(text, unreachable=True)
                self._sleep(retry.delay(attempt))
                continue
            body = _json_or_none(resp)
            if resp.status_code == 200 and body and body.get("access_token"):
                expires_in = body.get("expires_in")
                try:
                    expires_on = now + float(expires_in)
                except (TypeError, ValueError):
                    expires_on = now + 3600.0
                return AccessToken(body["access_token"], int(expires_on))
            if resp.status_code in (429, 500, 502, 503, 504) and not last:
                self._sleep(retry.delay(attempt, retry_after_from_headers(resp.headers)))
                continue
            body = body or {}
            error = body.get("error") if isinstance(body.get("error"), str) else None
            text = body.get("error_description") or (resp.text or "")[:500] or "no error description"
            message = "Azure AD answered HTTP %s to the token request: %s%s" % (
                resp.status_code, "(%s) " % error if error else "", text)
            raise TokenRequestError(message, unreachable=resp.status_code >= 500)

    def close(self):
        pass


def _require_https(url, what):
    """``AzureAuthError`` naming the host unless ``url`` is an https:// URL with a host."""
    try:
        parts = urlsplit(url or "")
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() != "https" or not host:
        raise AzureAuthError("Refused to send the client secret to %s (%s): the secret is sent only over HTTPS; "
                             "check cloud_environment" % (host or "a URL without a host", what))
    return host


def _json_or_none(resp):
    try:
        body = resp.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def client_secret_credential(settings, cloud, session, timeout=(10, 60)):
    """A ``ClientSecretTokenCredential`` when ``settings`` authenticate with a client secret against
    an Azure AD authority, else ``None`` (then ``build_credential`` makes the azure-identity one).

    ADFS authorities (Azure Stack Hub without Azure AD) are left to azure-identity.
    """
    source = settings.auth_source
    secret_based = source in ("env", "credential_file") or (
        source == "auto" and settings.client_id and settings.secret and settings.tenant)
    if not secret_based or not (settings.client_id and settings.secret and settings.tenant) or session is None:
        return None
    authority = cloud.authority_host if cloud is not None else KNOWN_CLOUDS["AzureCloud"].authority_host
    if _is_adfs(authority, settings.tenant):
        return None
    return ClientSecretTokenCredential(settings.tenant, settings.client_id, settings.secret, authority, session,
                                       timeout=timeout)
