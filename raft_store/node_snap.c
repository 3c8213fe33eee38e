/* node_snap — snapshots serialised in the background, by a forked child.
 *
 * raft 0.22.1 calls the FSM's snapshot() on the loop thread and wants the
 * bytes when it returns; serialising a million messages there blocks the
 * loop for a second or more, long enough for the followers to start an
 * election.  So snapshot() forks instead: the child holds a frozen,
 * copy-on-write image of the state as of the snapshot's index, serialises
 * it, compressed, into a memfd and exits, while the parent goes on
 * applying entries.
 * snapshot() hands raft a placeholder buffer; the wrapped snapshot_put
 * keeps raft's request until the child is done, then fills the buffer with
 * the memfd's mapping and passes the request on to the real (libuv)
 * snapshot_put, which writes the file from its thread pool.  The loop is
 * blocked only for the fork itself.
 *
 * A waiter thread reaps the child and wakes the loop (uv_async).  When
 * fork fails the snapshot is serialised in place, as before.  At close a
 * running child is killed and raft's request completes as cancelled.
 */
#include "raft_store/node_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "raft_store/snap_lz4.h"
#include "server/config.h"

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct node *node_of_io(struct raft_io *io)
{
    return (struct node *)((char *)io - offsetof(struct node, io));
}

/* ---- the child ---- */

static bool write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

/* The child compresses the snapshot (raft_store/snap_lz4.h) straight into
 * the memfd's pages, mapped over a sparse span far larger than any state
 * (pages exist only once written, and the file is cut to the snapshot's
 * length at the end): no buffer of the whole encoding and no copy into
 * the file.  Where the span cannot be mapped (an address-space limit), it
 * serialises into the heap, uncompressed, and writes that. */
#define CHILD_SPAN ((size_t)1 << 40)

static _Noreturn void child_main(struct node *n, int fd)
{
    /* Dies with the thread that forked it; ignores what the daemon's
     * handlers would do with a signal. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    void *span = MAP_FAILED;
    struct snap_lz4_out z;
    if (ftruncate(fd, (off_t)CHILD_SPAN) == 0)
        span = mmap(NULL, CHILD_SPAN, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_NORESERVE, fd, 0);
    if (span != MAP_FAILED && snap_lz4_out_begin(&z, span, CHILD_SPAN) == 0) {
        store_snapshot(n->store, &z.in); /* no lock: this process has no
                                          * writer */
        long long len = snap_lz4_out_end(&z);
        _exit(len > 0 && ftruncate(fd, (off_t)len) == 0 ? 0 : 1);
    }
    if (ftruncate(fd, 0) != 0)
        _exit(1);
    struct buf b;
    buf_init(&b);
    store_snapshot(n->store, &b);
    _exit(write_all(fd, (const char *)b.data, b.len) ? 0 : 1);
}

/* ---- the parent ---- */

static void *waiter_main(void *arg)
{
    struct node_snap *s = arg;
    int status = 0;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    s->wait_status = status;
    uv_async_send(&s->done);
    return NULL;
}

static void complete_calls(struct node_call *c, uint64_t index, size_t len,
                           uint64_t plain, bool ok)
{
    while (c) {
        struct node_call *next = c->next;
        c->index = index;
        c->result.status = ok ? 200 : 500;
        c->result.id = (int64_t)len;
        c->result.id2 = (int64_t)plain;
        commit_complete(c, ok ? NODE_DONE : NODE_UNKNOWN);
        c = next;
    }
}

/* After the child: hands the bytes to the real snapshot_put. */
static void done_cb(uv_async_t *h)
{
    struct node *n = h->data;
    struct node_snap *s = &n->snap;
    if (!s->busy || s->req == NULL)
        return; /* woken again after the work was handed on */
    pthread_join(s->waiter, NULL);
    s->busy = false;
    struct raft_io_snapshot_put *req = s->req;
    raft_io_snapshot_put_cb cb = s->cb;
    struct raft_snapshot *snap = s->snapshot;
    s->req = NULL;
    struct node_call *calls = s->calls;
    s->calls = NULL;

    struct stat st;
    void *map = MAP_FAILED;
    bool ok = WIFEXITED(s->wait_status) && WEXITSTATUS(s->wait_status) == 0 &&
              fstat(s->fd, &st) == 0 && st.st_size > 0;
    if (ok)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, s->fd, 0);
    close(s->fd);
    s->fd = -1;
    if (!ok || map == MAP_FAILED) {
        log_error("raft: snapshot at index %llu failed in the background "
                  "(child status %d); raft retries at its next apply",
                  (unsigned long long)s->index, s->wait_status);
        complete_calls(calls, s->index, 0, 0, false);
        cb(req, RAFT_IOERR);
        return;
    }
    s->map = map;
    s->map_len = (size_t)st.st_size;
    snap->bufs[0].base = map;
    snap->bufs[0].len = s->map_len;
    /* the state's size, not the compressed one, sets the next threshold */
    uint64_t plain = snap_lz4_plain_len(map, s->map_len);
    if (plain == 0)
        plain = s->map_len;
    log_info("raft: snapshot at index %llu (%zu bytes, %llu uncompressed, "
             "%.0f ms in the background)",
             (unsigned long long)s->index, s->map_len,
             (unsigned long long)plain, mono_ms() - s->started);
    complete_calls(calls, s->index, s->map_len, plain, true);
    node_snap_retune(n, (size_t)plain);
    int rv = s->real_put(&n->io, s->trailing, req, snap, cb);
    if (rv != 0) {
        log_error("raft: cannot store the snapshot at index %llu: %s",
                  (unsigned long long)s->index, raft_strerror(rv));
        cb(req, rv);
    }
}

