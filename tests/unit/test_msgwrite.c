/* Unit tests of the direct JSON writer (api/msgwrite.c): for every kind of
 * message, msg_write_json() must append exactly the bytes of
 * json_dumps(msg_to_json(m), JSON_COMPACT), which is what the read paths
 * answered before they used the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_int.h"
#include "api/msgwrite.h"

/* The writer's text (NUL-terminated) equals jansson's; prints both when
 * not.  A prefix already in the buffer must be kept. */
static void check(const struct msg *m, const char *what)
{
    json_t *j = msg_to_json(m);
    char *want = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_non_null(want);
    struct buf b;
    buf_init(&b);
    buf_put(&b, "[", 1);
    msg_write_json(&b, m);
    buf_put_u8(&b, '\0');
    if (strcmp((const char *)b.data + 1, want) != 0)
        fail_msg("%s:\n got  %s\n want %s", what, (const char *)b.data + 1,
                 want);
    buf_free(&b);
    free(want);
}

static void set_all_strings(struct msg_data *d, char *s)
{
    d->source_msisdn = d->destination_msisdn = d->message_body = s;
    d->source_smsc = d->dest_smsc = d->source_imsi = d->dest_imsi = s;
    d->tp_data_coding_scheme = d->tp_dcs_coding_group = s;
    d->tp_user_data_header = d->raw_pdu = d->origin_node = s;
    d->destination_node = s;
}

static void test_all_set(void **state)
{
    (void)state;
    struct msg m;
    memset(&m, 0, sizeof m);
    msg_data_init(&m.d);
    struct msg_data *d = &m.d;
    m.id = 123456789;
    d->source_msisdn = (char *)"+15551234567";
    d->destination_msisdn = (char *)"+447700900000";
    d->message_body = (char *)"Hello, world";
    d->source_smsc = (char *)"api";
    d->dest_smsc = (char *)"gw1";
    d->source_imsi = (char *)"001010123456789";
    d->dest_imsi = (char *)"001010987654321";
    d->tp_data_coding_scheme = (char *)"08";
    d->tp_dcs_coding_group = (char *)"general";
    d->tp_user_data_header = (char *)"050003cc0201";
    d->raw_pdu = (char *)"0011000b916407281553f80000aa0ae8329bfd4697d9ec37";
    d->origin_node = (char *)"node1";
    d->destination_node = (char *)"node2";
    d->send_time = 1761825600000;
    d->deliver_time = 1761825601999;
    d->deliver_after = 0;
    d->expires = 253402300799000;
    d->inserted_at = 1761825600123;
    d->updated_at = 1761825600456;
    d->status_report_for = 42;
    d->route_id = 7;
    d->message_parts = 2;
    d->message_part_number = 2;
    d->delivery_attempts = 3;
    d->status = MSG_DELIVERED;
    d->source_type = SRC_SMPP;
    d->charset = 3;
    d->tp_dcs_message_class = 2;
    d->charged = 1;
    d->deadletter = d->charge_failed = d->status_report_requested = true;
    d->raw_data_flag = d->raw_sip_flag = d->tp_dcs_compressed = true;
    d->tp_dcs_has_message_class = true;
    check(&m, "all set");
}

static void test_all_null(void **state)
{
    (void)state;
    struct msg m;
    memset(&m, 0, sizeof m);
    msg_data_init(&m.d);
    m.id = 1;
    check(&m, "all null");
    m.id = 0;
    set_all_strings(&m.d, (char *)"");
    check(&m, "empty strings");
}

static void test_enums_and_numbers(void **state)
{
    (void)state;
    struct msg m;
    memset(&m, 0, sizeof m);
    msg_data_init(&m.d);
    struct msg_data *d = &m.d;
    for (int i = 0; i <= 255; i++) {
        d->status = (uint8_t)i;
        d->source_type = (uint8_t)i;
        d->charset = (uint8_t)i;
        d->charged = (uint8_t)i;
        d->tp_dcs_message_class = (uint8_t)i;
        check(&m, "enums");
    }
    static const int64_t big[] = {0, 1, -1, 9, 10, -10, 99, 100,
                                  INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
                                  INT64_MIN + 1, 1000000000000000000LL};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        /* wrapping arithmetic on purpose (no signed overflow) */
        int64_t neg = (int64_t)(0 - (uint64_t)big[i]);
        int64_t times7 = (int64_t)((uint64_t)big[i] * 7u);
        m.id = big[i];
        d->status_report_for = big[i];
        d->route_id = neg;
        d->message_parts = (int32_t)big[i];
        d->message_part_number = (int32_t)(big[i] >> 32);
        d->delivery_attempts = (int32_t)neg;
        check(&m, "numbers");
        /* times: null, the epoch, before it, the clamped ends */
        d->send_time = big[i] == INT64_MIN ? TIME_NULL : big[i];
        d->deliver_time = neg;
        d->deliver_after = big[i] / 1000;
        d->expires = big[i] % 86400000;
        d->inserted_at = -1;
        d->updated_at = times7;
        check(&m, "times");
    }
}

