#!/usr/bin/env bash
# Builds the real upstream kube-apiserver and kube-controller-manager (v1.20.2) from
# Debian bookworm's `kubernetes` source package, offline, for the integration tests.
# No Debian or npm package ships these binaries and this machine has no Docker/kind, so
# we build them once and cache them outside the repo. Idempotent; runs as root, no stdin.
# See shared/STACK.md ("Kubernetes: a real API server is available") for why each step.
set -Eeuo pipefail

KUBE_VERSION=v1.20.2
KUBE_MAJOR=1
KUBE_MINOR=20
DEB_SOURCE_VERSION='1.20.5+really1.20.2-1.1+deb12u1'
CACHE_DIR="${FLOTILLA_KUBE_CACHE:-$HOME/.cache/flotilla/kube/$KUBE_VERSION}"
BIN_DIR="$CACHE_DIR/bin"
WORK_DIR="$CACHE_DIR/build"
DEB_SRC_FILE=/etc/apt/sources.list.d/flotilla-bookworm-src.sources
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2

START_TS=$(date +%s)
STEP='start'
log() { printf '[kube-build %4ss] %s\n' "$(($(date +%s) - START_TS))" "$*"; }
step() { STEP="$1"; log "step: $1"; }
die() { printf '[kube-build] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; printf "[kube-build] FAILED (exit %s) during step \"%s\" at line %s: %s\n" "$rc" "$STEP" "$LINENO" "$BASH_COMMAND" >&2; exit $rc' ERR

have_binaries() { [[ -x "$BIN_DIR/kube-apiserver" && -x "$BIN_DIR/kube-controller-manager" ]]; }
ready() { have_binaries && command -v etcd >/dev/null; }

if ready; then
  echo "[kube-build] kube-apiserver and kube-controller-manager $KUBE_VERSION already built in $BIN_DIR (etcd: $(command -v etcd))"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "must run as root (it adds an apt source and installs Debian packages)"
export DEBIAN_FRONTEND=noninteractive

mkdir -p "$CACHE_DIR"
# Two test runs may call this at once; the second waits and then finds the binaries.
exec 9>"$CACHE_DIR/.build.lock"
flock 9
if ready; then
  echo "[kube-build] built meanwhile by another process: $BIN_DIR"
  exit 0
fi

have_binaries || log "building kube-apiserver/kube-controller-manager $KUBE_VERSION into $BIN_DIR (about 10 min on 2 cores)"

step '1/7 apt sources and packages'
# Any existing deb-src for bookworm main (one-line or deb822 format) is enough; a second
# one would only make apt warn about duplicate sources.
has_bookworm_deb_src() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -qE '^[[:space:]]*deb-src[[:space:]].*[[:space:]]bookworm[[:space:]](.*[[:space:]])?main([[:space:]]|$)' && return 0
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'BEGIN { RS = ""; rc = 1 }
    /(^|\n)Types:[^\n]*deb-src/ && /(^|\n)Suites:([^\n]*[ \t])?bookworm([ \t]|\n|$)/ &&
    /(^|\n)Components:([^\n]*[ \t])?main([ \t]|\n|$)/ { rc = 0 } END { exit rc }'
}
if ! has_bookworm_deb_src; then
  log "adding $DEB_SRC_FILE (deb-src bookworm main)"
  cat >"$DEB_SRC_FILE" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi
log "apt-get update"
apt-get update -qq || die "apt-get update failed"
missing=()
for pkg in golang-go etcd-server golang-github-modern-go-reflect2-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi
# Debian's Go (1.19) is the toolchain this recipe was proven with; another `go` earlier on
# PATH must not take over.
export PATH="/usr/lib/go/bin:$PATH"
command -v go >/dev/null || die "go not on PATH after installing golang-go"
[[ -d "$REFLECT2_SRC" ]] || die "$REFLECT2_SRC missing (golang-github-modern-go-reflect2-dev)"
log "$(go version)"
# A kept machine may have lost the packages but not the cache: nothing else to do then.
if have_binaries; then
  echo "[kube-build] binaries already in $BIN_DIR; installed the missing packages only"
  exit 0
fi

step '2/7 download and unpack the kubernetes source package'
mkdir -p "$WORK_DIR/src"
cd "$WORK_DIR/src"
# apt verifies files it already has, so a rerun downloads nothing.
if ! apt-get source -qq --download-only "kubernetes=$DEB_SOURCE_VERSION" >"$WORK_DIR/apt-source.log" 2>&1; then
  cat "$WORK_DIR/apt-source.log" >&2
  die "apt-get source kubernetes=$DEB_SOURCE_VERSION failed (is the deb-src entry for bookworm main there?)"
fi
orig=$(ls kubernetes_*.orig.tar.* 2>/dev/null | head -n1 || true)
[[ -n "$orig" ]] || die "apt-get source kubernetes=$DEB_SOURCE_VERSION left no orig tarball in $WORK_DIR/src"
# Always unpack afresh: a half-patched tree from an interrupted run must not be reused.
# The Go build cache (below) keeps a rerun after a failure fast anyway.
TREE="$WORK_DIR/kubernetes"
rm -rf "$TREE" "$WORK_DIR/unpack"
mkdir -p "$WORK_DIR/unpack"
tar -xf "$orig" -C "$WORK_DIR/unpack"
top=$(find "$WORK_DIR/unpack" -mindepth 1 -maxdepth 1 -type d | head -n1)
[[ -f "$top/cmd/kube-apiserver/apiserver.go" ]] || die "unexpected layout in $orig (no cmd/kube-apiserver)"
mv "$top" "$TREE"
rmdir "$WORK_DIR/unpack"

