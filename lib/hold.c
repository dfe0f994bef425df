/*
 * hold.c - held blocks: freed by the program, kept by a front end.
 *
 * A quarantine (or a cache of recently freed blocks) wants three things from
 * the heap: to mark a block "freed" cheaply, so that a second free of it is
 * caught from any thread; to hand the block out again without searching the
 * free index; and, when it gives the block back for good, to know that
 * nothing wrote to it in between.  A held block is an allocated block whose
 * header carries BLK_HELD (heap.h).  Setting and clearing the flag rewrites
 * the header through hdr_write, so the canary covers it and the undo log can
 * roll it back like any other metadata write.
 *
 *   hold     live -> held: block_of + slack_verify (as free), the next
 *            header's canary (so an overflow is blamed at this free), then
 *            the requested bytes are poisoned at commit (I9).
 *   unhold   held -> live for a new request of req bytes: poison and slack
 *            verified, new slack written, the new bytes read as poison.
 *   release  held -> free: verified as unhold, then free_block coalesces.
 *            release_run does it for a run of adjacent held blocks at once:
 *            one merge, one index update, however many blocks.
 * And for the same front ends, set_size: a live block's requested size
 * changes within its usable size (realloc without moving or splitting).
 *
 * Invariant kept (heap.h I9): HELD only with ALLOC; at level >= LOCAL a held
 * block's requested bytes are POISON_BYTE and its slack is SLACK_BYTE.
 * check.c verifies the first through block_check and the slack through I6;
 * the poison is verified here, when the block leaves the held state.
 */
#include <string.h>

#include "heap.h"

/* The granule of the header before p when p is a granule-aligned pointer
 * into h's blocks, else 0 (the slow paths then name what is wrong). */
static inline uint32_t granule_of(const mem_heap_t *h, const void *p)
{
    uintptr_t a = (uintptr_t)p, base = (uintptr_t)h->base;
    if (a < base + gbytes(h->first) + HDR_BYTES || a >= base + gbytes(h->end) || (a - base) % GRANULE)
        return 0;
    return (uint32_t)((a - base) / GRANULE) - 1;
}

/* The held block p, validated: pointer in range and aligned, header
 * canary, ALLOC|HELD, poison over its requested bytes, slack. */
static int held_of(mem_heap_t *h, const void *p, uint32_t *gp)
{
    uint32_t g = granule_of(h, p);
    if (!g)
        return report(h, E_BAD_POINTER, 0, "not a held block (pointer outside the heap or misaligned)",
                      (uint64_t)(uintptr_t)(h->base + gbytes(h->first) + HDR_BYTES), (uint64_t)(uintptr_t)p);
    int err = block_check(h, g);
    if (err) {
        /* A header that still says "held", outside the free space, whose
         * size leads to a valid next header was overwritten (a write after
         * free); anything else was never a held block's header: bytes of a
         * free block's node or of a payload can look like flags and a size
         * (the same test as block_of's for live blocks). */
        const block_hdr_t *b = hdr(h, g);
        int ierr;
        uint32_t in_free = index_containing(h, g, &ierr);
        if (ierr)
            return ierr;
        if (!in_free && (b->flags & (BLK_ALLOC | BLK_HELD)) == (BLK_ALLOC | BLK_HELD) && b->size >= MIN_BLOCK_G &&
            b->size <= h->end - g && (g + b->size == h->end || hdr_ok(h, g + b->size)))
            return err;
        return report(h, E_BAD_POINTER, g, "not a held block (no valid header before the pointer)", 0, 0);
    }
    if (!(hdr(h, g)->flags & BLK_HELD))
        return report(h, E_BAD_POINTER, g, "not a held block", BLK_HELD, hdr(h, g)->flags);
    if (h->level >= MEM_CHECK_LOCAL) {
        size_t req = requested_of(h, g);
        size_t at_byte = gbytes(g) + HDR_BYTES, off = bytes_differ(h, at_byte, req, POISON_BYTE);
        if (off < req) {
            err = report(h, E_CORRUPT_FREESPACE, g, "held block written after free (poison overwritten)",
                         POISON_BYTE, h->base[at_byte + off]);
            h->report.byte_offset = (long long)(HDR_BYTES + off);
            return err;
        }
    }
    if ((err = slack_verify(h, g)))
        return err;
    *gp = g;
    return MEM_OK;
}

