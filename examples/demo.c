/*
 * demo.c - hardmem's region heap in one screen.
 *
 * 1. The same requests on three identical heaps, placed by first, best and
 *    worst fit: each style picks a different hole.
 * 2. A one-byte overflow and a header overwrite, caught with a clear report.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"

/* A heap with holes of 512, 128 and 256 bytes between live blocks. */
static mem_heap_t *holey_heap(void)
{
    mem_heap_t *h = mem_heap_create(4096);
    void *hole1 = mem_heap_alloc(h, 512 - MEM_HEADER, MEM_FIRST_FIT);
    mem_heap_alloc(h, 32, MEM_FIRST_FIT);
    void *hole2 = mem_heap_alloc(h, 128 - MEM_HEADER, MEM_FIRST_FIT);
    mem_heap_alloc(h, 32, MEM_FIRST_FIT);
    void *hole3 = mem_heap_alloc(h, 256 - MEM_HEADER, MEM_FIRST_FIT);
    mem_heap_alloc(h, 32, MEM_FIRST_FIT);
    mem_heap_free(h, hole1);
    mem_heap_free(h, hole2);
    mem_heap_free(h, hole3);
    return h;
}

static void show_report(mem_heap_t *h, const char *call, int code)
{
    mem_report_t r;
    char line[256];
    mem_heap_last_report(h, &r);
    mem_format_report(&r, line, sizeof line);
    printf("%s -> %s\n    %s\n", call, mem_strerror(code), line);
}

int main(void)
{
    static const char *names[] = { "first fit", "best fit", "worst fit" };
    static const int styles[] = { MEM_FIRST_FIT, MEM_BEST_FIT, MEM_WORST_FIT };

    printf("== The same two requests (100 and 200 bytes), three styles ==\n");
    for (int i = 0; i < 3; i++) {
        mem_heap_t *h = holey_heap();
        char *base = mem_heap_base(h);
        char *a = mem_heap_alloc(h, 100, styles[i]);
        char *b = mem_heap_alloc(h, 200, styles[i]);
        printf("\n-- %s: 100 bytes at offset %ld, 200 bytes at offset %ld\n", names[i], (long)(a - base - MEM_HEADER),
               (long)(b - base - MEM_HEADER));
        fflush(stdout);
        mem_heap_dump(h, 1);
        mem_heap_destroy(h);
    }

    printf("\n== Overflows are caught ==\n");
    if (mem_init(4096) != MEM_OK)
        return 1;
    char *p = mem_alloc(10, MEM_FIRST_FIT);
    char *q = mem_alloc(32, MEM_FIRST_FIT);
    strcpy(p, "0123456789"); /* 11 bytes into 10: one byte too many */
    int rc = mem_free(p);
    show_report(mem_default_heap(), "mem_free(p) after writing 11 bytes into 10", rc);
    p[10] = (char)0xAC; /* repair the slack so the demo can go on */
    rc = mem_free(p);
    printf("mem_free(p) after the repair -> %s\n", mem_strerror(rc));

    memset(q - 8, 0, 8); /* an underflow over the canary of q's header */
    rc = mem_check();
    show_report(mem_default_heap(), "mem_check() after zeroing q's canary", rc);
    mem_dump();
    rc = mem_free(q);
    show_report(mem_default_heap(), "mem_free(q)", rc);
    rc = mem_free(p);
    printf("mem_free(p) again -> %s\n", mem_strerror(rc));
    mem_destroy();
    return 0;
}
