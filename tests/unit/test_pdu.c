/* test_pdu — unit tests for server/pdu*.c.
 *
 * Table-driven over the vectors of pdu_fixtures.h: public PDUs decode to
 * the fields their sources give and re-encode to the same octets; the RP
 * and CP layers around them; every TS 23.038 coding group and message
 * class, checked directly and through a PDU; every validity period
 * format; time zones; concatenation with 8- and 16-bit references, parsed
 * and built from `concat`; alphanumeric senders; status reports; structs
 * built by hand survive encode -> decode; and malformed input (bad
 * lengths, bad values, bad hex, every truncation of several PDUs) is
 * refused with the octet offset and the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/pdu.h"
#include "tests/unit/pdu_fixtures.h"

/* ------------------------------------------------------------ vectors */

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pdu_vectors / sizeof pdu_vectors[0]; i++) {
        const struct pdu_vec *v = &pdu_vectors[i];
        const struct pdu_addr *a;
        struct pdu_sms s;

        print_message("%s\n", v->name);
        decode_ok(v->hex, &s);
        a = v->kind == PDU_SMS_DELIVER ? &s.oa : &s.da;
        assert_int_equal(s.kind, v->kind);
        /* only the bare TPDU starts with a SUBMIT's first octet */
        assert_int_equal(s.wrap, strncmp(v->hex, "01", 2) == 0
                                     ? PDU_WRAP_NONE : PDU_WRAP_SMSC);
        assert_string_equal(s.smsc.text, v->smsc ? v->smsc : "");
        assert_int_equal(s.smsc.present, v->smsc != NULL);
        assert_string_equal(a->text, v->addr);
        assert_int_equal(a->ton, v->ton);
        assert_int_equal(a->npi, v->npi);
        assert_true(a->present);
        assert_int_equal(s.mr, v->mr);
        assert_int_equal(s.dcs, v->dcs);
        assert_string_equal(s.text, v->text);
        assert_int_equal(s.text_len, strlen(v->text));
        if (v->scts != NULL && v->kind == PDU_SMS_STATUS_REPORT)
            assert_int_equal(s.dt_ms, utc_ms(v->scts));
        else if (v->scts != NULL)
            assert_int_equal(s.scts_ms, utc_ms(v->scts));
        if (v->canonical)
            encodes_to(&s, v->hex);
    }
}

static void test_reference_example(void **state)
{
    struct pdu_sms s;
    (void)state;

    decode_ok(REF_SUBMIT, &s);
    assert_int_equal(s.kind, PDU_SMS_SUBMIT);
    assert_string_equal(pdu_kind_name(s.kind), "SMS-SUBMIT");
    assert_int_equal(s.wrap, PDU_WRAP_SMSC);
    assert_false(s.smsc.present);
    assert_int_equal(s.mr, 0);
    assert_string_equal(s.da.text, "+46700007900");
    assert_int_equal(s.da.ton, 1);
    assert_int_equal(s.da.npi, 1);
    assert_int_equal(s.pid, 0);
    assert_int_equal(s.dcs, 0);
    assert_int_equal(s.charset, SMS_CS_GSM7);
    assert_string_equal(s.coding_group, "general");
    assert_int_equal(s.vp.format, 0);
    assert_int_equal(s.udl, 4);
    assert_string_equal(s.text, "Test");
}

static void test_classic_deliver(void **state)
{
    struct pdu_sms s;
    (void)state;

    decode_ok(CLASSIC_DELIVER, &s);
    assert_int_equal(s.kind, PDU_SMS_DELIVER);
    assert_string_equal(s.smsc.text, "+79168999100");
    assert_string_equal(s.oa.text, "+31641600986");
    assert_int_equal(s.first_octet, 0x04);
    assert_false(s.mms); /* TP-MMS set: no more messages */
    assert_false(s.udhi);
    assert_string_equal(s.text, "How are you?");
    /* time zone octet 0x08: sign bit set, 0 quarter hours */
    assert_int_equal(s.scts_ms, utc_ms("2002-08-26 19:37:41"));
    assert_memory_equal(s.scts_raw, "\x20\x80\x62\x91\x73\x14\x08", 7);
}

