/*
 * hardmem.h - the internal contracts of the checked malloc (lib/hardmem/).
 *
 * The checked malloc is a thin layer over the region heap (lib/mem.h):
 *
 *   interpose.c   the glibc allocation surface (malloc, free, ..., __libc_*)
 *                 as aliases of the hm_* functions below; only this file
 *                 defines glibc names, so tests can link the rest under
 *                 sanitizers, which bring their own malloc.
 *   api.c         hm_*: glibc semantics (errno, edge cases) on top of the
 *                 three back ends, and the routing of a pointer to its owner.
 *   regions.c     small blocks: arenas of region heaps, each heap a 256 KiB
 *                 aligned mapping; a radix map finds a pointer's heap.
 *   large.c       big blocks: one mapping each, ending at a guard page.
 *   slab.c        slots: requests up to HM_SLOT_MAX bytes in slabs carved
 *                 from heaps of their own, freed and reused without a lock;
 *                 magazines of held slots and the depot that trades them.
 *   quarantine.c  per thread: freed small blocks held (poisoned) in a FIFO,
 *                 then in per-size bins for reuse.
 *   options.c     HARDMEM_OPTIONS.
 *   report.c      the one fatal-report function and its stable messages.
 *   stacks.c      caller addresses of allocations and frees (stacks=1).
 *   stats.c       counters and the exit summary; leaks.c the leak walk;
 *   reach.c       which of the blocks live at exit the program can still reach;
 *   sort.c        sorting records by address without allocating.
 *   trace.c       trace=PATH: every call recorded for tools/trace.
 *
 * Nothing here calls malloc, stdio or dlsym; memory comes from mmap.
 * Lock order (fork takes them all in this order): slab creation, arenas
 * (the slab arena first), regions, spare caches, large table, heaps,
 * stacks, the depot's classes, the depot's pool.  (The per-thread caches
 * themselves need no lock, nor do slots.)
 */
#ifndef HARDMEM_HARDMEM_H
#define HARDMEM_HARDMEM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "mem.h"

#define HM_TLS __attribute__((tls_model("initial-exec")))

/* Offset of the first byte of [p, p+n) that is not `byte`, or n; compares
 * 32 bytes per step with one test, then eight (the poison and slack checks
 * run on every free and malloc). */
static inline size_t hm_first_diff(const unsigned char *p, size_t n, unsigned char byte)
{
    uint64_t pat = 0x0101010101010101ULL * byte, v, w[4];
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __builtin_memcpy(w, p + i, 32);
        if ((w[0] ^ pat) | (w[1] ^ pat) | (w[2] ^ pat) | (w[3] ^ pat))
            break;
    }
    for (; i + 8 <= n; i += 8) {
        __builtin_memcpy(&v, p + i, 8);
        if (v != pat)
            break;
    }
    for (; i < n; i++)
        if (p[i] != byte)
            return i;
    return n;
}

/* The size in granules (header included) of the region block whose payload
 * is p, read from its header: for blocks the caller has validated or holds. */
static inline uint32_t hm_block_granules(const void *p)
{
    return ((const block_hdr_t *)((const unsigned char *)p - MEM_HEADER))->size;
}

/* May a block or slot of `granules` (header included) keep a realloc to
 * size bytes in place?  When it has room and would not be more than half
 * empty; otherwise the block moves, like a growth, and keeps its class. */
static inline bool hm_realloc_in_place(size_t size, uint32_t granules)
{
    size_t need = (size + HDR_BYTES + GRANULE - 1) / GRANULE;
    return need <= granules && 2 * need > granules;
}

/* ---- options (options.c) ---- */
enum { HM_ABORT = 0, HM_REPORT = 1, HM_IGNORE = 2 };

