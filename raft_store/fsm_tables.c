/* fsm_tables — the route and translation-rule tables of the store, and the
 * commands that change them (SPEC §6, §7).
 *
 * Each table is an array of records sorted by id (struct rec_vec): a few
 * thousand rows at most, read far more often than written, and readers
 * want them in order.  Every change gives the table a new version number,
 * unique in this process, so the HTTP threads rebuild their compiled copy
 * (server/route.h, server/xlat.h) only when it changed.  Validation
 * (regexes, field ranges) happens before a command is proposed; the state
 * machine only assigns ids and times.
 */
#include "raft_store/store_int.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static atomic_uint_fast64_t version_counter = 1;

static void bump(_Atomic uint64_t *version)
{
    uint64_t v = (uint64_t)atomic_fetch_add(&version_counter, 1) + 1;
    atomic_store_explicit(version, v, memory_order_release);
}

void store_tables_touch(struct store *s)
{
    bump(&s->routes_version);
    bump(&s->rules_version);
}

static int64_t rec_id(const void *rec)
{
    int64_t id;
    memcpy(&id, rec, sizeof id); /* every record starts with its id */
    return id;
}

/* Index of the first record whose id >= id. */
static size_t rec_vec_lower(const struct rec_vec *t, int64_t id)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec_id(t->v[mid]) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void *rec_vec_find(const struct rec_vec *t, int64_t id)
{
    size_t i = rec_vec_lower(t, id);
    return i < t->n && rec_id(t->v[i]) == id ? t->v[i] : NULL;
}

void *rec_vec_put(struct rec_vec *t, void *rec)
{
    int64_t id = rec_id(rec);
    size_t i = rec_vec_lower(t, id);
    if (i < t->n && rec_id(t->v[i]) == id) {
        void *old = t->v[i];
        t->v[i] = rec;
        return old;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    memmove(t->v + i + 1, t->v + i, (t->n - i) * sizeof *t->v);
    t->v[i] = rec;
    t->n++;
    return NULL;
}

void *rec_vec_del(struct rec_vec *t, int64_t id)
{
    size_t i = rec_vec_lower(t, id);
    if (i >= t->n || rec_id(t->v[i]) != id)
        return NULL;
    void *old = t->v[i];
    memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof *t->v);
    t->n--;
    return old;
}

/* The two tables differ only in their record type. */
struct table_ops {
    void (*free_rec)(void *rec);
    size_t rec_size;
    const char *not_found;
};

static void route_free_v(void *rec)
{
    route_rec_free(rec);
    free(rec);
}

static void rule_free_v(void *rec)
{
    xlat_rule_rec_free(rec);
    free(rec);
}

static const struct table_ops route_ops = {route_free_v,
                                           sizeof(struct route_rec),
                                           "Route not found"};
static const struct table_ops rule_ops = {rule_free_v,
                                          sizeof(struct xlat_rule_rec),
                                          "Translation rule not found"};

struct table_ref {
    struct rec_vec *vec;
    _Atomic uint64_t *version;
    int64_t *next_id;
    const struct table_ops *ops;
};

static struct table_ref table_of(struct store *s, bool routes)
{
    if (routes)
        return (struct table_ref){&s->routes, &s->routes_version,
                                  &s->next_route_id, &route_ops};
    return (struct table_ref){&s->rules, &s->rules_version, &s->next_rule_id,
                              &rule_ops};
}

static void vec_clear(struct rec_vec *t, const struct table_ops *ops)
{
    for (size_t i = 0; i < t->n; i++)
        ops->free_rec(t->v[i]);
    t->n = 0;
}

void store_tables_clear(struct store *s)
{
    vec_clear(&s->routes, &route_ops);
    vec_clear(&s->rules, &rule_ops);
    store_tables_touch(s);
    s->next_route_id = s->next_rule_id = 1;
}

/* Both record types start with their id and end with inserted_at,
 * updated_at; these reach them without knowing the type. */
