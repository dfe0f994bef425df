/*
 * quarantine.c - freed small blocks wait here, poisoned, before reuse; then
 * they are kept in per-size bins for quick reuse.  One cache per thread.
 *
 * WHY
 * A block handed straight back to the heap can be handed out again at once,
 * and a write through a dangling pointer then corrupts someone else's data
 * silently.  So free() holds the block in the core (mem_heap_hold: validated
 * like a free, requested bytes poisoned, header marked HELD) and parks it in
 * a FIFO.  When the FIFO exceeds its byte budget (quarantine_kb) the oldest
 * block moves on to a bin for its exact block size, still held; a request of
 * that size takes it from there (mem_heap_unhold verifies the poison and the
 * slack, so a write after free is found at the latest then), and a block
 * that finds its bin full (or all bins at their limit) sends the older half
 * of every bin back to the region heap: sorted by address, blocks that lie
 * back to back go back as one run (mem_heap_release_run: each verified the
 * same way, then one merge), which turns a burst of frees (a program
 * tearing down its data) into a few index updates, while the newer half
 * keeps serving the sizes in use.  The free index is thus touched only when
 * a bin is empty or full.
 *
 * SIZE CLASSES
 * A bin holds blocks of one size in granules.  Up to EXACT_G granules every
 * size has its bin; above, sizes are rounded up to one of four classes per
 * power of two (at most 25% slack), and a request of that class is given a
 * block of the class's size (mem_heap_alloc_room), so any binned block of
 * the class fits it.  An aligned request's block is at least its alignment
 * long (hm_recycle_take): blocks of that class carved back to back are then
 * all aligned, so the bin of a 4 KiB-aligned 100-byte request is the one of
 * every such request, not one of 64 bins (one per size) that each see a
 * few; an aligned request takes a binned block whose address is aligned
 * enough (among the last ALIGN_SCAN).  (aligned: 1.1 MB less peak RSS.)
 * A request whose bin has no such block takes one from the next classes up
 * (at most BORROW class steps larger) before it goes to
 * the heap: the blocks in a bin move like a random walk held at zero, and
 * each time a bin is empty a block comes from the heap that later stays
 * binned; letting a bin borrow from the classes above makes those times
 * rarer, so fewer blocks pile up in the bins (churn1k-log: 0.75 MB less
 * peak RSS with one class, 0.76 MB less again with three, and no slower).
 * A block of no class's size (none is made now, but the check is cheap) is
 * given straight back to its heap.
 *
 * SLOTS (slab.c) wait the same way, a magazine at a time: a freed slot
 * joins its class's fill magazine; a full one joins the slot FIFO; past the
 * budget the FIFO's oldest magazine becomes the class's magazine that
 * malloc takes from (or goes to the depot).  So a slot waits at least until
 * its magazine is full and then behind at least half the budget of later
 * slots, and a free costs a store into an array, with no per-slot FIFO
 * entry.  A slot in a part-filled magazine waits for the magazine to fill,
 * however long: rarely used sizes wait longer, never shorter.  With
 * quarantine_kb=0 that is all the wait there is (a full magazine leaves the
 * FIFO at once), while a freed block goes straight back to its heap.
 *
 * DOUBLE FREES need no lookup here: a held block's header says HELD, so the
 * core refuses a second free of it (E_DOUBLE_FREE) whichever thread's cache
 * holds it; a held slot's state word says held (slab.c S2).  A free after
 * release is caught by the core as before.
 *
 * ONE CACHE PER THREAD
 * The FIFO and the bins are the calling thread's own (found through an
 * initial-exec TLS pointer), so parking and taking need no lock; the heap's
 * own lock is taken once per malloc or free, inside mem_heap_hold/unhold.
 * Caches are mapped on a thread's first free (or slot allocation) and
 * recycled when threads end (a pthread key destructor releases what the
 * thread still held).  Every cache is also on one list with an address in
 * its thread's stack while the thread runs, so that the leak check can scan
 * the stacks of the threads still running at exit (reach.c).  After
 * that destructor has run, the thread's frees bypass the cache (a thread may
 * still free from other TSD destructors).  quarantine_kb is per thread.
 * At exit the exiting thread's cache is drained (every block and every
 * quarantined slot verified);
 * blocks held by threads still running then are left alone (they are not
 * leaks: the leak walk skips held blocks).  After fork the child's caches of
 * threads that do not exist in it are never drained: their blocks stay held.
 *
 * INVARIANTS
 *   Q1  Every block in a cache's FIFO or bins is HELD in its heap, and is in
 *       exactly one place in exactly one cache.
 *   Q2  ring_bytes is the block bytes in the block FIFO, q_bytes the
 *       slot bytes in the fill magazines and the slot FIFO; after every put
 *       ring_bytes + q_bytes <= budget, unless all that is left is in fill
 *       magazines (over_budget).  Every slot in them is held (slab.c S4).
 *   Q3  bin_bytes is the block bytes in all bins; <= bin_limit().
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "hardmem.h"

enum {
    RING = 1 << 15,      /* FIFO entries: 1 MiB of the smallest blocks, at most */
    EXACT_G = 64,        /* blocks of up to 64 granules: a bin per size       */
    MAX_CLASS_G = 1 << 14, /* above: 4 classes per doubling, up to 256 KiB    */
    CLASSES = EXACT_G + 1 + 4 * 8,
    BIN_CAP = 256,       /* blocks per bin                                    */
    BIN_BYTES = 4 << 20, /* block bytes in all of one thread's bins, at most */
    BIN_MIN = 1 << 19,   /* ... and at least that much is allowed (bin_limit) */
    BIN_SHARE = 4,       /* the bins may hold a quarter of the live bytes */
    ALIGN_SCAN = 8,      /* binned blocks looked at for an aligned request     */
    BORROW = 3,          /* classes above its own a request may take from      */
};

