#!/bin/sh
# entrypoint.sh — starts one smscd in a container.
#
# Builds the node's JSON config from environment variables (see
# docker/README.md for the table) unless SMSC_CONFIG names an existing file,
# picks the start mode from the data dir, then execs smscd so that signals
# (docker stop → SIGTERM) reach it directly:
#
#   data dir holds raft state  → plain start
#   empty and JOIN set         → --join JOIN
#   empty otherwise            → --bootstrap (each founding node, once, with
#                                the same CLUSTER_NODES)
#
# Exit 64 (EX_USAGE) on a missing or malformed variable, naming it.
set -eu

die() {
    printf 'entrypoint: %s\n' "$*" >&2
    exit 64
}

# Checks that variable $1 (its value $2) has no control characters, which
# json_str does not escape.
check_text() {
    case "$2" in
    *[[:cntrl:]]*) die "$1: control characters are not allowed" ;;
    esac
}

# Checks that variable $1 (its value $2) is a port number, 0..65535.
check_port() {
    case "$2" in
    '' | *[!0-9]*) die "$1: expected a port number, got '$2'" ;;
    esac
    if [ "${#2}" -gt 5 ] || [ "$2" -gt 65535 ]; then
        die "$1: expected a port number, got '$2'"
    fi
}

# Prints true or false for the boolean spelling $2; $1 names the variable.
to_bool() {
    case "$2" in
    true | 1 | yes) echo true ;;
    false | 0 | no) echo false ;;
    *) die "$1: expected true or false, got '$2'" ;;
    esac
}

# Prints $1 as a JSON string literal (checked by check_text before).
json_str() {
    printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# Prints a JSON array of the comma-separated items of $1 (blanks around an
# item are dropped, empty items skipped).
json_list() {
    out="" sep=""
    old_ifs=$IFS
    IFS=,
    set -f
    for item in $1; do
        item=$(printf '%s' "$item" | sed -e 's/^[[:space:]]*//' \
            -e 's/[[:space:]]*$//')
        [ -n "$item" ] || continue
        out="$out$sep$(json_str "$item")"
        sep=", "
    done
    set +f
    IFS=$old_ifs
    printf '[%s]' "$out"
}

# The raft port of NODE_NAME's entry in CLUSTER_NODES ("" when absent).
own_raft_port() {
    old_ifs=$IFS
    IFS=,
    set -f
    port=""
    for item in $CLUSTER_NODES; do
        item=$(printf '%s' "$item" | tr -d '[:space:]')
        case "$item" in
        "$NODE_NAME"@*:*) port=${item##*:} ;;
        esac
    done
    set +f
    IFS=$old_ifs
    printf '%s' "$port"
}

# Reads the variables, applies the defaults and checks them all, so that
# write_config only formats.
read_env() {
    [ -n "${NODE_NAME:-}" ] ||
        die "NODE_NAME is required (this node's name, e.g. smsc1)"
    ADVERTISE_HOST=${ADVERTISE_HOST:-$(uname -n)}
    CLUSTER_NODES=${CLUSTER_NODES:-$NODE_NAME@$ADVERTISE_HOST:${RAFT_PORT:-9100}}
    own=$(own_raft_port)
    [ -n "$own" ] ||
        die "CLUSTER_NODES ($CLUSTER_NODES) has no entry $NODE_NAME@host:port for NODE_NAME"
    RAFT_PORT=${RAFT_PORT:-$own}
    [ "$own" = "$RAFT_PORT" ] ||
        die "RAFT_PORT ($RAFT_PORT) does not match $NODE_NAME's port in CLUSTER_NODES ($own)"
    CLUSTER_SECRET=${CLUSTER_SECRET:-}
    ADVERTISE_URL=${ADVERTISE_URL:-}
    API_PORT=${API_PORT:-8443}
    HTTP_PORT=${HTTP_PORT:-8080}
    METRICS_PORT=${METRICS_PORT:-9568}
    LISTEN_IP=${LISTEN_IP:-0.0.0.0}
    ENABLE_TLS=$(to_bool ENABLE_TLS "${ENABLE_TLS:-true}") || exit 64
    LOG_LEVEL=${LOG_LEVEL:-info}
    DB_ADAPTER=${DB_ADAPTER:-sqlite}
    for v in NODE_NAME DATA_DIR CLUSTER_NODES CLUSTER_SECRET ADVERTISE_URL \
        LISTEN_IP LOG_LEVEL; do
        eval "check_text $v \"\$$v\""
    done
    for v in RAFT_PORT API_PORT HTTP_PORT METRICS_PORT; do
        eval "check_port $v \"\$$v\""
    done
    case "$DB_ADAPTER" in
    sqlite | postgres | mysql) ;;
    *) die "DB_ADAPTER: expected sqlite, postgres or mysql, got '$DB_ADAPTER'" ;;
    esac
    case "${JOIN:-}" in
    *[[:space:]]* | *[[:cntrl:]]*)
        die "JOIN: expected host:port[,host:port...] without blanks" ;;
    esac
}

# Writes the config for the variables to $1 (mode 0600: it holds secrets).
write_config() {
    secret="" advertise=""
    [ -z "$CLUSTER_SECRET" ] ||
        secret="
  \"cluster_secret\": $(json_str "$CLUSTER_SECRET"),"
    [ -z "$ADVERTISE_URL" ] ||
        advertise=", \"advertise_url\": $(json_str "$ADVERTISE_URL")"
    (
        umask 077
        cat >"$1.tmp" <<JSON
{
  "smsc_node_name": $(json_str "$NODE_NAME"),
  "data_dir": $(json_str "$DATA_DIR"),
  "cluster_nodes": $(json_list "$CLUSTER_NODES"),$secret
  "api": { "listen_ip": $(json_str "$LISTEN_IP"), "port": $API_PORT, "http_port": $HTTP_PORT, "enable_tls": $ENABLE_TLS$advertise },
  "metrics": { "listen_ip": $(json_str "$LISTEN_IP"), "port": $METRICS_PORT },
  "logging": { "level": $(json_str "$LOG_LEVEL") },
  "database": { "adapter": "$DB_ADAPTER" }
}
JSON
    )
    mv "$1.tmp" "$1"
}

has_raft_state() {
    [ -e "$DATA_DIR/raft/metadata1" ] || [ -e "$DATA_DIR/raft/metadata2" ]
}

DATA_DIR=${DATA_DIR:-/var/lib/smsc}
SMSCD=${SMSCD:-/usr/local/bin/smscd}

if [ -n "${SMSC_CONFIG:-}" ] && [ -f "$SMSC_CONFIG" ]; then
    config=$SMSC_CONFIG
    echo "entrypoint: using $config as is (DATA_DIR must match its data_dir)"
else
    read_env
    mkdir -p "$DATA_DIR"
    config=${SMSC_CONFIG:-$DATA_DIR/smscd.json}
    write_config "$config"
fi

if has_raft_state; then
    echo "entrypoint: $DATA_DIR holds raft state: restarting"
    exec "$SMSCD" --config "$config"
elif [ -n "${JOIN:-}" ]; then
    echo "entrypoint: $DATA_DIR is empty: joining through $JOIN"
    exec "$SMSCD" --config "$config" --join "$JOIN"
else
    echo "entrypoint: $DATA_DIR is empty: bootstrapping a new cluster"
    exec "$SMSCD" --config "$config" --bootstrap
fi
