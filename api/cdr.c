/* cdr — this node's CDR writer (sql/cdr_writer.h) wired to the replicated
 * outbox, and the CDR endpoints (SPEC §4, §10):
 *
 *   GET  /api/cdr/stats           the writer's batch statistics
 *   GET  /api/cdrs                search by msisdn (either party), time
 *                                 range and status; JSON or ?format=csv
 *   POST /api/_internal/cdr_ack   a follower's writer acknowledges (SQLite)
 *
 * and the events of messages that left the store (GET /api/events/{id}),
 * read from message_events up to event_ttl_days back.
 * The writer reads the outbox under the store's read lock (a copy of at
 * most a few batches) and proposes its acks through the async backlog, so
 * on a follower they travel to the leader like any node-made write.  SQL
 * reads run on the writer's query thread; the request waits for them like
 * for a raft call.
 */
#include "api/api_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/config.h"
#include "sql/cdr_writer.h"

#define ACK_PATH "/api/_internal/cdr_ack"
#define BACKLOG_LOG_EVERY_MS 10000
#define SEARCH_MAX 10000

/* ---- the writer's view of the replicated state ---- */

static bool src_cluster_id(void *arg, char *out, size_t len)
{
    struct api *a = arg;
    store_rdlock(a->store);
    const char *id = store_cluster_id(a->store);
    if (id)
        snprintf(out, len, "%s", id);
    store_rdunlock(a->store);
    return id != NULL;
}

static bool src_is_leader(void *arg)
{
    return node_is_leader(((struct api *)arg)->node);
}

static void src_bounds(void *arg, int64_t *head, int64_t *last)
{
    struct api *a = arg;
    struct store_outbox_info o;
    store_rdlock(a->store);
    store_outbox_info(a->store, &o);
    store_rdunlock(a->store);
    *head = o.head_seq;
    *last = o.last_seq;
}

static int64_t src_read(void *arg, int64_t after, size_t max,
                        struct cdr_row **rows, size_t *n,
                        struct cdr_event **events, size_t *m)
{
    struct api *a = arg;
    store_rdlock(a->store);
    int64_t upto = store_outbox_read(a->store, after, max, rows, n, events, m);
    store_rdunlock(a->store);
    return upto;
}

static int64_t src_acked(void *arg, const char *writer)
{
    struct api *a = arg;
    store_rdlock(a->store);
    int64_t v = store_outbox_acked(a->store, writer);
    store_rdunlock(a->store);
    return v;
}

static void src_ack(void *arg, const char *writer, int64_t upto, bool shared)
{
    struct api *a = arg;
    struct cmd c;
    cmd_init(&c, CMD_CDR_ACK);
    c.node = xstrdup(a->node_name);
    c.u.cdr_ack.writer = xstrdup(writer);
    c.u.cdr_ack.upto = upto;
    c.u.cdr_ack.shared = shared;
    struct buf b;
    buf_init(&b);
    cmd_encode(&b, &c);
    cmd_free(&c);
    char body[512], rid[CMD_MAX_REQUEST_ID + 1];
    int blen = snprintf(body, sizeof body,
                        "{\"writer\":\"%s\",\"upto\":%" PRId64
                        ",\"shared\":%s}",
                        writer, upto, shared ? "true" : "false");
    snprintf(rid, sizeof rid, "%s-%016llx-cdr-%llx", a->node_name,
             (unsigned long long)a->incarnation,
             (unsigned long long)atomic_fetch_add(&a->cdr_ack_seq, 1));
    if (api_async_post(a, ACK_PATH, b.data, b.len, body, (size_t)blen, rid,
                       "127.0.0.1") != 0)
        log_warn("cdr writer: ack up to seq %" PRId64 " not sent: the async "
                 "backlog is full (it is sent again)", upto);
    buf_free(&b);
}

static void src_batching(void *arg, size_t *batch, int64_t *flush_ms)
{
    struct api *a = arg;
    store_rdlock(a->store);
    const struct store_settings *st = store_get_settings(a->store);
    *batch = (size_t)st->batch_insert_batch_size;
    *flush_ms = st->batch_insert_flush_interval_ms;
    store_rdunlock(a->store);
}