typedef struct hm_options {
    int on_error;            /* HM_ABORT (default), HM_REPORT, HM_IGNORE       */
    size_t quarantine_bytes; /* quarantine_kb * 1024; default 256 KiB          */
    int fill;                /* byte for new blocks, -1: leave the poison      */
    bool check_full;         /* check=full: whole-heap check at every call     */
    bool leaks;              /* leaks=1: list live blocks at exit              */
    bool stacks;             /* stacks=1: record caller addresses              */
    bool foreign_ignore;     /* foreign=ignore: leave other allocators' blocks */
    bool summary;            /* summary=1: one-screen summary at exit          */
    int log_fd;              /* log=path, else 2                               */
    size_t large_threshold;  /* large_kb * 1024; default 256 KiB               */
    unsigned arenas;         /* arenas=N (1..64); default 4                    */
} hm_options_t;

extern hm_options_t hm_opt;
/* Parse HARDMEM_OPTIONS (getenv only, no allocation).  Bad entries are
 * reported on fd 2 and ignored. */
void hm_options_init(void);
/* The descriptor reports go to: the log, or fd 2 if the program has since
 * closed or replaced the log's descriptor. */
int hm_out_fd(void);

/* ---- initialisation (api.c) ---- */
/* Make sure hm_init ran; cheap after the first call. */
void hm_ensure_init(void);

/* The entry points with the caller's return address (api.c); the glibc
 * names (interpose.c) and the hm_* names (hm_malloc.h) call these. */
void *hm_malloc_at(size_t n, const void *caller);
void *hm_calloc_at(size_t n, size_t m, const void *caller);
void *hm_realloc_at(void *p, size_t n, const void *caller);
void *hm_reallocarray_at(void *p, size_t n, size_t m, const void *caller);
void hm_free_at(void *p, const void *caller);
void *hm_memalign_at(size_t align, size_t n, const void *caller);
int hm_posix_memalign_at(void **out, size_t align, size_t n, const void *caller);
void *hm_valloc_at(size_t n, const void *caller);
void *hm_pvalloc_at(size_t n, const void *caller);
size_t hm_usable_size_at(void *p, const void *caller);

/* ---- reports (report.c) ---- */
typedef enum hm_kind {
    HM_DOUBLE_FREE,
    HM_INVALID_POINTER,
    HM_FOREIGN_POINTER,
    HM_OVERFLOW,      /* write past the requested size (slack) */
    HM_OVERFLOW_NEXT, /* linear overflow into the next block's header */
    HM_UNDERFLOW,     /* the block's own header overwritten */
    HM_USE_AFTER_FREE,
    HM_CORRUPT_INDEX,
    HM_CORRUPT_HEAP,
    HM_LEAK,
    HM_KIND_COUNT
} hm_kind_t;

typedef struct hm_error {
    hm_kind_t kind;
    const char *op;      /* "free", "realloc", "malloc", ...              */
    const void *addr;    /* the pointer passed in (or the block)          */
    const void *block;   /* block start, or NULL                          */
    size_t requested;    /* (size_t)-1 when unknown                       */
    size_t usable;       /* (size_t)-1 when unknown                       */
    long long bad_off;   /* first bad byte from the block start, or -1    */
    uint64_t expected, found;
    const char *detail;  /* the core's text, or NULL                      */
    const void *caller;  /* return address of the call that found it      */
} hm_error_t;

/* The stable first-line text of a kind, e.g. "double free". */
const char *hm_kind_text(hm_kind_t k);
/* Write the report (stack buffer + write(2)), count it, then act on
 * hm_opt.on_error: abort, or return so the caller leaves the block alone. */
void hm_fatal(const hm_error_t *e);
/* Turn a failing core call's report into an hm_error_t and report it. */
void hm_core_error(mem_heap_t *h, int code, const char *op, const void *p, const void *caller);

