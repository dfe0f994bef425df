/*
 * corruption_test.c - every kind of metadata corruption is detected, by
 * mem_heap_check and by the next call that meets it, and a call that fails
 * leaves every byte of the region as it was.
 *
 * White box: it includes heap.h to find headers, footers and nodes, and to
 * forge links with a valid node check (so that the range, order and depth
 * checks are what catches them, not the check field).
 */
#include <string.h>

#include "check.h"
#include "heap.h"

static unsigned char snapshot[1 << 16];

static mem_heap_t *fresh(void)
{
    mem_heap_t *h = mem_heap_create(sizeof snapshot);
    CHECK(h != NULL && mem_heap_set_check_level(h, MEM_CHECK_LOCAL) == MEM_OK);
    return h;
}

static uint32_t gran(mem_heap_t *h, const void *payload)
{
    return (uint32_t)(((const unsigned char *)payload - h->base) / GRANULE) - 1;
}

static void take_snapshot(mem_heap_t *h) { memcpy(snapshot, mem_heap_base(h), sizeof snapshot); }
static int unchanged(mem_heap_t *h) { return memcmp(snapshot, mem_heap_base(h), sizeof snapshot) == 0; }

static int report_code(mem_heap_t *h)
{
    mem_report_t r;
    mem_heap_last_report(h, &r);
    return r.code;
}

/* Rewrite a free node's field and re-sign it, as a bug that also knew the
 * key would: only the structural checks can catch it. */
static void forge_left(mem_heap_t *h, uint32_t g, int tree, uint32_t link)
{
    free_node_t *n = node(h, g);
    n->left[tree] = link;
    n->check = node_check(h, g, n);
}

/* A heap with holes: [a][x][b][y][c][z][tail], a, b, c free. */
static mem_heap_t *holes(void **x, void **y, void **z, void **a, void **b, void **c)
{
    mem_heap_t *h = fresh();
    *a = mem_heap_alloc(h, 200, MEM_FIRST_FIT);
    *x = mem_heap_alloc(h, 40, MEM_FIRST_FIT);
    *b = mem_heap_alloc(h, 300, MEM_FIRST_FIT);
    *y = mem_heap_alloc(h, 40, MEM_FIRST_FIT);
    *c = mem_heap_alloc(h, 400, MEM_FIRST_FIT);
    *z = mem_heap_alloc(h, 40, MEM_FIRST_FIT);
    mem_heap_free(h, *a);
    mem_heap_free(h, *b);
    mem_heap_free(h, *c);
    CHECK(mem_heap_check(h) == MEM_OK);
    return h;
}

