/*
 * sim.c - the replay engine: a trace against one region heap with one
 * placement style (sim.h has the modes, definitions and rules).
 *
 * STATE
 *   objs[id]   the block of object id and its effective size; NULL when the
 *              object is not alive (never created, freed, or its request
 *              failed in SIM_FIXED).
 *   live       sum of objs[].size over the objects alive.
 *   ph         SIM_GROW: the placeholder, an allocated block that covers
 *              [break, end of region) exactly; everything below the break
 *              is the heap a sbrk allocator would have.
 *
 * INVARIANTS, checked as the replay goes (a violation is reported as an
 * internal error, never ignored):
 *   S1  every heap call succeeds, except allocations failing with
 *       E_NO_SPACE;
 *   S2  SIM_GROW: the peak footprint equals the break (the start of ph):
 *       the heap only grew when a request could not be placed below it;
 *   S3  at the end the heap's requested bytes (mem_heap_stats) equal live
 *       (plus the placeholder's), and without failures the peak live equals
 *       the scan's.
 *
 * The region is mapped here (MAP_NORESERVE) and the heap laid into it with
 * mem_heap_create_in, so its capacity is exactly the one asked for (a
 * mapped heap rounds to pages) and a large region costs only the pages the
 * replay touches.  The heap's level is OFF (HARDMEM_CHECK=off while it is
 * created): no poisoning, so nothing else is touched.
 */
#include "sim.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "heap.h" /* block_hdr_t: where a block ends */

/* The heap's limit is 16 GiB less 1 MiB for control and blocks together. */
static const size_t MAX_CAPACITY = ((size_t)1 << 34) - ((size_t)4 << 20);

typedef struct obj {
    void *p;
    uint64_t size;
} obj_t;

typedef struct sim {
    const sim_config_t *c;
    sim_result_t *r;
    mem_heap_t *h;
    void *map;
    size_t map_len;
    const uint8_t *first; /* start of the first block */
    uint64_t cap;
    void *ph;
    uint64_t ph_bytes;
    bool exhausted;
    uint64_t live;
    obj_t *objs;
} sim_t;

enum { RESTART = 1 };

const char *sim_style_name(int style)
{
    static const char *const names[] = { "first", "best", "worst", "next" };
    return style >= 0 && style <= 3 ? names[style] : "?";
}

static int fail(sim_t *s, const char *what, int code)
{
    snprintf(s->r->error, sizeof s->r->error, "%s%s%s", what, code ? ": " : "", code ? mem_strerror(code) : "");
    return -1;
}

/* Map a region and lay a heap of exactly `want` bytes of blocks into it. */
static int make_heap(sim_t *s, size_t want)
{
    want &= ~(size_t)(GRANULE - 1);
    size_t extra = mem_heap_min_size() + 4096;
    s->map_len = want + extra;
    s->map = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s->map == MAP_FAILED) {
        s->map = NULL;
        return fail(s, "cannot map the region", 0);
    }
    const char *old = getenv("HARDMEM_CHECK");
    char saved[16] = "";
    if (old)
        snprintf(saved, sizeof saved, "%s", old);
    setenv("HARDMEM_CHECK", "off", 1);
    mem_stats_t st;
    size_t len = s->map_len;
    for (int tries = 0; tries < 2; tries++) {
        s->h = mem_heap_create_in(s->map, len);
        if (!s->h || mem_heap_stats(s->h, &st))
            break;
        if (st.capacity == want)
            break;
        mem_heap_destroy(s->h);
        s->h = NULL;
        len -= st.capacity - want; /* the control part is the rest */
    }
    if (old)
        setenv("HARDMEM_CHECK", saved, 1);
    else
        unsetenv("HARDMEM_CHECK");
    if (!s->h)
        return fail(s, "cannot lay out a heap of the requested capacity", mem_errno());
    s->cap = want;
    s->first = mem_heap_base(s->h);
    s->r->capacity = want;
    return 0;
}

static void drop_heap(sim_t *s)
{
    if (s->h)
        mem_heap_destroy(s->h);
    if (s->map)
        munmap(s->map, s->map_len);
    s->h = NULL;
    s->map = NULL;
}

/* Offset, from the first block, of the end of p's block. */
static uint64_t block_end(const sim_t *s, const void *p)
{
    const block_hdr_t *b = (const block_hdr_t *)((const uint8_t *)p - HDR_BYTES);
    return (uint64_t)((const uint8_t *)b + gbytes(b->size) - s->first);
}

