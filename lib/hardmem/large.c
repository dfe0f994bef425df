/*
 * large.c - big blocks: one mapping each, ending at a guard page.
 *
 * A request at or above the large threshold (large_kb, 256 KiB by default)
 * gets its own mapping:
 *
 *   [ front gap | payload: requested bytes | tail gap | guard page ]
 *   ^ map        ^ p (aligned)                         PROT_NONE
 *
 * The payload is placed as late as its alignment allows while leaving a tail
 * gap of 1 to 16 bytes for ordinary requests: an overflow by one byte lands in the
 * tail gap (filled with SLACK_BYTE and verified on free) and anything longer
 * faults on the guard page at once.  The front gap is filled and verified the
 * same way, which catches an underflow.
 *
 * The blocks are registered in an open-addressing hash table keyed by the
 * payload address (linear probing, deletion by backward shift, so a lookup
 * never meets a tombstone).  A pointer that is not in the table is never
 * dereferenced.  The last RECENT freed addresses are remembered, so freeing
 * one again is reported as a double free rather than as a wild pointer
 * (until the kernel hands the address out again).
 *
 * INVARIANTS
 *   L1  A live large block is in the table exactly once, keyed by p.
 *   L2  Every byte of [map, p) and [p + req, guard) is SLACK_BYTE while the
 *       block is live (checked by hm_large_free).
 *   L3  The table is never more than 3/4 full (allocation fails instead).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hardmem.h"

enum {
    TABLE = 1 << 16,
    RECENT = 1024,
};

typedef struct large {
    uintptr_t p;   /* payload, 0 = empty slot */
    void *map;
    size_t len;    /* mapping length, guard page included */
    size_t req;
} large_t;

static large_t table[TABLE];
static unsigned live;
static uintptr_t recent[RECENT];
static unsigned recent_next;
static pthread_mutex_t large_lock = PTHREAD_MUTEX_INITIALIZER;

void hm_large_lock(void) { pthread_mutex_lock(&large_lock); }
void hm_large_unlock(void) { pthread_mutex_unlock(&large_lock); }

static size_t page_size(void)
{
    static size_t page;
    size_t v = __atomic_load_n(&page, __ATOMIC_RELAXED);
    if (!v) {
        v = (size_t)sysconf(_SC_PAGESIZE);
        __atomic_store_n(&page, v, __ATOMIC_RELAXED);
    }
    return v;
}

static unsigned slot_of(uintptr_t p)
{
    uint64_t x = (uint64_t)p * 0x9e3779b97f4a7c15ULL;
    return (unsigned)(x >> 48) & (TABLE - 1);
}

/* Index of p's entry, or -1.  Caller holds the lock. */
static int find(uintptr_t p)
{
    for (unsigned i = slot_of(p);; i = (i + 1) & (TABLE - 1)) {
        if (table[i].p == p)
            return (int)i;
        if (!table[i].p)
            return -1;
    }
}

static void erase(unsigned i)
{
    table[i].p = 0;
    /* Backward shift: move later entries of the run into the hole when their
     * home slot does not lie cyclically in (i, j]. */
    for (unsigned j = (i + 1) & (TABLE - 1); table[j].p; j = (j + 1) & (TABLE - 1)) {
        unsigned home = slot_of(table[j].p);
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            table[i] = table[j];
            table[j].p = 0;
            i = j;
        }
    }
    live--;
}

