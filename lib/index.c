/*
 * index.c - the free index: two AVL trees threaded through the free blocks.
 *
 * WHY TWO TREES
 * The placement styles are exact, so the index must answer four questions in
 * O(log n) for n free blocks:
 *   first fit  the lowest-address free block of size >= need;
 *   next fit   the same, among blocks at or after a roving address;
 *   worst fit  the largest block, lowest address among equals;
 *   best fit   the smallest block of size >= need, lowest address among equals.
 * The ADDRESS tree is keyed by the block's granule offset and augmented with
 * `max`, the largest size in each subtree.  Descending left whenever the left
 * subtree's max is large enough finds the lowest-address fit (first and next
 * fit); asking for the root's max finds the worst fit.  The SIZE tree is keyed
 * by (size, offset), so a lower-bound search for (need, 0) is the best fit.
 *
 * A free block's node (heap.h) holds both trees' links, heights and the
 * address tree's max in 24 bytes, with a keyed 16-bit check over them.
 *
 * INVARIANTS (I5 of heap.h; index_validate checks all of them)
 *   T1  Each tree holds every free block exactly once and nothing else.
 *   T2  Keys are strictly increasing in order: every node's key lies strictly
 *       inside the open interval its ancestors allow.
 *   T3  height = 1 + max(child heights), and children's heights differ by at
 *       most one (AVL), so depth <= 1.44 log2(n + 2) < MAX_DEPTH.
 *   T4  Address tree: max = largest size in the subtree.
 *
 * HARDENING
 * No link is followed before visit() has checked that its target is inside
 * the region, has a good header canary, is free, has a good node check, lies
 * inside the key interval its position allows (T2), and is not deeper than
 * MAX_DEPTH.  T2 makes a cycle impossible to follow: an ancestor's key is an
 * endpoint of every interval below it, so no walk revisits a node.  Writes go
 * through node_write()/meta_write(), so a violation met half-way through a
 * rebalance is rolled back by the caller (heap.h, TRANSACTIONS).
 */
#include "heap.h"

typedef struct walk {
    mem_heap_t *h;
    int t;        /* TREE_ADDR or TREE_SIZE */
    int err;      /* first violation, MEM_OK while none */
    size_t hops;  /* nodes visited */
    bool changed; /* did the subtree just returned change root, height or max? */
} walk_t;

static inline walk_t walker(mem_heap_t *h, int t) { return (walk_t){ .h = h, .t = t, .err = MEM_OK }; }

static inline uint64_t key_of(const mem_heap_t *h, int t, uint32_t g)
{
    return t == TREE_ADDR ? g : ((uint64_t)hdr(h, g)->size << 32 | g);
}

/* Check that g may be followed from a link at `depth` whose subtree allows
 * keys in (lo, hi).  Sets w->err and returns false when it may not. */
static bool visit(walk_t *w, uint32_t g, uint64_t lo, uint64_t hi, int depth)
{
    w->hops++;
    if (depth > MAX_DEPTH) {
        w->err = report(w->h, E_CORRUPT_FREESPACE, g, "free index deeper than an AVL tree can be", MAX_DEPTH,
                        (uint64_t)depth);
        return false;
    }
    int err = free_check(w->h, g);
    if (err) {
        w->err = err;
        return false;
    }
    uint64_t k = key_of(w->h, w->t, g);
    if (k <= lo || k >= hi) {
        w->err = report(w->h, E_CORRUPT_FREESPACE, g, "free index link out of key order", lo, k);
        return false;
    }
    return true;
}

/* A child's height and max, for fix().  A child that was not visited (the
 * sibling of a node on a walk's path) may hold a link no check has seen: a
 * link whose node would not lie inside the region reads as no child, so
 * nothing outside the region is read; the walk that follows it reports it
 * (visit). */
static inline bool node_fits(const mem_heap_t *h, uint32_t g) { return in_region(h, g) && h->end - g >= MIN_BLOCK_G; }
static inline uint8_t height(const mem_heap_t *h, int t, uint32_t g)
{
    return node_fits(h, g) ? node(h, g)->height[t] : 0;
}
static inline uint32_t maxsz(const mem_heap_t *h, uint32_t g) { return node_fits(h, g) ? node(h, g)->max : 0; }

/* Recompute g's height (and max) from its children, which are valid (or,
 * for an unvisited sibling, at least read inside the region: height()). */
