/*
 * interpose.c - the glibc allocation surface, and nothing else.
 *
 * Each glibc name is a one-line function that passes its caller's return
 * address to the hm_*_at entry point (api.c), so reports name the
 * application's call site.  malloc and free first try the slot fast path
 * (hm_fast_malloc, hm_fast_free), which LTO inlines here: then the hottest
 * calls make no further call at all.  The __libc_* names are the same
 * one-liners (not aliases: GCC refuses aliases that drop glibc's
 * attributes), because some programs and libraries call them directly.
 * C++ needs nothing more: libstdc++'s operator new and delete call malloc
 * and free (tests/hardmem check it).
 *
 * This is the only file that defines glibc names, so everything else can be
 * linked into a test under ASan or TSan, whose runtimes define malloc too.
 * HARDMEM_OPTIONS=trace=PATH: each allocating or freeing name calls its
 * recording twin in trace.c instead while tracing is on (hm_tracing(): one
 * load and one predictable branch when it is off).
 * mallopt, malloc_trim and mallinfo2 give harmless answers: hardmem has no
 * tunables of glibc's kind and never returns memory to the system early.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "hardmem.h"

#define CALLER __builtin_return_address(0)
#define EXPORT __attribute__((visibility("default")))

EXPORT void *malloc(size_t n)
{
    void *p = hm_fast_malloc(n);
    if (__builtin_expect(p != NULL, 1))
        return p;
    return hm_tracing() ? hm_trace_malloc(n, CALLER) : hm_malloc_at(n, CALLER);
}
EXPORT void free(void *p)
{
    if (__builtin_expect(hm_fast_free(p, CALLER), 1))
        return;
    if (hm_tracing())
        hm_trace_free(p, CALLER);
    else
        hm_free_at(p, CALLER);
}
EXPORT void *calloc(size_t n, size_t m)
{
    return hm_tracing() ? hm_trace_calloc(n, m, CALLER) : hm_calloc_at(n, m, CALLER);
}
EXPORT void *realloc(void *p, size_t n)
{
    return hm_tracing() ? hm_trace_realloc(p, n, CALLER) : hm_realloc_at(p, n, CALLER);
}
EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
    return hm_tracing() ? hm_trace_reallocarray(p, n, m, CALLER) : hm_reallocarray_at(p, n, m, CALLER);
}
EXPORT int posix_memalign(void **out, size_t a, size_t n)
{
    return hm_tracing() ? hm_trace_posix_memalign(out, a, n, CALLER) : hm_posix_memalign_at(out, a, n, CALLER);
}
EXPORT void *aligned_alloc(size_t a, size_t n)
{
    return hm_tracing() ? hm_trace_memalign(a, n, CALLER) : hm_memalign_at(a, n, CALLER);
}
EXPORT void *memalign(size_t a, size_t n)
{
    return hm_tracing() ? hm_trace_memalign(a, n, CALLER) : hm_memalign_at(a, n, CALLER);
}
EXPORT void *valloc(size_t n)
{
    return hm_tracing() ? hm_trace_valloc(n, CALLER) : hm_valloc_at(n, CALLER);
}
EXPORT void *pvalloc(size_t n)
{
    return hm_tracing() ? hm_trace_pvalloc(n, CALLER) : hm_pvalloc_at(n, CALLER);
}
EXPORT size_t malloc_usable_size(void *p) { return hm_usable_size_at(p, CALLER); }
EXPORT void free_sized(void *p, size_t n)
{
    (void)n;
    if (hm_tracing())
        hm_trace_free(p, CALLER);
    else
        hm_free_at(p, CALLER);
}
EXPORT void free_aligned_sized(void *p, size_t a, size_t n)
{
    (void)a;
    (void)n;
    if (hm_tracing())
        hm_trace_free(p, CALLER);
    else
        hm_free_at(p, CALLER);
}
EXPORT void cfree(void *p)
{
    if (hm_tracing())
        hm_trace_free(p, CALLER);
    else
        hm_free_at(p, CALLER);
}

EXPORT void *__libc_malloc(size_t n)
{
    return hm_tracing() ? hm_trace_malloc(n, CALLER) : hm_malloc_at(n, CALLER);
}
EXPORT void __libc_free(void *p)
{
    if (hm_tracing())
        hm_trace_free(p, CALLER);
    else
        hm_free_at(p, CALLER);
}
EXPORT void *__libc_calloc(size_t n, size_t m)
{
    return hm_tracing() ? hm_trace_calloc(n, m, CALLER) : hm_calloc_at(n, m, CALLER);
}
EXPORT void *__libc_realloc(void *p, size_t n)
{
    return hm_tracing() ? hm_trace_realloc(p, n, CALLER) : hm_realloc_at(p, n, CALLER);
}
EXPORT void *__libc_memalign(size_t a, size_t n)
{
    return hm_tracing() ? hm_trace_memalign(a, n, CALLER) : hm_memalign_at(a, n, CALLER);
}
EXPORT void *__libc_valloc(size_t n)
{
    return hm_tracing() ? hm_trace_valloc(n, CALLER) : hm_valloc_at(n, CALLER);
}
EXPORT void *__libc_pvalloc(size_t n)
{
    return hm_tracing() ? hm_trace_pvalloc(n, CALLER) : hm_pvalloc_at(n, CALLER);
}

EXPORT int mallopt(int param, int value)
{
    (void)param;
    (void)value;
    return 1;
}

EXPORT int malloc_trim(size_t pad)
{
    (void)pad;
    return 0;
}

EXPORT struct mallinfo2 mallinfo2(void)
{
    struct mallinfo2 m;
    memset(&m, 0, sizeof m);
    m.arena = hm_mapped_bytes();
    m.uordblks = hm_stat_live();
    m.fordblks = m.arena > m.uordblks ? m.arena - m.uordblks : 0;
    return m;
}

EXPORT void malloc_stats(void)
{
    size_t leaks;
    bool saved = hm_opt.leaks;
    hm_opt.leaks = false;
    hm_summary(&leaks);
    hm_opt.leaks = saved;
}
