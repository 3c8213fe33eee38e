/* pdu — the TPDUs of 3GPP TS 23.040: SMS-SUBMIT, SMS-DELIVER and
 * SMS-STATUS-REPORT (server/pdu.h; the RP / CP layers and the shape
 * detection are in pdu_wrap.c, the field codecs in pdu_field.c, the
 * character codecs in pdu_text.c).
 *
 * A TPDU is decoded field by field from a bounded reader and must fill it
 * exactly: TP-UDL has to announce precisely the octets that follow
 * (septets for uncompressed GSM 7-bit, octets otherwise), and the user
 * data header (UDHI) has to fit in the user data; for GSM 7-bit the text
 * starts at the first septet boundary after the header (fill bits).  The
 * header's information elements must tile it exactly; concatenation IEs
 * (0x00 with an 8-bit, 0x08 with a 16-bit reference) fill `concat`, the
 * last valid one winning, and one with 0 parts or a sequence number
 * outside 1..parts is ignored (TS 23.040 9.2.3.24.1).  The encoder writes
 * the same layout from the fields, building the first octet from the
 * flags and TP-UDL from the text it packs.
 */
#include "server/pdu.h"

#include <string.h>

#include "server/smstext.h"

#define MTI_DELIVER 0
#define MTI_SUBMIT 1
#define MTI_STATUS_REPORT 2

#define FO_MMS 0x04     /* DELIVER, STATUS-REPORT (bit set: no more) */
#define FO_RD 0x04      /* SUBMIT */
#define FO_LP 0x08      /* DELIVER, STATUS-REPORT */
#define FO_SRX 0x20     /* SRI (DELIVER), SRR (SUBMIT), SRQ (REPORT) */
#define FO_UDHI 0x40
#define FO_RP 0x80

#define PI_PID 0x01
#define PI_DCS 0x02
#define PI_UDL 0x04
#define PI_EXTENSION 0x80

#define IEI_CONCAT8 0x00
#define IEI_CONCAT16 0x08

#define UD_MAX_OCTETS 140
#define UD_MAX_SEPTETS 160

/* Septets a header of hdr octets (length octet included) occupies. */
static size_t header_septets(size_t hdr)
{
    return (hdr * 8 + 6) / 7;
}

/* ------------------------------------------------------------ UDH */

/* One concatenation IE (d, n octets; its IEI at offset at). */
static int concat_ie(struct pdu_reader *r, uint8_t iei, const uint8_t *d,
                     uint8_t n, size_t at, struct pdu_concat *c)
{
    size_t want = iei == IEI_CONCAT8 ? 3 : 4;

    if (n != want)
        return pdu_reject(r, at + 1, "TP-UDH",
                          "concatenation IE 0x%02X has %u octets, not %zu", iei,
                          n, want);
    if (d[want - 2] == 0 || d[want - 1] == 0 || d[want - 1] > d[want - 2])
        return 0;
    c->present = true;
    c->ref16 = iei == IEI_CONCAT16;
    c->ref = (uint16_t)(c->ref16 ? d[0] << 8 | d[1] : d[0]);
    c->total = d[want - 2];
    c->seq = d[want - 1];
    return 0;
}

/* Walks the IEs of header h[0..n) (its first octet at offset base). */
static int udh_parse(struct pdu_reader *r, const uint8_t *h, size_t n,
                     size_t base, struct pdu_concat *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n;) {
        uint8_t iei = h[i], len;

        if (n - i < 2)
            return pdu_reject(r, base + i, "TP-UDH",
                              "IE 0x%02X has no length octet", iei);
        len = h[i + 1];
        if (len > n - i - 2)
            return pdu_reject(r, base + i + 1, "TP-UDH",
                              "IE 0x%02X: %u octets exceed the %zu left in the "
                              "header", iei, len, n - i - 2);
        if ((iei == IEI_CONCAT8 || iei == IEI_CONCAT16) &&
            concat_ie(r, iei, h + i + 2, len, base + i, c) != 0)
            return -1;
        i += 2 + (size_t)len;
    }
    return 0;
}

/* ------------------------------------------------------------ UD decode */

