/* hmap — open-addressing hash maps (linear probing, backward-shift delete).
 *
 * Two flavours share one implementation idea:
 *   - hmap_u64: uint64_t key -> void * value (ids, hashes)
 *   - hmap_str: NUL-terminated string key -> void * value; the map keeps its
 *     own copy of each key.
 * Values are borrowed: the map never frees them.  Load factor is kept at or
 * below 0.75 by doubling.  Iteration order is unspecified but deterministic
 * for the same sequence of operations.  Not thread-safe.
 */
#ifndef SMSC_HMAP_H
#define SMSC_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_u64_slot {
    uint64_t key;
    void *val;   /* NULL marks an empty slot: values may not be NULL */
};

struct hmap_u64 {
    struct hmap_u64_slot *slots;
    size_t cap;   /* power of two, 0 when nothing was ever inserted */
    size_t count;
};

void hmap_u64_init(struct hmap_u64 *m);
void hmap_u64_free(struct hmap_u64 *m);          /* frees slots only */
void *hmap_u64_get(const struct hmap_u64 *m, uint64_t key);
/* Inserts or replaces; returns the previous value or NULL.  val != NULL. */
void *hmap_u64_put(struct hmap_u64 *m, uint64_t key, void *val);
/* Removes key; returns its value or NULL when absent. */
void *hmap_u64_del(struct hmap_u64 *m, uint64_t key);
/* Iterates: start with *pos = 0; returns false at the end.  The map must not
 * change during an iteration. */
bool hmap_u64_next(const struct hmap_u64 *m, size_t *pos, uint64_t *key,
                   void **val);

struct hmap_str_slot {
    char *key;   /* NULL marks an empty slot */
    uint64_t hash;
    void *val;
};

struct hmap_str {
    struct hmap_str_slot *slots;
    size_t cap;
    size_t count;
};

void hmap_str_init(struct hmap_str *m);
void hmap_str_free(struct hmap_str *m);          /* frees slots and key copies */
void *hmap_str_get(const struct hmap_str *m, const char *key);
/* Inserts or replaces (the map copies key on insert); returns the previous
 * value or NULL. */
void *hmap_str_put(struct hmap_str *m, const char *key, void *val);
void *hmap_str_del(struct hmap_str *m, const char *key);
bool hmap_str_next(const struct hmap_str *m, size_t *pos, const char **key,
                   void **val);

/* 64-bit hashes used by the maps, exposed for callers that key by hash.
 * hash_bytes reads words in native byte order: do not persist its results or
 * send them between machines. */
uint64_t hash_u64(uint64_t x);
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

/* A hash that is the same on every machine (byte order, word size): for
 * values that are stored or sent between nodes (raft ids, request ids in
 * snapshots).  FNV-1a 64 with a splitmix64 finaliser; nonzero. */
uint64_t hash_stable(const void *p, size_t n);

#endif
