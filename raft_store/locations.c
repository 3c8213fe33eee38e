/* locations — subscriber locations (SPEC §4) and the location-based queue.
 *
 * Tables: every location by id (rb tree), by IMSI (upsert key), and per
 * MSISDN a struct sub listing its registrations.  The live location of an
 * MSISDN is its newest registered, unexpired registration (by updated_at,
 * then id).
 *
 * The queue fetch for frontend S also returns unrouted messages whose
 * destination's live location is S.  So that this is an index walk and not
 * a scan, a ready unrouted message also sits in its destination's
 * sub->waiting tree and, when the destination has a live location, in that
 * location's queue (s->locqs).  A location change moves only the messages
 * of that one subscriber.  Expiry runs on ticks (DL_LOC_EXPIRES).
 */
#include "raft_store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static int cmp_loc_id(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct loc, by_id)->r.id;
    int64_t y = rb_entry(b, struct loc, by_id)->r.id;
    return x < y ? -1 : x > y;
}

static int key_loc_id(const void *key, const struct rb_node *n)
{
    int64_t x = *(const int64_t *)key;
    int64_t y = rb_entry(n, struct loc, by_id)->r.id;
    return x < y ? -1 : x > y;
}

static int cmp_by_sub(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct msg, by_sub)->id;
    int64_t y = rb_entry(b, struct msg, by_sub)->id;
    return x < y ? -1 : x > y;
}

static int cmp_by_locq(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct msg, by_locq)->id;
    int64_t y = rb_entry(b, struct msg, by_locq)->id;
    return x < y ? -1 : x > y;
}

static struct loc *loc_find(const struct store *s, int64_t id)
{
    struct rb_node *n = rb_find(&s->locs, &id, key_loc_id);
    return n ? rb_entry(n, struct loc, by_id) : NULL;
}

static struct sub *sub_get(struct store *s, const char *msisdn)
{
    struct sub *u = hmap_str_get(&s->subs, msisdn);
    if (u == NULL) {
        u = xcalloc(1, sizeof *u);
        u->msisdn = xstrdup(msisdn);
        rb_init(&u->waiting);
        rb_init(&u->pending);
        hmap_str_put(&s->subs, msisdn, u);
    }
    return u;
}

static void sub_maybe_free(struct store *s, struct sub *u)
{
    if (u->locs != NULL || u->waiting.count > 0 || u->pending.count > 0)
        return;
    hmap_str_del(&s->subs, u->msisdn);
    free(u->msisdn);
    free(u);
}

static struct store_queue *locq_get(struct store *s, const char *name)
{
    struct store_queue *q = hmap_str_get(&s->locqs, name);
    if (q == NULL) {
        q = xcalloc(1, sizeof *q);
        q->name = xstrdup(name);
        rb_init(&q->ready);
        hmap_str_put(&s->locqs, name, q);
    }
    return q;
}

static bool loc_live(const struct store *s, const struct loc *l)
{
    return l->r.registered && l->r.location != NULL &&
           (l->r.expires == TIME_NULL || l->r.expires > s->tick);
}

static const struct loc *sub_live(const struct store *s, const struct sub *u)
{
    const struct loc *best = NULL;
    for (const struct loc *l = u->locs; l; l = l->sub_next) {
        if (!loc_live(s, l))
            continue;
        if (best == NULL || l->r.updated_at > best->r.updated_at ||
            (l->r.updated_at == best->r.updated_at && l->r.id > best->r.id))
            best = l;
    }
    return best;
}

static void locq_link(struct msg *m, struct store_queue *q)
{
    m->locq = q;
    if (q)
        rb_insert(&q->ready, &m->by_locq, cmp_by_locq);
}

static void locq_unlink(struct msg *m)
{
    if (m->locq)
        rb_erase(&m->locq->ready, &m->by_locq);
    m->locq = NULL;
}

/* Re-derives the subscriber's live location and moves its waiting
 * messages when it changed. */
static void sub_relocate(struct store *s, struct sub *u)
{
    const struct loc *live = sub_live(s, u);
    struct store_queue *want = live ? locq_get(s, live->r.location) : NULL;
    if (want == u->locq)
        return;
    u->locq = want;
    for (struct rb_node *n = rb_first(&u->waiting); n; n = rb_next(n)) {
        struct msg *m = rb_entry(n, struct msg, by_sub);
        locq_unlink(m);
        locq_link(m, want);
    }
}

void loc_msg_link(struct store *s, struct msg *m)
{
    if (m->d.destination_msisdn == NULL)
        return;
    struct sub *u = sub_get(s, m->d.destination_msisdn);
    m->sub = u;
    rb_insert(&u->waiting, &m->by_sub, cmp_by_sub);
    locq_link(m, u->locq);
}

