/* outbox — the replicated CDR outbox (SPEC §10, DESIGN "CDRs").
 *
 * Every move of a message into a final state appends one CDR; a message
 * leaving the store appends its event log.  Each item takes the next
 * sequence numbers (a CDR one, an event block one per event), so the
 * outbox is a run of consecutive seqs from its head to `last_seq`.
 *
 * A CDR writer stores items in SQL and proposes CMD_CDR_ACK{writer, upto};
 * the outbox is trimmed at what every writer that counts has stored: the
 * shared writer ("cluster", PostgreSQL/MariaDB) alone when the latest ack
 * came from a shared writer, else the lowest ack among the members (SQLite:
 * every node its own file) — so a cluster moved from one kind of database
 * to the other follows its current writers, not stale acks.
 * When the outbox is full, a member lagging behind is left out (its file
 * misses those rows; counted in left_out) rather than stopping the cluster.
 *
 * Items live in a ring of pointers, oldest first; a CDR is a compact
 * encoding of its row, an event block is the message's own event bytes
 * (taken over from the message, no copy).
 */
#include "raft_store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

#define OB_MAX_STR 65535 /* message bodies are the longest strings */

enum ob_kind { OB_CDR = 1, OB_EVENTS = 2 };

struct ob_item {
    int64_t seq;          /* first seq */
    int64_t message_id;
    uint32_t count;       /* seqs used */
    uint32_t len;
    uint8_t kind;         /* enum ob_kind */
    uint8_t data[];
};

struct ob_ack {
    char *writer;
    int64_t upto;
    bool shared;
};

static void publish(struct store *s)
{
    const struct outbox *o = &s->ob;
    atomic_store_explicit(&s->outbox_rows, o->rows, memory_order_relaxed);
    atomic_store_explicit(
        &s->outbox_full,
        s->settings.cdr_enabled &&
            o->rows >= (uint64_t)s->settings.cdr_outbox_max_rows,
        memory_order_relaxed);
}

static struct ob_item *at(const struct outbox *o, size_t i)
{
    return o->v[(o->head + i) % o->cap];
}

static void push(struct store *s, struct ob_item *it)
{
    struct outbox *o = &s->ob;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 1024;
        struct ob_item **v = xcalloc(cap, sizeof *v);
        for (size_t i = 0; i < o->n; i++)
            v[i] = at(o, i);
        free(o->v);
        o->v = v;
        o->cap = cap;
        o->head = 0;
    }
    it->seq = o->last_seq + 1;
    o->last_seq += it->count;
    o->v[(o->head + o->n) % o->cap] = it;
    o->n++;
    o->rows += it->count;
    publish(s);
}

static struct ob_item *item_new(int kind, int64_t message_id, uint32_t count,
                                const void *p, size_t len)
{
    struct ob_item *it = xmalloc(sizeof *it + len);
    it->kind = (uint8_t)kind;
    it->message_id = message_id;
    it->count = count;
    it->len = (uint32_t)len;
    memcpy(it->data, p, len);
    return it;
}

void outbox_cdr(struct store *s, struct msg *m)
{
    if (!s->settings.cdr_enabled)
        return;
    const struct msg_data *d = &m->d;
    struct buf b;
    buf_init(&b);
    buf_put_str(&b, d->source_msisdn ? d->source_msisdn : "");
    buf_put_str(&b, d->destination_msisdn ? d->destination_msisdn : "");
    buf_put_str(&b, d->source_smsc);
    buf_put_str(&b, d->dest_smsc);
    buf_put_str(&b, d->origin_node);
    buf_put_str(&b, d->destination_node);
    buf_put_svar(&b, d->inserted_at);
    buf_put_svar(&b, d->status == MSG_DELIVERED ? d->deliver_time : TIME_NULL);
    buf_put_svar(&b, d->expires);
    buf_put_u8(&b, d->status);
    buf_put_svar(&b, d->delivery_attempts);
    buf_put_svar(&b, d->message_parts);
    buf_put_bool(&b, d->deadletter);
    buf_put_str(&b, d->message_body);
    buf_put_svar(&b, s->clock);
    push(s, item_new(OB_CDR, m->id, 1, b.data, b.len));
    buf_free(&b);
}