typedef struct parked {
    void *p;
    mem_heap_t *h;
    size_t req;
} parked_t;

typedef struct cache {
    struct cache *next_free; /* in the list of caches of ended threads */
    struct cache *next_all;  /* in the list of every cache (spare_lock) */
    uintptr_t stack_at;      /* an address in its thread's stack; 0 once the thread ended */
    unsigned head, n;        /* FIFO: oldest entry, count */
    unsigned ring_cap;       /* FIFO entries in use: ring[0, ring_cap), grown on demand */
    size_t ring_bytes, bin_bytes;
    /* Block bytes this thread took from the heaps and bins, minus those it
     * freed: its live blocks (negative when threads free each other's). */
    ptrdiff_t handed_out;
    unsigned bin_n[CLASSES];
    /* Slots (slab.c): freed ones collect in fill[k]; a full one joins the
     * slot FIFO (q_head oldest, linked by next); one leaving the FIFO
     * becomes mag[k], where malloc takes slots, or goes to the depot. */
    hm_magazine_t *mag[HM_SLOT_CLASSES];
    hm_magazine_t *fill[HM_SLOT_CLASSES];
    hm_magazine_t *q_head, *q_tail;
    size_t q_bytes; /* slot bytes in fill[] and the slot FIFO */
    parked_t bin[CLASSES][BIN_CAP];
    parked_t ring[RING];
    parked_t sorted[CLASSES * BIN_CAP + 1]; /* flush_bins' scratch */
} cache_t;

/* The calling thread's cache; DEAD once its destructor ran. */
#define DEAD ((cache_t *)1)
static __thread cache_t *my_cache __attribute__((tls_model("initial-exec")));