int api_cdr_start(struct api *a, char *err, size_t errlen)
{
    const struct config *cfg = a->cfg;
    const struct config_database *db = &cfg->database;
    char path[4096];
    snprintf(path, sizeof path, "%s/cdr.sqlite", cfg->data_dir);
    struct cdr_writer_config wc = {
        .sink = {
            .adapter = db->adapter,
            .host = db->hostname,
            .port = db->port,
            .user = db->username,
            .password = db->password,
            .dbname = db->database,
            .ssl = db->ssl,
            .sqlite_path = path,
        },
        .node_name = cfg->node_name,
    };
    struct cdr_writer_source src = {
        .arg = a,
        .cluster_id = src_cluster_id,
        .is_leader = src_is_leader,
        .bounds = src_bounds,
        .read = src_read,
        .acked = src_acked,
        .ack = src_ack,
        .batching = src_batching,
    };
    a->cdr = cdr_writer_start(&wc, &src, err, errlen);
    return a->cdr ? 0 : -1;
}

void api_cdr_stop(struct api *a)
{
    cdr_writer_stop(a->cdr);
}

void api_cdr_free(struct api *a)
{
    cdr_writer_free(a->cdr);
    a->cdr = NULL;
}

/* ---- admission ---- */

bool api_cdr_backlog_full(struct api_req *r)
{
    struct api *a = r->t->api;
    if (!store_outbox_full(a->store))
        return false;
    atomic_fetch_add(&a->cdr_backlog_refused, 1);
    int64_t now = time_mono_ms();
    int64_t last = atomic_load(&a->cdr_backlog_logged_ms);
    if (now - last >= BACKLOG_LOG_EVERY_MS &&
        atomic_compare_exchange_strong(&a->cdr_backlog_logged_ms, &last, now))
        log_warn("CDR backlog full (%llu rows, cdr_outbox_max_rows): "
                 "refusing submissions with 503 until the CDR writer "
                 "catches up request_id=%s",
                 (unsigned long long)store_outbox_rows(a->store), r->rid);
    api_reply_error(r, 503, "CDR backlog full");
    return true;
}

/* ---- POST /api/_internal/cdr_ack ---- */

static void ack_done(struct api_req *r)
{
    if (api_reply_result_error(r, &r->call.result))
        return;
    api_reply_data(r, 200, json_pack("{s:I}", "upto",
                                     (json_int_t)r->call.result.id));
}

void h_internal_cdr_ack(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    const char *writer = NULL;
    json_int_t upto = -1;
    int shared = 0;
    if (json_unpack(r->body, "{s:s,s:I,s:b}", "writer", &writer, "upto",
                    &upto, "shared", &shared) != 0 ||
        strlen(writer) == 0 || strlen(writer) > CMD_MAX_NAME || upto < 0) {
        api_reply_error(r, 422, "cdr_ack needs writer, upto >= 0 and shared");
        return;
    }
    struct cmd c;
    cmd_init(&c, CMD_CDR_ACK);
    c.u.cdr_ack.writer = xstrdup(writer);
    c.u.cdr_ack.upto = upto;
    c.u.cdr_ack.shared = shared != 0;
    api_set_cmd(r, &c);
    api_write(r, ack_done);
}

/* ---- GET /api/cdr/stats ---- */

static void put_time(json_t *o, const char *key, int64_t ms)
{
    if (ms <= 0) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char t[TIMEFMT_LEN];
    time_format(ms, t);
    json_object_set_new(o, key, json_string(t));
}

void h_cdr_stats(struct api_req *r)
{
    struct api *a = r->t->api;
    struct cdr_writer_stats w;
    cdr_writer_get_stats(a->cdr, &w);
    struct store_outbox_info o;
    bool enabled;
    store_rdlock(a->store);
    store_outbox_info(a->store, &o);
    int64_t acked = store_outbox_acked(a->store, w.writer);
    enabled = store_get_settings(a->store)->cdr_enabled;
    store_rdunlock(a->store);
    json_t *j = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:s,s:s,s:b,s:b,s:b,s:I,s:I,s:I,s:I,"
        "s:I,s:I,s:I,s:I}",
        "total_enqueued", (json_int_t)o.last_seq,
        "total_flushed", (json_int_t)w.total_flushed,
        "total_batches", (json_int_t)w.total_batches,
        "current_queue_size", (json_int_t)o.rows,
        "flush_errors", (json_int_t)w.flush_errors,
        "last_flush_count", (json_int_t)w.last_flush_count,
        "last_flush_duration_ms", w.last_flush_duration_ms,
        "adapter", w.adapter,
        "writer", w.writer,
        "cdr_enabled", enabled,
        "active", w.active,
        "connected", w.connected,
        "rows_flushed", (json_int_t)w.rows_flushed,
        "events_flushed", (json_int_t)w.events_flushed,
        "written_seq", (json_int_t)w.written_seq,
        "acked_seq", (json_int_t)acked,
        "outbox_head_seq", (json_int_t)o.head_seq,
        "outbox_last_seq", (json_int_t)o.last_seq,
        "left_out", (json_int_t)o.left_out,
        "backlog_refused",
        (json_int_t)atomic_load(&a->cdr_backlog_refused));
    put_time(j, "last_flush_at", w.last_flush_at);
    json_object_set_new(j, "last_error", w.last_error[0]
                                             ? json_string(w.last_error)
                                             : json_null());
    api_reply_data(r, 200, j);
}

