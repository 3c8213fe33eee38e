/* Unit tests of the frontend registration record: its binary codec (round
 * trip, every truncation and bad value refused), the JSON validation of
 * api/frontendjson.c (each refusal names its field; configuration as an
 * object or as a string; the default address) and common/netaddr.c, which
 * decides whose address a heartbeat carries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/frontendjson.h"
#include "common/netaddr.h"
#include "common/xalloc.h"
#include "raft_store/frontends.h"

static void full_rec(struct frontend_rec *r)
{
    frontend_rec_init(r);
    r->id = 42;
    r->frontend_name = xstrdup("smpp-gateway-1");
    r->frontend_type = xstrdup("smpp");
    r->ip_address = xstrdup("10.0.1.5");
    r->hostname = xstrdup("smpp-gw-01");
    r->configuration = xstrdup("{\"port\":2775}");
    r->uptime_seconds = 3600;
    r->status = FE_EXPIRED;
    r->last_seen_at = 1700000000000LL;
    r->expires_at = 1700000090000LL;
    r->inserted_at = 1699990000000LL;
    r->updated_at = 1700000091000LL;
}

static void encode(const struct frontend_rec *r, struct buf *b)
{
    buf_init(b);
    frontend_rec_encode(b, r);
}

static int decode(const uint8_t *p, size_t len, struct frontend_rec *r)
{
    struct rd rd;
    rd_init(&rd, p, len);
    int rc = frontend_rec_decode(&rd, r);
    return rc == 0 && rd_done(&rd) ? 0 : (rc == 0 ? -2 : -1);
}

/* ---- binary codec ---- */

static void test_codec_round_trip(void **state)
{
    (void)state;
    struct frontend_rec r, back, copy;
    full_rec(&r);
    struct buf a, b;
    encode(&r, &a);
    assert_int_equal(decode(a.data, a.len, &back), 0);
    encode(&back, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_string_equal(back.frontend_name, "smpp-gateway-1");
    assert_string_equal(back.configuration, "{\"port\":2775}");
    assert_int_equal(back.uptime_seconds, 3600);
    assert_int_equal(back.status, FE_EXPIRED);
    assert_int_equal(back.updated_at, 1700000091000LL);
    frontend_rec_copy(&copy, &back);
    assert_ptr_not_equal(copy.hostname, back.hostname);
    assert_string_equal(copy.hostname, back.hostname);
    /* nulls survive too */
    frontend_rec_free(&copy);
    frontend_rec_init(&copy);
    copy.frontend_name = xstrdup("x");
    buf_free(&b);
    encode(&copy, &b);
    frontend_rec_free(&back);
    assert_int_equal(decode(b.data, b.len, &back), 0);
    assert_null(back.ip_address);
    assert_null(back.configuration);
    assert_int_equal(back.uptime_seconds, FE_UPTIME_NULL);
    assert_int_equal(back.last_seen_at, TIME_NULL);
    frontend_rec_free(&back);
    frontend_rec_free(&copy);
    frontend_rec_free(&r);
    buf_free(&a);
    buf_free(&b);
}

static void test_codec_truncated(void **state)
{
    (void)state;
    struct frontend_rec r, back;
    full_rec(&r);
    struct buf a;
    encode(&r, &a);
    for (size_t len = 0; len < a.len; len++) {
        if (decode(a.data, len, &back) != -1)
            fail_msg("a record cut to %zu of %zu bytes decoded", len, a.len);
        assert_null(back.frontend_name); /* freed and reset */
    }
    frontend_rec_free(&r);
    buf_free(&a);
}

/* Encodes r after set(r) and expects the decoder to refuse it. */
static void expect_refused(void (*set)(struct frontend_rec *r))
{
    struct frontend_rec r, back;
    full_rec(&r);
    set(&r);
    struct buf a;
    encode(&r, &a);
    assert_int_equal(decode(a.data, a.len, &back), -1);
    frontend_rec_free(&r);
    buf_free(&a);
}

static void no_name(struct frontend_rec *r)
{
    free(r->frontend_name);
    r->frontend_name = NULL;
}

static void bad_name(struct frontend_rec *r)
{
    free(r->frontend_name);
    r->frontend_name = xstrdup("a/b");
}

static void long_type(struct frontend_rec *r)
{
    free(r->frontend_type);
    r->frontend_type = xmalloc(FE_MAX_TYPE + 2);
    memset(r->frontend_type, 't', FE_MAX_TYPE + 1);
    r->frontend_type[FE_MAX_TYPE + 1] = '\0';
}

static void long_config(struct frontend_rec *r)
{
    free(r->configuration);
    r->configuration = xmalloc(FE_MAX_CONFIG + 2);
    memset(r->configuration, ' ', FE_MAX_CONFIG + 1);
    r->configuration[FE_MAX_CONFIG + 1] = '\0';
}

static void bad_uptime(struct frontend_rec *r)
{
    r->uptime_seconds = -2;
}

static void bad_status(struct frontend_rec *r)
{
    r->status = FE_STATUS_COUNT;
}

static void bad_id(struct frontend_rec *r)
{
    r->id = -1;
}

static void test_codec_refuses(void **state)
{
    (void)state;
    expect_refused(no_name);
    expect_refused(bad_name);
    expect_refused(long_type);
    expect_refused(long_config);
    expect_refused(bad_uptime);
    expect_refused(bad_status);
    expect_refused(bad_id);
    /* a wrong version byte */
    struct frontend_rec r, back;
    full_rec(&r);
    struct buf a;
    encode(&r, &a);
    a.data[0] = 2;
    assert_int_equal(decode(a.data, a.len, &back), -1);
    frontend_rec_free(&r);
    buf_free(&a);
}

static void test_names(void **state)
{
    (void)state;
    assert_true(frontend_name_valid("uk_gateway_1"));
    assert_true(frontend_name_valid("smsc@host:2775"));
    assert_false(frontend_name_valid(""));
    assert_false(frontend_name_valid(NULL));
    assert_false(frontend_name_valid("has space"));
    char longest[FE_MAX_NAME + 2];
    memset(longest, 'n', sizeof longest);
    longest[FE_MAX_NAME] = '\0';
    assert_true(frontend_name_valid(longest));
    longest[FE_MAX_NAME] = 'n';
    longest[FE_MAX_NAME + 1] = '\0';
    assert_false(frontend_name_valid(longest));
    assert_string_equal(frontend_status_name(FE_ACTIVE), "active");
    assert_string_equal(frontend_status_name(FE_EXPIRED), "expired");
    assert_string_equal(frontend_status_name(9), "unknown");
}

/* ---- JSON ---- */

static int from_text(const char *text, const char *dflt,
                     struct frontend_rec *r, char *err, size_t errlen)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    int st = frontend_from_json(j, dflt, r, err, errlen);
    json_decref(j);
    return st;
}