static void test_time_zones(void **state)
{
    char hex[80];
    struct pdu_sms s;
    (void)state;

    for (size_t i = 0; i < sizeof tz_cases / sizeof tz_cases[0]; i++) {
        snprintf(hex, sizeof hex, "00040B911346610089F60000%s00",
                 tz_cases[i].scts);
        decode_ok(hex, &s);
        assert_int_equal(s.scts_ms, utc_ms(tz_cases[i].utc));
        encodes_to(&s, hex);
        memset(s.scts_raw, 0, sizeof s.scts_raw); /* now from scts_ms */
        roundtrip(&s, &s);
        assert_int_equal(s.scts_ms, utc_ms(tz_cases[i].utc));
        assert_int_equal(s.scts_raw[6], 0);
    }
}

/* ------------------------------------------------------------ UDH */

static void test_lorem_concat(void **state)
{
    struct pdu_sms s;
    (void)state;

    for (size_t i = 0; i < 3; i++) {
        size_t start = 153 * i;

        decode_ok(lorem_parts[i], &s);
        assert_true(s.rd);
        assert_true(s.udhi);
        assert_int_equal(s.udh_len, 5);
        assert_memory_equal(s.udh, "\x00\x03\x00\x03", 4);
        assert_true(s.concat.present);
        assert_false(s.concat.ref16);
        assert_int_equal(s.concat.ref, 0);
        assert_int_equal(s.concat.total, 3);
        assert_int_equal(s.concat.seq, i + 1);
        assert_int_equal(s.text_len, i < 2 ? 153 : strlen(lorem) - start);
        assert_memory_equal(s.text, lorem + start, s.text_len);
        encodes_to(&s, lorem_parts[i]);
    }
}

static void test_concat_16bit(void **state)
{
    struct pdu_sms s;
    (void)state;

    decode_ok(CONCAT16_SUBMIT, &s);
    assert_true(s.concat.present);
    assert_true(s.concat.ref16);
    assert_int_equal(s.concat.ref, 0x1234);
    assert_int_equal(s.concat.total, 3);
    assert_int_equal(s.concat.seq, 2);
    assert_string_equal(s.text, "Part two");
    decode_ok("0041000B916407007009F000080B060804ABCD020103A903BC", &s);
    assert_true(s.concat.ref16);
    assert_int_equal(s.concat.ref, 0xABCD);
    assert_int_equal(s.concat.total, 2);
    assert_int_equal(s.concat.seq, 1);
}

/* The header built from `concat` matches the independently packed
 * vectors, fill bits and extension characters included. */
static void test_concat_built(void **state)
{
    struct pdu_sms s, d;
    (void)state;

    make_submit(&s, 0x00, "Part two");
    s.concat = (struct pdu_concat){true, 0x1234, true, 3, 2};
    encodes_to(&s, CONCAT16_SUBMIT);
    make_submit(&s, 0x00, "Price: 5\xE2\x82\xAC [ok] {x}");
    s.concat = (struct pdu_concat){true, 0x2A, false, 2, 1};
    encodes_to(&s, CONCAT8_EXT_SUBMIT);
    roundtrip(&s, &d);
    fields_equal(&d, &s);
    assert_int_equal(d.udl, 30);
}

static void test_concat_ignored(void **state)
{
    struct pdu_sms s, d;
    (void)state;

    for (size_t i = 0; i < sizeof udh_cases / sizeof udh_cases[0]; i++) {
        make_submit(&s, 0x00, "x");
        memcpy(s.udh, udh_cases[i].udh, udh_cases[i].len);
        s.udh_len = udh_cases[i].len;
        roundtrip(&s, &d);
        assert_int_equal(d.udh_len, udh_cases[i].len);
        assert_memory_equal(d.udh, udh_cases[i].udh, udh_cases[i].len);
        assert_int_equal(d.concat.present, udh_cases[i].present);
        assert_int_equal(d.concat.seq, udh_cases[i].seq);
        assert_string_equal(d.text, "x");
    }
    make_submit(&s, 0x00, "x");
    s.udhi = true; /* empty header: UDHL 0 */
    roundtrip(&s, &d);
    assert_true(d.udhi);
    assert_int_equal(d.udh_len, 0);
    assert_int_equal(d.udl, 3);
    assert_string_equal(d.text, "x");
}

/* ------------------------------------------------------------ DCS */

/* Every group and class, read by pdu_dcs_parse and from a PDU whose text
 * is coded the way the DCS says. */
