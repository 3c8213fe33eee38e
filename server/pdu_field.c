/* pdu_field — the field codecs every SMS layer shares (server/pdu.h).
 *
 * The bounded reader and writer every decoder and encoder goes through
 * (a read past the end of the current element is an error naming the
 * field, never an access), the error formatter, addresses (TS 23.040
 * 9.1.2.5 TP addresses counted in semi-octets, alphanumeric TON 5 in
 * packed GSM 7-bit; TS 24.011 8.2.5.1/2 service-centre addresses counted
 * in octets), the semi-octet time stamps of TP-SCTS / TP-DT / absolute
 * TP-VP (9.2.3.11, time zone in quarter hours, converted to UTC ms), the
 * validity period formats (9.2.3.12) and the TP-DCS coding groups of
 * TS 23.038 section 4.  Pure functions; any thread.
 */
#include "server/pdu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/smstext.h"

#define TP_ADDR_MAX_DIGITS 20
#define SC_ADDR_MAX_OCTETS 11   /* type octet + 10 BCD octets */
#define ALNUM_MAX_SEPTETS 11
#define TON_INTERNATIONAL 1
#define TON_ALPHANUMERIC 5

/* ------------------------------------------------------------ errors */

static int vfail(struct pdu_error *err, size_t offset, const char *field,
                 const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int vfail(struct pdu_error *err, size_t offset, const char *field,
                 const char *fmt, va_list ap)
{
    size_t n;

    err->offset = offset;
    snprintf(err->field, sizeof err->field, "%s", field);
    n = (size_t)snprintf(err->detail, sizeof err->detail, "octet %zu (%s): ",
                         offset, err->field);
    vsnprintf(err->detail + n, sizeof err->detail - n, fmt, ap);
    return -1;
}

int pdu_fail(struct pdu_error *err, size_t offset, const char *field,
             const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(err, offset, field, fmt, ap);
    va_end(ap);
    return -1;
}

int pdu_reject(struct pdu_reader *r, size_t offset, const char *field,
               const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(r->err, offset, field, fmt, ap);
    va_end(ap);
    if (r->reached != NULL && *r->reached > offset)
        *r->reached = offset;
    return -1;
}

/* ------------------------------------------------------------ reader */

int pdu_read(struct pdu_reader *r, size_t n, const char *field,
             const uint8_t **out)
{
    size_t left = r->end - r->pos;

    if (n > left)
        return pdu_fail(r->err, r->pos, field, "%zu octet%s needed, %zu left",
                        n, n == 1 ? "" : "s", left);
    *out = r->p + r->pos;
    r->pos += n;
    if (r->reached != NULL && r->pos > *r->reached)
        *r->reached = r->pos;
    return 0;
}

int pdu_read_u8(struct pdu_reader *r, const char *field, uint8_t *out)
{
    const uint8_t *b = NULL;

    if (pdu_read(r, 1, field, &b) != 0)
        return -1;
    *out = b[0];
    return 0;
}

int pdu_read_done(const struct pdu_reader *r, const char *what)
{
    size_t left = r->end - r->pos;

    if (left == 0)
        return 0;
    return pdu_fail(r->err, r->pos, "trailing data",
                    "%zu octet%s after the end of the %s", left,
                    left == 1 ? "" : "s", what);
}

int pdu_read_lv(struct pdu_reader *r, const char *field,
                struct pdu_reader *sub)
{
    size_t at = r->pos;
    uint8_t n;

    if (pdu_read_u8(r, field, &n) != 0)
        return -1;
    if (n > r->end - r->pos)
        return pdu_fail(r->err, at, field, "%u octets announced, %zu follow",
                        n, r->end - r->pos);
    *sub = *r;
    sub->end = r->pos + n;
    r->pos = sub->end;
    return 0;
}

/* ------------------------------------------------------------ writer */

int pdu_write(struct pdu_writer *w, const uint8_t *b, size_t n,
              const char *field)
{
    if (n > w->cap - w->len)
        return pdu_fail(w->err, w->len, field,
                        "the PDU would exceed %zu octets", w->cap);
    if (n > 0)
        memcpy(w->p + w->len, b, n);
    w->len += n;
    return 0;
}

int pdu_write_u8(struct pdu_writer *w, uint8_t v, const char *field)
{
    return pdu_write(w, &v, 1, field);
}

/* ------------------------------------------------------------ addresses */

/* "<name> <part>" into buf (the field of an address error). */
static const char *addr_field(char buf[32], const char *name, const char *part)
{
    snprintf(buf, 32, "%s %s", name, part);
    return buf;
}

static const char bcd_chars[] = "0123456789*#abc";

/* Reads the type-of-address octet into a->ton / a->npi. */
static int addr_type_decode(struct pdu_reader *r, const char *name,
                            struct pdu_addr *a)
{
    char f[32];
    uint8_t toa;

    if (pdu_read_u8(r, addr_field(f, name, "type"), &toa) != 0)
        return -1;
    if ((toa & 0x80) == 0)
        return pdu_reject(r, r->pos - 1, f, "type octet 0x%02X: bit 8 must be 1",
                          toa);
    a->ton = (uint8_t)((toa >> 4) & 0x07);
    a->npi = (uint8_t)(toa & 0x0F);
    return 0;
}

/* BCD digits v[0..semi) (semi-octets, low nibble first) into a->text.  A
 * service-centre address may end with the filler 0xF; a TP address of an
 * odd number of digits must have it after them. */
static int addr_bcd_decode(struct pdu_reader *r, const char *name,
                           const uint8_t *v, size_t base, size_t semi,
                           bool sc, struct pdu_addr *a)
{
    char f[32];
    size_t n = 0;

    if (!sc && semi % 2 && (v[semi / 2] >> 4) != 0x0F)
        return pdu_reject(r, base + semi / 2, addr_field(f, name, "digits"),
                          "filler after digit %zu is 0x%X, not 0xF", semi,
                          v[semi / 2] >> 4);
    if (a->ton == TON_INTERNATIONAL && semi > 0)
        a->text[n++] = '+';
    for (size_t i = 0; i < semi; i++) {
        unsigned nib = i % 2 ? v[i / 2] >> 4 : v[i / 2] & 0x0Fu;

        if (nib == 0x0F && sc && i == semi - 1 && i % 2 == 1)
            break;
        if (nib == 0x0F)
            return pdu_reject(r, base + i / 2, addr_field(f, name, "digits"),
                              "filler 0xF in place of digit %zu", i + 1);
        a->text[n++] = bcd_chars[nib];
    }
    a->text[n] = '\0';
    return 0;
}

/* Alphanumeric address: semi semi-octets of packed GSM 7-bit. */
static int addr_alnum_decode(struct pdu_reader *r, const char *name,
                             const uint8_t *v, size_t base, size_t semi,
                             struct pdu_addr *a)
{
    char f[32];
    size_t len;

    if (pdu_gsm7_decode(v, 0, semi * 4 / 7, a->text, sizeof a->text, &len) != 0)
        return pdu_reject(r, base, addr_field(f, name, "digits"),
                          "alphanumeric address too long");
    return 0;
}

int pdu_tp_addr_decode(struct pdu_reader *r, const char *name,
                       struct pdu_addr *a)
{
    char f[32];
    size_t at = r->pos;
    uint8_t semi;
    const uint8_t *v = NULL;

    memset(a, 0, sizeof *a);
    if (pdu_read_u8(r, addr_field(f, name, "length"), &semi) != 0)
        return -1;
    if (semi > TP_ADDR_MAX_DIGITS)
        return pdu_reject(r, at, f, "%u digits exceed %d", semi,
                          TP_ADDR_MAX_DIGITS);
    if (addr_type_decode(r, name, a) != 0 ||
        pdu_read(r, (semi + 1u) / 2, addr_field(f, name, "digits"), &v) != 0)
        return -1;
    a->present = true;
    if (a->ton == TON_ALPHANUMERIC)
        return addr_alnum_decode(r, name, v, at + 2, semi, a);
    return addr_bcd_decode(r, name, v, at + 2, semi, false, a);
}

int pdu_sc_addr_decode(struct pdu_reader *r, const char *name,
                       struct pdu_addr *a)
{
    char f[32];
    size_t at = r->pos;
    uint8_t len;
    const uint8_t *v = NULL;

    memset(a, 0, sizeof *a);
    if (pdu_read_u8(r, addr_field(f, name, "length"), &len) != 0)
        return -1;
    if (len == 0)
        return 0;
    if (len > SC_ADDR_MAX_OCTETS)
        return pdu_reject(r, at, f, "%u octets exceed %d", len,
                          SC_ADDR_MAX_OCTETS);
    if (addr_type_decode(r, name, a) != 0 ||
        pdu_read(r, len - 1u, addr_field(f, name, "digits"), &v) != 0)
        return -1;
    if (a->ton == TON_ALPHANUMERIC)
        return pdu_reject(r, at + 1, addr_field(f, name, "type"),
                          "alphanumeric (TON 5) is not a service-centre "
                          "address");
    a->present = true;
    return addr_bcd_decode(r, name, v, at + 2, 2 * (len - 1u), true, a);
}

/* An address ready to write: type octet, value octets, semi-octets. */
struct addr_value {
    uint8_t toa;
    uint8_t v[10];
    size_t semi;
    size_t octets;
};

static int addr_alnum_encode(struct pdu_writer *w, const char *f,
                             const struct pdu_addr *a, struct addr_value *out)
{
    uint8_t septets[ALNUM_MAX_SEPTETS];
    size_t n = 0, bad = 0;
    int rc = pdu_gsm7_encode(a->text, strnlen(a->text, sizeof a->text),
                             septets, sizeof septets, &n, &bad);

    if (rc == PDU_TEXT_BAD)
        return pdu_fail(w->err, w->len, f,
                        "byte %zu of \"%.23s\" is not GSM 7-bit", bad, a->text);
    if (rc != 0)
        return pdu_fail(w->err, w->len, f,
                        "alphanumeric address longer than %d septets",
                        ALNUM_MAX_SEPTETS);
    pdu_gsm7_pack(septets, n, 0, out->v);
    out->semi = (7 * n + 3) / 4;
    out->octets = (out->semi + 1) / 2;
    return 0;
}

/* Semi-octet value of an address character, -1 when it has none. */
static int bcd_value(char c)
{
    const char *hit;

    if (c >= 'A' && c <= 'C')
        c = (char)(c - 'A' + 'a');
    hit = c != '\0' ? strchr(bcd_chars, c) : NULL;
    return hit != NULL ? (int)(hit - bcd_chars) : -1;
}

static int addr_bcd_encode(struct pdu_writer *w, const char *f,
                           const char *s, struct addr_value *out)
{
    size_t n = 0;

    for (; *s != '\0'; s++, n++) {
        int d = bcd_value(*s);

        if (d < 0)
            return pdu_fail(w->err, w->len, f, "'%c' is not a digit", *s);
        if (n == TP_ADDR_MAX_DIGITS)
            return pdu_fail(w->err, w->len, f, "more than %d digits",
                            TP_ADDR_MAX_DIGITS);
        out->v[n / 2] |= (uint8_t)(n % 2 ? d << 4 : d);
    }
    if (n % 2)
        out->v[n / 2] |= 0xF0;
    out->semi = n;
    out->octets = (n + 1) / 2;
    return 0;
}

/* Checks a and packs it; sc forbids TON 5. */
static int addr_encode_value(struct pdu_writer *w, const char *name,
                             const struct pdu_addr *a, bool sc,
                             struct addr_value *out)
{
    char f[32];
    const char *s = a->text;
    unsigned ton = a->ton;

    memset(out, 0, sizeof *out);
    addr_field(f, name, "digits");
    if (ton > 7 || a->npi > 15)
        return pdu_fail(w->err, w->len, f, "TON %u / NPI %u out of range", ton,
                        a->npi);
    if (ton == TON_ALPHANUMERIC && sc)
        return pdu_fail(w->err, w->len, f,
                        "alphanumeric (TON 5) is not a service-centre address");
    if (ton == TON_ALPHANUMERIC) {
        out->toa = (uint8_t)(0x80 | ton << 4 | a->npi);
        return addr_alnum_encode(w, f, a, out);
    }
    if (s[0] == '+' && ton != 0 && ton != TON_INTERNATIONAL)
        return pdu_fail(w->err, w->len, f, "'+' with type of number %u", ton);
    if (s[0] == '+') {
        ton = TON_INTERNATIONAL;
        s++;
    }
    out->toa = (uint8_t)(0x80 | ton << 4 | a->npi);
    return addr_bcd_encode(w, f, s, out);
}

int pdu_tp_addr_encode(struct pdu_writer *w, const char *name,
                       const struct pdu_addr *a)
{
    struct addr_value av;

    if (addr_encode_value(w, name, a, false, &av) != 0 ||
        pdu_write_u8(w, (uint8_t)av.semi, name) != 0 ||
        pdu_write_u8(w, av.toa, name) != 0)
        return -1;
    return pdu_write(w, av.v, av.octets, name);
}

int pdu_sc_addr_encode(struct pdu_writer *w, const char *name,
                       const struct pdu_addr *a)
{
    struct addr_value av;

    if (!a->present && a->text[0] == '\0')
        return pdu_write_u8(w, 0, name);
    if (addr_encode_value(w, name, a, true, &av) != 0 ||
        pdu_write_u8(w, (uint8_t)(av.octets + 1), name) != 0 ||
        pdu_write_u8(w, av.toa, name) != 0)
        return -1;
    return pdu_write(w, av.v, av.octets, name);
}

/* ------------------------------------------------------------ time */

/* Two semi-octet decimal digits (low nibble first); -1 if not decimal. */
static int semi_octet_value(uint8_t b)
{
    unsigned lo = b & 0x0Fu, hi = b >> 4;

    return lo > 9 || hi > 9 ? -1 : (int)(lo * 10 + hi);
}

static uint8_t semi_octet(unsigned v)
{
    return (uint8_t)((v / 10) | (v % 10) << 4);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[12] = {31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dim[m - 1];
}

/* Field limits of YY MM DD hh mm ss: value range per octet. */
static const struct {
    int min, max;
    const char *what;
} time_limits[6] = {
    {0, 99, "year"}, {1, 12, "month"}, {1, 31, "day"},
    {0, 23, "hour"}, {0, 59, "minute"}, {0, 59, "second"},
};

/* Time stamp b (at offset base) -> UTC ms; time zone octet included. */
static int time_value(struct pdu_reader *r, const uint8_t *b, size_t base,
                      const char *field, int64_t *ms)
{
    int v[6];
    unsigned tz_tens = b[6] & 0x07u, tz_units = b[6] >> 4;
    int64_t year, secs, tz;

    for (size_t i = 0; i < 6; i++) {
        v[i] = semi_octet_value(b[i]);
        if (v[i] < 0)
            return pdu_reject(r, base + i, field,
                              "%s octet 0x%02X is not two decimal digits",
                              time_limits[i].what, b[i]);
        if (v[i] < time_limits[i].min || v[i] > time_limits[i].max)
            return pdu_reject(r, base + i, field, "%s %d out of range",
                              time_limits[i].what, v[i]);
    }
    year = v[0] < 90 ? 2000 + v[0] : 1900 + v[0];
    if ((unsigned)v[2] > days_in_month(year, (unsigned)v[1]))
        return pdu_reject(r, base + 2, field, "day %d out of range", v[2]);
    if (tz_units > 9)
        return pdu_reject(r, base + 6, field,
                          "time zone octet 0x%02X is not decimal", b[6]);
    tz = (int64_t)(tz_tens * 10 + tz_units) * 15 * 60;
    secs = days_from_civil(year, (unsigned)v[1], (unsigned)v[2]) * 86400 +
           v[3] * 3600 + v[4] * 60 + v[5];
    *ms = (secs - ((b[6] & 0x08) ? -tz : tz)) * 1000;
    return 0;
}

int pdu_time_decode(struct pdu_reader *r, const char *field, uint8_t raw[7],
                    int64_t *ms)
{
    size_t at = r->pos;
    const uint8_t *b = NULL;

    if (pdu_read(r, 7, field, &b) != 0 || time_value(r, b, at, field, ms) != 0)
        return -1;
    memcpy(raw, b, 7);
    return 0;
}

/* UTC ms -> YY MM DD hh mm ss +00 (1990..2089; ms below 1 s dropped). */
static int time_build(struct pdu_writer *w, const char *field, int64_t ms,
                      uint8_t b[7])
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400, year = 1990;
    unsigned month = 1, day;

    if (days < days_from_civil(1990, 1, 1) ||
        days >= days_from_civil(2090, 1, 1))
        return pdu_fail(w->err, w->len, field,
                        "time %lld ms is outside 1990..2089", (long long)ms);
    while (days >= days_from_civil(year + 1, 1, 1))
        year++;
    while (days >= days_from_civil(year, month, 1) + days_in_month(year, month))
        month++;
    day = (unsigned)(days - days_from_civil(year, month, 1)) + 1;
    b[0] = semi_octet((unsigned)(year % 100));
    b[1] = semi_octet(month);
    b[2] = semi_octet(day);
    b[3] = semi_octet((unsigned)(sod / 3600));
    b[4] = semi_octet((unsigned)(sod / 60 % 60));
    b[5] = semi_octet((unsigned)(sod % 60));
    b[6] = 0;
    return 0;
}

int pdu_time_encode(struct pdu_writer *w, const char *field,
                    const uint8_t raw[7], int64_t ms)
{
    struct pdu_error scratch;
    struct pdu_reader check = {.err = &scratch};
    int64_t raw_ms;
    uint8_t b[7];

    if (time_value(&check, raw, 0, field, &raw_ms) == 0 && raw_ms == ms)
        return pdu_write(w, raw, 7, field);
    if (time_build(w, field, ms, b) != 0)
        return -1;
    return pdu_write(w, b, 7, field);
}

/* ------------------------------------------------------------ TP-VP */

#define MINUTE 60
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)

