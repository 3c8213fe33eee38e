/* cmd — binary codec of the replicated commands and of the group-commit
 * entry that carries them (format in cmd.h). */
#include "raft_store/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

enum table_kind { TBL_ROUTE, TBL_RULE };

void cmd_init(struct cmd *c, enum cmd_type type)
{
    memset(c, 0, sizeof *c);
    c->type = (uint8_t)type;
    switch (type) {
    case CMD_MSG_CREATE: msg_data_init(&c->u.create.m); break;
    case CMD_MSG_PATCH: msg_data_init(&c->u.patch.set); break;
    case CMD_INIT: store_settings_defaults(&c->u.init.settings); break;
    case CMD_SETTINGS: store_settings_defaults(&c->u.settings); break;
    case CMD_ROUTE_PUT: route_rec_init(&c->u.route); break;
    case CMD_RULE_PUT: xlat_rule_rec_init(&c->u.rule); break;
    case CMD_LOC_PUT: location_rec_init(&c->u.loc.rec); break;
    case CMD_FE_HEARTBEAT: frontend_rec_init(&c->u.fe); break;
    case CMD_MMS_PUT: mms_rec_init(&c->u.mms); break;
    case CMD_SS7_PUT: ss7_rec_init(&c->u.ss7); break;
    default: break;
    }
}

void cmd_import_free(struct cmd_import *im, bool routes)
{
    enum table_kind kind = routes ? TBL_ROUTE : TBL_RULE;
    for (uint32_t i = 0; i < im->n; i++) {
        if (im->recs[i] == NULL)
            continue;
        if (kind == TBL_ROUTE)
            route_rec_free(im->recs[i]);
        else
            xlat_rule_rec_free(im->recs[i]);
        free(im->recs[i]);
    }
    free(im->recs);
    memset(im, 0, sizeof *im);
}

void cmd_free(struct cmd *c)
{
    free(c->request_id);
    free(c->node);
    switch (c->type) {
    case CMD_INIT:
        free(c->u.init.cluster_id);
        cmd_import_free(&c->u.init.routes, true);
        cmd_import_free(&c->u.init.rules, false);
        break;
    case CMD_NODE_FORGET:
    case CMD_NODE_INFO:
        free(c->u.node_info.name);
        free(c->u.node_info.api_url);
        free(c->u.node_info.raft_address);
        break;
    case CMD_MSG_CREATE:
        msg_data_free(&c->u.create.m);
        free(c->u.create.xlat_note);
        if (c->u.create.reply) {
            msg_data_free(c->u.create.reply);
            free(c->u.create.reply);
        }
        break;
    case CMD_MSG_PATCH:
        msg_data_free(&c->u.patch.set);
        break;
    case CMD_SMMA:
        free(c->u.msisdn);
        break;
    case CMD_CDR_ACK:
        free(c->u.cdr_ack.writer);
        break;
    case CMD_RESTORE:
        free(c->u.restore.bytes);
        break;
    case CMD_EVENT_ADD:
        free(c->u.event.name);
        free(c->u.event.description);
        free(c->u.event.source);
        break;
    case CMD_ROUTE_PUT: route_rec_free(&c->u.route); break;
    case CMD_RULE_PUT: xlat_rule_rec_free(&c->u.rule); break;
    case CMD_ROUTE_IMPORT: cmd_import_free(&c->u.import, true); break;
    case CMD_RULE_IMPORT: cmd_import_free(&c->u.import, false); break;
    case CMD_LOC_PUT: location_rec_free(&c->u.loc.rec); break;
    case CMD_FE_HEARTBEAT: frontend_rec_free(&c->u.fe); break;
    case CMD_MMS_PUT: mms_rec_free(&c->u.mms); break;
    case CMD_SS7_PUT: ss7_rec_free(&c->u.ss7); break;
    case CMD_MSG_DELIVERED:
        free(c->u.delivered.dest_smsc);
        break;
    case CMD_MSG_LEASE:
        free(c->u.lease.smsc);
        break;
    default:
        break;
    }
    memset(c, 0, sizeof *c);
}

