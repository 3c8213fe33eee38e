/* pdu_text — the character codecs of SMS user data (server/pdu.h).
 *
 * GSM 7-bit: the 3GPP TS 23.038 default alphabet (6.2.1) and its extension
 * table (6.2.1.1, reached with ESC 0x1B), septets packed little-endian
 * from any bit offset so that the fill bits after a user data header
 * (TS 23.040 9.2.3.24) are just a starting offset.  UCS-2: UTF-16BE with
 * surrogate pairs (what handsets actually send), converted to and from
 * strict UTF-8.  Hex: the 8-bit and compressed user data as text.
 * Pure functions over caller buffers; any thread.
 */
#include "server/pdu.h"

#define GSM7_ESC 0x1B
#define EXT_FLAG 0x100   /* gsm7_lookup: an extension-table code */

/* TS 23.038 6.2.1: septet -> code point (0x1B, the escape, is unused). */
static const uint16_t gsm7_default[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x0000, 0x00C6, 0x00E6, 0x00DF, 0x00C9,
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* TS 23.038 6.2.1.1: the characters of the extension table. */
static const struct {
    uint8_t septet;
    uint16_t cp;
} gsm7_ext[] = {
    {0x0A, 0x000C}, {0x14, 0x005E}, {0x28, 0x007B}, {0x29, 0x007D},
    {0x2F, 0x005C}, {0x3C, 0x005B}, {0x3D, 0x007E}, {0x3E, 0x005D},
    {0x40, 0x007C}, {0x65, 0x20AC},
};

#define N_EXT (sizeof gsm7_ext / sizeof gsm7_ext[0])

/* ------------------------------------------------------------ UTF-8 */

/* Bounded UTF-8 output that always keeps room for the NUL. */
struct utf8_out {
    char *p;
    size_t cap;
    size_t len;
};

static int utf8_put(struct utf8_out *o, uint32_t cp)
{
    unsigned char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (o->cap == 0 || n > o->cap - 1 - o->len)
        return PDU_TEXT_FULL;
    for (size_t i = 0; i < n; i++)
        o->p[o->len++] = (char)b[i];
    o->p[o->len] = '\0';
    return 0;
}

static int utf8_begin(struct utf8_out *o, char *out, size_t cap)
{
    o->p = out;
    o->cap = cap;
    o->len = 0;
    if (cap == 0)
        return PDU_TEXT_FULL;
    out[0] = '\0';
    return 0;
}

/* Continuation bytes after lead byte b, its payload bits and the smallest
 * code point that form may carry; -1 when b cannot start a character. */
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

/* One strict UTF-8 character at s[*pos..len); advances *pos. */
static int utf8_next(const char *s, size_t len, size_t *pos, uint32_t *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = *pos;
    uint32_t cp, min;
    int more = utf8_lead(u[i], &cp, &min);

    if (more < 0 || (size_t)more > len - i - 1)
        return -1;
    for (size_t k = 1; k <= (size_t)more; k++) {
        if ((u[i + k] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (u[i + k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    *pos = i + 1 + (size_t)more;
    *out = cp;
    return 0;
}

/* ------------------------------------------------------------ GSM 7-bit */

static uint8_t septet_at(const uint8_t *p, size_t bit)
{
    size_t byte = bit / 8;
    unsigned shift = (unsigned)(bit % 8);
    unsigned v = (unsigned)p[byte] >> shift;

    if (shift > 1)
        v |= (unsigned)p[byte + 1] << (8 - shift);
    return (uint8_t)(v & 0x7F);
}

/* The character ESC + c stands for. */
static uint32_t gsm7_escaped(uint8_t c)
{
    for (size_t i = 0; i < N_EXT; i++) {
        if (gsm7_ext[i].septet == c)
            return gsm7_ext[i].cp;
    }
    return c == GSM7_ESC ? 0x20 : gsm7_default[c];
}

int pdu_gsm7_decode(const uint8_t *p, size_t bit, size_t septets, char *out,
                    size_t cap, size_t *out_len)
{
    struct utf8_out o;

    if (utf8_begin(&o, out, cap) != 0)
        return PDU_TEXT_FULL;
    for (size_t i = 0; i < septets; i++) {
        uint8_t c = septet_at(p, bit + 7 * i);
        uint32_t cp = gsm7_default[c];

        if (c == GSM7_ESC && i + 1 == septets) {
            cp = 0x20;
        } else if (c == GSM7_ESC) {
            i++;
            cp = gsm7_escaped(septet_at(p, bit + 7 * i));
        }
        if (utf8_put(&o, cp) != 0)
            return PDU_TEXT_FULL;
    }
    *out_len = o.len;
    return 0;
}

/* Septet code for cp: 0..127, EXT_FLAG | code for the extension table, or
 * -1 when cp is in neither table. */
static int gsm7_lookup(uint32_t cp)
{
    for (int c = 0; c < 128; c++) {
        if (c != GSM7_ESC && gsm7_default[c] == cp)
            return c;
    }
    for (size_t i = 0; i < N_EXT; i++) {
        if (gsm7_ext[i].cp == cp)
            return EXT_FLAG | gsm7_ext[i].septet;
    }
    return -1;
}

int pdu_gsm7_encode(const char *utf8, size_t len, uint8_t *out, size_t cap,
                    size_t *n, size_t *bad)
{
    size_t pos = 0, k = 0;

    while (pos < len) {
        size_t start = pos;
        uint32_t cp;
        int code = -1;

        if (utf8_next(utf8, len, &pos, &cp) == 0)
            code = gsm7_lookup(cp);
        if (code < 0) {
            *bad = start;
            return PDU_TEXT_BAD;
        }
        if (k + 1 + (code >= EXT_FLAG) > cap)
            return PDU_TEXT_FULL;
        if (code >= EXT_FLAG)
            out[k++] = GSM7_ESC;
        out[k++] = (uint8_t)(code & 0x7F);
    }
    *n = k;
    return 0;
}

void pdu_gsm7_pack(const uint8_t *septets, size_t n, size_t bit, uint8_t *p)
{
    for (size_t i = 0; i < n; i++) {
        size_t b = bit + 7 * i;
        unsigned shift = (unsigned)(b % 8);
        unsigned v = septets[i] & 0x7Fu;

        p[b / 8] |= (uint8_t)((v << shift) & 0xFF);
        if (shift > 1)
            p[b / 8 + 1] |= (uint8_t)(v >> (8 - shift));
    }
}

/* ------------------------------------------------------------ UCS-2 */

static bool is_high_surrogate(uint32_t u)
{
    return u >= 0xD800 && u <= 0xDBFF;
}

static bool is_low_surrogate(uint32_t u)
{
    return u >= 0xDC00 && u <= 0xDFFF;
}

int pdu_ucs2_decode(const uint8_t *p, size_t n, char *out, size_t cap,
                    size_t *out_len, size_t *bad)
{
    struct utf8_out o;

    if (utf8_begin(&o, out, cap) != 0)
        return PDU_TEXT_FULL;
    for (size_t i = 0; i < n; i += 2) {
        uint32_t cp, lo = 0;

        if (i + 1 >= n) {
            *bad = i;
            return PDU_TEXT_BAD;
        }
        cp = (uint32_t)p[i] << 8 | p[i + 1];
        if (i + 3 < n)
            lo = (uint32_t)p[i + 2] << 8 | p[i + 3];
        if (is_high_surrogate(cp) && is_low_surrogate(lo)) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 2;
        } else if (is_high_surrogate(cp) || is_low_surrogate(cp)) {
            *bad = i;
            return PDU_TEXT_BAD;
        }
        if (utf8_put(&o, cp) != 0)
            return PDU_TEXT_FULL;
    }
    *out_len = o.len;
    return 0;
}

static int put_unit(uint8_t *out, size_t cap, size_t *k, uint32_t u)
{
    if (cap - *k < 2)
        return PDU_TEXT_FULL;
    out[(*k)++] = (uint8_t)(u >> 8);
    out[(*k)++] = (uint8_t)(u & 0xFF);
    return 0;
}

int pdu_ucs2_encode(const char *utf8, size_t len, uint8_t *out, size_t cap,
                    size_t *n, size_t *bad)
{
    size_t pos = 0, k = 0;

    while (pos < len) {
        size_t start = pos;
        uint32_t cp;
        int rc;

        if (utf8_next(utf8, len, &pos, &cp) != 0) {
            *bad = start;
            return PDU_TEXT_BAD;
        }
        if (cp < 0x10000) {
            rc = put_unit(out, cap, &k, cp);
        } else {
            cp -= 0x10000;
            rc = put_unit(out, cap, &k, 0xD800 | (cp >> 10));
            if (rc == 0)
                rc = put_unit(out, cap, &k, 0xDC00 | (cp & 0x3FF));
        }
        if (rc != 0)
            return rc;
    }
    *n = k;
    return 0;
}

/* ------------------------------------------------------------ hex */

void pdu_hex_format(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0F];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int pdu_hex_parse(const char *hex, size_t len, uint8_t *out, size_t cap,
                  size_t *n, size_t *bad)
{
    for (size_t i = 0; i < len; i++) {
        if (hex_value(hex[i]) < 0) {
            *bad = i;
            return PDU_TEXT_BAD;
        }
    }
    if (len % 2 != 0) {
        *bad = len;
        return PDU_TEXT_BAD;
    }
    if (len / 2 > cap)
        return PDU_TEXT_FULL;
    for (size_t i = 0; i < len / 2; i++)
        out[i] = (uint8_t)(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
    *n = len / 2;
    return 0;
}
