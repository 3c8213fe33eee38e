/* store_fixture — what the store unit tests share: applying commands as
 * group-commit entries (one entry per call, raft indexes counted in
 * next_index), building create commands, reading the queue and the event
 * log, and one view over the routes and translation-rule tables so a test
 * body can run against either.  Everything goes through the public
 * store/cmd interfaces.  Included by test_store.c, test_store_tables.c and
 * test_store_locations.c only; the helpers are static inline, so a file
 * that leaves some unused still builds warning-free.  Single-threaded, as
 * the store is. */
#ifndef SMSC_STORE_FIXTURE_H
#define SMSC_STORE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "raft_store/cmd.h"
#include "raft_store/store.h"

#define MIN (60 * 1000LL)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define T0 1700000000000LL
#define NODE "node-a"     /* the node the commands reached */
#define FROM "+15551234567"
#define X "+447700900001" /* subscribers whose locations the tests move */
#define Y "+447700900002"
#define Z "+447700900003"

/* The raft index of the last entry applied; tests may rewind it to apply
 * the same entries to two stores. */
static uint64_t next_index;

/* ------------------------------------------------- applying commands */

/* Applies one entry of the n commands at time now (the commands stay the
 * caller's); returns the n results, which the caller frees with
 * store_results_free. */
static inline struct store_result *apply(struct store *s, int64_t now,
                                         struct cmd *cmds, uint32_t n)
{
    struct buf e, c;
    buf_init(&e);
    buf_init(&c);
    cmd_batch_begin(&e);
    for (uint32_t i = 0; i < n; i++) {
        buf_reset(&c);
        cmd_encode(&c, &cmds[i]);
        cmd_batch_add(&e, c.data, c.len);
    }
    cmd_batch_end(&e, n, now, 7, 1);
    assert_int_equal(e.len % 8, 0);
    uint32_t got = 0;
    struct store_result *r = store_apply_entry(s, ++next_index, e.data, e.len,
                                               &got);
    assert_int_equal(got, n);
    buf_free(&e);
    buf_free(&c);
    return r;
}

/* Applies c alone (and frees it); the caller frees result.ids. */
static inline struct store_result one(struct store *s, int64_t now,
                                      struct cmd *c)
{
    struct store_result *r = apply(s, now, c, 1);
    struct store_result out = r[0];
    r[0].ids = NULL;
    store_results_free(r, 1);
    cmd_free(c);
    return out;
}

/* A timer tick at now, proposed by node "node-t". */
static inline void tick(struct store *s, int64_t now)
{
    struct cmd c;
    cmd_init(&c, CMD_TICK);
    c.node = strdup("node-t");
    one(s, now, &c);
}

/* A command whose body is one id (the *_DELETE, retry, delivered ones). */
static inline struct store_result by_id(struct store *s, int64_t now, int type,
                                        int64_t id)
{
    struct cmd c;
    cmd_init(&c, (enum cmd_type)type);
    c.node = strdup(NODE);
    if (type == CMD_MSG_DELIVERED)
        c.u.delivered.id = id;
    else
        c.u.id = id;
    return one(s, now, &c);
}

/* Replaces all settings with *st (borrowed); asserts 200. */
static inline void set_settings(struct store *s, int64_t now,
                                const struct store_settings *st)
{
    struct cmd c;
    cmd_init(&c, CMD_SETTINGS);
    c.u.settings = *st;
    assert_int_equal(one(s, now, &c).status, 200);
}

