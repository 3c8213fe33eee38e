/* store — the message tables and their indexes, and the read side of the
 * replicated state (see store.h for the threading contract).
 *
 * Indexes: every message in `by_id`; pending ones also in `pending` (oldest
 * first, for the queue-age gauge); a message that a frontend may fetch right
 * now sits in exactly one ready queue (its dest_smsc's, or the unrouted
 * one), so a queue fetch walks only what it returns.  Whether a message is
 * ready is recomputed by store_reindex() after every change; future moments
 * (deliver_after, lease end, expiry, ...) go to the deadline heap.
 */
#include "raft_store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static int cmp_by_id(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct msg, by_id)->id;
    int64_t y = rb_entry(b, struct msg, by_id)->id;
    return x < y ? -1 : x > y;
}

static int key_by_id(const void *key, const struct rb_node *n)
{
    int64_t x = *(const int64_t *)key;
    int64_t y = rb_entry(n, struct msg, by_id)->id;
    return x < y ? -1 : x > y;
}

static int cmp_pending(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct msg, by_pending)->id;
    int64_t y = rb_entry(b, struct msg, by_pending)->id;
    return x < y ? -1 : x > y;
}

static int cmp_by_queue(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct msg, by_queue)->id;
    int64_t y = rb_entry(b, struct msg, by_queue)->id;
    return x < y ? -1 : x > y;
}

struct store *store_new(void)
{
    struct store *s = xcalloc(1, sizeof *s);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    rb_init(&s->by_id);
    rb_init(&s->pending);
    hmap_str_init(&s->queues);
    strpool_init(&s->strs);
    s->unrouted = xcalloc(1, sizeof *s->unrouted);
    s->unrouted->name = xstrdup("");
    rb_init(&s->unrouted->ready);
    hmap_u64_init(&s->request_ids);
    hmap_str_init(&s->nodes);
    rb_init(&s->locs);
    hmap_str_init(&s->locs_by_imsi);
    hmap_str_init(&s->subs);
    hmap_str_init(&s->locqs);
    store_settings_defaults(&s->settings);
    s->next_id = 1;
    s->next_route_id = s->next_rule_id = s->next_loc_id = 1;
    store_tables_clear(s);
    store_frontends_clear(s);
    store_media_init(s);
    outbox_init(s);
    return s;
}

void store_clear(struct store *s)
{
    struct rb_node *n;
    while ((n = rb_first(&s->by_id)) != NULL)
        store_remove(s, rb_entry(n, struct msg, by_id));
    store_locations_clear(s);
    store_frontends_clear(s);
    store_tables_clear(s);
    store_media_clear(s);
    outbox_clear(s);
    restore_stage_clear(s);
    size_t pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&s->queues, &pos, &key, &val)) {
        struct store_queue *q = val;
        free(q->name);
        free(q);
    }
    hmap_str_free(&s->queues);
    hmap_str_init(&s->queues);
    pos = 0;
    while (hmap_str_next(&s->nodes, &pos, &key, &val))
        store_node_info_free(val);
    hmap_str_free(&s->nodes);
    hmap_str_init(&s->nodes);
    dedupe_clear(s);
    dl_free(&s->wakeups);
    dl_free(&s->deadlines);
    free(s->cluster_id);
    s->cluster_id = NULL;
    store_settings_defaults(&s->settings);
    s->clock = 0;
    s->tick = 0;
    s->next_id = 1;
    s->applied_index = 0;
    s->n_ready = 0;
    memset(s->by_status, 0, sizeof s->by_status);
}