/* ---- small blocks (regions.c) ---- */
enum {
    HM_CHUNK_SHIFT = 18, /* heaps are mapped in 256 KiB aligned chunks */
    HM_CHUNK = 1 << HM_CHUNK_SHIFT,
    HM_MAX_HEAPS = 4096,
    HM_SLAB_SHIFT = 16, /* slabs (slab.c) are blocks in 64 KiB aligned stretches */
    HM_SLAB = 1 << HM_SLAB_SHIFT,
    /* A slab's bytes: its stretch but the last 16, where the next slab's
     * block header goes, so that slabs lie back to back in their heap
     * rather than every other stretch being a gap the core writes into. */
    HM_SLAB_BYTES = HM_SLAB - MEM_HEADER,
};
/* Allocate size bytes in a block with room for `room` (>= size; a size
 * class, from hm_recycle_take) from the calling thread's arena, mapping a new heap when every
 * heap is full.  NULL when out of memory (after reporting corruption found
 * on the way). */
void *hm_small_alloc(size_t size, size_t room, size_t align, const void *caller);
/* An HM_SLAB-aligned block of HM_SLAB_BYTES for a new slab, from heaps of
 * its own that check at MEM_CHECK_OFF (regions.c); NULL when out of memory. */
void *hm_slab_block_alloc(const void *caller);
/* The heap holding p, or NULL (lock-free). */
mem_heap_t *hm_heap_of(const void *p);
/* The slab whose stretch holds p, or NULL (lock-free; regions.c R4). */
typedef struct hm_slab hm_slab_t;
hm_slab_t *hm_slab_of(const void *p);
/* Enter slab s, which starts at `start` (HM_SLAB-aligned), in the slab map.
 * False when the map's leaf could not be mapped. */
bool hm_slab_register(const void *start, hm_slab_t *s);
/* Mark a heap broken after it reported corruption: no new allocations. */
void hm_heap_retire(mem_heap_t *h);
bool hm_heap_retired(mem_heap_t *h);
/* A block was given back to heap h: its arena tries it again first if it
 * is older than those it tries now (regions.c OLDEST FIRST). */
void hm_heap_gave_back(mem_heap_t *h);
/* Every heap: count and by index (for leaks, fork and stats). */
unsigned hm_heap_count(void);
mem_heap_t *hm_heap_at(unsigned i);
size_t hm_mapped_bytes(void);
void hm_regions_lock(void);
void hm_regions_unlock(void);

/* ---- slots: small blocks in slabs, no lock (slab.c) ---- */
enum {
    HM_SLOT_MAX_G = 64,                        /* largest slot: 1 KiB, header included */
    HM_SLOT_CLASSES = HM_SLOT_MAX_G + 1,       /* class = slot granules, 2 .. 64       */
    HM_SLOT_MAX = HM_SLOT_MAX_G * GRANULE - HDR_BYTES, /* largest request a slot serves */
    HM_MAG_SLOTS = 63,                         /* slots per magazine, at most (slab.c)  */
};
typedef struct hm_parked_slot {
    void *p;
    hm_slab_t *s;
} hm_parked_slot_t;
typedef struct hm_magazine {
    struct hm_magazine *next;
    unsigned n;
    unsigned klass;         /* of its slots: a magazine serves one class */
    hm_parked_slot_t e[];   /* room for that class's magazine size (slab.c) */
} hm_magazine_t;
/* The slot class of a request of req <= HM_SLOT_MAX bytes. */
static inline unsigned hm_slot_class(size_t req)
{
    size_t g = (req + HDR_BYTES + GRANULE - 1) / GRANULE;
    return g < 2 ? 2 : (unsigned)g;
}
/* The class for req (<= HM_SLOT_MAX) bytes aligned to align (a power of
 * two >= 16): the smallest class at least hm_slot_class(req) whose payloads
 * are all aligned to align (slab.c ALIGNMENT: a class of g granules is
 * aligned to 16 * (g & -g)), or 0 when no class is. */
