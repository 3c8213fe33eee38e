/* smstext_fixtures — what the smstext unit tests share: an independent copy
 * of the 3GPP TS 23.038 GSM 7-bit tables and small UTF-8 helpers.  Included
 * by test_smstext.c and test_smsnumbers.c only. */
#ifndef SMSC_SMSTEXT_FIXTURES_H
#define SMSC_SMSTEXT_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

/* Encodes code point cp as UTF-8 into buf (>= 5 bytes); returns length. */
static inline size_t utf8_encode(uint32_t cp, char *buf)
{
    size_t n;

    if (cp < 0x80) {
        buf[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        buf[0] = (char)(0xF0 | (cp >> 18));
        buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf[n] = '\0';
    return n;
}

/* A body is up to four segments, each a string repeated n times. */
struct seg {
    const char *s;
    size_t n;
};

#define MAX_SEGS 4

static inline char *build_body(const struct seg *segs, size_t *len)
{
    size_t total = 0, off = 0;
    char *buf;

    for (int i = 0; i < MAX_SEGS && segs[i].s != NULL; i++)
        total += strlen(segs[i].s) * segs[i].n;
    buf = malloc(total + 1);
    assert_non_null(buf);
    for (int i = 0; i < MAX_SEGS && segs[i].s != NULL; i++) {
        size_t sl = strlen(segs[i].s);
        for (size_t k = 0; k < segs[i].n; k++) {
            memcpy(buf + off, segs[i].s, sl);
            off += sl;
        }
    }
    buf[off] = '\0';
    *len = off;
    return buf;
}

/* ------------------------------------------------------------ alphabet */

/* The GSM 7-bit default alphabet in septet order (0x1B, ESC, is not a
 * character and is listed as 0). */
/* clang-format off */
__attribute__((unused)) static const uint32_t gsm7_default[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0,      0x00C6, 0x00E6, 0x00DF, 0x00C9,
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
/* clang-format on */

/* The extension table (ESC + septet). */
__attribute__((unused)) static const uint32_t gsm7_extension[] = {
    0x000C, 0x005E, 0x007B, 0x007D, 0x005C,
    0x005B, 0x007E, 0x005D, 0x007C, 0x20AC,
};

#define N_EXT (sizeof gsm7_extension / sizeof gsm7_extension[0])

/* Expected septets for cp from the tables above: 1, 2 or -1. */
static inline long expected_septets(uint32_t cp)
{
    for (size_t i = 0; i < 128; i++) {
        if (i != 0x1B && gsm7_default[i] == cp)
            return 1;
    }
    for (size_t i = 0; i < N_EXT; i++) {
        if (gsm7_extension[i] == cp)
            return 2;
    }
    return -1;
}


#endif
