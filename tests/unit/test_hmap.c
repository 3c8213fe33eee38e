/* Unit tests for common/hmap: the hash functions (reference vectors and
 * distribution), both maps against a reference model, the probing invariant
 * after every backward-shift delete (including clusters that wrap around the
 * end of the slot array), growth, iteration and key ownership.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Distinct non-NULL values to store: addresses inside this array. */
static char vals[1 << 17];

static void *val_of(size_t i)
{
    return &vals[i % sizeof(vals)];
}

static int popcount64(uint64_t x)
{
    return __builtin_popcountll(x);
}

/* ---- invariants -------------------------------------------------------- */

static int is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Every entry must be reachable: no empty slot between its home and it. */
static void check_u64(const struct hmap_u64 *m)
{
    size_t used = 0, mask = m->cap - 1;

    if (m->cap == 0) {
        assert_int_equal(m->count, 0);
        return;
    }
    assert_true(is_pow2(m->cap));
    assert_true(m->count * 4 <= m->cap * 3);
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].val == NULL)
            continue;
        used++;
        for (size_t j = hash_u64(m->slots[i].key) & mask; j != i;
             j = (j + 1) & mask)
            assert_non_null(m->slots[j].val);
    }
    assert_int_equal(used, m->count);
}

static void check_str(const struct hmap_str *m)
{
    size_t used = 0, mask = m->cap - 1;

    if (m->cap == 0) {
        assert_int_equal(m->count, 0);
        return;
    }
    assert_true(is_pow2(m->cap));
    assert_true(m->count * 4 <= m->cap * 3);
    for (size_t i = 0; i < m->cap; i++) {
        const struct hmap_str_slot *s = &m->slots[i];

        if (s->key == NULL)
            continue;
        used++;
        for (size_t j = s->hash & mask; j != i; j = (j + 1) & mask)
            assert_non_null(m->slots[j].key);
    }
    assert_int_equal(used, m->count);
}

/* ---- hashes ------------------------------------------------------------ */

static void test_hash_bytes_vectors(void **state)
{
    /* wyhash final 4 reference vectors (seed = index), little-endian. */
    static const struct {
        const char *s;
        uint64_t h;
    } v[] = {
        {"", 0x0409638ee2bde459ULL},
        {"a", 0xa8412d091b5fe0a9ULL},
        {"abc", 0x32dd92e4b2915153ULL},
        {"message digest", 0x8619124089a3a16bULL},
        {"abcdefghijklmnopqrstuvwxyz", 0x7a43afb61d7f5f40ULL},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         0xff42329b90e50d58ULL},
        {"1234567890123456789012345678901234567890"
         "1234567890123456789012345678901234567890",
         0xc39cab13b115aad3ULL},
    };

    (void)state;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_int_equal(hash_bytes(v[i].s, strlen(v[i].s), i), v[i].h);
#else
    skip();
#endif
}

