/* node — this process's raft member: the raft thread, group commit and the
 * hand-off of results to the threads that asked.
 *
 * canonical/raft 0.22.1 runs on one libuv loop in a dedicated raft thread;
 * nothing in raft is thread-safe, so other threads only reach it through
 * node_propose() / node_wait_applied() / node_barrier(), which put work on
 * a locked queue and wake the loop with uv_async_send().  The raft thread
 * packs every queued command into one raft entry of up to max_entry_bytes
 * and keeps up to max_inflight_entries such entries in flight (group
 * commit; raft_apply always with n = 1).
 *
 * A struct node_call is owned by the caller and must stay alive until its
 * complete() callback has run.  complete() runs on the raft thread: it must
 * only hand the call over to its own thread (queue + wake-up) and return.
 * Every call submitted is completed exactly once, also at shutdown.
 */
#ifndef SMSC_NODE_H
#define SMSC_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft_store/cmd.h"

#include "raft_store/store.h"

struct config;
struct node;

/* The raft thread's histograms: sms_c_raft_apply_duration,
 * sms_c_raft_commands_per_entry. */
extern const struct metric_family M_RAFT_APPLY_DURATION;
extern const struct metric_family M_RAFT_COMMANDS_PER_ENTRY;

enum node_outcome {
    NODE_DONE = 0,       /* applied; result and index are set */
    NODE_NOT_LEADER = 1, /* this node is not the leader: nothing proposed */
    NODE_UNKNOWN = 2,    /* proposed, outcome unknown (leadership lost) */
    NODE_SHUTDOWN = 3,   /* the node is stopping */
    NODE_BUSY = 4,       /* the submission queue is full */
};

struct node_call {
    void (*complete)(struct node_call *call); /* raft thread, hand off only */
    void *data;                               /* the caller's */
    /* Set before complete() runs: */
    int outcome;                              /* enum node_outcome */
    uint64_t index;                           /* raft index of the result */
    struct store_result result;               /* ids owned by the call */
    /* Private to the node: */
    struct node_call *next;
    uint64_t wait_index;
};

enum node_role {
    NODE_ROLE_UNAVAILABLE = 0,
    NODE_ROLE_FOLLOWER = 1,
    NODE_ROLE_CANDIDATE = 2,
    NODE_ROLE_LEADER = 3,
};

struct node_status {
    int role;                  /* enum node_role */
    uint64_t term;
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t last_index;
    uint64_t leader_id;        /* 0 = none known */
    char leader_address[128];  /* raft address of the leader */
    uint64_t leader_changes;
    uint64_t entries_applied;  /* group-commit entries applied here */
    uint64_t commands_applied;
};

/* Creates the node for cfg's smsc_node_name.  bootstrap: form a new cluster
 * from cfg->cluster_nodes if the raft dir is pristine.  api_url: how the
 * other nodes reach this node's API (carried in node_info).  Main thread.
 * Returns NULL with a message in err. */
struct node *node_new(const struct config *cfg, struct store *store,
                      bool bootstrap, const char *api_url, char *err,
                      size_t errlen);
/* Hands the node the initial sms_routes and translation_rules (records,
 * taken over) that its `init` carries if it is the cluster's first leader.
 * Main thread, before node_start. */
void node_set_initial_tables(struct node *n, struct cmd_import *routes,
                             struct cmd_import *rules);
/* Starts raft and the raft thread.  Returns 0, or -1 with err set. */
int node_start(struct node *n, char *err, size_t errlen);
/* Stops the raft thread (completing every pending call with
 * NODE_SHUTDOWN) and frees the node.  Main thread. */
void node_stop(struct node *n);
/* The two halves of node_stop: after node_shutdown every call completes at
 * once with NODE_SHUTDOWN and the status reads "unavailable", but the node
 * stays valid for other threads until node_free.  Main thread. */
void node_shutdown(struct node *n);
void node_free(struct node *n);

/* Any thread.  Copies the encoded command (cmd_encode) and proposes it;
 * call may be NULL for fire-and-forget commands. */
void node_propose(struct node *n, const uint8_t *cmd, size_t len,
                  struct node_call *call);
/* Any thread.  Completes call once this node has applied index. */
void node_wait_applied(struct node *n, uint64_t index, struct node_call *call);
/* Any thread.  Leader only: completes call, with index = the applied index
 * after a raft barrier, so a read that waits for it is linearizable. */
void node_barrier(struct node *n, struct node_call *call);

/* Any thread.  Leader only: adds the member with raft id `id` at raft
 * address `address` as a spare, lets it catch up and promotes it to voter.
 * Completes with result.status 201 (added), 200 (already a voter), or an
 * error status and detail (409 another change is running, 503 ...). */
void node_add_member(struct node *n, uint64_t id, const char *address,
                     struct node_call *call);

/* A member of the raft configuration, as this node last saw it. */
#define NODE_MAX_MEMBERS 32
enum node_member_role {
    MEMBER_VOTER = 0,    /* votes and replicates */
    MEMBER_STANDBY = 1,  /* replicates, does not vote */
    MEMBER_SPARE = 2,    /* neither (joining, or parked) */
};
struct node_member {
    uint64_t id;
    char address[128];
    int role;            /* enum node_member_role */
};
/* Any thread: copies up to max members into out; returns how many. */
size_t node_members(struct node *n, struct node_member *out, size_t max);
const char *node_member_role_name(int role); /* "voter", "standby", "spare" */

/* Any thread.  Leader only; each completes call with result.status 200 and
 * a detail, or an error status: 404 not a member, 409 another change is
 * running or the change is not allowed (e.g. the last voter), 503 raft
 * failed.  remove: takes the member out of the configuration; assign:
 * gives it a role (MEMBER_*); transfer: hands leadership to the voter id
 * (0 = the most up-to-date one) and completes once another node leads. */
void node_remove_member(struct node *n, uint64_t id, struct node_call *call);
void node_assign_member(struct node *n, uint64_t id, int role,
                        struct node_call *call);
void node_transfer(struct node *n, uint64_t id, struct node_call *call);
/* Any thread: takes a raft snapshot of this node at its next apply (the
 * leader's ticks apply one every second); completes call with result.id =
 * the snapshot's bytes and index = its raft index. */
void node_snapshot(struct node *n, struct node_call *call);
/* Main thread, at shutdown: when this node leads, hands leadership to an
 * up-to-date voter and waits for it (at most timeout_ms).  True when
 * another node now leads. */
bool node_step_down(struct node *n, int timeout_ms);

/* Any thread: a consistent copy of the raft status. */
void node_get_status(struct node *n, struct node_status *st);
bool node_is_leader(struct node *n);
/* The raft id of a member name (a stable 64-bit hash of the name). */
uint64_t node_id_of(const char *name);
/* True when data_dir holds raft state from an earlier start. */
bool node_has_state(const char *data_dir);
/* "leader", "follower", "candidate", "unavailable". */
const char *node_role_name(int role);

#endif