/* The FIFO's longest length: as many entries as the budget holds of the
 * smallest blocks (at least 32 bytes; MIN_BLOCK_G granules are 48), one for the block a put adds before
 * over_budget() trims the FIFO, and one to spare (hm_quarantine_init).  A
 * cache's FIFO starts at RING_FIRST entries and doubles when a put finds
 * it full (grow_ring), so that its memory is only touched as far as the
 * blocks freed need: a FIFO of 8 KiB blocks needs 34 entries, not 8,194. */
static unsigned ring_len = RING;
enum { RING_FIRST = 64 };

static inline unsigned ring_next(const cache_t *c, unsigned i) { return i + 1 == c->ring_cap ? 0 : i + 1; }

/* Double c's FIFO (it is full, and shorter than ring_len): the entries
 * that wrapped around to the front move to just past the old end, so the
 * FIFO runs from head without a wrap. */
static void grow_ring(cache_t *c)
{
    unsigned cap = c->ring_cap, wrapped = c->head + c->n - cap; /* full: head + n >= cap */
    unsigned want = 2 * cap < ring_len ? 2 * cap : ring_len;
    unsigned moved = wrapped < want - cap ? wrapped : want - cap;
    memcpy(&c->ring[cap], &c->ring[0], moved * sizeof c->ring[0]);
    memmove(&c->ring[0], &c->ring[moved], (wrapped - moved) * sizeof c->ring[0]);
    c->ring_cap = want;
}

static pthread_key_t cache_key;
static bool have_key;
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_t *spare; /* caches of ended threads, for reuse */
static cache_t *all;   /* every cache, in use or spare */

/* The class of a block of g granules (g >= MIN_BLOCK_G), rounding up; its
 * size in granules in *cg.  CLASSES when g is above every class. */
static unsigned class_of(uint32_t g, uint32_t *cg)
{
    if (g <= EXACT_G) {
        *cg = g;
        return g;
    }
    if (g > MAX_CLASS_G)
        return CLASSES;
    unsigned b = 31 - (unsigned)__builtin_clz(g - 1); /* 2^b < g <= 2^(b+1), b >= 6 */
    uint32_t step = 1u << (b - 2), k = (g + step - 1) / step; /* 5..8 */
    *cg = k * step;
    return EXACT_G + (b - 6) * 4 + (k - 4);
}

static uint32_t granules_for(size_t req)
{
    size_t g = (req + MEM_HEADER + GRANULE - 1) / GRANULE;
    return g < MIN_BLOCK_G ? MIN_BLOCK_G : g > UINT32_MAX ? UINT32_MAX : (uint32_t)g;
}

/* Give a held block back to its heap (verified and coalesced there). */
static void give_back(const parked_t *e, const char *op)
{
    if (hm_heap_retired(e->h))
        return;
    int code = mem_heap_release(e->h, e->p);
    if (!code)
        hm_heap_gave_back(e->h);
    if (code) {
        hm_heap_retire(e->h); /* as after any failed release: no more blocks from it */
        hm_core_error(e->h, code, op, e->p, NULL);
    }
}

/* Give binned blocks (and *extra, if any) back to their heaps, runs of
 * adjacent blocks as one release: every one when `all`, else the older
 * half of every bin (its bottom: a bin is taken from the top), so that the
 * sizes in use stay binned. */
