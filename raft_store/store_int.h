/* store_int — the inside of struct store, shared by the raft_store files
 * that implement it (store.c tables and reads, fsm.c commands, timers.c
 * deadlines, dedupe.c request ids, snapshot.c).  Nothing outside
 * raft_store/ includes this header.
 */
#ifndef SMSC_STORE_INT_H
#define SMSC_STORE_INT_H

#include <pthread.h>

#include "common/hmap.h"
#include "common/rbtree.h"
#include "raft_store/cmd.h"
#include "raft_store/store.h"

/* Deadline kinds, one heap for all. */
enum dl_kind {
    DL_READY = 0,      /* deliver_after passes */
    DL_LEASE = 1,      /* lease_until passes */
    DL_EXPIRES = 2,    /* expires passes */
    DL_DEADLETTER = 3, /* inserted_at + dead_letter_time passes */
    DL_RETENTION = 4,  /* final_at + retention passes: leaves the store */
    DL_KIND_COUNT
};

struct dl_item {
    int64_t when;
    int64_t id;
    uint32_t kind;
};

struct dl_heap {
    struct dl_item *v;
    size_t n;
    size_t cap;
};

/* A ready queue: messages fetchable now by one frontend, by id. */
struct store_queue {
    char *name;            /* dest_smsc, or "" for the unrouted queue */
    struct rb_tree ready;
};

struct dedupe_entry {
    uint64_t hash;
    int64_t expires;
    int64_t id;
    int32_t status;
    char *detail;          /* only for errors */
    struct dedupe_entry *next;
};

struct dedupe_fifo {
    struct dedupe_entry *head;
    struct dedupe_entry *tail;
};

struct store {
    pthread_rwlock_t lock;

    /* guarded by lock: everything below */
    char *cluster_id;      /* NULL until init */
    struct store_settings settings;
    int64_t clock;         /* ms: max of entry times, stamps records */
    int64_t tick;          /* ms: clock at the last CMD_TICK; readiness and
                            * every timed transition use this one, so state
                            * changes with time only on ticks */
    int64_t next_id;       /* next message id */
    uint64_t applied_index;

    struct rb_tree by_id;      /* all messages */
    struct rb_tree pending;    /* pending messages, by id (oldest first) */
    struct hmap_str queues;    /* dest_smsc -> struct store_queue */
    struct store_queue *unrouted;
    uint64_t n_ready;
    uint64_t by_status[MSG_STATUS_COUNT];

    struct dl_heap wakeups;    /* DL_READY, DL_LEASE: all run every tick */
    struct dl_heap deadlines;  /* the rest: at most STORE_TICK_BUDGET a tick */

    struct hmap_u64 request_ids;   /* hash -> struct dedupe_entry */
    struct dedupe_fifo fifo_client;
    struct dedupe_fifo fifo_node;

    struct hmap_str nodes;         /* name -> struct store_node_info */
};

/* store.c */
struct msg *store_find(const struct store *s, int64_t id);
/* Links a new message; its id, data, lease_until and final_at are set. */
void store_insert(struct store *s, struct msg *m);
void store_remove(struct store *s, struct msg *m); /* unlinks and frees */
/* Recomputes queue membership and deadlines of m after any change. */
void store_reindex(struct store *s, struct msg *m);
void store_set_status(struct store *s, struct msg *m, int status);
/* Sets deliver_after and when the message becomes due (by this entry's
 * clock: a time already past is due at once). */
void store_set_deliver_after(struct store *s, struct msg *m, int64_t when);
void store_clear(struct store *s);
struct store_node_info *store_node_put(struct store *s, const char *name);
void store_node_info_free(struct store_node_info *n);

/* timers.c */
void dl_push(struct dl_heap *h, struct dl_item it);
void dl_free(struct dl_heap *h);
/* Schedules a deadline for m unless the same one is already queued. */
void store_schedule(struct store *s, struct msg *m, enum dl_kind kind,
                    int64_t when);
/* Runs due transitions, at most STORE_TICK_BUDGET. */
void store_run_timers(struct store *s);
/* Re-queues every deadline (after a settings change or a restore). */
void store_rebuild_deadlines(struct store *s);

/* dedupe.c */
uint64_t dedupe_hash(const char *request_id);
const struct dedupe_entry *dedupe_find(const struct store *s, uint64_t hash);
void dedupe_add(struct store *s, uint64_t hash, int kind,
                const struct store_result *r);
void dedupe_expire(struct store *s);
void dedupe_clear(struct store *s);

/* fsm.c */
void fsm_apply_cmd(struct store *s, struct cmd *c,
                   struct store_result *r);

#endif