step '3/7 GOPATH layout'
# Go 1.19 in module mode stops with "updates to go.mod needed"; GOPATH mode with the
# tree's vendor/ builds offline.
export GOPATH="$WORK_DIR/gopath"
export GOCACHE="$WORK_DIR/gocache"
export GO111MODULE=off GOPROXY=off CGO_ENABLED=0 GOFLAGS=
mkdir -p "$GOPATH/src/k8s.io" "$GOPATH/bin"
ln -sfn "$TREE" "$GOPATH/src/k8s.io/kubernetes"
PKG_DIR="$GOPATH/src/k8s.io/kubernetes"
cd "$PKG_DIR"

step '4/7 vendor modern-go/reflect2 1.0.2'
# reflect2 1.0.1 built with Go >= 1.18 makes a server that segfaults on the first
# custom-resource write; Debian's 1.0.2 sources are API-compatible.
rm -rf vendor/github.com/modern-go/reflect2
mkdir -p vendor/github.com/modern-go/reflect2
find "$REFLECT2_SRC" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' \
  -exec cp {} vendor/github.com/modern-go/reflect2/ \;
ls vendor/github.com/modern-go/reflect2/*.go >/dev/null

step '5/7 generate pkg/generated/openapi/zz_generated.openapi.go'
go build -o "$GOPATH/bin/openapi-gen" k8s.io/kubernetes/vendor/k8s.io/kube-openapi/cmd/openapi-gen
# The package set upstream's build/root/Makefile.generated_files feeds it for the kube
# target: Go files outside ./vendor, ./_* and ./.*, staging packages under their vendored
# import path, that carry a `// +k8s:` tag line and mention +k8s:openapi-gen=, minus
# code-generator and sample-apiserver (they get their own openapi targets).
# (pipefail off here: xargs exits 123 when one grep batch matches nothing.)
inputs=$(
  set +o pipefail
  find -H . \( -path ./vendor -o -path './_*' -o -path './.*' \) -prune -o -type f -name '*.go' -print \
    | sed -e 's|^\./staging/src/|vendor/|' -e 's|^\./||' \
    | grep -vE '^vendor/k8s\.io/(code-generator|sample-apiserver)/' \
    | xargs grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' \
    | xargs -n1 dirname | LC_ALL=C sort -u | sed -e 's|^|k8s.io/kubernetes/|' | paste -sd, -
)
[[ -n "$inputs" ]] || die "found no packages tagged +k8s:openapi-gen="
log "openapi-gen over $(tr ',' '\n' <<<"$inputs" | wc -l) packages"
"$GOPATH/bin/openapi-gen" \
  --input-dirs "$inputs" \
  --output-package k8s.io/kubernetes/pkg/generated/openapi \
  --output-file-base zz_generated.openapi \
  --output-base "$GOPATH/src" \
  --go-header-file vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
  --report-filename "$WORK_DIR/openapi-violations.report" \
  >"$WORK_DIR/openapi-gen.log" 2>&1 \
  || { tail -n 30 "$WORK_DIR/openapi-gen.log" >&2; die "openapi-gen failed (log: $WORK_DIR/openapi-gen.log)"; }
[[ -s pkg/generated/openapi/zz_generated.openapi.go ]] || die "openapi-gen wrote no zz_generated.openapi.go"
# Upstream's own check that the inputs were right: the API-rule report must equal the
# tree's known-violations list.
diff -q "$WORK_DIR/openapi-violations.report" api/api-rules/violation_exceptions.list >/dev/null \
  || die "openapi-gen inputs differ from upstream's (report $WORK_DIR/openapi-violations.report != api/api-rules/violation_exceptions.list)"

# Without these stamps /version reports v0.0.0-master and clients may refuse it.
ldflags="-s -w"
for p in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=$KUBE_MAJOR -X $p.gitMinor=$KUBE_MINOR -X $p.gitTreeState=clean"
done

mkdir -p "$WORK_DIR/out"
step '6/7 go build kube-apiserver (the slow one: ~6-11 min on 2 cores)'
go build -ldflags "$ldflags" -o "$WORK_DIR/out/kube-apiserver" ./cmd/kube-apiserver
step '7/7 go build kube-controller-manager (~2 min)'
go build -ldflags "$ldflags" -o "$WORK_DIR/out/kube-controller-manager" ./cmd/kube-controller-manager

version_line=$("$WORK_DIR/out/kube-apiserver" --version)
[[ "$version_line" == "Kubernetes $KUBE_VERSION" ]] || die "kube-apiserver --version says '$version_line', want 'Kubernetes $KUBE_VERSION'"

# Install both only when both are built, so have_binaries never sees half a build.
mkdir -p "$BIN_DIR"
install -m 0755 "$WORK_DIR/out/kube-controller-manager" "$BIN_DIR/kube-controller-manager.tmp"
install -m 0755 "$WORK_DIR/out/kube-apiserver" "$BIN_DIR/kube-apiserver.tmp"
mv "$BIN_DIR/kube-controller-manager.tmp" "$BIN_DIR/kube-controller-manager"
mv "$BIN_DIR/kube-apiserver.tmp" "$BIN_DIR/kube-apiserver"
STEP=done
# The tree and Go build cache (~1.6 GB) only serve a rebuild, which the cached binaries
# make unnecessary; the 34 MB source download is kept.
rm -rf "$TREE" "$GOPATH" "$GOCACHE" "$WORK_DIR/out"
log "done: $version_line"
echo "[kube-build] binaries in $BIN_DIR (etcd: $(command -v etcd || echo /usr/bin/etcd))"