void store_free(struct store *s)
{
    if (s == NULL)
        return;
    store_clear(s);
    strpool_free(&s->strs);
    hmap_str_free(&s->queues);
    hmap_str_free(&s->nodes);
    hmap_str_free(&s->locs_by_imsi);
    hmap_str_free(&s->subs);
    hmap_str_free(&s->locqs);
    store_media_free(s);
    free(s->routes.v);
    free(s->rules.v);
    hmap_u64_free(&s->request_ids);
    free(s->unrouted->name);
    free(s->unrouted);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

void store_rdlock(struct store *s)
{
    pthread_rwlock_rdlock(&s->lock);
}

void store_rdunlock(struct store *s)
{
    pthread_rwlock_unlock(&s->lock);
}

struct msg *store_find(const struct store *s, int64_t id)
{
    struct rb_node *n = rb_find(&s->by_id, &id, key_by_id);
    return n ? rb_entry(n, struct msg, by_id) : NULL;
}

const struct msg *store_get(const struct store *s, int64_t id)
{
    return store_find(s, id);
}

static struct store_queue *queue_for(struct store *s, const char *dest)
{
    if (dest == NULL)
        return s->unrouted;
    struct store_queue *q = hmap_str_get(&s->queues, dest);
    if (q == NULL) {
        q = xcalloc(1, sizeof *q);
        q->name = xstrdup(dest);
        rb_init(&q->ready);
        hmap_str_put(&s->queues, dest, q);
    }
    return q;
}

/* Fetchable now, by the tick clock (see store_int.h).  A deliver_after
 * that was already past when a command set it counts as due at once (see
 * store_set_deliver_after), so a message is not held back to the next
 * tick. */
static bool msg_ready(const struct store *s, const struct msg *m)
{
    const struct msg_data *d = &m->d;
    if (d->status != MSG_PENDING || d->deadletter)
        return false;
    if (m->due_at != TIME_NULL && m->due_at > s->tick)
        return false;
    if (m->lease_until != TIME_NULL && m->lease_until > s->tick)
        return false;
    if (d->expires != TIME_NULL && d->expires <= s->tick)
        return false;
    return true;
}

static void queue_unlink(struct store *s, struct msg *m)
{
    if (m->queue == NULL)
        return;
    if (m->queue == s->unrouted)
        loc_msg_unlink(s, m);
    rb_erase(&m->queue->ready, &m->by_queue);
    m->queue = NULL;
    s->n_ready--;
}

/* The purge of events older than event_ttl_days is queued only when it
 * comes before the message leaves the store anyway (by default it never
 * does: 7 days against at most expiry + 24 h), so most messages cost no
 * heap item for it. */
static void schedule_event_purge(struct store *s, struct msg *m)
{
    int64_t oldest = events_oldest(m);
    if (oldest == TIME_NULL)
        return;
    const struct store_settings *st = &s->settings;
    int64_t purge = oldest + st->event_ttl_days * 86400000LL;
    int64_t final = m->final_at;
    if (final == TIME_NULL) {
        final = m->d.inserted_at + st->dead_letter_time_minutes * 60000;
        if (m->d.expires != TIME_NULL && m->d.expires < final)
            final = m->d.expires;
    }
    if (purge < final + st->message_retention_hours * 3600000)
        store_schedule(s, m, DL_EVENTS, purge);
}

void store_reindex(struct store *s, struct msg *m)
{
    struct store_queue *want = NULL;
    if (msg_ready(s, m))
        want = queue_for(s, m->d.dest_smsc);
    if (m->queue != want) {
        queue_unlink(s, m);
        if (want != NULL) {
            rb_insert(&want->ready, &m->by_queue, cmp_by_queue);
            m->queue = want;
            s->n_ready++;
            if (want == s->unrouted)
                loc_msg_link(s, m);
        }
    }
    const struct msg_data *d = &m->d;
    if (d->status == MSG_PENDING) {
        if (m->due_at != TIME_NULL && m->due_at > s->tick)
            store_schedule(s, m, DL_READY, m->due_at);
        if (m->lease_until != TIME_NULL && m->lease_until > s->tick)
            store_schedule(s, m, DL_LEASE, m->lease_until);
        if (!d->deadletter && d->expires != TIME_NULL)
            store_schedule(s, m, DL_EXPIRES, d->expires);
        if (!d->deadletter && d->inserted_at != TIME_NULL)
            store_schedule(s, m, DL_DEADLETTER,
                           d->inserted_at +
                               s->settings.dead_letter_time_minutes * 60000);
    } else if (m->final_at != TIME_NULL) {
        store_schedule(s, m, DL_RETENTION,
                       m->final_at +
                           s->settings.message_retention_hours * 3600000);
    }
    schedule_event_purge(s, m);
}

/* The message fields held as shared copies. */
#define POOLED_STRS(X)                                                         \
    X(source_smsc) X(dest_smsc) X(origin_node) X(destination_node)            \
    X(tp_data_coding_scheme)

static void pool_strs(struct store *s, struct msg_data *d)
{
#define POOL(f)                                                                \
    {                                                                          \
        char *own = d->f;                                                      \
        d->f = strpool_get(&s->strs, own);                                     \
        free(own);                                                             \
    }
    POOLED_STRS(POOL)
#undef POOL
}

static void unpool_strs(struct store *s, struct msg_data *d)
{
#define UNPOOL(f)                                                              \
    strpool_put(&s->strs, d->f);                                               \
    d->f = NULL;
    POOLED_STRS(UNPOOL)
#undef UNPOOL
}

void store_msg_set_str(struct store *s, char **field, char **v)
{
    strpool_put(&s->strs, *field);
    *field = strpool_get(&s->strs, *v);
    free(*v);
    *v = NULL;
}

void store_insert(struct store *s, struct msg *m)
{
    pool_strs(s, &m->d);
    m->queue = NULL;
    m->sub = NULL;
    m->dest_sub = NULL;
    m->locq = NULL;
    for (int k = 0; k < DL_KIND_COUNT; k++)
        m->dl_pushed[k] = TIME_NULL;
    rb_insert(&s->by_id, &m->by_id, cmp_by_id);
    s->by_status[m->d.status]++;
    if (m->d.status == MSG_PENDING) {
        rb_insert(&s->pending, &m->by_pending, cmp_pending);
        dest_link(s, m);
    }
    store_reindex(s, m);
}

void store_remove(struct store *s, struct msg *m)
{
    queue_unlink(s, m);
    if (m->d.status == MSG_PENDING) {
        rb_erase(&s->pending, &m->by_pending);
        dest_unlink(s, m);
    }
    s->by_status[m->d.status]--;
    rb_erase(&s->by_id, &m->by_id);
    unpool_strs(s, &m->d);
    msg_data_free(&m->d);
    events_free(m);
    free(m);
}

void store_set_deliver_after(struct store *s, struct msg *m, int64_t when)
{
    m->d.deliver_after = when;
    m->due_at = when != TIME_NULL && when > s->clock ? when : TIME_NULL;
}

void store_set_status(struct store *s, struct msg *m, int status)
{
    if (m->d.status == status)
        return;
    if (m->d.status == MSG_PENDING) {
        rb_erase(&s->pending, &m->by_pending);
        dest_unlink(s, m);
    }
    if (status == MSG_PENDING) {
        rb_insert(&s->pending, &m->by_pending, cmp_pending);
        dest_link(s, m);
    }
    s->by_status[m->d.status]--;
    s->by_status[status]++;
    m->d.status = (uint8_t)status;
    m->final_at = status == MSG_PENDING ? TIME_NULL : s->clock;
    m->lease_until = TIME_NULL;
    m->d.updated_at = s->clock;
}

static bool filter_match(const struct msg *m, const struct msg_filter *f)
{
    if (f->status >= 0 && m->d.status != f->status)
        return false;
    if (f->source_smsc &&
        (m->d.source_smsc == NULL || strcmp(m->d.source_smsc, f->source_smsc)))
        return false;
    if (f->dest_smsc &&
        (m->d.dest_smsc == NULL || strcmp(m->d.dest_smsc, f->dest_smsc)))
        return false;
    return true;
}

size_t store_list(const struct store *s, const struct msg_filter *f,
                  const struct msg **out)
{
    size_t n = 0, skipped = 0;
    const struct rb_tree *t = f->status == MSG_PENDING ? &s->pending : &s->by_id;
    for (struct rb_node *it = rb_first(t); it && n < f->limit;
         it = rb_next(it)) {
        const struct msg *m = t == &s->pending
                                  ? rb_entry(it, struct msg, by_pending)
                                  : rb_entry(it, struct msg, by_id);
        if (!filter_match(m, f))
            continue;
        if (skipped < f->offset) {
            skipped++;
            continue;
        }
        out[n++] = m;
    }
    return n;
}

/* One sorted source of a queue fetch: a tree and the member linking it. */
struct fetch_src {
    struct rb_node *at;
    size_t off;   /* offsetof(struct msg, by_queue or by_locq) */
};

static const struct msg *src_msg(const struct fetch_src *f)
{
    return f->at ? (const struct msg *)(const void *)((const char *)f->at -
                                                      f->off)
                 : NULL;
}

/* The queue fetch merges, oldest first, the messages routed to smsc with
 * either every unrouted one or (without unrouted) those whose destination
 * is located at smsc — a subset of the unrouted queue. */
size_t store_fetch(const struct store *s, const char *smsc,
                   bool include_unrouted, size_t limit,
                   const struct msg **out)
{
    const struct store_queue *q = hmap_str_get(&s->queues, smsc);
    struct fetch_src a = {q ? rb_first(&q->ready) : NULL,
                          offsetof(struct msg, by_queue)};
    struct fetch_src b = {include_unrouted ? rb_first(&s->unrouted->ready)
                                           : store_locq_first(s, smsc),
                          include_unrouted ? offsetof(struct msg, by_queue)
                                           : offsetof(struct msg, by_locq)};
    size_t n = 0;
    while (n < limit && (a.at || b.at)) {
        const struct msg *ma = src_msg(&a), *mb = src_msg(&b);
        const struct msg *m;
        if (mb == NULL || (ma && ma->id < mb->id)) {
            m = ma;
            a.at = rb_next(a.at);
        } else {
            m = mb;
            b.at = rb_next(b.at);
        }
        if (msg_ready(s, m))
            out[n++] = m;
    }
    return n;
}

int64_t store_clock(const struct store *s)
{
    return s->clock;
}

uint64_t store_applied_index(const struct store *s)
{
    return s->applied_index;
}

const char *store_cluster_id(const struct store *s)
{
    return s->cluster_id;
}

const struct store_settings *store_get_settings(const struct store *s)
{
    return &s->settings;
}

void store_get_counts(const struct store *s, struct store_counts *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < MSG_STATUS_COUNT; i++) {
        c->by_status[i] = s->by_status[i];
        c->total += s->by_status[i];
    }
    c->ready = s->n_ready;
    c->request_ids = s->request_ids.count;
    c->deadlines = s->deadlines.n + s->wakeups.n;
    c->routes = s->routes.n;
    c->rules = s->rules.n;
    c->locations = s->locs.count;
}

