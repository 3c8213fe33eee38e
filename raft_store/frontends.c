/* frontends — the frontend registry in the store (SPEC §4, see
 * frontends.h for the rules).
 *
 * Indexes: every row by id; expired rows by id too (the oldest is the one
 * to purge when the table is full); per name a struct fe_name with its
 * rows newest first (ids only grow, so a new row is prepended) and its
 * active row; names by name, and the names with an active row by name, so
 * the list, active list, history and stats reads walk only what they
 * return.  Time-driven changes run on ticks from the store's deadline heap
 * (timers.c): DL_FE_EXPIRES at expires_at, DL_FE_PURGE at last_seen_at +
 * frontend_history_days.  Every row remembers the deadline it queued per
 * kind, so an item left behind by a later heartbeat is stale and skipped.
 */
#include "raft_store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define SEC 1000LL
#define DAY_MS (24 * 3600 * SEC)

static int cmp_id(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct fe, by_id)->r.id;
    int64_t y = rb_entry(b, struct fe, by_id)->r.id;
    return x < y ? -1 : x > y;
}

static int key_id(const void *key, const struct rb_node *n)
{
    int64_t x = *(const int64_t *)key;
    int64_t y = rb_entry(n, struct fe, by_id)->r.id;
    return x < y ? -1 : x > y;
}

static int cmp_expired(const struct rb_node *a, const struct rb_node *b)
{
    int64_t x = rb_entry(a, struct fe, by_expired)->r.id;
    int64_t y = rb_entry(b, struct fe, by_expired)->r.id;
    return x < y ? -1 : x > y;
}

static int cmp_name(const struct rb_node *a, const struct rb_node *b)
{
    return strcmp(rb_entry(a, struct fe_name, by_name)->name,
                  rb_entry(b, struct fe_name, by_name)->name);
}

static int key_name(const void *key, const struct rb_node *n)
{
    return strcmp(key, rb_entry(n, struct fe_name, by_name)->name);
}

static int cmp_active(const struct rb_node *a, const struct rb_node *b)
{
    return strcmp(rb_entry(a, struct fe_name, by_active)->name,
                  rb_entry(b, struct fe_name, by_active)->name);
}

static struct fe *fe_find(const struct fe_table *t, int64_t id)
{
    struct rb_node *n = rb_find(&t->by_id, &id, key_id);
    return n ? rb_entry(n, struct fe, by_id) : NULL;
}

static struct fe_name *name_find(const struct fe_table *t, const char *name)
{
    struct rb_node *n = name ? rb_find(&t->names, name, key_name) : NULL;
    return n ? rb_entry(n, struct fe_name, by_name) : NULL;
}

static struct fe_name *name_get(struct fe_table *t, const char *name)
{
    struct fe_name *n = name_find(t, name);
    if (n == NULL) {
        n = xcalloc(1, sizeof *n);
        n->name = xstrdup(name);
        rb_insert(&t->names, &n->by_name, cmp_name);
    }
    return n;
}

static void set_active(struct fe_table *t, struct fe_name *n, struct fe *f)
{
    if (n->active == NULL && f != NULL)
        rb_insert(&t->active, &n->by_active, cmp_active);
    else if (n->active != NULL && f == NULL)
        rb_erase(&t->active, &n->by_active);
    n->active = f;
}

/* a + b, clamped (times in a snapshot or an entry are not trusted) */
static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t v;
    if (__builtin_add_overflow(a, b, &v))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return v;
}

/* ---- deadlines ---- */

static void schedule(struct store *s, struct fe *f, int64_t *pushed,
                     int64_t when, enum dl_kind kind)
{
    if (*pushed == when)
        return;
    *pushed = when;
    dl_push(&s->deadlines, (struct dl_item){when, f->r.id, (uint32_t)kind});
}

static void schedule_row(struct store *s, struct fe *f)
{
    if (f->r.status == FE_ACTIVE)
        schedule(s, f, &f->dl_expire, f->r.expires_at, DL_FE_EXPIRES);
    else
        schedule(s, f, &f->dl_purge,
                 add_sat(f->r.last_seen_at,
                         s->settings.frontend_history_days * DAY_MS),
                 DL_FE_PURGE);
}

/* ---- linking ---- */

