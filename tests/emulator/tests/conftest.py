"""Fixtures for the emulator's own tests."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
for _p in (HERE, os.path.dirname(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from emulator_testlib import Api  # noqa: E402


@pytest.fixture
def api(emu):
    return Api(emu)
