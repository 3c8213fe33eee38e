/* pdu_wrap — the layers around a TPDU and the public entry points of
 * server/pdu.h: the TS 24.011 CP (7.2) and RP (7.3) messages, the leading
 * SMSC address of AT+CMGS / +CMT, and deciding which shape an input is.
 *
 * Shape detection.  The input does not say what it is, so four readings
 * are tried in this order, each over the whole input:
 *   1. CP: first octet's low nibble is the SMS protocol discriminator 9
 *      (high nibble: transaction id), second octet CP-DATA 0x01 (then
 *      CP-User-Data: length + an RP message, read as in 2), CP-ACK 0x04
 *      or CP-ERROR 0x10 (+ cause);
 *   2. RP: RP-MTI 0..6 in bits 1-3 of the first octet, upper bits 0, then
 *      RP-MR and the message: RP-DATA with RP-OA, RP-DA (the service
 *      centre's, the other one empty) and RP-User-Data holding a TPDU of
 *      the right direction (SUBMIT MS->network; DELIVER or STATUS-REPORT
 *      network->MS); RP-ACK (+ optional RP-User-Data IEI 0x41); RP-ERROR
 *      (RP-Cause length 1..2, + optional RP-User-Data); RP-SMMA;
 *   3. a service-centre address (length in octets, 0 = none) + a TPDU;
 *   4. a bare TPDU.
 * A reading succeeds only when every length agrees and it ends exactly at
 * the last octet; the first that succeeds is the answer.  When none does,
 * the error of the reading that got furthest is reported.  A reading's
 * progress is the octets it accepted: all it read, except that an octet
 * whose value it rejects (a reserved type, a bad digit or time field, a
 * TP-UDL that disagrees with what follows) ends its progress before that
 * octet; running out of input, trailing octets and fields that disagree
 * with each other (RP-OA given in an RP-DATA MS->network) keep everything
 * read.  Ties go to the later reading (the TPDU shapes are the common
 * case: "0001001B..." is refused for its TP-DA length, not for an RP-DA
 * length though RP reads as far).  So a damaged TPDU is named by
 * its own field, not by a failed guess that it was an RP message, and
 * strict fields (address type bit 8, the filler digit only at the end, RP
 * spare bits, exact lengths) keep wrong readings from getting far.
 */
#include "server/pdu.h"

#include <string.h>

#define CP_PD_SMS 0x09
#define CP_DATA 0x01
#define CP_ACK 0x04
#define CP_ERROR 0x10

#define RP_DATA_MO 0
#define RP_DATA_MT 1
#define RP_ACK_MO 2
#define RP_ERROR_MO 4
#define RP_SMMA 6
#define RP_IEI_USER_DATA 0x41

/* ------------------------------------------------------------ names */

const char *pdu_kind_name(int kind)
{
    switch (kind) {
    case PDU_SMS_SUBMIT:
        return "SMS-SUBMIT";
    case PDU_SMS_DELIVER:
        return "SMS-DELIVER";
    case PDU_SMS_STATUS_REPORT:
        return "SMS-STATUS-REPORT";
    case PDU_RP_ACK:
        return "RP-ACK";
    case PDU_RP_ERROR:
        return "RP-ERROR";
    case PDU_RP_SMMA:
        return "RP-SMMA";
    case PDU_CP_ACK:
        return "CP-ACK";
    case PDU_CP_ERROR:
        return "CP-ERROR";
    default:
        return "unknown";
    }
}

const char *pdu_wrap_name(int wrap)
{
    static const char *const names[] = {
        [PDU_WRAP_NONE] = "none", [PDU_WRAP_SMSC] = "smsc",
        [PDU_WRAP_RP] = "rp",     [PDU_WRAP_CP_RP] = "cp_rp",
        [PDU_WRAP_CP] = "cp",
    };

    if (wrap < 0 || (size_t)wrap >= sizeof names / sizeof names[0])
        return "unknown";
    return names[wrap];
}

static bool is_tpdu_kind(int kind)
{
    return kind == PDU_SMS_SUBMIT || kind == PDU_SMS_DELIVER ||
           kind == PDU_SMS_STATUS_REPORT;
}

static bool is_rp_kind(int kind)
{
    return kind == PDU_RP_ACK || kind == PDU_RP_ERROR || kind == PDU_RP_SMMA;
}

/* ------------------------------------------------------------ RP decode */

