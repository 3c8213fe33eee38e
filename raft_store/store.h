/* store — the replicated state: tables, indexes and the state machine.
 *
 * One struct store holds everything the raft log builds: messages with
 * their queue and deadline indexes, request ids already applied, cluster
 * settings, members' node_info, the replicated clock and id counter.
 *
 * Threads:
 *   - The raft thread is the only writer: store_apply_entry() and
 *     store_restore() take the write lock themselves; store_snapshot() runs
 *     on the raft thread too and needs no lock (no one else writes).
 *   - Any thread reads, holding store_rdlock() .. store_rdunlock() around
 *     the read calls and around every use of the records they return.
 * The lock prefers writers, so a stream of readers cannot stall the apply
 * loop.  Reads never wait on I/O.
 *
 * The state machine is deterministic: it reads no clock, random or
 * node-local setting.  Time comes from the entries (the leader's clock at
 * packing, made monotonic) and timed transitions run on CMD_TICK from a
 * deadline heap, at most STORE_TICK_BUDGET per tick.
 */
#ifndef SMSC_STORE_H
#define SMSC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rbtree.h"
#include "raft_store/frontends.h"
#include "raft_store/msg.h"
#include "raft_store/settings.h"
#include "raft_store/tables.h"
#include "common/metrics.h"
#include "sql/cdr_row.h"

#define STORE_TICK_BUDGET 10000
/* How long a request id made by a node (not a client's Idempotency-Key) is
 * remembered: long enough for that node's own retries. */
#define STORE_NODE_KEY_TTL_MS (120 * 1000)

struct store;
struct store_queue;
struct sub;
struct msg_events;

/* A stored message.  Readers see it only under the read lock. */
struct msg {
    int64_t id;
    struct msg_data d;
    int64_t due_at;           /* fetchable from this tick on; TIME_NULL =
                               * now (deliver_after was not in the future
                               * when it was set) */
    int64_t lease_until;      /* TIME_NULL = not leased */
    int64_t final_at;         /* when it became final, TIME_NULL = pending */
    int64_t dl_pushed[6];     /* deadline already queued per kind */
    struct store_queue *queue; /* ready queue it is in, or NULL */
    struct sub *sub;           /* unrouted: its destination's entry */
    struct sub *dest_sub;      /* pending: its destination's entry */
    struct store_queue *locq;  /*   and the live location's queue */
    struct msg_events *ev;     /* its event log, or NULL */
    struct rb_node by_id;
    struct rb_node by_queue;
    struct rb_node by_pending;
    struct rb_node by_sub;
    struct rb_node by_locq;
    struct rb_node by_dest;    /* in dest_sub->pending */
};

struct store_result {
    int status;          /* HTTP-style: 200, 201, 204, 404, 409, 503; 0 = n/a */
    int64_t id;          /* the message or record concerned; import: count */
    int64_t id2;         /* auto-reply: the reply's id */
    char detail[160];    /* error detail when status >= 400 */
    int64_t *ids;        /* lease: the claimed ids (owned) */
    uint32_t n_ids;
    bool duplicate;      /* answered from the request-id table */
};

struct store_node_info {
    char *name;
    char *api_url;
    char *raft_address;
    uint64_t raft_id;
};

struct store_counts {
    uint64_t by_status[MSG_STATUS_COUNT];
    uint64_t total;
    uint64_t ready;            /* fetchable now */
    uint64_t request_ids;      /* remembered request ids */
    uint64_t deadlines;        /* deadline heap size */
    uint64_t routes;
    uint64_t rules;
    uint64_t locations;
};

struct msg_filter {
    int status;                /* -1 = any */
    const char *source_smsc;   /* NULL = any */
    const char *dest_smsc;     /* NULL = any */
    size_t limit;
    size_t offset;
};

struct store *store_new(void);
void store_free(struct store *s);

void store_rdlock(struct store *s);
void store_rdunlock(struct store *s);

/* ---- apply (raft thread) ---- */

/* Applies one raft entry at index.  Never fails: a malformed entry or
 * command changes nothing and yields results with status 400.  Returns the
 * per-command results (*n of them; caller frees with store_results_free),
 * or NULL with *n = 0 when the entry is malformed. */
struct store_result *store_apply_entry(struct store *s, uint64_t index,
                                       const uint8_t *p, size_t len,
                                       uint32_t *n);
void store_results_free(struct store_result *r, uint32_t n);
/* Whether tick-driven transitions applied from now on are counted in this
 * node's metrics (sms_c_delivery_dead_letter_count): the node sets it to
 * "I lead" before each entry, so a transition counts once cluster-wide.
 * Never part of the replicated state. */
