/* Unit tests of the route, translation-rule and location records: the
 * binary codec (raft_store/tables.c) — round trips, a golden encoding,
 * truncation at every length, out-of-range values — and the JSON mapping
 * (api/tablejson.c) — defaults, PATCH and IMPORT semantics, limits, one
 * case per validation error, and round trips in both directions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/tablejson.h"
#include "common/xalloc.h"
#include "raft_store/tables.h"
#include "tests/unit/tables_fixture.h"

typedef enum table_json_mode rec_mode;
#define CREATE TABLE_JSON_CREATE
#define PATCH TABLE_JSON_PATCH
#define IMPORT TABLE_JSON_IMPORT

#define ROUTE_BASE "\"dest_smsc\":\"gw\""
#define LOC_BASE "\"msisdn\":\"+15551234567\",\"location\":\"msc1\""

static const char *const base_body[] = {
    [ROUTE] = "{" ROUTE_BASE "}",
    [RULE] = "{}",
    [LOCATION] = "{" LOC_BASE "}",
};

#include "tests/unit/record_fixture.h"
#include "tests/unit/tables_samples.h"

/* A copy shares nothing with its source. */
static void test_copy_is_deep(void **state)
{
    (void)state;
    check_copy_is_deep(samples, N_SAMPLES);
}

/* ---- binary codec ---- */

static void test_binary_round_trip(void **state)
{
    (void)state;
    check_binary_round_trip(samples, N_SAMPLES);
}

/* The default route with id 7, byte for byte: snapshots outlive builds. */
static const uint8_t golden_route[] = {
    0x01,                                     /* format version */
    0x0e,                                     /* id 7 */
    0, 0, 0, 0, 0, 0, 0,                      /* seven NULL strings */
    0x00, 0x00, 0x00, 0x00,                   /* source_type auto_reply
                                                 drop charged */
    0xc8, 0x01, 0xc8, 0x01,                   /* weight, priority 100 */
    0x01,                                     /* enabled */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
};

#define GOLDEN_AUTO_REPLY 10 /* offset of the auto_reply byte */

static void test_binary_golden_route(void **state)
{
    (void)state;
    struct route_rec r;
    route_rec_init(&r);
    r.id = 7;
    struct buf b;
    buf_init(&b);
    route_rec_encode(&b, &r);
    assert_int_equal(b.len, sizeof golden_route);
    assert_memory_equal(b.data, golden_route, b.len);
    buf_free(&b);
}

static void test_binary_truncated(void **state)
{
    (void)state;
    check_binary_truncated(samples, N_SAMPLES);
}

enum bad_field { B_ID, B_WEIGHT, B_PRIORITY, B_CHARGED, B_SOURCE_TYPE };

struct bad_value {
    enum kind kind;
    enum bad_field field;
    int64_t value;
};

static const struct bad_value bad_values[] = {
    {ROUTE, B_ID, -1},           {ROUTE, B_ID, INT64_MIN},
    {ROUTE, B_WEIGHT, 0},        {ROUTE, B_WEIGHT, 101},
    {ROUTE, B_WEIGHT, INT32_MIN}, {ROUTE, B_PRIORITY, 0},
    {ROUTE, B_PRIORITY, 256},    {ROUTE, B_PRIORITY, -1},
    {ROUTE, B_CHARGED, 3},       {ROUTE, B_CHARGED, 255},
    {ROUTE, B_SOURCE_TYPE, SRC_TYPE_COUNT}, {ROUTE, B_SOURCE_TYPE, 255},
    {RULE, B_ID, -1},            {RULE, B_PRIORITY, 0},
    {RULE, B_PRIORITY, 256},     {RULE, B_PRIORITY, INT32_MAX},
    {LOCATION, B_ID, -1},        {LOCATION, B_ID, INT64_MIN},
};

static void set_bad(union rec *r, const struct bad_value *v)
{
    if (v->field == B_ID && v->kind == ROUTE)
        r->route.id = v->value;
    else if (v->field == B_ID && v->kind == RULE)
        r->rule.id = v->value;
    else if (v->field == B_ID)
        r->loc.id = v->value;
    else if (v->field == B_PRIORITY && v->kind == ROUTE)
        r->route.priority = (int32_t)v->value;
    else if (v->field == B_PRIORITY)
        r->rule.priority = (int32_t)v->value;
    else if (v->field == B_WEIGHT)
        r->route.weight = (int32_t)v->value;
    else if (v->field == B_CHARGED)
        r->route.charged = (uint8_t)v->value;
    else
        r->route.source_type = (uint8_t)v->value;
}

