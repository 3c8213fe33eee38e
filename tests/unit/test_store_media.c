/* Unit tests of the store's MMS message and SS7 event tables: create and
 * replace (ids, times, the SS7 timestamp default), required fields, 404s,
 * delete, filtered lists over the key indexes as rows change keys, the row
 * bound, request-id dedupe, and snapshots (round trip, sections missing or
 * malformed) — through the public store/cmd interfaces only, one entry per
 * command as in test_store.c. */
#include "tests/unit/store_fixture.h"

#include "raft_store/media.h"

/* ---- commands ---- */

/* An MMS put of id (0: a new one) from FROM to `to` with status st. */
static struct store_result put_mms(struct store *s, int64_t now, int64_t id,
                                   const char *to, int st, const char *subject)
{
    struct cmd c;
    cmd_init(&c, CMD_MMS_PUT);
    c.node = strdup(NODE);
    c.u.mms.id = id;
    c.u.mms.source_msisdn = strdup(FROM);
    c.u.mms.destination_msisdn = to ? strdup(to) : NULL;
    c.u.mms.subject = subject ? strdup(subject) : NULL;
    c.u.mms.message_size = 1000;
    c.u.mms.status = (uint8_t)st;
    return one(s, now, &c);
}

/* An SS7 put of id (0: new) of type for msisdn / imsi at time ts. */
static struct store_result put_ss7(struct store *s, int64_t now, int64_t id,
                                   const char *type, const char *msisdn,
                                   const char *imsi, int64_t ts)
{
    struct cmd c;
    cmd_init(&c, CMD_SS7_PUT);
    c.node = strdup(NODE);
    c.u.ss7.id = id;
    c.u.ss7.event_type = type ? strdup(type) : NULL;
    c.u.ss7.msisdn = msisdn ? strdup(msisdn) : NULL;
    c.u.ss7.imsi = imsi ? strdup(imsi) : NULL;
    c.u.ss7.timestamp = ts;
    c.u.ss7.details = strdup("{\"k\":1}");
    return one(s, now, &c);
}

/* ---- lists as "1,3,4" ---- */

static const char *mms_ids(const struct store *s, const char *status,
                           const char *src, const char *dst, size_t offset,
                           size_t limit)
{
    static char out[256];
    const struct mms_rec *v[16];
    struct media_filter f = {{status, src, dst}, offset, limit};
    assert_true(limit <= 16);
    size_t n = store_mms_list(s, &f, v), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%lld",
                                i ? "," : "", (long long)v[i]->id);
    return out;
}

static const char *ss7_ids(const struct store *s, const char *type,
                           const char *msisdn, const char *imsi, size_t offset,
                           size_t limit)
{
    static char out[256];
    const struct ss7_rec *v[16];
    struct media_filter f = {{type, msisdn, imsi}, offset, limit};
    assert_true(limit <= 16);
    size_t n = store_ss7_list(s, &f, v), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%lld",
                                i ? "," : "", (long long)v[i]->id);
    return out;
}

/* ---- MMS ---- */

static void test_mms_create_replace_delete(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_result r = put_mms(s, T0, 0, X, MMS_PENDING, "a");
    assert_int_equal(r.status, 201);
    assert_int_equal(r.id, 1);
    assert_int_equal(put_mms(s, T0 + 1, 0, Y, MMS_PENDING, "b").id, 2);
    const struct mms_rec *m = store_mms(s, 1);
    assert_non_null(m);
    assert_int_equal(m->id, 1);
    assert_string_equal(m->subject, "a");
    assert_int_equal(m->inserted_at, T0);
    assert_int_equal(m->updated_at, T0);
    /* replace: inserted_at stays, updated_at moves, the id is kept */
    r = put_mms(s, T0 + 5000, 1, Z, MMS_DELIVERED, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 1);
    m = store_mms(s, 1);
    assert_null(m->subject);
    assert_string_equal(m->destination_msisdn, Z);
    assert_int_equal(m->status, MMS_DELIVERED);
    assert_int_equal(m->inserted_at, T0);
    assert_int_equal(m->updated_at, T0 + 5000);
    assert_int_equal(store_mms_count(s), 2);
    /* a replace of a row that is not there creates nothing */
    r = put_mms(s, T0 + 6000, 9, X, MMS_PENDING, NULL);
    assert_int_equal(r.status, 404);
    assert_int_equal(r.id, 9);
    assert_string_equal(r.detail, "MMS message not found");
    /* the numbers are required */
    r = put_mms(s, T0 + 6000, 0, NULL, MMS_PENDING, NULL);
    assert_int_equal(r.status, 422);
    assert_string_equal(r.detail,
                        "source_msisdn and destination_msisdn are required");
    assert_int_equal(store_mms_count(s), 2);
    /* delete, then 404 */
    assert_int_equal(by_id(s, T0 + 7000, CMD_MMS_DELETE, 2).status, 204);
    assert_null(store_mms(s, 2));
    r = by_id(s, T0 + 7000, CMD_MMS_DELETE, 2);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.detail, "MMS message not found");
    /* ids are never reused */
    assert_int_equal(put_mms(s, T0 + 8000, 0, X, MMS_PENDING, NULL).id, 3);
    assert_int_equal(store_mms_count(s), 2);
    store_free(s);
}

