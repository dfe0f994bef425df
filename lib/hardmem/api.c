/*
 * api.c - the hm_* entry points: glibc's allocation semantics on top of the
 * three back ends, and the routing of every pointer to its owner.
 *
 * ROUTING
 *   slot    size <= HM_SLOT_MAX and alignment up to HM_SLOT_ALIGN_MAX (in a
 *           class that large), unless check=full: a slot of a slab
 *           (slab.c), freed and reused without a lock; the slab map tells
 *           a slot's pointer from others.
 *   small   size < large threshold: a region heap of the caller's arena
 *           (regions.c); freed blocks go through the quarantine.
 *   large   its own mapping with a guard page (large.c).
 *   foreign neither: a pointer hardmem never handed out (stack, global,
 *           wild, another allocator's).  Reported, or left alone with
 *           foreign=ignore.
 * A small pointer is classified by the core before anything is written:
 * mem_heap_usable_size() validates that it is a live block start, its header
 * canary and its slack, and names what is wrong otherwise.
 *
 * GLIBC SEMANTICS (2.36, the version these tests compare against)
 *   malloc(0) returns a unique pointer (a 1-byte block here);
 *   sizes above PTRDIFF_MAX and calloc/reallocarray overflow fail with
 *   ENOMEM; realloc(p, 0) frees p and returns NULL; realloc failure leaves p
 *   alive; posix_memalign returns EINVAL for an alignment that is not a power
 *   of two multiple of sizeof(void *) and leaves errno alone; memalign and
 *   aligned_alloc round a non-power-of-two alignment up and fail with EINVAL
 *   above SIZE_MAX/2+1; valloc/pvalloc align to the page (pvalloc rounds the
 *   size up to whole pages; pvalloc(0) is a minimal block, as in glibc); free preserves errno; every block
 *   is 16-byte aligned and every block, aligned or not, is freed with free.
 *
 * For blocks, the hot paths make one core call each, under the heap's
 * lock: free holds the block (mem_heap_hold: pointer, header, slack and
 * next header checked, payload poisoned) for the thread's quarantine;
 * malloc takes a block of its size class from the thread's bins
 * (mem_heap_unhold: poison and slack verified) or carves one
 * (mem_heap_alloc_room); realloc within the block only changes its
 * requested size (mem_heap_set_size).  Slots make the same checks in
 * slab.c, with atomic operations on the slot's header instead of a lock.
 *
 * INITIALISATION
 * The first call parses HARDMEM_OPTIONS (getenv) and sets up locks; it makes
 * no allocation, no dlsym and no stdio call, so it cannot recurse.  Another
 * thread arriving meanwhile waits on a spin.  pthread_atfork handlers are
 * registered after the state says "ready" (registering may allocate, which
 * then simply works).  At fork every lock is taken in the documented order
 * (hardmem.h) and released in both processes, so the child inherits
 * consistent heaps.
 */
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hardmem.h"


static int init_state; /* 0 never, 1 running, 2 ready */
bool hm_slots;
/* HM_GATE_SLOW is cleared once, at init, when slots are on and there is
 * nothing to do per call beyond a slot's own checks (no fill, counters,
 * call stacks): malloc and free of a slot then go straight to the thread's
 * magazines (alloc_impl, free_impl).  Tracing starts on (trace.c). */
unsigned hm_gate = HM_GATE_SLOW | HM_GATE_TRACE;
static unsigned forked_heaps;

/* ---------------- fork ---------------- */

static void fork_prepare(void)
{
    hm_slab_create_lock();
    hm_regions_lock();
    hm_quarantine_lock();
    hm_large_lock();
    forked_heaps = hm_heap_count();
    for (unsigned i = 0; i < forked_heaps; i++)
        heap_lock(hm_heap_at(i));
    hm_stacks_lock();
    hm_slabs_lock();
}

static void fork_release(void)
{
    hm_slabs_unlock();
    hm_stacks_unlock();
    for (unsigned i = forked_heaps; i-- > 0;)
        heap_unlock(hm_heap_at(i));
    hm_large_unlock();
    hm_quarantine_unlock();
    hm_regions_unlock();
    hm_slab_create_unlock();
}

