/* media_store — the MMS message and SS7 event tables of the store, the
 * commands that change them and their snapshot sections (see media.h).
 *
 * Both tables are one generic struct media_table: rows by id (rb tree) and,
 * per filter key, a hash map from the key's value to the bucket of rows
 * holding it (by id), so a filtered list walks the smallest matching
 * bucket and nothing else.  What differs between the two record types
 * (keys, required fields, stamping, codec) is a struct media_kind.
 *
 * The state machine only checks what a stored row needs to be restorable
 * (its required fields) and assigns ids and times; field validation happens
 * before a command is proposed (api/mediajson.c).
 *
 *   section := next_id svar | count uvar | record*   (ids increasing)
 *   media   := mms section | ss7 section              (after the locations)
 */
#include "raft_store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* A row's place in the bucket of one of its keys. */
struct media_link {
    struct rb_node node;
    struct media_row *row;
    struct media_bucket *bucket;  /* NULL when the key is null */
};

struct media_row {
    int64_t id;
    struct rb_node by_id;
    struct media_link link[MEDIA_KEYS];
    union {
        struct mms_rec mms;
        struct ss7_rec ss7;
    } r;
};

/* The rows sharing one value of a key, by id. */
struct media_bucket {
    char *value;
    struct rb_tree rows;
};

struct media_kind {
    const char *not_found;   /* 404 detail */
    const char *full;        /* 503 detail past MEDIA_MAX_ROWS */
    const char *missing;     /* 422 detail when a required field is null */
    unsigned n_keys;
    /* The value of key k of a row (borrowed), or NULL. */
    const char *(*key)(const struct media_row *w, unsigned k);
    bool (*complete)(const struct media_row *w);
    /* Sets a row's id and times when it is stored: old is the row it
     * replaces, or NULL for a new one. */
    void (*stamp)(struct media_row *w, const struct media_row *old,
                  int64_t clock);
    void (*free_rec)(struct media_row *w);
    void (*encode)(struct buf *b, const struct media_row *w);
    int (*decode)(struct rd *rd, struct media_row *w);
};

struct media_table {
    const struct media_kind *kind;
    struct rb_tree by_id;
    struct hmap_str keys[MEDIA_KEYS];  /* value -> struct media_bucket */
    int64_t next_id;
};

/* ---- the two kinds ---- */

static const char *mms_key(const struct media_row *w, unsigned k)
{
    const struct mms_rec *m = &w->r.mms;
    switch (k) {
    case MMS_KEY_STATUS: return mms_status_name(m->status);
    case MMS_KEY_SOURCE: return m->source_msisdn;
    default: return m->destination_msisdn;
    }
}

static bool mms_complete(const struct media_row *w)
{
    return w->r.mms.source_msisdn != NULL &&
           w->r.mms.destination_msisdn != NULL;
}

static void mms_stamp(struct media_row *w, const struct media_row *old,
                      int64_t clock)
{
    w->r.mms.id = w->id;
    w->r.mms.inserted_at = old ? old->r.mms.inserted_at : clock;
    w->r.mms.updated_at = clock;
}

static void mms_free(struct media_row *w) { mms_rec_free(&w->r.mms); }

static void mms_encode(struct buf *b, const struct media_row *w)
{
    mms_rec_encode(b, &w->r.mms);
}

static int mms_decode(struct rd *rd, struct media_row *w)
{
    int rc = mms_rec_decode(rd, &w->r.mms);
    w->id = w->r.mms.id;
    return rc;
}

static const char *ss7_key(const struct media_row *w, unsigned k)
{
    const struct ss7_rec *e = &w->r.ss7;
    switch (k) {
    case SS7_KEY_EVENT_TYPE: return e->event_type;
    case SS7_KEY_MSISDN: return e->msisdn;
    default: return e->imsi;
    }
}

static bool ss7_complete(const struct media_row *w)
{
    return w->r.ss7.event_type != NULL;
}

/* A timestamp left null means "now" for a new event and "unchanged" for a
 * replaced one. */