void outbox_events(struct store *s, struct msg *m)
{
    if (!s->settings.cdr_enabled || m->ev == NULL || m->ev->count == 0)
        return;
    push(s, item_new(OB_EVENTS, m->id, m->ev->count, m->ev->data,
                     m->ev->len));
}

/* ---- trimming ---- */

static void trim(struct store *s, int64_t upto)
{
    struct outbox *o = &s->ob;
    while (o->n > 0) {
        struct ob_item *it = at(o, 0);
        if (it->seq + it->count - 1 > upto)
            break;
        o->rows -= it->count;
        free(it);
        o->head = (o->head + 1) % o->cap;
        o->n--;
    }
    publish(s);
}

static int64_t head_seq(const struct outbox *o)
{
    return o->n ? at(o, 0)->seq : o->last_seq + 1;
}

struct trim_scan {
    const struct store *s;
    int64_t min;
    bool any;
};

static void min_member(const struct store_node_info *ni, void *arg)
{
    struct trim_scan *t = arg;
    const struct ob_ack *a = hmap_str_get(&t->s->ob.acks, ni->name);
    int64_t v = a ? a->upto : 0;
    if (!t->any || v < t->min)
        t->min = v;
    t->any = true;
}

/* Where the outbox may be trimmed after the acks changed. */
static int64_t trim_point(struct store *s)
{
    struct outbox *o = &s->ob;
    int64_t shared = 0, best = 0;
    size_t pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&o->acks, &pos, &key, &val)) {
        const struct ob_ack *a = val;
        if (a->shared && a->upto > shared)
            shared = a->upto;
        if (!a->shared && a->upto > best)
            best = a->upto;
    }
    if (o->shared_mode)
        return shared;
    struct trim_scan t = {s, 0, false};
    store_node_infos(s, min_member, &t);
    int64_t point = t.any ? t.min : best;
    if (o->rows >= (uint64_t)s->settings.cdr_outbox_max_rows &&
        best > point) {
        /* full: members that fell this far behind are left out */
        int64_t lost = best - (point > head_seq(o) - 1 ? point
                                                       : head_seq(o) - 1);
        o->left_out += (uint64_t)lost;
        log_warn("cdr outbox full (%llu rows): trimmed to seq %lld without "
                 "the slowest writer (acked %lld); %lld rows left out of its "
                 "file",
                 (unsigned long long)o->rows, (long long)best,
                 (long long)point, (long long)lost);
        point = best;
    }
    return point;
}

void fsm_apply_cdr_ack(struct store *s, const struct cmd_cdr_ack *c,
                       struct store_result *r)
{
    struct outbox *o = &s->ob;
    struct ob_ack *a = hmap_str_get(&o->acks, c->writer);
    if (a == NULL) {
        a = xcalloc(1, sizeof *a);
        a->writer = xstrdup(c->writer);
        hmap_str_put(&o->acks, a->writer, a);
    }
    int64_t upto = c->upto < o->last_seq ? c->upto : o->last_seq;
    if (upto > a->upto)
        a->upto = upto;
    a->shared = c->shared;
    o->shared_mode = c->shared;
    trim(s, trim_point(s));
    r->status = 200;
    r->id = a->upto;
}

/* ---- reads ---- */

void store_outbox_info(const struct store *s, struct store_outbox_info *out)
{
    const struct outbox *o = &s->ob;
    out->head_seq = head_seq(o);
    out->last_seq = o->last_seq;
    out->rows = o->rows;
    out->items = o->n;
    out->left_out = o->left_out;
}

uint64_t store_outbox_rows(const struct store *s)
{
    return atomic_load_explicit(&s->outbox_rows, memory_order_relaxed);
}

bool store_outbox_full(const struct store *s)
{
    return atomic_load_explicit(&s->outbox_full, memory_order_relaxed);
}

int64_t store_outbox_acked(const struct store *s, const char *writer)
{
    const struct ob_ack *a = hmap_str_get(&s->ob.acks, writer);
    return a ? a->upto : 0;
}

