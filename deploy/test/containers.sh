#!/usr/bin/env bash
# Proves deploy/Dockerfile and deploy/compose.yaml in real containers (podman): builds the base
# image from Debian packages (no registry is needed), builds the holdfast image, starts the compose
# cluster and runs deploy/test/compose-checks.mjs against it (put/get, the leader's container killed
# and restarted with a new address, data kept across down/up, health check). Always removes what it
# started: containers, network, volumes.
#
# usage: deploy/test/containers.sh            (from anywhere; run `npx tsc -b` first)
# Skips (exit 0, reason printed) only where podman is missing and cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
started_s=$(date +%s)

BASE_IMAGE=docker.io/library/node:20-bookworm-slim
IMAGE=holdfast:dev
export HOLDFAST_COMPOSE_PROJECT="holdfast-ci-$$"

skip() {
  echo "container test skipped: $1"
  exit 0
}

is_root() { [ "$(id -u)" = 0 ]; }

install_packages() {
  if command -v podman >/dev/null && command -v podman-compose >/dev/null && command -v runc >/dev/null; then return; fi
  is_root || skip "podman, podman-compose or runc is missing and this is not root (cannot apt-get install)"
  command -v apt-get >/dev/null || skip "podman is missing and there is no apt-get"
  echo "installing podman, runc, podman-compose, debootstrap"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc podman-compose debootstrap >/dev/null) \
    || skip "podman could not be installed (apt-get install failed)"
}

# crun refuses on these machines (cgroups in hybrid mode) and the default ulimits fail on
# setrlimit: runc and no default ulimits. Written only where no one configured podman yet.
configure_podman() {
  local conf=/etc/containers/containers.conf
  if [ -e "$conf" ] || ! is_root; then return; fi
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >"$conf"
  echo "wrote $conf (runtime runc, no default ulimits)"
}

# The Dockerfile starts FROM node:20-bookworm-slim. Without a registry it is made here: a minimal
# Debian with this machine's Node 20 and npm (and its CA bundle and npm config, so `npm ci` in the
# build reaches the registry as this machine does). Kept between runs: skipped when the tag exists.
build_base_image() {
  if podman image exists "$BASE_IMAGE"; then
    echo "base image $BASE_IMAGE present; not rebuilt"
    return
  fi
  is_root || skip "building the base image needs root (debootstrap)"
  command -v debootstrap >/dev/null || skip "debootstrap is missing"
  local node_bin npm_dir root
  node_bin=$(command -v node)
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  case "$(node --version)" in v20.*) ;; *) skip "the base image needs Node 20 on this machine, found $(node --version)" ;; esac
  root=$(mktemp -d /var/tmp/holdfast-base.XXXXXX)
  echo "building $BASE_IMAGE with debootstrap in $root"
  debootstrap --variant=minbase bookworm "$root" >/dev/null
  mkdir -p "$root/usr/lib/node_modules" "$root/etc/ssl/certs" "$root/usr/etc"
  cp "$node_bin" "$root/usr/bin/node"
  cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  for f in /etc/npmrc /usr/etc/npmrc; do [ -e "$f" ] && cp "$f" "$root$f"; done
  chroot "$root" /usr/sbin/groupadd --gid 1000 node
  chroot "$root" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  tar -C "$root" -c . | podman import -q - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
}

cleanup() {
  if [ "${HOLDFAST_KEEP_CONTAINERS:-}" = 1 ]; then
    echo "HOLDFAST_KEEP_CONTAINERS=1: left project $HOLDFAST_COMPOSE_PROJECT running; remove it with: podman-compose -p $HOLDFAST_COMPOSE_PROJECT -f deploy/compose.yaml down -v"
    return
  fi
  podman rm -f -v "${HOLDFAST_COMPOSE_PROJECT}_filler" >/dev/null 2>&1 || true
  podman-compose -p "$HOLDFAST_COMPOSE_PROJECT" -f deploy/compose.yaml down -v >/dev/null 2>&1 || true
  # podman-compose down leaves nothing behind when it works; this catches a half-started project.
  podman ps -aq --filter "label=com.docker.compose.project=$HOLDFAST_COMPOSE_PROJECT" | xargs -r podman rm -f -v >/dev/null 2>&1 || true
  podman volume ls -q --filter "label=com.docker.compose.project=$HOLDFAST_COMPOSE_PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  podman network ls -q --filter "label=com.docker.compose.project=$HOLDFAST_COMPOSE_PROJECT" | xargs -r podman network rm -f >/dev/null 2>&1 || true
}

install_packages
configure_podman
podman info >/dev/null 2>&1 || skip "podman is installed but does not run here: $(podman info 2>&1 | tail -1)"
build_base_image
build_started_s=$(date +%s)
podman build --pull=never --format docker -q -f deploy/Dockerfile -t "$IMAGE" . >/dev/null
echo "image $IMAGE built in $(($(date +%s) - build_started_s)) s"

volumes_before=$(podman volume ls -q | sort)
trap cleanup EXIT
node deploy/test/compose-checks.mjs
cleanup
trap - EXIT
# What the project left: its labelled containers and networks, and any volume that is new since
# the start (the compose volumes, and anonymous ones the image's VOLUME gives a container).
left=$( (podman ps -aq --filter "label=com.docker.compose.project=$HOLDFAST_COMPOSE_PROJECT"; \
  podman network ls -q --filter "label=com.docker.compose.project=$HOLDFAST_COMPOSE_PROJECT"; \
  comm -13 <(echo "$volumes_before") <(podman volume ls -q | sort)) | grep -c . || true)
if [ "${HOLDFAST_KEEP_CONTAINERS:-}" != 1 ] && [ "$left" -ne 0 ]; then
  echo "container test: $left containers, volumes or networks of $HOLDFAST_COMPOSE_PROJECT were left behind" >&2
  exit 1
fi
echo "container test passed in $(($(date +%s) - started_s)) s"