/* The user data ud[0..n) at offset base after its header of hdr octets. */
static int ud_text_decode(struct pdu_reader *r, const uint8_t *ud, size_t n,
                          size_t base, size_t hdr, struct pdu_sms *s)
{
    size_t bad = 0;
    int rc;

    if (s->charset == SMS_CS_GSM7 && !s->compressed) {
        size_t skip = hdr ? header_septets(hdr) : 0;

        if (skip > s->udl)
            return pdu_reject(r, base, "TP-UDHL",
                              "the header takes %zu septets, TP-UDL is %u",
                              skip, s->udl);
        rc = pdu_gsm7_decode(ud, 7 * skip, s->udl - skip, s->text,
                             sizeof s->text, &s->text_len);
    } else if (s->charset == SMS_CS_UCS2 && !s->compressed) {
        rc = pdu_ucs2_decode(ud + hdr, n - hdr, s->text, sizeof s->text,
                             &s->text_len, &bad);
    } else {
        pdu_hex_format(ud + hdr, n - hdr, s->text);
        s->text_len = 2 * (n - hdr);
        rc = 0;
    }
    if (rc == PDU_TEXT_BAD)
        return pdu_reject(r, base + hdr + bad, "TP-UD",
                          "not UCS-2: odd length or unpaired surrogate");
    if (rc != 0)
        return pdu_reject(r, base, "TP-UD", "text longer than %d bytes",
                          PDU_TEXT_MAX - 1);
    return 0;
}

/* The header of ud[0..n) (at offset base) into s; *hdr = its octets. */
static int udh_decode(struct pdu_reader *r, const uint8_t *ud, size_t n,
                      size_t base, struct pdu_sms *s, size_t *hdr)
{
    if (n == 0 || ud[0] + 1u > n)
        return pdu_reject(r, base, "TP-UDHL",
                          "a %u-octet header does not fit in %zu octets of "
                          "user data", n ? ud[0] + 1u : 1u, n);
    *hdr = ud[0] + 1u;
    s->udh_len = ud[0];
    memcpy(s->udh, ud + 1, s->udh_len);
    return udh_parse(r, s->udh, s->udh_len, base + 1, &s->concat);
}

/* TP-UDL and TP-UD, which must end the TPDU. */
static int ud_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    bool septets = s->charset == SMS_CS_GSM7 && !s->compressed;
    size_t at = r->pos, max = septets ? UD_MAX_SEPTETS : UD_MAX_OCTETS;
    size_t need, base, hdr = 0;
    const uint8_t *ud = NULL;

    if (pdu_read_u8(r, "TP-UDL", &s->udl) != 0)
        return -1;
    if (s->udl > max)
        return pdu_reject(r, at, "TP-UDL", "%u %s exceed %zu", s->udl,
                          septets ? "septets" : "octets", max);
    need = septets ? (s->udl * 7u + 7) / 8 : s->udl;
    if (need != r->end - r->pos)
        return pdu_reject(r, at, "TP-UDL", "%u %s need %zu octets, %zu follow",
                          s->udl, septets ? "septets" : "octets", need,
                          r->end - r->pos);
    base = r->pos;
    if (pdu_read(r, need, "TP-UD", &ud) != 0)
        return -1;
    if (s->udhi && udh_decode(r, ud, need, base, s, &hdr) != 0)
        return -1;
    return ud_text_decode(r, ud, need, base, hdr, s);
}

/* ------------------------------------------------------------ TPDU decode */

static int dcs_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    struct pdu_dcs d;

    if (pdu_read_u8(r, "TP-DCS", &s->dcs) != 0)
        return -1;
    pdu_dcs_parse(s->dcs, &d);
    s->charset = d.charset;
    s->coding_group = d.coding_group;
    s->compressed = d.compressed;
    s->has_class = d.has_class;
    s->msg_class = d.msg_class;
    return 0;
}

static int submit_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    uint8_t fo = s->first_octet;

    s->rd = (fo & FO_RD) != 0;
    s->vp.format = (uint8_t)((fo >> 3) & 0x03);
    if (pdu_read_u8(r, "TP-MR", &s->mr) != 0 ||
        pdu_tp_addr_decode(r, "TP-DA", &s->da) != 0 ||
        pdu_read_u8(r, "TP-PID", &s->pid) != 0 || dcs_decode(r, s) != 0 ||
        pdu_vp_decode(r, &s->vp) != 0)
        return -1;
    return ud_decode(r, s);
}

static int deliver_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    if (pdu_tp_addr_decode(r, "TP-OA", &s->oa) != 0 ||
        pdu_read_u8(r, "TP-PID", &s->pid) != 0 || dcs_decode(r, s) != 0 ||
        pdu_time_decode(r, "TP-SCTS", s->scts_raw, &s->scts_ms) != 0)
        return -1;
    return ud_decode(r, s);
}

