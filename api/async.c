/* async — the create_async backlog (SPEC §4).
 *
 * An accepted asynchronous message is kept here until the cluster has
 * committed it: on the leader it is proposed to raft; on a follower it is
 * forwarded to the leader as a synchronous create carrying the same request
 * id.  Failures whose outcome is unknown (leadership lost, connection
 * dropped) are retried with that id, so the state machine stores the
 * message once.  The backlog is bounded by async_queue_max (503 past it).
 * On the leader a new item is proposed at once by the thread that accepted
 * it; thread 0 of the API drains the backlog (a follower's items, retries);
 * node completions arrive on the raft thread and only hand items back.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "cluster/forward.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/config.h"

#define ASYNC_RETRY_MS 200

struct async_item {
    struct node_call call;   /* must stay first: complete() casts back */
    struct api *api;
    uint8_t *cmd;
    size_t cmd_len;
    char *body;
    size_t body_len;
    char rid[CMD_MAX_REQUEST_ID + 1];
    char client[64];
    const char *path;        /* where a follower forwards the body */
    struct async_item *next;
};

/* The backlog shared by every thread, drained on thread 0. */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static struct async_item *q_head; /* guarded by q_lock */
static struct async_item *q_tail; /* guarded by q_lock */

static void enqueue(struct api *a, struct async_item *it, bool wake)
{
    it->next = NULL;
    pthread_mutex_lock(&q_lock);
    if (q_tail)
        q_tail->next = it;
    else
        q_head = it;
    q_tail = it;
    pthread_mutex_unlock(&q_lock);
    if (wake)
        event_active(a->threads[0].async_ev, EV_READ, 0);
}

static void item_free(struct async_item *it)
{
    atomic_fetch_sub(&it->api->async_backlog, 1);
    free(it->cmd);
    free(it->body);
    free(it->call.result.ids);
    free(it);
}

static void settle(struct async_item *it, int status, const char *detail)
{
    if (status >= 400 && status != 409)
        log_warn("async: message request_id=%s not stored: %d %s", it->rid,
                 status, detail);
    item_free(it);
}

/* raft thread: the proposal came back */
static void proposed(struct node_call *c)
{
    struct async_item *it = (struct async_item *)c;
    if (c->outcome == NODE_DONE) {
        settle(it, c->result.status, c->result.detail);
        return;
    }
    free(c->result.ids);
    memset(&it->call, 0, sizeof it->call);
    enqueue(it->api, it, false); /* the retry timer picks it up */
}

static void forwarded(const struct fwd_response *resp, void *arg)
{
    struct async_item *it = arg;
    if (resp->error || resp->not_leader || resp->status == 503) {
        enqueue(it->api, it, false);
        return;
    }
    settle(it, resp->status, "from the leader");
}

static void send_one(struct api_thread *t, struct async_item *it, bool leader,
                     const char *url)
{
    if (leader) {
        it->call.complete = proposed;
        node_propose(t->api->node, it->cmd, it->cmd_len, &it->call);
        return;
    }
    struct fwd_meta meta = {"POST", it->path, t->api->node_name, it->client,
                            it->rid, "node"};
    if (url == NULL || fwd_send(t->fwd, url, EVHTTP_REQ_POST, &meta,
                                t->api->cfg->cluster_secret, it->body,
                                it->body_len, forwarded, it) != 0)
        enqueue(t->api, it, false);
}

static bool leader_url(struct api *a, char *out, size_t len)
{
    struct node_status st;
    node_get_status(a->node, &st);
    bool ok = false;
    store_rdlock(a->store);
    const struct store_node_info *ni =
        st.leader_id ? store_node_info_by_id(a->store, st.leader_id) : NULL;
    if (ni && ni->api_url) {
        snprintf(out, len, "%s", ni->api_url);
        ok = true;
    }
    store_rdunlock(a->store);
    return ok;
}

static void drain(evutil_socket_t fd, short what, void *arg)
{
    struct api_thread *t = arg;
    (void)fd;
    (void)what;
    pthread_mutex_lock(&q_lock);
    struct async_item *it = q_head;
    q_head = q_tail = NULL;
    pthread_mutex_unlock(&q_lock);
    if (it == NULL)
        return;
    bool leader = node_is_leader(t->api->node);
    char url[256];
    bool have_url = !leader && leader_url(t->api, url, sizeof url);
    while (it) {
        struct async_item *next = it->next;
        send_one(t, it, leader, have_url ? url : NULL);
        it = next;
    }
}

int api_async_post(struct api *a, const char *path, const uint8_t *cmd,
                   size_t len, const char *body, size_t body_len,
                   const char *rid, const char *client)
{
    if (atomic_fetch_add(&a->async_backlog, 1) >= a->cfg->async_queue_max) {
        atomic_fetch_sub(&a->async_backlog, 1);
        return -1;
    }
    struct async_item *it = xcalloc(1, sizeof *it);
    it->api = a;
    it->call.data = it;
    it->path = path;
    it->cmd = xmalloc(len);
    memcpy(it->cmd, cmd, len);
    it->cmd_len = len;
    it->body = xmalloc(body_len + 1);
    memcpy(it->body, body, body_len);
    it->body_len = body_len;
    snprintf(it->rid, sizeof it->rid, "%s", rid);
    snprintf(it->client, sizeof it->client, "%s", client);
    if (node_is_leader(a->node)) {
        /* proposed from this thread at once: no hop through thread 0 (a
         * failure comes back through proposed() into the backlog) */
        it->call.complete = proposed;
        node_propose(a->node, it->cmd, it->cmd_len, &it->call);
        return 0;
    }
    enqueue(a, it, true);
    return 0;
}

int api_async_submit(struct api_req *r, const char *path, const uint8_t *cmd,
                     size_t len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t body_len = evbuffer_get_length(in);
    char *body = (char *)evbuffer_pullup(in, (ev_ssize_t)body_len);
    return api_async_post(r->t->api, path, cmd, len, body ? body : "",
                          body_len, r->rid, r->client_ip);
}

void api_async_thread_init(struct api_thread *t)
{
    /* Woken at once on new items, and every ASYNC_RETRY_MS for retries. */
    t->async_ev = event_new(t->base, -1, EV_PERSIST, drain, t);
    struct timeval tv = {0, ASYNC_RETRY_MS * 1000};
    event_add(t->async_ev, &tv);
}
