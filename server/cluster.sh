#!/usr/bin/env bash
# cluster.sh — a local three-node smsc cluster on loopback, for trying things
# out (`make cluster` / `make cluster-stop`), shaped like docker/compose.yml
# as far as Debian allows.  Node N (1..3) listens on HTTPS 8442+N, HTTP
# 8079+N, metrics 9567+N and raft 9099+N; its data, log and pid file are
# under ./var/nodeN.  First start bootstraps the cluster.
#
# When the Debian packages are installed (Grafana is not in Debian):
#   mariadb-server  a MariaDB on 127.0.0.1:$MARIADB_PORT (3307), data under
#                   ./var/mariadb; the nodes write their CDRs there
#                   (database.adapter mysql) instead of per-node SQLite
#   prometheus      a Prometheus on 127.0.0.1:$PROMETHEUS_PORT (9091), data
#                   under ./var/prometheus, scraping the three nodes with
#                   docker/prometheus/alerts*.yml loaded
# CLUSTER_DB=sqlite keeps SQLite even with MariaDB installed;
# CLUSTER_PROMETHEUS=no skips Prometheus.
set -euo pipefail
cd "$(dirname "$0")/.."
SMSCD=${SMSCD:-build/smscd}
N=3
MARIADB_PORT=${MARIADB_PORT:-3307}
PROMETHEUS_PORT=${PROMETHEUS_PORT:-9091}
CLUSTER_DB=${CLUSTER_DB:-auto}
CLUSTER_PROMETHEUS=${CLUSTER_PROMETHEUS:-yes}
MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
DB_PASSWORD=cluster-cdr-secret
MY=var/mariadb
PROM=var/prometheus

use_mariadb() {
  [ "$CLUSTER_DB" != sqlite ] && [ -x "$MARIADBD" ] && command -v mariadb-install-db >/dev/null
}

