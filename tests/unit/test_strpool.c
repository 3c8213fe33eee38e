/* Unit tests of shared string copies (common/strpool.c) and of their use
 * by the store: equal strings share one copy, which lives as long as its
 * last reference; stored messages share their SMSC, node and coding-scheme
 * strings, keep them right through a dest_smsc patch, a delivery naming a
 * new dest_smsc and a snapshot restore, and leave the pool empty once
 * deleted. */
#include "tests/unit/store_fixture.h"

#include "common/strpool.h"
#include "raft_store/store_int.h"

static void test_pool_counts_references(void **state)
{
    (void)state;
    struct strpool p;
    strpool_init(&p);
    assert_null(strpool_get(&p, NULL));
    strpool_put(&p, NULL);
    char gw[] = "gw-1";
    char *a = strpool_get(&p, gw);
    char *b = strpool_get(&p, "gw-1");
    char *c = strpool_get(&p, "gw-2");
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, gw);
    assert_string_equal(a, "gw-1");
    assert_ptr_not_equal(a, c);
    assert_int_equal(strpool_count(&p), 2);
    strpool_put(&p, a);
    assert_int_equal(strpool_count(&p), 2);
    assert_string_equal(b, "gw-1"); /* still referenced */
    strpool_put(&p, b);
    assert_int_equal(strpool_count(&p), 1);
    char *d = strpool_get(&p, "gw-1"); /* a new copy after the last went */
    assert_string_equal(d, "gw-1");
    assert_int_equal(strpool_count(&p), 2);
    strpool_free(&p); /* frees referenced copies too */
    assert_int_equal(strpool_count(&p), 0);
}

static void test_stored_messages_share_strings(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t ids[50];
    for (int i = 0; i < 50; i++) {
        struct cmd c = create_cmd(X, i % 2 ? "gw-odd" : "gw-even",
                                  ACT_FORWARD);
        c.u.create.m.origin_node = strdup("node-a");
        c.u.create.m.tp_data_coding_scheme = strdup("00");
        ids[i] = create_ok(s, T0 + i, &c);
    }
    const struct msg *m0 = store_get(s, ids[0]), *m2 = store_get(s, ids[2]);
    const struct msg *m1 = store_get(s, ids[1]);
    assert_ptr_equal(m0->d.dest_smsc, m2->d.dest_smsc);
    assert_ptr_equal(m0->d.source_smsc, m1->d.source_smsc);
    assert_ptr_equal(m0->d.origin_node, m1->d.origin_node);
    assert_ptr_equal(m0->d.tp_data_coding_scheme, m1->d.tp_data_coding_scheme);
    assert_string_equal(m1->d.dest_smsc, "gw-odd");
    /* api_client, gw-odd, gw-even, node-a, 00 */
    assert_int_equal(strpool_count(&s->strs), 5);

    /* a patch moves one message to another SMSC */
    struct cmd c;
    cmd_init(&c, CMD_MSG_PATCH);
    c.node = strdup(NODE);
    c.u.patch.id = ids[0];
    c.u.patch.mask = PATCH_DEST_SMSC;
    c.u.patch.set.dest_smsc = strdup("gw-odd");
    assert_int_equal(one(s, T0 + 100, &c).status, 200);
    assert_ptr_equal(store_get(s, ids[0])->d.dest_smsc, m1->d.dest_smsc);

    /* a delivery naming its SMSC, and the node it went out on */
    cmd_init(&c, CMD_MSG_DELIVERED);
    c.node = strdup("node-b");
    c.u.delivered.id = ids[1];
    c.u.delivered.dest_smsc = strdup("gw-new");
    assert_int_equal(one(s, T0 + 101, &c).status, 200);
    assert_string_equal(store_get(s, ids[1])->d.dest_smsc, "gw-new");
    assert_string_equal(store_get(s, ids[1])->d.destination_node, "node-b");
    assert_int_equal(strpool_count(&s->strs), 7);

    /* a restored copy has the same strings, shared in its own pool */
    struct store *t = restored(s);
    assert_int_equal(strpool_count(&t->strs), 7);
    assert_ptr_equal(store_get(t, ids[3])->d.dest_smsc,
                     store_get(t, ids[5])->d.dest_smsc);
    store_free(t);

    for (int i = 0; i < 50; i++)
        assert_int_equal(by_id(s, T0 + 200, CMD_MSG_DELETE, ids[i]).status,
                         204);
    assert_int_equal(strpool_count(&s->strs), 0);
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_counts_references),
        cmocka_unit_test(test_stored_messages_share_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
