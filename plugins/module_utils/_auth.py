# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Azure authentication: options, cloud endpoints, azure-identity credentials and a token cache.

Internal to this collection: not a public API, may change at any time.

``azure.identity`` costs about 0.4 s to import, so it is imported only by ``build_credential``;
a client secret gets its tokens from ``_auth_client_secret.ClientSecretTokenCredential`` (one POST,
no azure-identity).
Explicit options win; environment variables (and ``~/.azure/credentials``) are the fallback,
resolved here at run time rather than in the argument spec.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import threading
import time

from collections import namedtuple
from configparser import ConfigParser, Error as ConfigParserError

from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureAuthError,
    AzureConnectionError,
    MissingDependencyError,
    ValidationError,
    add_secret,
    redact_text,
)

AUTH_SOURCES = ("auto", "cli", "credential_file", "env", "msi", "workload_identity")

# Must agree exactly (type, default, choices, no_log) with plugins/doc_fragments/azure.py.
AUTH_ARGSPEC = dict(
    auth_source=dict(type="str", default="auto", choices=list(AUTH_SOURCES)),
    subscription_id=dict(type="str"),
    client_id=dict(type="str"),
    secret=dict(type="str", no_log=True),
    tenant=dict(type="str"),
    profile=dict(type="str"),
    cloud_environment=dict(type="str"),
    api_timeout=dict(type="int", default=60),
    max_retries=dict(type="int", default=6),
)

# Environment fallbacks, first set wins (the names azure.azcollection and azure-identity use).
ENV_VARS = dict(
    auth_source=("ANSIBLE_AZURE_AUTH_SOURCE",),
    subscription_id=("AZURE_SUBSCRIPTION_ID",),
    client_id=("AZURE_CLIENT_ID",),
    secret=("AZURE_SECRET", "AZURE_CLIENT_SECRET"),
    tenant=("AZURE_TENANT", "AZURE_TENANT_ID"),
    profile=("AZURE_PROFILE",),
    cloud_environment=("AZURE_CLOUD_ENVIRONMENT",),
    token_file=("AZURE_FEDERATED_TOKEN_FILE",),
)

CREDENTIALS_PATH = os.path.join("~", ".azure", "credentials")
_ENV_HELP = ("client_id, secret and tenant, or the environment variables AZURE_CLIENT_ID, AZURE_SECRET "
             "(or AZURE_CLIENT_SECRET) and AZURE_TENANT (or AZURE_TENANT_ID)")

_AuthSettings = namedtuple(
    "AuthSettings",
    "auth_source subscription_id client_id secret tenant profile cloud_environment token_file "
    "credentials_path source_of",
)


class AuthSettings(_AuthSettings):
    """What the settings were resolved to. ``source_of`` tells, per field, where the value came from."""

    __slots__ = ()

    def __repr__(self):
        shown = self._replace(secret="********" if self.secret else None)
        return "AuthSettings(%s)" % ", ".join("%s=%r" % (k, v) for k, v in zip(self._fields, shown))


def _env_value(env, field):
    for name in ENV_VARS.get(field, ()):
        value = env.get(name)
        if value:
            return value
    return None


def read_credential_file(path=None, profile=None):
    """The ``[profile]`` (default ``[default]``) section of an azure.azcollection credential file.

    Returns ``None`` when the file does not exist; raises ``AzureAuthError`` when it cannot be
    read or lacks the section.
    """
    path = os.path.expanduser(path or CREDENTIALS_PATH)
    if not os.path.isfile(path):
        return None
    parser = ConfigParser()
    try:
        parser.read(path)
    except (ConfigParserError, OSError, UnicodeError) as e:
        raise AzureAuthError("Could not read the credential file %s: %s" % (path, e), "credential_file")
    section = profile or "default"
    if not parser.has_section(section):
        raise AzureAuthError("The credential file %s has no [%s] section (choose it with profile or AZURE_PROFILE; "
                             "sections: %s)" % (path, section, ", ".join(parser.sections()) or "none"),
                             "credential_file")
    return dict((k, v.strip()) for k, v in parser.items(section) if v and v.strip())