/* Settings travel as (name, value) pairs so that the table in settings.c is
 * the only list of them. */
void cmd_settings_encode(struct buf *b, const struct store_settings *s)
{
    buf_put_uvar(b, store_setting_count);
    for (unsigned i = 0; i < store_setting_count; i++) {
        const struct setting_desc *d = &store_setting_table[i];
        const char *base = (const char *)s + d->offset;
        int64_t v;
        if (d->kind == SETTING_INT)
            memcpy(&v, base, sizeof v);
        else if (d->kind == SETTING_BOOL)
            v = *(const bool *)(const void *)base;
        else
            v = *(const int *)(const void *)base;
        buf_put_str(b, d->name);
        buf_put_svar(b, v);
    }
}

static const struct setting_desc *setting_find(const char *name)
{
    for (unsigned i = 0; i < store_setting_count; i++)
        if (strcmp(store_setting_table[i].name, name) == 0)
            return &store_setting_table[i];
    return NULL;
}

void cmd_settings_decode(struct rd *r, struct store_settings *s)
{
    store_settings_defaults(s);
    uint64_t n = rd_uvar_max(r, 256);
    for (uint64_t i = 0; i < n && !r->err; i++) {
        char *name = rd_str(r, 64);
        int64_t v = rd_svar(r);
        const struct setting_desc *d = name ? setting_find(name) : NULL;
        free(name);
        if (d == NULL) {
            r->err = -1;
            break;
        }
        char *base = (char *)s + d->offset;
        if (d->kind == SETTING_INT)
            memcpy(base, &v, sizeof v);
        else if (d->kind == SETTING_BOOL)
            *(bool *)(void *)base = v != 0;
        else
            *(int *)(void *)base = (int)v;
    }
    if (!r->err && store_settings_check(s) != NULL)
        r->err = -1;
}

void cmd_import_add(struct cmd_import *im, void *rec)
{
    if (im->n == im->cap) {
        im->cap = im->cap ? im->cap * 2 : 16;
        im->recs = xrealloc(im->recs, im->cap * sizeof *im->recs);
    }
    im->recs[im->n++] = rec;
}

static void import_encode(struct buf *b, const struct cmd_import *im,
                          enum table_kind kind)
{
    buf_put_bool(b, im->replace);
    buf_put_uvar(b, im->n);
    for (uint32_t i = 0; i < im->n; i++) {
        if (kind == TBL_ROUTE)
            route_rec_encode(b, im->recs[i]);
        else
            xlat_rule_rec_encode(b, im->recs[i]);
    }
}

static void import_decode(struct rd *r, struct cmd_import *im,
                          enum table_kind kind)
{
    im->replace = rd_bool(r);
    uint64_t n = rd_uvar_max(r, CMD_MAX_IMPORT);
    /* every record takes at least a few bytes: bound the allocation */
    if (r->err || n > rd_left(r))
        n = 0, r->err = -1;
    im->recs = xcalloc(n ? n : 1, sizeof *im->recs);
    im->cap = (uint32_t)(n ? n : 1);
    for (uint64_t i = 0; i < n && !r->err; i++) {
        void *rec;
        int rc;
        if (kind == TBL_ROUTE) {
            rec = xcalloc(1, sizeof(struct route_rec));
            rc = route_rec_decode(r, rec);
        } else {
            rec = xcalloc(1, sizeof(struct xlat_rule_rec));
            rc = xlat_rule_rec_decode(r, rec);
        }
        if (rc != 0) {
            free(rec);
            r->err = -1;
            break;
        }
        im->recs[im->n++] = rec;
    }
}

static void create_encode(struct buf *b, const struct cmd_create *cr)
{
    msg_data_encode(b, &cr->m);
    buf_put_u8(b, cr->action);
    buf_put_str(b, cr->xlat_note);
    buf_put_bool(b, cr->reply != NULL);
    if (cr->reply) {
        msg_data_encode(b, cr->reply);
        buf_put_u8(b, cr->reply_action);
    }
    buf_put_u64le(b, cr->mr_key);
    buf_put_bool(b, cr->tp_rd);
}

