#!/usr/bin/env bash
# Release archives that anyone can rebuild byte for byte from the commit:
#
#   scripts/release.sh [VERSION]              # every target, into dist/VERSION/
#   TARGETS=linux/amd64 scripts/release.sh 0.2.0
#   scripts/release.sh --check [VERSION]      # then build again in another folder with an
#                                             # empty build cache and compare the sums
#   CHECK_TARGETS=linux/amd64 scripts/release.sh --check   # the second build of one target only
#
# VERSION defaults to the tag on HEAD (v0.2.0 -> 0.2.0), else `git describe`,
# else "dev". The source is the commit (git archive HEAD), not the work tree,
# so uncommitted changes are never released (a warning says when there are
# some). Every binary is static (CGO_ENABLED=0), built with -trimpath and
# -buildvcs=false, stripped, with an empty build id, and stamped with the
# version, the commit and the commit's time (SOURCE_DATE_EPOCH) through
# -ldflags -X; archives hold the binary, LICENSE, README.md and CHANGELOG.md,
# every entry dated SOURCE_DATE_EPOCH (scripts/pack). dist/VERSION/SHA256SUMS
# lists the archives; users check a download with `sha256sum -c --ignore-missing SHA256SUMS`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
TARGETS=${TARGETS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"}
# Build tags of every carbonprobe build: urfave_cli_no_docs leaves out the
# CLI library's man page and Markdown generator (and blackfriday with it),
# which carbonprobe never calls: a smaller binary and a faster start.
TAGS=urfave_cli_no_docs

commit=$(git rev-parse HEAD)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}
date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
version=${1:-${VERSION:-}}
if [ -z "$version" ]; then
  version=$(git describe --tags --exact-match HEAD 2>/dev/null || git describe --tags 2>/dev/null || echo dev)
fi
version=${version#v}
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "release.sh: the work tree has uncommitted changes; building the commit $commit without them" >&2
fi

# build OUT: every target from a fresh export of the commit into OUT.
build() {
  local out src
  mkdir -p "$1"
  out=$(cd "$1" && pwd)
  src=$(mktemp -d "${TMPDIR:-/tmp}/carbonprobe-src.XXXXXX")
  git archive HEAD | tar -x -C "$src"
  local pkg=github.com/carbonprobe/carbonprobe/internal/buildinfo
  local ldflags="-s -w -buildid= -X $pkg.Version=$version -X $pkg.Commit=$commit -X $pkg.Date=$date"
  local target
  for target in $TARGETS; do
    local os=${target%/*} arch=${target#*/}
    local name=carbonprobe_${version}_${os}_${arch} exe=carbonprobe serve=carbonprobe-serve
    [ "$os" = windows ] && exe=carbonprobe.exe serve=carbonprobe-serve.exe
    local stage=$src/.stage/$name
    mkdir -p "$stage"
    # Every setting that changes the output is given here, so that the
    # caller's environment (GOFLAGS, GOAMD64, ...) cannot.
    (cd "$src" && env CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" GOAMD64=v1 GOARM64=v8.0 GOFLAGS=-mod=readonly GOEXPERIMENT= \
      go build -trimpath -buildvcs=false -tags "$TAGS" -ldflags "$ldflags" -o "$stage/$exe" . &&
      env CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" GOAMD64=v1 GOARM64=v8.0 GOFLAGS=-mod=readonly GOEXPERIMENT= \
      go build -trimpath -buildvcs=false -tags "$TAGS" -ldflags "$ldflags" -o "$stage/$serve" ./cmd/carbonprobe-serve)
    cp "$src/LICENSE" "$src/README.md" "$src/CHANGELOG.md" "$stage/"
    local ext=tar.gz
    [ "$os" = windows ] && ext=zip
    # The man page and the completions, generated from the commands
    # (scripts/gendocs; a test keeps the checked-in files current).
    (cd "$src" && go run ./scripts/pack -o "$out/$name.$ext" -prefix "$name" -epoch "$epoch" -exec "$exe,$serve" \
      "$stage/$exe" "$stage/$serve" "$stage/LICENSE" "$stage/README.md" "$stage/CHANGELOG.md" \
      docs/man/carbonprobe.1=man/carbonprobe.1 \
      docs/completions/carbonprobe.bash=completions/carbonprobe.bash \
      docs/completions/_carbonprobe=completions/_carbonprobe \
      docs/completions/carbonprobe.fish=completions/carbonprobe.fish)
    echo "release.sh: $name.$ext ($exe $(stat -c %s "$stage/$exe") bytes, $serve $(stat -c %s "$stage/$serve") bytes unpacked)" >&2
  done
  (cd "$out" && shopt -s nullglob && files=(*.tar.gz *.zip) && sha256sum -- "${files[@]}" | sort -k2 >SHA256SUMS)
  rm -rf "$src"
}

dist=dist/$version
rm -rf "$dist"
build "$dist"
echo "release.sh: carbonprobe $version, commit ${commit:0:12}, dated $date: $dist" >&2
cat "$dist/SHA256SUMS"

if [ "$check" = 1 ]; then
  # Another folder and an empty build cache: nothing is reused from the first build.
  again=$(mktemp -d "${TMPDIR:-/tmp}/carbonprobe-again.XXXXXX")
  cache=$(mktemp -d "${TMPDIR:-/tmp}/carbonprobe-gocache.XXXXXX")
  trap 'rm -rf "$again" "$cache"' EXIT
  TARGETS=${CHECK_TARGETS:-$TARGETS} GOCACHE=$cache build "$again/out"
  # Every sum of the second build must be a line of the first.
  if differ=$(grep -F -x -v -f "$dist/SHA256SUMS" "$again/out/SHA256SUMS"); then
    echo "$differ" >&2
    echo "release.sh: two builds of $commit differ: not reproducible" >&2
    exit 1
  fi
  echo "release.sh: reproducible: a second build in another folder with an empty build cache gives the same sums" >&2
fi