static void ss7_stamp(struct media_row *w, const struct media_row *old,
                      int64_t clock)
{
    struct ss7_rec *e = &w->r.ss7;
    e->id = w->id;
    e->inserted_at = old ? old->r.ss7.inserted_at : clock;
    e->updated_at = clock;
    if (e->timestamp == TIME_NULL)
        e->timestamp = old ? old->r.ss7.timestamp : clock;
}

static void ss7_free(struct media_row *w) { ss7_rec_free(&w->r.ss7); }

static void ss7_encode(struct buf *b, const struct media_row *w)
{
    ss7_rec_encode(b, &w->r.ss7);
}

static int ss7_decode(struct rd *rd, struct media_row *w)
{
    int rc = ss7_rec_decode(rd, &w->r.ss7);
    w->id = w->r.ss7.id;
    return rc;
}

#define STR(x) #x
#define XSTR(x) STR(x)

static const struct media_kind mms_kind = {
    "MMS message not found",
    "MMS message table full (" XSTR(MEDIA_MAX_ROWS) " rows); delete some "
    "and retry",
    "source_msisdn and destination_msisdn are required",
    3, mms_key, mms_complete, mms_stamp, mms_free, mms_encode, mms_decode,
};

static const struct media_kind ss7_kind = {
    "SS7 event not found",
    "SS7 event table full (" XSTR(MEDIA_MAX_ROWS) " rows); delete some "
    "and retry",
    "event_type is required",
    3, ss7_key, ss7_complete, ss7_stamp, ss7_free, ss7_encode, ss7_decode,
};

/* ---- the generic table ---- */

static int cmp_ids(int64_t x, int64_t y)
{
    return x < y ? -1 : x > y;
}

static int cmp_by_id(const struct rb_node *a, const struct rb_node *b)
{
    return cmp_ids(rb_entry(a, struct media_row, by_id)->id,
                   rb_entry(b, struct media_row, by_id)->id);
}

static int key_by_id(const void *key, const struct rb_node *n)
{
    return cmp_ids(*(const int64_t *)key,
                   rb_entry(n, struct media_row, by_id)->id);
}

static int cmp_link(const struct rb_node *a, const struct rb_node *b)
{
    return cmp_ids(rb_entry(a, struct media_link, node)->row->id,
                   rb_entry(b, struct media_link, node)->row->id);
}

static struct media_table *table_new(const struct media_kind *kind)
{
    struct media_table *t = xcalloc(1, sizeof *t);
    t->kind = kind;
    rb_init(&t->by_id);
    for (unsigned k = 0; k < MEDIA_KEYS; k++)
        hmap_str_init(&t->keys[k]);
    t->next_id = 1;
    return t;
}

static struct media_row *table_find(const struct media_table *t, int64_t id)
{
    struct rb_node *n = rb_find(&t->by_id, &id, key_by_id);
    return n ? rb_entry(n, struct media_row, by_id) : NULL;
}

static void link_keys(struct media_table *t, struct media_row *w)
{
    for (unsigned k = 0; k < t->kind->n_keys; k++) {
        struct media_link *l = &w->link[k];
        const char *v = t->kind->key(w, k);
        l->row = w;
        l->bucket = NULL;
        if (v == NULL)
            continue;
        struct media_bucket *b = hmap_str_get(&t->keys[k], v);
        if (b == NULL) {
            b = xcalloc(1, sizeof *b);
            b->value = xstrdup(v);
            rb_init(&b->rows);
            hmap_str_put(&t->keys[k], v, b);
        }
        rb_insert(&b->rows, &l->node, cmp_link);
        l->bucket = b;
    }
}

static void unlink_keys(struct media_table *t, struct media_row *w)
{
    for (unsigned k = 0; k < t->kind->n_keys; k++) {
        struct media_bucket *b = w->link[k].bucket;
        if (b == NULL)
            continue;
        rb_erase(&b->rows, &w->link[k].node);
        w->link[k].bucket = NULL;
        if (b->rows.count == 0) {
            hmap_str_del(&t->keys[k], b->value);
            free(b->value);
            free(b);
        }
    }
}

