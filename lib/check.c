/*
 * check.c - the whole-heap validator: every invariant of heap.h, by name.
 *
 * One walk over the blocks in address order checks I1-I4 and I6 block by
 * block; index_validate() checks I5; the totals of the walk are compared
 * with the statistics (I7).  The walk cannot run away: block_check() bounds
 * every size by the distance to the end of the region, and sizes are at
 * least MIN_BLOCK_G, so it takes at most capacity / 48 steps.  It stops at
 * the first violation, which report() records with the block's offset and
 * the expected and found values.
 */
#include "heap.h"

typedef struct tally {
    size_t used, free, requested, blocks, free_blocks;
} tally_t;

static int check_block(mem_heap_t *h, uint32_t g, bool prev_free, tally_t *t)
{
    int err = block_check(h, g); /* I1 (size within the region), I2 (canary) */
    if (err)
        return err;
    const block_hdr_t *b = hdr(h, g);
    bool says_prev_free = (b->flags & BLK_PREV_FREE) != 0;
    if (says_prev_free != prev_free) /* I3 */
        return report(h, E_CORRUPT_FREESPACE, g, "PREV_FREE flag disagrees with the previous block", prev_free,
                      says_prev_free);
    t->blocks++;
    if (b->flags & BLK_ALLOC) {
        t->used += gbytes(b->size);
        t->requested += requested_of(h, g);
        return slack_verify(h, g); /* I6 */
    }
    if (prev_free) /* I4 */
        return report(h, E_CORRUPT_FREESPACE, g, "two adjacent free blocks", 0, 1);
    if ((err = free_check_full(h, g))) /* I2 footer, node check */
        return err;
    t->free += gbytes(b->size);
    t->free_blocks++;
    return poison_verify(h, g, gbytes(g) + POISON_START, gbytes(b->size) - POISON_START - FTR_BYTES); /* I6 */
}

int heap_check_locked(mem_heap_t *h)
{
    tally_t t = { 0, 0, 0, 0, 0 };
    bool prev_free = false;
    int err;
    for (uint32_t g = h->first; g < h->end; g += hdr(h, g)->size) {
        if ((err = check_block(h, g, prev_free, &t)))
            return err;
        prev_free = !(hdr(h, g)->flags & BLK_ALLOC);
    }
    size_t in_addr, in_size;
    if ((err = index_validate(h, &in_addr, &in_size))) /* I5 */
        return err;
    if (in_addr != t.free_blocks) /* T1: with T2, the nodes are distinct free blocks */
        return report(h, E_CORRUPT_FREESPACE, 0, "address tree does not hold every free block", t.free_blocks,
                      in_addr);
    if (in_size != t.free_blocks)
        return report(h, E_CORRUPT_FREESPACE, 0, "size tree does not hold every free block", t.free_blocks,
                      in_size);
    /* I7 */
    if (t.used + t.free != gbytes(h->end - h->first))
        return report(h, E_CORRUPT_FREESPACE, 0, "used + free bytes differ from the capacity",
                      gbytes(h->end - h->first), t.used + t.free);
    if (t.used != h->used_bytes)
        return report(h, E_CORRUPT_FREESPACE, 0, "statistics: used bytes", t.used, h->used_bytes);
    if (t.free != h->free_bytes)
        return report(h, E_CORRUPT_FREESPACE, 0, "statistics: free bytes", t.free, h->free_bytes);
    if (t.requested != h->requested)
        return report(h, E_CORRUPT_FREESPACE, 0, "statistics: requested bytes", t.requested, h->requested);
    if (t.blocks != h->blocks)
        return report(h, E_CORRUPT_FREESPACE, 0, "statistics: block count", t.blocks, h->blocks);
    if (t.free_blocks != h->free_blocks)
        return report(h, E_CORRUPT_FREESPACE, 0, "statistics: free block count", t.free_blocks, h->free_blocks);
    return MEM_OK;
}

int mem_heap_check(mem_heap_t *h)
{
    int err = heap_enter(h); /* at MEM_CHECK_FULL this already ran the check */
    if (err)
        return err;
    if (h->level < MEM_CHECK_FULL)
        err = heap_check_locked(h);
    heap_leave(h);
    set_errno(err);
    return err;
}