/* RP-DATA: the service centre's address on its side, the other empty. */
static int rp_data_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    struct pdu_addr oa, da;
    struct pdu_reader tpdu;
    size_t oa_at = r->pos, da_at;

    if (pdu_sc_addr_decode(r, "RP-OA", &oa) != 0)
        return -1;
    da_at = r->pos;
    if (pdu_sc_addr_decode(r, "RP-DA", &da) != 0)
        return -1;
    if (!s->rp_mt && oa.present)
        return pdu_fail(r->err, oa_at, "RP-OA length",
                        "must be 0 in an RP-DATA MS->network");
    if (s->rp_mt && da.present)
        return pdu_fail(r->err, da_at, "RP-DA length",
                        "must be 0 in an RP-DATA network->MS");
    s->smsc = s->rp_mt ? oa : da;
    if (pdu_read_lv(r, "RP-User-Data length", &tpdu) != 0 ||
        pdu_tpdu_decode(&tpdu, s->rp_mt ? PDU_DIR_MT : PDU_DIR_MO, s) != 0)
        return -1;
    return pdu_read_done(r, "RP-DATA");
}

/* The optional RP-User-Data element of RP-ACK / RP-ERROR (kept raw). */
static int rp_user_data_decode(struct pdu_reader *r, struct pdu_sms *s,
                               const char *what)
{
    struct pdu_reader ud;
    const uint8_t *v = NULL;
    uint8_t iei;

    if (r->pos == r->end)
        return 0;
    if (pdu_read_u8(r, "RP-User-Data IEI", &iei) != 0)
        return -1;
    if (iei != RP_IEI_USER_DATA)
        return pdu_reject(r, r->pos - 1, "RP-User-Data IEI",
                          "0x%02X is not RP-User-Data (0x41)", iei);
    if (pdu_read_lv(r, "RP-User-Data length", &ud) != 0)
        return -1;
    s->rp_ud_len = ud.end - ud.pos;
    if (pdu_read(&ud, s->rp_ud_len, "RP-User-Data", &v) != 0)
        return -1;
    s->rp_has_ud = true;
    memcpy(s->rp_ud, v, s->rp_ud_len);
    return pdu_read_done(r, what);
}

static int rp_error_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    struct pdu_reader cause;
    const uint8_t *v = NULL;
    size_t at = r->pos, n;

    if (pdu_read_lv(r, "RP-Cause length", &cause) != 0)
        return -1;
    n = cause.end - cause.pos;
    if (pdu_read(&cause, n, "RP-Cause", &v) != 0)
        return -1;
    if (n < 1 || n > 2)
        return pdu_fail(r->err, at, "RP-Cause length",
                        "%zu octets, expected 1 or 2", n);
    if (v[0] & 0x80)
        return pdu_reject(r, at + 1, "RP-Cause", "0x%02X: extension bit set",
                          v[0]);
    s->rp_cause = v[0];
    s->rp_has_diag = n == 2;
    s->rp_diag = s->rp_has_diag ? v[1] : 0;
    return rp_user_data_decode(r, s, "RP-ERROR");
}

static int rp_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    uint8_t mti;

    if (pdu_read_u8(r, "RP-MTI", &mti) != 0)
        return -1;
    if (mti > RP_SMMA)
        return pdu_reject(r, r->pos - 1, "RP-MTI",
                          "0x%02X is not an RP message type (0..6)", mti);
    s->rp_mt = (mti & 1) != 0;
    s->wrap = PDU_WRAP_RP;
    if (pdu_read_u8(r, "RP-MR", &s->rp_mr) != 0)
        return -1;
    switch (mti & ~1u) {
    case RP_DATA_MO:
        return rp_data_decode(r, s);
    case RP_ACK_MO:
        s->kind = PDU_RP_ACK;
        return rp_user_data_decode(r, s, "RP-ACK");
    case RP_ERROR_MO:
        s->kind = PDU_RP_ERROR;
        return rp_error_decode(r, s);
    default:
        s->kind = PDU_RP_SMMA;
        return pdu_read_done(r, "RP-SMMA");
    }
}

/* ------------------------------------------------------------ CP decode */

