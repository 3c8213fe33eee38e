/* backup — GET /api/backup and POST /api/restore (SPEC §4).
 *
 * A backup is one JSON document:
 *
 *   {"format": "smsc-backup", "version": 1, "cluster_id": ...,
 *    "applied_index": N, "created_at": ..., "counts": {...},
 *    "state_format": "smsc-snapshot-5", "state_bytes": N, "sha256": ...,
 *    "state": "<base64 of the replicated state>"}
 *
 * The state is a frozen copy of the whole replicated state (the snapshot
 * encoding, taken under the read lock in one go), so the document is
 * consistent; it is streamed out in chunks, each sent once the previous
 * one left the socket, so a slow client costs memory for one chunk only.
 *
 * A restore takes that document on any node (followers forward it), checks
 * it (format, sha256, the state decodes), and on the leader proposes the
 * state in CMD_RESTORE chunks; the last one swaps it in on every replica
 * (raft_store/restore.c) — only into a cluster holding no messages (409).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/config.h"

#define BACKUP_VERSION 1
#define STATE_FORMAT "smsc-snapshot-5"
#define STREAM_RAW_CHUNK (192 * 1024) /* base64: 256 KiB a chunk */

static void sha256_hex(const uint8_t *p, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(p, len, md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- GET /api/backup ---- */

struct stream {
    struct api_req *r;
    uint8_t *state;
    size_t len, off;
    bool closed;
};

static void stream_end(struct stream *st)
{
    struct api_req *r = st->r;
    if (!st->closed) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(r->req),
                                      NULL, NULL);
        evhttp_send_reply_end(r->req);
    }
    r->req = NULL;
    free(st->state);
    free(st);
    r->pending--;
    api_req_release(r);
}

static void stream_next(struct evhttp_connection *evcon, void *arg)
{
    struct stream *st = arg;
    (void)evcon;
    if (st->closed || st->off >= st->len) {
        if (!st->closed) {
            struct evbuffer *b = evbuffer_new();
            evbuffer_add(b, "\"}\n", 3);
            evhttp_send_reply_chunk(st->r->req, b);
            evbuffer_free(b);
        }
        stream_end(st);
        return;
    }
    size_t n = st->len - st->off < STREAM_RAW_CHUNK ? st->len - st->off
                                                     : STREAM_RAW_CHUNK;
    struct evbuffer *b = evbuffer_new();
    unsigned char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    int k = EVP_EncodeBlock(out, st->state + st->off, (int)n);
    evbuffer_add(b, out, (size_t)k);
    free(out);
    st->off += n;
    evhttp_send_reply_chunk_with_cb(st->r->req, b, stream_next, st);
    evbuffer_free(b);
}

static void stream_closed(struct evhttp_connection *evcon, void *arg)
{
    struct stream *st = arg;
    (void)evcon;
    st->closed = true; /* the request goes with the connection */
    log_warn("backup: client went away after %zu of %zu state bytes "
             "request_id=%s", st->off, st->len, st->r->rid);
    stream_end(st);
}

static void backup_now(struct api_req *r)
{
    struct api *a = r->t->api;
    struct buf state;
    buf_init(&state);
    struct store_counts c;
    store_rdlock(a->store);
    store_snapshot(a->store, &state);
    const char *cid = store_cluster_id(a->store);
    char cluster[256];
    snprintf(cluster, sizeof cluster, "%s", cid ? cid : "");
    uint64_t index = store_applied_index(a->store);
    store_get_counts(a->store, &c);
    store_rdunlock(a->store);
    char sha[65], now[TIMEFMT_LEN];
    sha256_hex(state.data, state.len, sha);
    time_format(time_now_ms(), now);
    json_t *head = json_pack(
        "{s:s,s:i,s:s,s:I,s:s,s:{s:I,s:I,s:I,s:I},s:s,s:I,s:s}", "format",
        "smsc-backup", "version", BACKUP_VERSION, "cluster_id", cluster,
        "applied_index", (json_int_t)index, "created_at", now, "counts",
        "messages", (json_int_t)c.total, "routes", (json_int_t)c.routes,
        "translation_rules", (json_int_t)c.rules, "locations",
        (json_int_t)c.locations, "state_format", STATE_FORMAT, "state_bytes",
        (json_int_t)state.len, "sha256", sha);
    char *text = json_dumps(head, JSON_COMPACT);
    json_decref(head);
    /* the header object, reopened for the "state" member */
    size_t tl = strlen(text);
    text[tl - 1] = '\0';
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "%s,\"state\":\"", text);
    free(text);

    struct stream *st = xcalloc(1, sizeof *st);
    st->r = r;
    st->state = buf_steal(&state, &st->len);
    r->answered = true;
    r->pending++;
    api_observe_reply(r, 200);
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(h, "Content-Type", "application/json");
    evhttp_add_header(h, "X-Request-Id", r->rid);
    evhttp_connection_set_closecb(evhttp_request_get_connection(r->req),
                                  stream_closed, st);
    evhttp_send_reply_start(r->req, 200, "OK");
    evhttp_send_reply_chunk_with_cb(r->req, b, stream_next, st);
    evbuffer_free(b);
}

void h_backup(struct api_req *r)
{
    api_read(r, backup_now);
}

