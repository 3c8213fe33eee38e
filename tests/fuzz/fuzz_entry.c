/* libFuzzer target: raft entries and commands as the state machine sees
 * them.  Any byte string must decode or be rejected without crashing, and
 * applying it must leave a consistent store (snapshot round-trips). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raft_store/cmd.h"
#include "raft_store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmd c;
    if (cmd_decode(data, size, &c) == 0) {
        struct buf b;
        buf_init(&b);
        cmd_encode(&b, &c);
        struct cmd d;
        if (cmd_decode(b.data, b.len, &d) != 0)
            abort(); /* what we encode we must decode */
        cmd_free(&d);
        /* wrap the command in an entry and apply it twice */
        struct buf e;
        buf_init(&e);
        cmd_batch_begin(&e);
        cmd_batch_add(&e, b.data, b.len);
        cmd_batch_end(&e, 1, 1700000000000LL, 1, 1);
        struct store *s = store_new();
        for (uint64_t i = 1; i <= 2; i++) {
            uint32_t n;
            struct store_result *res =
                store_apply_entry(s, i, e.data, e.len, &n);
            store_results_free(res, n);
        }
        struct buf snap;
        buf_init(&snap);
        store_snapshot(s, &snap);
        char err[128];
        if (store_restore(s, snap.data, snap.len, err, sizeof err) != 0)
            abort(); /* our own snapshot must restore */
        buf_free(&snap);
        store_free(s);
        buf_free(&e);
        buf_free(&b);
        cmd_free(&c);
    }
    struct store *s = store_new();
    uint32_t n;
    struct store_result *res = store_apply_entry(s, 1, data, size, &n);
    store_results_free(res, n);
    store_free(s);
    return 0;
}