/* Links a row whose id and record are set. */
static void table_insert(struct media_table *t, struct media_row *w)
{
    rb_insert(&t->by_id, &w->by_id, cmp_by_id);
    link_keys(t, w);
}

static void table_remove(struct media_table *t, struct media_row *w)
{
    unlink_keys(t, w);
    rb_erase(&t->by_id, &w->by_id);
    t->kind->free_rec(w);
    free(w);
}

static void table_clear(struct media_table *t)
{
    struct rb_node *n;
    while ((n = rb_first(&t->by_id)) != NULL)
        table_remove(t, rb_entry(n, struct media_row, by_id));
    t->next_id = 1;
}

static void table_free(struct media_table *t)
{
    if (t == NULL)
        return;
    table_clear(t);
    for (unsigned k = 0; k < MEDIA_KEYS; k++)
        hmap_str_free(&t->keys[k]);
    free(t);
}

/* ---- lifecycle (store.c) ---- */

void store_media_init(struct store *s)
{
    s->mms = table_new(&mms_kind);
    s->ss7 = table_new(&ss7_kind);
}

void store_media_clear(struct store *s)
{
    table_clear(s->mms);
    table_clear(s->ss7);
}

void store_media_free(struct store *s)
{
    table_free(s->mms);
    table_free(s->ss7);
    s->mms = s->ss7 = NULL;
}

/* ---- commands ---- */

static void set_err(struct store_result *r, int status, const char *detail)
{
    r->status = status;
    snprintf(r->detail, sizeof r->detail, "%s", detail);
}

/* Stores the row w (taken over: freed when refused) as a new row (id 0)
 * or in place of row id. */
static void apply_put(struct store *s, struct media_table *t,
                      struct media_row *w, struct store_result *r)
{
    const struct media_kind *kind = t->kind;
    struct media_row *old = NULL;
    int status = 201;
    if (!kind->complete(w)) {
        set_err(r, 422, kind->missing);
    } else if (w->id != 0 && (old = table_find(t, w->id)) == NULL) {
        r->id = w->id;
        set_err(r, 404, kind->not_found);
    } else if (old == NULL && t->by_id.count >= MEDIA_MAX_ROWS) {
        set_err(r, 503, kind->full);
    } else {
        if (old == NULL)
            w->id = t->next_id++;
        else
            status = 200;
        kind->stamp(w, old, s->clock);
        if (old)
            table_remove(t, old);
        table_insert(t, w);
        r->status = status;
        r->id = w->id;
        return;
    }
    kind->free_rec(w);
    free(w);
}

static void apply_delete(struct media_table *t, int64_t id,
                         struct store_result *r)
{
    struct media_row *w = table_find(t, id);
    r->id = id;
    if (w == NULL) {
        set_err(r, 404, t->kind->not_found);
        return;
    }
    table_remove(t, w);
    r->status = 204;
}

void fsm_apply_media_cmd(struct store *s, struct cmd *c,
                         struct store_result *r)
{
    struct media_row *w;
    switch (c->type) {
    case CMD_MMS_PUT:
        w = xcalloc(1, sizeof *w);
        w->r.mms = c->u.mms;
        w->id = w->r.mms.id;
        mms_rec_init(&c->u.mms);
        apply_put(s, s->mms, w, r);
        break;
    case CMD_SS7_PUT:
        w = xcalloc(1, sizeof *w);
        w->r.ss7 = c->u.ss7;
        w->id = w->r.ss7.id;
        ss7_rec_init(&c->u.ss7);
        apply_put(s, s->ss7, w, r);
        break;
    case CMD_MMS_DELETE:
        apply_delete(s->mms, c->u.id, r);
        break;
    default:
        apply_delete(s->ss7, c->u.id, r);
        break;
    }
}

/* ---- snapshot sections ---- */

static void put_table(struct buf *b, const struct media_table *t)
{
    buf_put_svar(b, t->next_id);
    buf_put_uvar(b, t->by_id.count);
    for (struct rb_node *n = rb_first(&t->by_id); n; n = rb_next(n))
        t->kind->encode(b, rb_entry(n, struct media_row, by_id));
}