static void fix(walk_t *w, uint32_t g)
{
    mem_heap_t *h = w->h;
    free_node_t n = *node(h, g);
    uint8_t hl = height(h, w->t, n.left[w->t]), hr = height(h, w->t, n.right[w->t]);
    n.height[w->t] = (uint8_t)(1 + (hl > hr ? hl : hr));
    if (w->t == TREE_ADDR) {
        uint32_t m = hdr(h, g)->size, ml = maxsz(h, n.left[0]), mr = maxsz(h, n.right[0]);
        n.max = m > ml ? (m > mr ? m : mr) : (ml > mr ? ml : mr);
    }
    node_write(h, g, &n);
}

/* Set one link of g.  The write is logged but g's node check is left stale:
 * every caller recomputes g's fields with fix() (directly, in a rotation or
 * in rebalance) before the call ends, which rewrites the check.  Nothing
 * validates g in between (g was visited already and is cached as valid). */
static void set_left(walk_t *w, uint32_t g, uint32_t child) { meta_write(w->h, &node(w->h, g)->left[w->t], child); }
static void set_right(walk_t *w, uint32_t g, uint32_t child) { meta_write(w->h, &node(w->h, g)->right[w->t], child); }

/* Rotations: the nodes they move are valid (rebalance checked them). */
static uint32_t rotate_right(walk_t *w, uint32_t g)
{
    uint32_t l = node(w->h, g)->left[w->t];
    set_left(w, g, node(w->h, l)->right[w->t]);
    fix(w, g);
    set_right(w, l, g);
    fix(w, l);
    return l;
}

static uint32_t rotate_left(walk_t *w, uint32_t g)
{
    uint32_t r = node(w->h, g)->right[w->t];
    set_right(w, g, node(w->h, r)->left[w->t]);
    fix(w, g);
    set_left(w, r, g);
    fix(w, r);
    return r;
}

/* Validate the children of g (a node allowed keys in (lo, hi)) and return
 * true if they may be read. */
static bool children_ok(walk_t *w, uint32_t g, uint64_t lo, uint64_t hi, int depth)
{
    const free_node_t *n = node(w->h, g);
    uint64_t k = key_of(w->h, w->t, g);
    uint32_t l = n->left[w->t], r = n->right[w->t];
    return (!l || visit(w, l, lo, k, depth + 1)) && (!r || visit(w, r, k, hi, depth + 1));
}

/* Restore the AVL balance at g after one of its subtrees changed height by
 * one, and recompute its fields.  Returns the subtree's new root. */
static uint32_t rebalance(walk_t *w, uint32_t g, uint64_t lo, uint64_t hi, int depth)
{
    mem_heap_t *h = w->h;
    int t = w->t;
    if (!children_ok(w, g, lo, hi, depth))
        return 0;
    uint64_t k = key_of(h, t, g);
    uint32_t l = node(h, g)->left[t], r = node(h, g)->right[t];
    int bf = (int)height(h, t, l) - (int)height(h, t, r);
    if (bf > 1) {
        if (!children_ok(w, l, lo, k, depth + 1))
            return 0;
        uint32_t lr = node(h, l)->right[t];
        if (height(h, t, lr) > height(h, t, node(h, l)->left[t])) {
            /* The double rotation reads lr's children too: validate them. */
            if (!children_ok(w, lr, key_of(h, t, l), k, depth + 2))
                return 0;
            set_left(w, g, rotate_left(w, l));
        }
        return rotate_right(w, g);
    }
    if (bf < -1) {
        if (!children_ok(w, r, k, hi, depth + 1))
            return 0;
        uint32_t rl = node(h, r)->left[t];
        if (height(h, t, rl) > height(h, t, node(h, r)->right[t])) {
            /* The double rotation reads rl's children too: validate them. */
            if (!children_ok(w, rl, k, key_of(h, t, r), depth + 2))
                return 0;
            set_right(w, g, rotate_right(w, r));
        }
        return rotate_left(w, g);
    }
    fix(w, g);
    return g;
}

/* Rebalance g (already visited) and record in w->changed whether the
 * subtree's root, height or max changed, so that callers above can stop. */
static uint32_t settle(walk_t *w, uint32_t g, uint64_t lo, uint64_t hi, int depth)
{
    const uint8_t old_h = node(w->h, g)->height[w->t];
    const uint32_t old_max = node(w->h, g)->max;
    uint32_t r = rebalance(w, g, lo, hi, depth);
    if (w->err)
        return 0;
    w->changed = r != g || node(w->h, r)->height[w->t] != old_h || (w->t == TREE_ADDR && node(w->h, r)->max != old_max);
    return r;
}

