/* Unit tests of the replicated CDR outbox (raft_store/outbox.c): one CDR
 * per move into a final state with the right columns, the events of a
 * message leaving the store, consecutive seqs, reads after a position,
 * trimming by the shared writer or by the slowest member, a full outbox
 * leaving a laggard out, cdr_enabled, and the snapshot section. */
#include "tests/unit/store_fixture.h"

/* The outbox after `after`, at most max seqs; the caller frees. */
struct got {
    struct cdr_row *rows;
    size_t n;
    struct cdr_event *ev;
    size_t m;
    int64_t upto;
};

static struct got outbox(struct store *s, int64_t after, size_t max)
{
    struct got g;
    g.upto = store_outbox_read(s, after, max, &g.rows, &g.n, &g.ev, &g.m);
    return g;
}

static void got_free(struct got *g)
{
    cdr_rows_free(g->rows, g->n);
    cdr_events_free(g->ev, g->m);
}

static struct store_result patch_status(struct store *s, int64_t now,
                                        int64_t id, int status)
{
    struct cmd c;
    cmd_init(&c, CMD_MSG_PATCH);
    c.node = strdup(NODE);
    c.u.patch.id = id;
    c.u.patch.mask = PATCH_STATUS;
    c.u.patch.set.status = (uint8_t)status;
    return one(s, now, &c);
}

static void ack(struct store *s, int64_t now, const char *writer,
                int64_t upto, bool shared)
{
    struct cmd c;
    cmd_init(&c, CMD_CDR_ACK);
    c.node = strdup(NODE);
    c.u.cdr_ack.writer = strdup(writer);
    c.u.cdr_ack.upto = upto;
    c.u.cdr_ack.shared = shared;
    assert_int_equal(one(s, now, &c).status, 200);
}

static void member(struct store *s, int64_t now, const char *name)
{
    static uint64_t raft_id;
    struct cmd c;
    cmd_init(&c, CMD_NODE_INFO);
    c.u.node_info.name = strdup(name);
    c.u.node_info.api_url = strdup("http://127.0.0.1:1");
    c.u.node_info.raft_address = strdup("127.0.0.1:2");
    c.u.node_info.raft_id = ++raft_id;
    assert_int_equal(one(s, now, &c).status, 200);
}

static struct store_outbox_info info(struct store *s)
{
    struct store_outbox_info o;
    store_outbox_info(s, &o);
    return o;
}

static const struct cdr_row *row_of(const struct got *g, int64_t id)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->rows[i].message_id == id)
            return &g->rows[i];
    fail_msg("no CDR for message %lld", (long long)id);
    return NULL;
}