#define EVPF_EXTENSION 0x80
#define EVPF_RESERVED 0x38

/* TS 23.040 9.2.3.12.1. */
static int64_t vp_relative_seconds(uint8_t v)
{
    if (v <= 143)
        return (v + 1) * 5 * MINUTE;
    if (v <= 167)
        return 12 * HOUR + (v - 143) * 30 * MINUTE;
    if (v <= 196)
        return (v - 166) * (int64_t)DAY;
    return (v - 192) * (int64_t)WEEK;
}

/* The shortest relative period >= seconds; -1 beyond 63 weeks. */
static int vp_relative_octet(int64_t seconds, uint8_t *out)
{
    for (unsigned v = 0; v <= 255; v++) {
        if (vp_relative_seconds((uint8_t)v) >= seconds) {
            *out = (uint8_t)v;
            return 0;
        }
    }
    return -1;
}

/* Enhanced format (9.2.3.12.3): functionality indicator, value, zeros. */
static int vp_enhanced_value(struct pdu_reader *r, const uint8_t *b,
                             size_t base, int64_t *seconds)
{
    static const size_t used[4] = {1, 2, 2, 4};
    unsigned fmt = b[0] & 0x07u;
    int hms[3];

    if (b[0] & (EVPF_EXTENSION | EVPF_RESERVED))
        return pdu_reject(r, base, "TP-VP",
                          "enhanced indicator 0x%02X: extension / reserved "
                          "bits set", b[0]);
    if (fmt > 3)
        return pdu_reject(r, base, "TP-VP", "enhanced format %u is reserved",
                          fmt);
    for (size_t i = used[fmt]; i < 7; i++) {
        if (b[i] != 0)
            return pdu_reject(r, base + i, "TP-VP",
                              "unused enhanced octet is 0x%02X, not 0", b[i]);
    }
    if (fmt == 0)
        *seconds = 0;
    else if (fmt == 1)
        *seconds = vp_relative_seconds(b[1]);
    else if (fmt == 2)
        *seconds = b[1];
    else {
        for (size_t i = 0; i < 3; i++) {
            hms[i] = semi_octet_value(b[1 + i]);
            if (hms[i] < 0 || (i > 0 && hms[i] > 59))
                return pdu_reject(r, base + 1 + i, "TP-VP",
                                  "0x%02X is not a valid hh:mm:ss octet",
                                  b[1 + i]);
        }
        *seconds = (int64_t)hms[0] * HOUR + hms[1] * MINUTE + hms[2];
    }
    return 0;
}