static void *try_alloc(sim_t *s, uint64_t size, uint64_t align)
{
    if (size > s->cap) /* saves the heap a call; same answer */
        return mem_heap_alloc(s->h, s->cap + GRANULE, s->c->style);
    if (align <= MEM_ALIGN)
        return mem_heap_alloc(s->h, (size_t)size, s->c->style);
    return mem_heap_aligned_alloc(s->h, (size_t)align, (size_t)size, s->c->style);
}

/* Place one request; NULL when it finds no room (FIXED) or the region is
 * exhausted (GROW, s->exhausted), or on an error (*err). */
static void *place(sim_t *s, uint64_t size, uint64_t align, int *err)
{
    void *p = try_alloc(s, size, align);
    if (p)
        return p;
    int e = mem_errno();
    if (e != E_NO_SPACE) {
        *err = e;
        return NULL;
    }
    if (s->c->mode == SIM_FIXED)
        return NULL;
    if (!s->ph) {
        s->exhausted = true;
        return NULL;
    }
    /* Grow: give the placeholder back (it coalesces with a free block
     * right below the break), place the request at the top, and cover the
     * rest of the region again. */
    if ((e = mem_heap_free(s->h, s->ph))) {
        *err = e;
        return NULL;
    }
    s->ph = NULL;
    s->ph_bytes = 0;
    p = try_alloc(s, size, align);
    if (!p) {
        if ((e = mem_errno()) != E_NO_SPACE)
            *err = e;
        s->exhausted = true;
        return NULL;
    }
    s->r->extensions++;
    uint64_t end = block_end(s, p), rest = s->cap - end;
    if (rest >= MEM_MIN_BLOCK) {
        void *ph = mem_heap_alloc(s->h, (size_t)(rest - HDR_BYTES), MEM_WORST_FIT);
        if (ph && (const uint8_t *)ph - HDR_BYTES == s->first + end) {
            s->ph = ph;
            s->ph_bytes = rest;
        } else {
            /* A hole below is larger than what is left: the region is too
             * small to model an unbounded heap.  Replay with a larger one. */
            if (ph)
                mem_heap_free(s->h, ph);
            s->exhausted = true;
        }
    } else {
        s->exhausted = true;
    }
    return p;
}

static uint64_t pow2_at_least(uint64_t x)
{
    uint64_t p = 1;
    while (p < x && p < ((uint64_t)1 << 62))
        p <<= 1;
    return p;
}

