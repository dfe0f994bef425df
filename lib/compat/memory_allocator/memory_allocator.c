/*
 * memory_allocator.c - API 3 (init_allocator / allocate_memory / free_memory
 * / destroy_allocator) over one explicit hardmem heap, the pool.
 *
 * The pool's configuration arrives as arguments of memory_allocator_init,
 * which the header's inline init_allocator fills from the program's
 * MA_* macros; the strategy is kept with the pool for allocate_memory.
 *
 * Thread safety comes from the core: every mem_heap_* call takes the heap's
 * own lock.  This file only guards the pool's life cycle: init and destroy
 * run under one mutex, and the pool pointer is published with release and
 * read with acquire ordering.  The strategy is written before the pointer is
 * published, so a thread that sees the pool sees its strategy.
 */
#include <pthread.h>

#include "../../mem.h"
#include "memory_allocator.h"

_Static_assert(MA_FIRST_FIT == MEM_FIRST_FIT && MA_BEST_FIT == MEM_BEST_FIT &&
                   MA_WORST_FIT == MEM_WORST_FIT && MA_NEXT_FIT == MEM_NEXT_FIT,
               "API 3's strategies must keep the core's values");

static mem_heap_t *pool;
static int pool_strategy;
static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER;

int memory_allocator_init(size_t pool_size, int strategy, int locking)
{
    if (strategy < MA_FIRST_FIT || strategy > MA_NEXT_FIT ||
        (locking != MA_LOCK_NONE && locking != MA_LOCK_MUTEX))
        return -1;
    int ok = 0;
    pthread_mutex_lock(&life_lock);
    if (!pool) {
        mem_heap_t *h = mem_heap_create(pool_size); /* checks the size */
        if (h) {
            pool_strategy = strategy;
            __atomic_store_n(&pool, h, __ATOMIC_RELEASE);
            ok = 1;
        }
    }
    pthread_mutex_unlock(&life_lock);
    return ok ? 0 : -1;
}

/* Without a pool the core sees a NULL heap and reports E_BAD_ARGS. */
void *allocate_memory(size_t size)
{
    mem_heap_t *h = __atomic_load_n(&pool, __ATOMIC_ACQUIRE);
    return mem_heap_alloc(h, size, h ? pool_strategy : MA_FIRST_FIT);
}

int free_memory(void *ptr)
{
    if (!ptr)
        return 0;
    return mem_heap_free(__atomic_load_n(&pool, __ATOMIC_ACQUIRE), ptr) == MEM_OK ? 0 : -1;
}

int destroy_allocator(void)
{
    int err = -1;
    pthread_mutex_lock(&life_lock);
    if (pool) {
        err = mem_heap_destroy(pool) == MEM_OK ? 0 : -1;
        __atomic_store_n(&pool, NULL, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&life_lock);
    return err;
}
