/* Unit tests of the replicated state machine: command codec, group-commit
 * entries, message lifecycle, timed transitions, request-id dedupe and
 * snapshot round trips — all through the public store/cmd interfaces. */
#include "tests/unit/store_fixture.h"

#define TO "+447700900000"

/* A client's message to TO for dest (NULL: unrouted), under request id
 * key when not NULL; the caller owns it. */
static struct cmd client_cmd(const char *dest, const char *key)
{
    struct cmd c = create_cmd(TO, dest, dest ? ACT_CLIENT_DEST : ACT_UNROUTED);
    if (key) {
        c.key_kind = KEY_CLIENT;
        c.request_id = strdup(key);
    }
    return c;
}

/* A client's message to TO for dest (NULL: unrouted); returns its id. */
static int64_t client_create(struct store *s, int64_t now, const char *dest)
{
    struct cmd c = client_cmd(dest, NULL);
    return create_ok(s, now, &c);
}

static void test_codec_round_trip(void **state)
{
    (void)state;
    struct cmd c = client_cmd("gw", "key-1");
    c.u.create.m.expires = T0 + 5;
    c.u.create.m.tp_dcs_message_class = 2;
    c.u.create.m.status_report_requested = true;
    struct buf b;
    buf_init(&b);
    cmd_encode(&b, &c);
    struct cmd d;
    assert_int_equal(cmd_decode(b.data, b.len, &d), 0);
    assert_string_equal(d.request_id, "key-1");
    assert_string_equal(d.u.create.m.dest_smsc, "gw");
    assert_int_equal(d.u.create.m.expires, T0 + 5);
    assert_int_equal(d.u.create.m.tp_dcs_message_class, 2);
    assert_true(d.u.create.m.status_report_requested);
    assert_null(d.u.create.m.source_imsi);
    cmd_free(&d);
    /* every truncation and a trailing byte are rejected */
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(cmd_decode(b.data, n, &d), -1);
    buf_put_u8(&b, 0);
    assert_int_equal(cmd_decode(b.data, b.len, &d), -1);
    cmd_free(&c);
    buf_free(&b);
}

static void test_bad_entry_changes_nothing(void **state)
{
    (void)state;
    struct store *s = store_new();
    uint8_t junk[48] = {1, 2, 3};
    uint32_t n = 9;
    assert_null(store_apply_entry(s, 1, junk, sizeof junk, &n));
    assert_int_equal(n, 0);
    struct store_counts c;
    store_get_counts(s, &c);
    assert_int_equal(c.total, 0);
    store_free(s);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(msg_backoff_ms(1), 2 * MIN);
    assert_int_equal(msg_backoff_ms(2), 4 * MIN);
    assert_int_equal(msg_backoff_ms(6), 64 * MIN);
    assert_int_equal(msg_backoff_ms(16), 65536 * MIN);
    assert_int_equal(msg_backoff_ms(40), 65536 * MIN);
}

static void test_ids_and_defaults(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t a = client_create(s, T0, "gw"), b = client_create(s, T0 + 1, "gw");
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    const struct msg *m = store_get(s, a);
    assert_int_equal(m->d.inserted_at, T0);
    assert_int_equal(m->d.expires, T0 + 24 * 60 * MIN);
    assert_int_equal(m->d.status, MSG_PENDING);
    /* the clock never runs backwards across entries */
    int64_t c = client_create(s, T0 - 5000, "gw");
    assert_int_equal(store_get(s, c)->d.inserted_at, T0 + 1);
    store_free(s);
}

static void test_queue_fetch(void **state)
{
    (void)state;
    struct store *s = store_new();
    client_create(s, T0, "gw1");
    client_create(s, T0, NULL);
    client_create(s, T0, "gw2");
    client_create(s, T0, "gw1");
    assert_int_equal(fetch(s, "gw1", false), 2);
    assert_int_equal(fetch(s, "gw1", true), 3);
    const struct msg *v[10];
    assert_int_equal(store_fetch(s, "gw1", true, 10, v), 3);
    assert_true(v[0]->id < v[1]->id && v[1]->id < v[2]->id);
    assert_int_equal(fetch(s, "nobody", false), 0);
    store_free(s);
}