static int run_once(sim_t *s, const void *buf, size_t len, const hmt_scan_t *scan, size_t cap)
{
    sim_result_t *r = s->r;
    if (make_heap(s, cap))
        return -1;
    if (s->c->mode == SIM_GROW) {
        s->ph = mem_heap_alloc(s->h, (size_t)(s->cap - HDR_BYTES), MEM_FIRST_FIT);
        if (!s->ph || (const uint8_t *)s->ph - HDR_BYTES != s->first)
            return fail(s, "internal: cannot place the placeholder", mem_errno());
        s->ph_bytes = s->cap;
    }
    hmt_reader_t rd;
    if (hmt_reader_init(&rd, buf, len))
        return fail(s, rd.error, 0);
    hmt_rec_t rec;
    int got;
    while ((got = hmt_read(&rd, &rec)) == 1) {
        if (s->c->progress && !(rec.index & 0xffff))
            s->c->progress(s->c->ctx, rec.index, scan->records);
        if (rec.failed || rec.op == HMT_FREE_UNTRACKED) {
            r->skipped++;
            continue;
        }
        if (rec.id) {
            uint64_t align = rec.align > MEM_ALIGN ? pow2_at_least(rec.align) : 0;
            int err = 0;
            void *p = place(s, rec.size, align, &err);
            if (err)
                return fail(s, "internal: allocation failed", err);
            if (s->exhausted)
                return RESTART;
            if (!p) {
                r->failed++;
                r->failed_bytes += rec.size;
                if (r->failed == 1) {
                    r->first_fail_at = rec.index;
                    r->first_fail_size = rec.size;
                    mem_heap_stats(s->h, &r->first_fail_stats);
                }
                if (rec.old) { /* a failed realloc: the program keeps the old block */
                    s->objs[rec.id] = s->objs[rec.old];
                    s->objs[rec.old] = (obj_t){ NULL, 0 };
                }
                continue;
            }
            s->objs[rec.id] = (obj_t){ p, rec.size };
            s->live += rec.size;
            r->allocs++;
            if (s->live > r->peak_live)
                r->peak_live = s->live;
            uint64_t end = block_end(s, p);
            if (end > r->peak_footprint) {
                r->peak_footprint = end;
                r->peak_fp_at = rec.index;
                r->live_at_peak_fp = s->live;
            }
            mem_stats_t st;
            if (mem_heap_stats(s->h, &st))
                return fail(s, "internal: statistics", mem_errno());
            if (st.used_bytes - s->ph_bytes > r->peak_blocks)
                r->peak_blocks = st.used_bytes - s->ph_bytes;
        }
        if (rec.old && s->objs[rec.old].p) {
            int e = mem_heap_free(s->h, s->objs[rec.old].p);
            if (e)
                return fail(s, "internal: free failed", e);
            s->live -= s->objs[rec.old].size;
            s->objs[rec.old] = (obj_t){ NULL, 0 };
            r->frees++;
        }
    }
    if (got < 0)
        return fail(s, rd.error, 0);
    /* S2, S3 */
    mem_stats_t st;
    if (mem_heap_stats(s->h, &st))
        return fail(s, "internal: statistics", mem_errno());
    uint64_t ph_req = s->ph ? s->ph_bytes - HDR_BYTES : 0;
    if (st.requested != s->live + ph_req) {
        snprintf(r->error, sizeof r->error, "internal: the heap holds %zu requested bytes, the replay %llu",
                 st.requested, (unsigned long long)(s->live + ph_req));
        return -1;
    }
    if (s->c->mode == SIM_GROW && s->ph && r->peak_footprint != s->cap - s->ph_bytes) {
        snprintf(r->error, sizeof r->error, "internal: peak footprint %llu is not the break %llu",
                 (unsigned long long)r->peak_footprint, (unsigned long long)(s->cap - s->ph_bytes));
        return -1;
    }
    if (!r->failed && r->peak_live != scan->peak_live) {
        snprintf(r->error, sizeof r->error, "internal: peak live %llu, the scan says %llu",
                 (unsigned long long)r->peak_live, (unsigned long long)scan->peak_live);
        return -1;
    }
    return 0;
}

int sim_run(const void *buf, size_t len, const hmt_scan_t *scan, const sim_config_t *c, sim_result_t *out)
{
    memset(out, 0, sizeof *out);
    if (c->style < MEM_FIRST_FIT || c->style > MEM_NEXT_FIT || (c->mode != SIM_GROW && c->mode != SIM_FIXED)) {
        snprintf(out->error, sizeof out->error, "bad style or mode");
        return -1;
    }
    size_t cap = c->capacity;
    if (c->mode == SIM_FIXED && (cap < MEM_MIN_BLOCK || cap > MAX_CAPACITY)) {
        snprintf(out->error, sizeof out->error, "fixed capacity %zu out of range", cap);
        return -1;
    }
    if (!cap) { /* room for twice the perfect packing and a few of the largest blocks */
        uint64_t want = 2 * scan->peak_ideal + 4 * hmt_block_bytes(scan->largest) + ((uint64_t)1 << 20);
        if (want > MAX_CAPACITY || want < scan->peak_ideal)
            want = MAX_CAPACITY;
        cap = (size_t)((want + ((1 << 20) - 1)) & ~(uint64_t)((1 << 20) - 1));
    }
    if (cap > MAX_CAPACITY)
        cap = MAX_CAPACITY;
    int doublings = 0;
    for (;;) {
        sim_t s = { .c = c, .r = out };
        s.objs = calloc((size_t)scan->objects + 1, sizeof *s.objs);
        if (!s.objs) {
            snprintf(out->error, sizeof out->error, "out of memory for %llu objects",
                     (unsigned long long)scan->objects);
            return -1;
        }
        int rc = run_once(&s, buf, len, scan, cap);
        drop_heap(&s);
        free(s.objs);
        if (rc != RESTART) {
            out->doublings = doublings;
            return rc;
        }
        if (cap >= MAX_CAPACITY) {
            snprintf(out->error, sizeof out->error, "the %s-fit heap outgrew the largest region (%zu bytes)",
                     sim_style_name(c->style), cap);
            return -1;
        }
        cap = cap > MAX_CAPACITY / 2 ? MAX_CAPACITY : 2 * cap;
        doublings++;
        memset(out, 0, sizeof *out);
    }
}
