/* node_commit — group commit and the waiters of the raft thread.
 *
 * Other threads append to node->queue (locked) and wake the loop; the raft
 * thread moves everything to its private `pending` list and packs it into
 * raft entries: as many commands as fit in max_entry_bytes per entry, up to
 * max_inflight entries at once.  Under light load each command gets its own
 * entry at once (lowest latency); under heavy load the in-flight slots fill
 * and the next entry carries everything that queued meanwhile — the batch
 * size follows the load.  Results come back through the apply callback
 * (see node_fsm.c for how they reach the inflight record).
 */
#include "raft_store/node_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/timefmt.h"
#include "common/xalloc.h"
#include "raft_store/cmd.h"

void sub_push(struct sub_list *l, struct sub *s)
{
    s->next = NULL;
    if (l->tail)
        l->tail->next = s;
    else
        l->head = s;
    l->tail = s;
    l->len++;
}

struct sub *sub_pop(struct sub_list *l)
{
    struct sub *s = l->head;
    if (s == NULL)
        return NULL;
    l->head = s->next;
    if (l->head == NULL)
        l->tail = NULL;
    l->len--;
    return s;
}

void commit_complete(struct node_call *c, int outcome)
{
    if (c == NULL)
        return;
    c->outcome = outcome;
    c->complete(c);
}

/* ---- applied-index waiters: a binary min-heap on wait_index ---- */

static void waiter_push(struct node *n, struct node_call *c)
{
    if (n->n_waiters == n->cap_waiters) {
        n->cap_waiters = n->cap_waiters ? n->cap_waiters * 2 : 64;
        n->waiters = xrealloc(n->waiters, n->cap_waiters * sizeof *n->waiters);
    }
    size_t i = n->n_waiters++;
    while (i > 0 && n->waiters[(i - 1) / 2]->wait_index > c->wait_index) {
        n->waiters[i] = n->waiters[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    n->waiters[i] = c;
}

static struct node_call *waiter_pop(struct node *n)
{
    struct node_call *top = n->waiters[0];
    struct node_call *last = n->waiters[--n->n_waiters];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n->n_waiters)
            break;
        if (c + 1 < n->n_waiters &&
            n->waiters[c + 1]->wait_index < n->waiters[c]->wait_index)
            c++;
        if (n->waiters[c]->wait_index >= last->wait_index)
            break;
        n->waiters[i] = n->waiters[c];
        i = c;
    }
    if (n->n_waiters > 0)
        n->waiters[i] = last;
    return top;
}

void commit_check_waiters(struct node *n)
{
    raft_index applied = raft_last_applied(&n->raft);
    while (n->n_waiters > 0 && n->waiters[0]->wait_index <= applied) {
        struct node_call *c = waiter_pop(n);
        c->index = applied;
        commit_complete(c, NODE_DONE);
    }
}

/* ---- barriers for linearizable reads ---- */

static void barrier_cb(struct raft_barrier *req, int status)
{
    struct node *n = req->data;
    struct node_call *c = n->barrier_busy;
    n->barrier_busy = NULL;
    n->barrier_running = false;
    raft_index applied = raft_last_applied(&n->raft);
    while (c) {
        struct node_call *next = c->next;
        c->index = applied;
        commit_complete(c, status == 0 ? NODE_DONE : NODE_NOT_LEADER);
        c = next;
    }
    if (!n->closing)
        commit_start_barrier(n);
}

void commit_start_barrier(struct node *n)
{
    if (n->barrier_running || n->barrier_next == NULL)
        return;
    n->barrier_busy = n->barrier_next;
    n->barrier_next = NULL;
    n->barrier_req.data = n;
    if (raft_state(&n->raft) == RAFT_LEADER &&
        raft_barrier(&n->raft, &n->barrier_req, barrier_cb) == 0) {
        n->barrier_running = true;
        return;
    }
    struct node_call *c = n->barrier_busy;
    n->barrier_busy = NULL;
    while (c) {
        struct node_call *next = c->next;
        commit_complete(c, NODE_NOT_LEADER);
        c = next;
    }
}

/* ---- the submission queue ---- */

void commit_drain_queue(struct node *n)
{
    pthread_mutex_lock(&n->qlock);
    struct sub_list q = n->queue;
    memset(&n->queue, 0, sizeof n->queue);
    pthread_mutex_unlock(&n->qlock);

    struct sub *s;
    while ((s = sub_pop(&q)) != NULL) {
        switch (s->kind) {
        case SUB_CMD:
            sub_push(&n->pending, s);
            continue;
        case SUB_WAIT:
            waiter_push(n, s->call);
            break;
        case SUB_BARRIER:
            s->call->next = n->barrier_next;
            n->barrier_next = s->call;
            break;
        case SUB_ADD:
            members_add(n, s);
            continue;
        case SUB_REMOVE:
        case SUB_ASSIGN:
        case SUB_TRANSFER:
            members_change(n, s);
            continue;
        case SUB_SNAPSHOT:
            /* the next apply takes one; fsm_snapshot completes the call */
            s->call->next = n->snapshot_calls;
            n->snapshot_calls = s->call;
            raft_set_snapshot_threshold(&n->raft, 1);
            free(s->bytes);
            break;
        }
        free(s);
    }
    commit_check_waiters(n);
    commit_start_barrier(n);
    commit_pump(n);
}

/* ---- group commit ---- */

static void free_inflight(struct inflight *f)
{
    store_results_free(f->results, f->n_results);
    free(f->calls);
    free(f);
}

