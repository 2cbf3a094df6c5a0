#!/usr/bin/env bash
# `promtool check metrics` on a real exposition: runs the built twmond (unprivileged) on the
# captured socket tables of Tests/TWMonCoreTests/Fixtures with a threshold of 1, so ports,
# totals, an active alert and every counter are in it, waits for the textfile it writes after
# its scans (the same bytes GET /metrics serves) and checks it. Usage: check-exposition.sh BIN_DIR
set -euo pipefail
bin="${1:-.build/debug}"
fixtures="$(dirname "$0")/../TWMonCoreTests/Fixtures"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/proc/net" "$work/proc/sys/net/ipv4"
cp "$fixtures/tcp-ipv4.txt" "$work/proc/net/tcp"
cp "$fixtures/tcp6-mixed.txt" "$work/proc/net/tcp6"
printf 'sockets: used 40\nTCP: inuse 12 orphan 0 tw 3 alloc 14 mem 2\n' > "$work/proc/net/sockstat"
echo 262144 > "$work/proc/sys/net/ipv4/tcp_max_tw_buckets"
cat > "$work/twmond.toml" <<TOML
[scan]
namespaces = "own"
interval = 0.2
proc_root = "$work/proc"
[alert]
time_wait_threshold = 1
sustain = 1
[metrics]
textfile = "$work/twmond.prom"
TOML
"$bin/twmond" --config "$work/twmond.toml" --socket "$work/control.sock" 2>"$work/twmond.log" &
pid=$!
for _ in $(seq 1 200); do
    grep -q '^twmon_scans_total [3-9]' "$work/twmond.prom" 2>/dev/null && break
    sleep 0.1
done
grep -q '^twmon_alert_active{kind="time_wait"' "$work/twmond.prom" || { echo "no active alert in the exposition:"; cat "$work/twmond.prom" "$work/twmond.log"; exit 1; }
[ "$(stat -c %a "$work/twmond.prom")" = 644 ] || { echo "textfile mode is $(stat -c %a "$work/twmond.prom"), not 644"; exit 1; }
echo "promtool check metrics on $(grep -vc '^#' "$work/twmond.prom") samples of a real twmond's exposition"
promtool check metrics < "$work/twmond.prom"
