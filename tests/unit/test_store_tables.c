/* Unit tests of the store's tables beside messages: routes and translation
 * rules (put, delete, import, init), the create actions and the event log
 * they write — through the public store/cmd interfaces only, one entry per
 * command as in test_store.c.  Subscriber locations, the location-based
 * fetch and snapshots are in test_store_locations.c. */
#include "tests/unit/store_fixture.h"

/* ---- routes and rules, one test body for both tables ---- */

/* The record with id; id 0 in the view when there is none. */
static struct rec_view tbl_get(const struct store *s,
                               const struct table_case *tc, int64_t id)
{
    const struct route_rec *r = tc->routes ? store_route(s, id) : NULL;
    const struct xlat_rule_rec *x = tc->routes ? NULL : store_rule(s, id);
    if (r)
        return view_route(r);
    if (x)
        return view_rule(x);
    return (struct rec_view){0, NULL, 0, 0};
}

static uint64_t tbl_version(const struct store *s, const struct table_case *tc)
{
    return tc->routes ? store_routes_version(s) : store_rules_version(s);
}

/* Imports records "id:desc" given as parallel arrays of n. */
static struct store_result tbl_import(struct store *s, int64_t now,
                                      const struct table_case *tc,
                                      bool replace, const int64_t *ids,
                                      const char *const *descs, size_t n)
{
    struct cmd c;
    cmd_init(&c, (enum cmd_type)tc->import);
    c.u.import.replace = replace;
    for (size_t i = 0; i < n; i++)
        cmd_import_add(&c.u.import, rec_new(tc->routes, ids[i], descs[i]));
    return one(s, now, &c);
}

static void test_table_put_delete(void **state)
{
    const struct table_case *tc = *state;
    struct store *s = store_new();
    static const char *const tags[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        uint64_t v = tbl_version(s, tc);
        struct store_result r = tbl_put(s, T0 + i, tc, 0, tags[i]);
        assert_int_equal(r.status, 201);
        assert_int_equal(r.id, i + 1);
        assert_int_not_equal(tbl_version(s, tc), v);
        struct rec_view got = tbl_get(s, tc, i + 1);
        assert_int_equal(got.inserted_at, T0 + i);
        assert_int_equal(got.updated_at, T0 + i);
    }
    /* replace keeps inserted_at, stamps updated_at */
    uint64_t v = tbl_version(s, tc);
    struct store_result r = tbl_put(s, T0 + 100, tc, 2, "b2");
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 2);
    assert_int_not_equal(tbl_version(s, tc), v);
    struct rec_view got = tbl_get(s, tc, 2);
    assert_int_equal(got.inserted_at, T0 + 1);
    assert_int_equal(got.updated_at, T0 + 100);
    assert_table(s, tc, "1:a,2:b2,3:c");
    /* delete: 204, then 404; ids are never reused */
    v = tbl_version(s, tc);
    r = by_id(s, T0 + 102, tc->del, 2);
    assert_int_equal(r.status, 204);
    assert_int_not_equal(tbl_version(s, tc), v);
    assert_int_equal(tbl_get(s, tc, 2).id, 0);
    r = by_id(s, T0 + 103, tc->del, 2);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.detail, tc->not_found);
    assert_int_equal(tbl_put(s, T0 + 104, tc, 0, "d").id, 4);
    assert_table(s, tc, "1:a,3:c,4:d");
    store_free(s);
}

/* A PUT of an unknown id is 404, changes nothing and leaks nothing (the
 * command keeps its strings). */
static void test_table_put_unknown_id(void **state)
{
    const struct table_case *tc = *state;
    struct store *s = store_new();
    tbl_put(s, T0, tc, 0, "a");
    uint64_t v = tbl_version(s, tc);
    struct store_result r = tbl_put(s, T0 + 1, tc, 9, "x");
    assert_int_equal(r.status, 404);
    assert_int_equal(r.id, 9);
    assert_string_equal(r.detail, tc->not_found);
    assert_int_equal(tbl_version(s, tc), v);
    assert_table(s, tc, "1:a");
    assert_int_equal(tbl_get(s, tc, 1).updated_at, T0);
    store_free(s);
}

