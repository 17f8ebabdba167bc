# -*- coding: utf-8 -*-
"""Unit tests run on every supported ansible-core (2.16 to 2.19).

The module tests feed arguments to ``AnsibleModule`` with
``ansible.module_utils.testing.patch_module_args``, which ansible-core 2.19 introduced. On older
ansible-core this conftest registers a stand-in with the same behaviour (it patches
``ansible.module_utils.basic._ANSIBLE_ARGS``, the way those releases read module arguments), so
the same test files run unchanged on the oldest supported release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import importlib.util
import json
import sys
import types

if importlib.util.find_spec("ansible.module_utils.testing") is None:  # ansible-core < 2.19
    from unittest import mock

    from ansible.module_utils import basic as _basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose the given module args to AnsibleModule instances created within this context."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        payload = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}))
        with mock.patch.object(_basic, "_ANSIBLE_ARGS", payload):
            yield

    _testing = types.ModuleType("ansible.module_utils.testing")
    _testing.__doc__ = "Stand-in for ansible-core < 2.19 (see tests/unit/conftest.py)."
    _testing.patch_module_args = patch_module_args
    sys.modules["ansible.module_utils.testing"] = _testing
    import ansible.module_utils as _module_utils

    _module_utils.testing = _testing
