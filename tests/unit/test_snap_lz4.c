/* Unit tests of compressed snapshots (raft_store/snap_lz4.c) and of the
 * streaming buffer under them (buf_init_sink): a store's snapshot written
 * through the compressor decodes to the very bytes store_snapshot writes
 * and restores to the same store; a sink sees every byte in order, also
 * writes longer than its chunk; truncated, corrupted, padded and
 * oversized inputs are refused with a reason; a destination too small
 * fails cleanly. */
#include "tests/unit/store_fixture.h"

#include "raft_store/snap_lz4.h"

/* ---- the sink buffer ---- */

static void collect(const uint8_t *p, size_t n, void *arg)
{
    struct buf *all = arg;
    assert_true(n > 0);
    buf_put(all, p, n);
}

static void test_sink_passes_every_byte_in_order(void **state)
{
    (void)state;
    struct buf all, sink, want;
    buf_init(&all);
    buf_init(&want);
    buf_init_sink(&sink, 64, collect, &all);
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 7);
    for (int i = 0; i < 500; i++) {
        buf_put_uvar(&sink, (uint64_t)i * 977);
        buf_put_uvar(&want, (uint64_t)i * 977);
        buf_put_str(&sink, i % 3 ? "a string of some length" : NULL);
        buf_put_str(&want, i % 3 ? "a string of some length" : NULL);
        if (i % 100 == 0) { /* longer than the chunk */
            buf_put(&sink, big, sizeof big);
            buf_put(&want, big, sizeof big);
        }
    }
    buf_flush(&sink);
    assert_int_equal(sink.len, 0);
    assert_int_equal(all.len, want.len);
    assert_memory_equal(all.data, want.data, want.len);
    buf_free(&sink);
    buf_free(&all);
    buf_free(&want);
}

/* ---- compressed snapshots ---- */

/* A store of n messages with varied bodies. */
static struct store *filled(int n)
{
    struct store *s = store_new();
    for (int i = 0; i < n; i++) {
        char to[32], body[64];
        snprintf(to, sizeof to, "+4477009%05d", i);
        snprintf(body, sizeof body, "message %d of the test, %x", i, i * 7919);
        struct cmd c = create_cmd(to, "smsc-a", ACT_FORWARD);
        free(c.u.create.m.message_body);
        c.u.create.m.message_body = strdup(body);
        create_ok(s, T0 + i, &c);
    }
    return s;
}

/* s's snapshot compressed into a heap destination of cap bytes; its
 * length (or -1), the plain encoding in *plain. */
static long long compress(const struct store *s, uint8_t *dst, size_t cap,
                          struct buf *plain)
{
    struct snap_lz4_out z;
    buf_init(plain);
    store_snapshot(s, plain);
    assert_int_equal(snap_lz4_out_begin(&z, dst, cap), 0);
    store_snapshot(s, &z.in);
    return snap_lz4_out_end(&z);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct store *s = filled(3000);
    struct buf plain;
    size_t cap = 4u << 20;
    uint8_t *dst = malloc(cap);
    long long len = compress(s, dst, cap, &plain);
    assert_true(len > 0);
    assert_true((size_t)len < plain.len / 2);
    assert_true(snap_lz4_is_frame(dst, (size_t)len));
    assert_false(snap_lz4_is_frame(plain.data, plain.len));
    assert_int_equal(snap_lz4_plain_len(dst, (size_t)len), plain.len);

    uint8_t *out;
    size_t out_len;
    char err[160];
    assert_int_equal(snap_lz4_decode(dst, (size_t)len, plain.len, &out,
                                     &out_len, err, sizeof err), 0);
    assert_int_equal(out_len, plain.len);
    assert_memory_equal(out, plain.data, plain.len);
    struct store *t = store_new();
    assert_int_equal(store_restore(t, out, out_len, err, sizeof err), 0);
    assert_same_snapshot(s, t);
    store_free(t);
    free(out);
    free(dst);
    buf_free(&plain);
    store_free(s);
}

static void refused(const uint8_t *p, size_t len, size_t max,
                    const char *reason)
{
    uint8_t *out = (uint8_t *)"untouched";
    size_t out_len = 99;
    char err[160] = "";
    assert_int_equal(snap_lz4_decode(p, len, max, &out, &out_len, err,
                                     sizeof err), -1);
    assert_null(out);
    assert_int_equal(out_len, 0);
    if (strstr(err, reason) == NULL)
        fail_msg("error '%s' does not say '%s'", err, reason);
}

static void test_bad_input_is_refused(void **state)
{
    (void)state;
    struct store *s = filled(500);
    struct buf plain;
    size_t cap = 1u << 20;
    uint8_t *dst = malloc(cap + 16);
    long long len = compress(s, dst, cap, &plain);
    assert_true(len > 0);
    size_t n = (size_t)len;

    refused(plain.data, plain.len, 1u << 30, "not a compressed snapshot");
    refused(dst, 3, 1u << 30, "not a compressed snapshot");
    refused(dst, n, plain.len - 1, "more than");
    for (size_t cut = SNAP_LZ4_HDR; cut < n; cut += n / 17 + 1)
        refused(dst, cut, 1u << 30, "compressed snapshot");
    memset(dst + n, 0, 16);
    refused(dst, n + 16, 1u << 30, "compressed snapshot");

    /* a flipped byte in the body: the checksum or the format says so */
    uint8_t *bad = malloc(n);
    memcpy(bad, dst, n);
    bad[n / 2] ^= 0x55;
    refused(bad, n, 1u << 30, "compressed snapshot");
    /* declaring fewer bytes than the frame holds */
    memcpy(bad, dst, n);
    bad[4] = (uint8_t)(bad[4] - 1);
    refused(bad, n, 1u << 30, "compressed snapshot");
    /* declaring more than it holds */
    memcpy(bad, dst, n);
    bad[4] = (uint8_t)(bad[4] + 1);
    refused(bad, n, 1u << 30, "shorter than it declares");
    free(bad);
    free(dst);
    buf_free(&plain);
    store_free(s);
}

static void test_destination_too_small_fails(void **state)
{
    (void)state;
    struct store *s = filled(2000);
    struct buf plain;
    uint8_t dst[4096];
    assert_int_equal(compress(s, dst, sizeof dst, &plain), -1);
    buf_free(&plain);
    struct snap_lz4_out z;
    assert_int_equal(snap_lz4_out_begin(&z, dst, 8), -1);
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sink_passes_every_byte_in_order),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_input_is_refused),
        cmocka_unit_test(test_destination_too_small_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
