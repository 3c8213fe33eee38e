/* ctl_bench — `smscctl bench`: the options, the scenarios of the suite,
 * their setup (the fetch scenario's pending queue) and the report (a table
 * row per scenario as it finishes, and a JSON document).  The load itself
 * is bench_load.c's.
 *
 * The stored-message count the async scenarios and the setup wait for is
 * read through the list endpoint: "at least K messages" is one
 * GET /api/messages?limit=1&offset=K-1 answering a message, so the API
 * needs no counting endpoint and the metrics port need not be known.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/bench.h"
#include "cluster/ctl.h"
#include "common/timefmt.h"
#include "common/xalloc.h"

#define MAX_TARGETS 16
#define STORE_WAIT_S 300
#define FETCH_SMSC "bench_fetch"
/* An SMS-SUBMIT to +46700007900, "Test" (TS 23.040; tests/integration/
 * test_raw.py's reference PDU).  The originator, numbered per request in
 * the body, keeps each submission from being a retransmission. */
#define RAW_PDU "0001000B916407007009F0000004D4F29C0E"

enum body { B_NONE, B_CREATE, B_RAW };

struct scenario {
    const char *name;
    const char *method, *path;
    enum body body;
    bool async;     /* wait for the accepted messages to be stored */
    bool needs_queue; /* the FETCH_SMSC queue must hold --pending */
};

static const struct scenario scenarios[] = {
    {"create", "POST", "/api/messages", B_CREATE, false, false},
    {"create_async", "POST", "/api/messages/create_async", B_CREATE, true,
     false},
    {"raw", "POST", "/api/messages_raw", B_RAW, false, false},
    {"raw_async", "POST", "/api/messages_raw/async", B_RAW, true, false},
    {"fetch", "GET", "/api/messages/queue?smsc=" FETCH_SMSC "&limit=100",
     B_NONE, false, true},
    {"list", "GET", "/api/messages?limit=100", B_NONE, false, false},
};
#define NSCEN (sizeof scenarios / sizeof scenarios[0])

struct opts {
    struct bench_target targets[MAX_TARGETS];
    int ntargets;
    bool use_leader;
    long payload, pending;
    const char *json_file;
    bool run[NSCEN];
    struct bench_cfg cfg;
};

/* ---- options ---- */

static int num_opt(const struct ctl_cmd *cmd, const struct ctl_args *a,
                   const char *name, double min, double max, double def,
                   double *out)
{
    const char *v = ctl_opt(cmd, a, name);
    *out = def;
    if (v == NULL)
        return 0;
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= min && d <= max))
        return ctl_usage_error(cmd, "--%s must be a number from %g to %g, "
                                    "not %s",
                               name, min, max, v);
    *out = d;
    return 0;
}

/* "http://host:port[/]" into t; -1 when not a plain http URL. */
static int parse_target(const char *url, size_t len, struct bench_target *t)
{
    if (len < 8 || strncmp(url, "http://", 7) != 0 || len >= sizeof t->url)
        return -1;
    snprintf(t->url, sizeof t->url, "%.*s", (int)len, url);
    while (strlen(t->url) > 7 && t->url[strlen(t->url) - 1] == '/')
        t->url[strlen(t->url) - 1] = '\0';
    const char *h = t->url + 7, *end = h + strlen(h);
    if (strchr(h, '/'))
        return -1;
    const char *colon = *h == '[' ? strstr(h, "]:") : strrchr(h, ':');
    if (colon && *h == '[')
        colon++;
    const char *hend = colon ? colon : end;
    if (*h == '[')
        h++, hend -= hend[-1] == ']';
    if (hend <= h || (size_t)(hend - h) >= sizeof t->host)
        return -1;
    snprintf(t->host, sizeof t->host, "%.*s", (int)(hend - h), h);
    snprintf(t->port, sizeof t->port, "%s", colon ? colon + 1 : "80");
    return t->port[0] ? 0 : -1;
}