enum { HM_SLOT_ALIGN_MAX = 1024 };
static inline unsigned hm_slot_class_aligned(size_t req, size_t align)
{
    if (req > HM_SLOT_MAX || align > HM_SLOT_ALIGN_MAX)
        return 0;
    unsigned step = (unsigned)(align / GRANULE), g = hm_slot_class(req);
    g = (g + step - 1) & ~(step - 1);
    return g <= HM_SLOT_MAX_G ? g : 0;
}
/* The class of slab s's slots, and how many a magazine of them holds. */
unsigned hm_slab_class(const hm_slab_t *s);
unsigned hm_slab_mag_cap(const hm_slab_t *s);
void hm_slabs_init(void);
/* fork: the slab-creation lock (taken first of all) and the depot's locks
 * (taken last). */
void hm_slab_create_lock(void);
void hm_slab_create_unlock(void);
void hm_slabs_lock(void);
void hm_slabs_unlock(void);
/* free of p in slab s: validated (slot start, header, not held, slack, next
 * header), made held in one compare-and-swap, poisoned; *req gets its
 * requested size.  False after a report (nothing changed). */
bool hm_slot_free(hm_slab_t *s, void *p, size_t *req, const char *op, const void *caller);
/* The same free on the fast path, which reports nothing:
 *   HM_SLOT_UNCHANGED    p failed a check before anything was written (not a
 *                        live slot, header, next header): hm_slot_free says
 *                        what is wrong;
 *   HM_SLOT_FREED        held and poisoned: queue it (hm_quarantine_put_slot);
 *   HM_SLOT_RACED        another free of p won the swap (a double free);
 *   HM_SLOT_FREED_SLACK  held, but its slack was overwritten: never reused.
 * hm_slot_free_failed reports the last two. */
typedef enum { HM_SLOT_UNCHANGED, HM_SLOT_FREED, HM_SLOT_RACED, HM_SLOT_FREED_SLACK } hm_slot_freed_t;
hm_slot_freed_t hm_slot_try_free(hm_slab_t *s, void *p);
void hm_slot_free_failed(hm_slab_t *s, void *p, hm_slot_freed_t why, const char *op, const void *caller);
/* The requested size of live slot p, or 0 after a report. */
size_t hm_slot_size(hm_slab_t *s, void *p, const char *op, const void *caller);
/* realloc of live slot p to size bytes in place: 1 done, 0 does not fit
 * (move it), -1 after a report. */
int hm_slot_resize(hm_slab_t *s, void *p, size_t size, const void *caller);
/* Held slot p taken for a request of req bytes: header and poison verified,
 * made live.  False after a report: the slot is never used again. */
bool hm_slot_reuse(hm_slab_t *s, void *p, size_t req);
/* The same on the fast path, for a request of p's class: false (nothing
 * changed) when p fails a check; hm_slot_reuse then reports it. */
bool hm_slot_try_reuse(hm_slab_t *s, void *p, size_t req);
/* Verify held slot p (header, poison) on its way out of a quarantine. */
bool hm_slot_check_held(hm_slab_t *s, void *p, const char *op);
/* The depot: a full magazine of class k for `empty` (NULL, or the caller's
 * empty one, kept by the depot), laying out a new slab when there is none;
 * an empty magazine for `full` (NULL or the caller's full one); put a
 * magazine back.  NULL when out of memory (the caller keeps its own). */
hm_magazine_t *hm_depot_swap_full(unsigned k, hm_magazine_t *empty, const void *caller);
hm_magazine_t *hm_depot_swap_empty(unsigned k, hm_magazine_t *full);
void hm_depot_put(unsigned k, hm_magazine_t *m);
/* Is p the first byte of a slab (a block of a heap that holds slots)? */
bool hm_slab_block(const void *p);
/* Visit every live slot (leaks). */
void hm_slots_each_live(void (*fn)(const void *p, size_t req, void *ctx), void *ctx);
/* Serve requests with slots?  Set once at start: a quarantine, not check=full. */
extern bool hm_slots;
/* A slot of class k (hm_slot_class_aligned) for req bytes from the calling
 * thread's magazine (quarantine.c), or NULL (no cache, or out of memory). */
