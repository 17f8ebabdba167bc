#!/usr/bin/env bash
# Start the Azure Backup emulator, point the Azure credentials at it and run playbooks/demo.yml.
#
# usage: scripts/demo.sh [ansible-playbook arguments, e.g. -v]
# env:   VENV           venv with ansible-core and the runtime requirements (default: .venv)
#        DEMO_WORLD     emulator world file (default: tests/emulator/worlds/default.yml)
#        DEMO_PLAYBOOK  playbook to run (default: playbooks/demo.yml)
#        DEMO_SETTINGS  emulator settings patch (JSON; default: the restore drill's check script fails in
#                       vm-app-002's restored copy, so that the demo shows what a failed drill reports)
#
# The emulator's output goes to build/demo/emulator.log. It is stopped whenever this script
# ends, however it ends.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv=${VENV:-$root/.venv}
world=${DEMO_WORLD:-tests/emulator/worlds/default.yml}
playbook=${DEMO_PLAYBOOK:-playbooks/demo.yml}
workdir=$root/build/demo
log=$workdir/emulator.log
ready_timeout=${DEMO_READY_TIMEOUT:-30}
default_settings='{"guest": {"run_command_outcomes": [{"vm": "vm-app-002-drill-*", "exit_code": 1,
  "stdout": "checking the web server\n", "stderr": "nginx.service is not active (failed)\n"}]}}'
settings=${DEMO_SETTINGS-$default_settings}

if [ ! -x "$venv/bin/python" ]; then
    echo "demo.sh: $venv/bin/python not found; run 'make venv' first" >&2
    exit 2
fi
if [ ! -d tests/emulator/azbackup_emulator ]; then
    echo "demo.sh: the emulator (tests/emulator/azbackup_emulator) is not written yet; nothing to demo"
    exit 0
fi

# The same Ansible environment as the Makefile's, for when this script runs on its own.
mkdir -p "$workdir" "$root/build/collections/ansible_collections/azbackup" "$root/build/ansible-tmp"
ln -sfn ../../../.. "$root/build/collections/ansible_collections/azbackup/restore"
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$root/build/collections}
export ANSIBLE_PYTHON_INTERPRETER=${ANSIBLE_PYTHON_INTERPRETER:-$venv/bin/python}
export ANSIBLE_LOCAL_TEMP=${ANSIBLE_LOCAL_TEMP:-$root/build/ansible-tmp}
# The demo runs on the implicit localhost: no inventory, and no warning about it.
export ANSIBLE_LOCALHOST_WARNING=${ANSIBLE_LOCALHOST_WARNING:-false}
export ANSIBLE_INVENTORY_UNPARSED_WARNING=${ANSIBLE_INVENTORY_UNPARSED_WARNING:-false}

emulator_pid=
playbook_pid=
# shellcheck disable=SC2317,SC2329  # called by the EXIT trap
stop_all() {
    if [ -n "$playbook_pid" ]; then
        kill -TERM "$playbook_pid" 2>/dev/null || true
        wait "$playbook_pid" 2>/dev/null || true
    fi
    if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill -TERM "$emulator_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$emulator_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
        echo "demo.sh: emulator stopped (log: ${log#"$root"/})"
    fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

: > "$log"
PYTHONPATH="$root/tests/emulator${PYTHONPATH:+:$PYTHONPATH}" \
    "$venv/bin/python" -u -m azbackup_emulator --port 0 --world "$world" ${settings:+--settings "$settings"} \
    </dev/null >"$log" 2>&1 &
emulator_pid=$!

ready=
deadline=$((SECONDS + ready_timeout))
while [ -z "$ready" ]; do
    ready=$(grep -m1 '^EMULATOR READY ' "$log" || true)
    [ -n "$ready" ] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
        echo "demo.sh: the emulator exited before it was ready:" >&2
        cat "$log" >&2
        exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "demo.sh: the emulator was not ready after ${ready_timeout}s:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done

# EMULATOR READY {"endpoint": ..., "ca_bundle": ..., "tenant_id": ..., "client_id": ...,
#                 "client_secret": ..., "subscription_id": ...}
exports=$("$venv/bin/python" - "${ready#EMULATOR READY }" <<'PY'
import json
import shlex
import sys

info = json.loads(sys.argv[1])
wanted = {
    "AZURE_CLIENT_ID": ("client_id",),
    "AZURE_SECRET": ("client_secret", "secret"),
    "AZURE_TENANT": ("tenant_id", "tenant"),
    "AZURE_SUBSCRIPTION_ID": ("subscription_id",),
    "AZURE_CLOUD_ENVIRONMENT": ("endpoint",),
    "REQUESTS_CA_BUNDLE": ("ca_bundle",),
}
for var, keys in wanted.items():
    value = next((info[k] for k in keys if info.get(k) is not None), None)
    if value is None:
        sys.exit("demo.sh: the EMULATOR READY line has none of %s" % ", ".join(keys))
    print("export %s=%s" % (var, shlex.quote(str(value))))
PY
)
eval "$exports"
echo "demo.sh: emulator ready at $AZURE_CLOUD_ENVIRONMENT (pid $emulator_pid)"

if [ ! -f "$playbook" ]; then
    echo "demo.sh: $playbook is not written yet; stopping the emulator"
    exit 0
fi

# In the background with `wait`, so that a TERM or INT sent to this script is handled at once
# (bash runs traps only between commands): the handler stops the playbook, then the emulator.
"$venv/bin/ansible-playbook" "$playbook" "$@" <&0 &
playbook_pid=$!
rc=0
wait "$playbook_pid" || rc=$?
playbook_pid=
exit "$rc"
