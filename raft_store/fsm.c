/* fsm — applying commands to the store: the deterministic state machine.
 *
 * store_apply_entry() opens a group-commit entry, decodes every command
 * first (a malformed entry is rejected whole), advances the clock, then
 * applies each command under the write lock and records one result per
 * command.  A request id already applied within its window is answered
 * from the dedupe table instead.  Every status change goes through the
 * transitions table of msg.c; a forbidden move is 409.
 */
#include "raft_store/store_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "common/xalloc.h"

static void set_error(struct store_result *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct store_result *r, int status, const char *fmt, ...)
{
    va_list ap;
    r->status = status;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
}

static struct msg *find_or_404(struct store *s, int64_t id,
                               struct store_result *r)
{
    struct msg *m = store_find(s, id);
    r->id = id;
    if (m == NULL)
        set_error(r, 404, "Message not found");
    return m;
}

static void apply_init(struct store *s, struct cmd *c, struct store_result *r)
{
    r->status = 200;
    if (s->cluster_id != NULL)
        return; /* a later init: the first one won */
    s->cluster_id = c->u.init.cluster_id;
    c->u.init.cluster_id = NULL;
    s->settings = c->u.init.settings;
    store_tables_init(s, &c->u.init);
    store_rebuild_deadlines(s);
}

static void apply_event(struct store *s, struct cmd *c, struct store_result *r)
{
    struct cmd_event *e = &c->u.event;
    struct msg *m = find_or_404(s, e->id, r);
    if (m == NULL)
        return;
    events_add(s, m, EV_CUSTOM, e->name, e->source, "%s",
               e->description ? e->description : "");
    store_reindex(s, m); /* schedules the purge of the first event */
    r->status = 201;
}

static void apply_node_info(struct store *s, struct cmd *c,
                            struct store_result *r)
{
    struct cmd_node_info *ni = &c->u.node_info;
    struct store_node_info *n = store_node_put(s, ni->name);
    if (ni->api_url == NULL && n->api_url != NULL) {
        /* init's placeholder never replaces a member's own announcement */
        r->status = 200;
        return;
    }
    free(n->api_url);
    free(n->raft_address);
    n->api_url = ni->api_url;
    n->raft_address = ni->raft_address;
    n->raft_id = ni->raft_id;
    ni->api_url = ni->raft_address = NULL;
    r->status = 200;
}

static void apply_settings(struct store *s, struct cmd *c,
                           struct store_result *r)
{
    bool retime = s->settings.dead_letter_time_minutes !=
                      c->u.settings.dead_letter_time_minutes ||
                  s->settings.message_retention_hours !=
                      c->u.settings.message_retention_hours ||
                  s->settings.event_ttl_days != c->u.settings.event_ttl_days ||
                  s->settings.frontend_timeout_seconds !=
                      c->u.settings.frontend_timeout_seconds ||
                  s->settings.frontend_history_days !=
                      c->u.settings.frontend_history_days;
    s->settings = c->u.settings;
    if (retime)
        store_rebuild_deadlines(s);
    r->status = 200;
}

/* The first events of a new message: inserted, translated, and what
 * routing decided. */
static void record_arrival(struct store *s, struct msg *m, int action,
                           const char *note)
{
    const struct msg_data *d = &m->d;
    /* short: the numbers are on the record, and every stored message
     * carries this event */
    events_add(s, m, EV_INSERTED, NULL, NULL, "Received from %s",
               d->source_smsc ? d->source_smsc : "-");
    if (note != NULL)
        events_add(s, m, EV_TRANSLATED, NULL, NULL, "%s", note);
    switch (action) {
    case ACT_FORWARD:
        events_add(s, m, EV_ROUTED, NULL, NULL, "Routed to %s by route_id=%lld",
                   d->dest_smsc ? d->dest_smsc : "-", (long long)d->route_id);
        break;
    case ACT_CLIENT_DEST:
        if (d->status_report_for)
            events_add(s, m, EV_ROUTED, NULL, NULL,
                       "Status report routed back to %s",
                       d->dest_smsc ? d->dest_smsc : "-");
        else
            events_add(s, m, EV_ROUTED, NULL, NULL,
                       "Routed to %s (dest_smsc given by the client)",
                       d->dest_smsc ? d->dest_smsc : "-");
        break;
    case ACT_DROP:
        events_add(s, m, EV_DROPPED, NULL, NULL, "Dropped by route_id=%lld",
                   (long long)d->route_id);
        break;
    case ACT_AUTO_REPLY:
        break; /* apply_create records it with the reply's id */
    default:
        events_add(s, m, EV_ROUTING_FAILED, NULL, NULL,
                   "No route matched; waiting unrouted");
        break;
    }
    if (d->status == MSG_EXPIRED)
        events_add(s, m, EV_DEAD_LETTER, NULL, NULL,
                   "Expired on arrival (expires is in the past)");
}

