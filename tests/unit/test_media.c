/* Unit tests of the MMS message and SS7 event records: the binary codec
 * (raft_store/media.c) — round trips, golden encodings, truncation at every
 * length, out-of-range values and string bounds — and the JSON mapping
 * (api/mediajson.c) — defaults, the reference's example bodies, PATCH
 * semantics, one case per validation error, details as compact JSON, and
 * round trips in both directions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/mediajson.h"
#include "common/xalloc.h"
#include "raft_store/media.h"
#include "tests/unit/media_fixture.h"

typedef enum media_json_mode rec_mode;
#define CREATE MEDIA_JSON_CREATE
#define PATCH MEDIA_JSON_PATCH

#define MMS_BASE                                                               \
    "\"source_msisdn\":\"+15551234567\","                                      \
    "\"destination_msisdn\":\"+447700900000\""
#define SS7_BASE "\"event_type\":\"MAP_UPDATE_LOCATION\""

static const char *const base_body[] = {
    [MMS] = "{" MMS_BASE "}",
    [SS7] = "{" SS7_BASE "}",
};

#include "tests/unit/record_fixture.h"

#define T_2025 1761825600000LL /* 2025-10-30T12:00:00Z */
#define T_2026 1767225600000LL /* 2026-01-01T00:00:00Z */

/* ---- field-by-field equality ---- */

static void mms_eq(const struct mms_rec *a, const struct mms_rec *b)
{
    EQ(id); EQ(message_size); EQ(status); EQ(inserted_at); EQ(updated_at);
    EQ_STR(source_msisdn); EQ_STR(destination_msisdn); EQ_STR(subject);
    EQ_STR(content_type); EQ_STR(content_location);
}

static void ss7_eq(const struct ss7_rec *a, const struct ss7_rec *b)
{
    EQ(id); EQ(timestamp); EQ(inserted_at); EQ(updated_at);
    EQ_STR(event_type); EQ_STR(imsi); EQ_STR(msisdn); EQ_STR(details);
}

static void rec_eq(enum kind k, const union rec *a, const union rec *b)
{
    if (k == MMS)
        mms_eq(&a->mms, &b->mms);
    else
        ss7_eq(&a->ss7, &b->ss7);
}

/* ---- sample records ---- */

static void mms_default(union rec *u) { mms_rec_init(&u->mms); }
static void ss7_default(union rec *u) { ss7_rec_init(&u->ss7); }

/* Every field set, JSON-valid (times on whole seconds). */
static void mms_full(union rec *u)
{
    struct mms_rec *r = &u->mms;
    mms_rec_init(r);
    r->id = 42;
    r->source_msisdn = xstrdup("+15551234567");
    r->destination_msisdn = xstrdup("+447700900000");
    r->subject = xstrdup("Photo \xc3\xa9"); /* UTF-8 é */
    r->content_type = xstrdup("image/jpeg");
    r->content_location = xstrdup("https://cdn.example.com/media/12345.jpg");
    r->message_size = 524288;
    r->status = MMS_EXPIRED;
    r->inserted_at = T_2025;
    r->updated_at = T_2026;
}

static void ss7_full(union rec *u)
{
    struct ss7_rec *r = &u->ss7;
    ss7_rec_init(r);
    r->id = 7;
    r->event_type = xstrdup("MAP_UPDATE_LOCATION");
    r->imsi = xstrdup("001001000000001");
    r->msisdn = xstrdup("+15551234567");
    r->timestamp = T_2025;
    r->details = xstrdup("{\"vlr\":\"+4670\",\"cause\":[1,2.5,null,true]}");
    r->inserted_at = T_2025;
    r->updated_at = T_2026;
}

/* Binary extremes: longest strings, extreme ids, sizes and times. */
static void mms_max(union rec *u)
{
    struct mms_rec *r = &u->mms;
    mms_full(u);
    free(r->content_location);
    r->content_location = repeat('l', MEDIA_MAX_STR);
    r->id = INT64_MAX;
    r->message_size = INT64_MAX;
    r->status = MMS_STATUS_COUNT - 1;
    r->inserted_at = INT64_MIN + 1;
    r->updated_at = INT64_MAX;
}

static void ss7_max(union rec *u)
{
    struct ss7_rec *r = &u->ss7;
    ss7_full(u);
    free(r->details);
    free(r->event_type);
    r->details = repeat('1', SS7_MAX_DETAILS);
    r->event_type = repeat('E', MEDIA_MAX_STR);
    r->id = 0;
    r->timestamp = TIME_NULL;
    r->inserted_at = -1;
    r->updated_at = 0;
}

