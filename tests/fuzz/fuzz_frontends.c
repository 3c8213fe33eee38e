/* libFuzzer target: frontend registration records and heartbeat bodies.
 *
 * The input goes (a) to the binary decoder: a record that decodes must
 * re-encode to bytes that decode and re-encode to the same bytes, and
 * render to JSON; and (b), parsed as JSON, to frontend_from_json: each call
 * either succeeds or answers 400/422 with a detail.  An accepted body
 * passes the binary codec, renders to JSON that is itself an accepted body
 * for the same record, and, as a CMD_FE_HEARTBEAT applied twice to a store
 * and followed by a tick, leaves a store whose snapshot restores.  Nothing
 * crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/frontendjson.h"
#include "raft_store/cmd.h"
#include "raft_store/frontends.h"
#include "raft_store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* r encodes to bytes that decode and re-encode to the same bytes. */
static void check_binary(const struct frontend_rec *r)
{
    struct buf b1, b2;
    buf_init(&b1);
    buf_init(&b2);
    frontend_rec_encode(&b1, r);
    struct frontend_rec again;
    struct rd rd;
    rd_init(&rd, b1.data, b1.len);
    CHECK(frontend_rec_decode(&rd, &again) == 0 && rd_done(&rd));
    frontend_rec_encode(&b2, &again);
    CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    frontend_rec_free(&again);
    buf_free(&b1);
    buf_free(&b2);
}

static void binary_case(const uint8_t *data, size_t size)
{
    struct frontend_rec r;
    struct rd rd;
    rd_init(&rd, data, size);
    if (frontend_rec_decode(&rd, &r) != 0) {
        CHECK(rd.err != 0 && r.frontend_name == NULL);
        return;
    }
    check_binary(&r);
    json_decref(frontend_to_json(&r)); /* any stored record renders */
    frontend_rec_free(&r);
}

/* Applies heartbeat r (copied) twice and a tick; the store's snapshot
 * must restore. */
static void apply_case(const struct frontend_rec *r)
{
    struct cmd c;
    cmd_init(&c, CMD_FE_HEARTBEAT);
    frontend_rec_free(&c.u.fe);
    frontend_rec_copy(&c.u.fe, r);
    struct buf b, e;
    buf_init(&b);
    buf_init(&e);
    cmd_encode(&b, &c);
    cmd_free(&c);
    cmd_init(&c, CMD_TICK);
    struct store *s = store_new();
    for (uint64_t i = 1; i <= 3; i++) {
        cmd_batch_begin(&e);
        if (i < 3) {
            cmd_batch_add(&e, b.data, b.len);
        } else {
            buf_reset(&b);
            cmd_encode(&b, &c);
            cmd_batch_add(&e, b.data, b.len);
        }
        /* heartbeats a minute apart, then a tick an hour later */
        cmd_batch_end(&e, 1, 1700000000000LL + (i < 3 ? (int64_t)i * 60000
                                                        : 3600000LL),
                      1, i);
        uint32_t n;
        struct store_result *res = store_apply_entry(s, i, e.data, e.len, &n);
        CHECK(n == 1 && res[0].status == (i == 1 ? 201 : 200));
        store_results_free(res, n);
    }
    struct store_frontend_stats st;
    store_frontend_stats(s, &st);
    CHECK(st.total_registrations == 1 && st.expired_count == 1);
    struct buf snap;
    buf_init(&snap);
    store_snapshot(s, &snap);
    char err[128];
    CHECK(store_restore(s, snap.data, snap.len, err, sizeof err) == 0);
    buf_free(&snap);
    store_free(s);
    cmd_free(&c);
    buf_free(&b);
    buf_free(&e);
}

/* An accepted body: binary codec, render and take back, apply. */
static void check_accepted(const struct frontend_rec *r)
{
    check_binary(r);
    json_t *j = frontend_to_json(r);
    struct frontend_rec back;
    char err[256];
    CHECK(frontend_from_json(j, NULL, &back, err, sizeof err) == 0);
    CHECK(same_str(back.frontend_name, r->frontend_name) &&
          same_str(back.frontend_type, r->frontend_type) &&
          same_str(back.ip_address, r->ip_address) &&
          same_str(back.hostname, r->hostname) &&
          same_str(back.configuration, r->configuration) &&
          back.uptime_seconds == r->uptime_seconds);
    frontend_rec_free(&back);
    json_decref(j);
    apply_case(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    binary_case(data, size);
    json_t *body = json_loadb((const char *)data, size,
                              JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (body == NULL)
        return 0;
    struct frontend_rec r;
    char err[256];
    err[0] = '\0';
    int st = frontend_from_json(body, "192.0.2.1", &r, err, sizeof err);
    if (st == 0)
        check_accepted(&r);
    else
        CHECK((st == 400 || st == 422) && err[0] != '\0');
    frontend_rec_free(&r);
    json_decref(body);
    return 0;
}
