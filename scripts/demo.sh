#!/usr/bin/env bash
# The main job, end to end, on this machine (README "Try it"): builds
# carbonprobe, starts the bundled Carbon-like server (a JDK program that opens
# what a Carbon 4 kernel opens: HTTPS, HTTP, a real RMI registry and JMX
# connector server, a syslog-style UDP sender) at a free port offset, with
# OpenLDAP slapd and MIT krb5kdc on 10389 + offset and 8000 + offset, then
# runs `ports`, `check` and `jmx` against it, and the same for a Micro
# Integrator-like server, whose built-in offset 10 a flag replaces. It stops
# only what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

scripts/install-deps.sh
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o bin/carbonprobe .
cp=bin/carbonprobe

work=$(mktemp -d "${TMPDIR:-/tmp}/carbonprobe-demo.XXXXXX")
started=()
cleanup() {
  for s in "${started[@]}"; do eval "$s" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

# start_server PROFILE NAME: start a Carbon-like server at the first offset
# (from a random start) whose ports are all free; sets $offset.
start_server() {
  local profile=$1 home="$work/$2" try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    offset=$(( (RANDOM % 2000) + 100 ))
    rm -rf "$home"
    local status=0
    scripts/carbonlike/start.sh --home "$home" --profile "$profile" --offset "$offset" >&2 || status=$?
    if [ "$status" -eq 0 ]; then
      started+=("scripts/carbonlike/stop.sh --home '$home'")
      return 0
    fi
    [ "$status" -eq 10 ] || return "$status" # 10: a port was taken; try another offset
  done
  echo "demo: no free offset found in 10 tries" >&2
  return 1
}

echo "== a Carbon 4 kernel-like server ==" >&2
start_server carbon carbon
carbon_offset=$offset
if scripts/fixtures/slapd.sh start "$work/ldap" $((10389 + offset)) >&2; then
  started+=("scripts/fixtures/slapd.sh stop '$work/ldap'")
fi
if scripts/fixtures/krb5kdc.sh start "$work/kdc" $((8000 + offset)) >&2; then
  started+=("scripts/fixtures/krb5kdc.sh stop '$work/kdc'")
fi

say carbonprobe ports --profile carbon --offset "$offset"
$cp ports --profile carbon --offset "$offset"
say carbonprobe check --profile carbon --offset "$offset"
$cp check --profile carbon --offset "$offset"
say carbonprobe jmx --profile carbon --offset "$offset"
$cp jmx --profile carbon --offset "$offset"

say "carbonprobe check --profile carbon --java-opts '-Xmx1g ... Bootstrap -DportOffset=$((offset + 1))'   # the wrong offset: exit 1"
code=0
$cp check --profile carbon --java-opts "-Xmx1g org.wso2.carbon.bootstrap.Bootstrap -DportOffset=$((offset + 1))" --timeout 1s || code=$?
[ "$code" -eq 1 ] || { echo "demo: expected exit 1 for the wrong offset, got $code" >&2; exit 1; }

say "carbonprobe ports --carbon-home expect/testdata/homes/apim-4.2.0   # a home's own files decide"
$cp ports --carbon-home expect/testdata/homes/apim-4.2.0 | sed -n '1,30p'

echo >&2
echo "== a Micro Integrator-like server ==" >&2
start_server mi mi
say carbonprobe check --profile mi --offset "$offset" --format json
$cp check --profile mi --offset "$offset" --format json
echo >&2
echo "demo: carbon-like server at offset $carbon_offset and MI-like server at offset $offset checked; stopping them" >&2
