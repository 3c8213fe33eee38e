#!/usr/bin/env bash
# cluster.sh — a local three-node smsc cluster on loopback, for trying things
# out (`make cluster` / `make cluster-stop`).  Node N (1..3) listens on
# HTTPS 8442+N, HTTP 8079+N, metrics 9567+N and raft 9099+N; its data, log
# and pid file are under ./var/nodeN.  First start bootstraps the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
SMSCD=${SMSCD:-build/smscd}
N=3

config() {
  local i=$1
  cat <<JSON
{
  "smsc_node_name": "node$i",
  "data_dir": "./var/node$i",
  "cluster_nodes": ["node1@127.0.0.1:9100", "node2@127.0.0.1:9101", "node3@127.0.0.1:9102"],
  "api": { "listen_ip": "127.0.0.1", "port": $((8442 + i)), "http_port": $((8079 + i)) },
  "metrics": { "listen_ip": "127.0.0.1", "port": $((9567 + i)) },
  "logging": { "file": "./var/node$i/smscd.log" }
}
JSON
}

start() {
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
  echo "smsc cluster of $N nodes on loopback:"
  for i in $(seq 1 $N); do
    echo "  node$i  http://127.0.0.1:$((8079 + i))  https://127.0.0.1:$((8442 + i))  metrics http://127.0.0.1:$((9567 + i))/metrics  log var/node$i/smscd.log"
  done
  echo "try:   curl -s http://127.0.0.1:8081/api/status"
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
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 1 ;;
esac
