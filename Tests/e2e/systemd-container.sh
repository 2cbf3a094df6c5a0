#!/usr/bin/env bash
# End-to-end test of the Debian package under a real systemd, on a machine that never saw
# Swift: builds dist/twmon_<version>_amd64.deb with `make deb` (release binaries with the Swift
# runtime linked in, lintian-checked), takes a copy of a minimal debootstrapped Debian 12 root
# (Tests/e2e/debian-root.sh, cached), boots it with systemd-nspawn in its own network namespace,
# and lets a oneshot unit inside (Tests/e2e/checks.sh) install the package with apt-get and test
# it as an operator would: units active straight after the install, ldd, memory, man pages,
# notify start, socket activation, journal alerts with catalog, reload, watchdog, clean stop,
# sandbox, then upgrade and purge. Run by `make test-e2e` (and `make test` when root or CI).
#
#   Tests/e2e/systemd-container.sh
#     E2E_ARTIFACTS  where results and evidence go (default ci-artifacts/e2e)
#     E2E_TIMEOUT    seconds before the container is killed (default 420)
#
# Exit 0 only if all checks passed. Never boots systemd on the host or in a bare unshare (its
# tmpfiles clean-up would empty the host's /tmp): only nspawn, only on a copy of the root.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
artifacts=${E2E_ARTIFACTS:-$repo/ci-artifacts/e2e}
limit=${E2E_TIMEOUT:-420}
machine=twmon-e2e-$$
checks=(0-package-install 1-ready-notify 2-socket-activation 3-alert-journal 3b-owner-unit 3c-private-namespace 4-reload 5-watchdog 6-clean-stop 7-sandbox 7b-metrics-socket 8-upgrade-purge)
started=$SECONDS

say() { echo "e2e: $*"; }
die() { echo "e2e: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (systemd-nspawn, debootstrap); run: sudo make test-e2e"
command -v systemd-nspawn >/dev/null || die "systemd-nspawn missing; install it: apt-get install -y systemd-container"

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
mkdir -p "$artifacts/evidence"

# --- The package, as an operator gets it ---------------------------------------------------------
say "make deb"
make -C "$repo" --no-print-directory deb >"$artifacts/make-deb.log" 2>&1 ||
    { tail -n 40 "$artifacts/make-deb.log"; die "make deb failed (log: $artifacts/make-deb.log)"; }
debs=("$repo"/dist/twmon_*_amd64.deb)
((${#debs[@]} == 1)) && [ -f "${debs[0]}" ] || die "make deb did not leave exactly one dist/twmon_*_amd64.deb"
deb=${debs[0]}
loadgen=$repo/.build/release/twmon-loadgen
[ -x "$loadgen" ] || die "$loadgen missing after the release build"
# What minbase cannot show (no readelf there): no RUNPATH or RPATH into a toolchain.
dpkg-deb -x "$deb" "$work/unpacked"
for binary in usr/sbin/twmond usr/bin/twmonctl; do
    readelf -d "$work/unpacked/$binary" >"$artifacts/evidence/readelf-$(basename "$binary").txt"
    if grep -E 'R(UN)?PATH' "$artifacts/evidence/readelf-$(basename "$binary").txt" | grep -v '\[\$ORIGIN\]' | grep -q .; then
        die "/$binary has a library search path other than \$ORIGIN: $(grep -E 'R(UN)?PATH' "$artifacts/evidence/readelf-$(basename "$binary").txt")"
    fi
done

# --- A Debian 12 root without Swift, copied so every run starts from the same state ----------------
say "Debian 12 root (Tests/e2e/debian-root.sh)"
cached_root=$("$repo/Tests/e2e/debian-root.sh")
root=$work/root
cp -a "$cached_root" "$root"
if find "$root" -name 'libswiftCore.so*' -print -quit | grep -q .; then die "the test root contains a Swift runtime"; fi
# A machine ID, so systemd does not take this for a first boot and apply presets to every unit.
systemd-id128 new >"$root/etc/machine-id"
mkdir -p "$work/tools" "$work/pkg" "$root/etc/systemd/system/twmond.service.d"
cp "$repo/Tests/e2e/checks.sh" "$loadgen" "$work/tools/"
cp "$deb" "$work/pkg/"
# Short watchdog so check 5 takes seconds, not the shipped 30 s (an administrator's drop-in,
# in place before the package arrives).
printf '[Service]\nWatchdogSec=6s\n' >"$root/etc/systemd/system/twmond.service.d/e2e-watchdog.conf"
cat >"$root/etc/systemd/system/twmon-e2e-check.service" <<'UNIT'
[Unit]
Description=twmon end-to-end checks
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/e2e/tools/checks.sh
StandardOutput=journal+console
StandardError=journal+console
UNIT

binds=(
    "--bind-ro=$work/tools:/e2e/tools"
    "--bind-ro=$work/pkg:/e2e/pkg"
    "--bind=$artifacts:/e2e/results"
)

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
systemd-nspawn -D "$root" -b --register=no --keep-unit --console=pipe --private-network \
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
