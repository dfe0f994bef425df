/*
 * alloc.c - handing blocks out: alloc, calloc, aligned alloc, usable size.
 *
 * A request of `req` bytes needs a block of ceil((req + 16) / 16) granules,
 * at least MIN_BLOCK_G.  The index (lib/index.c) names the free block the
 * style chooses; take() carves the block from its low end (after an optional
 * leading gap, for alignment) and returns the tail to the index when it is
 * large enough to be a block.  Before it writes anything take() has checked
 * the free block's header, footer and node, the next header, and, at
 * MEM_CHECK_LOCAL and above, the poison of every byte that changes role.
 * So a write after free is found when that memory is handed out again.
 */
#include <string.h>

#include "heap.h"

uint32_t need_granules(const mem_heap_t *h, size_t size)
{
    size_t cap = gbytes(h->end - h->first);
    if (size > cap)
        return 0;
    size_t g = (size + HDR_BYTES + GRANULE - 1) / GRANULE;
    return (uint32_t)(g < MIN_BLOCK_G ? MIN_BLOCK_G : g);
}

int take(mem_heap_t *h, uint32_t g, uint32_t lead, uint32_t need, size_t req)
{
    int err = free_check_full(h, g);
    if (err)
        return err;
    const uint32_t size = hdr(h, g)->size, flags = hdr(h, g)->flags;
    if (lead + need > size)
        return report(h, E_CORRUPT_FREESPACE, g, "free index chose a block that is too small", lead + need, size);
    const uint32_t next = g + size;
    if (next < h->end) {
        if ((err = block_check(h, next)))
            return err;
        if (!(hdr(h, next)->flags & BLK_ALLOC))
            return report(h, E_CORRUPT_FREESPACE, next, "two adjacent free blocks", BLK_ALLOC, 0);
        if (!(hdr(h, next)->flags & BLK_PREV_FREE))
            return report(h, E_CORRUPT_FREESPACE, next, "PREV_FREE flag missing after a free block",
                          BLK_PREV_FREE, hdr(h, next)->flags);
    }
    const uint32_t b = g + lead, rest = size - lead - need;
    const bool split = rest >= MIN_BLOCK_G;
    const uint32_t used = split ? need : size - lead;
    /* Every poison byte that becomes payload or new metadata must be intact. */
    size_t pstart = gbytes(g) + POISON_START;
    size_t pend = split ? gbytes(b + need) + POISON_START : gbytes(next) - FTR_BYTES;
    if ((err = handout_verify(h, g, pstart, pend - pstart, lead ? gbytes(b) - FTR_BYTES : 0)))
        return err;

    const uint32_t slack = (uint32_t)(gbytes(used) - HDR_BYTES - req);
    if (!lead && split) {
        /* The tail keeps the block's place in address order: it takes over
         * its node (index_replace_addr); only the size tree moves it.  The
         * old header stays intact until the address tree is done with it. */
        if ((err = index_remove_by_size(h, g)))
            return err;
        hdr_write(h, b + need, rest, 0, 0);
        ftr_write(h, b + need, rest);
        if ((err = index_replace_addr(h, g, b + need)))
            return err;
        hdr_write(h, b, used, BLK_ALLOC | (flags & BLK_PREV_FREE), slack);
        if ((err = index_insert_by_size(h, b + need)))
            return err;
    } else {
        if ((err = index_remove(h, g)))
            return err;
        if (lead) {
            hdr_write(h, g, lead, flags, 0);
            ftr_write(h, g, lead);
            if ((err = index_insert(h, g)))
                return err;
        }
        hdr_write(h, b, used, BLK_ALLOC | (lead ? BLK_PREV_FREE : flags & BLK_PREV_FREE), slack);
        if (split) {
            hdr_write(h, b + need, rest, 0, 0);
            ftr_write(h, b + need, rest);
            if ((err = index_insert(h, b + need)))
                return err;
        }
    }
    if (!split && next < h->end) {
        const block_hdr_t *n = hdr(h, next);
        hdr_write(h, next, n->size, n->flags & ~(uint32_t)BLK_PREV_FREE, n->slack);
    }
    /* The old node and footer stop being metadata: wipe them at every level
     * (I8), so a stale node cannot pass for a header inside the payload. */
    queue_fill(h, gbytes(b) + HDR_BYTES, NODE_BYTES, POISON_BYTE);
    if (!split)
        queue_fill(h, gbytes(next) - FTR_BYTES, FTR_BYTES, POISON_BYTE);
    if (h->level >= MEM_CHECK_LOCAL)
        queue_fill(h, gbytes(b + used) - slack, slack, SLACK_BYTE);
    int new_blocks = (lead ? 1 : 0) + (split ? 1 : 0);
    h->d_used += (long long)gbytes(used);
    h->d_free -= (long long)gbytes(used);
    h->d_req += (long long)req;
    h->d_blocks += new_blocks;
    h->d_free_blocks += new_blocks - 1;
    return MEM_OK;
}

