#!/usr/bin/env bash
# The checks of the end-to-end test, run INSIDE the container that systemd-container.sh boots,
# as the oneshot twmon-e2e-check.service, by a real systemd (PID 1 of the container).
#
# It drives the installed twmond.socket/twmond.service the way an operator would and writes:
#   /e2e/results/results.txt   one "PASS|FAIL <check> <details>" line per check, then "DONE"
#   /e2e/results/checks.log    what each step did and saw
#   /e2e/results/evidence/     systemctl status/show, journals (text, -x, JSON), security report
# The container is a minimal Debian 12 (debootstrap minbase + systemd, iproute2, python3, man-db,
# procps) that has never seen Swift; the package arrives in /e2e/pkg and is installed with apt-get
# by check 0, exactly as an operator would. The container is powered off when the checks are
# done, whatever happened.
#
# Not `set -e`: a failed check is recorded and the next one still runs, so one run shows every
# problem. Each check returns non-zero with DETAIL saying what was expected and what was seen.
set -uo pipefail

readonly out=/e2e/results
readonly evidence=$out/evidence
readonly loadgen_bin=/e2e/tools/twmon-loadgen
readonly config=/etc/twmond/twmond.toml
readonly raised_id=b409c94814fd48d4b7a71e21b7432752
readonly cleared_id=a779194c3e234e67b1716dd035ad43b6
readonly reload_failed_id=535689ef080c4be1b69b827b0ecb44fd
readonly threshold=200 new_threshold=300
readonly unit_dir=/lib/systemd/system

mkdir -p "$evidence"
exec >>"$out/checks.log" 2>&1

DETAIL=""
LOADGEN=""
failed=0

