# -*- coding: utf-8 -*-
"""Run real ansible-playbook processes against the emulator and read their results."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import tempfile
import textwrap

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_COLLECTIONS = None


def collections_path():
    """A folder holding ansible_collections/azbackup/restore -> this repository."""
    global _COLLECTIONS
    if _COLLECTIONS is None:
        root = tempfile.mkdtemp(prefix="azbackup-collections-")
        ns = os.path.join(root, "ansible_collections", "azbackup")
        os.makedirs(ns)
        os.symlink(REPO, os.path.join(ns, "restore"))
        _COLLECTIONS = root
    return _COLLECTIONS


class PlaybookResult(object):
    def __init__(self, proc, data):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = data or {}

    @property
    def output(self):
        return self.stdout + self.stderr

    def tasks(self):
        """[(task name, result dict)] in order (loop items included, as their own entries)."""
        return [(t["task"], t["result"]) for t in self.data.get("tasks", [])]

    def task(self, name):
        """The result of the (last) task with this name."""
        found = [res for n, res in self.tasks() if n == name]
        if not found:
            raise KeyError("no task %r in %s" % (name, [n for n, _unused in self.tasks()]))
        return found[-1]

    @property
    def stats(self):
        return self.data.get("stats", {})

    def __repr__(self):
        return "PlaybookResult(rc=%s)\n%s\n%s" % (self.rc, self.stdout[-4000:], self.stderr[-4000:])


def _command(tasks_or_playbook, env, extra_vars=None, check=False, verbosity=0, workdir=None, extra_args=None,
             gather_facts=False):
    """(command, environment, working directory, results file) of an ansible-playbook run."""
    workdir = workdir or tempfile.mkdtemp(prefix="azbackup-play-")
    if isinstance(tasks_or_playbook, list):
        play = [{"name": "test", "hosts": "localhost", "gather_facts": gather_facts, "tasks": tasks_or_playbook}]
        path = os.path.join(workdir, "playbook.yml")
        with open(path, "w") as f:
            yaml.safe_dump(play, f, sort_keys=False)
    elif os.path.exists(str(tasks_or_playbook)):
        path = str(tasks_or_playbook)
    else:
        path = os.path.join(workdir, "playbook.yml")
        with open(path, "w") as f:
            f.write(textwrap.dedent(tasks_or_playbook))
    inventory = os.path.join(workdir, "inventory.ini")
    with open(inventory, "w") as f:
        f.write("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory, path]
    if check:
        cmd.append("--check")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    if extra_vars:
        vars_file = os.path.join(workdir, "extra_vars.json")
        with open(vars_file, "w") as f:
            json.dump(extra_vars, f)
        cmd += ["-e", "@" + vars_file]
    cmd += list(extra_args or [])
    results_path = os.path.join(workdir, "results.json")
    full_env = dict(os.environ)
    for k in list(full_env):
        if k.startswith("AZURE_") or k.startswith("ANSIBLE_"):
            del full_env[k]
    full_env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "test_results",
        "AZBACKUP_TEST_RESULTS": results_path,
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "tmp"),
        "ANSIBLE_HOME": os.path.join(workdir, "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    full_env.update(env or {})
    return cmd, full_env, workdir, results_path


def run_playbook(tasks_or_playbook, env, extra_vars=None, check=False, verbosity=0, timeout=300,
                 workdir=None, extra_args=None, gather_facts=False):
    """Run tasks (a list of task dicts, or YAML text of a whole playbook, or a path) with the JSON callback."""
    cmd, full_env, workdir, results_path = _command(tasks_or_playbook, env, extra_vars, check, verbosity, workdir,
                                                    extra_args, gather_facts)
    proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=workdir,
                          check=False)
    data = None
    if os.path.exists(results_path):
        with open(results_path) as f:
            data = json.load(f)
    return PlaybookResult(proc, data)


def start_playbook(tasks_or_playbook, env, extra_vars=None):
    """Start a playbook run in the background (its own process group, to be killed as a whole): a Popen."""
    cmd, full_env, workdir, dummy = _command(tasks_or_playbook, env, extra_vars)
    return subprocess.Popen(cmd, env=full_env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
