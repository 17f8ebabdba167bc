#!/usr/bin/env bash
# Run `ansible-test sanity` on a staged copy of the collection.
#
# usage: scripts/sanity.sh [extra ansible-test sanity arguments, e.g. --test pylint]
#        (make sanity; `ansible-test sanity --list-tests` names the tests: 24 with ansible-core 2.19)
# env:   VENV            venv whose ansible-test runs the tests (default: .venv)
#        SANITY_PYTHON   target Python version (default: 3.11)
#        SANITY_MODE     local (default) or venv, see below
#        KEEP_STAGE=1    keep the staged copy (removed otherwise, pass or fail)
#
# Mode (measured on the 2-core machine): both modes give every sanity test that needs tools its
# own virtual environment under ~/.ansible/test/venv with the versions ansible-test pins
# (pylint, pycodestyle, yamllint, voluptuous, antsibull-changelog, ...): cold, those pip installs
# add 3-4 minutes once per machine; warm, pylint takes most of the ~100 s a run costs.
# `--venv` additionally builds a fresh controller venv inside the staged copy on every run
# (downloading pip again): ~12 s more per run, and the package index is needed even when
# everything else is cached. `--local` runs the controller from our own pinned .venv, which
# already holds ansible-core and its dependencies; we do NOT pass `--requirements` with it, as
# that would install ansible-test's own pins into .venv and fight tests/constraints.txt. So
# `--local` is the default; SANITY_MODE=venv switches to a throw-away controller venv.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-$root/.venv}
python_version=${SANITY_PYTHON:-3.11}
mode=${SANITY_MODE:-local}

case $mode in
    venv) mode_args=(--venv) ;;
    local) mode_args=(--local) ;;
    *) echo "sanity.sh: SANITY_MODE must be venv or local, not '$mode'" >&2; exit 2 ;;
esac

if [ ! -x "$venv/bin/ansible-test" ]; then
    echo "sanity.sh: $venv/bin/ansible-test not found; run 'make venv' first" >&2
    exit 2
fi

# ansible-test bootstraps pip from a get-pip script it downloads; put the offline stand-in
# where it looks first (the pinned pip version is read from the installed ansible_test).
"$venv/bin/python" "$root/scripts/install_get_pip.py" --python "$python_version"

stage=$(mktemp -d "${TMPDIR:-/tmp}/azbackup-restore-sanity.XXXXXX")
keep=${KEEP_STAGE:-0}
# shellcheck disable=SC2317,SC2329  # called by the EXIT trap
cleanup() {
    if [ "$keep" = 1 ]; then
        echo "sanity.sh: staged copy kept in $stage"
    else
        rm -rf "$stage"
    fi
}
trap cleanup EXIT

coll=$("$root/scripts/stage_collection.sh" "$stage")
echo "sanity.sh: ansible-test sanity ${mode_args[*]} --python $python_version $* (in $coll)"

# ansible-test finds its controller through PATH; keep the venv first so no pyenv shim of
# another Python wins.
rc=0
(
    cd "$coll"
    PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" sanity "${mode_args[@]}" \
        --python "$python_version" --color "${SANITY_COLOR:-auto}" "$@"
) || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "sanity.sh: ansible-test sanity failed (exit $rc); the errors are above" \
        "(KEEP_STAGE=1 keeps the staged copy to look into)" >&2
fi
exit "$rc"
