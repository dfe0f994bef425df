/*
 * free_test.c - mem_free: coalescing with both neighbours, and every kind of
 * bad pointer reported with its own code, never dereferenced.
 */
#include <string.h>

#include "check.h"
#include "mem.h"

static mem_heap_t *h;

static size_t free_blocks(void)
{
    mem_stats_t st;
    mem_heap_stats(h, &st);
    return st.free_blocks;
}

int main(void)
{
    h = mem_heap_create(16 * 1024);
    mem_stats_t empty;
    mem_heap_stats(h, &empty);

    /* NULL is a no-op. */
    CHECK(mem_heap_free(h, NULL) == MEM_OK && mem_errno() == MEM_OK);

    /* Three neighbours then the tail: free the middle last, so it merges
     * with both sides at once. */
    void *a = mem_heap_alloc(h, 100, MEM_FIRST_FIT), *b = mem_heap_alloc(h, 100, MEM_FIRST_FIT),
         *c = mem_heap_alloc(h, 100, MEM_FIRST_FIT), *d = mem_heap_alloc(h, 100, MEM_FIRST_FIT);
    CHECK(a && b && c && d);
    CHECK(free_blocks() == 1);
    CHECK(mem_heap_free(h, a) == MEM_OK && free_blocks() == 2);
    CHECK(mem_heap_free(h, c) == MEM_OK && free_blocks() == 3);
    CHECK(mem_heap_free(h, b) == MEM_OK && free_blocks() == 2); /* a+b+c merged */
    CHECK(mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, d) == MEM_OK && free_blocks() == 1); /* everything merged */
    mem_stats_t st;
    mem_heap_stats(h, &st);
    CHECK(st.free_bytes == empty.free_bytes && st.blocks == 1 && st.largest_free == st.capacity);
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Double free: right away, and after the block coalesced away. */
    a = mem_heap_alloc(h, 64, MEM_FIRST_FIT);
    b = mem_heap_alloc(h, 64, MEM_FIRST_FIT);
    CHECK(mem_heap_free(h, b) == MEM_OK);
    CHECK(mem_heap_free(h, b) == E_DOUBLE_FREE && mem_errno() == E_DOUBLE_FREE);
    CHECK(mem_heap_free(h, a) == MEM_OK); /* a merges with b's free space */
    CHECK(mem_heap_free(h, b) == E_DOUBLE_FREE);
    CHECK(mem_heap_free(h, a) == E_DOUBLE_FREE);
    mem_report_t r;
    CHECK(mem_heap_last_report(h, &r) == MEM_OK && r.code == E_DOUBLE_FREE && r.what != NULL);
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Not a block start: interior, misaligned, outside, stack, global. */
    a = mem_heap_alloc(h, 256, MEM_FIRST_FIT);
    memset(a, 0x11, 256);
    static int global;
    int local;
    void *bad[] = { (char *)a + 16, (char *)a + 32, (char *)a + 1, (char *)a + 8, &local, &global,
                    (void *)16, (char *)mem_heap_base(h), (char *)mem_heap_end(h), (char *)mem_heap_end(h) + 16 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(mem_heap_free(h, bad[i]) == E_BAD_POINTER);
        CHECK(mem_heap_usable_size(h, bad[i]) == 0 && mem_errno() == E_BAD_POINTER);
        CHECK(mem_heap_realloc(h, bad[i], 10) == NULL && mem_errno() == E_BAD_POINTER);
    }
    CHECK(mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_usable_size(h, a) == 256);
    CHECK(mem_heap_free(h, a) == MEM_OK);

    /* A block of another heap is foreign here. */
    mem_heap_t *other = mem_heap_create(4096);
    void *o = mem_heap_alloc(other, 10, MEM_FIRST_FIT);
    CHECK(mem_heap_free(h, o) == E_BAD_POINTER);
    CHECK(mem_heap_free(other, o) == MEM_OK);
    mem_heap_destroy(other);

    /* After all of that, the heap is whole again. */
    mem_heap_stats(h, &st);
    CHECK(st.blocks == 1 && st.used_bytes == 0 && st.requested == 0);
    CHECK(mem_heap_check(h) == MEM_OK);
    mem_heap_destroy(h);
    return check_done("free_test");
}
