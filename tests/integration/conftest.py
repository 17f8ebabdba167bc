# -*- coding: utf-8 -*-
"""Integration tests import the playbook runner as ``from playbook import run_playbook``; ``fast`` makes the
emulator's restore jobs last about a second."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@pytest.fixture
def fast(emu):
    """Restore jobs of about a second."""
    emu.control.update_settings(job_durations={"RestoreDisks": 1, "OriginalLocation": 1, "AlternateLocation": 1,
                                               "CrossRegionRestore": 1})
    return emu