int pdu_vp_decode(struct pdu_reader *r, struct pdu_vp *vp)
{
    size_t at = r->pos;
    const uint8_t *b = NULL;

    switch (vp->format) {
    case 0:
        return 0;
    case 2:
        if (pdu_read(r, 1, "TP-VP", &b) != 0)
            return -1;
        vp->raw[0] = b[0];
        vp->seconds = vp_relative_seconds(b[0]);
        return 0;
    case 3:
        return pdu_time_decode(r, "TP-VP", vp->raw, &vp->absolute_ms);
    default:
        if (pdu_read(r, 7, "TP-VP", &b) != 0 ||
            vp_enhanced_value(r, b, at, &vp->seconds) != 0)
            return -1;
        memcpy(vp->raw, b, 7);
        return 0;
    }
}

/* An enhanced period for seconds: integer seconds, hh:mm:ss or relative. */
static int vp_enhanced_build(struct pdu_writer *w, int64_t seconds,
                             uint8_t b[7])
{
    memset(b, 0, 7);
    if (seconds < 0)
        return pdu_fail(w->err, w->len, "TP-VP", "negative period %lld s",
                        (long long)seconds);
    if (seconds == 0)
        return 0;
    if (seconds <= 255) {
        b[0] = 0x02;
        b[1] = (uint8_t)seconds;
    } else if (seconds < 100 * HOUR) {
        b[0] = 0x03;
        b[1] = semi_octet((unsigned)(seconds / HOUR));
        b[2] = semi_octet((unsigned)(seconds / MINUTE % 60));
        b[3] = semi_octet((unsigned)(seconds % 60));
    } else {
        b[0] = 0x01;
        if (vp_relative_octet(seconds, &b[1]) != 0)
            return pdu_fail(w->err, w->len, "TP-VP",
                            "%lld s exceed 63 weeks", (long long)seconds);
    }
    return 0;
}

