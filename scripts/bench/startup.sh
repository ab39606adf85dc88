#!/usr/bin/env bash
# Start-up and small-check speed of carbonprobe, whole process, against the
# floors a user compares it with, paired in one run on the same listeners:
#
#   hello           a static hello-world Go binary (scripts/bench/hello), built as carbonprobe is
#   version         carbonprobe --version
#   bash-9          bash checking 9 bound ports through /dev/tcp, one after the other
#   check-9         carbonprobe check --no-verify --ports (the same 9)
#   bash-2000       the same bash loop over 2,000 bound ports
#   check-2000      carbonprobe check --no-verify --ports (the same 2,000)
#
# scripts/bench/pair runs every command once per round in a rotating order
# and prints medians and the median of per-round ratios (the machine is
# shared: read ratios, not single times). Then GODEBUG=inittrace=1 shows what
# package initialisation costs, per package (median of INITRUNS starts).
#
#   scripts/bench/startup.sh                 # RUNS=300 rounds for the small ones, RUNS2000=40
#   RUNS=100 RUNS2000=20 scripts/bench/startup.sh
#   BASE=/path/to/older/carbonprobe scripts/bench/startup.sh   # an older build beside this one
#
# Results in scripts/bench/out/startup-STAMP/. CI does not run this.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"

RUNS=${RUNS:-300}
RUNS2000=${RUNS2000:-40}
INITRUNS=${INITRUNS:-50}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=scripts/bench/out/startup-$stamp
mkdir -p "$out"

build() { CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o "$@"; }
build "$out/carbonprobe" .
build "$out/hello" ./scripts/bench/hello
go build -o "$out/pair" ./scripts/bench/pair
go build -o "$out/delayed" ./scripts/bench/delayed
cat >"$out/devtcp.sh" <<'SH'
# bash's /dev/tcp, port after port, in the shell itself (no subshell per
# port): the fastest a shell entrypoint checks ports without a tool.
host=$1
shift
for p in "$@"; do
  exec 3<>"/dev/tcp/$host/$p" || exit 1
  exec 3>&-
done
SH

nine=$(seq 61000 61008 | paste -sd,)
scale=$(seq 61000 62999 | paste -sd,)
"$out/delayed" -ports "$scale" -delay 0 -hold 1h >"$out/delayed.log" 2>&1 &
fixture=$!
trap 'kill $fixture 2>/dev/null || true' EXIT
until grep -q '^ready' "$out/delayed.log"; do sleep 0.05; done

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(uname -sr), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "go: $(go version | cut -d' ' -f3)"
  echo "carbonprobe: $("$out/carbonprobe" --version), $(stat -c %s "$out/carbonprobe") bytes"
  echo "hello: $(stat -c %s "$out/hello") bytes"
  echo "bash: $BASH_VERSION"
} | tee "$out/machine.txt"

base=() base9=() base2000=()
if [ -n "${BASE:-}" ]; then
  base=("base-version=$BASE --version")
  base9=("base-check-9=$BASE check --no-verify --ports $nine --timeout 2s")
  base2000=("base-check-2000=$BASE check --no-verify --ports $scale --timeout 30s")
fi
echo "== start-up ($RUNS rounds)" | tee -a "$out/summary.md"
"$out/pair" -n "$RUNS" -warmup 20 "hello=$out/hello" "version=$out/carbonprobe --version" "${base[@]}" | tee -a "$out/summary.md"
echo "== 9 ports ($RUNS rounds)" | tee -a "$out/summary.md"
"$out/pair" -n "$RUNS" -warmup 20 "bash-9=bash $out/devtcp.sh 127.0.0.1 ${nine//,/ }" \
  "check-9=$out/carbonprobe check --no-verify --ports $nine --timeout 2s" "${base9[@]}" | tee -a "$out/summary.md"
echo "== 2,000 ports ($RUNS2000 rounds)" | tee -a "$out/summary.md"
"$out/pair" -n "$RUNS2000" -warmup 3 "bash-2000=bash $out/devtcp.sh 127.0.0.1 ${scale//,/ }" \
  "check-2000=$out/carbonprobe check --no-verify --ports $scale --timeout 30s" "${base2000[@]}" | tee -a "$out/summary.md"

# Package initialisation, median of INITRUNS starts, the costliest first.
for _ in $(seq "$INITRUNS"); do GODEBUG=inittrace=1 "$out/carbonprobe" --version 2>&1 >/dev/null; done >"$out/inittrace.txt"
echo "== package initialisation (GODEBUG=inittrace=1, median of $INITRUNS starts)" | tee -a "$out/summary.md"
awk '$1 == "init" { print $2, $5 }' "$out/inittrace.txt" | sort -k1,1 -k2,2g |
  awk '{ v[$1] = v[$1] " " $2; n[$1]++ } END { for (p in v) { split(substr(v[p], 2), a, " "); m = a[int((n[p] + 1) / 2)]; t += m; printf "%.3f ms %s\n", m, p } printf "%.3f ms in all\n", t }' |
  sort -rg | head -20 | tee -a "$out/summary.md"
echo "startup.sh: results in $out" >&2
