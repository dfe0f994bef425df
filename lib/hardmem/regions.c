/*
 * regions.c - small blocks: arenas of region heaps, and finding a pointer's
 * heap.
 *
 * THE LAYOUT
 * Every request below the large threshold is served by a region heap of
 * lib/mem.h, placed with mem_heap_create_in() inside a mapping of our own:
 * a whole number of 256 KiB chunks, aligned to 256 KiB.  Because the mapping is
 * aligned, the heap that owns an address is found from the address alone:
 * a two-level radix map (address bits 34..46, then 18..33) holds, for every
 * chunk, the heap's index + 1.  Leaves are mapped on first use and entries
 * are written once, before the heap is published, so lookups take no lock.
 *
 * ARENAS
 * A thread is given an arena (round robin, on its first allocation) and
 * allocates from that arena's heaps only, so threads on different arenas
 * never meet on a heap lock.  Frees go to whichever heap owns the block
 * (its own lock).  An arena maps a new heap when those it tried are full:
 * 256 KiB first, doubling to 64 MiB (or the request's size).  Heaps are
 * never unmapped.
 *
 * OLDEST FIRST
 * An arena tries TRIES of its heaps oldest first, from a hint `lo` on (the
 * oldest heap that may have room), then its newest.  A heap that cannot
 * serve a request of up to FULL_ROOM bytes is full and moves the hint past
 * it; a block given back to an older heap moves the hint back to that heap
 * (hm_heap_gave_back).  So memory a program freed is used again before a
 * younger heap's untouched pages are, which keeps the pages a program
 * touches few (first fit across heaps, as address-ordered first fit within
 * one), and a try costs a lock and a look at the index's root.
 *
 * INVARIANTS
 *   R1  A heap's chunks map to it and to nothing else; every other chunk
 *       maps to 0.  (Enforced by construction: entries are written once.)
 *   R2  heaps[0..count) are published with release ordering after their map
 *       entries, so a reader that sees a heap sees it complete.
 *   R3  A retired heap (it reported corruption) gets no new allocations; its
 *       blocks are still freed through it if the core accepts them.
 *   R4  The slab map names, for each HM_SLAB stretch of the address space,
 *       the slab (slab.c) that starts there, or NULL.  An entry is written
 *       once (hm_slab_register, with the slab's descriptor complete) and
 *       slabs are never given back, so lookups take no lock.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hardmem.h"

enum {
    TOP_BITS = 13,          /* address bits 34..46 */
    LEAF_BITS = 16,         /* address bits 18..33 */
    MAX_ARENAS = 64,
    PER_ARENA = 1024,
    TRIES = 4,              /* heaps tried from the oldest that may have room */
    FULL_ROOM = 4096,       /* a heap without room for this much is full */
    FIRST_HEAP = HM_CHUNK,  /* 256 KiB: a small program touches little */
    MAX_GROWTH = 256 * HM_CHUNK, /* 64 MiB */
};

typedef struct arena arena_t;

typedef struct heap_info {
    mem_heap_t *h;
    size_t len;
    bool retired;
    arena_t *arena; /* the arena it belongs to, as its heaps[at] */
    unsigned at;
} heap_info_t;

struct arena {
    pthread_mutex_t lock;   /* serialises adding heaps */
    unsigned n;             /* heaps in this arena (atomic) */
    unsigned lo;            /* the oldest heap that may have room (atomic, a hint) */
    size_t next_size;       /* the next heap's size; 0: FIRST_HEAP */
    mem_heap_t *heaps[PER_ARENA];
};

static uint16_t *radix[1u << TOP_BITS];
static heap_info_t heaps[HM_MAX_HEAPS];
static unsigned heap_count;
static size_t mapped;
static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;
/* Statically initialised (zero bytes: .bss), so that an arena's pages stay
 * untouched until a thread uses it. */
