/* config_table — the configuration keys as data, and the one walker that
 * applies a JSON document or the environment onto a struct config.
 *
 * Every node-local key is a row of config_keys: its dotted path, its type,
 * where it lives in struct config and, for integers, its inclusive range.
 * Objects ("api", "raft", ...) are rows too; their members are the rows
 * whose path starts with "<object>.".  The cluster settings are not copied
 * here: top-level names missing from this table are looked up in
 * store_setting_table (raft_store/settings.h).  Every error message is made
 * from the row ("api.port: expected an integer between 0 and 65535"), so
 * the parser, the environment overrides and their messages cannot drift
 * apart.  Address syntax ("name@host:port", "host:port", IP or CIDR) is
 * checked here too.  Main thread only, like the rest of config.
 */
#include "server/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

enum key_type {
    K_OBJECT,     /* nested object of further rows */
    K_STRING,     /* char *, null allowed (= unset) */
    K_NAME,       /* char *, node name: 1..63 of [A-Za-z0-9_.-] */
    K_CHOICE,     /* char *, one of choices */
    K_INT,        /* int in [min, max] */
    K_I64,        /* int64_t in [min, max] */
    K_BOOL,       /* bool */
    K_PEERS,      /* struct config_peer[] of "name@host:port" */
    K_HOSTPORTS,  /* char *[] of "host:port" */
    K_PROXIES,    /* char *[] of IP addresses or CIDRs */
    K_STRINGS,    /* char *[] of strings */
    K_JSON_ARRAY, /* json_t * array, owned */
};

struct key_desc {
    const char *path;
    enum key_type type;
    size_t offset;              /* of the field in struct config */
    size_t count_offset;        /* of the size_t count, list types */
    int64_t min, max;           /* K_INT, K_I64 */
    const char *const *choices; /* K_CHOICE, NULL-terminated */
    bool one_ok;                /* list: a lone string is a 1-element list */
};

/* clang-format off */
#define F(field) offsetof(struct config, field)
#define OBJ(p) { .path = (p), .type = K_OBJECT }
#define STR(p, f) { .path = (p), .type = K_STRING, .offset = F(f) }
#define NUM(p, t, f, lo, hi) \
    { .path = (p), .type = (t), .offset = F(f), .min = (lo), .max = (hi) }
#define BOOL(p, f) { .path = (p), .type = K_BOOL, .offset = F(f) }
#define CHOICE(p, f, ch) \
    { .path = (p), .type = K_CHOICE, .offset = F(f), .choices = (ch) }
#define LIST(p, t, f, n, one) \
    { .path = (p), .type = (t), .offset = F(f), .count_offset = F(n), \
      .one_ok = (one) }
#define JARRAY(p, f) { .path = (p), .type = K_JSON_ARRAY, .offset = F(f) }
/* clang-format on */

#define MIB (1024 * 1024)

static const char *const adapters[] = {"sqlite", "postgres", "mysql", NULL};
static const char *const log_levels[] = {"debug", "info", "warning", "error",
                                         NULL};

