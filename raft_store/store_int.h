/* store_int — the inside of struct store, shared by the raft_store files
 * that implement it (store.c tables and reads, fsm.c commands, timers.c
 * deadlines, dedupe.c request ids, snapshot.c).  Nothing outside
 * raft_store/ includes this header.
 */
#ifndef SMSC_STORE_INT_H
#define SMSC_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "common/hmap.h"
#include "common/rbtree.h"
#include "common/strpool.h"
#include "raft_store/cmd.h"
#include "raft_store/frontends_int.h"
#include "raft_store/store.h"

/* Deadline kinds, one heap for all. */
enum dl_kind {
    DL_READY = 0,      /* deliver_after passes */
    DL_LEASE = 1,      /* lease_until passes */
    DL_EXPIRES = 2,    /* expires passes */
    DL_DEADLETTER = 3, /* inserted_at + dead_letter_time passes */
    DL_RETENTION = 4,  /* final_at + retention passes: leaves the store */
    DL_EVENTS = 5,     /* oldest event + event_ttl_days passes: purged */
    DL_KIND_COUNT,
    DL_LOC_EXPIRES = 16, /* a location's expires passes (id = location) */
    DL_FE_EXPIRES = 64,  /* a frontend's expires_at passes (id = row) */
    DL_FE_PURGE = 65,    /* an expired frontend row's history ends */
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

/* A table of records whose first field is their int64 id, by id. */
struct rec_vec {
    void **v;
    size_t n;
    size_t cap;
};

/* A subscriber location and its place in the per-MSISDN list. */
struct loc {
    struct location_rec r;
    struct rb_node by_id;
    struct sub *sub;
    struct loc *sub_next;
    int64_t dl_pushed;     /* expiry queued, TIME_NULL = none */
};

/* Per destination MSISDN: its registrations, the queue of its live
 * location, and the unrouted ready messages waiting for it — so a
 * location-based fetch walks only what it returns, and a location change
 * moves only that subscriber's messages. */
struct sub {
    char *msisdn;
    struct loc *locs;
    struct store_queue *locq;  /* live location's queue, or NULL */
    struct rb_tree waiting;    /* unrouted ready messages, by id */
    struct rb_tree pending;    /* every pending message to it, by id */
};

/* The events of one message, appended in order (see events.c). */
struct msg_events {
    uint32_t len;
    uint32_t cap;
    uint32_t count;
    uint8_t data[];
};

/* One per request id applied in the window (a million of them at full
 * load): 40 bytes, the error detail inline and only for errors. */
struct dedupe_entry {
    uint64_t hash;
    int64_t expires;
    int64_t id;
    struct dedupe_entry *next;
    int32_t status;
    char detail[];         /* "" unless status >= 400 */
};

struct dedupe_fifo {
    struct dedupe_entry *head;
    struct dedupe_entry *tail;
};

/* The replicated CDR outbox (outbox.c): items with consecutive seqs,
 * oldest first, in a ring. */
struct ob_item;
struct outbox {
    struct ob_item **v;
    size_t head, n, cap;
    int64_t last_seq;          /* highest seq assigned (0 = none yet) */
    uint64_t rows;             /* seqs held */
    uint64_t left_out;         /* trimmed before a lagging writer stored them */
    bool shared_mode;          /* the latest ack came from a shared writer */
    struct hmap_str acks;      /* writer -> struct ob_ack */
};

struct store {
    pthread_rwlock_t lock;
    /* Change with every change of the route / rule table, and on a restore
     * (never reused in a process).  Written under the lock, read without
     * it, so the HTTP threads check their compiled copies lock-free. */
    _Atomic uint64_t routes_version;
    _Atomic uint64_t rules_version;
    /* Rows in the CDR outbox and whether it is at cdr_outbox_max_rows,
     * read lock-free by the create path. */
    _Atomic uint64_t outbox_rows;
    atomic_bool outbox_full;
    bool count_local;          /* raft thread: count tick transitions here */

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
    /* the shared copies of the messages' SMSC, node and coding-scheme
     * strings (store_insert, store_msg_set_str) */
    struct strpool strs;
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

    struct rec_vec routes;         /* struct route_rec *, by id */
    struct rec_vec rules;          /* struct xlat_rule_rec *, by id */
    int64_t next_route_id;
    int64_t next_rule_id;

    struct rb_tree locs;           /* struct loc, by id */
    struct hmap_str locs_by_imsi;  /* imsi -> struct loc */
    struct hmap_str subs;          /* msisdn -> struct sub */
    struct hmap_str locqs;         /* location -> struct store_queue */
    int64_t next_loc_id;

    struct fe_table fe;            /* frontend registry (frontends.c) */
    struct media_table *mms;       /* MMS messages (media_store.c) */
    struct media_table *ss7;       /* SS7 events */

    struct outbox ob;              /* CDR outbox (outbox.c) */

    /* A restore arriving in chunks (restore.c): replicated, snapshotted. */
    struct {
        uint8_t *buf;
        uint64_t total, len, check;
    } stage;