int main(void)
{
    void *x, *y, *z, *a, *b, *c;

    /* 1. A flipped header byte of a live block. */
    mem_heap_t *h = holes(&x, &y, &z, &a, &b, &c);
    ((unsigned char *)x)[-3] ^= 0x01; /* in the canary */
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    take_snapshot(h);
    CHECK(mem_heap_free(h, x) == E_CORRUPT_BLOCK); /* its own header: underflow */
    CHECK(unchanged(h));
    mem_heap_destroy(h);

    /* 2. A flipped size byte of a free block: the index meets it. */
    h = holes(&x, &y, &z, &a, &b, &c);
    hdr(h, gran(h, b))->size ^= 0x10;
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    take_snapshot(h);
    CHECK(mem_heap_alloc(h, 250, MEM_BEST_FIT) == NULL && mem_errno() == E_CORRUPT_FREESPACE);
    /* x's successor is b: a bad header right after a block reads as its overflow */
    CHECK(mem_heap_free(h, x) == E_CORRUPT_BLOCK);
    CHECK(unchanged(h));
    mem_heap_destroy(h);

    /* 3. An overwritten footer. */
    h = holes(&x, &y, &z, &a, &b, &c);
    uint32_t gb = gran(h, b);
    ftr(h, gb, hdr(h, gb)->size)->size = 7;
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE && report_code(h) == E_CORRUPT_FREESPACE);
    take_snapshot(h);
    CHECK(mem_heap_free(h, y) == E_CORRUPT_FREESPACE); /* y would merge with b through the footer */
    CHECK(mem_heap_alloc(h, 290, MEM_BEST_FIT) == NULL && mem_errno() == E_CORRUPT_FREESPACE);
    CHECK(unchanged(h));
    mem_heap_destroy(h);

    /* 4. A broken link (the node check catches an unsigned change). */
    h = holes(&x, &y, &z, &a, &b, &c);
    uint32_t root = h->root[TREE_ADDR];
    node(h, root)->left[TREE_ADDR] ^= 0x4;
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    take_snapshot(h);
    CHECK(mem_heap_alloc(h, 10, MEM_FIRST_FIT) == NULL && mem_errno() == E_CORRUPT_FREESPACE);
    CHECK(unchanged(h));
    mem_heap_destroy(h);

    /* 5. A signed link out of the region. */
    h = holes(&x, &y, &z, &a, &b, &c);
    root = h->root[TREE_ADDR];
    forge_left(h, root, TREE_ADDR, 0x3fffffff);
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    take_snapshot(h);
    CHECK(mem_heap_alloc(h, 10, MEM_FIRST_FIT) == NULL && mem_errno() == E_CORRUPT_FREESPACE);
    CHECK(mem_heap_free(h, z) == E_CORRUPT_FREESPACE); /* inserting the merged tail walks the tree */
    CHECK(unchanged(h));
    mem_heap_destroy(h);

    /* 6. A signed cycle: a node's link back to the root. Every walk ends. */
    h = holes(&x, &y, &z, &a, &b, &c);
    for (int t = TREE_ADDR; t <= TREE_SIZE; t++) {
        uint32_t r0 = h->root[t], leaf = r0;
        while (node(h, leaf)->right[t])
            leaf = node(h, leaf)->right[t];
        forge_left(h, leaf, t, r0);
    }
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    take_snapshot(h);
    for (int style = MEM_FIRST_FIT; style <= MEM_NEXT_FIT; style++)
        CHECK(mem_heap_alloc(h, 1000, style) == NULL && mem_errno() == E_CORRUPT_FREESPACE);
    CHECK(mem_heap_free(h, y) == E_CORRUPT_FREESPACE);
    CHECK(unchanged(h));
    mem_heap_destroy(h);

    /* 7. Two adjacent free blocks, forged with valid canaries. */
    h = holes(&x, &y, &z, &a, &b, &c);
    uint32_t gx = gran(h, x);
    block_hdr_t *hx = hdr(h, gx);
    hx->flags = 0;
    hx->slack = 0;
    hx->canary = hdr_canary(h, gx, hx->size, 0, 0);
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    mem_heap_destroy(h);

    /* 8. A one-byte overflow into the slack, and into the next header when
     * there is no slack (32 bytes fill a 48-byte block exactly). */
    h = fresh();
    unsigned char *p = mem_heap_alloc(h, 30, MEM_FIRST_FIT), *q = mem_heap_alloc(h, 32, MEM_FIRST_FIT);
    unsigned char *r = mem_heap_alloc(h, 32, MEM_FIRST_FIT);
    p[30] = 0;
    CHECK(mem_heap_check(h) == E_CORRUPT_BLOCK);
    take_snapshot(h);
    CHECK(mem_heap_free(h, p) == E_CORRUPT_BLOCK);
    mem_report_t rep;
    mem_heap_last_report(h, &rep);
    CHECK(rep.byte_offset == 16 + 30 && rep.expected == SLACK_BYTE && rep.found == 0);
    CHECK(mem_heap_realloc(h, p, 10) == NULL && mem_errno() == E_CORRUPT_BLOCK);
    CHECK(unchanged(h));
    p[30] = SLACK_BYTE;
    CHECK(mem_heap_check(h) == MEM_OK);
    q[32] ^= 0xff; /* the first byte of r's header */
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    take_snapshot(h);
    CHECK(mem_heap_free(h, q) == E_CORRUPT_BLOCK);
    CHECK(unchanged(h));
    q[32] ^= 0xff;
    CHECK(mem_heap_free(h, r) == MEM_OK && mem_heap_free(h, q) == MEM_OK && mem_heap_free(h, p) == MEM_OK);
    CHECK(mem_heap_check(h) == MEM_OK);
    mem_heap_destroy(h);

    /* 9. A write after free: found by the check and when the memory is
     * handed out again, with the offending byte named. */
    h = fresh();
    p = mem_heap_alloc(h, 200, MEM_FIRST_FIT);
    q = mem_heap_alloc(h, 200, MEM_FIRST_FIT);
    CHECK(mem_heap_free(h, p) == MEM_OK);
    p[100] = 1;
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    take_snapshot(h);
    CHECK(mem_heap_alloc(h, 150, MEM_FIRST_FIT) == NULL && mem_errno() == E_CORRUPT_FREESPACE);
    mem_heap_last_report(h, &rep);
    CHECK(rep.offset == 0 && rep.byte_offset == 16 + 100 && rep.found == 1);
    CHECK(unchanged(h));
    /* A small request carved from the front does not reach the bad byte. */
    CHECK(mem_heap_alloc(h, 40, MEM_FIRST_FIT) == p);
    mem_heap_destroy(h);

    /* 10. At FULL level the first call after the corruption reports it. */
    h = fresh();
    mem_heap_set_check_level(h, MEM_CHECK_FULL);
    p = mem_heap_alloc(h, 64, MEM_FIRST_FIT);
    q = mem_heap_alloc(h, 64, MEM_FIRST_FIT);
    mem_heap_free(h, p);
    p[50] = 7;
    CHECK(mem_heap_alloc(h, 8, MEM_BEST_FIT) == NULL && mem_errno() == E_CORRUPT_FREESPACE);
    CHECK(mem_heap_usable_size(h, q) == 0 && mem_errno() == E_CORRUPT_FREESPACE);
    mem_heap_destroy(h);

    return check_done("corruption_test");
}
