#!/usr/bin/env bash
# The figures of `carbonprobe serve` in docs/performance.md, on loopback:
#
# 1. 100 targets of 9 ports (900 listeners at 100 offsets) checked every
#    10 s, /metrics scraped every 10 s with gzip as Prometheus does: the
#    exporter's CPU (utime + stime from /proc, over WINDOWS windows of WINDOW
#    seconds each, after a warm-up) and its resident memory (VmRSS at the
#    end, VmHWM: the peak).
# 2. /probe beside Debian's blackbox_exporter, request by request
#    (scripts/bench/probebench): carbonprobe's /probe of one 9-port target
#    dialled at every request (--allow-any-target --min-interval 0s) against
#    blackbox's tcp_connect of one of those ports, and the same 9 ports
#    named by the targets file (answered from the latest check); carbonprobe's /probe of a
#    configured Carbon-like server (its cached check) and of the same server
#    dialled and verified at every request (TLS, HTTP, JRMP) against
#    blackbox's http_2xx on its HTTP port.
#
#   scripts/bench/serve.sh                 # WINDOWS=3 WINDOW=60 N=2000
#   WINDOWS=5 WINDOW=120 N=5000 scripts/bench/serve.sh
#   PARTS=probe ROUNDS=3 scripts/bench/serve.sh   # only the /probe pairing, three rounds
#
# CI does not run this: it measures time on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

WINDOWS=${WINDOWS:-3}
WINDOW=${WINDOW:-60}
WARMUP=${WARMUP:-20}
N=${N:-2000}
PARTS=${PARTS:-"fleet probe"}
ROUNDS=${ROUNDS:-1}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=scripts/bench/out/serve-$stamp
mkdir -p "$out"

scripts/install-deps.sh >&2
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o bin/carbonprobe .
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o bin/carbonprobe-serve ./cmd/carbonprobe-serve
go build -o "$out/listeners" ./scripts/bench/listeners
go build -o "$out/probebench" ./scripts/bench/probebench
cp=bin/carbonprobe

pids=()
home="$out/carbon"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -d "$home" ] && scripts/carbonlike/stop.sh --home "$home" >/dev/null 2>&1 || true
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( (RANDOM % 10000) + 20000 ))
    if ! ss -Htln "sport = :$p" | grep -q .; then echo "$p"; return 0; fi
  done
  return 1
}
wait_http() { for _ in $(seq 100); do curl -fsS -o /dev/null "$1" && return 0; sleep 0.1; done; echo "serve.sh: $1 does not answer" >&2; return 1; }

echo "serve.sh: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3), $(date -u)" | tee "$out/machine.txt"

# 900 listeners: 9 bases 200 apart, offsets 0-99, in the first region free.
listening=""
for region in 30000 40000 50000; do
  bases=$(seq -s, "$region" 200 $((region + 1600)))
  "$out/listeners" -bases "$bases" -from 0 -count 100 >"$out/listeners.out" 2>&1 &
  lpid=$!
  for _ in $(seq 50); do grep -q '^ready' "$out/listeners.out" && break; kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
  if grep -q '^ready 900' "$out/listeners.out"; then pids+=("$lpid"); listening=$region; break; fi
  wait "$lpid" 2>/dev/null || true
done
[ -n "$listening" ] || { echo "serve.sh: no free region for 900 listeners" >&2; exit 1; }
{
  echo "targets:"
  for o in $(seq 0 99); do
    ports=$(seq -s, $((listening + o)) 200 $((listening + 1600 + o)))
    echo "  - {profile: none, ports: \"$ports\", interval: 10s}"
  done
} >"$out/targets100.yaml"

# 1. 100 targets every 10 s.
if [[ " $PARTS " == *" fleet "* ]]; then
port=$(free_port)
"$cp" serve --targets "$out/targets100.yaml" --listen "127.0.0.1:$port" 2>"$out/serve100.log" &
spid=$!
pids+=("$spid")
wait_http "http://127.0.0.1:$port/healthz"
( while kill -0 "$spid" 2>/dev/null; do curl -fsS --compressed -o /dev/null "http://127.0.0.1:$port/metrics" || true; sleep 10; done ) &
pids+=($!)
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$spid/stat"; }
sleep "$WARMUP"
: >"$out/cpu100.txt"
for w in $(seq "$WINDOWS"); do
  c0=$(cpu); t0=$(date +%s.%N)
  sleep "$WINDOW"
  c1=$(cpu); t1=$(date +%s.%N)
  awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v tck="$tck" -v w="$w" \
    'BEGIN {printf "window %d: %.3f%% of a core (%.2f s CPU in %.1f s)\n", w, 100 * (c1 - c0) / tck / (t1 - t0), (c1 - c0) / tck, t1 - t0}' | tee -a "$out/cpu100.txt"
