#!/usr/bin/env bash
# Runs a throwaway etcd + kube-apiserver + kube-controller-manager on free loopback ports,
# for poking at by hand (kubectl, the agent). Ctrl-C stops everything and deletes its state.
# Tests use libs/testing/src/kube instead. Needs `bash test/kube/build.sh` first.
set -euo pipefail

BIN_DIR="${FLOTILLA_KUBE_CACHE:-$HOME/.cache/flotilla/kube/v1.20.2}/bin"
for b in kube-apiserver kube-controller-manager; do
  [[ -x "$BIN_DIR/$b" ]] || { echo "missing $BIN_DIR/$b: run \`bash test/kube/build.sh\`" >&2; exit 1; }
done
command -v etcd >/dev/null || { echo "etcd missing: run \`bash test/kube/build.sh\`" >&2; exit 1; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
CHOSEN=" "
# A port that was free a moment ago and is not already chosen for another server of ours.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    [[ "$CHOSEN" == *" $p "* ]] && continue
    port_in_use "$p" || { CHOSEN+="$p "; echo "$p"; return; }
  done
}

DIR=$(mktemp -d "${TMPDIR:-/tmp}/flotilla-kube-XXXXXX")
PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
  echo "stopped; removed $DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN,flotilla-dev,flotilla-dev,\"system:masters\"" >"$DIR/tokens.csv"
openssl genrsa -out "$DIR/sa.key" 2048 2>/dev/null
openssl rsa -in "$DIR/sa.key" -pubout -out "$DIR/sa.pub" 2>/dev/null

# Waits until `check` succeeds; fails (1) if the process died first or the time is up (seconds).
wait_ready() {
  local pid=$1 seconds=$2 check=$3 i
  for ((i = 0; i < seconds * 5; i++)); do
    eval "$check" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
stop_all() {
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
}

# A port picked free can be taken before etcd or kube-apiserver binds it (another test, another
# user): then everything starts again on fresh ports instead of failing.
for attempt in 1 2 3 4 5; do
  ETCD_PORT=$(free_port); PEER_PORT=$(free_port); API_PORT=$(free_port)
  rm -rf "$DIR/etcd" "$DIR/certs"
  etcd --name dev --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" \
    --initial-cluster "dev=http://127.0.0.1:$PEER_PORT" --logger zap --log-level warn >"$DIR/etcd.log" 2>&1 &
  PIDS+=($!)
  if ! wait_ready "${PIDS[0]}" 60 "curl -fsS http://127.0.0.1:$ETCD_PORT/health | grep -q true"; then
    stop_all
    grep -q 'address already in use' "$DIR/etcd.log" && { echo "etcd: port taken, retrying ($attempt)" >&2; continue; }
    echo "etcd did not become ready (waited 60 s for /health):" >&2; tail -n 30 "$DIR/etcd.log" >&2; exit 1
  fi

  "$BIN_DIR/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --secure-port "$API_PORT" --cert-dir "$DIR/certs" \
    --token-auth-file "$DIR/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc \
    --service-account-key-file "$DIR/sa.pub" --service-account-signing-key-file "$DIR/sa.key" \
    --service-cluster-ip-range 10.250.0.0/24 --endpoint-reconciler-type none \
    --disable-admission-plugins ServiceAccount >"$DIR/kube-apiserver.log" 2>&1 &
  PIDS+=($!)
  if ! wait_ready "${PIDS[1]}" 120 "[[ -s $DIR/certs/apiserver.crt ]] && curl -fsS --cacert $DIR/certs/apiserver.crt -H 'Authorization: Bearer $TOKEN' https://127.0.0.1:$API_PORT/readyz"; then
    stop_all
    grep -q 'address already in use' "$DIR/kube-apiserver.log" && { echo "kube-apiserver: port taken, retrying ($attempt)" >&2; continue; }
    echo "kube-apiserver did not become ready (waited 120 s for /readyz):" >&2; tail -n 30 "$DIR/kube-apiserver.log" >&2; exit 1
  fi
  break
done
[[ ${#PIDS[@]} -eq 2 ]] || { echo "could not start etcd and kube-apiserver on free ports after 5 attempts" >&2; exit 1; }

cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: dev, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority-data: "$(base64 -w0 "$DIR/certs/apiserver.crt")"}}]
users: [{name: dev, user: {token: "$TOKEN"}}]
contexts: [{name: dev, context: {cluster: dev, user: dev}}]
current-context: dev
EOF

for attempt in 1 2 3 4 5; do
  KCM_PORT=$(free_port)
  "$BIN_DIR/kube-controller-manager" --kubeconfig "$DIR/kubeconfig" \
    --authentication-kubeconfig "$DIR/kubeconfig" --authorization-kubeconfig "$DIR/kubeconfig" \
    --leader-elect=false --use-service-account-credentials=false \
    --controllers namespace,garbagecollector,deployment,replicaset,statefulset,job,serviceaccount \
    --service-account-private-key-file "$DIR/sa.key" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$DIR/kcm-certs" --port 0 \
    >"$DIR/kube-controller-manager.log" 2>&1 &
  KCM_PID=$!
  if wait_ready "$KCM_PID" 60 "curl -fsSk https://127.0.0.1:$KCM_PORT/healthz"; then PIDS+=("$KCM_PID"); break; fi
  kill "$KCM_PID" 2>/dev/null || true
  wait "$KCM_PID" 2>/dev/null || true
  grep -q 'address already in use' "$DIR/kube-controller-manager.log" && continue
  echo "kube-controller-manager did not become ready:" >&2; tail -n 30 "$DIR/kube-controller-manager.log" >&2; exit 1
done

cat <<EOF
kube-apiserver v1.20.2 ready at https://127.0.0.1:$API_PORT (logs in $DIR)
  export KUBECONFIG=$DIR/kubeconfig
  kubectl get ns
Ctrl-C stops it.
EOF
wait -n "${PIDS[@]}" || true
echo "a server exited; its last log lines:" >&2
tail -n 20 "$DIR"/*.log >&2 || true
exit 1
