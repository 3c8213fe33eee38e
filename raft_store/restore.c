/* restore — a backup restored through the log (SPEC §4 POST /api/restore).
 *
 * The backup's state (a snapshot of the cluster it came from) arrives in
 * CMD_RESTORE chunks, in order, into a staging buffer that is part of the
 * replicated state (and of snapshots), so every replica holds the same
 * bytes even when one catches up from a snapshot halfway.  The last chunk
 * checks the whole (hash_stable) and the cluster must hold no messages;
 * then the state is swapped in whole, keeping what belongs to this cluster
 * and not to the backup: its members' node_info, the raft index, and a
 * clock that never goes back.
 */
#include "raft_store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

#define RESTORE_MAX_BYTES (2ULL << 30)

void restore_stage_clear(struct store *s)
{
    free(s->stage.buf);
    memset(&s->stage, 0, sizeof s->stage);
}

static void refuse(struct store *s, struct store_result *r, int status,
                   const char *detail)
{
    restore_stage_clear(s);
    r->status = status;
    snprintf(r->detail, sizeof r->detail, "%s", detail);
}

static bool holds_messages(const struct store *s)
{
    for (int i = 0; i < MSG_STATUS_COUNT; i++)
        if (s->by_status[i])
            return true;
    return false;
}

/* Swaps the loaded backup t in, keeping this cluster's own parts. */
static void swap_in(struct store *s, struct store *t)
{
    struct hmap_str nodes = t->nodes;
    t->nodes = s->nodes;
    s->nodes = nodes; /* t's (the backup's) go with the old state */
    t->applied_index = s->applied_index;
    if (t->clock < s->clock)
        t->clock = s->clock;
    if (t->tick < s->tick)
        t->tick = s->tick;
    store_swap_state(s, t);
    store_tables_touch(s);
    atomic_store(&s->outbox_rows, s->ob.rows);
    atomic_store(&s->outbox_full, atomic_load(&t->outbox_full));
}

void fsm_apply_restore(struct store *s, const struct cmd_restore *c,
                       struct store_result *r)
{
    if (c->offset == 0) {
        restore_stage_clear(s);
        if (holds_messages(s)) {
            refuse(s, r, 409, "The cluster holds messages: restore needs "
                              "one that holds none");
            return;
        }
        if (c->total > RESTORE_MAX_BYTES) {
            refuse(s, r, 413, "Backup state larger than 2 GiB");
            return;
        }
        s->stage.buf = xmalloc(c->total);
        s->stage.total = c->total;
        s->stage.check = c->check;
    } else if (s->stage.buf == NULL || c->offset != s->stage.len ||
               c->total != s->stage.total || c->check != s->stage.check) {
        refuse(s, r, 409, "Restore chunk out of order: start again");
        return;
    }
    memcpy(s->stage.buf + s->stage.len, c->bytes, c->len);
    s->stage.len += c->len;
    r->status = 202;
    r->id = (int64_t)s->stage.len;
    if (s->stage.len < s->stage.total)
        return;
    if (hash_stable(s->stage.buf, s->stage.total) != s->stage.check) {
        refuse(s, r, 422, "Backup state damaged (check mismatch)");
        return;
    }
    struct store *t = store_new();
    if (store_load(t, s->stage.buf, s->stage.total) != 0) {
        store_free(t);
        refuse(s, r, 422, "Backup state does not decode");
        return;
    }
    restore_stage_clear(s);
    swap_in(s, t);
    store_free(t);
    uint64_t n = 0;
    for (int i = 0; i < MSG_STATUS_COUNT; i++)
        n += s->by_status[i];
    log_info("restore: state of cluster %s restored (%llu messages)",
             s->cluster_id ? s->cluster_id : "-", (unsigned long long)n);
    r->status = 200;
    r->id = (int64_t)n;
}

void restore_stage_snapshot(const struct store *s, struct buf *b)
{
    buf_put_uvar(b, s->stage.total);
    if (s->stage.total == 0)
        return;
    buf_put_u64le(b, s->stage.check);
    buf_put_uvar(b, s->stage.len);
    buf_put(b, s->stage.buf, s->stage.len);
}

int restore_stage_load(struct rd *r, struct store *t)
{
    uint64_t total = rd_uvar_max(r, RESTORE_MAX_BYTES);
    if (r->err)
        return -1;
    if (total == 0)
        return 0;
    uint64_t check = rd_u64le(r);
    uint64_t len = rd_uvar_max(r, total);
    const uint8_t *p = rd_bytes(r, (size_t)len);
    if (r->err || p == NULL)
        return -1;
    t->stage.buf = xmalloc(total);
    memcpy(t->stage.buf, p, (size_t)len);
    t->stage.total = total;
    t->stage.len = len;
    t->stage.check = check;
    return 0;
}
