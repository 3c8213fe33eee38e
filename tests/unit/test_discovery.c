/* Unit tests for the pure part of cluster/discovery: SRV records become
 * "host:port" members ordered by priority (low first), then weight (high
 * first), then answer order; port 0 becomes the default port; a trailing
 * dot is dropped and an IPv6 target is bracketed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cluster/discovery.h"

static void test_priority_then_weight(void **state)
{
    (void)state;
    struct discovery_srv recs[] = {
        {"c.example.", 20, 0, 8081},
        {"a.example.", 10, 5, 8080},
        {"b.example.", 10, 50, 8082},
        {"d.example.", 10, 5, 8083},
    };
    char **out = discovery_order(recs, 4, 9999);
    assert_string_equal(out[0], "b.example:8082");
    assert_string_equal(out[1], "a.example:8080");
    assert_string_equal(out[2], "d.example:8083");
    assert_string_equal(out[3], "c.example:8081");
    discovery_free(out, 4);
}

static void test_port_zero_is_default(void **state)
{
    (void)state;
    struct discovery_srv recs[] = {
        {"node1.internal.example.com.", 0, 0, 0},
        {"::1", 0, 0, 0},
        {"127.0.0.1", 0, 0, 7000},
    };
    char **out = discovery_order(recs, 3, 8080);
    assert_string_equal(out[0], "node1.internal.example.com:8080");
    assert_string_equal(out[1], "[::1]:8080");
    assert_string_equal(out[2], "127.0.0.1:7000");
    discovery_free(out, 3);
}

static void test_empty(void **state)
{
    (void)state;
    char **out = discovery_order(NULL, 0, 8080);
    assert_non_null(out);
    discovery_free(out, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_then_weight),
        cmocka_unit_test(test_port_zero_is_default),
        cmocka_unit_test(test_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