static void test_hash_bytes_lengths_and_alignment(void **state)
{
    enum { MAXLEN = 130 };
    uint8_t buf[MAXLEN + 8];
    uint64_t seen[MAXLEN + 1];

    (void)state;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(rng() >> 56);
    for (size_t n = 0; n <= MAXLEN; n++) {
        uint8_t copy[MAXLEN + 8];

        seen[n] = hash_bytes(buf, n, 42);
        /* Same bytes at another alignment hash the same. */
        memcpy(copy + 3, buf, n);
        assert_int_equal(hash_bytes(copy + 3, n, 42), seen[n]);
        /* The seed matters. */
        assert_int_not_equal(hash_bytes(buf, n, 43), seen[n]);
        /* Flipping any one bit changes the hash. */
        for (size_t bit = 0; bit < n * 8; bit += 7) {
            copy[3 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_int_not_equal(hash_bytes(copy + 3, n, 42), seen[n]);
            copy[3 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t k = 0; k < n; k++)
            assert_int_not_equal(seen[k], seen[n]);
    }
}

/* Average output bits flipped by one input bit should be close to 32. */
static void test_hash_avalanche(void **state)
{
    long flips_u64 = 0, flips_bytes = 0, trials = 0;

    (void)state;
    for (int t = 0; t < 2000; t++) {
        uint64_t x = rng();
        uint64_t hu = hash_u64(x);
        uint64_t hb = hash_bytes(&x, sizeof(x), 0);

        for (int bit = 0; bit < 64; bit++) {
            uint64_t y = x ^ (1ULL << bit);

            flips_u64 += popcount64(hu ^ hash_u64(y));
            flips_bytes += popcount64(hb ^ hash_bytes(&y, sizeof(y), 0));
            trials++;
        }
    }
    assert_true(flips_u64 > trials * 31 && flips_u64 < trials * 33);
    assert_true(flips_bytes > trials * 31 && flips_bytes < trials * 33);
}

/* Sequential keys spread evenly over buckets (chi-square, 1023 d.o.f.). */
static void test_hash_distribution(void **state)
{
    enum { BUCKETS = 1024, KEYS = 200000 };
    static unsigned cu[BUCKETS], cb[BUCKETS];
    double expect = (double)KEYS / BUCKETS, chi_u = 0, chi_b = 0;

    (void)state;
    for (unsigned i = 0; i < KEYS; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "msg-%u", i);

        cu[hash_u64(i) & (BUCKETS - 1)]++;
        cb[hash_bytes(key, (size_t)n, 7) & (BUCKETS - 1)]++;
    }
    for (int i = 0; i < BUCKETS; i++) {
        chi_u += (cu[i] - expect) * (cu[i] - expect) / expect;
        chi_b += (cb[i] - expect) * (cb[i] - expect) / expect;
    }
    /* Mean 1023, sd ~45: 1250 is five sigma out. */
    assert_true(chi_u < 1250);
    assert_true(chi_b < 1250);
}

static void test_hash_u64_injective_sample(void **state)
{
    enum { N = 1 << 16 };
    uint64_t *h = malloc(N * sizeof(*h));

    (void)state;
    assert_non_null(h);
    assert_int_not_equal(hash_u64(0), 0);
    for (uint64_t i = 0; i < N; i++)
        h[i] = hash_u64(i);
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < i + 64 && j < N; j++)
            assert_int_not_equal(h[i], h[j]);
    free(h);
}

/* ---- hmap_u64 ---------------------------------------------------------- */

static void test_u64_empty(void **state)
{
    struct hmap_u64 m;
    size_t pos = 0;
    uint64_t k;
    void *v;

    (void)state;
    hmap_u64_init(&m);
    assert_null(hmap_u64_get(&m, 1));
    assert_null(hmap_u64_del(&m, 1));
    assert_false(hmap_u64_next(&m, &pos, &k, &v));
    check_u64(&m);
    hmap_u64_free(&m);
    hmap_u64_free(&m); /* idempotent after free */
}

static void test_u64_basic(void **state)
{
    struct hmap_u64 m;
    int a, b, c;

    (void)state;
    hmap_u64_init(&m);
    assert_null(hmap_u64_put(&m, 0, &a));
    assert_null(hmap_u64_put(&m, UINT64_MAX, &b));
    assert_null(hmap_u64_put(&m, 42, &c));
    assert_int_equal(m.count, 3);
    assert_ptr_equal(hmap_u64_get(&m, 0), &a);
    assert_ptr_equal(hmap_u64_get(&m, UINT64_MAX), &b);
    assert_ptr_equal(hmap_u64_get(&m, 42), &c);
    assert_null(hmap_u64_get(&m, 43));

    assert_ptr_equal(hmap_u64_put(&m, 42, &a), &c);
    assert_int_equal(m.count, 3);
    assert_ptr_equal(hmap_u64_get(&m, 42), &a);

    assert_ptr_equal(hmap_u64_del(&m, 0), &a);
    assert_null(hmap_u64_del(&m, 0));
    assert_null(hmap_u64_get(&m, 0));
    assert_int_equal(m.count, 2);
    check_u64(&m);
    hmap_u64_free(&m);
    assert_null(m.slots);
    assert_int_equal(m.count, 0);
}