static void test_mms_lists_follow_key_changes(void **state)
{
    (void)state;
    struct store *s = store_new();
    put_mms(s, T0, 0, X, MMS_PENDING, NULL);   /* 1 */
    put_mms(s, T0, 0, Y, MMS_PENDING, NULL);   /* 2 */
    put_mms(s, T0, 0, X, MMS_FAILED, NULL);    /* 3 */
    put_mms(s, T0, 0, X, MMS_PENDING, NULL);   /* 4 */
    assert_string_equal(mms_ids(s, NULL, NULL, NULL, 0, 16), "1,2,3,4");
    assert_string_equal(mms_ids(s, NULL, NULL, NULL, 1, 2), "2,3");
    assert_string_equal(mms_ids(s, NULL, NULL, NULL, 4, 2), "");
    assert_string_equal(mms_ids(s, "pending", NULL, NULL, 0, 16), "1,2,4");
    assert_string_equal(mms_ids(s, "pending", NULL, NULL, 1, 1), "2");
    assert_string_equal(mms_ids(s, "failed", NULL, NULL, 0, 16), "3");
    assert_string_equal(mms_ids(s, "expired", NULL, NULL, 0, 16), "");
    assert_string_equal(mms_ids(s, NULL, NULL, X, 0, 16), "1,3,4");
    assert_string_equal(mms_ids(s, "pending", NULL, X, 0, 16), "1,4");
    assert_string_equal(mms_ids(s, "pending", FROM, X, 1, 16), "4");
    assert_string_equal(mms_ids(s, NULL, X, NULL, 0, 16), "");
    /* a row moves between buckets when its keys change */
    put_mms(s, T0 + 1, 1, Y, MMS_DELIVERED, NULL);
    assert_string_equal(mms_ids(s, "pending", NULL, NULL, 0, 16), "2,4");
    assert_string_equal(mms_ids(s, "delivered", NULL, Y, 0, 16), "1");
    assert_string_equal(mms_ids(s, NULL, NULL, Y, 0, 16), "1,2");
    by_id(s, T0 + 2, CMD_MMS_DELETE, 3);
    assert_string_equal(mms_ids(s, "failed", NULL, NULL, 0, 16), "");
    assert_string_equal(mms_ids(s, NULL, NULL, X, 0, 16), "4");
    store_free(s);
}

/* ---- SS7 ---- */

static void test_ss7_create_replace_delete(void **state)
{
    (void)state;
    struct store *s = store_new();
    /* no timestamp: the entry's time */
    struct store_result r = put_ss7(s, T0, 0, "MAP_UPDATE_LOCATION", X,
                                    "001001000000001", TIME_NULL);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.id, 1);
    const struct ss7_rec *e = store_ss7(s, 1);
    assert_int_equal(e->timestamp, T0);
    assert_int_equal(e->inserted_at, T0);
    assert_string_equal(e->details, "{\"k\":1}");
    /* a given one is kept */
    r = put_ss7(s, T0 + 1, 0, "MAP_SEND_AUTH_INFO", NULL, NULL, T0 - DAY);
    assert_int_equal(store_ss7(s, r.id)->timestamp, T0 - DAY);
    /* replace: a null timestamp keeps the stored one */
    r = put_ss7(s, T0 + HOUR, 1, "MAP_CANCEL_LOCATION", Y, NULL, TIME_NULL);
    assert_int_equal(r.status, 200);
    e = store_ss7(s, 1);
    assert_string_equal(e->event_type, "MAP_CANCEL_LOCATION");
    assert_int_equal(e->timestamp, T0);
    assert_int_equal(e->inserted_at, T0);
    assert_int_equal(e->updated_at, T0 + HOUR);
    assert_null(e->imsi);
    r = put_ss7(s, T0 + HOUR, 1, "MAP_CANCEL_LOCATION", Y, NULL, T0 + 5);
    assert_int_equal(store_ss7(s, 1)->timestamp, T0 + 5);
    r = put_ss7(s, T0, 0, NULL, X, NULL, TIME_NULL);
    assert_int_equal(r.status, 422);
    assert_string_equal(r.detail, "event_type is required");
    r = put_ss7(s, T0, 7, "X", X, NULL, TIME_NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.detail, "SS7 event not found");
    assert_int_equal(store_ss7_count(s), 2);
    assert_int_equal(by_id(s, T0, CMD_SS7_DELETE, 1).status, 204);
    r = by_id(s, T0, CMD_SS7_DELETE, 1);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.detail, "SS7 event not found");
    assert_int_equal(store_ss7_count(s), 1);
    store_free(s);
}