static const struct sample samples[] = {
    {"mms defaults", MMS, mms_default, false},
    {"mms full", MMS, mms_full, true},
    {"mms max", MMS, mms_max, false},
    {"ss7 defaults", SS7, ss7_default, false},
    {"ss7 full", SS7, ss7_full, true},
    {"ss7 max", SS7, ss7_max, false},
};

#define N_SAMPLES (sizeof samples / sizeof samples[0])

/* A copy shares nothing with its source. */
static void test_copy_is_deep(void **state)
{
    (void)state;
    check_copy_is_deep(samples, N_SAMPLES);
}

static void test_status_names(void **state)
{
    (void)state;
    static const char *const names[] = {"pending", "delivered", "failed",
                                        "expired"};
    for (int i = 0; i < MMS_STATUS_COUNT; i++) {
        int st = -1;
        assert_string_equal(mms_status_name(i), names[i]);
        assert_int_equal(mms_status_parse(names[i], &st), 0);
        assert_int_equal(st, i);
    }
    int st = 9;
    assert_int_equal(mms_status_parse("Pending", &st), -1);
    assert_int_equal(mms_status_parse("dropped", &st), -1);
    assert_int_equal(mms_status_parse(NULL, &st), -1);
    assert_int_equal(st, 9);
    assert_string_equal(mms_status_name(MMS_STATUS_COUNT), "unknown");
    assert_string_equal(mms_status_name(-1), "unknown");
}

/* ---- binary codec ---- */

static void test_binary_round_trip(void **state)
{
    (void)state;
    check_binary_round_trip(samples, N_SAMPLES);
}

/* Default records with id 7, byte for byte: snapshots outlive builds. */
#define TIME_NULL_BYTES                                                        \
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01

static const uint8_t golden_mms[] = {
    0x01,                     /* format version */
    0x0e,                     /* id 7 */
    0, 0, 0, 0, 0,            /* five NULL strings */
    0x00,                     /* message_size 0 */
    0x00,                     /* status pending */
    TIME_NULL_BYTES,          /* inserted_at */
    TIME_NULL_BYTES,          /* updated_at */
};

static const uint8_t golden_ss7[] = {
    0x01,                     /* format version */
    0x0e,                     /* id 7 */
    0, 0, 0,                  /* event_type, imsi, msisdn */
    0,                        /* details */
    TIME_NULL_BYTES,          /* timestamp */
    TIME_NULL_BYTES,          /* inserted_at */
    TIME_NULL_BYTES,          /* updated_at */
};

#define GOLDEN_MMS_STATUS 8   /* offset of the status byte */

static void test_binary_golden(void **state)
{
    (void)state;
    union rec r;
    struct buf b;
    buf_init(&b);
    mms_rec_init(&r.mms);
    r.mms.id = 7;
    mms_rec_encode(&b, &r.mms);
    assert_int_equal(b.len, sizeof golden_mms);
    assert_memory_equal(b.data, golden_mms, b.len);
    buf_reset(&b);
    ss7_rec_init(&r.ss7);
    r.ss7.id = 7;
    ss7_rec_encode(&b, &r.ss7);
    assert_int_equal(b.len, sizeof golden_ss7);
    assert_memory_equal(b.data, golden_ss7, b.len);
    buf_free(&b);
}

static void test_binary_truncated(void **state)
{
    (void)state;
    check_binary_truncated(samples, N_SAMPLES);
}

static int decode_bytes(enum kind k, const uint8_t *p, size_t n)
{
    union rec r;
    struct rd rd;
    rd_init(&rd, p, n);
    int rc = rec_decode(k, &rd, &r);
    if (rc == 0) {
        assert_true(rd_done(&rd));
        rec_free(k, &r);
    }
    return rc;
}