static int cp_decode(struct pdu_reader *r, struct pdu_sms *s)
{
    struct pdu_reader rp;
    uint8_t pd, mt;

    if (pdu_read_u8(r, "CP-PD", &pd) != 0)
        return -1;
    if ((pd & 0x0F) != CP_PD_SMS)
        return pdu_reject(r, 0, "CP-PD",
                          "protocol discriminator %u is not 9 (SMS)",
                          pd & 0x0Fu);
    s->cp_ti = (uint8_t)(pd >> 4);
    if (pdu_read_u8(r, "CP message type", &mt) != 0)
        return -1;
    s->wrap = PDU_WRAP_CP;
    if (mt == CP_ACK) {
        s->kind = PDU_CP_ACK;
        return pdu_read_done(r, "CP-ACK");
    }
    if (mt == CP_ERROR) {
        s->kind = PDU_CP_ERROR;
        if (pdu_read_u8(r, "CP-Cause", &s->cp_cause) != 0)
            return -1;
        return pdu_read_done(r, "CP-ERROR");
    }
    if (mt != CP_DATA)
        return pdu_reject(r, 1, "CP message type",
                          "0x%02X is not CP-DATA, CP-ACK or CP-ERROR", mt);
    if (pdu_read_lv(r, "CP-User-Data length", &rp) != 0 || rp_decode(&rp, s) != 0)
        return -1;
    s->wrap = PDU_WRAP_CP_RP;
    return pdu_read_done(r, "CP-DATA");
}

/* ------------------------------------------------------------ shapes */

static int shape_smsc(struct pdu_reader *r, struct pdu_sms *s)
{
    s->wrap = PDU_WRAP_SMSC;
    if (pdu_sc_addr_decode(r, "SMSC address", &s->smsc) != 0)
        return -1;
    return pdu_tpdu_decode(r, PDU_DIR_ANY, s);
}

static int shape_tpdu(struct pdu_reader *r, struct pdu_sms *s)
{
    s->wrap = PDU_WRAP_NONE;
    return pdu_tpdu_decode(r, PDU_DIR_ANY, s);
}

typedef int (*shape_fn)(struct pdu_reader *, struct pdu_sms *);

/* In the order pdu_decode tries them. */
static const shape_fn shapes[] = {cp_decode, rp_decode, shape_smsc,
                                  shape_tpdu};

/* The reading of a wrap (CP and CP + RP are both read as a CP message). */
static shape_fn shape_of(int wrap)
{
    switch (wrap) {
    case PDU_WRAP_NONE:
        return shape_tpdu;
    case PDU_WRAP_SMSC:
        return shape_smsc;
    case PDU_WRAP_RP:
        return rp_decode;
    case PDU_WRAP_CP_RP:
    case PDU_WRAP_CP:
        return cp_decode;
    default:
        return NULL;
    }
}

/* A cleared result whose DCS-derived fields describe TP-DCS 0x00. */
static void sms_clear(struct pdu_sms *s)
{
    struct pdu_dcs d;

    memset(s, 0, sizeof *s);
    pdu_dcs_parse(0, &d);
    s->charset = d.charset;
    s->coding_group = d.coding_group;
}

/* One reading of the whole input; *reached = how far it got. */
static int read_as(shape_fn shape, const uint8_t *p, size_t len,
                   struct pdu_sms *out, struct pdu_error *err, size_t *reached)
{
    struct pdu_reader r = {
        .p = p, .pos = 0, .end = len, .err = err, .reached = reached};

    *reached = 0;
    sms_clear(out);
    if (shape(&r, out) == 0)
        return 0;
    memset(out, 0, sizeof *out);
    return -1;
}

/* Empty or oversized input. */
static int input_check(size_t len, struct pdu_error *err)
{
    if (len == 0)
        return pdu_fail(err, 0, "input", "the PDU is empty");
    if (len > PDU_MAX_BYTES)
        return pdu_fail(err, PDU_MAX_BYTES, "input", "%zu octets exceed %d",
                        len, PDU_MAX_BYTES);
    return 0;
}

int pdu_decode(const uint8_t *p, size_t len, struct pdu_sms *out,
               struct pdu_error *err)
{
    struct pdu_error local, e;
    size_t reached, best = 0;

    if (err == NULL)
        err = &local;
    memset(out, 0, sizeof *out);
    if (input_check(len, err) != 0)
        return -1;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (read_as(shapes[i], p, len, out, &e, &reached) == 0)
            return 0;
        if (i == 0 || reached >= best) {
            *err = e;
            best = reached;
        }
    }
    return -1;
}

