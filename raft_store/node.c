/* node — lifecycle of this process's raft member and its raft thread.
 *
 * node_new() prepares everything on the main thread; node_start() opens
 * the raft dir, bootstraps when asked (pristine dir only), starts raft and
 * then the thread that runs the libuv loop.  On the loop: `wake` drains the
 * submission queue, `check` runs after every loop iteration to publish the
 * status, release applied-index waiters and notice leadership changes, and
 * `tick_timer` makes the leader propose CMD_TICK every second.  A new leader
 * proposes `init` once (if the cluster has none yet) and its own
 * `node_info`.
 */
#include "raft_store/node_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/hmap.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "raft_store/cmd.h"
#include "server/config.h"

#define TICK_MS 1000

uint64_t node_id_of(const char *name)
{
    return hash_stable(name, strlen(name));
}

const char *node_role_name(int role)
{
    switch (role) {
    case NODE_ROLE_LEADER: return "leader";
    case NODE_ROLE_FOLLOWER: return "follower";
    case NODE_ROLE_CANDIDATE: return "candidate";
    default: return "unavailable";
    }
}

bool node_has_state(const char *data_dir)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/raft/metadata1", data_dir);
    if (stat(path, &st) == 0)
        return true;
    snprintf(path, sizeof path, "%s/raft/metadata2", data_dir);
    return stat(path, &st) == 0;
}

static uint64_t random_u64(void)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = 0;
        close(fd);
    }
    if (v == 0)
        v = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
    return v;
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

static char *peer_address(const struct config_peer *p)
{
    char buf[512];
    if (strchr(p->host, ':'))
        snprintf(buf, sizeof buf, "[%s]:%d", p->host, p->raft_port);
    else
        snprintf(buf, sizeof buf, "%s:%d", p->host, p->raft_port);
    return xstrdup(buf);
}

struct node *node_new(const struct config *cfg, struct store *store,
                      bool bootstrap, const char *api_url, char *err,
                      size_t errlen)
{
    int self = config_self_index(cfg);
    if (self < 0) {
        snprintf(err, errlen, "smsc_node_name: '%s' is not in cluster_nodes",
                 cfg->node_name);
        return NULL;
    }
    struct node *n = xcalloc(1, sizeof *n);
    n->cfg = cfg;
    n->store = store;
    n->name = xstrdup(cfg->node_name);
    n->id = node_id_of(cfg->node_name);
    n->address = peer_address(&cfg->cluster_nodes[self]);
    n->api_url = xstrdup(api_url);
    n->bootstrap = bootstrap;
    n->incarnation = random_u64();
    n->max_inflight = (unsigned)cfg->raft.max_inflight_entries;
    n->max_entry = (size_t)cfg->raft.max_entry_bytes;
    size_t len = strlen(cfg->data_dir) + 8;
    n->raft_dir = xmalloc(len);
    snprintf(n->raft_dir, len, "%s/raft", cfg->data_dir);
    pthread_mutex_init(&n->qlock, NULL);
    pthread_mutex_init(&n->slock, NULL);
    hmap_u64_init(&n->inflight);
    n->last_state = -1;
    node_fsm_init(n);
    return n;
}

static int bootstrap(struct node *n, char *err, size_t errlen)
{
    const struct config *cfg = n->cfg;
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    int rv = 0;
    for (size_t i = 0; i < cfg->n_cluster_nodes && rv == 0; i++) {
        char *addr = peer_address(&cfg->cluster_nodes[i]);
        rv = raft_configuration_add(
            &conf, node_id_of(cfg->cluster_nodes[i].name), addr, RAFT_VOTER);
        free(addr);
    }
    if (rv == 0)
        rv = raft_bootstrap(&n->raft, &conf);
    raft_configuration_close(&conf);
    if (rv == RAFT_CANTBOOTSTRAP) {
        log_info("raft: data dir already holds a cluster; --bootstrap ignored");
        return 0;
    }
    if (rv != 0) {
        snprintf(err, errlen, "raft bootstrap: %s", raft_errmsg(&n->raft));
        return -1;
    }
    log_info("raft: bootstrapped a new cluster of %zu node(s)",
             cfg->n_cluster_nodes);
    return 0;
}