static void flush_bins(cache_t *c, const parked_t *extra, bool all)
{
    size_t n = 0;
    for (unsigned k = 0; k < CLASSES; k++) {
        unsigned go = all ? c->bin_n[k] : (c->bin_n[k] + 1) / 2, keep = c->bin_n[k] - go;
        for (unsigned i = 0; i < go; i++) {
            c->sorted[n++] = c->bin[k][i];
            c->bin_bytes -= gbytes(hm_block_granules(c->bin[k][i].p));
        }
        memmove(c->bin[k], c->bin[k] + go, keep * sizeof c->bin[k][0]);
        c->bin_n[k] = keep;
    }
    if (extra)
        c->sorted[n++] = *extra;
    /* by address: a heap is one stretch of it, so its blocks come together */
    hm_sort_by_address(c->sorted, n, sizeof c->sorted[0], offsetof(parked_t, p));
    for (size_t i = 0; i < n;) {
        const parked_t *e = &c->sorted[i];
        size_t j = i + 1;
        const unsigned char *end = (const unsigned char *)e->p + gbytes(hm_block_granules(e->p));
        while (j < n && j - i < MEM_RUN_MAX && c->sorted[j].h == e->h && c->sorted[j].p == end) {
            end += gbytes(hm_block_granules(c->sorted[j].p));
            j++;
        }
        if (j - i == 1) {
            give_back(e, "free (quarantine release)");
        } else if (!hm_heap_retired(e->h)) {
            int code = mem_heap_release_run(e->h, e->p, j - i);
            if (!code)
                hm_heap_gave_back(e->h);
            if (code) { /* find and report the culprit block by block */
                for (size_t k = i; k < j; k++)
                    give_back(&c->sorted[k], "free (quarantine release)");
            }
        }
        i = j;
    }
}

/* Magazine m of class k has left the slot FIFO: its slots may be reused.
 * It becomes the thread's magazine of its class when that one is empty,
 * and goes to the depot otherwise. */
static void slots_ready(cache_t *c, unsigned k, hm_magazine_t *m)
{
    hm_magazine_t *cur = c->mag[k];
    if (!cur || !cur->n) {
        c->mag[k] = m;
        hm_depot_put(k, cur); /* an empty magazine goes back to the pool */
    } else {
        hm_depot_put(k, m);
    }
}

/* The slot FIFO's oldest magazine leaves it. */
static void slots_release_oldest(cache_t *c)
{
    hm_magazine_t *m = c->q_head;
    c->q_head = m->next;
    if (!c->q_head)
        c->q_tail = NULL;
    c->q_bytes -= (size_t)m->n * m->klass * GRANULE;
    slots_ready(c, m->klass, m);
}

/* The bins' byte limit (Q3): a quarter of the thread's live block bytes,
 * between BIN_MIN and BIN_BYTES.  A bin's count moves like a random walk
 * held at zero (SIZE CLASSES), so without a limit the bins end up holding
 * a surplus in every class; tying it to what the program holds keeps that
 * surplus in proportion.  Measured on realloc (1.5 MB live), against the
 * bins the size of the live bytes and at least 1 MiB: 0.9 MB less peak
 * RSS, 9% more time (blocks go back to the heap and are carved again,
 * verified both ways); churn1k-log: 0.1 MB less, 5% more time. */
static size_t bin_limit(const cache_t *c)
{
    size_t share = c->handed_out > 0 ? (size_t)c->handed_out / BIN_SHARE : 0;
    return share < BIN_MIN ? BIN_MIN : share > BIN_BYTES ? BIN_BYTES : share;
}

/* Move the FIFO's oldest block to its bin; when the bin is full, empty the
 * older half of every bin back to the heaps (flush_bins). */
static void move_oldest(cache_t *c)
{
    parked_t e = c->ring[c->head];
    c->head = ring_next(c, c->head);
    c->n--;
    /* A held block's header is changed only by its holder (us): read it
     * without the heap's lock. */
    uint32_t g = hm_block_granules(e.p), cg = 0;
    c->ring_bytes -= gbytes(g);
    unsigned k = class_of(g, &cg);
    if (hm_opt.check_full || k == CLASSES || cg != g || hm_heap_retired(e.h)) {
        give_back(&e, "free (quarantine release)");
        return;
    }
    if (c->bin_n[k] == BIN_CAP || c->bin_bytes + gbytes(g) > bin_limit(c)) {
        flush_bins(c, &e, false);
        return;
    }
    c->bin[k][c->bin_n[k]++] = e;
    c->bin_bytes += gbytes(g);
}

