/*
 * resize_test.c - calloc, realloc (shrink, grow in place, move), aligned
 * allocation and usable size, each against its contract in mem.h.
 */
#include <string.h>

#include "check.h"
#include "mem.h"

static mem_heap_t *h;

int main(void)
{
    h = mem_heap_create(64 * 1024);

    /* calloc: zeroed, overflow and zero sizes refused. */
    unsigned char *z = mem_heap_alloc(h, 500, MEM_FIRST_FIT);
    memset(z, 0x5a, 500);
    CHECK(mem_heap_free(h, z) == MEM_OK);
    z = mem_heap_calloc(h, 50, 10);
    CHECK(z && all_bytes(z, 500, 0));
    CHECK(mem_heap_calloc(h, SIZE_MAX / 2, 3) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_calloc(h, 0, 3) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_free(h, z) == MEM_OK);

    /* realloc(NULL) allocates; size 0 is refused and keeps the block. */
    unsigned char *p = mem_heap_realloc(h, NULL, 100);
    CHECK(p && mem_heap_usable_size(h, p) == 100);
    CHECK(mem_heap_realloc(h, p, 0) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_usable_size(h, p) == 100);
    memset(p, 0x42, 100);

    /* Grow in place: the next block is free. */
    unsigned char *q = mem_heap_realloc(h, p, 1000);
    CHECK(q == p && all_bytes(q, 100, 0x42) && mem_heap_usable_size(h, q) == 1000);
    memset(q, 0x43, 1000);
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Shrink in place, releasing the tail. */
    mem_stats_t before, after;
    mem_heap_stats(h, &before);
    q = mem_heap_realloc(h, p, 200);
    mem_heap_stats(h, &after);
    CHECK(q == p && all_bytes(q, 200, 0x43) && mem_heap_usable_size(h, q) == 200);
    CHECK(after.free_bytes == before.free_bytes + 800);
    /* A shrink too small to split keeps the block and moves the slack. */
    q = mem_heap_realloc(h, p, 190);
    CHECK(q == p && mem_heap_usable_size(h, q) == 190 && all_bytes(q, 190, 0x43));
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Move: a live block right after p blocks growth in place. */
    unsigned char *wall = mem_heap_alloc(h, 16, MEM_FIRST_FIT);
    CHECK(wall == p + 224); /* p keeps its 224-byte block */
    q = mem_heap_realloc(h, p, 5000);
    CHECK(q && q != p && all_bytes(q, 190, 0x43) && mem_heap_usable_size(h, q) == 5000);
    CHECK(mem_heap_free(h, p) == E_DOUBLE_FREE); /* the old block was freed */
    CHECK(mem_heap_check(h) == MEM_OK);

    /* A failed realloc leaves the block as it was. */
    memset(q, 0x44, 5000);
    CHECK(mem_heap_realloc(h, q, 1 << 20) == NULL && mem_errno() == E_NO_SPACE);
    CHECK(mem_heap_usable_size(h, q) == 5000 && all_bytes(q, 5000, 0x44));
    CHECK(mem_heap_free(h, q) == MEM_OK && mem_heap_free(h, wall) == MEM_OK);

    /* Aligned allocation: every power of two up to 4096, every style. */
    for (int style = MEM_FIRST_FIT; style <= MEM_NEXT_FIT; style++) {
        for (size_t al = 1; al <= 4096; al *= 2) {
            void *x = mem_heap_aligned_alloc(h, al, 24, style);
            CHECK(x && ((uintptr_t)x % (al < 16 ? 16 : al)) == 0);
            CHECK(mem_heap_usable_size(h, x) == 24);
            CHECK(mem_heap_check(h) == MEM_OK);
            CHECK(mem_heap_free(h, x) == MEM_OK);
        }
    }
    CHECK(mem_heap_aligned_alloc(h, 48, 10, MEM_FIRST_FIT) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_aligned_alloc(h, 0, 10, MEM_FIRST_FIT) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_aligned_alloc(h, 64, 0, MEM_FIRST_FIT) == NULL && mem_errno() == E_BAD_ARGS);

    /* Every pointer is 16-byte aligned, whatever the size. */
    for (size_t n = 1; n < 300; n += 7) {
        void *x = mem_heap_alloc(h, n, MEM_BEST_FIT);
        CHECK(x && ((uintptr_t)x & 15) == 0 && mem_heap_usable_size(h, x) == n);
        mem_heap_free(h, x);
    }
    mem_stats_t st;
    mem_heap_stats(h, &st);
    CHECK(st.blocks == 1 && st.requested == 0);
    CHECK(mem_heap_check(h) == MEM_OK);
    mem_heap_destroy(h);
    return check_done("resize_test");
}