void loc_msg_unlink(struct store *s, struct msg *m)
{
    struct sub *u = m->sub;
    if (u == NULL)
        return;
    locq_unlink(m);
    rb_erase(&u->waiting, &m->by_sub);
    m->sub = NULL;
    sub_maybe_free(s, u);
}

static int cmp_by_dest(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct msg, by_dest)->id;
    int64_t y = rb_entry(b, struct msg, by_dest)->id;
    return x < y ? -1 : x > y;
}

void dest_link(struct store *s, struct msg *m)
{
    if (m->d.destination_msisdn == NULL || m->dest_sub != NULL)
        return;
    struct sub *u = sub_get(s, m->d.destination_msisdn);
    m->dest_sub = u;
    rb_insert(&u->pending, &m->by_dest, cmp_by_dest);
}

void dest_unlink(struct store *s, struct msg *m)
{
    struct sub *u = m->dest_sub;
    if (u == NULL)
        return;
    rb_erase(&u->pending, &m->by_dest);
    m->dest_sub = NULL;
    sub_maybe_free(s, u);
}

uint32_t store_smma(struct store *s, const char *msisdn)
{
    struct sub *u = hmap_str_get(&s->subs, msisdn);
    uint32_t n = 0;
    for (struct rb_node *it = u ? rb_first(&u->pending) : NULL; it;
         it = rb_next(it)) {
        struct msg *m = rb_entry(it, struct msg, by_dest);
        if (m->due_at == TIME_NULL || m->due_at <= s->tick)
            continue;
        store_set_deliver_after(s, m, s->clock);
        m->d.updated_at = s->clock;
        events_add(s, m, EV_CUSTOM, "memory_available", NULL,
                   "RP-SMMA: the subscriber can receive again; delivery "
                   "is due now");
        store_reindex(s, m);
        n++;
    }
    return n;
}

static void schedule_expiry(struct store *s, struct loc *l)
{
    if (l->r.expires == TIME_NULL || l->dl_pushed == l->r.expires)
        return;
    l->dl_pushed = l->r.expires;
    dl_push(&s->deadlines,
            (struct dl_item){l->r.expires, l->r.id, DL_LOC_EXPIRES});
}

void loc_insert(struct store *s, struct loc *l)
{
    l->dl_pushed = TIME_NULL;
    rb_insert(&s->locs, &l->by_id, cmp_loc_id);
    if (l->r.imsi)
        hmap_str_put(&s->locs_by_imsi, l->r.imsi, l);
    struct sub *u = sub_get(s, l->r.msisdn);
    l->sub = u;
    l->sub_next = u->locs;
    u->locs = l;
    sub_relocate(s, u);
    schedule_expiry(s, l);
}

/* Unlinks l from its indexes without freeing it. */
static void loc_unlink(struct store *s, struct loc *l)
{
    rb_erase(&s->locs, &l->by_id);
    if (l->r.imsi && hmap_str_get(&s->locs_by_imsi, l->r.imsi) == l)
        hmap_str_del(&s->locs_by_imsi, l->r.imsi);
    struct sub *u = l->sub;
    struct loc **pp = &u->locs;
    while (*pp != l)
        pp = &(*pp)->sub_next;
    *pp = l->sub_next;
    l->sub = NULL;
    sub_relocate(s, u);
    sub_maybe_free(s, u);
}

void loc_remove(struct store *s, struct loc *l)
{
    loc_unlink(s, l);
    location_rec_free(&l->r);
    free(l);
}

bool loc_expire(struct store *s, int64_t id, int64_t when)
{
    struct loc *l = loc_find(s, id);
    if (l == NULL || l->dl_pushed != when || l->r.expires != when)
        return false;
    loc_remove(s, l);
    return true;
}

void store_locations_reschedule(struct store *s)
{
    for (struct rb_node *n = rb_first(&s->locs); n; n = rb_next(n)) {
        struct loc *l = rb_entry(n, struct loc, by_id);
        l->dl_pushed = TIME_NULL;
        schedule_expiry(s, l);
    }
}

void store_locations_clear(struct store *s)
{
    struct rb_node *n;
    while ((n = rb_first(&s->locs)) != NULL)
        loc_remove(s, rb_entry(n, struct loc, by_id));
    size_t pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&s->locqs, &pos, &key, &val)) {
        struct store_queue *q = val;
        free(q->name);
        free(q);
    }
    hmap_str_free(&s->locqs);
    hmap_str_init(&s->locqs);
    s->next_loc_id = 1;
}

