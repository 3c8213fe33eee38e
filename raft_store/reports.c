/* reports — status reports (SPEC §5, TS 23.040 SMS-STATUS-REPORT).
 *
 * When a message that asked for one (status_report_requested) reaches a
 * final state, the state machine stores a report in the same command: a
 * new message to the originator, routed back to the frontend it came from
 * (dest_smsc = its source_smsc), with status_report_for = the original and
 * the SMS-STATUS-REPORT TPDU in raw_pdu (TP-MR of the original submit,
 * TP-RA its destination, TP-SCTS its arrival, TP-DT now, TP-ST by outcome).
 * A report never asks for a report, and an originator that is not a phone
 * number (an alphanumeric sender) gets none.  Deterministic: everything
 * comes from the message and the state machine's clock.
 */
#include "raft_store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"
#include "server/pdu.h"
#include "server/smstext.h"

#define REPORT_SMSC "status_report"

static uint8_t tp_status(int status)
{
    switch (status) {
    case MSG_DELIVERED: return PDU_ST_DELIVERED;
    case MSG_EXPIRED: return PDU_ST_EXPIRED;
    case MSG_DROPPED: return 0x48; /* SM deleted by SC administration */
    default: return PDU_ST_FAILED;
    }
}

static void set_addr(struct pdu_addr *a, const char *number)
{
    snprintf(a->text, sizeof a->text, "%s", number);
    a->ton = number[0] == '+' ? 1 : 0;
    a->npi = 1;
    a->present = true;
}

/* The SMS-STATUS-REPORT TPDU as hex, or NULL when it cannot be encoded. */
static char *report_pdu(const struct store *s, const struct msg *m,
                        uint8_t st)
{
    struct pdu_sms p;
    memset(&p, 0, sizeof p);
    p.kind = PDU_SMS_STATUS_REPORT;
    p.wrap = PDU_WRAP_NONE;
    p.mr = (uint8_t)(m->d.tp_mr >= 0 ? m->d.tp_mr : m->id & 0xff);
    set_addr(&p.da, m->d.destination_msisdn);
    p.scts_ms = m->d.inserted_at;
    p.dt_ms = s->clock;
    p.st = st;
    char hex[2 * PDU_MAX_BYTES + 1];
    struct pdu_error err;
    if (pdu_encode_hex(&p, hex, sizeof hex, &err) < 0)
        return NULL;
    return xstrdup(hex);
}

void status_report(struct store *s, struct msg *m)
{
    const struct msg_data *o = &m->d;
    if (!o->status_report_requested || o->status_report_for != 0 ||
        !sms_valid_destination(o->source_msisdn) ||
        !sms_valid_destination(o->destination_msisdn))
        return;
    uint8_t st = tp_status(o->status);
    struct msg_data d;
    msg_data_init(&d);
    d.source_msisdn = xstrdup(o->destination_msisdn);
    d.destination_msisdn = xstrdup(o->source_msisdn);
    d.source_smsc = xstrdup(REPORT_SMSC);
    d.dest_smsc = o->source_smsc ? xstrdup(o->source_smsc) : NULL;
    char text[96];
    snprintf(text, sizeof text, "Message %lld %s", (long long)m->id,
             msg_status_name(o->status));
    d.message_body = xstrdup(text);
    d.tp_data_coding_scheme = xstrdup("00");
    d.charset = SMS_CS_GSM7;
    d.status_report_for = m->id;
    d.raw_pdu = report_pdu(s, m, st);
    d.origin_node = o->origin_node ? xstrdup(o->origin_node) : NULL;
    struct msg *r = store_insert_new(s, &d, d.dest_smsc ? ACT_CLIENT_DEST
                                                        : ACT_UNROUTED,
                                     NULL);
    events_add(s, m, EV_STATUS_REPORT, NULL, NULL,
               "Status report id=%lld (TP-ST 0x%02X) to %s", (long long)r->id,
               st, o->source_msisdn);
}