/* Past the budget (Q2), the older side goes on: the slot FIFO's oldest
 * magazine when the slot side holds at least half, else the block FIFO's
 * oldest entry. */
static void over_budget(cache_t *c)
{
    while (c->ring_bytes + c->q_bytes > hm_opt.quarantine_bytes) {
        if (c->q_head && (!c->n || c->q_bytes >= c->ring_bytes))
            slots_release_oldest(c);
        else if (c->n)
            move_oldest(c);
        else
            break; /* only partly filled slot magazines are left */
    }
}

/* Verify every slot of magazine m on its way to the depot at a drain (a
 * write after free is reported; such a slot is dropped), then put the rest
 * there. */
static void slots_drain(unsigned k, hm_magazine_t *m)
{
    if (!m)
        return;
    unsigned kept = 0;
    for (unsigned i = 0; i < m->n; i++)
        if (hm_slot_check_held(m->e[i].s, m->e[i].p, "free (quarantine release)"))
            m->e[kept++] = m->e[i];
    m->n = kept;
    hm_depot_put(k, m);
}

static void drain(cache_t *c)
{
    while (c->n) {
        parked_t e = c->ring[c->head];
        c->head = ring_next(c, c->head);
        c->n--;
        give_back(&e, "free (quarantine release)");
    }
    c->ring_bytes = 0;
    flush_bins(c, NULL, true);
    while (c->q_head) {
        hm_magazine_t *m = c->q_head;
        c->q_head = m->next;
        slots_drain(m->klass, m);
    }
    c->q_tail = NULL;
    c->q_bytes = 0;
    for (unsigned k = 0; k < HM_SLOT_CLASSES; k++) {
        slots_drain(k, c->fill[k]);
        slots_drain(k, c->mag[k]); /* past the quarantine: verified as the bins are */
        c->fill[k] = c->mag[k] = NULL;
    }
}

static void thread_ends(void *arg)
{
    cache_t *c = arg;
    my_cache = DEAD;
    drain(c);
    pthread_mutex_lock(&spare_lock);
    c->stack_at = 0;
    c->next_free = spare;
    spare = c;
    pthread_mutex_unlock(&spare_lock);
}

void hm_quarantine_init(void)
{
    size_t n = hm_opt.quarantine_bytes / 32 + 2;
    ring_len = n < RING ? (unsigned)n : RING;
    have_key = pthread_key_create(&cache_key, thread_ends) == 0;
}

