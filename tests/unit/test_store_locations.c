/* Unit tests of the store's subscriber locations (upsert by IMSI, the live
 * registration of an MSISDN, expiry and delete), the queue fetch that
 * follows a subscriber's location and merges it with routed messages under
 * leases, and snapshot round trips of a store holding some of everything —
 * through the public store/cmd interfaces only, one entry per command as in
 * test_store.c. */
#include "tests/unit/store_fixture.h"

/* ---- locations ---- */

static struct store_result put_loc(struct store *s, int64_t now,
                                   const char *msisdn, const char *imsi,
                                   const char *where, bool registered,
                                   int64_t expires)
{
    struct cmd c;
    cmd_init(&c, CMD_LOC_PUT);
    c.node = strdup(NODE);
    c.u.loc.by_imsi = true;
    c.u.loc.rec.msisdn = strdup(msisdn);
    c.u.loc.rec.imsi = strdup(imsi);
    c.u.loc.rec.location = strdup(where);
    c.u.loc.rec.registered = registered;
    c.u.loc.rec.expires = expires;
    return one(s, now, &c);
}

static int64_t live_id(const struct store *s, const char *msisdn)
{
    const struct location_rec *l = store_location_by_msisdn(s, msisdn);
    return l ? l->id : 0;
}

static void test_location_upsert(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_result r = put_loc(s, T0, X, "imsi-a", "msc1", true,
                                    TIME_NULL);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.id, 1);
    r = put_loc(s, T0 + 1000, X, "imsi-a", "msc2", true, TIME_NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 1);
    assert_int_equal(store_location_count(s), 1);
    const struct location_rec *l = store_location(s, 1);
    assert_non_null(l);
    assert_string_equal(l->location, "msc2");
    assert_int_equal(l->inserted_at, T0);
    assert_int_equal(l->updated_at, T0 + 1000);
    assert_ptr_equal(store_location_by_imsi(s, "imsi-a"), l);
    assert_ptr_equal(store_location_by_msisdn(s, X), l);
    /* the IMSI moves to another MSISDN: still one registration */
    r = put_loc(s, T0 + 2000, Y, "imsi-a", "msc2", true, TIME_NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 1);
    assert_int_equal(live_id(s, X), 0);
    assert_int_equal(live_id(s, Y), 1);
    /* msisdn and location are required */
    struct cmd c;
    cmd_init(&c, CMD_LOC_PUT);
    c.u.loc.by_imsi = true;
    c.u.loc.rec.msisdn = strdup(Z);
    c.u.loc.rec.imsi = strdup("imsi-z");
    r = one(s, T0 + 3000, &c);
    assert_int_equal(r.status, 422);
    assert_string_equal(r.detail, "msisdn and location are required");
    assert_int_equal(store_location_count(s), 1);
    store_free(s);
}

static void test_location_live(void **state)
{
    (void)state;
    struct store *s = store_new();
    put_loc(s, T0, X, "imsi-a", "msc1", true, TIME_NULL);
    put_loc(s, T0 + 1, X, "imsi-b", "msc2", true, TIME_NULL);
    assert_int_equal(live_id(s, X), 2); /* the newest */
    put_loc(s, T0 + 2, X, "imsi-a", "msc1", true, TIME_NULL);
    assert_int_equal(live_id(s, X), 1);
    put_loc(s, T0 + 3, X, "imsi-a", "msc1", false, TIME_NULL);
    assert_int_equal(live_id(s, X), 2); /* unregistered is not live */
    put_loc(s, T0 + 4, X, "imsi-b", "msc2", false, TIME_NULL);
    assert_int_equal(live_id(s, X), 0);
    const struct location_rec *v[4];
    assert_int_equal(store_locations(s, X, 0, 4, v), 2);
    assert_int_equal(v[0]->id, 1);
    assert_int_equal(v[1]->id, 2);
    assert_int_equal(store_locations(s, Y, 0, 4, v), 0);
    assert_int_equal(live_id(s, Y), 0);
    store_free(s);
}

