/*
 * smalloc.c - API 5 (my_init / smalloc / sfree with Malloc_Status) over one
 * explicit hardmem heap.
 *
 * smalloc is mem_heap_alloc with MEM_FIRST_FIT, then the status: the offset
 * of the payload from mem_heap_base() (the region base the header defines)
 * and the statistics' last_hops, the free-index nodes the search visited.
 * The two calls are separate, so hops is exact only without concurrent
 * smalloc calls on the region; the header says so.
 *
 * The region pointer is published once, under a mutex, with release ordering
 * (as in the other adapters), so two racing my_init calls map one region.
 */
#include <errno.h>
#include <pthread.h>

#include "../../mem.h"
#include "smalloc.h"

static mem_heap_t *region;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

int my_init(int region_size)
{
    int err = 0;
    pthread_mutex_lock(&init_lock);
    if (region_size <= 0) {
        err = EINVAL;
    } else if (region) {
        err = EBUSY;
    } else {
        mem_heap_t *h = mem_heap_create((size_t)region_size);
        if (h)
            __atomic_store_n(&region, h, __ATOMIC_RELEASE);
        else
            err = ENOMEM;
    }
    pthread_mutex_unlock(&init_lock);
    if (err)
        errno = err;
    return err ? -1 : 0;
}

void *smalloc(int payload_size, Malloc_Status *stat)
{
    mem_heap_t *h = __atomic_load_n(&region, __ATOMIC_ACQUIRE);
    void *p = NULL;
    mem_stats_t st = { 0 };
    if (h && payload_size > 0) {
        p = mem_heap_alloc(h, (size_t)payload_size, MEM_FIRST_FIT);
        mem_heap_stats(h, &st);
    }
    if (stat) {
        stat->success = p != NULL;
        stat->payload_offset = p ? (unsigned long)((char *)p - (char *)mem_heap_base(h)) : 0;
        stat->hops = (int)st.last_hops;
    }
    return p;
}

void sfree(void *ptr)
{
    mem_heap_free(__atomic_load_n(&region, __ATOMIC_ACQUIRE), ptr);
}