static void test_u64_growth(void **state)
{
    struct hmap_u64 m;
    size_t last_cap = 0;

    (void)state;
    hmap_u64_init(&m);
    for (uint64_t i = 0; i < 10000; i++) {
        hmap_u64_put(&m, i * 0x10000, val_of(i));
        assert_true(m.count * 4 <= m.cap * 3);
        assert_true(m.cap == last_cap ||
                    m.cap == (last_cap ? last_cap * 2 : 16));
        last_cap = m.cap;
    }
    check_u64(&m);
    assert_int_equal(m.cap, 16384);
    for (uint64_t i = 0; i < 10000; i++)
        assert_ptr_equal(hmap_u64_get(&m, i * 0x10000), val_of(i));
    hmap_u64_free(&m);
}

/* Finds `want` keys whose home slot in a 16-slot table is one of homes[]. */
static void keys_with_homes(const size_t *homes, size_t n, uint64_t *out)
{
    uint64_t k = 1;

    for (size_t i = 0; i < n; i++) {
        while ((hash_u64(k) & 15) != homes[i])
            k++;
        out[i] = k++;
    }
}

/* A 12-entry cluster that wraps from slot 13 round to slot 8; delete each
 * key in turn from a fresh copy and check all the others stay reachable. */
static void test_u64_backward_shift_wraparound(void **state)
{
    static const size_t homes[] = {13, 14, 14, 15, 15, 15, 0, 13, 1, 0, 4, 2};
    enum { N = sizeof(homes) / sizeof(homes[0]) };
    uint64_t keys[N];

    (void)state;
    keys_with_homes(homes, N, keys);
    for (size_t victim = 0; victim < N; victim++) {
        struct hmap_u64 m;

        hmap_u64_init(&m);
        for (size_t i = 0; i < N; i++)
            hmap_u64_put(&m, keys[i], val_of(i));
        assert_int_equal(m.cap, 16);
        check_u64(&m);
        assert_ptr_equal(hmap_u64_del(&m, keys[victim]), val_of(victim));
        check_u64(&m);
        for (size_t i = 0; i < N; i++)
            assert_ptr_equal(hmap_u64_get(&m, keys[i]),
                             i == victim ? NULL : val_of(i));
        /* Then drain the rest in a rotating order. */
        for (size_t i = 1; i < N; i++) {
            size_t j = (victim + i * 5) % N;

            if (hmap_u64_get(&m, keys[j]) == NULL)
                continue;
            assert_ptr_equal(hmap_u64_del(&m, keys[j]), val_of(j));
            check_u64(&m);
        }
        for (size_t i = 0; i < N; i++)
            if (hmap_u64_get(&m, keys[i]) != NULL)
                assert_ptr_equal(hmap_u64_del(&m, keys[i]), val_of(i));
        assert_int_equal(m.count, 0);
        hmap_u64_free(&m);
    }
}

/* Random puts and deletes over a small key universe, so probe clusters are
 * common, checked against a direct-mapped reference after every step. */
static void u64_random_run(uint64_t universe, int steps, int check_every)
{
    void **ref = calloc(universe, sizeof(*ref));
    struct hmap_u64 m;
    size_t live = 0;

    assert_non_null(ref);
    hmap_u64_init(&m);
    for (int step = 0; step < steps; step++) {
        uint64_t k = rng() % universe;
        int op = (int)(rng() % 3);

        if (op == 0) {
            assert_ptr_equal(hmap_u64_del(&m, k), ref[k]);
            live -= ref[k] != NULL;
            ref[k] = NULL;
        } else {
            void *v = val_of((size_t)step);

            assert_ptr_equal(hmap_u64_put(&m, k, v), ref[k]);
            live += ref[k] == NULL;
            ref[k] = v;
        }
        assert_int_equal(m.count, live);
        if (step % check_every == 0) {
            check_u64(&m);
            for (uint64_t i = 0; i < universe; i++)
                assert_ptr_equal(hmap_u64_get(&m, i), ref[i]);
        }
    }
    check_u64(&m);
    hmap_u64_free(&m);
    free(ref);
}

static void test_u64_random_small(void **state)
{
    (void)state;
    u64_random_run(24, 50000, 1);
}

static void test_u64_random_large(void **state)
{
    (void)state;
    u64_random_run(50000, 300000, 10007);
}

