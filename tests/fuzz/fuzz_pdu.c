/* libFuzzer target: raw SMS PDUs (POST /api/messages_raw, server/pdu.h).
 * Every input is either decoded or refused with an offset inside it, a
 * field and a detail that starts "octet N (field): ".  A decoded PDU must
 * encode again; that encoding must decode (pdu_decode: as some shape;
 * pdu_decode_shape with the original wrap: to the same fields), and
 * encoding must be stable from there on (encode(decode(encode(x))) ==
 * encode(x)).  The input is also tried as a hex string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const struct pdu_error *e, size_t size)
{
    if (e->field[0] == '\0' || strncmp(e->detail, "octet ", 6) != 0 ||
        strstr(e->detail, e->field) == NULL ||
        e->offset > (size > PDU_MAX_BYTES ? PDU_MAX_BYTES : size))
        abort();
}

static void same_addr(const struct pdu_addr *a, const struct pdu_addr *b)
{
    if (strcmp(a->text, b->text) != 0 || a->ton != b->ton || a->npi != b->npi ||
        a->present != b->present)
        abort();
}

#define SAME(f)                                                                \
    do {                                                                       \
        if (a->f != b->f)                                                      \
            abort();                                                           \
    } while (0)

static void same_layers(const struct pdu_sms *a, const struct pdu_sms *b)
{
    SAME(kind);
    SAME(wrap);
    SAME(cp_ti);
    SAME(cp_cause);
    SAME(rp_mr);
    SAME(rp_cause);
    SAME(rp_has_diag);
    SAME(rp_diag);
    SAME(rp_mt);
    SAME(rp_has_ud);
    SAME(rp_ud_len);
    if (memcmp(a->rp_ud, b->rp_ud, a->rp_ud_len) != 0)
        abort();
    same_addr(&a->smsc, &b->smsc);
}

static void same_tpdu(const struct pdu_sms *a, const struct pdu_sms *b)
{
    SAME(mr);
    SAME(rd);
    SAME(srr);
    SAME(srq);
    SAME(rp);
    SAME(mms);
    SAME(lp);
    SAME(udhi);
    same_addr(&a->da, &b->da);
    same_addr(&a->oa, &b->oa);
    SAME(pid);
    SAME(dcs);
    SAME(vp.format);
    SAME(vp.seconds);
    SAME(vp.absolute_ms);
    SAME(scts_ms);
    SAME(dt_ms);
    SAME(st);
    SAME(has_pi);
    SAME(pi);
    SAME(charset);
    SAME(compressed);
    SAME(has_class);
    SAME(msg_class);
    if (strcmp(a->coding_group, b->coding_group) != 0)
        abort();
}

static void same_user_data(const struct pdu_sms *a, const struct pdu_sms *b)
{
    SAME(udh_len);
    SAME(concat.present);
    SAME(concat.ref);
    SAME(concat.ref16);
    SAME(concat.total);
    SAME(concat.seq);
    SAME(text_len);
    if (memcmp(a->udh, b->udh, a->udh_len) != 0 ||
        memcmp(a->text, b->text, a->text_len + 1) != 0)
        abort();
}

/* Encodes s, which must succeed; returns the length. */
static size_t encode(const struct pdu_sms *s, uint8_t *out)
{
    struct pdu_error e;
    int n = pdu_encode(s, out, PDU_MAX_BYTES, &e);

    if (n <= 0)
        abort();
    return (size_t)n;
}

static void roundtrip(const struct pdu_sms *a)
{
    static struct pdu_sms b;
    uint8_t once[PDU_MAX_BYTES], twice[PDU_MAX_BYTES];
    size_t n = encode(a, once);
    struct pdu_error e;

    if (pdu_decode(once, n, &b, &e) != 0 ||
        pdu_decode_shape(once, n, a->wrap, &b, &e) != 0)
        abort();
    same_layers(a, &b);
    same_tpdu(a, &b);
    same_user_data(a, &b);
    if (encode(&b, twice) != n || memcmp(once, twice, n) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pdu_sms s;
    char hex[2 * PDU_MAX_BYTES + 3];
    size_t hex_len = size < sizeof hex - 1 ? size : sizeof hex - 1;
    struct pdu_error e;

    if (pdu_decode(data, size, &s, &e) == 0)
        roundtrip(&s);
    else
        check_error(&e, size);
    memcpy(hex, data, hex_len);
    hex[hex_len] = '\0';
    if (pdu_decode_hex(hex, &s, &e) != 0)
        check_error(&e, strlen(hex) / 2 + 1);
    return 0;
}