static void create_decode(struct rd *r, struct cmd_create *cr)
{
    if (msg_data_decode(r, &cr->m) != 0) {
        msg_data_init(&cr->m);
        r->err = -1;
        return;
    }
    cr->action = rd_u8(r);
    cr->xlat_note = rd_str(r, CMD_MAX_NOTE);
    if (rd_bool(r) && !r->err) {
        cr->reply = xcalloc(1, sizeof *cr->reply);
        if (msg_data_decode(r, cr->reply) != 0) {
            free(cr->reply);
            cr->reply = NULL;
            r->err = -1;
            return;
        }
        cr->reply_action = rd_u8(r);
        if (cr->reply_action == ACT_AUTO_REPLY)
            r->err = -1; /* a reply is never auto-replied again */
    }
    cr->mr_key = rd_u64le(r);
    cr->tp_rd = rd_bool(r);
    if (cr->action > ACT_CLIENT_DEST || cr->reply_action > ACT_CLIENT_DEST ||
        (cr->reply != NULL && cr->action != ACT_AUTO_REPLY))
        r->err = -1;
}

static void body_encode(struct buf *b, const struct cmd *c)
{
    switch (c->type) {
    case CMD_INIT:
        buf_put_str(b, c->u.init.cluster_id);
        cmd_settings_encode(b, &c->u.init.settings);
        import_encode(b, &c->u.init.routes, TBL_ROUTE);
        import_encode(b, &c->u.init.rules, TBL_RULE);
        break;
    case CMD_NODE_FORGET:
        buf_put_str(b, c->u.node_info.name);
        break;
    case CMD_NODE_INFO:
        buf_put_str(b, c->u.node_info.name);
        buf_put_str(b, c->u.node_info.api_url);
        buf_put_str(b, c->u.node_info.raft_address);
        buf_put_uvar(b, c->u.node_info.raft_id);
        break;
    case CMD_SETTINGS:
        cmd_settings_encode(b, &c->u.settings);
        break;
    case CMD_MSG_CREATE:
        create_encode(b, &c->u.create);
        break;
    case CMD_MSG_PATCH:
        buf_put_svar(b, c->u.patch.id);
        buf_put_uvar(b, c->u.patch.mask);
        msg_data_encode(b, &c->u.patch.set);
        break;
    case CMD_MSG_RETRY:
    case CMD_MSG_DELETE:
    case CMD_ROUTE_DELETE:
    case CMD_RULE_DELETE:
    case CMD_LOC_DELETE:
    case CMD_MMS_DELETE:
    case CMD_SS7_DELETE:
        buf_put_svar(b, c->u.id);
        break;
    case CMD_MSG_DELIVERED:
        buf_put_svar(b, c->u.delivered.id);
        buf_put_str(b, c->u.delivered.dest_smsc);
        break;
    case CMD_SMMA:
        buf_put_str(b, c->u.msisdn);
        break;
    case CMD_RESTORE:
        buf_put_uvar(b, c->u.restore.total);
        buf_put_uvar(b, c->u.restore.offset);
        buf_put_u64le(b, c->u.restore.check);
        buf_put_uvar(b, c->u.restore.len);
        buf_put(b, c->u.restore.bytes, c->u.restore.len);
        break;
    case CMD_CDR_ACK:
        buf_put_str(b, c->u.cdr_ack.writer);
        buf_put_svar(b, c->u.cdr_ack.upto);
        buf_put_bool(b, c->u.cdr_ack.shared);
        break;
    case CMD_EVENT_ADD:
        buf_put_svar(b, c->u.event.id);
        buf_put_str(b, c->u.event.name);
        buf_put_str(b, c->u.event.description);
        buf_put_str(b, c->u.event.source);
        break;
    case CMD_ROUTE_PUT: route_rec_encode(b, &c->u.route); break;
    case CMD_RULE_PUT: xlat_rule_rec_encode(b, &c->u.rule); break;
    case CMD_ROUTE_IMPORT: import_encode(b, &c->u.import, TBL_ROUTE); break;
    case CMD_RULE_IMPORT: import_encode(b, &c->u.import, TBL_RULE); break;
    case CMD_LOC_PUT:
        location_rec_encode(b, &c->u.loc.rec);
        buf_put_bool(b, c->u.loc.by_imsi);
        break;
    case CMD_FE_HEARTBEAT: frontend_rec_encode(b, &c->u.fe); break;
    case CMD_MMS_PUT: mms_rec_encode(b, &c->u.mms); break;
    case CMD_SS7_PUT: ss7_rec_encode(b, &c->u.ss7); break;
    case CMD_MSG_LEASE:
        buf_put_str(b, c->u.lease.smsc);
        buf_put_bool(b, c->u.lease.include_unrouted);
        buf_put_uvar(b, c->u.lease.limit);
        buf_put_svar(b, c->u.lease.lease_ms);
        break;
    default:
        break;
    }
}

