#!/usr/bin/env bash
# The Prometheus test (README "Prometheus and Kubernetes", docs/deploy.md):
# Debian's prometheus, on loopback, scrapes a running `carbonprobe serve`
# both ways (/metrics, and /probe with the relabelling of
# docs/examples/prometheus.yml) while it checks the Carbon-like server; the
# test asks Prometheus' HTTP API until the ports are up, stops the server, and
# sees them go down and the CarbonPortDown alert go pending. promtool lints
# the exposition, checks the example config and the rules, and runs the
# rules' unit tests. It stops only what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

scripts/install-deps.sh >&2
# carbonprobe serve runs carbonprobe-serve, beside it: both as released.
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o bin/carbonprobe .
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o bin/carbonprobe-serve ./cmd/carbonprobe-serve
cp=bin/carbonprobe
examples=docs/examples

work=$(mktemp -d "${TMPDIR:-/tmp}/carbonprobe-prom.XXXXXX")
pids=()
home="$work/carbon"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -d "$home" ] && scripts/carbonlike/stop.sh --home "$home" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf 'prometheus-test: %s\n' "$*" >&2; }
fail() {
  say "FAIL: $*"
  for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 30 "$log" >&2; }; done
  exit 1
}

say "promtool: the example scrape config, the rules and their unit tests"
promtool check config "$examples/prometheus.yml" >&2
promtool check rules "$examples/carbonprobe-rules.yml" >&2
(cd "$examples" && promtool test rules carbonprobe-rules.test.yml) >&2

# A free TCP port on loopback: a random one that the socket table shows no
# listener on (the kernel's choice is not available to an outside program).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( (RANDOM % 20000) + 20000 ))
    if ! ss -Htln "sport = :$p" | grep -q .; then echo "$p"; return 0; fi
  done
  return 1
}

# The Carbon-like server at a free offset (as scripts/demo.sh starts it).
offset=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  try=$(( (RANDOM % 2000) + 100 ))
  rm -rf "$home"
  status=0
  scripts/carbonlike/start.sh --home "$home" --profile carbon --offset "$try" >"$work/start.log" 2>&1 || status=$?
  if [ "$status" -eq 0 ]; then offset=$try; break; fi
  [ "$status" -eq 10 ] || fail "the Carbon-like server did not start (status $status)"
done
[ -n "$offset" ] || fail "no free offset for the Carbon-like server in 10 tries"
say "Carbon-like server at offset $offset"

cat >"$work/targets.yaml" <<EOF
targets:
  - profile: carbon
    offset: $offset
    interval: 1s
    timeout: 1s
EOF
"$cp" serve --targets "$work/targets.yaml" --check-config >&2

exporter_port=$(free_port) || fail "no free port for the exporter"
"$cp" serve --targets "$work/targets.yaml" --listen "127.0.0.1:$exporter_port" >"$work/serve.log" 2>&1 &
serve_pid=$!
pids+=("$serve_pid")
exporter="127.0.0.1:$exporter_port"

# Prometheus' config is the example's, with the example's names replaced by
# the addresses here, and scrapes every second.
prom_port=$(free_port) || fail "no free port for Prometheus"
sed -e "s/carbonprobe.example.com:9421/$exporter/g" \
    -e "s/mi-1.example.com/127.0.0.1/" \
    -e "s/__param_profile: mi/__param_profile: carbon/" \
    -e "s/__param_offset: \"10\"/__param_offset: \"$offset\"/" \
    -e "s/scrape_interval: 30s/scrape_interval: 1s/" \
    -e "s/evaluation_interval: 30s/evaluation_interval: 1s/" \
    -e "s#- carbonprobe-rules.yml#- $PWD/$examples/carbonprobe-rules.yml#" \
    "$examples/prometheus.yml" >"$work/prometheus.yml"
grep -q "__param_offset: \"$offset\"" "$work/prometheus.yml" || fail "the example config did not take the offset"
promtool check config "$work/prometheus.yml" >&2
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
api="http://127.0.0.1:$prom_port/api/v1"

# value QUERY: the first result's value, "" when there is none.
value() {
  curl -fsS --max-time 5 --get --data-urlencode "query=$1" "$api/query" 2>/dev/null |
    jq -r '.data.result[0].value[1] // ""' 2>/dev/null || true
}
# until_value QUERY WANT SECONDS
until_value() {
  local deadline=$((SECONDS + $3)) got=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    got=$(value "$1")
    [ "$got" = "$2" ] && { say "$1 = $got"; return 0; }
    sleep 0.5
  done
  fail "$1 is \"$got\", not $2, after $3 s"
}