/* The first item holding a seq after `after` (binary search). */
static size_t first_after(const struct outbox *o, int64_t after)
{
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ob_item *it = at(o, mid);
        if (it->seq + it->count - 1 <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static char *str_or_null(struct rd *r)
{
    return rd_str(r, OB_MAX_STR);
}

static int cdr_decode(const struct ob_item *it, struct cdr_row *row)
{
    struct rd r;
    rd_init(&r, it->data, it->len);
    cdr_row_init(row);
    row->seq = it->seq;
    row->message_id = it->message_id;
    row->calling_number = str_or_null(&r);
    row->called_number = str_or_null(&r);
    row->source_smsc = str_or_null(&r);
    row->dest_smsc = str_or_null(&r);
    row->origin_node = str_or_null(&r);
    row->destination_node = str_or_null(&r);
    row->submission_time = rd_svar(&r);
    int64_t t = rd_svar(&r);
    row->delivery_time = t == TIME_NULL ? CDR_TIME_NULL : t;
    t = rd_svar(&r);
    row->expiry_time = t == TIME_NULL ? CDR_TIME_NULL : t;
    uint8_t st = rd_u8(&r);
    row->delivery_attempts = (int)rd_svar(&r);
    int64_t parts = rd_svar(&r);
    row->message_parts = parts > 0 && parts < 256 ? (int)parts : -1;
    row->deadletter = rd_bool(&r);
    row->message_body = str_or_null(&r);
    row->inserted_at = row->updated_at = rd_svar(&r);
    if (!rd_done(&r) || st >= MSG_STATUS_COUNT || st == MSG_PENDING) {
        cdr_row_free(row);
        return -1;
    }
    row->status = xstrdup(msg_status_name(st));
    if (row->calling_number == NULL)
        row->calling_number = xstrdup("");
    if (row->called_number == NULL)
        row->called_number = xstrdup("");
    return 0;
}

struct ev_out {
    struct cdr_event *v;
    size_t n, cap;
    int64_t seq, message_id, inserted_at;
};

static void ev_collect(const struct store_event *e, void *arg)
{
    struct ev_out *o = arg;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->v = xrealloc(o->v, o->cap * sizeof *o->v);
    }
    struct cdr_event *c = &o->v[o->n++];
    cdr_event_init(c);
    c->seq = o->seq++;
    c->message_id = o->message_id;
    c->event_epoch = e->at;
    c->name = xstrdup(e->name);
    c->description = xstrdup(e->description);
    c->event_source = xstrdup(e->source);
    c->inserted_at = o->inserted_at;
}

int64_t store_outbox_read(const struct store *s, int64_t after, size_t max,
                          struct cdr_row **rows, size_t *n,
                          struct cdr_event **events, size_t *m)
{
    const struct outbox *o = &s->ob;
    struct cdr_row *rv = NULL;
    size_t rn = 0, taken = 0;
    struct ev_out ev = {0};
    int64_t upto = after;
    for (size_t i = first_after(o, after); i < o->n && taken < max; i++) {
        const struct ob_item *it = at(o, i);
        if (it->kind == OB_CDR) {
            rv = xrealloc(rv, (rn + 1) * sizeof *rv);
            if (cdr_decode(it, &rv[rn]) == 0)
                rn++;
        } else {
            ev.seq = it->seq;
            ev.message_id = it->message_id;
            ev.inserted_at = s->clock;
            events_block_each(it->data, it->len, ev_collect, &ev);
        }
        taken += it->count;
        upto = it->seq + it->count - 1;
    }
    *rows = rv;
    *n = rn;
    *events = ev.v;
    *m = ev.n;
    return upto;
}

/* ---- lifecycle and snapshots ---- */

void outbox_init(struct store *s)
{
    memset(&s->ob, 0, sizeof s->ob);
    hmap_str_init(&s->ob.acks);
    publish(s);
}

void outbox_clear(struct store *s)
{
    struct outbox *o = &s->ob;
    for (size_t i = 0; i < o->n; i++)
        free(at(o, i));
    free(o->v);
    size_t pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&o->acks, &pos, &key, &val)) {
        struct ob_ack *a = val;
        free(a->writer);
        free(a);
    }
    hmap_str_free(&o->acks);
    outbox_init(s);
}

