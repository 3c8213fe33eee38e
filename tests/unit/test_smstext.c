/* test_smstext — unit tests for server/smstext.c.
 *
 * Table-driven: the GSM 7-bit alphabet is checked against an independent
 * copy of the 3GPP TS 23.038 tables, part counts at every single/multi-part
 * boundary (including two-unit characters straddling a part boundary),
 * strict UTF-8 rejection, hex for 8bit, Latin-1, the 255-part limit, error
 * strings and charset names (numbers: test_smsnumbers.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/smstext.h"

#define AUTO (-1)

#include "tests/unit/smstext_fixtures.h"

static void test_alphabet_default_and_extension(void **state)
{
    char buf[8];
    (void)state;

    for (size_t i = 0; i < 128; i++) {
        if (i == 0x1B)
            continue;
        size_t n = utf8_encode(gsm7_default[i], buf);
        assert_int_equal(sms_gsm7_septets(buf, n), 1);
    }
    for (size_t i = 0; i < N_EXT; i++) {
        size_t n = utf8_encode(gsm7_extension[i], buf);
        assert_int_equal(sms_gsm7_septets(buf, n), 2);
    }
}

/* Every code point in U+0000..U+07FF and a few blocks beyond: the module
 * agrees with the independent tables (nothing extra is accepted). */
static void test_alphabet_sweep(void **state)
{
    static const uint32_t ranges[][2] = {
        {0x0000, 0x07FF},
        {0x2000, 0x20FF},
        {0xFF00, 0xFFFF},
        {0x1F600, 0x1F64F},
    };
    char buf[8];
    int failures = 0;
    (void)state;

    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
        for (uint32_t cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            size_t n = utf8_encode(cp, buf);
            long got = sms_gsm7_septets(buf, n);
            long want = expected_septets(cp);
            if (got != want) {
                print_error("U+%04X: septets %ld, want %ld\n", (unsigned)cp,
                            got, want);
                failures++;
            }
        }
    }
    assert_int_equal(failures, 0);
}

static void test_alphabet_strings(void **state)
{
    static const struct {
        const char *s;
        long septets;
    } cases[] = {
        {"", 0},
        {"hello", 5},
        {"@£$¥èéùìòÇ\nØø\rÅå", 16},
        {"ΔΦΓΛΩΠΨΣΘΞ", 10},
        {"ÆæßÉ !\"#¤%&'()*+,-./", 20},
        {"¡ÄÖÑÜ§¿äöñüà", 12},
        {"€", 2},
        {"[", 2},
        {"\f^{}\\[~]|€", 20},
        {"a€b", 4},
        {"`", -1},
        {"\t", -1},
        {"ç", -1}, /* only capital Ç is in the alphabet */
        {"Ж", -1},
        {"😀", -1},
        {"abc\xFF", -1}, /* invalid UTF-8 */
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long got = sms_gsm7_septets(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].septets) {
            print_error("septets(\"%s\") = %ld, want %ld\n", cases[i].s, got,
                        cases[i].septets);
            failures++;
        }
    }
    assert_int_equal(sms_gsm7_septets(NULL, 0), 0);
    assert_int_equal(sms_gsm7_septets(NULL, 3), -1);
    assert_int_equal(failures, 0);
}

/* ------------------------------------------------------------ UTF-8 */

static void test_ucs2_units_valid(void **state)
{
    static const struct {
        const char *name;
        const char *s;
        long units;
    } cases[] = {
        {"empty", "", 0},
        {"ascii", "abc", 3},
        {"U+007F", "\x7F", 1},
        {"U+0080", "\xC2\x80", 1},
        {"U+07FF", "\xDF\xBF", 1},
        {"U+0800", "\xE0\xA0\x80", 1},
        {"U+D7FF", "\xED\x9F\xBF", 1},
        {"U+E000", "\xEE\x80\x80", 1},
        {"U+FFFF", "\xEF\xBF\xBF", 1},
        {"U+10000", "\xF0\x90\x80\x80", 2},
        {"U+10FFFF", "\xF4\x8F\xBF\xBF", 2},
        {"emoji", "😀", 2},
        {"mixed", "a😀bЖ€", 6},
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long got = sms_ucs2_units(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].units) {
            print_error("%s: units %ld, want %ld\n", cases[i].name, got,
                        cases[i].units);
            failures++;
        }
    }
    assert_int_equal(sms_ucs2_units(NULL, 0), 0);
    assert_int_equal(failures, 0);
}

