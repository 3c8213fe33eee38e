/* Unit tests of CMD_RESTORE (raft_store/restore.c): a backup's state in
 * chunks replaces the state of an empty store, keeping its members and
 * raft index; a store holding messages refuses (409); chunks out of order
 * and damaged states are refused and change nothing; a snapshot taken
 * halfway carries the chunks received so far. */
#include "tests/unit/store_fixture.h"

#include "common/hmap.h"

static void member(struct store *s, int64_t now, const char *name)
{
    struct cmd c;
    cmd_init(&c, CMD_NODE_INFO);
    c.u.node_info.name = strdup(name);
    c.u.node_info.api_url = strdup("http://127.0.0.1:1");
    c.u.node_info.raft_address = strdup("127.0.0.1:2");
    c.u.node_info.raft_id = 1;
    assert_int_equal(one(s, now, &c).status, 200);
}

static struct store_result chunk(struct store *s, int64_t now,
                                 const struct buf *st, size_t off, size_t n,
                                 uint64_t check)
{
    struct cmd c;
    cmd_init(&c, CMD_RESTORE);
    c.node = strdup(NODE);
    c.u.restore.total = st->len;
    c.u.restore.offset = off;
    c.u.restore.check = check;
    c.u.restore.len = (uint32_t)n;
    c.u.restore.bytes = malloc(n);
    memcpy(c.u.restore.bytes, st->data + off, n);
    return one(s, now, &c);
}

/* A source store with messages, a route table entry and a member. */
static struct store *source(struct buf *state)
{
    struct store *s = store_new();
    member(s, T0, "old-node");
    for (int i = 0; i < 5; i++)
        create(s, T0 + i, X, "gw");
    by_id(s, T0 + 9, CMD_MSG_DELIVERED, 2);
    buf_init(state);
    store_snapshot(s, state);
    return s;
}

static void test_chunks_restore_and_keep_members(void **state)
{
    (void)state;
    struct buf st;
    struct store *src = source(&st);
    uint64_t check = hash_stable(st.data, st.len);
    struct store *t = store_new();
    member(t, T0 + 100, "new-node");
    size_t third = st.len / 3;
    assert_int_equal(chunk(t, T0 + 101, &st, 0, third, check).status, 202);
    /* a snapshot halfway carries the chunks: a replica restored from it
     * finishes the same way */
    struct store *u = restored(t);
    for (int i = 0; i < 2; i++) {
        struct store *x = i ? u : t;
        uint64_t at = next_index;
        assert_int_equal(
            chunk(x, T0 + 102, &st, third, third, check).status, 202);
        struct store_result r =
            chunk(x, T0 + 103, &st, 2 * third, st.len - 2 * third, check);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.id, 5);
        if (i == 0)
            next_index = at;
    }
    assert_same_snapshot(t, u);
    assert_int_equal(status_of(t, 2), MSG_DELIVERED);
    assert_int_equal(status_of(t, 5), MSG_PENDING);
    /* this cluster's members, not the backup's */
    assert_non_null(store_node_info(t, "new-node"));
    assert_null(store_node_info(t, "old-node"));
    /* ids continue after the backup's */
    assert_int_equal(create(t, T0 + 200, Y, "gw"), 6);
    assert_true(store_clock(t) >= T0 + 200);
    store_free(u);
    store_free(t);
    store_free(src);
    buf_free(&st);
}

static void test_refusals_change_nothing(void **state)
{
    (void)state;
    struct buf st;
    struct store *src = source(&st);
    uint64_t check = hash_stable(st.data, st.len);
    /* a store holding messages */
    struct store *busy = store_new();
    create(busy, T0, X, "gw");
    assert_int_equal(chunk(busy, T0 + 1, &st, 0, st.len, check).status, 409);
    assert_int_equal(status_of(busy, 1), MSG_PENDING);
    assert_int_equal(status_of(busy, 2), -1);
    /* out of order, then a wrong check */
    struct store *t = store_new();
    assert_int_equal(chunk(t, T0 + 1, &st, 10, st.len - 10, check).status,
                     409);
    assert_int_equal(chunk(t, T0 + 2, &st, 0, 10, check).status, 202);
    assert_int_equal(chunk(t, T0 + 3, &st, 20, st.len - 20, check).status,
                     409);
    assert_int_equal(chunk(t, T0 + 4, &st, 0, st.len, check + 1).status,
                     422);
    assert_int_equal(status_of(t, 1), -1);
    /* whole and right: restored */
    assert_int_equal(chunk(t, T0 + 5, &st, 0, st.len, check).status, 200);
    assert_int_equal(status_of(t, 1), MSG_PENDING);
    store_free(t);
    store_free(busy);
    store_free(src);
    buf_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_restore_and_keep_members),
        cmocka_unit_test(test_refusals_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
