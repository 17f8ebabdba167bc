# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A small Azure Resource Manager REST client over ``requests``: auth, retries, errors, paging.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json as _json
import platform
import threading
import time
import traceback
import uuid

from collections import namedtuple

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

try:
    import requests
    import requests.exceptions as rexc
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
    _REQUEST_EXCEPTIONS = (rexc.RequestException,)
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    _REQUEST_EXCEPTIONS = ()

from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    AzureConnectionError,
    MissingDependencyError,
    UntrustedUrlError,
    ValidationError,
    header_value,
    redact_text,
    redact_url,
)
from ansible_collections.azbackup.restore.plugins.module_utils._retry import RetryPolicy, retry_after_from_headers
from ansible_collections.azbackup.restore.plugins.module_utils._throttle import Pacer
from ansible_collections.azbackup.restore.plugins.module_utils._version import COLLECTION_VERSION

IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")

# Characters left as they are in a path: "%" keeps percent-encoded names (%3B) intact; ";" is not
# here, so a raw ";" (container and item names) is sent as %3B like the Azure CLI does.
_PATH_SAFE = "/%:@!$&'()*+,=-._~"
_QUERY_SAFE = "$',:()"

_DEFAULT_PORTS = dict(https=443, http=80)
# Never sent in a URL or a header: they would end the request line or a header early (or cut it).
_URL_FORBIDDEN = frozenset(chr(c) for c in range(0x21)) | frozenset(["\x7f"])
_HEADER_FORBIDDEN = ("\r", "\n", "\0")


def default_user_agent():
    ua = "azbackup.restore/%s python/%s" % (COLLECTION_VERSION, platform.python_version())
    if HAS_REQUESTS:
        ua += " requests/%s" % requests.__version__
    return ua


class ArmResponse(namedtuple("ArmResponse", "status_code headers body url")):
    """An answer: ``body`` is the parsed JSON, the text when it is not JSON, or ``None`` when empty."""

    __slots__ = ()

    def header(self, name):
        return header_value(self.headers, name)

    @property
    def request_id(self):
        return self.header("x-ms-request-id")

    @property
    def correlation_id(self):
        return self.header("x-ms-correlation-request-id")