static int cmp_ack(const void *a, const void *b)
{
    return strcmp((*(const struct ob_ack *const *)a)->writer,
                  (*(const struct ob_ack *const *)b)->writer);
}

void outbox_snapshot(const struct store *s, struct buf *b)
{
    const struct outbox *o = &s->ob;
    buf_put_svar(b, head_seq(o));
    buf_put_svar(b, o->last_seq);
    buf_put_uvar(b, o->left_out);
    buf_put_bool(b, o->shared_mode);
    /* acks in writer order, so equal states give equal snapshots */
    const struct ob_ack **v = xcalloc(o->acks.count + 1, sizeof *v);
    size_t n = 0, pos = 0;
    const char *key;
    void *val;
    while (hmap_str_next(&o->acks, &pos, &key, &val))
        v[n++] = val;
    qsort(v, n, sizeof *v, cmp_ack);
    buf_put_uvar(b, n);
    for (size_t i = 0; i < n; i++) {
        buf_put_str(b, v[i]->writer);
        buf_put_svar(b, v[i]->upto);
        buf_put_bool(b, v[i]->shared);
    }
    free(v);
    buf_put_uvar(b, o->n);
    for (size_t i = 0; i < o->n; i++) {
        const struct ob_item *it = at(o, i);
        buf_put_u8(b, it->kind);
        buf_put_svar(b, it->message_id);
        buf_put_uvar(b, it->count);
        buf_put_uvar(b, it->len);
        buf_put(b, it->data, it->len);
    }
}

/* Checks that an item's bytes decode and that it uses count seqs. */
static bool item_valid(struct ob_item *it)
{
    if (it->kind == OB_EVENTS) {
        uint32_t count = 0;
        return events_block_count(it->data, it->len, &count) == 0 &&
               count == it->count && count > 0;
    }
    struct cdr_row row;
    if (it->kind != OB_CDR || it->count != 1 || cdr_decode(it, &row) != 0)
        return false;
    cdr_row_free(&row);
    return true;
}

int outbox_restore(struct rd *r, struct store *t)
{
    struct outbox *o = &t->ob;
    int64_t head = rd_svar(r);
    int64_t last = rd_svar(r);
    o->left_out = rd_uvar(r);
    o->shared_mode = rd_bool(r);
    uint64_t nacks = rd_uvar_max(r, 1u << 16);
    if (r->err || head < 1 || last < head - 1)
        return -1;
    for (uint64_t i = 0; i < nacks && !r->err; i++) {
        struct cmd_cdr_ack c;
        c.writer = rd_str(r, CMD_MAX_NAME);
        c.upto = rd_svar(r);
        c.shared = rd_bool(r);
        if (c.writer == NULL || c.upto < 0 || c.upto > last ||
            hmap_str_get(&o->acks, c.writer) != NULL) {
            free(c.writer);
            return -1;
        }
        struct ob_ack *a = xcalloc(1, sizeof *a);
        a->writer = c.writer;
        a->upto = c.upto;
        a->shared = c.shared;
        hmap_str_put(&o->acks, a->writer, a);
    }
    uint64_t n = rd_uvar(r);
    o->last_seq = head - 1;
    for (uint64_t i = 0; i < n && !r->err; i++) {
        uint8_t kind = rd_u8(r);
        int64_t mid = rd_svar(r);
        uint64_t count = rd_uvar_max(r, UINT32_MAX);
        uint64_t len = rd_uvar_max(r, UINT32_MAX);
        const uint8_t *p = rd_bytes(r, (size_t)len);
        if (r->err || p == NULL || count == 0 ||
            count > (uint64_t)(last - o->last_seq))
            return -1;
        struct ob_item *it =
            item_new(kind, mid, (uint32_t)count, p, (size_t)len);
        if (!item_valid(it)) {
            free(it);
            return -1;
        }
        push(t, it);
    }
    if (r->err || o->last_seq != last)
        return -1;
    return 0;
}

void store_final(struct store *s, struct msg *m)
{
    outbox_cdr(s, m);
    status_report(s, m);
}
