/* test_smsnumbers — unit tests for the number and sender formats of
 * server/smstext.c: destinations ^\+?[0-9]{3,15}$, alphanumeric senders of
 * 1..11 GSM 7-bit default-alphabet characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/smstext.h"
#include "tests/unit/smstext_fixtures.h"

/* ------------------------------------------------------------ numbers */

static const struct {
    const char *s;
    bool valid;
} destinations[] = {
    {"+46700007900", true},
    {"123", true},
    {"+123", true},
    {"447700900000", true},
    {"911", true},
    {"123456789012345", true},  /* 15 digits */
    {"+123456789012345", true}, /* + and 15 digits */
    {"000", true},
    {"12", false},
    {"+12", false},
    {"1234567890123456", false},  /* 16 digits */
    {"+1234567890123456", false}, /* + and 16 digits */
    {"+12a", false},
    {"12a4", false},
    {"", false},
    {"+", false},
    {"++123", false},
    {"1+23", false},
    {"123+", false},
    {" 123", false},
    {"123 ", false},
    {"12 34", false},
    {"12-34", false},
    {"123\n", false},
    {"\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93", false}, /* fullwidth 123 */
    {"Bank", false},
};

static void test_valid_destination(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof destinations / sizeof destinations[0]; i++) {
        if (sms_valid_destination(destinations[i].s) != destinations[i].valid) {
            print_error("destination \"%s\": want %s\n", destinations[i].s,
                        destinations[i].valid ? "valid" : "invalid");
            failures++;
        }
    }
    assert_false(sms_valid_destination(NULL));
    assert_int_equal(failures, 0);
}

static const struct {
    const char *s;
    bool valid;
} sources[] = {
    /* numbers */
    {"+46700007900", true},
    {"123", true},
    {"911", true},
    {"123456789012345", true},    /* 15 digits: a number, not alphanumeric */
    {"+123456789012345", true},   /* 16 characters, valid as a number */
    {"+1234567890123456", false}, /* neither */
    {"1234567890123456", false},
    /* alphanumeric senders */
    {"Bank", true},
    {"MyCompany12", true},
    {"Hello World", true}, /* 11 characters with an inner space */
    {"HelloWorld1", true},
    {"HelloWorld12", false}, /* 12 characters */
    {"Hello World!", false},
    {"A", true},
    {"12", true}, /* too short for a number, fine as a sender */
    {"Über", true},
    {"ÜÜÜÜÜÜÜÜÜÜÜ", true},   /* 11 characters, 22 bytes */
    {"ÜÜÜÜÜÜÜÜÜÜÜÜ", false}, /* 12 characters */
    {"ΔΦΓΛΩΠΨΣΘΞΔ", true},   /* 11 Greek, 22 bytes */
    {"Café-Bar_1", true},
    {"@£$¥ÆøÅ", true},
    {"a b", true},
    {"Ba€nk", false}, /* extension table */
    {"Ba[nk", false},
    {"Ba{nk", false},
    {"Ba^nk", false},
    {"Ba|nk", false},
    {"Ba\\nk", false},
    {"Ba~nk", false},
    {"Ba`nk", false},  /* not in the alphabet */
    {"Bank\n", false}, /* LF */
    {"Ba\rnk", false}, /* CR */
    {"Ba\x1Bnk", false},
    {"Ba\tnk", false},
    {"Жук", false},
    {"Bank😀", false},
    {"", false},
    {" ", false},
    {"   ", false},
    {" Bank", false},
    {"Bank ", false},
    {" Bank ", false},
    {"Ba\xC3", false}, /* invalid UTF-8 */
    {"Ba\xC0\xA0nk", false},
};

static void test_valid_source(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        if (sms_valid_source(sources[i].s) != sources[i].valid) {
            print_error("source \"%s\": want %s\n", sources[i].s,
                        sources[i].valid ? "valid" : "invalid");
            failures++;
        }
    }
    assert_false(sms_valid_source(NULL));
    assert_int_equal(failures, 0);
}

/* Every valid destination is a valid source. */
static void test_destination_implies_source(void **state)
{
    (void)state;

    for (size_t i = 0; i < sizeof destinations / sizeof destinations[0]; i++) {
        if (destinations[i].valid)
            assert_true(sms_valid_source(destinations[i].s));
    }
}

/* Each default-alphabet character alone is a valid sender, except LF and
 * CR and space; no extension character is. */
static void test_source_single_characters(void **state)
{
    char buf[8];
    (void)state;

    for (size_t i = 0; i < 128; i++) {
        uint32_t cp = gsm7_default[i];
        if (i == 0x1B)
            continue;
        utf8_encode(cp, buf);
        bool want = cp != '\n' && cp != '\r' && cp != ' ';
        if (sms_valid_source(buf) != want)
            print_error("sender U+%04X: want %d\n", (unsigned)cp, want);
        assert_int_equal(sms_valid_source(buf), want);
    }
    for (size_t i = 0; i < N_EXT; i++) {
        utf8_encode(gsm7_extension[i], buf);
        assert_false(sms_valid_source(buf));
    }
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_destination),
        cmocka_unit_test(test_valid_source),
        cmocka_unit_test(test_destination_implies_source),
        cmocka_unit_test(test_source_single_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