static void test_binary_out_of_range(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        const struct bad_value *v = &bad_values[i];
        union rec a, b;
        rec_init(v->kind, &a);
        set_bad(&a, v);
        struct buf enc;
        buf_init(&enc);
        rec_encode(v->kind, &enc, &a);
        struct rd rd;
        rd_init(&rd, enc.data, enc.len);
        if (rec_decode(v->kind, &rd, &b) != -1 || rd.err == 0)
            fail_msg("case %zu: value %lld accepted", i, (long long)v->value);
        buf_free(&enc);
    }
}

static int decode_route_bytes(const uint8_t *p, size_t n)
{
    struct route_rec r;
    struct rd rd;
    rd_init(&rd, p, n);
    int rc = route_rec_decode(&rd, &r);
    if (rc == 0)
        route_rec_free(&r);
    return rc;
}

static void test_binary_bad_bytes(void **state)
{
    (void)state;
    uint8_t g[sizeof golden_route];
    memcpy(g, golden_route, sizeof g);
    assert_int_equal(decode_route_bytes(g, sizeof g), 0);
    static const uint8_t versions[] = {0x00, 0x02, 0xff};
    for (size_t i = 0; i < sizeof versions; i++) {
        g[0] = versions[i];
        assert_int_equal(decode_route_bytes(g, sizeof g), -1);
    }
    g[0] = golden_route[0];
    g[GOLDEN_AUTO_REPLY] = 2; /* a bool is 0 or 1 */
    assert_int_equal(decode_route_bytes(g, sizeof g), -1);

    /* the first string holding a NUL byte, then one byte too long */
    struct buf b;
    buf_init(&b);
    buf_put(&b, golden_route, 2);
    buf_put_strn(&b, "a\0b", 3);
    buf_put(&b, golden_route + 3, sizeof golden_route - 3);
    assert_int_equal(decode_route_bytes(b.data, b.len), -1);
    buf_reset(&b);
    char *big = repeat('x', TABLE_MAX_STR + 1);
    buf_put(&b, golden_route, 2);
    buf_put_str(&b, big);
    buf_put(&b, golden_route + 3, sizeof golden_route - 3);
    assert_int_equal(decode_route_bytes(b.data, b.len), -1);
    free(big);
    buf_free(&b);
}

static void test_charged_names(void **state)
{
    (void)state;
    static const char *const names[] = {"default", "yes", "no"};
    for (int i = 0; i < 3; i++) {
        int c = -1;
        assert_string_equal(route_charged_name(i), names[i]);
        assert_int_equal(route_charged_parse(names[i], &c), 0);
        assert_int_equal(c, i);
    }
    int c = 7;
    assert_int_equal(route_charged_parse("Yes", &c), -1);
    assert_int_equal(route_charged_parse(NULL, &c), -1);
    assert_int_equal(c, 7);
    assert_string_equal(route_charged_name(3), "unknown");
}

/* ---- JSON ---- */

static void test_json_create_defaults(void **state)
{
    (void)state;
    union rec r;
    char err[256];
    assert_int_equal(run_json(ROUTE, TABLE_JSON_CREATE, base_body[ROUTE], &r,
                              err, sizeof err), 0);
    assert_int_equal(r.route.weight, 100);
    assert_int_equal(r.route.priority, 100);
    assert_true(r.route.enabled);
    assert_int_equal(r.route.charged, CHARGED_DEFAULT);
    assert_int_equal(r.route.source_type, SRC_NONE);
    assert_null(r.route.calling_prefix);
    assert_int_equal(r.route.id, 0);
    assert_true(r.route.inserted_at == TIME_NULL);
    route_rec_free(&r.route);

    assert_int_equal(run_json(RULE, TABLE_JSON_CREATE, "{}", &r, err,
                              sizeof err), 0);
    assert_int_equal(r.rule.priority, 100);
    assert_true(r.rule.enabled);
    assert_false(r.rule.cont);
    assert_null(r.rule.calling_match);
    xlat_rule_rec_free(&r.rule);

    assert_int_equal(run_json(LOCATION, TABLE_JSON_CREATE, base_body[LOCATION],
                              &r, err, sizeof err), 0);
    assert_true(r.loc.registered);
    assert_false(r.loc.ims_capable);
    assert_true(r.loc.expires == TIME_NULL);
    assert_null(r.loc.imsi);
    location_rec_free(&r.loc);
}