    const char *cur_node;          /* event source of the command applying */
};

/* store.c */
struct msg *store_find(const struct store *s, int64_t id);
/* Links a new message; its id, data, lease_until and final_at are set.
 * Its source_smsc, dest_smsc, origin_node, destination_node and
 * tp_data_coding_scheme become shared copies (s->strs): set them on a
 * stored message with store_msg_set_str only, never free them. */
void store_insert(struct store *s, struct msg *m);
void store_remove(struct store *s, struct msg *m); /* unlinks and frees */
/* Sets one of those fields of a stored message to *v (taking it; NULL
 * clears the field). */
void store_msg_set_str(struct store *s, char **field, char **v);
/* Recomputes queue membership and deadlines of m after any change. */
void store_reindex(struct store *s, struct msg *m);
void store_set_status(struct store *s, struct msg *m, int status);
/* Sets deliver_after and when the message becomes due (by this entry's
 * clock: a time already past is due at once). */
void store_set_deliver_after(struct store *s, struct msg *m, int64_t when);
void store_clear(struct store *s);
struct store_node_info *store_node_put(struct store *s, const char *name);
void store_node_info_free(struct store_node_info *n);
void store_node_forget(struct store *s, const char *name);

/* events.c */
enum event_code {
    EV_CUSTOM = 0,
    EV_INSERTED, EV_TRANSLATED, EV_ROUTED, EV_ROUTING_FAILED,
    EV_CHARGING_ATTEMPTED, EV_CHARGING_FAILED, EV_DELIVERED, EV_FAILED,
    EV_DROPPED, EV_AUTO_REPLY, EV_STATUS_REPORT, EV_DEAD_LETTER,
    EV_CODE_COUNT
};
/* Appends an event stamped with the store clock and s->cur_node.  name is
 * used for EV_CUSTOM (delivery_attempt_N is one too); source, when not
 * NULL, replaces the node. */
void events_add(struct store *s, struct msg *m, int code, const char *name,
                const char *source, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void events_free(struct msg *m);
/* Drops events older than the TTL; reschedules the purge. */
void events_purge(struct store *s, struct msg *m);
int64_t events_oldest(const struct msg *m); /* TIME_NULL when none */
/* Snapshot codec of a message's events. */
void events_encode(struct buf *b, const struct msg *m);
int events_decode(struct rd *r, struct msg *m);
/* Walks an event block (the bytes of a message's log); returns -1 when the
 * bytes are not a valid block. */
int events_block_each(const uint8_t *p, size_t len,
                      void (*fn)(const struct store_event *e, void *arg),
                      void *arg);
int events_block_count(const uint8_t *p, size_t len, uint32_t *count);

/* tables.c (store side): routes and rules */
void *rec_vec_find(const struct rec_vec *t, int64_t id);
/* Inserts rec or replaces the one with its id; returns the one replaced. */
void *rec_vec_put(struct rec_vec *t, void *rec);
void *rec_vec_del(struct rec_vec *t, int64_t id);
void store_tables_clear(struct store *s);
/* Gives both tables new versions (after a restore swapped them in). */
void store_tables_touch(struct store *s);
/* The initial routes and rules of CMD_INIT (taken over from in). */
void store_tables_init(struct store *s, struct cmd_init *in);
void fsm_apply_table_cmd(struct store *s, struct cmd *c,
                         struct store_result *r);

/* locations.c */
void loc_msg_link(struct store *s, struct msg *m);   /* joined unrouted */
void loc_msg_unlink(struct store *s, struct msg *m); /* left unrouted */
void dest_link(struct store *s, struct msg *m);      /* became pending */
void dest_unlink(struct store *s, struct msg *m);    /* left pending */
/* RP-SMMA: the subscriber's pending messages held back by a retry delay
 * become due now; returns how many. */
uint32_t store_smma(struct store *s, const char *msisdn);
void loc_insert(struct store *s, struct loc *l);
void loc_remove(struct store *s, struct loc *l);
bool loc_expire(struct store *s, int64_t id, int64_t when);
void store_locations_reschedule(struct store *s); /* after a rebuild */
void store_locations_clear(struct store *s);
void fsm_apply_loc_cmd(struct store *s, struct cmd *c, struct store_result *r);
struct rb_node *store_locq_first(const struct store *s, const char *name);

/* media_store.c: the MMS and SS7 tables (see media.h) */
struct media_table;
void store_media_init(struct store *s);
void store_media_clear(struct store *s);
void store_media_free(struct store *s);
void fsm_apply_media_cmd(struct store *s, struct cmd *c,
                         struct store_result *r);
/* Snapshot sections, written after the locations. */
void store_media_snapshot(const struct store *s, struct buf *b);
int store_media_restore(struct rd *r, struct store *t);

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

/* reports.c */
/* m just became final: its status report, when one was requested. */
void status_report(struct store *s, struct msg *m);

/* outbox.c */
void outbox_init(struct store *s);
void outbox_clear(struct store *s);
/* m just moved into a final state: its CDR (when cdr_enabled). */
void outbox_cdr(struct store *s, struct msg *m);
/* m leaves the store: its events go to SQL (when cdr_enabled). */
void outbox_events(struct store *s, struct msg *m);
void fsm_apply_cdr_ack(struct store *s, const struct cmd_cdr_ack *c,
                       struct store_result *r);
void outbox_snapshot(const struct store *s, struct buf *b);
int outbox_restore(struct rd *r, struct store *t);
/* A move into a final state: its CDR, then its status report. */
void store_final(struct store *s, struct msg *m);

/* restore.c */
void fsm_apply_restore(struct store *s, const struct cmd_restore *c,
                       struct store_result *r);
void restore_stage_clear(struct store *s);
void restore_stage_snapshot(const struct store *s, struct buf *b);
int restore_stage_load(struct rd *r, struct store *t);

/* snapshot.c */
/* Loads a snapshot into a fresh store t (no lock); 0 or -1. */
int store_load(struct store *t, const uint8_t *p, size_t len);
/* Swaps the replicated state of a and b (see snapshot.c). */
void store_swap_state(struct store *a, struct store *b);

/* fsm.c */
/* Stores a new message (taking d over) with its arrival events; action is
 * an enum create_action. */
struct msg *store_insert_new(struct store *s, struct msg_data *d, int action,
                             const char *note);
void fsm_apply_cmd(struct store *s, struct cmd *c,
                   struct store_result *r);

#endif
