# -*- coding: utf-8 -*-
# Copyright: (c) 2026, azbackup.restore contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the benchmarks: the emulator process, its control API, module and playbook runs.

The benchmarks run with the project's .venv (``make bench`` calls ``.venv/bin/python
bench/run_all.py``); only the SDK comparison runs in .venv-bench (see ``ensure_bench_venv``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
WORLD = os.path.join(BENCH, "world.yml")
VENV_BENCH = os.path.join(REPO, ".venv-bench")
PYTHON = sys.executable

VAULT = dict(vault_name="rsv-prod", vault_resource_group="rg-vault")
RESTORE_TARGETS = dict(staging_storage_account="strestorewe", staging_storage_account_resource_group="rg-restore",
                       target_resource_group="rg-restore")


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------------------------
# The emulator, as a separate process (its CPU time is not the harness's)

class EmulatorProcess(object):
    """``python -m azbackup_emulator`` on the bench world; the methods below use its /_emulator API."""

    def __init__(self, world=WORLD):
        self.world = world
        self.proc = None
        self.info = None
        self.session = requests.Session()

    def start(self, timeout=60):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.path.join(REPO, "tests", "emulator")
        self.proc = subprocess.Popen([PYTHON, "-m", "azbackup_emulator", "--port", "0", "--world", self.world],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=REPO,
                                     text=True)
        deadline = time.time() + timeout
        line = ""
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("EMULATOR READY "):
                self.info = json.loads(line[len("EMULATOR READY "):])
                break
            if not line and self.proc.poll() is not None:
                break
        if not self.info:
            self.stop()
            raise RuntimeError("the emulator did not start: %r" % line)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- environment for module and playbook runs, exactly like a custom cloud
    @property
    def endpoint(self):
        return self.info["endpoint"]

    def env(self):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("AZURE_") or k.startswith("ANSIBLE_"):
                del env[k]
        env.update({
            "AZURE_CLIENT_ID": self.info["client_id"],
            "AZURE_SECRET": self.info["client_secret"],
            "AZURE_TENANT": self.info["tenant_id"],
            "AZURE_SUBSCRIPTION_ID": self.info["subscription_id"],
            "AZURE_CLOUD_ENVIRONMENT": self.endpoint,
            "REQUESTS_CA_BUNDLE": self.info["ca_bundle"],
            "ANSIBLE_AZURE_AUTH_SOURCE": "env",
        })
        return env

    # -- control API
    def _call(self, method, path, body=None):
        # verify per request: REQUESTS_CA_BUNDLE in the environment would win over session.verify
        resp = self.session.request(method, self.info["control_url"] + path, json=body, timeout=120,
                                    verify=self.info["ca_bundle"])
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def reset(self):
        return self._call("POST", "/reset")

    def settings(self, **patch):
        return self._call("POST", "/settings", patch)

    def requests(self, since=None):
        return self._call("GET", "/requests" + ("?since=%d" % since if since else ""))

    def clear_requests(self):
        return self._call("DELETE", "/requests")

    def state(self):
        return self._call("GET", "/state")

    def finish_job(self, job_id, status="Completed"):
        return self._call("POST", "/jobs/%s/finish" % job_id, {"status": status})

    def add_fault(self, **rule):
        return self._call("POST", "/faults", rule)


def arm_requests(log_entries):
    return [e for e in log_entries if e.get("kind") == "arm"]


def classify(entry):
    """A short name for one logged request (for the API-call tables)."""
    method, path = entry["method"], entry["path"].lower().rstrip("/")
    if entry.get("kind") == "metadata" or path.startswith("/metadata/endpoints"):
        return "cloud metadata GET"
    if entry.get("kind") == "aad":
        return "token POST" if method == "POST" else "AAD discovery GET"
    if path.endswith("/restore") and method == "POST":
        return "restore POST"
    if path.endswith("/backupvalidateoperation"):
        return "validate POST"
    if "/operationsstatus/" in path or "/backupoperations/" in path:
        return "operation GET"
    if "/operationresults/" in path:
        return "operation result GET"
    if "/backupjobs/" in path:
        return "job GET"
    if path.endswith("/backupjobs"):
        return "job list GET"
    if path.endswith("/recoverypoints"):
        return "recovery point list GET"
    if "/recoverypoints/" in path:
        return "recovery point GET"
    if "/microsoft.storage/storageaccounts/" in path:
        return "storage account GET"
    if "/microsoft.recoveryservices/vaults/" in path and path.count("/") == 8:
        return "vault GET"
    if path.count("/") == 4 and "/resourcegroups/" in path:
        return "resource group GET"
    return "%s %s" % (method, path)


# --------------------------------------------------------------------------------------------
# Module runs, measured

def collections_path():
    """A folder holding ansible_collections/azbackup/restore -> this repository."""
    root = os.path.join(tempfile.gettempdir(), "azbackup-bench-collections-%d" % os.getpid())
    link = os.path.join(root, "ansible_collections", "azbackup", "restore")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
        atexit.register(shutil.rmtree, root, True)
    return root


_LOADER_READY = False


def build_ansiballz(module_fqcn, args, path, interpreter=PYTHON):
    """Write the AnsiballZ payload Ansible would send for this task; returns ``path``."""
    # Ansible imports: only here, so that the benchmarks' own start-up stays light.
    from ansible.executor import module_common
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader, module_loader
    from ansible.template import Templar

    global _LOADER_READY
    if not _LOADER_READY:
        init_plugin_loader([collections_path()])
        _LOADER_READY = True
    if os.path.isfile(module_fqcn):
        module_path, name = module_fqcn, os.path.splitext(os.path.basename(module_fqcn))[0]
    else:
        module_path, name = module_loader.find_plugin_with_context(module_fqcn).plugin_resolved_path, module_fqcn
    built = module_common.modify_module(module_name=name, module_path=module_path, module_args=args,
                                        templar=Templar(loader=DataLoader()),
                                        task_vars={"ansible_python_interpreter": interpreter})
    with open(path, "wb") as f:
        f.write(built.b_module_data)
    return path


class Measured(object):
    def __init__(self, wall, cpu, max_rss_kb, rc, stdout, stderr):
        self.wall = wall
        self.cpu = cpu
        self.max_rss_mb = max_rss_kb / 1024.0
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def json(self):
        return json.loads(self.stdout)


# The measured process is started by a small launcher process (a few MB): a child forked
# straight from this harness would count the harness's own memory in its peak RSS (Linux keeps
# the pre-exec high-water mark in ru_maxrss).
_LAUNCHER = r"""
import os, sys, time
out = sys.argv[1]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
wall = time.monotonic() - start
with open(out, "w") as f:
    f.write("%r %r %r %r" % (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status)))
"""


def run_measured(cmd, env=None, cwd=None, timeout=600):
    """Run ``cmd``; wall time, CPU time (user + sys) and peak RSS of that one process (os.wait4)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    fd, report = tempfile.mkstemp(prefix="azbackup-bench-rusage-")
    os.close(fd)
    try:
        subprocess.run([PYTHON, "-S", "-c", _LAUNCHER, report] + list(cmd), env=env, cwd=cwd, stdout=out,
                       stderr=err, timeout=timeout, check=False)
        with open(report) as f:
            wall, cpu, rss, rc = f.read().split()
    finally:
        os.unlink(report)
    out.seek(0)
    err.seek(0)
    return Measured(float(wall), float(cpu), int(rss), int(rc), out.read().decode("utf-8", "replace"),
                    err.read().decode("utf-8", "replace"))


def module_args_file(args, directory):
    path = os.path.join(directory, "args-%d.json" % int(time.monotonic() * 1e6))
    with open(path, "w") as f:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, f)
    return path


def module_command(name, args_path):
    """``python -m ansible_collections...`` with an args file: how ansible-test runs a module."""
    return [PYTHON, "-m", "ansible_collections.azbackup.restore.plugins.modules.%s" % name, args_path]


def module_env(emu):
    env = emu.env()
    env["PYTHONPATH"] = collections_path()
    return env


# --------------------------------------------------------------------------------------------
# Playbook runs

def run_playbook(playbook, emu, inventory, extra_vars=None, forks=5, timeout=1800):
    """ansible-playbook with the collection and the results callback; returns (wall, rc, results, output)."""
    work = tempfile.mkdtemp(prefix="azbackup-bench-play-")
    results = os.path.join(work, "results.json")
    env = emu.env()
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(REPO, "tests", "integration", "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "test_results",
        "AZBACKUP_TEST_RESULTS": results,
        "ANSIBLE_PYTHON_INTERPRETER": PYTHON,
        "ANSIBLE_LOCAL_TEMP": os.path.join(work, "tmp"),
        "ANSIBLE_HOME": os.path.join(work, "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_FORKS": str(forks),
    })
    data = {}
    cmd = [os.path.join(os.path.dirname(PYTHON), "ansible-playbook"), "-i", inventory, playbook]
    if extra_vars:
        path = os.path.join(work, "extra_vars.json")
        with open(path, "w") as f:
            json.dump(extra_vars, f)
        cmd += ["-e", "@" + path]
    start = time.monotonic()
    started_at = time.time()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=work, check=False)
    wall = time.monotonic() - start
    data["_started_at"] = started_at
    if os.path.exists(results):
        with open(results) as f:
            data.update(json.load(f))
    shutil.rmtree(work, ignore_errors=True)
    return wall, proc.returncode, data, proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------------
# The SDK venv

def ensure_bench_venv():
    """.venv-bench from bench/requirements.txt (pinned by tests/constraints.txt), via scripts/venv.sh."""
    cmd = [os.path.join(REPO, "scripts", "venv.sh"), VENV_BENCH, "-c", os.path.join(REPO, "tests", "constraints.txt"),
           "-r", os.path.join(BENCH, "requirements.txt")]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("could not prepare .venv-bench:\n%s%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    return os.path.join(VENV_BENCH, "bin", "python")
