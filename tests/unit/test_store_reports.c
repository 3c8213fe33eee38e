/* Unit tests of the state machine's status reports (raft_store/reports.c),
 * RP-SMMA (CMD_SMMA) and raw SMS-SUBMIT retransmissions (mr_key / TP-RD):
 * one report per move into a final state with the right TP-ST, decodable
 * as an SMS-STATUS-REPORT; SMMA makes only the subscriber's backed-off
 * messages due; a retransmission is answered with the stored message or
 * refused with 409. */
#include "tests/unit/store_fixture.h"

#include "server/pdu.h"

/* The reports stored for message id, in id order (at most 8). */
static size_t reports_of(struct store *s, int64_t id, const struct msg **out)
{
    struct msg_filter f = {.status = -1, .limit = 1000};
    const struct msg *all[1000];
    size_t n = store_list(s, &f, all), k = 0;
    for (size_t i = 0; i < n && k < 8; i++)
        if (all[i]->d.status_report_for == id)
            out[k++] = all[i];
    return k;
}

static int64_t create_srr(struct store *s, int64_t now, int32_t tp_mr)
{
    struct cmd c = create_cmd(X, "gw", ACT_FORWARD);
    c.u.create.m.status_report_requested = true;
    c.u.create.m.tp_mr = tp_mr;
    return create_ok(s, now, &c);
}

/* The report's TPDU decodes as an SMS-STATUS-REPORT with this TP-ST. */
static void assert_report_pdu(const struct msg *rep, uint8_t st, uint8_t mr)
{
    struct pdu_sms p;
    struct pdu_error err;
    assert_non_null(rep->d.raw_pdu);
    assert_int_equal(pdu_decode_hex(rep->d.raw_pdu, &p, &err), 0);
    assert_int_equal(p.kind, PDU_SMS_STATUS_REPORT);
    assert_int_equal(p.st, st);
    assert_int_equal(p.mr, mr);
    assert_string_equal(p.da.text, X);
}

static void test_delivered_report(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t id = create_srr(s, T0, 77);
    assert_int_equal(by_id(s, T0 + 1, CMD_MSG_DELIVERED, id).status, 200);
    assert_int_equal(by_id(s, T0 + 2, CMD_MSG_DELIVERED, id).status, 409);
    const struct msg *rep[8];
    assert_int_equal(reports_of(s, id, rep), 1);
    assert_string_equal(rep[0]->d.destination_msisdn, FROM);
    assert_string_equal(rep[0]->d.source_msisdn, X);
    assert_string_equal(rep[0]->d.dest_smsc, "api_client");
    assert_false(rep[0]->d.status_report_requested);
    assert_int_equal(rep[0]->d.status, MSG_PENDING);
    assert_report_pdu(rep[0], PDU_ST_DELIVERED, 77);
    static const char *const names[] = {"message_inserted", "message_routed",
                                        "message_delivered",
                                        "status_report_sent", NULL};
    assert_events(s, id, names, NODE);
    /* the report is in its frontend's queue */
    assert_int_equal(fetch(s, "api_client", false), 1);
    store_free(s);
}

static void test_expired_failed_dropped_reports(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_settings st;
    store_settings_defaults(&st);
    st.max_delivery_attempts = 1;
    set_settings(s, T0, &st);
    /* expired on a tick */
    struct cmd c = create_cmd(X, "gw", ACT_FORWARD);
    c.u.create.m.status_report_requested = true;
    c.u.create.m.expires = T0 + MIN;
    int64_t expired = create_ok(s, T0, &c);
    /* failed after max_delivery_attempts */
    int64_t failed = create_srr(s, T0, -1);
    assert_int_equal(by_id(s, T0 + 1, CMD_MSG_RETRY, failed).status, 200);
    /* dropped by DELETE: reported before it leaves the store */
    int64_t dropped = create_srr(s, T0, 3);
    assert_int_equal(by_id(s, T0 + 2, CMD_MSG_DELETE, dropped).status, 204);
    tick(s, T0 + 2 * MIN);
    const struct msg *rep[8];
    assert_int_equal(reports_of(s, expired, rep), 1);
    assert_report_pdu(rep[0], PDU_ST_EXPIRED, (uint8_t)(expired & 0xff));
    assert_int_equal(reports_of(s, failed, rep), 1);
    assert_report_pdu(rep[0], PDU_ST_FAILED, (uint8_t)(failed & 0xff));
    assert_int_equal(reports_of(s, dropped, rep), 1);
    assert_report_pdu(rep[0], 0x48, 3);
    store_free(s);
}