int64_t store_oldest_pending(const struct store *s)
{
    struct rb_node *n = rb_first(&s->pending);
    return n ? rb_entry(n, struct msg, by_pending)->d.inserted_at : TIME_NULL;
}

struct store_node_info *store_node_put(struct store *s, const char *name)
{
    struct store_node_info *n = hmap_str_get(&s->nodes, name);
    if (n == NULL) {
        n = xcalloc(1, sizeof *n);
        n->name = xstrdup(name);
        hmap_str_put(&s->nodes, name, n);
    }
    return n;
}

void store_node_forget(struct store *s, const char *name)
{
    struct store_node_info *n = hmap_str_del(&s->nodes, name);
    if (n)
        store_node_info_free(n);
}

void store_node_info_free(struct store_node_info *n)
{
    free(n->name);
    free(n->api_url);
    free(n->raft_address);
    free(n);
}

const struct store_node_info *store_node_info(const struct store *s,
                                              const char *name)
{
    return hmap_str_get(&s->nodes, name);
}

const struct store_node_info *store_node_info_by_id(const struct store *s,
                                                    uint64_t raft_id)
{
    size_t pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&s->nodes, &pos, &key, &val)) {
        const struct store_node_info *n = val;
        if (n->raft_id == raft_id)
            return n;
    }
    return NULL;
}

static int cmp_node_name(const void *a, const void *b)
{
    const struct store_node_info *x = *(const struct store_node_info *const *)a;
    const struct store_node_info *y = *(const struct store_node_info *const *)b;
    return strcmp(x->name, y->name);
}

void store_node_infos(const struct store *s,
                      void (*fn)(const struct store_node_info *, void *),
                      void *arg)
{
    const struct store_node_info **v =
        xcalloc(s->nodes.count + 1, sizeof *v);
    size_t n = 0, pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&s->nodes, &pos, &key, &val))
        v[n++] = val;
    qsort(v, n, sizeof *v, cmp_node_name);
    for (size_t i = 0; i < n; i++)
        fn(v[i], arg);
    free(v);
}
