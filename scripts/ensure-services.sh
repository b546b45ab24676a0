#!/usr/bin/env bash
# Makes sure the real servers the tests and the demo need answer on loopback:
# PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`) and NATS with JetStream on
# 127.0.0.1:4222. Starts what is down; on a machine without them, installs Debian's
# packages (as root) or, where a Docker engine runs, uses docker compose.
set -euo pipefail

PGHOST_ADDR=${FLOTILLA_PG_HOST:-127.0.0.1}
PGPORT_NUM=${FLOTILLA_PG_PORT:-5432}
NATS_PORT=${FLOTILLA_NATS_PORT:-4222}
NATS_STORE=${FLOTILLA_NATS_STORE:-/var/lib/nats-server}

say() { echo "[ensure-services] $*"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
docker_up() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

wait_for_port() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do port_open "$port" && return 0; sleep 0.5; done
  say "$name did not start listening on 127.0.0.1:$port"; return 1
}

apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if port_open "$PGPORT_NUM"; then
    say "postgres answers on $PGHOST_ADDR:$PGPORT_NUM"
  elif docker_up; then
    say "starting postgres with docker compose"; docker compose up -d postgres
  else
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      say "installing Debian's postgresql"; apt_install postgresql
    fi
    local version; version=$(ls /etc/postgresql | sort -V | tail -n1)
    say "starting postgres $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  wait_for_port "$PGPORT_NUM" postgres
  # Tests connect as a superuser with trust auth on loopback to database `test`: make
  # that true on a fresh Debian install too (it ships peer auth and no `test` database).
  if ! psql -h 127.0.0.1 -p "$PGPORT_NUM" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    local hba; hba=$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | sort -V | tail -n1)
    if [ -n "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      say "allowing trust auth on loopback in $hba"
      as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
      as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main reload
      sleep 1
    fi
  fi
  if ! psql -h 127.0.0.1 -p "$PGPORT_NUM" -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
    psql -h 127.0.0.1 -p "$PGPORT_NUM" -U postgres -d postgres -c 'create database test' >/dev/null
  fi
}

ensure_nats() {
  if port_open "$NATS_PORT"; then
    say "nats answers on 127.0.0.1:$NATS_PORT"
  elif docker_up; then
    say "starting nats with docker compose"; docker compose up -d nats
  else
    command -v nats-server >/dev/null || { say "installing Debian's nats-server"; apt_install nats-server; }
    as_root mkdir -p "$NATS_STORE"
    say "starting nats-server with JetStream (store $NATS_STORE)"
    as_root start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
      -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$NATS_STORE" -l /var/log/nats-server.log
  fi
  wait_for_port "$NATS_PORT" nats
}

command -v psql >/dev/null || apt_install postgresql-client
ensure_postgres
ensure_nats
