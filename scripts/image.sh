#!/usr/bin/env bash
# Builds carbonprobe's container image (Containerfile) from the release
# archive of this commit, so that the image holds the very binary users can
# download and verify.
#
#   scripts/image.sh [VERSION]        # -> localhost/carbonprobe:VERSION
#
# It uses buildah when it is installed (no daemon: it works where Docker's
# engine does not run), else docker. BUILDAH_OPTS defaults to what works
# without a daemon or privileges on a plain Debian host:
# --storage-driver vfs and --isolation chroot. ARCH defaults to this machine's.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

version=${1:-${VERSION:-dev}}
version=${version#v}
arch=${ARCH:-$(go env GOARCH)}
image=${IMAGE:-localhost/carbonprobe:$version}

TARGETS=linux/$arch scripts/release.sh "$version" >/dev/null
archive=dist/$version/carbonprobe_${version}_linux_${arch}.tar.gz
ctx=$(mktemp -d "${TMPDIR:-/tmp}/carbonprobe-image.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
tar -xzf "$archive" -C "$ctx" --strip-components=1
cp Containerfile "$ctx/"
args=(--build-arg "VERSION=$version" --build-arg "COMMIT=$(git rev-parse HEAD)" -f "$ctx/Containerfile" -t "$image")

if command -v buildah >/dev/null; then
  # --format docker: the OCI image format has no HEALTHCHECK; buildah drops it there.
  read -r -a opts <<<"${BUILDAH_OPTS:---storage-driver vfs}"
  buildah "${opts[@]}" bud --isolation "${ISOLATION:-chroot}" --format docker --arch "$arch" "${args[@]}" "$ctx" >&2
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  docker build --platform "linux/$arch" "${args[@]}" "$ctx" >&2
else
  echo "image.sh: neither buildah nor a running Docker engine here (apt-get install buildah)" >&2
  exit 1
fi
echo "$image"
