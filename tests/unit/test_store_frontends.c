/* Unit tests of the store's frontend registry: register and refresh by
 * CMD_FE_HEARTBEAT, expiry and purge driven by CMD_TICK through the
 * deadline heap (exactly at the boundary, stale deadlines skipped, a
 * settings change applied at once), the history, stats and list reads,
 * the row cap, and snapshot round trips — through the public store/cmd
 * interfaces only, as test_store_locations.c does. */
#include "tests/unit/store_fixture.h"

#define SEC 1000LL
#define TIMEOUT (90 * SEC) /* the default frontend_timeout_seconds */

/* A heartbeat command from frontend name with address ip (NULL: none);
 * the caller owns it. */
static struct cmd hb_cmd(const char *name, const char *ip)
{
    struct cmd c;
    cmd_init(&c, CMD_FE_HEARTBEAT);
    c.node = strdup(NODE);
    c.u.fe.frontend_name = strdup(name);
    c.u.fe.frontend_type = strdup("smpp");
    c.u.fe.ip_address = ip ? strdup(ip) : NULL;
    return c;
}

static struct store_result heartbeat(struct store *s, int64_t now,
                                     const char *name, const char *ip)
{
    struct cmd c = hb_cmd(name, ip);
    return one(s, now, &c);
}

static const char *status_of_fe(const struct store *s, int64_t id)
{
    const struct frontend_rec *f = store_frontend(s, id);
    return f ? frontend_status_name(f->status) : "gone";
}

/* The ids of name's history, newest first, as "3,1" ("-" when unknown). */
static const char *history(const struct store *s, const char *name)
{
    static char out[256];
    const struct frontend_rec *v[32];
    long n = store_frontend_history(s, name, 0, 32, v);
    size_t len = 0;
    if (n < 0)
        return "-";
    out[0] = '\0';
    for (long i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%lld",
                                i ? "," : "", (long long)v[i]->id);
    return out;
}

/* The list read as "name:id" pairs. */
static const char *listing(const struct store *s, bool active_only)
{
    static char out[256];
    const struct frontend_rec *v[32];
    size_t n = store_frontends(s, active_only, 0, 32, v), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s:%lld",
                                i ? "," : "", v[i]->frontend_name,
                                (long long)v[i]->id);
    return out;
}

static void assert_stats(const struct store *s, uint64_t active,
                         uint64_t expired, uint64_t unique, uint64_t total)
{
    struct store_frontend_stats st;
    store_frontend_stats(s, &st);
    assert_int_equal(st.active_count, active);
    assert_int_equal(st.expired_count, expired);
    assert_int_equal(st.unique_frontends, unique);
    assert_int_equal(st.total_registrations, total);
}

static void test_register_and_refresh(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct cmd c = hb_cmd("gw-a", "10.0.0.1");
    c.u.fe.hostname = strdup("gw-a.example.com");
    c.u.fe.configuration = strdup("{\"port\":2775}");
    c.u.fe.uptime_seconds = 10;
    c.u.fe.id = 77;                       /* ignored */
    c.u.fe.status = FE_EXPIRED;           /* ignored */
    struct store_result r = one(s, T0, &c);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.id, 1);
    const struct frontend_rec *f = store_frontend(s, 1);
    assert_non_null(f);
    assert_int_equal(f->status, FE_ACTIVE);
    assert_int_equal(f->inserted_at, T0);
    assert_int_equal(f->last_seen_at, T0);
    assert_int_equal(f->updated_at, T0);
    assert_int_equal(f->expires_at, T0 + TIMEOUT);
    /* a heartbeat refreshes the same row: what it gives replaces, what it
     * leaves out stays */
    c = hb_cmd("gw-a", "10.0.0.2");
    c.u.fe.uptime_seconds = 40;
    r = one(s, T0 + 30 * SEC, &c);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 1);
    f = store_frontend(s, 1);
    assert_string_equal(f->ip_address, "10.0.0.2");
    assert_string_equal(f->hostname, "gw-a.example.com");
    assert_string_equal(f->configuration, "{\"port\":2775}");
    assert_int_equal(f->uptime_seconds, 40);
    assert_int_equal(f->inserted_at, T0);
    assert_int_equal(f->last_seen_at, T0 + 30 * SEC);
    assert_int_equal(f->expires_at, T0 + 30 * SEC + TIMEOUT);
    /* another name is another frontend */
    assert_int_equal(heartbeat(s, T0 + 31 * SEC, "gw-b", NULL).status, 201);
    assert_string_equal(listing(s, false), "gw-a:1,gw-b:2");
    assert_string_equal(listing(s, true), "gw-a:1,gw-b:2");
    assert_stats(s, 2, 0, 2, 2);
    assert_string_equal(history(s, "gw-a"), "1");
    assert_string_equal(history(s, "nobody"), "-");
    assert_null(store_frontend(s, 3));
    store_free(s);
}

