#!/usr/bin/env bash
# The container image, tested for real without a Docker engine: builds it
# with buildah (scripts/image.sh), starts the Carbon-like server on the host,
# and runs the image with podman on the host's network:
#   1. `--version` as the image's own user (65532), with no CARBONPROBE_* variables;
#   2. the image's HEALTHCHECK command, read from the image, in a container:
#      exit 0 and a "healthy" line against the server;
#   3. a long-lived container (carbonprobe as its PID 1) and `podman
#      healthcheck run`, the way an engine runs the HEALTHCHECK: healthy, then
#      unhealthy (exit 1) once the server is stopped.
# Storage lives in a temporary folder (vfs driver), removed at the end.
#
# Podman here needs runc (crun refuses this host's hybrid cgroup layout) and
# rlimits no higher than the host's (the default 1048576 open files is
# refused with EPERM), so every run passes --ulimit.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

scripts/install-deps.sh --image >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/carbonprobe-imagetest.XXXXXX")
store=(--storage-driver vfs --root "$work/storage" --runroot "$work/run")
podman=(podman "${store[@]}" --runtime runc --cgroup-manager cgroupfs)
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
home=$work/server
cleanup() {
  "${podman[@]}" rm -f -t 0 cphc >/dev/null 2>&1 || true
  scripts/carbonlike/stop.sh --home "$home" >/dev/null 2>&1 || true
  # vfs layers are plain folders, some of them read-only.
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work" dist/test
}
trap cleanup EXIT
fail() { echo "image-test: FAIL: $*" >&2; exit 1; }

image=$(BUILDAH_OPTS="${store[*]}" scripts/image.sh "test")
echo "image-test: built $image" >&2

# quiet: podman prints systemd timer errors on hosts without systemd; drop them.
quiet() { grep -v 'level=error msg=".*systemd' || true; }

out=$("${podman[@]}" run --rm --no-healthcheck "${limits[@]}" "$image" --version 2>&1 | quiet)
echo "image-test: $out" >&2
[[ $out == "carbonprobe test (commit "* ]] || fail "--version said: $out"
user=$("${podman[@]}" image inspect "$image" --format '{{.Config.User}}')
[ "$user" = "65532:65532" ] || fail "the image runs as '$user', not 65532:65532"

offset=
for try in 1 2 3 4 5 6 7 8 9 10; do
  offset=$(((RANDOM % 2000) + 100))
  rm -rf "$home"
  status=0
  scripts/carbonlike/start.sh --home "$home" --profile carbon --offset "$offset" >/dev/null 2>&1 || status=$?
  [ "$status" = 0 ] && break
  [ "$status" = 10 ] || fail "the Carbon-like server did not start (exit $status)"
done
env=(-e CARBONPROBE_PROFILE=carbon -e "CARBONPROBE_OFFSET=$offset")

# The HEALTHCHECK's own command line, as the image records it: ["CMD", argv...].
mapfile -t hc < <("${podman[@]}" image inspect "$image" --format '{{range .Config.Healthcheck.Test}}{{println .}}{{end}}' | sed '/^$/d')
[ "${hc[0]:-}" = CMD ] || fail "no HEALTHCHECK CMD in the image: ${hc[*]:-none}"
code=0 # pipefail: podman's exit code, not quiet's
out=$("${podman[@]}" run --rm --no-healthcheck --network host "${limits[@]}" "${env[@]}" --entrypoint "${hc[1]}" "$image" "${hc[@]:2}" 2>&1 | quiet) || code=$?
echo "image-test: HEALTHCHECK ${hc[*]:1}: exit $code: $out" >&2
[ "$code" = 0 ] && [[ $out == healthy:* ]] || fail "the HEALTHCHECK command against the server: exit $code"

# A container that stays up, as one beside a server would; the engine runs the
# HEALTHCHECK inside it. Its PID 1 is carbonprobe waiting for a port that never opens.
"${podman[@]}" run -d --name cphc --network host "${limits[@]}" "${env[@]}" --health-interval disable \
  "$image" wait --ports 1 --timeout 10m --progress none >/dev/null 2>&1
code=$(("${podman[@]}" healthcheck run cphc >/dev/null 2>&1 && echo 0) || echo $?)
[ "$code" = 0 ] || fail "podman healthcheck run with the server up: exit $code"
scripts/carbonlike/stop.sh --home "$home" >/dev/null
code=$(("${podman[@]}" healthcheck run cphc >/dev/null 2>&1 && echo 0) || echo $?)
[ "$code" = 1 ] || fail "podman healthcheck run with the server stopped: exit $code, want 1"
log=$("${podman[@]}" inspect cphc --format '{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{println}}{{end}}' 2>/dev/null | sed '/^$/d')
echo "$log" | sed 's/^/image-test: health log: /' >&2
grep -q '^1 unhealthy: carbon offset' <<<"$log" || fail "no unhealthy line in the health log"

# serve in the image: carbonprobe runs carbonprobe-serve in its place, which
# reads its (absent) targets file and says what it would check.
code=0
out=$("${podman[@]}" run --rm --no-healthcheck --network host "${limits[@]}" "$image" serve --check-config 2>&1) || code=$?
echo "image-test: serve --check-config: exit $code: $out" >&2
[ "$code" = 0 ] && [[ $out == *"local: all"* ]] || fail "serve in the image: exit $code"
echo "image-test: 4 passed, 0 failed"