static const struct key_desc config_keys[] = {
    {.path = "smsc_node_name", .type = K_NAME, .offset = F(node_name)},
    STR("data_dir", data_dir),
    LIST("cluster_nodes", K_PEERS, cluster_nodes, n_cluster_nodes, false),
    LIST("join", K_HOSTPORTS, join, n_join, true),
    STR("cluster_secret", cluster_secret),
    STR("dns_cluster_query", dns_cluster_query),
    LIST("dns_servers", K_HOSTPORTS, dns_servers, n_dns_servers, false),
    OBJ("api"),
    STR("api.listen_ip", api.listen_ip),
    NUM("api.port", K_INT, api.port, 0, 65535),
    NUM("api.http_port", K_INT, api.http_port, 0, 65535),
    BOOL("api.enable_tls", api.enable_tls),
    STR("api.tls_cert_path", api.tls_cert_path),
    STR("api.tls_key_path", api.tls_key_path),
    NUM("api.threads", K_INT, api.threads, 0, 1024),
    NUM("api.max_body_bytes", K_I64, api.max_body_bytes, 1024, 1024 * MIB),
    NUM("api.max_connections", K_INT, api.max_connections, 1, 1000000),
    NUM("api.timeout_seconds", K_INT, api.timeout_seconds, 1, 86400),
    STR("api.advertise_url", api.advertise_url),
    OBJ("web"),
    STR("web.listen_ip", web.listen_ip),
    NUM("web.port", K_INT, web.port, 0, 65535),
    OBJ("metrics"),
    STR("metrics.listen_ip", metrics.listen_ip),
    NUM("metrics.port", K_INT, metrics.port, 0, 65535),
    OBJ("raft"),
    NUM("raft.apply_timeout_ms", K_INT, raft.apply_timeout_ms, 100, 600000),
    NUM("raft.max_inflight_entries", K_INT, raft.max_inflight_entries, 1, 1024),
    NUM("raft.max_entry_bytes", K_I64, raft.max_entry_bytes, 64 * 1024,
        8 * MIB),
    NUM("raft.election_timeout_ms", K_INT, raft.election_timeout_ms, 10,
        600000),
    NUM("raft.heartbeat_timeout_ms", K_INT, raft.heartbeat_timeout_ms, 1,
        600000),
    NUM("raft.snapshot_threshold", K_INT, raft.snapshot_threshold, 1,
        100000000),
    NUM("raft.snapshot_trailing", K_INT, raft.snapshot_trailing, 0, 100000000),
    NUM("raft.snapshot_trailing_bytes", K_I64, raft.snapshot_trailing_bytes,
        MIB, 4096LL * MIB),
    NUM("raft.segment_bytes", K_I64, raft.segment_bytes, MIB, 16 * MIB),
    BOOL("raft.snapshot_in_background", raft.snapshot_in_background),
    OBJ("database"),
    CHOICE("database.adapter", database.adapter, adapters),
    STR("database.username", database.username),
    STR("database.password", database.password),
    STR("database.hostname", database.hostname),
    NUM("database.port", K_INT, database.port, 0, 65535),
    STR("database.database", database.database),
    NUM("database.pool_size", K_INT, database.pool_size, 1, 1000),
    BOOL("database.ssl", database.ssl),
    OBJ("rate_limits"),
    BOOL("rate_limits.enabled", rate_limits.enabled),
    NUM("rate_limits.messages_per_second", K_INT,
        rate_limits.messages_per_second, 1, 10000000),
    NUM("rate_limits.async_per_second", K_INT, rate_limits.async_per_second, 1,
        10000000),
    NUM("rate_limits.raw_per_second", K_INT, rate_limits.raw_per_second, 1,
        10000000),
    NUM("rate_limits.reads_per_second", K_INT, rate_limits.reads_per_second, 1,
        10000000),
    OBJ("logging"),
    CHOICE("logging.level", logging.level, log_levels),
    STR("logging.file", logging.file),
    LIST("trusted_proxies", K_PROXIES, trusted_proxies, n_trusted_proxies,
         false),
    NUM("async_queue_max", K_I64, async_queue_max, 1, 100000000),
    STR("ocs_url", ocs_url),
    STR("ocs_tenant", ocs_tenant),
    STR("ocs_account", ocs_account),
    STR("ocs_destination", ocs_destination),
    STR("ocs_source", ocs_source),
    STR("ocs_subject", ocs_subject),
    NUM("ocs_timeout", K_INT, ocs_timeout, 1, 600000),
    BOOL("enum_enabled", enum_enabled),
    LIST("enum_domains", K_STRINGS, enum_domains, n_enum_domains, false),
    LIST("enum_dns_servers", K_HOSTPORTS, enum_dns_servers, n_enum_dns_servers,
         false),
    NUM("enum_timeout", K_INT, enum_timeout, 1, 600000),
    JARRAY("sms_routes", sms_routes),
    JARRAY("translation_rules", translation_rules),
};

#define N_KEYS (sizeof config_keys / sizeof config_keys[0])

/* Environment variable → key path (SPEC §12). */
static const struct {
    const char *var;
    const char *path;
} env_keys[] = {
    {"NODE_NAME", "smsc_node_name"},
    {"API_PORT", "api.port"},
    {"API_LISTEN_IP", "api.listen_ip"},
    {"API_ENABLE_TLS", "api.enable_tls"},
    {"WEB_PORT", "web.port"},
    {"DB_USERNAME", "database.username"},
    {"DB_PASSWORD", "database.password"},
    {"DB_HOSTNAME", "database.hostname"},
    {"DB_PORT", "database.port"},
    {"DB_NAME", "database.database"},
    {"DB_POOL_SIZE", "database.pool_size"},
    {"OCS_URL", "ocs_url"},
    {"OCS_TENANT", "ocs_tenant"},
    {"OCS_ACCOUNT", "ocs_account"},
};

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

