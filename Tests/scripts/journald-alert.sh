#!/usr/bin/env bash
# Runs twmond against a private systemd-journald and real TIME_WAIT load, inside a private
# mount and network namespace, and writes what the journal holds as JSON lines.
#
#   journald-alert.sh BIN_DIR CONFIG OUT_JSON
#
# Called by Tests/TWMonSystemTests/JournaldAlertTests.swift under
# `unshare -m -n --propagation private`; it must not touch the host's /run or journal.
set -euo pipefail
bin=$1 config=$2 out=$3

# shellcheck source=private-journald.sh
source "$(dirname "$0")/private-journald.sh"

cleanup() {
    kill "${loadgen:-}" "${daemon:-}" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT


# 400 connections the server closes first on a listening port, plus 3 kept open; the load
# is complete before the daemon's first scan.
"$bin/twmon-loadgen" --listen 127.0.0.1 --port 8080 --time-wait 400 --established 3 --hold >/run/loadgen.out &
loadgen=$!
for _ in $(seq 100); do grep -q ready /run/loadgen.out 2>/dev/null && break; sleep 0.05; done
"$bin/twmond" --config "$config" --socket /run/twmond-test.sock &
daemon=$!
wait_for b409c94814fd48d4b7a71e21b7432752 TWMON_EVENT=raised 30
# Drop the load: the listener goes, and the TIME_WAIT sockets expire after 60 s.
kill "$loadgen"; wait "$loadgen" 2>/dev/null || true; loadgen=
wait_for a779194c3e234e67b1716dd035ad43b6 TWMON_EVENT=cleared 90
kill -TERM "$daemon"
status=0; wait "$daemon" || status=$?; daemon=
echo "daemon exit status $status" >&2
journal > "$out"
kill "$journald"