int pdu_vp_encode(struct pdu_writer *w, const struct pdu_vp *vp)
{
    struct pdu_error scratch;
    struct pdu_reader check = {.err = &scratch};
    int64_t raw_seconds;
    uint8_t b[7];

    switch (vp->format) {
    case 0:
        return 0;
    case 2:
        if (vp->seconds < 0 || vp_relative_octet(vp->seconds, &b[0]) != 0)
            return pdu_fail(w->err, w->len, "TP-VP",
                            "relative period %lld s outside 0..63 weeks",
                            (long long)vp->seconds);
        return pdu_write_u8(w, b[0], "TP-VP");
    case 3:
        return pdu_time_encode(w, "TP-VP", vp->raw, vp->absolute_ms);
    case 1:
        if (vp_enhanced_value(&check, vp->raw, 0, &raw_seconds) == 0 &&
            raw_seconds == vp->seconds)
            return pdu_write(w, vp->raw, 7, "TP-VP");
        if (vp_enhanced_build(w, vp->seconds, b) != 0)
            return -1;
        return pdu_write(w, b, 7, "TP-VP");
    default:
        return pdu_fail(w->err, w->len, "TP-VPF",
                        "validity period format %u out of range", vp->format);
    }
}

/* ------------------------------------------------------------ TP-DCS */