/* ---- POST /api/restore ---- */

struct restore_job {
    uint8_t *state;
    size_t len, off;
    uint64_t check;
};

static void restore_free(struct restore_job *j)
{
    free(j->state);
    free(j);
}

static void next_chunk(struct api_req *r);

static void chunk_done(struct api_req *r)
{
    struct restore_job *j = r->restore_job;
    const struct store_result *res = &r->call.result;
    if (res->status >= 400) {
        api_reply_error(r, res->status, "%s", res->detail);
        return;
    }
    if (j->off < j->len) {
        next_chunk(r);
        return;
    }
    log_info("restore: %zu state bytes restored request_id=%s", j->len,
             r->rid);
    api_reply_data(r, 200, json_pack("{s:I,s:I}", "messages",
                                     (json_int_t)res->id, "state_bytes",
                                     (json_int_t)j->len));
}

static void next_chunk(struct api_req *r)
{
    struct restore_job *j = r->restore_job;
    size_t n = j->len - j->off < CMD_MAX_RESTORE_CHUNK ? j->len - j->off
                                                       : CMD_MAX_RESTORE_CHUNK;
    struct cmd c;
    cmd_init(&c, CMD_RESTORE);
    c.node = xstrdup(r->t->api->node_name);
    c.u.restore.total = j->len;
    c.u.restore.offset = j->off;
    c.u.restore.check = j->check;
    c.u.restore.len = (uint32_t)n;
    c.u.restore.bytes = xmalloc(n);
    memcpy(c.u.restore.bytes, j->state + j->off, n);
    j->off += n;
    struct buf b;
    buf_init(&b);
    cmd_encode(&b, &c);
    cmd_free(&c);
    free(r->cmd);
    r->cmd = buf_steal(&b, &r->cmd_len);
    r->cont = chunk_done;
    /* a large restore takes longer than one write may: each chunk gets
     * the time of one write */
    api_extend_deadline(r, r->t->api->cfg->raft.apply_timeout_ms);
    api_propose(r);
}

/* Checks the document; fills j, or replies and returns -1. */
static int parse_backup(struct api_req *r, struct restore_job *j)
{
    const char *format = NULL, *sha = NULL, *state = NULL;
    int version = 0;
    json_int_t bytes = -1;
    if (json_unpack(r->body, "{s:s,s:i,s:s,s:I,s:s}", "format", &format,
                    "version", &version, "sha256", &sha, "state_bytes",
                    &bytes, "state", &state) != 0 ||
        strcmp(format, "smsc-backup") != 0) {
        api_reply_error(r, 422, "Not an smsc backup: format, version, "
                                "sha256, state_bytes and state are required");
        return -1;
    }
    const char *sf = json_string_value(json_object_get(r->body,
                                                       "state_format"));
    if (version != BACKUP_VERSION || (sf && strcmp(sf, STATE_FORMAT) != 0)) {
        api_reply_error(r, 422, "Backup version %d (%s) is not readable by "
                                "this node (version %d, %s)",
                        version, sf ? sf : "-", BACKUP_VERSION, STATE_FORMAT);
        return -1;
    }
    size_t sl = strlen(state);
    if (sl % 4 != 0 || bytes < 0 || (size_t)bytes > sl / 4 * 3) {
        api_reply_error(r, 422, "state: not base64 of state_bytes bytes");
        return -1;
    }
    j->state = xmalloc(sl / 4 * 3 + 1);
    int n = sl ? EVP_DecodeBlock(j->state, (const unsigned char *)state,
                                 (int)sl)
               : 0;
    if (n < 0 || (size_t)n < (size_t)bytes) {
        api_reply_error(r, 422, "state: not base64 of state_bytes bytes");
        return -1;
    }
    j->len = (size_t)bytes; /* drops the padding EVP_DecodeBlock counts */
    char got[65];
    sha256_hex(j->state, j->len, got);
    if (strcmp(got, sha) != 0) {
        api_reply_error(r, 422, "sha256 does not match the state: the "
                                "backup is damaged");
        return -1;
    }
    struct store *t = store_new();
    char err[160];
    int rc = store_restore(t, j->state, j->len, err, sizeof err);
    store_free(t);
    if (rc != 0) {
        api_reply_error(r, 422, "state: %s", err);
        return -1;
    }
    j->check = hash_stable(j->state, j->len);
    return 0;
}

static void restore_on_leader(struct api_req *r)
{
    struct restore_job *j = xcalloc(1, sizeof *j);
    r->restore_job = j;
    if (parse_backup(r, j) != 0)
        return;
    struct store_counts c;
    store_rdlock(r->t->api->store);
    store_get_counts(r->t->api->store, &c);
    store_rdunlock(r->t->api->store);
    if (c.total > 0) {
        api_reply_error(r, 409, "The cluster holds %llu messages: restore "
                                "needs one that holds none",
                        (unsigned long long)c.total);
        return;
    }
    next_chunk(r);
}

void h_restore(struct api_req *r)
{
    if (api_parse_body(r, false) != 0)
        return;
    r->leader_action = restore_on_leader;
    api_write(r, chunk_done);
}

void api_restore_job_free(void *j)
{
    restore_free(j);
}