static void hm_init(void)
{
    int expect = 0;
    if (!__atomic_compare_exchange_n(&init_state, &expect, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2)
            sched_yield();
        return;
    }
    hm_options_init();
    hm_quarantine_init();
    hm_slabs_init();
    /* check=full wants every block in the core, which validates it at
     * every call.  With quarantine_kb=0 slots stay: a freed slot then waits
     * only until its magazine is full (quarantine.c SLOTS). */
    hm_slots = !hm_opt.check_full;
    bool fast = hm_slots && hm_opt.fill < 0 && !hm_opt.summary && !hm_opt.leaks && !hm_opt.stacks &&
                hm_opt.large_threshold > HM_SLOT_MAX;
    __atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
    if (fast)
        __atomic_fetch_and(&hm_gate, ~(unsigned)HM_GATE_SLOW, __ATOMIC_RELEASE);
    pthread_atfork(fork_prepare, fork_release, fork_release);
}

void hm_ensure_init(void)
{
    if (__builtin_expect(__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2, 0))
        hm_init();
}

/* Also initialise at load time, so that the exit summary appears even for a
 * program that never allocates. */
__attribute__((constructor)) static void hm_load(void) { hm_ensure_init(); }

__attribute__((destructor)) static void hm_fini(void)
{
    if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2)
        return;
    size_t count = 0;
    /* Verify every block still in this thread's quarantine (writes after free). */
    hm_quarantine_drain();
    if (hm_opt.summary)
        hm_summary(&count);
    else if (hm_opt.leaks)
        hm_leaks_report(&count);
    if (count && hm_opt.on_error == HM_ABORT) {
        fflush(NULL);
        _exit(23);
    }
}

/* ---------------- errors for pointers outside every heap ---------------- */

static void bad(hm_kind_t kind, const char *op, const void *p, const char *detail, const void *caller)
{
    hm_error_t e = { .kind = kind, .op = op, .addr = p, .block = NULL, .requested = (size_t)-1,
                     .usable = (size_t)-1, .bad_off = -1, .detail = detail, .caller = caller };
    if (kind == HM_DOUBLE_FREE)
        e.block = p;
    hm_fatal(&e);
}

static void foreign(const char *op, const void *p, const void *caller)
{
    if (!hm_opt.foreign_ignore)
        bad(HM_FOREIGN_POINTER, op, p, "the address is in no hardmem heap or large block", caller);
}

/* ---------------- allocation ---------------- */

static inline bool fast(void)
{
    return __builtin_expect(!(__atomic_load_n(&hm_gate, __ATOMIC_ACQUIRE) & HM_GATE_SLOW), 1);
}

/* alloc_impl() for all but a slot on the fast path; the block has room for
 * at least `room` bytes (>= size; more for a realloc that grows). */
static __attribute__((noinline)) void *alloc_slow(size_t size, size_t room, size_t align, bool zero,
                                                  const void *caller)
{
    hm_ensure_init();
    if (size == 0)
        size = 1;
    if (room < size)
        room = size;
    if (size > PTRDIFF_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = NULL;
    unsigned k = 0;
    if (hm_slots && size < hm_opt.large_threshold && (k = hm_slot_class_aligned(room, align)) &&
        (p = hm_slot_alloc(size, k, caller))) {
        if (zero)
            memset(p, 0, size);
    } else if (size >= hm_opt.large_threshold || align > 4096) {
        p = hm_large_alloc(size, align);
    } else {
        if (!hm_opt.check_full && hm_opt.quarantine_bytes)
            p = hm_recycle_take(size, align, &room);
        if (!p && (p = hm_small_alloc(size, room, align, caller)) && hm_opt.quarantine_bytes)
            hm_quarantine_count_new(gbytes(hm_block_granules(p)));
        if (!p)
            errno = ENOMEM;
        else if (zero)
            memset(p, 0, size);
    }
    if (!p)
        return NULL;
    if (hm_opt.fill >= 0 && !zero)
        memset(p, hm_opt.fill, size);
    hm_stat_alloc(size);
    if (hm_opt.stacks)
        hm_stack_alloc(p, caller);
    return p;
}

/* Allocate size bytes aligned to align (a power of two >= 16).  The fast
 * path calls nothing: whatever it cannot do (an empty magazine, a slot that
 * fails its checks) alloc_slow does again from the start, so malloc saves
 * no registers. */
static inline void *alloc_impl(size_t size, size_t align, bool zero, const void *caller)
{
    if (fast() && size - 1 < HM_SLOT_MAX && align <= MEM_ALIGN) {
        void *p = hm_slot_try_alloc(size);
        if (__builtin_expect(p != NULL, 1))
            return zero ? memset(p, 0, size) : p;
    }
    return alloc_slow(size, size, align, zero, caller);
}

void *hm_malloc_at(size_t size, const void *caller) { return alloc_impl(size, MEM_ALIGN, false, caller); }

/* always_inline: LTO puts it into malloc() (interpose.c). */
__attribute__((always_inline)) inline void *hm_fast_malloc(size_t size)
{
    if (__builtin_expect(__atomic_load_n(&hm_gate, __ATOMIC_ACQUIRE) == 0, 1) && size - 1 < HM_SLOT_MAX)
        return hm_slot_try_alloc(size);
    return NULL;
}

void *hm_calloc_at(size_t n, size_t size, const void *caller)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_impl(total, MEM_ALIGN, true, caller);
}