/* Stores one new message (taking d over) and records its first events. */
struct msg *store_insert_new(struct store *s, struct msg_data *d, int action,
                             const char *note)
{
    struct msg *m = xcalloc(1, sizeof *m);
    m->id = s->next_id++;
    m->d = *d;
    msg_data_init(d);
    d = &m->d;
    d->inserted_at = d->updated_at = s->clock;
    if (d->send_time == TIME_NULL)
        d->send_time = s->clock;
    if (d->expires == TIME_NULL)
        d->expires = s->clock + 24 * 3600 * 1000LL;
    d->status = action == ACT_DROP ? MSG_DROPPED
              : action == ACT_AUTO_REPLY ? MSG_DELIVERED
                                         : MSG_PENDING;
    if (d->status == MSG_DELIVERED)
        d->deliver_time = s->clock;
    d->delivery_attempts = 0;
    m->lease_until = TIME_NULL;
    store_set_deliver_after(s, m, d->deliver_after);
    if (d->status == MSG_PENDING && d->expires <= s->clock) {
        d->status = MSG_EXPIRED; /* born past its expiry */
        d->deadletter = true;
    }
    m->final_at = d->status == MSG_PENDING ? TIME_NULL : s->clock;
    record_arrival(s, m, action, note);
    store_insert(s, m);
    if (d->status != MSG_PENDING && action != ACT_AUTO_REPLY)
        store_final(s, m); /* an auto-reply's comes after its event */
    return m;
}

/* The original of an auto-reply route is delivered at once; its reply (if
 * the sender can be answered) is stored in the same command. */
static void answer_auto_reply(struct store *s, struct msg *m,
                              struct cmd_create *cr, struct store_result *r)
{
    if (cr->reply == NULL) {
        events_add(s, m, EV_CUSTOM, "auto_reply_skipped", NULL,
                   "route_id=%lld: the sender %s cannot be answered",
                   (long long)m->d.route_id,
                   m->d.source_msisdn ? m->d.source_msisdn : "-");
    } else {
        struct msg *reply =
            store_insert_new(s, cr->reply, cr->reply_action, NULL);
        r->id2 = reply->id;
        events_add(s, m, EV_AUTO_REPLY, NULL, NULL,
                   "Auto-reply message id=%lld sent by route_id=%lld",
                   (long long)reply->id, (long long)m->d.route_id);
    }
    events_add(s, m, EV_DELIVERED, NULL, NULL, "Answered by auto-reply");
    store_final(s, m);
}

/* A raw SMS-SUBMIT repeating the originator, TP-MR and destination of one
 * received within fingerprint_ttl_minutes is a retransmission (TS 23.040
 * 9.2.3.25): answered with the stored message, or 409 with TP-RD set.
 * Returns true when it was one (r is then filled). */
static bool retransmission(struct store *s, const struct cmd_create *cr,
                           struct store_result *r)
{
    const struct dedupe_entry *e =
        cr->mr_key ? dedupe_find(s, cr->mr_key) : NULL;
    if (e == NULL)
        return false;
    r->id = e->id;
    if (cr->tp_rd) {
        set_error(r, 409,
                  "Duplicate message: TP-RD is set and message %lld has the "
                  "same originator, TP-MR and destination",
                  (long long)e->id);
    } else {
        r->status = 200;
        r->duplicate = true;
    }
    return true;
}

static void apply_create(struct store *s, struct cmd *c, struct store_result *r)
{
    struct cmd_create *cr = &c->u.create;
    if (retransmission(s, cr, r))
        return;
    if ((int64_t)s->by_status[MSG_PENDING] >=
        s->settings.max_pending_messages) {
        set_error(r, 503,
                  "Too many pending messages (max_pending_messages %" PRId64
                  " reached); retry later",
                  s->settings.max_pending_messages);
        return;
    }
    if (cr->action == ACT_UNROUTED && s->settings.reject_unrouted) {
        set_error(r, 422, "No route found");
        return;
    }
    struct msg *m = store_insert_new(s, &cr->m, cr->action, cr->xlat_note);
    r->status = 201;
    r->id = m->id;
    if (cr->action == ACT_AUTO_REPLY)
        answer_auto_reply(s, m, cr, r);
    if (cr->mr_key != 0)
        dedupe_add(s, cr->mr_key, KEY_CLIENT, r);
}

