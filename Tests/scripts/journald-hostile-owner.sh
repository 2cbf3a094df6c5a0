#!/usr/bin/env bash
# A listener in a cgroup with a hostile name (escape sequences, a bell, a carriage return),
# piling TIME_WAIT, watched by twmond with a private systemd-journald: writes the raised
# entries as journalctl JSON and every twmonctl output, human and --json, into OUT_DIR.
#
#   journald-hostile-owner.sh BIN_DIR CONFIG CGROUP_DIR OUT_DIR
#
# Called by Tests/TWMonSystemTests/HostileOwnerNameTests.swift under
# `unshare -m -n --propagation private`; it must not touch the host's /run or journal.
set -euo pipefail
bin=$1 config=$2 cgroup=$3 out=$4

# shellcheck source=private-journald.sh
source "$(dirname "$0")/private-journald.sh"

cleanup() {
    kill "${loadgen:-}" "${daemon:-}" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

# The load's process joins the cgroup before it makes its listener: the listener is owned by it.
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --listen 127.0.0.1 --port 8080 --time-wait 300 --hold' sh \
    "$cgroup" "$bin/twmon-loadgen" >/run/loadgen.out &
loadgen=$!
for _ in $(seq 100); do grep -q ready /run/loadgen.out 2>/dev/null && break; sleep 0.05; done
socket=/run/twmond-test.sock
"$bin/twmond" --config "$config" --socket "$socket" 2>"$out/twmond.stderr" &
daemon=$!
wait_for b409c94814fd48d4b7a71e21b7432752 TWMON_EVENT=raised 30
for command in ports alerts status check; do
    "$bin/twmonctl" "$command" --socket "$socket" >"$out/$command.txt" || true
done
for command in ports alerts status; do
    "$bin/twmonctl" "$command" --json --socket "$socket" >"$out/$command.json"
done
"$bin/twmonctl" scan --listening >"$out/scan.txt"
"$bin/twmonctl" scan --listening --json >"$out/scan.json"
kill -TERM "$daemon"
status=0; wait "$daemon" || status=$?; daemon=
echo "daemon exit status $status" >&2
journal MESSAGE_ID=b409c94814fd48d4b7a71e21b7432752 >"$out/journal.json"
kill "$journald"
