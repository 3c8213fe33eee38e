/* Unit tests for common/rbtree: structure invariants after every change,
 * ordering of duplicates, bounds, and long randomised insert/erase runs
 * checked against a sorted reference array.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/rbtree.h"

struct item {
    int key;
    unsigned seq; /* insertion order, to check duplicates stay in order */
    int in_tree;
    struct rb_node node;
};

static unsigned next_seq;

static int item_cmp(const struct rb_node *a, const struct rb_node *b)
{
    int ka = rb_entry(a, struct item, node)->key;
    int kb = rb_entry(b, struct item, node)->key;

    return (ka > kb) - (ka < kb);
}

static int key_cmp(const void *key, const struct rb_node *n)
{
    int k = *(const int *)key;
    int kn = rb_entry(n, struct item, node)->key;

    return (k > kn) - (k < kn);
}

static struct item *item_of(const struct rb_node *n)
{
    return n == NULL ? NULL : rb_entry(n, struct item, node);
}

static void insert_item(struct rb_tree *t, struct item *it)
{
    it->seq = next_seq++;
    it->in_tree = 1;
    rb_insert(t, &it->node, item_cmp);
}

static void erase_item(struct rb_tree *t, struct item *it)
{
    rb_erase(t, &it->node);
    it->in_tree = 0;
}

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* Checks links, colours and ordering under n; returns the black height. */
static int check_subtree(const struct rb_node *n, const struct rb_node *parent,
                         size_t *count)
{
    int lh, rh;

    if (n == NULL)
        return 1;
    assert_ptr_equal(rb_parent(n), parent);
    if (rb_is_red(n)) {
        assert_false(n->left != NULL && rb_is_red(n->left));
        assert_false(n->right != NULL && rb_is_red(n->right));
    }
    if (n->left != NULL)
        assert_true(item_cmp(n->left, n) <= 0);
    if (n->right != NULL)
        assert_true(item_cmp(n->right, n) >= 0);
    lh = check_subtree(n->left, n, count);
    rh = check_subtree(n->right, n, count);
    assert_int_equal(lh, rh);
    (*count)++;
    return lh + (rb_is_red(n) ? 0 : 1);
}

static void check_invariants(const struct rb_tree *t)
{
    size_t count = 0;

    if (t->root != NULL)
        assert_false(rb_is_red(t->root));
    check_subtree(t->root, NULL, &count);
    assert_int_equal(count, t->count);
}

