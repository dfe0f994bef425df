/*
 * leaks.c - blocks no pointer leads to any more at exit (leaks=1).
 *
 * At exit the quarantine is drained first (which also verifies every parked
 * block's poison), so every block the region heaps still hold as allocated
 * is one the program never freed.  Each heap is walked block by block under
 * its lock, using the layout of lib/heap.h (the walk is the one check.c
 * does: sizes are validated before they are followed), skipping the blocks
 * that are slabs, then the live slots of every slab, then the large blocks.
 *
 * The live blocks are gathered into an array (mapped for the purpose: no
 * allocation here), sorted by address, and reach.c marks those the program
 * can still reach from its globals, its stack and its TLS.  The others are
 * the leaks: the first MAX_LISTED are listed with their size and, with
 * stacks=1, where they were allocated; then the totals, with what is still
 * reachable (not an error: a program may keep its memory until exit).
 * When the array cannot be mapped, every live block is reported, as a leak
 * check without reachability would, and the report says so.
 */
#include <stddef.h>
#include <sys/mman.h>

#include "fmt.h"
#include "hardmem.h"

enum { MAX_LISTED = 20 };

typedef struct gather {
    hm_live_t *v; /* NULL: only count */
    size_t n, cap, bytes;
} gather_t;

static void gather_one(const void *p, size_t req, void *ctx)
{
    gather_t *g = ctx;
    if (g->v && g->n < g->cap)
        g->v[g->n] = (hm_live_t){ (uintptr_t)p, req, false };
    g->n++;
    g->bytes += req;
}

/* Visit every live block: region heaps (not the slabs), slots, large. */
static __attribute__((noinline)) void each_live(gather_t *g)
{
    unsigned n = hm_heap_count();
    for (unsigned i = 0; i < n; i++) {
        mem_heap_t *h = hm_heap_at(i);
        if (hm_heap_retired(h))
            continue;
        heap_lock(h);
        for (uint32_t at = h->first; at < h->end;) {
            const block_hdr_t *b = hdr(h, at);
            if (b->size < MIN_BLOCK_G || b->size > h->end - at)
                break; /* corrupt: stop walking this heap */
            const unsigned char *p = (const unsigned char *)b + HDR_BYTES;
            /* held: freed, in a cache; a slab: its slots are counted below */
            if ((b->flags & (BLK_ALLOC | BLK_HELD)) == BLK_ALLOC && !hm_slab_block(p))
                gather_one(p, requested_of(h, at), g);
            at += b->size;
        }
        heap_unlock(h);
    }
    hm_slots_each_live(gather_one, g);
    hm_large_each(gather_one, g);
}

/* One leaked block's line (the first MAX_LISTED). */
static void list_one(fmt_t *f, const hm_live_t *b)
{
    fmt_str(f, "  ");
    fmt_u64(f, b->req);
    fmt_str(f, " bytes at ");
    fmt_hex(f, (uint64_t)b->start, 1);
    if (hm_opt.stacks) {
        const void *a[HM_FRAMES], *fr[HM_FRAMES];
        int na = 0, nf = 0;
        if (hm_stack_get((const void *)b->start, a, &na, fr, &nf) && na) {
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

/* "B bytes <what> N block(s)" */
static void totals(fmt_t *f, size_t bytes, const char *what, size_t count)
{
    fmt_u64(f, bytes);
    fmt_str(f, what);
    fmt_u64(f, count);
    fmt_str(f, count == 1 ? " block" : " blocks");
}

size_t hm_leaks_report(size_t *count)
{
    char buf[512];
    fmt_t f = fmt_on(buf, sizeof buf);
    hm_quarantine_drain();
    gather_t g = { NULL, 0, 0, 0 };
    each_live(&g);
    *count = 0;
    if (!g.n)
        return 0;
    size_t lost = g.n, lost_bytes = g.bytes, kept = 0, kept_bytes = 0;
    /* Room for a few more blocks than counted (another thread may still
     * allocate), and the marker's work stack after it. */
    size_t cap = g.n + g.n / 8 + 64, bytes = cap * (sizeof(hm_live_t) + sizeof(uint32_t));
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bool reach = m != MAP_FAILED;
    if (!reach) { /* no room to tell: every live block, as a check without reachability */
        fmt_str(&f, "hardmem: ERROR: memory leak\nhardmem: out of memory for the reachability scan: "
                    "every block still live is counted\n");
        fmt_flush(&f, hm_out_fd());
    } else {
        g = (gather_t){ m, 0, cap, 0 };
        each_live(&g);
        g.n = g.n < cap ? g.n : cap;
        hm_sort_by_address(g.v, g.n, sizeof g.v[0], offsetof(hm_live_t, start));
        hm_reach_mark(g.v, g.n, (uint32_t *)(g.v + cap));
        lost = lost_bytes = 0;
    }
    for (size_t i = 0; reach && i < g.n; i++) {
        const hm_live_t *b = &g.v[i];
        if (b->reached) {
            kept++;
            kept_bytes += b->req;
            continue;
        }
        if (lost++ == 0) {
            fmt_str(&f, "hardmem: ERROR: memory leak\n");
            fmt_flush(&f, hm_out_fd());
        }
        lost_bytes += b->req;
        if (lost <= MAX_LISTED)
            list_one(&f, b);
    }
    if (reach && lost > MAX_LISTED) {
        fmt_str(&f, "  ... and ");
        fmt_u64(&f, lost - MAX_LISTED);
        fmt_str(&f, " more\n");
    }
    if (lost) {
        fmt_str(&f, "hardmem: ");
        totals(&f, lost_bytes, " bytes leaked in ", lost);
        fmt_str(&f, reach ? " (no pointer to them is left)" : "");
        if (kept) {
            fmt_str(&f, "; ");
            totals(&f, kept_bytes, " bytes in ", kept);
            fmt_str(&f, " still reachable");
        }
        fmt_str(&f, "\n");
        fmt_flush(&f, hm_out_fd());
    }
    if (reach)
        munmap(m, bytes);
    *count = lost;
    return lost_bytes;
}