/* glibc's _mid_memalign: small alignments relay to malloc, others are
 * rounded up to a power of two, huge ones are EINVAL. */
void *hm_memalign_at(size_t align, size_t size, const void *caller)
{
    if (align <= MEM_ALIGN)
        return alloc_impl(size, MEM_ALIGN, false, caller);
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align & (align - 1)) {
        size_t a = MEM_ALIGN;
        while (a < align)
            a <<= 1;
        align = a;
    }
    return alloc_impl(size, align, false, caller);
}

int hm_posix_memalign_at(void **out, size_t align, size_t size, const void *caller)
{
    if (align % sizeof(void *) || (align & (align - 1)) || align == 0)
        return EINVAL;
    int saved = errno;
    void *p = alloc_impl(size, align < MEM_ALIGN ? MEM_ALIGN : align, false, caller);
    errno = saved;
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *hm_valloc_at(size_t size, const void *caller)
{
    return hm_memalign_at((size_t)sysconf(_SC_PAGESIZE), size, caller);
}

void *hm_pvalloc_at(size_t size, const void *caller)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (size > SIZE_MAX - 2 * page) {
        errno = ENOMEM;
        return NULL;
    }
    return hm_memalign_at(page, (size + page - 1) & ~(page - 1), caller);
}

/* ---------------- free ---------------- */

/* Report a linear overflow from p's block into the next header (found by
 * mem_heap_hold / mem_heap_free as E_CORRUPT_BLOCK with the report at the
 * next block), naming p's block, its sizes and the next header's bytes. */
static void overflow_next(mem_heap_t *h, void *p, const char *op, const void *caller)
{
    mem_report_t r;
    mem_heap_last_report(h, &r);
    const block_hdr_t *b = (const block_hdr_t *)((unsigned char *)p - MEM_HEADER);
    size_t usable = gbytes(b->size) - HDR_BYTES;
    hm_error_t e = { .kind = HM_OVERFLOW_NEXT, .op = op, .addr = p, .block = p, .requested = usable - b->slack,
                     .usable = usable, .bad_off = (long long)usable, .expected = r.expected, .found = r.found,
                     .detail = r.what, .caller = caller };
    hm_fatal(&e);
}

/* Is the core's last report (code E_CORRUPT_BLOCK) about the header after
 * p's block rather than p's own? */
static bool blames_next(mem_heap_t *h, const void *p)
{
    mem_report_t r;
    mem_heap_last_report(h, &r);
    long long own = (long long)((const unsigned char *)p - MEM_HEADER - (const unsigned char *)mem_heap_base(h));
    return r.code == E_CORRUPT_BLOCK && r.offset > own;
}

static void small_free(mem_heap_t *h, void *p, const char *op, const void *caller)
{
    size_t req = 0;
    int code;
    if (!hm_opt.quarantine_bytes) {
        req = mem_heap_usable_size(h, p);
        code = req ? mem_heap_free(h, p) : mem_errno();
    } else {
        code = mem_heap_hold(h, p, &req);
        if (!code) { /* a valid free: only now is its call stack recorded */
            if (hm_opt.stacks)
                hm_stack_free(p, caller);
            hm_stat_free(req);
            hm_quarantine_put(h, p, req);
            return;
        }
    }
    if (!code) {
        hm_heap_gave_back(h);
        if (hm_opt.stacks)
            hm_stack_free(p, caller);
        hm_stat_free(req);
    } else if (code == E_CORRUPT_BLOCK && blames_next(h, p)) {
        overflow_next(h, p, op, caller);
    } else {
        if (req) /* the block validated, releasing it failed: the heap is damaged */
            hm_heap_retire(h);
        hm_core_error(h, code, op, p, caller);
    }
}

