/*
 * model.h - the reference model of a region heap: what the heap must do.
 *
 * The model knows nothing of headers, trees or canaries.  It keeps the free
 * extents (sorted by address, always coalesced) and the live blocks, in
 * granules from the first block, and predicts from them exactly which block
 * each placement style must return (mem.h, lib/alloc.c):
 *   need   = max(3, ceil((size + 16) / 16)) granules, 0 when size > capacity;
 *   search = need, plus alignment / 16 + 3 for an alignment above 16;
 *   first  = lowest address with size >= search;
 *   best   = smallest size >= search, ties lowest address;
 *   worst  = largest, ties lowest address, if it is >= search;
 *   next   = lowest address >= the rover, else (if the rover was ever set)
 *            the lowest address overall; the rover moves to the end of each
 *            block placed by MEM_NEXT_FIT;
 *   carve  = from the low end after the alignment lead; the tail stays free
 *            when it is >= 3 granules, otherwise the block takes it all.
 */
#ifndef HARDMEM_TESTING_MODEL_H
#define HARDMEM_TESTING_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { MODEL_MAX = 4096 };

typedef struct extent {
    uint32_t g, size; /* granules from the first block */
} extent_t;

typedef struct slot {
    uint32_t g, size; /* the block (header included), granules */
    size_t req;       /* requested bytes */
    uint32_t seed;    /* fill cookie: byte i is cookie_byte(seed, i) */
    size_t align;     /* requested alignment (16 for plain allocations) */
    uint32_t id;      /* name in traces: p<id> */
} slot_t;

typedef struct model {
    uintptr_t base; /* address of the first block */
    uint32_t cap;   /* capacity in granules */
    extent_t free[MODEL_MAX];
    size_t nfree;
    slot_t live[MODEL_MAX];
    size_t nlive;
    uint32_t rover;  /* granules from the first block */
    bool rover_set;
    uint32_t next_seed;
    uint32_t next_id;
} model_t;

/* Where a placement goes: the free extent, the lead in front of the block
 * and the block's size; ok is false when the heap must say E_NO_SPACE. */
typedef struct placement {
    bool ok;
    size_t ext;
    uint32_t g, lead, need, used;
} placement_t;

void model_init(model_t *m, uintptr_t base, uint32_t cap_granules);
uint32_t model_need(const model_t *m, size_t size);
placement_t model_place(const model_t *m, size_t size, int style, size_t align);
/* The placement of a block the heap put at granule g (for adoption when a
 * property that is not under test let the heap disagree); ok false if g is
 * not inside a free extent that can hold it. */
placement_t model_place_at(const model_t *m, uint32_t g, uint32_t need);
/* Carve a placement and add a live slot; returns the slot index. */
size_t model_take(model_t *m, const placement_t *pl, size_t req, size_t align);
/* Free slot i (coalescing) and drop it from the live list. */
void model_free(model_t *m, size_t i);
/* Free [g, g + size) into the extents, coalescing with both neighbours. */
void model_release(model_t *m, uint32_t g, uint32_t size);
/* The free extent starting at granule g, or -1. */
long model_free_at(const model_t *m, uint32_t g);

typedef struct model_stats {
    size_t used, free, requested, blocks, free_blocks, largest;
} model_stats_t;
model_stats_t model_stats(const model_t *m);

/* The fill cookie of a slot: COOKIE_MAX_REQ bytes from a fixed random table,
 * starting at a place chosen by the seed, so checking is one memcmp. */
enum { COOKIE_MAX_REQ = 1 << 17 };
const uint8_t *cookie_of(uint32_t seed);

/* A cookie computed byte by byte (for threads: no shared table to set up). */
static inline uint8_t cookie_byte(uint32_t seed, size_t i)
{
    uint32_t x = seed + (uint32_t)i * 0x9E3779B1u;
    return (uint8_t)(x >> 24 ^ x >> 11 ^ (uint32_t)i);
}

#endif