static void test_expiry_on_ticks(void **state)
{
    (void)state;
    struct store *s = store_new();
    heartbeat(s, T0, "gw-a", NULL);                 /* 1 */
    heartbeat(s, T0 + 10 * SEC, "gw-b", NULL);      /* 2, T0+100s */
    heartbeat(s, T0 + 60 * SEC, "gw-a", NULL);      /* 1, now T0+150s */
    tick(s, T0 + 90 * SEC); /* the first deadline of 1 is stale */
    assert_string_equal(status_of_fe(s, 1), "active");
    tick(s, T0 + 100 * SEC - 1);
    assert_string_equal(status_of_fe(s, 2), "active");
    tick(s, T0 + 100 * SEC);
    assert_string_equal(status_of_fe(s, 2), "expired");
    assert_int_equal(store_frontend(s, 2)->updated_at, T0 + 100 * SEC);
    assert_string_equal(listing(s, true), "gw-a:1");
    assert_string_equal(listing(s, false), "gw-a:1,gw-b:2");
    assert_stats(s, 1, 1, 2, 2);
    /* a heartbeat between expires_at and the next tick still refreshes:
     * state changes with time only on ticks */
    assert_int_equal(heartbeat(s, T0 + 150 * SEC + 500, "gw-a", NULL).status,
                     200);
    tick(s, T0 + 151 * SEC);
    assert_string_equal(status_of_fe(s, 1), "active");
    tick(s, T0 + 240 * SEC + 500);
    assert_string_equal(status_of_fe(s, 1), "expired");
    /* after expiry a heartbeat opens a new registration */
    struct store_result r = heartbeat(s, T0 + 300 * SEC, "gw-b", NULL);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.id, 3);
    assert_string_equal(history(s, "gw-b"), "3,2");
    assert_string_equal(status_of_fe(s, 2), "expired");
    assert_string_equal(listing(s, false), "gw-a:1,gw-b:3");
    assert_string_equal(listing(s, true), "gw-b:3");
    assert_stats(s, 1, 1, 2, 3);
    assert_int_equal(heartbeat(s, T0 + 301 * SEC, "gw-b", NULL).id, 3);
    store_free(s);
}

static void test_purge_after_history_days(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_settings st;
    store_settings_defaults(&st);
    st.frontend_history_days = 1;
    set_settings(s, T0, &st);
    heartbeat(s, T0, "gw-a", NULL);                 /* 1 */
    tick(s, T0 + TIMEOUT);
    heartbeat(s, T0 + HOUR, "gw-a", NULL);          /* 2 */
    tick(s, T0 + HOUR + TIMEOUT);
    heartbeat(s, T0 + 2 * HOUR, "gw-a", NULL);      /* 3, stays active */
    assert_string_equal(history(s, "gw-a"), "3,2,1");
    /* gw-a keeps heartbeating: 3 stays active through every tick */
    heartbeat(s, T0 + DAY - 1, "gw-a", NULL);
    tick(s, T0 + DAY - 1);
    assert_string_equal(history(s, "gw-a"), "3,2,1");
    heartbeat(s, T0 + DAY, "gw-a", NULL);
    tick(s, T0 + DAY);
    assert_string_equal(history(s, "gw-a"), "3,2");
    assert_string_equal(status_of_fe(s, 1), "gone");
    heartbeat(s, T0 + DAY + HOUR, "gw-a", NULL);
    tick(s, T0 + DAY + HOUR);
    assert_string_equal(history(s, "gw-a"), "3"); /* active: never purged */
    heartbeat(s, T0 + DAY + HOUR, "gw-b", NULL);    /* 4 */
    tick(s, T0 + DAY + HOUR + TIMEOUT);
    assert_string_equal(history(s, "gw-b"), "4");
    assert_string_equal(status_of_fe(s, 3), "expired");
    assert_stats(s, 0, 2, 2, 2);
    /* a name whose every row is purged is unknown again */
    tick(s, T0 + 2 * DAY + HOUR + TIMEOUT);
    assert_string_equal(history(s, "gw-b"), "-");
    assert_string_equal(history(s, "gw-a"), "-");
    assert_string_equal(listing(s, false), "");
    assert_stats(s, 0, 0, 0, 0);
    store_free(s);
}

