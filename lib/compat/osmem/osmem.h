/*
 * osmem.h (API 4) - os_malloc / os_calloc / os_realloc / os_free with
 * malloc semantics, on hardmem region heaps.
 *
 * Self-contained: it includes only <stddef.h>; the functions are in
 * libmem.so (link with -lmem).  All four may be called from many threads.
 *
 * Where memory comes from:
 *   - requests below MMAP_THRESHOLD are placed first-fit in an arena, a
 *     region heap of OSMEM_ARENA_SIZE bytes mapped on first use (the
 *     preallocated heap area); when no arena has room another is mapped;
 *   - requests of MMAP_THRESHOLD bytes or more get a mapping of their own,
 *     unmapped again when the block is freed.
 * The originals grew their small-block heap with brk().  In a process that
 * also has libc's malloc (every process: stdio alone uses it), brk() moves
 * the same program break libc's malloc extends, so the two would overwrite
 * each other.  hardmem therefore maps all its regions with mmap.
 */
#ifndef HARDMEM_COMPAT_OSMEM_H
#define HARDMEM_COMPAT_OSMEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Requests of at least this many bytes get their own mapping (fixed in
 * libmem.so: changing it here changes nothing). */
#define MMAP_THRESHOLD (128 * 1024)
/* Size of each arena: twice the threshold, so any smaller request fits a
 * fresh arena. */
#define OSMEM_ARENA_SIZE (2 * MMAP_THRESHOLD)

/* size bytes, 16-byte aligned, uninitialised.  NULL for size 0, and NULL
 * with errno = ENOMEM when no memory can be had. */
void *os_malloc(size_t size);

/* nmemb * size bytes, zeroed.  NULL when the product is 0, and NULL with
 * errno = ENOMEM when it overflows or no memory can be had. */
void *os_calloc(size_t nmemb, size_t size);

/* Resize ptr's block to size bytes, keeping min(old, new) bytes of contents.
 * ptr NULL: as os_malloc(size).  size 0: as os_free(ptr), returns NULL.
 * Grows in place when the next block is free and large enough, shrinks in
 * place, otherwise moves (also when the block crosses MMAP_THRESHOLD, so
 * large blocks always have their own mapping).  NULL with errno = ENOMEM
 * when no memory can be had, or EINVAL when ptr is not a live block; ptr is
 * untouched and still valid then. */
void *os_realloc(void *ptr, size_t size);

/* Free a block; NULL is a no-op.  A pointer that is not a live block (freed
 * already, interior, foreign) changes nothing. */
void os_free(void *ptr);

#ifdef __cplusplus
}
#endif
#endif /* HARDMEM_COMPAT_OSMEM_H */