static int ref_cmp(const void *a, const void *b)
{
    const struct item *x = *(struct item *const *)a;
    const struct item *y = *(struct item *const *)b;

    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Compares an in-order walk (both directions) with the sorted members. */
static void check_against(const struct rb_tree *t, struct item *items, size_t n)
{
    struct item **ref = malloc((n + 1) * sizeof(*ref));
    size_t m = 0;
    const struct rb_node *it;

    assert_non_null(ref);
    for (size_t i = 0; i < n; i++)
        if (items[i].in_tree)
            ref[m++] = &items[i];
    qsort(ref, m, sizeof(*ref), ref_cmp);
    assert_int_equal(m, t->count);

    it = rb_first(t);
    for (size_t i = 0; i < m; i++, it = rb_next(it))
        assert_ptr_equal(item_of(it), ref[i]);
    assert_null(it);

    it = rb_last(t);
    for (size_t i = m; i > 0; i--, it = rb_prev(it))
        assert_ptr_equal(item_of(it), ref[i - 1]);
    assert_null(it);
    free(ref);
}

static void test_empty(void **state)
{
    struct rb_tree t;
    int k = 5;

    (void)state;
    rb_init(&t);
    assert_null(t.root);
    assert_int_equal(t.count, 0);
    assert_null(rb_first(&t));
    assert_null(rb_last(&t));
    assert_null(rb_find(&t, &k, key_cmp));
    assert_null(rb_lower_bound(&t, &k, key_cmp));
    assert_null(rb_upper_bound(&t, &k, key_cmp));
}

static void test_single(void **state)
{
    struct rb_tree t;
    struct item a = {.key = 7};
    int k = 7;

    (void)state;
    rb_init(&t);
    insert_item(&t, &a);
    check_invariants(&t);
    assert_ptr_equal(rb_first(&t), &a.node);
    assert_ptr_equal(rb_last(&t), &a.node);
    assert_null(rb_next(&a.node));
    assert_null(rb_prev(&a.node));
    assert_ptr_equal(rb_find(&t, &k, key_cmp), &a.node);
    erase_item(&t, &a);
    check_invariants(&t);
    assert_null(t.root);
    assert_int_equal(t.count, 0);
}

static void test_ascending_descending(void **state)
{
    enum { N = 1000 };
    static struct item items[N];
    struct rb_tree t;

    (void)state;
    memset(items, 0, sizeof(items));
    rb_init(&t);
    for (int i = 0; i < N; i++) {
        items[i].key = i;
        insert_item(&t, &items[i]);
    }
    check_invariants(&t);
    check_against(&t, items, N);
    for (int i = N - 1; i >= 0; i -= 2)
        erase_item(&t, &items[i]);
    check_invariants(&t);
    check_against(&t, items, N);
    for (int i = 0; i < N; i += 2)
        erase_item(&t, &items[i]);
    check_invariants(&t);
    assert_null(t.root);

    rb_init(&t);
    for (int i = N - 1; i >= 0; i--) {
        items[i].key = i;
        insert_item(&t, &items[i]);
    }
    check_invariants(&t);
    check_against(&t, items, N);
}

static void test_duplicates_keep_order(void **state)
{
    enum { N = 60 };
    struct item items[N];
    struct rb_tree t;
    struct rb_node *n;
    int k = 1;

    (void)state;
    memset(items, 0, sizeof(items));
    rb_init(&t);
    for (int i = 0; i < N; i++) {
        items[i].key = i % 3;
        insert_item(&t, &items[i]);
        check_invariants(&t);
    }
    check_against(&t, items, N);

    /* All key-1 records come out in insertion order, bracketed by bounds. */
    n = rb_lower_bound(&t, &k, key_cmp);
    assert_ptr_equal(n, &items[1].node);
    assert_ptr_equal(rb_find(&t, &k, key_cmp), &items[1].node);
    for (int i = 1; i < N; i += 3, n = rb_next(n))
        assert_ptr_equal(n, &items[i].node);
    assert_ptr_equal(n, rb_upper_bound(&t, &k, key_cmp));
    assert_ptr_equal(n, &items[2].node);

    /* Erasing the middle of a run of duplicates keeps the rest in order. */
    erase_item(&t, &items[31]);
    erase_item(&t, &items[1]);
    check_invariants(&t);
    check_against(&t, items, N);
    assert_ptr_equal(rb_find(&t, &k, key_cmp), &items[4].node);
}

static void test_bounds(void **state)
{
    /* Keys 10, 20, 20, 30, ..., 100 with a duplicate 20. */
    struct item items[11];
    struct rb_tree t;
    int k;

    (void)state;
    memset(items, 0, sizeof(items));
    rb_init(&t);
    for (int i = 0; i < 10; i++) {
        items[i].key = (i + 1) * 10;
        insert_item(&t, &items[i]);
    }
    items[10].key = 20;
    insert_item(&t, &items[10]);
    check_invariants(&t);

    k = 5;
    assert_ptr_equal(rb_lower_bound(&t, &k, key_cmp), &items[0].node);
    assert_ptr_equal(rb_upper_bound(&t, &k, key_cmp), &items[0].node);
    assert_null(rb_find(&t, &k, key_cmp));
    k = 10;
    assert_ptr_equal(rb_lower_bound(&t, &k, key_cmp), &items[0].node);
    assert_ptr_equal(rb_upper_bound(&t, &k, key_cmp), &items[1].node);
    k = 20;
    assert_ptr_equal(rb_lower_bound(&t, &k, key_cmp), &items[1].node);
    assert_ptr_equal(rb_upper_bound(&t, &k, key_cmp), &items[2].node);
    k = 25;
    assert_ptr_equal(rb_lower_bound(&t, &k, key_cmp), &items[2].node);
    assert_ptr_equal(rb_upper_bound(&t, &k, key_cmp), &items[2].node);
    assert_null(rb_find(&t, &k, key_cmp));
    k = 100;
    assert_ptr_equal(rb_lower_bound(&t, &k, key_cmp), &items[9].node);
    assert_null(rb_upper_bound(&t, &k, key_cmp));
    assert_ptr_equal(rb_find(&t, &k, key_cmp), &items[9].node);
    k = 101;
    assert_null(rb_lower_bound(&t, &k, key_cmp));
    assert_null(rb_upper_bound(&t, &k, key_cmp));
}

/* Checks find and both bounds for key k against a linear scan of items. */
static void check_queries(const struct rb_tree *t, struct item *items, size_t n,
                          int k)
{
    const struct item *lb = NULL, *ub = NULL;

    for (size_t i = 0; i < n; i++) {
        const struct item *it = &items[i];

        if (!it->in_tree)
            continue;
        if (it->key >= k && (lb == NULL || ref_cmp(&it, &lb) < 0))
            lb = it;
        if (it->key > k && (ub == NULL || ref_cmp(&it, &ub) < 0))
            ub = it;
    }
    assert_ptr_equal(item_of(rb_lower_bound(t, &k, key_cmp)), lb);
    assert_ptr_equal(item_of(rb_upper_bound(t, &k, key_cmp)), ub);
    if (lb != NULL && lb->key == k)
        assert_ptr_equal(item_of(rb_find(t, &k, key_cmp)), lb);
    else
        assert_null(rb_find(t, &k, key_cmp));
}

static void random_run(size_t n, int key_range, int steps, int check_every)
{
    struct item *items = calloc(n, sizeof(*items));
    struct rb_tree t;

    assert_non_null(items);
    rb_init(&t);
    for (int step = 0; step < steps; step++) {
        struct item *it = &items[rng() % n];

        if (it->in_tree) {
            erase_item(&t, it);
        } else {
            it->key = (int)(rng() % (uint32_t)key_range);
            insert_item(&t, it);
        }
        if (step % check_every == 0) {
            check_invariants(&t);
            check_against(&t, items, n);
            check_queries(&t, items, n, (int)(rng() % (uint32_t)key_range));
        }
    }
    check_invariants(&t);
    check_against(&t, items, n);
    for (size_t i = 0; i < n; i++) {
        check_queries(&t, items, n, items[i].key - 1);
        check_queries(&t, items, n, items[i].key);
        check_queries(&t, items, n, items[i].key + 1);
    }
    for (size_t i = 0; i < n; i++)
        if (items[i].in_tree)
            erase_item(&t, &items[i]);
    check_invariants(&t);
    assert_int_equal(t.count, 0);
    free(items);
}

static void test_random_small(void **state)
{
    (void)state;
    random_run(16, 8, 20000, 1);
}

static void test_random_many_duplicates(void **state)
{
    (void)state;
    random_run(300, 20, 20000, 7);
}

static void test_random_large(void **state)
{
    (void)state;
    random_run(5000, 1 << 30, 100000, 997);
}

/* Fills then drains a tree in random order, checking after every step. */
static void test_fill_and_drain(void **state)
{
    enum { N = 500 };
    static struct item items[N];
    size_t order[N];
    struct rb_tree t;

    (void)state;
    memset(items, 0, sizeof(items));
    rb_init(&t);
    for (size_t i = 0; i < N; i++) {
        items[i].key = (int)(rng() % 100);
        insert_item(&t, &items[i]);
        check_invariants(&t);
        order[i] = i;
    }
    check_against(&t, items, N);
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = rng() % (i + 1), tmp = order[i];

        order[i] = order[j];
        order[j] = tmp;
    }
    for (size_t i = 0; i < N; i++) {
        erase_item(&t, &items[order[i]]);
        check_invariants(&t);
    }
    assert_null(t.root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_ascending_descending),
        cmocka_unit_test(test_duplicates_keep_order),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_random_small),
        cmocka_unit_test(test_random_many_duplicates),
        cmocka_unit_test(test_random_large),
        cmocka_unit_test(test_fill_and_drain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
