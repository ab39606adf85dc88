#!/usr/bin/env bash
# Readiness latency of `carbonprobe wait` beside the waiters people use today
# (wait4x, dockerize, a bash /dev/tcp loop), on the same delayed listeners.
#
# Latency is the moment the waiter exits less the moment the fixture's last
# listen(2) returned (scripts/bench/delayed writes it), both wall-clock
# readings on this host. The fixture refuses for DELAY seconds, then listens
# on every port. Run n starts the waiter frac(n*0.618) s after the fixture, so
# the runs sample the poll phase of 1 s and 100 ms intervals evenly
# (as a benchmark of waiters must: their poll phase would otherwise be fixed).
#
#   scripts/bench/wait.sh                       # every peer, RUNS=10
#   RUNS=20 PEERS='carbonprobe devtcp-fast' scripts/bench/wait.sh
#
# It installs the peers it can into $CACHE (dockerize from the Go module
# proxy inside a scratch module; wait4x from $WAIT4X or PATH, else it tries
# the proxy, which refused wait4x here, and leaves the wait4x rows out).
# Results go to scripts/bench/out/STAMP/ (runs.tsv, summary.md, logs/).
# CI does not run this: it takes minutes and measures wall-clock time.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"

RUNS=${RUNS:-10}
DELAY=${DELAY:-2}
HOST=127.0.0.1
OFFSET=${OFFSET:-10}
PEERS=${PEERS:-"carbonprobe wait4x wait4x-fast dockerize dockerize-fast devtcp devtcp-fast devtcp-10ms"}
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/carbonprobe/bench-peers}

# The Micro Integrator set plus two more, shifted by OFFSET, as in the peers benchmark.
ports=()
for base in 8290 8253 10389 8000 11111 9999 4000 9164 9201; do
  ports+=($((base + OFFSET)))
done
csv=$(IFS=,; echo "${ports[*]}")
addrs=()
waits=()
for p in "${ports[@]}"; do
  addrs+=("$HOST:$p")
  waits+=(-wait "tcp://$HOST:$p")
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=scripts/bench/out/$stamp
mkdir -p "$out/logs" "$out/bin" "$CACHE/bin"

echo "wait.sh: building carbonprobe (static, as released) and the fixture" >&2
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o "$out/bin/carbonprobe" .
go build -o "$out/bin/delayed" ./scripts/bench/delayed

# install_go_peer NAME MODULE VERSION PACKAGE [NOSUMDB]: a scratch module, so
# that `go install` does not need the proxy's version list (which it refuses
# for these modules; bench-peers.md explains).
install_go_peer() {
  local name=$1 module=$2 version=$3 pkg=$4 nosumdb=${5:-}
  [ -x "$CACHE/bin/$name" ] && return 0
  local tmp
  tmp=$(mktemp -d)
  if (cd "$tmp" && go mod init benchpeers && GONOSUMDB=$nosumdb go get "$module@$version" &&
      GOBIN="$CACHE/bin" go install "$pkg") >>"$out/logs/install.log" 2>&1; then
    rm -rf "$tmp"
    [ "$name" = "$(basename "$pkg")" ] || mv "$CACHE/bin/$(basename "$pkg")" "$CACHE/bin/$name"
    return 0
  fi
  rm -rf "$tmp"
  echo "wait.sh: could not install $name ($module@$version); see $out/logs/install.log" >&2
  return 1
}

have_dockerize=0 have_wait4x=0
if install_go_peer dockerize github.com/jwilder/dockerize v0.13.0 github.com/jwilder/dockerize github.com/jwilder/dockerize; then
  have_dockerize=1
fi
WAIT4X=${WAIT4X:-$(command -v wait4x || true)}
if [ -z "$WAIT4X" ] && install_go_peer wait4x wait4x.dev/v3 v3.1.0 wait4x.dev/v3/cmd/wait4x; then
  WAIT4X=$CACHE/bin/wait4x
fi
[ -n "$WAIT4X" ] && [ -x "$WAIT4X" ] && have_wait4x=1

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -sr), $(nproc) CPUs"
  echo "go: $(go version)"
  echo "carbonprobe: $(stat -c %s "$out/bin/carbonprobe") bytes, static"
  [ "$have_dockerize" = 1 ] && echo "dockerize: $(go version -m "$CACHE/bin/dockerize" | awk '$1=="mod"{print $3}')"
  [ "$have_wait4x" = 1 ] && echo "wait4x: $("$WAIT4X" version 2>&1 | head -1)"
  echo "bash: $BASH_VERSION"
} >"$out/versions.txt"
cat "$out/versions.txt" >&2