/* Both stores give the same snapshot, byte for byte. */
static inline void assert_same_snapshot(const struct store *s,
                                        const struct store *t)
{
    struct buf a, b;
    buf_init(&a);
    buf_init(&b);
    store_snapshot(s, &a);
    store_snapshot(t, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    buf_free(&a);
    buf_free(&b);
}

/* A new store restored from s's snapshot (asserting that it snapshots the
 * same); the caller frees it. */
static inline struct store *restored(const struct store *s)
{
    struct buf a;
    buf_init(&a);
    store_snapshot(s, &a);
    struct store *t = store_new();
    char err[128];
    assert_int_equal(store_restore(t, a.data, a.len, err, sizeof err), 0);
    buf_free(&a);
    assert_same_snapshot(s, t);
    return t;
}

/* ---------------------------------------------------------- messages */

/* A create command from FROM to `to` with the given action, for dest (or
 * no dest when NULL), reaching NODE; the caller owns it. */
static inline struct cmd create_cmd(const char *to, const char *dest,
                                    int action)
{
    struct cmd c;
    cmd_init(&c, CMD_MSG_CREATE);
    c.node = strdup(NODE);
    struct msg_data *m = &c.u.create.m;
    m->source_msisdn = strdup(FROM);
    m->destination_msisdn = strdup(to);
    m->message_body = strdup("Hello World");
    m->source_smsc = strdup("api_client");
    m->dest_smsc = dest ? strdup(dest) : NULL;
    c.u.create.action = (uint8_t)action;
    return c;
}

/* Applies create command c (and frees it); asserts 201, returns the id. */
static inline int64_t create_ok(struct store *s, int64_t now, struct cmd *c)
{
    struct store_result r = one(s, now, c);
    assert_int_equal(r.status, 201);
    return r.id;
}

/* A message to `to`, forwarded to dest or (dest NULL) left unrouted. */
static inline int64_t create(struct store *s, int64_t now, const char *to,
                             const char *dest)
{
    struct cmd c = create_cmd(to, dest, dest ? ACT_FORWARD : ACT_UNROUTED);
    return create_ok(s, now, &c);
}

/* An auto-reply from X back to FROM, for dest (or none); the caller owns
 * it (a create command takes it as c.u.create.reply). */
static inline struct msg_data *reply_new(const char *dest)
{
    struct msg_data *d = calloc(1, sizeof *d);
    msg_data_init(d);
    d->source_msisdn = strdup(X);
    d->destination_msisdn = strdup(FROM);
    d->message_body = strdup("I am away");
    d->source_smsc = strdup("auto_reply");
    d->dest_smsc = dest ? strdup(dest) : NULL;
    return d;
}

/* The status of message id, or -1 when there is none. */
static inline int status_of(struct store *s, int64_t id)
{
    const struct msg *m = store_get(s, id);
    return m ? m->d.status : -1;
}

/* How many messages (up to 100) a queue fetch for smsc returns. */
static inline size_t fetch(struct store *s, const char *smsc, bool unrouted)
{
    const struct msg *v[100];
    return store_fetch(s, smsc, unrouted, 100, v);
}

/* The ids a queue fetch returns, as "1,3,4" (valid until the next call). */
static inline const char *fetched(const struct store *s, const char *smsc,
                                  bool include_unrouted)
{
    static char out[512];
    const struct msg *v[64];
    size_t n = store_fetch(s, smsc, include_unrouted, 64, v), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%lld",
                                i ? "," : "", (long long)v[i]->id);
    return out;
}

/* Leases up to 10 messages for smsc; asserts 200, the caller frees
 * result.ids. */
static inline struct store_result lease(struct store *s, int64_t now,
                                        const char *smsc, bool include_unrouted,
                                        int64_t lease_ms)
{
    struct cmd c;
    cmd_init(&c, CMD_MSG_LEASE);
    c.u.lease.smsc = strdup(smsc);
    c.u.lease.include_unrouted = include_unrouted;
    c.u.lease.limit = 10;
    c.u.lease.lease_ms = lease_ms;
    struct store_result r = one(s, now, &c);
    assert_int_equal(r.status, 200);
    return r;
}

/* ------------------------------------------------------------ events */

#define MAX_EV 16

/* A copy of a message's event log (zeroed first, so two compare alike). */
struct ev_log {
    size_t n;
    struct {
        int64_t at;
        char name[48];
        char desc[256];
        char source[48];
    } e[MAX_EV];
};

/* store_events callback: appends e to the struct ev_log in arg. */
static inline void ev_collect(const struct store_event *e, void *arg)
{
    struct ev_log *l = arg;
    assert_true(l->n < MAX_EV);
    l->e[l->n].at = e->at;
    snprintf(l->e[l->n].name, sizeof l->e[0].name, "%s", e->name);
    snprintf(l->e[l->n].desc, sizeof l->e[0].desc, "%s", e->description);
    snprintf(l->e[l->n].source, sizeof l->e[0].source, "%s", e->source);
    l->n++;
}

/* Copies the events of message id (which must exist) into *l. */
static inline void events_of(const struct store *s, int64_t id,
                             struct ev_log *l)
{
    memset(l, 0, sizeof *l);
    assert_int_equal(store_events(s, id, ev_collect, l), 0);
}

/* Asserts the event names of message id in order (names ends with NULL)
 * and, when source is not NULL, that every event came from it. */
static inline void assert_events(const struct store *s, int64_t id,
                                 const char *const *names, const char *source)
{
    struct ev_log l;
    events_of(s, id, &l);
    size_t n = 0;
    while (names[n] != NULL)
        n++;
    for (size_t i = 0; i < l.n && i < n; i++)
        assert_string_equal(l.e[i].name, names[i]);
    assert_int_equal(l.n, n);
    for (size_t i = 0; source && i < l.n; i++)
        assert_string_equal(l.e[i].source, source);
}

