# -*- coding: utf-8 -*-
"""The documentation uses only options that exist.

Every YAML example in README.md, docs/*.md, the roles' READMEs and the modules' EXAMPLES that
calls a module of this collection is checked against that module's DOCUMENTATION (its own options
plus those of its doc fragments): option names, literal choices, required options (not in
abridged sketches, which say so with a ``# ...`` line), and the options set for the whole action
group with module_defaults (which every module of the group must accept). And every return value
is documented with a description, a type, when it is returned and a sample.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os
import re

import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PREFIX = "azbackup.restore."
GROUP = "group/azbackup.restore.azure"
# Each module's action group (meta/runtime.yml), as module_defaults names it.
MODULE_GROUP = dict((module, "group/azbackup.restore.%s" % group)
                    for group, modules in yaml.safe_load(open(os.path.join(REPO, "meta", "runtime.yml")))[
                        "action_groups"].items() for module in modules)
TASK_KEYWORDS = ("block", "rescue", "always")


def _constant(path, name):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == name:
            return node.value.value
    return None


def _fragment_options(name):
    """Options of a fragment named azbackup.restore.<file>[.<variable>]."""
    parts = name[len(PREFIX):].split(".")
    path = os.path.join(REPO, "plugins", "doc_fragments", parts[0] + ".py")
    text = _constant(path, parts[1].upper() if len(parts) > 1 else "DOCUMENTATION")
    return (yaml.safe_load(text) or {}).get("options") or {}


def _load_modules():
    modules = {}
    for path in sorted(glob.glob(os.path.join(REPO, "plugins", "modules", "*.py"))):
        name = os.path.basename(path)[:-3]
        if name.startswith("_"):
            continue
        doc = yaml.safe_load(_constant(path, "DOCUMENTATION"))
        options = {}
        for frag in doc.get("extends_documentation_fragment") or []:
            if frag.startswith(PREFIX):
                options.update(_fragment_options(frag))
        options.update(doc.get("options") or {})
        modules[name] = dict(options=options, examples=_constant(path, "EXAMPLES"),
                             returns=yaml.safe_load(_constant(path, "RETURN")) or {})
    return modules


MODULES = _load_modules()


def _markdown_files():
    files = [os.path.join(REPO, "README.md")]
    files += sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))
    files += sorted(glob.glob(os.path.join(REPO, "roles", "*", "README.md")))
    return [f for f in files if os.path.exists(f)]


def _yaml_blocks(path):
    text = open(path).read()
    return re.findall(r"```ya?ml\n(.*?)```", text, re.S)


def _sources():
    """(label, parsed YAML, complete) of every example; complete is False for an abridged sketch."""
    out = []
    for path in _markdown_files():
        for i, block in enumerate(_yaml_blocks(path)):
            sketch = re.search(r"^\s*# \.\.\.", block, re.M) is not None
            out.append(("%s#%d" % (os.path.relpath(path, REPO), i + 1), yaml.safe_load(block), not sketch))
    for name, mod in MODULES.items():
        out.append(("plugins/modules/%s.py EXAMPLES" % name, yaml.safe_load(mod["examples"]), True))
    return out


def _tasks(tasks, defaults):
    """(task, module defaults in force) of a task list, blocks included."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        inner = dict(defaults)
        for key, value in (task.get("module_defaults") or {}).items():
            inner[key] = dict(inner.get(key) or {}, **value)
        if any(k in task for k in TASK_KEYWORDS):
            for k in TASK_KEYWORDS:
                yield from _tasks(task.get(k), inner)
        else:
            yield task, inner


def _module_tasks(doc):
    """(module short name, its arguments, module defaults in force) of every task calling our modules."""
    if not isinstance(doc, list):
        return
    plays = doc if doc and isinstance(doc[0], dict) and "hosts" in doc[0] else [{"tasks": doc}]
    for play in plays:
        defaults = dict(play.get("module_defaults") or {})
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            for task, in_force in _tasks(play.get(section), defaults):
                for key, args in task.items():
                    if key.startswith(PREFIX) and key[len(PREFIX):] in MODULES:
                        yield key[len(PREFIX):], args or {}, in_force


def _examples():
    found = []
    for label, doc, complete in _sources():
        for module, args, defaults in _module_tasks(doc):
            found.append(pytest.param(module, args, defaults, complete, id="%s:%s" % (label, module)))
    return found


EXAMPLES = _examples()


def test_the_docs_have_examples_for_every_module():
    assert sorted(set(p.values[0] for p in EXAMPLES)) == sorted(MODULES)