/* The writes of a hold, once block g passed every check: HELD set in one
 * unlogged header write (nothing can fail after the checks), the requested
 * bytes poisoned (I9).  Returns the requested size. */
static size_t hold_write(mem_heap_t *h, uint32_t g)
{
    const block_hdr_t *b = hdr(h, g);
    size_t req = requested_of(h, g);
    hdr_set(h, g, b->size, b->flags | BLK_HELD, b->slack);
    if (h->level >= MEM_CHECK_LOCAL)
        memset(h->base + gbytes(g) + HDR_BYTES, POISON_BYTE, req);
    return req;
}

/* The writes of an unhold of block g for a request of req bytes (checked to
 * fit): HELD cleared and the new slack in one unlogged header write, the
 * tail of the old request turned into slack or the old slack into payload
 * that reads as poison, and the heap's requested total. */
static void unhold_write(mem_heap_t *h, uint32_t g, size_t req)
{
    const block_hdr_t *b = hdr(h, g);
    size_t usable = gbytes(b->size) - HDR_BYTES, old = requested_of(h, g);
    unsigned char *payload = h->base + gbytes(g) + HDR_BYTES;
    hdr_set(h, g, b->size, b->flags & ~(uint32_t)BLK_HELD, (uint32_t)(usable - req));
    if (h->level >= MEM_CHECK_LOCAL) {
        if (req < old)
            memset(payload + req, SLACK_BYTE, old - req);
        else if (req > old)
            memset(payload + old, POISON_BYTE, req - old);
    }
    h->requested += req - old;
}

/* The fast paths below serve the front end's every malloc and free.  They
 * take the lock, check exactly what the slow path checks, and write only
 * when every check passed; on any doubt they unlock and leave it to the
 * slow path (the general code further down), which checks everything again
 * and names what is wrong.  They log nothing (there is nothing to roll
 * back: the one header write comes last) and run no whole-heap check, so
 * they are skipped at MEM_CHECK_FULL. */

/* Lock h for a fast path and return the granule of p's header when p points
 * just past a sound header (hdr_ok), else 0; 0 without taking the lock when
 * h is no heap or checks at MEM_CHECK_FULL.  A nonzero result must be
 * followed by heap_unlock(h). */
static inline uint32_t fast_enter(mem_heap_t *h, const void *p)
{
    if (!handle_ok(h) || h->level >= MEM_CHECK_FULL)
        return 0;
    heap_lock(h);
    uint32_t g = granule_of(h, p);
    if (g && hdr_ok(h, g))
        return g;
    heap_unlock(h);
    return 0;
}

static bool hold_fast(mem_heap_t *h, void *p, size_t *req)
{
    uint32_t g = req ? fast_enter(h, p) : 0;
    bool ok = g != 0;
    if (ok) {
        const block_hdr_t *b = hdr(h, g);
        uint32_t next = g + b->size;
        ok = (b->flags & (BLK_ALLOC | BLK_HELD)) == BLK_ALLOC && slack_intact(h, g) &&
             (next == h->end || hdr_ok(h, next));
        if (ok)
            *req = hold_write(h, g);
        heap_unlock(h);
    }
    return ok;
}

int mem_heap_hold(mem_heap_t *h, void *p, size_t *req)
{
    if (__builtin_expect(hold_fast(h, p, req), 1)) {
        set_errno(MEM_OK);
        return MEM_OK;
    }
    int err = heap_enter(h);
    if (err)
        return err;
    uint32_t g;
    if (!req) {
        err = E_BAD_ARGS;
    } else if (!(err = block_of(h, p, &g)) && !(err = slack_verify(h, g))) {
        const block_hdr_t *b = hdr(h, g);
        uint32_t next = g + b->size;
        if (next < h->end && block_check(h, next))
            err = h->report.code = E_CORRUPT_BLOCK; /* p overflowed into it */
        if (!err)
            *req = hold_write(h, g);
    }
    heap_leave(h);
    set_errno(err);
    return err;
}

