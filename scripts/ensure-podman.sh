#!/usr/bin/env bash
# Makes podman usable on a machine without a Docker engine and without a registry, and a
# local Node 24 base image to build Flotilla's images on. Prints shell assignments:
#   FLOTILLA_PODMAN="podman --cgroup-manager=cgroupfs --runtime runc"
#   CONTAINERS_CONF=/root/.cache/flotilla/images/containers.conf
#   FLOTILLA_IMAGE_BASE=localhost/flotilla/node:24.21.0-bookworm
# Usage: eval "$(bash scripts/ensure-podman.sh)"
#
# Why each step (see ../shared/STACK.md, "Containers without a Docker engine"):
# - podman, runc and mmdebstrap are Debian packages; installed here when missing (root).
# - The sandbox refuses setrlimit, so podman's default ulimits are switched off
#   (CONTAINERS_CONF with `default_ulimits = []`); crun refuses hybrid cgroups, so runc and
#   the cgroupfs manager are used.
# - No registry is reachable, so the base the Containerfiles default to
#   (docker.io/library/node:24-bookworm-slim) cannot be pulled: an equivalent is made
#   offline: Debian bookworm minbase by mmdebstrap plus the Node binary of the npm `node`
#   package the workspace pins (package.json), user `node` uid 1000 as in the official image.
#   It is cached outside the repo (~/.cache/flotilla/images) and reused between runs.
# Idempotent and safe to run concurrently (one lock).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${FLOTILLA_IMAGE_CACHE:-$HOME/.cache/flotilla/images}"
say() { echo "[podman] $*" >&2; }
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v mmdebstrap >/dev/null; then
  say "installing Debian's podman, runc and mmdebstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc mmdebstrap >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc mmdebstrap >/dev/null; }
fi

CONF="$CACHE/containers.conf"
if [ ! -f "$CONF" ]; then
  printf '[containers]\ndefault_ulimits = []\n' >"$CONF.tmp"
  mv "$CONF.tmp" "$CONF"
fi
export CONTAINERS_CONF="$CONF"
PODMAN="podman --cgroup-manager=cgroupfs --runtime runc"

NODE_BIN=$(readlink -f node_modules/node/bin/node 2>/dev/null || true)
[ -x "$NODE_BIN" ] || { say "node_modules/node/bin/node is missing: run npm ci first"; exit 1; }
NODE_VERSION=$("$NODE_BIN" -p process.versions.node)
BASE="localhost/flotilla/node:$NODE_VERSION-bookworm"

if ! $PODMAN image exists "$BASE"; then
  ROOTFS="$CACHE/debian-bookworm-minbase.tar"
  if [ ! -f "$ROOTFS" ]; then
    say "making a Debian bookworm minbase root filesystem with mmdebstrap (once, ~1-2 min)"
    # Node needs libstdc++6; docs, man pages and locales are left out to keep it small.
    mmdebstrap --quiet --variant=minbase --include=ca-certificates,libstdc++6 \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
      bookworm "$CACHE/rootfs-partial.tar" >&2
    # mmdebstrap picks the output format by the name's extension, hence .tar, then renamed.
    mv "$CACHE/rootfs-partial.tar" "$ROOTFS"
  fi
  $PODMAN import --quiet "$ROOTFS" localhost/flotilla/debian:bookworm-minbase >/dev/null
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp "$NODE_BIN" "$ctx/node"
  cat >"$ctx/Containerfile" <<'EOF'
FROM localhost/flotilla/debian:bookworm-minbase
COPY node /usr/local/bin/node
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/sh --create-home node
CMD ["node"]
EOF
  say "building $BASE (Node $NODE_VERSION from the npm node package)"
  $PODMAN build --quiet -t "$BASE" "$ctx" >/dev/null
fi

echo "FLOTILLA_PODMAN=\"$PODMAN\""
echo "CONTAINERS_CONF=$CONF"
echo "FLOTILLA_IMAGE_BASE=$BASE"