static void test_table_import(void **state)
{
    const struct table_case *tc = *state;
    struct store *s = store_new();
    for (int i = 0; i < 3; i++)
        tbl_put(s, T0, tc, 0, "old");
    /* replace: exactly the records, ids kept, listed in id order */
    static const int64_t rep_ids[] = {10, 4};
    static const char *const rep_descs[] = {"r10", "r4"};
    uint64_t v = tbl_version(s, tc);
    struct store_result r = tbl_import(s, T0 + 5, tc, true, rep_ids,
                                       rep_descs, 2);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 2);
    assert_int_not_equal(tbl_version(s, tc), v);
    assert_table(s, tc, "4:r4,10:r10");
    assert_int_equal(tbl_get(s, tc, 4).inserted_at, T0 + 5);
    assert_int_equal(tbl_put(s, T0 + 6, tc, 0, "n").id, 11);
    /* merge: known ids replaced (inserted_at kept), id 0 appended */
    static const int64_t mer_ids[] = {4, 0, 7, 0};
    static const char *const mer_descs[] = {"m4", "m0a", "m7", "m0b"};
    r = tbl_import(s, T0 + 9, tc, false, mer_ids, mer_descs, 4);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 4);
    assert_table(s, tc, "4:m4,7:m7,10:r10,11:n,12:m0a,13:m0b");
    struct rec_view got = tbl_get(s, tc, 4);
    assert_int_equal(got.inserted_at, T0 + 5);
    assert_int_equal(got.updated_at, T0 + 9);
    assert_int_equal(tbl_get(s, tc, 12).inserted_at, T0 + 9);
    store_free(s);
}

/* An id-0 record placed before an explicit id: the id assigned to the
 * first must not be the one a later record carries, in a replace or a
 * merge. */
static void test_table_import_assigned_id(void **state)
{
    const struct table_case *tc = *state;
    static const int64_t rep_ids[] = {0, 1, 2}, mer_ids[] = {0, 2};
    static const char *const rep_descs[] = {"new", "a", "b"};
    static const char *const mer_descs[] = {"new", "b"};
    struct store *s = store_new();
    struct store_result r = tbl_import(s, T0, tc, true, rep_ids, rep_descs,
                                       3);
    char rep[512], mer[512];
    table_str(s, tc, rep, sizeof rep);
    store_free(s);
    s = store_new();
    tbl_put(s, T0, tc, 0, "a");
    tbl_import(s, T0, tc, false, mer_ids, mer_descs, 2);
    table_str(s, tc, mer, sizeof mer);
    store_free(s); /* before the asserts, which fail: no leak then */
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 3);
    assert_string_equal(rep, "1:a,2:b,3:new");
    assert_string_equal(mer, "1:a,2:b,3:new");
}

static void test_init_tables(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct cmd c;
    cmd_init(&c, CMD_INIT);
    c.u.init.cluster_id = strdup("cid");
    cmd_import_add(&c.u.init.routes, rec_new(true, 0, "i1"));
    cmd_import_add(&c.u.init.routes, rec_new(true, 0, "i2"));
    cmd_import_add(&c.u.init.rules, rec_new(false, 5, "x5"));
    cmd_import_add(&c.u.init.rules, rec_new(false, 0, "x6"));
    assert_int_equal(one(s, T0, &c).status, 200);
    assert_table(s, &ROUTES, "1:i1,2:i2");
    assert_table(s, &RULES, "5:x5,6:x6");
    assert_int_equal(tbl_get(s, &ROUTES, 2).inserted_at, T0);
    assert_int_equal(tbl_get(s, &RULES, 6).updated_at, T0);
    uint64_t vr = store_routes_version(s), vx = store_rules_version(s);
    /* a later init (another node's config) changes nothing */
    cmd_init(&c, CMD_INIT);
    c.u.init.cluster_id = strdup("other");
    cmd_import_add(&c.u.init.routes, rec_new(true, 0, "z"));
    assert_int_equal(one(s, T0 + 1, &c).status, 200);
    assert_string_equal(store_cluster_id(s), "cid");
    assert_table(s, &ROUTES, "1:i1,2:i2");
    assert_table(s, &RULES, "5:x5,6:x6");
    assert_int_equal(store_routes_version(s), vr);
    assert_int_equal(store_rules_version(s), vx);
    store_free(s);
}

/* ---- create actions ---- */

struct create_case {
    const char *label;
    int action;
    const char *dest;
    const char *note;          /* xlat_note */
    bool with_reply;
    bool reject_unrouted;
    int result;                /* the command's status */
    int status;                /* the message's */
    const char *events[6];
    const char *last_desc;     /* a part of the last event's description */
    const char *reply_events[4];
};

