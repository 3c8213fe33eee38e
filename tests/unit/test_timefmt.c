/* Unit tests for common/timefmt: formatting (including negative and clamped
 * times), RFC 3339 parsing with fractions, offsets and separators, rejection
 * of invalid dates and syntax, and round trips checked day by day across
 * leap years and against the C library's own UTC conversion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/timefmt.h"

#define DAY_MS (86400LL * 1000)

static void assert_format(int64_t ms, const char *want)
{
    char out[TIMEFMT_LEN];

    memset(out, 'x', sizeof(out));
    time_format(ms, out);
    assert_string_equal(out, want);
}

static int64_t parse_ok(const char *s)
{
    int64_t ms = 0;

    if (time_parse(s, &ms) != 0)
        fail_msg("rejected valid time \"%s\"", s);
    return ms;
}

static void assert_rejects(const char *s)
{
    int64_t ms = 12345;

    if (time_parse(s, &ms) != -1)
        fail_msg("accepted invalid time \"%s\"", s);
    assert_int_equal(ms, 12345); /* untouched on failure */
}

static void test_format_basic(void **state)
{
    (void)state;
    assert_format(0, "1970-01-01T00:00:00Z");
    assert_format(999, "1970-01-01T00:00:00Z");
    assert_format(1000, "1970-01-01T00:00:01Z");
    assert_format(1761825600000LL, "2025-10-30T12:00:00Z");
    assert_format(951782400000LL, "2000-02-29T00:00:00Z");
    assert_format(951868799999LL, "2000-02-29T23:59:59Z");
    assert_format(4102444800000LL, "2100-01-01T00:00:00Z");
    assert_format(2147483647000LL, "2038-01-19T03:14:07Z");
    assert_format(253402300799999LL, "9999-12-31T23:59:59Z");
}

static void test_format_negative_floors(void **state)
{
    (void)state;
    assert_format(-1, "1969-12-31T23:59:59Z");
    assert_format(-999, "1969-12-31T23:59:59Z");
    assert_format(-1000, "1969-12-31T23:59:59Z");
    assert_format(-1001, "1969-12-31T23:59:58Z");
    assert_format(-DAY_MS, "1969-12-31T00:00:00Z");
    assert_format(-DAY_MS - 1, "1969-12-30T23:59:59Z");
    assert_format(-2208988800000LL, "1900-01-01T00:00:00Z");
    assert_format(-11644473600000LL, "1601-01-01T00:00:00Z");
    assert_format(-62135596800000LL, "0001-01-01T00:00:00Z");
    assert_format(-62167219200000LL, "0000-01-01T00:00:00Z");
    assert_format(-62162121600000LL, "0000-02-29T00:00:00Z"); /* leap */
}

static void test_format_clamps(void **state)
{
    (void)state;
    assert_format(-62167219200001LL, "0000-01-01T00:00:00Z");
    assert_format(INT64_MIN, "0000-01-01T00:00:00Z");
    assert_format(253402300800000LL, "9999-12-31T23:59:59Z");
    assert_format(INT64_MAX, "9999-12-31T23:59:59Z");
}

static void test_parse_basic(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("2025-10-30T12:00:00Z"), 1761825600000LL);
    assert_int_equal(parse_ok("2025-10-30t12:00:00z"), 1761825600000LL);
    assert_int_equal(parse_ok("2025-10-30 12:00:00Z"), 1761825600000LL);
    assert_int_equal(parse_ok("2000-02-29T23:59:59Z"), 951868799000LL);
    assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), -1000);
    assert_int_equal(parse_ok("0000-01-01T00:00:00Z"), -62167219200000LL);
    assert_int_equal(parse_ok("9999-12-31T23:59:59.999Z"), 253402300799999LL);
}