class _BearerAuth(object):
    """Sets ``Authorization``; being an auth object also keeps requests from using ~/.netrc."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Bearer %s" % self.token
        return request


def _origin(url):
    """``(scheme, host, port)`` of an absolute URL: scheme and host in lower case, the default port
    made explicit (``https://h`` and ``https://h:443`` are the same). ``ValueError`` when the URL
    has no host, a bad port, user info, a backslash or a control character or space."""
    if any(c in _URL_FORBIDDEN for c in url):
        raise ValueError("control character or space in the URL")
    parts = urlsplit(url)
    if "@" in parts.netloc or "\\" in parts.netloc:
        raise ValueError("user info or backslash in the host part")
    scheme = parts.scheme.lower()
    host = parts.hostname
    port = parts.port  # ValueError when not a number in range
    if not host:
        raise ValueError("no host")
    return scheme, host, _DEFAULT_PORTS.get(scheme) if port is None else port


def _host_of(url):
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _show_origin(origin):
    scheme, host, port = origin
    return "%s://%s:%s" % (scheme, "[%s]" % host if ":" in host else host, port)


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_headers(headers):
    """Raise ``ValidationError`` naming the header when a name or value holds CR, LF or NUL."""
    for name, value in headers.items():
        for text in (name, value):
            if isinstance(text, bytes):
                text = text.decode("latin-1")
            if isinstance(text, str) and any(c in text for c in _HEADER_FORBIDDEN):
                raise ValidationError("Refused to send the HTTP header %r: it contains a CR, LF or NUL character "
                                      "(the value is not shown); nothing was sent" % _printable(name))


def _printable(name):
    if isinstance(name, bytes):
        name = name.decode("latin-1")
    return "".join(c if " " <= c < "\x7f" else "?" for c in str(name))


def _has_query_param(url, name):
    query = urlsplit(url).query
    return any(k.lower() == name for k, dummy in parse_qsl(query, keep_blank_values=True))


def _chain(exc):
    """``exc`` and the exceptions it wraps (args, ``reason``, cause and context)."""
    seen = []
    todo = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or any(cur is s for s in seen) or len(seen) > 20:
            continue
        seen.append(cur)
        for nxt in [getattr(cur, "reason", None), getattr(cur, "__cause__", None),
                    getattr(cur, "__context__", None)] + list(getattr(cur, "args", ()) or ()):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return seen


def _class_names(exc):
    return set(k.__name__ for e in _chain(exc) for k in type(e).__mro__)


def certainly_not_sent(exc):
    """True when the request never reached the server: connect timeout, refused / unresolvable host."""
    if HAS_REQUESTS and isinstance(exc, rexc.ConnectTimeout):
        return True
    names = _class_names(exc)
    return bool(names & set(["NewConnectionError", "ConnectTimeoutError", "NameResolutionError",
                             "ConnectionRefusedError", "ConnectTimeout"]))


def _is_certificate_error(exc):
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text or \
        "SSLCertVerificationError" in _class_names(exc)


class ArmClient(object):
    """Azure Resource Manager client: every request authenticated, retried and typed on error.

    ``base_url``: the Resource Manager endpoint (``https://management.azure.com``). A request's
    ``url`` is a path joined to it, or an absolute URL used verbatim (Azure's signed
    asynchronous-operation URLs and ``nextLink`` must not be rewritten).

    The bearer token goes only to ``base_url``: a URL with another scheme, host or port raises
    ``UntrustedUrlError`` before anything is sent, redirects are never followed, and a header
    holding CR, LF or NUL raises ``ValidationError``. ``base_url`` must be HTTPS (plain HTTP only
    to a loopback address, where nothing leaves the machine).
    """

    def __init__(self, base_url, token_provider, session=None, retry=None, timeout=(10, 60), user_agent=None,
                 sleep=time.sleep, clock=time.monotonic, subscription_id=None, cloud=None):
        if session is None:
            if not HAS_REQUESTS:
                raise MissingDependencyError("requests", REQUESTS_IMPORT_ERROR)
            session = requests.Session()
        self.base_url = base_url.rstrip("/")
        self._trusted = self._trusted_origin(self.base_url)
        self.token_provider = token_provider
        self.session = session
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.user_agent = user_agent or default_user_agent()
        self._sleep = sleep
        self._clock = clock
        self.subscription_id = subscription_id
        self.cloud = cloud
        self.request_count = 0
        self._lock = threading.Lock()
        # Threads share the client (a list form runs restores side by side): a 429 pauses every one of
        # them (ARM throttles per caller, not per thread), then they go again gradually (see ``Pacer``).
        self._pacer = Pacer(sleep, clock)

    # -- URLs ---------------------------------------------------------------------------------
    @staticmethod
    def _trusted_origin(base_url):
        try:
            origin = _origin(base_url)
        except ValueError as e:
            raise UntrustedUrlError("The Resource Manager endpoint %s is not a usable URL (%s)"
                                    % (UntrustedUrlError.without_query(base_url), e),
                                    url=base_url, host=_host_of(base_url), reason="malformed")
        scheme, host, dummy = origin
        if scheme != "https" and not (scheme == "http" and _is_loopback(host)):
            raise UntrustedUrlError("Refused to use the Resource Manager endpoint %s: the Azure credentials are "
                                    "sent only over HTTPS" % _show_origin(origin),
                                    url=base_url, host=host, reason="not HTTPS")
        return origin

    def check_url(self, url):
        """Raise ``UntrustedUrlError`` unless ``url`` has the scheme, host and port of ``base_url``."""
        expected = _show_origin(self._trusted)
        try:
            scheme, host, port = _origin(url)
        except ValueError:
            raise UntrustedUrlError(url=url, host=_host_of(url), reason="malformed", expected=expected)
        trusted_scheme, trusted_host, trusted_port = self._trusted
        reason = None
        if scheme != trusted_scheme:
            reason = "not HTTPS" if scheme != "https" else "other scheme"
        elif host != trusted_host:
            reason = "other host"
        elif port != trusted_port:
            reason = "other port"
        if reason:
            raise UntrustedUrlError(url=url, host=host, reason=reason, expected=expected)

    def build_url(self, url, api_version=None, params=None):
        """The exact URL a request goes to (see the class docstring)."""
        if url.lower().startswith(("https://", "http://")):
            full = url
        else:
            path, sep, query = url.partition("?")
            if not path.startswith("/"):
                path = "/" + path
            full = self.base_url + quote(path, safe=_PATH_SAFE) + sep + query
        extra = []
        params = dict(params or {})
        if api_version and not _has_query_param(full, "api-version") and \
                not any(k.lower() == "api-version" for k in params):
            extra.append(("api-version", api_version))
        extra.extend((k, v) for k, v in params.items() if v is not None)
        if extra:
            full += ("&" if "?" in full else "?") + urlencode(extra, quote_via=quote, safe=_QUERY_SAFE)
        return full

    # -- one HTTP exchange ----------------------------------------------------------------------
    def _send(self, method, url, headers, data, token):
        request = requests.Request(method, url, headers=headers, data=data, auth=_BearerAuth(token))
        prepared = self.session.prepare_request(request)
        prepared.url = url  # verbatim: no re-quoting of signed query strings
        settings = self.session.merge_environment_settings(url, {}, None, None, None)
        # Never follow a redirect: it would carry the token to wherever the Location points.
        resp = self.session.send(prepared, timeout=self.timeout, allow_redirects=False, **settings)
        resp.content  # read the body here, so that a reset while reading counts as a connection error
        return resp

    @staticmethod
    def _parse(resp):
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            return resp.text

    def pause_all(self, delay):
        """No request of any thread sharing the client starts within ``delay`` seconds (after a 429);
        then the waiting ones go one at a time, ever closer together while Azure answers them."""
        self._pacer.pause(delay)

    def _attempt(self, method, url, headers, data, attempt, start):
        """Send one attempt once no pause holds it (``start``: when its call began, its place in the
        queue of a pause): ``(response, delay)``; after a 429 ``delay`` pauses every thread
        (``pause_all``), else it is ``None`` and the answer may speed up a pause's end."""
        self._pacer.wait_turn(start)
        started = self._clock()
        token = self.token_provider.token()
        check_headers({"Authorization": token})
        with self._lock:
            self.request_count += 1
        resp = self._send(method, url, headers, data, token)
        if resp.status_code != 429:
            self._pacer.answered(started)
            return resp, None
        delay = self.retry.delay(attempt, retry_after_from_headers(resp.headers))
        self.pause_all(delay)  # waited for by every thread (this one too) before its next request
        return resp, delay

    def _give_up(self, attempt, start, delay):
        return attempt >= self.retry.max_attempts or (self._clock() - start) + delay > self.retry.max_total

    def request(self, method, url, api_version=None, params=None, json=None, headers=None, ok=(200,),
                idempotent=None):
        """Send a request; return an ``ArmResponse`` when its status is in ``ok`` (``None``: any 2xx).

        Retries 429 / 5xx and connection errors with the ``RetryPolicy``, honouring Retry-After.
        A non-idempotent request (``idempotent`` defaults to GET/HEAD/PUT/DELETE) is retried only
        when Azure certainly did not act on it (429, connection never made); after a 5xx or a
        connection lost mid-request it raises at once so that the caller can look before retrying.
        On 401 the token is fetched anew and the request sent once more. A URL off ``base_url``
        raises ``UntrustedUrlError`` and a header with CR / LF / NUL ``ValidationError``, unsent;
        a 3xx is never followed (it raises ``AzureApiError`` unless listed in ``ok``).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        full = self.build_url(url, api_version, params)
        self.check_url(full)
        data = None if json is None else _json.dumps(json).encode("utf-8")
        client_request_id = str(uuid.uuid4())
        start = self._clock()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            hdrs = self._headers(client_request_id, data, headers)
            try:
                resp, pause = self._attempt(method, full, hdrs, data, attempt, start)
            except _REQUEST_EXCEPTIONS as exc:
                self._after_exception(exc, method, full, attempt, start, idempotent)
                continue
            status = resp.status_code
            if (ok is None and 200 <= status < 300) or (ok is not None and status in ok):
                return ArmResponse(status, resp.headers, self._parse(resp), full)
            if status == 401 and not refreshed:
                refreshed = True
                self.token_provider.invalidate()
                continue
            body = self._parse(resp)
            if self.retry.retryable_status(status) and (idempotent or status == 429):
                delay = pause if status == 429 else self.retry.delay(attempt, retry_after_from_headers(resp.headers))
                if not self._give_up(attempt, start, delay):
                    if status != 429:  # after a 429 the pause is waited for in _attempt
                        self._sleep(delay)
                    continue
                raise AzureApiError.from_response(status, resp.headers, body, method, full, attempts=attempt)
            raise self._answer_error(resp, body, method, full, attempt, ok, idempotent)

    def _headers(self, client_request_id, data, headers):
        """The headers of one attempt (the caller's ``headers`` win), checked for CR / LF / NUL."""
        hdrs = {
            "User-Agent": self.user_agent,
            "x-ms-client-request-id": client_request_id,
            "Accept": "application/json",
        }
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        check_headers(hdrs)
        return hdrs

    @staticmethod
    def _answer_error(resp, body, method, url, attempt, ok, idempotent):
        """The ``AzureApiError`` for an answer neither accepted (``ok``) nor retried: a 2xx / 3xx is an
        "Unexpected answer" (a redirect target named without its query), a 4xx / 5xx Azure's error."""
        status = resp.status_code
        if 200 <= status < 400:
            err = AzureApiError.from_response(status, resp.headers, None, method, url, attempts=attempt)
            msg = "Unexpected answer HTTP %s (expected %s) to %s %s" % (
                status, ", ".join(str(s) for s in ok or ()) or "2xx", method, redact_url(url))
            target = header_value(resp.headers, "Location") if 300 <= status < 400 else None
            if target:
                msg += " (a redirect to %s, not followed)" % UntrustedUrlError.without_query(target)
            err._set_msg(msg)
            return err
        return AzureApiError.from_response(status, resp.headers, body, method, url, attempts=attempt,
                                           retried=idempotent or status < 500)

    def _after_exception(self, exc, method, url, attempt, start, idempotent):
        """Sleep before the next attempt, or raise ``AzureConnectionError``."""
        reason = redact_text("%s: %s" % (type(exc).__name__, exc))
        if isinstance(exc, rexc.Timeout):
            limits = self.timeout if isinstance(self.timeout, (tuple, list)) else (self.timeout,)
            limit = limits[0] if isinstance(exc, rexc.ConnectTimeout) else limits[-1]
            reason += " (no answer within %s s: raise api_timeout if Azure is that slow)" % limit
        transient = isinstance(exc, (rexc.ConnectionError, rexc.Timeout, rexc.ChunkedEncodingError,
                                     rexc.ContentDecodingError))
        if isinstance(exc, rexc.SSLError) and _is_certificate_error(exc):
            raise AzureConnectionError(
                "TLS certificate of %s not trusted (%s). Point REQUESTS_CA_BUNDLE at the CA bundle that signs it"
                % (redact_url(url), reason), method=method, url=url, attempts=attempt, reason=reason)
        if not transient:
            raise AzureConnectionError("Could not send %s %s: %s" % (method, redact_url(url), reason),
                                       method=method, url=url, attempts=attempt, reason=reason)
        if not idempotent and not certainly_not_sent(exc):
            raise AzureConnectionError(
                "%s %s lost its connection before Azure answered (%s); not retried because Azure may have "
                "acted on it" % (method, redact_url(url), reason), method=method, url=url, attempts=attempt,
                reason=reason)
        delay = self.retry.delay(attempt)
        if self._give_up(attempt, start, delay):
            raise AzureConnectionError("%s %s failed after %d attempt(s): %s" % (
                method, redact_url(url), attempt, reason), method=method, url=url, attempts=attempt, reason=reason)
        self._sleep(delay)

    # -- conveniences ---------------------------------------------------------------------------
    def get(self, url, api_version=None, params=None, ok=(200,)):
        return self.request("GET", url, api_version=api_version, params=params, ok=ok)

    def post(self, url, api_version=None, json=None, ok=(200, 202), idempotent=False, params=None, headers=None):
        return self.request("POST", url, api_version=api_version, params=params, json=json, headers=headers,
                            ok=ok, idempotent=idempotent)

    def list(self, url, api_version=None, params=None, method="GET", json=None):
        """Iterate over the ``value`` items of every page, following ``nextLink`` verbatim (GET).

        Stops at a missing or empty ``nextLink``; raises ``AzBackupError`` when a ``nextLink``
        repeats (a server looping on its pages).
        """
        resp = self.request(method, url, api_version=api_version, params=params, json=json, ok=(200,),
                            idempotent=True)
        seen = set([resp.url])
        while True:
            body = resp.body
            if isinstance(body, list):
                yield from body
                return
            body = body if isinstance(body, dict) else {}
            yield from body.get("value") or []
            next_link = body.get("nextLink")
            if not next_link:
                return
            if next_link in seen:
                raise AzBackupError("Paging %s stopped: Azure sent the same nextLink twice (%s)"
                                    % (redact_url(resp.url), redact_url(next_link)))
            seen.add(next_link)
            resp = self.request("GET", next_link, api_version=api_version, ok=(200,))
            seen.add(resp.url)
