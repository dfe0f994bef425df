/*
 * realloc.c - resizing a live block: in place when it can, else by moving.
 *
 *   shrink   the block keeps its start; a tail of MIN_BLOCK_G granules or
 *            more is released (and coalesces with a free successor),
 *            otherwise the extra bytes become slack.
 *   grow     when the next block is free and the two together are large
 *            enough, the block absorbs the front of it (the rest stays free).
 *            mem_heap_grow does only this, for a front end that would
 *            rather allocate elsewhere itself than move by first fit.
 *   move     otherwise: first fit for the new size, copy, free the old block.
 *
 * All three run as one transaction: if any validation fails the heap is
 * rolled back and the old block is untouched and still valid.  Moving
 * releases the old block before copying (so a corrupt neighbour is found
 * before any byte moves); release() writes a free node over the first 24
 * payload bytes and may write a footer over the last 8, so those are saved
 * first and the copy patched from them.
 */
#include <string.h>

#include "heap.h"

static int shrink(mem_heap_t *h, uint32_t g, uint32_t need, size_t size)
{
    const uint32_t old = hdr(h, g)->size;
    const bool split = old - need >= MIN_BLOCK_G;
    const uint32_t used = split ? need : old;
    const uint32_t slack = (uint32_t)(gbytes(used) - HDR_BYTES - size);
    hdr_write(h, g, used, hdr(h, g)->flags, slack);
    if (split) {
        int err = release(h, g + need, old - need, false, false);
        if (err)
            return err;
    }
    if (h->level >= MEM_CHECK_LOCAL)
        queue_fill(h, gbytes(g + used) - slack, slack, SLACK_BYTE);
    return MEM_OK;
}

/* Grow g into its free successor `next`; the caller checked it is free and
 * large enough. */
static int grow_in_place(mem_heap_t *h, uint32_t g, uint32_t next, uint32_t need, size_t old_req, size_t size)
{
    int err = free_check_full(h, next);
    if (err)
        return err;
    const uint32_t old = hdr(h, g)->size, ns = hdr(h, next)->size, after = next + ns;
    const uint32_t rest = old + ns - need;
    const bool split = rest >= MIN_BLOCK_G;
    const uint32_t used = split ? need : old + ns;
    if (after < h->end && (err = block_check(h, after)))
        return err;
    size_t pstart = gbytes(next) + POISON_START;
    size_t pend = split ? gbytes(g + need) + POISON_START : gbytes(after) - FTR_BYTES;
    if (pend > pstart && (err = handout_verify(h, next, pstart, pend - pstart, 0)))
        return err;

    if ((err = index_remove(h, next)))
        return err;
    meta_wipe(h, gbytes(next), POISON_START);
    const uint32_t slack = (uint32_t)(gbytes(used) - HDR_BYTES - size);
    hdr_write(h, g, used, hdr(h, g)->flags, slack);
    if (split) {
        hdr_write(h, g + need, rest, 0, 0);
        ftr_write(h, g + need, rest);
        if ((err = index_insert(h, g + need)))
            return err;
    } else {
        meta_wipe(h, gbytes(after) - FTR_BYTES, FTR_BYTES);
        if (after < h->end) {
            const block_hdr_t *a = hdr(h, after);
            hdr_write(h, after, a->size, a->flags & ~(uint32_t)BLK_PREV_FREE, a->slack);
        }
    }
    if (h->level >= MEM_CHECK_LOCAL) {
        size_t pay = gbytes(g) + HDR_BYTES;
        if (size > old_req) /* mem_heap_grow may also cut the request: those bytes become slack */
            queue_fill(h, pay + old_req, size - old_req, POISON_BYTE);
        queue_fill(h, gbytes(g + used) - slack, slack, SLACK_BYTE);
    }
    h->d_used += (long long)gbytes(used - old);
    h->d_free -= (long long)gbytes(used - old);
    h->d_blocks -= split ? 0 : 1;
    h->d_free_blocks -= split ? 0 : 1;
    return MEM_OK;
}

/* The free block after g when the two together have need granules or more,
 * else 0. */
static uint32_t free_successor(mem_heap_t *h, uint32_t g, uint32_t need)
{
    const uint32_t old = hdr(h, g)->size, next = g + old;
    if (next < h->end && !block_check(h, next) && !(hdr(h, next)->flags & BLK_ALLOC) &&
        old + hdr(h, next)->size >= need)
        return next;
    return 0;
}