void store_media_snapshot(const struct store *s, struct buf *b)
{
    put_table(b, s->mms);
    put_table(b, s->ss7);
}

/* Reads one section: every row complete, ids increasing and below
 * next_id, at most MEDIA_MAX_ROWS of them. */
static int get_table(struct rd *r, struct media_table *t)
{
    t->next_id = rd_svar(r);
    uint64_t n = rd_uvar_max(r, MEDIA_MAX_ROWS);
    if (r->err || t->next_id < 1)
        return -1;
    int64_t last = 0;
    for (uint64_t i = 0; i < n; i++) {
        struct media_row *w = xcalloc(1, sizeof *w);
        if (t->kind->decode(r, w) != 0) {
            free(w);
            return -1;
        }
        if (w->id <= last || w->id >= t->next_id || !t->kind->complete(w)) {
            t->kind->free_rec(w);
            free(w);
            return -1;
        }
        last = w->id;
        table_insert(t, w);
    }
    return 0;
}

int store_media_restore(struct rd *r, struct store *t)
{
    if (get_table(r, t->mms) != 0 || get_table(r, t->ss7) != 0)
        return -1;
    return r->err;
}

/* ---- reads ---- */

/* Writes the record of row w as out[i]. */
typedef void (*emit_fn)(const struct media_row *w, size_t i, void *out);

/* Emits the rows of t matching f, in id order; returns how many. */
static size_t table_list(const struct media_table *t,
                         const struct media_filter *f, emit_fn emit, void *out)
{
    /* walk the smallest bucket among the keys given */
    const struct rb_tree *walk = &t->by_id;
    int walk_key = -1;
    for (unsigned k = 0; k < t->kind->n_keys; k++) {
        if (f->key[k] == NULL)
            continue;
        const struct media_bucket *b = hmap_str_get(&t->keys[k], f->key[k]);
        if (b == NULL)
            return 0;
        if (walk_key < 0 || b->rows.count < walk->count) {
            walk = &b->rows;
            walk_key = (int)k;
        }
    }
    size_t n = 0, skipped = 0;
    for (struct rb_node *it = rb_first(walk); it && n < f->limit;
         it = rb_next(it)) {
        const struct media_row *w =
            walk_key < 0 ? rb_entry(it, struct media_row, by_id)
                         : rb_entry(it, struct media_link, node)->row;
        bool match = true;
        for (unsigned k = 0; match && k < t->kind->n_keys; k++) {
            const char *v = f->key[k] ? t->kind->key(w, k) : NULL;
            match = f->key[k] == NULL || (v && strcmp(v, f->key[k]) == 0);
        }
        if (!match)
            continue;
        if (skipped < f->offset) {
            skipped++;
            continue;
        }
        emit(w, n++, out);
    }
    return n;
}

static void emit_mms(const struct media_row *w, size_t i, void *out)
{
    ((const struct mms_rec **)out)[i] = &w->r.mms;
}

static void emit_ss7(const struct media_row *w, size_t i, void *out)
{
    ((const struct ss7_rec **)out)[i] = &w->r.ss7;
}

const struct mms_rec *store_mms(const struct store *s, int64_t id)
{
    const struct media_row *w = table_find(s->mms, id);
    return w ? &w->r.mms : NULL;
}

size_t store_mms_list(const struct store *s, const struct media_filter *f,
                      const struct mms_rec **out)
{
    return table_list(s->mms, f, emit_mms, out);
}

size_t store_mms_count(const struct store *s)
{
    return s->mms->by_id.count;
}

const struct ss7_rec *store_ss7(const struct store *s, int64_t id)
{
    const struct media_row *w = table_find(s->ss7, id);
    return w ? &w->r.ss7 : NULL;
}

size_t store_ss7_list(const struct store *s, const struct media_filter *f,
                      const struct ss7_rec **out)
{
    return table_list(s->ss7, f, emit_ss7, out);
}

size_t store_ss7_count(const struct store *s)
{
    return s->ss7->by_id.count;
}