static bool style_ok(int style) { return style >= MEM_FIRST_FIT && style <= MEM_NEXT_FIT; }

/* Find and carve a block for `size` bytes with room for `room` >= size;
 * the caller has entered the heap.  `align` is a power of two >= 16.
 * Returns the block's granule or 0 with errno set. */
static uint32_t alloc_locked(mem_heap_t *h, size_t size, size_t room, int style, size_t align)
{
    if (size == 0 || room < size || !style_ok(style)) {
        set_errno(E_BAD_ARGS);
        return 0;
    }
    uint32_t need = need_granules(h, room);
    /* An aligned request searches for room for the worst leading gap. */
    size_t extra = align > GRANULE ? align / GRANULE + MIN_BLOCK_G : 0;
    if (!need || (size_t)need + extra > h->end - h->first) {
        set_errno(E_NO_SPACE);
        return 0;
    }
    int err;
    uint32_t g = index_find(h, style, need + (uint32_t)extra, &err);
    if (err || !g) {
        set_errno(err ? err : E_NO_SPACE);
        return 0;
    }
    uint32_t lead = 0;
    if (align > GRANULE) {
        uintptr_t first_payload = (uintptr_t)at(h, g) + HDR_BYTES;
        uintptr_t p = (first_payload + align - 1) & ~(uintptr_t)(align - 1);
        while (p != first_payload && (p - first_payload) / GRANULE < MIN_BLOCK_G)
            p += align;
        lead = (uint32_t)((p - first_payload) / GRANULE);
    }
    if ((err = take(h, g, lead, need, size))) {
        rollback(h);
        set_errno(err);
        return 0;
    }
    if (style == MEM_NEXT_FIT)
        h->rover = g + lead + hdr(h, g + lead)->size;
    return g + lead;
}

static void *payload(const mem_heap_t *h, uint32_t g) { return (unsigned char *)at(h, g) + HDR_BYTES; }

void *mem_heap_alloc_room(mem_heap_t *h, size_t size, size_t room, int style)
{
    if (heap_enter(h))
        return NULL;
    uint32_t g = alloc_locked(h, size, room, style, GRANULE);
    if (g)
        commit(h);
    heap_leave(h);
    if (g)
        set_errno(MEM_OK);
    return g ? payload(h, g) : NULL;
}

void *mem_heap_alloc(mem_heap_t *h, size_t size, int style) { return mem_heap_alloc_room(h, size, size, style); }

void *mem_heap_calloc(mem_heap_t *h, size_t n, size_t size)
{
    if (heap_enter(h))
        return NULL;
    uint32_t g = 0;
    if (n == 0 || size == 0 || n > SIZE_MAX / size) {
        set_errno(E_BAD_ARGS);
    } else if ((g = alloc_locked(h, n * size, n * size, MEM_FIRST_FIT, GRANULE))) {
        queue_fill(h, gbytes(g) + HDR_BYTES, n * size, 0);
        commit(h);
        set_errno(MEM_OK);
    }
    heap_leave(h);
    return g ? payload(h, g) : NULL;
}

void *mem_heap_aligned_alloc_room(mem_heap_t *h, size_t alignment, size_t size, size_t room, int style)
{
    if (heap_enter(h))
        return NULL;
    uint32_t g = 0;
    if (alignment == 0 || (alignment & (alignment - 1)) || alignment > ((size_t)1 << 30)) {
        set_errno(E_BAD_ARGS);
    } else if ((g = alloc_locked(h, size, room, style, alignment < GRANULE ? GRANULE : alignment))) {
        commit(h);
        set_errno(MEM_OK);
    }
    heap_leave(h);
    return g ? payload(h, g) : NULL;
}

void *mem_heap_aligned_alloc(mem_heap_t *h, size_t alignment, size_t size, int style)
{
    return mem_heap_aligned_alloc_room(h, alignment, size, size, style);
}

size_t mem_heap_usable_size(mem_heap_t *h, const void *p)
{
    if (heap_enter(h))
        return 0;
    uint32_t g;
    int err = block_of(h, p, &g);
    if (!err)
        err = slack_verify(h, g);
    size_t n = err ? 0 : requested_of(h, g);
    heap_leave(h);
    set_errno(err);
    return n;
}