# command_for PEER: the waiter's command line, every one with a 10 s timeout.
command_for() {
  case $1 in
    carbonprobe) cmd=("$out/bin/carbonprobe" wait --host "$HOST" --ports "$csv" --timeout 10s --progress none --quiet) ;;
    wait4x) cmd=("$WAIT4X" tcp "${addrs[@]}" -t 10s) ;;
    wait4x-fast) cmd=("$WAIT4X" tcp "${addrs[@]}" -t 10s -i 100ms) ;;
    dockerize) cmd=("$CACHE/bin/dockerize" -timeout 10s "${waits[@]}") ;;
    dockerize-fast) cmd=("$CACHE/bin/dockerize" -timeout 10s -wait-retry-interval 100ms "${waits[@]}") ;;
    devtcp) cmd=(bash scripts/bench/helpers/devtcp.sh 1 10 "$HOST" "${ports[@]}") ;;
    devtcp-fast) cmd=(bash scripts/bench/helpers/devtcp.sh 0.1 10 "$HOST" "${ports[@]}") ;;
    devtcp-10ms) cmd=(bash scripts/bench/helpers/devtcp.sh 0.01 10 "$HOST" "${ports[@]}") ;;
    *) return 1 ;;
  esac
  case $1 in
    wait4x*) [ "$have_wait4x" = 1 ] || return 1 ;;
    dockerize*) [ "$have_dockerize" = 1 ] || return 1 ;;
  esac
}

printf 'peer\trun\tstagger_s\tlatency_ms\tcpu_s\twall_s\texit\n' >"$out/runs.tsv"
for peer in $PEERS; do
  if ! command_for "$peer"; then
    echo "wait.sh: skipping $peer (not installed)" >&2
    continue
  fi
  printf '%q ' "${cmd[@]}" >"$out/logs/$peer.cmd"
  echo "wait.sh: $peer, $RUNS runs (+1 warm-up)" >&2
  for n in $(seq 0 "$RUNS"); do
    stagger=$(awk -v n="$n" 'BEGIN { x = n * 0.618; printf "%.3f", x - int(x) }')
    fx=$out/logs/$peer.$n.fixture
    "$out/bin/delayed" -host "$HOST" -ports "$csv" -delay "${DELAY}s" -hold 1500ms >"$fx" 2>&1 &
    fpid=$!
    until grep -q '^reserved' "$fx" 2>/dev/null; do
      kill -0 "$fpid" 2>/dev/null || { echo "wait.sh: the fixture failed:" >&2; cat "$fx" >&2; exit 1; }
      sleep 0.01
    done
    sleep "$stagger"
    start=$EPOCHREALTIME
    code=0
    /usr/bin/time -f '%U %S' -o "$out/logs/$peer.$n.time" "${cmd[@]}" >>"$out/logs/$peer.log" 2>&1 || code=$?
    end=$EPOCHREALTIME
    wait "$fpid" || true
    ready=$(awk '$1=="ready" { print $2 }' "$fx")
    [ -n "$ready" ] || { echo "wait.sh: no ready line from the fixture in run $n of $peer" >&2; exit 1; }
    cpu=$(awk 'NR==1 { print $1 + $2 }' "$out/logs/$peer.$n.time")
    [ "$n" = 0 ] && continue # warm-up
    awk -v p="$peer" -v n="$n" -v s="$stagger" -v r="$ready" -v e="$end" -v b="$start" -v c="$cpu" -v x="$code" \
      'BEGIN { printf "%s\t%d\t%s\t%.1f\t%.2f\t%.3f\t%d\n", p, n, s, (e - r / 1e9) * 1000, c, e - b, x }' >>"$out/runs.tsv"
  done
done

# Median (min-max) latency, median CPU and CPU share of the wait, exit codes.
# (sort and plain awk: Debian's default awk is mawk, which has no asort.)
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
{
  echo "| peer | latency median (min-max) | cpu median | cpu / wall | exit |"
  echo "|---|---|---|---|---|"
  for peer in $PEERS; do
    rows=$(awk -F'\t' -v p="$peer" '$1 == p' "$out/runs.tsv")
    [ -n "$rows" ] || continue
    lat=$(cut -f4 <<<"$rows" | median)
    lo=$(cut -f4 <<<"$rows" | sort -g | head -1)
    hi=$(cut -f4 <<<"$rows" | sort -g | tail -1)
    cpu=$(cut -f5 <<<"$rows" | median)
    pct=$(awk -F'\t' '{ print 100 * $5 / $6 }' <<<"$rows" | median)
    codes=$(cut -f7 <<<"$rows" | sort | uniq -c | awk '{ printf "%s%s x%d", (NR > 1 ? ", " : ""), $2, $1 }')
    printf '| %s | %.0f ms (%.0f-%.0f) | %.2f s | %.1f%% | %s |\n' "$peer" "$lat" "$lo" "$hi" "$cpu" "$pct" "$codes"
  done
} | tee "$out/summary.md"
echo "wait.sh: results in $out" >&2