def _cli_default_subscription(env):
    """The default subscription of the Azure CLI login (``azureProfile.json``), if any."""
    config_dir = env.get("AZURE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".azure")
    path = os.path.join(config_dir, "azureProfile.json")
    try:
        with open(path, "rb") as f:
            profile = json.loads(f.read().decode("utf-8-sig"))
    except (OSError, IOError, ValueError):
        return None
    for sub in profile.get("subscriptions") or []:
        if isinstance(sub, dict) and sub.get("isDefault") and sub.get("id"):
            return sub["id"]
    return None


class _Sources(object):
    """Values from the options, then the environment, then a credential file; ``source_of`` says which."""

    def __init__(self, params, env):
        self.params = params
        self.env = env
        self.source_of = {}

    def take(self, field, use_env=True, extra=None):
        value = self.params.get(field)
        if value:
            self.source_of[field] = "option"
            return value
        if use_env:
            value = _env_value(self.env, field)
            if value:
                self.source_of[field] = "env"
                return value
        if extra and extra.get(field):
            self.source_of[field] = "credential_file"
            return extra[field]
        return None


def _credential_file_secret(sources, path, profile):
    """``(values, file_values)`` for auth_source=credential_file: client_id, secret and tenant from
    the options, else from the credential file's section; ``AzureAuthError`` when one is missing."""
    source = "credential_file"
    values = {}
    file_values = read_credential_file(path, profile)
    if file_values is None:
        raise AzureAuthError("auth_source=credential_file, but there is no credential file at %s (an INI file "
                             "with a [default] or [profile] section holding subscription_id, client_id, secret "
                             "and tenant)" % path, source)
    for field in ("client_id", "secret", "tenant"):
        values[field] = sources.take(field, use_env=False, extra=file_values)
    missing = [f for f in ("client_id", "secret", "tenant") if not values[f]]
    if missing:
        raise AzureAuthError("The [%s] section of %s lacks %s (auth_source=credential_file needs client_id, "
                             "secret and tenant there or as options)"
                             % (profile or "default", path, ", ".join(missing)), source)
    return values, file_values


def _env_secret(sources, source, path, profile):
    """``(values, file_values)`` for the other sources: client_id, secret and tenant from the options
    or the environment. ``auto`` without all three falls back to the credential file (all three from
    there, or none); ``env`` raises ``AzureAuthError`` when one is missing."""
    values = {}
    file_values = None
    for field in ("client_id", "secret", "tenant"):
        values[field] = sources.take(field)
    if source == "auto" and not (values["client_id"] and values["secret"] and values["tenant"]):
        if values["secret"]:
            missing = [f for f in ("client_id", "tenant") if not values[f]]
            raise AzureAuthError("A client secret is set but %s is missing: set %s"
                                 % (" and ".join(missing), _ENV_HELP), source)
        file_values = read_credential_file(path, profile) if (profile or os.path.isfile(path)) else None
        if profile and file_values is None:
            raise AzureAuthError("profile %s was given but there is no credential file at %s" % (profile, path),
                                 source)
        if file_values and all(file_values.get(f) for f in ("client_id", "secret", "tenant")):
            for field in ("client_id", "secret", "tenant"):
                values[field] = file_values[field]
                sources.source_of[field] = "credential_file"
        else:
            file_values = None
    elif source == "env":
        missing = [f for f in ("client_id", "secret", "tenant") if not values[f]]
        if missing:
            raise AzureAuthError("auth_source=env needs %s; missing: %s" % (_ENV_HELP, ", ".join(missing)),
                                 source)
    return values, file_values


def _workload_token_file(env, values):
    """The federated token file for auth_source=workload_identity; ``AzureAuthError`` naming what
    is missing (tenant, client_id, the token file)."""
    token_file = _env_value(env, "token_file")
    missing = []
    if not values.get("tenant"):
        missing.append("tenant (option tenant, or AZURE_TENANT_ID / AZURE_TENANT)")
    if not values.get("client_id"):
        missing.append("client_id (option client_id, or AZURE_CLIENT_ID)")
    if not token_file:
        missing.append("the federated token file (AZURE_FEDERATED_TOKEN_FILE)")
    if missing:
        raise AzureAuthError("auth_source=workload_identity needs %s" % "; ".join(missing), "workload_identity")
    return token_file


def resolve_settings(params, env=None, credentials_path=None):
    """Merge the options with the environment (and the credential file) into ``AuthSettings``.

    Only option checks here, no network: raises ``AzureAuthError`` when the chosen ``auth_source``
    lacks something it needs, naming the options and environment variables to set.
    """
    env = os.environ if env is None else env
    params = params or {}
    source = params.get("auth_source") or _env_value(env, "auth_source") or "auto"
    if source not in AUTH_SOURCES:
        raise ValidationError("auth_source must be one of %s, got %r" % (", ".join(AUTH_SOURCES), source),
                              option="auth_source")
    sources = _Sources(params, env)
    profile = sources.take("profile")
    path = os.path.expanduser(credentials_path or CREDENTIALS_PATH)
    if source == "credential_file":
        values, file_values = _credential_file_secret(sources, path, profile)
    elif source == "msi":
        values = dict(client_id=sources.take("client_id", use_env=False), secret=None,
                      tenant=sources.take("tenant", use_env=False))
        file_values = None
    else:
        values, file_values = _env_secret(sources, source, path, profile)
    token_file = _workload_token_file(env, values) if source == "workload_identity" else None
    subscription_id = sources.take("subscription_id", extra=file_values)
    if not subscription_id and source in ("auto", "cli"):
        subscription_id = _cli_default_subscription(env)
        if subscription_id:
            sources.source_of["subscription_id"] = "cli"
    cloud = sources.take("cloud_environment", extra=file_values) or "AzureCloud"
    add_secret(values.get("secret"))
    return AuthSettings(source, subscription_id, values.get("client_id"), values.get("secret"), values.get("tenant"),
                        profile, cloud, token_file, path, sources.source_of)


def _import_identity():
    """``azure.identity``, imported only when a credential is built (it is slow to import)."""
    try:
        from azure import identity
    except ImportError:
        import traceback
        raise MissingDependencyError("azure-identity", traceback.format_exc(),
                                     reason="to authenticate to Azure (pip install azure-identity)")
    return identity


def build_credential(params, cloud, env=None, credentials_path=None):
    """The azure-identity credential for ``auth_source`` (``params``: module options or ``AuthSettings``)."""
    settings = params if isinstance(params, AuthSettings) else resolve_settings(params, env, credentials_path)
    identity = _import_identity()
    source = settings.auth_source
    public = cloud is None or cloud.name == "AzureCloud"
    authority = {} if cloud is None else dict(authority=cloud.authority_host)
    msal_kwargs = dict(authority)
    if not public:
        msal_kwargs["disable_instance_discovery"] = True

    def client_secret():
        return identity.ClientSecretCredential(settings.tenant, settings.client_id, settings.secret, **msal_kwargs)

    try:
        if source in ("env", "credential_file"):
            return client_secret()
        if source == "msi":
            return identity.ManagedIdentityCredential(client_id=settings.client_id or None)
        if source == "cli":
            if settings.tenant:
                return identity.AzureCliCredential(tenant_id=settings.tenant)
            return identity.AzureCliCredential()
        if source == "workload_identity":
            return identity.WorkloadIdentityCredential(tenant_id=settings.tenant, client_id=settings.client_id,
                                                       token_file_path=settings.token_file, **authority)
        if settings.client_id and settings.secret and settings.tenant:
            return client_secret()
        kwargs = dict(authority)
        if settings.client_id:
            kwargs["managed_identity_client_id"] = settings.client_id
        return identity.DefaultAzureCredential(**kwargs)
    except ValueError as e:  # azure-identity's own option checks (malformed tenant id...)
        raise AzureAuthError("Invalid credentials for auth_source=%s: %s" % (source, redact_text(e, [settings.secret])),
                             source)


_HINTS = dict(
    auto="No usable Azure credentials were found: set %s, set profile for ~/.azure/credentials, log in with "
         "'az login', or run on an Azure host with a managed identity (auth_source=msi)" % _ENV_HELP,
    cli="Log in with 'az login' as the user that runs the module (or choose another auth_source)",
    msi="auth_source=msi needs an Azure host with a managed identity; set client_id for a user-assigned identity",
    workload_identity="Check AZURE_FEDERATED_TOKEN_FILE, client_id and tenant of the federated identity",
)


def _is_type(exc, *names):
    return any(klass.__name__ in names for klass in type(exc).__mro__)


_AADSTS_RE = re.compile(r"\bAADSTS(\d+)")
_CORRELATION_RE = re.compile(r"(?i)correlation[ _]id\W{0,3}([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")

# Azure AD's answers that point at one credential option (AADSTS code: what to check).
_AADSTS_HINTS = {
    "AADSTS7000215": "The client secret is wrong: check secret (or AZURE_SECRET / AZURE_CLIENT_SECRET, or the "
                     "credential file); it must be the secret's value, not its id",
    "AADSTS7000222": "The client secret has expired: create a new one and set secret (or AZURE_SECRET)",
    "AADSTS700016": "No application with this client id in the tenant: check client_id (or AZURE_CLIENT_ID) and "
                    "tenant (or AZURE_TENANT)",
    "AADSTS90002": "The tenant does not exist: check tenant (or AZURE_TENANT / AZURE_TENANT_ID) and "
                   "cloud_environment",
}


def aad_error_details(text):
    """``(error_code, correlation_id)`` from Azure AD's error text (``AADSTS7000215: ... Correlation
    ID: ...``); ``None`` for what it does not hold."""
    text = text or ""
    code = _AADSTS_RE.search(text)
    corr = _CORRELATION_RE.search(text)
    return ("AADSTS" + code.group(1) if code else None), (corr.group(1) if corr else None)


class TokenProvider(object):
    """Bearer tokens for one scope, cached until they are about to expire.

    A new token is fetched when none is cached or the cached one expires within ``refresh_margin``
    seconds (or within half its lifetime, for short-lived tokens). ``invalidate()`` drops it (the
    client does that on HTTP 401 and retries once). azure-identity credentials keep their own token
    cache and would hand the rejected token back, so with a ``credential_factory`` ``invalidate()``
    also replaces the credential: the next token is really a new one.
    """

    def __init__(self, credential, scope, refresh_margin=300, clock=time.time, auth_source=None, secrets=(),
                 credential_factory=None):
        self.credential = credential
        self._credential_factory = credential_factory
        self.scope = scope
        self.refresh_margin = refresh_margin
        self._clock = clock
        self.auth_source = auth_source
        self._secrets = [s for s in secrets if s]
        self._token = None
        self._expires_on = 0
        self._margin = refresh_margin
        self.fetch_count = 0
        # One token for every thread of a run: a refresh happens once, under the lock.
        self._lock = threading.RLock()

    def token(self):
        with self._lock:
            now = self._clock()
            if self._token is None or self._expires_on - now <= self._margin:
                self._fetch(now)
            return self._token

    def token_for_tenant(self, tenant_id):
        """A token of the same identity for another tenant (ARM's ``x-ms-authorization-auxiliary``, e.g. a
        Resource Guard's tenant); not cached, registered as a secret."""
        try:
            access = self.credential.get_token(self.scope, tenant_id=tenant_id)
        except Exception as e:
            raise self._convert(e)
        add_secret(access.token)
        return access.token

    def invalidate(self):
        with self._lock:
            self._token = None
            self._expires_on = 0
            if self._credential_factory is not None:
                self.credential = self._credential_factory()

    def _fetch(self, now):
        self.fetch_count += 1
        try:
            access = self.credential.get_token(self.scope)
        except Exception as e:
            raise self._convert(e)
        self._token = access.token
        self._expires_on = float(access.expires_on)
        add_secret(self._token)
        lifetime = self._expires_on - now
        self._margin = min(self.refresh_margin, max(0.0, lifetime / 2.0))

    def _convert(self, exc):
        kind = type(self.credential).__name__
        text = " ".join(redact_text(getattr(exc, "message", None) or str(exc), self._secrets).split())
        if len(text) > 1500:
            text = text[:1500] + "..."
        if getattr(exc, "unreachable", False) or _is_type(exc, "ServiceRequestError", "ServiceResponseError") and \
                not _is_type(exc, "ClientAuthenticationError"):
            return AzureConnectionError("Could not reach the Azure AD token endpoint (%s): %s" % (kind, text),
                                        reason=text)
        msg = "Could not get an Azure access token for %s with %s (auth_source=%s): %s" % (
            self.scope, kind, self.auth_source or "auto", text)
        error_code, correlation_id = aad_error_details(text)
        hint = _HINTS.get(self.auth_source or "auto")
        aad_hint = _AADSTS_HINTS.get(error_code)
        if aad_hint:
            msg += ". " + aad_hint
        elif hint and (kind == "DefaultAzureCredential" or self.auth_source in ("cli", "msi", "workload_identity")):
            msg += ". " + hint
        return AzureAuthError(msg, self.auth_source, error_code=error_code, correlation_id=correlation_id)