static int parse_nodes(const struct ctl_cmd *cmd, const char *list,
                       struct opts *o)
{
    for (const char *s = list; *s;) {
        size_t n = strcspn(s, ",");
        if (o->ntargets == MAX_TARGETS)
            return ctl_usage_error(cmd, "at most %d --nodes", MAX_TARGETS);
        if (parse_target(s, n, &o->targets[o->ntargets++]) != 0)
            return ctl_usage_error(cmd, "bench speaks plain http:// only "
                                        "(http://host:port), not %.*s",
                                   (int)n, s);
        s += n + (s[n] == ',');
    }
    return o->ntargets ? 0 : ctl_usage_error(cmd, "--nodes names no URL");
}

static int parse_scenarios(const struct ctl_cmd *cmd, const char *list,
                           struct opts *o)
{
    for (const char *s = list; *s;) {
        size_t n = strcspn(s, ",");
        size_t k = 0;
        while (k < NSCEN && (strlen(scenarios[k].name) != n ||
                             strncmp(scenarios[k].name, s, n) != 0))
            k++;
        if (k == NSCEN)
            return ctl_usage_error(cmd, "--scenario: unknown scenario %.*s "
                                        "(create, create_async, raw, "
                                        "raw_async, fetch, list)",
                                   (int)n, s);
        o->run[k] = true;
        s += n + (s[n] == ',');
    }
    return 0;
}

static int parse_opts(const struct ctl *c, const struct ctl_cmd *cmd,
                      const struct ctl_args *a, struct opts *o)
{
    double conns, dur, warm, threads, rate, pl, payload, pending;
    if (num_opt(cmd, a, "connections", 1, 10000, 64, &conns) ||
        num_opt(cmd, a, "duration", 0.1, 86400, 10, &dur) ||
        num_opt(cmd, a, "warmup", 0, 3600, 1, &warm) ||
        num_opt(cmd, a, "threads", 1, 64, 1, &threads) ||
        num_opt(cmd, a, "rate", 0, 1e7, 0, &rate) ||
        num_opt(cmd, a, "pipeline", 1, 1000, 1, &pl) ||
        num_opt(cmd, a, "payload", 1, 1000, 20, &payload) ||
        num_opt(cmd, a, "pending", 0, 1e8, 100000, &pending))
        return CTL_USAGE;
    const char *nodes = ctl_opt(cmd, a, "nodes");
    if (parse_nodes(cmd, nodes ? nodes : c->node, o) != 0)
        return CTL_USAGE;
    const char *sc = ctl_opt(cmd, a, "scenario");
    if (sc && parse_scenarios(cmd, sc, o) != 0)
        return CTL_USAGE;
    for (size_t k = 0; sc == NULL && k < NSCEN; k++)
        o->run[k] = true;
    if ((int)threads > (int)conns)
        return ctl_usage_error(cmd, "--threads %d exceeds --connections %d",
                               (int)threads, (int)conns);
    o->use_leader = ctl_opt(cmd, a, "leader") != NULL;
    o->json_file = ctl_opt(cmd, a, "json");
    o->payload = (long)payload;
    o->pending = (long)pending;
    struct bench_cfg *g = &o->cfg;
    g->conns = (int)conns;
    g->threads = (int)threads;
    g->pipeline = (int)pl;
    g->rate = rate;
    g->duration_s = dur;
    g->warmup_s = warm;
    g->timeout_s = c->timeout_s;
    return CTL_OK;
}

/* ---- the node: leader and stored count ---- */

