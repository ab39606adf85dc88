#!/usr/bin/env bash
# Starts the carbon-like server in the background and waits for its ready line.
# Usage: start.sh --home DIR [--profile carbon|mi] [--offset N] [--wait SECONDS]
#                 [--no-jmxremote] [--no-prefer-ipv4] [-- extra JVM flags...]
# Prints the ready line and exits 0; on a failure prints the server's last lines and exits with
# its status (3 bad configuration, 10 a port was taken) or 1 (timeout: the server keeps running,
# stop it with stop.sh).
set -euo pipefail

usage() { sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 3; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
home="" profile=carbon offset="" wait_s=60 jmxremote=1 ipv4=1
while [ $# -gt 0 ]; do
    case "$1" in
        --home) home=${2:?--home needs a directory}; shift 2 ;;
        --profile) profile=${2:?--profile needs carbon or mi}; shift 2 ;;
        --offset) offset=${2:?--offset needs a number}; shift 2 ;;
        --wait) wait_s=${2:?--wait needs seconds}; shift 2 ;;
        --no-jmxremote) jmxremote=0; shift ;;
        --no-prefer-ipv4) ipv4=0; shift ;;
        --) shift; break ;;
        -h|--help) usage ;;
        *) echo "start.sh: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$home" ] || { echo "start.sh: --home DIR is required" >&2; usage; }
case "$profile" in
    carbon) main=org.wso2.carbon.bootstrap.Bootstrap ;;
    mi) main=org.wso2.micro.integrator.bootstrap.Bootstrap ;;
    *) echo "start.sh: --profile $profile: expected carbon or mi" >&2; exit 3 ;;
esac
[[ "$wait_s" =~ ^[0-9]+$ ]] || { echo "start.sh: --wait $wait_s: expected whole seconds" >&2; exit 3; }

classes=$("$here/build.sh")
mkdir -p "$home"
home=$(cd "$home" && pwd -P)
pidfile="$home/carbonlike.pid"
out="$home/carbonlike.out"

if [ -s "$pidfile" ]; then
    old=$(cat "$pidfile")
    if [ -r "/proc/$old/cmdline" ] && tr '\0' '\n' <"/proc/$old/cmdline" | grep -Fxq -- "-Dcarbon.home=$home"; then
        echo "start.sh: a server for $home is already running as pid $old" >&2
        exit 1
    fi
fi

jvm=()
[ "$jmxremote" = 1 ] && jvm+=(-Dcom.sun.management.jmxremote)
[ "$ipv4" = 1 ] && jvm+=(-Djava.net.preferIPv4Stack=true)
# As bin/micro-integrator.sh: MI loads an internal API only when its -Denable<Name> is true.
[ "$profile" = mi ] && jvm+=(-DenableReadinessProbe=true -DenableLivenessProbe=true -DenableManagementApi=true)
jvm+=("-Dcarbon.home=$home" "$@" -cp "$classes" "$main")
# Like wso2server.sh -DportOffset=N: a program argument after the main class.
[ -n "$offset" ] && jvm+=("-DportOffset=$offset")

: >"$out"
nohup java "${jvm[@]}" </dev/null >"$out" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

deadline=$((SECONDS + wait_s))
while :; do
    if ready=$(grep -m1 'carbonlike: ready offset=' "$out"); then
        echo "$ready"
        exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        status=0
        wait "$pid" || status=$?
        tail -n 20 "$out" >&2
        echo "start.sh: server pid $pid exited with status $status before it was ready" >&2
        rm -f "$pidfile"
        exit "$((status == 0 ? 1 : status))"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        tail -n 20 "$out" >&2
        echo "start.sh: no ready line within ${wait_s}s; pid $pid still runs (stop.sh --home $home)" >&2
        exit 1
    fi
    sleep 0.1
done
