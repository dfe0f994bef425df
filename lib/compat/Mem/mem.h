/*
 * mem.h (API 2: Mem_*) - the Mem_Init / Mem_Alloc / Mem_Free / Mem_Dump API
 * with a global m_error, on a hardmem region heap.
 *
 * This is NOT hardmem's core mem.h (lib/mem.h, the mem_init/mem_alloc API):
 * the two share a file name because each API's programs say #include "mem.h".
 * This one lives in lib/compat/Mem/ (installed as include/hardmem/Mem/mem.h);
 * point the compiler at that directory, or copy the file next to the program.
 * It is self-contained: it includes nothing from hardmem.  The functions are
 * in libmem.so (link with -lmem).
 *
 * The region is one hardmem heap of its own (not the core's default heap),
 * mapped by Mem_Init.  Every pointer passed to Mem_Free is validated; misuse
 * returns -1 and sets m_error, and never corrupts the region.
 */
#ifndef HARDMEM_COMPAT_MEM_API2_H
#define HARDMEM_COMPAT_MEM_API2_H

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes for m_error.  Their values are the core's (lib/mem.h) so both
 * headers can be used in one file; include lib/mem.h first in that case, as
 * this header then leaves the names to it. */
#define MEM_API2_E_BAD_ARGS 1          /* bad size/style, no region, Mem_Init twice */
#define MEM_API2_E_NO_SPACE 2          /* no free chunk large enough                */
#define MEM_API2_E_CORRUPT_FREESPACE 3 /* region metadata failed validation         */
#define MEM_API2_E_DOUBLE_FREE 4       /* Mem_Free of a chunk already free          */
#define MEM_API2_E_BAD_POINTER 5       /* Mem_Free of a pointer not from Mem_Alloc  */
#define MEM_API2_E_CORRUPT_BLOCK 8     /* a chunk was written past its end          */
#ifndef HARDMEM_MEM_H
enum {
    E_BAD_ARGS = MEM_API2_E_BAD_ARGS,
    E_NO_SPACE = MEM_API2_E_NO_SPACE,
    E_CORRUPT_FREESPACE = MEM_API2_E_CORRUPT_FREESPACE,
    E_DOUBLE_FREE = MEM_API2_E_DOUBLE_FREE,
    E_BAD_POINTER = MEM_API2_E_BAD_POINTER,
    E_CORRUPT_BLOCK = MEM_API2_E_CORRUPT_BLOCK
};
#endif

/* Placement styles for Mem_Alloc. */
#define FIRSTFIT 0 /* lowest-address free chunk that fits            */
#define BESTFIT 1  /* smallest free chunk that fits (ties: lowest)   */
#define WORSTFIT 2 /* largest free chunk (ties: lowest address)      */

/* The last error: set by a call that fails, left alone by one that succeeds.
 * One process-wide variable, as in the original API: the region itself is
 * safe to use from many threads, but their failures share this code. */
extern int m_error;

/* Map the region: sizeOfRegion bytes rounded up to whole pages.  Returns 0,
 * or -1 with m_error = E_BAD_ARGS when sizeOfRegion <= 0, when the region
 * exists already (a second call), or when the mapping fails. */
int Mem_Init(int sizeOfRegion);

/* Allocate size bytes (16-byte aligned) placed by style.  NULL on failure
 * with m_error = E_BAD_ARGS (size <= 0, unknown style, no Mem_Init),
 * E_NO_SPACE (no free chunk fits) or E_CORRUPT_FREESPACE. */
void *Mem_Alloc(int size, int style);

/* Free a chunk and coalesce it with free neighbours.  NULL is a no-op (0).
 * Returns 0, or -1 with m_error = E_BAD_POINTER (not a chunk from Mem_Alloc,
 * or no region), E_DOUBLE_FREE, E_CORRUPT_BLOCK (written past its end) or
 * E_CORRUPT_FREESPACE; the region is unchanged by a failed call. */
int Mem_Free(void *ptr);

/* Print every chunk of the region (offset, size, used/free) to standard
 * output, after flushing stdout.  Before Mem_Init it prints one line saying
 * there is no region. */
void Mem_Dump(void);

#ifdef __cplusplus
}
#endif
#endif /* HARDMEM_COMPAT_MEM_API2_H */
