/* messages — the /api/messages resource (SPEC §4 "Messages").
 *
 * Reads are served from this node's replica under the store's read lock
 * (linearizable on request); writes become one command each and travel
 * through api_write().  A queue fetch with lease_seconds is a write: the
 * state machine picks and claims the messages, so two frontends polling one
 * SMSC through different nodes never get the same message.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/msgwrite.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

void api_set_cmd(struct api_req *r, struct cmd *c)
{
    c->key_kind = (uint8_t)r->key_kind;
    c->request_id = r->key_kind == KEY_NONE ? NULL : xstrdup(r->rid);
    free(c->node);
    c->node = xstrdup(r->forwarded ? r->forwarder : r->t->api->node_name);
    struct buf b;
    buf_init(&b);
    cmd_encode(&b, c);
    free(r->cmd);
    r->cmd = buf_steal(&b, &r->cmd_len);
    cmd_free(c);
}

/* After a write that answers with the message record: the record written
 * straight to JSON (msgwrite.c), as the read paths do. */
void api_reply_record(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    struct buf b;
    api_body_init(&b);
    buf_put(&b, "{\"data\":", 8);
    char dest[80] = "-";
    const char *status = "-";
    long long route_id = 0;
    store_rdlock(r->t->api->store);
    const struct msg *m = store_get(r->t->api->store, res->id);
    if (m != NULL) {
        msg_write_json(&b, m);
        if (m->d.dest_smsc)
            snprintf(dest, sizeof dest, "%s", m->d.dest_smsc);
        status = msg_status_name(m->d.status);
        route_id = (long long)m->d.route_id;
    }
    store_rdunlock(r->t->api->store);
    if (m == NULL) {
        char idj[48];
        int n = snprintf(idj, sizeof idj, "{\"id\":%lld}", (long long)res->id);
        buf_put(&b, idj, (size_t)n);
    }
    buf_put_u8(&b, '}');
    if (log_enabled(LOG_DEBUG))
        log_debug("message %s message_id=%lld route_id=%lld dest_smsc=%s "
                  "status=%s request_id=%s",
                  r->route ? r->route->pattern : "-", (long long)res->id,
                  route_id, dest, status ? status : "-", r->rid);
    api_reply_buf(r, res->status ? res->status : 200, &b);
}

static const char *origin_of(struct api_req *r)
{
    return r->forwarded ? r->forwarder : r->t->api->node_name;
}

bool api_create_finish(struct api_req *r, struct cmd *c, bool pipeline)
{
    if (api_cdr_backlog_full(r)) {
        cmd_free(c);
        return false;
    }
    char err[256];
    int st = pipeline ? pipeline_create(r->t, &c->u.create, err, sizeof err)
                      : 0;
    if (st != 0) {
        cmd_free(c);
        api_reply_error(r, st, "%s", err);
        return false;
    }
    const char *origin = origin_of(r);
    c->u.create.m.origin_node = xstrdup(origin);
    if (c->u.create.reply)
        c->u.create.reply->origin_node = xstrdup(origin);
    api_set_cmd(r, c);
    return true;
}

/* Parses and validates a create body into r->cmd, running the pipeline
 * (translation, routing) when asked; false after replying. */
static bool create_cmd(struct api_req *r, bool pipeline)
{
    if (api_parse_body(r, false) != 0)
        return false;
    struct cmd c;
    char err[256];
    cmd_init(&c, CMD_MSG_CREATE);
    int st = msg_from_json(r->body, &c.u.create.m, err, sizeof err);
    if (st != 0) {
        cmd_free(&c);
        api_reply_error(r, st, "%s", err);
        return false;
    }
    return api_create_finish(r, &c, pipeline);
}

/* On the leader (also after a retry that found this node leading): the
 * pipeline decides translation and routing, then the command is proposed. */
static void create_on_leader(struct api_req *r)
{
    if (create_cmd(r, true))
        api_propose(r);
}

/* A follower only checks the body and forwards the client's request (see
 * write.c); the leader runs the pipeline. */
void h_messages_create(struct api_req *r)
{
    r->leader_action = create_on_leader;
    if (!node_is_leader(r->t->api->node) && !create_cmd(r, false))
        return;
    api_write(r, api_reply_record);
}

void api_accept_async(struct api_req *r, const char *path)
{
    if (api_async_submit(r, path, r->cmd, r->cmd_len) != 0) {
        api_reply_error(r, 503, "Async backlog full (async_queue_max); retry "
                                "later");
        return;
    }
    /* The same bytes api_reply_data(json_pack()) gives, without the tree
     * when the request id needs no escaping (ids made here never do). */
    bool plain = true;
    for (const char *p = r->rid; *p && plain; p++)
        plain = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
    if (plain) {
        static const char head[] =
            "{\"data\":{\"status\":\"accepted\",\"message\":"
            "\"Message accepted for processing\",\"request_id\":\"";
        struct buf b;
        api_body_init(&b);
        buf_put(&b, head, sizeof head - 1);
        buf_put(&b, r->rid, strlen(r->rid));
        buf_put(&b, "\"}}", 3);
        api_reply_buf(r, 202, &b);
        return;
    }
    api_reply_data(r, 202,
                   json_pack("{s:s,s:s,s:s}", "status", "accepted", "message",
                             "Message accepted for processing", "request_id",
                             r->rid));
}

