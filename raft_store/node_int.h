/* node_int — the inside of struct node, shared by node.c (lifecycle, loop
 * handles, status), node_commit.c (queue, group commit, waiters) and
 * node_fsm.c (raft's FSM callbacks).  Only raft_store/node*.c include it.
 */
#ifndef SMSC_NODE_INT_H
#define SMSC_NODE_INT_H

#include <pthread.h>
#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "common/hmap.h"
#include "raft_store/node.h"

struct config;

/* Work handed to the raft thread. */
enum sub_kind {
    SUB_CMD, SUB_WAIT, SUB_BARRIER, SUB_ADD,
    SUB_REMOVE,              /* len = raft id */
    SUB_ASSIGN,              /* len = raft id, bytes[0] = raft role */
    SUB_TRANSFER,            /* len = raft id, 0 = any voter */
    SUB_SNAPSHOT,            /* take a snapshot at the next apply */
};

struct sub {
    enum sub_kind kind;
    uint8_t *bytes;          /* SUB_CMD: one encoded command (owned);
                              * SUB_ADD: the raft address (owned) */
    size_t len;
    struct node_call *call;  /* may be NULL for SUB_CMD */
    struct sub *next;
};

struct transfer;

struct sub_list {
    struct sub *head;
    struct sub *tail;
    size_t len;
};

/* One group-commit entry in flight. */
struct inflight {
    struct raft_apply req;
    struct node *node;
    uint64_t seq;
    uint32_t n;
    struct node_call **calls;    /* n, NULL where nobody waits */
    struct store_result *results; /* set by the FSM apply, n of them */
    uint32_t n_results;
    double packed_at;             /* monotonic ms */
};

/* A snapshot being serialised by a forked child (node_snap.c); raft
 * thread only, except wait_status (the waiter thread, then done). */
struct node_snap {
    bool inited, busy;
    pid_t pid;
    int fd;                 /* the memfd the child writes */
    pthread_t waiter;       /* reaps the child, wakes `done` */
    int wait_status;
    uv_async_t done;
    uint64_t index;
    double started;         /* monotonic ms at the fork */
    struct node_call *calls; /* POST /api/cluster/snapshot callers */
    struct raft_buffer *placeholder; /* what snapshot() gave raft */
    struct raft_io_snapshot_put *req; /* raft's put, held until done */
    raft_io_snapshot_put_cb cb;
    struct raft_snapshot *snapshot;
    unsigned trailing;
    uint64_t log_bytes;     /* entries applied since the last snapshot */
    uint64_t log_entries;
    unsigned threshold;     /* raft's snapshot threshold now */
    void *map;              /* the bytes, mapped until raft releases them */
    size_t map_len;
    int (*real_put)(struct raft_io *io, unsigned trailing,
                    struct raft_io_snapshot_put *req,
                    const struct raft_snapshot *snapshot,
                    raft_io_snapshot_put_cb cb);
};

struct node {
    const struct config *cfg;
    struct store *store;
    char *name;
    uint64_t id;
    char *address;           /* raft host:port */
    char *raft_dir;
    char *api_url;
    bool bootstrap;
    uint64_t incarnation;    /* random per process: routes results home */
    unsigned max_inflight;
    size_t max_entry;

    uv_loop_t loop;
    uv_async_t wake;
    uv_timer_t tick_timer;
    uv_check_t check;
    struct raft_uv_transport transport;
    struct raft_io io;
    struct raft raft;
    struct raft_fsm fsm;
    pthread_t thread;
    bool thread_started;
    bool loop_inited, transport_inited, io_inited, raft_inited, handles_inited;

    pthread_mutex_t qlock;
    struct sub_list queue;   /* guarded by qlock */
    bool stopping;           /* guarded by qlock */

    /* raft thread only */
    struct sub_list pending;         /* commands waiting for an entry slot */
    struct hmap_u64 inflight;        /* seq -> struct inflight */
    uint64_t next_seq;
    struct node_call **waiters;      /* min-heap by wait_index */
    size_t n_waiters, cap_waiters;
    struct node_call *barrier_next;  /* reads waiting for the next barrier */
    struct node_call *barrier_busy;  /* reads of the barrier in flight */
    struct raft_barrier barrier_req;
    bool barrier_running;
    struct raft_barrier publish_req; /* tells followers the commit index */
    bool publish_running;
    int last_state;
    bool closing;
    bool announced;                  /* init / node_info proposed as leader */
    struct node_call *snapshot_calls; /* waiting for an asked snapshot */
    struct node_snap snap;           /* a background snapshot */
    struct transfer *transfer;       /* a leadership transfer in flight */
    struct transfer *transfer_orphan; /* failed at close, freed at stop */
    bool shut_down;                  /* node_shutdown done (main thread) */
    struct cmd_import init_routes;   /* the config's tables, for init */
    struct cmd_import init_rules;

    pthread_mutex_t slock;
    struct node_status status;       /* guarded by slock */
    struct node_member members[NODE_MAX_MEMBERS]; /* guarded by slock */
    size_t n_members;                /* guarded by slock */
};

/* node_commit.c */
void commit_drain_queue(struct node *n);
void commit_pump(struct node *n);
void commit_check_waiters(struct node *n);
void commit_start_barrier(struct node *n);
void commit_fail_all(struct node *n, int outcome);
void commit_complete(struct node_call *c, int outcome);
void sub_push(struct sub_list *l, struct sub *s);
struct sub *sub_pop(struct sub_list *l);

/* node_members.c */
void members_add(struct node *n, struct sub *s); /* takes s */
void members_change(struct node *n, struct sub *s); /* REMOVE/ASSIGN/TRANSFER */
/* At close: completes a transfer still in flight with outcome. */
void members_fail_transfer(struct node *n, int outcome);

/* node_fsm.c */
void node_fsm_init(struct node *n);

/* node_snap.c */
/* Wraps the io's snapshot_put and sets up the wake-up (loop inited). */
void node_snap_init(struct node *n);
/* From the FSM's snapshot(): forks a child that serialises the state; on
 * success gives raft a placeholder buffer and returns 0, else -1 (then
 * serialise in place). */
int node_snap_fork(struct node *n, struct raft_buffer **bufs, unsigned *n_bufs);
/* The FSM's snapshot_finalize: frees what snapshot() gave raft. */
void node_snap_release(struct node *n, struct raft_buffer *bufs,
                       unsigned n_bufs);
/* A snapshot of `bytes` was taken: the next one waits until the log holds
 * about half as many bytes (never fewer entries than the configured
 * threshold), so snapshot work stays proportional to the write volume as
 * the state grows. */
void node_snap_retune(struct node *n, size_t bytes);
/* At close, before raft_close: kills a running child. */
void node_snap_cancel(struct node *n);
/* At close, after raft_close: completes a held put as cancelled. */
void node_snap_cancel_request(struct node *n);

#endif