static void test_no_report_unless_asked_or_answerable(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t plain = create(s, T0, X, "gw");
    assert_int_equal(by_id(s, T0 + 1, CMD_MSG_DELIVERED, plain).status, 200);
    struct cmd c = create_cmd(X, "gw", ACT_FORWARD);
    c.u.create.m.status_report_requested = true;
    free(c.u.create.m.source_msisdn);
    c.u.create.m.source_msisdn = strdup("MyBank"); /* cannot be answered */
    int64_t alpha = create_ok(s, T0, &c);
    assert_int_equal(by_id(s, T0 + 1, CMD_MSG_DELIVERED, alpha).status, 200);
    const struct msg *rep[8];
    assert_int_equal(reports_of(s, plain, rep), 0);
    assert_int_equal(reports_of(s, alpha, rep), 0);
    store_free(s);
}

static void test_dropped_on_arrival_reports(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct cmd c = create_cmd(X, NULL, ACT_DROP);
    c.u.create.m.status_report_requested = true;
    int64_t id = create_ok(s, T0, &c);
    const struct msg *rep[8];
    assert_int_equal(reports_of(s, id, rep), 1);
    assert_report_pdu(rep[0], 0x48, (uint8_t)(id & 0xff));
    store_free(s);
}

static struct store_result smma(struct store *s, int64_t now,
                                const char *msisdn)
{
    struct cmd c;
    cmd_init(&c, CMD_SMMA);
    c.node = strdup(NODE);
    c.u.msisdn = strdup(msisdn);
    return one(s, now, &c);
}

static void test_smma_releases_only_backed_off_messages(void **state)
{
    (void)state;
    struct store *s = store_new();
    int64_t waiting = create(s, T0, X, "gw");
    int64_t ready = create(s, T0, X, "gw");
    int64_t other = create(s, T0, Y, "gw");
    assert_int_equal(by_id(s, T0 + 1, CMD_MSG_RETRY, waiting).status, 200);
    assert_int_equal(by_id(s, T0 + 1, CMD_MSG_RETRY, other).status, 200);
    assert_int_equal(fetch(s, "gw", false), 1); /* only `ready` */
    struct store_result r = smma(s, T0 + 2, X);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.id, 1);
    assert_int_equal(fetch(s, "gw", false), 2);
    assert_string_equal(store_get(s, waiting)->d.message_body, "Hello World");
    assert_int_equal(smma(s, T0 + 3, X).id, 0);      /* nothing left */
    assert_int_equal(smma(s, T0 + 3, "+1999").id, 0); /* unknown */
    (void)ready;
    store_free(s);
}

static struct store_result submit(struct store *s, int64_t now, uint64_t key,
                                  bool rd)
{
    struct cmd c = create_cmd(X, "gw", ACT_FORWARD);
    c.u.create.mr_key = key;
    c.u.create.tp_rd = rd;
    c.u.create.m.tp_mr = 5;
    return one(s, now, &c);
}

static void test_retransmission(void **state)
{
    (void)state;
    struct store *s = store_new();
    struct store_result a = submit(s, T0, 0xabc, false);
    assert_int_equal(a.status, 201);
    struct store_result b = submit(s, T0 + 1, 0xabc, false);
    assert_int_equal(b.status, 200);
    assert_int_equal(b.id, a.id);
    struct store_result c = submit(s, T0 + 2, 0xabc, true);
    assert_int_equal(c.status, 409);
    assert_non_null(strstr(c.detail, "TP-RD"));
    assert_int_equal(submit(s, T0 + 3, 0xdef, true).status, 201);
    /* outside fingerprint_ttl_minutes (5) it is a new message */
    struct store_result d = submit(s, T0 + 6 * MIN, 0xabc, true);
    assert_int_equal(d.status, 201);
    assert_true(d.id != a.id);
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivered_report),
        cmocka_unit_test(test_expired_failed_dropped_reports),
        cmocka_unit_test(test_no_report_unless_asked_or_answerable),
        cmocka_unit_test(test_dropped_on_arrival_reports),
        cmocka_unit_test(test_smma_releases_only_backed_off_messages),
        cmocka_unit_test(test_retransmission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