/* Read-only keys are ignored (whatever they hold) unless importing. */
static void test_json_readonly_ignored(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        [ROUTE] = "{" ROUTE_BASE ",\"id\":5,\"route_id\":\"x\","
                  "\"inserted_at\":3,\"updated_at\":\"2025-10-30T12:00:00Z\"}",
        [RULE] = "{\"id\":-1,\"rule_id\":5,\"inserted_at\":null}",
        [LOCATION] = "{" LOC_BASE ",\"id\":[],\"updated_at\":{}}",
    };
    static const enum table_json_mode modes[] = {TABLE_JSON_CREATE,
                                                 TABLE_JSON_PATCH};
    for (int k = ROUTE; k <= LOCATION; k++) {
        for (size_t m = 0; m < 2; m++) {
            union rec r, d;
            char err[256];
            assert_int_equal(run_json((enum kind)k, modes[m], bodies[k], &r,
                                      err, sizeof err), 0);
            json_t *base = json_loads(base_body[k], 0, NULL);
            assert_int_equal(rec_from_json((enum kind)k, base, &d,
                                           TABLE_JSON_CREATE, err, sizeof err),
                             0);
            rec_eq((enum kind)k, &r, &d);
            rec_free((enum kind)k, &r);
            rec_free((enum kind)k, &d);
            json_decref(base);
        }
    }
}

static void test_json_patch(void **state)
{
    (void)state;
    union rec r;
    char err[256];
    route_full(&r);
    json_t *o = json_loads("{\"weight\":5,\"calling_prefix\":null,"
                           "\"called_prefix\":\"\",\"drop\":true,"
                           "\"source_type\":\"ims\"}", 0, NULL);
    assert_int_equal(route_from_json(o, &r.route, TABLE_JSON_PATCH, err,
                                     sizeof err), 0);
    json_decref(o);
    union rec want;
    route_full(&want);
    want.route.weight = 5;
    free(want.route.calling_prefix);
    free(want.route.called_prefix);
    want.route.calling_prefix = want.route.called_prefix = NULL;
    want.route.drop = true;
    want.route.source_type = SRC_IMS;
    route_eq(&r.route, &want.route);
    route_rec_free(&r.route);
    route_rec_free(&want.route);

    rule_full(&r);
    o = json_loads("{\"continue\":false,\"called_match\":\"\"}", 0, NULL);
    assert_int_equal(xlat_rule_from_json(o, &r.rule, TABLE_JSON_PATCH, err,
                                         sizeof err), 0);
    json_decref(o);
    assert_false(r.rule.cont);
    assert_null(r.rule.called_match);
    assert_string_equal(r.rule.calling_match, "^0([1-9][0-9]*)$");
    xlat_rule_rec_free(&r.rule);

    loc_full(&r);
    o = json_loads("{\"registered\":true,\"expires\":null,\"imsi\":\"\"}", 0,
                   NULL);
    assert_int_equal(location_from_json(o, &r.loc, TABLE_JSON_PATCH, err,
                                        sizeof err), 0);
    json_decref(o);
    assert_true(r.loc.registered);
    assert_true(r.loc.expires == TIME_NULL);
    assert_null(r.loc.imsi);
    assert_string_equal(r.loc.msisdn, "+447700900123");
    location_rec_free(&r.loc);
}

/* A failed call leaves a patched record as it was, a created one at its
 * defaults. */
static void test_json_failure_keeps_record(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"weight\":7,\"description\":\"new\",\"priority\":0}",
        "{\"description\":\"new\",\"dest_smsc\":null}",
    };
    for (size_t i = 0; i < 2; i++)
        check_failure_keeps_record(ROUTE, route_full, bad[i]);
}