static void test_one_cdr_per_final_state(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t del = create(s, T0, X, "gw");
    int64_t drop = create(s, T0, Y, "gw");
    int64_t fail = create(s, T0, Z, "gw");
    int64_t rej = create(s, T0, X, "gw");
    struct cmd c = create_cmd(Y, "gw", ACT_FORWARD);
    c.u.create.m.expires = T0 + MIN;
    int64_t exp = create_ok(s, T0, &c);
    assert_int_equal(info(s).last_seq, 0);

    assert_int_equal(by_id(s, T0 + 1000, CMD_MSG_DELIVERED, del).status, 200);
    assert_int_equal(by_id(s, T0 + 2000, CMD_MSG_DELETE, drop).status, 204);
    assert_int_equal(patch_status(s, T0 + 3000, fail, MSG_FAILED).status, 200);
    assert_int_equal(patch_status(s, T0 + 4000, rej, MSG_REJECTED).status, 200);
    tick(s, T0 + 2 * MIN);
    assert_int_equal(status_of(s, exp), MSG_EXPIRED);

    struct got g = outbox(s, 0, 100);
    assert_int_equal(g.n, 5);
    /* the dropped message left the store: its events follow its CDR */
    assert_int_equal(g.m, 3);
    assert_int_equal(info(s).last_seq, 8);
    assert_int_equal(g.upto, 8);

    const struct cdr_row *r = row_of(&g, del);
    assert_string_equal(r->status, "delivered");
    assert_string_equal(r->calling_number, FROM);
    assert_string_equal(r->called_number, X);
    assert_string_equal(r->source_smsc, "api_client");
    assert_string_equal(r->dest_smsc, "gw");
    assert_string_equal(r->destination_node, NODE);
    assert_string_equal(r->message_body, "Hello World");
    assert_int_equal(r->submission_time, T0);
    assert_int_equal(r->delivery_time, T0 + 1000);
    assert_int_equal(r->expiry_time, T0 + DAY);
    assert_int_equal(r->inserted_at, T0 + 1000);
    assert_int_equal(r->updated_at, T0 + 1000);
    assert_int_equal(r->seq, 1);
    assert_false(r->deadletter);

    r = row_of(&g, drop);
    assert_string_equal(r->status, "dropped");
    assert_int_equal(r->delivery_time, CDR_TIME_NULL);
    assert_null(r->destination_node);
    assert_string_equal(row_of(&g, fail)->status, "failed");
    assert_string_equal(row_of(&g, rej)->status, "rejected");
    r = row_of(&g, exp);
    assert_string_equal(r->status, "expired");
    assert_true(r->deadletter);
    assert_int_equal(r->inserted_at, T0 + 2 * MIN);

    /* events: consecutive seqs after the dropped message's CDR (seq 2) */
    assert_int_equal(g.ev[0].seq, 3);
    assert_int_equal(g.ev[2].seq, 5);
    assert_int_equal(g.ev[0].message_id, drop);
    assert_string_equal(g.ev[0].name, "message_inserted");
    assert_string_equal(g.ev[2].name, "message_dropped");
    assert_string_equal(g.ev[2].event_source, NODE);
    assert_int_equal(g.ev[2].event_epoch, T0 + 2000);
    got_free(&g);

    /* a requeue and a second delivery: a second CDR */
    assert_int_equal(patch_status(s, T0 + 5000, fail, MSG_PENDING).status, 200);
    assert_int_equal(by_id(s, T0 + 6000, CMD_MSG_DELIVERED, fail).status, 200);
    g = outbox(s, 8, 100);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.rows[0].message_id, fail);
    assert_string_equal(g.rows[0].status, "delivered");
    assert_int_equal(g.rows[0].seq, 9);
    got_free(&g);
    store_free(s);
}

static void test_body_deleted_after_delivery(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_settings st;
    store_settings_defaults(&st);
    st.delete_message_body_after_delivery = true;
    set_settings(s, T0, &st);
    int64_t id = create(s, T0, X, "gw");
    by_id(s, T0 + 1, CMD_MSG_DELIVERED, id);
    struct got g = outbox(s, 0, 10);
    assert_int_equal(g.n, 1);
    assert_null(g.rows[0].message_body);
    got_free(&g);
    store_free(s);
}

static void test_disabled_appends_nothing(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_settings st;
    store_settings_defaults(&st);
    st.cdr_enabled = false;
    set_settings(s, T0, &st);
    int64_t id = create(s, T0, X, "gw");
    by_id(s, T0 + 1, CMD_MSG_DELIVERED, id);
    by_id(s, T0 + 2, CMD_MSG_DELETE, create(s, T0, Y, "gw"));
    assert_int_equal(info(s).last_seq, 0);
    assert_int_equal(info(s).rows, 0);
    store_free(s);
}

/* Reads take whole items after a position, at least max seqs when there
 * are that many. */
static void test_read_after_position(void **state)
{
    (void)state;
    struct store *s = store_new();
    for (int i = 0; i < 6; i++)
        by_id(s, T0 + 1, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    struct got g = outbox(s, 2, 3);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.rows[0].seq, 3);
    assert_int_equal(g.upto, 5);
    got_free(&g);
    g = outbox(s, 6, 3);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.upto, 6);
    got_free(&g);
    /* an events block is never split */
    by_id(s, T0 + 2, CMD_MSG_DELETE, create(s, T0, Y, "gw"));
    g = outbox(s, 6, 2);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.m, 3);
    assert_int_equal(g.upto, 10);
    got_free(&g);
    store_free(s);
}

