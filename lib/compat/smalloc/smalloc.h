/*
 * smalloc.h (API 5) - my_init / smalloc / sfree: a first-fit allocator that
 * reports where each block went and how long the search took.
 *
 * Self-contained: it includes only <stddef.h>; the functions are in
 * libmem.so (link with -lmem).  The region is one hardmem heap of its own.
 *
 * payload_offset is measured from the REGION BASE: the start of the
 * region's first block (mem_heap_base() in hardmem's core API), where the
 * first block's 16-byte header begins.  So the first block handed out in a
 * fresh region has payload_offset 16, and every payload_offset is a
 * multiple of 16.  (hardmem keeps its control data in pages of its own,
 * before the region base, so it never shifts the offsets.)
 *
 * hops is the number of free-index nodes the first-fit search visited.
 * hardmem indexes free blocks in a balanced tree, so hops grows with the
 * logarithm of the number of free blocks, not linearly as in a list.  It is
 * exact when smalloc calls are not made concurrently from several threads.
 */
#ifndef HARDMEM_COMPAT_SMALLOC_H
#define HARDMEM_COMPAT_SMALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int success;                  /* 1: the block was allocated; 0: it was not  */
    unsigned long payload_offset; /* payload - region base (0 on failure)      */
    int hops;                     /* free-index nodes the search visited        */
} Malloc_Status;

/* Map the region: region_size bytes rounded up to whole pages.  Returns 0,
 * or -1 with errno = EINVAL (region_size <= 0), EBUSY (a region exists
 * already: it is kept) or ENOMEM (the mapping failed). */
int my_init(int region_size);

/* Allocate payload_size bytes, first fit, 16-byte aligned, and fill *stat
 * (stat may be NULL).  NULL with stat->success = 0 when payload_size <= 0,
 * there is no region, or no free block fits; hops still says how many nodes
 * a search visited (0 when there was no search). */
void *smalloc(int payload_size, Malloc_Status *stat);

/* Free a block and coalesce it with free neighbours; NULL is a no-op.  A
 * pointer that is not a live block (freed already, interior, foreign)
 * changes nothing: the reason is mem_errno() in hardmem's core mem.h. */
void sfree(void *ptr);

#ifdef __cplusplus
}
#endif
#endif /* HARDMEM_COMPAT_SMALLOC_H */