static uint32_t tree_insert(walk_t *w, uint32_t g, uint32_t x, uint64_t kx, uint64_t lo, uint64_t hi, int depth)
{
    if (!g) {
        w->changed = true;
        return x;
    }
    if (!visit(w, g, lo, hi, depth))
        return 0;
    uint64_t k = key_of(w->h, w->t, g);
    if (kx == k) {
        w->err = report(w->h, E_CORRUPT_FREESPACE, g, "block already in the free index", 0, k);
        return 0;
    }
    if (kx < k) {
        uint32_t sub = tree_insert(w, node(w->h, g)->left[w->t], x, kx, lo, k, depth + 1);
        if (w->err || !w->changed)
            return w->err ? 0 : g;
        set_left(w, g, sub);
    } else {
        uint32_t sub = tree_insert(w, node(w->h, g)->right[w->t], x, kx, k, hi, depth + 1);
        if (w->err || !w->changed)
            return w->err ? 0 : g;
        set_right(w, g, sub);
    }
    return settle(w, g, lo, hi, depth);
}

/* Detach the minimum of the subtree at g into *min; returns the new root. */
static uint32_t remove_min(walk_t *w, uint32_t g, uint64_t lo, uint64_t hi, int depth, uint32_t *min)
{
    if (!visit(w, g, lo, hi, depth))
        return 0;
    const free_node_t *n = node(w->h, g);
    if (!n->left[w->t]) {
        *min = g;
        w->changed = true;
        return n->right[w->t];
    }
    uint64_t k = key_of(w->h, w->t, g);
    uint32_t sub = remove_min(w, n->left[w->t], lo, k, depth + 1, min);
    if (w->err || !w->changed)
        return w->err ? 0 : g;
    set_left(w, g, sub);
    return settle(w, g, lo, hi, depth);
}

static uint32_t tree_remove(walk_t *w, uint32_t g, uint32_t x, uint64_t kx, uint64_t lo, uint64_t hi, int depth)
{
    if (!g) {
        w->err = report(w->h, E_CORRUPT_FREESPACE, x, "free block missing from the free index", x, 0);
        return 0;
    }
    if (!visit(w, g, lo, hi, depth))
        return 0;
    mem_heap_t *h = w->h;
    uint64_t k = key_of(h, w->t, g);
    const free_node_t *n = node(h, g);
    if (kx < k || kx > k) {
        bool left = kx < k;
        uint32_t sub = tree_remove(w, left ? n->left[w->t] : n->right[w->t], x, kx, left ? lo : k, left ? k : hi,
                              depth + 1);
        if (w->err || !w->changed)
            return w->err ? 0 : g;
        (left ? set_left : set_right)(w, g, sub);
        return settle(w, g, lo, hi, depth);
    }
    if (g != x) {
        w->err = report(h, E_CORRUPT_FREESPACE, g, "free index key names another block", x, g);
        return 0;
    }
    uint32_t l = n->left[w->t], r = n->right[w->t];
    w->changed = true;
    if (!l || !r)
        return l ? l : r;
    uint32_t m = 0;
    uint32_t sub = remove_min(w, r, k, hi, depth + 1, &m);
    if (w->err)
        return 0;
    set_left(w, m, l); /* rebalance fixes m */
    set_right(w, m, sub);
    uint32_t top = rebalance(w, m, lo, hi, depth);
    w->changed = true; /* m took g's place */
    return top;
}

/* Insert g into (or remove it from) tree t, then store the new root. */
static int update(mem_heap_t *h, int t, uint32_t g, bool insert)
{
    walk_t w = walker(h, t);
    uint64_t k = key_of(h, t, g);
    uint32_t root = insert ? tree_insert(&w, h->root[t], g, k, 0, UINT64_MAX, 1)
                           : tree_remove(&w, h->root[t], g, k, 0, UINT64_MAX, 1);
    if (w.err)
        return w.err;
    meta_write(h, &h->root[t], root);
    return MEM_OK;
}

int index_insert(mem_heap_t *h, uint32_t g)
{
    free_node_t n = { { 0, 0 }, { 0, 0 }, hdr(h, g)->size, { 1, 1 }, 0 };
    node_write(h, g, &n);
    int err = update(h, TREE_ADDR, g, true);
    return err ? err : update(h, TREE_SIZE, g, true);
}