void cmd_encode(struct buf *b, const struct cmd *c)
{
    buf_put_u8(b, CMD_VERSION);
    buf_put_u8(b, c->type);
    buf_put_u8(b, c->key_kind);
    buf_put_str(b, c->key_kind == KEY_NONE ? NULL : c->request_id);
    buf_put_str(b, c->node);
    body_encode(b, c);
}

static void body_decode(struct rd *r, struct cmd *c)
{
    switch (c->type) {
    case CMD_INIT:
        c->u.init.cluster_id = rd_str(r, CMD_MAX_NAME);
        cmd_settings_decode(r, &c->u.init.settings);
        import_decode(r, &c->u.init.routes, TBL_ROUTE);
        import_decode(r, &c->u.init.rules, TBL_RULE);
        if (c->u.init.cluster_id == NULL)
            r->err = -1;
        break;
    case CMD_NODE_FORGET:
        c->u.node_info.name = rd_str(r, CMD_MAX_NAME);
        if (c->u.node_info.name == NULL)
            r->err = -1;
        break;
    case CMD_NODE_INFO:
        c->u.node_info.name = rd_str(r, CMD_MAX_NAME);
        c->u.node_info.api_url = rd_str(r, CMD_MAX_NAME);
        c->u.node_info.raft_address = rd_str(r, CMD_MAX_NAME);
        c->u.node_info.raft_id = rd_uvar(r);
        if (c->u.node_info.name == NULL)
            r->err = -1;
        break;
    case CMD_TICK:
        break;
    case CMD_SETTINGS:
        cmd_settings_decode(r, &c->u.settings);
        break;
    case CMD_MSG_CREATE:
        create_decode(r, &c->u.create);
        break;
    case CMD_MSG_PATCH:
        c->u.patch.id = rd_svar(r);
        c->u.patch.mask = (uint32_t)rd_uvar_max(r, PATCH_ALL);
        if (msg_data_decode(r, &c->u.patch.set) != 0)
            msg_data_init(&c->u.patch.set);
        break;
    case CMD_MSG_RETRY:
    case CMD_MSG_DELETE:
    case CMD_ROUTE_DELETE:
    case CMD_RULE_DELETE:
    case CMD_LOC_DELETE:
    case CMD_MMS_DELETE:
    case CMD_SS7_DELETE:
        c->u.id = rd_svar(r);
        break;
    case CMD_MSG_DELIVERED:
        c->u.delivered.id = rd_svar(r);
        c->u.delivered.dest_smsc = rd_str(r, CMD_MAX_NAME);
        break;
    case CMD_SMMA:
        c->u.msisdn = rd_str(r, CMD_MAX_NAME);
        if (c->u.msisdn == NULL)
            r->err = -1;
        break;
    case CMD_RESTORE: {
        struct cmd_restore *x = &c->u.restore;
        x->total = rd_uvar(r);
        x->offset = rd_uvar(r);
        x->check = rd_u64le(r);
        x->len = (uint32_t)rd_uvar_max(r, CMD_MAX_RESTORE_CHUNK);
        const uint8_t *p = rd_bytes(r, x->len);
        if (r->err || p == NULL || x->len == 0 || x->offset > x->total ||
            x->len > x->total - x->offset) {
            r->err = -1;
            break;
        }
        x->bytes = xmalloc(x->len);
        memcpy(x->bytes, p, x->len);
        break;
    }
    case CMD_CDR_ACK:
        c->u.cdr_ack.writer = rd_str(r, CMD_MAX_NAME);
        c->u.cdr_ack.upto = rd_svar(r);
        c->u.cdr_ack.shared = rd_bool(r);
        if (c->u.cdr_ack.writer == NULL || c->u.cdr_ack.upto < 0)
            r->err = -1;
        break;
    case CMD_EVENT_ADD:
        c->u.event.id = rd_svar(r);
        c->u.event.name = rd_str(r, CMD_MAX_NAME);
        c->u.event.description = rd_str(r, CMD_MAX_NOTE);
        c->u.event.source = rd_str(r, CMD_MAX_NAME);
        if (c->u.event.name == NULL)
            r->err = -1;
        break;
    case CMD_ROUTE_PUT:
        if (route_rec_decode(r, &c->u.route) != 0) {
            route_rec_init(&c->u.route);
            r->err = -1;
        }
        break;
    case CMD_RULE_PUT:
        if (xlat_rule_rec_decode(r, &c->u.rule) != 0) {
            xlat_rule_rec_init(&c->u.rule);
            r->err = -1;
        }
        break;
    case CMD_ROUTE_IMPORT: import_decode(r, &c->u.import, TBL_ROUTE); break;
    case CMD_RULE_IMPORT: import_decode(r, &c->u.import, TBL_RULE); break;
    case CMD_LOC_PUT:
        if (location_rec_decode(r, &c->u.loc.rec) != 0) {
            location_rec_init(&c->u.loc.rec);
            r->err = -1;
        }
        c->u.loc.by_imsi = rd_bool(r);
        break;
    case CMD_FE_HEARTBEAT:
        if (frontend_rec_decode(r, &c->u.fe) != 0) {
            frontend_rec_init(&c->u.fe);
            r->err = -1;
        }
        break;
    case CMD_MMS_PUT:
        if (mms_rec_decode(r, &c->u.mms) != 0)
            r->err = -1; /* the record is freed and re-initialised */
        break;
    case CMD_SS7_PUT:
        if (ss7_rec_decode(r, &c->u.ss7) != 0)
            r->err = -1;
        break;
    case CMD_MSG_LEASE:
        c->u.lease.smsc = rd_str(r, CMD_MAX_NAME);
        c->u.lease.include_unrouted = rd_bool(r);
        c->u.lease.limit = (uint32_t)rd_uvar_max(r, CMD_MAX_LEASE_LIMIT);
        c->u.lease.lease_ms = rd_svar(r);
        if (c->u.lease.smsc == NULL || c->u.lease.limit == 0 ||
            c->u.lease.lease_ms <= 0)
            r->err = -1;
        break;
    default:
        r->err = -1;
        break;
    }
}

