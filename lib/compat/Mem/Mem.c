/*
 * Mem.c - API 2 (Mem_Init/Mem_Alloc/Mem_Free/Mem_Dump, m_error) over one
 * explicit hardmem heap.
 *
 * The API's region is a heap of its own, created by Mem_Init, so a program
 * that also uses the core's default heap (mem_init) keeps the two apart and
 * "Mem_Init called twice" is this API's own state.  The handle is published
 * with release ordering under a mutex, so concurrent Mem_Init calls create
 * exactly one region and the others fail with E_BAD_ARGS.
 *
 * Every call is one core call plus a translation of its error code into
 * m_error.  The codes keep the core's values (checked below at compile time),
 * so the translation is the identity except where the write-up names a code
 * the core spells differently: a failed mapping is E_BAD_ARGS, and a free
 * before Mem_Init is E_BAD_POINTER (no region can own the pointer).
 *
 * Both headers are called mem.h: "mem.h" here is this API's (same folder),
 * the core's is reached by its path relative to this file.
 */
#include <pthread.h>
#include <stdio.h>

#include "../../mem.h"
#include "mem.h"

_Static_assert(E_BAD_ARGS == MEM_API2_E_BAD_ARGS && E_NO_SPACE == MEM_API2_E_NO_SPACE &&
                   E_CORRUPT_FREESPACE == MEM_API2_E_CORRUPT_FREESPACE &&
                   E_DOUBLE_FREE == MEM_API2_E_DOUBLE_FREE && E_BAD_POINTER == MEM_API2_E_BAD_POINTER &&
                   E_CORRUPT_BLOCK == MEM_API2_E_CORRUPT_BLOCK,
               "API 2's error codes must keep the core's values");

int m_error;

static mem_heap_t *region;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static mem_heap_t *the_region(void) { return __atomic_load_n(&region, __ATOMIC_ACQUIRE); }

int Mem_Init(int sizeOfRegion)
{
    int ok = 0;
    pthread_mutex_lock(&init_lock);
    if (sizeOfRegion > 0 && !region) {
        mem_heap_t *h = mem_heap_create((size_t)sizeOfRegion);
        if (h) {
            __atomic_store_n(&region, h, __ATOMIC_RELEASE);
            ok = 1;
        }
    }
    pthread_mutex_unlock(&init_lock);
    if (!ok)
        m_error = E_BAD_ARGS;
    return ok ? 0 : -1;
}

void *Mem_Alloc(int size, int style)
{
    mem_heap_t *h = the_region();
    if (!h || size <= 0 || (style != FIRSTFIT && style != BESTFIT && style != WORSTFIT)) {
        m_error = E_BAD_ARGS;
        return NULL;
    }
    static const int core_style[] = { [FIRSTFIT] = MEM_FIRST_FIT, [BESTFIT] = MEM_BEST_FIT,
                                      [WORSTFIT] = MEM_WORST_FIT };
    void *p = mem_heap_alloc(h, (size_t)size, core_style[style]);
    if (!p)
        m_error = mem_errno();
    return p;
}

int Mem_Free(void *ptr)
{
    if (!ptr)
        return 0;
    mem_heap_t *h = the_region();
    int err = h ? mem_heap_free(h, ptr) : E_BAD_POINTER;
    if (err)
        m_error = err;
    return err ? -1 : 0;
}

void Mem_Dump(void)
{
    mem_heap_t *h = the_region();
    fflush(stdout); /* keep the caller's buffered output in order */
    if (h)
        mem_heap_dump(h, 1);
    else
        fputs("Mem_Dump: no region (Mem_Init has not succeeded)\n", stdout);
}
