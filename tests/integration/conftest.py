# -*- coding: utf-8 -*-
"""Integration tests import the playbook runner as ``from playbook import run_playbook``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
