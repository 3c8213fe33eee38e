/* rbtree — the intrusive red-black tree behind smsc's ordered indexes.
 *
 * Classic parent-pointer red-black tree without a sentinel node (NULL leaves
 * count as black).  Insertion descends with the caller's comparison and sends
 * equal keys to the right, so duplicates keep their insertion order.  Erase
 * swaps a node with two children for its successor by relinking (never by
 * copying payload, since the node is embedded in the caller's record).
 */
#include "common/rbtree.h"

static int is_red(const struct rb_node *n)
{
    return n != NULL && n->red;
}

/* Points whatever referred to old (parent link or root) at new. */
static void replace_child(struct rb_tree *t, struct rb_node *parent,
                          struct rb_node *old, struct rb_node *new)
{
    if (parent == NULL)
        t->root = new;
    else if (parent->left == old)
        parent->left = new;
    else
        parent->right = new;
}

static void rotate_left(struct rb_tree *t, struct rb_node *x)
{
    struct rb_node *y = x->right;

    x->right = y->left;
    if (y->left != NULL)
        y->left->parent = x;
    y->parent = x->parent;
    replace_child(t, x->parent, x, y);
    y->left = x;
    x->parent = y;
}

static void rotate_right(struct rb_tree *t, struct rb_node *x)
{
    struct rb_node *y = x->left;

    x->left = y->right;
    if (y->right != NULL)
        y->right->parent = x;
    y->parent = x->parent;
    replace_child(t, x->parent, x, y);
    y->right = x;
    x->parent = y;
}

void rb_init(struct rb_tree *t)
{
    t->root = NULL;
    t->count = 0;
}

static void insert_fixup(struct rb_tree *t, struct rb_node *n)
{
    struct rb_node *p;

    while ((p = n->parent) != NULL && p->red) {
        struct rb_node *g = p->parent; /* exists: a red node is never root */
        int p_left = (g->left == p);
        struct rb_node *uncle = p_left ? g->right : g->left;

        if (is_red(uncle)) {
            p->red = 0;
            uncle->red = 0;
            g->red = 1;
            n = g;
            continue;
        }
        if (p_left && n == p->right) {
            rotate_left(t, p);
            n = p;
            p = n->parent;
        } else if (!p_left && n == p->left) {
            rotate_right(t, p);
            n = p;
            p = n->parent;
        }
        p->red = 0;
        g->red = 1;
        if (p_left)
            rotate_right(t, g);
        else
            rotate_left(t, g);
    }
    t->root->red = 0;
}

void rb_insert(struct rb_tree *t, struct rb_node *n, rb_cmp_fn cmp)
{
    struct rb_node *parent = NULL;
    struct rb_node **link = &t->root;

    while (*link != NULL) {
        parent = *link;
        link = cmp(n, parent) < 0 ? &parent->left : &parent->right;
    }
    n->parent = parent;
    n->left = NULL;
    n->right = NULL;
    n->red = 1;
    *link = n;
    t->count++;
    insert_fixup(t, n);
}

/* Restores the black height after a black node was removed above x, which
 * may be NULL; parent is x's parent (needed exactly when x is NULL). */
static void erase_fixup(struct rb_tree *t, struct rb_node *x,
                        struct rb_node *parent)
{
    while (x != t->root && !is_red(x)) {
        int x_left = (parent->left == x);
        struct rb_node *w = x_left ? parent->right : parent->left;

        if (w->red) {
            w->red = 0;
            parent->red = 1;
            if (x_left)
                rotate_left(t, parent);
            else
                rotate_right(t, parent);
            w = x_left ? parent->right : parent->left;
        }
        if (!is_red(w->left) && !is_red(w->right)) {
            w->red = 1;
            x = parent;
            parent = x->parent;
            continue;
        }
        if (x_left && !is_red(w->right)) {
            w->left->red = 0;
            w->red = 1;
            rotate_right(t, w);
            w = parent->right;
        } else if (!x_left && !is_red(w->left)) {
            w->right->red = 0;
            w->red = 1;
            rotate_left(t, w);
            w = parent->left;
        }
        w->red = parent->red;
        parent->red = 0;
        if (x_left) {
            w->right->red = 0;
            rotate_left(t, parent);
        } else {
            w->left->red = 0;
            rotate_right(t, parent);
        }
        x = t->root;
    }
    if (x != NULL)
        x->red = 0;
}

