#!/usr/bin/env bash
# Measures twmond's resident memory across cycles of CLOSE_WAIT held and released, in a private
# network namespace (only the load made here is seen), and prints one line per cycle:
#
#   close-wait-rss.sh [BIN_DIR [CYCLES [SOCKETS [MAX_TW_BUCKETS]]]]
#                                                  (defaults: .build/release 20 4000, kernel's)
#
# Each cycle starts `twmon-loadgen --close-wait SOCKETS --hold` on 127.0.0.1:8080, lets twmond
# scan it (interval 0.5 s) for 3 s, makes the load generator close them (SIGUSR1), lets twmond
# scan the emptied port for 3 s, stops the load generator, and reads VmRSS from
# /proc/PID/status. Output: `cycle N vmrss_kib K rssanon_kib A time_wait T` (A: the heap and
# stacks, without the binary's pages; T: the namespace's TIME_WAIT
# sockets from /proc/net/sockstat: each cycle's clients end in TIME_WAIT for 60 s, so about ten
# cycles' worth are in the table at once; MAX_TW_BUCKETS=0 sets net.ipv4.tcp_max_tw_buckets in the
# namespace so that none are kept, to see CLOSE_WAIT alone). Needs root (unshare -n); touches nothing
# outside the namespace and a temporary directory. Measure a release build
# (`swift build -c release --static-swift-stdlib`).
set -euo pipefail
bin=${1:-.build/release} cycles=${2:-20} sockets=${3:-4000} buckets=${4:-}
if [ "${TWMON_RSS_IN_NETNS:-}" != 1 ]; then
    exec env TWMON_RSS_IN_NETNS=1 unshare -n "$0" "$bin" "$cycles" "$sockets" "$buckets"
fi
ip link set lo up
if [ -n "$buckets" ]; then sysctl -qw net.ipv4.tcp_max_tw_buckets="$buckets"; fi
work=$(mktemp -d)
cleanup() {
    kill "${loadgen:-}" "${daemon:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

printf '[scan]\nnamespaces = "own"\ninterval = 0.5\n' >"$work/twmond.toml"
"$bin/twmond" --config "$work/twmond.toml" --socket "$work/control.sock" 2>"$work/twmond.log" &
daemon=$!
for _ in $(seq 200); do "$bin/twmonctl" status --socket "$work/control.sock" >/dev/null 2>&1 && break; sleep 0.05; done
rss() { awk '/^VmRSS:/ { rss = $2 } /^RssAnon:/ { anon = $2 } END { print "vmrss_kib " rss " rssanon_kib " anon }' "/proc/$daemon/status"; }
time_wait() { awk '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat; }
echo "start $(rss) time_wait $(time_wait)"
for cycle in $(seq "$cycles"); do
    "$bin/twmon-loadgen" --listen 127.0.0.1 --port 8080 --close-wait "$sockets" --hold >"$work/loadgen.out" &
    loadgen=$!
    for _ in $(seq 400); do grep -q ready "$work/loadgen.out" 2>/dev/null && break; sleep 0.05; done
    sleep 3
    kill -USR1 "$loadgen"
    for _ in $(seq 200); do grep -q "closed" "$work/loadgen.out" && break; sleep 0.05; done
    sleep 3
    kill "$loadgen"
    wait "$loadgen" 2>/dev/null || true
    loadgen=
    echo "cycle $cycle $(rss) time_wait $(time_wait)"
done
