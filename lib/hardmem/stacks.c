/*
 * stacks.c - where a block was allocated and freed (stacks=1).
 *
 * A side table maps a block's address to up to HM_FRAMES return addresses
 * of its allocation and of its free.  It is one mapping, made on first use,
 * of TABLE entries with linear probing; entries are overwritten when their
 * address is handed out again and never deleted, so a double free after the
 * block was released still finds who freed it first.  When a probe runs
 * longer than PROBE the record is dropped (the report then has no stack):
 * the table never grows and never allocates.
 *
 * Frames come from the frame-pointer chain, walked only while each frame
 * lies above the previous one and within WINDOW bytes of the first, so a
 * binary built without frame pointers yields a short stack, not a crash.
 * The first frame is always the exact caller (__builtin_return_address(0)
 * of the malloc entry point, passed in).
 */
#include <string.h>
#include <sys/mman.h>

#include "hardmem.h"

enum {
    TABLE = 1 << 20,
    PROBE = 64,
    WINDOW = 1 << 20,
};

typedef struct rec {
    const void *p;
    const void *alloc[HM_FRAMES];
    const void *freed[HM_FRAMES];
} rec_t;

static rec_t *table;
static pthread_mutex_t stacks_lock = PTHREAD_MUTEX_INITIALIZER;

void hm_stacks_lock(void) { pthread_mutex_lock(&stacks_lock); }
void hm_stacks_unlock(void) { pthread_mutex_unlock(&stacks_lock); }

static unsigned home(const void *p) { return (unsigned)((((uint64_t)(uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL) >> 44) & (TABLE - 1); }

/* The entry for p (created when `create`), or NULL.  Lock held. */
static rec_t *slot(const void *p, bool create)
{
    if (!table) {
        if (!create)
            return NULL;
        void *m = mmap(NULL, sizeof(rec_t) * TABLE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (m == MAP_FAILED)
            return NULL;
        table = m;
    }
    unsigned i = home(p);
    for (int k = 0; k < PROBE; k++, i = (i + 1) & (TABLE - 1)) {
        if (table[i].p == p)
            return &table[i];
        if (!table[i].p) {
            if (!create)
                return NULL;
            memset(&table[i], 0, sizeof table[i]);
            table[i].p = p;
            return &table[i];
        }
    }
    return NULL;
}

__attribute__((noinline)) static void walk(const void **out, const void *caller)
{
    memset(out, 0, sizeof(void *) * HM_FRAMES);
    out[0] = caller;
    /* frame of this function -> our caller's frames inside hardmem ->
     * eventually the application's.  Skip frames until the caller shows up. */
    const uintptr_t *fp = __builtin_frame_address(0);
    uintptr_t lo = (uintptr_t)fp, hi = lo + WINDOW;
    int n = 1, found = 0;
    for (int guard = 0; guard < 32 && n < HM_FRAMES; guard++) {
        if ((uintptr_t)fp < lo || (uintptr_t)fp >= hi || ((uintptr_t)fp & 7))
            break;
        const uintptr_t *next = (const uintptr_t *)fp[0];
        const void *ret = (const void *)fp[1];
        if (!ret)
            break;
        if (found)
            out[n++] = ret;
        else if (ret == caller)
            found = 1;
        if (next <= fp)
            break;
        fp = next;
    }
}

void hm_stack_alloc(const void *p, const void *caller)
{
    const void *pcs[HM_FRAMES];
    walk(pcs, caller);
    pthread_mutex_lock(&stacks_lock);
    rec_t *r = slot(p, true);
    if (r) {
        memcpy(r->alloc, pcs, sizeof pcs);
        memset(r->freed, 0, sizeof r->freed);
    }
    pthread_mutex_unlock(&stacks_lock);
}

void hm_stack_free(const void *p, const void *caller)
{
    const void *pcs[HM_FRAMES];
    walk(pcs, caller);
    pthread_mutex_lock(&stacks_lock);
    rec_t *r = slot(p, true);
    if (r)
        memcpy(r->freed, pcs, sizeof pcs);
    pthread_mutex_unlock(&stacks_lock);
}

static int count(const void *const *pcs)
{
    int n = 0;
    while (n < HM_FRAMES && pcs[n])
        n++;
    return n;
}

int hm_stack_get(const void *p, const void **alloc, int *nalloc, const void **freed, int *nfree)
{
    int ok = 0;
    if (pthread_mutex_trylock(&stacks_lock))
        return 0; /* a report from inside a stack record: give up on stacks */
    rec_t *r = slot(p, false);
    if (r) {
        memcpy(alloc, r->alloc, sizeof r->alloc);
        memcpy(freed, r->freed, sizeof r->freed);
        *nalloc = count(alloc);
        *nfree = count(freed);
        ok = 1;
    }
    pthread_mutex_unlock(&stacks_lock);
    return ok;
}