static void test_location_expiry_and_delete(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t a = put_loc(s, T0, X, "imsi-a", "msc1", true, T0 + HOUR).id;
    int64_t b = put_loc(s, T0, Y, "imsi-b", "msc1", true, TIME_NULL).id;
    tick(s, T0 + HOUR - 1);
    assert_non_null(store_location(s, a));
    assert_int_equal(live_id(s, X), a);
    tick(s, T0 + HOUR);
    assert_null(store_location(s, a));
    assert_null(store_location_by_imsi(s, "imsi-a"));
    assert_int_equal(live_id(s, X), 0);
    assert_int_equal(store_location_count(s), 1);
    assert_int_equal(by_id(s, T0 + HOUR, CMD_LOC_DELETE, b).status, 204);
    assert_null(store_location(s, b));
    assert_int_equal(live_id(s, Y), 0);
    struct store_result r = by_id(s, T0 + HOUR, CMD_LOC_DELETE, b);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.detail, "Location not found");
    assert_int_equal(store_location_count(s), 0);
    store_free(s);
}

/* ---- location-based queue fetch ---- */

static void test_fetch_follows_location(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t id = create(s, T0, X, NULL);
    assert_int_equal(id, 1);
    assert_string_equal(fetched(s, "S", false), "");
    assert_string_equal(fetched(s, "S", true), "1");
    int64_t loc = put_loc(s, T0 + 1, X, "imsi-x", "S", true, TIME_NULL).id;
    assert_string_equal(fetched(s, "S", false), "1");
    assert_string_equal(fetched(s, "S2", false), "");
    put_loc(s, T0 + 2, X, "imsi-x", "S2", true, TIME_NULL); /* moves */
    assert_string_equal(fetched(s, "S", false), "");
    assert_string_equal(fetched(s, "S2", false), "1");
    put_loc(s, T0 + 3, X, "imsi-x", "S2", false, TIME_NULL); /* detached */
    assert_string_equal(fetched(s, "S2", false), "");
    put_loc(s, T0 + 4, X, "imsi-x", "S", true, TIME_NULL);
    assert_string_equal(fetched(s, "S", false), "1");
    assert_int_equal(by_id(s, T0 + 5, CMD_LOC_DELETE, loc).status, 204);
    assert_string_equal(fetched(s, "S", false), "");
    assert_string_equal(fetched(s, "S2", false), "");
    assert_string_equal(fetched(s, "S", true), "1");
    /* the subscriber's IMSI is re-assigned to another MSISDN */
    put_loc(s, T0 + 5, X, "imsi-x", "S", true, TIME_NULL);
    assert_string_equal(fetched(s, "S", false), "1");
    put_loc(s, T0 + 5, Z, "imsi-x", "S", true, TIME_NULL);
    assert_string_equal(fetched(s, "S", false), "");
    /* a message arriving for an already located subscriber */
    put_loc(s, T0 + 6, Y, "imsi-y", "S2", true, TIME_NULL);
    create(s, T0 + 7, Y, NULL);
    assert_string_equal(fetched(s, "S2", false), "2");
    /* once final it is nowhere */
    assert_int_equal(by_id(s, T0 + 8, CMD_MSG_DELIVERED, 2).status, 200);
    assert_string_equal(fetched(s, "S2", false), "");
    assert_string_equal(fetched(s, "S2", true), "1");
    store_free(s);
}

