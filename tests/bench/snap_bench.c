/* snap_bench — micro-benchmark of the store's snapshot: encoding it (what a
 * node's snapshot child does) and restoring it (what a restarting node
 * does), with N pending messages (default 1,000,000).
 *
 * The messages are created through store_apply_entry, eight create
 * commands to an entry as group commit packs them, each shaped like the
 * load generator's: numbers, a numbered 32-byte body, source and
 * destination SMSC, the origin node and a request id.  Prints, each a
 * median of three: the plain encoding (into a growing heap buffer) and the
 * compressed one a node's snapshot child writes (raft_store/snap_lz4.h,
 * into fresh memory), with their sizes, and the restore of each.
 *
 *   make bench-micro     (or build/bench/snap_bench [N])
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "raft_store/cmd.h"
#include "raft_store/snap_lz4.h"
#include "raft_store/store.h"

#define PER_ENTRY 8
#define T0 1700000000000LL

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void encode_create(struct buf *c, long i)
{
    char to[32], body[48], rid[32];
    struct cmd cmd;

    snprintf(to, sizeof to, "+4477009%05ld", i % 100000);
    snprintf(body, sizeof body, "bench message %010ld padding..", i);
    snprintf(rid, sizeof rid, "bench-%ld", i);
    cmd_init(&cmd, CMD_MSG_CREATE);
    cmd.node = strdup("node1");
    cmd.key_kind = KEY_NODE;
    cmd.request_id = strdup(rid);
    struct msg_data *m = &cmd.u.create.m;
    m->source_msisdn = strdup("+15551234567");
    m->destination_msisdn = strdup(to);
    m->message_body = strdup(body);
    m->source_smsc = strdup("bench");
    m->dest_smsc = strdup("bench_gw");
    m->origin_node = strdup("node1");
    cmd.u.create.action = ACT_FORWARD;
    buf_reset(c);
    cmd_encode(c, &cmd);
    cmd_free(&cmd);
}

static void fill(struct store *s, long n)
{
    struct buf e, c;
    uint64_t index = 0;

    buf_init(&e);
    buf_init(&c);
    for (long i = 0; i < n; i += PER_ENTRY) {
        uint32_t k = 0, got = 0;

        buf_reset(&e);
        cmd_batch_begin(&e);
        for (; k < PER_ENTRY && i + k < n; k++) {
            encode_create(&c, i + k);
            cmd_batch_add(&e, c.data, c.len);
        }
        cmd_batch_end(&e, k, T0 + i / 16, 1, index + 1);
        struct store_result *r = store_apply_entry(s, ++index, e.data, e.len,
                                                   &got);
        if (got != k || r[0].status != 201) {
            fprintf(stderr, "snap_bench: create failed (status %d)\n",
                    r[0].status);
            exit(1);
        }
        store_results_free(r, got);
    }
    buf_free(&e);
    buf_free(&c);
}

static double median3(double *v)
{
    qsort(v, 3, sizeof *v, cmp_double);
    return v[1];
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    struct store *s = store_new();
    double enc[3], dec[3], zenc[3], zdec[3];
    struct buf b;
    long long zlen = 0;
    char err[160];

    if (n <= 0) {
        fprintf(stderr, "usage: snap_bench [MESSAGES]\n");
        return 2;
    }
    fill(s, n);
    buf_init(&b);
    for (int i = 0; i < 3; i++) {
        buf_free(&b);
        double t = now_s();
        store_snapshot(s, &b);
        enc[i] = now_s() - t;
    }
    size_t cap = b.len + (1u << 20);
    uint8_t *z = NULL;
    for (int i = 0; i < 3; i++) {
        struct snap_lz4_out out;
        free(z);
        double t = now_s();
        z = malloc(cap);
        if (z == NULL || snap_lz4_out_begin(&out, z, cap) != 0) {
            fprintf(stderr, "snap_bench: cannot start LZ4\n");
            return 1;
        }
        store_snapshot(s, &out.in);
        zlen = snap_lz4_out_end(&out);
        zenc[i] = now_s() - t;
        if (zlen <= 0) {
            fprintf(stderr, "snap_bench: compression failed\n");
            return 1;
        }
    }
    for (int i = 0; i < 3; i++) {
        struct store *t = store_new();
        double t0 = now_s();
        if (store_restore(t, b.data, b.len, err, sizeof err) != 0) {
            fprintf(stderr, "snap_bench: restore: %s\n", err);
            return 1;
        }
        dec[i] = now_s() - t0;
        store_free(t);
    }
    for (int i = 0; i < 3; i++) {
        struct store *t = store_new();
        uint8_t *plain;
        size_t plain_len;
        double t0 = now_s();
        if (snap_lz4_decode(z, (size_t)zlen, b.len, &plain, &plain_len, err,
                            sizeof err) != 0 ||
            store_restore(t, plain, plain_len, err, sizeof err) != 0) {
            fprintf(stderr, "snap_bench: compressed restore: %s\n", err);
            return 1;
        }
        zdec[i] = now_s() - t0;
        free(plain);
        store_free(t);
    }
    printf("snapshot of %ld messages (median of 3):\n"
           "  plain       %10zu bytes (%3.0f B/msg)  encode %.3f s  "
           "restore %.3f s\n"
           "  compressed  %10lld bytes (%3.0f B/msg)  encode %.3f s  "
           "restore %.3f s\n",
           n, b.len, (double)b.len / (double)n, median3(enc), median3(dec),
           zlen, (double)zlen / (double)n, median3(zenc), median3(zdec));
    free(z);
    buf_free(&b);
    store_free(s);
    return 0;
}