int pdu_decode_shape(const uint8_t *p, size_t len, int wrap,
                     struct pdu_sms *out, struct pdu_error *err)
{
    struct pdu_error local;
    shape_fn shape = shape_of(wrap);
    size_t reached;

    if (err == NULL)
        err = &local;
    memset(out, 0, sizeof *out);
    if (shape == NULL)
        return pdu_fail(err, 0, "wrap", "%d is not an enum pdu_wrap", wrap);
    if (input_check(len, err) != 0)
        return -1;
    return read_as(shape, p, len, out, err, &reached);
}

int pdu_decode_hex(const char *hex, struct pdu_sms *out, struct pdu_error *err)
{
    uint8_t buf[PDU_MAX_BYTES];
    struct pdu_error local;
    size_t len = strnlen(hex, 2 * PDU_MAX_BYTES + 1), n = 0, bad = 0;

    if (err == NULL)
        err = &local;
    memset(out, 0, sizeof *out);
    if (len > 2 * PDU_MAX_BYTES)
        return pdu_fail(err, PDU_MAX_BYTES, "input",
                        "more than %d octets (%d hex digits)", PDU_MAX_BYTES,
                        2 * PDU_MAX_BYTES);
    if (pdu_hex_parse(hex, len, buf, sizeof buf, &n, &bad) == 0)
        return pdu_decode(buf, n, out, err);
    if (bad == len)
        return pdu_fail(err, len / 2, "hex", "odd number of hex digits (%zu)",
                        len);
    return pdu_fail(err, bad / 2, "hex",
                    "character %zu (0x%02X) is not a hex digit", bad,
                    (unsigned char)hex[bad]);
}

/* ------------------------------------------------------------ encode */

/* Writes a length octet now and fills it in once the element is done. */
static size_t lv_open(struct pdu_writer *w, const char *field, int *rc)
{
    size_t at = w->len;

    *rc = pdu_write_u8(w, 0, field);
    return at;
}

static void lv_close(struct pdu_writer *w, size_t at)
{
    w->p[at] = (uint8_t)(w->len - at - 1);
}

static int rp_data_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    bool mt = in->kind != PDU_SMS_SUBMIT;
    static const struct pdu_addr none;
    size_t at;
    int rc;

    if (pdu_write_u8(w, mt ? RP_DATA_MT : RP_DATA_MO, "RP-MTI") != 0 ||
        pdu_write_u8(w, in->rp_mr, "RP-MR") != 0 ||
        pdu_sc_addr_encode(w, "RP-OA", mt ? &in->smsc : &none) != 0 ||
        pdu_sc_addr_encode(w, "RP-DA", mt ? &none : &in->smsc) != 0)
        return -1;
    at = lv_open(w, "RP-User-Data length", &rc);
    if (rc != 0 || pdu_tpdu_encode(w, in) != 0)
        return -1;
    lv_close(w, at);
    return 0;
}

static int rp_user_data_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    if (!in->rp_has_ud)
        return 0;
    if (in->rp_ud_len > sizeof in->rp_ud)
        return pdu_fail(w->err, w->len, "RP-User-Data", "%zu octets exceed %zu",
                        in->rp_ud_len, sizeof in->rp_ud);
    if (pdu_write_u8(w, RP_IEI_USER_DATA, "RP-User-Data IEI") != 0 ||
        pdu_write_u8(w, (uint8_t)in->rp_ud_len, "RP-User-Data length") != 0)
        return -1;
    return pdu_write(w, in->rp_ud, in->rp_ud_len, "RP-User-Data");
}

static int rp_error_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    if (in->rp_cause & 0x80)
        return pdu_fail(w->err, w->len, "RP-Cause", "%u exceeds 127",
                        in->rp_cause);
    if (pdu_write_u8(w, in->rp_has_diag ? 2 : 1, "RP-Cause length") != 0 ||
        pdu_write_u8(w, in->rp_cause, "RP-Cause") != 0 ||
        (in->rp_has_diag && pdu_write_u8(w, in->rp_diag, "RP-Cause") != 0))
        return -1;
    return rp_user_data_encode(w, in);
}

/* RP-MTI of an RP kind in the MS->network direction. */
static uint8_t rp_mti_base(int kind)
{
    return kind == PDU_RP_ACK ? RP_ACK_MO
                              : kind == PDU_RP_ERROR ? RP_ERROR_MO : RP_SMMA;
}