void h_messages_create_async(struct api_req *r)
{
    if (r->key_kind == KEY_NONE)
        r->key_kind = KEY_NODE; /* the background path may resend it */
    if (create_cmd(r, true))
        api_accept_async(r, "/api/messages");
}

/* The read paths answer with text written straight from the records
 * (msgwrite.c), the same bytes api_reply_data(msg_to_json()) gives. */
static void get_now(struct api_req *r)
{
    int64_t id = api_path_id(r);
    struct buf b;
    api_body_init(&b);
    store_rdlock(r->t->api->store);
    const struct msg *m = id > 0 ? store_get(r->t->api->store, id) : NULL;
    if (m) {
        buf_put(&b, "{\"data\":", 8);
        msg_write_json(&b, m);
        buf_put_u8(&b, '}');
    }
    store_rdunlock(r->t->api->store);
    if (m == NULL) {
        buf_free(&b);
        api_reply_error(r, 404, "Message not found");
    } else {
        api_reply_buf(r, 200, &b);
    }
}

void h_messages_get(struct api_req *r)
{
    api_read(r, get_now);
}

/* ---- list and queue fetch ---- */

/* {"data":[...]} of n records into b (under the store's read lock). */
static void render_list(struct buf *b, const struct msg **v, size_t n)
{
    api_body_init(b);
    buf_reserve(b, 16 + n * 1024);
    buf_put(b, "{\"data\":[", 9);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_put_u8(b, ',');
        msg_write_json(b, v[i]);
    }
    buf_put(b, "]}", 2);
}

static void list_now(struct api_req *r)
{
    struct msg_filter f = {.status = -1};
    long limit, offset;
    if (api_query_int(r, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit) ||
        api_query_int(r, "offset", 0, 100000000, 0, &offset))
        return;
    const char *status = api_query(r, "status");
    if (status && msg_status_parse(status, &f.status) != 0) {
        api_reply_error(r, 422, "status must be one of pending, delivered, "
                                "failed, expired, dropped, rejected");
        return;
    }
    f.source_smsc = api_query(r, "source_smsc");
    f.dest_smsc = api_query(r, "dest_smsc");
    f.limit = (size_t)limit;
    f.offset = (size_t)offset;
    const struct msg **v = xcalloc((size_t)limit, sizeof *v);
    store_rdlock(r->t->api->store);
    size_t n = store_list(r->t->api->store, &f, v);
    struct buf b;
    render_list(&b, v, n);
    store_rdunlock(r->t->api->store);
    free(v);
    api_reply_buf(r, 200, &b);
}

struct fetch_args {
    const char *smsc;
    bool unrouted;
    long limit;
    long lease_s;
};

static int fetch_args(struct api_req *r, const char *smsc, bool unrouted,
                      struct fetch_args *fa)
{
    fa->smsc = smsc;
    fa->unrouted = unrouted;
    if (smsc == NULL || smsc[0] == '\0' || strlen(smsc) > CMD_MAX_NAME) {
        api_reply_error(r, 422, "smsc is required");
        return -1;
    }
    if (api_query_int(r, "limit", 1, LIST_MAX, LIST_DEFAULT, &fa->limit) ||
        api_query_int(r, "lease_seconds", 1, 86400, 0, &fa->lease_s))
        return -1;
    return 0;
}

static void fetch_now(struct api_req *r, const struct fetch_args *fa)
{
    const struct msg **v = xcalloc((size_t)fa->limit, sizeof *v);
    store_rdlock(r->t->api->store);
    size_t n = store_fetch(r->t->api->store, fa->smsc, fa->unrouted,
                           (size_t)fa->limit, v);
    struct buf b;
    render_list(&b, v, n);
    store_rdunlock(r->t->api->store);
    free(v);
    api_reply_buf(r, 200, &b);
}

static void leased(struct api_req *r)
{
    const struct store_result *res = &r->call.result;
    if (api_reply_result_error(r, res))
        return;
    const struct msg **v = xcalloc(res->n_ids ? res->n_ids : 1, sizeof *v);
    size_t n = 0;
    store_rdlock(r->t->api->store);
    for (uint32_t i = 0; i < res->n_ids; i++) {
        const struct msg *m = store_get(r->t->api->store, res->ids[i]);
        if (m)
            v[n++] = m;
    }
    struct buf b;
    render_list(&b, v, n);
    store_rdunlock(r->t->api->store);
    free(v);
    api_reply_buf(r, 200, &b);
}

