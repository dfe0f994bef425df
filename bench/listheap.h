/*
 * listheap.h - BASELINE ONLY: a plain address-ordered free-list allocator.
 *
 * Not part of hardmem.  bench/scaling.c --baseline runs its loop on this heap
 * so that the chart of tools/bench can show what hardmem's two AVL trees buy
 * over the textbook design: one doubly linked list of the free blocks in
 * address order, searched from the front for every style, and walked from the
 * front on every free to find the block's place in the list.
 *
 * Its blocks follow hardmem's sizes exactly, so the same requests give the
 * same heap shape: a request of n bytes takes max(48, round16(n + 16)) bytes
 * (a 16-byte header, then the payload), the block is carved from the low end
 * of the chosen free block, and a rest under 48 bytes is handed out as slack.
 * Styles use hardmem's numbers (0 first, 1 best, 2 worst, 3 next fit).
 *
 * No checks, no locking, no canaries: it is a yardstick, not an allocator.
 */
#ifndef LISTHEAP_H
#define LISTHEAP_H

#include <stddef.h>

typedef struct listheap listheap_t;

/* Map a heap of at least `size` bytes; NULL when mmap fails. */
listheap_t *lh_create(size_t size);
void lh_destroy(listheap_t *h);

/* A block of at least n bytes, 16-byte aligned, placed by `style`; NULL when
 * nothing fits or n is 0 or the style is unknown. */
void *lh_alloc(listheap_t *h, size_t n, int style);

/* Free p (a block from lh_alloc) and merge it with free neighbours.  0, or -1
 * for a pointer that is not a live block of h. */
int lh_free(listheap_t *h, void *p);

/* Free blocks in the list; list nodes the last lh_alloc visited. */
size_t lh_free_blocks(const listheap_t *h);
size_t lh_last_hops(const listheap_t *h);

/* 0 when the blocks tile the region, the list is in address order and no two
 * free blocks touch; -1 otherwise. */
int lh_check(const listheap_t *h);

#endif