/* ---- SQL reads on the query thread ---- */

struct cdr_req_job {
    struct cdr_query_job job;   /* first: done() casts back */
    struct api_req *r;
    bool csv;
    bool hide_body;
    int64_t events_since;       /* ms: older events are past event_ttl_days */
};

static void job_done(struct cdr_query_job *j)
{
    struct api_req *r = ((struct cdr_req_job *)j)->r;
    r->call.outcome = NODE_DONE;
    r->call.complete(&r->call); /* back to the request's thread */
}

void api_cdr_job_free(void *p)
{
    struct cdr_req_job *rj = p;
    cdr_query_job_clear(&rj->job);
    free(rj);
}

static struct cdr_req_job *job_start(struct api_req *r, int kind,
                                     void (*cont)(struct api_req *r))
{
    struct cdr_req_job *rj = xcalloc(1, sizeof *rj);
    rj->job.kind = kind;
    rj->job.done = job_done;
    rj->r = r;
    r->cdr_job = rj;
    api_call_begin(r, cont);
    return rj;
}

static bool job_failed(struct api_req *r, const struct cdr_query_job *j)
{
    if (j->rc == 0)
        return false;
    api_reply_error(r, 503, "CDR database unavailable: %s", j->err.msg);
    return true;
}

static void opt_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v ? json_string(v) : json_null());
}

static json_t *row_json(const struct cdr_row *c, bool hide_body)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "message_id", json_integer(c->message_id));
    opt_str(o, "calling_number", c->calling_number);
    opt_str(o, "called_number", c->called_number);
    opt_str(o, "source_smsc", c->source_smsc);
    opt_str(o, "dest_smsc", c->dest_smsc);
    opt_str(o, "origin_node", c->origin_node);
    opt_str(o, "destination_node", c->destination_node);
    put_time(o, "submission_time", c->submission_time);
    put_time(o, "delivery_time", c->delivery_time);
    put_time(o, "expiry_time", c->expiry_time);
    opt_str(o, "status", c->status);
    json_object_set_new(o, "delivery_attempts",
                        json_integer(c->delivery_attempts));
    json_object_set_new(o, "message_parts",
                        c->message_parts < 0
                            ? json_null()
                            : json_integer(c->message_parts));
    json_object_set_new(o, "deadletter", json_boolean(c->deadletter));
    opt_str(o, "message_body", hide_body ? NULL : c->message_body);
    put_time(o, "inserted_at", c->inserted_at);
    put_time(o, "updated_at", c->updated_at);
    return o;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break; NULL is an empty field. */
static void csv_field(struct evbuffer *b, const char *v, bool last)
{
    if (v && strpbrk(v, ",\"\r\n")) {
        evbuffer_add(b, "\"", 1);
        for (const char *p = v; *p; p++) {
            if (*p == '"')
                evbuffer_add(b, "\"", 1);
            evbuffer_add(b, p, 1);
        }
        evbuffer_add(b, "\"", 1);
    } else if (v) {
        evbuffer_add(b, v, strlen(v));
    }
    evbuffer_add(b, last ? "\r\n" : ",", last ? 2 : 1);
}

static void csv_time(struct evbuffer *b, int64_t ms)
{
    char t[TIMEFMT_LEN] = "";
    if (ms > 0)
        time_format(ms, t);
    csv_field(b, t, false);
}

static void csv_int(struct evbuffer *b, int64_t v, bool null)
{
    char t[32] = "";
    if (!null)
        snprintf(t, sizeof t, "%" PRId64, v);
    csv_field(b, t, false);
}

