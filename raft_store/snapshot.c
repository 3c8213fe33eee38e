/* snapshot — the whole replicated state as one versioned binary blob.
 *
 *   snapshot := magic u32le "SMSS" | version u32le | cluster_id str |
 *               settings | clock svar | tick svar | next_id svar |
 *               applied_index uvar | nodes | messages | request_ids |
 *               routes | rules | locations | frontends | media | outbox
 *   message  := id | due_at | lease_until | final_at (svars) | msg_data |
 *               events (events.c)
 *   routes   := next_route_id svar | count uvar | route_rec*   (tables.h)
 *   rules    := next_rule_id svar | count uvar | xlat_rule_rec*
 *   locations:= next_loc_id svar | count uvar | location_rec*
 *   frontends:= next_fe_id svar | count uvar | frontend_rec*  (frontends.h)
 *   media    := MMS messages, SS7 events                 (media_store.c)
 *   outbox   := head_seq | last_seq | left_out | shared_mode | acks |
 *               items (outbox.c); then a restore in progress (restore.c);
 *               version 4 snapshots have none (an empty outbox)
 *
 * Indexes and deadline heaps are not written: store_insert() rebuilds them
 * on restore, which yields the same fetchable set as the replica that wrote
 * the snapshot (see timers.c).  A restore decodes into a fresh store and
 * swaps it in only when everything decoded, so a bad snapshot changes
 * nothing.
 */
#include "raft_store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define SNAP_MAGIC 0x53534d53u /* "SMSS" */
#define SNAP_VERSION 5
#define SNAP_VERSION_NO_OUTBOX 4 /* read too: an empty outbox */
#define SNAP_MAX_NODES 1024

static void put_nodes(struct buf *b, const struct store *s)
{
    buf_put_uvar(b, s->nodes.count);
    size_t pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&s->nodes, &pos, &key, &val)) {
        const struct store_node_info *n = val;
        buf_put_str(b, n->name);
        buf_put_str(b, n->api_url);
        buf_put_str(b, n->raft_address);
        buf_put_uvar(b, n->raft_id);
    }
}

static void put_fifo(struct buf *b, const struct dedupe_fifo *f)
{
    uint64_t n = 0;
    for (const struct dedupe_entry *e = f->head; e; e = e->next)
        n += e->hash != 0;
    buf_put_uvar(b, n);
    for (const struct dedupe_entry *e = f->head; e; e = e->next) {
        if (e->hash == 0)
            continue;
        buf_put_u64le(b, e->hash);
        buf_put_svar(b, e->expires);
        buf_put_svar(b, e->id);
        buf_put_svar(b, e->status);
        buf_put_str(b, e->status >= 400 ? e->detail : NULL);
    }
}

static void put_tables(struct buf *b, const struct store *s)
{
    buf_put_svar(b, s->next_route_id);
    buf_put_uvar(b, s->routes.n);
    for (size_t i = 0; i < s->routes.n; i++)
        route_rec_encode(b, s->routes.v[i]);
    buf_put_svar(b, s->next_rule_id);
    buf_put_uvar(b, s->rules.n);
    for (size_t i = 0; i < s->rules.n; i++)
        xlat_rule_rec_encode(b, s->rules.v[i]);
    buf_put_svar(b, s->next_loc_id);
    buf_put_uvar(b, s->locs.count);
    for (struct rb_node *n = rb_first(&s->locs); n; n = rb_next(n))
        location_rec_encode(b, &rb_entry(n, struct loc, by_id)->r);
}