/* Bits 3..2 of the general and auto-deletion groups (11 is reserved and
 * read as the default alphabet, TS 23.038 4). */
static const int general_alphabet[4] = {SMS_CS_GSM7, SMS_CS_8BIT, SMS_CS_UCS2,
                                        SMS_CS_GSM7};

void pdu_dcs_parse(uint8_t dcs, struct pdu_dcs *out)
{
    unsigned group = dcs >> 4;

    memset(out, 0, sizeof *out);
    out->charset = SMS_CS_GSM7;
    if (group <= 7) {
        out->coding_group = group <= 3 ? "general" : "auto_deletion";
        out->compressed = (dcs & 0x20) != 0;
        out->has_class = (dcs & 0x10) != 0;
        out->msg_class = out->has_class ? (uint8_t)(dcs & 0x03) : 0;
        out->charset = general_alphabet[(dcs >> 2) & 0x03];
    } else if (group <= 11) {
        out->coding_group = "reserved";
    } else if (group == 12) {
        out->coding_group = "message_waiting_discard";
    } else if (group == 13) {
        out->coding_group = "message_waiting_store";
    } else if (group == 14) {
        out->coding_group = "message_waiting_store_ucs2";
        out->charset = SMS_CS_UCS2;
    } else {
        out->coding_group = "data_coding_message_class";
        out->has_class = true;
        out->msg_class = (uint8_t)(dcs & 0x03);
        out->charset = (dcs & 0x04) ? SMS_CS_8BIT : SMS_CS_GSM7;
    }
}