struct bad_case {
    const char *body;
    int status;
    const char *detail; /* substring */
};

static void test_json_rejects(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"[]", 400, "body must be a JSON object"},
        {"{}", 422, "frontend_name is required"},
        {"{\"frontend_name\":null}", 422, "frontend_name is required"},
        {"{\"frontend_name\":\"\"}", 422, "frontend_name is required"},
        {"{\"frontend_name\":7}", 422, "frontend_name must be a string"},
        {"{\"frontend_name\":\"a b\"}", 422, "frontend_name must be 1 to 128"},
        {"{\"frontend_name\":\"gw\",\"frontend_type\":\"s m\"}", 422,
         "frontend_type must be at most 32"},
        {"{\"frontend_name\":\"gw\",\"frontend_type\":1}", 422,
         "frontend_type must be a string"},
        {"{\"frontend_name\":\"gw\",\"ip_address\":\"10.0.0.300\"}", 422,
         "ip_address must be an IPv4 or IPv6 address"},
        {"{\"frontend_name\":\"gw\",\"ip_address\":\"gw.example.com\"}", 422,
         "ip_address"},
        {"{\"frontend_name\":\"gw\",\"hostname\":\"a\\nb\"}", 422,
         "hostname must be at most 255"},
        {"{\"frontend_name\":\"gw\",\"uptime_seconds\":-1}", 422,
         "uptime_seconds must be a non-negative integer"},
        {"{\"frontend_name\":\"gw\",\"uptime_seconds\":1.5}", 422,
         "uptime_seconds"},
        {"{\"frontend_name\":\"gw\",\"uptime_seconds\":\"60\"}", 422,
         "uptime_seconds"},
        {"{\"frontend_name\":\"gw\",\"configuration\":[1]}", 422,
         "configuration must be a JSON object or a string holding one"},
        {"{\"frontend_name\":\"gw\",\"configuration\":\"[1]\"}", 422,
         "configuration must be a JSON object"},
        {"{\"frontend_name\":\"gw\",\"configuration\":\"{port: 1}\"}", 422,
         "configuration must be a JSON object or a string holding one ("},
        {"{\"frontend_name\":\"gw\",\"configuration\":"
         "\"{\\\"a\\\":1,\\\"a\\\":2}\"}", 422, "configuration"},
        {"{\"frontend_name\":\"gw\",\"configuration\":5}", 422,
         "configuration"},
        {"{\"frontend_name\":\"gw\",\"colour\":\"red\"}", 422,
         "unknown field colour"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct frontend_rec r;
        char err[256];
        int st = from_text(cases[i].body, "127.0.0.1", &r, err, sizeof err);
        if (st != cases[i].status || strstr(err, cases[i].detail) == NULL)
            fail_msg("%s: got %d \"%s\", want %d \"%s\"", cases[i].body, st,
                     err, cases[i].status, cases[i].detail);
        assert_null(r.frontend_name);
        assert_null(r.configuration);
    }
}

