/* config — loading the node configuration (SPEC §12).
 *
 * Loading runs in three steps so that every check sees the final values:
 * defaults, then the JSON document and (config_load only) the environment,
 * both applied through the key table of config_table.c, then finalise():
 * the cross-key checks (this node is a member of cluster_nodes, a
 * non-loopback Raft address needs a cluster_secret, heartbeat below
 * election) and the defaults that depend on other keys (data_dir from the
 * node name, a one-node cluster_nodes).  Any failure leaves *cfg freed and
 * zeroed.  Main thread only, before other threads start.
 */
#include "server/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xalloc.h"

#define CONFIG_MAX_FILE_BYTES (16 * 1024 * 1024)

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
                                                      const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static json_t *empty_array(void)
{
    json_t *a = json_array();

    if (a == NULL) {
        fprintf(stderr, "fatal: out of memory in config\n");
        abort();
    }
    return a;
}

static void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->node_name = xstrdup("node1");
    cfg->api.listen_ip = xstrdup("0.0.0.0");
    cfg->api.port = 8443;
    cfg->api.http_port = 8080;
    cfg->api.enable_tls = true;
    cfg->api.max_body_bytes = 1024 * 1024;
    cfg->api.max_connections = 10000;
    cfg->api.timeout_seconds = 60;
    cfg->web.listen_ip = xstrdup("0.0.0.0");
    cfg->web.port = 8086;
    cfg->metrics.listen_ip = xstrdup("0.0.0.0");
    cfg->metrics.port = 9568;
    cfg->raft.apply_timeout_ms = 5000;
    cfg->raft.max_inflight_entries = 16;
    cfg->raft.max_entry_bytes = 1024 * 1024;
    cfg->raft.election_timeout_ms = 1000;
    cfg->raft.heartbeat_timeout_ms = 100;
    cfg->raft.snapshot_threshold = 32768;
    cfg->raft.snapshot_in_background = true;
    cfg->raft.snapshot_trailing = 4096;
    cfg->raft.snapshot_trailing_bytes = 16 * 1024 * 1024;
    cfg->raft.segment_bytes = 8 * 1024 * 1024;
    cfg->database.adapter = xstrdup("sqlite");
    cfg->database.pool_size = 20;
    cfg->rate_limits.enabled = true;
    cfg->rate_limits.messages_per_second = 100;
    cfg->rate_limits.async_per_second = 1000;
    cfg->rate_limits.raw_per_second = 100;
    cfg->rate_limits.reads_per_second = 1000;
    cfg->logging.level = xstrdup("info");
    cfg->async_queue_max = 100000;
    cfg->ocs_timeout = 5000;
    cfg->enum_domains = xcalloc(1, sizeof *cfg->enum_domains);
    cfg->enum_domains[0] = xstrdup("e164.arpa");
    cfg->n_enum_domains = 1;
    cfg->enum_timeout = 5000;
    store_settings_defaults(&cfg->settings);
    cfg->sms_routes = empty_array();
    cfg->translation_rules = empty_array();
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void config_free(struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_cluster_nodes; i++) {
        free(cfg->cluster_nodes[i].name);
        free(cfg->cluster_nodes[i].host);
    }
    free(cfg->cluster_nodes);
    free_strings(cfg->join, cfg->n_join);
    free_strings(cfg->trusted_proxies, cfg->n_trusted_proxies);
    free_strings(cfg->enum_domains, cfg->n_enum_domains);
    free_strings(cfg->enum_dns_servers, cfg->n_enum_dns_servers);
    free_strings(cfg->dns_servers, cfg->n_dns_servers);
    free(cfg->node_name);
    free(cfg->data_dir);
    free(cfg->cluster_secret);
    free(cfg->dns_cluster_query);
    free(cfg->api.listen_ip);
    free(cfg->api.tls_cert_path);
    free(cfg->api.tls_key_path);
    free(cfg->api.advertise_url);
    free(cfg->web.listen_ip);
    free(cfg->metrics.listen_ip);
    free(cfg->database.adapter);
    free(cfg->database.username);
    free(cfg->database.password);
    free(cfg->database.hostname);
    free(cfg->database.database);
    free(cfg->logging.level);
    free(cfg->logging.file);
    free(cfg->ocs_url);
    free(cfg->ocs_tenant);
    free(cfg->ocs_account);
    free(cfg->ocs_destination);
    free(cfg->ocs_source);
    free(cfg->ocs_subject);
    json_decref(cfg->sms_routes);
    json_decref(cfg->translation_rules);
    memset(cfg, 0, sizeof *cfg);
}

