/* libFuzzer target: route, translation-rule and location records.
 *
 * The input goes (a) to the three binary decoders: a record that decodes
 * must re-encode to bytes that decode and re-encode to the same bytes; and
 * (b), parsed as JSON, to the three *_from_json in every mode: each call
 * either succeeds or answers 400/422 with a detail, and an accepted record
 * renders to JSON that IMPORT takes back to the same JSON, and passes the
 * binary codec.  Nothing crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/tablejson.h"
#include "raft_store/tables.h"
#include "tests/unit/tables_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            abort();                                                           \
    } while (0)

/* A valid record of each kind, the starting point of a PATCH. */
static const char *const base_body[N_KINDS] = {
    [ROUTE] = "{\"dest_smsc\":\"gw\",\"calling_prefix\":\"+1\"}",
    [RULE] = "{\"called_match\":\"^0\",\"called_replace\":\"+46\"}",
    [LOCATION] = "{\"msisdn\":\"+15551234567\",\"location\":\"msc1\"}",
};

/* r encodes to bytes that decode and re-encode to the same bytes. */
static void check_binary(enum kind k, const union rec *r)
{
    struct buf b1, b2;
    buf_init(&b1);
    buf_init(&b2);
    rec_encode(k, &b1, r);
    union rec again;
    struct rd rd;
    rd_init(&rd, b1.data, b1.len);
    CHECK(rec_decode(k, &rd, &again) == 0 && rd_done(&rd));
    rec_encode(k, &b2, &again);
    CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    rec_free(k, &again);
    buf_free(&b1);
    buf_free(&b2);
}

static void binary_case(enum kind k, const uint8_t *data, size_t size)
{
    union rec r;
    struct rd rd;
    rd_init(&rd, data, size);
    if (rec_decode(k, &rd, &r) != 0) {
        CHECK(rd.err != 0);
        return;
    }
    check_binary(k, &r);
    json_decref(rec_to_json(k, &r)); /* any stored string renders */
    rec_free(k, &r);
}

/* An accepted record: JSON -> IMPORT -> JSON is stable, binary agrees. */
static void check_accepted(enum kind k, const union rec *r)
{
    char err[256];
    json_t *j1 = rec_to_json(k, r);
    union rec back;
    CHECK(rec_from_json(k, j1, &back, TABLE_JSON_IMPORT, err, sizeof err) ==
          0);
    json_t *j2 = rec_to_json(k, &back);
    CHECK(json_equal(j1, j2));
    check_binary(k, r);
    json_decref(j1);
    json_decref(j2);
    rec_free(k, &back);
}

static void json_case(enum kind k, enum table_json_mode mode, json_t *body)
{
    char err[256];
    union rec r;
    if (mode == TABLE_JSON_PATCH) {
        json_t *base = json_loads(base_body[k], 0, NULL);
        CHECK(rec_from_json(k, base, &r, TABLE_JSON_CREATE, err,
                            sizeof err) == 0);
        json_decref(base);
    }
    err[0] = '\0';
    int st = rec_from_json(k, body, &r, mode, err, sizeof err);
    if (st == 0)
        check_accepted(k, &r);
    else
        CHECK((st == 400 || st == 422) && err[0] != '\0');
    rec_free(k, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum table_json_mode modes[] = {
        TABLE_JSON_CREATE, TABLE_JSON_PATCH, TABLE_JSON_IMPORT};
    for (int k = 0; k < N_KINDS; k++)
        binary_case((enum kind)k, data, size);
    json_t *body = json_loadb((const char *)data, size,
                              JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (body == NULL)
        return 0;
    for (int k = 0; k < N_KINDS; k++)
        for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
            json_case((enum kind)k, modes[m], body);
    json_decref(body);
    return 0;
}