static void test_dcs(void **state)
{
    struct pdu_sms s, d;
    struct pdu_dcs p;
    (void)state;

    for (size_t i = 0; i < sizeof dcs_cases / sizeof dcs_cases[0]; i++) {
        bool octets = dcs_cases[i].compressed ||
                      dcs_cases[i].charset == SMS_CS_8BIT;
        const char *text = octets ? "48656C6C6F" : "Hello \xE2\x82\xAC";

        pdu_dcs_parse(dcs_cases[i].dcs, &p);
        assert_int_equal(p.charset, dcs_cases[i].charset);
        assert_string_equal(p.coding_group, dcs_cases[i].group);
        make_submit(&s, dcs_cases[i].dcs, text);
        roundtrip(&s, &d);
        assert_int_equal(d.charset, dcs_cases[i].charset);
        assert_string_equal(d.coding_group, dcs_cases[i].group);
        assert_int_equal(d.compressed, dcs_cases[i].compressed);
        assert_int_equal(d.has_class, dcs_cases[i].has_class);
        assert_int_equal(d.msg_class, dcs_cases[i].cls);
        assert_string_equal(d.text, text);
        assert_int_equal(d.udl, octets ? 5 : d.charset == SMS_CS_UCS2 ? 14 : 8);
    }
    decode_ok("0001000B916407007009F0008004D4F29C0E", &s);
    assert_string_equal(s.coding_group, "reserved");
    assert_string_equal(s.text, "Test");
}

/* ------------------------------------------------------------ TP-VP */

static void test_validity_periods(void **state)
{
    char hex[80];
    struct pdu_sms s;
    (void)state;

    for (size_t i = 0; i < sizeof vp_cases / sizeof vp_cases[0]; i++) {
        snprintf(hex, sizeof hex, "00%s000B916407007009F00000%s04D4F29C0E",
                 vp_cases[i].fo, vp_cases[i].vp);
        decode_ok(hex, &s);
        assert_int_equal(s.vp.format, vp_cases[i].format);
        if (vp_cases[i].absolute != NULL)
            assert_int_equal(s.vp.absolute_ms, utc_ms(vp_cases[i].absolute));
        else
            assert_int_equal(s.vp.seconds, vp_cases[i].seconds);
        assert_string_equal(s.text, "Test");
        encodes_to(&s, hex);
    }
}

/* Periods given as values: the encoder picks the octets. */
static void test_validity_from_values(void **state)
{
    char hex[80];
    struct pdu_sms s, d;
    (void)state;

    for (size_t i = 0; i < sizeof vp_value_cases / sizeof vp_value_cases[0]; i++) {
        make_submit(&s, 0x00, "Test");
        s.vp.format = vp_value_cases[i].format;
        s.vp.seconds = vp_value_cases[i].seconds;
        snprintf(hex, sizeof hex, "00%s000B916407007009F00000%s04D4F29C0E",
                 vp_value_cases[i].format == 2 ? "11" : "09", vp_value_cases[i].vp);
        encodes_to(&s, hex);
        roundtrip(&s, &d);
        assert_int_equal(d.vp.seconds, vp_value_cases[i].decoded);
    }
    make_submit(&s, 0x00, "Test");
    s.vp.format = 3;
    s.vp.absolute_ms = utc_ms("2013-07-10 11:39:00");
    encodes_to(&s, "0019000B916407007009F0000031700111930000" "04D4F29C0E");
}

/* ------------------------------------------------------------ reports */

static void test_status_report(void **state)
{
    struct pdu_sms s, d;
    (void)state;

    decode_ok(SR_NO_PI, &s);
    assert_int_equal(s.kind, PDU_SMS_STATUS_REPORT);
    assert_int_equal(s.mr, 214);
    assert_string_equal(s.da.text, "+31628870634");
    assert_int_equal(s.scts_ms, utc_ms("2011-01-11 16:59:15"));
    assert_int_equal(s.dt_ms, utc_ms("2011-01-11 16:59:17"));
    assert_int_equal(s.st, PDU_ST_DELIVERED);
    assert_false(s.has_pi);
    assert_false(s.mms);
    assert_false(s.srq);
    decode_ok(SR_WITH_PI, &s);
    assert_true(s.has_pi);
    assert_int_equal(s.pi, 0x07);
    assert_string_equal(s.text, "Test");
    assert_int_equal(s.scts_ms, utc_ms("2013-03-08 13:02:16"));

    /* built by the server: no TP-PI unless something needs it */
    memset(&s, 0, sizeof s);
    s.kind = PDU_SMS_STATUS_REPORT;
    s.wrap = PDU_WRAP_NONE;
    s.mr = 7;
    strcpy(s.da.text, "+46700007900");
    s.da.ton = s.da.npi = 1;
    s.scts_ms = utc_ms("2024-02-29 10:00:00");
    s.dt_ms = utc_ms("2024-03-01 09:30:05");
    s.st = PDU_ST_EXPIRED;
    encodes_to(&s, "06070B916407007009F0422092010000004230109003500046");
    s.pid = 0x40;
    roundtrip(&s, &d);
    fields_equal(&d, &s);
    assert_true(d.has_pi);
    assert_int_equal(d.pi, 0x01);
}

