/* smstext — SMS text rules: character sets, part counts, number formats.
 *
 * Implements server/smstext.h.  A body is decoded once as strict UTF-8
 * (RFC 3629: no overlong forms, no UTF-16 surrogates, nothing above
 * U+10FFFF, no truncated sequences) and every code point is fed to three
 * measurements at the same time: GSM 7-bit septets (3GPP TS 23.038 default
 * alphabet, extension-table characters cost two septets), UTF-16 units and
 * Latin-1 characters.  Part counts use greedy packing, so a two-unit item
 * (an escaped GSM character or a surrogate pair) never straddles two parts;
 * a message that fits the single-part limit is always one part.  8bit bodies
 * are hex and are not decoded as text.  Number checks are hand-written
 * matchers for the formats in the header.  Pure functions, no I/O, no
 * global mutable state.
 */
#include "server/smstext.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define SMS_MAX_PARTS 255

#define GSM7_SINGLE 160
#define GSM7_PART 153
#define OCTET_SINGLE 140
#define OCTET_PART 134
#define UCS2_SINGLE 70
#define UCS2_PART 67

#define DEST_MIN_DIGITS 3
#define DEST_MAX_DIGITS 15
#define ALNUM_MAX_CHARS 11

/* ------------------------------------------------------------ GSM 7-bit */

/* Septet cost of U+0000..U+00FF: 0 = not representable, 1 = default
 * alphabet, 2 = extension table (ESC + septet).  Row comments are the high
 * nibble of the code point. */
static const uint8_t gsm7_latin_cost[256] = {
    /* 00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 1, 0, 0,
    /* 10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 20 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 40 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1,
    /* 60 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* 70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0,
    /* 80 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 90 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* A0 */ 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    /* B0 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    /* C0 */ 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0,
    /* D0 */ 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1,
    /* E0 */ 1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0,
    /* F0 */ 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0,
};