static void test_json_import(void **state)
{
    (void)state;
    union rec r;
    char err[256];
    assert_int_equal(run_json(ROUTE, TABLE_JSON_IMPORT,
                              "{" ROUTE_BASE ",\"id\":42,\"route_id\":42,"
                              "\"inserted_at\":\"2025-10-30T14:00:00+02:00\","
                              "\"updated_at\":null}",
                              &r, err, sizeof err), 0);
    assert_int_equal(r.route.id, 42);
    assert_true(r.route.inserted_at == T_2025);
    assert_true(r.route.updated_at == TIME_NULL);
    route_rec_free(&r.route);

    assert_int_equal(run_json(RULE, TABLE_JSON_IMPORT,
                              "{\"rule_id\":9,\"id\":null,"
                              "\"updated_at\":\"2026-01-01T00:00:00.999Z\"}",
                              &r, err, sizeof err), 0);
    assert_int_equal(r.rule.id, 9);
    assert_true(r.rule.updated_at == T_2026 + 999);
    xlat_rule_rec_free(&r.rule);

    assert_int_equal(run_json(LOCATION, TABLE_JSON_IMPORT,
                              "{" LOC_BASE ",\"id\":" "9223372036854775807}",
                              &r, err, sizeof err), 0);
    assert_true(r.loc.id == INT64_MAX);
    location_rec_free(&r.loc);
}

#define NOT_OBJ "body must be a JSON object"
#define W100 "weight must be an integer from 1 to 100"
#define P255 "priority must be an integer from 1 to 255"
#define SRC "source_type must be one of ims, circuit_switched, smpp, or null"
#define TIME_MSG                                                               \
    " must be an RFC 3339 time such as 2025-10-30T12:00:00Z, or null"
#define NO_DEST "dest_smsc is required unless drop or auto_reply is set"
#define NO_MSG "auto_reply_message is required when auto_reply is true"
#define BAD_NUM "Invalid phone number format (msisdn)"
#define IMSI "imsi must be 5 to 15 digits"

