/* smstext — SMS text rules: character sets, part counts, number formats.
 *
 * Pure functions (no I/O), any thread.  SPEC §2:
 *   - a body with no character set given is gsm7 when every character is in
 *     the GSM 7-bit default alphabet or its extension table (an extension
 *     character costs two septets), else ucs2;
 *   - `8bit` bodies travel as hex (two hex digits per octet);
 *   - parts: gsm7 160 septets single / 153 per part concatenated, 8bit 140 /
 *     134 octets, ucs2 70 / 67 UTF-16 units (a character outside the BMP is
 *     a surrogate pair = 2 units, never split across parts), latin1 counts
 *     like 8bit (one octet per character, 140 / 134);
 *   - more than 255 parts is "Message too long".
 * Numbers: a destination matches ^\+?[0-9]{3,15}$; a source may also be an
 * alphanumeric sender of 1..11 characters of the GSM 7-bit default alphabet
 * (extension characters not allowed).
 */
#ifndef SMSC_SMSTEXT_H
#define SMSC_SMSTEXT_H

#include <stdbool.h>
#include <stddef.h>

enum sms_charset {
    SMS_CS_GSM7 = 0,
    SMS_CS_8BIT = 1,
    SMS_CS_LATIN1 = 2,
    SMS_CS_UCS2 = 3,
};

enum sms_err {
    SMS_OK = 0,
    SMS_ETOOLONG = -1,  /* more than 255 parts */
    SMS_EBADUTF8 = -2,  /* body is not valid UTF-8 */
    SMS_ENOTGSM7 = -3,  /* gsm7 requested, a character is not in the alphabet */
    SMS_EBADHEX = -4,   /* 8bit body is not an even-length hex string */
    SMS_ENOTLATIN1 = -5 /* latin1 requested, a character is above U+00FF */
};

struct sms_measure {
    enum sms_charset charset; /* given, or chosen when auto */
    size_t units;             /* septets, octets or UTF-16 units in total */
    int parts;                /* 1..255 */
};

/* "gsm7", "8bit", "latin1", "ucs2". */
const char *sms_charset_name(enum sms_charset cs);
/* Parses a name above; returns 0 or -1. */
int sms_charset_parse(const char *name, enum sms_charset *out);
/* Septets for utf8[0..len) in GSM-7 (extension characters count 2), or -1
 * when a character is not representable (or the UTF-8 is invalid). */
long sms_gsm7_septets(const char *utf8, size_t len);
/* UTF-16 code units for utf8[0..len), or -1 on invalid UTF-8. */
long sms_ucs2_units(const char *utf8, size_t len);
/* Measures a body.  given < 0 means "no character set given" (auto-detect
 * gsm7 / ucs2); otherwise it is an enum sms_charset.  Returns SMS_OK and
 * fills *out, or a negative enum sms_err. */
int sms_measure(const char *body, size_t len, int given, struct sms_measure *out);
/* Human-readable text for an enum sms_err ("Message too long", ...). */
const char *sms_strerror(int err);

bool sms_valid_destination(const char *s);
bool sms_valid_source(const char *s);

#endif
