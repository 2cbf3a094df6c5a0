#!/usr/bin/env bash
# The drop-in systemd/twmond.service.d/ebpf.conf under a real systemd (root): three oneshot units
# with twmond.service's whole sandbox run `twmon-bench events` (open the close-event source,
# print "ready", exit) in a throw-away systemd-nspawn container: with the drop-in it must open;
# with the drop-in minus SystemCallFilter=bpf it must name the seccomp filter; with the stock
# unit it must name the missing capabilities. The container gets CAP_BPF and CAP_PERFMON and
# lets bpf() through, as a host does. Usage: Tests/scripts/ebpf-dropin.sh [BIN_DIR] (.build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${1:-.build/release}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/units" "$work/out"
binds=()
for variant in ok nofilter none; do
    sed -e 's|^Type=notify|Type=oneshot|' -e "s|^ExecStart=.*|ExecStart=$bin/twmon-bench events|" \
        -e '/^ExecReload=/d;/^WatchdogSec=/d;/^Restart/d;/^Requires=/d;/^After=/d;/^Also=/d' \
        -e 's|^\[Install\]|StandardInput=null\n[Install]|' systemd/twmond.service >"$work/units/ebpf-$variant.service"
    binds+=(--bind-ro="$work/units/ebpf-$variant.service:/etc/systemd/system/ebpf-$variant.service")
done
mkdir -p "$work/units/ebpf-ok.service.d" "$work/units/ebpf-nofilter.service.d"
cp systemd/twmond.service.d/ebpf.conf "$work/units/ebpf-ok.service.d/"
grep -v '^SystemCallFilter' systemd/twmond.service.d/ebpf.conf >"$work/units/ebpf-nofilter.service.d/ebpf.conf"
binds+=(--bind-ro="$work/units/ebpf-ok.service.d:/etc/systemd/system/ebpf-ok.service.d"
        --bind-ro="$work/units/ebpf-nofilter.service.d:/etc/systemd/system/ebpf-nofilter.service.d")
cat >"$work/units/ebpf-report.service" <<'UNIT'
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for v in ok nofilter none; do systemctl start ebpf-$v.service; echo "== $v $(systemctl show -p ExecMainStatus --value ebpf-$v.service)"; journalctl -u ebpf-$v.service -o cat --no-pager | grep "^ready\\|twmon-bench:" | head -1; done >/out/report.txt 2>&1; systemctl poweroff --no-block'
UNIT
timeout 300 systemd-nspawn -D / --volatile=yes -b --register=no --keep-unit --console=pipe --private-network \
    --capability=CAP_BPF,CAP_PERFMON --system-call-filter=bpf "${binds[@]}" \
    --bind-ro="$work/units/ebpf-report.service:/etc/systemd/system/ebpf-report.service" \
    --bind-ro="$bin" --bind="$work/out:/out" -- systemd.wants=ebpf-report.service >"$work/boot.log" 2>&1 || true
cat "$work/out/report.txt"
report=$(cat "$work/out/report.txt")
grep -qzP '== ok 0\nready' <<<"$report"
grep -qzP '== nofilter 3\n[^\n]*seccomp system call filter refuses bpf\(\) \(EPERM\)' <<<"$report"
grep -qzP '== none 3\n[^\n]*CAP_BPF and CAP_PERFMON are missing' <<<"$report"
echo "ebpf.conf: opens with the drop-in, names the filter without SystemCallFilter=bpf, the capabilities without it"