static void test_retry_backoff_and_tick(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t id = client_create(s, T0, "gw");
    struct cmd c;
    cmd_init(&c, CMD_MSG_RETRY);
    c.u.id = id;
    struct store_result r = one(s, T0, &c);
    assert_int_equal(r.status, 200);
    const struct msg *m = store_get(s, id);
    assert_int_equal(m->d.delivery_attempts, 1);
    assert_int_equal(m->d.deliver_after, T0 + 2 * MIN);
    assert_int_equal(fetch(s, "gw", false), 0);
    tick(s, T0 + 2 * MIN - 1);
    assert_int_equal(fetch(s, "gw", false), 0);
    tick(s, T0 + 2 * MIN);
    assert_int_equal(fetch(s, "gw", false), 1);
    store_free(s);
}

static void test_transitions(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t id = client_create(s, T0, "gw");
    struct cmd c;
    cmd_init(&c, CMD_MSG_DELIVERED);
    c.u.delivered.id = id;
    assert_int_equal(one(s, T0 + 10, &c).status, 200);
    assert_int_equal(status_of(s, id), MSG_DELIVERED);
    assert_int_equal(store_get(s, id)->d.deliver_time, T0 + 10);
    cmd_init(&c, CMD_MSG_DELIVERED);
    c.u.delivered.id = id;
    assert_int_equal(one(s, T0 + 11, &c).status, 409);
    cmd_init(&c, CMD_MSG_RETRY);
    c.u.id = id;
    assert_int_equal(one(s, T0 + 11, &c).status, 409);
    /* final -> another final is forbidden; final -> pending is a requeue */
    cmd_init(&c, CMD_MSG_PATCH);
    c.u.patch.id = id;
    c.u.patch.mask = PATCH_STATUS;
    c.u.patch.set.status = MSG_FAILED;
    assert_int_equal(one(s, T0 + 12, &c).status, 409);
    cmd_init(&c, CMD_MSG_PATCH);
    c.u.patch.id = id;
    c.u.patch.mask = PATCH_STATUS;
    c.u.patch.set.status = MSG_PENDING;
    assert_int_equal(one(s, T0 + 12, &c).status, 200);
    assert_int_equal(status_of(s, id), MSG_PENDING);
    assert_int_equal(fetch(s, "gw", false), 1);
    cmd_init(&c, CMD_MSG_DELETE);
    c.u.id = 999;
    assert_int_equal(one(s, T0 + 13, &c).status, 404);
    cmd_init(&c, CMD_MSG_DELETE);
    c.u.id = id;
    assert_int_equal(one(s, T0 + 13, &c).status, 204);
    assert_null(store_get(s, id));
    store_free(s);
}

static void test_max_attempts_fails(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct cmd c;
    cmd_init(&c, CMD_SETTINGS);
    c.u.settings.max_delivery_attempts = 2;
    one(s, T0, &c);
    int64_t id = client_create(s, T0, "gw");
    for (int i = 0; i < 2; i++) {
        cmd_init(&c, CMD_MSG_RETRY);
        c.u.id = id;
        assert_int_equal(one(s, T0, &c).status, 200);
    }
    assert_int_equal(status_of(s, id), MSG_FAILED);
    store_free(s);
}

static void test_expiry_deadletter_retention(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct cmd c = client_cmd("gw", NULL);
    c.u.create.m.expires = T0 + 10 * MIN;
    int64_t a = one(s, T0, &c).id;
    int64_t b = client_create(s, T0, "gw"); /* dead letter after 1440 min */
    tick(s, T0 + 10 * MIN);
    assert_int_equal(status_of(s, a), MSG_EXPIRED);
    assert_true(store_get(s, a)->d.deadletter);
    assert_int_equal(status_of(s, b), MSG_PENDING);
    tick(s, T0 + 1440 * MIN);
    assert_int_equal(status_of(s, b), MSG_EXPIRED);
    /* retention: 24 h after becoming final, the message leaves */
    tick(s, T0 + 10 * MIN + 24 * 60 * MIN);
    assert_null(store_get(s, a));
    assert_non_null(store_get(s, b));
    store_free(s);
}

