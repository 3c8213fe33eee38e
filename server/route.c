/* route — route selection (SPEC §6; the contract is in route.h).
 *
 * route_set_build deep-copies the routes (sorted by id) and indexes the
 * enabled ones for route_select:
 *
 *   - "order": the enabled routes sorted by (priority asc, score desc,
 *     id asc).  A tier (equal priority and score) is a contiguous run, and
 *     within it the routes are in id order, as the weighted draw wants.
 *     The first matching route in this order fixes the winning tier.
 *   - buckets of positions in "order", keyed by called prefix (at most
 *     KEY_MAX characters of it), in an open-addressing hash table.  A
 *     lookup probes one bucket per prefix length of the called number
 *     (only lengths that some bucket has) and merges the buckets' sorted
 *     positions, so it visits only routes whose called prefix can match,
 *     best first, and stops at the end of the winning tier.  Hashes of the
 *     called number's prefixes are computed incrementally (FNV-1a).
 *
 * route_select allocates nothing.  route_simulate judges every route in id
 * order and reuses route_select for the choice, so both always agree.
 *
 * After the build a set is never written again, apart from its atomic
 * reference count, so any number of threads may use it at once.
 */
#include "server/route.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Longest called-prefix key in the index.  Longer prefixes are bucketed by
 * their first KEY_MAX characters; every candidate is checked in full. */
#define KEY_MAX 32

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

/* An enabled route with what selection needs precomputed. */
struct entry {
    const struct route_rec *rec;
    size_t calling_len;
    size_t called_len;
    uint32_t idx;      /* position in recs (id order) */
    uint32_t tier_end; /* position in order just past its tier */
    uint32_t weight;
    int score;
};

struct bucket {
    const char *key; /* borrowed from an entry's called_prefix */
    size_t key_len;
    uint32_t hash;
    uint32_t first; /* its positions: positions[first..+count) */
    uint32_t count;
};

struct route_set {
    atomic_uint refs;
    size_t n;
    struct route_rec *recs; /* owned copies, sorted by id */
    size_t n_order;
    struct entry *order; /* enabled routes, best first */
    size_t n_buckets;
    struct bucket *buckets;
    uint32_t *positions; /* bucket members: indices into order */
    uint32_t *slots;     /* bucket index + 1; 0 = empty */
    size_t slot_mask;
    uint64_t len_mask; /* bit L set: some bucket key has length L */
};

/* The input with the lengths every comparison needs. */
struct query {
    const struct route_input *in;
    const char *calling;
    const char *called;
    size_t calling_len;
    size_t called_len;
};

/* A merge cursor over one bucket's positions. */
struct cursor {
    const uint32_t *p;
    const uint32_t *end;
};

/* ---- records ---------------------------------------------------------- */

static void rec_copy(struct route_rec *dst, const struct route_rec *src)
{
    *dst = *src;
    dst->calling_prefix = xstrdup(src->calling_prefix);
    dst->called_prefix = xstrdup(src->called_prefix);
    dst->source_smsc = xstrdup(src->source_smsc);
    dst->enum_domain = xstrdup(src->enum_domain);
    dst->dest_smsc = xstrdup(src->dest_smsc);
    dst->auto_reply_message = xstrdup(src->auto_reply_message);
    dst->description = xstrdup(src->description);
}

static void rec_free(struct route_rec *r)
{
    free(r->calling_prefix);
    free(r->called_prefix);
    free(r->source_smsc);
    free(r->enum_domain);
    free(r->dest_smsc);
    free(r->auto_reply_message);
    free(r->description);
}

static size_t str_len(const char *s)
{
    return s ? strlen(s) : 0;
}

int route_score(const struct route_rec *r)
{
    return (int)str_len(r->called_prefix) * 100 +
           (int)str_len(r->calling_prefix) * 50 + (r->source_smsc ? 25 : 0) +
           (r->enum_domain ? 15 : 0) + (r->source_type != SRC_NONE ? 10 : 0);
}

/* ---- criteria --------------------------------------------------------- */

/* Whether prefix p (plen characters, NULL or "" = any) starts s. */
static bool prefix_ok(const char *p, size_t plen, const char *s, size_t slen)
{
    return plen == 0 || (slen >= plen && memcmp(s, p, plen) == 0);
}

/* Whether a route's equality filter want (NULL = any) accepts have. */
static bool equal_ok(const char *want, const char *have)
{
    return want == NULL || (have != NULL && strcmp(want, have) == 0);
}

static bool type_ok(uint8_t want, int have)
{
    return want == SRC_NONE || want == have;
}

static bool entry_matches(const struct entry *e, const struct query *q)
{
    const struct route_rec *r = e->rec;

    return prefix_ok(r->called_prefix, e->called_len, q->called,
                     q->called_len) &&
           prefix_ok(r->calling_prefix, e->calling_len, q->calling,
                     q->calling_len) &&
           equal_ok(r->source_smsc, q->in->source_smsc) &&
           type_ok(r->source_type, q->in->source_type) &&
           equal_ok(r->enum_domain, q->in->enum_domain);
}