/* free of slot p in slab s: as small_free, without the heap. */
static void slot_free(hm_slab_t *s, void *p, const char *op, const void *caller)
{
    size_t req;
    if (!hm_slot_free(s, p, &req, op, caller))
        return;
    if (hm_opt.stacks)
        hm_stack_free(p, caller);
    hm_stat_free(req);
    hm_quarantine_put_slot(s, p);
}

/* free_impl() for all but a slot on the fast path. */
static __attribute__((noinline)) void free_slow(void *p, const char *op, const void *caller)
{
    if (!p)
        return;
    int saved = errno;
    hm_ensure_init();
    hm_slab_t *s = hm_slab_of(p);
    mem_heap_t *h = s ? NULL : hm_heap_of(p);
    if (s)
        slot_free(s, p, op, caller);
    else if (h)
        small_free(h, p, op, caller);
    else if (hm_large_free(p, op, caller) == 1)
        foreign(op, p, caller);
    errno = saved;
}

/* The rest of a slot's free that hm_slot_try_free or
 * hm_quarantine_try_put_slot could not do. */
static __attribute__((noinline)) void free_slot_rest(hm_slab_t *s, void *p, hm_slot_freed_t r, const char *op,
                                                     const void *caller)
{
    size_t req;
    if (r == HM_SLOT_UNCHANGED) { /* again from the start, reporting what fails */
        if (hm_slot_free(s, p, &req, op, caller))
            hm_quarantine_put_slot(s, p);
    } else if (r == HM_SLOT_FREED) {
        hm_quarantine_put_slot(s, p);
    } else {
        hm_slot_free_failed(s, p, r, op, caller);
    }
}

/* free of slot p of s on the fast path.  A slot's free touches errno only
 * where it reports (hm_fatal) or maps memory (pool_take, first_cache), and
 * those keep it.  As in alloc_impl, the fast path calls nothing: every way
 * out is a return or a tail call. */
static inline __attribute__((always_inline)) void slot_free_fast(hm_slab_t *s, void *p, const char *op,
                                                                 const void *caller)
{
    hm_slot_freed_t r = hm_slot_try_free(s, p);
    if (__builtin_expect(r == HM_SLOT_FREED, 1) && __builtin_expect(hm_quarantine_try_put_slot(s, p), 1))
        return;
    free_slot_rest(s, p, r, op, caller);
}

static inline void free_impl(void *p, const char *op, const void *caller)
{
    hm_slab_t *s;
    if (fast() && (s = hm_slab_of(p)) != NULL)
        slot_free_fast(s, p, op, caller);
    else
        free_slow(p, op, caller);
}

void hm_free_at(void *p, const void *caller) { free_impl(p, "free", caller); }

/* always_inline: LTO puts it into free() (interpose.c). */
__attribute__((always_inline)) inline bool hm_fast_free(void *p, const void *caller)
{
    hm_slab_t *s;
    if (__builtin_expect(__atomic_load_n(&hm_gate, __ATOMIC_ACQUIRE) != 0, 0) || !(s = hm_slab_of(p)))
        return false;
    slot_free_fast(s, p, "free", caller);
    return true;
}

/* ---------------- size queries ---------------- */

/* The requested size of a live block, or 0 after reporting. */
static size_t size_of(void *p, const char *op, const void *caller, mem_heap_t **hp, hm_slab_t **sp)
{
    hm_slab_t *s = hm_slab_of(p);
    *sp = s;
    *hp = NULL;
    if (s)
        return hm_slot_size(s, p, op, caller);
    mem_heap_t *h = hm_heap_of(p);
    *hp = h;
    if (h) {
        size_t n = mem_heap_usable_size(h, p);
        if (n)
            return n;
        if (mem_errno() == E_DOUBLE_FREE) /* held in the quarantine, or free */
            bad(HM_INVALID_POINTER, op, p, "block was freed (not the start of a live block)", caller);
        else
            hm_core_error(h, mem_errno(), op, p, caller);
        return 0;
    }
    size_t n;
    if (hm_large_find(p, &n))
        return n;
    bad(HM_FOREIGN_POINTER, op, p, "the address is in no hardmem heap or large block", caller);
    return 0;
}

size_t hm_usable_size_at(void *p, const void *caller)
{
    if (!p)
        return 0;
    hm_ensure_init();
    mem_heap_t *h;
    hm_slab_t *s;
    return size_of(p, "malloc_usable_size", caller, &h, &s);
}

/* ---------------- realloc ---------------- */