static void test_fetch_merge_and_lease(void **state)
{
    (void)state;
    struct store *s = store_new();
    put_loc(s, T0, X, "imsi-x", "S", true, TIME_NULL);
    create(s, T0 + 1, X, NULL);  /* 1: located at S */
    create(s, T0 + 2, Z, "S");   /* 2: routed to S */
    create(s, T0 + 3, X, NULL);  /* 3: located at S */
    create(s, T0 + 4, Y, NULL);  /* 4: unrouted, no location */
    create(s, T0 + 5, Z, "S2");  /* 5: routed to S2 */
    assert_string_equal(fetched(s, "S", false), "1,2,3");
    assert_string_equal(fetched(s, "S", true), "1,2,3,4");
    assert_string_equal(fetched(s, "S2", false), "5");
    assert_string_equal(fetched(s, "S2", true), "1,3,4,5");
    /* a lease hides what it claimed from every fetch */
    struct store_result r = lease(s, T0 + 10, "S", false, 30000);
    assert_int_equal(r.n_ids, 3);
    assert_int_equal(r.ids[0], 1);
    assert_int_equal(r.ids[2], 3);
    free(r.ids);
    assert_string_equal(fetched(s, "S", false), "");
    assert_string_equal(fetched(s, "S", true), "4");
    assert_string_equal(fetched(s, "S2", true), "4,5");
    /* the subscriber moves while its messages are leased */
    put_loc(s, T0 + 11, X, "imsi-x", "S2", true, TIME_NULL);
    assert_string_equal(fetched(s, "S2", false), "5");
    tick(s, T0 + 10 + 30000 - 1);
    assert_string_equal(fetched(s, "S2", true), "4,5");
    tick(s, T0 + 10 + 30000);
    assert_string_equal(fetched(s, "S", false), "2");
    assert_string_equal(fetched(s, "S2", false), "1,3,5");
    assert_string_equal(fetched(s, "S", true), "1,2,3,4");
    /* a lease with unrouted included claims the unlocated one too */
    r = lease(s, T0 + 40000, "S", true, 30000);
    assert_int_equal(r.n_ids, 4);
    free(r.ids);
    assert_string_equal(fetched(s, "S2", true), "5");
    store_free(s);
}

/* ---- snapshots ---- */

/* A store holding some of everything: tables, locations (one expiring, one
 * unregistered), messages in every state with events, a lease, request
 * ids and a member. */
static struct store *rich_store(void)
{
    struct store *s = store_new();
    struct cmd c;
    cmd_init(&c, CMD_INIT);
    c.u.init.cluster_id = strdup("cid");
    cmd_import_add(&c.u.init.routes, rec_new(true, 0, "i1"));
    cmd_import_add(&c.u.init.rules, rec_new(false, 0, "x1"));
    one(s, T0, &c);
    cmd_init(&c, CMD_NODE_INFO);
    c.u.node_info.name = strdup(NODE);
    c.u.node_info.api_url = strdup("http://127.0.0.1:8080");
    c.u.node_info.raft_id = 1;
    one(s, T0, &c);
    tbl_put(s, T0 + 1, &ROUTES, 0, "r2");
    tbl_put(s, T0 + 1, &ROUTES, 0, "r3");
    by_id(s, T0 + 2, CMD_ROUTE_DELETE, 3);
    tbl_put(s, T0 + 2, &RULES, 1, "x1b");
    put_loc(s, T0 + 3, X, "imsi-x", "S", true, TIME_NULL);
    put_loc(s, T0 + 3, Y, "imsi-y", "S2", true, T0 + HOUR);
    put_loc(s, T0 + 3, Z, "imsi-z", "S", false, TIME_NULL);
    create(s, T0 + 4, X, NULL);                 /* 1 */
    create(s, T0 + 4, Y, NULL);                 /* 2 */
    create(s, T0 + 5, Z, "S");                  /* 3 */
    event_add(s, T0 + 6, 1, "custom", "a note", "frontend-1");
    by_id(s, T0 + 6, CMD_MSG_RETRY, 3);
    c = create_cmd(X, NULL, ACT_AUTO_REPLY);    /* 4, reply 5 */
    c.u.create.reply = reply_new(NULL);
    c.u.create.reply_action = ACT_UNROUTED;
    c.key_kind = KEY_CLIENT;
    c.request_id = strdup("key-1");
    one(s, T0 + 7, &c);
    c = create_cmd(X, NULL, ACT_DROP);          /* 6 */
    one(s, T0 + 7, &c);
    create(s, T0 + 8, X, NULL);                 /* 7 */
    tick(s, T0 + 9);
    struct store_result r = lease(s, T0 + 9, "S", false, 60000);
    assert_int_equal(r.n_ids, 2); /* 1 and 7: 3 waits for its retry */
    free(r.ids);
    return s;
}

