/* timers — the deadline heap and the timed transitions run by CMD_TICK.
 *
 * Every future moment that changes a message (deliver_after passes, a lease
 * ends, it expires, it turns dead-letter, its retention ends) is one item in
 * a binary min-heap ordered by (when, id, kind), so a tick touches only what
 * is due, never scans.  Items are not removed when a message changes: each
 * message remembers the deadline it queued per kind (dl_pushed), and an item
 * that no longer matches is stale and skipped when it surfaces.
 *
 * Two heaps: wake-ups (a message becomes fetchable again) all run on every
 * tick, so after a tick a message is in its ready queue exactly when it is
 * fetchable — on every replica, whether it replayed the log or restored a
 * snapshot.  Transitions (expiry, dead letter, retention) run at most
 * STORE_TICK_BUDGET per tick in heap order, the rest on the next tick;
 * stale items never count, so the budget cuts at the same place everywhere.
 */
#include "raft_store/store_int.h"

#include <stdlib.h>

#include "common/xalloc.h"

static bool dl_less(const struct dl_item *a, const struct dl_item *b)
{
    if (a->when != b->when)
        return a->when < b->when;
    if (a->id != b->id)
        return a->id < b->id;
    return a->kind < b->kind;
}

void dl_push(struct dl_heap *h, struct dl_item it)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!dl_less(&it, &h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = it;
}

static struct dl_item dl_pop(struct dl_heap *h)
{
    struct dl_item top = h->v[0];
    struct dl_item last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && dl_less(&h->v[c + 1], &h->v[c]))
            c++;
        if (!dl_less(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
    return top;
}

void dl_free(struct dl_heap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

void store_schedule(struct store *s, struct msg *m, enum dl_kind kind,
                    int64_t when)
{
    if (m->dl_pushed[kind] == when)
        return;
    m->dl_pushed[kind] = when;
    struct dl_heap *h = kind == DL_READY || kind == DL_LEASE ? &s->wakeups
                                                             : &s->deadlines;
    dl_push(h, (struct dl_item){when, m->id, (uint32_t)kind});
}

const struct metric_family M_DELIVERY_DEAD_LETTER = {
    "sms_c_delivery_dead_letter_count",
    "Messages moved to dead letter (counted by the leader)", METRIC_COUNTER,
    1, {"reason"}, 0, {0}};

void store_set_local_counting(struct store *s, bool on)
{
    s->count_local = on;
}

static void expire(struct store *s, struct msg *m, int kind)
{
    if (s->count_local)
        metric_add(&M_DELIVERY_DEAD_LETTER, 1,
                   kind == DL_EXPIRES ? "expired" : "dead_letter_time");
    store_set_status(s, m, MSG_EXPIRED);
    m->d.deadletter = true;
    if (kind == DL_EXPIRES)
        events_add(s, m, EV_DEAD_LETTER, NULL, NULL,
                   "Expired undelivered; moved to dead letter");
    else
        events_add(s, m, EV_DEAD_LETTER, NULL, NULL,
                   "Undelivered for dead_letter_time_minutes (%lld); moved "
                   "to dead letter",
                   (long long)s->settings.dead_letter_time_minutes);
    store_reindex(s, m);
    store_final(s, m);
}

/* Applies one due item; returns true when it was a real transition. */
static bool run_item(struct store *s, const struct dl_item *it)
{
    if (it->kind == DL_LOC_EXPIRES)
        return loc_expire(s, it->id, it->when);
    if (it->kind == DL_FE_EXPIRES || it->kind == DL_FE_PURGE)
        return fe_run_deadline(s, it);
    struct msg *m = store_find(s, it->id);
    if (m == NULL || m->dl_pushed[it->kind] != it->when)
        return false;
    m->dl_pushed[it->kind] = TIME_NULL;
    switch (it->kind) {
    case DL_READY:
        store_reindex(s, m);
        return true;
    case DL_LEASE:
        m->lease_until = TIME_NULL;
        store_reindex(s, m);
        return true;
    case DL_EXPIRES:
    case DL_DEADLETTER:
        if (m->d.status != MSG_PENDING || m->d.deadletter)
            return false;
        expire(s, m, (int)it->kind);
        return true;
    case DL_EVENTS:
        if (m->ev == NULL)
            return false;
        events_purge(s, m);
        return true;
    case DL_RETENTION:
        if (m->d.status == MSG_PENDING)
            return false;
        outbox_events(s, m);
        store_remove(s, m);
        return true;
    default:
        return false;
    }
}

void store_run_timers(struct store *s)
{
    while (s->wakeups.n > 0 && s->wakeups.v[0].when <= s->tick) {
        struct dl_item it = dl_pop(&s->wakeups);
        run_item(s, &it);
    }
    unsigned done = 0;
    while (s->deadlines.n > 0 && s->deadlines.v[0].when <= s->tick &&
           done < STORE_TICK_BUDGET) {
        struct dl_item it = dl_pop(&s->deadlines);
        if (run_item(s, &it))
            done++;
    }
}

void store_rebuild_deadlines(struct store *s)
{
    dl_free(&s->wakeups);
    dl_free(&s->deadlines);
    for (struct rb_node *n = rb_first(&s->by_id); n; n = rb_next(n)) {
        struct msg *m = rb_entry(n, struct msg, by_id);
        for (int k = 0; k < DL_KIND_COUNT; k++)
            m->dl_pushed[k] = TIME_NULL;
        store_reindex(s, m);
    }
    store_locations_reschedule(s);
    store_frontends_reschedule(s);
}
