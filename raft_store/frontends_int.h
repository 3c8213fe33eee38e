/* frontends_int — the frontend registry inside struct store (see
 * frontends.c), for the raft_store files that reach it: fsm.c applies
 * CMD_FE_HEARTBEAT, timers.c runs its deadlines, snapshot.c writes and
 * reads its section, store.c clears it.  Raft thread (writes) or read lock
 * held (reads), like the rest of the store.  Nothing outside raft_store/
 * includes this header.
 */
#ifndef SMSC_FRONTENDS_INT_H
#define SMSC_FRONTENDS_INT_H

#include "common/buf.h"
#include "common/rbtree.h"
#include "raft_store/frontends.h"

struct store;
struct cmd;
struct store_result;
struct dl_item;

/* One registration, in the table by id and in its name's list. */
struct fe {
    struct frontend_rec r;
    struct rb_node by_id;
    struct rb_node by_expired;   /* expired rows by id: oldest go first */
    struct fe_name *name;
    struct fe *newer, *older;    /* the name's rows, newest first */
    int64_t dl_expire;           /* expiry queued, TIME_NULL = none */
    int64_t dl_purge;            /* purge queued, TIME_NULL = none */
};

/* Per frontend_name: its rows and the active one (always the newest). */
struct fe_name {
    char *name;
    struct rb_node by_name;
    struct rb_node by_active;    /* in fe_table.active while active != NULL */
    struct fe *newest;
    struct fe *active;
};

struct fe_table {
    struct rb_tree by_id;        /* struct fe */
    struct rb_tree expired;      /* struct fe, expired ones, by id */
    struct rb_tree names;        /* struct fe_name, by name */
    struct rb_tree active;       /* struct fe_name with an active row */
    int64_t next_id;
};

/* Empties the table (next id 1). */
void store_frontends_clear(struct store *s);
/* Re-queues every row's deadline from the current settings (expires_at of
 * active rows is recomputed: a changed timeout applies at once). */
void store_frontends_reschedule(struct store *s);
void fsm_apply_fe_cmd(struct store *s, struct cmd *c, struct store_result *r);
/* Runs a DL_FE_EXPIRES / DL_FE_PURGE item; true when it was a real
 * transition (stale items are not). */
bool fe_run_deadline(struct store *s, const struct dl_item *it);
/* Snapshot section: next_id svar | count uvar | frontend_rec*. */
void fe_snapshot_put(struct buf *b, const struct store *s);
/* Reads the section into a fresh store t (settings already read);
 * returns 0 or -1. */
int fe_snapshot_get(struct rd *r, struct store *t);

#endif