static void test_binary_out_of_range(void **state)
{
    (void)state;
    static const int64_t bad_ids[] = {-1, INT64_MIN};
    for (size_t i = 0; i < 2; i++) {
        for (int k = MMS; k <= SS7; k++) {
            union rec a;
            struct buf b;
            buf_init(&b);
            if (k == MMS) {
                mms_rec_init(&a.mms);
                a.mms.id = bad_ids[i];
            } else {
                ss7_rec_init(&a.ss7);
                a.ss7.id = bad_ids[i];
            }
            rec_encode((enum kind)k, &b, &a);
            assert_int_equal(decode_bytes((enum kind)k, b.data, b.len), -1);
            buf_free(&b);
        }
    }
    static const int64_t bad_sizes[] = {-1, INT64_MIN};
    for (size_t i = 0; i < 2; i++) {
        struct mms_rec m;
        struct buf b;
        buf_init(&b);
        mms_rec_init(&m);
        m.message_size = bad_sizes[i];
        mms_rec_encode(&b, &m);
        assert_int_equal(decode_bytes(MMS, b.data, b.len), -1);
        buf_free(&b);
    }
    uint8_t g[sizeof golden_mms];
    memcpy(g, golden_mms, sizeof g);
    assert_int_equal(decode_bytes(MMS, g, sizeof g), 0);
    g[GOLDEN_MMS_STATUS] = MMS_STATUS_COUNT;
    assert_int_equal(decode_bytes(MMS, g, sizeof g), -1);
    g[GOLDEN_MMS_STATUS] = 0x7f;
    assert_int_equal(decode_bytes(MMS, g, sizeof g), -1);
    /* a version other than 1, and a byte left over */
    static const uint8_t versions[] = {0x00, 0x02, 0xff};
    for (size_t i = 0; i < sizeof versions; i++) {
        memcpy(g, golden_mms, sizeof g);
        g[0] = versions[i];
        assert_int_equal(decode_bytes(MMS, g, sizeof g), -1);
        uint8_t h[sizeof golden_ss7];
        memcpy(h, golden_ss7, sizeof h);
        h[0] = versions[i];
        assert_int_equal(decode_bytes(SS7, h, sizeof h), -1);
    }
}

/* Strings: the bound is inclusive, NUL bytes are refused. */
static void test_binary_string_bounds(void **state)
{
    (void)state;
    struct {
        enum kind kind;
        size_t skip;      /* golden bytes before the string replaced */
        size_t max;
    } cases[] = {
        {MMS, 2, MEDIA_MAX_STR},  /* source_msisdn */
        {MMS, 6, MEDIA_MAX_STR},  /* content_location */
        {SS7, 2, MEDIA_MAX_STR},  /* event_type */
        {SS7, 5, SS7_MAX_DETAILS}, /* details */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t *g = cases[i].kind == MMS ? golden_mms : golden_ss7;
        size_t glen = cases[i].kind == MMS ? sizeof golden_mms
                                           : sizeof golden_ss7;
        for (size_t extra = 0; extra < 3; extra++) {
            struct buf b;
            buf_init(&b);
            buf_put(&b, g, cases[i].skip);
            if (extra == 2) {
                buf_put_strn(&b, "a\0b", 3);
            } else {
                char *s = repeat('x', cases[i].max + extra);
                buf_put_str(&b, s);
                free(s);
            }
            buf_put(&b, g + cases[i].skip + 1, glen - cases[i].skip - 1);
            int want = extra == 0 ? 0 : -1;
            if (decode_bytes(cases[i].kind, b.data, b.len) != want)
                fail_msg("case %zu extra %zu", i, extra);
            buf_free(&b);
        }
    }
}

/* ---- JSON ---- */

static void test_json_create_defaults(void **state)
{
    (void)state;
    union rec r;
    char err[256];
    assert_int_equal(run_json(MMS, MEDIA_JSON_CREATE, base_body[MMS], &r, err,
                              sizeof err), 0);
    assert_int_equal(r.mms.status, MMS_PENDING);
    assert_int_equal(r.mms.message_size, 0);
    assert_int_equal(r.mms.id, 0);
    assert_null(r.mms.subject);
    assert_null(r.mms.content_type);
    assert_null(r.mms.content_location);
    assert_true(r.mms.inserted_at == TIME_NULL);
    mms_rec_free(&r.mms);

    assert_int_equal(run_json(SS7, MEDIA_JSON_CREATE, base_body[SS7], &r, err,
                              sizeof err), 0);
    assert_string_equal(r.ss7.event_type, "MAP_UPDATE_LOCATION");
    assert_true(r.ss7.timestamp == TIME_NULL); /* the state machine's now */
    assert_null(r.ss7.details);
    assert_null(r.ss7.imsi);
    assert_null(r.ss7.msisdn);
    ss7_rec_free(&r.ss7);
}

