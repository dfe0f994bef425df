/*
 * sim.h - replay an allocation trace against the region heap (lib/mem.h)
 * with one placement style, and measure what the placement costs.
 *
 * TWO MODES
 *   SIM_GROW   The heap starts empty and grows only when no free block can
 *              take a request, exactly as a heap extended by sbrk: the
 *              top of the region is held by one allocated "placeholder"
 *              block; when a request fails, the placeholder is freed (it
 *              coalesces with a free block just below it), the request is
 *              retried (it can now land only at the top) and a new
 *              placeholder is placed over what is left above it.  So the
 *              "break" rises by exactly what the request needed, and every
 *              style sees the same free blocks a sbrk heap would.
 *              The result is the peak footprint.
 *   SIM_FIXED  A region of a fixed capacity and nothing else; a request that
 *              finds no free block fails (the program would have got NULL)
 *              and its object is left out of what follows.  The result is
 *              the number of failed requests.
 *
 * DEFINITIONS (replay.c prints them; trace_read.h defines effective sizes)
 *   footprint       the highest end offset of any block ever allocated,
 *                   measured from the start of the region's first block:
 *                   the high-water mark of the heap (headers, alignment and
 *                   rounding included), which never decreases.  In SIM_GROW
 *                   it is the break.  This is the "memory used by the
 *                   allocator" of Johnstone & Wilson (ISMM 1998).
 *   live            the sum of the effective sizes of the objects alive
 *                   (trace_read.h); a realloc's new object is placed while
 *                   the old one still lives, so both count at that moment.
 *   fragmentation   peak footprint / peak live - 1: J&W's measure #4
 *                   (maximum memory used relative to maximum live memory;
 *                   the two maxima need not be at the same time).
 *                   live_at_peak_fp gives their measure #3 (memory at the
 *                   point of maximum memory usage relative to the memory
 *                   live then).
 *
 * REPLAY RULES
 *   malloc, calloc: mem_heap_alloc(size, style); the memalign family:
 *   mem_heap_aligned_alloc(alignment rounded up to a power of two, size,
 *   style) (plain alloc for alignments up to 16); realloc: a new block by
 *   the style, then the old one freed (the region heap's own realloc moves
 *   blocks by first fit, which would favour one style); free: mem_heap_free.
 *   Records of calls that failed when recorded, and frees of untracked
 *   pointers, are skipped.  The heap runs at check level OFF (nothing is
 *   poisoned, so untouched pages of a large region cost nothing).
 */
#ifndef HARDMEM_SIM_H
#define HARDMEM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "trace_read.h"

enum { SIM_GROW = 0, SIM_FIXED = 1 };

typedef struct sim_config {
    int style;       /* MEM_FIRST_FIT .. MEM_NEXT_FIT */
    int mode;        /* SIM_GROW or SIM_FIXED */
    size_t capacity; /* bytes of blocks (rounded down to 16).  FIXED: the
                        region; GROW: room for the break, 0 = automatic
                        (doubled and replayed again when it runs out) */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *ctx;
} sim_config_t;

typedef struct sim_result {
    uint64_t allocs, frees, skipped;
    uint64_t peak_footprint;  /* bytes, see above */
    uint64_t peak_fp_at;      /* record index where it was last raised */
    uint64_t live_at_peak_fp; /* live bytes then */
    uint64_t peak_live;       /* of the objects placed */
    uint64_t peak_blocks;     /* max of mem_stats used_bytes (the program's blocks, headers included) */
    uint64_t extensions;      /* GROW: times the break rose */
    uint64_t failed, failed_bytes; /* FIXED: requests that found no block */
    uint64_t first_fail_at, first_fail_size; /* FIXED: the first one */
    mem_stats_t first_fail_stats;  /* FIXED: the heap's statistics then */
    size_t capacity;          /* the capacity of the last region used */
    int doublings;            /* GROW: times the region was too small */
    char error[240];
} sim_result_t;

/* Replay the trace in [buf, buf+len), whose scan is `scan`, with the
 * configuration c.  0, or -1 with out->error. */
int sim_run(const void *buf, size_t len, const hmt_scan_t *scan, const sim_config_t *c, sim_result_t *out);

/* "first", "best", "worst", "next". */
const char *sim_style_name(int style);

#endif /* HARDMEM_SIM_H */
