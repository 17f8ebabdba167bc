# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The base of every module of the collection.

Internal to this collection: not a public API, may change at any time.

``AzBackupModule`` merges the shared argument specs (auth and connection, and the option groups
a module names), registers the secrets in play as no_log values, builds the ARM client on first
use, and turns an ``AzBackupError`` into ``fail_json``. A module's ``main()`` is then::

    def main():
        AzBackupModule(argument_spec(), groups=("wait",), supports_check_mode=True).run(run)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azbackup.restore.plugins.module_utils import _common, _errors
from ansible_collections.azbackup.restore.plugins.module_utils._poller import WAIT_ARGSPEC
from ansible_collections.azbackup.restore.plugins.module_utils._errors import AzBackupError, ValidationError, add_secret
from ansible_collections.azbackup.restore.plugins.module_utils._protected_items import (
    PROTECTED_ITEM_ARGSPEC,
    PROTECTED_ITEM_MUTUALLY_EXCLUSIVE,
    PROTECTED_ITEM_REQUIRED_ONE_OF,
    PROTECTED_ITEM_REQUIRED_TOGETHER,
)
from ansible_collections.azbackup.restore.plugins.module_utils._recovery_points import (
    RECOVERY_POINT_ARGSPEC,
    RECOVERY_POINT_MUTUALLY_EXCLUSIVE,
)
from ansible_collections.azbackup.restore.plugins.module_utils._restore_request import RESTORE_ARGSPEC

# Option groups a module can name: (argument spec, mutually_exclusive, required_together,
# required_one_of). Each has a doc fragment of the same name (azbackup.restore.<group>).
GROUPS = {
    "wait": (WAIT_ARGSPEC, [], [], []),
    "protected_item": (PROTECTED_ITEM_ARGSPEC, PROTECTED_ITEM_MUTUALLY_EXCLUSIVE, PROTECTED_ITEM_REQUIRED_TOGETHER,
                       PROTECTED_ITEM_REQUIRED_ONE_OF),
    "recovery_point": (RECOVERY_POINT_ARGSPEC, RECOVERY_POINT_MUTUALLY_EXCLUSIVE, [], []),
    "restore_target": (RESTORE_ARGSPEC, [], [], []),
}


def build_spec(argument_spec, groups=()):
    """(argument spec, mutually_exclusive, required_together, required_one_of) of a module: the
    auth and connection options, the groups', then the module's own (which win)."""
    spec = _common.azure_argument_spec()
    exclusive, together, one_of = [], [], []
    for name in groups:
        group_spec, group_exclusive, group_together, group_one_of = GROUPS[name]
        spec.update(copy.deepcopy(group_spec))
        exclusive += group_exclusive
        together += group_together
        one_of += group_one_of
    spec.update(argument_spec)
    return spec, exclusive, together, one_of


def denied_permission(err):
    """``(action, scope)`` when ``err`` (or the error it wraps) is Azure's refusal for want of a permission."""
    cause = getattr(err, "cause", None)
    for candidate in (err, getattr(err, "azure_error", None), cause, getattr(cause, "azure_error", None)):
        if isinstance(candidate, _errors.AzureApiError) and candidate.denied_permission:
            return candidate.denied_permission
    return None


def options_of_scope(scope, params):
    """The options whose value names the resource at ``scope`` (its id, or the name it ends with)."""
    want = scope.rstrip("/").lower()
    name = want.rsplit("/", 1)[-1]
    found = []
    for key in sorted(params):
        value = params[key]
        if isinstance(value, str) and value and value.rstrip("/").lower() in (want, name):
            found.append(key)
    return found


def check_api_version(value, option="api_version"):
    """A refusal naming ``option`` unless ``value`` is None or shaped as Azure's api-versions (2024-04-01)."""
    if value is not None and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?", value):
        raise ValidationError("%s must be an Azure api-version such as 2024-04-01 (or 2024-04-01-preview), got %r"
                              % (option, value[:80]), option=option)


class AzBackupModule(object):
    """An ``AnsibleModule`` with the collection's shared options, secrets, client and failures."""

    def __init__(self, argument_spec, groups=(), mutually_exclusive=None, required_together=None,
                 required_one_of=None, **kwargs):
        spec, exclusive, together, one_of = build_spec(argument_spec, groups)
        own_one_of = [tuple(c) for c in required_one_of or []]
        # A module's "one of" that widens a group's (vm_id, vm_name, vms) takes its place.
        one_of = [c for c in one_of if not any(set(c) < set(own) for own in own_one_of)]
        self.module = AnsibleModule(argument_spec=spec,
                                    mutually_exclusive=exclusive + list(mutually_exclusive or []),
                                    required_together=together + list(required_together or []),
                                    required_one_of=one_of + own_one_of, **kwargs)
        _common.check_dependencies(self.module)
        self.module.no_log_values.update(_common.secret_values(self.module.params))
        self._client = None

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def client(self):
        """The ARM client for the auth options (built at first use)."""
        if self._client is None:
            self._client = _common.get_client(self.params)
        return self._client

    @property
    def subscription_id(self):
        return _common.require_subscription(self.client)

    def hide(self, *values):
        """Never show these values (access tokens...) in the result, a warning or a message."""
        for value in values:
            if value:
                self.module.no_log_values.add(str(value))
                add_secret(str(value))

    def show(self, value):
        """Let a no_log value reach the result (a token the task exists to return)."""
        self.module.no_log_values.discard(value)

    def warn(self, text):
        self.module.warn(text)

    def fail(self, err, **extra):
        # A secret met on the way (an access token already shown for the result) stays hidden in a failure.
        self.module.no_log_values.update(_errors.registered_secrets())
        denied = denied_permission(err)
        if denied:
            options = options_of_scope(denied[1], self.params)
            err = err.reworded(
                "%s. These credentials lack the Azure permission %s over %s%s; docs/permissions.md lists the "
                "permissions each module needs" % (err.msg.rstrip(". "), denied[0], denied[1],
                                                   " (the resource of %s)" % ", ".join(options) if options else ""))
            extra.setdefault("denied_options", options)
        _common.fail_from_error(self.module, err, **extra)

    def run(self, func, fail_extras=None):
        """``func(self)`` returns the result: exit with it (its ``warnings`` list becomes Ansible
        warnings); an AzBackupError fails the task with its message and details, plus the keys
        ``fail_extras()`` returns when given (what the task had read so far)."""
        try:
            check_api_version(self.params.get("api_version"))
            result = func(self)
        except AzBackupError as e:
            self.fail(e, **(fail_extras() if fail_extras else {}))
            return
        for warning in result.pop("warnings", None) or []:
            self.warn(warning)
        self.module.exit_json(**result)