static const struct create_case create_cases[] = {
    {"forward", ACT_FORWARD, "smsc-b", "Called 07700 -> +447700", false,
     false, 201, MSG_PENDING,
     {"message_inserted", "number_translated", "message_routed", NULL},
     "Routed to smsc-b by route_id=5", {NULL}},
    {"drop", ACT_DROP, NULL, NULL, false, false, 201, MSG_DROPPED,
     {"message_inserted", "message_dropped", NULL}, "route_id=5", {NULL}},
    {"auto-reply", ACT_AUTO_REPLY, NULL, NULL, true, false, 201,
     MSG_DELIVERED,
     {"message_inserted", "auto_reply_sent", "message_delivered", NULL},
     "Answered by auto-reply",
     {"message_inserted", "message_routed", NULL}},
    {"auto-reply, no reply", ACT_AUTO_REPLY, NULL, NULL, false, false, 201,
     MSG_DELIVERED,
     {"message_inserted", "auto_reply_skipped", "message_delivered", NULL},
     "Answered by auto-reply", {NULL}},
    {"unrouted", ACT_UNROUTED, NULL, NULL, false, false, 201, MSG_PENDING,
     {"message_inserted", "routing_failed", NULL}, "No route matched",
     {NULL}},
    {"unrouted, rejected", ACT_UNROUTED, NULL, NULL, false, true, 422, -1,
     {NULL}, NULL, {NULL}},
};

static void check_create(const struct create_case *k)
{
    struct store *s = store_new();
    if (k->reject_unrouted) {
        struct store_settings st;
        store_settings_defaults(&st);
        st.reject_unrouted = true;
        set_settings(s, T0, &st);
    }
    struct cmd c = create_cmd(X, k->dest, k->action);
    c.u.create.m.route_id = 5;
    c.u.create.xlat_note = k->note ? strdup(k->note) : NULL;
    if (k->with_reply) {
        c.u.create.reply = reply_new("smsc-a");
        c.u.create.reply_action = ACT_FORWARD;
    }
    struct store_result r = one(s, T0 + 10, &c);
    assert_int_equal(r.status, k->result);
    if (k->result != 201) {
        assert_string_equal(r.detail, "No route found");
        assert_null(store_get(s, 1));
        store_free(s);
        return;
    }
    const struct msg *m = store_get(s, r.id);
    assert_non_null(m);
    assert_int_equal(m->d.status, k->status);
    assert_int_equal(m->d.route_id, 5);
    assert_int_equal(m->d.inserted_at, T0 + 10);
    if (k->dest)
        assert_string_equal(m->d.dest_smsc, k->dest);
    if (k->status == MSG_DELIVERED)
        assert_int_equal(m->d.deliver_time, T0 + 10);
    assert_events(s, r.id, k->events, NODE);
    struct ev_log l;
    events_of(s, r.id, &l);
    assert_non_null(strstr(l.e[l.n - 1].desc, k->last_desc));
    assert_int_equal(l.e[0].at, T0 + 10);
    if (k->note)
        assert_string_equal(l.e[1].desc, k->note);
    if (!k->with_reply) {
        assert_int_equal(r.id2, 0);
        assert_null(store_get(s, r.id + 1));
    } else {
        assert_int_equal(r.id2, r.id + 1);
        const struct msg *re = store_get(s, r.id2);
        assert_non_null(re);
        assert_int_equal(re->d.status, MSG_PENDING);
        assert_string_equal(re->d.source_smsc, "auto_reply");
        assert_events(s, r.id2, k->reply_events, NODE);
        assert_non_null(strstr(l.e[1].desc, "id=2"));
        assert_string_equal(fetched(s, "smsc-a", false), "2");
    }
    store_free(s);
}

static void test_create_actions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof create_cases / sizeof create_cases[0]; i++) {
        print_message("create: %s\n", create_cases[i].label);
        check_create(&create_cases[i]);
    }
}

/* ---- events ---- */

static void test_event_add(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t id = create(s, T0, X, "gw");
    struct store_result r = event_add(s, T0 + 5, id, "smpp_submit_sm",
                                      "submit_sm to gw", NULL);
    assert_int_equal(r.status, 201);
    assert_int_equal(r.id, id);
    r = event_add(s, T0 + 6, id, "frontend_note", "queued", "frontend-7");
    assert_int_equal(r.status, 201);
    static const char *const names[] = {"message_inserted", "message_routed",
                                        "smpp_submit_sm", "frontend_note",
                                        NULL};
    assert_events(s, id, names, NULL);
    struct ev_log l;
    events_of(s, id, &l);
    assert_int_equal(l.e[2].at, T0 + 5);
    assert_string_equal(l.e[2].desc, "submit_sm to gw");
    assert_string_equal(l.e[2].source, NODE);
    assert_int_equal(l.e[3].at, T0 + 6);
    assert_string_equal(l.e[3].source, "frontend-7");
    /* a missing message: 404, and store_events says so too */
    r = event_add(s, T0 + 7, 999, "x", "y", NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.detail, "Message not found");
    assert_int_equal(store_events(s, 999, ev_collect, &l), -1);
    store_free(s);
}