/* Moves successor s (leftmost in n's right subtree) into n's place, keeping
 * n's colour there.  Returns the node that now fills s's old position (may
 * be NULL) through *x and its parent through *xp; returns s's old colour. */
static int splice_successor(struct rb_tree *t, struct rb_node *n,
                            struct rb_node *s, struct rb_node **x,
                            struct rb_node **xp)
{
    int removed_red = s->red;

    *x = s->right;
    if (s->parent == n) {
        *xp = s;
    } else {
        *xp = s->parent;
        s->parent->left = s->right;
        if (s->right != NULL)
            s->right->parent = s->parent;
        s->right = n->right;
        n->right->parent = s;
    }
    replace_child(t, n->parent, n, s);
    s->parent = n->parent;
    s->left = n->left;
    n->left->parent = s;
    s->red = n->red;
    return removed_red;
}

void rb_erase(struct rb_tree *t, struct rb_node *n)
{
    struct rb_node *x;
    struct rb_node *xp;
    int removed_red;

    if (n->left == NULL || n->right == NULL) {
        x = n->left != NULL ? n->left : n->right;
        xp = n->parent;
        removed_red = n->red;
        replace_child(t, n->parent, n, x);
        if (x != NULL)
            x->parent = xp;
    } else {
        struct rb_node *s = n->right;

        while (s->left != NULL)
            s = s->left;
        removed_red = splice_successor(t, n, s, &x, &xp);
    }
    t->count--;
    if (!removed_red)
        erase_fixup(t, x, xp);
    n->parent = n->left = n->right = NULL;
}

struct rb_node *rb_find(const struct rb_tree *t, const void *key,
                        rb_key_fn kcmp)
{
    struct rb_node *n = rb_lower_bound(t, key, kcmp);

    return (n != NULL && kcmp(key, n) == 0) ? n : NULL;
}

struct rb_node *rb_lower_bound(const struct rb_tree *t, const void *key,
                               rb_key_fn kcmp)
{
    struct rb_node *n = t->root;
    struct rb_node *best = NULL;

    while (n != NULL) {
        if (kcmp(key, n) <= 0) {
            best = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

struct rb_node *rb_upper_bound(const struct rb_tree *t, const void *key,
                               rb_key_fn kcmp)
{
    struct rb_node *n = t->root;
    struct rb_node *best = NULL;

    while (n != NULL) {
        if (kcmp(key, n) < 0) {
            best = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

struct rb_node *rb_first(const struct rb_tree *t)
{
    struct rb_node *n = t->root;

    if (n == NULL)
        return NULL;
    while (n->left != NULL)
        n = n->left;
    return n;
}

struct rb_node *rb_last(const struct rb_tree *t)
{
    struct rb_node *n = t->root;

    if (n == NULL)
        return NULL;
    while (n->right != NULL)
        n = n->right;
    return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
    const struct rb_node *p;

    if (n->right != NULL) {
        n = n->right;
        while (n->left != NULL)
            n = n->left;
        return (struct rb_node *)n;
    }
    while ((p = n->parent) != NULL && p->right == n)
        n = p;
    return (struct rb_node *)p;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
    const struct rb_node *p;

    if (n->left != NULL) {
        n = n->left;
        while (n->right != NULL)
            n = n->right;
        return (struct rb_node *)n;
    }
    while ((p = n->parent) != NULL && p->left == n)
        n = p;
    return (struct rb_node *)p;
}