static void test_settings_change_reschedules(void **state)
{
    (void)state;
    struct store *s = store_new();
    heartbeat(s, T0, "gw-a", NULL);
    struct store_settings st;
    store_settings_defaults(&st);
    st.frontend_timeout_seconds = 5;
    set_settings(s, T0 + SEC, &st);
    assert_int_equal(store_frontend(s, 1)->expires_at, T0 + 5 * SEC);
    tick(s, T0 + 5 * SEC);
    assert_string_equal(status_of_fe(s, 1), "expired");
    /* the old 90 s deadline is stale when it surfaces */
    heartbeat(s, T0 + 6 * SEC, "gw-a", NULL);       /* 2 */
    st.frontend_timeout_seconds = 600;
    set_settings(s, T0 + 7 * SEC, &st);
    tick(s, T0 + 100 * SEC);
    assert_string_equal(status_of_fe(s, 2), "active");
    tick(s, T0 + 606 * SEC);
    assert_string_equal(status_of_fe(s, 2), "expired");
    /* an unrelated settings change keeps the deadlines */
    heartbeat(s, T0 + 700 * SEC, "gw-a", NULL);     /* 3 */
    st.max_delivery_attempts = 3;
    set_settings(s, T0 + 701 * SEC, &st);
    assert_int_equal(store_frontend(s, 3)->expires_at, T0 + 1300 * SEC);
    tick(s, T0 + 1300 * SEC);
    assert_string_equal(status_of_fe(s, 3), "expired");
    store_free(s);
}

static void test_heartbeat_refused(void **state)
{
    (void)state;
    struct store *s = store_new();
    /* a command without a name does not even decode */
    struct cmd c;
    cmd_init(&c, CMD_FE_HEARTBEAT);
    struct buf b;
    buf_init(&b);
    cmd_encode(&b, &c);
    struct cmd d;
    assert_int_equal(cmd_decode(b.data, b.len, &d), -1);
    struct store_result *r = apply(s, T0, &c, 1);
    assert_int_equal(r[0].status, 400);
    store_results_free(r, 1);
    cmd_free(&c);
    buf_free(&b);
    assert_stats(s, 0, 0, 0, 0);
    store_free(s);
}

/* FE_MAX_ROWS rows: a new registration purges the oldest expired row; with
 * every row active it is refused. */
static void test_row_cap(void **state)
{
    (void)state;
    struct store *s = store_new();
    enum { BATCH = 1000 };
    struct cmd *cmds = calloc(BATCH, sizeof *cmds);
    char name[32];
    for (int b = 0; b < FE_MAX_ROWS / BATCH; b++) {
        for (int i = 0; i < BATCH; i++) {
            snprintf(name, sizeof name, "gw-%d", b * BATCH + i);
            cmds[i] = hb_cmd(name, NULL);
        }
        store_results_free(apply(s, T0, cmds, BATCH), BATCH);
        for (int i = 0; i < BATCH; i++)
            cmd_free(&cmds[i]);
    }
    free(cmds);
    assert_stats(s, FE_MAX_ROWS, 0, FE_MAX_ROWS, FE_MAX_ROWS);
    struct store_result r = heartbeat(s, T0 + SEC, "one-too-many", NULL);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.detail, "Too many frontend registrations (100000 "
                                  "active); retry later");
    assert_int_equal(heartbeat(s, T0 + SEC, "gw-7", NULL).status, 200);
    /* all but gw-7 expire; the oldest row goes first */
    for (int i = 0; i < FE_MAX_ROWS / STORE_TICK_BUDGET; i++)
        tick(s, T0 + TIMEOUT); /* at most STORE_TICK_BUDGET a tick */
    assert_stats(s, 1, FE_MAX_ROWS - 1, FE_MAX_ROWS, FE_MAX_ROWS);
    r = heartbeat(s, T0 + TIMEOUT, "gw-0", NULL);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.id, FE_MAX_ROWS + 1);
    assert_string_equal(history(s, "gw-0"), "100001");
    r = heartbeat(s, T0 + TIMEOUT, "one-too-many", NULL);
    assert_int_equal(r.status, 201);
    assert_string_equal(status_of_fe(s, 2), "gone");
    assert_string_equal(history(s, "gw-1"), "-");
    assert_string_equal(status_of_fe(s, 8), "active"); /* gw-7 */
    assert_stats(s, 3, FE_MAX_ROWS - 3, FE_MAX_ROWS, FE_MAX_ROWS);
    store_free(s);
}

