/* hmap — open-addressing hash maps keyed by uint64_t or by string.
 *
 * Both maps use linear probing over a power-of-two slot array, grow by
 * doubling before the load factor would pass 3/4, and delete by backward
 * shift: the entries after a removed slot that would become unreachable are
 * moved back, so there are no tombstones and lookups stop at the first empty
 * slot.  hash_u64 is the splitmix64 finaliser; hash_bytes is wyhash (final
 * version 4) with its default secret — fast and well mixed, not
 * collision-resistant against adversaries.
 */
#include "common/hmap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define HMAP_MIN_CAP 16

/* ---- hashes ------------------------------------------------------------ */

uint64_t hash_u64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static const uint64_t wy_secret[4] = {
    0xa0761d6478bd642fULL,
    0xe7037ed1a0b428dbULL,
    0x8ebc6af09c88c6e3ULL,
    0x589965cc75374cc3ULL,
};

/* 64x64 -> 128 multiply: *a gets the low half, *b the high half. */
static void wy_mum(uint64_t *a, uint64_t *b)
{
#ifdef __SIZEOF_INT128__
    __uint128_t r = (__uint128_t)*a * *b;

    *a = (uint64_t)r;
    *b = (uint64_t)(r >> 64);
#else
    uint64_t ha = *a >> 32, hb = *b >> 32;
    uint64_t la = (uint32_t)*a, lb = (uint32_t)*b;
    uint64_t rh = ha * hb, rm0 = ha * lb, rm1 = hb * la, rl = la * lb;
    uint64_t t = rl + (rm0 << 32);
    uint64_t lo = t + (rm1 << 32);
    uint64_t c = (t < rl) + (lo < t);

    *a = lo;
    *b = rh + (rm0 >> 32) + (rm1 >> 32) + c;
#endif
}

static uint64_t wy_mix(uint64_t a, uint64_t b)
{
    wy_mum(&a, &b);
    return a ^ b;
}

/* Native-endian reads: hashes are only compared within one process. */
static uint64_t wy_r8(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    return v;
}

static uint64_t wy_r4(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return v;
}

static uint64_t wy_r3(const uint8_t *p, size_t k)
{
    return ((uint64_t)p[0] << 16) | ((uint64_t)p[k >> 1] << 8) | p[k - 1];
}

/* Folds inputs longer than 16 bytes down to their last 16 into seed. */
static uint64_t wy_long(const uint8_t **pp, size_t *len, uint64_t seed)
{
    const uint8_t *p = *pp;
    size_t i = *len;

    if (i > 48) {
        uint64_t see1 = seed, see2 = seed;

        do {
            seed = wy_mix(wy_r8(p) ^ wy_secret[1], wy_r8(p + 8) ^ seed);
            see1 = wy_mix(wy_r8(p + 16) ^ wy_secret[2], wy_r8(p + 24) ^ see1);
            see2 = wy_mix(wy_r8(p + 32) ^ wy_secret[3], wy_r8(p + 40) ^ see2);
            p += 48;
            i -= 48;
        } while (i > 48);
        seed ^= see1 ^ see2;
    }
    while (i > 16) {
        seed = wy_mix(wy_r8(p) ^ wy_secret[1], wy_r8(p + 8) ^ seed);
        i -= 16;
        p += 16;
    }
    *pp = p;
    *len = i;
    return seed;
}

uint64_t hash_bytes(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t a, b;

    seed ^= wy_mix(seed ^ wy_secret[0], wy_secret[1]);
    if (n <= 16) {
        if (n >= 4) {
            size_t q = (n >> 3) << 2;

            a = (wy_r4(p) << 32) | wy_r4(p + q);
            b = (wy_r4(p + n - 4) << 32) | wy_r4(p + n - 4 - q);
        } else if (n > 0) {
            a = wy_r3(p, n);
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = n;

        seed = wy_long(&p, &i, seed);
        a = wy_r8(p + i - 16);
        b = wy_r8(p + i - 8);
    }
    a ^= wy_secret[1];
    b ^= seed;
    wy_mum(&a, &b);
    return wy_mix(a ^ wy_secret[0] ^ n, b ^ wy_secret[1]);
}

/* ---- shared probing arithmetic ----------------------------------------- */

/* True when an entry at slot j whose home slot is home may move back to the
 * hole at slot i, i.e. i lies cyclically within [home, j]. */
static bool may_shift(size_t i, size_t j, size_t home, size_t mask)
{
    return ((j - home) & mask) >= ((j - i) & mask);
}

/* True when inserting one more entry would push the load above 3/4. */
static bool needs_grow(size_t count, size_t cap)
{
    return cap == 0 || (count + 1) * 4 > cap * 3;
}

/* ---- hmap_u64 ---------------------------------------------------------- */

void hmap_u64_init(struct hmap_u64 *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

void hmap_u64_free(struct hmap_u64 *m)
{
    free(m->slots);
    hmap_u64_init(m);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t u64_probe(const struct hmap_u64 *m, uint64_t key)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash_u64(key) & mask;

    while (m->slots[i].val != NULL && m->slots[i].key != key)
        i = (i + 1) & mask;
    return i;
}

static void u64_grow(struct hmap_u64 *m)
{
    struct hmap_u64_slot *old = m->slots;
    size_t old_cap = m->cap;

    m->cap = old_cap ? old_cap * 2 : HMAP_MIN_CAP;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].val != NULL)
            m->slots[u64_probe(m, old[i].key)] = old[i];
    free(old);
}

