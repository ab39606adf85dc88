#!/usr/bin/env bash
# The start-up floor of carbonprobe's package set: hello-world binaries that
# import (and so initialise) one library each, or everything carbonprobe
# imports, and print a line; paired with a plain hello world and with
# carbonprobe --version. A variant's ratio is what that library alone costs
# every start (its package initialisation, and the runtime's start of a
# larger binary), whatever main then does.
#
#   scripts/bench/floor.sh            # RUNS=300 rounds
#
# Results in scripts/bench/out/floor-STAMP/. CI does not run this.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
RUNS=${RUNS:-300}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=scripts/bench/out/floor-$stamp
mkdir -p "$out"

# variant NAME PACKAGE...: a main that imports the packages and prints a line.
variant() {
  local name=$1 dir
  shift
  dir=$(mktemp -d "$PWD/scripts/bench/floor-src.XXXXXX")
  {
    echo 'package main'
    echo 'import ('
    echo '"os"'
    for p in "$@"; do echo "_ \"$p\""; done
    echo ')'
    echo 'func main() { os.Stdout.WriteString("v\n") }'
  } >"$dir/main.go"
  CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o "$out/$name" "./${dir#"$PWD"/}"
  rm -rf "$dir"
  echo "$name: $(stat -c %s "$out/$name") bytes" >>"$out/sizes.txt"
}

variant hello
variant urfave-cli github.com/urfave/cli/v2
variant yaml go.yaml.in/yaml/v3
variant crypto-tls crypto/tls
variant net-http net/http
variant go-ldap github.com/go-ldap/ldap/v3
variant carbonprobe-packages github.com/carbonprobe/carbonprobe/internal/command
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o "$out/carbonprobe" .
go build -o "$out/pair" ./scripts/bench/pair
cat "$out/sizes.txt"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/machine.txt"
"$out/pair" -n "$RUNS" -warmup 20 "hello=$out/hello" "urfave-cli=$out/urfave-cli" "yaml=$out/yaml" \
  "crypto-tls=$out/crypto-tls" "net-http=$out/net-http" "go-ldap=$out/go-ldap" \
  "packages=$out/carbonprobe-packages" "version=$out/carbonprobe --version" | tee "$out/summary.md"