static const struct key_desc *key_find(const char *path)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(config_keys[i].path, path) == 0)
            return &config_keys[i];
    return NULL;
}

static const struct setting_desc *setting_find(const char *name)
{
    for (unsigned i = 0; i < store_setting_count; i++)
        if (strcmp(store_setting_table[i].name, name) == 0)
            return &store_setting_table[i];
    return NULL;
}

static void *field(struct config *cfg, size_t offset)
{
    return (char *)cfg + offset;
}

/* ---- address syntax ---------------------------------------------------- */

static bool valid_node_name(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > 63)
        return false;
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789_.-") == n;
}

/* A host name or a dotted IPv4 address (all digits and dots must parse). */
static bool valid_host(const char *s)
{
    size_t n = strlen(s);
    struct in_addr a4;

    if (n < 1 || n > 253)
        return false;
    if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789.-_") != n)
        return false;
    if (s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
        return false;
    if (strspn(s, "0123456789.") == n)
        return inet_pton(AF_INET, s, &a4) == 1;
    return true;
}

static bool parse_port(const char *s, int *port)
{
    size_t n = strlen(s);
    long v;

    if (n < 1 || n > 5 || strspn(s, "0123456789") != n)
        return false;
    v = strtol(s, NULL, 10);
    if (v < 1 || v > 65535)
        return false;
    *port = (int)v;
    return true;
}

/* Splits "host:port" or "[v6]:port".  On success returns the host without
 * brackets (new string, caller frees) and sets *port; else NULL. */
static char *parse_host_port(const char *s, int *port)
{
    const char *colon;
    char *host;
    struct in6_addr a6;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (close == NULL || close[1] != ':')
            return NULL;
        host = xstrndup(s + 1, (size_t)(close - s - 1));
        colon = close + 1;
        if (inet_pton(AF_INET6, host, &a6) != 1)
            goto bad;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return NULL;
        host = xstrndup(s, (size_t)(colon - s));
        if (!valid_host(host))
            goto bad;
    }
    if (parse_port(colon + 1, port))
        return host;
bad:
    free(host);
    return NULL;
}

static bool valid_host_port(const char *s)
{
    int port;
    char *host = parse_host_port(s, &port);

    free(host);
    return host != NULL;
}

/* An IPv4/IPv6 address, optionally with "/prefix" (0..32 or 0..128). */
static bool valid_proxy(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    const char *slash = strchr(s, '/');
    char *addr = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    bool ok = inet_pton(family, addr, buf) == 1;
    int bits = family == AF_INET6 ? 128 : 32;

    free(addr);
    if (ok && slash != NULL) {
        size_t n = strlen(slash + 1);
        long v;

        if (n < 1 || n > 3 || strspn(slash + 1, "0123456789") != n)
            return false;
        v = strtol(slash + 1, NULL, 10);
        ok = v <= bits;
    }
    return ok;
}

/* Fills *peer from "name@host:port"; returns false on bad syntax. */
static bool parse_peer(const char *s, struct config_peer *peer)
{
    const char *at = strchr(s, '@');
    char *name;

    if (at == NULL)
        return false;
    name = xstrndup(s, (size_t)(at - s));
    if (!valid_node_name(name)) {
        free(name);
        return false;
    }
    peer->host = parse_host_port(at + 1, &peer->raft_port);
    if (peer->host == NULL) {
        free(name);
        return false;
    }
    peer->name = name;
    return true;
}

/* ---- scalar values ----------------------------------------------------- */

static void replace_string(char **dst, const char *s)
{
    free(*dst);
    *dst = xstrdup(s);
}

static int set_string(const struct key_desc *d, char **dst, const char *label,
                      json_t *val, char *err, size_t errlen)
{
    const char *s;

    if (d->type == K_STRING && json_is_null(val)) {
        free(*dst);
        *dst = NULL;
        return 0;
    }
    if (!json_is_string(val))
        return fail(err, errlen, "%s: expected a string", label);
    s = json_string_value(val);
    if (d->type == K_NAME && !valid_node_name(s))
        return fail(err, errlen,
                    "%s: expected 1 to 63 characters of [A-Za-z0-9_.-]", label);
    if (d->type == K_CHOICE) {
        char list[128] = "";
        size_t i;

        for (i = 0; d->choices[i] != NULL; i++) {
            if (strcmp(d->choices[i], s) == 0)
                break;
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     i ? ", " : "", d->choices[i]);
        }
        if (d->choices[i] == NULL)
            return fail(err, errlen, "%s: expected one of %s", label, list);
    }
    replace_string(dst, s);
    return 0;
}

