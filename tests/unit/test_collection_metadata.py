# -*- coding: utf-8 -*-
"""The collection's hand-kept lists agree: runtime action group, module files, module docs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def module_files():
    return sorted(p for p in glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))
                  if not os.path.basename(p).startswith("_"))


def module_doc(path):
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no DOCUMENTATION" % path)


def test_there_are_modules():
    assert len(module_files()) >= 5


GROUPS = ("azure", "compute")


def runtime_groups():
    runtime = yaml.safe_load(open(os.path.join(REPO, "meta", "runtime.yml")))
    return runtime["action_groups"]


def test_action_groups_list_exactly_the_modules_each_once():
    groups = runtime_groups()
    assert sorted(groups) == sorted(GROUPS)
    listed = sorted(m for g in GROUPS for m in groups[g])
    names = sorted(os.path.basename(p)[:-3] for p in module_files())
    assert listed == names


def test_every_module_declares_its_action_group():
    groups = runtime_groups()
    for path in module_files():
        name = os.path.basename(path)[:-3]
        group = next(g for g in GROUPS if name in groups[g])
        doc = module_doc(path)
        frags = doc.get("extends_documentation_fragment") or []
        attrs = doc.get("attributes") or {}
        declared = attrs.get("action_group", {}).get("membership")
        if declared is None:
            # The attribute comes from the shared fragment.
            assert "azbackup.restore.attributes.actiongroup_%s" % group in frags, path
        else:
            assert ["azbackup.restore.%s" % group] == declared, path


NEXT_MINOR = "0.2.0"


def test_every_module_uses_the_auth_fragment_and_version_added():
    for path in module_files():
        doc = module_doc(path)
        assert "azbackup.restore.azure" in (doc.get("extends_documentation_fragment") or []), path
        # 0.1.0 for the modules of the first release, the next minor release for the modules added since
        released = ("0.1.0",)
        assert str(doc.get("version_added")) in released + (NEXT_MINOR,), path


def test_galaxy_metadata():
    galaxy = yaml.safe_load(open(os.path.join(REPO, "galaxy.yml")))
    runtime = yaml.safe_load(open(os.path.join(REPO, "meta", "runtime.yml")))
    assert (galaxy["namespace"], galaxy["name"]) == ("azbackup", "restore")
    assert runtime["requires_ansible"].startswith(">=2.16")
    for needed in ("tests", "bench", ".venv", "tools"):
        assert needed in galaxy["build_ignore"]


def test_runtime_requirements_are_the_documented_ones():
    reqs = [l.split(">")[0].split("=")[0].strip().lower() for l in open(os.path.join(REPO, "requirements.txt"))
            if l.strip() and not l.startswith("#")]
    assert sorted(reqs) == ["azure-identity", "requests"]