static void test_json_accepts(void **state)
{
    (void)state;
    struct frontend_rec r;
    char err[256];
    /* the reference's register body, configuration as a string */
    assert_int_equal(from_text("{\"frontend_name\":\"smpp-gateway-1\","
                               "\"frontend_type\":\"SMPP\","
                               "\"ip_address\":\" 10.0.1.5 \","
                               "\"hostname\":\"smpp-gw-01\","
                               "\"uptime_seconds\":3600,"
                               "\"configuration\":\"{\\\"port\\\": 2775, "
                               "\\\"system_id\\\": \\\"smpp_user\\\"}\"}",
                               "127.0.0.1", &r, err, sizeof err),
                     0);
    assert_string_equal(r.frontend_name, "smpp-gateway-1");
    assert_string_equal(r.frontend_type, "SMPP");
    assert_string_equal(r.ip_address, "10.0.1.5");
    assert_string_equal(r.hostname, "smpp-gw-01");
    assert_int_equal(r.uptime_seconds, 3600);
    assert_string_equal(r.configuration,
                        "{\"port\":2775,\"system_id\":\"smpp_user\"}");
    frontend_rec_free(&r);
    /* configuration as an object, address from the client, read-only keys
     * of a rendered record ignored */
    assert_int_equal(from_text("{\"frontend_name\":\"uk_gateway_1\","
                               "\"configuration\":{\"max_throughput\":1000,"
                               "\"nested\":{\"a\":[1,2.5,null]}},"
                               "\"id\":9,\"status\":\"expired\","
                               "\"inserted_at\":\"x\"}",
                               "::ffff:192.0.2.1", &r, err, sizeof err),
                     0);
    assert_string_equal(r.configuration, "{\"max_throughput\":1000,"
                                         "\"nested\":{\"a\":[1,2.5,null]}}");
    assert_string_equal(r.ip_address, "::ffff:192.0.2.1");
    assert_int_equal(r.id, 0);
    assert_int_equal(r.status, FE_ACTIVE);
    assert_int_equal(r.uptime_seconds, FE_UPTIME_NULL);
    assert_null(r.frontend_type);
    frontend_rec_free(&r);
    /* an unknown client address stays null; "" and null mean "not given" */
    assert_int_equal(from_text("{\"frontend_name\":\"gw\",\"hostname\":\"\","
                               "\"configuration\":null,\"ip_address\":null}",
                               "unknown", &r, err, sizeof err),
                     0);
    assert_null(r.ip_address);
    assert_null(r.hostname);
    assert_null(r.configuration);
    frontend_rec_free(&r);
    assert_int_equal(from_text("{\"frontend_name\":\"gw\","
                               "\"ip_address\":\"2001:DB8:0:0::1\"}",
                               "127.0.0.1", &r, err, sizeof err),
                     0);
    assert_string_equal(r.ip_address, "2001:db8::1");
    frontend_rec_free(&r);
}

static void test_json_config_bound(void **state)
{
    (void)state;
    /* {"k":"vvv..."} of exactly FE_MAX_CONFIG bytes passes, one more not */
    size_t vlen = FE_MAX_CONFIG - strlen("{\"k\":\"\"}");
    for (size_t extra = 0; extra < 2; extra++) {
        char *v = xmalloc(vlen + extra + 1);
        memset(v, 'v', vlen + extra);
        v[vlen + extra] = '\0';
        json_t *body = json_pack("{s:s,s:{s:s}}", "frontend_name", "gw",
                                 "configuration", "k", v);
        free(v);
        struct frontend_rec r;
        char err[256];
        int st = frontend_from_json(body, NULL, &r, err, sizeof err);
        json_decref(body);
        if (extra == 0) {
            assert_int_equal(st, 0);
            assert_int_equal(strlen(r.configuration), FE_MAX_CONFIG);
        } else {
            assert_int_equal(st, 422);
            assert_string_equal(err, "configuration must be at most 8192 "
                                     "bytes as compact JSON");
        }
        frontend_rec_free(&r);
    }
}