/* ---- snapshots ---- */

static struct store *fe_store(void)
{
    struct store *s = store_new();
    struct cmd c = hb_cmd("gw-a", "10.0.0.1");
    c.u.fe.configuration = strdup("{\"k\":[1,2]}");
    c.u.fe.uptime_seconds = 5;
    one(s, T0, &c);                                 /* 1 */
    tick(s, T0 + TIMEOUT);                          /* 1 expires */
    heartbeat(s, T0 + 100 * SEC, "gw-a", "::1");    /* 2 */
    heartbeat(s, T0 + 110 * SEC, "gw-b", NULL);     /* 3 */
    heartbeat(s, T0 + 120 * SEC, "gw-a", NULL);     /* refreshes 2 */
    return s;
}

static void assert_same_frontends(const struct store *a,
                                  const struct store *b)
{
    char want[256];
    for (int active = 0; active < 2; active++) {
        snprintf(want, sizeof want, "%s", listing(a, active));
        assert_string_equal(listing(b, active), want);
    }
    static const char *const names[] = {"gw-a", "gw-b", "gw-c"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(want, sizeof want, "%s", history(a, names[i]));
        assert_string_equal(history(b, names[i]), want);
    }
    struct store_frontend_stats x, y;
    store_frontend_stats(a, &x);
    store_frontend_stats(b, &y);
    assert_memory_equal(&x, &y, sizeof x);
}

static void test_snapshot_round_trip(void **state)
{
    (void)state;
    struct store *s = fe_store();
    struct store *t = restored(s);
    assert_same_frontends(s, t);
    const struct frontend_rec *f = store_frontend(t, 1);
    assert_string_equal(f->configuration, "{\"k\":[1,2]}");
    assert_int_equal(f->uptime_seconds, 5);
    assert_int_equal(f->status, FE_EXPIRED);
    /* the restored deadlines fire alike: same entries, same state */
    uint64_t first = next_index;
    for (int i = 0; i < 2; i++) {
        struct store *u = i ? t : s;
        next_index = first;
        tick(u, T0 + 200 * SEC);                    /* 3 expires */
        assert_int_equal(heartbeat(u, T0 + 201 * SEC, "gw-c", NULL).id, 4);
        tick(u, T0 + 210 * SEC);                    /* 2 expires */
        tick(u, T0 + 7 * DAY + TIMEOUT);            /* 1 is purged */
    }
    assert_string_equal(status_of_fe(t, 2), "expired");
    assert_string_equal(status_of_fe(t, 1), "gone");
    assert_string_equal(status_of_fe(t, 4), "expired");
    assert_same_frontends(s, t);
    assert_same_snapshot(s, t);
    store_free(s);
    store_free(t);
}

static void test_snapshot_truncated(void **state)
{
    (void)state;
    struct store *s = fe_store();
    struct buf a;
    buf_init(&a);
    store_snapshot(s, &a);
    struct store *t = store_new();
    char err[128];
    for (size_t len = 0; len < a.len; len++)
        if (store_restore(t, a.data, len, err, sizeof err) != -1)
            fail_msg("a snapshot cut to %zu of %zu bytes restored", len,
                     a.len);
    assert_int_equal(store_restore(t, a.data, a.len, err, sizeof err), 0);
    assert_same_frontends(s, t);
    buf_free(&a);
    store_free(s);
    store_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_refresh),
        cmocka_unit_test(test_expiry_on_ticks),
        cmocka_unit_test(test_purge_after_history_days),
        cmocka_unit_test(test_settings_change_reschedules),
        cmocka_unit_test(test_heartbeat_refused),
        cmocka_unit_test(test_row_cap),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_snapshot_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