static void test_strings(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "quote \" in", "back\\slash", "\\\"\\\"", "slash / and </script>",
        "\b\f\n\r\t", "\x01\x02\x1f\x1e\x7f end", "caf\xc3\xa9 \xe2\x82\xac",
        "\xf0\x9f\x98\x80 emoji", "\xef\xbf\xbf \xf4\x8f\xbf\xbf max",
        "\xe2\x80\xa8 line sep", "\"", "\\", "\x1b[31mred", "x",
        /* not UTF-8: jansson drops the key */
        "\xc3", "\xc3(", "\xc0\xaf overlong", "\xe0\x80\xaf overlong3",
        "\xed\xa0\x80 surrogate", "\xf4\x90\x80\x80 > max", "\xf5\x80\x80\x80",
        "\x80 stray", "ok \xff", "\xf0\x9f\x98", "\xe2\x82",
    };
    struct msg m;
    memset(&m, 0, sizeof m);
    msg_data_init(&m.d);
    m.id = 5;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_all_strings(&m.d, (char *)cases[i]);
        check(&m, cases[i]);
        /* one field at a time, the others null or plain */
        msg_data_init(&m.d);
        m.d.message_body = (char *)cases[i];
        m.d.dest_smsc = (char *)"gw";
        check(&m, cases[i]);
        msg_data_init(&m.d);
        m.d.destination_node = (char *)cases[i];
        check(&m, cases[i]);
    }
}

/* The writer keeps the last second's text: the same second, the next one,
 * back, and around the epoch and the clamped ends. */
static void test_times_cached(void **state)
{
    (void)state;
    static const int64_t t[] = {
        1761825600000, 1761825600999, 1761825601000, 1761825600500, -1,
        -999, -1000, -1001, 0, 999, 1000, -62167219200000LL,
        -62167219200001LL, -62167219199001LL, 253402300799999LL,
        253402300800000LL, 253402300799000LL, INT64_MAX, INT64_MIN + 1, 86399999, 86400000, -86400000, -86400001,
        172799999, 1761868799999, 1761868800000};
    struct msg m;
    memset(&m, 0, sizeof m);
    msg_data_init(&m.d);
    size_t n = sizeof t / sizeof t[0];
    for (size_t i = 0; i < n; i++) {
        m.d.send_time = t[i];
        m.d.deliver_time = t[(i + 1) % n];
        m.d.expires = t[i];
        m.d.updated_at = t[(i + 7) % n];
        check(&m, "cached times");
    }
}

/* Random bytes (weighted to the interesting ones) in random fields. */
static void test_random(void **state)
{
    (void)state;
    static const unsigned char pick[] = {
        'a', '"', '\\', '/', '\n', 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc2,
        0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed, 0xa0, 0xf0, 0x9f, 0x98, 0xf4,
        0x8f, 0xff, ' ', 'z'};
    unsigned seed = 12345;
    char strs[4][40];
    struct msg m;
    memset(&m, 0, sizeof m);
    for (int it = 0; it < 20000; it++) {
        msg_data_init(&m.d);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t n = (seed >> 16) % 12;
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                strs[k][i] = (char)pick[(seed >> 16) % sizeof pick];
            }
            strs[k][n] = '\0';
        }
        m.id = it;
        m.d.message_body = strs[0];
        m.d.source_msisdn = strs[1];
        m.d.dest_imsi = strs[2];
        m.d.updated_at = (int64_t)seed * 1000;
        if (it % 3)
            m.d.origin_node = strs[3];
        check(&m, "random");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_set),
        cmocka_unit_test(test_all_null),
        cmocka_unit_test(test_enums_and_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_times_cached),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