/* TP-PI and the optional parameters it announces (9.2.2.3). */
static int report_params_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    if (r->pos == r->end)
        return 0;
    if (pdu_read_u8(r, "TP-PI", &s->pi) != 0)
        return -1;
    s->has_pi = true;
    if (s->pi & PI_EXTENSION)
        return pdu_reject(r, r->pos - 1, "TP-PI",
                          "0x%02X: extension octets are not supported", s->pi);
    if ((s->pi & PI_PID) && pdu_read_u8(r, "TP-PID", &s->pid) != 0)
        return -1;
    if ((s->pi & PI_DCS) && dcs_decode(r, s) != 0)
        return -1;
    if (s->pi & PI_UDL)
        return ud_decode(r, s);
    return pdu_read_done(r, "SMS-STATUS-REPORT");
}

static int status_report_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    s->srq = (s->first_octet & FO_SRX) != 0;
    if (pdu_read_u8(r, "TP-MR", &s->mr) != 0 ||
        pdu_tp_addr_decode(r, "TP-RA", &s->da) != 0 ||
        pdu_time_decode(r, "TP-SCTS", s->scts_raw, &s->scts_ms) != 0 ||
        pdu_time_decode(r, "TP-DT", s->dt_raw, &s->dt_ms) != 0 ||
        pdu_read_u8(r, "TP-ST", &s->st) != 0)
        return -1;
    return report_params_decode(r, s);
}

/* TP-MTI -> kind, refusing what cannot travel in direction dir. */
static int mti_kind(struct pdu_reader *r, unsigned mti, int dir, int *kind)
{
    static const int kinds[3] = {PDU_SMS_DELIVER, PDU_SMS_SUBMIT,
                                 PDU_SMS_STATUS_REPORT};
    size_t at = r->pos - 1;

    if (mti == 3)
        return pdu_reject(r, at, "TP-MTI", "message type 3 is reserved");
    if (dir == PDU_DIR_MO && mti == MTI_STATUS_REPORT)
        return pdu_reject(r, at, "TP-MTI",
                          "SMS-COMMAND (type 2 MS->network) is not supported");
    if (dir == PDU_DIR_MO && mti == MTI_DELIVER)
        return pdu_reject(r, at, "TP-MTI",
                          "an SMS-DELIVER does not travel MS->network");
    if (dir == PDU_DIR_MT && mti == MTI_SUBMIT)
        return pdu_reject(r, at, "TP-MTI",
                          "an SMS-SUBMIT does not travel network->MS");
    *kind = kinds[mti];
    return 0;
}

int pdu_tpdu_decode(struct pdu_reader *r, int dir, struct pdu_sms *s)
{
    uint8_t fo;

    if (pdu_read_u8(r, "TP-MTI", &fo) != 0 ||
        mti_kind(r, fo & 0x03u, dir, &s->kind) != 0)
        return -1;
    s->first_octet = fo;
    s->udhi = (fo & FO_UDHI) != 0;
    s->mms = (fo & FO_MMS) == 0 && s->kind != PDU_SMS_SUBMIT;
    s->lp = (fo & FO_LP) != 0 && s->kind != PDU_SMS_SUBMIT;
    s->srr = (fo & FO_SRX) != 0 && s->kind != PDU_SMS_STATUS_REPORT;
    s->rp = (fo & FO_RP) != 0 && s->kind != PDU_SMS_STATUS_REPORT;
    if (s->kind == PDU_SMS_SUBMIT)
        return submit_decode(r, s);
    if (s->kind == PDU_SMS_DELIVER)
        return deliver_decode(r, s);
    return status_report_decode(r, s);
}

/* ------------------------------------------------------------ UD encode */

static bool udhi_wanted(const struct pdu_sms *in)
{
    return in->udhi || in->udh_len > 0 || in->concat.present;
}