/* Asserts that a and b answer the reads alike. */
static void assert_same_reads(const struct store *a, const struct store *b)
{
    char want[512];
    const struct table_case *tcs[] = {&ROUTES, &RULES};
    for (size_t t = 0; t < 2; t++) {
        assert_int_equal(tbl_count(a, tcs[t]), tbl_count(b, tcs[t]));
        for (size_t i = 0; i < tbl_count(a, tcs[t]); i++) {
            struct rec_view x = tbl_at(a, tcs[t], i), w = tbl_at(b, tcs[t], i);
            assert_int_equal(x.id, w.id);
            assert_string_equal(x.desc, w.desc);
            assert_int_equal(x.inserted_at, w.inserted_at);
            assert_int_equal(x.updated_at, w.updated_at);
        }
    }
    static const char *const who[] = {X, Y, Z, FROM};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(live_id(a, who[i]), live_id(b, who[i]));
    assert_int_equal(store_location_count(a), store_location_count(b));
    for (int64_t id = 1; id <= 8; id++) {
        struct ev_log x, w;
        memset(&x, 0, sizeof x);
        memset(&w, 0, sizeof w);
        assert_int_equal(store_events(a, id, ev_collect, &x),
                         store_events(b, id, ev_collect, &w));
        assert_memory_equal(&x, &w, sizeof x);
    }
    static const char *const smscs[] = {"S", "S2", "nobody"};
    for (size_t i = 0; i < 3; i++) {
        for (int u = 0; u < 2; u++) {
            snprintf(want, sizeof want, "%s", fetched(a, smscs[i], u));
            assert_string_equal(fetched(b, smscs[i], u), want);
        }
    }
}

static void test_snapshot_round_trip(void **state)
{
    (void)state;
    struct store *s = rich_store();
    assert_string_equal(fetched(s, "S", false), ""); /* 1, 7 leased */
    assert_string_equal(fetched(s, "S", true), "2,5");
    assert_string_equal(fetched(s, "S2", false), "2");
    uint64_t v = store_routes_version(s);
    struct store *t = restored(s);
    assert_int_not_equal(store_routes_version(t), v);
    assert_same_reads(s, t);
    assert_table(t, &ROUTES, "1:i1,2:r2");
    assert_table(t, &RULES, "1:x1b");
    assert_int_equal(live_id(t, Y), 2);
    /* both apply the same entries (same raft indexes): the lease and Y's
     * registration run out */
    uint64_t first = next_index;
    for (int i = 0; i < 2; i++) {
        struct store *u = i ? t : s;
        next_index = first;
        tick(u, T0 + HOUR);
        assert_int_equal(tbl_put(u, T0 + HOUR, &ROUTES, 0, "r4").id, 4);
        assert_int_equal(put_loc(u, T0 + HOUR, X, "imsi-w", "S3", true,
                                 TIME_NULL).id, 4);
    }
    assert_null(store_location(t, 2));
    assert_string_equal(fetched(t, "S2", false), ""); /* Y's is gone */
    assert_string_equal(fetched(t, "S", false), "3"); /* retry is due */
    assert_same_reads(s, t);
    assert_string_equal(fetched(t, "S3", false), "1,7");
    assert_same_snapshot(s, t);
    store_free(s);
    store_free(t);
}

static void test_snapshot_truncated(void **state)
{
    (void)state;
    struct store *s = rich_store();
    struct buf a, before, after;
    buf_init(&a);
    buf_init(&before);
    buf_init(&after);
    store_snapshot(s, &a);
    struct store *t = store_new();
    char err[128];
    assert_int_equal(store_restore(t, a.data, a.len, err, sizeof err), 0);
    store_snapshot(t, &before);
    size_t step = a.len < 4096 ? 1 : a.len / 4096;
    print_message("snapshot of %zu bytes, cut every %zu\n", a.len, step);
    for (size_t len = 0; len < a.len; len += step) {
        err[0] = '\0';
        if (store_restore(t, a.data, len, err, sizeof err) != -1)
            fail_msg("a snapshot cut to %zu of %zu bytes restored", len,
                     a.len);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(store_restore(t, a.data, a.len - 1, err, sizeof err), -1);
    store_snapshot(t, &after);
    assert_int_equal(before.len, after.len);
    assert_memory_equal(before.data, after.data, before.len);
    assert_same_reads(s, t);
    buf_free(&a);
    buf_free(&before);
    buf_free(&after);
    store_free(s);
    store_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_location_upsert),
        cmocka_unit_test(test_location_live),
        cmocka_unit_test(test_location_expiry_and_delete),
        cmocka_unit_test(test_fetch_follows_location),
        cmocka_unit_test(test_fetch_merge_and_lease),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_snapshot_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