/* ------------------------------------------------------------ layers */

static void test_layers(void **state)
{
    char hex[2 * PDU_TEXT_MAX];
    struct pdu_sms s;
    (void)state;

    for (size_t i = 0; i < sizeof layer_vectors / sizeof layer_vectors[0];
         i++) {
        const struct layer_vec *v = &layer_vectors[i];

        print_message("%s\n", v->name);
        decode_ok(v->hex, &s);
        assert_int_equal(s.kind, v->kind);
        assert_int_equal(s.wrap, v->wrap);
        assert_int_equal(s.cp_ti, v->cp_ti);
        assert_int_equal(s.cp_cause, v->cp_cause);
        assert_int_equal(s.rp_mr, v->rp_mr);
        assert_int_equal(s.rp_cause, v->rp_cause);
        assert_int_equal(s.rp_mt, v->rp_mt);
        assert_string_equal(s.smsc.text, v->smsc ? v->smsc : "");
        assert_int_equal(s.rp_has_ud, v->rp_ud != NULL);
        pdu_hex_format(s.rp_ud, s.rp_ud_len, hex);
        assert_string_equal(hex, v->rp_ud ? v->rp_ud : "");
        assert_int_equal(s.rp_has_diag, v->diag >= 0);
        if (v->diag >= 0)
            assert_int_equal(s.rp_diag, v->diag);
        encodes_to(&s, v->hex);
    }
}

/* The same TPDU through every wrap, from fields. */
static void test_wraps_from_fields(void **state)
{
    static const char *const want[] = {
        "01000B916407007009F0000004D4F29C0E",
        "0791447758100650" "01000B916407007009F0000004D4F29C0E",
        "0009000791447758100650" "11" "01000B916407007009F0000004D4F29C0E",
        "39011D" "0009000791447758100650" "11"
        "01000B916407007009F0000004D4F29C0E",
    };
    struct pdu_sms s, d;
    (void)state;

    for (int wrap = PDU_WRAP_NONE; wrap <= PDU_WRAP_CP_RP; wrap++) {
        make_submit(&s, 0x00, "Test");
        s.wrap = wrap;
        s.rp_mr = 9;
        s.cp_ti = 3;
        s.rp_mt = true; /* ignored: a SUBMIT travels MS->network */
        strcpy(s.smsc.text, "+447785016005");
        s.smsc.ton = s.smsc.npi = 1;
        if (wrap == PDU_WRAP_NONE)
            memset(&s.smsc, 0, sizeof s.smsc);
        encodes_to(&s, want[wrap]);
        roundtrip(&s, &d);
        assert_int_equal(d.wrap, wrap);
        assert_false(d.rp_mt);
        assert_string_equal(d.smsc.text, s.smsc.text);
        assert_string_equal(d.text, "Test");
    }
}

static void test_rp_cp_from_fields(void **state)
{
    struct pdu_sms s, d;
    (void)state;

    for (size_t i = 0; i < sizeof rp_cp_cases / sizeof rp_cp_cases[0]; i++) {
        memset(&s, 0, sizeof s);
        s.kind = rp_cp_cases[i].kind;
        s.wrap = rp_cp_cases[i].wrap;
        s.rp_mt = rp_cp_cases[i].mt;
        s.rp_mr = 0x21;
        s.cp_ti = 5;
        s.cp_cause = 81;
        s.rp_cause = 42;
        s.rp_has_diag = true;
        s.rp_diag = 7;
        if (s.kind != PDU_RP_ERROR)
            s.rp_has_diag = false, s.rp_cause = 0, s.rp_diag = 0;
        if (s.kind != PDU_CP_ERROR)
            s.cp_cause = 0;
        if (s.wrap == PDU_WRAP_CP)
            s.rp_mr = 0;
        if (s.wrap == PDU_WRAP_RP)
            s.cp_ti = 0;
        encodes_to(&s, rp_cp_cases[i].hex);
        roundtrip(&s, &d);
        fields_equal(&d, &s);
        assert_int_equal(d.rp_diag, s.rp_diag);
    }
}

