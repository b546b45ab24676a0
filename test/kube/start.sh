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
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    port_in_use "$p" || { echo "$p"; return; }
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

ETCD_PORT=$(free_port); PEER_PORT=$(free_port); API_PORT=$(free_port); KCM_PORT=$(free_port)
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN,flotilla-dev,flotilla-dev,\"system:masters\"" >"$DIR/tokens.csv"
openssl genrsa -out "$DIR/sa.key" 2048 2>/dev/null
openssl rsa -in "$DIR/sa.key" -pubout -out "$DIR/sa.pub" 2>/dev/null

etcd --name dev --data-dir "$DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" \
  --initial-cluster "dev=http://127.0.0.1:$PEER_PORT" --logger zap --log-level warn >"$DIR/etcd.log" 2>&1 &
PIDS+=($!)

"$BIN_DIR/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --secure-port "$API_PORT" --cert-dir "$DIR/certs" \
  --token-auth-file "$DIR/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$DIR/sa.pub" --service-account-signing-key-file "$DIR/sa.key" \
  --service-cluster-ip-range 10.250.0.0/24 --endpoint-reconciler-type none \
  --disable-admission-plugins ServiceAccount >"$DIR/kube-apiserver.log" 2>&1 &
PIDS+=($!)

for _ in $(seq 1 300); do
  [[ -s "$DIR/certs/apiserver.crt" ]] &&
    curl -fsS --cacert "$DIR/certs/apiserver.crt" -H "Authorization: Bearer $TOKEN" \
      "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1 && break
  kill -0 "${PIDS[1]}" 2>/dev/null || { tail -n 30 "$DIR/kube-apiserver.log" >&2; exit 1; }
  sleep 0.2
done

cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: dev, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority-data: "$(base64 -w0 "$DIR/certs/apiserver.crt")"}}]
users: [{name: dev, user: {token: "$TOKEN"}}]
contexts: [{name: dev, context: {cluster: dev, user: dev}}]
current-context: dev
EOF

"$BIN_DIR/kube-controller-manager" --kubeconfig "$DIR/kubeconfig" \
  --authentication-kubeconfig "$DIR/kubeconfig" --authorization-kubeconfig "$DIR/kubeconfig" \
  --leader-elect=false --use-service-account-credentials=false \
  --controllers namespace,garbagecollector,deployment,replicaset,statefulset,job,serviceaccount \
  --service-account-private-key-file "$DIR/sa.key" \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$DIR/kcm-certs" --port 0 \
  >"$DIR/kube-controller-manager.log" 2>&1 &
PIDS+=($!)

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