static void propose_cmd(struct node *n, struct cmd *c)
{
    struct buf b;
    buf_init(&b);
    cmd_encode(&b, c);
    struct sub *s = xcalloc(1, sizeof *s);
    s->kind = SUB_CMD;
    s->len = b.len;
    s->bytes = buf_steal(&b, NULL);
    sub_push(&n->pending, s);
}

static void hex_id(char *out, size_t len)
{
    uint64_t a = random_u64(), b = random_u64();
    snprintf(out, len, "%016llx%016llx", (unsigned long long)a,
             (unsigned long long)b);
}

/* A new leader announces itself: init once per cluster, node_info always. */
static void on_leader(struct node *n)
{
    struct cmd c;
    store_rdlock(n->store);
    bool have_init = store_cluster_id(n->store) != NULL;
    store_rdunlock(n->store);
    if (!have_init) {
        cmd_init(&c, CMD_INIT);
        char id[40];
        hex_id(id, sizeof id);
        c.u.init.cluster_id = xstrdup(id);
        c.u.init.settings = n->cfg->settings;
        c.u.init.routes = n->init_routes;   /* lent for the encoding */
        c.u.init.rules = n->init_rules;
        c.node = xstrdup(n->name);
        propose_cmd(n, &c);
        memset(&c.u.init.routes, 0, sizeof c.u.init.routes);
        memset(&c.u.init.rules, 0, sizeof c.u.init.rules);
        cmd_free(&c);
        /* the founding members, before each announces its API address:
         * whatever counts the members (the SQLite CDR outbox trims at the
         * slowest one) knows all of them from the start */
        for (size_t i = 0; i < n->cfg->n_cluster_nodes; i++) {
            const struct config_peer *p = &n->cfg->cluster_nodes[i];
            if (strcmp(p->name, n->name) == 0)
                continue;
            cmd_init(&c, CMD_NODE_INFO);
            c.node = xstrdup(n->name);
            c.u.node_info.name = xstrdup(p->name);
            c.u.node_info.raft_address = peer_address(p);
            c.u.node_info.raft_id = node_id_of(p->name);
            propose_cmd(n, &c);
            cmd_free(&c);
        }
    }
    cmd_init(&c, CMD_NODE_INFO);
    c.node = xstrdup(n->name);
    c.u.node_info.name = xstrdup(n->name);
    c.u.node_info.api_url = xstrdup(n->api_url);
    c.u.node_info.raft_address = xstrdup(n->address);
    c.u.node_info.raft_id = n->id;
    propose_cmd(n, &c);
    cmd_free(&c);
    commit_pump(n);
}

static int role_of(int state)
{
    switch (state) {
    case RAFT_LEADER: return NODE_ROLE_LEADER;
    case RAFT_FOLLOWER: return NODE_ROLE_FOLLOWER;
    case RAFT_CANDIDATE: return NODE_ROLE_CANDIDATE;
    default: return NODE_ROLE_UNAVAILABLE;
    }
}

static void publish_status(struct node *n)
{
    raft_id lid = 0;
    const char *laddr = NULL;
    raft_leader(&n->raft, &lid, &laddr);
    int state = raft_state(&n->raft);
    pthread_mutex_lock(&n->slock);
    struct node_status *st = &n->status;
    if (st->leader_id != lid && lid != 0)
        st->leader_changes++;
    st->role = role_of(state);
    st->term = raft_current_term(&n->raft);
    st->commit_index = raft_commit_index(&n->raft);
    st->applied_index = raft_last_applied(&n->raft);
    st->last_index = raft_last_index(&n->raft);
    st->leader_id = lid;
    snprintf(st->leader_address, sizeof st->leader_address, "%s",
             laddr ? laddr : "");
    const struct raft_configuration *conf = &n->raft.configuration;
    n->n_members = 0;
    for (unsigned i = 0; i < conf->n && i < NODE_MAX_MEMBERS; i++) {
        struct node_member *m = &n->members[n->n_members++];
        m->id = conf->servers[i].id;
        snprintf(m->address, sizeof m->address, "%s",
                 conf->servers[i].address);
        m->role = conf->servers[i].role == RAFT_VOTER     ? MEMBER_VOTER
                  : conf->servers[i].role == RAFT_STANDBY ? MEMBER_STANDBY
                                                          : MEMBER_SPARE;
    }
    pthread_mutex_unlock(&n->slock);
}