/* Octets that are valid in two shapes: pdu_decode takes the first it
 * tries (SMSC address + STATUS-REPORT), pdu_decode_shape the one asked
 * for (a bare DELIVER from an alphanumeric sender; found by fuzz_pdu). */
static void test_decode_shape(void **state)
{
    static const char twice[] =
        "0006D606D601000009808080010000098080808032868800";
    uint8_t buf[PDU_MAX_BYTES];
    struct pdu_sms s;
    struct pdu_error e;
    size_t n, bad;
    (void)state;

    assert_int_equal(pdu_hex_parse(twice, strlen(twice), buf, sizeof buf, &n,
                                   &bad), 0);
    assert_int_equal(pdu_decode(buf, n, &s, &e), 0);
    assert_int_equal(s.kind, PDU_SMS_STATUS_REPORT);
    assert_int_equal(s.wrap, PDU_WRAP_SMSC);
    assert_int_equal(pdu_decode_shape(buf, n, PDU_WRAP_NONE, &s, &e), 0);
    assert_int_equal(s.kind, PDU_SMS_DELIVER);
    assert_int_equal(s.oa.ton, 5);
    encodes_to(&s, twice);
    assert_int_equal(pdu_decode_shape(buf, n, PDU_WRAP_RP, &s, &e), -1);
    check_error(&e, 2, "RP-OA length");
    assert_int_equal(s.kind, 0);
    assert_int_equal(pdu_decode_shape(buf, n, 7, &s, &e), -1);
    check_error(&e, 0, "wrap");
    assert_int_equal(pdu_decode_shape(buf, 0, PDU_WRAP_CP, &s, NULL), -1);
    assert_int_equal(pdu_hex_parse("9904", 4, buf, sizeof buf, &n, &bad), 0);
    assert_int_equal(pdu_decode_shape(buf, n, PDU_WRAP_CP_RP, &s, NULL), 0);
    assert_int_equal(s.kind, PDU_CP_ACK);
    buf[1] = 0x02;
    assert_int_equal(pdu_decode_shape(buf, n, PDU_WRAP_CP, &s, &e), -1);
    check_error(&e, 1, "CP message type");
    assert_int_equal(pdu_hex_parse(REF_SUBMIT, strlen(REF_SUBMIT), buf,
                                   sizeof buf, &n, &bad), 0);
    assert_int_equal(pdu_decode_shape(buf, n, PDU_WRAP_SMSC, &s, NULL), 0);
    assert_int_equal(pdu_decode_shape(buf, n, PDU_WRAP_NONE, &s, &e), -1);
    check_error(&e, 2, "TP-OA type");
}

/* ------------------------------------------------------------ round trip */

static void test_roundtrip_fields(void **state)
{
    struct pdu_sms s, d;
    (void)state;

    make_submit(&s, 0x08, "Gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\x98\x80\xF0\x9F\x8E\x89");
    s.rd = s.srr = s.rp = true;
    s.mr = 200;
    s.pid = 0x41;
    s.vp.format = 2;
    s.vp.seconds = 86400;
    roundtrip(&s, &d);
    fields_equal(&d, &s);
    assert_int_equal(d.udl, 20);

    memset(&s, 0, sizeof s);
    s.kind = PDU_SMS_DELIVER;
    s.wrap = PDU_WRAP_RP;
    strcpy(s.smsc.text, "+447785016005");
    s.smsc.ton = s.smsc.npi = 1;
    strcpy(s.oa.text, "a[]{}\xE2\x82\xAC");
    s.oa.ton = 5;
    s.mms = s.lp = s.srr = true;
    s.dcs = 0xF1;
    s.scts_ms = utc_ms("2089-12-31 23:59:59");
    strcpy(s.text, "^{}\\[~]|\xE2\x82\xAC\f@\xC2\xA3$");
    roundtrip(&s, &d);
    fields_equal(&d, &s);
    assert_int_equal(d.oa.ton, 5);
    assert_memory_equal(d.oa.text, s.oa.text, strlen(s.oa.text));

    memset(&s, 0, sizeof s);
    s.kind = PDU_SMS_DELIVER;
    s.wrap = PDU_WRAP_SMSC;
    s.scts_ms = utc_ms("2013-03-08 13:02:16");
    strcpy(s.oa.text, "*#ABC0"); /* letters read back in lower case */
    s.oa.ton = 2;
    roundtrip(&s, &d);
    assert_string_equal(d.oa.text, "*#abc0");
    strcpy(s.oa.text, "+Promo"); /* '+' is a GSM 7-bit character here */
    s.oa.ton = 5;
    roundtrip(&s, &d);
    assert_string_equal(d.oa.text, "+Promo");
    strcpy(s.oa.text, "MyBank");
    s.scts_ms = utc_ms("2013-03-08 13:02:16");
    strcpy(s.text, "Hi");
    s.scts_raw[6] = 0x80; /* ignored: it does not match scts_ms */
    encodes_to(&s, "00040BD0CDBC30EC5E03000031308031206100" "02C834");
}

