# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Typed errors of the collection, ARM error-body parsing and redaction of URLs and secrets.

Internal to this collection: not a public API, may change at any time.

Helpers raise these; a module's ``main()`` catches ``AzBackupError`` and calls
``module.fail_json(**err.to_fail_kwargs())``. Nothing here knows Ansible or ``requests``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from urllib.parse import urlsplit, urlunsplit

REDACTED = "********"

# Values that must never appear in a message (client secrets, CRR access tokens...). Filled by
# ``add_secret`` as they are met; every message built here goes through ``redact_text``.
_SECRETS = set()

_BEARER_RE = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*")
_URL_RE = re.compile(r"https?://[^\s\"'<>]+")
_MAX_TEXT = 1000
_MIN_SECRET = 8  # shorter values would blank out ordinary words; real secrets and tokens are long


def registered_secrets():
    """The secrets registered with ``add_secret`` so far (a copy)."""
    return set(_SECRETS)


def add_secret(value):
    """Remember a secret so that no message of this process ever shows it."""
    if value and isinstance(value, str) and len(value) >= _MIN_SECRET:
        _SECRETS.add(value)


def redact_url(url):
    """``url`` fit for a message: no user info, no fragment, no query parameter but ``api-version``.

    Azure's asynchronous-operation URLs carry signed query parameters (``t``, ``c``, ``s``, ``h``,
    ``sig``...); they are dropped here. Use the original URL (verbatim) for requests.
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    kept = [p for p in parts.query.split("&") if p.split("=", 1)[0].lower() == "api-version"]
    return urlunsplit((parts.scheme, netloc, parts.path, "&".join(kept), ""))


def redact_text(text, secrets=()):
    """``text`` without bearer tokens, signed URL parameters and known secret values."""
    if text is None:
        return None
    if not isinstance(text, str):
        text = str(text)
    for secret in sorted(set(secrets or ()) | _SECRETS, key=len, reverse=True):
        if secret and isinstance(secret, str):
            text = text.replace(secret, REDACTED)
    text = _BEARER_RE.sub(r"\1 " + REDACTED, text)
    return _URL_RE.sub(_redact_url_match, text)


def _redact_url_match(match):
    url = match.group(0)
    tail = len(url) - len(url.rstrip(").,;:!?]}"))
    if tail:
        return redact_url(url[:-tail]) + url[-tail:]
    return redact_url(url)


def json_safe(value):
    """A copy of ``value`` made only of JSON types (unknown objects become strings)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return dict((str(k), json_safe(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def header_value(headers, name):
    """Case-insensitive header lookup in any mapping (``None`` when absent)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    lname = name.lower()
    for key, val in headers.items():
        if key.lower() == lname:
            return val
    return None


def _short(text):
    text = re.sub(r"<[^>]+>", " ", text)  # an HTML error page from a gateway
    text = " ".join(text.split())
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT] + "..."
    return text


def _first(mapping, *keys):
    for key in keys:
        if key in mapping and mapping[key] not in (None, ""):
            return mapping[key]
    return None


def parse_error_body(body):
    """Azure's error answer as ``dict(code, message, target, details, additional_info)``.

    Understands the ARM envelope ``{"error": {code, message, target, details, additionalInfo}}``,
    the bare ``{code, message}``, Azure AD's ``{error, error_description}``, OData's
    ``{"odata.error": {code, message: {value}}}``, and text (an HTML page from a gateway, plain
    text, JSON that is no object). Missing parts are ``None`` (``details`` is a list).
    """
    out = dict(code=None, message=None, target=None, details=[], additional_info=[])
    if body is None or body == "" or body == b"":
        return out
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            parsed = json.loads(body)
        except ValueError:
            out["message"] = _short(body) or None
            return out
        body = parsed
    if not isinstance(body, dict):
        out["message"] = _short(json.dumps(body))
        return out
    err = body
    if isinstance(body.get("error"), dict):
        err = body["error"]
    elif isinstance(body.get("odata.error"), dict):
        err = body["odata.error"]
    elif isinstance(body.get("error"), str):
        # Azure AD token endpoint: {"error": "invalid_client", "error_description": "AADSTS7000215: ..."}
        out["code"] = body["error"]
        out["message"] = body.get("error_description")
        return out
    code = _first(err, "code", "Code")
    message = _first(err, "message", "Message")
    if isinstance(message, dict):  # OData: {"lang": "en-US", "value": "..."}
        message = message.get("value")
    out["code"] = str(code) if code is not None else None
    out["message"] = message if message is None or isinstance(message, str) else json.dumps(message)
    out["target"] = _first(err, "target", "Target")
    details = err.get("details") or err.get("Details") or []
    out["details"] = json_safe(details if isinstance(details, list) else [details])
    info = err.get("additionalInfo") or err.get("AdditionalInfo") or []
    out["additional_info"] = json_safe(info if isinstance(info, list) else [info])
    if out["code"] is None and out["message"] is None:
        out["message"] = _short(json.dumps(body))
    return out


# ARM's answer when the caller lacks a permission: "The client '...' with object id '...' does not
# have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid..."
AUTHORIZATION_FAILED_CODES = ("AuthorizationFailed", "LinkedAuthorizationFailed")
# (LinkedAuthorizationFailed: "... does not have permission to perform action '{action}' on the linked
# scope(s) '{scope}' ...")
_DENIED_RE = re.compile(r"perform action '([^']+)' (?:over scope|on the linked scope\(s\)) '([^',]+)")


class AzBackupError(Exception):
    """Base of every error raised by this collection's helpers."""

    def __init__(self, msg):
        self.msg = redact_text(msg)
        super(AzBackupError, self).__init__(self.msg)

    def _fail_extras(self):
        return {}

    def to_fail_kwargs(self):
        """``dict(msg=..., **extras)`` for ``module.fail_json``: JSON-safe and without secrets."""
        kwargs = dict(msg=redact_text(self.msg))
        for key, value in self._fail_extras().items():
            kwargs[key] = redact_text(value) if isinstance(value, str) else json_safe(value)
        return kwargs

    def _set_msg(self, msg):
        self.msg = redact_text(msg)
        self.args = (self.msg,)

    def reworded(self, msg):
        """A copy of this error (same type and fields) whose message is ``msg``."""
        other = self.__class__.__new__(self.__class__)
        other.__dict__.update(self.__dict__)
        other._set_msg(msg)
        return other

    def prefixed(self, prefix):
        """A copy whose message is ``"{prefix}: {message}"``."""
        return self.reworded("%s: %s" % (prefix, self.msg))


class AzureApiError(AzBackupError):
    """An HTTP error answer from Azure Resource Manager (or from a service behind it)."""

    def __init__(self, msg=None, status_code=None, error_code=None, error_message=None, target=None,
                 details=None, additional_info=None, request_id=None, correlation_id=None, method=None,
                 url=None, attempts=None, retried=True):
        self.status_code = status_code
        self.error_code = error_code
        self.error_message = redact_text(error_message)
        self.target = target
        self.details = json_safe(details or [])
        self.additional_info = json_safe(additional_info or [])
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.method = method
        self.url = redact_url(url)
        self.attempts = attempts
        self.retried = retried
        super(AzureApiError, self).__init__(msg or self._default_msg())

    @classmethod
    def from_response(cls, status_code, headers, body, method=None, url=None, attempts=None, retried=True):
        """Build the error from an HTTP answer (``body``: parsed JSON, text, bytes or None)."""
        parsed = parse_error_body(body)
        return cls(status_code=status_code, error_code=parsed["code"], error_message=parsed["message"],
                   target=parsed["target"], details=parsed["details"],
                   additional_info=parsed["additional_info"],
                   request_id=header_value(headers, "x-ms-request-id"),
                   correlation_id=header_value(headers, "x-ms-correlation-request-id"),
                   method=method, url=url, attempts=attempts, retried=retried)

    def _label(self):
        return self.error_code or ("HTTP %s" % self.status_code)

    def _text(self):
        return self.error_message or "(no error message in the answer)"

    def _default_msg(self):
        msg = "Azure answered HTTP %s to %s %s: (%s) %s" % (
            self.status_code, self.method or "request", self.url or "", self._label(), self._text())
        if self.attempts and self.attempts > 1:
            msg += " [gave up after %d attempts]" % self.attempts
        elif not self.retried:
            msg += " [not retried: Azure may have acted on the request]"
        if self.correlation_id:
            msg += " (correlation id %s)" % self.correlation_id
        return msg

    def with_context(self, prefix, show_correlation_id=False):
        """A copy whose ``msg`` is ``"{prefix}: ({code}) {message}"`` (and, when the request was
        retried, ``" [gave up after N attempts]"``; with ``show_correlation_id``, the correlation id
        to quote to Microsoft support)."""
        msg = "%s: (%s) %s" % (prefix, self._label(), self._text())
        if self.attempts and self.attempts > 1:
            msg += " [gave up after %d attempts]" % self.attempts
        if show_correlation_id and self.correlation_id:
            msg += " (correlation id %s)" % self.correlation_id
        return self.reworded(msg)

    @property
    def denied_permission(self):
        """``(action, scope)`` when Azure refused for want of an RBAC permission, else None."""
        if self.status_code != 403 or (self.error_code or "") not in AUTHORIZATION_FAILED_CODES:
            return None
        m = _DENIED_RE.search(self.error_message or "")
        return (m.group(1), m.group(2)) if m else None

    def _fail_extras(self):
        out = dict(status_code=self.status_code, error_code=self.error_code, request_id=self.request_id,
                   correlation_id=self.correlation_id)
        denied = self.denied_permission
        if denied:
            out.update(denied_action=denied[0], denied_scope=denied[1])
        return out


class AzureAuthError(AzBackupError):
    """The credentials could not produce a token (wrong secret, unknown tenant, no CLI login...).

    ``error_code`` (Azure AD's ``AADSTS...`` code) and ``correlation_id`` when Azure AD answered.
    """

    def __init__(self, msg, auth_source=None, error_code=None, correlation_id=None):
        self.auth_source = auth_source
        self.error_code = error_code
        self.correlation_id = correlation_id
        super(AzureAuthError, self).__init__(msg)

    def _fail_extras(self):
        out = dict(auth_source=self.auth_source) if self.auth_source else {}
        if self.error_code:
            out["error_code"] = self.error_code
        if self.correlation_id:
            out["correlation_id"] = self.correlation_id
        return out


class AzureConnectionError(AzBackupError):
    """No HTTP answer: connection refused or reset, timeouts, TLS failures (retries exhausted)."""

    def __init__(self, msg, method=None, url=None, attempts=None, reason=None):
        self.method = method
        self.url = redact_url(url)
        self.attempts = attempts
        self.reason = redact_text(reason)
        super(AzureConnectionError, self).__init__(msg)

    def _fail_extras(self):
        return dict(url=self.url, attempts=self.attempts)


class OperationFailedError(AzBackupError):
    """An asynchronous operation ended ``Failed`` or ``Canceled``."""

    def __init__(self, msg, operation_url=None, status=None, error_code=None, error_message=None, body=None):
        self.operation_url = operation_url  # verbatim (may carry signed parameters)
        self.status = status
        self.error_code = error_code
        self.error_message = redact_text(error_message)
        self.body = body
        super(OperationFailedError, self).__init__(msg)

    def _fail_extras(self):
        return dict(operation_url=redact_url(self.operation_url), operation_status=self.status,
                    error_code=self.error_code)


class OperationTimeoutError(AzBackupError):
    """A wait hit its deadline. ``operation_url`` is kept verbatim so that a caller can resume."""

    def __init__(self, msg, operation_url=None, job_id=None, last_status=None, elapsed=None, last=None):
        self.operation_url = operation_url
        self.job_id = job_id
        self.last_status = last_status
        self.elapsed = elapsed
        self.last = last
        super(OperationTimeoutError, self).__init__(msg)

    def _fail_extras(self):
        out = dict(last_status=self.last_status,
                   elapsed=round(self.elapsed, 1) if isinstance(self.elapsed, float) else self.elapsed)
        if self.operation_url:
            out["operation_url"] = redact_url(self.operation_url)
        if self.job_id:
            out["job_id"] = self.job_id
        return out


class ValidationError(AzBackupError):
    """Our own pre-flight refusal of the options (``option`` names the option at fault).

    ``azure_error``: the ``AzureApiError`` the refusal is based on (a resource the options name
    that Azure says does not exist...): its ``(code) message`` and correlation id end the message,
    and its ``status_code``, ``error_code``, ``request_id`` and ``correlation_id`` are in
    ``to_fail_kwargs()``.
    """

    def __init__(self, msg, option=None, azure_error=None):
        self.option = option
        self.azure_error = azure_error
        if azure_error is not None:
            msg = "%s: (%s) %s" % (msg, azure_error._label(), azure_error._text())
            if azure_error.correlation_id:
                msg += " (correlation id %s)" % azure_error.correlation_id
        super(ValidationError, self).__init__(msg)

    def _fail_extras(self):
        out = dict(option=self.option) if self.option else {}
        if self.azure_error is not None:
            out.update(self.azure_error._fail_extras())
        return out


class MissingDependencyError(AzBackupError):
    """A Python library the collection needs is not installed on the host that runs the module."""

    def __init__(self, library, import_error=None, reason=None):
        self.library = library
        self.import_error = import_error  # a traceback text, for fail_json(exception=...)
        msg = "The Python library %s is required%s" % (library, " " + reason if reason else "")
        super(MissingDependencyError, self).__init__(msg)


class RestoreFailedError(AzBackupError):
    """A restore task failed after its option checks: ``cause`` is the error that stopped it.

    ``result`` holds what the task had found (the request, the recovery point...) and ``outcome``
    what it knows of the restore it started or attached to (``changed``, ``attached``, ``job_id``,
    ``job``, ``operation_url``), so that the failed task's result says what runs in Azure.
    """

    def __init__(self, cause, result=None, outcome=None):
        self.cause = cause
        self.result = dict(result or {})
        self.outcome = dict(outcome or {})
        super(RestoreFailedError, self).__init__(cause.msg)

    def with_result(self, result):
        """A copy that also carries ``result`` (keys the copy already has win)."""
        merged = dict(result or {})
        merged.update(self.result)
        return RestoreFailedError(self.cause.reworded(self.msg), result=merged, outcome=self.outcome)

    def _fail_extras(self):
        out = dict(self.cause._fail_extras())
        out.update(self.result)
        outcome = dict(self.outcome)
        cause_job = getattr(self.cause, "job", None)
        if cause_job:
            outcome["job"] = cause_job
        if not outcome.get("job_id") and getattr(self.cause, "job_id", None):
            outcome["job_id"] = self.cause.job_id
        if outcome.get("operation_url"):
            outcome["operation_url"] = redact_url(outcome["operation_url"])
        out.update((k, v) for k, v in outcome.items() if v is not None)
        return out


class UntrustedUrlError(AzBackupError):
    """A URL refused before anything was sent: not the scheme, host and port the credentials belong to.

    Raised when an asynchronous-operation URL, a ``Location``, a ``nextLink`` or another URL names
    another scheme, host or port than the Resource Manager endpoint the client was built for, so
    that the bearer token never leaves for it. ``url`` is redacted (``redact_url``), ``host`` is the
    refused host (lower case; ``None`` when the URL has none), ``reason`` says why (``"not HTTPS"``,
    ``"other host"``, ``"other port"``, ``"other scheme"``, ``"malformed"``), ``expected`` is the
    trusted ``scheme://host:port``. The message never shows a query string.
    """

    def __init__(self, msg=None, url=None, host=None, reason=None, expected=None):
        self.url = redact_url(url)
        self.host = host
        self.reason = reason
        self.expected = expected
        if msg is None:
            msg = "Refused to send the Azure credentials to %s: %s is not on the Resource Manager endpoint%s " \
                  "(%s); nothing was sent" % (host or "a URL without a host", self.without_query(url),
                                              " " + expected if expected else "", reason or "untrusted")
        super(UntrustedUrlError, self).__init__(msg)

    @staticmethod
    def without_query(url):
        """``url`` as a message may show it: ``scheme://host:port/path``, no user info, query or fragment."""
        try:
            parts = urlsplit(url or "")
        except ValueError:
            return "<unparsable url>"
        return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, "", ""))

    def _fail_extras(self):
        return dict(url=self.url, host=self.host, reason=self.reason)