static void test_ss7_lists(void **state)
{
    (void)state;
    struct store *s = store_new();
    put_ss7(s, T0, 0, "MAP_UPDATE_LOCATION", X, "111110", TIME_NULL); /* 1 */
    put_ss7(s, T0, 0, "MAP_UPDATE_LOCATION", Y, "222220", TIME_NULL); /* 2 */
    put_ss7(s, T0, 0, "MAP_PURGE_MS", X, NULL, TIME_NULL);            /* 3 */
    put_ss7(s, T0, 0, "MAP_UPDATE_LOCATION", X, "111110", TIME_NULL); /* 4 */
    put_ss7(s, T0, 0, "MAP_PURGE_MS", NULL, "111110", TIME_NULL);     /* 5 */
    assert_string_equal(ss7_ids(s, NULL, NULL, NULL, 0, 16), "1,2,3,4,5");
    assert_string_equal(ss7_ids(s, "MAP_UPDATE_LOCATION", NULL, NULL, 0, 16),
                        "1,2,4");
    assert_string_equal(ss7_ids(s, NULL, X, NULL, 0, 16), "1,3,4");
    assert_string_equal(ss7_ids(s, NULL, NULL, "111110", 0, 16), "1,4,5");
    assert_string_equal(ss7_ids(s, "MAP_PURGE_MS", NULL, "111110", 0, 16),
                        "5");
    assert_string_equal(ss7_ids(s, "MAP_UPDATE_LOCATION", X, "111110", 1, 16),
                        "4");
    assert_string_equal(ss7_ids(s, "MAP_UNKNOWN", NULL, NULL, 0, 16), "");
    assert_string_equal(ss7_ids(s, NULL, Z, NULL, 0, 16), "");
    assert_string_equal(ss7_ids(s, NULL, X, NULL, 1, 1), "3");
    put_ss7(s, T0, 3, "MAP_PURGE_MS", Y, "333330", TIME_NULL);
    assert_string_equal(ss7_ids(s, NULL, X, NULL, 0, 16), "1,4");
    assert_string_equal(ss7_ids(s, NULL, Y, NULL, 0, 16), "2,3");
    assert_string_equal(ss7_ids(s, NULL, NULL, "333330", 0, 16), "3");
    store_free(s);
}

/* A retried write (same request id) is applied once. */
static void test_request_id_applied_once(void **state)
{
    (void)state;
    struct store *s = store_new();
    for (int i = 0; i < 2; i++) {
        struct cmd c;
        cmd_init(&c, CMD_SS7_PUT);
        c.key_kind = KEY_CLIENT;
        c.request_id = strdup("key-ss7");
        c.u.ss7.event_type = strdup("MAP_UPDATE_LOCATION");
        struct store_result r = one(s, T0 + i, &c);
        assert_int_equal(r.status, 201);
        assert_int_equal(r.id, 1);
        assert_int_equal(r.duplicate, i == 1);
    }
    assert_int_equal(store_ss7_count(s), 1);
    store_free(s);
}

/* ---- snapshots ---- */