/* Text at the limits: 160 septets, 140 octets, 70 UCS-2 units. */
static void test_limits(void **state)
{
    struct pdu_sms s, d;
    struct pdu_error e;
    uint8_t buf[PDU_MAX_BYTES];
    (void)state;

    make_submit(&s, 0x00, "");
    memset(s.text, 'a', 160);
    roundtrip(&s, &d);
    assert_int_equal(d.udl, 160);
    s.text[160] = 'a';
    assert_int_equal(pdu_encode(&s, buf, sizeof buf, &e), -1);
    assert_string_equal(e.field, "text");
    make_submit(&s, 0x04, "");
    memset(s.text, 'F', 280);
    roundtrip(&s, &d);
    assert_int_equal(d.udl, 140);
    make_submit(&s, 0x08, "");
    memset(s.text, 'z', 70);
    roundtrip(&s, &d);
    assert_int_equal(d.udl, 140);
    make_submit(&s, 0x08, "");
    memset(s.text, 'z', 71);
    assert_int_equal(pdu_encode(&s, buf, sizeof buf, &e), -1);
    /* UCS-2 U+0000 decodes to a NUL byte counted in text_len */
    decode_ok("0001000B916407007009F0000806004100000042", &s);
    assert_int_equal(s.text_len, 3);
    assert_memory_equal(s.text, "A\0B", 3);
    encodes_to(&s, "0001000B916407007009F0000806004100000042");
}

/* ------------------------------------------------------------ errors */

static void test_malformed(void **state)
{
    struct pdu_sms s;
    struct pdu_error e;
    (void)state;

    for (size_t i = 0; i < sizeof bad_vectors / sizeof bad_vectors[0]; i++) {
        const struct bad_vec *v = &bad_vectors[i];

        if (pdu_decode_hex(v->hex, &s, &e) == 0)
            fail_msg("%s decoded as %s", v->hex, pdu_kind_name(s.kind));
        print_message("%s -> %s\n", v->hex, e.detail);
        check_error(&e, v->offset, v->field);
        if (strstr(e.detail, v->detail) == NULL)
            fail_msg("\"%s\" lacks \"%s\"", e.detail, v->detail);
        assert_int_equal(s.kind, 0);
    }
}

static void test_truncations(void **state)
{
    uint8_t buf[PDU_MAX_BYTES];
    struct pdu_sms s;
    struct pdu_error e;
    size_t n, bad;
    (void)state;

    for (size_t i = 0; i < sizeof truncated_vectors / sizeof truncated_vectors[0];
         i++) {
        const char *hex = truncated_vectors[i];

        assert_int_equal(pdu_hex_parse(hex, strlen(hex), buf, sizeof buf, &n,
                                       &bad), 0);
        assert_int_equal(pdu_decode(buf, n, &s, NULL), 0);
        for (size_t k = 0; k < n; k++) {
            if (pdu_decode(buf, k, &s, &e) == 0)
                fail_msg("%zu octets of %s decoded as %s", k, hex,
                         pdu_kind_name(s.kind));
            assert_true(e.offset <= k);
            assert_true(e.field[0] != '\0');
            check_error(&e, e.offset, e.field);
        }
    }
}

/* The service-centre address codec on its own (python-gsmmodem's SMSC
 * field vectors and limits). */
