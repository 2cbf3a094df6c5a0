#!/usr/bin/env bash
# Prints the path of a minimal Debian 12 root that has never seen Swift, for the package
# end-to-end test: debootstrap --variant=minbase plus systemd and the few tools the checks use
# (iproute2 for ss, python3 for JSON, man-db for man). It is cached under the repository's
# ignored .build-e2e/ and made again when the package list changes; the mirror is the one this
# machine's own apt sources name (no host name lives in the repository).
#
#   Tests/e2e/debian-root.sh        prints the root's path (building it if needed); needs root
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=$repo/.build-e2e
root=$cache/debian-12-root
include=systemd,systemd-sysv,dbus,iproute2,python3,man-db,procps
stamp="bookworm minbase $include"

if [ -f "$root.stamp" ] && [ "$(cat "$root.stamp")" = "$stamp" ] && [ -x "$root/lib/systemd/systemd" ]; then
    echo "$root"
    exit 0
fi

die() { echo "debian-root: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap)"
if ! command -v debootstrap >/dev/null; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
fi

# The first Debian (not security) mirror of this machine's apt sources, deb822 or one-line style.
mirror=$(
    { grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{ print $2 }'
      grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{ print $2 }'; } |
        grep -v security | head -n 1 || true
)
[ -n "$mirror" ] || die "no Debian mirror in /etc/apt/sources.list*"

rm -rf "$root" "$root.stamp"
mkdir -p "$cache"
echo "debian-root: debootstrap bookworm from this machine's mirror into $root" >&2
debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
# The root must be free of Swift for the test to mean anything.
if find "$root" -name 'libswiftCore.so*' -print -quit | grep -q .; then die "the new root contains a Swift runtime"; fi
echo "$stamp" >"$root.stamp"
echo "$root"