/* Followers learn the commit index from the leader's next AppendEntries,
 * which at low load is the next heartbeat — up to heartbeat_timeout_ms
 * later, and a follower relaying a forwarded write waits for exactly that.
 * So when the leader falls idle after applying commands, it appends a
 * barrier: its AppendEntries carries the new commit index at once. */
static void published(struct raft_barrier *req, int status)
{
    struct node *n = req->data;
    (void)status;
    n->publish_running = false;
}

static void publish_commit_index(struct node *n)
{
    if (n->publish_running || n->closing || n->inflight.count > 0 ||
        n->pending.head != NULL || n->raft.configuration.n < 2)
        return;
    n->publish_req.data = n;
    if (raft_barrier(&n->raft, &n->publish_req, published) == 0)
        n->publish_running = true;
}

const struct metric_family M_RAFT_APPLY_DURATION = {
    "sms_c_raft_apply_duration",
    "From packing a group-commit entry to its apply on the leader, ms",
    METRIC_HISTOGRAM, 0, {NULL}, 11,
    {0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000}};
const struct metric_family M_RAFT_COMMANDS_PER_ENTRY = {
    "sms_c_raft_commands_per_entry", "Commands packed into one raft entry",
    METRIC_HISTOGRAM, 0, {NULL}, 11,
    {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    struct inflight *f = req->data;
    struct node *n = f->node;
    if (status == 0)
        metric_observe(&M_RAFT_APPLY_DURATION, mono_ms() - f->packed_at);
    (void)result; /* results arrive through f->results, see node_fsm.c */
    hmap_u64_del(&n->inflight, f->seq);
    bool ok = status == 0 && f->results != NULL && f->n_results == f->n;
    for (uint32_t i = 0; i < f->n; i++) {
        struct node_call *c = f->calls[i];
        if (c == NULL)
            continue;
        c->index = req->index;
        if (ok) {
            c->result = f->results[i];
            f->results[i].ids = NULL; /* moved to the call */
        }
        commit_complete(c, ok ? NODE_DONE : NODE_UNKNOWN);
    }
    if (status != 0)
        log_warn("raft: entry %llu (%u commands): %s; outcome unknown",
                 (unsigned long long)req->index, f->n, raft_strerror(status));
    free_inflight(f);
    if (!n->closing) {
        commit_pump(n);
        if (status == 0)
            publish_commit_index(n);
    }
}

static void fail_pending(struct node *n, int outcome)
{
    struct sub *s;
    while ((s = sub_pop(&n->pending)) != NULL) {
        commit_complete(s->call, outcome);
        free(s->bytes);
        free(s);
    }
}

/* Packs pending commands into one entry; returns the inflight record. */
static struct inflight *pack(struct node *n, struct buf *b)
{
    struct inflight *f = xcalloc(1, sizeof *f);
    f->node = n;
    f->seq = ++n->next_seq;
    size_t cap = 16;
    f->calls = xcalloc(cap, sizeof *f->calls);
    cmd_batch_begin(b);
    while (n->pending.head != NULL) {
        struct sub *s = n->pending.head;
        if (f->n > 0 && b->len + s->len + 16 > n->max_entry)
            break;
        sub_pop(&n->pending);
        cmd_batch_add(b, s->bytes, s->len);
        if (f->n == cap) {
            cap *= 2;
            f->calls = xrealloc(f->calls, cap * sizeof *f->calls);
        }
        f->calls[f->n++] = s->call;
        free(s->bytes);
        free(s);
    }
    cmd_batch_end(b, f->n, time_now_ms(), n->incarnation, f->seq);
    f->packed_at = mono_ms();
    metric_observe(&M_RAFT_COMMANDS_PER_ENTRY, (double)f->n);
    return f;
}

void commit_pump(struct node *n)
{
    if (n->pending.head == NULL)
        return;
    if (n->closing) {
        fail_pending(n, NODE_SHUTDOWN);
        return;
    }
    if (raft_state(&n->raft) != RAFT_LEADER) {
        fail_pending(n, NODE_NOT_LEADER);
        return;
    }
    struct buf b;
    buf_init(&b);
    while (n->pending.head != NULL && n->inflight.count < n->max_inflight) {
        struct inflight *f = pack(n, &b);
        struct raft_buffer rb;
        rb.len = b.len;
        rb.base = raft_malloc(b.len);
        memcpy(rb.base, b.data, b.len);
        f->req.data = f;
        hmap_u64_put(&n->inflight, f->seq, f);
        int rv = raft_apply(&n->raft, &f->req, &rb, 1, apply_cb);
        if (rv != 0) {
            raft_free(rb.base);
            hmap_u64_del(&n->inflight, f->seq);
            int outcome = rv == RAFT_NOTLEADER ? NODE_NOT_LEADER : NODE_BUSY;
            for (uint32_t i = 0; i < f->n; i++)
                commit_complete(f->calls[i], outcome);
            log_warn("raft: apply failed: %s", raft_strerror(rv));
            free_inflight(f);
        }
    }
    buf_free(&b);
}

void commit_fail_all(struct node *n, int outcome)
{
    members_fail_transfer(n, outcome);
    commit_drain_queue(n);
    fail_pending(n, outcome);
    while (n->n_waiters > 0)
        commit_complete(waiter_pop(n), outcome);
    struct node_call *lists[2] = {n->barrier_next, n->snapshot_calls};
    n->barrier_next = n->snapshot_calls = NULL;
    for (int i = 0; i < 2; i++) {
        struct node_call *c = lists[i];
        while (c) {
            struct node_call *next = c->next;
            commit_complete(c, outcome);
            c = next;
        }
    }
}