static void test_sc_address(void **state)
{
    uint8_t in[16], out[16];
    struct pdu_error e;
    struct pdu_addr a;
    size_t n, bad;
    (void)state;

    for (size_t i = 0; i < sizeof sc_cases / sizeof sc_cases[0]; i++) {
        struct pdu_reader r = {.p = in, .err = &e};
        struct pdu_writer w = {.p = out, .cap = sizeof out, .err = &e};
        int rc;

        assert_int_equal(pdu_hex_parse(sc_cases[i].hex, strlen(sc_cases[i].hex), in,
                                       sizeof in, &n, &bad), 0);
        r.end = n;
        rc = pdu_sc_addr_decode(&r, "SMSC address", &a);
        if (rc == 0)
            rc = pdu_read_done(&r, "SMSC address");
        if (sc_cases[i].field != NULL) {
            assert_int_equal(rc, -1);
            assert_string_equal(e.field, sc_cases[i].field);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_string_equal(a.text, sc_cases[i].text);
        assert_int_equal(a.present, n > 1);
        assert_int_equal(pdu_sc_addr_encode(&w, "SMSC address", &a), 0);
        assert_int_equal(w.len, n);
        assert_memory_equal(out, in, n);
    }
}

static void test_input_limits(void **state)
{
    char hex[2 * PDU_MAX_BYTES + 3];
    uint8_t buf[PDU_MAX_BYTES + 1];
    struct pdu_sms s;
    struct pdu_error e;
    (void)state;

    memset(hex, '0', sizeof hex - 1);
    hex[sizeof hex - 1] = '\0';
    assert_int_equal(pdu_decode_hex(hex, &s, &e), -1);
    check_error(&e, PDU_MAX_BYTES, "input");
    memset(buf, 0, sizeof buf);
    assert_int_equal(pdu_decode(buf, sizeof buf, &s, &e), -1);
    check_error(&e, PDU_MAX_BYTES, "input");
    assert_int_equal(pdu_decode(buf, 0, &s, NULL), -1);
    assert_int_equal(pdu_decode_hex("zz", &s, NULL), -1);
    assert_int_equal(pdu_decode_hex("0001000B916407007009f0000004d4f29c0e", &s,
                                    NULL), 0);
    assert_string_equal(s.text, "Test");
}

static void test_encode_errors(void **state)
{
    uint8_t buf[PDU_MAX_BYTES];
    char hex[8];
    struct pdu_sms s;
    struct pdu_error e;
    (void)state;

    for (size_t i = 0; i < N_ENCODE_ERRORS; i++) {
        const char *n = encode_errors[i].name;

        broken_struct(n, &s);
        if (pdu_encode(&s, buf, sizeof buf, &e) >= 0)
            fail_msg("%s encoded", n);
        print_message("%s -> %s\n", n, e.detail);
        assert_string_equal(e.field, encode_errors[i].field);
    }
    make_submit(&s, 0x00, "Test");
    assert_int_equal(pdu_encode(&s, buf, 5, &e), -1);
    check_error(&e, 5, "output");
    assert_int_equal(pdu_encode_hex(&s, hex, sizeof hex, &e), -1);
    assert_string_equal(e.field, "output");
    assert_int_equal(pdu_encode(&s, buf, sizeof buf, NULL), 18);
    s.kind = 99;
    assert_int_equal(pdu_encode_hex(&s, hex, sizeof hex, NULL), -1);
}

/* ------------------------------------------------------------ codecs */

static void test_text_codecs(void **state)
{
    static const uint8_t hello[] = {0xC8, 0x32, 0x9B, 0xFD, 0x06, 0x5D,
                                    0xDF, 0x72, 0x36, 0x39, 0x04};
    static const uint8_t escapes[] = {0x9B, 0xE0, 0x66, 0x23, 0xDC, 0x00};
    uint8_t sept[16], packed[16] = {0}, ucs2[8];
    char out[64];
    size_t n = 0, bad = 0;
    (void)state;

    assert_int_equal(pdu_gsm7_encode("Hello World!", 12, sept, sizeof sept, &n,
                                     &bad), 0);
    assert_int_equal(n, 12);
    pdu_gsm7_pack(sept, n, 0, packed);
    assert_memory_equal(packed, hello, sizeof hello);
    assert_int_equal(pdu_gsm7_decode(hello, 0, 12, out, sizeof out, &n), 0);
    assert_string_equal(out, "Hello World!");
    /* ESC + a code without an extension, ESC ESC, a final ESC */
    assert_int_equal(pdu_gsm7_decode(escapes, 0, 6, out, sizeof out, &n), 0);
    assert_string_equal(out, "A B ");
    assert_int_equal(pdu_gsm7_decode(hello, 0, 12, out, 12, &n), PDU_TEXT_FULL);
    assert_int_equal(pdu_gsm7_decode(hello, 0, 1, out, 0, &n), PDU_TEXT_FULL);
    assert_int_equal(pdu_gsm7_encode("ab\xE2\x82\xAC", 5, sept, 3, &n, &bad),
                     PDU_TEXT_FULL);
    assert_int_equal(pdu_gsm7_encode("ab\xF0\x9F\x98\x80", 6, sept, 16, &n,
                                     &bad), PDU_TEXT_BAD);
    assert_int_equal(bad, 2);
    assert_int_equal(pdu_gsm7_encode("a\xC0\xAF", 3, sept, 16, &n, &bad),
                     PDU_TEXT_BAD);
    assert_int_equal(bad, 1);
    assert_int_equal(pdu_gsm7_encode("ab\xF8\x88\x80\x80\x80", 7, sept, 16,
                                     &n, &bad), PDU_TEXT_BAD);
    assert_int_equal(bad, 2);
    assert_int_equal(pdu_gsm7_encode("\xE2\x82", 2, sept, 16, &n, &bad),
                     PDU_TEXT_BAD);

    assert_int_equal(pdu_ucs2_encode("\xF0\x9F\x98\x80", 4, ucs2, sizeof ucs2,
                                     &n, &bad), 0);
    assert_memory_equal(ucs2, "\xD8\x3D\xDE\x00", 4);
    assert_int_equal(pdu_ucs2_encode("\xF0\x9F\x98\x80", 4, ucs2, 3, &n, &bad),
                     PDU_TEXT_FULL);
    assert_int_equal(pdu_ucs2_encode("\xED\xA0\x80", 3, ucs2, 8, &n, &bad),
                     PDU_TEXT_BAD);
    assert_int_equal(pdu_ucs2_decode((const uint8_t *)"\xDE\x00\x00\x41", 4,
                                     out, sizeof out, &n, &bad), PDU_TEXT_BAD);
    assert_int_equal(bad, 0);
    assert_int_equal(pdu_ucs2_decode((const uint8_t *)"\x00\x41\xD8\x3D", 4,
                                     out, sizeof out, &n, &bad), PDU_TEXT_BAD);
    assert_int_equal(bad, 2);
    assert_int_equal(pdu_ucs2_decode((const uint8_t *)"\x30\x42", 2, out, 3, &n,
                                     &bad), PDU_TEXT_FULL);

    assert_int_equal(pdu_hex_parse("0aFf", 4, ucs2, sizeof ucs2, &n, &bad), 0);
    assert_memory_equal(ucs2, "\x0A\xFF", 2);
    assert_int_equal(pdu_hex_parse("0aFf", 4, ucs2, 1, &n, &bad), PDU_TEXT_FULL);
    assert_int_equal(pdu_hex_parse("0a F", 4, ucs2, 8, &n, &bad), PDU_TEXT_BAD);
    assert_int_equal(bad, 2);
    pdu_hex_format(ucs2, 2, out);
    assert_string_equal(out, "0AFF");
}

static void test_names(void **state)
{
    static const struct {
        int kind;
        const char *name;
    } kinds[] = {
        {PDU_SMS_SUBMIT, "SMS-SUBMIT"}, {PDU_SMS_DELIVER, "SMS-DELIVER"},
        {PDU_SMS_STATUS_REPORT, "SMS-STATUS-REPORT"}, {PDU_RP_ACK, "RP-ACK"},
        {PDU_RP_ERROR, "RP-ERROR"},    {PDU_RP_SMMA, "RP-SMMA"},
        {PDU_CP_ACK, "CP-ACK"},        {PDU_CP_ERROR, "CP-ERROR"},
        {0, "unknown"},
    };
    static const char *const wraps[] = {"none", "smsc", "rp", "cp_rp", "cp"};
    (void)state;

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        assert_string_equal(pdu_kind_name(kinds[i].kind), kinds[i].name);
    for (int i = 0; i < 5; i++)
        assert_string_equal(pdu_wrap_name(i), wraps[i]);
    assert_string_equal(pdu_wrap_name(-1), "unknown");
    assert_string_equal(pdu_wrap_name(5), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_reference_example),
        cmocka_unit_test(test_classic_deliver),
        cmocka_unit_test(test_time_zones),
        cmocka_unit_test(test_lorem_concat),
        cmocka_unit_test(test_concat_16bit),
        cmocka_unit_test(test_concat_built),
        cmocka_unit_test(test_concat_ignored),
        cmocka_unit_test(test_dcs),
        cmocka_unit_test(test_validity_periods),
        cmocka_unit_test(test_validity_from_values),
        cmocka_unit_test(test_status_report),
        cmocka_unit_test(test_layers),
        cmocka_unit_test(test_wraps_from_fields),
        cmocka_unit_test(test_rp_cp_from_fields),
        cmocka_unit_test(test_decode_shape),
        cmocka_unit_test(test_roundtrip_fields),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_sc_address),
        cmocka_unit_test(test_input_limits),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_text_codecs),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