/* The room a realloc that grows a block to size bytes asks for: the block
 * size (header included) rounded up to the next of 2^n and 1.5 * 2^n
 * granules, both of them size classes.  A buffer grown step by step then
 * moves through two classes per doubling instead of every one (slots are
 * 16 bytes apart), and its next steps are in place.  The requested size
 * stays size, so an overflow past it is caught as before.  (realloc: 0.9
 * MB less peak RSS, and faster.) */
static size_t grown_room(size_t size)
{
    size_t g = (size + HDR_BYTES + GRANULE - 1) / GRANULE, b = 2;
    while (2 * b <= g)
        b *= 2; /* b <= g < 2b */
    size_t cg = g == b ? b : g <= b + b / 2 ? b + b / 2 : 2 * b;
    return cg * GRANULE - HDR_BYTES;
}

/* Resize region block p of h to size bytes without moving it: when it has
 * room and would not be more than half empty, only the requested size (and
 * so the slack) changes; when it must grow and the block after it is free,
 * it absorbs the front of that one (mem_heap_grow, with grown_room's room):
 * no copy, and the free space stays in one piece instead of the old block
 * waiting in the quarantine (realloc: 0.4 MB less peak RSS).  1: resized;
 * 0: it must move; -1: the heap reported an error.  (hm_slot_resize's
 * answers, for slots.) */
static int resize_block(mem_heap_t *h, void *p, size_t size, const void *caller)
{
    uint32_t before = hm_block_granules(p);
    size_t usable = gbytes(before) - HDR_BYTES;
    int code;
    if (hm_realloc_in_place(size, before)) {
        code = mem_heap_set_size(h, p, size);
    } else if (size > usable) {
        code = mem_heap_grow(h, p, grown_room(size), size);
        if (code == E_NO_SPACE)
            return 0;
        if (!code && hm_opt.quarantine_bytes)
            hm_quarantine_count_new(gbytes(hm_block_granules(p) - before));
    } else {
        return 0;
    }
    if (code) {
        hm_core_error(h, code, "realloc", p, caller);
        return -1;
    }
    return 1;
}

void *hm_realloc_at(void *p, size_t size, const void *caller)
{
    if (!p)
        return alloc_impl(size, MEM_ALIGN, false, caller);
    if (size == 0) {
        free_impl(p, "realloc", caller);
        return NULL;
    }
    if (size > PTRDIFF_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    hm_ensure_init();
    mem_heap_t *h;
    hm_slab_t *s;
    size_t old = size_of(p, "realloc", caller, &h, &s);
    if (!old) {
        errno = ENOMEM;
        return NULL;
    }
    int r = s ? hm_slot_resize(s, p, size, caller) : h && size < hm_opt.large_threshold ? resize_block(h, p, size, caller) : 0;
    if (r < 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (r > 0) {
        hm_stat_free(old);
        hm_stat_alloc(size);
        return p;
    }
    if (!s && !h && size == old)
        return p;
    void *q = size > old ? alloc_slow(size, grown_room(size), MEM_ALIGN, false, caller)
                         : alloc_impl(size, MEM_ALIGN, false, caller);
    if (!q)
        return NULL;
    memcpy(q, p, old < size ? old : size);
    free_impl(p, "realloc", caller);
    return q;
}

void *hm_reallocarray_at(void *p, size_t n, size_t size, const void *caller)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return hm_realloc_at(p, total, caller);
}

/* ---------------- the prefixed API (static linking, tests) ---------------- */

#define CALLER __builtin_return_address(0)
void *hm_malloc(size_t n) { return hm_malloc_at(n, CALLER); }
void *hm_calloc(size_t n, size_t m) { return hm_calloc_at(n, m, CALLER); }
void *hm_realloc(void *p, size_t n) { return hm_realloc_at(p, n, CALLER); }
void *hm_reallocarray(void *p, size_t n, size_t m) { return hm_reallocarray_at(p, n, m, CALLER); }
void hm_free(void *p) { hm_free_at(p, CALLER); }
void *hm_memalign(size_t a, size_t n) { return hm_memalign_at(a, n, CALLER); }
void *hm_aligned_alloc(size_t a, size_t n) { return hm_memalign_at(a, n, CALLER); }
int hm_posix_memalign(void **out, size_t a, size_t n) { return hm_posix_memalign_at(out, a, n, CALLER); }
void *hm_valloc(size_t n) { return hm_valloc_at(n, CALLER); }
void *hm_pvalloc(size_t n) { return hm_pvalloc_at(n, CALLER); }
size_t hm_malloc_usable_size(void *p) { return hm_usable_size_at(p, CALLER); }