#define ENDS_WITH_TIMES(T)                                                     \
    _Static_assert(offsetof(T, id) == 0 &&                                     \
                       offsetof(T, updated_at) + 8 == sizeof(T) &&             \
                       offsetof(T, inserted_at) + 8 == offsetof(T, updated_at), \
                   #T " layout")
ENDS_WITH_TIMES(struct route_rec);
ENDS_WITH_TIMES(struct xlat_rule_rec);

static int64_t *rec_times(void *rec, const struct table_ops *ops)
{
    return (int64_t *)(void *)((char *)rec + ops->rec_size -
                               2 * sizeof(int64_t));
}

static void set_id(void *rec, int64_t id)
{
    memcpy(rec, &id, sizeof id);
}

/* Stores rec (owned by the table afterwards), assigning an id when it has
 * none and stamping times; keep_times keeps the ones it carries. */
static void table_store(struct store *s, struct table_ref *t, void *rec,
                        bool keep_times)
{
    int64_t id = rec_id(rec);
    if (id <= 0) {
        id = (*t->next_id)++;
        set_id(rec, id);
    } else if (id >= *t->next_id) {
        *t->next_id = id + 1;
    }
    int64_t *times = rec_times(rec, t->ops);
    void *old = rec_vec_find(t->vec, id);
    if (!keep_times || times[0] == TIME_NULL)
        times[0] = old ? rec_times(old, t->ops)[0] : s->clock;
    if (!keep_times || times[1] == TIME_NULL)
        times[1] = s->clock;
    old = rec_vec_put(t->vec, rec);
    if (old)
        t->ops->free_rec(old);
    bump(t->version);
}

/* Stores the command's record; returns whether it was taken over. */
static bool apply_put(struct store *s, struct table_ref *t, void *in,
                      struct store_result *r)
{
    int64_t id = rec_id(in);
    if (id > 0 && rec_vec_find(t->vec, id) == NULL) {
        r->status = 404;
        r->id = id;
        snprintf(r->detail, sizeof r->detail, "%s", t->ops->not_found);
        return false;
    }
    void *rec = xmalloc(t->ops->rec_size);
    memcpy(rec, in, t->ops->rec_size); /* takes the strings over */
    r->status = id > 0 ? 200 : 201;
    table_store(s, t, rec, false);
    r->id = rec_id(rec);
    return true;
}

static void apply_delete(struct table_ref *t, int64_t id,
                         struct store_result *r)
{
    void *old = rec_vec_del(t->vec, id);
    r->id = id;
    if (old == NULL) {
        r->status = 404;
        snprintf(r->detail, sizeof r->detail, "%s", t->ops->not_found);
        return;
    }
    t->ops->free_rec(old);
    bump(t->version);
    r->status = 204;
}

/* Replace: the table becomes the records (ids kept, or assigned in order);
 * merge: records with a known id replace it, the others are added. */
static void apply_import(struct store *s, struct table_ref *t,
                         struct cmd_import *im, struct store_result *r)
{
    if (im->replace)
        vec_clear(t->vec, t->ops);
    /* ids given anywhere in the import are taken before any is assigned */
    for (uint32_t i = 0; i < im->n; i++)
        if (rec_id(im->recs[i]) >= *t->next_id)
            *t->next_id = rec_id(im->recs[i]) + 1;
    for (uint32_t i = 0; i < im->n; i++) {
        table_store(s, t, im->recs[i], true);
        im->recs[i] = NULL;
    }
    bump(t->version);
    r->status = 200;
    r->id = im->n;
}

void store_tables_init(struct store *s, struct cmd_init *in)
{
    struct table_ref routes = table_of(s, true), rules = table_of(s, false);
    struct store_result r;
    memset(&r, 0, sizeof r);
    in->routes.replace = in->rules.replace = true;
    apply_import(s, &routes, &in->routes, &r);
    apply_import(s, &rules, &in->rules, &r);
}

void fsm_apply_table_cmd(struct store *s, struct cmd *c,
                         struct store_result *r)
{
    bool is_route = c->type == CMD_ROUTE_PUT || c->type == CMD_ROUTE_DELETE ||
                    c->type == CMD_ROUTE_IMPORT;
    struct table_ref t = table_of(s, is_route);
    switch (c->type) {
    case CMD_ROUTE_PUT:
        if (apply_put(s, &t, &c->u.route, r))
            route_rec_init(&c->u.route);
        break;
    case CMD_RULE_PUT:
        if (apply_put(s, &t, &c->u.rule, r))
            xlat_rule_rec_init(&c->u.rule);
        break;
    case CMD_ROUTE_DELETE:
    case CMD_RULE_DELETE:
        apply_delete(&t, c->u.id, r);
        break;
    default:
        apply_import(s, &t, &c->u.import, r);
        break;
    }
}

/* ---- reads ---- */

uint64_t store_routes_version(const struct store *s)
{
    return atomic_load_explicit(&s->routes_version, memory_order_acquire);
}

size_t store_routes(const struct store *s, const struct route_rec *const **v)
{
    *v = (const struct route_rec *const *)s->routes.v;
    return s->routes.n;
}

const struct route_rec *store_route(const struct store *s, int64_t id)
{
    return rec_vec_find(&s->routes, id);
}

uint64_t store_rules_version(const struct store *s)
{
    return atomic_load_explicit(&s->rules_version, memory_order_acquire);
}

size_t store_rules(const struct store *s,
                   const struct xlat_rule_rec *const **v)
{
    *v = (const struct xlat_rule_rec *const *)s->rules.v;
    return s->rules.n;
}

const struct xlat_rule_rec *store_rule(const struct store *s, int64_t id)
{
    return rec_vec_find(&s->rules, id);
}
