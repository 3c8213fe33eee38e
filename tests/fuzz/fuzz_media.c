/* libFuzzer target: MMS message and SS7 event records.
 *
 * The input goes (a) to the two binary decoders: a record that decodes must
 * re-encode to bytes that decode and re-encode to the same bytes, render to
 * JSON, and — as a put command applied to a store, creating and then
 * replacing a row — leave a store whose lists and snapshot round trip; and
 * (b), parsed as JSON, to mms_from_json and ss7_from_json in both modes:
 * each call either succeeds or answers 400/422 with a detail, and an
 * accepted record renders to JSON that CREATE takes back to the same JSON,
 * and passes the binary codec.  Nothing crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/mediajson.h"
#include "raft_store/cmd.h"
#include "raft_store/media.h"
#include "raft_store/store.h"
#include "tests/unit/media_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

/* r encodes to bytes that decode and re-encode to the same bytes. */
static void check_binary(enum kind k, const union rec *r)
{
    struct buf b1, b2;
    buf_init(&b1);
    buf_init(&b2);
    rec_encode(k, &b1, r);
    union rec again;
    struct rd rd;
    rd_init(&rd, b1.data, b1.len);
    CHECK(rec_decode(k, &rd, &again) == 0 && rd_done(&rd));
    rec_encode(k, &b2, &again);
    CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    rec_free(k, &again);
    buf_free(&b1);
    buf_free(&b2);
}

/* Applies a put of r as row id (0: new) through the state machine. */
static int apply_put(struct store *s, enum kind k, const union rec *r,
                     int64_t id, uint64_t index)
{
    struct cmd c;
    cmd_init(&c, k == MMS ? CMD_MMS_PUT : CMD_SS7_PUT);
    union rec *dst = k == MMS ? (union rec *)(void *)&c.u.mms
                              : (union rec *)(void *)&c.u.ss7;
    rec_free(k, dst);
    rec_copy(k, dst, r);
    if (k == MMS)
        c.u.mms.id = id;
    else
        c.u.ss7.id = id;
    struct buf b, e;
    buf_init(&b);
    buf_init(&e);
    cmd_encode(&b, &c);
    cmd_free(&c);
    cmd_batch_begin(&e);
    cmd_batch_add(&e, b.data, b.len);
    cmd_batch_end(&e, 1, 1700000000000LL, 1, 1);
    uint32_t n;
    struct store_result *res = store_apply_entry(s, index, e.data, e.len, &n);
    CHECK(res != NULL && n == 1);
    int status = res[0].status;
    store_results_free(res, n);
    buf_free(&b);
    buf_free(&e);
    return status;
}

/* A decoded record stored twice (create, replace) leaves a store that
 * lists it under its own keys and snapshots round trip. */
static void check_store(enum kind k, const union rec *r)
{
    struct store *s = store_new();
    int st = apply_put(s, k, r, 0, 1);
    CHECK(st == 201 || st == 422);
    CHECK(apply_put(s, k, r, 1, 2) == (st == 201 ? 200 : 422));
    struct media_filter f = {{NULL, NULL, NULL}, 0, 4};
    const void *v[4];
    if (k == MMS) {
        f.key[MMS_KEY_STATUS] = mms_status_name(r->mms.status);
        f.key[MMS_KEY_SOURCE] = r->mms.source_msisdn;
        f.key[MMS_KEY_DESTINATION] = r->mms.destination_msisdn;
        CHECK(store_mms_list(s, &f, (const struct mms_rec **)v) ==
              (st == 201 ? 1u : 0u));
    } else {
        f.key[SS7_KEY_EVENT_TYPE] = r->ss7.event_type;
        f.key[SS7_KEY_MSISDN] = r->ss7.msisdn;
        f.key[SS7_KEY_IMSI] = r->ss7.imsi;
        CHECK(store_ss7_list(s, &f, (const struct ss7_rec **)v) ==
              (st == 201 ? 1u : 0u));
    }
    struct buf a, b;
    buf_init(&a);
    buf_init(&b);
    store_snapshot(s, &a);
    struct store *t = store_new();
    char err[128];
    CHECK(store_restore(t, a.data, a.len, err, sizeof err) == 0);
    store_snapshot(t, &b);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    buf_free(&a);
    buf_free(&b);
    store_free(t);
    store_free(s);
}

static void binary_case(enum kind k, const uint8_t *data, size_t size)
{
    union rec r;
    struct rd rd;
    rd_init(&rd, data, size);
    if (rec_decode(k, &rd, &r) != 0) {
        CHECK(rd.err != 0);
        return;
    }
    check_binary(k, &r);
    json_decref(rec_to_json(k, &r)); /* any stored string renders */
    check_store(k, &r);
    rec_free(k, &r);
}

/* A valid record of each kind, the starting point of a PATCH. */
static const char *const base_body[] = {
    [MMS] = "{\"source_msisdn\":\"+15551234567\","
            "\"destination_msisdn\":\"+447700900000\"}",
    [SS7] = "{\"event_type\":\"MAP_UPDATE_LOCATION\"}",
};

/* An accepted record: JSON -> CREATE -> JSON is stable, binary agrees.
 * (An event not stored yet renders a null timestamp, which a body may
 * only leave out.) */
static void check_accepted(enum kind k, const union rec *r)
{
    char err[256];
    json_t *j1 = rec_to_json(k, r);
    json_t *in = json_deep_copy(j1);
    if (json_is_null(json_object_get(in, "timestamp")))
        json_object_del(in, "timestamp");
    union rec back;
    CHECK(rec_from_json(k, in, &back, MEDIA_JSON_CREATE, err, sizeof err) ==
          0);
    json_decref(in);
    json_t *j2 = rec_to_json(k, &back);
    CHECK(json_equal(j1, j2));
    check_binary(k, r);
    json_decref(j1);
    json_decref(j2);
    rec_free(k, &back);
}

static void json_case(enum kind k, enum media_json_mode mode, json_t *body)
{
    char err[256];
    union rec r;
    if (mode == MEDIA_JSON_PATCH) {
        json_t *base = json_loads(base_body[k], 0, NULL);
        CHECK(rec_from_json(k, base, &r, MEDIA_JSON_CREATE, err,
                            sizeof err) == 0);
        json_decref(base);
    }
    err[0] = '\0';
    int st = rec_from_json(k, body, &r, mode, err, sizeof err);
    if (st == 0)
        check_accepted(k, &r);
    else
        CHECK((st == 400 || st == 422) && err[0] != '\0');
    rec_free(k, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    binary_case(MMS, data, size);
    binary_case(SS7, data, size);
    json_t *body = json_loadb((const char *)data, size,
                              JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (body == NULL)
        return 0;
    for (int k = MMS; k <= SS7; k++) {
        json_case((enum kind)k, MEDIA_JSON_CREATE, body);
        json_case((enum kind)k, MEDIA_JSON_PATCH, body);
    }
    json_decref(body);
    return 0;
}