static arena_t arenas[MAX_ARENAS] = { [0 ... MAX_ARENAS - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER } };
/* The heaps that slabs (slab.c) are carved from, shared by all threads (a
 * slab is made once per HM_SLAB bytes of slots).  They check at
 * MEM_CHECK_OFF: a slab is never freed, its slots keep their own checks,
 * and an unpoisoned heap leaves its pages untouched until a slab uses them. */
static arena_t slab_arena = { .lock = PTHREAD_MUTEX_INITIALIZER };
static unsigned arena_next;
static __thread unsigned my_arena HM_TLS; /* arena index + 1, 0 = none yet */

static int heap_index(const void *p)
{
    uintptr_t chunk = (uintptr_t)p >> HM_CHUNK_SHIFT;
    uintptr_t top = chunk >> LEAF_BITS;
    if (top >= (1u << TOP_BITS))
        return -1;
    uint16_t *leaf = __atomic_load_n(&radix[top], __ATOMIC_ACQUIRE);
    if (!leaf)
        return -1;
    unsigned id = __atomic_load_n(&leaf[chunk & ((1u << LEAF_BITS) - 1)], __ATOMIC_ACQUIRE);
    return (int)id - 1;
}

mem_heap_t *hm_heap_of(const void *p)
{
    int i = heap_index(p);
    return i < 0 ? NULL : heaps[i].h;
}

/* Set once any heap is retired: until then (always, in a program without
 * heap corruption) hm_heap_retired answers without the radix lookup. */
static bool any_retired;

void hm_heap_retire(mem_heap_t *h)
{
    int i = heap_index(h);
    if (i >= 0) {
        __atomic_store_n(&heaps[i].retired, true, __ATOMIC_RELEASE);
        __atomic_store_n(&any_retired, true, __ATOMIC_RELEASE);
    }
}