int cmd_decode(const uint8_t *p, size_t len, struct cmd *c)
{
    struct rd r;
    rd_init(&r, p, len);
    uint8_t version = rd_u8(&r);
    uint8_t type = rd_u8(&r);
    cmd_init(c, (enum cmd_type)type);
    c->key_kind = rd_u8(&r);
    c->request_id = rd_str(&r, CMD_MAX_REQUEST_ID);
    c->node = rd_str(&r, CMD_MAX_NAME);
    if (version != CMD_VERSION || c->key_kind > KEY_NODE ||
        (c->key_kind == KEY_NONE) != (c->request_id == NULL))
        r.err = -1;
    if (!r.err)
        body_decode(&r, c);
    if (!rd_done(&r)) {
        cmd_free(c);
        return -1;
    }
    return 0;
}

void cmd_batch_begin(struct buf *b)
{
    buf_reset(b);
    buf_reserve(b, CMD_BATCH_HDR_LEN);
    memset(b->data, 0, CMD_BATCH_HDR_LEN);
    b->len = CMD_BATCH_HDR_LEN;
}

void cmd_batch_add(struct buf *b, const uint8_t *cmd, size_t len)
{
    buf_put_uvar(b, len);
    buf_put(b, cmd, len);
}

void cmd_batch_end(struct buf *b, uint32_t count, int64_t now_ms,
                   uint64_t proposer, uint64_t seq)
{
    struct buf h;
    buf_init(&h);
    buf_put_u32le(&h, CMD_BATCH_MAGIC);
    buf_put_u8(&h, CMD_BATCH_VERSION);
    buf_put_u8(&h, 0);
    buf_put_u8(&h, 0);
    buf_put_u8(&h, 0);
    buf_put_u32le(&h, count);
    buf_put_u32le(&h, (uint32_t)(b->len - CMD_BATCH_HDR_LEN));
    buf_put_u64le(&h, (uint64_t)now_ms);
    buf_put_u64le(&h, proposer);
    buf_put_u64le(&h, seq);
    memcpy(b->data, h.data, CMD_BATCH_HDR_LEN);
    buf_free(&h);
    static const uint8_t zero[8];
    buf_put(b, zero, (8 - b->len % 8) % 8);
}