done
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$spid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$spid/status")
size=$(curl -fsS "http://127.0.0.1:$port/metrics" | wc -c)
gz=$(curl -fsS --compressed -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port/metrics")
healthy=$(curl -fsS "http://127.0.0.1:$port/metrics" | grep -c '^carbonprobe_healthy{.*} 1$' || true)
{
  echo "RSS at the end: $((rss / 1024)) MiB; peak (VmHWM): $((hwm / 1024)) MiB"
  echo "scrape: $size bytes, $gz gzipped; healthy targets: $healthy of 100"
  echo "median CPU: $(awk '{print $3}' "$out/cpu100.txt" | tr -d % | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')% of a core"
} | tee -a "$out/cpu100.txt"
kill "$spid"; wait "$spid" 2>/dev/null || true
fi
[[ " $PARTS " == *" probe "* ]] || exit 0

# 2. /probe beside blackbox_exporter.
offset=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  try=$(( (RANDOM % 2000) + 100 ))
  rm -rf "$home"
  status=0
  scripts/carbonlike/start.sh --home "$home" --profile carbon --offset "$try" >"$out/carbonlike.log" 2>&1 || status=$?
  [ "$status" -eq 0 ] && { offset=$try; break; }
  [ "$status" -eq 10 ] || { echo "serve.sh: the Carbon-like server did not start" >&2; exit 1; }
done
[ -n "$offset" ] || { echo "serve.sh: no free offset" >&2; exit 1; }
nine=$(seq -s, "$listening" 200 $((listening + 1600)))
# The same 9 ports in the file (listed backwards, so that its key differs
# from the ad-hoc target's): /probe answers it from its latest check.
nine_back=$(seq -s, $((listening + 1600)) -200 "$listening")
printf 'targets:\n  - {profile: carbon, offset: %d, interval: 10s}\n  - {ports: "%s", interval: 10s}\n' "$offset" "$nine_back" >"$out/targets-carbon.yaml"
port=$(free_port)
"$cp" serve --targets "$out/targets-carbon.yaml" --listen "127.0.0.1:$port" --allow-any-target --min-interval 0s 2>"$out/serve-probe.log" &
pids+=($!)
bport=$(free_port)
cat >"$out/blackbox.yml" <<'EOF'
modules:
  tcp_connect:
    prober: tcp
    timeout: 5s
  http_2xx:
    prober: http
    timeout: 5s
EOF
prometheus-blackbox-exporter --config.file="$out/blackbox.yml" --web.listen-address="127.0.0.1:$bport" >"$out/blackbox.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$port/healthz"
wait_http "http://127.0.0.1:$bport/-/healthy"
http_port=$((9763 + offset))
sleep 3 # the configured target's first check
cp_nine="http://127.0.0.1:$port/probe?target=127.0.0.1&ports=$nine"
cp_nine_cached="http://127.0.0.1:$port/probe?target=127.0.0.1&ports=$nine_back"
bb_tcp="http://127.0.0.1:$bport/probe?target=127.0.0.1:$listening&module=tcp_connect"
cp_cached="http://127.0.0.1:$port/probe?target=127.0.0.1&profile=carbon&offset=$offset"
cp_verify="http://127.0.0.1:$port/probe?target=localhost&profile=carbon&offset=$offset"
bb_http="http://127.0.0.1:$bport/probe?target=http://127.0.0.1:$http_port/&module=http_2xx"
for r in $(seq "$ROUNDS"); do
  echo "round $r, paired, $N requests each:" | tee -a "$out/probe.txt"
  "$out/probebench" -n "$N" "$cp_nine" "$cp_nine_cached" "$bb_tcp" | tee -a "$out/probe.txt"
  "$out/probebench" -n "$((N / 4))" "$cp_cached" "$cp_verify" "$bb_http" | tee -a "$out/probe.txt"
done
echo "results in $out"
