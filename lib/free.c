/*
 * free.c - taking blocks back: pointer classification, coalescing, free.
 *
 * A pointer is judged before any byte near it is trusted: it must lie inside
 * the region's payload range and be 16-byte aligned, and only then is the
 * header 16 bytes before it read.  A header that validates and says ALLOC is
 * a live block.  Anything else is classified with the address tree: a
 * pointer inside a free block is a double free (also after the block
 * coalesced with its neighbours, since coalescing wipes the header, I8);
 * a header whose size still leads to a valid next header is a live block
 * whose header was overwritten; anything else is not a block start
 * (interior, stale or forged pointer).
 *
 * release() frees a range and coalesces at once with both neighbours, so no
 * two free blocks are ever adjacent (I4).  The neighbours are found through
 * the boundary tags: the next header is at the block's end; the previous
 * block's footer sits just before the header and is only read when this
 * header's PREV_FREE flag says the previous block is free.  Every neighbour
 * is validated (canary, footer mirror, node check) before anything is written.
 */
#include "heap.h"

int block_of(mem_heap_t *h, const void *p, uint32_t *gp)
{
    uintptr_t a = (uintptr_t)p, base = (uintptr_t)h->base;
    uintptr_t lo = base + gbytes(h->first) + HDR_BYTES, hi = base + gbytes(h->end);
    if (a < lo || a >= hi)
        return report(h, E_BAD_POINTER, 0, "pointer outside the heap", lo, a);
    if ((a - base) % GRANULE)
        return report(h, E_BAD_POINTER, 0, "pointer not 16-byte aligned", 0, (a - base) % GRANULE);
    uint32_t g = (uint32_t)((a - base) / GRANULE) - 1;
    if (block_check(h, g) == MEM_OK) {
        uint32_t flags = hdr(h, g)->flags;
        if (flags & BLK_HELD)
            return report(h, E_DOUBLE_FREE, g, "block was freed and is held for reuse (quarantine)", BLK_ALLOC,
                          flags);
        if (flags & BLK_ALLOC) {
            *gp = g;
            return MEM_OK;
        }
        return report(h, E_DOUBLE_FREE, g, "block is already free", BLK_ALLOC, hdr(h, g)->flags);
    }
    int err;
    uint32_t f = index_containing(h, g, &err);
    if (err)
        return err;
    if (f)
        return report(h, E_DOUBLE_FREE, g, "pointer into a free block (freed before, then coalesced)", 0, 0);
    /* A real block whose header was overwritten (an underflow, or a stray
     * write) usually still has a size leading to the next valid header; an
     * interior or forged pointer almost never does. */
    const block_hdr_t *b = hdr(h, g);
    uint32_t want = hdr_canary(h, g, b->size, b->flags, b->slack);
    if (b->size >= MIN_BLOCK_G && b->size <= h->end - g && (b->flags & BLK_ALLOC) &&
        (g + b->size == h->end || block_check(h, g + b->size) == MEM_OK))
        return report(h, E_CORRUPT_BLOCK, g, "block header overwritten (underflow?)", want, b->canary);
    return report(h, E_BAD_POINTER, g, "no valid block header before the pointer", 0, 0);
}

