#!/usr/bin/env bash
# The test command (README "Run the tests"): installs what is missing, then
# checks formatting, vets, builds the static binary, and runs every test,
# fuzz seed corpora included, under the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

scripts/install-deps.sh

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
# urfave_cli_no_docs: every build leaves out the CLI library's man page and
# Markdown generator (README "Install").
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o bin/carbonprobe .
# carbonprobe-serve is carbonprobe with the exporter (client_golang,
# exporter-toolkit) linked in; `carbonprobe serve` runs it. Kept apart so
# that those libraries cost nothing to check, wait and the others.
CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -ldflags='-s -w' -o bin/carbonprobe-serve ./cmd/carbonprobe-serve
size=$(stat -c %s bin/carbonprobe)
serve_size=$(stat -c %s bin/carbonprobe-serve)
echo "static binaries: carbonprobe $size bytes, carbonprobe-serve $serve_size bytes"
if [ "$size" -ge 12000000 ]; then
  echo "carbonprobe is past its 12 MB budget (docs/performance.md)" >&2
  exit 1
fi
if [ "$serve_size" -ge 17000000 ]; then
  echo "carbonprobe-serve is past its 17 MB budget (docs/performance.md)" >&2
  exit 1
fi
if go version -m bin/carbonprobe | grep -q prometheus/client_golang; then
  echo "carbonprobe links client_golang: the exporter belongs in carbonprobe-serve only" >&2
  exit 1
fi
# Every release target builds from this work tree (docs/platforms.md says
# what works where); then the release procedure itself: two builds of the
# commit, in two folders, the second with an empty build cache, must give the
# same archive.
for target in linux/arm64 darwin/amd64 darwin/arm64 windows/amd64; do
  CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go build -tags urfave_cli_no_docs -o /dev/null .
  CGO_ENABLED=0 GOOS=${target%/*} GOARCH=${target#*/} go build -tags urfave_cli_no_docs -o /dev/null ./cmd/carbonprobe-serve
done
echo "cross-builds: linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 build"
# Then what a user does with a release: check the sums, unpack, ask the version.
if git rev-parse --verify -q HEAD >/dev/null; then
  TARGETS=linux/amd64 scripts/release.sh --check ci >/dev/null
  (
    cd dist/ci
    sha256sum -c --quiet SHA256SUMS
    tar -xzf carbonprobe_ci_linux_amd64.tar.gz
    version=$(./carbonprobe_ci_linux_amd64/carbonprobe --version)
    case $version in
      "carbonprobe ci (commit $(git rev-parse HEAD | cut -c1-7), built "*) echo "release archive: $version" ;;
      *) echo "the release archive's binary says: $version" >&2; exit 1 ;;
    esac
    [ -x carbonprobe_ci_linux_amd64/carbonprobe-serve ] || { echo "the release archive lacks carbonprobe-serve" >&2; exit 1; }
    for f in man/carbonprobe.1 completions/carbonprobe.bash completions/_carbonprobe completions/carbonprobe.fish; do
      [ -s "carbonprobe_ci_linux_amd64/$f" ] || { echo "the release archive lacks $f" >&2; exit 1; }
    done
  )
  rm -rf dist/ci
fi
go test -race -count=1 -timeout 20m ./...