void *hm_slot_alloc(size_t req, unsigned k, const void *caller);
/* The same on the fast path: the top slot of the thread's magazine, or NULL
 * (nothing changed) when that needs more (no cache or magazine, an empty
 * one, a slot that fails its checks): hm_slot_alloc does the rest. */
void *hm_slot_try_alloc(size_t req);
/* Queue slot p of s, just freed (held and poisoned). */
void hm_quarantine_put_slot(hm_slab_t *s, void *p);
/* The same on the fast path: false (nothing changed) when that needs more
 * than a store into the class's fill magazine. */
bool hm_quarantine_try_put_slot(hm_slab_t *s, void *p);

/* ---- large blocks (large.c) ---- */
void *hm_large_alloc(size_t size, size_t align);
/* Is p a live large block?  *req gets its requested size. */
bool hm_large_find(const void *p, size_t *req);
/* Free a large block.  Returns 0, or 1 when p is not a large block at all
 * (the caller goes on classifying it); reports double frees and overflows. */
int hm_large_free(void *p, const char *op, const void *caller);
void hm_large_lock(void);
void hm_large_unlock(void);
/* A stretch of memory [lo, hi). */
typedef struct hm_range {
    uintptr_t lo, hi;
} hm_range_t;
/* large.c's own tables, which hold the addresses of large blocks (live and
 * recently freed): the leak scan must not count them as pointers. */
void hm_large_tables(hm_range_t r[2]);
/* Visit every live large block (leaks). */
void hm_large_each(void (*fn)(const void *p, size_t req, void *ctx), void *ctx);

/* ---- quarantine and reuse cache, one per thread (quarantine.c) ---- */
void hm_quarantine_init(void);
/* Queue p, just held in h (mem_heap_hold) with req requested bytes; blocks
 * pushed out move to the reuse bins or back to their heap. */
void hm_quarantine_put(mem_heap_t *h, void *p, size_t req);
/* A binned block of the size class of a request of req bytes with room for
 * at least *room bytes (a realloc that grows asks for more), aligned to
 * align (a power of two), already unheld (verified, re-keyed for req), or
 * NULL.  Either way *room gets the room to allocate for the request if a
 * new block must be carved: the class's size, so that the block can be
 * binned when freed and reused for any request of its class.  An aligned
 * request's class is at least its alignment long (quarantine.c). */
void *hm_recycle_take(size_t req, size_t align, size_t *room);
/* The calling thread took `bytes` more block bytes from a heap (a block
 * carved for it, or one grown in place): counted as live (the bins' limit
 * follows the live blocks; quarantine.c bin_limit). */
void hm_quarantine_count_new(size_t bytes);
/* Call fn with an address in the stack of every other thread that has a
 * cache (one that allocated a slot or freed a block) and has not ended:
 * the leak check scans those stacks (reach.c). */
void hm_quarantine_each_thread(void (*fn)(uintptr_t stack_at, void *ctx), void *ctx);
/* Release every block the calling thread's cache holds (exit, leak check). */
void hm_quarantine_drain(void);
/* The list of spare caches' lock (fork). */
void hm_quarantine_lock(void);
void hm_quarantine_unlock(void);

/* ---- stacks (stacks.c) ---- */
enum { HM_FRAMES = 6 };
void hm_stack_alloc(const void *p, const void *caller);
void hm_stack_free(const void *p, const void *caller);
/* Fill up to HM_FRAMES addresses of p's allocation / free; returns counts. */
int hm_stack_get(const void *p, const void **alloc, int *nalloc, const void **freed, int *nfree);
void hm_stacks_lock(void);
void hm_stacks_unlock(void);