static const struct json_case json_cases[] = {
    /* accepted at the limits */
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"called_prefix\":\"%L\"}", 64, 0, ""},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"description\":\"%L\"}", 1024, 0, ""},
    {ROUTE, PATCH, "{\"weight\":1,\"priority\":1}", 0, 0, ""},
    {ROUTE, PATCH, "{\"weight\":100,\"priority\":255}", 0, 0, ""},
    {ROUTE, CREATE, "{\"drop\":true,\"source_type\":\"\"}", 0, 0, ""},
    {ROUTE, CREATE, "{\"auto_reply\":true,\"auto_reply_message\":\"%L\"}",
     1024, 0, ""},
    {RULE, CREATE, "{\"called_match\":\"%L\"}", 1024, 0, ""},
    {LOCATION, PATCH, "{\"msisdn\":\"+123456789012345\"}", 0, 0, ""},
    {LOCATION, PATCH, "{\"msisdn\":\"123\",\"imsi\":\"12345\"}", 0, 0, ""},
    {LOCATION, PATCH, "{\"imsi\":\"123456789012345\"}", 0, 0, ""},
    {LOCATION, PATCH, "{\"location\":\"%L\"}", 255, 0, ""},
    {LOCATION, PATCH, "{\"imei\":\"%L\"}", 32, 0, ""},
    {LOCATION, PATCH, "{\"user_agent\":\"%L\"}", 255, 0, ""},
    /* refused, with a detail naming the field */
    {ROUTE, CREATE, "[]", 0, 400, NOT_OBJ},
    {ROUTE, PATCH, "\"x\"", 0, 400, NOT_OBJ},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"colour\":1}", 0, 422,
     "unknown field colour"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"rule_id\":1}", 0, 422,
     "unknown field rule_id"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"weight\":0}", 0, 422, W100},
    {ROUTE, PATCH, "{\"weight\":101}", 0, 422, W100},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"weight\":\"5\"}", 0, 422, W100},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"weight\":1.5}", 0, 422, W100},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"weight\":null}", 0, 422, W100},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"priority\":0}", 0, 422, P255},
    {ROUTE, PATCH, "{\"priority\":256}", 0, 422, P255},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"enabled\":\"yes\"}", 0, 422,
     "enabled must be true or false"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"drop\":1}", 0, 422,
     "drop must be true or false"},
    {ROUTE, PATCH, "{\"auto_reply\":null}", 0, 422,
     "auto_reply must be true or false"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"charged\":\"maybe\"}", 0, 422,
     "charged must be one of yes, no, default"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"charged\":null}", 0, 422,
     "charged must be one of yes, no, default"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"source_type\":\"pigeon\"}", 0, 422, SRC},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"source_type\":1}", 0, 422, SRC},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"calling_prefix\":5}", 0, 422,
     "calling_prefix must be a string or null"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"called_prefix\":\"%L\"}", 65, 422,
     "called_prefix must be at most 64 bytes long"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"source_smsc\":\"a\\u0000b\"}", 0, 422,
     "source_smsc must not contain NUL characters"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"enum_domain\":[]}", 0, 422,
     "enum_domain must be a string or null"},
    {ROUTE, CREATE, "{\"dest_smsc\":\"%L\"}", 65, 422,
     "dest_smsc must be at most 64 bytes long"},
    {ROUTE, CREATE, "{" ROUTE_BASE ",\"description\":\"%L\"}", 1025, 422,
     "description must be at most 1024 bytes long"},
    {ROUTE, CREATE, "{\"auto_reply\":true,\"auto_reply_message\":\"%L\"}",
     1025, 422, "auto_reply_message must be at most 1024 bytes long"},
    {ROUTE, CREATE,
     "{\"drop\":true,\"auto_reply\":true,\"auto_reply_message\":\"x\"}", 0,
     422,
     "drop and auto_reply cannot both be set"},
    {ROUTE, CREATE, "{\"auto_reply\":true}", 0, 422, NO_MSG},
    {ROUTE, PATCH, "{\"auto_reply\":true,\"auto_reply_message\":\"\"}", 0, 422,
     NO_MSG},
    {ROUTE, CREATE, "{}", 0, 422, NO_DEST},
    {ROUTE, CREATE, "{\"dest_smsc\":\"\"}", 0, 422, NO_DEST},
    {ROUTE, PATCH, "{\"dest_smsc\":null}", 0, 422, NO_DEST},
    {ROUTE, IMPORT, "{" ROUTE_BASE ",\"id\":-1}", 0, 422,
     "id must be a non-negative integer or null"},
    {ROUTE, IMPORT, "{" ROUTE_BASE ",\"route_id\":\"7\"}", 0, 422,
     "route_id must be a non-negative integer or null"},
    {ROUTE, IMPORT, "{" ROUTE_BASE ",\"id\":0,\"route_id\":2}", 0, 422,
     "id and route_id must be equal"},
    {ROUTE, IMPORT, "{" ROUTE_BASE ",\"id\":1,\"route_id\":2}", 0, 422,
     "id and route_id must be equal"},
    {ROUTE, IMPORT, "{" ROUTE_BASE ",\"inserted_at\":\"yesterday\"}", 0, 422,
     "inserted_at" TIME_MSG},
    {RULE, CREATE, "3", 0, 400, NOT_OBJ},
    {RULE, CREATE, "{\"cont\":true}", 0, 422, "unknown field cont"},
    {RULE, CREATE, "{\"route_id\":1}", 0, 422, "unknown field route_id"},
    {RULE, PATCH, "{\"continue\":\"no\"}", 0, 422,
     "continue must be true or false"},
    {RULE, CREATE, "{\"priority\":-5}", 0, 422, P255},
    {RULE, CREATE, "{\"calling_match\":\"%L\"}", 1025, 422,
     "calling_match must be at most 1024 bytes long"},
    {RULE, CREATE, "{\"called_replace\":5}", 0, 422,
     "called_replace must be a string or null"},
    {RULE, CREATE, "{\"source_smsc\":\"%L\"}", 65, 422,
     "source_smsc must be at most 64 bytes long"},
    {RULE, IMPORT, "{\"rule_id\":-3}", 0, 422,
     "rule_id must be a non-negative integer or null"},
    {RULE, IMPORT, "{\"rule_id\":3,\"id\":4}", 0, 422,
     "rule_id and id must be equal"},
    {RULE, IMPORT, "{\"updated_at\":5}", 0, 422, "updated_at" TIME_MSG},
    {LOCATION, CREATE, "null", 0, 400, NOT_OBJ},
    {LOCATION, CREATE, "{\"location\":\"msc1\"}", 0, 422, "msisdn is required"},
    {LOCATION, IMPORT, "{\"location\":\"msc1\",\"msisdn\":\"\"}", 0, 422,
     "msisdn is required"},
    {LOCATION, PATCH, "{\"msisdn\":null}", 0, 422, "msisdn is required"},
    {LOCATION, CREATE, "{\"location\":\"x\",\"msisdn\":\"12\"}", 0, 422,
     BAD_NUM},
    {LOCATION, PATCH, "{\"msisdn\":\"+1234567890123456\"}", 0, 422, BAD_NUM},
    {LOCATION, PATCH, "{\"msisdn\":\"+1555abc\"}", 0, 422, BAD_NUM},
    {LOCATION, CREATE, "{\"msisdn\":\"+15551234567\"}", 0, 422,
     "location is required"},
    {LOCATION, PATCH, "{\"location\":\"\"}", 0, 422, "location is required"},
    {LOCATION, PATCH, "{\"location\":\"%L\"}", 256, 422,
     "location must be at most 255 bytes long"},
    {LOCATION, PATCH, "{\"imsi\":\"1234\"}", 0, 422, IMSI},
    {LOCATION, PATCH, "{\"imsi\":\"12345a\"}", 0, 422, IMSI},
    {LOCATION, PATCH, "{\"imsi\":\"1234567890123456\"}", 0, 422, IMSI},
    {LOCATION, PATCH, "{\"imei\":\"%L\"}", 33, 422,
     "imei must be at most 32 bytes long"},
    {LOCATION, PATCH, "{\"ran_location\":true}", 0, 422,
     "ran_location must be a string or null"},
    {LOCATION, PATCH, "{\"user_agent\":\"%L\"}", 256, 422,
     "user_agent must be at most 255 bytes long"},
    {LOCATION, PATCH, "{\"ims_capable\":\"true\"}", 0, 422,
     "ims_capable must be true or false"},
    {LOCATION, PATCH, "{\"csfb\":0}", 0, 422, "csfb must be true or false"},
    {LOCATION, PATCH, "{\"registered\":null}", 0, 422,
     "registered must be true or false"},
    {LOCATION, PATCH, "{\"expires\":\"tomorrow\"}", 0, 422, "expires" TIME_MSG},
    {LOCATION, PATCH, "{\"expires\":\"2025-02-30T00:00:00Z\"}", 0, 422,
     "expires" TIME_MSG},
    {LOCATION, PATCH, "{\"expires\":1761825600}", 0, 422, "expires" TIME_MSG},
    {LOCATION, CREATE, "{" LOC_BASE ",\"rule_id\":1}", 0, 422,
     "unknown field rule_id"},
};

