/* config — the node's configuration: one JSON file plus environment
 * overrides (SPEC §12).
 *
 * config_load() reads the file given with --config (or none: every key is
 * optional), applies the environment overrides of SPEC §12 (DB_*, API_PORT,
 * API_LISTEN_IP, API_ENABLE_TLS, WEB_PORT, NODE_NAME, OCS_URL, OCS_TENANT,
 * OCS_ACCOUNT), and checks everything.  An unknown key, a wrong type or an
 * out-of-range value is an error whose message names the key by its path
 * ("api.port: expected an integer between 0 and 65535").  Called once, on
 * the main thread, before any other thread starts; the result is read-only
 * afterwards.
 */
#ifndef SMSC_CONFIG_H
#define SMSC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "raft_store/settings.h"

struct config_peer {
    char *name;     /* "node1" */
    char *host;     /* "127.0.0.1" or a host name */
    int raft_port;  /* 9100 */
};

struct config_api {
    char *listen_ip;        /* "0.0.0.0" */
    int port;               /* HTTPS, 8443 */
    int http_port;          /* plain HTTP, 8080; 0 = off */
    bool enable_tls;        /* true */
    char *tls_cert_path;    /* NULL = <data_dir>/tls/server.crt, made on first run */
    char *tls_key_path;     /* NULL = <data_dir>/tls/server.key */
    int threads;            /* HTTP worker threads, 0 = number of CPUs */
    int64_t max_body_bytes; /* 1 MiB */
    int max_connections;    /* 10,000 */
    int timeout_seconds;    /* idle / slow-client timeout, 60 */
    /* Address other nodes use to reach this node's API; NULL = derived from
     * listen_ip and the plain port (or the TLS port when plain is off). */
    char *advertise_url;
};

struct config_listener {
    char *listen_ip;        /* "0.0.0.0" (metrics: "0.0.0.0") */
    int port;               /* 0 = off */
};

struct config_raft {
    int apply_timeout_ms;        /* 5000 */
    int max_inflight_entries;    /* 16: group-commit entries in flight */
    int64_t max_entry_bytes;     /* 1 MiB */
    int election_timeout_ms;     /* 1000 */
    int heartbeat_timeout_ms;    /* 100 */
    int snapshot_threshold;      /* entries between snapshots, 32768 */
    int snapshot_trailing;       /* entries kept after a snapshot, 4096 */
    int64_t snapshot_trailing_bytes; /* and at most about 16 MiB of them */
    int64_t segment_bytes;       /* 8 MiB, must stay <= 16 MiB */
    bool snapshot_in_background; /* true: a forked child serialises */
};

struct config_database {
    char *adapter;   /* "sqlite" | "postgres" | "mysql" */
    char *username, *password, *hostname, *database;
    int port;        /* 0 = the adapter's default */
    int pool_size;   /* 20 */
    bool ssl;
};

struct config_rate_limits {
    bool enabled;               /* true */
    int messages_per_second;    /* POST /api/messages, 100 */
    int async_per_second;       /* POST /api/messages/create_async, 1000 */
    int raw_per_second;         /* POST /api/messages_raw, 100 */
    int reads_per_second;       /* GET /api/..., 1000 */
};

struct config_logging {
    char *level;  /* "debug" | "info" | "warning" | "error"; "info" */
    char *file;   /* NULL = stdout */
};

struct config {
    char *node_name;                 /* "node1" */
    char *data_dir;                  /* "./var/<node_name>" */
    struct config_peer *cluster_nodes;
    size_t n_cluster_nodes;          /* empty list = just this node on 9100 */
    char **join;                     /* "host:api_port" of existing members */
    size_t n_join;
    char *cluster_secret;            /* NULL = none (loopback only) */
    /* DNS discovery of the members to join (cluster/discovery.h): SRV
     * _sms._tcp.<query>, asked of dns_servers ("host:port"; none = the
     * system resolver).  NULL = off. */
    char *dns_cluster_query;
    char **dns_servers;
    size_t n_dns_servers;
    struct config_api api;
    struct config_listener web;      /* 8086 */
    struct config_listener metrics;  /* 9568 */
    struct config_raft raft;
    struct config_database database;
    struct config_rate_limits rate_limits;
    struct config_logging logging;
    char **trusted_proxies;          /* IPs or CIDRs */
    size_t n_trusted_proxies;
    int64_t async_queue_max;         /* 100,000 */
    /* OCS and ENUM (SPEC §8, §9). */
    char *ocs_url, *ocs_tenant, *ocs_account, *ocs_destination, *ocs_source,
        *ocs_subject;
    int ocs_timeout;                 /* ms, 5000 */
    bool enum_enabled;
    char **enum_domains;             /* ["e164.arpa"] */
    size_t n_enum_domains;
    char **enum_dns_servers;         /* "host:port" */
    size_t n_enum_dns_servers;
    int enum_timeout;                /* ms, 5000 */
    /* Cluster settings this node proposes in `init` (first leader wins). */
    struct store_settings settings;
    json_t *sms_routes;              /* JSON array (owned), [] by default */
    json_t *translation_rules;       /* JSON array (owned), [] by default */
};

/* Fills *cfg from path (NULL = no file, all defaults) and the environment.
 * Returns 0, or -1 with a message naming the key in err.  On error *cfg is
 * left freed. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Fills *cfg from a JSON text alone: defaults, then the text; no file and
 * no environment (config_load applies the environment after this). */
int config_parse(struct config *cfg, const char *json_text, char *err,
                 size_t errlen);
void config_free(struct config *cfg);
/* Index of this node in cluster_nodes, or -1. */
int config_self_index(const struct config *cfg);

/* Internal to server/config*.c (the key table lives in config_table.c); not
 * for other modules.  config_apply_json() applies a parsed document (borrowed;
 * arrays it keeps are incref'd) onto *cfg, which already holds values;
 * config_apply_env() applies the SPEC §12 environment overrides.  Neither
 * runs the cross-key checks.  Both return 0, or -1 with a message naming the
 * key or variable in err; *cfg then holds a mix the caller must free. */
int config_apply_json(struct config *cfg, json_t *root, char *err,
                      size_t errlen);
int config_apply_env(struct config *cfg, char *err, size_t errlen);

#endif
