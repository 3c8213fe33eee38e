/* dedupe — request ids the state machine has already applied.
 *
 * A write carries a request id (a client's Idempotency-Key or one the
 * receiving node made for its own retries).  The first time the id is
 * applied its answer (status, message id, detail) is remembered; a repeat
 * within the window gets that answer back and changes nothing (SPEC §3, §5
 * step 2).  Ids are kept as 64-bit hashes in a hash map, with one FIFO per
 * kind (client keys live fingerprint_ttl_minutes, node keys
 * STORE_NODE_KEY_TTL_MS) so expiry pops from the front instead of scanning.
 */
#include "raft_store/store_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

uint64_t dedupe_hash(const char *request_id)
{
    return hash_stable(request_id, strlen(request_id));
}

const struct dedupe_entry *dedupe_find(const struct store *s, uint64_t hash)
{
    const struct dedupe_entry *e = hmap_u64_get(&s->request_ids, hash);
    if (e != NULL && e->expires <= s->clock)
        return NULL;
    return e;
}

static void fifo_push(struct dedupe_fifo *f, struct dedupe_entry *e)
{
    e->next = NULL;
    if (f->tail)
        f->tail->next = e;
    else
        f->head = e;
    f->tail = e;
}

void dedupe_add(struct store *s, uint64_t hash, int kind,
                const struct store_result *r)
{
    int64_t ttl = kind == KEY_CLIENT
                      ? s->settings.fingerprint_ttl_minutes * 60000
                      : STORE_NODE_KEY_TTL_MS;
    size_t dlen = r->status >= 400 ? strlen(r->detail) : 0;
    size_t size = offsetof(struct dedupe_entry, detail) + dlen + 1;
    struct dedupe_entry *e = xcalloc(1, size > sizeof *e ? size : sizeof *e);
    e->hash = hash;
    e->expires = s->clock + ttl;
    e->id = r->id;
    e->status = r->status;
    memcpy(e->detail, r->detail, dlen);
    struct dedupe_entry *old = hmap_u64_put(&s->request_ids, hash, e);
    if (old != NULL)
        old->hash = 0; /* superseded: its FIFO slot no longer owns the key */
    fifo_push(kind == KEY_CLIENT ? &s->fifo_client : &s->fifo_node, e);
}

static void fifo_expire(struct store *s, struct dedupe_fifo *f)
{
    while (f->head && f->head->expires <= s->clock) {
        struct dedupe_entry *e = f->head;
        f->head = e->next;
        if (f->head == NULL)
            f->tail = NULL;
        if (e->hash != 0 && hmap_u64_get(&s->request_ids, e->hash) == e)
            hmap_u64_del(&s->request_ids, e->hash);
        free(e);
    }
}

void dedupe_expire(struct store *s)
{
    fifo_expire(s, &s->fifo_client);
    fifo_expire(s, &s->fifo_node);
}

static void fifo_clear(struct dedupe_fifo *f)
{
    while (f->head) {
        struct dedupe_entry *e = f->head;
        f->head = e->next;
        free(e);
    }
    f->tail = NULL;
}

void dedupe_clear(struct store *s)
{
    fifo_clear(&s->fifo_client);
    fifo_clear(&s->fifo_node);
    hmap_u64_free(&s->request_ids);
    hmap_u64_init(&s->request_ids);
}