/* The reference documentation's example bodies. */
static void test_json_reference_examples(void **state)
{
    (void)state;
    union rec r;
    char err[256];
    assert_int_equal(
        run_json(MMS, MEDIA_JSON_CREATE,
                 "{\"source_msisdn\": \"+15551234567\","
                 "\"destination_msisdn\": \"+447700900000\","
                 "\"subject\": \"Photo\",\"content_type\": \"image/jpeg\","
                 "\"content_location\": "
                 "\"https://cdn.example.com/media/12345.jpg\","
                 "\"message_size\": 524288}",
                 &r, err, sizeof err), 0);
    assert_string_equal(r.mms.subject, "Photo");
    assert_int_equal(r.mms.message_size, 524288);
    mms_rec_free(&r.mms);
    assert_int_equal(
        run_json(SS7, MEDIA_JSON_CREATE,
                 "{\"event_type\": \"MAP_UPDATE_LOCATION\","
                 "\"imsi\": \"001001000000001\","
                 "\"msisdn\": \"+15551234567\","
                 "\"timestamp\": \"2025-10-30T14:00:00+02:00\"}",
                 &r, err, sizeof err), 0);
    assert_string_equal(r.ss7.imsi, "001001000000001");
    assert_true(r.ss7.timestamp == T_2025);
    ss7_rec_free(&r.ss7);
}

/* Read-only keys are ignored, whatever they hold. */
static void test_json_readonly_ignored(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        [MMS] = "{" MMS_BASE ",\"id\":5,\"inserted_at\":3,"
                "\"updated_at\":\"2025-10-30T12:00:00Z\"}",
        [SS7] = "{" SS7_BASE ",\"id\":[],\"inserted_at\":null,"
                "\"updated_at\":{}}",
    };
    for (int k = MMS; k <= SS7; k++) {
        for (int m = MEDIA_JSON_CREATE; m <= MEDIA_JSON_PATCH; m++) {
            union rec r, d;
            char err[256];
            assert_int_equal(run_json((enum kind)k, (enum media_json_mode)m,
                                      bodies[k], &r, err, sizeof err), 0);
            assert_int_equal(run_json((enum kind)k, MEDIA_JSON_CREATE,
                                      base_body[k], &d, err, sizeof err), 0);
            rec_eq((enum kind)k, &r, &d);
            rec_free((enum kind)k, &r);
            rec_free((enum kind)k, &d);
        }
    }
}

static void test_json_patch(void **state)
{
    (void)state;
    union rec r;
    char err[256];
    mms_full(&r);
    json_t *o = json_loads("{\"status\":\"delivered\",\"subject\":null,"
                           "\"message_size\":0}", 0, NULL);
    assert_int_equal(mms_from_json(o, &r.mms, MEDIA_JSON_PATCH, err,
                                   sizeof err), 0);
    json_decref(o);
    union rec want;
    mms_full(&want);
    want.mms.status = MMS_DELIVERED;
    free(want.mms.subject);
    want.mms.subject = NULL;
    want.mms.message_size = 0;
    mms_eq(&r.mms, &want.mms);
    mms_rec_free(&r.mms);
    mms_rec_free(&want.mms);

    ss7_full(&r);
    o = json_loads("{\"details\":null,\"imsi\":null,"
                   "\"timestamp\":\"2026-01-01T00:00:00Z\"}", 0, NULL);
    assert_int_equal(ss7_from_json(o, &r.ss7, MEDIA_JSON_PATCH, err,
                                   sizeof err), 0);
    json_decref(o);
    assert_null(r.ss7.details);
    assert_null(r.ss7.imsi);
    assert_true(r.ss7.timestamp == T_2026);
    assert_string_equal(r.ss7.msisdn, "+15551234567");
    assert_int_equal(r.ss7.id, 7);
    ss7_rec_free(&r.ss7);
}

/* A failed call leaves a patched record as it was, a created one at its
 * defaults. */
static void test_json_failure_keeps_record(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"subject\":\"new\",\"message_size\":-1}",
        "{\"subject\":\"new\",\"destination_msisdn\":null}",
    };
    for (size_t i = 0; i < 2; i++)
        check_failure_keeps_record(MMS, mms_full, bad[i]);
    union rec r, before;
    char err[256];
    ss7_full(&r);
    ss7_full(&before);
    json_t *o = json_loads("{\"details\":{\"a\":1},\"event_type\":\"x\"}", 0,
                           NULL);
    assert_int_equal(ss7_from_json(o, &r.ss7, MEDIA_JSON_PATCH, err,
                                   sizeof err), 422);
    ss7_eq(&r.ss7, &before.ss7);
    json_decref(o);
    ss7_rec_free(&r.ss7);
    ss7_rec_free(&before.ss7);
}