static void deliver(struct store *s, struct msg *m, int64_t when)
{
    store_set_status(s, m, MSG_DELIVERED);
    events_add(s, m, EV_DELIVERED, NULL, NULL, "Delivered via %s",
               m->d.dest_smsc ? m->d.dest_smsc : "-");
    m->d.deliver_time = when != TIME_NULL ? when : s->clock;
    if (m->d.destination_node == NULL && s->cur_node != NULL) {
        char *node = xstrdup(s->cur_node);
        store_msg_set_str(s, &m->d.destination_node, &node);
    }
    if (s->settings.delete_message_body_after_delivery) {
        free(m->d.message_body);
        m->d.message_body = NULL;
    }
    store_final(s, m);
}

/* Checks a PATCH before anything changes; returns false with r set. */
static bool patch_check(struct store *s, const struct msg *m,
                        const struct cmd_patch *p, struct store_result *r)
{
    int to = p->mask & PATCH_STATUS ? p->set.status : m->d.status;
    if (to != m->d.status && !msg_transition_allowed(m->d.status, to)) {
        set_error(r, 409, "Cannot change status from %s to %s",
                  msg_status_name(m->d.status), msg_status_name(to));
        return false;
    }
    if (to == MSG_PENDING && m->d.status != MSG_PENDING) {
        bool dead = p->mask & PATCH_DEADLETTER ? p->set.deadletter
                                                : m->d.deadletter;
        int64_t exp = p->mask & PATCH_EXPIRES ? p->set.expires : m->d.expires;
        if (dead || (exp != TIME_NULL && exp <= s->clock)) {
            set_error(r, 409,
                      "Requeue needs deadletter: false and a future expires");
            return false;
        }
    }
    return true;
}

/* A status change by PATCH, with its event. */
static void set_status_event(struct store *s, struct msg *m, int to)
{
    static const int codes[MSG_STATUS_COUNT] = {
        [MSG_FAILED] = EV_FAILED, [MSG_EXPIRED] = EV_DEAD_LETTER,
        [MSG_DROPPED] = EV_DROPPED, [MSG_REJECTED] = EV_FAILED,
    };
    const char *from = msg_status_name(m->d.status);
    store_set_status(s, m, to);
    if (to == MSG_PENDING)
        events_add(s, m, EV_CUSTOM, "message_requeued", NULL,
                   "Requeued from %s", from);
    else
        events_add(s, m, codes[to], NULL, NULL, "Status set to %s",
                   msg_status_name(to));
    if (to != MSG_PENDING)
        store_final(s, m);
}

static void replace_str(char **dst, char **src)
{
    free(*dst);
    *dst = *src;
    *src = NULL;
}

static void apply_patch(struct store *s, struct cmd *c, struct store_result *r)
{
    struct cmd_patch *p = &c->u.patch;
    struct msg *m = find_or_404(s, p->id, r);
    if (m == NULL || !patch_check(s, m, p, r))
        return;
    struct msg_data *d = &m->d;
    if (p->mask & PATCH_DEST_SMSC)
        store_msg_set_str(s, &d->dest_smsc, &p->set.dest_smsc);
    if (p->mask & PATCH_DELIVER_AFTER)
        store_set_deliver_after(s, m, p->set.deliver_after);
    if (p->mask & PATCH_BODY) {
        replace_str(&d->message_body, &p->set.message_body);
        d->message_parts = p->set.message_parts;
        d->charset = p->set.charset;
    }
    if (p->mask & PATCH_EXPIRES)
        d->expires = p->set.expires;
    if (p->mask & PATCH_DEADLETTER)
        d->deadletter = p->set.deadletter;
    if (p->mask & PATCH_ATTEMPTS)
        d->delivery_attempts = p->set.delivery_attempts;
    if (p->mask & PATCH_DELIVER_TIME)
        d->deliver_time = p->set.deliver_time;
    if ((p->mask & PATCH_STATUS) && p->set.status != d->status) {
        if (p->set.status == MSG_DELIVERED)
            deliver(s, m, p->mask & PATCH_DELIVER_TIME ? p->set.deliver_time
                                                       : TIME_NULL);
        else
            set_status_event(s, m, p->set.status);
    }
    d->updated_at = s->clock;
    store_reindex(s, m);
    r->status = 200;
}

