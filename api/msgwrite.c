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

bool json_write_str(struct buf *b, const char *str)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s = (const unsigned char *)str;
    size_t start = b->len;
    buf_put_u8(b, '"');
    for (;;) {
        const unsigned char *run = s;
        while (plain[*s]) {
            if (*s >= 0x80) {
                size_t n = utf8_seq(s);
                if (n == 0) {
                    b->len = start;
                    return false;
                }
                s += n;
            } else {
                s++;
            }
        }
        buf_put(b, run, (size_t)(s - run));
        unsigned char c = *s;
        if (c == '\0')
            break;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        buf_put(b, esc, n);
        s++;
    }
    buf_put_u8(b, '"');
    return true;
}

void json_write_int(struct buf *b, int64_t v)
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
    buf_put(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* ,"key": — every key but "id" comes after another. */
static void key(struct buf *b, const char *k)
{
    size_t n = strlen(k);
    buf_reserve(b, n + 4);
    uint8_t *p = b->data + b->len;
    *p++ = ',';
    *p++ = '"';
    memcpy(p, k, n);
    p += n;
    *p++ = '"';
    *p++ = ':';
    b->len += n + 4;
}

static void put_lit(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void f_null(struct buf *b, const char *k)
{
    key(b, k);
    put_lit(b, "null");
}

/* A string or null; the key is left out for invalid UTF-8 (see above). */
static void f_str(struct buf *b, const char *k, const char *s)
{
    size_t mark = b->len;
    if (s == NULL) {
        f_null(b, k);
        return;
    }
    key(b, k);
    if (!json_write_str(b, s))
        b->len = mark;
}

static void f_int(struct buf *b, const char *k, int64_t v)
{
    key(b, k);
    json_write_int(b, v);
}

static void f_int_or_null(struct buf *b, const char *k, bool present,
                          int64_t v)
{
    if (present)
        f_int(b, k, v);
    else
        f_null(b, k);
}

static void f_bool(struct buf *b, const char *k, bool v)
{
    key(b, k);
    put_lit(b, v ? "true" : "false");
}

static void f_time(struct buf *b, const char *k, int64_t ms)
{
    if (ms == TIME_NULL) {
        f_null(b, k);
        return;
    }
    char t[TIMEFMT_LEN];
    time_format(ms, t);
    key(b, k);
    buf_put_u8(b, '"');
    buf_put(b, t, TIMEFMT_LEN - 1);
    buf_put_u8(b, '"');
}

void msg_write_json(struct buf *b, const struct msg *m)
{
    const struct msg_data *d = &m->d;
    buf_reserve(b, 1024);
    put_lit(b, "{\"id\":");
    json_write_int(b, m->id);
    f_str(b, "source_msisdn", d->source_msisdn);
    f_str(b, "destination_msisdn", d->destination_msisdn);
    f_str(b, "message_body", d->message_body);
    f_str(b, "source_smsc", d->source_smsc);
    f_str(b, "dest_smsc", d->dest_smsc);
    f_str(b, "source_imsi", d->source_imsi);
    f_str(b, "dest_imsi", d->dest_imsi);
    f_str(b, "source_type", msg_source_type_name(d->source_type));
    f_int(b, "message_parts", d->message_parts);
    f_int(b, "message_part_number", d->message_part_number);
    f_str(b, "tp_data_coding_scheme", d->tp_data_coding_scheme);
    /* msg_to_json uses json_string() here, not json_str_or_null(): same
     * text, as these name functions never return NULL. */
    f_str(b, "tp_dcs_character_set", sms_charset_name(d->charset));
    f_str(b, "tp_dcs_coding_group", d->tp_dcs_coding_group);
    f_bool(b, "tp_dcs_compressed", d->tp_dcs_compressed);
    f_bool(b, "tp_dcs_has_message_class", d->tp_dcs_has_message_class);
    f_int_or_null(b, "tp_dcs_message_class",
                  d->tp_dcs_message_class != MSG_CLASS_NONE,
                  d->tp_dcs_message_class);
    f_str(b, "tp_user_data_header", d->tp_user_data_header);
    f_str(b, "status", msg_status_name(d->status));
    f_time(b, "send_time", d->send_time);
    f_time(b, "deliver_time", d->deliver_time);
    f_time(b, "deliver_after", d->deliver_after);
    f_time(b, "expires", d->expires);
    f_bool(b, "deadletter", d->deadletter);
    f_int(b, "delivery_attempts", d->delivery_attempts);
    f_bool(b, "charge_failed", d->charge_failed);
    f_bool(b, "status_report_requested", d->status_report_requested);
    f_int_or_null(b, "status_report_for", d->status_report_for != 0,
                  d->status_report_for);
    f_bool(b, "raw_data_flag", d->raw_data_flag);
    f_bool(b, "raw_sip_flag", d->raw_sip_flag);
    f_str(b, "raw_pdu", d->raw_pdu);
    f_str(b, "origin_node", d->origin_node);
    f_str(b, "destination_node", d->destination_node);
    f_int_or_null(b, "route_id", d->route_id != 0, d->route_id);
    f_str(b, "charged", route_charged_name(d->charged));
    f_time(b, "inserted_at", d->inserted_at);
    f_time(b, "updated_at", d->updated_at);
    buf_put_u8(b, '}');
}