static void test_attempt_and_delivery_events(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t id = create(s, T0, X, "gw");
    assert_int_equal(by_id(s, T0 + 1, CMD_MSG_RETRY, id).status, 200);
    assert_int_equal(by_id(s, T0 + 2, CMD_MSG_RETRY, id).status, 200);
    assert_int_equal(by_id(s, T0 + 3, CMD_MSG_DELIVERED, id).status, 200);
    static const char *const names[] = {
        "message_inserted", "message_routed", "delivery_attempt_1",
        "delivery_attempt_2", "message_delivered", NULL};
    assert_events(s, id, names, NODE);
    struct ev_log l;
    events_of(s, id, &l);
    assert_non_null(strstr(l.e[2].desc, "Delivery attempt 1 failed"));
    assert_int_equal(l.e[3].at, T0 + 2);
    assert_string_equal(l.e[4].desc, "Delivered via gw");
    assert_int_equal(l.e[4].at, T0 + 3);
    store_free(s);
}

static void test_dead_letter_event_on_tick(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct cmd c = create_cmd(X, "gw", ACT_FORWARD);
    c.u.create.m.expires = T0 + 10 * MIN;
    int64_t id = one(s, T0, &c).id;
    tick(s, T0 + 10 * MIN - 1);
    assert_int_equal(store_get(s, id)->d.status, MSG_PENDING);
    tick(s, T0 + 10 * MIN);
    assert_int_equal(store_get(s, id)->d.status, MSG_EXPIRED);
    static const char *const names[] = {"message_inserted", "message_routed",
                                        "message_dead_letter", NULL};
    assert_events(s, id, names, NULL);
    struct ev_log l;
    events_of(s, id, &l);
    assert_int_equal(l.e[2].at, T0 + 10 * MIN);
    assert_string_equal(l.e[2].source, "node-t"); /* the tick's node */
    assert_string_equal(l.e[0].source, NODE);
    store_free(s);
}

/* A message that stays pending for weeks, so expiry adds no events. */
static int64_t long_lived(struct store *s, int64_t now)
{
    struct cmd c = create_cmd(X, "gw", ACT_FORWARD);
    c.u.create.m.expires = now + 30 * DAY;
    return one(s, now, &c).id;
}

static void test_event_purge(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_settings st;
    store_settings_defaults(&st);
    st.event_ttl_days = 1;
    st.dead_letter_time_minutes = 60 * 24 * 30;
    set_settings(s, T0, &st);
    int64_t id = long_lived(s, T0);
    assert_int_equal(event_add(s, T0 + 12 * HOUR, id, "later", "", NULL)
                         .status,
                     201);
    static const char *const all[] = {"message_inserted", "message_routed",
                                      "later", NULL};
    static const char *const newer[] = {"later", NULL};
    static const char *const none[] = {NULL};
    tick(s, T0 + DAY - 1);
    assert_events(s, id, all, NULL);
    tick(s, T0 + DAY + 1);
    assert_events(s, id, newer, NULL);
    tick(s, T0 + 12 * HOUR + DAY + 1);
    assert_events(s, id, none, NULL);
    assert_non_null(store_get(s, id)); /* the message itself stays */
    /* a new event after the purge is purged in its turn */
    event_add(s, T0 + 2 * DAY, id, "again", "", NULL);
    tick(s, T0 + 3 * DAY + 1);
    assert_events(s, id, none, NULL);
    store_free(s);
}

/* Lowering event_ttl_days applies to the events already stored, as a
 * change of dead_letter_time_minutes or message_retention_hours does to
 * their deadlines. */
static void test_event_ttl_lowered(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_settings st;
    store_settings_defaults(&st);
    st.dead_letter_time_minutes = 60 * 24 * 30;
    set_settings(s, T0, &st);
    int64_t id = long_lived(s, T0);
    st.event_ttl_days = 1; /* only this changes */
    set_settings(s, T0 + 1, &st);
    tick(s, T0 + DAY + 1);
    struct ev_log l;
    events_of(s, id, &l);
    store_free(s);
    assert_int_equal(l.n, 0);
}

#define TABLE_TEST(f, tc) {#f "/" #tc, f, NULL, NULL, (void *)&(tc)}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TABLE_TEST(test_table_put_delete, ROUTES),
        TABLE_TEST(test_table_put_delete, RULES),
        TABLE_TEST(test_table_put_unknown_id, ROUTES),
        TABLE_TEST(test_table_put_unknown_id, RULES),
        TABLE_TEST(test_table_import, ROUTES),
        TABLE_TEST(test_table_import, RULES),
        TABLE_TEST(test_table_import_assigned_id, ROUTES),
        TABLE_TEST(test_table_import_assigned_id, RULES),
        cmocka_unit_test(test_init_tables),
        cmocka_unit_test(test_create_actions),
        cmocka_unit_test(test_event_add),
        cmocka_unit_test(test_attempt_and_delivery_events),
        cmocka_unit_test(test_dead_letter_event_on_tick),
        cmocka_unit_test(test_event_purge),
        cmocka_unit_test(test_event_ttl_lowered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