void *hmap_u64_get(const struct hmap_u64 *m, uint64_t key)
{
    if (m->count == 0)
        return NULL;
    return m->slots[u64_probe(m, key)].val;
}

void *hmap_u64_put(struct hmap_u64 *m, uint64_t key, void *val)
{
    struct hmap_u64_slot *s;
    void *prev;

    assert(val != NULL);
    if (needs_grow(m->count, m->cap))
        u64_grow(m);
    s = &m->slots[u64_probe(m, key)];
    prev = s->val;
    if (prev == NULL)
        m->count++;
    s->key = key;
    s->val = val;
    return prev;
}

void *hmap_u64_del(struct hmap_u64 *m, uint64_t key)
{
    size_t mask = m->cap - 1;
    size_t i, j;
    void *val;

    if (m->count == 0)
        return NULL;
    i = u64_probe(m, key);
    val = m->slots[i].val;
    if (val == NULL)
        return NULL;
    for (j = (i + 1) & mask; m->slots[j].val != NULL; j = (j + 1) & mask) {
        size_t home = (size_t)hash_u64(m->slots[j].key) & mask;

        if (may_shift(i, j, home, mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = 0;
    m->slots[i].val = NULL;
    m->count--;
    return val;
}

bool hmap_u64_next(const struct hmap_u64 *m, size_t *pos, uint64_t *key,
                   void **val)
{
    for (size_t i = *pos; i < m->cap; i++) {
        if (m->slots[i].val != NULL) {
            *key = m->slots[i].key;
            *val = m->slots[i].val;
            *pos = i + 1;
            return true;
        }
    }
    *pos = m->cap;
    return false;
}

/* ---- hmap_str ---------------------------------------------------------- */

#define HMAP_STR_SEED 0x736d73632d686d61ULL

static uint64_t str_hash(const char *key)
{
    return hash_bytes(key, strlen(key), HMAP_STR_SEED);
}

void hmap_str_init(struct hmap_str *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

void hmap_str_free(struct hmap_str *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    hmap_str_init(m);
}

static size_t str_probe(const struct hmap_str *m, const char *key,
                        uint64_t hash)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash & mask;

    while (m->slots[i].key != NULL &&
           (m->slots[i].hash != hash || strcmp(m->slots[i].key, key) != 0))
        i = (i + 1) & mask;
    return i;
}

/* Rehashing reuses the stored hashes and never compares keys. */
static size_t str_free_slot(const struct hmap_str *m, uint64_t hash)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)hash & mask;

    while (m->slots[i].key != NULL)
        i = (i + 1) & mask;
    return i;
}

static void str_grow(struct hmap_str *m)
{
    struct hmap_str_slot *old = m->slots;
    size_t old_cap = m->cap;

    m->cap = old_cap ? old_cap * 2 : HMAP_MIN_CAP;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key != NULL)
            m->slots[str_free_slot(m, old[i].hash)] = old[i];
    free(old);
}

void *hmap_str_get(const struct hmap_str *m, const char *key)
{
    if (m->count == 0)
        return NULL;
    return m->slots[str_probe(m, key, str_hash(key))].val;
}

void *hmap_str_put(struct hmap_str *m, const char *key, void *val)
{
    uint64_t hash = str_hash(key);
    struct hmap_str_slot *s;
    void *prev;

    if (needs_grow(m->count, m->cap))
        str_grow(m);
    s = &m->slots[str_probe(m, key, hash)];
    if (s->key == NULL) {
        s->key = xstrdup(key);
        s->hash = hash;
        m->count++;
    }
    prev = s->val;
    s->val = val;
    return prev;
}

void *hmap_str_del(struct hmap_str *m, const char *key)
{
    size_t mask = m->cap - 1;
    size_t i, j;
    void *val;

    if (m->count == 0)
        return NULL;
    i = str_probe(m, key, str_hash(key));
    if (m->slots[i].key == NULL)
        return NULL;
    val = m->slots[i].val;
    free(m->slots[i].key);
    for (j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
        if (may_shift(i, j, (size_t)m->slots[j].hash & mask, mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = NULL;
    m->slots[i].hash = 0;
    m->slots[i].val = NULL;
    m->count--;
    return val;
}

bool hmap_str_next(const struct hmap_str *m, size_t *pos, const char **key,
                   void **val)
{
    for (size_t i = *pos; i < m->cap; i++) {
        if (m->slots[i].key != NULL) {
            *key = m->slots[i].key;
            *val = m->slots[i].val;
            *pos = i + 1;
            return true;
        }
    }
    *pos = m->cap;
    return false;
}

uint64_t hash_stable(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    h = hash_u64(h);
    return h ? h : 1;
}
