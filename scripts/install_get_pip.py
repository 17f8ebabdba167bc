"""Install tools/get_pip_offline.py where ansible-test looks for its cached get-pip script.

ansible-test bootstraps pip in each of its virtual environments with a get-pip script that it
downloads from a host that is not reachable from every machine (not from our CI). It first looks
for ``~/.ansible/test/cache/get_pip_<X_Y>.py``, where X.Y is the pip version it pins. This script
reads that version from the ansible_test package of the interpreter running it (never
hard-coded: it changes between ansible-core releases) and puts the offline stand-in there.

A genuine get-pip script already in the cache is left alone; an older copy of the stand-in is
refreshed. Run it with the Python of the venv whose ansible-test is used, e.g.
``.venv/bin/python scripts/install_get_pip.py --python 3.11``.
"""
import argparse
import filecmp
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STAND_IN = os.path.join(HERE, os.pardir, "tools", "get_pip_offline.py")
MARKER = "Offline stand-in"


def pinned_pip_version(python_version):
    """Return the pip version ansible-test pins for its venvs of the given Python version."""
    try:
        from ansible_test._internal.python_requirements import get_venv_packages

        class _Python:  # the only attribute get_venv_packages reads
            version = python_version

        return get_venv_packages(_Python())["pip"]
    except Exception as exc:  # internal API: fall back to reading the source
        import ansible_test

        path = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
        with open(path, encoding="utf-8") as handle:
            match = re.search(r"\bpip\s*=\s*['\"]([0-9][0-9.]*)['\"]", handle.read())
        if not match:
            raise SystemExit(f"cannot find the pinned pip version in {path} ({exc})")
        return match.group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="%d.%d" % sys.version_info[:2],
                        help="Python version ansible-test will test with (default: this one)")
    parser.add_argument("--print-version", action="store_true", help="only print the pinned pip version")
    args = parser.parse_args()

    version = pinned_pip_version(args.python)
    if args.print_version:
        print(version)
        return 0

    cache = os.path.expanduser(os.path.join("~", ".ansible", "test", "cache"))
    target = os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_"))
    if os.path.exists(target):
        with open(target, encoding="utf-8", errors="replace") as handle:
            ours = MARKER in handle.read(4096)
        if not ours:
            print(f"get-pip {version}: keeping the genuine script at {target}")
            return 0
        if filecmp.cmp(target, STAND_IN, shallow=False):
            print(f"get-pip {version}: offline stand-in already at {target}")
            return 0
    os.makedirs(cache, exist_ok=True)
    tmp = target + ".tmp"
    shutil.copyfile(STAND_IN, tmp)
    os.replace(tmp, target)
    print(f"get-pip {version}: installed the offline stand-in as {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
