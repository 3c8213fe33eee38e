/* metrics — per-thread series tables merged on scrape (see metrics.h).
 *
 * A series is keyed by its family and its label values (each NUL-ended,
 * concatenated).  Values are atomics written only by the owning thread
 * (load + store, no read-modify-write across threads) and read by the
 * scrape; doubles travel as their bit patterns.  Histogram buckets hold
 * per-bucket counts; the scrape makes them cumulative.
 */
#include "common/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/xalloc.h"

#define KEY_MAX 512
#define VALUE_MAX 128

struct series {
    const struct metric_family *f;
    uint64_t hash;
    size_t key_len;
    char *key;
    _Atomic uint64_t value;     /* counter/gauge: double bits; histogram:
                                 * observation count */
    _Atomic uint64_t sum;       /* histogram: double bits */
    _Atomic uint64_t bucket[METRIC_MAX_BUCKETS];
};

struct mthread {
    pthread_mutex_t lock;       /* held to add a series and to scrape */
    struct series **slots;
    size_t cap, n;
    struct mthread *next;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mthread *threads; /* guarded by reg_lock */
static _Thread_local struct mthread *self;

static struct mthread *my_table(void)
{
    if (self == NULL) {
        self = xcalloc(1, sizeof *self);
        pthread_mutex_init(&self->lock, NULL);
        pthread_mutex_lock(&reg_lock);
        self->next = threads;
        threads = self;
        pthread_mutex_unlock(&reg_lock);
    }
    return self;
}

static double to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static uint64_t from_double(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* The key of the label values in ap (n of them); returns its length. */
static size_t make_key(char key[KEY_MAX], unsigned n, va_list ap)
{
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        const char *v = va_arg(ap, const char *);
        size_t l = v ? strnlen(v, VALUE_MAX) : 0;
        if (len + l + 1 > KEY_MAX)
            l = KEY_MAX - len - 1;
        memcpy(key + len, v ? v : "", l);
        len += l;
        key[len++] = '\0';
    }
    return len;
}

static void grow(struct mthread *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct series **slots = xcalloc(cap, sizeof *slots);
    for (size_t i = 0; i < t->cap; i++) {
        struct series *s = t->slots[i];
        if (s == NULL)
            continue;
        size_t j = s->hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = s;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
}

static struct series *find(const struct metric_family *f, const char *key,
                           size_t len)
{
    struct mthread *t = my_table();
    uint64_t h = hash_bytes(key, len, (uint64_t)(uintptr_t)f);
    if (t->cap) {
        for (size_t j = h & (t->cap - 1);; j = (j + 1) & (t->cap - 1)) {
            struct series *s = t->slots[j];
            if (s == NULL)
                break;
            if (s->hash == h && s->f == f && s->key_len == len &&
                memcmp(s->key, key, len) == 0)
                return s;
        }
    }
    struct series *s = xcalloc(1, sizeof *s);
    s->f = f;
    s->hash = h;
    s->key_len = len;
    s->key = xmalloc(len ? len : 1);
    memcpy(s->key, key, len);
    pthread_mutex_lock(&t->lock);
    if ((t->n + 1) * 4 > t->cap * 3)
        grow(t);
    size_t j = h & (t->cap - 1);
    while (t->slots[j])
        j = (j + 1) & (t->cap - 1);
    t->slots[j] = s;
    t->n++;
    pthread_mutex_unlock(&t->lock);
    return s;
}

/* The calling thread's series of f for the label values in ap. */
static struct series *series_of(const struct metric_family *f, va_list ap)
{
    char key[KEY_MAX];
    size_t len = make_key(key, f->n_labels, ap);
    return find(f, key, len);
}

/* Adds v to an atomic holding a double's bits (one writer: the owner). */
static void add_double(_Atomic uint64_t *a, double v)
{
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed);
    atomic_store_explicit(a, from_double(to_double(old) + v),
                          memory_order_relaxed);
}

static void add_count(_Atomic uint64_t *a)
{
    atomic_store_explicit(a, atomic_load_explicit(a, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

void metric_add(const struct metric_family *f, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    struct series *s = series_of(f, ap);
    va_end(ap);
    add_double(&s->value, v);
}

void metric_observe(const struct metric_family *f, double v, ...)
{
    va_list ap;
    va_start(ap, v);
    struct series *s = series_of(f, ap);
    va_end(ap);
    unsigned b = 0;
    while (b < f->n_buckets && v > f->buckets[b])
        b++;
    if (b < f->n_buckets)
        add_count(&s->bucket[b]);
    add_double(&s->sum, v);
    add_count(&s->value);
}

/* ---- scrape ---- */

struct snap {
    size_t fam;                 /* index in the families rendered */
    const char *key;            /* owned by the series (never freed) */
    size_t key_len;
    double value, sum;
    uint64_t count;
    uint64_t bucket[METRIC_MAX_BUCKETS];
};

static int cmp_snap(const void *pa, const void *pb)
{
    const struct snap *a = pa, *b = pb;
    if (a->fam != b->fam)
        return a->fam < b->fam ? -1 : 1;
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    if (c != 0)
        return c;
    return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

void metrics_escape(struct buf *out, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            buf_put_u8(out, '\\');
        if (*p == '\n') {
            buf_put(out, "\\n", 2);
            continue;
        }
        buf_put_u8(out, (uint8_t)*p);
    }
}

static void put_str(struct buf *out, const char *s)
{
    buf_put(out, s, strlen(s));
}

static void put_fmt(struct buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put_fmt(struct buf *out, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_put(out, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* name{l1="v1",...[,le="x"]} */
static void put_series(struct buf *out, const struct metric_family *f,
                       const char *suffix, const struct snap *s,
                       const char *le)
{
    put_str(out, f->name);
    put_str(out, suffix);
    if (f->n_labels == 0 && le == NULL)
        return;
    buf_put_u8(out, '{');
    const char *v = s->key;
    for (unsigned i = 0; i < f->n_labels; i++) {
        if (i)
            buf_put_u8(out, ',');
        put_str(out, f->labels[i]);
        put_str(out, "=\"");
        metrics_escape(out, v);
        buf_put_u8(out, '"');
        v += strlen(v) + 1;
    }
    if (le) {
        if (f->n_labels)
            buf_put_u8(out, ',');
        put_str(out, "le=\"");
        put_str(out, le);
        buf_put_u8(out, '"');
    }
    buf_put_u8(out, '}');
}

static void render_one(struct buf *out, const struct metric_family *f,
                       const struct snap *s)
{
    if (f->kind != METRIC_HISTOGRAM) {
        put_series(out, f, "", s, NULL);
        put_fmt(out, " %.15g\n", s->value);
        return;
    }
    uint64_t cum = 0;
    for (unsigned b = 0; b < f->n_buckets; b++) {
        char le[32];
        snprintf(le, sizeof le, "%g", f->buckets[b]);
        cum += s->bucket[b];
        put_series(out, f, "_bucket", s, le);
        put_fmt(out, " %llu\n", (unsigned long long)cum);
    }
    put_series(out, f, "_bucket", s, "+Inf");
    put_fmt(out, " %llu\n", (unsigned long long)s->count);
    put_series(out, f, "_sum", s, NULL);
    put_fmt(out, " %.15g\n", s->sum);
    put_series(out, f, "_count", s, NULL);
    put_fmt(out, " %llu\n", (unsigned long long)s->count);
}

static size_t family_index(const struct metric_family *const *fams, size_t n,
                           const struct metric_family *f)
{
    for (size_t i = 0; i < n; i++)
        if (fams[i] == f)
            return i;
    return n;
}

void metrics_render(struct buf *out, const struct metric_family *const *fams,
                    size_t n)
{
    struct snap *v = NULL;
    size_t nv = 0, cap = 0;
    pthread_mutex_lock(&reg_lock);
    for (struct mthread *t = threads; t; t = t->next) {
        pthread_mutex_lock(&t->lock);
        for (size_t i = 0; i < t->cap; i++) {
            const struct series *s = t->slots[i];
            if (s == NULL)
                continue;
            size_t fam = family_index(fams, n, s->f);
            if (fam == n)
                continue;
            if (nv == cap) {
                cap = cap ? cap * 2 : 256;
                v = xrealloc(v, cap * sizeof *v);
            }
            struct snap *p = &v[nv++];
            memset(p, 0, sizeof *p);
            p->fam = fam;
            p->key = s->key;
            p->key_len = s->key_len;
            uint64_t val = atomic_load_explicit(&s->value,
                                                memory_order_relaxed);
            if (s->f->kind == METRIC_HISTOGRAM) {
                p->count = val;
                p->sum = to_double(atomic_load_explicit(
                    &s->sum, memory_order_relaxed));
                for (unsigned b = 0; b < s->f->n_buckets; b++)
                    p->bucket[b] = atomic_load_explicit(
                        &s->bucket[b], memory_order_relaxed);
            } else {
                p->value = to_double(val);
            }
        }
        pthread_mutex_unlock(&t->lock);
    }
    pthread_mutex_unlock(&reg_lock);
    if (nv)
        qsort(v, nv, sizeof *v, cmp_snap);
    size_t k = 0;
    for (size_t fi = 0; fi < n; fi++) {
        const struct metric_family *f = fams[fi];
        static const char *const kinds[] = {"counter", "gauge", "histogram"};
        put_str(out, "# HELP ");
        put_str(out, f->name);
        buf_put_u8(out, ' ');
        put_str(out, f->help);
        put_str(out, "\n# TYPE ");
        put_str(out, f->name);
        buf_put_u8(out, ' ');
        put_str(out, kinds[f->kind]);
        buf_put_u8(out, '\n');
        while (k < nv && v[k].fam == fi) {
            struct snap m = v[k++];
            while (k < nv && cmp_snap(&m, &v[k]) == 0) {
                m.value += v[k].value;
                m.sum += v[k].sum;
                m.count += v[k].count;
                for (unsigned b = 0; b < f->n_buckets; b++)
                    m.bucket[b] += v[k].bucket[b];
                k++;
            }
            render_one(out, f, &m);
        }
    }
    free(v);
}