static bool unhold_fast(mem_heap_t *h, void *p, size_t req)
{
    uint32_t g = fast_enter(h, p);
    bool ok = g != 0;
    if (ok) {
        const block_hdr_t *b = hdr(h, g);
        size_t usable = gbytes(b->size) - HDR_BYTES, old = requested_of(h, g);
        ok = (b->flags & (BLK_ALLOC | BLK_HELD)) == (BLK_ALLOC | BLK_HELD) && req && req <= usable &&
             (h->level < MEM_CHECK_LOCAL || bytes_differ(h, gbytes(g) + HDR_BYTES, old, POISON_BYTE) == old) &&
             slack_intact(h, g);
        if (ok)
            unhold_write(h, g, req);
        heap_unlock(h);
    }
    return ok;
}

int mem_heap_unhold(mem_heap_t *h, void *p, size_t req)
{
    if (__builtin_expect(unhold_fast(h, p, req), 1)) {
        set_errno(MEM_OK);
        return MEM_OK;
    }
    int err = heap_enter(h);
    if (err)
        return err;
    uint32_t g;
    if (!(err = held_of(h, p, &g))) {
        size_t usable = gbytes(hdr(h, g)->size) - HDR_BYTES;
        if (req == 0 || req > usable)
            err = report(h, E_BAD_ARGS, g, "request does not fit the held block", usable, req);
        else
            unhold_write(h, g, req);
    }
    heap_leave(h);
    set_errno(err);
    return err;
}

int mem_heap_release_run(mem_heap_t *h, void *p, size_t n)
{
    int err = heap_enter(h);
    if (err)
        return err;
    if (n == 0 || n > MEM_RUN_MAX) {
        err = report(h, E_BAD_ARGS, 0, "run length out of range", MEM_RUN_MAX, n);
    } else {
        uint32_t first = 0, g = 0, total = 0;
        size_t req = 0;
        const unsigned char *q = p;
        for (size_t i = 0; i < n && !err; i++) {
            if (!(err = held_of(h, q, &g))) {
                first = i ? first : g;
                req += requested_of(h, g);
                total += hdr(h, g)->size;
                q += gbytes(hdr(h, g)->size);
            }
        }
        if (!err) {
            /* The inner headers stop being metadata (I8). */
            for (uint32_t at = first + hdr(h, first)->size; at < first + total;) {
                uint32_t next = at + hdr(h, at)->size;
                meta_wipe(h, gbytes(at), HDR_BYTES);
                at = next;
            }
            err = free_run(h, first, total, req, n);
        }
    }
    heap_leave(h);
    set_errno(err);
    return err;
}

int mem_heap_set_size(mem_heap_t *h, void *p, size_t size)
{
    int err = heap_enter(h);
    if (err)
        return err;
    uint32_t g;
    if (!(err = block_of(h, p, &g)) && !(err = slack_verify(h, g))) {
        const block_hdr_t *b = hdr(h, g);
        size_t usable = gbytes(b->size) - HDR_BYTES, old = requested_of(h, g);
        if (size == 0 || size > usable) {
            err = report(h, E_BAD_ARGS, g, "new size does not fit the block", usable, size);
        } else {
            /* One unlogged write: nothing can fail after the checks above. */
            hdr_set(h, g, b->size, b->flags, (uint32_t)(usable - size));
            if (h->level >= MEM_CHECK_LOCAL && size < old) /* the cut tail becomes slack */
                memset(h->base + gbytes(g) + HDR_BYTES + size, SLACK_BYTE, old - size);
            h->requested += size - old;
        }
    }
    heap_leave(h);
    set_errno(err);
    return err;
}

int mem_heap_release(mem_heap_t *h, void *p)
{
    int err = heap_enter(h);
    if (err)
        return err;
    uint32_t g;
    if (!(err = held_of(h, p, &g)))
        err = free_block(h, g);
    heap_leave(h);
    set_errno(err);
    return err;
}
