/*
 * api.c - the default heap: the plain mem_* functions over one process-wide
 * heap.  The pointer to it is the library's only global state; it is read
 * with acquire and written with release ordering, and creation and
 * destruction are serialised by one mutex.
 */
#include <pthread.h>
#include <stdio.h>

#include "heap.h"

static mem_heap_t *default_heap;
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

mem_heap_t *mem_default_heap(void) { return __atomic_load_n(&default_heap, __ATOMIC_ACQUIRE); }

int mem_init(size_t size)
{
    int err = MEM_OK;
    pthread_mutex_lock(&default_lock);
    if (default_heap || size == 0) {
        err = E_BAD_ARGS;
    } else {
        mem_heap_t *h = mem_heap_create(size);
        if (h)
            __atomic_store_n(&default_heap, h, __ATOMIC_RELEASE);
        else
            err = mem_errno();
    }
    pthread_mutex_unlock(&default_lock);
    set_errno(err);
    return err;
}

int mem_destroy(void)
{
    int err = E_NOT_INIT;
    pthread_mutex_lock(&default_lock);
    if (default_heap) {
        err = mem_heap_destroy(default_heap);
        __atomic_store_n(&default_heap, NULL, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&default_lock);
    set_errno(err);
    return err;
}

/* The default heap, or NULL with E_NOT_INIT. */
static mem_heap_t *dh(void)
{
    mem_heap_t *h = mem_default_heap();
    if (!h)
        set_errno(E_NOT_INIT);
    return h;
}

void *mem_alloc(size_t size, int style)
{
    mem_heap_t *h = dh();
    return h ? mem_heap_alloc(h, size, style) : NULL;
}

void *mem_calloc(size_t n, size_t size)
{
    mem_heap_t *h = dh();
    return h ? mem_heap_calloc(h, n, size) : NULL;
}

void *mem_realloc(void *p, size_t size)
{
    mem_heap_t *h = dh();
    return h ? mem_heap_realloc(h, p, size) : NULL;
}

void *mem_aligned_alloc(size_t alignment, size_t size, int style)
{
    mem_heap_t *h = dh();
    return h ? mem_heap_aligned_alloc(h, alignment, size, style) : NULL;
}

size_t mem_usable_size(const void *p)
{
    mem_heap_t *h = dh();
    return h ? mem_heap_usable_size(h, p) : 0;
}

int mem_free(void *p)
{
    if (!p) {
        set_errno(MEM_OK);
        return MEM_OK;
    }
    mem_heap_t *h = dh();
    return h ? mem_heap_free(h, p) : E_NOT_INIT;
}

int mem_check(void)
{
    mem_heap_t *h = dh();
    return h ? mem_heap_check(h) : E_NOT_INIT;
}

void mem_dump(void)
{
    mem_heap_t *h = dh();
    if (!h)
        return;
    fflush(stdout); /* keep the caller's buffered output in order */
    mem_heap_dump(h, 1);
}

int mem_stats(mem_stats_t *out)
{
    mem_heap_t *h = dh();
    return h ? mem_heap_stats(h, out) : E_NOT_INIT;
}