#define NOT_OBJ "body must be a JSON object"
#define SIZE "message_size must be an integer >= 0"
#define STATUS "status must be one of pending, delivered, failed, expired"
#define BAD_SRC "Invalid phone number format (source_msisdn)"
#define BAD_DST "Invalid phone number format (destination_msisdn)"
#define BAD_MSISDN "Invalid phone number format (msisdn)"
#define TYPE                                                                   \
    "event_type must be an upper-case identifier such as "                   \
    "MAP_UPDATE_LOCATION (A-Z, 0-9, _)"
#define IMSI "imsi must be 5 to 15 digits"
#define TIME_MSG "timestamp must be an RFC 3339 time such as " \
                 "2025-10-30T12:00:00Z"

static const struct json_case json_cases[] = {
    /* accepted at the limits */
    {MMS, CREATE, "{" MMS_BASE ",\"subject\":\"%L\"}", 1024, 0, ""},
    {MMS, CREATE, "{" MMS_BASE ",\"content_type\":\"%L\"}", 255, 0, ""},
    {MMS, CREATE, "{" MMS_BASE ",\"content_location\":\"%L\"}", 2048, 0, ""},
    {MMS, PATCH, "{\"message_size\":9223372036854775807}", 0, 0, ""},
    {MMS, PATCH, "{\"source_msisdn\":\"Alerts\"}", 0, 0, ""},
    {MMS, PATCH, "{\"status\":\"failed\",\"subject\":\"\"}", 0, 0, ""},
    {SS7, CREATE, "{\"event_type\":\"A\"}", 0, 0, ""},
    {SS7, CREATE, "{\"event_type\":\"MAP_SEND_ROUTING_INFO_FOR_SM_V3\"}", 0, 0,
     ""},
    {SS7, PATCH, "{\"imsi\":\"12345\",\"msisdn\":\"+123456789012345\"}", 0, 0,
     ""},
    {SS7, PATCH, "{\"details\":\"just text\"}", 0, 0, ""},
    {SS7, PATCH, "{\"details\":[]}", 0, 0, ""},
    /* refused, with a detail naming the field */
    {MMS, CREATE, "[]", 0, 400, NOT_OBJ},
    {MMS, PATCH, "\"x\"", 0, 400, NOT_OBJ},
    {MMS, CREATE, "{" MMS_BASE ",\"colour\":1}", 0, 422, "unknown field colour"},
    {MMS, CREATE, "{" MMS_BASE ",\"event_type\":\"A\"}", 0, 422,
     "unknown field event_type"},
    {MMS, CREATE, "{\"destination_msisdn\":\"+447700900000\"}", 0, 422,
     "source_msisdn is required"},
    {MMS, CREATE, "{\"source_msisdn\":\"+15551234567\"}", 0, 422,
     "destination_msisdn is required"},
    {MMS, PATCH, "{\"source_msisdn\":null}", 0, 422,
     "source_msisdn is required"},
    {MMS, PATCH, "{\"source_msisdn\":\"\"}", 0, 422, BAD_SRC},
    {MMS, PATCH, "{\"source_msisdn\":\"TwelveLetter\"}", 0, 422, BAD_SRC},
    {MMS, PATCH, "{\"destination_msisdn\":\"Alerts\"}", 0, 422, BAD_DST},
    {MMS, PATCH, "{\"destination_msisdn\":\"+1234567890123456\"}", 0, 422,
     BAD_DST},
    {MMS, PATCH, "{\"destination_msisdn\":5}", 0, 422,
     "destination_msisdn must be a string or null"},
    {MMS, PATCH, "{\"destination_msisdn\":\"%L\"}", 65, 422,
     "destination_msisdn must be at most 64 bytes long"},
    {MMS, PATCH, "{\"subject\":\"%L\"}", 1025, 422,
     "subject must be at most 1024 bytes long"},
    {MMS, PATCH, "{\"subject\":\"a\\u0000b\"}", 0, 422,
     "subject must not contain NUL characters"},
    {MMS, PATCH, "{\"content_type\":\"%L\"}", 256, 422,
     "content_type must be at most 255 bytes long"},
    {MMS, PATCH, "{\"content_type\":[]}", 0, 422,
     "content_type must be a string or null"},
    {MMS, PATCH, "{\"content_location\":\"%L\"}", 2049, 422,
     "content_location must be at most 2048 bytes long"},
    {MMS, PATCH, "{\"message_size\":-1}", 0, 422, SIZE},
    {MMS, PATCH, "{\"message_size\":1.5}", 0, 422, SIZE},
    {MMS, PATCH, "{\"message_size\":\"5\"}", 0, 422, SIZE},
    {MMS, PATCH, "{\"message_size\":null}", 0, 422, SIZE},
    {MMS, PATCH, "{\"status\":\"dropped\"}", 0, 422, STATUS},
    {MMS, PATCH, "{\"status\":\"PENDING\"}", 0, 422, STATUS},
    {MMS, PATCH, "{\"status\":null}", 0, 422, STATUS},
    {MMS, PATCH, "{\"status\":1}", 0, 422, STATUS},
    {SS7, CREATE, "null", 0, 400, NOT_OBJ},
    {SS7, CREATE, "{}", 0, 422, "event_type is required"},
    {SS7, CREATE, "{\"imsi\":\"001001000000001\"}", 0, 422,
     "event_type is required"},
    {SS7, PATCH, "{\"event_type\":null}", 0, 422, "event_type is required"},
    {SS7, PATCH, "{\"event_type\":\"\"}", 0, 422, TYPE},
    {SS7, PATCH, "{\"event_type\":\"map_update_location\"}", 0, 422, TYPE},
    {SS7, PATCH, "{\"event_type\":\"_MAP\"}", 0, 422, TYPE},
    {SS7, PATCH, "{\"event_type\":\"9MAP\"}", 0, 422, TYPE},
    {SS7, PATCH, "{\"event_type\":\"MAP-UPDATE\"}", 0, 422, TYPE},
    {SS7, PATCH, "{\"event_type\":\"MAP UPDATE\"}", 0, 422, TYPE},
    {SS7, PATCH, "{\"event_type\":\"%L\"}", 65, 422,
     "event_type must be at most 64 bytes long"},
    {SS7, PATCH, "{\"event_type\":7}", 0, 422,
     "event_type must be a string or null"},
    {SS7, PATCH, "{\"imsi\":\"1234\"}", 0, 422, IMSI},
    {SS7, PATCH, "{\"imsi\":\"1234567890123456\"}", 0, 422, IMSI},
    {SS7, PATCH, "{\"imsi\":\"12345a\"}", 0, 422, IMSI},
    {SS7, PATCH, "{\"imsi\":\"\"}", 0, 422, IMSI},
    {SS7, PATCH, "{\"imsi\":123456}", 0, 422, "imsi must be a string or null"},
    {SS7, PATCH, "{\"msisdn\":\"nope\"}", 0, 422, BAD_MSISDN},
    {SS7, PATCH, "{\"msisdn\":\"Alerts\"}", 0, 422, BAD_MSISDN},
    {SS7, PATCH, "{\"timestamp\":null}", 0, 422, TIME_MSG},
    {SS7, PATCH, "{\"timestamp\":\"yesterday\"}", 0, 422, TIME_MSG},
    {SS7, PATCH, "{\"timestamp\":\"2025-02-30T00:00:00Z\"}", 0, 422, TIME_MSG},
    {SS7, PATCH, "{\"timestamp\":1761825600}", 0, 422, TIME_MSG},
    {SS7, CREATE, "{" SS7_BASE ",\"details\":\"%L\"}", SS7_MAX_DETAILS - 2, 0,
     ""},
    {SS7, CREATE, "{" SS7_BASE ",\"details\":\"%L\"}", SS7_MAX_DETAILS - 1,
     422, "details must be at most 8192 bytes as compact JSON"},
    {SS7, CREATE, "{" SS7_BASE ",\"message_size\":1}", 0, 422,
     "unknown field message_size"},
};