/* The header, length octet first, into hdr; *n = its octets (0: none). */
static int udh_build(struct pdu_writer *w, const struct pdu_sms *in,
                     uint8_t *hdr, size_t *n)
{
    const struct pdu_concat *c = &in->concat;
    struct pdu_reader check = {.err = w->err};
    struct pdu_concat scratch;

    *n = 0;
    if (!udhi_wanted(in))
        return 0;
    if (in->udh_len > UD_MAX_OCTETS - 1)
        return pdu_fail(w->err, w->len, "TP-UDH", "%zu octets exceed %d",
                        in->udh_len, UD_MAX_OCTETS - 1);
    if (in->udh_len > 0) {
        memcpy(hdr + 1, in->udh, in->udh_len);
        *n = in->udh_len;
    } else if (c->present) {
        if (c->total == 0 || c->seq == 0 || c->seq > c->total ||
            (!c->ref16 && c->ref > 0xFF))
            return pdu_fail(w->err, w->len, "TP-UDH",
                            "concatenation ref %u part %u of %u is invalid",
                            c->ref, c->seq, c->total);
        hdr[1] = c->ref16 ? IEI_CONCAT16 : IEI_CONCAT8;
        hdr[2] = c->ref16 ? 4 : 3;
        *n = c->ref16 ? 6 : 5;
        if (c->ref16)
            hdr[3] = (uint8_t)(c->ref >> 8);
        hdr[*n - 2] = (uint8_t)(c->ref & 0xFF);
        hdr[*n - 1] = c->total;
        hdr[*n] = c->seq;
    }
    if (udh_parse(&check, hdr + 1, *n, w->len, &scratch) != 0)
        return -1;
    hdr[0] = (uint8_t)*n;
    *n += 1;
    return 0;
}

static size_t text_length(const struct pdu_sms *in)
{
    return in->text_len != 0 ? in->text_len : strnlen(in->text, sizeof in->text);
}

/* GSM 7-bit text after the header: septets at the next septet boundary. */
static int ud_gsm7_encode(struct pdu_writer *w, const struct pdu_sms *in,
                          uint8_t *ud, size_t hdr, uint8_t *udl)
{
    uint8_t septets[UD_MAX_SEPTETS];
    size_t n = 0, bad = 0, skip = hdr ? header_septets(hdr) : 0;
    int rc = pdu_gsm7_encode(in->text, text_length(in), septets,
                             sizeof septets, &n, &bad);

    if (rc == PDU_TEXT_BAD)
        return pdu_fail(w->err, w->len, "text",
                        "byte %zu: not in the GSM 7-bit alphabet", bad);
    if (rc != 0 || skip + n > UD_MAX_SEPTETS)
        return pdu_fail(w->err, w->len, "text",
                        "more than %d septets with the header", UD_MAX_SEPTETS);
    pdu_gsm7_pack(septets, n, 7 * skip, ud);
    *udl = (uint8_t)(skip + n);
    return 0;
}

/* UCS-2 or hex text after the header. */
static int ud_octets_encode(struct pdu_writer *w, const struct pdu_sms *in,
                            bool ucs2, uint8_t *ud, size_t hdr, uint8_t *udl)
{
    size_t n = 0, bad = 0, len = text_length(in);
    int rc = ucs2 ? pdu_ucs2_encode(in->text, len, ud + hdr,
                                    UD_MAX_OCTETS - hdr, &n, &bad)
                  : pdu_hex_parse(in->text, len, ud + hdr,
                                  UD_MAX_OCTETS - hdr, &n, &bad);

    if (rc == PDU_TEXT_BAD)
        return pdu_fail(w->err, w->len, "text", "byte %zu: not %s", bad,
                        ucs2 ? "valid UTF-8" : "a pair of hex digits");
    if (rc != 0)
        return pdu_fail(w->err, w->len, "text",
                        "more than %d octets with the header", UD_MAX_OCTETS);
    *udl = (uint8_t)(hdr + n);
    return 0;
}

static int ud_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    uint8_t ud[UD_MAX_OCTETS] = {0}, hdr[UD_MAX_OCTETS], udl = 0;
    size_t hl, octets;
    struct pdu_dcs d;
    int rc;

    pdu_dcs_parse(in->dcs, &d);
    if (in->text_len >= sizeof in->text)
        return pdu_fail(w->err, w->len, "text", "text_len %zu exceeds %d",
                        in->text_len, PDU_TEXT_MAX - 1);
    if (udh_build(w, in, hdr, &hl) != 0)
        return -1;
    memcpy(ud, hdr, hl);
    if (d.charset == SMS_CS_GSM7 && !d.compressed) {
        rc = ud_gsm7_encode(w, in, ud, hl, &udl);
        octets = (udl * 7u + 7) / 8;
    } else {
        rc = ud_octets_encode(w, in, d.charset == SMS_CS_UCS2 && !d.compressed,
                              ud, hl, &udl);
        octets = udl;
    }
    if (rc != 0 || pdu_write_u8(w, udl, "TP-UDL") != 0)
        return -1;
    return pdu_write(w, ud, octets, "TP-UD");
}

