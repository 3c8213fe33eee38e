/* Unit tests of message validation (api/msgjson.c): every bad body gets
 * the right status and a detail naming the field; good bodies fill the
 * record with the documented defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_int.h"
#include "server/smstext.h"

#define BASE                                                                   \
    "\"source_msisdn\":\"+15551234567\",\"destination_msisdn\":"               \
    "\"+447700900000\",\"source_smsc\":\"api\""

struct bad_case {
    const char *body;
    int status;
    const char *detail; /* substring */
};

static int parse(const char *text, struct msg_data *d, char *err, size_t len)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    int st = msg_from_json(j, d, err, len);
    json_decref(j);
    if (st == 0 && (st = msg_check_numbers(d, err, len)) != 0)
        msg_data_free(d);
    return st;
}

static void test_rejects(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"{\"destination_msisdn\":\"+447700900000\",\"message_body\":\"x\","
         "\"source_smsc\":\"a\"}", 422, "source_msisdn is required"},
        {"{\"source_msisdn\":\"+15551234567\",\"message_body\":\"x\","
         "\"source_smsc\":\"a\"}", 422, "destination_msisdn is required"},
        {"{" BASE "}", 422, "message_body is required"},
        {"{\"source_msisdn\":\"+15551234567\",\"destination_msisdn\":"
         "\"+447700900000\",\"message_body\":\"x\"}", 422,
         "source_smsc is required"},
        {"{" BASE ",\"message_body\":\"x\",\"destination_msisdn\":\"12\"}",
         422, "Invalid phone number format (destination_msisdn)"},
        {"{\"source_msisdn\":\"ThisIsTooLongSender\",\"destination_msisdn\":"
         "\"+447700900000\",\"source_smsc\":\"a\",\"message_body\":\"x\"}",
         422, "Invalid phone number format (source_msisdn)"},
        {"{" BASE ",\"message_body\":5}", 422, "message_body must be a string"},
        {"{" BASE ",\"message_body\":\"x\",\"color\":1}", 422,
         "Unknown field 'color'"},
        {"{" BASE ",\"message_body\":\"x\",\"expires\":\"tomorrow\"}", 422,
         "expires must be an RFC 3339 time"},
        {"{" BASE ",\"message_body\":\"x\",\"source_type\":\"pigeon\"}", 422,
         "source_type must be one of"},
        {"{" BASE ",\"message_body\":\"x\",\"tp_dcs_character_set\":\"ebcdic\"}",
         422, "tp_dcs_character_set must be one of"},
        {"{" BASE ",\"message_body\":\"zz\",\"tp_dcs_character_set\":\"8bit\"}",
         422, "hex"},
        {"{" BASE ",\"message_body\":\"x\",\"message_part_number\":3,"
         "\"message_parts\":2}", 422, "message_part_number"},
        {"{" BASE ",\"message_body\":\"x\",\"source_imsi\":\"12a\"}", 422,
         "source_imsi must be 5 to 15 digits"},
        {"{" BASE ",\"message_body\":\"x\",\"dest_smsc\":\"a b\"}", 422,
         "dest_smsc must not contain spaces"},
        {"{" BASE ",\"message_body\":\"x\",\"tp_dcs_message_class\":4}", 422,
         "tp_dcs_message_class must be an integer between 0 and 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct msg_data d;
        char err[256] = "";
        int st = parse(cases[i].body, &d, err, sizeof err);
        if (st != cases[i].status || strstr(err, cases[i].detail) == NULL)
            fail_msg("case %zu: got %d '%s', want %d '%s'", i, st, err,
                     cases[i].status, cases[i].detail);
    }
}

static void test_too_long(void **state)
{
    (void)state;
    size_t n = 256 * 153 + 1;
    char *text = malloc(n + 200);
    char *p = text + sprintf(text, "{" BASE ",\"message_body\":\"");
    memset(p, 'a', n);
    strcpy(p + n, "\"}");
    struct msg_data d;
    char err[256];
    assert_int_equal(parse(text, &d, err, sizeof err), 422);
    assert_string_equal(err, "Message too long");
    free(text);
}

static void test_accepts_with_defaults(void **state)
{
    (void)state;
    struct msg_data d;
    char err[256];
    assert_int_equal(parse("{" BASE ",\"message_body\":\"Hello \\u00e9\","
                           "\"expires\":\"2030-01-01T02:00:00+02:00\","
                           "\"source_type\":\"smpp\"}",
                           &d, err, sizeof err),
                     0);
    assert_string_equal(d.tp_data_coding_scheme, "00");
    assert_int_equal(d.charset, SMS_CS_GSM7);
    assert_int_equal(d.message_parts, 1);
    assert_int_equal(d.expires, 1893456000000LL);
    assert_int_equal(d.source_type, SRC_SMPP);
    assert_null(d.dest_smsc);
    msg_data_free(&d);
    /* an emoji makes it UCS-2; 71 UCS-2 characters make two parts */
    char body[1024];
    char *p = body + sprintf(body, "{" BASE ",\"message_body\":\"");
    for (int i = 0; i < 71; i++)
        p += sprintf(p, "\\u0416");
    strcpy(p, "\"}");
    assert_int_equal(parse(body, &d, err, sizeof err), 0);
    assert_int_equal(d.charset, SMS_CS_UCS2);
    assert_int_equal(d.message_parts, 2);
    msg_data_free(&d);
    /* alphanumeric senders are fine */
    assert_int_equal(parse("{\"source_msisdn\":\"MyBank\",\"destination_msisdn\":"
                           "\"+447700900000\",\"source_smsc\":\"a\","
                           "\"message_body\":\"x\"}",
                           &d, err, sizeof err),
                     0);
    msg_data_free(&d);
}

static void test_patch(void **state)
{
    (void)state;
    struct cmd c;
    char err[256];
    json_t *j = json_loads("{\"status\":\"delivered\",\"dest_smsc\":\"gw\","
                           "\"delivered_at\":\"2025-10-30T12:00:00Z\"}",
                           0, NULL);
    cmd_init(&c, CMD_MSG_PATCH);
    assert_int_equal(msg_patch_from_json(j, &c.u.patch, err, sizeof err), 0);
    assert_int_equal(c.u.patch.mask,
                     PATCH_STATUS | PATCH_DEST_SMSC | PATCH_DELIVER_TIME);
    assert_int_equal(c.u.patch.set.status, MSG_DELIVERED);
    cmd_free(&c);
    json_decref(j);
    static const char *bad[] = {"{}", "{\"status\":\"gone\"}",
                                "{\"id\":3}", "{\"deadletter\":\"yes\"}",
                                "{\"delivery_attempts\":-1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = json_loads(bad[i], 0, NULL);
        cmd_init(&c, CMD_MSG_PATCH);
        assert_int_equal(msg_patch_from_json(j, &c.u.patch, err, sizeof err),
                         422);
        cmd_free(&c);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_accepts_with_defaults),
        cmocka_unit_test(test_patch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
