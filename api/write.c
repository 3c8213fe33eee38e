/* write — how a write travels: proposed here when this node leads, else
 * forwarded to the leader and relayed back once this node has applied the
 * leader's entry (so the client reads its write from the node it asked).
 *
 * Every wait is bounded by raft.apply_timeout_ms from the request's start:
 * past it the client gets 503 "Outcome unknown; retry with the same
 * Idempotency-Key" — the request id makes that retry safe.  Forwarding
 * retries (connection lost, leader changing) reuse the same request id, so
 * the state machine applies the write at most once.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "cluster/forward.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "server/config.h"

#define RETRY_MS 100

static const char *unknown_detail =
    "Outcome unknown; retry with the same Idempotency-Key";

static void forward(struct api_req *r);

/* ---- node calls: complete on the raft thread, continue on ours ---- */

static void call_complete(struct node_call *c)
{
    struct api_req *r = c->data;
    struct api_thread *t = r->t;
    pthread_mutex_lock(&t->done_lock);
    r->done_next = t->done_head;
    t->done_head = r;
    pthread_mutex_unlock(&t->done_lock);
    event_active(t->done_ev, EV_READ, 0);
}

void api_thread_wake_done(evutil_socket_t fd, short what, void *arg)
{
    struct api_thread *t = arg;
    (void)fd;
    (void)what;
    pthread_mutex_lock(&t->done_lock);
    struct api_req *r = t->done_head;
    t->done_head = NULL;
    pthread_mutex_unlock(&t->done_lock);
    while (r) {
        struct api_req *next = r->done_next;
        r->pending--;
        if (!r->answered)
            r->on_call(r);
        api_req_release(r);
        r = next;
    }
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api_req *r = arg;
    (void)fd;
    (void)what;
    if (!r->answered)
        api_reply_error(r, 503, "%s", unknown_detail);
    api_req_release(r);
}

static void arm_deadline(struct api_req *r)
{
    if (r->timer != NULL)
        return;
    r->timer = evtimer_new(r->t->base, deadline_cb, r);
    int64_t left = r->deadline_ms - time_mono_ms();
    if (left < 0)
        left = 0;
    struct timeval tv = {(time_t)(left / 1000), (suseconds_t)(left % 1000) * 1000};
    evtimer_add(r->timer, &tv);
}

void api_extend_deadline(struct api_req *r, int64_t ms)
{
    r->deadline_ms = time_mono_ms() + ms;
    if (r->timer != NULL) {
        struct timeval tv = {(time_t)(ms / 1000),
                             (suseconds_t)(ms % 1000) * 1000};
        evtimer_add(r->timer, &tv);
    }
}

void api_call_begin(struct api_req *r, void (*cont)(struct api_req *r))
{
    free(r->call.result.ids);
    memset(&r->call, 0, sizeof r->call);
    r->call.complete = call_complete;
    r->call.data = r;
    r->on_call = cont;
    r->pending++;
    arm_deadline(r);
}

/* ---- delayed retries ---- */

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct api_req *r = arg;
    (void)fd;
    (void)what;
    r->pending--;
    if (!r->answered)
        api_write(r, r->cont);
    api_req_release(r);
}

static void retry_later(struct api_req *r)
{
    if (time_mono_ms() + RETRY_MS >= r->deadline_ms) {
        api_reply_error(r, 503, r->retries ? "%s" : "No leader; retry later",
                        unknown_detail);
        return;
    }
    r->retries++;
    r->pending++;
    struct timeval tv = {0, RETRY_MS * 1000};
    event_base_once(r->t->base, -1, EV_TIMEOUT, retry_cb, r, &tv);
}

/* ---- proposing on the leader ---- */

static void add_index_header(struct api_req *r, uint64_t index)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)index);
    evhttp_add_header(evhttp_request_get_output_headers(r->req), FWD_HDR_INDEX,
                      v);
}

void api_local_done(struct api_req *r)
{
    switch (r->call.outcome) {
    case NODE_DONE:
        add_index_header(r, r->call.index);
        r->cont(r);
        return;
    case NODE_NOT_LEADER:
        if (r->forwarded) {
            evhttp_add_header(evhttp_request_get_output_headers(r->req),
                              FWD_HDR_NOT_LEADER, "1");
            api_reply_error(r, 503, "Not the leader any more; retry");
        } else {
            retry_later(r);
        }
        return;
    case NODE_SHUTDOWN:
        api_reply_error(r, 503, "Shutting down; retry on another node");
        return;
    case NODE_BUSY:
        api_reply_error(r, 503, "Node busy; retry later");
        return;
    default:
        api_reply_error(r, 503, "%s", unknown_detail);
        return;
    }
}

void api_propose(struct api_req *r)
{
    api_call_begin(r, api_local_done);
    node_propose(r->t->api->node, r->cmd, r->cmd_len, &r->call);
}

/* ---- forwarding to the leader ---- */

static const char *leader_url(struct api_req *r, char *out, size_t len)
{
    struct node_status st;
    node_get_status(r->t->api->node, &st);
    if (st.leader_id == 0)
        return NULL;
    const char *url = NULL;
    store_rdlock(r->t->api->store);
    const struct store_node_info *ni =
        store_node_info_by_id(r->t->api->store, st.leader_id);
    if (ni && ni->api_url) {
        snprintf(out, len, "%s", ni->api_url);
        url = out;
    }
    store_rdunlock(r->t->api->store);
    return url;
}

static void relay(struct api_req *r)
{
    api_reply_raw(r, r->fwd_status, r->fwd_ctype[0] ? r->fwd_ctype : NULL,
                  r->fwd_body ? r->fwd_body : "", r->fwd_len);
}

