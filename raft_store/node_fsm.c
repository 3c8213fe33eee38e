/* node_fsm — raft's FSM callbacks: apply, snapshot, restore.
 *
 * apply() runs every committed entry through store_apply_entry().  raft
 * hands a result pointer only to the leader's apply callback, and drops it
 * on followers (and on a leader that lost the request), so results travel
 * another way: the entry header names the proposing process (incarnation)
 * and its sequence number; when this process proposed the entry and the
 * inflight record still exists, the results are attached to it, otherwise
 * they are freed here.  apply() never fails (a non-zero return would stall
 * raft's apply loop forever); malformed entries change nothing.
 */
#include "raft_store/node_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "raft_store/cmd.h"
#include "raft_store/snap_lz4.h"
#include "server/config.h"

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf,
                     void **result)
{
    struct node *n = fsm->data;
    uint64_t index = raft_last_applied(&n->raft) + 1;
    uint32_t count = 0;
    n->snap.log_bytes += buf->len;
    n->snap.log_entries++;
    store_set_local_counting(n->store, raft_state(&n->raft) == RAFT_LEADER);
    struct store_result *res =
        store_apply_entry(n->store, index, buf->base, buf->len, &count);
    *result = NULL;
    if (res == NULL)
        log_error("raft: entry %llu is malformed (%zu bytes); ignored",
                  (unsigned long long)index, buf->len);

    struct cmd_batch_hdr h;
    struct cmd_batch_iter it;
    struct inflight *f = NULL;
    if (res != NULL && cmd_batch_open(buf->base, buf->len, &h, &it) == 0 &&
        h.proposer == n->incarnation)
        f = hmap_u64_get(&n->inflight, h.seq);
    if (f != NULL) {
        f->results = res;
        f->n_results = count;
    } else {
        store_results_free(res, count);
    }

    pthread_mutex_lock(&n->slock);
    n->status.entries_applied++;
    n->status.commands_applied += count;
    pthread_mutex_unlock(&n->slock);
    return 0;
}

/* Serialises in a forked child when it can (node_snap.c), in place
 * otherwise.  Either way raft gives the buffers back through
 * fsm_snapshot_finalize(). */
static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                        unsigned *n_bufs)
{
    struct node *n = fsm->data;
    if (n->snapshot_calls != NULL)
        raft_set_snapshot_threshold(&n->raft, n->snap.threshold);
    if (node_snap_fork(n, bufs, n_bufs) == 0)
        return 0;
    struct buf b;
    buf_init(&b);
    store_snapshot(n->store, &b);
    *bufs = raft_malloc(sizeof **bufs);
    if (*bufs == NULL) {
        buf_free(&b);
        return RAFT_NOMEM;
    }
    (*bufs)[0].len = b.len;
    (*bufs)[0].base = buf_steal(&b, NULL);
    *n_bufs = 1;
    uint64_t index = raft_last_applied(&n->raft);
    log_info("raft: snapshot at index %llu (%zu bytes, in place)",
             (unsigned long long)index, (*bufs)[0].len);
    while (n->snapshot_calls) {
        struct node_call *c = n->snapshot_calls;
        n->snapshot_calls = c->next;
        c->index = index;
        c->result.status = 200;
        c->result.id = (int64_t)(*bufs)[0].len;
        c->result.id2 = (int64_t)(*bufs)[0].len;
        commit_complete(c, NODE_DONE);
    }
    node_snap_retune(n, (*bufs)[0].len);
    return 0;
}

static int fsm_snapshot_finalize(struct raft_fsm *fsm,
                                 struct raft_buffer *bufs[], unsigned *n_bufs)
{
    node_snap_release(fsm->data, *bufs, *n_bufs);
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

/* The most a compressed snapshot may expand to: the machine's memory. */
static size_t restore_max(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return (size_t)1 << 40;
    return (size_t)pages * (size_t)size;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    struct node *n = fsm->data;
    char err[160];
    const uint8_t *p = buf->base;
    size_t len = buf->len;
    uint8_t *plain = NULL;
    if (snap_lz4_is_frame(p, len)) {
        if (snap_lz4_decode(p, len, restore_max(), &plain, &len, err,
                            sizeof err) != 0) {
            log_error("raft: restore failed: %s", err);
            return RAFT_MALFORMED;
        }
        p = plain;
    }
    int rc = store_restore(n->store, p, len, err, sizeof err);
    free(plain);
    if (rc != 0) {
        log_error("raft: restore failed: %s", err);
        return RAFT_MALFORMED;
    }
    log_info("raft: restored a snapshot of %zu bytes (%zu stored)", len,
             buf->len);
    raft_free(buf->base);
    return 0;
}

void node_fsm_init(struct node *n)
{
    memset(&n->fsm, 0, sizeof n->fsm);
    n->fsm.version = 2;
    n->fsm.data = n;
    n->fsm.apply = fsm_apply;
    n->fsm.snapshot = fsm_snapshot;
    n->fsm.snapshot_finalize = fsm_snapshot_finalize;
    n->fsm.restore = fsm_restore;
}
