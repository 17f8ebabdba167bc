#!/usr/bin/env bash
# ansible-lint (production profile, offline) on roles/ and playbooks/, antsibull-docs on the
# plugin documentation, antsibull-changelog on changelogs/. All three run; the exit status is
# non-zero when any of them failed.
#
# usage: scripts/lint.sh      env: VENV (default: .venv)
# Expects the Makefile's ANSIBLE_COLLECTIONS_PATH, so that ansible-lint resolves
# azbackup.restore.* names.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
venv=${VENV:-$root/.venv}
export PATH="$venv/bin:$PATH"   # antsibull-docs calls `ansible` and `ansible-doc` from PATH
failed=()

# Roles and playbooks git knows about (tracked, or untracked and not ignored).
targets=()
for dir in roles playbooks; do
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        found=$(git ls-files -co --exclude-standard -- "$dir" | grep -E '\.ya?ml$' | head -n1)
    else
        found=$(find "$dir" -name '*.y*ml' -print -quit 2>/dev/null)
    fi
    if [ -n "$found" ]; then
        targets+=("$dir")
    fi
done
if [ ${#targets[@]} -eq 0 ]; then
    echo "lint.sh: ansible-lint skipped: no YAML under roles/ or playbooks/ yet"
else
    echo "lint.sh: ansible-lint --offline ${targets[*]}"
    ansible-lint --offline "${targets[@]}" || failed+=(ansible-lint)
fi

echo "lint.sh: antsibull-docs lint-collection-docs --plugin-docs ."
antsibull-docs lint-collection-docs --plugin-docs . || failed+=(antsibull-docs)

echo "lint.sh: antsibull-changelog lint"
antsibull-changelog lint || failed+=(antsibull-changelog)

if [ ${#failed[@]} -ne 0 ]; then
    echo "lint.sh: failed: ${failed[*]}" >&2
    exit 1
fi
echo "lint.sh: all linters passed"