static int int_error(const char *label, int64_t min, int64_t max, char *err,
                     size_t errlen)
{
    return fail(err, errlen,
                "%s: expected an integer between %" PRId64 " and %" PRId64,
                label, min, max);
}

static int get_int(const char *label, json_t *val, int64_t min, int64_t max,
                   int64_t *out, char *err, size_t errlen)
{
    json_int_t v;

    if (!json_is_integer(val))
        return int_error(label, min, max, err, errlen);
    v = json_integer_value(val);
    if (v < min || v > max)
        return int_error(label, min, max, err, errlen);
    *out = (int64_t)v;
    return 0;
}

static int get_bool(const char *label, json_t *val, bool *out, char *err,
                    size_t errlen)
{
    if (!json_is_boolean(val))
        return fail(err, errlen, "%s: expected true or false", label);
    *out = json_is_true(val);
    return 0;
}

/* ---- lists ------------------------------------------------------------- */

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_peers(struct config_peer *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].host);
    }
    free(v);
}

static const char *element_error(enum key_type type)
{
    switch (type) {
    case K_PEERS:
        return "expected \"name@host:port\"";
    case K_HOSTPORTS:
        return "expected \"host:port\"";
    case K_PROXIES:
        return "expected an IP address or CIDR";
    default:
        return "expected a string";
    }
}

static bool valid_element(enum key_type type, const char *s)
{
    switch (type) {
    case K_HOSTPORTS:
        return valid_host_port(s);
    case K_PROXIES:
        return valid_proxy(s);
    default:
        return true;
    }
}

/* Parses the peers of cluster_nodes; names must be unique. */
static int set_peers(const struct key_desc *d, struct config *cfg, json_t *arr,
                     char *err, size_t errlen)
{
    size_t n = json_array_size(arr);
    struct config_peer *peers = xcalloc(n, sizeof *peers);
    const char *label = d->path;

    for (size_t i = 0; i < n; i++) {
        json_t *el = json_array_get(arr, i);

        if (!json_is_string(el) ||
            !parse_peer(json_string_value(el), &peers[i])) {
            free_peers(peers, n);
            return fail(err, errlen, "%s[%zu]: %s", label, i,
                        element_error(K_PEERS));
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(peers[j].name, peers[i].name) == 0) {
                fail(err, errlen, "%s[%zu]: duplicate node name '%s'", label, i,
                     peers[i].name);
                free_peers(peers, n);
                return -1;
            }
        }
    }
    free_peers(cfg->cluster_nodes, cfg->n_cluster_nodes);
    cfg->cluster_nodes = peers;
    cfg->n_cluster_nodes = n;
    return 0;
}

/* Sets a char *[] list from an array of strings (or a lone string when the
 * row allows it), checking each element's syntax. */
static int set_list(const struct key_desc *d, struct config *cfg,
                    const char *label, json_t *val, char *err, size_t errlen)
{
    bool lone = d->one_ok && json_is_string(val);
    size_t n = lone ? 1 : json_array_size(val);
    char ***dst = field(cfg, d->offset);
    size_t *count = field(cfg, d->count_offset);
    char **v;

    if (!lone && !json_is_array(val))
        return fail(err, errlen, "%s: expected an array%s", label,
                    d->one_ok ? " or a string" : "");
    if (d->type == K_PEERS)
        return set_peers(d, cfg, val, err, errlen);
    v = xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        json_t *el = lone ? val : json_array_get(val, i);
        const char *s = json_string_value(el);

        if (s == NULL || !valid_element(d->type, s)) {
            free_strings(v, n);
            if (lone)
                return fail(err, errlen, "%s: %s", label,
                            element_error(d->type));
            return fail(err, errlen, "%s[%zu]: %s", label, i,
                        element_error(d->type));
        }
        v[i] = xstrdup(s);
    }
    free_strings(*dst, *count);
    *dst = v;
    *count = n;
    return 0;
}

/* ---- one value --------------------------------------------------------- */

/* Applies val to the field described by d; label names it in errors (the
 * key path, or the environment variable). */