static bool pending_or_409(const struct msg *m, struct store_result *r)
{
    if (m->d.status == MSG_PENDING)
        return true;
    set_error(r, 409, "Message is already final (%s)",
              msg_status_name(m->d.status));
    return false;
}

static void apply_retry(struct store *s, struct cmd *c, struct store_result *r)
{
    struct msg *m = find_or_404(s, c->u.id, r);
    if (m == NULL || !pending_or_409(m, r))
        return;
    struct msg_data *d = &m->d;
    if (d->delivery_attempts < INT32_MAX)
        d->delivery_attempts++;
    store_set_deliver_after(s, m,
                            s->clock + msg_backoff_ms(d->delivery_attempts));
    d->updated_at = s->clock;
    m->lease_until = TIME_NULL;
    char name[48], when[TIMEFMT_LEN];
    snprintf(name, sizeof name, "delivery_attempt_%d", d->delivery_attempts);
    time_format(d->deliver_after, when);
    events_add(s, m, EV_CUSTOM, name, NULL,
               "Delivery attempt %d failed; next attempt after %s",
               d->delivery_attempts, when);
    int64_t max = s->settings.max_delivery_attempts;
    if (max > 0 && d->delivery_attempts >= max) {
        store_set_status(s, m, MSG_FAILED);
        events_add(s, m, EV_FAILED, NULL, NULL,
                   "Failed after %d delivery attempts (max_delivery_attempts)",
                   d->delivery_attempts);
        store_final(s, m);
    }
    store_reindex(s, m);
    r->status = 200;
}

static void apply_delivered(struct store *s, struct cmd *c,
                            struct store_result *r)
{
    struct msg *m = find_or_404(s, c->u.delivered.id, r);
    if (m == NULL || !pending_or_409(m, r))
        return;
    if (c->u.delivered.dest_smsc != NULL)
        store_msg_set_str(s, &m->d.dest_smsc, &c->u.delivered.dest_smsc);
    deliver(s, m, TIME_NULL);
    store_reindex(s, m);
    r->status = 200;
}

static void apply_delete(struct store *s, struct cmd *c, struct store_result *r)
{
    struct msg *m = find_or_404(s, c->u.id, r);
    if (m == NULL)
        return;
    if (m->d.status == MSG_PENDING) {
        store_set_status(s, m, MSG_DROPPED);
        events_add(s, m, EV_DROPPED, NULL, NULL, "Deleted while pending");
        store_final(s, m);
    }
    outbox_events(s, m);
    store_remove(s, m);
    r->status = 204;
}

static void apply_lease(struct store *s, struct cmd *c, struct store_result *r)
{
    const struct cmd_lease *l = &c->u.lease;
    const struct msg **found = xcalloc(l->limit, sizeof *found);
    size_t n = store_fetch(s, l->smsc, l->include_unrouted, l->limit, found);
    r->ids = xcalloc(n ? n : 1, sizeof *r->ids);
    for (size_t i = 0; i < n; i++) {
        struct msg *m = (struct msg *)found[i];
        m->lease_until = s->clock + l->lease_ms;
        store_reindex(s, m);
        r->ids[i] = m->id;
    }
    r->n_ids = (uint32_t)n;
    free(found);
    r->status = 200;
}