static void test_json_validation(void **state)
{
    (void)state;
    check_json_cases(json_cases, sizeof json_cases / sizeof json_cases[0]);
}

static void test_json_output(void **state)
{
    (void)state;
    struct route_rec r;
    route_rec_init(&r);
    r.id = 12;
    r.inserted_at = T_2025 + 999;
    json_t *o = route_to_json(&r);
    char *text = json_dumps(o, JSON_COMPACT);
    assert_string_equal(
        text, "{\"id\":12,\"route_id\":12,\"calling_prefix\":null,"
              "\"called_prefix\":null,\"source_smsc\":null,"
              "\"source_type\":null,"
              "\"enum_domain\":null,\"dest_smsc\":null,\"auto_reply\":false,"
              "\"auto_reply_message\":null,\"drop\":false,"
              "\"charged\":\"default\",\"weight\":100,\"priority\":100,"
              "\"description\":null,\"enabled\":true,"
              "\"inserted_at\":\"2025-10-30T12:00:00Z\",\"updated_at\":null}");
    free(text);
    json_decref(o);

    union rec u;
    rule_full(&u);
    o = xlat_rule_to_json(&u.rule);
    assert_int_equal(json_integer_value(json_object_get(o, "rule_id")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 1);
    assert_true(json_is_true(json_object_get(o, "continue")));
    assert_null(json_object_get(o, "cont"));
    json_decref(o);
    xlat_rule_rec_free(&u.rule);

    loc_full(&u);
    o = location_to_json(&u.loc);
    assert_string_equal(json_string_value(json_object_get(o, "expires")),
                        "2026-01-01T00:00:00Z");
    assert_int_equal(json_object_size(o), 13);
    json_decref(o);
    location_rec_free(&u.loc);
}

/* record -> JSON -> record (IMPORT) gives the same record. */
static void test_json_record_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SAMPLES; i++) {
        const struct sample *s = &samples[i];
        if (!s->json_valid)
            continue;
        union rec a, b;
        char err[256];
        s->fill(&a);
        json_t *o = rec_to_json(s->kind, &a);
        if (rec_from_json(s->kind, o, &b, TABLE_JSON_IMPORT, err, sizeof err))
            fail_msg("%s: %s", s->name, err);
        rec_eq(s->kind, &a, &b);
        json_decref(o);
        rec_free(s->kind, &a);
        rec_free(s->kind, &b);
    }
}