static const struct {
    const char *name;
    const char *s;
} bad_utf8[] = {
    {"lone continuation", "\x80"},
    {"continuation in text", "ab\277cd"},
    {"overlong 2 (C0)", "\xC0\xAF"},
    {"overlong 2 (C1)", "\xC1\xBF"},
    {"overlong NUL", "\xC0\x80"},
    {"overlong 3", "\xE0\x80\xAF"},
    {"overlong 3 max", "\xE0\x9F\xBF"},
    {"overlong 4", "\xF0\x80\x80\xAF"},
    {"overlong 4 max", "\xF0\x8F\xBF\xBF"},
    {"surrogate D800", "\xED\xA0\x80"},
    {"surrogate DBFF", "\xED\xAF\xBF"},
    {"surrogate DC00", "\xED\xB0\x80"},
    {"surrogate DFFF", "\xED\xBF\xBF"},
    {"surrogate pair (CESU-8)", "\xED\xA0\xBD\xED\xB8\x80"},
    {"above U+10FFFF", "\xF4\x90\x80\x80"},
    {"F5 lead", "\xF5\x80\x80\x80"},
    {"F7 lead", "\xF7\xBF\xBF\xBF"},
    {"5-byte form", "\xF8\x88\x80\x80\x80"},
    {"6-byte form", "\xFC\x84\x80\x80\x80\x80"},
    {"FE", "\xFE"},
    {"FF", "\xFF"},
    {"truncated 2", "\xC3"},
    {"truncated 3 (1 of 2)", "\xE2\x82"},
    {"truncated 3 (0 of 2)", "a\xE2"},
    {"truncated 4", "\xF0\x9F\x98"},
    {"truncated at end", "hello\xF0\x9F"},
    {"bad continuation 2", "\xC3\x28"},
    {"bad continuation 3", "\xE2\x28\xA1"},
    {"bad continuation 4", "\xF0\x9F\x28\x80"},
    {"ASCII after lead", "\303a"},
};

#define N_BAD_UTF8 (sizeof bad_utf8 / sizeof bad_utf8[0])

static void test_utf8_invalid(void **state)
{
    static const int givens[] = {AUTO, SMS_CS_GSM7, SMS_CS_LATIN1, SMS_CS_UCS2};
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < N_BAD_UTF8; i++) {
        const char *s = bad_utf8[i].s;
        size_t len = strlen(s);
        if (sms_ucs2_units(s, len) != -1 || sms_gsm7_septets(s, len) != -1) {
            print_error("%s: accepted by a counter\n", bad_utf8[i].name);
            failures++;
        }
        for (size_t g = 0; g < sizeof givens / sizeof givens[0]; g++) {
            struct sms_measure m;
            int rc = sms_measure(s, len, givens[g], &m);
            if (rc != SMS_EBADUTF8) {
                print_error("%s (given %d): rc %d, want SMS_EBADUTF8\n",
                            bad_utf8[i].name, givens[g], rc);
                failures++;
            }
        }
    }
    assert_int_equal(failures, 0);
}

/* len cuts a valid sequence short: still invalid. */
static void test_utf8_truncated_by_len(void **state)
{
    struct sms_measure m;
    (void)state;

    assert_int_equal(sms_ucs2_units("é", 1), -1);
    assert_int_equal(sms_ucs2_units("€", 2), -1);
    assert_int_equal(sms_ucs2_units("😀", 3), -1);
    assert_int_equal(sms_ucs2_units("😀", 4), 2);
    assert_int_equal(sms_measure("ab€", 4, AUTO, &m), SMS_EBADUTF8);
    assert_int_equal(sms_measure("ab€", 5, AUTO, &m), SMS_OK);
    assert_int_equal(m.units, 4);
}

/* Invalid UTF-8 wins over a character outside the requested set. */
static void test_utf8_error_precedence(void **state)
{
    struct sms_measure m;
    const char *s = "Ж€abc\xFF";
    (void)state;

    assert_int_equal(sms_measure(s, strlen(s), SMS_CS_GSM7, &m), SMS_EBADUTF8);
    assert_int_equal(sms_measure(s, strlen(s), SMS_CS_LATIN1, &m),
                     SMS_EBADUTF8);
}