void store_snapshot(const struct store *s, struct buf *b)
{
    buf_put_u32le(b, SNAP_MAGIC);
    buf_put_u32le(b, SNAP_VERSION);
    buf_put_str(b, s->cluster_id);
    cmd_settings_encode(b, &s->settings);
    buf_put_svar(b, s->clock);
    buf_put_svar(b, s->tick);
    buf_put_svar(b, s->next_id);
    buf_put_uvar(b, s->applied_index);
    put_nodes(b, s);
    uint64_t total = 0;
    for (int i = 0; i < MSG_STATUS_COUNT; i++)
        total += s->by_status[i];
    buf_put_uvar(b, total);
    for (struct rb_node *n = rb_first(&s->by_id); n; n = rb_next(n)) {
        const struct msg *m = rb_entry(n, struct msg, by_id);
        buf_put_svar(b, m->id);
        buf_put_svar(b, m->due_at);
        buf_put_svar(b, m->lease_until);
        buf_put_svar(b, m->final_at);
        msg_data_encode(b, &m->d);
        events_encode(b, m);
    }
    put_fifo(b, &s->fifo_client);
    put_fifo(b, &s->fifo_node);
    put_tables(b, s);
    fe_snapshot_put(b, s);
    store_media_snapshot(s, b);
    outbox_snapshot(s, b);
    restore_stage_snapshot(s, b);
}

static int get_nodes(struct rd *r, struct store *t)
{
    uint64_t n = rd_uvar_max(r, SNAP_MAX_NODES);
    for (uint64_t i = 0; i < n && !r->err; i++) {
        char *name = rd_str(r, CMD_MAX_NAME);
        if (name == NULL || hmap_str_get(&t->nodes, name) != NULL) {
            free(name);
            return -1;
        }
        struct store_node_info *ni = store_node_put(t, name);
        free(name);
        ni->api_url = rd_str(r, CMD_MAX_NAME);
        ni->raft_address = rd_str(r, CMD_MAX_NAME);
        ni->raft_id = rd_uvar(r);
    }
    return r->err;
}

static int get_messages(struct rd *r, struct store *t)
{
    uint64_t n = rd_uvar(r);
    int64_t last = 0;
    for (uint64_t i = 0; i < n && !r->err; i++) {
        struct msg *m = xcalloc(1, sizeof *m);
        m->id = rd_svar(r);
        m->due_at = rd_svar(r);
        int64_t lease = rd_svar(r);
        int64_t final_at = rd_svar(r);
        if (r->err || m->id <= last || m->id >= t->next_id ||
            msg_data_decode(r, &m->d) != 0) {
            free(m);
            return -1;
        }
        if (events_decode(r, m) != 0) {
            msg_data_free(&m->d);
            free(m);
            return -1;
        }
        last = m->id;
        m->lease_until = m->d.status == MSG_PENDING ? lease : TIME_NULL;
        m->final_at = m->d.status == MSG_PENDING ? TIME_NULL : final_at;
        store_insert(t, m);
    }
    return r->err;
}

static int get_fifo(struct rd *r, struct store *t, int kind)
{
    uint64_t n = rd_uvar(r);
    for (uint64_t i = 0; i < n && !r->err; i++) {
        struct store_result res;
        memset(&res, 0, sizeof res);
        uint64_t hash = rd_u64le(r);
        int64_t expires = rd_svar(r);
        res.id = rd_svar(r);
        res.status = (int)rd_svar(r);
        char *detail = rd_str(r, sizeof res.detail - 1);
        if (detail)
            snprintf(res.detail, sizeof res.detail, "%s", detail);
        free(detail);
        if (r->err || hash == 0)
            return -1;
        dedupe_add(t, hash, kind, &res);
        struct dedupe_fifo *f = kind == KEY_CLIENT ? &t->fifo_client
                                                   : &t->fifo_node;
        f->tail->expires = expires;
    }
    return r->err;
}

/* Reads one table of routes or rules into vec, ids strictly increasing
 * and below next_id. */