static void reply_csv(struct api_req *r, const struct cdr_query_job *j,
                      bool hide_body)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "id,message_id,calling_number,called_number,"
                           "source_smsc,dest_smsc,origin_node,"
                           "destination_node,submission_time,delivery_time,"
                           "expiry_time,status,delivery_attempts,"
                           "message_parts,deadletter,inserted_at,updated_at,"
                           "message_body\r\n");
    for (size_t i = 0; i < j->n_rows; i++) {
        const struct cdr_row *c = &j->rows[i];
        csv_int(b, c->id, false);
        csv_int(b, c->message_id, false);
        csv_field(b, c->calling_number, false);
        csv_field(b, c->called_number, false);
        csv_field(b, c->source_smsc, false);
        csv_field(b, c->dest_smsc, false);
        csv_field(b, c->origin_node, false);
        csv_field(b, c->destination_node, false);
        csv_time(b, c->submission_time);
        csv_time(b, c->delivery_time);
        csv_time(b, c->expiry_time);
        csv_field(b, c->status, false);
        csv_int(b, c->delivery_attempts, false);
        csv_int(b, c->message_parts, c->message_parts < 0);
        csv_field(b, c->deadletter ? "true" : "false", false);
        csv_time(b, c->inserted_at);
        csv_time(b, c->updated_at);
        csv_field(b, hide_body ? NULL : c->message_body, true);
    }
    size_t len = evbuffer_get_length(b);
    api_reply_raw(r, 200, "text/csv; charset=utf-8", evbuffer_pullup(b, -1),
                  len);
    evbuffer_free(b);
}

static void search_done(struct api_req *r)
{
    struct cdr_req_job *rj = r->cdr_job;
    const struct cdr_query_job *j = &rj->job;
    if (job_failed(r, j))
        return;
    if (rj->csv) {
        reply_csv(r, j, rj->hide_body);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < j->n_rows; i++)
        json_array_append_new(a, row_json(&j->rows[i], rj->hide_body));
    api_reply_data(r, 200, a);
}

static int query_time(struct api_req *r, const char *key, int64_t *out)
{
    const char *v = api_query(r, key);
    *out = CDR_TIME_NULL;
    if (v == NULL || v[0] == '\0')
        return 0;
    if (time_parse(v, out) != 0) {
        api_reply_error(r, 422, "%s must be an ISO 8601 time such as "
                                "2026-01-31T00:00:00Z", key);
        return -1;
    }
    return 0;
}

void h_cdrs_search(struct api_req *r)
{
    static const char *const statuses[] = {"delivered", "failed", "expired",
                                           "dropped", "rejected", NULL};
    const char *msisdn = api_query(r, "msisdn");
    const char *status = api_query(r, "status");
    const char *format = api_query(r, "format");
    long limit, offset;
    int64_t from, to;
    if (api_query_int(r, "limit", 1, SEARCH_MAX, 100, &limit) ||
        api_query_int(r, "offset", 0, 1L << 40, 0, &offset) ||
        query_time(r, "from", &from) || query_time(r, "to", &to))
        return;
    if (msisdn && (msisdn[0] == '\0' || strlen(msisdn) > 32)) {
        api_reply_error(r, 422, "msisdn must be 1 to 32 characters");
        return;
    }
    bool known = status == NULL;
    for (int i = 0; statuses[i] && !known; i++)
        known = strcmp(status, statuses[i]) == 0;
    if (!known) {
        api_reply_error(r, 422, "status must be one of delivered, failed, "
                                "expired, dropped, rejected");
        return;
    }
    if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0) {
        api_reply_error(r, 422, "format must be json or csv");
        return;
    }
    bool csv = format && strcmp(format, "csv") == 0;
    store_rdlock(r->t->api->store);
    const struct store_settings *st = store_get_settings(r->t->api->store);
    bool hide = csv ? st->hide_message_body_in_export
                    : st->hide_message_body_in_ui;
    store_rdunlock(r->t->api->store);
    struct cdr_req_job *rj = job_start(r, CDR_JOB_SEARCH, search_done);
    rj->csv = csv;
    rj->hide_body = hide;
    struct cdr_query_job *j = &rj->job;
    if (msisdn)
        snprintf(j->msisdn, sizeof j->msisdn, "%s", msisdn);
    if (status) {
        snprintf(j->status, sizeof j->status, "%s", status);
        j->q.status = j->status;
    }
    j->q.from_ms = from;
    j->q.to_ms = to;
    j->q.limit = (size_t)limit;
    j->q.offset = (size_t)offset;
    cdr_writer_query(r->t->api->cdr, j);
}