static void relay_after_apply(struct api_req *r)
{
    if (r->call.outcome == NODE_DONE)
        relay(r);
    else
        api_reply_error(r, 503, "%s", unknown_detail);
}

static void forward_done(const struct fwd_response *resp, void *arg)
{
    struct api_req *r = arg;
    r->pending--;
    if (r->answered) {
        api_req_release(r);
        return;
    }
    if (resp->error || resp->not_leader) {
        retry_later(r);
        api_req_release(r);
        return;
    }
    r->fwd_status = resp->status;
    free(r->fwd_body);
    r->fwd_body = xmalloc(resp->len + 1);
    memcpy(r->fwd_body, resp->body, resp->len);
    r->fwd_len = resp->len;
    snprintf(r->fwd_ctype, sizeof r->fwd_ctype, "%s",
             resp->content_type ? resp->content_type : "");
    unsigned long long index = resp->index ? strtoull(resp->index, NULL, 10) : 0;
    if (index == 0) {
        relay(r);
    } else {
        api_call_begin(r, relay_after_apply);
        node_wait_applied(r->t->api->node, index, &r->call);
    }
    api_req_release(r);
}

static const char *method_str(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    case EVHTTP_REQ_DELETE: return "DELETE";
    default: return "GET";
    }
}

static void forward(struct api_req *r)
{
    if (r->forwarded) {
        evhttp_add_header(evhttp_request_get_output_headers(r->req),
                          FWD_HDR_NOT_LEADER, "1");
        api_reply_error(r, 503, "Not the leader; a forwarded request is not "
                                "forwarded again");
        return;
    }
    char url[256];
    if (leader_url(r, url, sizeof url) == NULL) {
        retry_later(r);
        return;
    }
    if (r->key_kind == KEY_NONE)
        r->key_kind = KEY_NODE; /* we may resend it: let the FSM dedupe */
    enum evhttp_cmd_type m = r->fwd_path ? EVHTTP_REQ_POST
                                         : evhttp_request_get_command(r->req);
    struct fwd_meta meta = {
        .method = method_str(m),
        .uri = r->fwd_path ? r->fwd_path : evhttp_request_get_uri(r->req),
        .forwarder = r->t->api->node_name,
        .client = r->client_ip,
        .rid = r->rid,
        .kind = r->key_kind == KEY_CLIENT ? "client" : "node",
    };
    const void *body = r->fwd_json;
    size_t len = r->fwd_json ? strlen(r->fwd_json) : 0;
    if (r->fwd_path == NULL) {
        struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
        len = evbuffer_get_length(in);
        body = evbuffer_pullup(in, -1);
    }
    arm_deadline(r);
    r->pending++;
    if (fwd_send(r->t->fwd, url, m, &meta, r->t->api->cfg->cluster_secret,
                 body ? body : "", len, forward_done, r) != 0) {
        r->pending--;
        api_reply_error(r, 503, "Leader address %s is unusable", url);
    }
}

void api_write(struct api_req *r, void (*done)(struct api_req *r))
{
    r->cont = done;
    if (!node_is_leader(r->t->api->node))
        forward(r);
    else if (r->leader_action)
        r->leader_action(r);
    else
        api_propose(r);
}

/* ---- linearizable reads ---- */

bool api_wants_linearizable(struct api_req *r)
{
    const char *h = api_header(r, "X-Consistency");
    const char *q = api_query(r, "consistent");
    return (h && strcasecmp(h, "linearizable") == 0) ||
           (q && (strcmp(q, "true") == 0 || strcmp(q, "1") == 0));
}

static void read_ready(struct api_req *r)
{
    if (r->call.outcome == NODE_DONE)
        r->cont(r);
    else if (r->call.outcome == NODE_NOT_LEADER)
        api_reply_error(r, 503, "Leader changed during a linearizable read; "
                                "retry");
    else
        api_reply_error(r, 503, "Linearizable read failed; retry");
}

static void read_index_done(const struct fwd_response *resp, void *arg)
{
    struct api_req *r = arg;
    r->pending--;
    if (!r->answered) {
        unsigned long long index = 0;
        if (!resp->error && resp->status == 200 && resp->index)
            index = strtoull(resp->index, NULL, 10);
        if (index == 0) {
            api_reply_error(r, 503, "No leader for a linearizable read; retry");
        } else {
            api_call_begin(r, read_ready);
            node_wait_applied(r->t->api->node, index, &r->call);
        }
    }
    api_req_release(r);
}

void api_read(struct api_req *r, void (*read)(struct api_req *r))
{
    if (api_wants_linearizable(r))
        api_linearize(r, read);
    else
        read(r);
}

void api_linearize(struct api_req *r, void (*cont)(struct api_req *r))
{
    r->cont = cont;
    if (node_is_leader(r->t->api->node)) {
        api_call_begin(r, read_ready);
        node_barrier(r->t->api->node, &r->call);
        return;
    }
    char url[256];
    if (r->forwarded || leader_url(r, url, sizeof url) == NULL) {
        api_reply_error(r, 503, "No leader for a linearizable read; retry");
        return;
    }
    struct fwd_meta meta = {"GET", "/api/_internal/read_index",
                            r->t->api->node_name, r->client_ip, r->rid,
                            "node"};
    arm_deadline(r);
    r->pending++;
    if (fwd_send(r->t->fwd, url, EVHTTP_REQ_GET, &meta,
                 r->t->api->cfg->cluster_secret, "", 0, read_index_done,
                 r) != 0) {
        r->pending--;
        api_reply_error(r, 503, "Leader address %s is unusable", url);
    }
}