/* Adds event name to message id through NODE (source NULL: NODE's). */
static inline struct store_result event_add(struct store *s, int64_t now,
                                            int64_t id, const char *name,
                                            const char *desc,
                                            const char *source)
{
    struct cmd c;
    cmd_init(&c, CMD_EVENT_ADD);
    c.node = strdup(NODE);
    c.u.event.id = id;
    c.u.event.name = strdup(name);
    c.u.event.description = desc ? strdup(desc) : NULL;
    c.u.event.source = source ? strdup(source) : NULL;
    return one(s, now, &c);
}

/* ------------------------------ routes and rules, one view of both */

/* Which table a test runs against, and its commands. */
struct table_case {
    bool routes;
    int put, del, import;
    const char *not_found;
};

static const struct table_case ROUTES = {true, CMD_ROUTE_PUT,
                                         CMD_ROUTE_DELETE, CMD_ROUTE_IMPORT,
                                         "Route not found"};
static const struct table_case RULES = {false, CMD_RULE_PUT, CMD_RULE_DELETE,
                                        CMD_RULE_IMPORT,
                                        "Translation rule not found"};

/* What the tests look at in a record of either table (borrowed from the
 * store: valid until its next change). */
struct rec_view {
    int64_t id;
    const char *desc;
    int64_t inserted_at;
    int64_t updated_at;
};

static inline struct rec_view view_route(const struct route_rec *r)
{
    return (struct rec_view){r->id, r->description, r->inserted_at,
                             r->updated_at};
}

static inline struct rec_view view_rule(const struct xlat_rule_rec *r)
{
    return (struct rec_view){r->id, r->description, r->inserted_at,
                             r->updated_at};
}

static inline size_t tbl_count(const struct store *s,
                               const struct table_case *tc)
{
    const struct route_rec *const *rv;
    const struct xlat_rule_rec *const *xv;
    return tc->routes ? store_routes(s, &rv) : store_rules(s, &xv);
}

/* The i-th record in id order (i must be in range). */
static inline struct rec_view tbl_at(const struct store *s,
                                     const struct table_case *tc, size_t i)
{
    const struct route_rec *const *rv;
    const struct xlat_rule_rec *const *xv;
    if (tc->routes) {
        assert_true(i < store_routes(s, &rv));
        return view_route(rv[i]);
    }
    assert_true(i < store_rules(s, &xv));
    return view_rule(xv[i]);
}

/* The whole table in order as "id:desc" pairs, like "4:a,10:b". */
static inline void table_str(const struct store *s, const struct table_case *tc,
                             char *out, size_t outlen)
{
    size_t len = 0, n = tbl_count(s, tc);
    out[0] = '\0';
    for (size_t i = 0; i < n && len < outlen; i++) {
        struct rec_view v = tbl_at(s, tc, i);
        len += (size_t)snprintf(out + len, outlen - len, "%s%lld:%s",
                                i ? "," : "", (long long)v.id,
                                v.desc ? v.desc : "-");
    }
}

static inline void assert_table(const struct store *s,
                                const struct table_case *tc, const char *want)
{
    char got[512];
    table_str(s, tc, got, sizeof got);
    assert_string_equal(got, want);
}

/* A new route_rec (routes) or xlat_rule_rec with id and description desc;
 * the caller owns it. */
static inline void *rec_new(bool routes, int64_t id, const char *desc)
{
    if (routes) {
        struct route_rec *r = malloc(sizeof *r);
        route_rec_init(r);
        r->id = id;
        r->called_prefix = strdup("+44");
        r->dest_smsc = strdup("smsc-b");
        r->description = strdup(desc);
        return r;
    }
    struct xlat_rule_rec *x = malloc(sizeof *x);
    xlat_rule_rec_init(x);
    x->id = id;
    x->called_match = strdup("^0(.*)$");
    x->called_replace = strdup("+44\\1");
    x->description = strdup(desc);
    return x;
}

/* Puts record id (0: a new one) with description desc into tc's table. */
static inline struct store_result tbl_put(struct store *s, int64_t now,
                                          const struct table_case *tc,
                                          int64_t id, const char *desc)
{
    struct cmd c;
    cmd_init(&c, (enum cmd_type)tc->put);
    c.node = strdup(NODE);
    void *rec = rec_new(tc->routes, id, desc);
    if (tc->routes)
        c.u.route = *(struct route_rec *)rec;
    else
        c.u.rule = *(struct xlat_rule_rec *)rec;
    free(rec); /* its strings now belong to the command */
    return one(s, now, &c);
}

#endif
