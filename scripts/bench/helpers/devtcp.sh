#!/usr/bin/env bash
# A bash /dev/tcp waiter, the peer every shell has: devtcp.sh INTERVAL TIMEOUT HOST PORT...
# Opens /dev/tcp port after port; when every one connects it exits 0, else it
# sleeps INTERVAL seconds and tries again, until TIMEOUT seconds have passed (exit 1).
set -u
interval=$1 timeout=$2 host=$3
shift 3
deadline=$((SECONDS + timeout))
while :; do
  ok=1
  for p in "$@"; do
    if ! (exec 3<>"/dev/tcp/$host/$p") 2>/dev/null; then
      ok=0
      break
    fi
  done
  [ "$ok" = 1 ] && exit 0
  [ "$SECONDS" -ge "$deadline" ] && exit 1
  sleep "$interval"
done
