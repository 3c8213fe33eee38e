/* cmd — binary codec of the replicated commands and of the group-commit
 * entry that carries them (format in cmd.h). */
#include "raft_store/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void cmd_init(struct cmd *c, enum cmd_type type)
{
    memset(c, 0, sizeof *c);
    c->type = (uint8_t)type;
    if (type == CMD_MSG_CREATE)
        msg_data_init(&c->u.create);
    else if (type == CMD_MSG_PATCH)
        msg_data_init(&c->u.patch.set);
    else if (type == CMD_INIT)
        store_settings_defaults(&c->u.init.settings);
    else if (type == CMD_SETTINGS)
        store_settings_defaults(&c->u.settings);
}

void cmd_free(struct cmd *c)
{
    free(c->request_id);
    switch (c->type) {
    case CMD_INIT:
        free(c->u.init.cluster_id);
        break;
    case CMD_NODE_INFO:
        free(c->u.node_info.name);
        free(c->u.node_info.api_url);
        free(c->u.node_info.raft_address);
        break;
    case CMD_MSG_CREATE:
        msg_data_free(&c->u.create);
        break;
    case CMD_MSG_PATCH:
        msg_data_free(&c->u.patch.set);
        break;
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

static void body_encode(struct buf *b, const struct cmd *c)
{
    switch (c->type) {
    case CMD_INIT:
        buf_put_str(b, c->u.init.cluster_id);
        cmd_settings_encode(b, &c->u.init.settings);
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
        msg_data_encode(b, &c->u.create);
        break;
    case CMD_MSG_PATCH:
        buf_put_svar(b, c->u.patch.id);
        buf_put_uvar(b, c->u.patch.mask);
        msg_data_encode(b, &c->u.patch.set);
        break;
    case CMD_MSG_RETRY:
    case CMD_MSG_DELETE:
        buf_put_svar(b, c->u.id);
        break;
    case CMD_MSG_DELIVERED:
        buf_put_svar(b, c->u.delivered.id);
        buf_put_str(b, c->u.delivered.dest_smsc);
        break;
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
    body_encode(b, c);
}

static void body_decode(struct rd *r, struct cmd *c)
{
    switch (c->type) {
    case CMD_INIT:
        c->u.init.cluster_id = rd_str(r, CMD_MAX_NAME);
        cmd_settings_decode(r, &c->u.init.settings);
        if (c->u.init.cluster_id == NULL)
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
        if (msg_data_decode(r, &c->u.create) != 0)
            msg_data_init(&c->u.create);
        break;
    case CMD_MSG_PATCH:
        c->u.patch.id = rd_svar(r);
        c->u.patch.mask = (uint32_t)rd_uvar_max(r, PATCH_ALL);
        if (msg_data_decode(r, &c->u.patch.set) != 0)
            msg_data_init(&c->u.patch.set);
        break;
    case CMD_MSG_RETRY:
    case CMD_MSG_DELETE:
        c->u.id = rd_svar(r);
        break;
    case CMD_MSG_DELIVERED:
        c->u.delivered.id = rd_svar(r);
        c->u.delivered.dest_smsc = rd_str(r, CMD_MAX_NAME);
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
    case CMD_TICK: return "tick";
    case CMD_SETTINGS: return "settings";
    case CMD_MSG_CREATE: return "msg_create";
    case CMD_MSG_PATCH: return "msg_patch";
    case CMD_MSG_RETRY: return "msg_retry";
    case CMD_MSG_DELIVERED: return "msg_delivered";
    case CMD_MSG_DELETE: return "msg_delete";
    case CMD_MSG_LEASE: return "msg_lease";
    default: return "unknown";
    }
}
