#!/usr/bin/env bash
# End-to-end test under a real systemd: installs twmon with `make install` into a staging
# directory, boots systemd in a throw-away container over the host's /usr
# (systemd-nspawn --volatile=yes, own network namespace), binds the installed files into
# place, and lets a oneshot unit inside (Tests/e2e/checks.sh) test the daemon as an operator
# would: socket + notify start, socket activation, journal alerts with catalog, reload,
# watchdog, clean stop, sandbox. Run by `make test-e2e` (and `make test` when root or CI).
#
#   Tests/e2e/systemd-container.sh
#     E2E_ARTIFACTS  where results and evidence go (default ci-artifacts/e2e)
#     E2E_TIMEOUT    seconds before the container is killed (default 300)
#
# Exit 0 only if all seven checks passed. Never boots systemd on the host or in a bare
# unshare (its tmpfiles clean-up would empty the host's /tmp): only nspawn, only --volatile.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
artifacts=${E2E_ARTIFACTS:-$repo/ci-artifacts/e2e}
limit=${E2E_TIMEOUT:-300}
machine=twmon-e2e-$$
checks=(1-ready-notify 2-socket-activation 3-alert-journal 4-reload 5-watchdog 6-clean-stop 7-sandbox)
started=$SECONDS

say() { echo "e2e: $*"; }
die() { echo "e2e: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (systemd-nspawn); run: sudo make test-e2e"
command -v systemd-nspawn >/dev/null || die "systemd-nspawn missing; install it: apt-get install -y systemd-container"
for tool in ss python3; do
    [ -x "/usr/bin/$tool" ] || die "/usr/bin/$tool missing (the container sees only the host's /usr); apt-get install -y iproute2 python3"
done

work=$(mktemp -d /tmp/twmon-e2e.XXXXXX)
nspawn=""
container_init=""

cleanup() {
    local status=$?
    if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
        say "stopping the container (nspawn PID $nspawn)"
        kill -TERM "$nspawn" 2>/dev/null || true
        for _ in $(seq 20); do kill -0 "$nspawn" 2>/dev/null || break; sleep 1; done
        kill -KILL "$nspawn" 2>/dev/null || true
        wait "$nspawn" 2>/dev/null || true
    fi
    # SIGKILL to the container's init ends its whole PID namespace.
    if [ -n "$container_init" ] && kill -0 "$container_init" 2>/dev/null; then
        kill -KILL "$container_init" 2>/dev/null || true
    fi
    rmdir "/run/systemd/nspawn/propagate/$machine" 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$artifacts"
mkdir -p "$artifacts"

# --- Install, as an operator would (release build; incremental, reuses .build/release) ---------
stage=$work/stage
say "make install DESTDIR=$stage PREFIX=/usr/local"
make -C "$repo" --no-print-directory install DESTDIR="$stage" PREFIX=/usr/local >"$artifacts/make-install.log" 2>&1 ||
    { tail -n 40 "$artifacts/make-install.log"; die "make install failed (log: $artifacts/make-install.log)"; }
for file in usr/local/bin/twmond usr/local/bin/twmonctl usr/local/lib/systemd/system/twmond.service \
    usr/local/lib/systemd/system/twmond.socket usr/local/lib/systemd/catalog/twmond.catalog etc/twmond/twmond.toml; do
    [ -e "$stage/$file" ] || die "make install did not install /$file"
done
loadgen=$repo/.build/release/twmon-loadgen
[ -x "$loadgen" ] || die "$loadgen missing after the release build"

# The test configuration: the installed file with small numbers, so alerts come in seconds.
mkdir -p "$work/etc-twmond" "$work/tools" "$work/system/twmond.service.d"
sed -e 's/^interval = .*/interval = 1.0/' -e 's/^time_wait_threshold = .*/time_wait_threshold = 200/' \
    -e 's/^sustain = .*/sustain = 2/' -e 's/^repeat = .*/repeat = 0/' \
    "$stage/etc/twmond/twmond.toml" >"$work/etc-twmond/twmond.toml"
"$stage/usr/local/bin/twmond" --check-config --config "$work/etc-twmond/twmond.toml" >"$artifacts/test-config.txt" ||
    die "the test configuration is invalid: $(cat "$artifacts/test-config.txt")"
for expected in 'interval = 1' 'time_wait_threshold = 200' 'sustain = 2' 'repeat = 0'; do
    grep -q "^$expected" "$artifacts/test-config.txt" || die "test configuration lacks '$expected' (see $artifacts/test-config.txt)"
done

# A machine ID, so systemd does not take this for a first boot and enable every unit by preset
# (the checks enable and start twmond themselves, as an operator would).
systemd-id128 new >"$work/machine-id"
cp "$repo/Tests/e2e/checks.sh" "$loadgen" "$work/tools/"
# Short watchdog so check 5 takes seconds, not the shipped 30 s.
printf '[Service]\nWatchdogSec=6s\n' >"$work/system/twmond.service.d/e2e-watchdog.conf"
cat >"$work/system/twmon-e2e-check.service" <<'EOF'
[Unit]
Description=twmon end-to-end checks
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/e2e/tools/checks.sh
StandardOutput=journal+console
StandardError=journal+console
EOF

binds=(
    "--bind-ro=$work/machine-id:/etc/machine-id"
    "--bind-ro=$stage/usr/local:/usr/local"
    "--bind=$work/etc-twmond:/etc/twmond"
    "--bind-ro=$work/system/twmon-e2e-check.service:/etc/systemd/system/twmon-e2e-check.service"
    "--bind-ro=$work/system/twmond.service.d:/etc/systemd/system/twmond.service.d"
    "--bind-ro=$work/tools:/e2e/tools"
    "--bind=$artifacts:/e2e/results"
)
# A toolchain-linked build needs the Swift runtime libraries the binaries were linked against.
for lib in $(ldd "$stage/usr/local/bin/twmond" "$loadgen" | awk '$3 ~ /^\// { print $3 }' | grep -v '^/usr/\|^/lib' | xargs -r -n1 dirname | sort -u); do
    binds+=("--bind-ro=$lib")
done

# The container's PID 1: the child of nspawn that is PID 1 in its own PID namespace.
find_container_init() {
    local child
    for child in $(cat /proc/"$nspawn"/task/*/children 2>/dev/null); do
        [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$child/status" 2>/dev/null)" = 1 ] && { echo "$child"; return 0; }
    done
    return 1
}

# --- Boot ---------------------------------------------------------------------------------------
say "booting systemd in container $machine (timeout ${limit} s)"
systemd-nspawn -D / --volatile=yes -b --register=no --keep-unit --console=pipe --private-network \
    --machine="$machine" "${binds[@]}" -- systemd.wants=twmon-e2e-check.service \
    </dev/null >"$artifacts/console.log" 2>&1 &
nspawn=$!
deadline=$((SECONDS + limit))
timed_out=0
while kill -0 "$nspawn" 2>/dev/null; do
    [ -n "$container_init" ] || container_init=$(find_container_init) || true
    if ((SECONDS >= deadline)); then timed_out=1; break; fi
    sleep 1
done
if ((timed_out)); then
    say "timed out after ${limit} s; killing the container"
    kill -TERM "$nspawn" 2>/dev/null || true
    for _ in $(seq 15); do kill -0 "$nspawn" 2>/dev/null || break; sleep 1; done
    kill -KILL "$nspawn" 2>/dev/null || true
fi
nspawn_status=0
wait "$nspawn" || nspawn_status=$?
nspawn=""
if [ -n "$container_init" ] && kill -0 "$container_init" 2>/dev/null; then
    kill -KILL "$container_init" 2>/dev/null || true
fi
container_init=""

# --- Verdict -------------------------------------------------------------------------------------
results=$artifacts/results.txt
touch "$results"
problems=()
((timed_out)) && problems+=("the container did not finish within ${limit} s")
grep -q '^DONE$' "$results" || problems+=("the checks did not run to the end")
for check in "${checks[@]}"; do
    grep -q "^PASS $check " "$results" || problems+=("check $check: $(grep "^FAIL $check " "$results" | cut -c1-400 || echo missing)")
done
if [ -e "/run/systemd/nspawn/propagate/$machine" ] || grep -q "$machine" /proc/self/mountinfo; then
    problems+=("the container left /run/systemd/nspawn/propagate/$machine or a mount behind")
fi

echo "===== e2e results (container exit $nspawn_status, $((SECONDS - started)) s) ====="
grep -v '^DONE$' "$results" || true
if ((${#problems[@]})); then
    echo "===== e2e FAILED ====="
    printf '  - %s\n' "${problems[@]}"
    echo "===== checks.log (tail) ====="
    tail -n 60 "$artifacts/checks.log" 2>/dev/null || true
    echo "===== systemctl status ====="
    cat "$artifacts/evidence/systemctl-status.txt" 2>/dev/null || true
    echo "===== journalctl -b -p info (twmond, PID 1, tail) ====="
    grep -E 'twmond|systemd\[1\]' "$artifacts/evidence/journal-info.txt" 2>/dev/null | tail -n 60 || true
    echo "===== console (tail) ====="
    tail -n 30 "$artifacts/console.log" || true
    echo "(all evidence: $artifacts)"
    exit 1
fi
say "all ${#checks[@]} checks passed in $((SECONDS - started)) s (evidence: $artifacts)"