/* JSON -> record (IMPORT) -> JSON gives the same document. */
static void test_json_text_round_trip(void **state)
{
    (void)state;
    static const char *const docs[] = {
        [ROUTE] = "{\"id\":3,\"route_id\":3,\"calling_prefix\":\"+1\","
                  "\"called_prefix\":\"+46\",\"source_smsc\":\"a\","
                  "\"source_type\":\"smpp\",\"enum_domain\":\"e164.arpa\","
                  "\"dest_smsc\":null,\"auto_reply\":true,"
                  "\"auto_reply_message\":\"Away \\u00e9\",\"drop\":false,"
                  "\"charged\":\"yes\",\"weight\":50,\"priority\":7,"
                  "\"description\":\"\",\"enabled\":false,"
                  "\"inserted_at\":\"2025-10-30T12:00:00Z\","
                  "\"updated_at\":\"9999-12-31T23:59:59Z\"}",
        [RULE] = "{\"id\":4,\"rule_id\":4,\"calling_prefix\":null,"
                 "\"called_prefix\":\"0\",\"source_smsc\":null,"
                 "\"calling_match\":null,\"calling_replace\":null,"
                 "\"called_match\":\"^0\",\"called_replace\":\"+46\","
                 "\"priority\":255,\"description\":\"x\",\"enabled\":true,"
                 "\"continue\":true,\"inserted_at\":null,"
                 "\"updated_at\":\"2026-01-01T00:00:00Z\"}",
        [LOCATION] = "{\"id\":5,\"msisdn\":\"123\",\"imsi\":\"12345\","
                     "\"location\":\"m\",\"ran_location\":null,"
                     "\"imei\":null,\"user_agent\":\"ua\","
                     "\"ims_capable\":false,\"csfb\":true,"
                     "\"registered\":false,"
                     "\"expires\":\"2024-02-29T23:59:59Z\","
                     "\"inserted_at\":null,\"updated_at\":null}",
    };
    for (int k = ROUTE; k <= LOCATION; k++) {
        union rec r;
        char err[256];
        json_t *in = json_loads(docs[k], 0, NULL);
        assert_non_null(in);
        if (rec_from_json((enum kind)k, in, &r, TABLE_JSON_IMPORT, err,
                          sizeof err))
            fail_msg("kind %d: %s", k, err);
        json_t *out = rec_to_json((enum kind)k, &r);
        assert_true(json_equal(in, out));
        json_decref(in);
        json_decref(out);
        rec_free((enum kind)k, &r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_is_deep),
        cmocka_unit_test(test_binary_round_trip),
        cmocka_unit_test(test_binary_golden_route),
        cmocka_unit_test(test_binary_truncated),
        cmocka_unit_test(test_binary_out_of_range),
        cmocka_unit_test(test_binary_bad_bytes),
        cmocka_unit_test(test_charged_names),
        cmocka_unit_test(test_json_create_defaults),
        cmocka_unit_test(test_json_readonly_ignored),
        cmocka_unit_test(test_json_patch),
        cmocka_unit_test(test_json_failure_keeps_record),
        cmocka_unit_test(test_json_import),
        cmocka_unit_test(test_json_validation),
        cmocka_unit_test(test_json_output),
        cmocka_unit_test(test_json_record_round_trip),
        cmocka_unit_test(test_json_text_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
