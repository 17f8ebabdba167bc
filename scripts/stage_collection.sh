#!/usr/bin/env bash
# Copy the collection (tracked files plus untracked files git does not ignore) into
# DEST/ansible_collections/azbackup/restore and print that directory.
#
# ansible-test resolves symlinks and insists on running inside a real
# .../ansible_collections/<namespace>/<name> directory, so a symlink is not enough.
# DEST should lie outside this git work tree: ansible-test looks for version control
# upwards from the collection root, and a stage inside an ignored folder of this
# repository would look empty to it.
set -euo pipefail

dest=${1:?usage: stage_collection.sh DEST}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
coll="$dest/ansible_collections/azbackup/restore"

if ! git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "stage_collection.sh: $root is not a git work tree; cannot tell which files belong to the collection" >&2
    exit 2
fi

rm -rf "$coll"
mkdir -p "$coll"
# -z keeps odd file names intact; files deleted but still tracked are skipped.
(
    cd "$root"
    git ls-files -z -co --exclude-standard \
        | while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done \
        | tar --null -cf - -T - \
        | tar -xf - -C "$coll"
)
printf '%s\n' "$coll"