/* ---- commands ---- */

static void set_err(struct store_result *r, int status, const char *detail)
{
    r->status = status;
    snprintf(r->detail, sizeof r->detail, "%s", detail);
}

static void apply_put(struct store *s, struct cmd *c, struct store_result *r)
{
    struct location_rec *in = &c->u.loc.rec;
    if (in->msisdn == NULL || in->location == NULL) {
        set_err(r, 422, "msisdn and location are required");
        return;
    }
    struct loc *old = NULL;
    if (c->u.loc.by_imsi)
        old = in->imsi ? hmap_str_get(&s->locs_by_imsi, in->imsi) : NULL;
    else if ((old = loc_find(s, in->id)) == NULL) {
        r->id = in->id;
        set_err(r, 404, "Location not found");
        return;
    }
    struct loc *l = xcalloc(1, sizeof *l);
    l->r = *in;
    location_rec_init(in);
    if (old) {
        l->r.id = old->r.id;
        l->r.inserted_at = old->r.inserted_at;
        loc_remove(s, old);
        r->status = 200;
    } else {
        l->r.id = s->next_loc_id++;
        l->r.inserted_at = s->clock;
        r->status = 201;
    }
    l->r.updated_at = s->clock;
    if (l->r.imsi && hmap_str_get(&s->locs_by_imsi, l->r.imsi) != NULL) {
        /* PATCH moved the IMSI onto another registration's: that one goes */
        loc_remove(s, hmap_str_get(&s->locs_by_imsi, l->r.imsi));
    }
    loc_insert(s, l);
    r->id = l->r.id;
}

static void apply_delete(struct store *s, struct cmd *c, struct store_result *r)
{
    struct loc *l = loc_find(s, c->u.id);
    r->id = c->u.id;
    if (l == NULL) {
        set_err(r, 404, "Location not found");
        return;
    }
    loc_remove(s, l);
    r->status = 204;
}

void fsm_apply_loc_cmd(struct store *s, struct cmd *c, struct store_result *r)
{
    if (c->type == CMD_LOC_PUT)
        apply_put(s, c, r);
    else
        apply_delete(s, c, r);
}

/* ---- reads ---- */

const struct location_rec *store_location(const struct store *s, int64_t id)
{
    const struct loc *l = loc_find(s, id);
    return l ? &l->r : NULL;
}

const struct location_rec *store_location_by_imsi(const struct store *s,
                                                  const char *imsi)
{
    const struct loc *l = hmap_str_get(&s->locs_by_imsi, imsi);
    return l ? &l->r : NULL;
}

const struct location_rec *store_location_by_msisdn(const struct store *s,
                                                    const char *msisdn)
{
    const struct sub *u = hmap_str_get(&s->subs, msisdn);
    const struct loc *l = u ? sub_live(s, u) : NULL;
    return l ? &l->r : NULL;
}

static int cmp_loc_ptr(const void *a, const void *b)
{
    int64_t x = (*(const struct location_rec *const *)a)->id;
    int64_t y = (*(const struct location_rec *const *)b)->id;
    return x < y ? -1 : x > y;
}

size_t store_locations(const struct store *s, const char *msisdn,
                       size_t offset, size_t limit,
                       const struct location_rec **out)
{
    size_t n = 0, skipped = 0;
    if (msisdn != NULL) {
        const struct sub *u = hmap_str_get(&s->subs, msisdn);
        size_t total = 0;
        for (const struct loc *l = u ? u->locs : NULL; l; l = l->sub_next)
            total++;
        const struct location_rec **all = xcalloc(total + 1, sizeof *all);
        total = 0;
        for (const struct loc *l = u ? u->locs : NULL; l; l = l->sub_next)
            all[total++] = &l->r;
        qsort(all, total, sizeof *all, cmp_loc_ptr);
        for (size_t i = offset; i < total && n < limit; i++)
            out[n++] = all[i];
        free(all);
        return n;
    }
    for (struct rb_node *it = rb_first(&s->locs); it && n < limit;
         it = rb_next(it)) {
        if (skipped++ < offset)
            continue;
        out[n++] = &rb_entry(it, struct loc, by_id)->r;
    }
    return n;
}

size_t store_location_count(const struct store *s)
{
    return s->locs.count;
}

/* The location-based part of a queue fetch: the first ready message of
 * location queue `name`, or NULL. */
struct rb_node *store_locq_first(const struct store *s, const char *name)
{
    const struct store_queue *q = hmap_str_get(&s->locqs, name);
    return q ? rb_first(&q->ready) : NULL;
}