static struct store *media_store(void)
{
    struct store *s = store_new();
    put_mms(s, T0, 0, X, MMS_PENDING, "one");
    put_mms(s, T0 + 1, 0, Y, MMS_FAILED, NULL);
    put_mms(s, T0 + 2, 0, Z, MMS_PENDING, "three");
    by_id(s, T0 + 3, CMD_MMS_DELETE, 2);
    put_ss7(s, T0, 0, "MAP_UPDATE_LOCATION", X, "111110", TIME_NULL);
    put_ss7(s, T0 + 4, 0, "MAP_PURGE_MS", NULL, NULL, T0 - DAY);
    return s;
}

static void assert_same_media(const struct store *a, const struct store *b)
{
    assert_int_equal(store_mms_count(a), store_mms_count(b));
    assert_int_equal(store_ss7_count(a), store_ss7_count(b));
    for (int64_t id = 1; id <= 4; id++) {
        const struct mms_rec *x = store_mms(a, id), *y = store_mms(b, id);
        assert_int_equal(x == NULL, y == NULL);
        if (x) {
            assert_int_equal(x->updated_at, y->updated_at);
            assert_int_equal(x->status, y->status);
        }
        const struct ss7_rec *e = store_ss7(a, id), *f = store_ss7(b, id);
        assert_int_equal(e == NULL, f == NULL);
        if (e)
            assert_int_equal(e->timestamp, f->timestamp);
    }
    char want[256];
    snprintf(want, sizeof want, "%s", mms_ids(a, "pending", NULL, NULL, 0, 16));
    assert_string_equal(mms_ids(b, "pending", NULL, NULL, 0, 16), want);
    snprintf(want, sizeof want, "%s", ss7_ids(a, NULL, X, NULL, 0, 16));
    assert_string_equal(ss7_ids(b, NULL, X, NULL, 0, 16), want);
}

static void test_snapshot_round_trip(void **state)
{
    (void)state;
    struct store *s = media_store();
    struct store *t = restored(s);
    assert_same_media(s, t);
    assert_string_equal(mms_ids(t, NULL, NULL, NULL, 0, 16), "1,3");
    /* the counters came along: no id is reused */
    assert_int_equal(put_mms(t, T0 + 9, 0, X, MMS_PENDING, NULL).id, 4);
    assert_int_equal(put_ss7(t, T0 + 9, 0, "A", X, NULL, TIME_NULL).id, 3);
    store_free(s);
    store_free(t);
}

/* The media sections come last; a snapshot without them (cut after the
 * locations) is refused like any truncated one, and so is one cut inside
 * them. */
static void test_snapshot_without_media_sections(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct buf a;
    buf_init(&a);
    store_snapshot(s, &a);
    /* empty sections: next_id 1 (svar 0x02), count 0, twice; then the
     * empty outbox (head 1, last 0, left_out 0, not shared, no acks, no
     * items) and no restore in progress */
    static const uint8_t empty[] = {0x02, 0x00, 0x02, 0x00, 0x02, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0x00};
    assert_true(a.len > sizeof empty);
    assert_memory_equal(a.data + a.len - sizeof empty, empty, sizeof empty);
    struct store *t = media_store();
    char err[128];
    for (size_t cut = 1; cut <= sizeof empty; cut++)
        assert_int_equal(store_restore(t, a.data, a.len - cut, err,
                                       sizeof err), -1);
    assert_int_equal(store_mms_count(t), 2); /* unchanged */
    assert_int_equal(store_ss7_count(t), 2);
    assert_int_equal(store_restore(t, a.data, a.len, err, sizeof err), 0);
    assert_int_equal(store_mms_count(t), 0);
    assert_int_equal(put_mms(t, T0, 0, X, MMS_PENDING, NULL).id, 1);
    buf_free(&a);
    store_free(s);
    store_free(t);
}

/* the outbox (head 1, last 0, left_out 0, not shared, no acks, no items)
 * and no restore in progress */
static const uint8_t empty_outbox[] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x00};

/* The snapshot of an empty store with mms_section and ss7_section for its
 * media sections. */
static void snapshot_with(struct buf *out, const struct buf *mms,
                          const struct buf *ss7)
{
    struct store *s = store_new();
    store_snapshot(s, out);
    out->len -= 4 + sizeof empty_outbox;
    buf_put(out, mms->data, mms->len);
    buf_put(out, ss7->data, ss7->len);
    buf_put(out, empty_outbox, sizeof empty_outbox);
    store_free(s);
}

static void put_row(struct buf *b, int64_t id, const char *to)
{
    struct mms_rec m;
    mms_rec_init(&m);
    m.id = id;
    m.source_msisdn = (char *)FROM;
    m.destination_msisdn = (char *)to;
    mms_rec_encode(b, &m);
}

