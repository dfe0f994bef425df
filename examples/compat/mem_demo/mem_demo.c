/*
 * mem_demo.c - the mem.h (API 1) demo that `make` builds as ./mem.out.
 *
 * It makes a one-page region, frees two blocks to leave holes of different
 * sizes, then asks each placement style for a block and prints where it
 * landed (offsets from the region's first block), dumps the region, and
 * shows each error code a caller can meet.
 */
#include <stdio.h>

#include "mem.h"

static long off(const void *p) { return (const char *)p - (const char *)mem_heap_base(mem_default_heap()); }

static void show(const char *what, const void *p)
{
    if (p)
        printf("%-34s -> offset %ld\n", what, off(p));
    else
        printf("%-34s -> NULL (%s)\n", what, mem_strerror(mem_errno()));
}

int main(void)
{
    if (mem_init(4096) != MEM_OK) {
        printf("mem_init failed: %s\n", mem_strerror(mem_errno()));
        return 1;
    }
    printf("mem_init(4096): one page\n");

    /* Five blocks in a row; freeing the 2nd and 4th leaves two holes. */
    void *a = mem_alloc(100, MEM_FIRST_FIT);
    void *b = mem_alloc(200, MEM_FIRST_FIT);
    void *c = mem_alloc(100, MEM_FIRST_FIT);
    void *d = mem_alloc(400, MEM_FIRST_FIT);
    void *e = mem_alloc(100, MEM_FIRST_FIT);
    show("a = mem_alloc(100, first fit)", a);
    show("b = mem_alloc(200, first fit)", b);
    show("c = mem_alloc(100, first fit)", c);
    show("d = mem_alloc(400, first fit)", d);
    show("e = mem_alloc(100, first fit)", e);
    mem_free(b);
    mem_free(d);
    printf("freed b and d: holes of 224 and 416 bytes, then the tail\n");

    /* Each style picks a different free block for the same kind of request. */
    void *f = mem_alloc(150, MEM_FIRST_FIT); /* the lowest hole: b's       */
    void *g = mem_alloc(150, MEM_BEST_FIT);  /* the smallest that fits: d's */
    void *w = mem_alloc(150, MEM_WORST_FIT); /* the largest: the tail      */
    void *n = mem_alloc(100, MEM_NEXT_FIT);  /* first call: from the start */
    show("mem_alloc(150, first fit)", f);
    show("mem_alloc(150, best fit)", g);
    show("mem_alloc(150, worst fit)", w);
    show("mem_alloc(100, next fit)", n);
    mem_dump();

    /* The error codes. */
    show("mem_alloc(8192, first fit)", mem_alloc(8192, MEM_FIRST_FIT));
    show("mem_alloc(0, first fit)", mem_alloc(0, MEM_FIRST_FIT));
    show("mem_alloc(16, style 9)", mem_alloc(16, 9));
    printf("%-34s -> %s\n", "mem_free(a)", mem_strerror(mem_free(a)));
    printf("%-34s -> %s\n", "mem_free(a) again", mem_strerror(mem_free(a)));
    printf("%-34s -> %s\n", "mem_free(c + 8)", mem_strerror(mem_free((char *)c + 8)));
    printf("%-34s -> %s\n", "mem_init(4096) again", mem_strerror(mem_init(4096)));

    mem_free(c);
    mem_free(e);
    mem_free(f);
    mem_free(g);
    mem_free(w);
    mem_free(n);
    printf("%-34s -> %s\n", "mem_check() after freeing all", mem_strerror(mem_check()));
    mem_dump();
    return mem_destroy() == MEM_OK ? 0 : 1;
}