static void test_shared_writer_trims(void **state)
{
    (void)state;
    struct store *s = store_new();
    member(s, T0, "n1");
    for (int i = 0; i < 4; i++)
        by_id(s, T0 + 1, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    ack(s, T0 + 2, "cluster", 3, true);
    assert_int_equal(info(s).head_seq, 4);
    assert_int_equal(info(s).rows, 1);
    assert_int_equal(store_outbox_acked(s, "cluster"), 3);
    /* an ack never goes back, and never past the last seq */
    ack(s, T0 + 3, "cluster", 2, true);
    assert_int_equal(store_outbox_acked(s, "cluster"), 3);
    ack(s, T0 + 4, "cluster", 99, true);
    assert_int_equal(store_outbox_acked(s, "cluster"), 4);
    assert_int_equal(info(s).rows, 0);
    assert_int_equal(info(s).head_seq, 5);
    /* switched to SQLite files: the members' acks count from now on */
    by_id(s, T0 + 5, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    by_id(s, T0 + 5, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    ack(s, T0 + 6, "n1", 5, false);
    assert_int_equal(info(s).head_seq, 6);
    ack(s, T0 + 7, "cluster", 6, true);
    assert_int_equal(info(s).head_seq, 7);
    ack(s, T0 + 8, "n1", 6, false); /* nothing left to trim */
    assert_int_equal(info(s).rows, 0);
    /* new rows continue the numbering */
    by_id(s, T0 + 9, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    struct got g = outbox(s, 0, 10);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.rows[0].seq, 7);
    got_free(&g);
    store_free(s);
}

/* SQLite: every member writes its own file; the outbox keeps what the
 * slowest member has not stored. */
static void test_members_trim_at_slowest(void **state)
{
    (void)state;
    struct store *s = store_new();
    member(s, T0, "n1");
    member(s, T0, "n2");
    for (int i = 0; i < 5; i++)
        by_id(s, T0 + 1, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    ack(s, T0 + 2, "n1", 5, false);
    assert_int_equal(info(s).rows, 5);
    ack(s, T0 + 3, "n2", 2, false);
    assert_int_equal(info(s).head_seq, 3);
    ack(s, T0 + 4, "n2", 5, false);
    assert_int_equal(info(s).rows, 0);
    assert_int_equal(info(s).left_out, 0);
    store_free(s);
}

/* A full outbox does not wait for a member that stopped writing. */
static void test_full_outbox_leaves_laggard_out(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_settings st;
    store_settings_defaults(&st);
    st.cdr_outbox_max_rows = 1000;
    set_settings(s, T0, &st);
    member(s, T0, "n1");
    member(s, T0, "n2");
    for (int i = 0; i < 999; i++)
        by_id(s, T0 + 1, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    assert_false(store_outbox_full(s));
    ack(s, T0 + 2, "n1", 999, false);
    assert_int_equal(info(s).rows, 999); /* n2 has stored nothing */
    by_id(s, T0 + 3, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    assert_true(store_outbox_full(s));
    assert_int_equal(store_outbox_rows(s), 1000);
    ack(s, T0 + 4, "n1", 1000, false);
    assert_int_equal(info(s).rows, 0);
    assert_int_equal(info(s).left_out, 1000);
    assert_false(store_outbox_full(s));
    store_free(s);
}

static void test_snapshot_keeps_outbox(void **state)
{
    (void)state;
    struct store *s = store_new();
    member(s, T0, "n1");
    for (int i = 0; i < 3; i++)
        by_id(s, T0 + 1, CMD_MSG_DELIVERED, create(s, T0, X, "gw"));
    by_id(s, T0 + 2, CMD_MSG_DELETE, create(s, T0, Y, "gw"));
    ack(s, T0 + 3, "zeta", 1, false);
    ack(s, T0 + 3, "alpha", 2, false);
    struct store *t = restored(s);
    struct store_outbox_info x = info(s), y = info(t);
    assert_int_equal(x.head_seq, y.head_seq);
    assert_int_equal(x.last_seq, y.last_seq);
    assert_int_equal(x.rows, y.rows);
    assert_int_equal(store_outbox_acked(t, "alpha"), 2);
    struct got g = outbox(t, 0, 100);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.m, 3);
    got_free(&g);
    /* every truncation of the outbox section is refused */
    struct buf a;
    buf_init(&a);
    store_snapshot(s, &a);
    char err[128];
    for (size_t cut = 1; cut < 40 && cut < a.len; cut++)
        assert_int_equal(store_restore(t, a.data, a.len - cut, err,
                                       sizeof err), -1);
    assert_int_equal(info(t).last_seq, x.last_seq); /* unchanged */
    buf_free(&a);
    store_free(s);
    store_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_cdr_per_final_state),
        cmocka_unit_test(test_body_deleted_after_delivery),
        cmocka_unit_test(test_disabled_appends_nothing),
        cmocka_unit_test(test_read_after_position),
        cmocka_unit_test(test_shared_writer_trims),
        cmocka_unit_test(test_members_trim_at_slowest),
        cmocka_unit_test(test_full_outbox_leaves_laggard_out),
        cmocka_unit_test(test_snapshot_keeps_outbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
