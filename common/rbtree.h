/* rbtree — an intrusive red-black tree.
 *
 * The node is embedded in the caller's record; the tree never allocates.
 * Ordering comes from a comparison function given to every insert, so one
 * record can sit in several trees (by id, per queue, ...).  Equal keys are
 * allowed: an equal key goes after the existing ones.  Not thread-safe: the
 * owner of the tree serialises access.
 */
#ifndef SMSC_RBTREE_H
#define SMSC_RBTREE_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

/* The parent pointer and the colour share one word: a node is at least
 * pointer-aligned (it lives inside a malloc'd record), so bit 0 of its
 * address is always 0 and holds the colour (1 = red).  24 bytes, not 32.
 * Read and write the word only through the accessors below. */
struct rb_node {
    uintptr_t parent_color;
    struct rb_node *left;
    struct rb_node *right;
};

_Static_assert(alignof(struct rb_node) >= 2,
               "rb_node: bit 0 of a node's address must be free for the colour");

#define RB_RED_BIT ((uintptr_t)1)

static inline struct rb_node *rb_parent(const struct rb_node *n)
{
    return (struct rb_node *)(n->parent_color & ~RB_RED_BIT);
}

static inline int rb_is_red(const struct rb_node *n)
{
    return (n->parent_color & RB_RED_BIT) != 0;
}

/* Sets the parent, keeping the colour. */
static inline void rb_set_parent(struct rb_node *n, const struct rb_node *p)
{
    n->parent_color = (uintptr_t)p | (n->parent_color & RB_RED_BIT);
}

static inline void rb_set_red(struct rb_node *n)
{
    n->parent_color |= RB_RED_BIT;
}

static inline void rb_set_black(struct rb_node *n)
{
    n->parent_color &= ~RB_RED_BIT;
}

static inline void rb_set_colour(struct rb_node *n, int red)
{
    if (red)
        rb_set_red(n);
    else
        rb_set_black(n);
}

static inline void rb_set_parent_colour(struct rb_node *n,
                                        const struct rb_node *p, int red)
{
    n->parent_color = (uintptr_t)p | (red ? RB_RED_BIT : 0);
}

struct rb_tree {
    struct rb_node *root;
    size_t count;
};

/* Orders two nodes: <0, 0, >0 like strcmp. */
typedef int (*rb_cmp_fn)(const struct rb_node *a, const struct rb_node *b);
/* Orders a search key against a node: <0 when key sorts before node. */
typedef int (*rb_key_fn)(const void *key, const struct rb_node *n);

#define rb_entry(ptr, type, member)                                            \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

void rb_init(struct rb_tree *t);
/* Links n (not in any tree of this kind) into t. O(log n). */
void rb_insert(struct rb_tree *t, struct rb_node *n, rb_cmp_fn cmp);
/* Unlinks n, which must be in t. O(log n). */
void rb_erase(struct rb_tree *t, struct rb_node *n);
/* A node whose key equals key (the first of equal ones), or NULL. */
struct rb_node *rb_find(const struct rb_tree *t, const void *key, rb_key_fn kcmp);
/* The first node whose key is >= key, or NULL. */
struct rb_node *rb_lower_bound(const struct rb_tree *t, const void *key,
                               rb_key_fn kcmp);
/* The first node whose key is > key, or NULL. */
struct rb_node *rb_upper_bound(const struct rb_tree *t, const void *key,
                               rb_key_fn kcmp);
struct rb_node *rb_first(const struct rb_tree *t);
struct rb_node *rb_last(const struct rb_tree *t);
struct rb_node *rb_next(const struct rb_node *n);
struct rb_node *rb_prev(const struct rb_node *n);

#endif
