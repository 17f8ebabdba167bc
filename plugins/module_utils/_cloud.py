# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Clouds: the endpoints of the named Azure clouds, or those an Azure Stack Resource Manager URL
publishes in its metadata.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from collections import namedtuple
from urllib.parse import urlsplit

from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzureApiError,
    AzureConnectionError,
    MissingDependencyError,
    ValidationError,
)
from ansible_collections.azbackup.restore.plugins.module_utils._retry import RetryPolicy, retry_after_from_headers

METADATA_API_VERSION = "2015-01-01"

CloudEndpoints = namedtuple("CloudEndpoints", "name resource_manager authority_host scope")

KNOWN_CLOUDS = dict(
    AzureCloud=CloudEndpoints("AzureCloud", "https://management.azure.com/", "https://login.microsoftonline.com/",
                              "https://management.azure.com/.default"),
    AzureUSGovernment=CloudEndpoints("AzureUSGovernment", "https://management.usgovcloudapi.net/",
                                     "https://login.microsoftonline.us/",
                                     "https://management.usgovcloudapi.net/.default"),
    AzureChinaCloud=CloudEndpoints("AzureChinaCloud", "https://management.chinacloudapi.cn/",
                                   "https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn/.default"),
)
_CLOUD_ALIASES = dict(
    azurecloud="AzureCloud", azurepubliccloud="AzureCloud", public="AzureCloud",
    azureusgovernment="AzureUSGovernment", azureusgovernmentcloud="AzureUSGovernment",
    azurechinacloud="AzureChinaCloud",
)


METADATA_ATTEMPTS = 3


def _cloud_url_problem(url):
    """What keeps ``url`` (https://, no trailing /) from being a Resource Manager endpoint, or None."""
    if re.search(r"[\x00-\x20\x7f]", url):  # urlsplit would drop tabs and line breaks
        return "has a blank or control character"
    parts = urlsplit(url)
    if parts.query or parts.fragment or "?" in url or "#" in url:
        return "has a query or a fragment"
    try:
        parts.port
    except ValueError:
        return "has no valid port"
    if not parts.hostname or not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", parts.netloc):
        return "has no valid host (letters, digits, '.', '-', then an optional port)"
    if not re.fullmatch(r"[A-Za-z0-9._~/-]*", parts.path):
        return "has a path with characters other than letters, digits, '.', '_', '~', '-' and '/'"
    if any(s in (".", "..") for s in parts.path.split("/")):
        return "has a '.' or '..' segment"
    return None


def resolve_cloud(cloud_environment, session=None, timeout=30, sleep=time.sleep):
    """``CloudEndpoints`` for a cloud name or an Azure Stack Resource Manager URL.

    A URL is asked ``GET {url}/metadata/endpoints?api-version=2015-01-01`` (through ``session``, a
    ``requests.Session``, which honours ``REQUESTS_CA_BUNDLE``): ``authentication.loginEndpoint``
    is the authority, ``authentication.audiences[0]`` + ``/.default`` the token scope. A 429 / 5xx
    answer or a connection error is retried (``METADATA_ATTEMPTS``, Retry-After honoured).
    """
    name = (cloud_environment or "AzureCloud").strip()
    known = _CLOUD_ALIASES.get(name.lower())
    if known:
        return KNOWN_CLOUDS[known]
    if name.lower().startswith("http://"):
        raise ValidationError("cloud_environment must be an https:// URL: the Azure credentials are sent only over "
                              "HTTPS, got %s" % name, option="cloud_environment")
    if not name.lower().startswith("https://"):
        raise ValidationError("cloud_environment must be AzureCloud, AzureUSGovernment, AzureChinaCloud or the "
                              "https:// URL of a Resource Manager endpoint (Azure Stack), got %r" % name,
                              option="cloud_environment")
    base = name.rstrip("/")
    problem = _cloud_url_problem(base)
    if problem:
        raise ValidationError("cloud_environment must be the https:// URL of a Resource Manager endpoint, but it %s: "
                              "%r" % (problem, name[:200]), option="cloud_environment")
    return _read_metadata(base, session, timeout, sleep)


def _read_metadata(base, session, timeout, sleep):
    """GET the metadata of the Resource Manager endpoint ``base`` (retried), then parse it."""
    url = base + "/metadata/endpoints?api-version=" + METADATA_API_VERSION
    if session is None:
        try:
            import requests
        except ImportError:
            import traceback
            raise MissingDependencyError("requests", traceback.format_exc())
        session = requests.Session()
    retry = RetryPolicy(max_attempts=METADATA_ATTEMPTS, backoff_max=10.0)
    for attempt in range(1, METADATA_ATTEMPTS + 1):
        last = attempt == METADATA_ATTEMPTS
        try:
            resp = session.get(url, headers={"Accept": "application/json"}, timeout=timeout)
        except Exception as e:  # requests.RequestException and friends; requests may be a stand-in
            if last or "certificate verify failed" in str(e).lower():
                raise AzureConnectionError("Could not read the cloud metadata of cloud_environment at %s "
                                           "(%d attempt(s)): %s" % (url, attempt, e), method="GET", url=url,
                                           attempts=attempt, reason=str(e))
            sleep(retry.delay(attempt))
            continue
        if retry.retryable_status(resp.status_code) and not last:
            sleep(retry.delay(attempt, retry_after_from_headers(resp.headers)))
            continue
        break
    if resp.status_code != 200:
        err = AzureApiError.from_response(resp.status_code, resp.headers, resp.text, "GET", url, attempts=attempt)
        raise err.with_context("Could not read the cloud metadata of cloud_environment %s" % base)
    return _endpoints(base, url, resp)


def _endpoints(base, url, resp):
    """``CloudEndpoints`` from the metadata answer ``resp``."""
    try:
        doc = resp.json()
        auth = doc["authentication"]
        login = auth["loginEndpoint"]
        audiences = auth["audiences"]
        audience = audiences[0] if isinstance(audiences, list) else audiences
        if not login or not audience:
            raise ValueError("empty loginEndpoint or audiences")
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ValidationError("The cloud metadata at %s has no authentication.loginEndpoint / audiences (%s)"
                              % (url, e), option="cloud_environment")
    return CloudEndpoints(base, base + "/", login, audience.rstrip("/") + "/.default")
