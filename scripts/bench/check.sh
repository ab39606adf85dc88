#!/usr/bin/env bash
# Speed and memory of `carbonprobe check`, whole process, on loopback: the
# figures in docs/performance.md. It runs the Go benchmarks that exec the
# static binary (process_bench_test.go, probe/verify_test.go) COUNT times and
# prints the median of each, then, where nmap is installed (or can be:
# apt-get install nmap), times nmap -sT on the same 9 and 2,000 listeners
# with hyperfine for a same-machine reference.
#
#   scripts/bench/check.sh              # COUNT=10
#   COUNT=20 PEERS=0 scripts/bench/check.sh
#
# CI does not run this: it measures wall-clock time on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin"

COUNT=${COUNT:-10}
PEERS=${PEERS:-1}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=scripts/bench/out/check-$stamp
mkdir -p "$out"

echo "check.sh: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3)" | tee "$out/machine.txt"

# Whole-process benchmarks: each iteration execs the static binary.
go test -run '^$' -bench 'BenchmarkProcess' -benchtime 50x -count "$COUNT" . | tee "$out/process.txt"
# Full protocol verification of a Carbon-like server with slapd and krb5kdc.
go test -run '^$' -bench 'BenchmarkVerifyCarbonLike' -benchtime 50x -count "$COUNT" ./probe/ | tee "$out/verify.txt"

# median NAME FILE: the median ns/op of a benchmark over its runs, in ms.
median() {
  grep "^$1-" "$2" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f ms\n", m / 1e6}'
}
{
  echo "| benchmark | median wall (whole process) |"
  echo "|---|---|"
  for b in BenchmarkProcessCheck9 BenchmarkProcessOneRefused BenchmarkProcessCheck2000; do
    echo "| $b | $(median $b "$out/process.txt") |"
  done
  echo "| BenchmarkVerifyCarbonLike (in process) | $(median BenchmarkVerifyCarbonLike "$out/verify.txt") |"
} | tee "$out/summary.md"

[ "$PEERS" = 1 ] || exit 0
if ! command -v nmap >/dev/null || ! command -v hyperfine >/dev/null || [ ! -x /usr/bin/time ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nmap hyperfine time >/dev/null 2>&1 || {
    echo "check.sh: nmap, hyperfine or time not installable here; peers skipped" >&2
    exit 0
  }
fi
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o "$out/carbonprobe" .
go build -o "$out/delayed" ./scripts/bench/delayed
nine=$(seq 61000 61008 | paste -sd,)
scale=$(seq 61000 62999 | paste -sd,)
"$out/delayed" -ports "$scale" -delay 0 -hold 10m >"$out/delayed.log" 2>&1 &
fixture=$!
trap 'kill $fixture 2>/dev/null || true' EXIT
sleep 1
# Peak resident memory of the whole process (GNU time's %M, in KiB).
for n in 9 2000; do
  list=$nine
  [ "$n" = 2000 ] && list=$scale
  /usr/bin/time -f "%M" -o "$out/rss-$n.txt" "$out/carbonprobe" check --ports "$list" --timeout 30s >/dev/null
  echo "peak RSS, $n ports: $(( $(cat "$out/rss-$n.txt") / 1024 )) MiB" | tee -a "$out/summary.md"
done
hyperfine -N --warmup 3 --runs "$((COUNT * 5))" --export-markdown "$out/peers.md" \
  -n "carbonprobe 9" "$out/carbonprobe check --ports $nine --timeout 1s" \
  -n "nmap 9" "nmap -sT -Pn -n -oG - -p $nine 127.0.0.1" \
  -n "carbonprobe 2000" "$out/carbonprobe check --ports $scale --timeout 30s" \
  -n "nmap 2000" "nmap -sT -Pn -n -oG - -p 61000-62999 127.0.0.1"
cat "$out/peers.md"
echo "check.sh: results in $out" >&2
