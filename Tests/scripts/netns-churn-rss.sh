#!/usr/bin/env bash
# Namespace churn against twmond's memory: a twmond watching every network namespace
# (scan.namespaces = "all", interval 0.1 s, alert at 2 TIME_WAIT) runs in a private namespace
# while Tests/scripts/netns-churn.py makes 10 000 short-lived namespaces, each with a listener
# that closes 3 connections first and so raises its alert, then dies (`namespace gone`).
#
#   netns-churn-rss.sh [BIN_DIR [WARM_UP [CHURN [MAX_GROWTH_KIB]]]]    (defaults: .build/debug 2000 8000 4096)
#
# Prints VmRSS after the WARM_UP first namespaces and after the CHURN next ones, and fails when
# it grew by MAX_GROWTH_KIB or more, when no namespace of the churn raised its alert, or when
# alerts of gone namespaces are still active. Run alone (make test runs it after the suites):
# 10 000 namespaces made and destroyed take a minute of both cores. Needs root.
set -euo pipefail
bin=${1:-.build/debug} warm=${2:-2000} churn=${3:-8000} max_growth=${4:-4096}
here=$(cd "$(dirname "$0")" && pwd)
if [ "${TWMON_CHURN_IN_NETNS:-}" != 1 ]; then
    exec env TWMON_CHURN_IN_NETNS=1 unshare -n "$0" "$bin" "$warm" "$churn" "$max_growth"
fi
ip link set lo up
work=$(mktemp -d)
cleanup() {
    kill "${daemon:-}" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/twmond.toml" <<'TOML'
[scan]
interval = 0.1
namespaces = "all"
[alert]
time_wait_threshold = 2
sustain = 1
repeat = 0
[log]
level = "warning"
TOML
"$bin/twmond" --config "$work/twmond.toml" --socket "$work/control.sock" 2>"$work/twmond.log" &
daemon=$!
for _ in $(seq 300); do "$bin/twmonctl" status --socket "$work/control.sock" >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$daemon/status"; }

python3 "$here/netns-churn.py" "$warm" 50 0.3 3 | tail -1
before=$(rss)
echo "VmRSS ${before} KiB after the first $warm namespaces"
# The rest in five parts, to show where memory goes.
part=$((churn / 5))
for i in 1 2 3 4 5; do
    python3 "$here/netns-churn.py" "$part" 50 0.3 3 | tail -1
    echo "VmRSS $(rss) KiB after $((warm + i * part)) namespaces"
done
sleep 1
after=$(rss)
raised=$(grep -c 'TWMON_EVENT=raised' "$work/twmond.log" || true)
gone=$(grep -c 'TWMON_CLEAR_REASON=namespace_gone' "$work/twmond.log" || true)
active=$("$bin/twmonctl" alerts --json --socket "$work/control.sock" |
    python3 -c 'import json, sys; print(sum(1 for a in json.load(sys.stdin)["alerts"] if not a["netns"]["own"]))')
echo "netns churn: $((warm + churn)) namespaces; VmRSS ${before} KiB after $warm, ${after} KiB after $((warm + churn)) (growth $((after - before)) KiB, limit $max_growth); $raised raised, $gone cleared as namespace_gone, $active still active in other namespaces"
kill -0 "$daemon" || { echo "twmond died: $(tail -5 "$work/twmond.log")" >&2; exit 1; }
((after - before < max_growth)) || { echo "FAIL: VmRSS grew by $((after - before)) KiB" >&2; exit 1; }
((raised > 0)) || { echo "FAIL: no namespace of the churn raised its alert: twmond saw none of them" >&2; exit 1; }
((gone > 0)) || { echo "FAIL: no alert cleared as namespace_gone" >&2; exit 1; }
# Namespaces other runs hold open may be alive meanwhile; the churn's own are all gone.
((active < 10)) || { echo "FAIL: $active alerts still active in other namespaces after the churn ended" >&2; exit 1; }