use_prometheus() {
  [ "$CLUSTER_PROMETHEUS" != no ] && command -v prometheus >/dev/null
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- MariaDB
my_sql() { mariadb --no-defaults -S "$PWD/$MY/sock" -u root "$@"; }

start_mariadb() {
  local run=() user=()
  mkdir -p "$MY"
  if [ "$(id -u)" = 0 ]; then
    run=(runuser -u mysql --); user=(--user=mysql); chown mysql: "$MY"
  fi
  if running "$MY/pid"; then
    echo "mariadb already running (pid $(cat "$MY/pid"))"
    return
  fi
  if [ ! -d "$MY/data/mysql" ]; then
    "${run[@]}" mariadb-install-db --no-defaults --datadir="$PWD/$MY/data" \
      --auth-root-authentication-method=normal "${user[@]}" >"$MY/install.log" 2>&1 \
      || { echo "mariadb-install-db failed, see $MY/install.log" >&2; return 1; }
  fi
  "${run[@]}" "$MARIADBD" --no-defaults --datadir="$PWD/$MY/data" \
    --socket="$PWD/$MY/sock" --port="$MARIADB_PORT" --bind-address=127.0.0.1 \
    --skip-log-bin --pid-file="$PWD/$MY/pid" --log-error="$PWD/$MY/err.log" \
    "${user[@]}" >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    my_sql -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
  done
  my_sql -e "CREATE DATABASE IF NOT EXISTS smsc;
    CREATE USER IF NOT EXISTS 'smsc'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
    GRANT ALL ON smsc.* TO 'smsc'@'127.0.0.1'" \
    || { echo "mariadb did not come up, see $MY/err.log" >&2; return 1; }
}

database_json() {
  if use_mariadb; then
    echo ",
  \"database\": { \"adapter\": \"mysql\", \"hostname\": \"127.0.0.1\", \"port\": $MARIADB_PORT,
                \"username\": \"smsc\", \"password\": \"$DB_PASSWORD\", \"database\": \"smsc\" }"
  fi
}

# ---------------------------------------------------------------- Prometheus
start_prometheus() {
  mkdir -p "$PROM"
  if running "$PROM/pid"; then
    echo "prometheus already running (pid $(cat "$PROM/pid"))"
    return
  fi
  cat >"$PROM/prometheus.yml" <<YML
# Written by server/cluster.sh: docker/prometheus/prometheus.yml for loopback.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
  external_labels:
    monitor: smsc
rule_files:
  - $PWD/docker/prometheus/alerts.yml
  - $PWD/docker/prometheus/alerts-charging-enum.yml
scrape_configs:
  - job_name: smsc
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:9568', '127.0.0.1:9569', '127.0.0.1:9570']
YML
  prometheus --config.file="$PROM/prometheus.yml" --storage.tsdb.path="$PROM/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >>"$PROM/prometheus.log" 2>&1 &
  echo $! >"$PROM/pid"
}

stop_pidfile() {
  local what=$1 f=$2 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null && echo "stopping $what (pid $pid)"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$f"
}

config() {
  local i=$1
  cat <<JSON
{
  "smsc_node_name": "node$i",
  "data_dir": "./var/node$i",
  "cluster_nodes": ["node1@127.0.0.1:9100", "node2@127.0.0.1:9101", "node3@127.0.0.1:9102"],
  "api": { "listen_ip": "127.0.0.1", "port": $((8442 + i)), "http_port": $((8079 + i)) },
  "metrics": { "listen_ip": "127.0.0.1", "port": $((9567 + i)) },
  "logging": { "file": "./var/node$i/smscd.log" }$(database_json)
}
JSON
}

start() {
  use_mariadb && start_mariadb
  for i in $(seq 1 $N); do
    mkdir -p "var/node$i"
    config "$i" >"var/node$i/smscd.json"
    if [ -f "var/node$i/smscd.pid" ] && kill -0 "$(cat "var/node$i/smscd.pid")" 2>/dev/null; then
      echo "node$i already running (pid $(cat "var/node$i/smscd.pid"))"
      continue
    fi
    boot=""
    [ -e "var/node$i/raft/metadata1" ] || [ -e "var/node$i/raft/metadata2" ] || boot=--bootstrap
    "$SMSCD" --config "var/node$i/smscd.json" $boot >>"var/node$i/smscd.out" 2>&1 &
    echo $! >"var/node$i/smscd.pid"
  done
  for _ in $(seq 1 100); do
    if curl -sf http://127.0.0.1:8080/api/status 2>/dev/null | grep -q '"leader":"node'; then break; fi
    sleep 0.1
  done
  use_prometheus && start_prometheus
  echo "smsc cluster of $N nodes on loopback:"
  for i in $(seq 1 $N); do
    echo "  node$i  http://127.0.0.1:$((8079 + i))  https://127.0.0.1:$((8442 + i))  metrics http://127.0.0.1:$((9567 + i))/metrics  log var/node$i/smscd.log"
  done
  if use_mariadb; then
    echo "  mariadb  127.0.0.1:$MARIADB_PORT database smsc (user smsc, password $DB_PASSWORD)  log $MY/err.log"
    echo "           mariadb --no-defaults -S $MY/sock -u root smsc -e 'SELECT COUNT(*) FROM cdrs'"
  else
    echo "  CDRs: SQLite per node (var/nodeN/cdr.sqlite); install mariadb-server for a shared MariaDB"
  fi
  if use_prometheus; then
    echo "  prometheus  http://127.0.0.1:$PROMETHEUS_PORT  (targets: /targets, alerts: /alerts)  log $PROM/prometheus.log"
  fi
  echo "  grafana: not in Debian; import docker/grafana/dashboards/*.json into your own Grafana"
  echo "try:   curl -s http://127.0.0.1:8080/api/status"
  echo "stop:  make cluster-stop"
}

stop() {
  for i in $(seq 1 $N); do
    f="var/node$i/smscd.pid"
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null && echo "stopping node$i (pid $pid)"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  done
  stop_pidfile prometheus "$PROM/pid"
  stop_pidfile mariadb "$MY/pid"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 1 ;;
esac
