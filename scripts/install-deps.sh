#!/usr/bin/env bash
# Installs what carbonprobe's tests and demo need on a fresh Debian machine,
# and only what is missing: a JDK (the Carbon-like server), OpenLDAP slapd and
# MIT krb5kdc (real servers for the protocol checks), xmllint (the JUnit
# schema), zsh, fish and groff (the completions and the man page), and the
# Go modules. With --image, also buildah, podman and runc
# (scripts/image-test.sh builds and runs the container image without a
# Docker engine; runc, as crun refuses hybrid cgroup hosts).
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }

pkgs=()
have java && have javac && have keytool || pkgs+=(openjdk-17-jdk-headless)
have slapd || pkgs+=(slapd)
have ldapsearch || pkgs+=(ldap-utils)
have krb5kdc && have kdb5_util || pkgs+=(krb5-kdc)
have ss || pkgs+=(iproute2)
have xmllint || pkgs+=(libxml2-utils) # validates the JUnit output against its schema
# serve: Prometheus scrapes it and promtool lints it (scripts/prometheus-test.sh);
# blackbox_exporter is the peer of the /probe benchmark (scripts/bench/serve.sh).
have prometheus && have promtool || pkgs+=(prometheus)
have prometheus-blackbox-exporter || pkgs+=(prometheus-blackbox-exporter)
have curl || pkgs+=(curl)
have jq || pkgs+=(jq)
# The generated completions are run by the shells they are for, the man page by groff.
have zsh || pkgs+=(zsh)
have fish || pkgs+=(fish)
have groff || pkgs+=(groff-base)
if [ "${1:-}" = "--image" ]; then
  have buildah || pkgs+=(buildah)
  have podman || pkgs+=(podman)
  have runc || pkgs+=(runc)
fi

if ((${#pkgs[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: apt-get install ${pkgs[*]}"
  $sudo apt-get update -qq
  # noninteractive: slapd's debconf questions take their defaults; the
  # system slapd the package may start is not used by the tests.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

go mod download
