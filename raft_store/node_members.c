/* node_members — membership changes on the raft thread.
 *
 * Adding a member is two raft configuration changes, one at a time: add it
 * as a spare (it starts receiving the log, or a snapshot), then assign it
 * the voter role, which raft grants once the newcomer has caught up.  A
 * member that is already a voter is answered 200 at once, so a node that
 * retries its join is harmless.
 */
#include "raft_store/node_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

struct change {
    struct raft_change req;
    struct node *node;
    struct node_call *call;
    raft_id id;
    bool promoting;
};

static void finish(struct change *c, int status, const char *detail)
{
    struct node_call *call = c->call;
    call->result.status = status;
    call->index = raft_last_applied(&c->node->raft);
    snprintf(call->result.detail, sizeof call->result.detail, "%s", detail);
    commit_complete(call, NODE_DONE);
    free(c);
}

/* A change raft could not make: 503 with raft's reason; true when so. */
static bool change_failed(struct change *c, int status)
{
    if (status == 0)
        return false;
    log_warn("raft: membership change for %016llx failed: %s",
             (unsigned long long)c->id, raft_strerror(status));
    finish(c, 503, raft_strerror(status));
    return true;
}

static void changed(struct raft_change *req, int status)
{
    struct change *c = req->data;
    if (change_failed(c, status))
        return;
    if (c->promoting) {
        log_info("raft: %016llx is now a voter", (unsigned long long)c->id);
        finish(c, 201, "added");
        return;
    }
    c->promoting = true;
    int rv = raft_assign(&c->node->raft, &c->req, c->id, RAFT_VOTER, changed);
    if (rv != 0)
        finish(c, rv == RAFT_CANTCHANGE ? 409 : 503, raft_strerror(rv));
}

static const struct raft_server *find_server(struct raft *r, raft_id id)
{
    for (unsigned i = 0; i < r->configuration.n; i++)
        if (r->configuration.servers[i].id == id)
            return &r->configuration.servers[i];
    return NULL;
}

void members_add(struct node *n, struct sub *s)
{
    raft_id id = (raft_id)s->len;
    char *address = (char *)s->bytes;
    struct change *c = xcalloc(1, sizeof *c);
    c->node = n;
    c->call = s->call;
    c->id = id;
    c->req.data = c;
    free(s);
    int rv;
    const struct raft_server *srv = find_server(&n->raft, id);
    if (raft_state(&n->raft) != RAFT_LEADER) {
        struct node_call *call = c->call;
        free(address);
        free(c);
        commit_complete(call, NODE_NOT_LEADER);
        return;
    }
    if (srv != NULL && srv->role == RAFT_VOTER) {
        free(address);
        finish(c, 200, "already a voter");
        return;
    }
    if (srv != NULL) {
        c->promoting = true;
        rv = raft_assign(&n->raft, &c->req, id, RAFT_VOTER, changed);
    } else {
        log_info("raft: adding %016llx at %s", (unsigned long long)id, address);
        rv = raft_add(&n->raft, &c->req, id, address, changed);
    }
    free(address);
    if (rv != 0)
        finish(c, rv == RAFT_CANTCHANGE ? 409 : 503, raft_strerror(rv));
}

/* ---- remove, assign, transfer ---- */

static void change_done(struct raft_change *req, int status)
{
    struct change *c = req->data;
    if (change_failed(c, status))
        return;
    log_info("raft: membership of %016llx changed", (unsigned long long)c->id);
    finish(c, 200, "changed");
}

/* raft gives a transfer up after an election timeout when its target did
 * not catch up in time (under load the log keeps moving until the
 * transfer starts); it is asked again, up to TRANSFER_TRIES in all. */
#define TRANSFER_TRIES 3

struct transfer {
    struct raft_transfer req;
    struct node *node;
    struct node_call *call;
    raft_id want;  /* 0 = any up-to-date voter */
    int tries;
};