int release(mem_heap_t *h, uint32_t g, uint32_t size, bool with_prev, bool was_block)
{
    int err;
    uint32_t start = g, total = size, prev = 0, next = g + size, after;
    bool next_free = false;
    /* 1. Validate every neighbour that will be read or written. */
    if (next < h->end) {
        if ((err = block_check(h, next)))
            return err;
        next_free = !(hdr(h, next)->flags & BLK_ALLOC);
        if (next_free && (err = free_check_full(h, next)))
            return err;
    }
    if (with_prev) {
        const block_ftr_t *pf = (const block_ftr_t *)(h->base + gbytes(g) - FTR_BYTES);
        if (pf->size < MIN_BLOCK_G || pf->size > g - h->first)
            return report(h, E_CORRUPT_FREESPACE, g, "previous block's footer size out of range", g - h->first,
                          pf->size);
        prev = g - pf->size;
        if ((err = free_check_full(h, prev)))
            return err;
        if (hdr(h, prev)->flags & BLK_PREV_FREE)
            return report(h, E_CORRUPT_FREESPACE, prev, "two adjacent free blocks", 0, BLK_PREV_FREE);
    }
    after = next_free ? next + hdr(h, next)->size : next;
    if (next_free && after < h->end && (err = block_check(h, after)))
        return err;

    /* 2. Unlink what leaves the index and retire the metadata inside the new
     * block.  A free neighbour's node in the address tree is taken over by
     * the merged block (index_replace_addr: no free block lies between
     * them), so only the size tree sees a removal and an insertion.  Each
     * neighbour's header stays intact until its tree walks are done. */
    uint32_t keep = 0;
    if (prev) {
        if (next_free && (err = index_remove(h, next)))
            return err;
        if ((err = index_remove_by_size(h, prev)))
            return err;
        keep = start = prev;
        total += hdr(h, prev)->size;
        meta_wipe(h, gbytes(g) - FTR_BYTES, FTR_BYTES);
        if (was_block)
            meta_wipe(h, gbytes(g), HDR_BYTES);
    } else if (next_free) {
        if ((err = index_remove_by_size(h, next)))
            return err;
        keep = next;
    }
    if (next_free)
        total += hdr(h, next)->size;

    /* 3. Write the merged block, tell the block after it, index it. */
    hdr_write(h, start, total, 0, 0);
    ftr_write(h, start, total);
    if (after < h->end) {
        const block_hdr_t *a = hdr(h, after);
        hdr_write(h, after, a->size, a->flags | BLK_PREV_FREE, a->slack);
    }
    if (keep) {
        if ((err = index_replace_addr(h, keep, start)) || (err = index_insert_by_size(h, start)))
            return err;
    } else if ((err = index_insert(h, start))) {
        return err;
    }
    if (next_free)
        meta_wipe(h, gbytes(next), POISON_START);

    /* 4. At commit, poison the bytes of [g, g+size) that are now free payload. */
    if (h->level >= MEM_CHECK_LOCAL) {
        size_t lo = gbytes(start) + POISON_START, hi = gbytes(start + total) - FTR_BYTES;
        size_t flo = gbytes(g) > lo ? gbytes(g) : lo, fhi = gbytes(g + size) < hi ? gbytes(g + size) : hi;
        if (fhi > flo)
            queue_fill(h, flo, fhi - flo, POISON_BYTE);
    }
    int merged = (prev ? 1 : 0) + (next_free ? 1 : 0);
    h->d_used -= (long long)gbytes(size);
    h->d_free += (long long)gbytes(size);
    h->d_blocks += (was_block ? 0 : 1) - merged;
    h->d_free_blocks += 1 - merged;
    return MEM_OK;
}

int free_run(mem_heap_t *h, uint32_t g, uint32_t size, size_t req, size_t blocks)
{
    int err = release(h, g, size, (hdr(h, g)->flags & BLK_PREV_FREE) != 0, true);
    if (err == E_CORRUPT_FREESPACE && h->report.offset == (long long)gbytes(g + size - h->first))
        /* The header right after the run is bad: most likely its last block
         * overflowed into it. */
        err = h->report.code = E_CORRUPT_BLOCK;
    if (err) {
        rollback(h);
    } else {
        h->d_req -= (long long)req;
        h->d_blocks -= (long long)blocks - 1;
        commit(h);
    }
    return err;
}

int free_block(mem_heap_t *h, uint32_t g) { return free_run(h, g, hdr(h, g)->size, requested_of(h, g), 1); }

int mem_heap_free(mem_heap_t *h, void *p)
{
    if (!p) {
        set_errno(MEM_OK);
        return MEM_OK;
    }
    int err = heap_enter(h);
    if (err)
        return err;
    uint32_t g;
    if (!(err = block_of(h, p, &g)) && !(err = slack_verify(h, g)))
        err = free_block(h, g);
    heap_leave(h);
    set_errno(err);
    return err;
}
