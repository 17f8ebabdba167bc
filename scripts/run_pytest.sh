#!/usr/bin/env bash
# Run pytest from a venv on the test folders that exist.
#
# usage: scripts/run_pytest.sh VENV_DIR FOLDER... [-- PYTEST ARGUMENTS...]
#
# Folders that do not exist are left out. When none of them holds a test file (test_*.py or
# *_test.py), that is said and the script exits 0 without starting pytest: a new checkout has
# empty test folders. Otherwise pytest's exit status is passed on unchanged, so exit status 5
# ("no tests collected") fails the run when test files exist but yield nothing.
set -euo pipefail

venv=${1:?usage: run_pytest.sh VENV_DIR FOLDER... [-- PYTEST ARGUMENTS...]}
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

folders=()
while [ $# -gt 0 ]; do
    if [ "$1" = -- ]; then
        shift
        break
    fi
    [ -d "$1" ] && folders+=("$1")
    shift
done

if [ ${#folders[@]} -eq 0 ] \
    || [ -z "$(find "${folders[@]}" \( -name output -o -name __pycache__ \) -prune -o \
        -type f \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit)" ]; then
    echo "run_pytest.sh: no test files under ${folders[*]:-(none of the folders exist)}; pytest not run"
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "run_pytest.sh: $venv/bin/python not found; run 'make venv' first" >&2
    exit 2
fi

echo "run_pytest.sh: $venv/bin/python -m pytest ${folders[*]} $*"
exec "$venv/bin/python" -m pytest "${folders[@]}" "$@"
