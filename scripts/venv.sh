#!/usr/bin/env bash
# Create or update a virtual environment from pinned requirement files, fast when nothing changed.
#
# usage: scripts/venv.sh DIR [pip install arguments: -r FILE / -c FILE / PACKAGE==VERSION ...]
# env:   PYTHON   interpreter that creates a new venv (default: python3.11 when it runs, else
#                 python3; the collection's tooling targets Python 3.11, the newest Python that
#                 ansible-core 2.19 and 2.16 both support)
#
# A stamp file DIR/.requirements.sha256 holds the hash of the arguments, of every file named by
# -r/-c and of this script. When it matches, and DIR's python still runs, nothing is done.
# Otherwise pip installs into DIR (creating it first if needed); pip then up- or downgrades to
# the pins, so an edit of a requirement file needs no rebuild from scratch. `make clean-venv`
# starts over.
set -euo pipefail

dir=${1:?usage: venv.sh DIR [pip install arguments]}
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

pick_python() {
    if [ -n "${PYTHON:-}" ]; then
        printf '%s\n' "$PYTHON"
        return
    fi
    # A pyenv shim exists even when its version is not installed: run it to be sure.
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv' >/dev/null 2>&1; then
            printf '%s\n' "$candidate"
            return
        fi
    done
    echo "venv.sh: neither python3.11 nor python3 runs here" >&2
    exit 2
}

files=("${BASH_SOURCE[0]}")
prev=
for arg in "$@"; do
    case $prev in -r | -c) files+=("$arg") ;; esac
    prev=$arg
done
hash=$( { printf '%s\n' "$@"; cat "${files[@]}"; } | sha256sum | cut -d' ' -f1)
stamp="$dir/.requirements.sha256"

if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c '' 2>/dev/null \
    && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    echo "venv.sh: $dir is up to date"
    exit 0
fi

if ! { [ -x "$dir/bin/python" ] && "$dir/bin/python" -c '' 2>/dev/null; }; then
    python=$(pick_python)
    echo "venv.sh: creating $dir with $python ($("$python" -c 'import sys; print(sys.version.split()[0])'))"
    rm -rf "$dir"
    "$python" -m venv "$dir"
fi

rm -f "$stamp"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check --progress-bar off "$@"
"$dir/bin/python" -m pip check
printf '%s\n' "$hash" > "$stamp"
echo "venv.sh: $dir is ready"
