/* libFuzzer target: snapshots as restore reads them (a follower installs
 * what the leader sends), plain or compressed (raft_store/snap_lz4.h) as
 * fsm restore takes them.  Bad input is refused and changes nothing. */
#include <stdint.h>
#include <stdlib.h>

#include "raft_store/snap_lz4.h"
#include "raft_store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct store *s = store_new();
    char err[160];
    uint8_t *plain = NULL;
    if (snap_lz4_is_frame(data, size)) {
        size_t len;
        if (snap_lz4_decode(data, size, 16u << 20, &plain, &len, err,
                            sizeof err) != 0) {
            store_free(s);
            return 0;
        }
        data = plain;
        size = len;
    }
    if (store_restore(s, data, size, err, sizeof err) == 0) {
        struct buf b;
        buf_init(&b);
        store_snapshot(s, &b);
        struct store *t = store_new();
        if (store_restore(t, b.data, b.len, err, sizeof err) != 0)
            abort();
        store_free(t);
        buf_free(&b);
    }
    store_free(s);
    free(plain);
    return 0;
}