int index_remove(mem_heap_t *h, uint32_t g)
{
    int err = update(h, TREE_ADDR, g, false);
    return err ? err : update(h, TREE_SIZE, g, false);
}

int index_remove_by_size(mem_heap_t *h, uint32_t g) { return update(h, TREE_SIZE, g, false); }

/* REPLACING A NODE IN THE ADDRESS TREE
 * When a free block shrinks from its low end (a split) or grows over the
 * allocated block before it (a merge), its address changes but not its
 * place in address order: no other free block lies in between.  So the new
 * block can take over the old node's place - same links, same heights - and
 * only the `max` fields on the path to it change: one descent instead of a
 * removal and an insertion, each with rebalancing.  The descent validates
 * every node as visit() does; the new key is checked against the interval
 * the position allows and against the old node's children (T2). */
int index_replace_addr(mem_heap_t *h, uint32_t old, uint32_t neu)
{
    walk_t w = walker(h, TREE_ADDR);
    uint32_t path[MAX_DEPTH + 1];
    int n = 0;
    uint64_t lo = 0, hi = UINT64_MAX;
    uint32_t g = h->root[TREE_ADDR];
    for (;;) {
        if (!g)
            return report(h, E_CORRUPT_FREESPACE, old, "free block missing from the free index", old, 0);
        if (!visit(&w, g, lo, hi, n + 1))
            return w.err;
        if (g == old)
            break;
        path[n++] = g;
        if (old < g) {
            hi = g;
            g = node(h, g)->left[TREE_ADDR];
        } else {
            lo = g;
            g = node(h, g)->right[TREE_ADDR];
        }
    }
    if (!children_ok(&w, old, lo, hi, n + 1))
        return w.err;
    free_node_t v = *node(h, old);
    uint32_t l = v.left[TREE_ADDR], r = v.right[TREE_ADDR];
    if (neu <= lo || neu >= hi || (l && neu <= l) || (r && neu >= r))
        return report(h, E_CORRUPT_FREESPACE, old, "replacement would break free index order", old, neu);
    if (neu != old) {
        v.left[TREE_SIZE] = v.right[TREE_SIZE] = 0; /* the size tree is the caller's */
        v.height[TREE_SIZE] = 1;
        node_write(h, neu, &v);
        if (!n)
            meta_write(h, &h->root[TREE_ADDR], neu);
        else if (node(h, path[n - 1])->left[TREE_ADDR] == old)
            set_left(&w, path[n - 1], neu);
        else
            set_right(&w, path[n - 1], neu);
    }
    /* The size changed: recompute max at neu and upwards while it changes
     * (the parent is rewritten in any case: its link or check is stale). */
    fix(&w, neu);
    for (int i = n - 1; i >= 0; i--) {
        uint32_t before = node(h, path[i])->max;
        fix(&w, path[i]);
        if (node(h, path[i])->max == before && i < n - 1)
            break;
    }
    return MEM_OK;
}

int index_insert_by_size(mem_heap_t *h, uint32_t g)
{
    free_node_t v = *node(h, g);
    v.left[TREE_SIZE] = v.right[TREE_SIZE] = 0;
    v.height[TREE_SIZE] = 1;
    node_write(h, g, &v);
    return update(h, TREE_SIZE, g, true);
}

/* The lowest-address block at or after `from` with size >= need, in the
 * address subtree at g (keys in (lo, hi)).  Visits O(log n) nodes: every
 * subtree whose max is too small is rejected after one visit. */
static uint32_t leftmost_fit(walk_t *w, uint32_t g, uint64_t lo, uint64_t hi, int depth, uint32_t from,
                             uint32_t need)
{
    if (!g || !visit(w, g, lo, hi, depth))
        return 0;
    const free_node_t *n = node(w->h, g);
    if (n->max < need)
        return 0;
    if (g < from)
        return leftmost_fit(w, n->right[0], g, hi, depth + 1, from, need);
    uint32_t found = leftmost_fit(w, n->left[0], lo, g, depth + 1, from, need);
    if (found || w->err)
        return found;
    if (hdr(w->h, g)->size >= need)
        return g;
    return leftmost_fit(w, n->right[0], g, hi, depth + 1, from, need);
}

