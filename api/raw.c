/* raw — POST /api/messages_raw and /api/messages_raw/async (SPEC §4
 * "Raw SMS PDU").
 *
 * The body carries a PDU in hex (server/pdu.h decodes it) and the fields a
 * PDU cannot: source_smsc, and the numbers or IMSIs the PDU leaves out.
 * An SMS-SUBMIT (from a handset) or SMS-DELIVER becomes a message and
 * takes the same path as a JSON submission (translation, routing, storage);
 * the original PDU is kept in raw_pdu.  Control messages create none:
 * CP-ACK, CP-ERROR, RP-ACK, RP-ERROR (logged) and SMS-STATUS-REPORT are
 * answered at once; RP-SMMA is a replicated write making the subscriber's
 * waiting messages deliverable now.  A repeated SMS-SUBMIT (same
 * originator, TP-MR and destination within fingerprint_ttl_minutes) is a
 * retransmission: the state machine answers with the stored message, or 409
 * when the PDU sets TP-RD.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/pdu.h"
#include "server/smstext.h"

/* A decoded submission: the PDU and the message it makes. */
struct raw_in {
    struct pdu_sms pdu;
    struct cmd cmd;      /* CMD_MSG_CREATE, or CMD_SMMA */
    bool control;        /* answered without a write */
};

