import json
import os
import signal
import subprocess
import sys

import pytest
import requests

pytestmark = pytest.mark.emulator


ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
EMU_DIR = os.path.join(ROOT, "tests", "emulator")


def _start(*args):
    env = dict(os.environ, PYTHONPATH=EMU_DIR)
    proc = subprocess.Popen([sys.executable, "-m", "azbackup_emulator", "--port", "0",
                             "--world", os.path.join(EMU_DIR, "worlds", "default.yml")] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True)
    line = proc.stdout.readline()
    assert line.startswith("EMULATOR READY "), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, json.loads(line[len("EMULATOR READY "):])


def test_cli_ready_line_and_sigterm(tmp_path):
    proc, info = _start("--state-dir", str(tmp_path), "--time-scale", "10")
    try:
        assert set(info) == {"endpoint", "ca_bundle", "tenant_id", "client_id", "client_secret",
                             "subscription_id", "control_url"}
        assert info["endpoint"].startswith("https://127.0.0.1:")
        assert info["tenant_id"] == "8f0e1c1a-0000-4000-8000-000000000001"
        assert info["client_id"] == "5a4b3c2d-0000-4000-8000-000000000002"
        assert info["client_secret"] == "emulator-client-secret"
        assert info["subscription_id"] == "9a8b7c6d-0000-4000-8000-000000000003"
        assert os.path.exists(info["ca_bundle"]) and info["ca_bundle"].startswith(str(tmp_path))
        r = requests.get(info["endpoint"] + "/metadata/endpoints", params={"api-version": "2015-01-01"},
                         verify=info["ca_bundle"])
        assert r.status_code == 200
        assert requests.get(info["control_url"] + "/state", verify=info["ca_bundle"]).json()["clock"]["time_scale"] == 10
        assert json.load(open(os.path.join(str(tmp_path), "ready.json")))["endpoint"] == info["endpoint"]
        assert os.path.getsize(os.path.join(str(tmp_path), "requests.jsonl")) > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert out == ""