static int rp_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    uint8_t mt = in->rp_mt ? 1 : 0;

    if (is_tpdu_kind(in->kind))
        return rp_data_encode(w, in);
    if (in->kind == PDU_RP_SMMA && in->rp_mt)
        return pdu_fail(w->err, w->len, "RP-MTI",
                        "RP-SMMA travels MS->network only");
    if (pdu_write_u8(w, (uint8_t)(rp_mti_base(in->kind) | mt), "RP-MTI") != 0 ||
        pdu_write_u8(w, in->rp_mr, "RP-MR") != 0)
        return -1;
    if (in->kind == PDU_RP_SMMA)
        return 0;
    return in->kind == PDU_RP_ACK ? rp_user_data_encode(w, in)
                                  : rp_error_encode(w, in);
}

static int cp_encode(struct pdu_writer *w, const struct pdu_sms *in)
{
    size_t at;
    int rc;

    if (in->cp_ti > 15)
        return pdu_fail(w->err, w->len, "CP-PD", "transaction id %u exceeds 15",
                        in->cp_ti);
    if (pdu_write_u8(w, (uint8_t)(in->cp_ti << 4 | CP_PD_SMS), "CP-PD") != 0)
        return -1;
    if (in->kind == PDU_CP_ACK)
        return pdu_write_u8(w, CP_ACK, "CP message type");
    if (in->kind == PDU_CP_ERROR) {
        if (pdu_write_u8(w, CP_ERROR, "CP message type") != 0)
            return -1;
        return pdu_write_u8(w, in->cp_cause, "CP-Cause");
    }
    if (pdu_write_u8(w, CP_DATA, "CP message type") != 0)
        return -1;
    at = lv_open(w, "CP-User-Data length", &rc);
    if (rc != 0 || rp_encode(w, in) != 0)
        return -1;
    lv_close(w, at);
    return 0;
}

/* Whether kind may travel with wrap (see pdu_encode in server/pdu.h). */
static bool wrap_allowed(int kind, int wrap)
{
    if (is_tpdu_kind(kind))
        return wrap >= PDU_WRAP_NONE && wrap <= PDU_WRAP_CP_RP;
    if (is_rp_kind(kind))
        return wrap == PDU_WRAP_RP || wrap == PDU_WRAP_CP_RP;
    return (kind == PDU_CP_ACK || kind == PDU_CP_ERROR) && wrap == PDU_WRAP_CP;
}

static int encode_any(struct pdu_writer *w, const struct pdu_sms *in)
{
    if (!wrap_allowed(in->kind, in->wrap))
        return pdu_fail(w->err, 0, "wrap", "%s (%d) cannot travel as wrap %s",
                        pdu_kind_name(in->kind), in->kind,
                        pdu_wrap_name(in->wrap));
    switch (in->wrap) {
    case PDU_WRAP_NONE:
        return pdu_tpdu_encode(w, in);
    case PDU_WRAP_SMSC:
        if (pdu_sc_addr_encode(w, "SMSC address", &in->smsc) != 0)
            return -1;
        return pdu_tpdu_encode(w, in);
    case PDU_WRAP_RP:
        return rp_encode(w, in);
    default:
        return cp_encode(w, in);
    }
}

int pdu_encode(const struct pdu_sms *in, uint8_t *out, size_t cap,
               struct pdu_error *err)
{
    uint8_t buf[PDU_MAX_BYTES];
    struct pdu_error local;
    struct pdu_writer w = {.p = buf, .len = 0, .cap = sizeof buf};

    w.err = err != NULL ? err : &local;
    if (encode_any(&w, in) != 0)
        return -1;
    if (w.len > cap)
        return pdu_fail(w.err, cap, "output", "%zu octets do not fit in %zu",
                        w.len, cap);
    memcpy(out, buf, w.len);
    return (int)w.len;
}

int pdu_encode_hex(const struct pdu_sms *in, char *out, size_t cap,
                   struct pdu_error *err)
{
    uint8_t buf[PDU_MAX_BYTES];
    struct pdu_error local;
    int n = pdu_encode(in, buf, sizeof buf, err != NULL ? err : &local);

    if (n < 0)
        return -1;
    if (2 * (size_t)n + 1 > cap)
        return pdu_fail(err != NULL ? err : &local, (size_t)n, "output",
                        "%d hex digits and a NUL do not fit in %zu", 2 * n,
                        cap);
    pdu_hex_format(buf, (size_t)n, out);
    return 2 * n;
}