void members_fail_transfer(struct node *n, int outcome)
{
    struct transfer *t = n->transfer;
    if (t == NULL)
        return;
    /* raft is closing: the transfer callback will not come */
    n->transfer = NULL;
    commit_complete(t->call, outcome);
    /* t itself stays with raft's request until raft is closed; freed by
     * node_stop */
    n->transfer_orphan = t;
}

static void transferred(struct raft_transfer *req)
{
    struct transfer *t = req->data;
    if (t->node->transfer_orphan == t) {
        /* already failed at close; raft is done with it now */
        t->node->transfer_orphan = NULL;
        free(t);
        return;
    }
    t->node->transfer = NULL;
    raft_id lid = 0;
    const char *addr = NULL;
    raft_leader(&t->node->raft, &lid, &addr);
    struct node_call *call = t->call;
    bool moved = lid != 0 && lid != t->node->id;
    if (!moved && ++t->tries < TRANSFER_TRIES &&
        raft_state(&t->node->raft) == RAFT_LEADER &&
        raft_transfer(&t->node->raft, &t->req, t->want, transferred) == 0) {
        log_info("raft: leadership did not move; asking again (try %d of %d)",
                 t->tries + 1, TRANSFER_TRIES);
        t->node->transfer = t;
        return;
    }
    call->result.status = moved ? 200 : 503;
    call->result.id = (int64_t)lid;
    snprintf(call->result.detail, sizeof call->result.detail, "%s",
             moved ? "transferred" : "leadership did not move; retry");
    call->index = raft_last_applied(&t->node->raft);
    commit_complete(call, NODE_DONE);
    free(t);
}

static int raft_role_of(int member_role)
{
    return member_role == MEMBER_VOTER     ? RAFT_VOTER
           : member_role == MEMBER_STANDBY ? RAFT_STANDBY
                                           : RAFT_SPARE;
}

static int status_of(int rv)
{
    switch (rv) {
    case RAFT_CANTCHANGE:
    case RAFT_BADROLE:
    case RAFT_NOTFOUND:
        return 409;
    case RAFT_BADID:
        return 404;
    default:
        return 503;
    }
}

void members_change(struct node *n, struct sub *s)
{
    raft_id id = (raft_id)s->len;
    int role = s->bytes[0];
    enum sub_kind kind = s->kind;
    struct node_call *call = s->call;
    free(s->bytes);
    free(s);
    if (raft_state(&n->raft) != RAFT_LEADER) {
        commit_complete(call, NODE_NOT_LEADER);
        return;
    }
    int rv;
    if (kind == SUB_TRANSFER) {
        struct transfer *t = xcalloc(1, sizeof *t);
        t->node = n;
        t->call = call;
        t->want = id;
        t->req.data = t;
        rv = raft_transfer(&n->raft, &t->req, id, transferred);
        if (rv == 0)
            n->transfer = t;
        if (rv != 0) {
            free(t);
            call->result.status = status_of(rv);
            snprintf(call->result.detail, sizeof call->result.detail, "%s",
                     raft_strerror(rv));
            commit_complete(call, NODE_DONE);
        }
        return;
    }
    struct change *c = xcalloc(1, sizeof *c);
    c->node = n;
    c->call = call;
    c->id = id;
    c->req.data = c;
    const struct raft_server *srv = find_server(&n->raft, id);
    if (srv == NULL) {
        finish(c, 404, "not a member");
        return;
    }
    if (kind == SUB_ASSIGN && srv->role == raft_role_of(role)) {
        finish(c, 200, "unchanged");
        return;
    }
    rv = kind == SUB_REMOVE
             ? raft_remove(&n->raft, &c->req, id, change_done)
             : raft_assign(&n->raft, &c->req, id, raft_role_of(role),
                           change_done);
    if (rv != 0)
        finish(c, status_of(rv), raft_strerror(rv));
}
