#!/usr/bin/env bash
# Runs twmond against a private systemd-journald and a real kernel condition of one alert
# kind, inside a private mount and network namespace, and writes what the journal and
# `twmonctl alerts --json` say.
#
#   journald-kinds.sh SCENARIO BIN_DIR CONFIG OUT_DIR RAISED_MESSAGE_ID CLEARED_MESSAGE_ID
#
# SCENARIO is one of
#   close_wait       200 connections the client closed and the server holds in CLOSE_WAIT on
#                    port 8080; cleared when the application (the load generator, on SIGUSR1)
#                    closes them while it goes on listening;
#   ephemeral_ports  ip_local_port_range narrowed to 500 ports (tcp_tw_reuse=0), a client
#                    closing first 450 connections to 127.0.0.1:8080; cleared when the range
#                    is widened again;
#   tw_overflow      tcp_max_tw_buckets=200 and 1000 server-side closes on port 8080.
# OUT_DIR receives journal.json (all of twmond's entries), active.json (`twmonctl alerts
# --json` while the alert is active), after.json (the same after it cleared) and kernel.txt
# (the kernel's own figures, KEY VALUE lines).
#
# Called by Tests/TWMonSystemTests/AlertKindsJournalTests.swift under
# `unshare -m -n --propagation private`; it must not touch the host's /run, journal or sysctls.
set -euo pipefail
scenario=$1 bin=$2 config=$3 out=$4 raised_id=$5 cleared_id=$6

# shellcheck source=private-journald.sh
source "$(dirname "$0")/private-journald.sh"

cleanup() {
    kill "${loadgen:-}" "${daemon:-}" "${journald:-}" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

socket=/run/twmond-test.sock
# Saves `twmonctl alerts --json` once it shows an active alert of the scenario's kind.
save_active() { # seconds
    for _ in $(seq $(($1 * 20))); do
        "$bin/twmonctl" alerts --json --socket "$socket" >"$out/active.json" 2>/dev/null || true
        grep -q "\"alerts\":\[{[^]]*\"kind\":\"$scenario\"" "$out/active.json" && return 0
        sleep 0.05
    done
    echo "twmonctl alerts --json never showed an active $scenario alert" >&2
    return 1
}
start_loadgen() {
    "$bin/twmon-loadgen" --listen 127.0.0.1 --port 8080 --hold "$@" >/run/loadgen.out &
    loadgen=$!
    for _ in $(seq 200); do grep -q ready /run/loadgen.out 2>/dev/null && return 0; sleep 0.05; done
    echo "load generator not ready" >&2
    return 1
}
start_daemon() {
    "$bin/twmond" --config "$config" --socket "$socket" &
    daemon=$!
    for _ in $(seq 200); do "$bin/twmonctl" status --socket "$socket" >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "twmond not answering" >&2
    return 1
}
stop_loadgen() { kill "$loadgen"; wait "$loadgen" 2>/dev/null || true; loadgen=; }
netstat_value() { # TcpExt field
    awk -v name="$1" '/^TcpExt:/ { if (!header) { for (i = 2; i <= NF; i++) column[$i] = i; header = 1 } else print $column[name] }' /proc/net/netstat
}

touch "$out/kernel.txt"

case $scenario in
close_wait)
    start_loadgen --close-wait 200
    start_daemon
    wait_for "$raised_id" TWMON_EVENT=raised 30
    save_active 10
    # The application closes its CLOSE_WAIT sockets (and keeps listening): they leave
    # CLOSE_WAIT at once.
    kill -USR1 "$loadgen"
    for _ in $(seq 100); do grep -q "closed 200 CLOSE_WAIT" /run/loadgen.out && break; sleep 0.05; done
    echo "closed_close_wait $(grep -o 'closed [0-9]*' /run/loadgen.out | cut -d' ' -f2)" >>"$out/kernel.txt"
    wait_for "$cleared_id" TWMON_EVENT=cleared 30
    echo "listening_after $(ss -tlnH '( sport = :8080 )' | wc -l)" >>"$out/kernel.txt"
    stop_loadgen
    ;;
ephemeral_ports)
    echo "40000 40499" >/proc/sys/net/ipv4/ip_local_port_range
    echo 0 >/proc/sys/net/ipv4/tcp_tw_reuse
    start_loadgen --client-time-wait 450
    echo "client_time_wait $(ss -tanH state time-wait '( dport = :8080 )' | wc -l)" >>"$out/kernel.txt"
    start_daemon
    wait_for "$raised_id" TWMON_EVENT=raised 30
    save_active 10
    # A wider range is read at the next scan: 450 sockets are then far from 80 % of it.
    echo "32768 60999" >/proc/sys/net/ipv4/ip_local_port_range
    wait_for "$cleared_id" TWMON_EVENT=cleared 30
    ;;
tw_overflow)
    echo 200 >/proc/sys/net/ipv4/tcp_max_tw_buckets
    start_daemon
    start_loadgen --time-wait 1000
    echo "overflow $(netstat_value TCPTimeWaitOverflow)" >>"$out/kernel.txt"
    echo "time_wait $(awk '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat)" >>"$out/kernel.txt"
    wait_for "$raised_id" TWMON_EVENT=raised 30
    save_active 10
    wait_for "$cleared_id" TWMON_EVENT=cleared 30
    ;;
*)
    echo "unknown scenario $scenario" >&2
    exit 2
    ;;
esac
"$bin/twmonctl" alerts --json --socket "$socket" >"$out/after.json"
kill -TERM "$daemon"
status=0; wait "$daemon" || status=$?; daemon=
echo "daemon exit status $status" >&2
journal >"$out/journal.json"