/* ------------------------------------------------------------ measuring */

struct measure_case {
    const char *name;
    struct seg body[MAX_SEGS];
    int given;
    int rc;
    enum sms_charset cs; /* checked when rc == SMS_OK */
    size_t units;
    int parts;
};

#define A(n)                                                                   \
    {                                                                          \
        "a", (n)                                                               \
    }
#define EURO(n)                                                                \
    {                                                                          \
        "€", (n)                                                               \
    }
#define ZHE(n)                                                                 \
    {                                                                          \
        "Ж", (n)                                                               \
    } /* U+0416: BMP, not GSM-7 */
#define EMOJI(n)                                                               \
    {                                                                          \
        "😀", (n)                                                               \
    } /* U+1F600: surrogate pair */

static const struct measure_case measure_cases[] = {
    /* empty */
    {"empty auto", {{NULL, 0}}, AUTO, SMS_OK, SMS_CS_GSM7, 0, 1},
    {"empty gsm7", {{NULL, 0}}, SMS_CS_GSM7, SMS_OK, SMS_CS_GSM7, 0, 1},
    {"empty 8bit", {{NULL, 0}}, SMS_CS_8BIT, SMS_OK, SMS_CS_8BIT, 0, 1},
    {"empty latin1", {{NULL, 0}}, SMS_CS_LATIN1, SMS_OK, SMS_CS_LATIN1, 0, 1},
    {"empty ucs2", {{NULL, 0}}, SMS_CS_UCS2, SMS_OK, SMS_CS_UCS2, 0, 1},

    /* GSM-7 single / concatenated boundaries */
    {"gsm7 1", {A(1)}, AUTO, SMS_OK, SMS_CS_GSM7, 1, 1},
    {"gsm7 160", {A(160)}, AUTO, SMS_OK, SMS_CS_GSM7, 160, 1},
    {"gsm7 161", {A(161)}, AUTO, SMS_OK, SMS_CS_GSM7, 161, 2},
    {"gsm7 306", {A(306)}, AUTO, SMS_OK, SMS_CS_GSM7, 306, 2},
    {"gsm7 307", {A(307)}, AUTO, SMS_OK, SMS_CS_GSM7, 307, 3},
    {"gsm7 459", {A(459)}, AUTO, SMS_OK, SMS_CS_GSM7, 459, 3},
    {"gsm7 460", {A(460)}, AUTO, SMS_OK, SMS_CS_GSM7, 460, 4},
    {"gsm7 given 160", {A(160)}, SMS_CS_GSM7, SMS_OK, SMS_CS_GSM7, 160, 1},
    {"gsm7 alphabet mix",
     {{"Δ£é", 40}, {"Ü", 40}},
     AUTO,
     SMS_OK,
     SMS_CS_GSM7,
     160,
     1},

    /* extension characters count two septets */
    {"euro 80", {EURO(80)}, AUTO, SMS_OK, SMS_CS_GSM7, 160, 1},
    {"euro 81", {EURO(81)}, AUTO, SMS_OK, SMS_CS_GSM7, 162, 2},
    {"bracket 80", {{"[", 80}}, AUTO, SMS_OK, SMS_CS_GSM7, 160, 1},
    {"bracket 81", {{"[", 81}}, AUTO, SMS_OK, SMS_CS_GSM7, 162, 2},
    {"158 + euro = 160", {A(158), EURO(1)}, AUTO, SMS_OK, SMS_CS_GSM7, 160, 1},
    {"159 + euro = 161", {A(159), EURO(1)}, AUTO, SMS_OK, SMS_CS_GSM7, 161, 2},
    {"159 + [ = 161", {A(159), {"[", 1}}, AUTO, SMS_OK, SMS_CS_GSM7, 161, 2},
    /* 151 + € fills part 1 exactly (153): 306 septets in 2 parts */
    {"euro ends part 1",
     {A(151), EURO(1), A(153)},
     AUTO,
     SMS_OK,
     SMS_CS_GSM7,
     306,
     2},
    /* 152 + € would straddle: € moves to part 2, 306 septets need 3 */
    {"euro straddles part 1/2",
     {A(152), EURO(1), A(152)},
     AUTO,
     SMS_OK,
     SMS_CS_GSM7,
     306,
     3},
    {"[ straddles part 1/2",
     {A(152), {"[", 1}, A(152)},
     AUTO,
     SMS_OK,
     SMS_CS_GSM7,
     306,
     3},
    {"euro straddles part 2/3",
     {A(305), EURO(1), A(152)},
     AUTO,
     SMS_OK,
     SMS_CS_GSM7,
     459,
     4},
    {"euro ends part 2", {A(304), EURO(1)}, AUTO, SMS_OK, SMS_CS_GSM7, 306, 2},
    /* 153 brackets = 306 septets, but only 76 fit a part: 3 parts */
    {"bracket 153", {{"[", 153}}, AUTO, SMS_OK, SMS_CS_GSM7, 306, 3},
    {"bracket 152", {{"[", 152}}, AUTO, SMS_OK, SMS_CS_GSM7, 304, 2},
    {"euro 153 + a",
     {A(1), EURO(152), A(1)},
     AUTO,
     SMS_OK,
     SMS_CS_GSM7,
     306,
     2},

    /* GSM-7 255-part limit */
    {"gsm7 255 parts",
     {A(153 * 255)},
     AUTO,
     SMS_OK,
     SMS_CS_GSM7,
     153 * 255,
     255},
    {"gsm7 256 parts", {A(153 * 255 + 1)}, AUTO, SMS_ETOOLONG, 0, 0, 0},
    /* 153 * 255 septets, but the straddling euro pushes it to 256 parts */
    {"gsm7 256 parts by euro",
     {A(152), EURO(1), A(153 * 254 - 1)},
     AUTO,
     SMS_ETOOLONG,
     0,
     0,
     0},
    {"gsm7 255 parts euro fits",
     {A(153 * 254 + 151), EURO(1)},
     AUTO,
     SMS_OK,
     SMS_CS_GSM7,
     153 * 255,
     255},

    /* GSM-7 requested, character outside */
    {"gsm7 given cyrillic", {A(3), ZHE(1)}, SMS_CS_GSM7, SMS_ENOTGSM7, 0, 0, 0},
    {"gsm7 given backtick", {{"`", 1}}, SMS_CS_GSM7, SMS_ENOTGSM7, 0, 0, 0},
    {"gsm7 given tab", {{"a\tb", 1}}, SMS_CS_GSM7, SMS_ENOTGSM7, 0, 0, 0},
    {"gsm7 given emoji", {EMOJI(1)}, SMS_CS_GSM7, SMS_ENOTGSM7, 0, 0, 0},

    /* auto falls back to UCS-2 */
    {"auto backtick", {{"`", 1}}, AUTO, SMS_OK, SMS_CS_UCS2, 1, 1},
    {"auto gsm7 then cyrillic",
     {A(200), ZHE(1)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     201,
     3},
    {"auto euro + cyrillic",
     {EURO(1), ZHE(1)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     2,
     1},

    /* UCS-2 boundaries */
    {"ucs2 70", {ZHE(70)}, AUTO, SMS_OK, SMS_CS_UCS2, 70, 1},
    {"ucs2 71", {ZHE(71)}, AUTO, SMS_OK, SMS_CS_UCS2, 71, 2},
    {"ucs2 134", {ZHE(134)}, AUTO, SMS_OK, SMS_CS_UCS2, 134, 2},
    {"ucs2 135", {ZHE(135)}, AUTO, SMS_OK, SMS_CS_UCS2, 135, 3},
    {"ucs2 given ascii", {A(5)}, SMS_CS_UCS2, SMS_OK, SMS_CS_UCS2, 5, 1},
    {"ucs2 given ascii 71", {A(71)}, SMS_CS_UCS2, SMS_OK, SMS_CS_UCS2, 71, 2},
    {"ucs2 given euro", {EURO(1)}, SMS_CS_UCS2, SMS_OK, SMS_CS_UCS2, 1, 1},

    /* surrogate pairs */
    {"emoji 35 = 70", {EMOJI(35)}, AUTO, SMS_OK, SMS_CS_UCS2, 70, 1},
    {"emoji 36 = 72", {EMOJI(36)}, AUTO, SMS_OK, SMS_CS_UCS2, 72, 2},
    {"zhe + emoji 35 = 71",
     {ZHE(1), EMOJI(35)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     71,
     2},
    {"68 + emoji = 70", {ZHE(68), EMOJI(1)}, AUTO, SMS_OK, SMS_CS_UCS2, 70, 1},
    {"69 + emoji = 71", {ZHE(69), EMOJI(1)}, AUTO, SMS_OK, SMS_CS_UCS2, 71, 2},
    /* 65 + pair fills part 1 exactly (67): 134 units in 2 parts */
    {"emoji ends part 1",
     {ZHE(65), EMOJI(1), ZHE(67)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     134,
     2},
    /* 66 + pair would split the pair: it moves on, 134 units need 3 */
    {"emoji straddles part 1/2",
     {ZHE(66), EMOJI(1), ZHE(66)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     134,
     3},
    {"emoji straddles part 2/3",
     {ZHE(133), EMOJI(1), ZHE(66)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     201,
     4},
    {"emoji ends part 2",
     {ZHE(132), EMOJI(1)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     134,
     2},
    /* 67 emoji = 134 units, but only 33 fit a part: 3 parts */
    {"emoji 67", {EMOJI(67)}, AUTO, SMS_OK, SMS_CS_UCS2, 134, 3},
    {"emoji 66", {EMOJI(66)}, AUTO, SMS_OK, SMS_CS_UCS2, 132, 2},

    /* UCS-2 255-part limit */
    {"ucs2 255 parts",
     {ZHE(67 * 255)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     67 * 255,
     255},
    {"ucs2 256 parts", {ZHE(67 * 255 + 1)}, AUTO, SMS_ETOOLONG, 0, 0, 0},
    /* 67 * 255 units, but the straddling pair pushes it to 256 parts */
    {"ucs2 256 parts by emoji",
     {ZHE(66), EMOJI(1), ZHE(67 * 254 - 1)},
     AUTO,
     SMS_ETOOLONG,
     0,
     0,
     0},
    {"ucs2 255 parts emoji fits",
     {ZHE(67 * 254 + 65), EMOJI(1)},
     AUTO,
     SMS_OK,
     SMS_CS_UCS2,
     67 * 255,
     255},

    /* 8bit: hex, octets */
    {"8bit 1", {{"0a", 1}}, SMS_CS_8BIT, SMS_OK, SMS_CS_8BIT, 1, 1},
    {"8bit mixed case",
     {{"0123456789abcdefABCDEF", 1}},
     SMS_CS_8BIT,
     SMS_OK,
     SMS_CS_8BIT,
     11,
     1},
    {"8bit 140", {{"ff", 140}}, SMS_CS_8BIT, SMS_OK, SMS_CS_8BIT, 140, 1},
    {"8bit 141", {{"FF", 141}}, SMS_CS_8BIT, SMS_OK, SMS_CS_8BIT, 141, 2},
    {"8bit 268", {{"00", 268}}, SMS_CS_8BIT, SMS_OK, SMS_CS_8BIT, 268, 2},
    {"8bit 269", {{"00", 269}}, SMS_CS_8BIT, SMS_OK, SMS_CS_8BIT, 269, 3},
    {"8bit 255 parts",
     {{"7f", 134 * 255}},
     SMS_CS_8BIT,
     SMS_OK,
     SMS_CS_8BIT,
     134 * 255,
     255},
    {"8bit 256 parts",
     {{"7f", 134 * 255 + 1}},
     SMS_CS_8BIT,
     SMS_ETOOLONG,
     0,
     0,
     0},
    {"8bit odd length", {{"abc", 1}}, SMS_CS_8BIT, SMS_EBADHEX, 0, 0, 0},
    {"8bit single digit", {{"0", 1}}, SMS_CS_8BIT, SMS_EBADHEX, 0, 0, 0},
    {"8bit non-hex", {{"zz", 1}}, SMS_CS_8BIT, SMS_EBADHEX, 0, 0, 0},
    {"8bit 0x prefix", {{"0x12", 1}}, SMS_CS_8BIT, SMS_EBADHEX, 0, 0, 0},
    {"8bit space", {{"12 34 ", 1}}, SMS_CS_8BIT, SMS_EBADHEX, 0, 0, 0},
    {"8bit g", {{"0g", 1}}, SMS_CS_8BIT, SMS_EBADHEX, 0, 0, 0},
    {"8bit utf8", {{"é", 1}}, SMS_CS_8BIT, SMS_EBADHEX, 0, 0, 0},
    {"8bit invalid utf8 is hex error",
     {{"\xFF\xFF", 1}},
     SMS_CS_8BIT,
     SMS_EBADHEX,
     0,
     0,
     0},

    /* latin1: characters, 140 / 134 */
    {"latin1 ascii", {A(5)}, SMS_CS_LATIN1, SMS_OK, SMS_CS_LATIN1, 5, 1},
    {"latin1 140", {{"é", 140}}, SMS_CS_LATIN1, SMS_OK, SMS_CS_LATIN1, 140, 1},
    {"latin1 141", {{"é", 141}}, SMS_CS_LATIN1, SMS_OK, SMS_CS_LATIN1, 141, 2},
    {"latin1 268", {{"ÿ", 268}}, SMS_CS_LATIN1, SMS_OK, SMS_CS_LATIN1, 268, 2},
    {"latin1 269", {{"ÿ", 269}}, SMS_CS_LATIN1, SMS_OK, SMS_CS_LATIN1, 269, 3},
    {"latin1 range ends",
     {{"\xC2\x80\xC3\xBF`\t", 1}},
     SMS_CS_LATIN1,
     SMS_OK,
     SMS_CS_LATIN1,
     4,
     1},
    {"latin1 255 parts",
     {A(134 * 255)},
     SMS_CS_LATIN1,
     SMS_OK,
     SMS_CS_LATIN1,
     134 * 255,
     255},
    {"latin1 256 parts",
     {A(134 * 255 + 1)},
     SMS_CS_LATIN1,
     SMS_ETOOLONG,
     0,
     0,
     0},
    {"latin1 euro", {A(2), EURO(1)}, SMS_CS_LATIN1, SMS_ENOTLATIN1, 0, 0, 0},
    {"latin1 U+0100",
     {{"\xC4\x80", 1}},
     SMS_CS_LATIN1,
     SMS_ENOTLATIN1,
     0,
     0,
     0},
    {"latin1 emoji", {EMOJI(1)}, SMS_CS_LATIN1, SMS_ENOTLATIN1, 0, 0, 0},
};

static void test_measure_table(void **state)
{
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < sizeof measure_cases / sizeof measure_cases[0];
         i++) {
        const struct measure_case *c = &measure_cases[i];
        struct sms_measure m = {SMS_CS_GSM7, 12345, -7};
        size_t len;
        char *body = build_body(c->body, &len);
        int rc = sms_measure(body, len, c->given, &m);

        if (rc != c->rc) {
            print_error("%s: rc %d (%s), want %d\n", c->name, rc,
                        sms_strerror(rc), c->rc);
            failures++;
        } else if (rc == SMS_OK && (m.charset != c->cs || m.units != c->units ||
                                    m.parts != c->parts)) {
            print_error("%s: %s/%zu units/%d parts, want %s/%zu/%d\n", c->name,
                        sms_charset_name(m.charset), m.units, m.parts,
                        sms_charset_name(c->cs), c->units, c->parts);
            failures++;
        }
        free(body);
    }
    assert_int_equal(failures, 0);
}

static void test_measure_misc(void **state)
{
    struct sms_measure m;
    (void)state;

    /* embedded NUL is a character (U+0000, not GSM-7) */
    assert_int_equal(sms_measure("a\0b", 3, AUTO, &m), SMS_OK);
    assert_int_equal(m.charset, SMS_CS_UCS2);
    assert_int_equal(m.units, 3);
    assert_int_equal(sms_measure("a\0b", 3, SMS_CS_GSM7, &m), SMS_ENOTGSM7);
    /* len, not the terminator, bounds the body */
    assert_int_equal(sms_measure("abcdef", 3, AUTO, &m), SMS_OK);
    assert_int_equal(m.units, 3);
    assert_int_equal(sms_measure("0a1b2c", 4, SMS_CS_8BIT, &m), SMS_OK);
    assert_int_equal(m.units, 2);
    /* NULL body */
    assert_int_equal(sms_measure(NULL, 0, AUTO, &m), SMS_OK);
    assert_int_equal(m.units, 0);
    assert_int_equal(m.parts, 1);
    assert_int_equal(sms_measure(NULL, 4, AUTO, &m), SMS_EBADUTF8);
    /* out may be NULL: validation only */
    assert_int_equal(sms_measure("abc", 3, AUTO, NULL), SMS_OK);
    assert_int_equal(sms_measure("abc", 3, SMS_CS_8BIT, NULL), SMS_EBADHEX);
    /* a given outside the enum behaves as auto */
    assert_int_equal(sms_measure("Ж", 2, 42, &m), SMS_OK);
    assert_int_equal(m.charset, SMS_CS_UCS2);
    assert_int_equal(sms_measure("abc", 3, -5, &m), SMS_OK);
    assert_int_equal(m.charset, SMS_CS_GSM7);
}

/* Parts for every GSM-7 length 0..2000 agree with the arithmetic rule when
 * all characters are one septet. */
static void test_measure_gsm7_formula(void **state)
{
    static char body[2001];
    (void)state;

    memset(body, 'x', sizeof body);
    for (size_t n = 0; n <= 2000; n++) {
        struct sms_measure m;
        int want = n <= 160 ? 1 : (int)((n + 152) / 153);
        assert_int_equal(sms_measure(body, n, AUTO, &m), SMS_OK);
        assert_int_equal(m.units, n);
        assert_int_equal(m.parts, want);
    }
}

/* ------------------------------------------------------------ strings */

static void test_strerror(void **state)
{
    (void)state;

    assert_string_equal(sms_strerror(SMS_OK), "ok");
    assert_string_equal(sms_strerror(SMS_ETOOLONG), "Message too long");
    assert_string_equal(sms_strerror(SMS_EBADUTF8),
                        "message_body is not valid UTF-8");
    assert_string_equal(
        sms_strerror(SMS_ENOTGSM7),
        "message_body has characters outside the GSM 7-bit alphabet");
    assert_string_equal(sms_strerror(SMS_EBADHEX),
                        "message_body must be hex for 8bit");
    assert_string_equal(sms_strerror(SMS_ENOTLATIN1),
                        "message_body has characters outside Latin-1");
    assert_non_null(sms_strerror(-99));
    assert_non_null(sms_strerror(1));
}

static void test_charset_names(void **state)
{
    static const struct {
        enum sms_charset cs;
        const char *name;
    } names[] = {
        {SMS_CS_GSM7, "gsm7"},
        {SMS_CS_8BIT, "8bit"},
        {SMS_CS_LATIN1, "latin1"},
        {SMS_CS_UCS2, "ucs2"},
    };
    static const char *const bad[] = {
        "",      "GSM7", "gsm",   "gsm7 ",   " gsm7", "utf8",
        "ucs-2", "8",    "latin", "latin1x", "auto",
    };
    enum sms_charset cs;
    (void)state;

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_string_equal(sms_charset_name(names[i].cs), names[i].name);
        cs = (enum sms_charset)99;
        assert_int_equal(sms_charset_parse(names[i].name, &cs), 0);
        assert_int_equal(cs, names[i].cs);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cs = SMS_CS_UCS2;
        assert_int_equal(sms_charset_parse(bad[i], &cs), -1);
        assert_int_equal(cs, SMS_CS_UCS2); /* untouched on failure */
    }
    assert_int_equal(sms_charset_parse(NULL, &cs), -1);
    assert_int_equal(sms_charset_parse("gsm7", NULL), -1);
    assert_non_null(sms_charset_name((enum sms_charset)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alphabet_default_and_extension),
        cmocka_unit_test(test_alphabet_sweep),
        cmocka_unit_test(test_alphabet_strings),
        cmocka_unit_test(test_ucs2_units_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_utf8_truncated_by_len),
        cmocka_unit_test(test_utf8_error_precedence),
        cmocka_unit_test(test_measure_table),
        cmocka_unit_test(test_measure_misc),
        cmocka_unit_test(test_measure_gsm7_formula),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_charset_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
