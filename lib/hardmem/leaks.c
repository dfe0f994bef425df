/*
 * leaks.c - blocks still live at exit (leaks=1).
 *
 * At exit the quarantine is drained first (which also verifies every parked
 * block's poison), so every block the region heaps still hold as allocated
 * is one the program never freed.  Each heap is walked block by block under
 * its lock, using the layout of lib/heap.h (the walk is the one check.c
 * does: sizes are validated before they are followed), skipping the blocks
 * that are slabs, then the live slots of every slab, then the large blocks.
 * The first MAX_LISTED leaks are listed with their size and, with stacks=1,
 * where they were allocated; the totals follow.
 */
#include "fmt.h"
#include "hardmem.h"

enum { MAX_LISTED = 20 };

typedef struct tally {
    size_t count, bytes;
    fmt_t *f;
} tally_t;

static void one(const void *p, size_t req, void *ctx)
{
    tally_t *t = ctx;
    t->count++;
    t->bytes += req;
    if (t->count == 1) {
        fmt_str(t->f, "hardmem: ERROR: memory leak\n");
        fmt_flush(t->f, hm_out_fd());
    }
    if (t->count > MAX_LISTED)
        return;
    fmt_t *f = t->f;
    fmt_str(f, "  ");
    fmt_u64(f, req);
    fmt_str(f, " bytes at ");
    fmt_hex(f, (uint64_t)(uintptr_t)p, 1);
    if (hm_opt.stacks) {
        const void *a[HM_FRAMES], *fr[HM_FRAMES];
        int na = 0, nf = 0;
        if (hm_stack_get(p, a, &na, fr, &nf) && na) {
            fmt_str(f, " allocated at");
            for (int i = 0; i < na; i++) {
                fmt_str(f, " ");
                fmt_hex(f, (uint64_t)(uintptr_t)a[i], 1);
            }
        }
    }
    fmt_str(f, "\n");
    fmt_flush(f, hm_out_fd());
}

size_t hm_leaks_report(size_t *count)
{
    char buf[512];
    fmt_t f = fmt_on(buf, sizeof buf);
    tally_t t = { 0, 0, &f };
    hm_quarantine_drain();
    unsigned n = hm_heap_count();
    for (unsigned i = 0; i < n; i++) {
        mem_heap_t *h = hm_heap_at(i);
        if (hm_heap_retired(h))
            continue;
        heap_lock(h);
        for (uint32_t g = h->first; g < h->end;) {
            const block_hdr_t *b = hdr(h, g);
            if (b->size < MIN_BLOCK_G || b->size > h->end - g)
                break; /* corrupt: stop walking this heap */
            const unsigned char *p = (const unsigned char *)b + HDR_BYTES;
            /* held: freed, in a cache; a slab: its slots are counted below */
            if ((b->flags & (BLK_ALLOC | BLK_HELD)) == BLK_ALLOC && !hm_slab_block(p))
                one(p, requested_of(h, g), &t);
            g += b->size;
        }
        heap_unlock(h);
    }
    hm_slots_each_live(one, &t);
    hm_large_each(one, &t);
    if (t.count) {
        if (t.count > MAX_LISTED) {
            fmt_str(&f, "  ... and ");
            fmt_u64(&f, t.count - MAX_LISTED);
            fmt_str(&f, " more\n");
        }
        fmt_str(&f, "hardmem: ");
        fmt_u64(&f, t.bytes);
        fmt_str(&f, " bytes leaked in ");
        fmt_u64(&f, t.count);
        fmt_str(&f, " blocks\n");
        fmt_flush(&f, hm_out_fd());
    }
    *count = t.count;
    return t.bytes;
}