/* Replaces the targets with the leader's API URL (asked of the first). */
static int find_leader(const struct ctl *c, struct opts *o)
{
    const char *base = o->targets[0].url;
    for (int tries = 0; tries < 50; tries++, usleep(200000)) {
        json_t *st, *cl;
        int rc = ctl_call(c, base, "GET", "/api/status", NULL, 0, NULL, &st);
        if (rc != CTL_OK)
            return rc;
        const char *leader = json_string_value(json_object_get(st, "leader"));
        const char *role = json_string_value(json_object_get(st, "role"));
        if (role && strcmp(role, "leader") == 0) {
            json_decref(st);
            o->ntargets = 1;
            return CTL_OK;
        }
        if (leader == NULL ||
            ctl_call(c, base, "GET", "/api/cluster", NULL, 0, NULL, &cl)) {
            json_decref(st);
            continue;
        }
        size_t i;
        json_t *m, *url = NULL;
        json_array_foreach(json_object_get(json_object_get(cl, "data"),
                                           "members"), i, m)
            if (json_is_string(json_object_get(m, "name")) &&
                strcmp(json_string_value(json_object_get(m, "name")),
                       leader) == 0)
                url = json_object_get(m, "api_url");
        int bad = json_is_string(url)
                      ? parse_target(json_string_value(url),
                                     strlen(json_string_value(url)),
                                     &o->targets[0])
                      : 1;
        json_decref(st), json_decref(cl);
        if (bad < 0) {
            fprintf(stderr, "smscctl: bench: the leader's API URL is not "
                            "plain http://\n");
            return CTL_API;
        }
        if (bad == 0) {
            o->ntargets = 1;
            return CTL_OK;
        }
    }
    fprintf(stderr, "smscctl: bench: no leader with a known API URL\n");
    return CTL_API;
}

/* Whether the node holds at least k messages (matching filter, a query
 * string fragment or ""); -1 when it cannot be asked. */
static int at_least(const struct ctl *c, const char *base, const char *filter,
                    long k)
{
    if (k <= 0)
        return 1;
    char path[256];
    snprintf(path, sizeof path, "/api/messages?limit=1&offset=%ld%s", k - 1,
             filter);
    json_t *j;
    if (ctl_call(c, base, "GET", path, NULL, 0, NULL, &j) != CTL_OK)
        return -1;
    int r = json_array_size(json_object_get(j, "data")) > 0;
    json_decref(j);
    return r;
}

/* The number of messages matching filter: doubling, then bisecting. */
static long count_stored(const struct ctl *c, const char *base,
                         const char *filter)
{
    long lo = 0, hi = 1024; /* at_least(lo), !at_least(hi) */
    int r;
    while ((r = at_least(c, base, filter, hi)) == 1)
        lo = hi, hi *= 2;
    while (r >= 0 && hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        r = at_least(c, base, filter, mid);
        *(r == 1 ? &lo : &hi) = mid;
    }
    return r < 0 ? -1 : lo;
}

/* Seconds until at least k messages are stored, or -1 after STORE_WAIT_S. */
static double wait_stored(const struct ctl *c, const char *base,
                          const char *filter, long k)
{
    uint64_t t0 = bench_now_us();
    while (bench_now_us() - t0 < STORE_WAIT_S * 1000000ull) {
        if (at_least(c, base, filter, k) == 1)
            return (double)(bench_now_us() - t0) / 1e6;
        usleep(20000);
    }
    return -1;
}

/* ---- requests ---- */

static char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *out;
    va_start(ap, fmt);
    int n = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    return out;
}

/* The body of a scenario's request ("%N": the per-request number). */
static char *body_of(enum body b, const char *dest, long payload)
{
    /* payload characters: the number, a blank, then x's */
    char *text = xmalloc((size_t)payload + 1);
    size_t n = (size_t)payload;
    if (payload > BENCH_SLOT) {
        memcpy(text, "%N ", 3);
        memset(text + 3, 'x', n - BENCH_SLOT - 1);
        text[n - BENCH_SLOT + 2] = '\0';
    } else {
        memset(text, 'x', n);
        text[n] = '\0';
    }
    char *out = NULL;
    if (b == B_CREATE)
        out = xasprintf("{\"source_msisdn\":\"+15551234567\","
                        "\"destination_msisdn\":\"+447700900000\","
                        "\"message_body\":\"%s\",\"source_smsc\":\"bench\","
                        "\"dest_smsc\":\"%s\"}",
                        text, dest);
    else if (b == B_RAW)
        out = xasprintf("{\"pdu\":\"" RAW_PDU "\",\"source_smsc\":\"bench\","
                        "\"source_msisdn\":\"+1555%%N\",\"dest_smsc\":\"%s\"}",
                        dest);
    free(text);
    return out;
}