static void test_snapshot_bad_sections(void **state)
{
    (void)state;
    static const struct {
        int64_t next_id;
        uint64_t count;
        int64_t ids[2];
        const char *to;
    } cases[] = {
        {3, 2, {1, 2}, X},    /* fine */
        {2, 2, {1, 2}, X},    /* id not below next_id */
        {3, 2, {2, 1}, X},    /* ids not increasing */
        {3, 2, {1, 1}, X},    /* a duplicate */
        {3, 2, {1, 2}, NULL}, /* a required field missing */
        {3, 3, {1, 2}, X},    /* fewer rows than counted */
        {0, 0, {0, 0}, X},    /* next_id below 1 */
    };
    static const uint8_t empty_ss7[] = {0x02, 0x00};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf mms, ss7, snap;
        buf_init(&mms);
        buf_init(&ss7);
        buf_init(&snap);
        buf_put_svar(&mms, cases[i].next_id);
        buf_put_uvar(&mms, cases[i].count);
        for (size_t j = 0; j < 2 && cases[i].ids[j]; j++)
            put_row(&mms, cases[i].ids[j], cases[i].to);
        buf_put(&ss7, empty_ss7, sizeof empty_ss7);
        snapshot_with(&snap, &mms, &ss7);
        struct store *t = store_new();
        char err[128];
        int want = i == 0 ? 0 : -1;
        if (store_restore(t, snap.data, snap.len, err, sizeof err) != want)
            fail_msg("case %zu", i);
        assert_int_equal(store_mms_count(t), i == 0 ? 2 : 0);
        store_free(t);
        buf_free(&mms);
        buf_free(&ss7);
        buf_free(&snap);
    }
}

/* A table holds at most MEDIA_MAX_ROWS rows: a create past it is 503, a
 * replace still works; a snapshot counting more is refused. */
static void test_row_bound(void **state)
{
    (void)state;
    struct buf mms, ss7, snap;
    buf_init(&mms);
    buf_init(&ss7);
    buf_init(&snap);
    buf_put_svar(&mms, MEDIA_MAX_ROWS + 1);
    buf_put_uvar(&mms, MEDIA_MAX_ROWS);
    for (int64_t id = 1; id <= MEDIA_MAX_ROWS; id++)
        put_row(&mms, id, X);
    buf_put_svar(&ss7, 1);
    buf_put_uvar(&ss7, 0);
    snapshot_with(&snap, &mms, &ss7);
    struct store *t = store_new();
    char err[128];
    assert_int_equal(store_restore(t, snap.data, snap.len, err, sizeof err), 0);
    assert_int_equal(store_mms_count(t), MEDIA_MAX_ROWS);
    struct store_result r = put_mms(t, T0, 0, X, MMS_PENDING, NULL);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.detail, "MMS message table full (1000000 rows); "
                                  "delete some and retry");
    assert_int_equal(put_mms(t, T0, 5, Y, MMS_FAILED, NULL).status, 200);
    assert_int_equal(by_id(t, T0, CMD_MMS_DELETE, 1).status, 204);
    assert_int_equal(put_mms(t, T0, 0, X, MMS_PENDING, NULL).status, 201);
    store_free(t);

    /* one more row than the bound */
    buf_reset(&mms);
    buf_reset(&snap);
    buf_put_svar(&mms, MEDIA_MAX_ROWS + 2);
    buf_put_uvar(&mms, MEDIA_MAX_ROWS + 1);
    for (int64_t id = 1; id <= MEDIA_MAX_ROWS + 1; id++)
        put_row(&mms, id, X);
    snapshot_with(&snap, &mms, &ss7);
    t = store_new();
    assert_int_equal(store_restore(t, snap.data, snap.len, err, sizeof err),
                     -1);
    store_free(t);
    buf_free(&mms);
    buf_free(&ss7);
    buf_free(&snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mms_create_replace_delete),
        cmocka_unit_test(test_mms_lists_follow_key_changes),
        cmocka_unit_test(test_ss7_create_replace_delete),
        cmocka_unit_test(test_ss7_lists),
        cmocka_unit_test(test_request_id_applied_once),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_snapshot_without_media_sections),
        cmocka_unit_test(test_snapshot_bad_sections),
        cmocka_unit_test(test_row_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
