#!/usr/bin/env bash
# First step of both README commands: installs the npm packages (and with them the pinned
# Node 24) when they are missing or older than package-lock.json, then makes sure Postgres
# and NATS answer. Safe to run again: it does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[bootstrap] installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
bash scripts/ensure-services.sh
# The real helm and kubectl (kustomize) the hub renders with and the render tests run: cached once.
bash scripts/ensure-k8s-tools.sh >/dev/null