static void check_cb(uv_check_t *h)
{
    struct node *n = h->data;
    if (n->closing)
        return;
    publish_status(n);
    commit_check_waiters(n);
    int state = raft_state(&n->raft);
    if (state != n->last_state) {
        log_info("raft: now %s (term %llu)",
                 node_role_name(role_of(state)),
                 (unsigned long long)raft_current_term(&n->raft));
        n->last_state = state;
        if (state == RAFT_LEADER)
            on_leader(n);
        else
            commit_pump(n); /* fails what waits: not the leader any more */
    }
}

/* Closes raft and every loop handle; the loop then ends by itself. */
static void close_all(struct node *n)
{
    n->closing = true;
    if (n->handles_inited) {
        uv_close((uv_handle_t *)&n->tick_timer, NULL);
        uv_close((uv_handle_t *)&n->check, NULL);
        commit_fail_all(n, NODE_SHUTDOWN);
        uv_close((uv_handle_t *)&n->wake, NULL);
        node_snap_cancel(n);
    }
    if (n->raft_inited) {
        raft_close(&n->raft, NULL);
        node_snap_cancel_request(n);
    }
}

static void wake_cb(uv_async_t *h)
{
    struct node *n = h->data;
    if (n->closing)
        return;
    pthread_mutex_lock(&n->qlock);
    bool stopping = n->stopping;
    pthread_mutex_unlock(&n->qlock);
    if (stopping) {
        close_all(n);
        return;
    }
    commit_drain_queue(n);
}

static void tick_cb(uv_timer_t *h)
{
    struct node *n = h->data;
    if (n->closing || raft_state(&n->raft) != RAFT_LEADER)
        return;
    struct cmd c;
    cmd_init(&c, CMD_TICK);
    c.node = xstrdup(n->name);
    propose_cmd(n, &c);
    cmd_free(&c);
    commit_pump(n);
}

static void *raft_thread(void *arg)
{
    struct node *n = arg;
    uv_run(&n->loop, UV_RUN_DEFAULT);
    return NULL;
}

static int open_raft(struct node *n, char *err, size_t errlen)
{
    const struct config *cfg = n->cfg;
    int rv;
    if (mkdir_p(n->raft_dir) != 0) {
        snprintf(err, errlen, "data_dir: cannot create %s: %s", n->raft_dir,
                 strerror(errno));
        return -1;
    }
    uv_loop_init(&n->loop);
    n->loop_inited = true;
    n->transport.version = 1;
    n->transport.data = NULL;
    if ((rv = raft_uv_tcp_init(&n->transport, &n->loop)) != 0) {
        snprintf(err, errlen, "raft transport: %s", raft_strerror(rv));
        return -1;
    }
    n->transport_inited = true;
    if ((rv = raft_uv_init(&n->io, &n->loop, n->raft_dir, &n->transport))) {
        snprintf(err, errlen, "raft io (%s): %s", n->raft_dir,
                 n->io.errmsg[0] ? n->io.errmsg : raft_strerror(rv));
        return -1;
    }
    n->io_inited = true;
    raft_uv_set_segment_size(&n->io, (size_t)cfg->raft.segment_bytes);
    raft_uv_set_tracer(&n->io, NULL);
    if ((rv = raft_init(&n->raft, &n->io, &n->fsm, n->id, n->address))) {
        snprintf(err, errlen, "raft init: %s", raft_strerror(rv));
        return -1;
    }
    n->raft_inited = true;
    /* raft seeds its election timer from the clock alone: nodes started in
     * the same millisecond would time out together, election after
     * election.  Seed it per process. */
    raft_seed(&n->raft, (unsigned)random_u64());
    n->raft.tracer = NULL;
    raft_set_election_timeout(&n->raft, (unsigned)cfg->raft.election_timeout_ms);
    raft_set_heartbeat_timeout(&n->raft,
                               (unsigned)cfg->raft.heartbeat_timeout_ms);
    raft_set_pre_vote(&n->raft, true);
    raft_set_snapshot_threshold(&n->raft, (unsigned)cfg->raft.snapshot_threshold);
    raft_set_snapshot_trailing(&n->raft, (unsigned)cfg->raft.snapshot_trailing);
    raft_set_capacity_threshold(&n->raft, 0);
    return 0;
}