/* ---- statistics (stats.c) and leaks (leaks.c) ---- */
void hm_stat_alloc(size_t req);
void hm_stat_free(size_t req);
void hm_stat_error(void);
unsigned long hm_error_count(void);
size_t hm_stat_live(void);
/* Print the summary (and, with leaks=1, the leak report); *leak_count gets
 * the number of leaked blocks. */
void hm_summary(size_t *leak_count);
/* Report the live blocks no pointer leads to (leaks.c); returns how many
 * bytes leak, *count how many blocks. */
size_t hm_leaks_report(size_t *count);
/* Sort n records of `size` bytes (a multiple of 8) by the address at byte
 * offset `key` of each, in place and without allocating (sort.c). */
void hm_sort_by_address(void *records, size_t n, size_t size, size_t key);
/* A block live at exit, for reach.c. */
typedef struct hm_live {
    uintptr_t start; /* payload */
    size_t req;      /* requested bytes */
    bool reached;
} hm_live_t;
/* Mark the blocks of v (n of them, sorted by start) that the program can
 * still reach from its roots: every loaded object's writable segments, the
 * threads' stacks, the calling thread's TLS (reach.c); work has room for n
 * indices. */
void hm_reach_mark(hm_live_t *v, size_t n, uint32_t *work);

/* ---- allocation traces (trace.c; trace=PATH) ---- */
/* hm_gate (api.c) is zero when malloc and free may take the slot fast path
 * (api.c alloc_impl, free_impl).  HM_GATE_SLOW: until init finds nothing to
 * do per call beyond a slot's own checks (no fill, counters, call stacks);
 * set for good otherwise.  HM_GATE_TRACE: while the glibc names must divert
 * to hm_trace_* (interpose.c): while tracing, and until the first call
 * finds tracing off (trace.c). */
enum { HM_GATE_SLOW = 1, HM_GATE_TRACE = 2 };
extern unsigned hm_gate;
/* malloc and free on the slot fast path when hm_gate is zero (api.c):
 * NULL or false when the call is not one for it (hm_gate set, a size or
 * pointer that is no slot's) or needs more than it does, with nothing
 * changed; the caller goes on to hm_malloc_at / hm_free_at.  A slot that
 * fails its checks on free is reported here. */
void *hm_fast_malloc(size_t size);
bool hm_fast_free(void *p, const void *caller);
/* Is tracing on?  One relaxed load: the wrappers in interpose.c ask it first. */
static inline bool hm_tracing(void)
{
    return __builtin_expect(__atomic_load_n(&hm_gate, __ATOMIC_RELAXED) & HM_GATE_TRACE, 0);
}
static inline void hm_set_tracing(bool on)
{
    if (on)
        __atomic_fetch_or(&hm_gate, HM_GATE_TRACE, __ATOMIC_RELAXED);
    else
        __atomic_fetch_and(&hm_gate, ~(unsigned)HM_GATE_TRACE, __ATOMIC_RELAXED);
}
/* Start tracing into the path [path, path+n) (options.c); false when the
 * file cannot be opened.  hm_trace_stop flushes and closes (tests). */
bool hm_trace_open(const char *path, size_t n);
void hm_trace_stop(void);
/* The hm_*_at entry points, recorded. */
void *hm_trace_malloc(size_t n, const void *caller);
void *hm_trace_calloc(size_t n, size_t m, const void *caller);
void *hm_trace_realloc(void *p, size_t n, const void *caller);
void *hm_trace_reallocarray(void *p, size_t n, size_t m, const void *caller);
void *hm_trace_memalign(size_t a, size_t n, const void *caller);
int hm_trace_posix_memalign(void **out, size_t a, size_t n, const void *caller);
void *hm_trace_valloc(size_t n, const void *caller);
void *hm_trace_pvalloc(size_t n, const void *caller);
void hm_trace_free(void *p, const void *caller);

#endif /* HARDMEM_HARDMEM_H */
