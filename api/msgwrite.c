/* msgwrite — messages rendered straight to JSON text.
 *
 * Why this exists: the read paths that answer with many messages (the
 * queue fetch, the list) used to build a jansson tree per message with
 * msg_to_json() (~45 json_t, each a malloc) and then dump it token by
 * token.  That capped a node at ~1,000 fetches of 100 messages a second.
 * msg_write_json() appends the same text to one struct buf with no
 * allocation beyond the buffer's growth.
 *
 * The output must stay byte-for-byte what json_dumps(msg_to_json(m),
 * JSON_COMPACT) gives with jansson 2.14 (tests/unit/test_msgwrite.c checks
 * it): keys in msg_to_json's order; integers as "%lld"; times as RFC 3339
 * strings or null; strings escaped like jansson's dump_string (\" \\ \b \f
 * \n \r \t, other bytes below 0x20 as \u00XX, UTF-8 passed through, '/'
 * and DEL left alone); and, like json_object_set_new() with the NULL that
 * json_string() returns for invalid UTF-8, a key whose string is not valid
 * UTF-8 is left out.  A change to msg_to_json needs the same change here.
 */
#include "api/msgwrite.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "api/api_int.h"
#include "common/timefmt.h"
#include "server/smstext.h"

/* jansson's utf8_check_first/utf8_check_full: the length of the valid
 * sequence at s (1..4), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char u = s[0];
    size_t n;
    int32_t v;
    if (u < 0x80)
        return 1;
    if (u >= 0xC2 && u <= 0xDF) {
        n = 2;
        v = u & 0x1F;
    } else if (u >= 0xE0 && u <= 0xEF) {
        n = 3;
        v = u & 0x0F;
    } else if (u >= 0xF0 && u <= 0xF4) {
        n = 4;
        v = u & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) /* also stops at the NUL */
            return 0;
        v = (v << 6) + (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ||
        (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
        return 0;
    return n;
}

/* 1 for bytes copied as they are (before UTF-8 checks). */
static const unsigned char plain[256] = {
    [0x20] = 1, [0x21] = 1, [0x23 ... 0x5B] = 1, [0x5D ... 0xFF] = 1,
};

/* Appends without growing: the caller reserved room (a JSON string takes
 * at most 6 bytes per input byte + 2). */
static inline void put(struct buf *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void put_c(struct buf *b, char c)
{
    b->data[b->len++] = (uint8_t)c;
}

#define PUT_LIT(b, s) put(b, s, sizeof s - 1)

static bool write_str(struct buf *b, const char *str)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    size_t start = b->len;
    put_c(b, '"');
    for (;;) {
        const unsigned char *run = s;
        while (plain[*s]) {
            if (*s < 0x80) {
                s++;
                continue;
            }
            size_t n = utf8_seq(s);
            if (n == 0) {
                b->len = start;
                return false;
            }
            s += n;
        }
        put(b, run, (size_t)(s - run));
        unsigned char c = *s++;
        if (c == '\0')
            break;
        put_c(b, '\\');
        switch (c) {
        case '"': put_c(b, '"'); break;
        case '\\': put_c(b, '\\'); break;
        case '\b': put_c(b, 'b'); break;
        case '\f': put_c(b, 'f'); break;
        case '\n': put_c(b, 'n'); break;
        case '\r': put_c(b, 'r'); break;
        case '\t': put_c(b, 't'); break;
        default:
            PUT_LIT(b, "u00");
            put_c(b, hex[c >> 4]);
            put_c(b, hex[c & 15]);
        }
    }
    put_c(b, '"');
    return true;
}

static void write_int(struct buf *b, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    put(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* ,"key": — every key but "id" comes after another. */
#define KEY(b, k) PUT_LIT(b, ",\"" k "\":")

/* A string or null; the key is left out for invalid UTF-8 (see above). */
#define F_STR(b, k, s)                                                         \
    do {                                                                       \
        const char *s_ = (s);                                                  \
        size_t mark_ = (b)->len;                                               \
        KEY(b, k);                                                             \
        if (s_ == NULL)                                                        \
            PUT_LIT(b, "null");                                                \
        else if (!write_str(b, s_))                                            \
            (b)->len = mark_;                                                  \
    } while (0)

#define F_INT(b, k, v)                                                         \
    do {                                                                       \
        KEY(b, k);                                                             \
        write_int(b, v);                                                       \
    } while (0)

#define F_INT_OR_NULL(b, k, present, v)                                        \
    do {                                                                       \
        KEY(b, k);                                                             \
        if (present)                                                           \
            write_int(b, v);                                                   \
        else                                                                   \
            PUT_LIT(b, "null");                                                \
    } while (0)

#define F_BOOL(b, k, v)                                                        \
    do {                                                                       \
        KEY(b, k);                                                             \
        if (v)                                                                 \
            PUT_LIT(b, "true");                                                \
        else                                                                   \
            PUT_LIT(b, "false");                                               \
    } while (0)

/* time_format()'s date part is kept for the last two days asked for (a
 * page of messages is made of a few days: sent, expires); the time of day
 * is cheap.  Times outside years 0..9999, which time_format clamps, are
 * not cached. */
#define TIME_LO (-62167219200000LL) /* 0000-01-01T00:00:00Z */
#define TIME_HI 253402300799999LL   /* 9999-12-31T23:59:59.999Z */
#define DAY_MS 86400000LL

static _Thread_local struct {
    int64_t day;
    char date[10]; /* YYYY-MM-DD */
} last_days[2] = {{INT64_MIN, ""}, {INT64_MIN, ""}};

static void two_digits(struct buf *b, int64_t v)
{
    put_c(b, (char)('0' + v / 10));
    put_c(b, (char)('0' + v % 10));
}

static void write_time(struct buf *b, int64_t ms)
{
    if (ms == TIME_NULL) {
        PUT_LIT(b, "null");
        return;
    }
    put_c(b, '"');
    if (ms >= TIME_LO && ms <= TIME_HI) {
        int64_t day = ms >= 0 ? ms / DAY_MS : -((DAY_MS - 1 - ms) / DAY_MS);
        int64_t sod = (ms - day * DAY_MS) / 1000;
        size_t slot = (size_t)day & 1;
        if (last_days[slot].day != day) {
            char t[TIMEFMT_LEN];
            time_format(day * DAY_MS, t);
            memcpy(last_days[slot].date, t, 10);
            last_days[slot].day = day;
        }
        put(b, last_days[slot].date, 10);
        put_c(b, 'T');
        two_digits(b, sod / 3600);
        put_c(b, ':');
        two_digits(b, sod / 60 % 60);
        put_c(b, ':');
        two_digits(b, sod % 60);
        put_c(b, 'Z');
    } else {
        char t[TIMEFMT_LEN];
        time_format(ms, t);
        put(b, t, TIMEFMT_LEN - 1);
    }
    put_c(b, '"');
}

#define F_TIME(b, k, ms)                                                       \
    do {                                                                       \
        KEY(b, k);                                                             \
        write_time(b, ms);                                                     \
    } while (0)

/* Room for everything but the strings: 38 keys, numbers, times, names. */
#define FIXED_MAX 2048

static size_t str_max(const char *s)
{
    return s ? 6 * strlen(s) + 2 : 0;
}

void msg_write_json(struct buf *b, const struct msg *m)
{
    const struct msg_data *d = &m->d;
    buf_reserve(b, FIXED_MAX + str_max(d->source_msisdn) +
                       str_max(d->destination_msisdn) +
                       str_max(d->message_body) + str_max(d->source_smsc) +
                       str_max(d->dest_smsc) + str_max(d->source_imsi) +
                       str_max(d->dest_imsi) +
                       str_max(d->tp_data_coding_scheme) +
                       str_max(d->tp_dcs_coding_group) +
                       str_max(d->tp_user_data_header) + str_max(d->raw_pdu) +
                       str_max(d->origin_node) +
                       str_max(d->destination_node));
    PUT_LIT(b, "{\"id\":");
    write_int(b, m->id);
    F_STR(b, "source_msisdn", d->source_msisdn);
    F_STR(b, "destination_msisdn", d->destination_msisdn);
    F_STR(b, "message_body", d->message_body);
    F_STR(b, "source_smsc", d->source_smsc);
    F_STR(b, "dest_smsc", d->dest_smsc);
    F_STR(b, "source_imsi", d->source_imsi);
    F_STR(b, "dest_imsi", d->dest_imsi);
    F_STR(b, "source_type", msg_source_type_name(d->source_type));
    F_INT(b, "message_parts", d->message_parts);
    F_INT(b, "message_part_number", d->message_part_number);
    F_STR(b, "tp_data_coding_scheme", d->tp_data_coding_scheme);
    /* msg_to_json uses json_string() here, not json_str_or_null(): same
     * text, as these name functions never return NULL. */
    F_STR(b, "tp_dcs_character_set", sms_charset_name(d->charset));
    F_STR(b, "tp_dcs_coding_group", d->tp_dcs_coding_group);
    F_BOOL(b, "tp_dcs_compressed", d->tp_dcs_compressed);
    F_BOOL(b, "tp_dcs_has_message_class", d->tp_dcs_has_message_class);
    F_INT_OR_NULL(b, "tp_dcs_message_class",
                  d->tp_dcs_message_class != MSG_CLASS_NONE,
                  d->tp_dcs_message_class);
    F_STR(b, "tp_user_data_header", d->tp_user_data_header);
    F_STR(b, "status", msg_status_name(d->status));
    F_TIME(b, "send_time", d->send_time);
    F_TIME(b, "deliver_time", d->deliver_time);
    F_TIME(b, "deliver_after", d->deliver_after);
    F_TIME(b, "expires", d->expires);
    F_BOOL(b, "deadletter", d->deadletter);
    F_INT(b, "delivery_attempts", d->delivery_attempts);
    F_BOOL(b, "charge_failed", d->charge_failed);
    F_BOOL(b, "status_report_requested", d->status_report_requested);
    F_INT_OR_NULL(b, "status_report_for", d->status_report_for != 0,
                  d->status_report_for);
    F_BOOL(b, "raw_data_flag", d->raw_data_flag);
    F_BOOL(b, "raw_sip_flag", d->raw_sip_flag);
    F_STR(b, "raw_pdu", d->raw_pdu);
    F_STR(b, "origin_node", d->origin_node);
    F_STR(b, "destination_node", d->destination_node);
    F_INT_OR_NULL(b, "route_id", d->route_id != 0, d->route_id);
    F_STR(b, "charged", route_charged_name(d->charged));
    F_TIME(b, "inserted_at", d->inserted_at);
    F_TIME(b, "updated_at", d->updated_at);
    put_c(b, '}');
}