int node_start(struct node *n, char *err, size_t errlen)
{
    int rv;
    if (open_raft(n, err, errlen) != 0)
        return -1;
    if (n->bootstrap && bootstrap(n, err, errlen) != 0)
        return -1;
    if ((rv = raft_start(&n->raft)) != 0) {
        snprintf(err, errlen, "raft start: %s", raft_errmsg(&n->raft));
        return -1;
    }
    uv_async_init(&n->loop, &n->wake, wake_cb);
    n->wake.data = n;
    node_snap_init(n);
    uv_check_init(&n->loop, &n->check);
    n->check.data = n;
    uv_check_start(&n->check, check_cb);
    uv_timer_init(&n->loop, &n->tick_timer);
    n->tick_timer.data = n;
    uv_timer_start(&n->tick_timer, tick_cb, TICK_MS, TICK_MS);
    n->handles_inited = true;
    publish_status(n);
    if (pthread_create(&n->thread, NULL, raft_thread, n) != 0) {
        snprintf(err, errlen, "cannot start the raft thread");
        return -1;
    }
    n->thread_started = true;
    log_info("raft: node %s (id %016llx) on %s, data in %s", n->name,
             (unsigned long long)n->id, n->address, n->raft_dir);
    return 0;
}

void node_shutdown(struct node *n)
{
    if (n == NULL || n->shut_down)
        return;
    if (n->thread_started) {
        pthread_mutex_lock(&n->qlock);
        n->stopping = true;
        pthread_mutex_unlock(&n->qlock);
        uv_async_send(&n->wake);
        pthread_join(n->thread, NULL);
    } else if (n->loop_inited) {
        close_all(n); /* start-up failed half way */
        uv_run(&n->loop, UV_RUN_DEFAULT);
    }
    pthread_mutex_lock(&n->qlock);
    n->stopping = true; /* later submissions complete with NODE_SHUTDOWN */
    pthread_mutex_unlock(&n->qlock);
    if (n->io_inited)
        raft_uv_close(&n->io);
    if (n->transport_inited)
        raft_uv_tcp_close(&n->transport);
    if (n->loop_inited)
        uv_loop_close(&n->loop);
    pthread_mutex_lock(&n->slock);
    n->status.role = NODE_ROLE_UNAVAILABLE;
    n->status.leader_id = 0;
    pthread_mutex_unlock(&n->slock);
    n->shut_down = true;
}

void node_free(struct node *n)
{
    if (n == NULL)
        return;
    node_shutdown(n);
    free(n->transfer_orphan);
    hmap_u64_free(&n->inflight);
    cmd_import_free(&n->init_routes, true);
    cmd_import_free(&n->init_rules, false);
    free(n->waiters);
    free(n->name);
    free(n->address);
    free(n->api_url);
    free(n->raft_dir);
    pthread_mutex_destroy(&n->qlock);
    pthread_mutex_destroy(&n->slock);
    free(n);
}

void node_stop(struct node *n)
{
    node_free(n);
}

void node_set_initial_tables(struct node *n, struct cmd_import *routes,
                             struct cmd_import *rules)
{
    cmd_import_free(&n->init_routes, true);
    cmd_import_free(&n->init_rules, false);
    n->init_routes = *routes;
    n->init_rules = *rules;
    memset(routes, 0, sizeof *routes);
    memset(rules, 0, sizeof *rules);
}

static void submit(struct node *n, struct sub *s)
{
    pthread_mutex_lock(&n->qlock);
    bool stopping = n->stopping;
    bool full = n->queue.len >= 200000;
    if (!stopping && !full)
        sub_push(&n->queue, s);
    pthread_mutex_unlock(&n->qlock);
    if (stopping || full) {
        commit_complete(s->call, stopping ? NODE_SHUTDOWN : NODE_BUSY);
        free(s->bytes);
        free(s);
        return;
    }
    uv_async_send(&n->wake);
}

void node_propose(struct node *n, const uint8_t *cmd, size_t len,
                  struct node_call *call)
{
    struct sub *s = xcalloc(1, sizeof *s);
    s->kind = SUB_CMD;
    s->bytes = xmalloc(len);
    memcpy(s->bytes, cmd, len);
    s->len = len;
    s->call = call;
    submit(n, s);
}