static void make_tpls(const struct ctl *c, const struct opts *o,
                      const char *method, const char *path, const char *body,
                      struct bench_tpl *tpls)
{
    for (int i = 0; i < o->ntargets; i++) {
        char host[300];
        snprintf(host, sizeof host, "%s:%s", o->targets[i].host,
                 o->targets[i].port);
        bench_tpl_build(&tpls[i], method, path, host, c->api_key, body);
    }
}

static void free_tpls(const struct opts *o, struct bench_tpl *tpls)
{
    for (int i = 0; i < o->ntargets; i++)
        bench_tpl_free(&tpls[i]);
}

/* Loads the fetch scenario's queue up to --pending messages. */
static int fill_queue(const struct ctl *c, struct opts *o)
{
    const char *base = o->targets[0].url;
    const char *filter = "&status=pending&dest_smsc=" FETCH_SMSC;
    long have = count_stored(c, base, filter);
    if (have < 0)
        return CTL_DOWN;
    if (have >= o->pending)
        return CTL_OK;
    long all = count_stored(c, base, "");
    fprintf(stderr, "bench: fetch setup: %ld pending for " FETCH_SMSC
                    ", loading %ld...\n",
            have, o->pending - have);
    struct bench_tpl tpls[MAX_TARGETS];
    char *body = body_of(B_CREATE, FETCH_SMSC, o->payload);
    make_tpls(c, o, "POST", "/api/messages/create_async", body, tpls);
    free(body);
    struct bench_cfg g = o->cfg;
    g.tpls = tpls;
    g.rate = 0;
    g.warmup_s = 0;
    g.goal = (uint64_t)(o->pending - have);
    struct bench_result *r = xcalloc(1, sizeof *r);
    uint64_t t0 = bench_now_us();
    int rc = bench_run(&g, r);
    free_tpls(o, tpls);
    double stored = rc == 0 ? wait_stored(c, base, "", all + (long)r->acked)
                            : -1;
    fprintf(stderr, "bench: fetch setup: %llu accepted, all stored after "
                    "%.1f s\n",
            (unsigned long long)r->acked,
            (double)(bench_now_us() - t0) / 1e6);
    free(r);
    return stored < 0 ? CTL_API : CTL_OK;
}

/* Runs one scenario, prints its row, appends its JSON to out. */
static int run_one(const struct ctl *c, struct opts *o,
                   const struct scenario *s, json_t *out)
{
    const char *base = o->targets[0].url;
    if (s->needs_queue) {
        int rc = fill_queue(c, o);
        if (rc != CTL_OK)
            return rc;
    }
    long before = s->async ? count_stored(c, base, "") : 0;
    if (before < 0)
        return CTL_DOWN;
    struct bench_tpl tpls[MAX_TARGETS];
    char *body = body_of(s->body, "bench_gw", o->payload);
    make_tpls(c, o, s->method, s->path, body, tpls);
    free(body);
    struct bench_cfg g = o->cfg;
    g.tpls = tpls;
    g.min_items = s->needs_queue ? (int)(o->pending < 100 ? o->pending : 100)
                                 : 0;
    struct bench_result *r = xcalloc(1, sizeof *r);
    int rc = bench_run(&g, r) == 0 ? CTL_OK : CTL_DOWN;
    free_tpls(o, tpls);
    double stored = -1;
    if (rc == CTL_OK && s->async) {
        stored = wait_stored(c, base, "", before + (long)r->acked);
        if (stored < 0)
            fprintf(stderr, "smscctl: bench: %s: not all %llu accepted "
                            "messages stored after %d s\n",
                    s->name, (unsigned long long)r->acked, STORE_WAIT_S);
    }
    if (!c->json)
        bench_table_row(s->name, r, stored);
    json_t *j = bench_result_json(r);
    json_object_set_new(j, "name", json_string(s->name));
    json_object_set_new(j, "method", json_string(s->method));
    json_object_set_new(j, "path", json_string(s->path));
    json_object_set_new(j, "stored_after_s",
                        s->async && stored >= 0 ? json_real(stored)
                                                : json_null());
    json_array_append_new(out, j);
    if (rc == CTL_OK && r->ok == 0)
        rc = CTL_API;
    free(r);
    return rc;
}