static int get_table(struct rd *r, struct rec_vec *vec, int64_t *next_id,
                     bool routes)
{
    *next_id = rd_svar(r);
    uint64_t n = rd_uvar_max(r, CMD_MAX_IMPORT);
    int64_t last = 0;
    for (uint64_t i = 0; i < n && !r->err; i++) {
        void *rec;
        int rc;
        if (routes) {
            rec = xcalloc(1, sizeof(struct route_rec));
            rc = route_rec_decode(r, rec);
        } else {
            rec = xcalloc(1, sizeof(struct xlat_rule_rec));
            rc = xlat_rule_rec_decode(r, rec);
        }
        int64_t id = rc == 0 ? *(const int64_t *)rec : 0;
        if (rc == 0 && (id <= last || id >= *next_id)) {
            if (routes)
                route_rec_free(rec);
            else
                xlat_rule_rec_free(rec);
            rc = -1;
        }
        if (rc != 0) {
            free(rec);
            return -1;
        }
        last = id;
        rec_vec_put(vec, rec);
    }
    return r->err;
}

static int get_locations(struct rd *r, struct store *t)
{
    t->next_loc_id = rd_svar(r);
    uint64_t n = rd_uvar(r);
    int64_t last = 0;
    for (uint64_t i = 0; i < n && !r->err; i++) {
        struct loc *l = xcalloc(1, sizeof *l);
        if (location_rec_decode(r, &l->r) != 0) {
            free(l);
            return -1;
        }
        if (l->r.id <= last || l->r.id >= t->next_loc_id ||
            l->r.msisdn == NULL ||
            (l->r.imsi && hmap_str_get(&t->locs_by_imsi, l->r.imsi))) {
            location_rec_free(&l->r);
            free(l);
            return -1;
        }
        last = l->r.id;
        loc_insert(t, l);
    }
    return r->err;
}

int store_load(struct store *t, const uint8_t *p, size_t len)
{
    struct rd r;
    rd_init(&r, p, len);
    if (rd_u32le(&r) != SNAP_MAGIC)
        return -1;
    uint32_t version = rd_u32le(&r);
    if (version != SNAP_VERSION && version != SNAP_VERSION_NO_OUTBOX)
        return -1;
    t->cluster_id = rd_str(&r, CMD_MAX_NAME);
    cmd_settings_decode(&r, &t->settings);
    t->clock = rd_svar(&r);
    t->tick = rd_svar(&r);
    t->next_id = rd_svar(&r);
    t->applied_index = rd_uvar(&r);
    if (r.err || t->next_id < 1 || t->tick > t->clock)
        return -1;
    if (get_nodes(&r, t) || get_messages(&r, t) ||
        get_fifo(&r, t, KEY_CLIENT) || get_fifo(&r, t, KEY_NODE) ||
        get_table(&r, &t->routes, &t->next_route_id, true) ||
        get_table(&r, &t->rules, &t->next_rule_id, false) ||
        get_locations(&r, t) || fe_snapshot_get(&r, t) ||
        store_media_restore(&r, t) ||
        (version >= SNAP_VERSION &&
         (outbox_restore(&r, t) || restore_stage_load(&r, t))))
        return -1;
    return rd_done(&r) ? 0 : -1;
}

/* Swaps the replicated state (every field from cluster_id on) of two
 * stores; the lock and the table versions stay. */
void store_swap_state(struct store *a, struct store *b)
{
    size_t off = offsetof(struct store, cluster_id);
    size_t n = sizeof(struct store) - off;
    uint8_t *tmp = xmalloc(n);
    memcpy(tmp, (uint8_t *)a + off, n);
    memcpy((uint8_t *)a + off, (uint8_t *)b + off, n);
    memcpy((uint8_t *)b + off, tmp, n);
    free(tmp);
}

int store_restore(struct store *s, const uint8_t *p, size_t len, char *err,
                  size_t errlen)
{
    struct store *t = store_new();
    if (store_load(t, p, len) != 0) {
        snprintf(err, errlen, "snapshot of %zu bytes is malformed", len);
        store_free(t);
        return -1;
    }
    pthread_rwlock_wrlock(&s->lock);
    store_swap_state(s, t);
    store_tables_touch(s);
    atomic_store(&s->outbox_rows, s->ob.rows);
    atomic_store(&s->outbox_full, atomic_load(&t->outbox_full));
    pthread_rwlock_unlock(&s->lock);
    store_free(t);
    return 0;
}