void fsm_apply_cmd(struct store *s, struct cmd *c, struct store_result *r)
{
    switch (c->type) {
    case CMD_INIT: apply_init(s, c, r); break;
    case CMD_NODE_INFO: apply_node_info(s, c, r); break;
    case CMD_NODE_FORGET:
        store_node_forget(s, c->u.node_info.name);
        r->status = 200;
        break;
    case CMD_TICK:
        s->tick = s->clock;
        store_run_timers(s);
        r->status = 200;
        break;
    case CMD_SETTINGS: apply_settings(s, c, r); break;
    case CMD_MSG_CREATE: apply_create(s, c, r); break;
    case CMD_MSG_PATCH: apply_patch(s, c, r); break;
    case CMD_MSG_RETRY: apply_retry(s, c, r); break;
    case CMD_MSG_DELIVERED: apply_delivered(s, c, r); break;
    case CMD_MSG_DELETE: apply_delete(s, c, r); break;
    case CMD_MSG_LEASE: apply_lease(s, c, r); break;
    case CMD_EVENT_ADD: apply_event(s, c, r); break;
    case CMD_CDR_ACK: fsm_apply_cdr_ack(s, &c->u.cdr_ack, r); break;
    case CMD_RESTORE: fsm_apply_restore(s, &c->u.restore, r); break;
    case CMD_SMMA:
        r->status = 200;
        r->id = store_smma(s, c->u.msisdn);
        break;
    case CMD_ROUTE_PUT:
    case CMD_ROUTE_DELETE:
    case CMD_ROUTE_IMPORT:
    case CMD_RULE_PUT:
    case CMD_RULE_DELETE:
    case CMD_RULE_IMPORT: fsm_apply_table_cmd(s, c, r); break;
    case CMD_LOC_PUT:
    case CMD_LOC_DELETE: fsm_apply_loc_cmd(s, c, r); break;
    case CMD_FE_HEARTBEAT: fsm_apply_fe_cmd(s, c, r); break;
    case CMD_MMS_PUT:
    case CMD_MMS_DELETE:
    case CMD_SS7_PUT:
    case CMD_SS7_DELETE: fsm_apply_media_cmd(s, c, r); break;
    default: set_error(r, 400, "Unknown command"); break;
    }
}

static void apply_one(struct store *s, struct cmd *c, struct store_result *r)
{
    uint64_t h = 0;
    if (c->key_kind != KEY_NONE) {
        h = dedupe_hash(c->request_id);
        const struct dedupe_entry *e = dedupe_find(s, h);
        if (e != NULL) {
            r->status = e->status;
            r->id = e->id;
            r->duplicate = true;
            snprintf(r->detail, sizeof r->detail, "%s", e->detail);
            return;
        }
    }
    s->cur_node = c->node;
    fsm_apply_cmd(s, c, r);
    s->cur_node = NULL;
    if (c->key_kind != KEY_NONE && c->type != CMD_MSG_LEASE)
        dedupe_add(s, h, c->key_kind, r);
}

/* Decodes every command of the entry; NULL when any framing is bad. */
static struct cmd *decode_all(const uint8_t *p, size_t len,
                              struct cmd_batch_hdr *h, bool **ok)
{
    struct cmd_batch_iter it;
    if (cmd_batch_open(p, len, h, &it) != 0 || h->count > len)
        return NULL;
    struct cmd *cmds = xcalloc(h->count ? h->count : 1, sizeof *cmds);
    *ok = xcalloc(h->count ? h->count : 1, sizeof **ok);
    const uint8_t *q;
    size_t n;
    uint32_t i = 0;
    int rc;
    while ((rc = cmd_batch_next(&it, &q, &n)) == 1) {
        (*ok)[i] = cmd_decode(q, n, &cmds[i]) == 0;
        i++;
    }
    if (rc != 0 || i != h->count) {
        for (uint32_t j = 0; j < i; j++)
            if ((*ok)[j])
                cmd_free(&cmds[j]);
        free(cmds);
        free(*ok);
        *ok = NULL;
        return NULL;
    }
    return cmds;
}

struct store_result *store_apply_entry(struct store *s, uint64_t index,
                                       const uint8_t *p, size_t len,
                                       uint32_t *n)
{
    struct cmd_batch_hdr h;
    bool *ok = NULL;
    struct cmd *cmds = decode_all(p, len, &h, &ok);
    pthread_rwlock_wrlock(&s->lock);
    s->applied_index = index;
    if (cmds == NULL) {
        pthread_rwlock_unlock(&s->lock);
        *n = 0;
        return NULL;
    }
    if (h.now_ms > s->clock)
        s->clock = h.now_ms;
    dedupe_expire(s);
    struct store_result *res = xcalloc(h.count ? h.count : 1, sizeof *res);
    for (uint32_t i = 0; i < h.count; i++) {
        if (!ok[i]) {
            set_error(&res[i], 400, "Malformed command");
            continue;
        }
        apply_one(s, &cmds[i], &res[i]);
        cmd_free(&cmds[i]);
    }
    pthread_rwlock_unlock(&s->lock);
    free(cmds);
    free(ok);
    *n = h.count;
    return res;
}

void store_results_free(struct store_result *r, uint32_t n)
{
    if (r == NULL)
        return;
    for (uint32_t i = 0; i < n; i++)
        free(r[i].ids);
    free(r);
}