/* End a resize: roll back on error, else add d_req (an in-place resize's
 * change of the requested bytes; move() and take() count their own) and
 * commit.  Returns err. */
static int end_resize(mem_heap_t *h, int err, long long d_req)
{
    if (err) {
        rollback(h);
    } else {
        h->d_req += d_req;
        commit(h);
    }
    return err;
}

static int move(mem_heap_t *h, uint32_t g, uint32_t need, size_t old_req, size_t size, void **out)
{
    int err;
    uint32_t ng = index_find(h, MEM_FIRST_FIT, need, &err);
    if (err || !ng)
        return err ? err : E_NO_SPACE;
    if ((err = take(h, ng, 0, need, size)))
        return err;
    const uint32_t new_fills = h->nfill;
    unsigned char *oldp = (unsigned char *)at(h, g) + HDR_BYTES, *newp = (unsigned char *)at(h, ng) + HDR_BYTES;
    const size_t cap = gbytes(hdr(h, g)->size) - HDR_BYTES;
    unsigned char head[NODE_BYTES], tail[FTR_BYTES];
    memcpy(head, oldp, sizeof head);
    memcpy(tail, oldp + cap - FTR_BYTES, sizeof tail);
    if ((err = release(h, g, hdr(h, g)->size, (hdr(h, g)->flags & BLK_PREV_FREE) != 0, true)))
        return err;
    /* Nothing can fail any more: fill the new block, copy, then poison the old. */
    run_fills(h, new_fills);
    size_t n = old_req < size ? old_req : size;
    memcpy(newp, oldp, n);
    memcpy(newp, head, n < sizeof head ? n : sizeof head);
    if (n > cap - FTR_BYTES)
        memcpy(newp + cap - FTR_BYTES, tail, n - (cap - FTR_BYTES));
    h->d_req -= (long long)old_req;
    *out = newp;
    return MEM_OK;
}

void *mem_heap_realloc(mem_heap_t *h, void *p, size_t size)
{
    if (!p)
        return mem_heap_alloc(h, size, MEM_FIRST_FIT);
    int err = heap_enter(h);
    if (err)
        return NULL;
    void *out = NULL;
    uint32_t g;
    if (size == 0) {
        err = E_BAD_ARGS;
    } else if (!(err = block_of(h, p, &g)) && !(err = slack_verify(h, g))) {
        const uint32_t need = need_granules(h, size);
        const size_t old_req = requested_of(h, g);
        uint32_t next;
        if (!need) {
            err = E_NO_SPACE;
        } else if (need <= hdr(h, g)->size) {
            err = shrink(h, g, need, size);
            out = p;
        } else if ((next = free_successor(h, g, need))) {
            err = grow_in_place(h, g, next, need, old_req, size);
            out = p;
        } else {
            err = move(h, g, need, old_req, size, &out);
        }
        if (end_resize(h, err, out == p ? (long long)size - (long long)old_req : 0))
            out = NULL;
    }
    heap_leave(h);
    set_errno(err);
    return out;
}

int mem_heap_grow(mem_heap_t *h, void *p, size_t room, size_t size)
{
    int err = heap_enter(h);
    if (err)
        return err;
    uint32_t g;
    if (size == 0 || room < size) {
        err = report(h, E_BAD_ARGS, 0, "grow: room must be at least the size, and the size at least 1", room, size);
    } else if (!(err = block_of(h, p, &g)) && !(err = slack_verify(h, g))) {
        const uint32_t need = need_granules(h, room), old = hdr(h, g)->size;
        const size_t usable = gbytes(old) - HDR_BYTES, old_req = requested_of(h, g);
        uint32_t next;
        if (room <= usable)
            err = report(h, E_BAD_ARGS, g, "grow: the block already has that room", usable, room);
        else if (!need || !(next = free_successor(h, g, need)))
            err = E_NO_SPACE; /* not an error of the heap: no report */
        else
            err = end_resize(h, grow_in_place(h, g, next, need, old_req, size), (long long)size - (long long)old_req);
    }
    heap_leave(h);
    set_errno(err);
    return err;
}