static void test_json_validation(void **state)
{
    (void)state;
    check_json_cases(json_cases, sizeof json_cases / sizeof json_cases[0]);
}

/* details keep the value as compact JSON text, in the given key order. */
static void test_json_details(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *text; /* NULL: null */
    } cases[] = {
        {"{\"z\": 1, \"a\": {\"b\": [1, 2.5, null, true, \"\\u00e9\"]}}",
         "{\"z\":1,\"a\":{\"b\":[1,2.5,null,true,\"\xc3\xa9\"]}}"},
        {"\"text\"", "\"text\""},
        {"-12", "-12"},
        {"false", "false"},
        {"{}", "{}"},
        {"\"a\\u0000b\"", "\"a\\u0000b\""},
        {"null", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256], err[256];
        snprintf(body, sizeof body, "{" SS7_BASE ",\"details\":%s}",
                 cases[i].in);
        union rec r;
        assert_int_equal(run_json(SS7, MEDIA_JSON_CREATE, body, &r, err,
                                  sizeof err), 0);
        assert_str_same(r.ss7.details, cases[i].text);
        /* rendered back as the same value */
        json_t *o = ss7_to_json(&r.ss7);
        json_t *want = json_loads(cases[i].in, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                                  NULL);
        assert_true(json_equal(json_object_get(o, "details"), want));
        json_decref(want);
        json_decref(o);
        ss7_rec_free(&r.ss7);
    }
    /* stored text that is not JSON (never written by the API) shows as a
     * string */
    struct ss7_rec e;
    ss7_rec_init(&e);
    e.details = xstrdup("{not json");
    json_t *o = ss7_to_json(&e);
    assert_string_equal(json_string_value(json_object_get(o, "details")),
                        "{not json");
    json_decref(o);
    ss7_rec_free(&e);
}