static void test_tick_budget(void **state)
{
    (void)state;
    struct store *s = store_new();
    int n = STORE_TICK_BUDGET + 500;
    struct cmd *cmds = calloc((size_t)n, sizeof *cmds);
    for (int i = 0; i < n; i++) {
        cmds[i] = client_cmd("gw", NULL);
        cmds[i].u.create.m.expires = T0 + MIN;
    }
    store_results_free(apply(s, T0, cmds, (uint32_t)n), (uint32_t)n);
    for (int i = 0; i < n; i++)
        cmd_free(&cmds[i]);
    free(cmds);
    tick(s, T0 + MIN);
    struct store_counts c;
    store_get_counts(s, &c);
    assert_int_equal(c.by_status[MSG_EXPIRED], STORE_TICK_BUDGET);
    tick(s, T0 + MIN + 1000);
    store_get_counts(s, &c);
    assert_int_equal(c.by_status[MSG_EXPIRED], n);
    store_free(s);
}

static void test_dedupe(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct cmd c = client_cmd("gw", "same-key");
    struct store_result r1 = one(s, T0, &c);
    c = client_cmd("gw", "same-key");
    struct store_result r2 = one(s, T0 + 1000, &c);
    assert_int_equal(r1.id, r2.id);
    assert_int_equal(r2.status, 201);
    assert_true(r2.duplicate);
    /* identical texts without a key are two messages */
    c = client_cmd("gw", NULL);
    int64_t x = one(s, T0 + 1000, &c).id;
    c = client_cmd("gw", NULL);
    assert_int_not_equal(one(s, T0 + 1000, &c).id, x);
    /* past fingerprint_ttl_minutes (5) the key is forgotten */
    c = client_cmd("gw", "same-key");
    assert_int_not_equal(one(s, T0 + 5 * MIN + 1, &c).id, r1.id);
    store_free(s);
}

static void test_lease(void **state)
{
    (void)state;
    struct store *s = store_new();
    for (int i = 0; i < 5; i++)
        client_create(s, T0, "gw");
    struct cmd c;
    cmd_init(&c, CMD_MSG_LEASE);
    c.u.lease.smsc = strdup("gw");
    c.u.lease.limit = 3;
    c.u.lease.lease_ms = 30000;
    struct store_result r = one(s, T0, &c);
    assert_int_equal(r.n_ids, 3);
    assert_int_equal(r.ids[0], 1);
    free(r.ids);
    assert_int_equal(fetch(s, "gw", false), 2);
    tick(s, T0 + 30000);
    assert_int_equal(fetch(s, "gw", false), 5);
    store_free(s);
}

static void test_snapshot_round_trip(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct cmd c;
    cmd_init(&c, CMD_INIT);
    c.u.init.cluster_id = strdup("cid");
    c.u.init.settings.max_delivery_attempts = 7;
    one(s, T0, &c);
    for (int i = 0; i < 20; i++)
        client_create(s, T0 + i, i % 2 ? "gw" : NULL);
    c = client_cmd("gw", "k");
    one(s, T0 + 30, &c);
    cmd_init(&c, CMD_MSG_RETRY);
    c.u.id = 3;
    one(s, T0 + 40, &c);
    struct store *t = restored(s);
    assert_string_equal(store_cluster_id(t), "cid");
    assert_int_equal(store_get_settings(t)->max_delivery_attempts, 7);
    assert_int_equal(fetch(t, "gw", true), fetch(s, "gw", true));
    /* the restored store de-duplicates the same key */
    c = client_cmd("gw", "k");
    assert_true(one(t, T0 + 50, &c).duplicate);
    /* a damaged snapshot is refused and changes nothing */
    struct buf a;
    buf_init(&a);
    store_snapshot(s, &a);
    a.data[a.len / 2] ^= 0x5a;
    char err[128];
    int rc = store_restore(t, a.data, a.len - 3, err, sizeof err);
    assert_int_equal(rc, -1);
    assert_string_equal(store_cluster_id(t), "cid");
    buf_free(&a);
    store_free(s);
    store_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_bad_entry_changes_nothing),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_ids_and_defaults),
        cmocka_unit_test(test_queue_fetch),
        cmocka_unit_test(test_retry_backoff_and_tick),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_max_attempts_fails),
        cmocka_unit_test(test_expiry_deadletter_retention),
        cmocka_unit_test(test_tick_budget),
        cmocka_unit_test(test_dedupe),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_snapshot_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