static int set_value(struct config *cfg, const struct key_desc *d,
                     const char *label, json_t *val, char *err, size_t errlen)
{
    void *p = field(cfg, d->offset);
    int64_t i64 = 0;

    switch (d->type) {
    case K_STRING:
    case K_NAME:
    case K_CHOICE:
        return set_string(d, p, label, val, err, errlen);
    case K_INT:
    case K_I64:
        if (get_int(label, val, d->min, d->max, &i64, err, errlen) < 0)
            return -1;
        if (d->type == K_INT)
            *(int *)p = (int)i64;
        else
            *(int64_t *)p = i64;
        return 0;
    case K_BOOL:
        return get_bool(label, val, p, err, errlen);
    case K_PEERS:
    case K_HOSTPORTS:
    case K_PROXIES:
    case K_STRINGS:
        return set_list(d, cfg, label, val, err, errlen);
    case K_JSON_ARRAY:
        if (!json_is_array(val))
            return fail(err, errlen, "%s: expected an array", label);
        json_decref(*(json_t **)p);
        *(json_t **)p = json_incref(val);
        return 0;
    case K_OBJECT:
        break;
    }
    return fail(err, errlen, "%s: expected an object", label);
}

/* Applies one cluster setting (a top-level key) from its table row. */
static int set_setting(struct config *cfg, const struct setting_desc *sd,
                       json_t *val, char *err, size_t errlen)
{
    char *p = (char *)&cfg->settings + sd->offset;
    int64_t i64 = 0;
    bool b = false;
    int action;

    switch (sd->kind) {
    case SETTING_INT:
        if (get_int(sd->name, val, sd->min, sd->max, &i64, err, errlen) < 0)
            return -1;
        memcpy(p, &i64, sizeof i64);
        return 0;
    case SETTING_BOOL:
        if (get_bool(sd->name, val, &b, err, errlen) < 0)
            return -1;
        memcpy(p, &b, sizeof b);
        return 0;
    case SETTING_ACTION:
        if (store_charging_action_parse(json_string_value(val), &action) < 0)
            return fail(err, errlen, "%s: expected \"allow\" or \"deny\"",
                        sd->name);
        memcpy(p, &action, sizeof action);
        return 0;
    }
    return fail(err, errlen, "%s: unsupported setting", sd->name);
}

/* ---- walkers ----------------------------------------------------------- */

/* Applies every member of obj; prefix is the object's path ("" = top). */
static int walk_object(struct config *cfg, json_t *obj, const char *prefix,
                       char *err, size_t errlen)
{
    const char *key;
    json_t *val;

    json_object_foreach(obj, key, val)
    {
        char path[256];
        const struct key_desc *d;
        const struct setting_desc *sd = NULL;

        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
        d = key_find(path);
        if (d == NULL && *prefix == '\0')
            sd = setting_find(key);
        if (sd != NULL) {
            if (set_setting(cfg, sd, val, err, errlen) < 0)
                return -1;
        } else if (d == NULL) {
            return fail(err, errlen, "unknown key '%s'", path);
        } else if (d->type != K_OBJECT) {
            if (set_value(cfg, d, path, val, err, errlen) < 0)
                return -1;
        } else if (!json_is_object(val)) {
            return fail(err, errlen, "%s: expected an object", path);
        } else if (walk_object(cfg, val, path, err, errlen) < 0) {
            return -1;
        }
    }
    return 0;
}

int config_apply_json(struct config *cfg, json_t *root, char *err,
                      size_t errlen)
{
    if (!json_is_object(root))
        return fail(err, errlen, "config: the top level must be an object");
    return walk_object(cfg, root, "", err, errlen);
}

/* Turns an environment value into the JSON value its row expects, when it
 * can; otherwise a JSON string, which set_value then rejects by name. */
static json_t *env_to_json(const struct key_desc *d, const char *text)
{
    if (d->type == K_INT || d->type == K_I64) {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(text, &end, 10);
        if (errno == 0 && end != text && *end == '\0')
            return json_integer((json_int_t)v);
    } else if (d->type == K_BOOL) {
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            return json_true();
        if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
            return json_false();
    }
    return json_string_nocheck(text);
}

int config_apply_env(struct config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof env_keys / sizeof env_keys[0]; i++) {
        const char *text = getenv(env_keys[i].var);
        const struct key_desc *d;
        json_t *val;
        int rc;

        if (text == NULL)
            continue;
        d = key_find(env_keys[i].path);
        val = env_to_json(d, text);
        if (val == NULL) {
            fprintf(stderr, "fatal: out of memory in config\n");
            abort();
        }
        rc = set_value(cfg, d, env_keys[i].var, val, err, errlen);
        json_decref(val);
        if (rc < 0)
            return -1;
    }
    return 0;
}