void hm_heap_gave_back(mem_heap_t *h)
{
    int i = heap_index(h);
    arena_t *a = i < 0 ? NULL : heaps[i].arena; /* written before the radix entry (R2) */
    if (!a)
        return;
    unsigned at = heaps[i].at, lo = __atomic_load_n(&a->lo, __ATOMIC_RELAXED);
    while (at < lo && !__atomic_compare_exchange_n(&a->lo, &lo, at, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

bool hm_heap_retired(mem_heap_t *h)
{
    if (__builtin_expect(!__atomic_load_n(&any_retired, __ATOMIC_ACQUIRE), 1))
        return false;
    int i = heap_index(h);
    return i >= 0 && __atomic_load_n(&heaps[i].retired, __ATOMIC_ACQUIRE);
}

/* The slab map (R4): address bits 32..46 pick a leaf, bits 16..31 the
 * entry, so a lookup is two loads.  A leaf (512 KiB of pointers, covering
 * 4 GiB) is mapped on first use; only the pages that slabs use are touched. */
enum { SLAB_TOP_BITS = 15, SLAB_LEAF_BITS = 32 - HM_SLAB_SHIFT };
static hm_slab_t **slab_map[1u << SLAB_TOP_BITS];

hm_slab_t *hm_slab_of(const void *p)
{
    uintptr_t a = (uintptr_t)p, top = a >> 32;
    if (top >= (1u << SLAB_TOP_BITS))
        return NULL;
    hm_slab_t **leaf = __atomic_load_n(&slab_map[top], __ATOMIC_ACQUIRE);
    return leaf ? __atomic_load_n(&leaf[(a >> HM_SLAB_SHIFT) & ((1u << SLAB_LEAF_BITS) - 1)], __ATOMIC_ACQUIRE)
                : NULL;
}

bool hm_slab_register(const void *start, hm_slab_t *s)
{
    uintptr_t a = (uintptr_t)start, top = a >> 32;
    if (a % HM_SLAB || top >= (1u << SLAB_TOP_BITS))
        return false;
    pthread_mutex_lock(&regions_lock);
    hm_slab_t **leaf = slab_map[top];
    if (!leaf) {
        void *m = mmap(NULL, sizeof *leaf << SLAB_LEAF_BITS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (m != MAP_FAILED) {
            leaf = m;
            __atomic_store_n(&slab_map[top], leaf, __ATOMIC_RELEASE);
        }
    }
    if (leaf)
        __atomic_store_n(&leaf[(a >> HM_SLAB_SHIFT) & ((1u << SLAB_LEAF_BITS) - 1)], s, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&regions_lock);
    return leaf != NULL;
}

unsigned hm_heap_count(void) { return __atomic_load_n(&heap_count, __ATOMIC_ACQUIRE); }
mem_heap_t *hm_heap_at(unsigned i) { return heaps[i].h; }
size_t hm_mapped_bytes(void) { return __atomic_load_n(&mapped, __ATOMIC_RELAXED); }

void hm_regions_lock(void)
{
    pthread_mutex_lock(&slab_arena.lock);
    for (unsigned i = 0; i < MAX_ARENAS; i++)
        pthread_mutex_lock(&arenas[i].lock);
    pthread_mutex_lock(&regions_lock);
}

void hm_regions_unlock(void)
{
    pthread_mutex_unlock(&regions_lock);
    for (unsigned i = MAX_ARENAS; i-- > 0;)
        pthread_mutex_unlock(&arenas[i].lock);
    pthread_mutex_unlock(&slab_arena.lock);
}


/* Map `len` bytes (a multiple of HM_CHUNK) aligned to HM_CHUNK. */
static void *map_aligned(size_t len)
{
    unsigned char *m = mmap(NULL, len + HM_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uintptr_t a = ((uintptr_t)m + HM_CHUNK - 1) & ~(uintptr_t)(HM_CHUNK - 1);
    size_t front = a - (uintptr_t)m, back = HM_CHUNK - front;
    if (front)
        munmap(m, front);
    if (back)
        munmap((unsigned char *)a + len, back);
    return (void *)a;
}

/* Map a heap of at least `len` bytes for arena a, as its heaps[at], and
 * enter it in the radix map (R1, R2).  It checks at `level`, or at the
 * core's default (HARDMEM_CHECK) when level is -1.  Called with
 * regions_lock held.  NULL when out of memory or heaps. */
static mem_heap_t *new_heap(size_t len, int level, arena_t *a, unsigned at)
{
    if (heap_count >= HM_MAX_HEAPS)
        return NULL;
    len = (len + HM_CHUNK - 1) & ~(size_t)(HM_CHUNK - 1);
    unsigned char *m = map_aligned(len);
    if (!m)
        return NULL;
    for (size_t off = 0; off < len; off += HM_CHUNK) {
        uintptr_t chunk = ((uintptr_t)m + off) >> HM_CHUNK_SHIFT, top = chunk >> LEAF_BITS;
        if (top >= (1u << TOP_BITS)) {
            munmap(m, len);
            return NULL;
        }
        if (!radix[top]) {
            void *leaf = mmap(NULL, sizeof(uint16_t) << LEAF_BITS, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (leaf == MAP_FAILED) {
                munmap(m, len);
                return NULL;
            }
            __atomic_store_n(&radix[top], (uint16_t *)leaf, __ATOMIC_RELEASE);
        }
    }
    /* A fresh mapping reads as zero: its pages stay untouched until the
     * program writes them (new blocks are not poisoned first). */
    mem_heap_t *h = mem_heap_create_in_untouched(m, len, level < 0 ? env_check_level() : level);
    if (!h) {
        munmap(m, len);
        return NULL;
    }
    if (hm_opt.check_full)
        mem_heap_set_check_level(h, MEM_CHECK_FULL);
    unsigned id = heap_count;
    heaps[id] = (heap_info_t){ h, len, false, a, at };
    for (size_t off = 0; off < len; off += HM_CHUNK) {
        uintptr_t chunk = ((uintptr_t)m + off) >> HM_CHUNK_SHIFT;
        __atomic_store_n(&radix[chunk >> LEAF_BITS][chunk & ((1u << LEAF_BITS) - 1)], (uint16_t)(id + 1),
                         __ATOMIC_RELEASE);
    }
    __atomic_store_n(&heap_count, id + 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&mapped, len, __ATOMIC_RELAXED);
    return h;
}

static arena_t *my(void)
{
    unsigned a = my_arena;
    if (!a) {
        a = __atomic_fetch_add(&arena_next, 1, __ATOMIC_RELAXED) % hm_opt.arenas + 1;
        my_arena = a;
    }
    return &arenas[a - 1];
}

/* One attempt on heap h.  Reports corruption (and retires h) and returns
 * NULL; E_NO_SPACE just returns NULL. */
static void *try_heap(mem_heap_t *h, size_t size, size_t room, size_t align, const void *caller)
{
    if (hm_heap_retired(h))
        return NULL;
    void *p = align > MEM_ALIGN ? mem_heap_aligned_alloc_room(h, align, size, room, MEM_FIRST_FIT)
                                : mem_heap_alloc_room(h, size, room, MEM_FIRST_FIT);
    if (p)
        return p;
    int err = mem_errno();
    if (err != E_NO_SPACE && err != E_BAD_ARGS) {
        hm_heap_retire(h);
        hm_core_error(h, err, "malloc", NULL, caller);
    }
    return NULL;
}

/* Allocate from arena a, mapping heaps that check at `level` (new_heap). */
static void *arena_alloc(arena_t *a, size_t size, size_t room, size_t align, int level, const void *caller)
{
    for (;;) {
        unsigned n = __atomic_load_n(&a->n, __ATOMIC_ACQUIRE);
        if (n) {
            /* Oldest first from the hint, then the newest (OLDEST FIRST). */
            unsigned lo = __atomic_load_n(&a->lo, __ATOMIC_RELAXED);
            lo = lo < n ? lo : n - 1;
            unsigned end = n - lo > TRIES ? lo + TRIES : n;
            for (unsigned i = lo; i < end; i++) {
                void *p = try_heap(a->heaps[i], size, room, align, caller);
                if (p)
                    return p;
                if (i == lo && room <= FULL_ROOM) { /* full: the next one is tried first next time */
                    unsigned was = lo;
                    __atomic_compare_exchange_n(&a->lo, &was, lo + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
                }
            }
            void *p = end < n ? try_heap(a->heaps[n - 1], size, room, align, caller) : NULL;
            if (p)
                return p;
        }
        /* Every heap tried is full: map a new one, unless another thread
         * of this arena just did. */
        pthread_mutex_lock(&a->lock);
        if (__atomic_load_n(&a->n, __ATOMIC_ACQUIRE) != n) {
            pthread_mutex_unlock(&a->lock);
            continue;
        }
        mem_heap_t *h = NULL;
        if (n < PER_ARENA) {
            size_t step = a->next_size ? a->next_size : FIRST_HEAP, want = step;
            size_t need = room + align + mem_heap_min_size() + 4096;
            if (need > want)
                want = need;
            pthread_mutex_lock(&regions_lock);
            h = new_heap(want, level, a, n);
            pthread_mutex_unlock(&regions_lock);
            if (h) {
                a->heaps[n] = h;
                __atomic_store_n(&a->n, n + 1, __ATOMIC_RELEASE);
                a->next_size = step < MAX_GROWTH ? step * 2 : step;
            }
        }
        pthread_mutex_unlock(&a->lock);
        if (!h)
            return NULL;
        void *p = try_heap(h, size, room, align, caller);
        if (p)
            return p;
        if (__atomic_load_n(&a->n, __ATOMIC_ACQUIRE) >= PER_ARENA)
            return NULL;
    }
}

void *hm_small_alloc(size_t size, size_t room, size_t align, const void *caller)
{
    return arena_alloc(my(), size, room, align, -1, caller);
}

void *hm_slab_block_alloc(const void *caller)
{
    return arena_alloc(&slab_arena, HM_SLAB_BYTES, HM_SLAB_BYTES, HM_SLAB, MEM_CHECK_OFF, caller);
}