/* ------------------------------------------------------------ TPDU encode */

static uint8_t flag(bool on, uint8_t bit)
{
    return on ? bit : 0;
}

static int submit_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    uint8_t fo = (uint8_t)(MTI_SUBMIT | flag(in->rd, FO_RD) |
                           (in->vp.format & 0x03u) << 3 |
                           flag(in->srr, FO_SRX) |
                           flag(udhi_wanted(in), FO_UDHI) |
                           flag(in->rp, FO_RP));

    if (pdu_write_u8(w, fo, "TP-MTI") != 0 ||
        pdu_write_u8(w, in->mr, "TP-MR") != 0 ||
        pdu_tp_addr_encode(w, "TP-DA", &in->da) != 0 ||
        pdu_write_u8(w, in->pid, "TP-PID") != 0 ||
        pdu_write_u8(w, in->dcs, "TP-DCS") != 0 ||
        pdu_vp_encode(w, &in->vp) != 0)
        return -1;
    return ud_encode(w, in);
}

static int deliver_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    uint8_t fo = (uint8_t)(MTI_DELIVER | flag(!in->mms, FO_MMS) |
                           flag(in->lp, FO_LP) | flag(in->srr, FO_SRX) |
                           flag(udhi_wanted(in), FO_UDHI) |
                           flag(in->rp, FO_RP));

    if (pdu_write_u8(w, fo, "TP-MTI") != 0 ||
        pdu_tp_addr_encode(w, "TP-OA", &in->oa) != 0 ||
        pdu_write_u8(w, in->pid, "TP-PID") != 0 ||
        pdu_write_u8(w, in->dcs, "TP-DCS") != 0 ||
        pdu_time_encode(w, "TP-SCTS", in->scts_raw, in->scts_ms) != 0)
        return -1;
    return ud_encode(w, in);
}

/* TP-PI: as given, or what pid, dcs and the user data call for. */
static uint8_t report_pi(const struct pdu_sms *in)
{
    bool has_ud = text_length(in) > 0 || in->udh_len > 0 || in->concat.present;

    if (in->has_pi)
        return in->pi;
    return (uint8_t)(flag(in->pid != 0, PI_PID) | flag(in->dcs != 0, PI_DCS) |
                     flag(has_ud, PI_UDL));
}

static int report_params_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    uint8_t pi = report_pi(in);

    if (pi & PI_EXTENSION)
        return pdu_fail(w->err, w->len, "TP-PI",
                        "0x%02X: extension octets are not supported", pi);
    if (!in->has_pi && pi == 0)
        return 0;
    if (pdu_write_u8(w, pi, "TP-PI") != 0 ||
        ((pi & PI_PID) && pdu_write_u8(w, in->pid, "TP-PID") != 0) ||
        ((pi & PI_DCS) && pdu_write_u8(w, in->dcs, "TP-DCS") != 0))
        return -1;
    return (pi & PI_UDL) ? ud_encode(w, in) : 0;
}

static int status_report_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    uint8_t fo = (uint8_t)(MTI_STATUS_REPORT | flag(!in->mms, FO_MMS) |
                           flag(in->lp, FO_LP) | flag(in->srq, FO_SRX) |
                           flag(udhi_wanted(in), FO_UDHI));

    if (pdu_write_u8(w, fo, "TP-MTI") != 0 ||
        pdu_write_u8(w, in->mr, "TP-MR") != 0 ||
        pdu_tp_addr_encode(w, "TP-RA", &in->da) != 0 ||
        pdu_time_encode(w, "TP-SCTS", in->scts_raw, in->scts_ms) != 0 ||
        pdu_time_encode(w, "TP-DT", in->dt_raw, in->dt_ms) != 0 ||
        pdu_write_u8(w, in->st, "TP-ST") != 0)
        return -1;
    return report_params_encode(w, in);
}

int pdu_tpdu_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    switch (in->kind) {
    case PDU_SMS_SUBMIT:
        return submit_encode(w, in);
    case PDU_SMS_DELIVER:
        return deliver_encode(w, in);
    case PDU_SMS_STATUS_REPORT:
        return status_report_encode(w, in);
    default:
        return pdu_fail(w->err, w->len, "kind", "%s (%d) is not a TPDU",
                        pdu_kind_name(in->kind), in->kind);
    }
}