static void test_json_output(void **state)
{
    (void)state;
    struct mms_rec m;
    mms_rec_init(&m);
    m.id = 12;
    m.inserted_at = T_2025 + 999;
    json_t *o = mms_to_json(&m);
    char *text = json_dumps(o, JSON_COMPACT);
    assert_string_equal(
        text, "{\"id\":12,\"source_msisdn\":null,\"destination_msisdn\":null,"
              "\"subject\":null,\"content_type\":null,"
              "\"content_location\":null,\"message_size\":0,"
              "\"status\":\"pending\","
              "\"inserted_at\":\"2025-10-30T12:00:00Z\",\"updated_at\":null}");
    free(text);
    json_decref(o);

    union rec u;
    ss7_full(&u);
    o = ss7_to_json(&u.ss7);
    text = json_dumps(o, JSON_COMPACT);
    assert_string_equal(
        text, "{\"id\":7,\"event_type\":\"MAP_UPDATE_LOCATION\","
              "\"imsi\":\"001001000000001\",\"msisdn\":\"+15551234567\","
              "\"timestamp\":\"2025-10-30T12:00:00Z\","
              "\"details\":{\"vlr\":\"+4670\",\"cause\":[1,2.5,null,true]},"
              "\"inserted_at\":\"2025-10-30T12:00:00Z\","
              "\"updated_at\":\"2026-01-01T00:00:00Z\"}");
    free(text);
    json_decref(o);
    ss7_rec_free(&u.ss7);
}

/* record -> JSON -> record (CREATE) gives the same record but for the
 * read-only id and times. */
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
        if (rec_from_json(s->kind, o, &b, MEDIA_JSON_CREATE, err, sizeof err))
            fail_msg("%s: %s", s->name, err);
        if (s->kind == MMS) {
            b.mms.id = a.mms.id;
            b.mms.inserted_at = a.mms.inserted_at;
            b.mms.updated_at = a.mms.updated_at;
        } else {
            b.ss7.id = a.ss7.id;
            b.ss7.inserted_at = a.ss7.inserted_at;
            b.ss7.updated_at = a.ss7.updated_at;
        }
        rec_eq(s->kind, &a, &b);
        json_decref(o);
        rec_free(s->kind, &a);
        rec_free(s->kind, &b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_is_deep),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_binary_round_trip),
        cmocka_unit_test(test_binary_golden),
        cmocka_unit_test(test_binary_truncated),
        cmocka_unit_test(test_binary_out_of_range),
        cmocka_unit_test(test_binary_string_bounds),
        cmocka_unit_test(test_json_create_defaults),
        cmocka_unit_test(test_json_reference_examples),
        cmocka_unit_test(test_json_readonly_ignored),
        cmocka_unit_test(test_json_patch),
        cmocka_unit_test(test_json_failure_keeps_record),
        cmocka_unit_test(test_json_validation),
        cmocka_unit_test(test_json_details),
        cmocka_unit_test(test_json_output),
        cmocka_unit_test(test_json_record_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