int config_self_index(const struct config *cfg)
{
    if (cfg->node_name == NULL)
        return -1;
    for (size_t i = 0; i < cfg->n_cluster_nodes; i++)
        if (strcmp(cfg->cluster_nodes[i].name, cfg->node_name) == 0)
            return (int)i;
    return -1;
}

/* 127.0.0.0/8, ::1 or "localhost". */
static bool is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

/* Membership and cluster_secret checks; fills the one-node default. */
static int finalise_cluster(struct config *cfg, char *err, size_t errlen)
{
    bool secret = cfg->cluster_secret != NULL && cfg->cluster_secret[0];

    if (cfg->n_cluster_nodes > 0 && config_self_index(cfg) < 0)
        return fail(err, errlen, "smsc_node_name: '%s' is not in cluster_nodes",
                    cfg->node_name);
    if (cfg->n_cluster_nodes == 0) {
        free(cfg->cluster_nodes); /* an empty list given in the config */
        cfg->cluster_nodes = xcalloc(1, sizeof *cfg->cluster_nodes);
        cfg->cluster_nodes[0].name = xstrdup(cfg->node_name);
        cfg->cluster_nodes[0].host = xstrdup("127.0.0.1");
        cfg->cluster_nodes[0].raft_port = 9100;
        cfg->n_cluster_nodes = 1;
    }
    for (size_t i = 0; i < cfg->n_cluster_nodes && !secret; i++)
        if (!is_loopback(cfg->cluster_nodes[i].host))
            return fail(err, errlen,
                        "cluster_secret: required when cluster_nodes has a "
                        "non-loopback address");
    return 0;
}

/* Cross-key checks and derived defaults, once every value is final. */
static int finalise(struct config *cfg, char *err, size_t errlen)
{
    const char *bad;

    if (finalise_cluster(cfg, err, errlen) < 0)
        return -1;
    if (cfg->raft.heartbeat_timeout_ms >= cfg->raft.election_timeout_ms)
        return fail(err, errlen,
                    "raft.heartbeat_timeout_ms: must be less than "
                    "raft.election_timeout_ms (%d)",
                    cfg->raft.election_timeout_ms);
    bad = store_settings_check(&cfg->settings);
    if (bad != NULL)
        return fail(err, errlen, "%s: out of range", bad);
    if (cfg->data_dir == NULL) {
        size_t n = strlen(cfg->node_name) + sizeof "./var/";

        cfg->data_dir = xmalloc(n);
        snprintf(cfg->data_dir, n, "./var/%s", cfg->node_name);
    }
    return 0;
}

/* Defaults, then the document text (len bytes); source names the text in
 * syntax errors.  No cross-key checks. */
static int apply_text(struct config *cfg, const char *text, size_t len,
                      const char *source, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root;
    int rc;

    config_defaults(cfg);
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return fail(err, errlen,
                    "%s: JSON syntax error at line %d, column %d: %s", source,
                    jerr.line, jerr.column, jerr.text);
    rc = config_apply_json(cfg, root, err, errlen);
    json_decref(root);
    return rc;
}

int config_parse(struct config *cfg, const char *json_text, char *err,
                 size_t errlen)
{
    if (json_text == NULL)
        json_text = "{}";
    if (apply_text(cfg, json_text, strlen(json_text), "config", err, errlen) <
            0 ||
        finalise(cfg, err, errlen) < 0) {
        config_free(cfg);
        return -1;
    }
    return 0;
}

/* Reads the whole file; returns a new buffer (caller frees) or NULL with
 * the path and the reason in err. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n = 0, cap = 4096;

    if (f == NULL) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = xmalloc(cap);
    for (;;) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap >= CONFIG_MAX_FILE_BYTES)
            break;
        cap *= 2;
        buf = xrealloc(buf, cap);
    }
    if (ferror(f) || n == cap) {
        fail(err, errlen, "%s: %s", path,
             ferror(f) ? strerror(errno) : "file too large");
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len = 2;
    int rc;

    memset(cfg, 0, sizeof *cfg);
    if (path == NULL)
        text = xstrdup("{}");
    else if ((text = read_file(path, &len, err, errlen)) == NULL)
        return -1;
    rc = apply_text(cfg, text, len, path ? path : "config", err, errlen);
    free(text);
    if (rc == 0)
        rc = config_apply_env(cfg, err, errlen);
    if (rc == 0)
        rc = finalise(cfg, err, errlen);
    if (rc < 0)
        config_free(cfg);
    return rc;
}
