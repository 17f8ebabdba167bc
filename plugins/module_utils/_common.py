# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Module glue: a module's options into an ``ArmClient``, an ``AzBackupError`` into ``fail_json``.

Internal to this collection: not a public API, may change at any time.

The only file of ``module_utils`` that knows Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import os
import platform
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

try:
    from ansible.module_utils.ansible_release import __version__ as ANSIBLE_CORE_VERSION
except ImportError:  # pragma: no cover
    ANSIBLE_CORE_VERSION = "unknown"

from ansible_collections.azbackup.restore.plugins.module_utils._arm_client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    ArmClient,
)
from ansible_collections.azbackup.restore.plugins.module_utils._auth import (
    AUTH_ARGSPEC,
    ENV_VARS,
    TokenProvider,
    build_credential,
    read_credential_file,
    resolve_settings,
)
from ansible_collections.azbackup.restore.plugins.module_utils._auth_client_secret import client_secret_credential
from ansible_collections.azbackup.restore.plugins.module_utils._cloud import resolve_cloud
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureAuthError,
    MissingDependencyError,
    redact_text,
)
from ansible_collections.azbackup.restore.plugins.module_utils._poller import WAIT_ARGSPEC
from ansible_collections.azbackup.restore.plugins.module_utils._resource_id import check_segment
from ansible_collections.azbackup.restore.plugins.module_utils._retry import RetryPolicy
from ansible_collections.azbackup.restore.plugins.module_utils._version import COLLECTION_VERSION

if HAS_REQUESTS:
    import requests

_CLIENTS = {}


def azure_argument_spec():
    """A fresh copy of the auth + connection argument spec, for a module to extend."""
    spec = copy.deepcopy(AUTH_ARGSPEC)
    spec["auth_source"]["fallback"] = (env_fallback, list(ENV_VARS["auth_source"]))
    return spec


def wait_argument_spec():
    """A fresh copy of the ``wait`` / ``wait_timeout`` / ``poll_interval`` argument spec."""
    return copy.deepcopy(WAIT_ARGSPEC)


def user_agent(env=None):
    """``azbackup.restore/{version} python/x.y.z requests/x ansible-core/x`` (+ AZURE_HTTP_USER_AGENT)."""
    env = os.environ if env is None else env
    parts = ["azbackup.restore/%s" % COLLECTION_VERSION, "python/%s" % platform.python_version()]
    if HAS_REQUESTS:
        parts.append("requests/%s" % requests.__version__)
    parts.append("ansible-core/%s" % ANSIBLE_CORE_VERSION)
    extra = env.get("AZURE_HTTP_USER_AGENT")
    if extra:
        parts.append(extra)
    return " ".join(parts)


def check_dependencies(module):
    """Fail the module with Ansible's usual message when ``requests`` is missing."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)


def _cache_key(settings, api_timeout, max_retries):
    secret = hashlib.sha256(settings.secret.encode("utf-8")).hexdigest() if settings.secret else None
    return (settings.auth_source, settings.subscription_id, settings.client_id, secret, settings.tenant,
            settings.profile, settings.cloud_environment, settings.token_file, api_timeout, max_retries)


def get_client(module_params, session=None, env=None, credentials_path=None):
    """An ``ArmClient`` for the module's auth options (cached per process by those options).

    ``client.subscription_id`` is the resolved subscription (``None`` when nothing names one) and
    ``client.cloud`` the ``CloudEndpoints``. Raises ``AzBackupError`` subclasses (catch them and
    call ``fail_from_error``); the credential is only used at the first request.
    """
    if session is None and not HAS_REQUESTS:
        raise MissingDependencyError("requests", REQUESTS_IMPORT_ERROR)
    params = module_params or {}
    settings = resolve_settings(params, env, credentials_path)
    if settings.tenant is not None:  # a segment of the token endpoint's path
        check_segment(settings.tenant, "tenant", "tenant")
    api_timeout = params.get("api_timeout") or AUTH_ARGSPEC["api_timeout"]["default"]
    max_retries = params.get("max_retries")
    if max_retries is None:
        max_retries = AUTH_ARGSPEC["max_retries"]["default"]
    key = _cache_key(settings, api_timeout, max_retries)
    if session is None and key in _CLIENTS:
        return _CLIENTS[key]
    cache = session is None
    if session is None:
        session = requests.Session()
    cloud = resolve_cloud(settings.cloud_environment, session, timeout=api_timeout)
    timeout = (min(10, api_timeout), api_timeout)

    def credential_factory():
        # A client secret needs no azure-identity (saves its ~0.4 s import and MSAL's discovery GETs).
        return client_secret_credential(settings, cloud, session, timeout=timeout) or build_credential(settings, cloud)

    provider = TokenProvider(credential_factory(), cloud.scope, auth_source=settings.auth_source,
                             secrets=[settings.secret], credential_factory=credential_factory)
    client = ArmClient(cloud.resource_manager, provider, session=session,
                       retry=RetryPolicy.from_max_retries(max_retries),
                       timeout=timeout, user_agent=user_agent(env),
                       subscription_id=settings.subscription_id, cloud=cloud)
    if cache:
        _CLIENTS[key] = client
    return client


def require_subscription(client):
    """The client's subscription id, or ``AzureAuthError`` saying how to set one."""
    if not client.subscription_id:
        raise AzureAuthError("No subscription: set subscription_id or AZURE_SUBSCRIPTION_ID (or subscription_id "
                             "in ~/.azure/credentials, or a default subscription with 'az account set')")
    return client.subscription_id


def secret_values(params, env=None):
    """Secret values in play for these options (for ``module.no_log_values``): the client secret
    from the option, the environment or the credential file."""
    env = os.environ if env is None else env
    params = params or {}
    values = set()
    if params.get("secret"):
        values.add(params["secret"])
    for name in ENV_VARS["secret"]:
        if env.get(name):
            values.add(env[name])
    try:
        section = read_credential_file(profile=params.get("profile") or env.get("AZURE_PROFILE"))
    except AzBackupError:
        section = None
    if section and section.get("secret"):
        values.add(section["secret"])
    return values


def fail_from_error(module, err, **extra):
    """``module.fail_json`` with the error's message and details (``extra`` added, winning)."""
    if isinstance(err, MissingDependencyError):
        kwargs = dict(msg=missing_required_lib(err.library))
        if err.import_error:
            kwargs["exception"] = err.import_error
    elif isinstance(err, AzBackupError):
        kwargs = err.to_fail_kwargs()
    else:
        kwargs = dict(msg=redact_text("%s: %s" % (type(err).__name__, err)), exception=traceback.format_exc())
    kwargs.update(extra)
    module.fail_json(**kwargs)
