#!/usr/bin/env bash
# Compiles the carbon-like server into a cache directory keyed by a hash of its sources and the
# javac version, and prints that classes directory. Safe for concurrent callers: each compiles
# into its own temporary directory and renames it into place; the first rename wins.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
src="$here/src"
cache="${CARBONLIKE_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME or CARBONLIKE_CACHE must be set}/.cache}/carbonprobe/carbonlike}"

command -v javac >/dev/null || { echo "build.sh: javac not found on PATH (Debian: apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }

mapfile -d '' sources < <(cd "$src" && find . -type f -name '*.java' -print0 | LC_ALL=C sort -z)
[ "${#sources[@]}" -gt 0 ] || { echo "build.sh: no Java sources under $src" >&2; exit 1; }

hash=$( { (cd "$src" && sha256sum "${sources[@]}"); javac -version 2>&1; } | sha256sum | cut -c1-16)
out="$cache/$hash"
if [ -d "$out" ]; then
    echo "$out"
    exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
(cd "$src" && javac --release 17 -Xlint:all -Werror -encoding UTF-8 -d "$tmp" "${sources[@]}") >&2
# rename(2) of a directory onto an existing non-empty one fails, so a racing build cannot clobber
# a finished one; the loser just uses the winner's output.
if mv -T "$tmp" "$out" 2>/dev/null; then
    trap - EXIT
elif [ ! -d "$out" ]; then
    echo "build.sh: cannot move $tmp to $out" >&2
    exit 1
fi
echo "$out"
