/*
 * styles_test.c - placement is exact: each style picks the block mem.h says.
 *
 * The layout built here has free holes of 4 sizes at known offsets, separated
 * by live blocks so they cannot coalesce:
 *     hole A: 256 B   hole B: 1024 B   hole C: 128 B   hole D: 1024 B   tail
 * A request that fits all of them goes to A under first fit, to C under best
 * fit (smallest), and to the tail under worst fit (largest); among equal
 * sizes (B and D) the lowest address wins.
 */
#include <string.h>

#include "check.h"
#include "mem.h"

static mem_heap_t *h;
static char *base;

static long off(const void *p) { return p ? (const char *)p - base : -1; }

/* Allocate a block whose whole size (header included) is `bytes`. */
static void *block(size_t bytes) { return mem_heap_alloc(h, bytes - MEM_HEADER, MEM_FIRST_FIT); }

int main(void)
{
    h = mem_heap_create(64 * 1024);
    base = mem_heap_base(h);
    /* Lay out: [A 256][x 64][B 1024][x 64][C 128][x 64][D 1024][x 64][tail]. */
    void *a = block(256), *x1 = block(64), *b = block(1024), *x2 = block(64), *c = block(128), *x3 = block(64),
         *d = block(1024), *x4 = block(64);
    CHECK(a && x1 && b && x2 && c && x3 && d && x4);
    CHECK(off(a) == 16 && off(x1) == 256 + 16 && off(b) == 320 + 16);
    long ao = off(a), bo = off(b), co = off(c), dox = off(d), tail = off(x4) + 64;
    CHECK(mem_heap_free(h, a) == 0 && mem_heap_free(h, b) == 0 && mem_heap_free(h, c) == 0 &&
          mem_heap_free(h, d) == 0);
    CHECK(mem_heap_check(h) == MEM_OK);
    mem_stats_t st;
    CHECK(mem_heap_stats(h, &st) == 0 && st.free_blocks == 5);

    /* 100 bytes fit every hole. */
    void *p = mem_heap_alloc(h, 100, MEM_FIRST_FIT);
    CHECK(off(p) == ao); /* lowest address */
    mem_heap_free(h, p);
    p = mem_heap_alloc(h, 100, MEM_BEST_FIT);
    CHECK(off(p) == co); /* smallest: C (128) */
    mem_heap_free(h, p);
    p = mem_heap_alloc(h, 100, MEM_WORST_FIT);
    CHECK(off(p) == tail); /* largest: the tail */
    mem_heap_free(h, p);

    /* 300 bytes do not fit A or C: first fit takes B; best fit B (B and D
     * tie at 1024 and B is lower). */
    p = mem_heap_alloc(h, 300, MEM_FIRST_FIT);
    CHECK(off(p) == bo);
    mem_heap_free(h, p);
    p = mem_heap_alloc(h, 300, MEM_BEST_FIT);
    CHECK(off(p) == bo);

    /* Block sizes: 100 bytes need 128 (8 granules), 300 bytes need 320.
     * B now holds p and a free remainder of 1024 - 320 = 704 bytes.  Best fit
     * for 300 takes that remainder (704 < D's 1024), leaving 384; the next
     * best fit takes those 384 (still smaller than D), leaving 64, which is
     * still a block (>= 48) and stays free. */
    void *q = mem_heap_alloc(h, 300, MEM_BEST_FIT);
    CHECK(off(q) == off(p) + 320);
    void *r = mem_heap_alloc(h, 300, MEM_BEST_FIT);
    CHECK(off(r) == off(q) + 320);
    CHECK(mem_heap_stats(h, &st) == 0 && st.free_blocks == 5); /* A, B's 64, C, D, tail */
    void *t = mem_heap_alloc(h, 40, MEM_BEST_FIT);
    CHECK(off(t) == off(r) + 320); /* the 64-byte rest of B is the best fit for 40 */
    mem_heap_free(h, p);
    mem_heap_free(h, q);
    mem_heap_free(h, r);
    mem_heap_free(h, t);
    CHECK(mem_heap_stats(h, &st) == 0 && st.free_blocks == 5); /* B whole again */
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Worst fit among equals: shrink the tail below 1024 so B and D (1024
     * each) are the largest; the lower one, B, wins. */
    CHECK(mem_heap_stats(h, &st) == 0);
    void *fill = mem_heap_alloc(h, st.largest_free - 512 - MEM_HEADER, MEM_WORST_FIT);
    CHECK(off(fill) == tail);
    p = mem_heap_alloc(h, 16, MEM_WORST_FIT);
    CHECK(off(p) == bo);
    mem_heap_free(h, p);

    /* Next fit starts after the previous next-fit block and wraps around. */
    p = mem_heap_alloc(h, 100, MEM_NEXT_FIT);
    CHECK(off(p) == ao); /* nothing allocated by next fit yet: first fit */
    q = mem_heap_alloc(h, 100, MEM_NEXT_FIT);
    CHECK(off(q) == off(p) + 128); /* right after p: the rest of A, exactly 128 */
    r = mem_heap_alloc(h, 100, MEM_NEXT_FIT);
    CHECK(off(r) == bo); /* A is used up; B is next */
    void *s = mem_heap_alloc(h, 600, MEM_NEXT_FIT);
    CHECK(off(s) == off(r) + 128); /* B's rest (896) is the first fit after r */
    void *u = mem_heap_alloc(h, 400, MEM_NEXT_FIT);
    CHECK(off(u) == dox); /* B's rest (272) and C are too small */
    mem_heap_free(h, p); /* A's front is free again, behind the rover */
    void *v = mem_heap_alloc(h, 100, MEM_NEXT_FIT);
    CHECK(off(v) == off(u) + 416); /* D's rest, not A: next fit does not look back */
    CHECK(mem_heap_stats(h, &st) == 0);
    void *w = mem_heap_alloc(h, st.largest_free - MEM_HEADER, MEM_NEXT_FIT);
    CHECK(w != NULL); /* takes the whole tail: the rover is now at the end */
    void *y = mem_heap_alloc(h, 100, MEM_NEXT_FIT);
    CHECK(off(y) == ao); /* wrapped around to the lowest fit, A's front */
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Errors change nothing. */
    CHECK(mem_heap_alloc(h, 0, MEM_FIRST_FIT) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_alloc(h, 16, 7) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_alloc(h, 16, -1) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_alloc(h, 1 << 20, MEM_BEST_FIT) == NULL && mem_errno() == E_NO_SPACE);
    CHECK(mem_heap_alloc(h, (size_t)-1, MEM_BEST_FIT) == NULL && mem_errno() == E_NO_SPACE);
    CHECK(mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_stats(h, &st) == 0 && st.last_hops > 0);

    mem_heap_destroy(h);
    return check_done("styles_test");
}
