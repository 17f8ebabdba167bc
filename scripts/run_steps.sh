#!/usr/bin/env bash
# Run make targets one after the other, all of them even when one fails, then print how long
# each took and which failed. Exits non-zero when any failed.
#
# usage: scripts/run_steps.sh TARGET...      (the Makefile's `test` target calls it)
set -uo pipefail

make_cmd=${MAKE:-make}
results=()
failed=()
for target in "$@"; do
    echo
    echo "===== make $target ====="
    start=$SECONDS
    "$make_cmd" --no-print-directory "$target"
    rc=$?
    results+=("$(printf '%-12s %-6s %4ds' "$target" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" $((SECONDS - start)))")
    [ "$rc" -eq 0 ] || failed+=("$target")
done

echo
echo "===== summary ====="
printf '%s\n' "${results[@]}"
if [ ${#failed[@]} -ne 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
echo "all steps passed"