static void test_parse_fraction(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("1970-01-01T00:00:00.1Z"), 100);
    assert_int_equal(parse_ok("1970-01-01T00:00:00.12Z"), 120);
    assert_int_equal(parse_ok("1970-01-01T00:00:00.123Z"), 123);
    assert_int_equal(parse_ok("1970-01-01T00:00:00.1239Z"), 123);
    assert_int_equal(parse_ok("1970-01-01T00:00:00.000000001Z"), 0);
    assert_int_equal(
        parse_ok("1970-01-01T00:00:01.99999999999999999999999999999Z"), 1999);
    /* Extra digits truncate toward the earlier millisecond, also pre-1970. */
    assert_int_equal(parse_ok("1969-12-31T23:59:59.9999Z"), -1);
    assert_int_equal(parse_ok("1969-12-31T23:59:59.5Z"), -500);
}

static void test_parse_offsets(void **state)
{
    int64_t noon = 1761825600000LL; /* 2025-10-30T12:00:00Z */

    (void)state;
    assert_int_equal(parse_ok("2025-10-30T14:00:00+02:00"), noon);
    assert_int_equal(parse_ok("2025-10-30T12:00:00.123+02:00"),
                     noon - 2 * 3600000 + 123);
    assert_int_equal(parse_ok("2025-10-30T07:00:00-05:00"), noon);
    assert_int_equal(parse_ok("2025-10-30T17:30:00+05:30"), noon);
    assert_int_equal(parse_ok("2025-10-30T12:00:00+00:00"), noon);
    assert_int_equal(parse_ok("2025-10-30T12:00:00-00:00"), noon);
    /* Offsets that move the instant across a day, month and year. */
    assert_int_equal(parse_ok("2025-10-31T01:00:00+13:00"), noon);
    assert_int_equal(parse_ok("2025-01-01T00:30:00+01:00"),
                     parse_ok("2024-12-31T23:30:00Z"));
    assert_int_equal(parse_ok("2024-02-28T23:00:00-23:59"),
                     parse_ok("2024-02-29T22:59:00Z"));
    assert_int_equal(parse_ok("1970-01-01T00:00:00+01:00"), -3600000);
}

static void test_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        "2025",
        "2025-10-30",
        "2025-10-30T12:00Z",
        "2025-10-30T12:00:00", /* no time zone */
        "2025-10-30T12:00:00 Z",
        "2025-10-30T12:00:00Zjunk", /* trailing garbage */
        "2025-10-30T12:00:00Z ",
        "2025-10-30T12:00:00+02:00x",
        "2025-10-30T12:00:00+0200",
        "2025-10-30T12:00:00+02",
        "2025-10-30T12:00:00+2:00",
        "2025-10-30T12:00:00+24:00",
        "2025-10-30T12:00:00+02:60",
        "2025-10-30T12:00:00.Z", /* empty fraction */
        "2025-10-30T12:00:00,5Z",
        "2025-10-30X12:00:00Z",
        "2025-10-3012:00:00Z",
        "2025-10-30TT12:00:00Z",
        "25-10-30T12:00:00Z",
        "02025-10-30T12:00:00Z",
        "2025-1-30T12:00:00Z",
        "2025-10-3T12:00:00Z",
        "2025/10/30T12:00:00Z",
        "2025-10-30T1:00:00Z",
        "+2025-10-30T12:00:00Z",
        "-2025-10-30T12:00:00Z",
        " 2025-10-30T12:00:00Z",
        "2025-00-10T12:00:00Z",
        "2025-13-10T12:00:00Z",
        "2025-10-00T12:00:00Z",
        "2025-10-32T12:00:00Z",
        "2025-04-31T12:00:00Z",
        "2025-02-29T12:00:00Z", /* not a leap year */
        "2025-02-30T12:00:00Z",
        "1900-02-29T12:00:00Z", /* century, not leap */
        "2100-02-29T12:00:00Z",
        "2025-10-30T24:00:00Z",
        "2025-10-30T23:60:00Z",
        "2025-10-30T23:59:60Z", /* no leap seconds */
        "2025-10-30T23:59:61Z",
        "2025-10-30T-1:00:00Z",
        "2025-10-30T12:0a:00Z",
        "2025-１0-30T12:00:00Z", /* non-ASCII digit */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_rejects(bad[i]);
    assert_int_equal(time_parse(NULL, &(int64_t){0}), -1);
}

