/* libFuzzer target: snapshots as restore reads them (a follower installs
 * what the leader sends).  Bad input is refused and changes nothing. */
#include <stdint.h>
#include <stdlib.h>

#include "raft_store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct store *s = store_new();
    char err[128];
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
    return 0;
}