log() { echo "[$(date +%T.%3N)] $*"; }
prop() { systemctl show -p "$2" --value "$1"; }
state() { echo "$(prop "$1" ActiveState)/$(prop "$1" SubState)"; }
# now, for journalctl --since. (Not --after-cursor: combined with matches, journalctl skips
# the first matching entry whenever the cursor's own entry does not match.)
mark() { date +@%s.%6N; }
# wait_until SECONDS COMMAND...: polls every 0.2 s.
wait_until() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        ((SECONDS >= deadline)) && return 1
        sleep 0.2
    done
}
# json_field FIELD: the field of the first JSON entry on stdin (journalctl -o json).
json_field() {
    python3 -c 'import json, sys
line = sys.stdin.readline()
print(json.loads(line).get(sys.argv[1], "") if line.strip() else "")' "$1"
}
status_json() { twmonctl status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
has_entry() { journalctl -u twmond.service "MESSAGE_ID=$1" "${@:2}" -o json --no-pager | grep -q .; }
# pid1_log [--since=MARK]: PID 1's messages about twmond.service (debug ones included).
pid1_log() { journalctl -b _PID=1 UNIT=twmond.service -o short-monotonic --no-pager "$@"; }

start_loadgen() { # ARGS...: runs twmon-loadgen --hold in the background until it printed ready
    "$loadgen_bin" "$@" --hold >"$evidence/loadgen.out" 2>&1 &
    LOADGEN=$!
    wait_until 20 grep -q ready "$evidence/loadgen.out"
}
stop_loadgen() {
    [ -n "$LOADGEN" ] || return 0
    kill "$LOADGEN" 2>/dev/null; wait "$LOADGEN" 2>/dev/null; LOADGEN=""
}

run_check() { # NAME FUNCTION
    DETAIL=""
    log "---- check $1"
    if "$2"; then
        echo "PASS $1 $DETAIL" >>"$out/results.txt"; log "PASS $1 $DETAIL"
    else
        echo "FAIL $1 $DETAIL" >>"$out/results.txt"; log "FAIL $1 $DETAIL"; failed=1
    fi
}

EVIDENCE_COLLECTED=0
collect_evidence() {
    ((EVIDENCE_COLLECTED)) && return 0
    EVIDENCE_COLLECTED=1
    log "collecting evidence"
    systemctl status --no-pager --full twmond.socket twmond.service >"$evidence/systemctl-status.txt" 2>&1
    systemctl show twmond.service >"$evidence/systemctl-show-service.txt" 2>&1
    systemctl show twmond.socket >"$evidence/systemctl-show-socket.txt" 2>&1
    systemctl list-units --all --no-pager >"$evidence/units.txt" 2>&1
    systemctl --failed --no-pager >"$evidence/failed-units.txt" 2>&1
    journalctl -b --no-pager >"$evidence/journal.txt" 2>&1
    journalctl -b -p info --no-pager >"$evidence/journal-info.txt" 2>&1
    journalctl -b -o json --no-pager >"$evidence/journal.json" 2>&1
    journalctl -b -x -u twmond.service -u twmond.socket --no-pager >"$evidence/journal-x-twmond.txt" 2>&1
    systemd-analyze security --no-pager twmond.service >"$evidence/security.txt" 2>&1
}

finish() {
    stop_loadgen
    collect_evidence
    echo DONE >>"$out/results.txt"
    log "done; powering off"
    systemctl poweroff --no-block
}
trap finish EXIT

# 0. The package installs with apt-get on a Debian 12 without Swift; twmond.socket and
#    twmond.service are enabled and active straight after the install; the binaries need only
#    Debian's libraries; the man pages, the conffile and the catalog are in place; twmond's
#    memory stays small.
check_install() {
    local debs=(/e2e/pkg/twmon_*_amd64.deb)
    [ -f "${debs[0]}" ] || { DETAIL="no package in /e2e/pkg"; return 1; }
    if compgen -G '/usr/lib/swift*' >/dev/null || find / -xdev -name 'libswiftCore.so*' -print -quit | grep -q .; then
        DETAIL="this root has a Swift runtime"; return 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${debs[0]}" >"$evidence/check0-apt-install.txt" 2>&1 ||
        { DETAIL="apt-get install failed: $(tail -3 "$evidence/check0-apt-install.txt" | tr '\n' ' ')"; return 1; }
    local svc sock en_svc en_sock
    svc=$(state twmond.service) sock=$(state twmond.socket)
    en_svc=$(systemctl is-enabled twmond.service) en_sock=$(systemctl is-enabled twmond.socket)
    [ "$svc" = active/running ] && [[ $sock == active/* ]] ||
        { DETAIL="straight after apt-get install: twmond.service $svc, twmond.socket $sock"; return 1; }
    [ "$en_svc" = enabled ] && [ "$en_sock" = enabled ] || { DETAIL="is-enabled: service $en_svc, socket $en_sock"; return 1; }
    twmonctl status >"$evidence/check0-status.txt" 2>&1 || { DETAIL="twmonctl status after the install: $(cat "$evidence/check0-status.txt")"; return 1; }
    local binary libs=""
    for binary in /usr/sbin/twmond /usr/bin/twmonctl; do
        ldd "$binary" >"$evidence/check0-ldd-${binary##*/}.txt" 2>&1 || { DETAIL="ldd $binary failed"; return 1; }
        if grep -q 'not found' "$evidence/check0-ldd-${binary##*/}.txt" ||
            grep -E '=> ' "$evidence/check0-ldd-${binary##*/}.txt" | grep -vE '=> /(usr/)?lib/x86_64-linux-gnu/' | grep -q .; then
            DETAIL="$binary links outside /lib and /usr/lib: $(tr '\n' ' ' <"$evidence/check0-ldd-${binary##*/}.txt")"; return 1
        fi
        libs+="${binary##*/}: $(grep -oE '^\s*lib[^ ]+' "$evidence/check0-ldd-${binary##*/}.txt" | tr -d '\t' | sort | tr '\n' ' ')"
    done
    local version package_version
    version=$(twmond --version) package_version=$(dpkg-query -W -f '${Version}' twmon)
    [ "$version" = "$package_version" ] && [ "$(twmonctl --version)" = "$package_version" ] ||
        { DETAIL="versions differ: twmond --version '$version', twmonctl --version '$(twmonctl --version)', package '$package_version'"; return 1; }
    local page
    for page in twmond twmonctl twmond.toml; do
        man -w "$page" >/dev/null 2>&1 || { DETAIL="man $page: no page"; return 1; }
    done
    man twmond 2>/dev/null | grep -q -- '--check-config' || { DETAIL="man twmond does not render the options"; return 1; }
    dpkg-query -W -f '${Conffiles}' twmon | grep -q ' /etc/twmond/twmond.toml ' ||
        { DETAIL="/etc/twmond/twmond.toml is not a conffile: $(dpkg-query -W -f '${Conffiles}' twmon)"; return 1; }
    # The catalog database was updated by the install (systemd's dpkg trigger), not by hand.
    journalctl --list-catalog 2>/dev/null | grep -q "^$raised_id " ||
        { DETAIL="the catalog database does not know $raised_id after the install"; return 1; }
    local pid rss
    sleep 2
    pid=$(prop twmond.service MainPID)
    rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
    cp "/proc/$pid/status" "$evidence/check0-proc-status.txt"
    DETAIL="apt-get install: twmond.service $svc, twmond.socket $sock, both enabled; version $version; ldd: $libs; man twmond/twmonctl/twmond.toml found; conffile /etc/twmond/twmond.toml; catalog knows $raised_id; twmond VmRSS ${rss} kB (idle, shipped configuration)"
    # The test configuration: the installed file with small numbers, so alerts come in seconds.
    sed -i -e 's/^interval = .*/interval = 1.0/' -e "s/^time_wait_threshold = .*/time_wait_threshold = $threshold/" \
        -e 's/^sustain = .*/sustain = 2/' -e 's/^repeat = .*/repeat = 0/' "$config"
    twmond --check-config --config "$config" >"$evidence/check0-test-config.txt" 2>&1 ||
        { DETAIL="the test configuration is invalid: $(cat "$evidence/check0-test-config.txt")"; return 1; }
    systemctl stop twmond.service twmond.socket
}

# 1. The socket and the service start; the service is active (running) only after READY=1
#    (PID 1's own debug log shows the order), and StatusText is the daemon's live line.
check_ready() {
    [ "$(state twmond.service)" = inactive/dead ] || { DETAIL="twmond.service is $(state twmond.service) before the test started it"; return 1; }
    systemctl log-level debug
    systemctl start twmond.socket twmond.service
    local rc=$?
    systemctl log-level info
    ((rc == 0)) || { DETAIL="systemctl start twmond.socket twmond.service failed (exit $rc)"; return 1; }
    pid1_log >"$evidence/check1-pid1.log"
    local pid type svc sock text
    pid=$(prop twmond.service MainPID) type=$(prop twmond.service Type)
    svc=$(state twmond.service) sock=$(state twmond.socket) text=$(prop twmond.service StatusText)
    [ "$type" = notify ] || { DETAIL="Type=$type, expected notify"; return 1; }
    [ "$svc" = active/running ] || { DETAIL="twmond.service is $svc"; return 1; }
    [ "$sock" = active/running ] || [ "$sock" = active/listening ] || { DETAIL="twmond.socket is $sock"; return 1; }
    # PID 1 logs "Got notification message from PID … (READY=1…)" and "Changed start -> running".
    local ready_at running_at
    ready_at=$(grep -n -m1 -E "Got notification message from PID $pid \(.*READY=1" "$evidence/check1-pid1.log" | cut -d: -f1)
    running_at=$(grep -n -m1 -E 'Changed start -> running' "$evidence/check1-pid1.log" | cut -d: -f1)
    [ -n "$ready_at" ] || { DETAIL="PID 1 never logged READY=1 from PID $pid (see evidence/check1-pid1.log)"; return 1; }
    [ -n "$running_at" ] || { DETAIL="PID 1 never logged 'Changed start -> running'"; return 1; }
    ((ready_at < running_at)) || { DETAIL="running (line $running_at) before READY=1 (line $ready_at)"; return 1; }
    local started active
    started=$(prop twmond.service ExecMainStartTimestampMonotonic) active=$(prop twmond.service ActiveEnterTimestampMonotonic)
    local status_pattern='^(OK, no alerts|[0-9]+ alerts?: .*); [0-9]+ sockets, [0-9]+ TIME_WAIT, [0-9]+ server ports, scan [0-9]+ ms'
    [[ $text =~ $status_pattern ]] || { DETAIL="StatusText '$text' is not the daemon's status line"; return 1; }
    sleep 2.5
    local scans_before scans_after
    scans_before=$(status_json scan_count 2>/dev/null) || true
    sleep 1.5
    scans_after=$(status_json scan_count 2>/dev/null) || true
    ((${scans_after:-0} > ${scans_before:-0})) || { DETAIL="not scanning: scan_count '$scans_before' -> '$scans_after'"; return 1; }
    # scan.source = "auto" (the default) finds sock_diag usable inside the hardened unit.
    local source; source=$(status_json source)
    [ "$source" = netlink ] || { DETAIL="GetStatus.source is '$source' under the shipped unit, expected netlink (auto)"; return 1; }
    journalctl -u twmond.service --no-pager | grep -q "scan source: netlink" ||
        { DETAIL="no 'scan source: netlink' line in the journal"; return 1; }
    DETAIL="Type=notify, twmond.service $svc (MainPID $pid), twmond.socket $sock; PID 1 log: READY=1 (line $ready_at) before 'start -> running' (line $running_at), $(( (active - started) / 1000 )) ms after exec; StatusText='$text'; scan_count $scans_before -> $scans_after; source auto -> $source"
}

# 2. Socket activation: with the service stopped, a twmonctl call through /run/twmond.sock
#    starts it again.
check_socket_activation() {
    local old new svc
    old=$(prop twmond.service MainPID)
    systemctl stop twmond.service
    svc=$(state twmond.service)
    [ "$svc" = inactive/dead ] || { DETAIL="after stop: twmond.service is $svc"; return 1; }
    [ "$(state twmond.socket)" = active/listening ] || { DETAIL="after stopping the service, twmond.socket is $(state twmond.socket)"; return 1; }
    [ -S /run/twmond.sock ] || { DETAIL="/run/twmond.sock missing"; return 1; }
    local reply rc
    reply=$(twmonctl status 2>&1); rc=$?
    echo "$reply" >"$evidence/check2-twmonctl-status.txt"
    ((rc == 0)) || { DETAIL="twmonctl status exit $rc: $reply"; return 1; }
    svc=$(state twmond.service) new=$(prop twmond.service MainPID)
    [ "$svc" = active/running ] || { DETAIL="after twmonctl: twmond.service is $svc"; return 1; }
    [ "$new" != "$old" ] && [ "$new" != 0 ] || { DETAIL="MainPID $old -> $new"; return 1; }
    DETAIL="stopped (inactive/dead, socket still listening); 'twmonctl status' exit 0 -> twmond.service active/running, MainPID $old -> $new; reply: '$(head -1 <<<"$reply")'"
}

# 3. TIME_WAIT load above the threshold on a listening port raises the journal alert with its
#    fields and catalog text; removing the load clears it.
check_alert() {
    start_loadgen --listen 127.0.0.1 --port 8080 --time-wait 400 --established 3 ||
        { DETAIL="twmon-loadgen did not become ready: $(cat "$evidence/loadgen.out")"; return 1; }
    log "loadgen: $(head -1 "$evidence/loadgen.out")"
    wait_until 30 has_entry "$raised_id" ||
        { DETAIL="no MESSAGE_ID=$raised_id entry within 30 s; StatusText '$(prop twmond.service StatusText)'"; return 1; }
    local text; text=$(prop twmond.service StatusText)
    local entry; entry=$(journalctl -u twmond MESSAGE_ID=$raised_id -o json --no-pager | head -1)
    echo "$entry" >"$evidence/check3-raised.json"
    local field value summary=""
    local -A E=()
    for field in TWMON_PORT TWMON_TIME_WAIT TWMON_THRESHOLD TWMON_ESTABLISHED TWMON_TOP_PEERS PRIORITY SYSLOG_IDENTIFIER TWMON_EVENT _SYSTEMD_UNIT; do
        value=$(json_field "$field" <<<"$entry")
        summary+="$field=$value "
        E[$field]=$value
    done
    [ "${E[TWMON_PORT]}" = 8080 ] && [ "${E[TWMON_THRESHOLD]}" = $threshold ] && [ "${E[PRIORITY]}" = 4 ] &&
        [ "${E[TWMON_EVENT]}" = raised ] && [ "${E[SYSLOG_IDENTIFIER]}" = twmond ] && [ "${E[TWMON_ESTABLISHED]}" = 3 ] &&
        [ "${E[TWMON_TIME_WAIT]}" -ge $threshold ] && [[ ${E[TWMON_TOP_PEERS]} =~ ^127\.0\.0\.1=[0-9]+ ]] &&
        [ "${E[TWMON_TIME_WAIT]}" -le 400 ] && [ "${E[_SYSTEMD_UNIT]}" = twmond.service ] ||
        { DETAIL="raised entry fields wrong: $summary"; return 1; }
    [[ $text == *":8080 TIME_WAIT "* ]] || { DETAIL="StatusText does not show the alert: '$text'"; return 1; }
    journalctl -x -u twmond MESSAGE_ID=$raised_id --no-pager >"$evidence/check3-journal-x.txt"
    grep -qE "Subject: Server port 8080 \(.*\) piles up TIME_WAIT" "$evidence/check3-journal-x.txt" &&
        grep -q "tcp_max_tw_buckets" "$evidence/check3-journal-x.txt" &&
        grep -qE "Top peers: +127\.0\.0\.1=" "$evidence/check3-journal-x.txt" ||
        { DETAIL="journalctl -x shows no catalog text (see evidence/check3-journal-x.txt)"; return 1; }
    local catalog_lines; catalog_lines=$(grep -c '░░' "$evidence/check3-journal-x.txt")
    # Drop the load: the listener goes at once, the TIME_WAIT sockets expire after 60 s.
    stop_loadgen
    local dropped=$SECONDS
    wait_until 100 has_entry "$cleared_id" ||
        { DETAIL="no MESSAGE_ID=$cleared_id entry within 100 s of dropping the load; StatusText '$(prop twmond.service StatusText)'"; return 1; }
    local cleared; cleared=$(journalctl -u twmond MESSAGE_ID=$cleared_id -o json --no-pager | head -1)
    echo "$cleared" >"$evidence/check3-cleared.json"
    local c_port c_priority c_event c_message raised_count
    c_port=$(json_field TWMON_PORT <<<"$cleared") c_priority=$(json_field PRIORITY <<<"$cleared")
    c_event=$(json_field TWMON_EVENT <<<"$cleared") c_message=$(json_field MESSAGE <<<"$cleared")
    [ "$c_port" = 8080 ] && [ "$c_priority" = 5 ] && [ "$c_event" = cleared ] ||
        { DETAIL="cleared entry fields wrong: TWMON_PORT=$c_port PRIORITY=$c_priority TWMON_EVENT=$c_event"; return 1; }
    raised_count=$(journalctl -u twmond MESSAGE_ID=$raised_id -o json --no-pager | grep -c .)
    [ "$raised_count" = 1 ] || { DETAIL="$raised_count raised entries for one transition (repeat = 0)"; return 1; }
    DETAIL="raised: ${summary% }; StatusText '$text'; journalctl -x: $catalog_lines catalog lines incl. 'Subject: Server port 8080 (…) piles up TIME_WAIT'; cleared $((SECONDS - dropped)) s after the load went: PRIORITY=5 '$c_message'; 1 raised entry in all"
}

# 3b. The owner: a server started as the transient unit demo-web.service is named in its alert
#     (TWMON_UNIT, TWMON_CGROUP, MESSAGE) and in twmonctl ports --json, by the shipped hardened
#     twmond (DynamicUser, no capabilities, ProtectControlGroups=yes), which finds the container's
#     cgroup2 mount itself; TWMON_CLOSE_RATE is the rate of the last minute (400 closes: 6.7/s).
check_owner() {
    local since; since=$(mark)
    systemd-run --unit=demo-web --quiet "$loadgen_bin" --listen 127.0.0.1 --port 8081 --time-wait 400 --hold ||
        { DETAIL="systemd-run --unit=demo-web failed"; return 1; }
    local entry="" ports unit cgroup rate message
    if wait_until 30 has_entry "$raised_id" TWMON_PORT=8081; then
        entry=$(journalctl -u twmond MESSAGE_ID=$raised_id TWMON_PORT=8081 -o json --no-pager | head -1)
    fi
    ports=$(twmonctl ports --json --listening 2>&1)
    echo "$entry" >"$evidence/check3b-raised.json"
    echo "$ports" >"$evidence/check3b-ports.json"
    journalctl -u twmond --since="$since" --no-pager >"$evidence/check3b-twmond.log"
    systemctl stop demo-web.service
    [ -n "$entry" ] || { DETAIL="no raised entry for port 8081 within 30 s; StatusText '$(prop twmond.service StatusText)'; twmond log: $(tail -3 "$evidence/check3b-twmond.log" | tr '\n' ' ')"; return 1; }
    unit=$(json_field TWMON_UNIT <<<"$entry") cgroup=$(json_field TWMON_CGROUP <<<"$entry")
    rate=$(json_field TWMON_CLOSE_RATE <<<"$entry") message=$(json_field MESSAGE <<<"$entry")
    [ "$unit" = demo-web.service ] && [[ $cgroup == */demo-web.service ]] && [[ $message == "port 8081 (demo-web.service): "* ]] ||
        { DETAIL="raised entry: TWMON_UNIT='$unit' TWMON_CGROUP='$cgroup' MESSAGE='$message'; cgroup2 at '$(findmnt -n -t cgroup2 -o TARGET | tr '\n' ' ')'; twmond log: $(grep -i owner "$evidence/check3b-twmond.log" | tail -2)"; return 1; }
    [ "$rate" = 6.7 ] || { DETAIL="TWMON_CLOSE_RATE='$rate', expected 6.7 (400 closes within the last minute)"; return 1; }
    python3 -c 'import json, sys
ports = {p["port"]: p for p in json.loads(sys.argv[1])["ports"]}
p = ports[8081]
assert p.get("unit") == "demo-web.service" and p["cgroup"].endswith("/demo-web.service"), p' "$ports" ||
        { DETAIL="twmonctl ports --json does not name demo-web.service on 8081: $ports"; return 1; }
    DETAIL="systemd-run --unit=demo-web: raised TWMON_UNIT=$unit TWMON_CGROUP=$cgroup TWMON_CLOSE_RATE=$rate; MESSAGE '$message'; ports --json names it; cgroup2 mount in the container: $(findmnt -n -t cgroup2 -o TARGET | tr '\n' ' ')"
}

# 3c. A server in a network namespace of its own (a unit with PrivateNetwork=yes) that closes
#     first: the hardened, unprivileged twmond sees it through /proc/PID/net, names the namespace
#     after demo-private.service and raises the alert there; when the unit stops, the namespace
#     is gone and the alert clears with that reason.
check_private_namespace() {
    local since; since=$(mark)
    systemd-run --unit=demo-private -p PrivateNetwork=yes --quiet "$loadgen_bin" --listen 127.0.0.1 --port 8082 --time-wait 400 --hold ||
        { DETAIL="systemd-run --unit=demo-private -p PrivateNetwork=yes failed"; return 1; }
    local entry="" ports netns port unit message cleared="" reason
    if wait_until 40 has_entry "$raised_id" TWMON_NETNS=demo-private.service; then
        entry=$(journalctl -u twmond MESSAGE_ID=$raised_id TWMON_NETNS=demo-private.service -o json --no-pager | head -1)
    fi
    ports=$(twmonctl ports --json --netns demo-private.service 2>&1)
    echo "$entry" >"$evidence/check3c-raised.json"
    echo "$ports" >"$evidence/check3c-ports.json"
    twmonctl ports --listening >"$evidence/check3c-ports.txt" 2>&1
    journalctl -u twmond --since="$since" --no-pager >"$evidence/check3c-twmond.log"
    [ -n "$entry" ] || { systemctl stop demo-private.service; DETAIL="no raised entry with TWMON_NETNS=demo-private.service within 40 s; StatusText '$(prop twmond.service StatusText)'; twmond log: $(tail -3 "$evidence/check3c-twmond.log" | tr '\n' ' ')"; return 1; }
    netns=$(json_field TWMON_NETNS <<<"$entry") port=$(json_field TWMON_PORT <<<"$entry")
    unit=$(json_field TWMON_UNIT <<<"$entry") message=$(json_field MESSAGE <<<"$entry")
    [ "$netns" = demo-private.service ] && [ "$port" = 8082 ] && [ "$unit" = demo-private.service ] &&
        [[ $message == "port 8082 in demo-private.service: "* ]] ||
        { systemctl stop demo-private.service; DETAIL="raised entry: TWMON_NETNS='$netns' TWMON_PORT='$port' TWMON_UNIT='$unit' MESSAGE='$message'"; return 1; }
    python3 -c 'import json, sys
ports = {p["port"]: p for p in json.loads(sys.argv[1])["ports"]}
p = ports[8082]
assert p["netns"]["name"] == "demo-private.service" and p["netns"]["own"] is False, p
assert p["netns"].get("unit") == "demo-private.service", p
assert p["states"]["TIME_WAIT"] >= 200, p' "$ports" ||
        { systemctl stop demo-private.service; DETAIL="twmonctl ports --json --netns demo-private.service: $ports"; return 1; }
    systemctl stop demo-private.service
    if wait_until 30 has_entry "$cleared_id" TWMON_NETNS=demo-private.service; then
        cleared=$(journalctl -u twmond MESSAGE_ID=$cleared_id TWMON_NETNS=demo-private.service -o json --no-pager | head -1)
    fi
    echo "${cleared:-}" >"$evidence/check3c-cleared.json"
    reason=$(json_field TWMON_CLEAR_REASON <<<"${cleared:-}")
    [ "$reason" = namespace_gone ] ||
        { DETAIL="after stopping demo-private.service: cleared entry '${cleared:-none}' (TWMON_CLEAR_REASON='$reason', expected namespace_gone)"; return 1; }
    DETAIL="systemd-run -p PrivateNetwork=yes --unit=demo-private: raised in its own namespace, TWMON_NETNS=$netns TWMON_UNIT=$unit; MESSAGE '$message'; ports --json --netns names it; stopped: cleared with TWMON_CLEAR_REASON=$reason"
}

# 4. systemctl reload with a changed threshold takes effect; a broken file keeps the old one.
check_reload() {
    local pid before after since
    pid=$(prop twmond.service MainPID) before=$(status_json time_wait_threshold)
    sed -i "s/^time_wait_threshold = $threshold\$/time_wait_threshold = $new_threshold/" "$config"
    grep -q "^time_wait_threshold = $new_threshold\$" "$config" || { DETAIL="could not edit $config"; return 1; }
    since=$(mark)
    systemctl log-level debug
    systemctl reload twmond || { systemctl log-level info; DETAIL="systemctl reload failed"; return 1; }
    wait_until 10 eval '[ "$(status_json time_wait_threshold)" = $new_threshold ]'
    local took=$?
    systemctl log-level info
    after=$(status_json time_wait_threshold)
    ((took == 0)) || { DETAIL="threshold $before -> $after after a reload with $new_threshold"; return 1; }
    pid1_log --since="$since" >"$evidence/check4-pid1.log"
    grep -qE "Got notification message from PID $pid \(.*RELOADING=1" "$evidence/check4-pid1.log" ||
        { DETAIL="PID 1 saw no RELOADING=1 from PID $pid (see evidence/check4-pid1.log)"; return 1; }
    journalctl -u twmond --since="$since" --no-pager | grep -q "configuration reloaded" ||
        { DETAIL="no 'configuration reloaded' log line"; return 1; }
    # A broken file: an unknown key (and a threshold that must not be applied).
    cp "$config" /tmp/twmond.toml.valid
    sed -i "s/^time_wait_threshold = $new_threshold\$/time_wait_threshold = 999\nno_such_key = 1/" "$config"
    since=$(mark)
    systemctl reload twmond || { DETAIL="systemctl reload (broken file) failed"; return 1; }
    wait_until 10 eval 'journalctl -u twmond --since="$since" MESSAGE_ID=$reload_failed_id -o json --no-pager | grep -q .' ||
        { DETAIL="no reload-failed entry (MESSAGE_ID=$reload_failed_id) for the broken file"; return 1; }
    sleep 1.5
    local failed_entry svc newpid kept text
    failed_entry=$(journalctl -u twmond --since="$since" MESSAGE_ID=$reload_failed_id -o json --no-pager | head -1)
    echo "$failed_entry" >"$evidence/check4-reload-failed.json"
    svc=$(state twmond.service) newpid=$(prop twmond.service MainPID) kept=$(status_json time_wait_threshold)
    text=$(prop twmond.service StatusText)
    [ "$svc" = active/running ] && [ "$newpid" = "$pid" ] && [ "$kept" = $new_threshold ] ||
        { DETAIL="after the broken reload: $svc, MainPID $pid -> $newpid, threshold $kept"; return 1; }
    [ "$(json_field PRIORITY <<<"$failed_entry")" = 3 ] || { DETAIL="reload-failed entry not PRIORITY=3"; return 1; }
    [[ $text == *"reload failed"* ]] || { DETAIL="StatusText does not say the reload failed: '$text'"; return 1; }
    # Put the valid file back (the watchdog restart below reads it) and reload.
    cp /tmp/twmond.toml.valid "$config"
    systemctl reload twmond
    wait_until 10 eval '[[ "$(prop twmond.service StatusText)" != *"reload failed"* ]]' ||
        { DETAIL="'reload failed' stays in StatusText after a good reload"; return 1; }
    DETAIL="threshold $before -> $after via 'systemctl reload' (same MainPID $pid, RELOADING=1 seen by PID 1); broken file (unknown key): still $svc, MainPID $newpid, threshold $kept, PRIORITY=3 '$(json_field MESSAGE <<<"$failed_entry")', StatusText '$text'"
}

# 5. A frozen daemon misses its watchdog; systemd kills and restarts it, and it serves again.
check_watchdog() {
    local pid restarts watchdog since
    pid=$(prop twmond.service MainPID) restarts=$(prop twmond.service NRestarts) watchdog=$(prop twmond.service WatchdogUSec)
    since=$(mark)
    log "freezing MainPID $pid (WatchdogUSec=$watchdog, NRestarts=$restarts)"
    kill -STOP "$pid"
    local frozen=$SECONDS saw_watchdog="" result
    local deadline=$((SECONDS + 40))
    while ((SECONDS < deadline)); do
        result=$(prop twmond.service Result)
        [ "$result" = watchdog ] && saw_watchdog="Result=watchdog ($(state twmond.service))"
        if [ "$(prop twmond.service NRestarts)" = 1 ] && [ "$(state twmond.service)" = active/running ] &&
            [ "$(prop twmond.service MainPID)" != "$pid" ]; then
            break
        fi
        sleep 0.1
    done
    local took=$((SECONDS - frozen)) newpid n svc
    newpid=$(prop twmond.service MainPID) n=$(prop twmond.service NRestarts) svc=$(state twmond.service)
    pid1_log --since="$since" >"$evidence/check5-pid1.log"
    [ -n "$saw_watchdog" ] || { DETAIL="never saw Result=watchdog (NRestarts=$n, $svc; see evidence/check5-pid1.log)"; return 1; }
    [ "$n" = 1 ] && [ "$svc" = active/running ] && [ "$newpid" != "$pid" ] ||
        { DETAIL="after freezing PID $pid: NRestarts=$n, $svc, MainPID $newpid"; return 1; }
    grep -q "Watchdog timeout" "$evidence/check5-pid1.log" || { DETAIL="PID 1 logged no watchdog timeout"; return 1; }
    local reply rc
    reply=$(twmonctl status 2>&1); rc=$?
    ((rc == 0)) || { DETAIL="twmonctl status after the restart: exit $rc: $reply"; return 1; }
    DETAIL="WatchdogUSec=$watchdog; SIGSTOP PID $pid -> $saw_watchdog, '$(grep -m1 -o 'Watchdog timeout.*' "$evidence/check5-pid1.log")'; NRestarts=$n, active/running as PID $newpid after ${took} s; twmonctl status exit 0"
}

# 6. systemctl stop ends the daemon cleanly (STOPPING=1, exit 0), and the socket unit still
#    accepts connections afterwards.
check_stop() {
    local pid since
    pid=$(prop twmond.service MainPID) since=$(mark)
    systemctl log-level debug
    systemctl stop twmond.service
    local rc=$?
    systemctl log-level info
    ((rc == 0)) || { DETAIL="systemctl stop failed ($rc)"; return 1; }
    local code status result svc
    code=$(prop twmond.service ExecMainCode) status=$(prop twmond.service ExecMainStatus)
    result=$(prop twmond.service Result) svc=$(state twmond.service)
    pid1_log --since="$since" >"$evidence/check6-pid1.log"
    journalctl -u twmond.service --since="$since" --no-pager >"$evidence/check6-journal.txt"
    [ "$svc" = inactive/dead ] && [ "$code" = 1 ] && [ "$status" = 0 ] && [ "$result" = success ] ||
        { DETAIL="after stop: $svc, ExecMainCode=$code ExecMainStatus=$status Result=$result"; return 1; }
    grep -qE "Got notification message from PID $pid \(.*STOPPING=1" "$evidence/check6-pid1.log" ||
        { DETAIL="PID 1 saw no STOPPING=1 from PID $pid (see evidence/check6-pid1.log)"; return 1; }
    grep -q "twmond stopped" "$evidence/check6-journal.txt" && grep -q "Deactivated successfully" "$evidence/check6-journal.txt" ||
        { DETAIL="no 'twmond stopped' / 'Deactivated successfully' in the journal"; return 1; }
    local sock; sock=$(state twmond.socket)
    [ "$sock" = active/listening ] && [ -S /run/twmond.sock ] || { DETAIL="after stopping the service: twmond.socket $sock"; return 1; }
    local reply rc2
    reply=$(twmonctl status 2>&1); rc2=$?
    ((rc2 == 0)) && [ "$(state twmond.service)" = active/running ] ||
        { DETAIL="connection after stop: twmonctl exit $rc2 ($reply), service $(state twmond.service)"; return 1; }
    DETAIL="stop: STOPPING=1 from PID $pid seen by PID 1, 'twmond stopped', ExecMainCode=exited ExecMainStatus=$status Result=$result, 'Deactivated successfully'; twmond.socket $sock afterwards and a new connection was served (service active/running as PID $(prop twmond.service MainPID))"
}

# 7. systemd-analyze security <= 2.0; a dynamic user with no capabilities that still sees every
#    socket of the namespace.
check_sandbox() {
    systemd-analyze security --no-pager twmond.service >"$evidence/check7-security.txt" 2>&1
    local score
    score=$(sed -n 's/.*Overall exposure level for twmond.service: \([0-9.]*\).*/\1/p' "$evidence/check7-security.txt")
    [ -n "$score" ] || { DETAIL="no score from systemd-analyze security"; return 1; }
    python3 -c 'import sys; sys.exit(float(sys.argv[1]) > 2.0)' "$score" || { DETAIL="exposure $score > 2.0"; return 1; }
    local pid uid caps user
    pid=$(prop twmond.service MainPID)
    cp "/proc/$pid/status" "$evidence/check7-proc-status.txt"
    local ruid
    read -r _ ruid uid _ < <(grep '^Uid:' "/proc/$pid/status")
    caps=$(grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' "/proc/$pid/status" | tr -d '\t' | tr '\n' ' ')
    user=$(busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \
        LookupDynamicUserByUID u "$uid" 2>&1)
    [ "$(prop twmond.service DynamicUser)" = yes ] && [ "$ruid" = "$uid" ] && ((uid >= 61184 && uid <= 65519)) &&
        [[ $user == 's "twmond"' ]] || { DETAIL="not a dynamic user: uid $ruid/$uid, LookupDynamicUserByUID: $user"; return 1; }
    [[ $caps == "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 " ]] ||
        { DETAIL="capabilities: $caps"; return 1; }
    # Some load of every kind, then the daemon's view against ss's.
    start_loadgen --listen :: --port 8081 --time-wait 30 --client-time-wait 20 --established 5 --close-wait 4 ||
        { DETAIL="twmon-loadgen did not become ready"; return 1; }
    local attempt verdict=""
    for attempt in 1 2 3 4 5; do
        local scans; scans=$(status_json scan_count)
        wait_until 10 eval '(( $(status_json scan_count) >= scans + 2 ))'
        ss -tanH >"$evidence/check7-ss.txt"
        # ss sees this namespace only; the ListPorts counts cover every namespace listed.
        twmonctl ports --json --netns host >"$evidence/check7-ports.json"
        verdict=$(python3 - "$evidence/check7-ss.txt" "$evidence/check7-ports.json" <<'EOF'
import collections, json, sys
names = {"ESTAB": "ESTABLISHED", "TIME-WAIT": "TIME_WAIT", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV",
         "FIN-WAIT-1": "FIN_WAIT1", "FIN-WAIT-2": "FIN_WAIT2", "CLOSE-WAIT": "CLOSE_WAIT",
         "LAST-ACK": "LAST_ACK", "UNCONN": "CLOSE"}
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
ss_states = collections.Counter(names.get(row[0], row[0]) for row in rows)
ss_ports = {row[3].rsplit(":", 1)[1] for row in rows}
ports = json.load(open(sys.argv[2]))
daemon = dict(ports["totals"])
ok = dict(ss_states) == daemon and len(ss_ports) == ports["port_count"]
print(("OK " if ok else "DIFF ") + f"ss: {len(rows)} sockets {dict(sorted(ss_states.items()))} {len(ss_ports)} ports; "
      f"twmonctl ports: {sum(daemon.values())} sockets {dict(sorted(daemon.items()))} {ports['port_count']} ports")
EOF
        )
        log "sockets, attempt $attempt: $verdict"
        [[ $verdict == OK* ]] && break
    done
    stop_loadgen
    [[ $verdict == OK* ]] || { DETAIL="the daemon's socket table differs from ss: $verdict"; return 1; }
    DETAIL="systemd-analyze security: $score; uid $uid = dynamic user twmond, $caps; ${verdict#OK }"
}

# 8. Upgrade (a reinstall of the package) restarts the daemon and keeps the edited conffile;
#    purge removes units, binaries and /etc/twmond, and no twmond is left running.
check_upgrade_purge() {
    systemctl start twmond.socket twmond.service
    local pid newpid debs=(/e2e/pkg/twmon_*_amd64.deb)
    pid=$(prop twmond.service MainPID)
    local edited shipped
    edited=$(md5sum <"$config" | cut -d' ' -f1)
    shipped=$(dpkg-query -W -f '${Conffiles}' twmon | sed -n 's|^ /etc/twmond/twmond.toml \([0-9a-f]*\).*|\1|p')
    [ -n "$shipped" ] && [ "$edited" != "$shipped" ] || { DETAIL="the conffile is not edited (md5 $edited, shipped $shipped)"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall "${debs[0]}" >"$evidence/check8-apt-reinstall.txt" 2>&1 ||
        { DETAIL="apt-get install --reinstall failed"; return 1; }
    newpid=$(prop twmond.service MainPID)
    [ "$(state twmond.service)" = active/running ] && [ "$newpid" != "$pid" ] && [ "$newpid" != 0 ] ||
        { DETAIL="after the upgrade: twmond.service $(state twmond.service), MainPID $pid -> $newpid"; return 1; }
    [ "$(md5sum <"$config" | cut -d' ' -f1)" = "$edited" ] || { DETAIL="the edited conffile did not survive the upgrade"; return 1; }
    DEBIAN_FRONTEND=noninteractive apt-get purge -y twmon >"$evidence/check8-apt-purge.txt" 2>&1 ||
        { DETAIL="apt-get purge failed: $(tail -3 "$evidence/check8-apt-purge.txt" | tr '\n' ' ')"; return 1; }
    local leftovers=() path
    for path in /usr/sbin/twmond /usr/bin/twmonctl $unit_dir/twmond.service $unit_dir/twmond.socket /etc/twmond \
        $unit_dir/twmond-metrics.socket /etc/systemd/system/sockets.target.wants/twmond-metrics.socket \
        /usr/lib/systemd/catalog/twmond.catalog /usr/share/doc/twmon /usr/share/man/man8/twmond.8.gz \
        /etc/systemd/system/multi-user.target.wants/twmond.service /etc/systemd/system/sockets.target.wants/twmond.socket; do
        [ -e "$path" ] || [ -L "$path" ] && leftovers+=("$path")
    done
    ((${#leftovers[@]} == 0)) || { DETAIL="left after purge: ${leftovers[*]} ($(ls -A /etc/twmond 2>&1 | tr "\n" " "))"; return 1; }
    local running=""
    for path in /proc/[0-9]*/comm; do [ "$(cat "$path" 2>/dev/null)" = twmond ] && running+="${path%/comm} "; done
    [ -z "$running" ] || { DETAIL="twmond still runs after purge: $running"; return 1; }
    [ "$(systemctl show -p LoadState --value twmond.service)" = not-found ] ||
        { DETAIL="twmond.service still known to systemd: $(systemctl show -p LoadState --value twmond.service)"; return 1; }
    DETAIL="reinstall restarted twmond (MainPID $pid -> $newpid) and kept the edited /etc/twmond/twmond.toml; purge removed units, binaries, catalog, docs, man pages and /etc/twmond; no twmond process; twmond.service not-found"
}

# 7b. twmond-metrics.socket: installed but not enabled; once enabled (and twmond restarted) PID 1
#     passes its TCP socket as the one named "metrics" and GET /metrics answers on loopback while
#     the service itself may still use no IP. The socket unit's own access list governs it: with
#     the README's drop-in for a remote Prometheus (listen on every address) a connection from an
#     address not allowed gets nothing, and one IPAddressAllow= line lets it in. The socket stays
#     enabled, so check 8 sees the purge take it away.
metrics_get() { # SOURCE-ADDRESS DESTINATION: prints the status of GET /metrics, or the error
    python3 -c 'import socket, sys
s = socket.socket(); s.settimeout(3); s.bind((sys.argv[1], 0))
try:
    s.connect((sys.argv[2], 19632)); s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: break
        data += chunk
    print(data.split(b"\r\n")[0].decode(), "build_info" if b"twmon_build_info{" in data else "no-build-info")
except OSError as error:
    print("error", type(error).__name__)' "$1" "$2"
}
check_metrics_socket() {
    local enabled reply dropin=/etc/systemd/system/twmond-metrics.socket.d
    enabled=$(systemctl is-enabled twmond-metrics.socket 2>&1)
    [ "$enabled" = disabled ] || { DETAIL="after install twmond-metrics.socket is '$enabled', expected disabled"; return 1; }
    # systemd refuses to start a socket whose service runs already: stop twmond first (README).
    systemctl stop twmond.service && systemctl enable --now twmond-metrics.socket && systemctl start twmond.service ||
        { DETAIL="cannot enable twmond-metrics.socket and start twmond: $(systemctl status --no-pager twmond-metrics.socket 2>&1 | tail -3 | tr '\n' ' ')"; return 1; }
    wait_until 20 sh -c '[ "$(systemctl show -p SubState --value twmond.service)" = running ]'
    reply=$(metrics_get 127.0.0.1 127.0.0.1)
    [ "$reply" = "HTTP/1.1 200 OK build_info" ] || { DETAIL="GET /metrics on 127.0.0.1:19632: $reply"; return 1; }
    journalctl -u twmond.service -b -o json --no-pager "MESSAGE=metrics endpoint listening" | tail -1 | json_field TWMON_ADDRESS \
        >"$evidence/check7b-listening.txt"
    grep -q "(socket activation)" "$evidence/check7b-listening.txt" ||
        { DETAIL="twmond did not serve the passed socket: $(cat "$evidence/check7b-listening.txt")"; return 1; }
    [ "$(prop twmond.service IPAddressDeny)" != "" ] || { DETAIL="twmond.service lost IPAddressDeny"; return 1; }
    # The README's remote-Prometheus drop-in, first without an allowed address.
    ip addr add 192.0.2.1/32 dev lo
    mkdir -p "$dropin"
    printf '[Socket]
ListenStream=
ListenStream=0.0.0.0:19632
' >"$dropin/remote.conf"
    systemctl stop twmond.service && systemctl daemon-reload && systemctl restart twmond-metrics.socket && systemctl start twmond.service
    wait_until 20 sh -c '[ "$(systemctl show -p SubState --value twmond.service)" = running ]'
    local local_reply denied allowed
    local_reply=$(metrics_get 127.0.0.1 192.0.2.1) denied=$(metrics_get 192.0.2.1 192.0.2.1)
    printf 'IPAddressAllow=192.0.2.1
' >>"$dropin/remote.conf"
    systemctl stop twmond.service && systemctl daemon-reload && systemctl restart twmond-metrics.socket && systemctl start twmond.service
    wait_until 20 sh -c '[ "$(systemctl show -p SubState --value twmond.service)" = running ]'
    allowed=$(metrics_get 192.0.2.1 192.0.2.1)
    rm -rf "$dropin"; ip addr del 192.0.2.1/32 dev lo
    systemctl stop twmond.service && systemctl daemon-reload && systemctl restart twmond-metrics.socket && systemctl start twmond.service
    # systemd's IP access lists are BPF programs on cgroup v2; under cgroup v1 (the container on a
    # hybrid host) systemd runs without them and IPAddressDeny= is a no-op, for twmond.service too.
    local firewall=enforced expect_denied=error
    if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
        firewall="not enforced here: the container runs on cgroup v1, where systemd has no BPF IP firewall"
        expect_denied="HTTP/1.1"
    fi
    [ "$local_reply" = "HTTP/1.1 200 OK build_info" ] && [ "${denied%% *}" = "$expect_denied" ] && [ "$allowed" = "HTTP/1.1 200 OK build_info" ] ||
        { DETAIL="on 0.0.0.0:19632 (IP firewall $firewall): from 127.0.0.1 '$local_reply', from 192.0.2.1 not allowed '$denied', allowed '$allowed'"; return 1; }
    DETAIL="disabled after install; enabled: GET /metrics 200 on 127.0.0.1:19632 from the passed socket; on 0.0.0.0 from 192.0.2.1: '$denied' until IPAddressAllow=192.0.2.1, then 200 (IP firewall $firewall)"
}

log "twmon e2e checks start ($(systemctl is-system-running 2>&1))"
run_check 0-package-install check_install
run_check 1-ready-notify check_ready
run_check 2-socket-activation check_socket_activation
run_check 3-alert-journal check_alert
run_check 3b-owner-unit check_owner
run_check 3c-private-namespace check_private_namespace
run_check 4-reload check_reload
run_check 5-watchdog check_watchdog
run_check 6-clean-stop check_stop
run_check 7-sandbox check_sandbox
run_check 7b-metrics-socket check_metrics_socket
collect_evidence
run_check 8-upgrade-purge check_upgrade_purge
log "checks done, failed=$failed"