key="127.0.0.1 profile=carbon offset=$offset"
until_value "carbonprobe_port_up{job=\"carbonprobe\",target=\"$key\",port=\"https\"}" 1 60
until_value "carbonprobe_port_up{job=\"carbonprobe-probe\",instance=\"127.0.0.1\",port=\"jmx-registry\"}" 1 30
until_value "carbonprobe_healthy{job=\"carbonprobe\",target=\"$key\"}" 1 30
until_value "carbonprobe_port_answer_ok{job=\"carbonprobe\",target=\"$key\",port=\"https\"}" 1 10
until_value "carbonprobe_offset{job=\"carbonprobe\",target=\"$key\"}" "$offset" 10
until_value "carbonprobe_level{job=\"carbonprobe\",target=\"$key\",level=\"answering\"}" 1 10
until_value "carbonprobe_port_level{job=\"carbonprobe\",target=\"$key\",port=\"https\",level=\"answering\"}" 1 10
until_value "carbonprobe_random_ports{job=\"carbonprobe\",target=\"$key\",proto=\"tcp\",attribution=\"jmxremote\"}" 1 10
until_value "carbonprobe_port_cert_expiry_timestamp_seconds{port=\"https\",job=\"carbonprobe\"} > time()" \
  "$(value "carbonprobe_port_cert_expiry_timestamp_seconds{port=\"https\",job=\"carbonprobe\"}")" 10
until_value "up{job=\"carbonprobe-probe\"}" 1 10

say "promtool check metrics on both endpoints"
curl -fsS "http://$exporter/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt" >&2 || fail "promtool check metrics: /metrics"
curl -fsS "http://$exporter/probe?target=127.0.0.1&profile=carbon&offset=$offset" >"$work/probe.txt"
promtool check metrics <"$work/probe.txt" >&2 || fail "promtool check metrics: /probe"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$exporter/readyz")
[ "$code" = 200 ] || fail "/readyz answered $code while the server is healthy"
"$cp" serve --healthcheck --listen "$exporter" >&2 || fail "serve --healthcheck says not ready"

say "stopping the Carbon-like server"
scripts/carbonlike/stop.sh --home "$home" >&2
until_value "carbonprobe_port_up{job=\"carbonprobe\",target=\"$key\",port=\"https\"}" 0 30
until_value "carbonprobe_port_up{job=\"carbonprobe-probe\",instance=\"127.0.0.1\",port=\"jmx-registry\"}" 0 30
until_value "carbonprobe_healthy{job=\"carbonprobe\",target=\"$key\"}" 0 10
until_value "carbonprobe_level{job=\"carbonprobe\",target=\"$key\",level=\"down\"}" 1 10
until_value "carbonprobe_port_state{job=\"carbonprobe\",target=\"$key\",port=\"https\",state=\"refused\"}" 1 10
until_value "count(ALERTS{alertname=\"CarbonPortDown\",job=\"carbonprobe\",target=\"$key\"})" 4 30
code=$(curl -s -o "$work/readyz.json" -w '%{http_code}' "http://$exporter/readyz")
[ "$code" = 503 ] || fail "/readyz answered $code once the server stopped"
jq -e '.healthy == false and (.problems | length) > 0' "$work/readyz.json" >/dev/null || fail "/readyz's report: $(head -c 400 "$work/readyz.json")"
if "$cp" serve --healthcheck --listen "$exporter" >&2; then fail "serve --healthcheck says ready once the server stopped"; fi

say "SIGHUP reads the targets file again; SIGTERM stops the exporter with status 0"
kill -HUP "$serve_pid"
for _ in $(seq 50); do grep -q 'msg="targets reloaded"' "$work/serve.log" && break; sleep 0.1; done
grep -q 'msg="targets reloaded"' "$work/serve.log" || fail "no reload logged after SIGHUP"
kill -TERM "$serve_pid"
status=0
timeout 15 tail --pid="$serve_pid" -f /dev/null || fail "the exporter still runs 15 s after SIGTERM"
wait "$serve_pid" || status=$?
[ "$status" -eq 0 ] || fail "the exporter exited with status $status after SIGTERM"

say "1 passed, 0 failed"