static void query_init(struct query *q, const struct route_input *in)
{
    q->in = in;
    q->calling = in->calling ? in->calling : "";
    q->called = in->called ? in->called : "";
    q->calling_len = strlen(q->calling);
    q->called_len = strlen(q->called);
}

/* ---- build ------------------------------------------------------------ */

static int cmp_rec_id(const void *a, const void *b)
{
    const struct route_rec *x = a, *y = b;

    return (x->id > y->id) - (x->id < y->id);
}

/* Best first: priority asc, score desc, then id order. */
static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->rec->priority != y->rec->priority)
        return x->rec->priority < y->rec->priority ? -1 : 1;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static bool same_tier(const struct entry *x, const struct entry *y)
{
    return x->rec->priority == y->rec->priority && x->score == y->score;
}

/* Weights below 1 are out of contract (the store rejects them); counting
 * them as 1 keeps every candidate reachable and the draw well defined. */
static uint32_t entry_weight(const struct route_rec *r)
{
    return r->weight < 1 ? 1u : (uint32_t)r->weight;
}

static void build_order(struct route_set *s)
{
    s->order = xcalloc(s->n, sizeof(*s->order));
    for (size_t i = 0; i < s->n; i++) {
        const struct route_rec *r = &s->recs[i];
        if (!r->enabled)
            continue;
        s->order[s->n_order++] = (struct entry){
            .rec = r,
            .calling_len = str_len(r->calling_prefix),
            .called_len = str_len(r->called_prefix),
            .idx = (uint32_t)i,
            .weight = entry_weight(r),
            .score = route_score(r),
        };
    }
    qsort(s->order, s->n_order, sizeof(*s->order), cmp_entry);
    for (size_t end = s->n_order; end > 0; end--) {
        struct entry *e = &s->order[end - 1];
        bool last = end == s->n_order || !same_tier(e, e + 1);
        e->tier_end = last ? (uint32_t)end : e[1].tier_end;
    }
}

static uint32_t fnv_step(uint32_t h, char c)
{
    return (h ^ (uint8_t)c) * FNV_PRIME;
}

static uint32_t fnv(const char *s, size_t len)
{
    uint32_t h = FNV_BASIS;

    for (size_t i = 0; i < len; i++)
        h = fnv_step(h, s[i]);
    return h;
}

/* The bucket keyed by s[0..len) with hash h, or NULL. */
static const struct bucket *bucket_find(const struct route_set *s,
                                        const char *key, size_t len, uint32_t h)
{
    for (size_t i = h & s->slot_mask;; i = (i + 1) & s->slot_mask) {
        if (s->slots[i] == 0)
            return NULL;
        const struct bucket *b = &s->buckets[s->slots[i] - 1];
        if (b->hash == h && b->key_len == len && memcmp(b->key, key, len) == 0)
            return b;
    }
}

/* The index of the bucket for e's key, added when new. */
static uint32_t bucket_get(struct route_set *s, const struct entry *e)
{
    const char *key = e->rec->called_prefix ? e->rec->called_prefix : "";
    size_t len = e->called_len < KEY_MAX ? e->called_len : KEY_MAX;
    uint32_t h = fnv(key, len);
    const struct bucket *found = bucket_find(s, key, len, h);
    size_t i = h & s->slot_mask;

    if (found)
        return (uint32_t)(found - s->buckets);
    while (s->slots[i] != 0)
        i = (i + 1) & s->slot_mask;
    s->buckets[s->n_buckets] =
        (struct bucket){.key = key, .key_len = len, .hash = h};
    s->slots[i] = (uint32_t)++s->n_buckets;
    s->len_mask |= 1ull << len;
    return (uint32_t)(s->n_buckets - 1);
}

/* Buckets every enabled route by called prefix; positions within each
 * bucket come out ascending because order is walked in order. */
static void build_buckets(struct route_set *s)
{
    uint32_t *of = xcalloc(s->n_order, sizeof(*of));
    size_t cap = 1;

    while (cap < 2 * s->n_order + 1)
        cap *= 2;
    s->slots = xcalloc(cap, sizeof(*s->slots));
    s->slot_mask = cap - 1;
    s->buckets = xcalloc(s->n_order, sizeof(*s->buckets));
    s->positions = xcalloc(s->n_order, sizeof(*s->positions));
    for (size_t i = 0; i < s->n_order; i++) {
        of[i] = bucket_get(s, &s->order[i]);
        s->buckets[of[i]].count++;
    }
    for (size_t b = 1; b < s->n_buckets; b++)
        s->buckets[b].first = s->buckets[b - 1].first + s->buckets[b - 1].count;
    for (size_t b = 0; b < s->n_buckets; b++)
        s->buckets[b].count = 0;
    for (size_t i = 0; i < s->n_order; i++) {
        struct bucket *b = &s->buckets[of[i]];
        s->positions[b->first + b->count++] = (uint32_t)i;
    }
    free(of);
}