static int snap_put(struct raft_io *io, unsigned trailing,
                    struct raft_io_snapshot_put *req,
                    const struct raft_snapshot *snapshot,
                    raft_io_snapshot_put_cb cb)
{
    struct node *n = node_of_io(io);
    struct node_snap *s = &n->snap;
    if (!s->busy || s->req != NULL || snapshot->bufs != s->placeholder)
        return s->real_put(io, trailing, req, snapshot, cb);
    s->req = req;
    s->cb = cb;
    s->trailing = trailing;
    s->snapshot = (struct raft_snapshot *)snapshot; /* ours until put */
    return 0;
}

void node_snap_retune(struct node *n, size_t bytes)
{
    struct node_snap *s = &n->snap;
    uint64_t want = (uint64_t)n->cfg->raft.snapshot_threshold;
    if (s->log_entries > 0 && s->log_bytes > 0) {
        uint64_t per_entry = s->log_bytes / s->log_entries + 1;
        uint64_t scaled = bytes / 2 / per_entry;
        if (scaled > want)
            want = scaled;
    }
    if (want > UINT32_MAX / 2)
        want = UINT32_MAX / 2;
    s->threshold = (unsigned)want;
    /* Entries kept after the snapshot, for followers a little behind:
     * bounded in bytes too, since one group-commit entry may carry
     * hundreds of commands and raft keeps the whole log in memory. */
    uint64_t trailing = (uint64_t)n->cfg->raft.snapshot_trailing;
    if (s->log_entries > 0 && s->log_bytes > 0) {
        uint64_t per_entry = s->log_bytes / s->log_entries + 1;
        uint64_t cap = (uint64_t)n->cfg->raft.snapshot_trailing_bytes /
                       per_entry;
        if (cap < 16)
            cap = 16;
        if (trailing > cap)
            trailing = cap;
    }
    raft_set_snapshot_trailing(&n->raft, (unsigned)trailing);
    s->log_bytes = s->log_entries = 0;
    if (n->snapshot_calls == NULL) /* else an asked one comes first */
        raft_set_snapshot_threshold(&n->raft, s->threshold);
}

void node_snap_init(struct node *n)
{
    struct node_snap *s = &n->snap;
    s->threshold = (unsigned)n->cfg->raft.snapshot_threshold;
    s->fd = -1;
    s->real_put = n->io.snapshot_put;
    n->io.snapshot_put = snap_put;
    uv_async_init(&n->loop, &s->done, done_cb);
    s->done.data = n;
    s->inited = true;
}

int node_snap_fork(struct node *n, struct raft_buffer **bufs, unsigned *n_bufs)
{
    struct node_snap *s = &n->snap;
    if (!s->inited || s->busy || !n->cfg->raft.snapshot_in_background)
        return -1;
    int fd = memfd_create("smsc-snapshot", MFD_CLOEXEC);
    if (fd < 0) {
        log_warn("raft: memfd_create: %s; snapshot in place", strerror(errno));
        return -1;
    }
    struct raft_buffer *b = raft_malloc(sizeof *b);
    if (b == NULL) {
        close(fd);
        return -1;
    }
    double t0 = mono_ms();
    pid_t pid = fork();
    if (pid == 0)
        child_main(n, fd);
    if (pid < 0) {
        log_warn("raft: fork: %s; snapshot in place", strerror(errno));
        raft_free(b);
        close(fd);
        return -1;
    }
    s->pid = pid;
    s->fd = fd;
    s->busy = true;
    s->index = raft_last_applied(&n->raft);
    s->started = t0;
    s->calls = n->snapshot_calls;
    n->snapshot_calls = NULL;
    if (pthread_create(&s->waiter, NULL, waiter_main, s) != 0) {
        /* cannot happen in practice; reap here, blocking the loop once */
        while (waitpid(pid, &s->wait_status, 0) < 0 && errno == EINTR)
            ;
        uv_async_send(&s->done);
        s->waiter = pthread_self();
    }
    b->base = NULL;
    b->len = 0;
    s->placeholder = b;
    *bufs = b;
    *n_bufs = 1;
    log_debug("raft: snapshot at index %llu forked (pid %d) in %.1f ms",
              (unsigned long long)s->index, (int)pid, mono_ms() - t0);
    return 0;
}

/* raft is done with a snapshot's buffers (ours or in-place ones). */
void node_snap_release(struct node *n, struct raft_buffer *bufs,
                       unsigned n_bufs)
{
    struct node_snap *s = &n->snap;
    for (unsigned i = 0; i < n_bufs; i++) {
        if (s->map != NULL && bufs[i].base == s->map) {
            munmap(s->map, s->map_len);
            s->map = NULL;
        } else {
            raft_free(bufs[i].base);
        }
    }
    if (bufs == s->placeholder)
        s->placeholder = NULL;
    raft_free(bufs);
}

void node_snap_cancel(struct node *n)
{
    struct node_snap *s = &n->snap;
    if (!s->inited)
        return;
    if (s->busy) {
        kill(s->pid, SIGKILL);
        if (!pthread_equal(s->waiter, pthread_self()))
            pthread_join(s->waiter, NULL);
        close(s->fd);
        s->fd = -1;
        s->busy = false;
        complete_calls(s->calls, s->index, 0, 0, false);
        s->calls = NULL;
    }
    uv_close((uv_handle_t *)&s->done, NULL);
    s->inited = false;
}

void node_snap_cancel_request(struct node *n)
{
    struct node_snap *s = &n->snap;
    if (s->req == NULL)
        return;
    struct raft_io_snapshot_put *req = s->req;
    s->req = NULL;
    s->cb(req, RAFT_CANCELED);
}