/* Septets needed for code point cp: 1, 2 (extension table) or 0. */
static unsigned gsm7_cost(uint32_t cp)
{
    if (cp < 0x100)
        return gsm7_latin_cost[cp];
    switch (cp) {
    case 0x0393: /* Γ */
    case 0x0394: /* Δ */
    case 0x0398: /* Θ */
    case 0x039B: /* Λ */
    case 0x039E: /* Ξ */
    case 0x03A0: /* Π */
    case 0x03A3: /* Σ */
    case 0x03A6: /* Φ */
    case 0x03A8: /* Ψ */
    case 0x03A9: /* Ω */
        return 1;
    case 0x20AC: /* € */
        return 2;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------ UTF-8 */

/* Number of continuation bytes after lead byte b and the smallest code
 * point that form may encode; -1 for a byte that cannot start a sequence
 * (a continuation byte, or 0xF8..0xFF). */
static int utf8_lead(unsigned char b, uint32_t *cp, uint32_t *min)
{
    if (b < 0x80) {
        *cp = b;
        *min = 0;
        return 0;
    }
    if ((b & 0xE0) == 0xC0) {
        *cp = b & 0x1Fu;
        *min = 0x80;
        return 1;
    }
    if ((b & 0xF0) == 0xE0) {
        *cp = b & 0x0Fu;
        *min = 0x800;
        return 2;
    }
    if ((b & 0xF8) == 0xF0) {
        *cp = b & 0x07u;
        *min = 0x10000;
        return 3;
    }
    return -1;
}

/* Decodes one code point at s[*pos..len), advancing *pos.  Returns 0, or -1
 * on a malformed, truncated, overlong, surrogate or out-of-range
 * sequence. */
static int utf8_next(const unsigned char *s, size_t len, size_t *pos,
                     uint32_t *out)
{
    uint32_t cp, min;
    size_t i = *pos;
    int more = utf8_lead(s[i], &cp, &min);

    if (more < 0 || (size_t)more > len - i - 1)
        return -1;
    for (int k = 1; k <= more; k++) {
        unsigned char c = s[i + (size_t)k];
        if ((c & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (c & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *pos = i + 1 + (size_t)more;
    *out = cp;
    return 0;
}

/* ------------------------------------------------------------ packing */

/* Greedy packer: items of 1 or 2 units go into parts of `part` units, an
 * item never split across two parts. */
struct packer {
    size_t part;  /* units per concatenated part */
    size_t total; /* units fed so far */
    size_t parts; /* parts used by greedy packing */
    size_t fill;  /* units in the current (last) part */
};

static void packer_add(struct packer *p, size_t units)
{
    p->total += units;
    if (p->parts == 0 || p->fill + units > p->part) {
        p->parts++;
        p->fill = units;
    } else {
        p->fill += units;
    }
}

/* Final part count: one part while the total fits `single`. */
static size_t packer_parts(const struct packer *p, size_t single)
{
    return p->total <= single ? 1 : p->parts;
}

/* Parts for n octets (every item is one unit, so no packing needed). */
static size_t octet_parts(size_t n)
{
    if (n <= OCTET_SINGLE)
        return 1;
    return n / OCTET_PART + (n % OCTET_PART != 0);
}

/* ------------------------------------------------------------ scanning */

/* Everything one pass over a UTF-8 body learns. */
struct text_scan {
    bool utf8_ok;   /* the whole body is valid UTF-8 */
    bool gsm7_ok;   /* every character is in GSM-7 (default or extension) */
    bool latin1_ok; /* every character is <= U+00FF */
    size_t chars;   /* code points */
    struct packer gsm7;
    struct packer ucs2;
};

static void text_scan(const char *utf8, size_t len, struct text_scan *ts)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t pos = 0;

    memset(ts, 0, sizeof *ts);
    ts->utf8_ok = ts->gsm7_ok = ts->latin1_ok = true;
    ts->gsm7.part = GSM7_PART;
    ts->ucs2.part = UCS2_PART;
    while (pos < len) {
        uint32_t cp;
        if (utf8_next(s, len, &pos, &cp) != 0) {
            ts->utf8_ok = false;
            return;
        }
        ts->chars++;
        if (cp > 0xFF)
            ts->latin1_ok = false;
        packer_add(&ts->ucs2, cp > 0xFFFF ? 2 : 1);
        if (ts->gsm7_ok) {
            unsigned cost = gsm7_cost(cp);
            if (cost == 0)
                ts->gsm7_ok = false;
            else
                packer_add(&ts->gsm7, cost);
        }
    }
}

/* ------------------------------------------------------------ public */

static const char *const charset_names[] = {
    [SMS_CS_GSM7] = "gsm7",
    [SMS_CS_8BIT] = "8bit",
    [SMS_CS_LATIN1] = "latin1",
    [SMS_CS_UCS2] = "ucs2",
};

#define CHARSET_COUNT (sizeof charset_names / sizeof charset_names[0])

const char *sms_charset_name(enum sms_charset cs)
{
    if ((unsigned)cs >= CHARSET_COUNT)
        return "unknown";
    return charset_names[cs];
}

int sms_charset_parse(const char *name, enum sms_charset *out)
{
    if (name == NULL || out == NULL)
        return -1;
    for (size_t i = 0; i < CHARSET_COUNT; i++) {
        if (strcmp(name, charset_names[i]) == 0) {
            *out = (enum sms_charset)i;
            return 0;
        }
    }
    return -1;
}

/* size_t → long for the counting functions; -1 if it does not fit. */
static long count_to_long(size_t n)
{
    return n > (size_t)LONG_MAX ? -1 : (long)n;
}

long sms_gsm7_septets(const char *utf8, size_t len)
{
    struct text_scan ts;

    if (utf8 == NULL)
        return len == 0 ? 0 : -1;
    text_scan(utf8, len, &ts);
    if (!ts.utf8_ok || !ts.gsm7_ok)
        return -1;
    return count_to_long(ts.gsm7.total);
}

long sms_ucs2_units(const char *utf8, size_t len)
{
    struct text_scan ts;

    if (utf8 == NULL)
        return len == 0 ? 0 : -1;
    text_scan(utf8, len, &ts);
    if (!ts.utf8_ok)
        return -1;
    return count_to_long(ts.ucs2.total);
}

static bool is_hex_digit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* 8bit: an even-length hex string, one octet per two digits. */
static int measure_8bit(const char *body, size_t len, size_t *units,
                        size_t *parts)
{
    if (len % 2 != 0)
        return SMS_EBADHEX;
    for (size_t i = 0; i < len; i++) {
        if (!is_hex_digit(body[i]))
            return SMS_EBADHEX;
    }
    *units = len / 2;
    *parts = octet_parts(*units);
    return SMS_OK;
}

/* gsm7 / latin1 / ucs2 / auto from one text scan.  *cs is the requested
 * character set, or -1 for auto, and receives the one used. */
static int measure_text(const char *body, size_t len, int *cs, size_t *units,
                        size_t *parts)
{
    struct text_scan ts;

    text_scan(body, len, &ts);
    if (!ts.utf8_ok)
        return SMS_EBADUTF8;
    if (*cs < 0)
        *cs = ts.gsm7_ok ? SMS_CS_GSM7 : SMS_CS_UCS2;
    switch (*cs) {
    case SMS_CS_GSM7:
        if (!ts.gsm7_ok)
            return SMS_ENOTGSM7;
        *units = ts.gsm7.total;
        *parts = packer_parts(&ts.gsm7, GSM7_SINGLE);
        return SMS_OK;
    case SMS_CS_LATIN1:
        if (!ts.latin1_ok)
            return SMS_ENOTLATIN1;
        *units = ts.chars;
        *parts = octet_parts(ts.chars);
        return SMS_OK;
    default: /* SMS_CS_UCS2 */
        *units = ts.ucs2.total;
        *parts = packer_parts(&ts.ucs2, UCS2_SINGLE);
        return SMS_OK;
    }
}

/* A `given` outside enum sms_charset is treated as "not given" (auto).
 * out may be NULL to only validate. */
int sms_measure(const char *body, size_t len, int given,
                struct sms_measure *out)
{
    int cs = (given >= 0 && (size_t)given < CHARSET_COUNT) ? given : -1;
    size_t units = 0, parts = 0;
    int rc;

    if (body == NULL && len != 0)
        return SMS_EBADUTF8;
    if (body == NULL)
        body = "";
    if (cs == SMS_CS_8BIT)
        rc = measure_8bit(body, len, &units, &parts);
    else
        rc = measure_text(body, len, &cs, &units, &parts);
    if (rc != SMS_OK)
        return rc;
    if (parts > SMS_MAX_PARTS)
        return SMS_ETOOLONG;
    if (out != NULL) {
        out->charset = (enum sms_charset)cs;
        out->units = units;
        out->parts = (int)parts;
    }
    return SMS_OK;
}

const char *sms_strerror(int err)
{
    switch (err) {
    case SMS_OK:
        return "ok";
    case SMS_ETOOLONG:
        return "Message too long";
    case SMS_EBADUTF8:
        return "message_body is not valid UTF-8";
    case SMS_ENOTGSM7:
        return "message_body has characters outside the GSM 7-bit alphabet";
    case SMS_EBADHEX:
        return "message_body must be hex for 8bit";
    case SMS_ENOTLATIN1:
        return "message_body has characters outside Latin-1";
    default:
        return "unknown error";
    }
}

/* ^\+?[0-9]{3,15}$ */
bool sms_valid_destination(const char *s)
{
    size_t digits = 0;

    if (s == NULL)
        return false;
    if (*s == '+')
        s++;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || ++digits > DEST_MAX_DIGITS)
            return false;
    }
    return digits >= DEST_MIN_DIGITS;
}

/* A character allowed in an alphanumeric sender: the GSM 7-bit default
 * alphabet without the extension table and without LF / CR. */
static bool alnum_sender_char(uint32_t cp)
{
    return cp != '\n' && cp != '\r' && gsm7_cost(cp) == 1;
}

/* 1..11 default-alphabet characters, not all whitespace, no leading or
 * trailing space. */
static bool valid_alnum_sender(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), pos = 0, chars = 0;
    bool non_space = false;

    if (len == 0 || s[0] == ' ' || s[len - 1] == ' ')
        return false;
    while (pos < len) {
        uint32_t cp;
        if (utf8_next(u, len, &pos, &cp) != 0 || !alnum_sender_char(cp) ||
            ++chars > ALNUM_MAX_CHARS)
            return false;
        if (cp != ' ')
            non_space = true;
    }
    return non_space;
}

bool sms_valid_source(const char *s)
{
    if (s == NULL)
        return false;
    return sms_valid_destination(s) || valid_alnum_sender(s);
}