struct route_set *route_set_build(const struct route_rec *const *routes,
                                  size_t n)
{
    struct route_set *s = xcalloc(1, sizeof(*s));

    atomic_init(&s->refs, 1);
    s->n = n;
    s->recs = xcalloc(n, sizeof(*s->recs));
    for (size_t i = 0; i < n; i++)
        rec_copy(&s->recs[i], routes[i]);
    qsort(s->recs, n, sizeof(*s->recs), cmp_rec_id);
    build_order(s);
    build_buckets(s);
    return s;
}

void route_set_ref(struct route_set *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void route_set_unref(struct route_set *s)
{
    if (s == NULL ||
        atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = 0; i < s->n; i++)
        rec_free(&s->recs[i]);
    free(s->recs);
    free(s->order);
    free(s->buckets);
    free(s->positions);
    free(s->slots);
    free(s);
}

size_t route_set_count(const struct route_set *s)
{
    return s->n;
}

/* ---- select ----------------------------------------------------------- */

/* Opens a cursor on each bucket whose key is a prefix of the called
 * number; cur has room for KEY_MAX + 1.  Returns how many. */
static size_t open_cursors(const struct route_set *s, const struct query *q,
                           struct cursor *cur)
{
    size_t max = q->called_len < KEY_MAX ? q->called_len : KEY_MAX;
    uint32_t h = FNV_BASIS;
    size_t k = 0;

    for (size_t len = 0;; len++) {
        if (s->len_mask & (1ull << len)) {
            const struct bucket *b = bucket_find(s, q->called, len, h);
            if (b) {
                cur[k].p = &s->positions[b->first];
                cur[k++].end = &s->positions[b->first + b->count];
            }
        }
        if (len == max)
            return k;
        h = fnv_step(h, q->called[len]);
    }
}

/* The next matching route, in order, before position limit; NULL when
 * there is none.  Advances the cursors past it. */
static const struct entry *next_match(const struct route_set *s,
                                      struct cursor *cur, size_t k,
                                      const struct query *q, uint32_t limit)
{
    for (;;) {
        struct cursor *min = NULL;
        for (size_t i = 0; i < k; i++)
            if (cur[i].p < cur[i].end && (min == NULL || *cur[i].p < *min->p))
                min = &cur[i];
        if (min == NULL || *min->p >= limit)
            return NULL;
        const struct entry *e = &s->order[*min->p++];
        if (entry_matches(e, q))
            return e;
    }
}

bool route_select(const struct route_set *s, const struct route_input *in,
                  uint32_t draw, struct route_choice *out)
{
    struct cursor cur[KEY_MAX + 1], rest[KEY_MAX + 1];
    struct query q;
    const struct entry *e, *pick;

    memset(out, 0, sizeof(*out));
    query_init(&q, in);
    size_t k = open_cursors(s, &q, cur);
    if ((pick = next_match(s, cur, k, &q, UINT32_MAX)) == NULL)
        return false;

    /* pick is the tier's first candidate: weigh the rest of the tier. */
    uint32_t limit = pick->tier_end;
    uint32_t total = pick->weight, count = 1;
    memcpy(rest, cur, k * sizeof(*cur));
    while ((e = next_match(s, cur, k, &q, limit)) != NULL) {
        total += e->weight;
        count++;
    }

    /* The candidate whose cumulative weight interval holds the target. */
    uint64_t target = ((uint64_t)draw * total) >> 32;
    uint64_t cum = pick->weight;
    while (cum <= target) {
        pick = next_match(s, rest, k, &q, limit);
        cum += pick->weight;
    }
    *out = (struct route_choice){
        .route = pick->rec,
        .score = pick->score,
        .priority = pick->rec->priority,
        .candidates = count,
        .tier_weight = total,
    };
    return true;
}

/* ---- simulate --------------------------------------------------------- */

static void judge(const struct route_rec *r, const struct query *q,
                  struct route_eval *ev)
{
    *ev = (struct route_eval){
        .route = r,
        .enabled = r->enabled,
        .calling_prefix_ok =
            prefix_ok(r->calling_prefix, str_len(r->calling_prefix), q->calling,
                      q->calling_len),
        .called_prefix_ok =
            prefix_ok(r->called_prefix, str_len(r->called_prefix), q->called,
                      q->called_len),
        .source_smsc_ok = equal_ok(r->source_smsc, q->in->source_smsc),
        .source_type_ok = type_ok(r->source_type, q->in->source_type),
        .enum_domain_ok = equal_ok(r->enum_domain, q->in->enum_domain),
        .score = route_score(r),
    };
    ev->matched = ev->enabled && ev->calling_prefix_ok &&
                  ev->called_prefix_ok && ev->source_smsc_ok &&
                  ev->source_type_ok && ev->enum_domain_ok;
}

bool route_simulate(const struct route_set *s, const struct route_input *in,
                    uint32_t draw, struct route_eval *out,
                    struct route_choice *choice)
{
    struct query q;
    bool found = route_select(s, in, draw, choice);

    query_init(&q, in);
    for (size_t i = 0; i < s->n; i++) {
        struct route_eval *ev = &out[i];
        judge(&s->recs[i], &q, ev);
        ev->candidate = found && ev->matched &&
                        ev->route->priority == choice->priority &&
                        ev->score == choice->score;
        ev->selected = ev->route == choice->route;
    }
    return found;
}
