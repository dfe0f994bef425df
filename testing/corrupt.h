/*
 * corrupt.h - heaps with live and free blocks, their metadata bytes, and the
 * calls made after a corruption.  Shared by props/p8_corruption_test.c and
 * fuzz/corrupt_fuzz.c.
 */
#ifndef HARDMEM_TESTING_CORRUPT_H
#define HARDMEM_TESTING_CORRUPT_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "ops.h"

enum { CORRUPT_LIVE_MAX = 512 };

typedef struct live {
    unsigned char *p;
    size_t req;
} live_t;

/* Run the allocations, reallocations and frees of program p on h (other
 * ops are skipped); fills `live` and returns how many blocks are live. */
size_t corrupt_build(mem_heap_t *h, const program_t *p, live_t *live);

/* Byte offsets from the heap's control structure of every metadata byte:
 * every block header, and every free block's node and footer. */
size_t corrupt_metadata(mem_heap_t *h, size_t *at, size_t cap);

/* After a corruption: dump, usable_size, alloc in every style, aligned alloc,
 * calloc, realloc and free of every block held, check and stats.  Each call
 * must fail or return a block inside the region, aligned and disjoint from
 * the blocks held (which are then written in full).  Returns the number of
 * wrong results; `live` is consumed. */
size_t corrupt_later_calls(mem_heap_t *h, live_t *live, size_t n);

/* Signed corruptions: a metadata field changed and its canary or node check
 * recomputed with the heap's own key, as a bug inside the library would
 * leave it, so only the structural checks can find it.  Fills `out` with up
 * to `cap` forgeries of the valid heap h and returns how many. */
typedef struct forgery {
    size_t word;  /* byte offset from the heap base of the 32-bit word (or size_t for control fields) */
    int kind;     /* FORGE_* */
    uint64_t value;
    uint32_t g;   /* the block re-signed (0: control field) */
} forgery_t;
/* FORGE_WILD: a free-index link to a granule outside the region, re-signed.
 * Every walk that follows it must stop at it (links are validated before
 * they are followed), so the later calls run at the heap's own level. */
enum { FORGE_NODE, FORGE_HEADER, FORGE_CONTROL, FORGE_WILD, FORGE_KINDS };
size_t corrupt_forgeries(mem_heap_t *h, forgery_t *out, size_t cap);
/* Apply one forgery to h. */
void corrupt_forge(mem_heap_t *h, const forgery_t *f);

/* Bytes a caller buffer needs for a heap with a block region of `region`. */
size_t corrupt_buffer_len(size_t region);

#endif