/* ---- events of messages that left the store ---- */

static void events_done(struct api_req *r)
{
    struct cdr_req_job *rj = r->cdr_job;
    const struct cdr_query_job *j = &rj->job;
    if (job_failed(r, j))
        return;
    json_t *a = json_array();
    for (size_t i = 0; i < j->n_events; i++) {
        const struct cdr_event *e = &j->events[i];
        if (e->event_epoch < rj->events_since)
            continue;
        char at[TIMEFMT_LEN];
        time_format(e->event_epoch, at);
        json_array_append_new(
            a, json_pack("{s:I,s:s,s:s,s:s?,s:s?}", "event_epoch",
                         (json_int_t)(e->event_epoch / 1000), "event_time", at,
                         "name", e->name, "description", e->description,
                         "event_source", e->event_source));
    }
    api_reply_data(r, 200, a);
}

void api_cdr_events(struct api_req *r, int64_t message_id)
{
    char cluster[256] = "";
    store_rdlock(r->t->api->store);
    const char *id = store_cluster_id(r->t->api->store);
    const struct store_settings *st = store_get_settings(r->t->api->store);
    bool enabled = st->cdr_enabled;
    int64_t since = time_now_ms() - st->event_ttl_days * 86400000LL;
    if (id)
        snprintf(cluster, sizeof cluster, "%s", id);
    store_rdunlock(r->t->api->store);
    if (cluster[0] == '\0' || !enabled) {
        api_reply_data(r, 200, json_array());
        return;
    }
    struct cdr_req_job *rj = job_start(r, CDR_JOB_EVENTS, events_done);
    snprintf(rj->job.cluster_id, sizeof rj->job.cluster_id, "%s", cluster);
    rj->job.message_id = message_id;
    rj->events_since = since;
    cdr_writer_query(r->t->api->cdr, &rj->job);
}

/* ---- metrics ---- */

static void metric(struct evbuffer *b, const char *name, const char *type,
                   const char *help, double v)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name,
                        help, name, type, name, v);
}

void api_cdr_metrics(struct evbuffer *b, struct api *a)
{
    struct cdr_writer_stats w;
    cdr_writer_get_stats(a->cdr, &w);
    struct store_outbox_info o;
    store_rdlock(a->store);
    store_outbox_info(a->store, &o);
    store_rdunlock(a->store);
    metric(b, "sms_c_cdr_outbox_rows", "gauge",
           "CDR rows and events waiting in the replicated outbox", (double)o.rows);
    metric(b, "sms_c_cdr_enqueued_total", "counter",
           "CDR rows and events appended to the outbox (its last seq)",
           (double)o.last_seq);
    metric(b, "sms_c_cdr_written_rows_total", "counter",
           "CDR rows this node's writer stored", (double)w.rows_flushed);
    metric(b, "sms_c_cdr_written_events_total", "counter",
           "Message events this node's writer stored",
           (double)w.events_flushed);
    metric(b, "sms_c_cdr_batches_total", "counter",
           "CDR batches (transactions) this node's writer committed",
           (double)w.total_batches);
    metric(b, "sms_c_cdr_flush_errors_total", "counter",
           "CDR batches that failed (SQL error or unreachable database)",
           (double)w.flush_errors);
    metric(b, "sms_c_cdr_last_flush_duration_seconds", "gauge",
           "Duration of the last CDR batch", w.last_flush_duration_ms / 1000);
    metric(b, "sms_c_cdr_writer_connected", "gauge",
           "1 when this node's CDR writer holds a database connection",
           w.connected);
    metric(b, "sms_c_cdr_writer_active", "gauge",
           "1 when this node's CDR writer writes (SQLite: every node; "
           "PostgreSQL/MariaDB: the leader)",
           w.active);
    metric(b, "sms_c_cdr_backlog_rejected_total", "counter",
           "Submissions refused with 503 because the CDR outbox was full",
           (double)atomic_load(&a->cdr_backlog_refused));
    metric(b, "sms_c_cdr_left_out_rows_total", "counter",
           "Outbox rows trimmed before a lagging SQLite writer stored them",
           (double)o.left_out);
}
