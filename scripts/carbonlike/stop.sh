#!/usr/bin/env bash
# Stops the server start.sh started for DIR: only the pid recorded in DIR/carbonlike.pid, and only
# while /proc/PID/cmdline still names that carbon.home (a reused pid is never signalled).
# SIGTERM, then SIGKILL after 5 s.
# Usage: stop.sh --home DIR
set -euo pipefail

home=""
while [ $# -gt 0 ]; do
    case "$1" in
        --home) home=${2:?--home needs a directory}; shift 2 ;;
        *) echo "stop.sh: unknown argument $1 (usage: stop.sh --home DIR)" >&2; exit 3 ;;
    esac
done
[ -n "$home" ] || { echo "stop.sh: --home DIR is required" >&2; exit 3; }
[ -d "$home" ] || { echo "stop.sh: $home: no such directory" >&2; exit 3; }
home=$(cd "$home" && pwd -P)
pidfile="$home/carbonlike.pid"
[ -s "$pidfile" ] || { echo "stop.sh: no $pidfile; nothing to stop"; exit 0; }
pid=$(cat "$pidfile")
[[ "$pid" =~ ^[0-9]+$ ]] || { echo "stop.sh: $pidfile holds \"$pid\", expected a pid" >&2; exit 1; }

# True while pid is a live (not zombie) process whose command line names this carbon.home.
ours() {
    [ -r "/proc/$pid/cmdline" ] || return 1
    local state
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
    [ "$state" != Z ] || return 1
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -Fxq -- "-Dcarbon.home=$home"
}

if ! ours; then
    echo "stop.sh: pid $pid is not running a server for $home; removing the stale $pidfile"
    rm -f "$pidfile"
    exit 0
fi
kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 50); do
    ours || break
    sleep 0.1
done
if ours; then
    echo "stop.sh: pid $pid still runs 5 s after SIGTERM; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        ours || break
        sleep 0.1
    done
fi
if ours; then
    echo "stop.sh: pid $pid survived SIGKILL" >&2
    exit 1
fi
rm -f "$pidfile"
echo "stop.sh: stopped pid $pid"
