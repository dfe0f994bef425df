/* fresh_test.c - heaps over memory that reads as zero: free space never
 * handed out stays zero (and untouched) until used, and is checked as zero. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "mem.h"

enum { POISON = 0xDF, HDR = 16 }; /* POISON_BYTE, HDR_BYTES (lib/heap.h) */

/* Pages of [p, p+len) that are resident. */
static size_t resident_pages(void *p, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)(page - 1);
    size_t n = ((uintptr_t)p + len - a + page - 1) / page, count = 0;
    static unsigned char vec[1 << 16];
    if (n > sizeof vec || mincore((void *)a, n * page, vec))
        return (size_t)-1;
    for (size_t i = 0; i < n; i++)
        count += vec[i] & 1;
    return count;
}

static void zeroed_buffer(void)
{
    static unsigned char buf[64 * 1024];
    memset(buf, 0, sizeof buf);
    mem_heap_t *h = mem_heap_create_in_fresh(buf, sizeof buf, MEM_CHECK_LOCAL);
    CHECK(h != NULL && mem_errno() == MEM_OK && mem_heap_check(h) == MEM_OK);
    unsigned char *tail = buf + sizeof buf - 64; /* in the one free block, never handed out */
    CHECK(tail[0] == 0);

    /* A block handed out reads as poison, wherever it came from. */
    unsigned char *p = mem_heap_alloc(h, 1000, MEM_FIRST_FIT);
    CHECK(p != NULL && all_bytes(p, 1000, POISON) && mem_heap_check(h) == MEM_OK);
    unsigned char *q = mem_heap_alloc(h, 20000, MEM_BEST_FIT);
    CHECK(q != NULL && all_bytes(q, 20000, POISON) && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, p) == MEM_OK && mem_heap_check(h) == MEM_OK);
    p = mem_heap_alloc(h, 1000, MEM_FIRST_FIT); /* back where it was: poison again */
    CHECK(p != NULL && all_bytes(p, 1000, POISON));

    /* A write into memory never handed out is found, and so is a write
     * after free below it. */
    tail[0] = POISON;
    mem_report_t r;
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    CHECK(mem_heap_last_report(h, &r) == MEM_OK && r.what && strstr(r.what, "never handed out") &&
          r.expected == 0 && r.found == POISON);
    tail[0] = 0;
    CHECK(mem_heap_check(h) == MEM_OK);
    /* The allocation that hands such bytes out does not read them (that
     * would fault the zero page in): it poisons them.  q's block ends at
     * q + 20000, the free tail's header and node follow. */
    q[20000 + 100] = 1;
    unsigned char *t = mem_heap_alloc(h, 1000, MEM_FIRST_FIT);
    CHECK(t == q + 20000 + HDR && all_bytes(t, 1000, POISON) && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, t) == MEM_OK && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, q) == MEM_OK);
    q[100] = 1;
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    CHECK(mem_heap_last_report(h, &r) == MEM_OK && r.what && strstr(r.what, "written after free"));
    q[100] = POISON;
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Growing in place into the never-used tail poisons what it takes. */
    unsigned char *g = mem_heap_realloc(h, p, 30000);
    CHECK(g != NULL && all_bytes(g + 1000, 29000, POISON) && mem_heap_check(h) == MEM_OK);

    /* Raising the level from OFF poisons everything, the tail too. */
    CHECK(mem_heap_set_check_level(h, MEM_CHECK_OFF) == MEM_OK);
    CHECK(mem_heap_set_check_level(h, MEM_CHECK_LOCAL) == MEM_OK && tail[0] == POISON);
    CHECK(mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_destroy(h) == MEM_OK);

    /* A buffer that is not all zero is refused by the first check. */
    memset(buf, 0x11, sizeof buf);
    h = mem_heap_create_in_fresh(buf, sizeof buf, MEM_CHECK_LOCAL);
    CHECK(h != NULL && mem_heap_check(h) == E_CORRUPT_FREESPACE);
    CHECK(mem_heap_destroy(h) == MEM_OK);

    /* Bad arguments as mem_heap_create_in_level. */
    CHECK(mem_heap_create_in_fresh(NULL, sizeof buf, MEM_CHECK_LOCAL) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_create_in_fresh(buf, sizeof buf, MEM_CHECK_FULL + 1) == NULL && mem_errno() == E_BAD_ARGS);
}

/* mem_heap_create maps fresh memory: a big heap costs no pages until used. */
static void mapped_heap(void)
{
    size_t len = 64u << 20, page = (size_t)sysconf(_SC_PAGESIZE);
    mem_heap_t *h = mem_heap_create(len);
    CHECK(h != NULL && mem_heap_check_level(h) == MEM_CHECK_LOCAL);
    unsigned char *base = mem_heap_base(h);
    size_t before = resident_pages(base, len);
    CHECK(before <= 4); /* the first block's header and node, the last footer */
    unsigned char *p = mem_heap_alloc(h, 1u << 20, MEM_FIRST_FIT);
    CHECK(p != NULL && all_bytes(p, 1u << 20, POISON));
    size_t after = resident_pages(base, len);
    CHECK(after >= (1u << 20) / page && after <= (1u << 20) / page + 8);
    CHECK(mem_heap_check(h) == MEM_OK && mem_heap_free(h, p) == MEM_OK && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_destroy(h) == MEM_OK);
}

/* An untouched heap (the checked malloc's) hands blocks out unwritten: a
 * 1 MiB block costs only the pages of its slack and the headers around it
 * until written, reads as zero, and is poisoned when freed like any block.
 * What stays free below the mark (an aligned block's lead) is poisoned. */
static void untouched_heap(void)
{
    size_t len = 8u << 20, page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    mem_heap_t *h = mem_heap_create_in_untouched(m, len, MEM_CHECK_LOCAL);
    CHECK(h != NULL && mem_heap_check(h) == MEM_OK);
    size_t before = resident_pages(m, len);
    unsigned char *p = mem_heap_alloc_room(h, (1u << 20) - 100, 1u << 20, MEM_FIRST_FIT);
    CHECK(p != NULL && p[64] == 0 && p[(1u << 20) / 2] == 0 && mem_heap_check(h) == MEM_OK); /* past the old node */
    CHECK(resident_pages(m, len) <= before + 4); /* header, slack, the next header and node */
    /* An aligned block past the mark: its lead stays free, poisoned. */
    unsigned char *q = mem_heap_aligned_alloc(h, 64 * 1024, 100, MEM_FIRST_FIT);
    CHECK(q != NULL && ((uintptr_t)q & 0xFFFF) == 0 && q[50] == 0 && mem_heap_check(h) == MEM_OK);
    CHECK(resident_pages(m, len) <= before + 40); /* the lead is up to 64 KiB */
    /* Freed: poisoned, and handed out again as poison. */
    CHECK(mem_heap_free(h, p) == MEM_OK && mem_heap_check(h) == MEM_OK);
    CHECK(all_bytes(p + 64, (1u << 20) - 128, POISON));
    unsigned char *r = mem_heap_alloc(h, 5000, MEM_FIRST_FIT);
    CHECK(r == p && all_bytes(r + 64, 5000 - 64, POISON) && mem_heap_check(h) == MEM_OK);
    /* A stray write past the mark is still found. */
    m[len - 2 * page] = 1;
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    m[len - 2 * page] = 0;
    CHECK(mem_heap_free(h, q) == MEM_OK && mem_heap_free(h, r) == MEM_OK && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_destroy(h) == MEM_OK);
    munmap(m, len);
}

int main(void)
{
    zeroed_buffer();
    mapped_heap();
    untouched_heap();
    return check_done("fresh_test");
}
