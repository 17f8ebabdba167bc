"""Shared pytest fixtures. The Azure Backup emulator is started only when a test asks for it."""

import os
import sys

import pytest

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
for _p in (os.path.join(_TESTS_DIR, "emulator"), _TESTS_DIR):
    if _p not in sys.path:
        sys.path.insert(0, _p)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "invalid_traffic: the test sends requests the swagger does not allow on purpose, "
        "so the emulator's request log is not checked against the swagger after it")


@pytest.fixture(scope="session")
def emulator_session():
    """One emulator (HTTPS, worlds/default.yml) per test session (per xdist worker)."""
    from azbackup_emulator import Emulator

    emu = Emulator(world="default", tls=True)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(request, emulator_session):
    """The session emulator, reset (state, request log, faults, settings, clock) for this test.

    After the test, every exchange in the emulator's request log (what the modules sent and what
    the emulator answered) is validated against the official swagger (tests/contract): a module
    that sends a body Azure would not accept, or an emulator that drifts from Azure's contract,
    fails the test that caused it.
    """
    emulator_session.control.reset()
    yield emulator_session
    if request.node.get_closest_marker("invalid_traffic"):
        return
    from contract import swagger

    swagger.assert_log_valid(emulator_session.control.requests())


@pytest.fixture
def emulator(emu):
    """Alias of `emu`."""
    return emu


@pytest.fixture
def emu_env(emu):
    """Environment variables a module or playbook run needs to reach the emulator the way a user
    reaches Azure."""
    env = {
        "AZURE_CLIENT_ID": emu.client_id,
        "AZURE_SECRET": emu.client_secret,
        "AZURE_TENANT": emu.tenant_id,
        "AZURE_SUBSCRIPTION_ID": emu.subscription_id,
        "AZURE_CLOUD_ENVIRONMENT": emu.endpoint,
        "ANSIBLE_AZURE_AUTH_SOURCE": "env",
    }
    if emu.ca_bundle:
        env["REQUESTS_CA_BUNDLE"] = emu.ca_bundle
    return env