static void test_json_render(void **state)
{
    (void)state;
    struct frontend_rec r;
    full_rec(&r);
    json_t *j = frontend_to_json(&r);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(
        text, "{\"id\":42,\"frontend_name\":\"smpp-gateway-1\","
              "\"frontend_type\":\"smpp\",\"ip_address\":\"10.0.1.5\","
              "\"hostname\":\"smpp-gw-01\",\"uptime_seconds\":3600,"
              "\"configuration\":{\"port\":2775},\"status\":\"expired\","
              "\"last_seen_at\":\"2023-11-14T22:13:20Z\","
              "\"expires_at\":\"2023-11-14T22:14:50Z\","
              "\"inserted_at\":\"2023-11-14T19:26:40Z\","
              "\"updated_at\":\"2023-11-14T22:14:51Z\"}");
    free(text);
    /* a rendered record is a valid heartbeat body for the same frontend */
    struct frontend_rec back;
    char err[256];
    assert_int_equal(frontend_from_json(j, NULL, &back, err, sizeof err), 0);
    assert_string_equal(back.configuration, r.configuration);
    assert_string_equal(back.ip_address, r.ip_address);
    frontend_rec_free(&back);
    json_decref(j);
    /* stored text that is not JSON shows as a string; nulls as null */
    free(r.configuration);
    r.configuration = xstrdup("not json");
    r.uptime_seconds = FE_UPTIME_NULL;
    j = frontend_to_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "configuration")),
                        "not json");
    assert_true(json_is_null(json_object_get(j, "uptime_seconds")));
    json_decref(j);
    frontend_rec_free(&r);
}

/* ---- addresses ---- */

static void test_netaddr(void **state)
{
    (void)state;
    char out[NETADDR_LEN];
    assert_int_equal(netaddr_canonical("10.0.0.1", out), 0);
    assert_string_equal(out, "10.0.0.1");
    assert_int_equal(netaddr_canonical("\t2001:0db8::0001 ", out), 0);
    assert_string_equal(out, "2001:db8::1");
    assert_int_equal(netaddr_canonical("::FFFF:10.0.0.1", out), 0);
    assert_string_equal(out, "::ffff:10.0.0.1");
    assert_int_equal(netaddr_canonical("unknown", out), -1);
    assert_string_equal(out, "");
    assert_int_equal(netaddr_canonical("", out), -1);
    assert_int_equal(netaddr_canonical(NULL, out), -1);
    assert_int_equal(netaddr_canonical("10.0.0.1:80", out), -1);

    assert_true(netaddr_in_cidr("10.1.2.3", "10.0.0.0/8"));
    assert_false(netaddr_in_cidr("11.1.2.3", "10.0.0.0/8"));
    assert_true(netaddr_in_cidr("127.0.0.1", "127.0.0.1"));
    assert_false(netaddr_in_cidr("127.0.0.2", "127.0.0.1"));
    assert_true(netaddr_in_cidr("192.168.1.77", "192.168.1.64/26"));
    assert_false(netaddr_in_cidr("192.168.1.128", "192.168.1.64/26"));
    assert_true(netaddr_in_cidr("1.2.3.4", "0.0.0.0/0"));
    assert_true(netaddr_in_cidr("::ffff:10.9.9.9", "10.0.0.0/8"));
    assert_true(netaddr_in_cidr("2001:db8::5", "2001:db8::/32"));
    assert_false(netaddr_in_cidr("2001:db9::5", "2001:db8::/32"));
    assert_true(netaddr_in_cidr("::1", "::1"));
    assert_false(netaddr_in_cidr("10.0.0.1", "::1"));
    assert_false(netaddr_in_cidr("10.0.0.1", "10.0.0.0/33"));
    assert_false(netaddr_in_cidr("10.0.0.1", "10.0.0.0/"));
    assert_false(netaddr_in_cidr("bogus", "0.0.0.0/0"));
    char *list[] = {"192.168.0.0/16", "::1"};
    assert_true(netaddr_in_list("::1", list, 2));
    assert_true(netaddr_in_list("192.168.3.4", list, 2));
    assert_false(netaddr_in_list("127.0.0.1", list, 2));
    assert_false(netaddr_in_list("127.0.0.1", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_codec_truncated),
        cmocka_unit_test(test_codec_refuses),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_json_rejects),
        cmocka_unit_test(test_json_accepts),
        cmocka_unit_test(test_json_config_bound),
        cmocka_unit_test(test_json_render),
        cmocka_unit_test(test_netaddr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
