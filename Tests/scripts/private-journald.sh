# Sourced by the journald test scripts, inside `unshare -m -n --propagation private`: a
# private /run and journal with a systemd-journald of their own (never the host's), loopback
# up, and helpers that read twmond's entries from it.
#
#   journal [MATCH...]                     twmond's entries as JSON lines
#   wait_for MESSAGE_ID FIELD=VALUE SECS   until such an entry is there (status 1 on timeout)
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/journal /var/log/journal
mount -t tmpfs tmpfs /var/log/journal
ip link set lo up

/lib/systemd/systemd-journald &
journald=$!
for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.05; done

journal() { journalctl --no-pager -o json SYSLOG_IDENTIFIER=twmond "$@" 2>/dev/null || true; }
wait_for() { # MESSAGE_ID FIELD=VALUE seconds
    for _ in $(seq $(($3 * 10))); do
        journal "MESSAGE_ID=$1" "$2" | grep -q . && return 0
        sleep 0.1
    done
    echo "timed out waiting for $1 $2" >&2
    return 1
}