/* Links f (record filled, id new and the largest) as its name's newest. */
static void fe_link(struct store *s, struct fe *f)
{
    struct fe_table *t = &s->fe;
    f->dl_expire = f->dl_purge = TIME_NULL;
    rb_insert(&t->by_id, &f->by_id, cmp_id);
    struct fe_name *n = name_get(t, f->r.frontend_name);
    f->name = n;
    f->older = n->newest;
    if (n->newest)
        n->newest->newer = f;
    n->newest = f;
    if (f->r.status == FE_ACTIVE)
        set_active(t, n, f);
    else
        rb_insert(&t->expired, &f->by_expired, cmp_expired);
    schedule_row(s, f);
}

static void fe_remove(struct store *s, struct fe *f)
{
    struct fe_table *t = &s->fe;
    struct fe_name *n = f->name;
    rb_erase(&t->by_id, &f->by_id);
    if (f->r.status == FE_EXPIRED)
        rb_erase(&t->expired, &f->by_expired);
    if (n->active == f)
        set_active(t, n, NULL);
    if (f->newer)
        f->newer->older = f->older;
    else
        n->newest = f->older;
    if (f->older)
        f->older->newer = f->newer;
    if (n->newest == NULL) {
        rb_erase(&t->names, &n->by_name);
        free(n->name);
        free(n);
    }
    frontend_rec_free(&f->r);
    free(f);
}

static void fe_expire(struct store *s, struct fe *f)
{
    struct fe_table *t = &s->fe;
    f->r.status = FE_EXPIRED;
    f->r.updated_at = s->clock;
    f->dl_expire = TIME_NULL;
    set_active(t, f->name, NULL);
    rb_insert(&t->expired, &f->by_expired, cmp_expired);
    schedule_row(s, f);
}

bool fe_run_deadline(struct store *s, const struct dl_item *it)
{
    struct fe *f = fe_find(&s->fe, it->id);
    if (f == NULL)
        return false;
    if (it->kind == DL_FE_EXPIRES) {
        if (f->r.status != FE_ACTIVE || f->dl_expire != it->when)
            return false;
        fe_expire(s, f);
        return true;
    }
    if (f->r.status != FE_EXPIRED || f->dl_purge != it->when)
        return false;
    fe_remove(s, f);
    return true;
}

void store_frontends_reschedule(struct store *s)
{
    int64_t timeout = s->settings.frontend_timeout_seconds * SEC;
    for (struct rb_node *n = rb_first(&s->fe.by_id); n; n = rb_next(n)) {
        struct fe *f = rb_entry(n, struct fe, by_id);
        f->dl_expire = f->dl_purge = TIME_NULL;
        if (f->r.status == FE_ACTIVE)
            f->r.expires_at = add_sat(f->r.last_seen_at, timeout);
        schedule_row(s, f);
    }
}

void store_frontends_clear(struct store *s)
{
    struct rb_node *n;
    while ((n = rb_first(&s->fe.by_id)) != NULL)
        fe_remove(s, rb_entry(n, struct fe, by_id));
    s->fe.next_id = 1;
}

/* ---- CMD_FE_HEARTBEAT ---- */

static void take_str(char **dst, char **src)
{
    if (*src == NULL)
        return; /* not given: keep */
    free(*dst);
    *dst = *src;
    *src = NULL;
}

static void stamp(struct store *s, struct fe *f)
{
    f->r.last_seen_at = f->r.updated_at = s->clock;
    f->r.expires_at =
        add_sat(s->clock, s->settings.frontend_timeout_seconds * SEC);
}

/* The name's active row heard from again: what the heartbeat gives
 * replaces, what it leaves out stays. */
static void refresh(struct store *s, struct fe *f, struct frontend_rec *in)
{
    take_str(&f->r.frontend_type, &in->frontend_type);
    take_str(&f->r.ip_address, &in->ip_address);
    take_str(&f->r.hostname, &in->hostname);
    take_str(&f->r.configuration, &in->configuration);
    if (in->uptime_seconds != FE_UPTIME_NULL)
        f->r.uptime_seconds = in->uptime_seconds;
    stamp(s, f);
    schedule_row(s, f);
}

/* Makes room for one more row: the oldest expired one goes.  Returns false
 * (r set to 503) when every row is active. */
