#!/usr/bin/env bash
# Builds the hub and agent images with podman (no Docker engine needed):
#   bash scripts/images.sh            -> localhost/flotilla/hub:<version>, localhost/flotilla/agent:<version>
# Bundles both services (tools/bundle.js), then builds deploy/images/*.Containerfile on the
# base from scripts/ensure-podman.sh (FLOTILLA_IMAGE_BASE overrides it, e.g. with
# docker.io/library/node:24-bookworm-slim where a registry is reachable). Prints each image's
# size and build time; the last line is `images: hub X MB, agent Y MB`.
# FLOTILLA_IMAGE_TAG overrides the tag (default: the version in package.json).
set -euo pipefail
cd "$(dirname "$0")/.."

wanted_base="${FLOTILLA_IMAGE_BASE:-}"
eval "$(bash scripts/ensure-podman.sh)"
export CONTAINERS_CONF
BASE="${wanted_base:-$FLOTILLA_IMAGE_BASE}"
NODE=node_modules/.bin/node
VERSION=$($NODE -p "require('./package.json').version")
TAG="${FLOTILLA_IMAGE_TAG:-$VERSION}"
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then REVISION="$REVISION-dirty"; fi

t0=$(date +%s)
$NODE tools/bundle.js .flotilla/bundle
echo "[images] bundled in $(($(date +%s) - t0)) s" >&2

sizes=()
for svc in hub agent; do
  t=$(date +%s)
  # Host network: the hub's RUN apt-get reaches the Debian mirror as the host does.
  $FLOTILLA_PODMAN build --quiet --network host \
    --build-arg BASE="$BASE" --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
    -f "deploy/images/$svc.Containerfile" -t "localhost/flotilla/$svc:$TAG" .flotilla/bundle >/dev/null
  bytes=$($FLOTILLA_PODMAN image inspect --format '{{.Size}}' "localhost/flotilla/$svc:$TAG")
  mb=$(( (bytes + 500000) / 1000000 ))
  echo "[images] localhost/flotilla/$svc:$TAG ($REVISION) built in $(($(date +%s) - t)) s: $mb MB" >&2
  sizes+=("$svc $mb MB")
done
# Baseline: the base image alone (Debian + Node), what the services add is the difference.
base_bytes=$($FLOTILLA_PODMAN image inspect --format '{{.Size}}' "$BASE" 2>/dev/null || echo 0)
echo "[images] baseline: base $BASE $(( (base_bytes + 500000) / 1000000 )) MB; total $(($(date +%s) - t0)) s" >&2
echo "images: ${sizes[0]}, ${sizes[1]}"