static uint32_t best_fit(walk_t *w, uint32_t need)
{
    uint64_t want = (uint64_t)need << 32, lo = 0, hi = UINT64_MAX;
    uint32_t g = w->h->root[TREE_SIZE], best = 0;
    for (int depth = 1; g; depth++) {
        if (!visit(w, g, lo, hi, depth))
            return 0;
        uint64_t k = key_of(w->h, TREE_SIZE, g);
        if (k >= want) {
            best = g;
            hi = k;
            g = node(w->h, g)->left[TREE_SIZE];
        } else {
            lo = k;
            g = node(w->h, g)->right[TREE_SIZE];
        }
    }
    return best;
}

uint32_t index_find(mem_heap_t *h, int style, uint32_t need, int *err)
{
    walk_t w = walker(h, style == MEM_BEST_FIT ? TREE_SIZE : TREE_ADDR);
    uint32_t root = h->root[TREE_ADDR], g = 0;
    switch (style) {
    case MEM_BEST_FIT:
        g = best_fit(&w, need);
        break;
    case MEM_WORST_FIT:
        if (root && visit(&w, root, 0, UINT64_MAX, 1) && node(h, root)->max >= need)
            g = leftmost_fit(&w, root, 0, UINT64_MAX, 1, 0, node(h, root)->max);
        break;
    case MEM_NEXT_FIT:
        g = leftmost_fit(&w, root, 0, UINT64_MAX, 1, h->rover, need);
        if (!g && !w.err && h->rover)
            g = leftmost_fit(&w, root, 0, UINT64_MAX, 1, 0, need);
        break;
    default:
        g = leftmost_fit(&w, root, 0, UINT64_MAX, 1, 0, need);
        break;
    }
    h->last_hops = w.hops;
    *err = w.err;
    return w.err ? 0 : g;
}

uint32_t index_containing(mem_heap_t *h, uint32_t q, int *err)
{
    walk_t w = walker(h, TREE_ADDR);
    uint64_t lo = 0, hi = UINT64_MAX;
    uint32_t g = h->root[TREE_ADDR], cand = 0;
    for (int depth = 1; g; depth++) {
        if (!visit(&w, g, lo, hi, depth)) {
            *err = w.err;
            return 0;
        }
        if (g <= q) {
            cand = g;
            lo = g;
            g = node(h, g)->right[TREE_ADDR];
        } else {
            hi = g;
            g = node(h, g)->left[TREE_ADDR];
        }
    }
    *err = MEM_OK;
    return cand && q < cand + hdr(h, cand)->size ? cand : 0;
}

/* Full structural check of one subtree; returns its height (0 on error). */
static int validate(walk_t *w, uint32_t g, uint64_t lo, uint64_t hi, int depth, size_t *count)
{
    if (!visit(w, g, lo, hi, depth))
        return 0;
    mem_heap_t *h = w->h;
    const free_node_t *n = node(h, g);
    uint64_t k = key_of(h, w->t, g);
    uint32_t l = n->left[w->t], r = n->right[w->t];
    int hl = l ? validate(w, l, lo, k, depth + 1, count) : 0;
    if (w->err)
        return 0;
    int hr = r ? validate(w, r, k, hi, depth + 1, count) : 0;
    if (w->err)
        return 0;
    int want = 1 + (hl > hr ? hl : hr);
    if (n->height[w->t] != want) {
        w->err = report(h, E_CORRUPT_FREESPACE, g, "free index height wrong", (uint64_t)want, n->height[w->t]);
        return 0;
    }
    if (hl - hr > 1 || hr - hl > 1) {
        w->err = report(h, E_CORRUPT_FREESPACE, g, "free index out of balance", (uint64_t)hl, (uint64_t)hr);
        return 0;
    }
    if (w->t == TREE_ADDR) {
        uint32_t m = hdr(h, g)->size, ml = maxsz(h, l), mr = maxsz(h, r);
        uint32_t wantmax = m > ml ? (m > mr ? m : mr) : (ml > mr ? ml : mr);
        if (n->max != wantmax) {
            w->err = report(h, E_CORRUPT_FREESPACE, g, "free index max size wrong", wantmax, n->max);
            return 0;
        }
    }
    ++*count;
    return want;
}

int index_validate(mem_heap_t *h, size_t *count_addr, size_t *count_size)
{
    size_t *counts[2] = { count_addr, count_size };
    for (int t = TREE_ADDR; t <= TREE_SIZE; t++) {
        walk_t w = walker(h, t);
        *counts[t] = 0;
        if (h->root[t])
            validate(&w, h->root[t], 0, UINT64_MAX, 1, counts[t]);
        if (w.err)
            return w.err;
    }
    return MEM_OK;
}
