# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Item-level (file) recovery: opening and closing the session that lets a machine mount the disks
of a recovery point, and the client scripts Azure hands out for it.

Internal to this collection: not a public API, may change at any time.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import re

from ansible_collections.azbackup.restore.plugins.module_utils import _api_versions as api
from ansible_collections.azbackup.restore.plugins.module_utils._errors import (
    AzBackupError,
    AzureApiError,
    OperationFailedError,
    REDACTED,
    add_secret,
)
from ansible_collections.azbackup.restore.plugins.module_utils._poller import operation_urls, poll_operation
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import refusing_not_found

# Azure closes a file recovery session 12 hours after it was opened; it does not say when in its answers.
SESSION_HOURS = 12
# The password of a session sits inside the scripts' ``scriptNameSuffix``: 15 characters, 33 characters
# after the suffix's last ``_`` (as the Azure CLI reads it); the file name is the suffix without them.
PASSWORD_OFFSET = 33
PASSWORD_LENGTH = 15
# Azure's Linux script may carry the password in a ``TargetPassword="..."`` line; with this value
# instead it asks for the password on its standard input (what the Azure CLI writes to disk).
PASSWORD_PROMPT_VALUE = "UserInput012345"


class FileRecoveryError(AzBackupError):
    """Azure's answer to a file recovery request could not be used (no client script, no password)."""


def provision_body(recovery_point_id, vm_id, initiator_name=None, renew=False):
    """The ``ILRRequestResource`` of ``provisionInstantItemRecovery``."""
    props = dict(objectType="IaasVMILRRegistrationRequest", recoveryPointId=str(recovery_point_id),
                 virtualMachineId=vm_id, renewExistingRegistration=bool(renew))
    if initiator_name:
        props["initiatorName"] = initiator_name
    return dict(properties=props)


def split_name_suffix(suffix):
    """``(suffix without the password, password)`` of a ``scriptNameSuffix``; ``(suffix, None)`` when
    it is too short to hold one."""
    if not suffix:
        return suffix or "", None
    start = suffix.rfind("_") + PASSWORD_OFFSET
    end = start + PASSWORD_LENGTH
    if suffix.rfind("_") < 0 or len(suffix) < end:
        return suffix, None
    return suffix[:start] + suffix[end:], suffix[start:end]


def decode_content(content):
    """Azure's base64 ``scriptContent`` as text (UTF-8); None without content."""
    if not content:
        return None
    try:
        return base64.b64decode(content, validate=False).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as e:
        raise FileRecoveryError("Azure sent a client script that is not base64-encoded UTF-8 text: %s" % e)


def normalize_script(raw, password=None):
    """One ``ClientScriptForConnect`` as the module returns it: OS type, file name (with Azure's
    mandatory suffix, without the password), decoded content (the password line replaced so that the
    script asks for it) or the URL to download it from."""
    suffix, _unused = split_name_suffix(raw.get("scriptNameSuffix"))
    extension = raw.get("scriptExtension") or ""
    content = decode_content(raw.get("scriptContent"))
    if content is not None and password:
        content = content.replace('TargetPassword="%s"' % password, 'TargetPassword="%s"' % PASSWORD_PROMPT_VALUE)
        content = content.replace(password, REDACTED)  # nowhere else either: the password has its own key
    # A name to save the script under, never a path.
    file_name = re.sub(r"[/\\\x00]", "_", (suffix or "") + extension).lstrip(".")
    return dict(os_type=raw.get("osType"), file_name=file_name, extension=extension, content=content,
                url=raw.get("url"))


def session_password(scripts):
    """The password carried by the scripts' name suffixes (the first one found)."""
    for raw in scripts:
        password = split_name_suffix(raw.get("scriptNameSuffix"))[1]
        if password:
            return password
    return None


def client_scripts(body):
    """The ``clientScripts`` of a finished provisioning operation (``OperationStatusProvisionILRExtendedInfo``)."""
    props = (body or {}).get("properties") if isinstance(body, dict) else None
    target = (props or {}).get("recoveryTarget") or {}
    scripts = [s for s in target.get("clientScripts") or [] if isinstance(s, dict)]
    if not scripts:
        raise FileRecoveryError("Azure opened the file recovery session but its answer holds no client script "
                                "(operation status %s, properties %s)" % (
                                    (body or {}).get("status") if isinstance(body, dict) else None,
                                    (props or {}).get("objectType")))
    return scripts


def session_expiry(opened_at):
    return opened_at + datetime.timedelta(hours=SESSION_HOURS)


class FileRecovery(object):
    """The file recovery session of one recovery point of a protected VM."""

    def __init__(self, client, item, recovery_point_id, api_version=None, poll=None):
        self.client = client
        self.item = item
        self.point_id = recovery_point_id
        self.api_version = api_version or api.BACKUP
        self.poll = dict(poll or {})

    @property
    def path(self):
        return self.item.recovery_point_path(self.point_id)

    def _where(self):
        return "recovery point %s of %s" % (self.point_id, self.item.describe())

    def _start(self, action, verb, body=None):
        with refusing_not_found("Failed to %s the file recovery session of %s" % (verb, self._where()),
                                "%s does not exist" % self._where(), "recovery_point_id", self.item):
            resp = self.client.post(self.path + "/" + action, api_version=self.api_version, json=body,
                                    ok=(200, 202))
        urls = operation_urls(resp)
        if not urls["async_url"] and not urls["location_url"]:
            return None, resp.body
        try:
            result = poll_operation(self.client, **dict(urls, **self.poll))
        except OperationFailedError as e:
            raise e.prefixed("Failed to %s the file recovery session of %s" % (verb, self._where()))
        except AzureApiError as e:
            raise e.with_context("Failed to follow the file recovery operation of %s" % self._where())
        return urls["async_url"] or urls["location_url"], result.body

    def provision(self, vm_id, initiator_name=None, renew=False):
        """Open (or renew) the session: ``dict(scripts, password, operation_url)``. The password is
        registered as a secret before anything can show it."""
        url, body = self._start("provisionInstantItemRecovery", "open",
                                provision_body(self.point_id, vm_id, initiator_name, renew))
        raw = client_scripts(body)
        password = session_password(raw)
        if password:
            add_secret(password)
        if not password and any(s.get("scriptContent") for s in raw):
            raise FileRecoveryError("Azure's client script for %s carries no password in its name suffix"
                                    % self._where())
        return dict(scripts=[normalize_script(s, password) for s in raw], password=password, operation_url=url)

    def revoke(self):
        """Close the session; the operation URL followed (None when Azure answered at once)."""
        return self._start("revokeInstantItemRecovery", "close")[0]


def session_active(point):
    """Whether a (normalized) recovery point has an open file recovery session."""
    return bool(((point or {}).get("properties") or {}).get("isInstantIlrSessionActive"))