int cmd_batch_open(const uint8_t *p, size_t len, struct cmd_batch_hdr *h,
                   struct cmd_batch_iter *it)
{
    struct rd r;
    rd_init(&r, p, len);
    uint32_t magic = rd_u32le(&r);
    uint32_t version = rd_u32le(&r);
    h->count = rd_u32le(&r);
    h->payload_len = rd_u32le(&r);
    h->now_ms = (int64_t)rd_u64le(&r);
    h->proposer = rd_u64le(&r);
    h->seq = rd_u64le(&r);
    if (r.err || magic != CMD_BATCH_MAGIC || version != CMD_BATCH_VERSION ||
        h->payload_len > len - CMD_BATCH_HDR_LEN)
        return -1;
    rd_init(&it->rd, p + CMD_BATCH_HDR_LEN, h->payload_len);
    it->left = h->count;
    return 0;
}

int cmd_batch_next(struct cmd_batch_iter *it, const uint8_t **p, size_t *len)
{
    if (it->left == 0)
        return rd_left(&it->rd) == 0 && !it->rd.err ? 0 : -1;
    uint64_t n = rd_uvar(&it->rd);
    const uint8_t *q = rd_bytes(&it->rd, (size_t)n);
    if (q == NULL)
        return -1;
    it->left--;
    *p = q;
    *len = (size_t)n;
    return 1;
}

const char *cmd_type_name(int type)
{
    switch (type) {
    case CMD_INIT: return "init";
    case CMD_NODE_INFO: return "node_info";
    case CMD_NODE_FORGET: return "node_forget";
    case CMD_TICK: return "tick";
    case CMD_SETTINGS: return "settings";
    case CMD_MSG_CREATE: return "msg_create";
    case CMD_MSG_PATCH: return "msg_patch";
    case CMD_MSG_RETRY: return "msg_retry";
    case CMD_MSG_DELIVERED: return "msg_delivered";
    case CMD_MSG_DELETE: return "msg_delete";
    case CMD_MSG_LEASE: return "msg_lease";
    case CMD_EVENT_ADD: return "event_add";
    case CMD_SMMA: return "smma";
    case CMD_CDR_ACK: return "cdr_ack";
    case CMD_RESTORE: return "restore";
    case CMD_ROUTE_PUT: return "route_put";
    case CMD_ROUTE_DELETE: return "route_delete";
    case CMD_ROUTE_IMPORT: return "route_import";
    case CMD_RULE_PUT: return "rule_put";
    case CMD_RULE_DELETE: return "rule_delete";
    case CMD_RULE_IMPORT: return "rule_import";
    case CMD_LOC_PUT: return "loc_put";
    case CMD_LOC_DELETE: return "loc_delete";
    case CMD_FE_HEARTBEAT: return "fe_heartbeat";
    case CMD_MMS_PUT: return "mms_put";
    case CMD_MMS_DELETE: return "mms_delete";
    case CMD_SS7_PUT: return "ss7_put";
    case CMD_SS7_DELETE: return "ss7_delete";
    default: return "unknown";
    }
}