static void test_u64_iteration(void **state)
{
    enum { N = 5000 };
    struct hmap_u64 m, m2;
    unsigned char *seen = calloc(N, 1);
    size_t pos = 0, n = 0, pos2 = 0;
    uint64_t k, k2;
    void *v, *v2;

    (void)state;
    assert_non_null(seen);
    hmap_u64_init(&m);
    hmap_u64_init(&m2);
    for (uint64_t i = 0; i < N; i++) {
        hmap_u64_put(&m, i * 7919, val_of(i));
        hmap_u64_put(&m2, i * 7919, val_of(i));
    }
    for (uint64_t i = 0; i < N; i += 3) {
        hmap_u64_del(&m, i * 7919);
        hmap_u64_del(&m2, i * 7919);
    }
    while (hmap_u64_next(&m, &pos, &k, &v)) {
        uint64_t i = k / 7919;

        assert_int_equal(k % 7919, 0);
        assert_true(i < N && i % 3 != 0);
        assert_false(seen[i]);
        seen[i] = 1;
        assert_ptr_equal(v, val_of(i));
        n++;
        /* Same operations, same order. */
        assert_true(hmap_u64_next(&m2, &pos2, &k2, &v2));
        assert_int_equal(k, k2);
    }
    assert_false(hmap_u64_next(&m2, &pos2, &k2, &v2));
    assert_int_equal(n, m.count);
    assert_false(hmap_u64_next(&m, &pos, &k, &v)); /* stays at the end */
    hmap_u64_free(&m);
    hmap_u64_free(&m2);
    free(seen);
}

/* ---- hmap_str ---------------------------------------------------------- */

static void test_str_basic(void **state)
{
    struct hmap_str m;
    char key[16] = "alpha";
    int a, b;

    (void)state;
    hmap_str_init(&m);
    assert_null(hmap_str_get(&m, "alpha"));
    assert_null(hmap_str_del(&m, "alpha"));
    assert_null(hmap_str_put(&m, key, &a));
    /* The map owns a copy: changing the caller's buffer changes nothing. */
    strcpy(key, "beta");
    assert_ptr_equal(hmap_str_get(&m, "alpha"), &a);
    assert_null(hmap_str_get(&m, "beta"));

    assert_null(hmap_str_put(&m, "", &b));
    assert_ptr_equal(hmap_str_get(&m, ""), &b);
    assert_ptr_equal(hmap_str_put(&m, "alpha", &b), &a);
    assert_int_equal(m.count, 2);
    assert_ptr_equal(hmap_str_get(&m, "alpha"), &b);
    assert_null(hmap_str_get(&m, "alph"));
    assert_null(hmap_str_get(&m, "alphaa"));

    assert_ptr_equal(hmap_str_del(&m, ""), &b);
    assert_null(hmap_str_get(&m, ""));
    assert_int_equal(m.count, 1);
    check_str(&m);
    hmap_str_free(&m);
    assert_null(m.slots);
}

static void str_key(char *buf, size_t size, uint64_t i)
{
    snprintf(buf, size, "key:%llu:%s", (unsigned long long)i,
             i % 5 == 0 ? "a-rather-longer-suffix-past-48-bytes-0123456789"
                        : "");
}

static void test_str_many(void **state)
{
    enum { N = 20000 };
    struct hmap_str m;
    char key[96];
    size_t pos = 0, n = 0;
    const char *k;
    void *v;

    (void)state;
    hmap_str_init(&m);
    for (uint64_t i = 0; i < N; i++) {
        str_key(key, sizeof(key), i);
        assert_null(hmap_str_put(&m, key, val_of(i)));
    }
    check_str(&m);
    for (uint64_t i = 0; i < N; i += 2) {
        str_key(key, sizeof(key), i);
        assert_ptr_equal(hmap_str_del(&m, key), val_of(i));
    }
    check_str(&m);
    assert_int_equal(m.count, N / 2);
    for (uint64_t i = 0; i < N; i++) {
        str_key(key, sizeof(key), i);
        assert_ptr_equal(hmap_str_get(&m, key), i % 2 ? val_of(i) : NULL);
    }
    while (hmap_str_next(&m, &pos, &k, &v)) {
        unsigned long long i = strtoull(k + 4, NULL, 10);

        str_key(key, sizeof(key), i);
        assert_string_equal(k, key);
        assert_ptr_equal(v, val_of(i));
        assert_true(i % 2 == 1);
        n++;
    }
    assert_int_equal(n, N / 2);
    hmap_str_free(&m); /* ASan's leak check covers the key copies */
}