void store_set_local_counting(struct store *s, bool on);
/* Serialises the whole state into out (raft thread, no lock needed). */
void store_snapshot(const struct store *s, struct buf *out);
/* Replaces the whole state with a snapshot.  Returns 0, or -1 with a
 * message in err (the state is then unchanged). */
int store_restore(struct store *s, const uint8_t *p, size_t len, char *err,
                  size_t errlen);

/* ---- reads (read lock held) ---- */

const struct msg *store_get(const struct store *s, int64_t id);
/* Messages matching f in id order, at most f->limit after skipping
 * f->offset matches.  Returns how many were written to out. */
size_t store_list(const struct store *s, const struct msg_filter *f,
                  const struct msg **out);
/* The queue fetch of SPEC §4 for frontend smsc: ready messages routed to it
 * (and unrouted ones when asked), oldest first. */
size_t store_fetch(const struct store *s, const char *smsc,
                   bool include_unrouted, size_t limit,
                   const struct msg **out);
int64_t store_clock(const struct store *s);
uint64_t store_applied_index(const struct store *s);
const char *store_cluster_id(const struct store *s);
const struct store_settings *store_get_settings(const struct store *s);
void store_get_counts(const struct store *s, struct store_counts *c);
const struct store_node_info *store_node_info(const struct store *s,
                                              const char *name);
const struct store_node_info *store_node_info_by_id(const struct store *s,
                                                    uint64_t raft_id);
/* Calls fn for each member's node_info, in name order. */
void store_node_infos(const struct store *s,
                      void (*fn)(const struct store_node_info *, void *),
                      void *arg);
/* Oldest pending message's inserted_at, or TIME_NULL. */
int64_t store_oldest_pending(const struct store *s);

/* Routes and translation rules, by id.  The version changes with every
 * change of the table (also across a snapshot restore), so a reader can
 * cache what it built from one; the *_version calls need no lock. */
uint64_t store_routes_version(const struct store *s);
size_t store_routes(const struct store *s, const struct route_rec *const **v);
const struct route_rec *store_route(const struct store *s, int64_t id);
uint64_t store_rules_version(const struct store *s);
size_t store_rules(const struct store *s,
                   const struct xlat_rule_rec *const **v);
const struct xlat_rule_rec *store_rule(const struct store *s, int64_t id);

/* Subscriber locations. */
const struct location_rec *store_location(const struct store *s, int64_t id);
const struct location_rec *store_location_by_imsi(const struct store *s,
                                                  const char *imsi);
/* The newest live registration of an MSISDN, or NULL. */
const struct location_rec *store_location_by_msisdn(const struct store *s,
                                                    const char *msisdn);
/* Locations in id order (optionally only one MSISDN's), after skipping
 * offset; returns how many were written to out (at most limit). */
size_t store_locations(const struct store *s, const char *msisdn,
                       size_t offset, size_t limit,
                       const struct location_rec **out);
size_t store_location_count(const struct store *s);

/* Events of a message, oldest first. */
struct store_event {
    int64_t at;                /* ms */
    const char *name;
    const char *description;
    const char *source;
};
/* Calls fn for each event of message id; returns -1 when the message is not
 * in the store. */
int store_events(const struct store *s, int64_t id,
                 void (*fn)(const struct store_event *e, void *arg),
                 void *arg);

/* Metric families counted by the state machine (when local counting is
 * on): sms_c_delivery_dead_letter_count{reason}. */
extern const struct metric_family M_DELIVERY_DEAD_LETTER;

/* The CDR outbox (SPEC §10): rows and events waiting for the SQL writers,
 * numbered by consecutive seqs. */
struct store_outbox_info {
    int64_t head_seq;          /* first seq held (last_seq + 1 when empty) */
    int64_t last_seq;          /* highest seq ever assigned */
    uint64_t rows;             /* seqs held: CDRs + events */
    uint64_t items;
    uint64_t left_out;         /* trimmed before a lagging writer stored them */
};
void store_outbox_info(const struct store *s, struct store_outbox_info *o);
/* The replicated ack of a writer (0 when it has none). */
int64_t store_outbox_acked(const struct store *s, const char *writer);
/* Copies what follows seq `after`, whole items, until at least max seqs
 * are taken: CDR rows into *rows (*n) and events into *events (*m), new
 * arrays the caller frees (cdr_rows_free, cdr_events_free).  Returns
 * the last seq copied (after when nothing follows it). */
int64_t store_outbox_read(const struct store *s, int64_t after, size_t max,
                          struct cdr_row **rows, size_t *n,
                          struct cdr_event **events, size_t *m);
/* Rows held, without the lock (for the create path's backlog check). */
uint64_t store_outbox_rows(const struct store *s);
/* True while the outbox holds cdr_outbox_max_rows (with cdr_enabled):
 * creates are refused with 503 until writers catch up.  No lock. */
bool store_outbox_full(const struct store *s);

#endif