static void lease(struct api_req *r, const struct fetch_args *fa)
{
    struct cmd c;
    cmd_init(&c, CMD_MSG_LEASE);
    c.u.lease.smsc = xstrdup(fa->smsc);
    c.u.lease.include_unrouted = fa->unrouted;
    c.u.lease.limit = (uint32_t)fa->limit;
    c.u.lease.lease_ms = fa->lease_s * 1000;
    api_set_cmd(r, &c);
    /* A follower forwards the lease itself, not the client's request: the
     * queue may be named in headers, which are not forwarded. */
    json_t *j = json_pack("{s:s,s:b,s:I,s:I}", "smsc", fa->smsc,
                          "include_unrouted", fa->unrouted, "limit",
                          (json_int_t)fa->limit, "lease_seconds",
                          (json_int_t)fa->lease_s);
    r->fwd_json = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    r->fwd_path = "/api/_internal/lease";
    api_write(r, leased);
}

static void fetch(struct api_req *r, const struct fetch_args *fa)
{
    if (fa->lease_s == 0)
        fetch_now(r, fa);
    else
        lease(r, fa);
}

void h_internal_lease(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    const char *smsc = NULL;
    int unrouted = 0;
    json_int_t limit = 0, secs = 0;
    if (json_unpack(r->body, "{s:s,s:b,s:I,s:I}", "smsc", &smsc,
                    "include_unrouted", &unrouted, "limit", &limit,
                    "lease_seconds", &secs) != 0 ||
        smsc[0] == '\0' || strlen(smsc) > CMD_MAX_NAME || limit < 1 ||
        limit > LIST_MAX || secs < 1 || secs > 86400) {
        api_reply_error(r, 422, "lease needs smsc, include_unrouted, limit "
                                "and lease_seconds");
        return;
    }
    struct fetch_args fa = {smsc, unrouted != 0, (long)limit, (long)secs};
    lease(r, &fa);
}

static int parse_bool_header(struct api_req *r, const char *name, bool *out)
{
    const char *v = api_header(r, name);
    *out = false;
    if (v == NULL)
        return 0;
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcasecmp(v, "false") != 0 && strcmp(v, "0") != 0) {
        api_reply_error(r, 422, "%s must be true, false, 1 or 0", name);
        return -1;
    }
    return 0;
}

static void queue_from_header(struct api_req *r)
{
    bool unrouted;
    struct fetch_args fa;
    if (parse_bool_header(r, "include-unrouted", &unrouted) ||
        fetch_args(r, api_header(r, "smsc"), unrouted, &fa))
        return;
    fetch(r, &fa);
}

void h_messages_list(struct api_req *r)
{
    api_read(r, api_header(r, "smsc") ? queue_from_header : list_now);
}

static void queue_from_query(struct api_req *r)
{
    struct fetch_args fa;
    if (fetch_args(r, api_query(r, "smsc"), true, &fa) == 0)
        fetch(r, &fa);
}

void h_messages_get_by_smsc(struct api_req *r)
{
    api_read(r, queue_from_query);
}

/* ---- updates ---- */

static int64_t id_or_404(struct api_req *r)
{
    int64_t id = api_path_id(r);
    if (id <= 0)
        api_reply_error(r, 404, "Message not found");
    return id;
}

void h_messages_patch(struct api_req *r)
{
    int64_t id = id_or_404(r);
    if (id <= 0 || api_parse_body(r, false) != 0)
        return;
    struct cmd c;
    char err[256];
    cmd_init(&c, CMD_MSG_PATCH);
    c.u.patch.id = id;
    int st = msg_patch_from_json(r->body, &c.u.patch, err, sizeof err);
    if (st != 0) {
        cmd_free(&c);
        api_reply_error(r, st, "%s", err);
        return;
    }
    api_set_cmd(r, &c);
    api_write(r, api_reply_record);
}

void h_messages_retry(struct api_req *r)
{
    int64_t id = id_or_404(r);
    if (id <= 0)
        return;
    struct cmd c;
    cmd_init(&c, CMD_MSG_RETRY);
    c.u.id = id;
    api_set_cmd(r, &c);
    api_write(r, api_reply_record);
}

void h_messages_delivered(struct api_req *r)
{
    int64_t id = id_or_404(r);
    if (id <= 0 || api_parse_body(r, true) != 0)
        return;
    json_t *ds = json_object_get(r->body, "dest_smsc");
    if (ds && !json_is_null(ds) &&
        (!json_is_string(ds) || json_string_length(ds) == 0 ||
         json_string_length(ds) > 64)) {
        api_reply_error(r, 422, "dest_smsc must be a non-empty string");
        return;
    }
    struct cmd c;
    cmd_init(&c, CMD_MSG_DELIVERED);
    c.u.delivered.id = id;
    if (ds && json_is_string(ds))
        c.u.delivered.dest_smsc = xstrdup(json_string_value(ds));
    api_set_cmd(r, &c);
    api_write(r, api_reply_record);
}

static void deleted(struct api_req *r)
{
    if (!api_reply_result_error(r, &r->call.result))
        api_reply_empty(r, 204);
}

void h_messages_delete(struct api_req *r)
{
    int64_t id = id_or_404(r);
    if (id <= 0)
        return;
    struct cmd c;
    cmd_init(&c, CMD_MSG_DELETE);
    c.u.id = id;
    api_set_cmd(r, &c);
    api_write(r, deleted);
}
