/*
 * hm_malloc.h - hardmem's checked malloc under its own names.
 *
 * The same functions as the glibc surface that libhardmem.so (and the
 * //lib/hardmem:hardmem library) provide as malloc, free, ..., with the same
 * semantics and checks, for programs and tests that want the checked heap
 * without replacing the process's malloc (for example under a sanitizer,
 * which brings its own malloc).
 */
#ifndef HARDMEM_HM_MALLOC_H
#define HARDMEM_HM_MALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *hm_malloc(size_t n);
void *hm_calloc(size_t n, size_t m);
void *hm_realloc(void *p, size_t n);
void *hm_reallocarray(void *p, size_t n, size_t m);
void hm_free(void *p);
void *hm_memalign(size_t align, size_t n);
void *hm_aligned_alloc(size_t align, size_t n);
int hm_posix_memalign(void **out, size_t align, size_t n);
void *hm_valloc(size_t n);
void *hm_pvalloc(size_t n);
size_t hm_malloc_usable_size(void *p);

#ifdef __cplusplus
}
#endif
#endif
