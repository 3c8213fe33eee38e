/* timefmt — conversion between epoch milliseconds and RFC 3339 text.
 *
 * Calendar arithmetic is done here with Howard Hinnant's days_from_civil /
 * civil_from_days algorithms on the proleptic Gregorian calendar, so the
 * functions are exact, pure and independent of the C library's time zone
 * and locale state.  Output years are limited to the four digits RFC 3339
 * allows: times outside 0000-01-01..9999-12-31 are clamped to those ends.
 */
#include "common/timefmt.h"

#include <stdbool.h>
#include <time.h>

#define MS_PER_SEC 1000
#define SEC_PER_DAY 86400
#define MS_PER_DAY ((int64_t)SEC_PER_DAY * MS_PER_SEC)

struct civil {
    int64_t year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static struct civil civil_from_days(int64_t z)
{
    struct civil c;
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c.year = yoe + era * 400 + (c.month <= 2);
    return c;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Writes v (0 <= v < 10^n) as exactly n digits. */
static char *put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

void time_format(int64_t ms, char out[TIMEFMT_LEN])
{
    int64_t lo = days_from_civil(0, 1, 1) * MS_PER_DAY;
    int64_t hi = days_from_civil(10000, 1, 1) * MS_PER_DAY - 1;
    int64_t secs, days, sod;
    struct civil c;
    char *p = out;

    if (ms < lo)
        ms = lo;
    else if (ms > hi)
        ms = hi;
    secs = floor_div(ms, MS_PER_SEC);
    days = floor_div(secs, SEC_PER_DAY);
    sod = secs - days * SEC_PER_DAY;
    c = civil_from_days(days);
    p = put_digits(p, c.year, 4);
    *p++ = '-';
    p = put_digits(p, c.month, 2);
    *p++ = '-';
    p = put_digits(p, c.day, 2);
    *p++ = 'T';
    p = put_digits(p, sod / 3600, 2);
    *p++ = ':';
    p = put_digits(p, sod / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, sod % 60, 2);
    *p++ = 'Z';
    *p = '\0';
}

/* ---- parsing ----------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at *s into *v and advances *s. */
static bool take_digits(const char **s, int n, int *v)
{
    int acc = 0;

    for (int i = 0; i < n; i++) {
        if (!is_digit((*s)[i]))
            return false;
        acc = acc * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *v = acc;
    return true;
}

static bool take_char(const char **s, char c)
{
    if (**s != c)
        return false;
    (*s)++;
    return true;
}

/* Reads an optional ".digits" fraction as milliseconds; digits past the
 * third are truncated (so the time is floored to the millisecond). */
static bool take_fraction(const char **s, int *ms)
{
    int scale = 100;

    *ms = 0;
    if (!take_char(s, '.'))
        return true;
    if (!is_digit(**s))
        return false;
    for (; is_digit(**s); (*s)++) {
        *ms += (**s - '0') * scale;
        scale /= 10;
    }
    return true;
}

/* Reads "Z", "z" or "+HH:MM" / "-HH:MM" as an offset east of UTC in ms. */
static bool take_offset(const char **s, int64_t *off_ms)
{
    int sign, hh, mm;

    if (take_char(s, 'Z') || take_char(s, 'z')) {
        *off_ms = 0;
        return true;
    }
    if (take_char(s, '+'))
        sign = 1;
    else if (take_char(s, '-'))
        sign = -1;
    else
        return false;
    if (!take_digits(s, 2, &hh) || !take_char(s, ':') ||
        !take_digits(s, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *off_ms = sign * ((int64_t)hh * 3600 + mm * 60) * MS_PER_SEC;
    return true;
}

static bool take_date(const char **s, struct civil *c)
{
    int y;

    if (!take_digits(s, 4, &y) || !take_char(s, '-') ||
        !take_digits(s, 2, &c->month) || !take_char(s, '-') ||
        !take_digits(s, 2, &c->day))
        return false;
    c->year = y;
    return c->month >= 1 && c->month <= 12 && c->day >= 1 &&
           c->day <= days_in_month(c->year, c->month);
}

/* Reads "HH:MM:SS[.frac]" as milliseconds since midnight. */
static bool take_time(const char **s, int64_t *ms)
{
    int hh, mm, ss, frac;

    if (!take_digits(s, 2, &hh) || !take_char(s, ':') ||
        !take_digits(s, 2, &mm) || !take_char(s, ':') ||
        !take_digits(s, 2, &ss) || !take_fraction(s, &frac))
        return false;
    if (hh > 23 || mm > 59 || ss > 59)
        return false;
    *ms = ((int64_t)hh * 3600 + mm * 60 + ss) * MS_PER_SEC + frac;
    return true;
}

int time_parse(const char *s, int64_t *ms)
{
    struct civil c;
    int64_t tod, off;

    if (s == NULL || !take_date(&s, &c))
        return -1;
    if (*s != 'T' && *s != 't' && *s != ' ')
        return -1;
    s++;
    if (!take_time(&s, &tod) || !take_offset(&s, &off) || *s != '\0')
        return -1;
    *ms = days_from_civil(c.year, c.month, c.day) * MS_PER_DAY + tod - off;
    return 0;
}

/* ---- clocks ------------------------------------------------------------ */

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * MS_PER_SEC + ts.tv_nsec / 1000000;
}

int64_t time_now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

int64_t time_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}