void node_wait_applied(struct node *n, uint64_t index, struct node_call *call)
{
    struct sub *s = xcalloc(1, sizeof *s);
    s->kind = SUB_WAIT;
    call->wait_index = index;
    s->call = call;
    submit(n, s);
}

void node_barrier(struct node *n, struct node_call *call)
{
    struct sub *s = xcalloc(1, sizeof *s);
    s->kind = SUB_BARRIER;
    s->call = call;
    submit(n, s);
}

void node_add_member(struct node *n, uint64_t id, const char *address,
                     struct node_call *call)
{
    struct sub *s = xcalloc(1, sizeof *s);
    s->kind = SUB_ADD;
    s->bytes = (uint8_t *)xstrdup(address);
    s->len = (size_t)id;
    s->call = call;
    submit(n, s);
}

static void submit_change(struct node *n, enum sub_kind kind, uint64_t id,
                          int role, struct node_call *call)
{
    struct sub *s = xcalloc(1, sizeof *s);
    s->kind = kind;
    s->bytes = xmalloc(1);
    s->bytes[0] = (uint8_t)role;
    s->len = (size_t)id;
    s->call = call;
    submit(n, s);
}

void node_snapshot(struct node *n, struct node_call *call)
{
    submit_change(n, SUB_SNAPSHOT, 0, 0, call);
}

void node_remove_member(struct node *n, uint64_t id, struct node_call *call)
{
    submit_change(n, SUB_REMOVE, id, 0, call);
}

void node_assign_member(struct node *n, uint64_t id, int role,
                        struct node_call *call)
{
    submit_change(n, SUB_ASSIGN, id, role, call);
}

void node_transfer(struct node *n, uint64_t id, struct node_call *call)
{
    submit_change(n, SUB_TRANSFER, id, 0, call);
}

struct step_down {
    struct node_call call;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    bool abandoned;      /* the waiter gave up: the completion frees it */
};

static void step_down_free(struct step_down *sd)
{
    pthread_mutex_destroy(&sd->lock);
    pthread_cond_destroy(&sd->cond);
    free(sd);
}

static void stepped_down(struct node_call *c)
{
    struct step_down *sd = c->data;
    pthread_mutex_lock(&sd->lock);
    if (sd->abandoned) {
        pthread_mutex_unlock(&sd->lock);
        step_down_free(sd);
        return;
    }
    sd->done = true;
    pthread_cond_signal(&sd->cond);
    pthread_mutex_unlock(&sd->lock);
}

bool node_step_down(struct node *n, int timeout_ms)
{
    if (!node_is_leader(n))
        return false;
    struct step_down *sd = xcalloc(1, sizeof *sd);
    pthread_mutex_init(&sd->lock, NULL);
    pthread_cond_init(&sd->cond, NULL);
    sd->call.complete = stepped_down;
    sd->call.data = sd;
    node_transfer(n, 0, &sd->call);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sd->lock);
    while (!sd->done)
        if (pthread_cond_timedwait(&sd->cond, &sd->lock, &ts) != 0)
            break;
    if (!sd->done) {
        /* still the raft thread's: completed (and freed) by it, at the
         * latest when node_stop fails what is left */
        sd->abandoned = true;
        pthread_mutex_unlock(&sd->lock);
        return false;
    }
    pthread_mutex_unlock(&sd->lock);
    bool moved = sd->call.outcome == NODE_DONE &&
                 sd->call.result.status == 200;
    step_down_free(sd);
    return moved;
}

size_t node_members(struct node *n, struct node_member *out, size_t max)
{
    pthread_mutex_lock(&n->slock);
    size_t k = n->n_members < max ? n->n_members : max;
    memcpy(out, n->members, k * sizeof *out);
    pthread_mutex_unlock(&n->slock);
    return k;
}

const char *node_member_role_name(int role)
{
    switch (role) {
    case MEMBER_VOTER: return "voter";
    case MEMBER_STANDBY: return "standby";
    default: return "spare";
    }
}

void node_get_status(struct node *n, struct node_status *st)
{
    pthread_mutex_lock(&n->slock);
    *st = n->status;
    pthread_mutex_unlock(&n->slock);
}

bool node_is_leader(struct node *n)
{
    pthread_mutex_lock(&n->slock);
    bool leader = n->status.role == NODE_ROLE_LEADER;
    pthread_mutex_unlock(&n->slock);
    return leader;
}
