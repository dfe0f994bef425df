/*
 * listheap.c - BASELINE ONLY: the plain address-ordered free list of
 * listheap.h, the yardstick for bench/scaling.c --baseline.
 *
 * A block is a 16-byte header (its size in bytes, header included, and a
 * used flag) followed by the payload.  A free block keeps the list links in
 * its payload.  The free list is doubly linked and sorted by address.
 *
 *   first fit  walk from the front, take the first block that fits
 *   best fit   walk the whole list (stopping early on an exact fit), take the
 *              smallest that fits, the lowest address among equals
 *   worst fit  walk the whole list, take the largest, the lowest address
 *              among equals
 *   next fit   walk from the rover (the free block after the last next-fit
 *              allocation), wrapping around once
 *
 * lh_free walks the list from the front to the first free block above the
 * freed one, links it in there and merges it with the free blocks on either
 * side when they touch.  Both walks are O(n) in the number of free blocks,
 * which is the point of the comparison.  last_hops counts the nodes the
 * allocation's search visited (as hardmem's last_hops does); the free's walk
 * shows only in the time.
 */
#include "listheap.h"

#include <stdint.h>
#include <sys/mman.h>

enum { HDR = 16, MIN_BLOCK = 48, ALIGN = 16 };

typedef struct blk {
    size_t size; /* bytes, header included */
    size_t used;
    struct blk *next, *prev; /* in the payload: free blocks only */
} blk_t;

struct listheap {
    unsigned char *start, *end; /* the blocks */
    size_t map_len;
    blk_t *head;
    blk_t *rover;
    size_t free_blocks;
    size_t last_hops;
};

listheap_t *lh_create(size_t size)
{
    size_t ctl = (sizeof(listheap_t) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    size_t len = (ctl + size + 4095) & ~(size_t)4095;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    listheap_t *h = m;
    h->map_len = len;
    h->start = (unsigned char *)m + ctl;
    h->end = (unsigned char *)m + len;
    blk_t *b = (blk_t *)h->start;
    b->size = (size_t)(h->end - h->start);
    b->used = 0;
    b->next = b->prev = NULL;
    h->head = h->rover = b;
    h->free_blocks = 1;
    h->last_hops = 0;
    return h;
}

void lh_destroy(listheap_t *h)
{
    if (h)
        munmap(h, h->map_len);
}

static size_t block_bytes(size_t n)
{
    size_t b = (n + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return b < MIN_BLOCK ? MIN_BLOCK : b;
}

static void unlink_blk(listheap_t *h, blk_t *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        h->head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    h->free_blocks--;
}

/* Put `r` in the list where `b` is (same place in address order). */
static void replace_blk(listheap_t *h, blk_t *b, blk_t *r)
{
    r->next = b->next;
    r->prev = b->prev;
    if (r->prev)
        r->prev->next = r;
    else
        h->head = r;
    if (r->next)
        r->next->prev = r;
}

void *lh_alloc(listheap_t *h, size_t n, int style)
{
    if (n == 0 || n > (size_t)(h->end - h->start) || style < 0 || style > 3)
        return NULL;
    size_t need = block_bytes(n), hops = 0;
    blk_t *pick = NULL;
    if (style == 0) {
        for (blk_t *b = h->head; b; b = b->next) {
            hops++;
            if (b->size >= need) {
                pick = b;
                break;
            }
        }
    } else if (style == 1 || style == 2) {
        for (blk_t *b = h->head; b; b = b->next) {
            hops++;
            if (b->size < need)
                continue;
            if (!pick || (style == 1 ? b->size < pick->size : b->size > pick->size))
                pick = b;
            if (style == 1 && b->size == need)
                break;
        }
    } else {
        blk_t *from = h->rover ? h->rover : h->head;
        for (blk_t *b = from; b;) {
            hops++;
            if (b->size >= need) {
                pick = b;
                break;
            }
            b = b->next ? b->next : h->head;
            if (b == from)
                break;
        }
    }
    h->last_hops = hops;
    if (!pick)
        return NULL;
    blk_t *after;
    if (pick->size - need >= MIN_BLOCK) {
        blk_t *r = (blk_t *)((unsigned char *)pick + need);
        r->size = pick->size - need;
        r->used = 0;
        replace_blk(h, pick, r);
        pick->size = need;
        after = r;
    } else {
        after = pick->next;
        unlink_blk(h, pick);
    }
    if (style == 3 || h->rover == pick)
        h->rover = after;
    pick->used = 1;
    return (unsigned char *)pick + HDR;
}

int lh_free(listheap_t *h, void *p)
{
    unsigned char *c = p;
    if (!c || c < h->start + HDR || c >= h->end || ((uintptr_t)c & (ALIGN - 1)))
        return -1;
    blk_t *b = (blk_t *)(c - HDR);
    if (!b->used)
        return -1;
    blk_t *prev = NULL, *next = h->head;
    while (next && next < b) {
        prev = next;
        next = next->next;
    }
    b->used = 0;
    b->prev = prev;
    b->next = next;
    if (prev)
        prev->next = b;
    else
        h->head = b;
    if (next)
        next->prev = b;
    h->free_blocks++;
    if (next && (unsigned char *)b + b->size == (unsigned char *)next) {
        b->size += next->size;
        unlink_blk(h, next);
        if (h->rover == next)
            h->rover = b;
    }
    if (prev && (unsigned char *)prev + prev->size == (unsigned char *)b) {
        prev->size += b->size;
        unlink_blk(h, b);
        if (h->rover == b)
            h->rover = prev;
    }
    return 0;
}

size_t lh_free_blocks(const listheap_t *h) { return h->free_blocks; }

size_t lh_last_hops(const listheap_t *h) { return h->last_hops; }

int lh_check(const listheap_t *h)
{
    blk_t *expect = h->head;
    size_t nfree = 0;
    int prev_free = 0;
    unsigned char *at = h->start;
    while (at < h->end) {
        blk_t *b = (blk_t *)at;
        if (b->size < MIN_BLOCK || b->size % ALIGN || b->size > (size_t)(h->end - at))
            return -1;
        if (!b->used) {
            if (b != expect || prev_free || (b->next && b->next->prev != b))
                return -1;
            expect = b->next;
            nfree++;
        }
        prev_free = !b->used;
        at += b->size;
    }
    return at == h->end && !expect && nfree == h->free_blocks ? 0 : -1;
}