/* The home slot of key in a 16-slot map: where it lands when alone. */
static size_t str_home16(const char *key)
{
    struct hmap_str probe;
    size_t home = 0;

    hmap_str_init(&probe);
    hmap_str_put(&probe, key, val_of(0));
    assert_int_equal(probe.cap, 16);
    while (probe.slots[home].key == NULL)
        home++;
    hmap_str_free(&probe);
    return home;
}

/* Finds n strings whose home slot in a 16-slot map is one of homes[]. */
static void str_keys_with_homes(const size_t *homes, size_t n, char (*out)[16])
{
    unsigned k = 0;

    for (size_t i = 0; i < n; i++) {
        do
            snprintf(out[i], sizeof(out[i]), "k%u", k++);
        while (str_home16(out[i]) != homes[i]);
    }
}

static void test_str_backward_shift_wraparound(void **state)
{
    static const size_t homes[] = {14, 15, 15, 14, 0, 0, 1, 15, 3, 1, 2, 14};
    enum { N = sizeof(homes) / sizeof(homes[0]) };
    char keys[N][16];

    (void)state;
    str_keys_with_homes(homes, N, keys);
    for (size_t victim = 0; victim < N; victim++) {
        struct hmap_str m;

        hmap_str_init(&m);
        for (size_t i = 0; i < N; i++)
            hmap_str_put(&m, keys[i], val_of(i));
        assert_int_equal(m.cap, 16);
        check_str(&m);
        assert_ptr_equal(hmap_str_del(&m, keys[victim]), val_of(victim));
        check_str(&m);
        for (size_t i = 0; i < N; i++)
            assert_ptr_equal(hmap_str_get(&m, keys[i]),
                             i == victim ? NULL : val_of(i));
        for (size_t i = 1; i < N; i++) {
            size_t j = (victim + i * 7) % N;

            assert_ptr_equal(hmap_str_del(&m, keys[j]), val_of(j));
            check_str(&m);
        }
        assert_int_equal(m.count, 0);
        hmap_str_free(&m);
    }
}

static void test_str_random(void **state)
{
    enum { UNIVERSE = 40, STEPS = 40000 };
    void *ref[UNIVERSE] = {0};
    struct hmap_str m;
    char key[96];

    (void)state;
    hmap_str_init(&m);
    for (int step = 0; step < STEPS; step++) {
        uint64_t k = rng() % UNIVERSE;

        str_key(key, sizeof(key), k);
        if (rng() % 3 == 0) {
            assert_ptr_equal(hmap_str_del(&m, key), ref[k]);
            ref[k] = NULL;
        } else {
            assert_ptr_equal(hmap_str_put(&m, key, val_of((size_t)step + 1)),
                             ref[k]);
            ref[k] = val_of((size_t)step + 1);
        }
        check_str(&m);
    }
    for (uint64_t k = 0; k < UNIVERSE; k++) {
        str_key(key, sizeof(key), k);
        assert_ptr_equal(hmap_str_get(&m, key), ref[k]);
    }
    hmap_str_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_bytes_vectors),
        cmocka_unit_test(test_hash_bytes_lengths_and_alignment),
        cmocka_unit_test(test_hash_avalanche),
        cmocka_unit_test(test_hash_distribution),
        cmocka_unit_test(test_hash_u64_injective_sample),
        cmocka_unit_test(test_u64_empty),
        cmocka_unit_test(test_u64_basic),
        cmocka_unit_test(test_u64_growth),
        cmocka_unit_test(test_u64_backward_shift_wraparound),
        cmocka_unit_test(test_u64_random_small),
        cmocka_unit_test(test_u64_random_large),
        cmocka_unit_test(test_u64_iteration),
        cmocka_unit_test(test_str_basic),
        cmocka_unit_test(test_str_many),
        cmocka_unit_test(test_str_backward_shift_wraparound),
        cmocka_unit_test(test_str_random),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