static void test_leap_years(void **state)
{
    (void)state;
    parse_ok("2000-02-29T00:00:00Z");
    parse_ok("2024-02-29T00:00:00Z");
    parse_ok("1600-02-29T00:00:00Z");
    parse_ok("0000-02-29T00:00:00Z");
    parse_ok("1904-02-29T00:00:00Z");
    assert_int_equal(parse_ok("2024-03-01T00:00:00Z") -
                         parse_ok("2024-02-28T00:00:00Z"),
                     2 * DAY_MS);
    assert_int_equal(parse_ok("2023-03-01T00:00:00Z") -
                         parse_ok("2023-02-28T00:00:00Z"),
                     DAY_MS);
    assert_int_equal(parse_ok("2001-01-01T00:00:00Z") -
                         parse_ok("2000-01-01T00:00:00Z"),
                     366 * DAY_MS);
    assert_int_equal(parse_ok("1901-01-01T00:00:00Z") -
                         parse_ok("1900-01-01T00:00:00Z"),
                     365 * DAY_MS);
    /* 400 Gregorian years are exactly 146097 days. */
    assert_int_equal(parse_ok("2400-01-01T00:00:00Z") -
                         parse_ok("2000-01-01T00:00:00Z"),
                     146097 * DAY_MS);
}

/* Every day from year 0 to 9999: format then parse back, and consecutive
 * days are exactly one day apart with strictly increasing text. */
static void test_round_trip_every_day(void **state)
{
    int64_t first = parse_ok("0000-01-01T00:00:00Z");
    int64_t last = parse_ok("9999-12-31T00:00:00Z");
    char prev[TIMEFMT_LEN] = "";

    (void)state;
    for (int64_t ms = first; ms <= last; ms += DAY_MS) {
        char out[TIMEFMT_LEN];
        int64_t t = ms + 12 * 3600000LL + 34 * 60000 + 56000;

        time_format(t, out);
        assert_int_equal(parse_ok(out), t);
        assert_true(strcmp(prev, out) < 0);
        memcpy(prev, out, sizeof(out));
    }
}

/* Pseudo-random instants agree with gmtime_r (glibc, 64-bit time_t). */
static void test_against_gmtime(void **state)
{
    uint64_t x = 0x2545f4914f6cdd1dULL;

    (void)state;
    if (sizeof(time_t) < 8)
        skip();
    for (int i = 0; i < 200000; i++) {
        char ours[TIMEFMT_LEN], libc[64];
        struct tm tm;
        time_t secs;
        int64_t ms;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Roughly years 1000..8000. */
        ms = (int64_t)(x % 190000000000000ULL) - 31000000000000LL;
        ms -= 1000LL * 86400 * 365 * 900;
        secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
        assert_non_null(gmtime_r(&secs, &tm));
        snprintf(libc, sizeof(libc), "%04d-%02d-%02dT%02d:%02d:%02dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
        time_format(ms, ours);
        assert_string_equal(ours, libc);
        assert_int_equal(parse_ok(ours), (int64_t)secs * 1000);
    }
}

static void test_round_trip_negative_ms(void **state)
{
    (void)state;
    for (int64_t ms = -5000; ms <= 5000; ms += 7) {
        char out[TIMEFMT_LEN];
        int64_t back;

        time_format(ms, out);
        back = parse_ok(out);
        assert_true(back <= ms && ms - back < 1000);
        assert_int_equal(back % 1000, 0);
    }
}

static void test_clocks(void **state)
{
    int64_t now = time_now_ms();
    int64_t m1 = time_mono_ms(), m2;

    (void)state;
    /* Sanity: after 2020-01-01 and before 2200-01-01. */
    assert_true(now > 1577836800000LL && now < 7258118400000LL);
    assert_true(m1 >= 0);
    m2 = time_mono_ms();
    assert_true(m2 >= m1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_basic),
        cmocka_unit_test(test_format_negative_floors),
        cmocka_unit_test(test_format_clamps),
        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_parse_fraction),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_round_trip_every_day),
        cmocka_unit_test(test_against_gmtime),
        cmocka_unit_test(test_round_trip_negative_ms),
        cmocka_unit_test(test_clocks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
