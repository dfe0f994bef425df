/*
 * osmem.c - API 4 (os_malloc / os_calloc / os_realloc / os_free) over a list
 * of hardmem region heaps.
 *
 * REGIONS.  Every region is one heap from mem_heap_create:
 *   arena   OSMEM_ARENA_SIZE bytes for requests below MMAP_THRESHOLD, kept
 *           for the life of the process;
 *   mapped  one request of MMAP_THRESHOLD bytes or more, destroyed (so
 *           unmapped) when that block is freed.
 * A region's list node is the first block allocated in its own heap, so the
 * list needs no memory of its own and no global array.
 *
 * INVARIANTS
 *   O1  Every live block handed out lies in exactly one listed region.
 *   O2  A mapped region holds its node and at most one other block; when that
 *       block is freed the region is unlinked and destroyed.
 *   O3  A block of at least MMAP_THRESHOLD bytes is in a mapped region and a
 *       smaller one in an arena (os_realloc moves a block that crosses).
 * Ownership is found by address (mem_heap_base <= p < mem_heap_end), so a
 * pointer outside every region is never dereferenced; inside a region the
 * core validates it (wild, interior, double free, overwritten slack).
 *
 * LOCKING.  One mutex guards the list and is held for a whole call; each heap
 * also takes its own lock inside the core.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "../../mem.h"
#include "osmem.h"

typedef struct region {
    struct region *next;
    mem_heap_t *heap;
    int mapped;
} region_t;

/* Room for the node's block and the payload's block on top of the payload. */
enum { REGION_OVERHEAD = 2 * MEM_MIN_BLOCK + MEM_HEADER + MEM_ALIGN };

static region_t *regions;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Map a region able to hold `bytes` and link it first; NULL if mapping fails. */
static region_t *region_new(size_t bytes, int mapped)
{
    mem_heap_t *h = mem_heap_create(bytes);
    region_t *r = h ? mem_heap_alloc(h, sizeof *r, MEM_FIRST_FIT) : NULL;
    if (!r) {
        if (h)
            mem_heap_destroy(h);
        return NULL;
    }
    *r = (region_t){ .next = regions, .heap = h, .mapped = mapped };
    regions = r;
    return r;
}

/* The link that points at the region owning p, or NULL (O1).  A region's
 * own node is a live block of its heap but was never handed out: a pointer
 * to it is owned by nobody, so no call can free it. */
static region_t **owner(const void *p)
{
    for (region_t **link = &regions; *link; link = &(*link)->next) {
        mem_heap_t *h = (*link)->heap;
        if ((const char *)p >= (char *)mem_heap_base(h) && (const char *)p < (char *)mem_heap_end(h))
            return p == (const void *)*link ? NULL : link;
    }
    return NULL;
}

static void *take(mem_heap_t *h, size_t size, int zero)
{
    return zero ? mem_heap_calloc(h, 1, size) : mem_heap_alloc(h, size, MEM_FIRST_FIT);
}

/* Allocate with the list locked: an arena, a new arena, or a mapping (O3). */
static void *alloc_locked(size_t size, int zero)
{
    if (size < MMAP_THRESHOLD) {
        for (region_t *r = regions; r; r = r->next) {
            void *p = r->mapped ? NULL : take(r->heap, size, zero);
            if (p)
                return p;
        }
    }
    int mapped = size >= MMAP_THRESHOLD;
    if (mapped && size > SIZE_MAX - REGION_OVERHEAD)
        return NULL;
    region_t *r = region_new(mapped ? size + REGION_OVERHEAD : OSMEM_ARENA_SIZE, mapped);
    void *p = r ? take(r->heap, size, zero) : NULL;
    if (r && !p && mapped) { /* cannot happen: the mapping was sized for it */
        regions = r->next;
        mem_heap_destroy(r->heap);
    }
    return p;
}

/* Free with the list locked; 0 or -1 when p is not a live block (O2). */
static int free_locked(void *p)
{
    region_t **link = owner(p);
    if (!link || mem_heap_free((*link)->heap, p) != MEM_OK)
        return -1;
    region_t *r = *link;
    if (r->mapped) {
        *link = r->next;
        mem_heap_destroy(r->heap); /* r itself lives in this heap */
    }
    return 0;
}

static void *alloc_api(size_t size, int zero)
{
    if (size == 0)
        return NULL;
    pthread_mutex_lock(&lock);
    void *p = alloc_locked(size, zero);
    pthread_mutex_unlock(&lock);
    if (!p)
        errno = ENOMEM;
    return p;
}

void *os_malloc(size_t size) { return alloc_api(size, 0); }

void *os_calloc(size_t nmemb, size_t size)
{
    if (nmemb && size > SIZE_MAX / nmemb) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_api(nmemb * size, 1);
}

void os_free(void *ptr)
{
    if (!ptr)
        return;
    pthread_mutex_lock(&lock);
    free_locked(ptr);
    pthread_mutex_unlock(&lock);
}

void *os_realloc(void *ptr, size_t size)
{
    if (!ptr)
        return os_malloc(size);
    if (size == 0) {
        os_free(ptr);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    void *q = NULL;
    int err = EINVAL;
    region_t **link = owner(ptr);
    mem_heap_t *h = link ? (*link)->heap : NULL;
    size_t old = h ? mem_heap_usable_size(h, ptr) : 0; /* 0: not a live block */
    if (old && (*link)->mapped == (size >= MMAP_THRESHOLD)) {
        q = mem_heap_realloc(h, ptr, size); /* in place when it can */
        err = ENOMEM;
    }
    if (old && !q) { /* another region: move the contents */
        err = ENOMEM;
        if ((q = alloc_locked(size, 0))) {
            memcpy(q, ptr, old < size ? old : size);
            free_locked(ptr);
        }
    }
    pthread_mutex_unlock(&lock);
    if (!q)
        errno = err;
    return q;
}
