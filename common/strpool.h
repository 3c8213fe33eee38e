/* strpool — shared copies of strings that repeat (reference counted).
 *
 * A stored message names its source and destination SMSC, the nodes it
 * came in and went out on and its data coding scheme: a handful of
 * distinct values over millions of messages.  Each as its own heap copy
 * costs a 32-byte allocation; from a pool, a pointer.  strpool_get returns
 * the pool's copy (adding a reference), strpool_put drops one, and the
 * copy goes with the last.  The copies are read-only.  Not thread-safe:
 * one writer, readers under the owner's lock.
 */
#ifndef SMSC_STRPOOL_H
#define SMSC_STRPOOL_H

#include <stddef.h>

#include "common/hmap.h"

struct strpool {
    struct hmap_str map; /* string -> struct strpool_entry */
};

void strpool_init(struct strpool *p);
/* Frees every copy, referenced or not. */
void strpool_free(struct strpool *p);
/* The pool's copy of s (NULL for NULL), with one more reference. */
char *strpool_get(struct strpool *p, const char *s);
/* Drops a reference to a copy strpool_get returned (NULL: nothing). */
void strpool_put(struct strpool *p, const char *s);
/* Distinct strings held. */
size_t strpool_count(const struct strpool *p);

#endif