static json_t *options_json(const struct opts *o)
{
    json_t *sc = json_array();
    for (size_t k = 0; k < NSCEN; k++)
        if (o->run[k])
            json_array_append_new(sc, json_string(scenarios[k].name));
    const struct bench_cfg *g = &o->cfg;
    return json_pack("{s:i,s:i,s:i,s:f,s:f,s:f,s:i,s:i,s:b,s:o,s:i}",
                     "connections", g->conns, "threads", g->threads,
                     "pipeline", g->pipeline, "rate", g->rate, "duration_s",
                     g->duration_s, "warmup_s", g->warmup_s, "payload",
                     (int)o->payload, "pending", (int)o->pending, "leader",
                     o->use_leader, "scenarios", sc, "timeout_s",
                     g->timeout_s);
}

int ctl_bench(const struct ctl *c, const struct ctl_cmd *cmd,
              const struct ctl_args *a)
{
    struct opts *o = xcalloc(1, sizeof *o);
    int rc = parse_opts(c, cmd, a, o);
    json_t *doc = NULL, *nodes = json_array();
    for (int i = 0; rc == CTL_OK && i < o->ntargets; i++)
        json_array_append_new(nodes, json_string(o->targets[i].url));
    /* every target must answer first: a typo'd URL is exit 3, not a
     * table of socket errors */
    for (int i = 0; rc == CTL_OK && i < o->ntargets; i++) {
        json_t *st;
        rc = ctl_call(c, o->targets[i].url, "GET", "/api/status", NULL, 0,
                      NULL, &st);
        json_decref(st);
    }
    if (rc == CTL_OK && o->use_leader)
        rc = find_leader(c, o);
    if (rc != CTL_OK) {
        json_decref(nodes);
        free(o);
        return rc;
    }
    o->cfg.targets = o->targets;
    o->cfg.ntargets = o->ntargets;
    char started[TIMEFMT_LEN];
    time_format(time_now_ms(), started);
    json_t *targets = json_array(), *results = json_array();
    for (int i = 0; i < o->ntargets; i++)
        json_array_append_new(targets, json_string(o->targets[i].url));
    doc = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o}", "tool", "smscctl bench",
                    "started_at", started, "options", options_json(o), "nodes",
                    nodes, "targets", targets, "scenarios", results);
    if (!c->json)
        bench_table_header();
    for (size_t k = 0; k < NSCEN; k++) {
        if (!o->run[k])
            continue;
        int r = run_one(c, o, &scenarios[k], results);
        if (r != CTL_OK && rc == CTL_OK)
            rc = r;
        if (r == CTL_DOWN)
            break;
    }
    if (o->json_file && json_dump_file(doc, o->json_file, JSON_INDENT(2))) {
        fprintf(stderr, "smscctl: bench: cannot write %s\n", o->json_file);
        rc = rc == CTL_OK ? CTL_API : rc;
    }
    if (c->json)
        ctl_print_json(doc);
    json_decref(doc);
    free(o);
    return rc;
}