void *hm_large_alloc(size_t size, size_t align)
{
    size_t page = page_size();
    if (align < MEM_ALIGN)
        align = MEM_ALIGN;
    /* align first: PTRDIFF_MAX - align must not wrap (memalign(1 << 63, n)
     * is legal and must fail with ENOMEM, corpus/malloc_fuzz/crash-0a76af82). */
    if (align > PTRDIFF_MAX / 2 || size > PTRDIFF_MAX - align - 2 * page) {
        errno = ENOMEM;
        return NULL;
    }
    size_t data = (size + align + page - 1) & ~(page - 1);
    size_t len = data + page;
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    mprotect(m + data, page, PROT_NONE);
    /* As late as the alignment allows, but leaving at least one byte of tail
     * gap, so that a one-byte overflow is caught as well as a longer one. */
    uintptr_t p = ((uintptr_t)m + data - size - 1) & ~(uintptr_t)(align - 1);
    memset(m, SLACK_BYTE, p - (uintptr_t)m);
    memset((void *)(p + size), SLACK_BYTE, (uintptr_t)m + data - (p + size));
    pthread_mutex_lock(&large_lock);
    if (live >= TABLE / 4 * 3) {
        pthread_mutex_unlock(&large_lock);
        munmap(m, len);
        errno = ENOMEM;
        return NULL;
    }
    unsigned i = slot_of(p);
    while (table[i].p)
        i = (i + 1) & (TABLE - 1);
    table[i] = (large_t){ p, m, len, size };
    live++;
    for (unsigned k = 0; k < RECENT; k++)
        if (recent[k] == p)
            recent[k] = 0;
    pthread_mutex_unlock(&large_lock);
    return (void *)p;
}

bool hm_large_find(const void *p, size_t *req)
{
    pthread_mutex_lock(&large_lock);
    int i = find((uintptr_t)p);
    if (i >= 0)
        *req = table[i].req;
    pthread_mutex_unlock(&large_lock);
    return i >= 0;
}

/* First byte of [a, a+n) that is not SLACK_BYTE, or n. */
static size_t gap_bad(const unsigned char *a, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (a[k] != SLACK_BYTE)
            return k;
    return n;
}

int hm_large_free(void *vp, const char *op, const void *caller)
{
    uintptr_t p = (uintptr_t)vp;
    pthread_mutex_lock(&large_lock);
    int i = find(p);
    if (i < 0) {
        bool again = false;
        for (unsigned k = 0; k < RECENT && !again; k++)
            again = recent[k] == p;
        pthread_mutex_unlock(&large_lock);
        if (!again)
            return 1;
        hm_error_t e = { .kind = HM_DOUBLE_FREE, .op = op, .addr = vp, .block = vp, .requested = (size_t)-1,
                         .usable = (size_t)-1, .bad_off = -1, .detail = "large block already unmapped",
                         .caller = caller };
        hm_fatal(&e);
        return 0;
    }
    large_t b = table[i];
    unsigned char *m = b.map;
    size_t data = b.len - page_size();
    size_t front = p - (uintptr_t)m, tail = (uintptr_t)m + data - (p + b.req);
    size_t bad_front = gap_bad(m, front), bad_tail = gap_bad((unsigned char *)p + b.req, tail);
    if (bad_front != front || bad_tail != tail) {
        pthread_mutex_unlock(&large_lock);
        bool under = bad_front != front;
        const unsigned char *at = under ? m + bad_front : (unsigned char *)p + b.req + bad_tail;
        hm_error_t e = { .kind = under ? HM_UNDERFLOW : HM_OVERFLOW, .op = op, .addr = vp, .block = vp,
                         .requested = b.req, .usable = b.req, .bad_off = (long long)((intptr_t)at - (intptr_t)p),
                         .expected = SLACK_BYTE, .found = *at,
                         .detail = under ? "large block: bytes before the payload overwritten"
                                         : "large block: bytes after the requested size overwritten",
                         .caller = caller };
        hm_fatal(&e);
        return 0; /* report/ignore: the block stays mapped and live */
    }
    erase((unsigned)i);
    recent[recent_next++ % RECENT] = p;
    pthread_mutex_unlock(&large_lock);
    hm_stat_free(b.req);
    munmap(b.map, b.len);
    return 0;
}

void hm_large_tables(hm_range_t r[2])
{
    r[0] = (hm_range_t){ (uintptr_t)table, (uintptr_t)(table + TABLE) };
    r[1] = (hm_range_t){ (uintptr_t)recent, (uintptr_t)(recent + RECENT) };
}

void hm_large_each(void (*fn)(const void *p, size_t req, void *ctx), void *ctx)
{
    pthread_mutex_lock(&large_lock);
    for (unsigned i = 0; i < TABLE; i++)
        if (table[i].p)
            fn((void *)table[i].p, table[i].req, ctx);
    pthread_mutex_unlock(&large_lock);
}