static bool make_room(struct store *s, struct store_result *r)
{
    if (s->fe.by_id.count < FE_MAX_ROWS)
        return true;
    struct rb_node *n = rb_first(&s->fe.expired);
    if (n == NULL) {
        r->status = 503;
        snprintf(r->detail, sizeof r->detail,
                 "Too many frontend registrations (%d active); retry later",
                 FE_MAX_ROWS);
        return false;
    }
    fe_remove(s, rb_entry(n, struct fe, by_expired));
    return true;
}

static void apply_heartbeat(struct store *s, struct cmd *c,
                            struct store_result *r)
{
    struct frontend_rec *in = &c->u.fe;
    if (!frontend_name_valid(in->frontend_name)) {
        r->status = 422;
        snprintf(r->detail, sizeof r->detail, "frontend_name is required");
        return;
    }
    struct fe_name *n = name_find(&s->fe, in->frontend_name);
    struct fe *f = n ? n->active : NULL;
    if (f != NULL) {
        refresh(s, f, in);
        r->status = 200;
    } else {
        if (!make_room(s, r))
            return;
        f = xcalloc(1, sizeof *f);
        f->r = *in;
        frontend_rec_init(in);
        f->r.id = s->fe.next_id++;
        f->r.status = FE_ACTIVE;
        f->r.inserted_at = s->clock;
        stamp(s, f);
        fe_link(s, f);
        r->status = 201;
    }
    r->id = f->r.id;
}

void fsm_apply_fe_cmd(struct store *s, struct cmd *c, struct store_result *r)
{
    apply_heartbeat(s, c, r);
}

/* ---- snapshot section ---- */

void fe_snapshot_put(struct buf *b, const struct store *s)
{
    buf_put_svar(b, s->fe.next_id);
    buf_put_uvar(b, s->fe.by_id.count);
    for (struct rb_node *n = rb_first(&s->fe.by_id); n; n = rb_next(n))
        frontend_rec_encode(b, &rb_entry(n, struct fe, by_id)->r);
}

/* Rows come in id order; a name's active row must be its newest. */
int fe_snapshot_get(struct rd *r, struct store *t)
{
    t->fe.next_id = rd_svar(r);
    uint64_t n = rd_uvar_max(r, FE_MAX_ROWS);
    int64_t last = 0;
    for (uint64_t i = 0; i < n && !r->err; i++) {
        struct fe *f = xcalloc(1, sizeof *f);
        if (frontend_rec_decode(r, &f->r) != 0) {
            free(f);
            return -1;
        }
        const struct fe_name *nm = name_find(&t->fe, f->r.frontend_name);
        if (f->r.id <= last || f->r.id >= t->fe.next_id ||
            (nm && nm->active)) {
            frontend_rec_free(&f->r);
            free(f);
            return -1;
        }
        last = f->r.id;
        fe_link(t, f);
    }
    return r->err;
}

/* ---- reads ---- */

const struct frontend_rec *store_frontend(const struct store *s, int64_t id)
{
    const struct fe *f = fe_find(&s->fe, id);
    return f ? &f->r : NULL;
}

size_t store_frontends(const struct store *s, bool active_only,
                       size_t offset, size_t limit,
                       const struct frontend_rec **out)
{
    const struct rb_tree *t = active_only ? &s->fe.active : &s->fe.names;
    size_t n = 0, skipped = 0;
    for (struct rb_node *it = rb_first(t); it && n < limit; it = rb_next(it)) {
        if (skipped++ < offset)
            continue;
        const struct fe_name *nm =
            active_only ? rb_entry(it, struct fe_name, by_active)
                        : rb_entry(it, struct fe_name, by_name);
        out[n++] = &(active_only ? nm->active : nm->newest)->r;
    }
    return n;
}

long store_frontend_history(const struct store *s, const char *name,
                            size_t offset, size_t limit,
                            const struct frontend_rec **out)
{
    const struct fe_name *nm = name_find(&s->fe, name);
    if (nm == NULL)
        return -1;
    size_t n = 0, skipped = 0;
    for (const struct fe *f = nm->newest; f && n < limit; f = f->older) {
        if (skipped++ < offset)
            continue;
        out[n++] = &f->r;
    }
    return (long)n;
}

void store_frontend_stats(const struct store *s,
                          struct store_frontend_stats *st)
{
    st->active_count = s->fe.active.count;
    st->unique_frontends = s->fe.names.count;
    st->expired_count = st->unique_frontends - st->active_count;
    st->total_registrations = s->fe.by_id.count;
}
