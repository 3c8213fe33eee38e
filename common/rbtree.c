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
    return n != NULL && rb_is_red(n);
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
        rb_set_parent(y->left, x);
    rb_set_parent(y, rb_parent(x));
    replace_child(t, rb_parent(x), x, y);
    y->left = x;
    rb_set_parent(x, y);
}

static void rotate_right(struct rb_tree *t, struct rb_node *x)
{
    struct rb_node *y = x->left;

    x->left = y->right;
    if (y->right != NULL)
        rb_set_parent(y->right, x);
    rb_set_parent(y, rb_parent(x));
    replace_child(t, rb_parent(x), x, y);
    y->right = x;
    rb_set_parent(x, y);
}

void rb_init(struct rb_tree *t)
{
    t->root = NULL;
    t->count = 0;
}

static void insert_fixup(struct rb_tree *t, struct rb_node *n)
{
    struct rb_node *p;

    while ((p = rb_parent(n)) != NULL && rb_is_red(p)) {
        struct rb_node *g = rb_parent(p); /* exists: a red node is never root */
        int p_left = (g->left == p);
        struct rb_node *uncle = p_left ? g->right : g->left;

        if (is_red(uncle)) {
            rb_set_black(p);
            rb_set_black(uncle);
            rb_set_red(g);
            n = g;
            continue;
        }
        if (p_left && n == p->right) {
            rotate_left(t, p);
            n = p;
            p = rb_parent(n);
        } else if (!p_left && n == p->left) {
            rotate_right(t, p);
            n = p;
            p = rb_parent(n);
        }
        rb_set_black(p);
        rb_set_red(g);
        if (p_left)
            rotate_right(t, g);
        else
            rotate_left(t, g);
    }
    rb_set_black(t->root);
}

void rb_insert(struct rb_tree *t, struct rb_node *n, rb_cmp_fn cmp)
{
    struct rb_node *parent = NULL;
    struct rb_node **link = &t->root;

    while (*link != NULL) {
        parent = *link;
        link = cmp(n, parent) < 0 ? &parent->left : &parent->right;
    }
    rb_set_parent_colour(n, parent, 1);
    n->left = NULL;
    n->right = NULL;
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

        if (rb_is_red(w)) {
            rb_set_black(w);
            rb_set_red(parent);
            if (x_left)
                rotate_left(t, parent);
            else
                rotate_right(t, parent);
            w = x_left ? parent->right : parent->left;
        }
        if (!is_red(w->left) && !is_red(w->right)) {
            rb_set_red(w);
            x = parent;
            parent = rb_parent(x);
            continue;
        }
        if (x_left && !is_red(w->right)) {
            rb_set_black(w->left);
            rb_set_red(w);
            rotate_right(t, w);
            w = parent->right;
        } else if (!x_left && !is_red(w->left)) {
            rb_set_black(w->right);
            rb_set_red(w);
            rotate_left(t, w);
            w = parent->left;
        }
        rb_set_colour(w, rb_is_red(parent));
        rb_set_black(parent);
        if (x_left) {
            rb_set_black(w->right);
            rotate_left(t, parent);
        } else {
            rb_set_black(w->left);
            rotate_right(t, parent);
        }
        x = t->root;
    }
    if (x != NULL)
        rb_set_black(x);
}

/* Moves successor s (leftmost in n's right subtree) into n's place, keeping
 * n's colour there.  Returns the node that now fills s's old position (may
 * be NULL) through *x and its parent through *xp; returns s's old colour. */
static int splice_successor(struct rb_tree *t, struct rb_node *n,
                            struct rb_node *s, struct rb_node **x,
                            struct rb_node **xp)
{
    int removed_red = rb_is_red(s);

    *x = s->right;
    if (rb_parent(s) == n) {
        *xp = s;
    } else {
        *xp = rb_parent(s);
        rb_parent(s)->left = s->right;
        if (s->right != NULL)
            rb_set_parent(s->right, rb_parent(s));
        s->right = n->right;
        rb_set_parent(n->right, s);
    }
    replace_child(t, rb_parent(n), n, s);
    s->parent_color = n->parent_color; /* n's parent and colour at once */
    s->left = n->left;
    rb_set_parent(n->left, s);
    return removed_red;
}

void rb_erase(struct rb_tree *t, struct rb_node *n)
{
    struct rb_node *x;
    struct rb_node *xp;
    int removed_red;

    if (n->left == NULL || n->right == NULL) {
        x = n->left != NULL ? n->left : n->right;
        xp = rb_parent(n);
        removed_red = rb_is_red(n);
        replace_child(t, xp, n, x);
        if (x != NULL)
            rb_set_parent(x, xp);
    } else {
        struct rb_node *s = n->right;

        while (s->left != NULL)
            s = s->left;
        removed_red = splice_successor(t, n, s, &x, &xp);
    }
    t->count--;
    if (!removed_red)
        erase_fixup(t, x, xp);
    n->parent_color = 0;
    n->left = n->right = NULL;
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
    while ((p = rb_parent(n)) != NULL && p->right == n)
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
    while ((p = rb_parent(n)) != NULL && p->left == n)
        n = p;
    return (struct rb_node *)p;
}