/* The calling thread's first cache: a spare one, or a new mapping. */
static __attribute__((noinline)) cache_t *first_cache(void)
{
    cache_t *c;
    if (!have_key)
        return NULL;
    pthread_mutex_lock(&spare_lock);
    c = spare;
    if (c)
        spare = c->next_free;
    pthread_mutex_unlock(&spare_lock);
    if (!c) {
        int saved = errno; /* free() reaches here and preserves errno */
        void *m = mmap(NULL, sizeof(cache_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            errno = saved;
            return NULL;
        }
        c = m;
        pthread_mutex_lock(&spare_lock);
        c->next_all = all;
        all = c;
        pthread_mutex_unlock(&spare_lock);
    }
    if (pthread_setspecific(cache_key, c)) {
        pthread_mutex_lock(&spare_lock);
        c->next_free = spare;
        spare = c;
        pthread_mutex_unlock(&spare_lock);
        return NULL;
    }
    if (!c->ring_cap) /* a new cache (a spare one keeps its FIFO's length) */
        c->ring_cap = RING_FIRST < ring_len ? RING_FIRST : ring_len;
    pthread_mutex_lock(&spare_lock);
    c->stack_at = (uintptr_t)__builtin_frame_address(0);
    pthread_mutex_unlock(&spare_lock);
    my_cache = c;
    return c;
}

void hm_quarantine_each_thread(void (*fn)(uintptr_t stack_at, void *ctx), void *ctx)
{
    pthread_mutex_lock(&spare_lock);
    for (cache_t *c = all; c; c = c->next_all)
        if (c->stack_at && c != my_cache)
            fn(c->stack_at, ctx);
    pthread_mutex_unlock(&spare_lock);
}

/* The calling thread's cache, mapped on first use; NULL if none can be had. */
static inline cache_t *cache(void)
{
    cache_t *c = my_cache;
    if (__builtin_expect(c != NULL, 1))
        return c == DEAD ? NULL : c;
    return first_cache();
}

void hm_quarantine_put(mem_heap_t *h, void *p, size_t req)
{
    cache_t *c = cache();
    if (!c) {
        give_back(&(parked_t){ p, h, req }, "free");
        return;
    }
    if (c->n == c->ring_cap) {
        if (c->ring_cap < ring_len)
            grow_ring(c);
        else
            move_oldest(c);
    }
    unsigned at = c->head + c->n;
    c->ring[at < c->ring_cap ? at : at - c->ring_cap] = (parked_t){ p, h, req };
    c->n++;
    size_t bytes = gbytes(hm_block_granules(p)); /* held: only we change it */
    c->ring_bytes += bytes;
    c->handed_out -= (ptrdiff_t)bytes;
    over_budget(c);
}

/* The calling thread's cache if it has one, without mapping it. */
static inline cache_t *cache_if_any(void)
{
    cache_t *c = my_cache;
    return (uintptr_t)c > (uintptr_t)DEAD ? c : NULL;
}

/* always_inline: LTO puts it into free(), the one hot caller. */
__attribute__((always_inline)) inline bool hm_quarantine_try_put_slot(hm_slab_t *s, void *p)
{
    unsigned k = hm_slab_class(s);
    cache_t *c = cache_if_any();
    hm_magazine_t *f = c ? c->fill[k] : NULL;
    if (!f || f->n + 1 >= hm_slab_mag_cap(s)) /* none yet, or this slot fills it */
        return false;
    f->e[f->n++] = (hm_parked_slot_t){ p, s };
    c->q_bytes += (size_t)k * GRANULE;
    return true;
}

void hm_quarantine_put_slot(hm_slab_t *s, void *p)
{
    unsigned k = hm_slab_class(s);
    cache_t *c = cache();
    hm_magazine_t *f = c ? c->fill[k] : NULL;
    if (!f) {
        if (!(f = hm_depot_swap_empty(k, NULL)))
            return; /* out of memory: the slot stays held, unused */
        if (!c) { /* no cache (the thread is ending): to the depot, alone */
            f->e[f->n++] = (hm_parked_slot_t){ p, s };
            hm_depot_put(k, f);
            return;
        }
        c->fill[k] = f;
    }
    f->e[f->n++] = (hm_parked_slot_t){ p, s };
    c->q_bytes += (size_t)k * GRANULE;
    if (f->n == hm_slab_mag_cap(s)) { /* full: into the slot FIFO */
        c->fill[k] = NULL;
        f->next = NULL;
        if (c->q_tail)
            c->q_tail->next = f;
        else
            c->q_head = f;
        c->q_tail = f;
        over_budget(c);
    }
}

/* Start loading held slot p of class k (header and payload, at most 512
 * bytes) into the cache: it left the quarantine long ago, and reusing it
 * reads all of it. */
static inline void prefetch_slot(const void *p, unsigned k)
{
    const char *a = (const char *)p - HDR_BYTES;
    size_t n = (size_t)k * GRANULE < 512 ? (size_t)k * GRANULE : 512;
    for (size_t off = 0; off < n; off += 64)
        __builtin_prefetch(a + off);
}

/* always_inline: LTO puts it into malloc(), the one hot caller, where
 * every way out is a return or a tail call (no registers to save). */
__attribute__((always_inline)) inline void *hm_slot_try_alloc(size_t req)
{
    cache_t *c = cache_if_any();
    unsigned k = hm_slot_class(req);
    hm_magazine_t *m = c ? c->mag[k] : NULL;
    if (!m || !m->n)
        return NULL;
    unsigned n = m->n;
    hm_parked_slot_t e = m->e[n - 1];
    if (n > 1) /* the next malloc of this class verifies that slot's poison: fetch it now */
        prefetch_slot(m->e[n - 2].p, k);
    if (!hm_slot_try_reuse(e.s, e.p, req))
        return NULL; /* hm_slot_alloc takes it again and reports it */
    m->n = n - 1;
    return e.p;
}

void *hm_slot_alloc(size_t req, unsigned k, const void *caller)
{
    cache_t *c = cache();
    if (!c)
        return NULL;
    for (;;) {
        hm_magazine_t *m = c->mag[k];
        if (!m || !m->n) {
            if (!(m = hm_depot_swap_full(k, m, caller)))
                return NULL;
            c->mag[k] = m;
        }
        hm_parked_slot_t e = m->e[--m->n];
        if (m->n) /* the next malloc of this class verifies that slot's poison: fetch it now */
            prefetch_slot(m->e[m->n - 1].p, k);
        if (hm_slot_reuse(e.s, e.p, req))
            return e.p;
        /* Written after free (or its header was), reported: never handed
         * out again. */
    }
}

/* The newest block of bin k that is aligned to misalign + 1 (among the last
 * ALIGN_SCAN), made live for req bytes; NULL when there is none. */
static void *bin_take(cache_t *c, unsigned k, size_t req, uintptr_t misalign)
{
    for (;;) {
        unsigned n = c->bin_n[k], i = n;
        while (i > 0 && n - i < ALIGN_SCAN && ((uintptr_t)c->bin[k][i - 1].p & misalign))
            i--;
        if (i == 0 || ((uintptr_t)c->bin[k][i - 1].p & misalign))
            return NULL;
        parked_t e = c->bin[k][i - 1];
        c->bin[k][i - 1] = c->bin[k][--c->bin_n[k]];
        size_t bytes = gbytes(hm_block_granules(e.p));
        c->bin_bytes -= bytes;
        int code = mem_heap_unhold(e.h, e.p, req);
        if (!code) {
            c->handed_out += (ptrdiff_t)bytes;
            return e.p;
        }
        /* Written after free (or its header was): report, and never hand
         * the block out again. */
        hm_core_error(e.h, code, "malloc", e.p, NULL);
    }
}

void *hm_recycle_take(size_t req, size_t align, size_t *room)
{
    uint32_t cg = 0, g = granules_for(*room > req ? *room : req);
    if (g < align / GRANULE) /* SIZE CLASSES: an aligned block is its alignment long */
        g = (uint32_t)(align / GRANULE);
    unsigned k = class_of(g, &cg);
    *room = k == CLASSES ? req : gbytes(cg) - MEM_HEADER;
    cache_t *c = my_cache;
    if (!c || c == DEAD || k == CLASSES)
        return NULL;
    /* The request's class, else one of the next BORROW up: a bin that runs
     * dry takes from those above before the heap, so blocks freed in one
     * class serve the next ones instead of piling up (SIZE CLASSES). */
    void *p = bin_take(c, k, req, align - 1);
    for (unsigned j = k + 1; !p && j < CLASSES && j <= k + BORROW; j++)
        p = bin_take(c, j, req, align - 1);
    return p;
}

void hm_quarantine_count_new(size_t bytes)
{
    cache_t *c = cache_if_any();
    if (c)
        c->handed_out += (ptrdiff_t)bytes;
}

void hm_quarantine_lock(void) { pthread_mutex_lock(&spare_lock); }
void hm_quarantine_unlock(void) { pthread_mutex_unlock(&spare_lock); }

void hm_quarantine_drain(void)
{
    cache_t *c = my_cache;
    if (c && c != DEAD)
        drain(c);
}