@pytest.mark.parametrize("module, args, defaults, complete", EXAMPLES)
def test_example_uses_real_options(module, args, defaults, complete):
    options = MODULES[module]["options"]
    assert isinstance(args, dict), "%s: arguments must be a mapping, not %r" % (module, args)
    unknown = sorted(set(args) - set(options))
    assert not unknown, "%s has no option %s" % (module, ", ".join(unknown))
    for name, value in args.items():
        choices = options[name].get("choices")
        if choices and isinstance(value, str) and "{{" not in value:
            assert value in [str(c) for c in choices], "%s: %s=%r is not one of %s" % (module, name, value, choices)
    if not complete:
        return
    given = set(args) | set(defaults.get(MODULE_GROUP[module]) or {}) | set(defaults.get(PREFIX + module) or {})
    missing = sorted(n for n, o in options.items() if o.get("required") and n not in given)
    assert not missing, "%s example lacks the required %s" % (module, ", ".join(missing))


def test_group_defaults_in_the_docs_suit_every_module():
    """Ansible passes group defaults to every module of the group; each must accept them all."""
    keys = dict((group, set()) for group in MODULE_GROUP.values())
    for _label, doc, _complete in _sources():
        plays = doc if isinstance(doc, list) else []
        for play in plays:
            if isinstance(play, dict):
                for group in keys:
                    keys[group].update((play.get("module_defaults") or {}).get(group) or {})
    assert keys[GROUP], "no example sets defaults for %s" % GROUP
    for module, mod in MODULES.items():
        refused = sorted(keys[MODULE_GROUP[module]] - set(mod["options"]))
        assert not refused, "%s does not take %s, set for the whole group in the docs" % (module, ", ".join(refused))


def _undocumented_returns(returns, path=()):
    for key, doc in returns.items():
        here = path + (key,)
        needed = ["description", "type", "returned", "sample"]
        if doc.get("contains"):
            needed.remove("sample")  # the samples of its keys say it
            yield from _undocumented_returns(doc["contains"], here)
        missing = [n for n in needed if n not in doc]
        if missing:
            yield "%s (no %s)" % (".".join(here), ", ".join(missing))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_return_values_are_fully_documented(module):
    assert MODULES[module]["returns"], "%s documents no return value" % module
    assert list(_undocumented_returns(MODULES[module]["returns"])) == []


def _slug(heading):
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path):
    with open(path) as f:
        text = re.sub(r"```.*?```", "", f.read(), flags=re.S)
    return set(_slug(m) for m in re.findall(r"^#+\s+(.*)$", text, re.M))


def _links():
    found = []
    for path in _markdown_files():
        with open(path) as f:
            text = re.sub(r"```.*?```", "", f.read(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue
            found.append(pytest.param(path, target, id="%s->%s" % (os.path.relpath(path, REPO), target)))
    return found


@pytest.mark.parametrize("path, target", _links())
def test_relative_links_resolve(path, target):
    file_part, _sep, anchor = target.partition("#")
    dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
    assert os.path.exists(dest), "%s links to %s, which does not exist" % (os.path.relpath(path, REPO), target)
    if anchor and dest.endswith(".md"):
        assert anchor in _anchors(dest), "%s has no heading for #%s" % (os.path.relpath(dest, REPO), anchor)


# Each doc fragment of an option group and the argument spec it documents (the two must not drift).
FRAGMENT_ARGSPECS = [
    ("azure", "_common", "azure_argument_spec()"),
    ("wait", "_common", "wait_argument_spec()"),
    ("protected_item", "_protected_items", "PROTECTED_ITEM_ARGSPEC"),
    ("recovery_point", "_recovery_points", "RECOVERY_POINT_ARGSPEC"),
    ("restore_target", "_restore_request", "RESTORE_ARGSPEC"),
    ("fleet", "_fleet", "VMS_ARGSPEC"),
]


@pytest.mark.parametrize("fragment, module_util, spec", FRAGMENT_ARGSPECS)
def test_fragment_matches_its_argspec(fragment, module_util, spec):
    import importlib

    mu = importlib.import_module("ansible_collections.azbackup.restore.plugins.module_utils." + module_util)
    spec = eval(spec, vars(mu))  # a constant or a function call named above
    options = _fragment_options(PREFIX + fragment)
    assert set(options) == set(spec)
    for name, doc in options.items():
        arg = spec[name]
        assert doc.get("type", "str") == arg.get("type", "str"), name
        assert doc.get("default") == arg.get("default"), name
        assert doc.get("choices") == arg.get("choices"), name
        assert bool(doc.get("required")) == bool(arg.get("required")), name
        assert doc.get("elements") == arg.get("elements"), name
        assert doc.get("description"), name
        if arg.get("options"):
            for sub, sub_arg in arg["options"].items():
                sub_doc = (doc.get("suboptions") or {}).get(sub) or {}
                assert sub_doc.get("type", "str") == sub_arg.get("type", "str"), (name, sub)
                assert sub_doc.get("default") == sub_arg.get("default"), (name, sub)
                assert sub_doc.get("choices") == sub_arg.get("choices"), (name, sub)


def test_every_option_group_has_its_fragment():
    from ansible_collections.azbackup.restore.plugins.module_utils._module import GROUPS

    assert set(GROUPS) <= set(f for f, dummy, dummy2 in FRAGMENT_ARGSPECS)