static void hex_of(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The MSISDN registered for an IMSI, or NULL. */
static char *msisdn_of_imsi(struct api_req *r, const char *imsi)
{
    if (imsi == NULL)
        return NULL;
    store_rdlock(r->t->api->store);
    const struct location_rec *l =
        store_location_by_imsi(r->t->api->store, imsi);
    char *m = l && l->msisdn ? xstrdup(l->msisdn) : NULL;
    store_rdunlock(r->t->api->store);
    return m;
}

static void take_addr(char **dst, const struct pdu_addr *a)
{
    if (*dst == NULL && a->present && a->text[0])
        *dst = xstrdup(a->text);
}

/* The TS 23.038 fields and the user data of p into d. */
static void fill_coding(struct msg_data *d, const struct pdu_sms *p)
{
    char dcs[3];
    hex_of(&p->dcs, 1, dcs);
    d->tp_data_coding_scheme = xstrdup(dcs);
    d->tp_dcs_coding_group = xstrdup(p->coding_group);
    d->charset = (uint8_t)p->charset;
    d->tp_dcs_compressed = p->compressed;
    d->tp_dcs_has_message_class = p->has_class;
    d->tp_dcs_message_class = p->has_class ? p->msg_class : MSG_CLASS_NONE;
    d->message_body = xstrdup(p->text);
    if (p->udh_len > 0) {
        uint8_t udh[PDU_UDH_MAX + 1];
        udh[0] = (uint8_t)p->udh_len;
        memcpy(udh + 1, p->udh, p->udh_len);
        char *hex = xmalloc(2 * (p->udh_len + 1) + 1);
        hex_of(udh, p->udh_len + 1, hex);
        d->tp_user_data_header = hex;
    }
    if (p->concat.present) {
        d->message_parts = p->concat.total;
        d->message_part_number = p->concat.seq;
    }
}

/* The validity period of an SMS-SUBMIT as an expiry time. */
static int64_t expiry_of(const struct pdu_vp *vp)
{
    switch (vp->format) {
    case 1:
    case 2:
        return vp->seconds > 0 ? time_now_ms() + vp->seconds * 1000 : TIME_NULL;
    case 3:
        return vp->absolute_ms;
    default:
        return TIME_NULL;
    }
}

/* Originator, TP-MR and destination of an SMS-SUBMIT, hashed; 0 when the
 * originator is unknown (no retransmission check then). */
static uint64_t retransmission_key(const struct msg_data *d,
                                   const struct pdu_sms *p)
{
    const char *from = d->source_msisdn ? d->source_msisdn : d->source_imsi;
    if (from == NULL)
        return 0;
    char key[256];
    int n = snprintf(key, sizeof key, "tp-mr\x1f%s\x1f%u\x1f%s", from, p->mr,
                     d->destination_msisdn ? d->destination_msisdn : "");
    return hash_stable(key, (size_t)n);
}

/* The message a SUBMIT or DELIVER makes, into in->cmd; an HTTP status
 * and err on failure.  Off the leader a number that only the location
 * registry can give is not required yet: the leader's replica decides. */
static int make_message(struct api_req *r, struct raw_in *in, bool leader,
                        char *err, size_t errlen)
{
    struct cmd_create *cr = &in->cmd.u.create;
    struct msg_data *d = &cr->m;
    const struct pdu_sms *p = &in->pdu;
    if (p->kind == PDU_SMS_SUBMIT) {
        take_addr(&d->destination_msisdn, &p->da);
        if (d->source_msisdn == NULL)
            d->source_msisdn = msisdn_of_imsi(r, d->source_imsi);
        d->tp_mr = p->mr;
        d->expires = expiry_of(&p->vp);
        cr->tp_rd = p->rd;
        cr->mr_key = retransmission_key(d, p);
    } else {
        take_addr(&d->source_msisdn, &p->oa);
        if (d->destination_msisdn == NULL)
            d->destination_msisdn = msisdn_of_imsi(r, d->dest_imsi);
    }
    if (!leader && ((d->destination_msisdn == NULL && d->dest_imsi) ||
                    (d->source_msisdn == NULL && d->source_imsi)))
        return 0;
    if (d->destination_msisdn == NULL) {
        snprintf(err, errlen, "destination_msisdn is required: an %s "
                              "carries none (or give dest_imsi of a "
                              "registered subscriber)",
                 pdu_kind_name(p->kind));
        return 422;
    }
    if (d->source_msisdn == NULL) {
        snprintf(err, errlen, "source_msisdn is required: the originator is "
                              "not in the PDU and source_imsi is not "
                              "registered");
        return 422;
    }
    fill_coding(d, p);
    d->status_report_requested = p->srr;
    d->raw_data_flag = true;
    return 0;
}

/* Parses and decodes the request into *in; false after replying. */
static bool decode(struct api_req *r, struct raw_in *in, bool leader)
{
    char err[256];
    char *hex = NULL;
    memset(in, 0, sizeof *in);
    if (api_parse_body(r, false) != 0)
        return false;
    cmd_init(&in->cmd, CMD_MSG_CREATE);
    int st = msg_raw_from_json(r->body, &in->cmd.u.create.m, &hex, err,
                               sizeof err);
    struct pdu_error perr;
    if (st == 0 && pdu_decode_hex(hex, &in->pdu, &perr) != 0) {
        snprintf(err, sizeof err, "pdu: %s", perr.detail);
        st = 422;
    }
    if (st == 0) {
        int kind = in->pdu.kind;
        if (kind == PDU_SMS_SUBMIT || kind == PDU_SMS_DELIVER) {
            st = make_message(r, in, leader, err, sizeof err);
            for (char *c = hex; st == 0 && *c; c++)
                *c = (char)(*c >= 'a' && *c <= 'f' ? *c - 32 : *c);
            in->cmd.u.create.m.raw_pdu = hex;
            hex = NULL;
        } else {
            in->control = kind != PDU_RP_SMMA;
        }
    }
    free(hex);
    if (st != 0) {
        cmd_free(&in->cmd);
        api_reply_error(r, st, "%s", err);
        return false;
    }
    return true;
}

/* ---- control messages ---- */

static void reply_control(struct api_req *r, const struct pdu_sms *p)
{
    json_t *j = json_pack("{s:s,s:s}", "type", pdu_kind_name(p->kind),
                          "source_smsc",
                          json_string_value(
                              json_object_get(r->body, "source_smsc")));
    if (p->kind == PDU_CP_ACK || p->kind == PDU_CP_ERROR)
        json_object_set_new(j, "transaction_id", json_integer(p->cp_ti));
    if (p->kind == PDU_CP_ERROR)
        json_object_set_new(j, "cause", json_integer(p->cp_cause));
    if (p->kind == PDU_RP_ACK || p->kind == PDU_RP_ERROR)
        json_object_set_new(j, "message_reference", json_integer(p->rp_mr));
    if (p->kind == PDU_RP_ERROR)
        json_object_set_new(j, "cause", json_integer(p->rp_cause));
    if (p->kind == PDU_SMS_STATUS_REPORT) {
        json_object_set_new(j, "message_reference", json_integer(p->mr));
        json_object_set_new(j, "status", json_integer(p->st));
    }
    if (p->kind == PDU_RP_ERROR || p->kind == PDU_CP_ERROR)
        log_info("raw: %s cause %u from %s (request_id=%s)",
                 pdu_kind_name(p->kind),
                 p->kind == PDU_RP_ERROR ? p->rp_cause : p->cp_cause,
                 json_string_value(json_object_get(r->body, "source_smsc")),
                 r->rid);
    api_reply_data(r, 200, j);
}

static void smma_done(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    json_t *b = r->body;
    api_reply_data(r, 200,
                   json_pack("{s:s,s:O,s:I}", "type", "RP-SMMA", "msisdn",
                             json_object_get(b, "__msisdn"), "released",
                             (json_int_t)res->id));
}

/* RP-SMMA names no one: the subscriber is the body's source_msisdn, or the
 * MSISDN registered for its source_imsi. */
static bool smma_cmd(struct api_req *r, struct raw_in *in)
{
    const struct msg_data *d = &in->cmd.u.create.m;
    char *msisdn = d->source_msisdn ? xstrdup(d->source_msisdn)
                                    : msisdn_of_imsi(r, d->source_imsi);
    cmd_free(&in->cmd);
    if (msisdn == NULL) {
        api_reply_error(r, 422, "source_msisdn (or the source_imsi of a "
                                "registered subscriber) is required for "
                                "RP-SMMA");
        return false;
    }
    json_object_set_new(r->body, "__msisdn", json_string(msisdn));
    cmd_init(&in->cmd, CMD_SMMA);
    in->cmd.u.msisdn = msisdn;
    api_set_cmd(r, &in->cmd);
    r->cont = smma_done;
    return true;
}

/* ---- handlers ---- */

/* On the leader: decode again, decide, propose. */
static void raw_on_leader(struct api_req *r)
{
    struct raw_in in;
    if (!decode(r, &in, true))
        return;
    if (in.control) {
        cmd_free(&in.cmd);
        reply_control(r, &in.pdu);
    } else if (in.pdu.kind == PDU_RP_SMMA) {
        if (smma_cmd(r, &in))
            api_propose(r);
    } else if (api_create_finish(r, &in.cmd, true)) {
        api_propose(r);
    }
}

void h_messages_raw(struct api_req *r)
{
    r->leader_action = raw_on_leader;
    if (!node_is_leader(r->t->api->node)) {
        struct raw_in in;
        if (!decode(r, &in, false))
            return;
        cmd_free(&in.cmd);
        if (in.control) {
            reply_control(r, &in.pdu);
            return;
        }
    }
    api_write(r, api_reply_record);
}

void h_messages_raw_async(struct api_req *r)
{
    struct raw_in in;
    if (!decode(r, &in, true))
        return;
    if (in.control) {
        cmd_free(&in.cmd);
        reply_control(r, &in.pdu);
        return;
    }
    if (in.pdu.kind == PDU_RP_SMMA) {
        cmd_free(&in.cmd);
        h_messages_raw(r); /* a write answered when done: never queued */
        return;
    }
    if (r->key_kind == KEY_NONE)
        r->key_kind = KEY_NODE; /* the background path may resend it */
    if (api_create_finish(r, &in.cmd, true))
        api_accept_async(r, "/api/messages_raw");
}
