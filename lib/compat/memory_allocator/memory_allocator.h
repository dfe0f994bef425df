/*
 * memory_allocator.h (API 3) - init_allocator / allocate_memory /
 * free_memory / destroy_allocator over one hardmem region heap, the pool.
 *
 * Self-contained: it includes nothing from hardmem; the functions are in
 * libmem.so (link with -lmem).  Thread safety: allocate_memory and
 * free_memory may be called from any number of threads at once.
 * init_allocator and destroy_allocator are serialised with each other, but
 * destroy_allocator must not race with allocations (their blocks vanish).
 *
 * CONFIGURATION.  Three macros, each with a default below, may be overridden
 * with -D when compiling the program that includes this header.
 * init_allocator() is an inline function in this header, so the values the
 * program was compiled with are the ones its pool uses (libmem.so itself
 * needs no rebuild).  They are checked by the preprocessor:
 *
 *   MA_POOL_SIZE  bytes in the pool, rounded up to whole pages; at least 1,
 *                 below 16 GiB.
 *                 Default 1 MiB.
 *   MA_STRATEGY   placement: MA_FIRST_FIT (default), MA_BEST_FIT,
 *                 MA_WORST_FIT or MA_NEXT_FIT.
 *   MA_LOCKING    MA_LOCK_MUTEX (default): one mutex per pool serialises its
 *                 calls.  MA_LOCK_NONE is accepted for source compatibility
 *                 and changes nothing: a hardmem heap always takes its lock,
 *                 because its integrity checks depend on it (uncontended, it
 *                 costs a few nanoseconds).
 *
 * Errors: the functions report failure through their return values; the
 * reason (a hardmem error code such as E_DOUBLE_FREE) is mem_errno() from
 * hardmem's core mem.h, for programs that want it.
 */
#ifndef HARDMEM_COMPAT_MEMORY_ALLOCATOR_H
#define HARDMEM_COMPAT_MEMORY_ALLOCATOR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Strategies (the same values as the core's MEM_*_FIT). */
#define MA_FIRST_FIT 0
#define MA_BEST_FIT 1
#define MA_WORST_FIT 2
#define MA_NEXT_FIT 3

/* Locking mechanisms. */
#define MA_LOCK_NONE 0
#define MA_LOCK_MUTEX 1

/* ---- Configuration: may be changed with -D ---- */
#ifndef MA_POOL_SIZE
#define MA_POOL_SIZE (1024 * 1024)
#endif
#ifndef MA_STRATEGY
#define MA_STRATEGY MA_FIRST_FIT
#endif
#ifndef MA_LOCKING
#define MA_LOCKING MA_LOCK_MUTEX
#endif

/* ---- Checked here, so a bad -D fails at compile time ---- */
#if !((MA_POOL_SIZE) >= 1 && (MA_POOL_SIZE) / 1024 / 1024 / 1024 < 16)
#error "MA_POOL_SIZE must be at least 1 and below 16 GiB"
#endif
#if !((MA_STRATEGY) >= MA_FIRST_FIT && (MA_STRATEGY) <= MA_NEXT_FIT)
#error "MA_STRATEGY must be MA_FIRST_FIT, MA_BEST_FIT, MA_WORST_FIT or MA_NEXT_FIT"
#endif
#if !((MA_LOCKING) == MA_LOCK_NONE || (MA_LOCKING) == MA_LOCK_MUTEX)
#error "MA_LOCKING must be MA_LOCK_NONE or MA_LOCK_MUTEX"
#endif

/* Create the pool with an explicit configuration (what init_allocator calls).
 * Returns 0, or -1 when a pool exists already (it is kept), when an argument
 * is out of the ranges above, or when the mapping fails. */
int memory_allocator_init(size_t pool_size, int strategy, int locking);

/* Create the pool with this file's configuration; returns as above. */
static __inline__ int init_allocator(void)
{
    return memory_allocator_init((size_t)(MA_POOL_SIZE), MA_STRATEGY, MA_LOCKING);
}

/* Allocate size bytes (16-byte aligned) with the pool's strategy.  NULL when
 * size is 0, there is no pool, or no free block fits. */
void *allocate_memory(size_t size);

/* Free a block from allocate_memory; NULL is a no-op.  Returns 0, or -1 for a
 * pointer that is not a live block of the pool (wild, interior, freed twice,
 * written past its end, or no pool); the pool is unchanged then. */
int free_memory(void *ptr);

/* Unmap the pool; every block in it is gone.  Returns 0, or -1 with no pool.
 * init_allocator may be called again afterwards. */
int destroy_allocator(void);

#ifdef __cplusplus
}
#endif
#endif /* HARDMEM_COMPAT_MEMORY_ALLOCATOR_H */
