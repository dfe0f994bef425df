/*
 * levels_test.c - check levels (API and HARDMEM_CHECK), statistics, the dump
 * and the error texts.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mem.h"

/* Run mem_heap_dump into a pipe and return what it wrote. */
static char dumped[8192];
static const char *dump_text(mem_heap_t *h, int *rc)
{
    int fds[2];
    if (pipe(fds))
        return "";
    *rc = mem_heap_dump(h, fds[1]);
    close(fds[1]);
    ssize_t n, total = 0;
    while ((n = read(fds[0], dumped + total, sizeof dumped - 1 - (size_t)total)) > 0)
        total += n;
    close(fds[0]);
    dumped[total] = '\0';
    return dumped;
}

int main(void)
{
    /* The environment sets the default level of new heaps. */
    setenv("HARDMEM_CHECK", "off", 1);
    mem_heap_t *h = mem_heap_create(32 * 1024);
    CHECK(mem_heap_check_level(h) == MEM_CHECK_OFF);
    setenv("HARDMEM_CHECK", "full", 1);
    mem_heap_t *f = mem_heap_create(4096);
    CHECK(mem_heap_check_level(f) == MEM_CHECK_FULL);
    unsetenv("HARDMEM_CHECK");
    mem_heap_t *l = mem_heap_create(4096);
    CHECK(mem_heap_check_level(l) == MEM_CHECK_LOCAL);
    CHECK(mem_heap_set_check_level(l, 3) == E_BAD_ARGS && mem_heap_check_level(l) == MEM_CHECK_LOCAL);
    CHECK(mem_heap_set_check_level(l, -1) == E_BAD_ARGS);
    mem_heap_destroy(f);
    mem_heap_destroy(l);

    /* At OFF, a write after free goes unseen; raising the level poisons the
     * free space and fills the slack, so from then on it is seen. */
    unsigned char *p = mem_heap_alloc(h, 100, MEM_FIRST_FIT), *q = mem_heap_alloc(h, 100, MEM_FIRST_FIT);
    mem_heap_free(h, p);
    p[40] = 1;
    CHECK(mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_set_check_level(h, MEM_CHECK_LOCAL) == MEM_OK);
    CHECK(mem_heap_check(h) == MEM_OK);
    q[100] = 0; /* into the slack, now filled */
    CHECK(mem_heap_check(h) == E_CORRUPT_BLOCK);
    q[100] = 0xAC;
    p[40] = 1;
    CHECK(mem_heap_check(h) == E_CORRUPT_FREESPACE);
    p[40] = 0xDF;
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Statistics add up. */
    void *r = mem_heap_alloc(h, 1000, MEM_BEST_FIT);
    mem_stats_t st;
    CHECK(mem_heap_stats(h, &st) == MEM_OK);
    CHECK(st.used_bytes + st.free_bytes == st.capacity);
    CHECK(st.requested == 1100 && st.blocks == 4 && st.free_blocks == 2);
    CHECK(st.largest_free <= st.free_bytes && st.fragmentation > 0 && st.fragmentation < 1);
    CHECK(mem_heap_stats(h, NULL) == E_BAD_ARGS);

    /* The dump: a header line, one line per block, the index summary. */
    int rc;
    const char *d = dump_text(h, &rc);
    CHECK(rc == MEM_OK);
    CHECK(strstr(d, "hardmem heap ") == d);
    CHECK(strstr(d, "check level local"));
    CHECK(strstr(d, "\n  0           128         -           free   ok\n"));
    CHECK(strstr(d, "\n  128         128         100         used   ok\n"));
    CHECK(strstr(d, "free index: 2 blocks by address, 2 by size"));
    CHECK(strstr(d, ", valid\n"));
    /* A corrupt header shows as such and ends the walk. */
    ((unsigned char *)r)[-1] ^= 0x80;
    d = dump_text(h, &rc);
    CHECK(rc == E_CORRUPT_FREESPACE);
    CHECK(strstr(d, "corrupt header (header canary mismatch): walk stops here"));
    ((unsigned char *)r)[-1] ^= 0x80;
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Reports format without allocating. */
    q[101] = 0;
    CHECK(mem_heap_check(h) == E_CORRUPT_BLOCK);
    mem_report_t rep;
    CHECK(mem_heap_last_report(h, &rep) == MEM_OK);
    char line[200];
    mem_format_report(&rep, line, sizeof line);
    CHECK(strcmp(line, "block overflow: header or slack overwritten: write past the requested size (slack "
                       "overwritten) at block offset 128, byte 117 (expected 0xac, found 0x0)") == 0);
    char small[8];
    size_t need = mem_format_report(&rep, small, sizeof small);
    CHECK(need == strlen(line) && strlen(small) == 7);

    for (int code = MEM_OK; code <= E_CORRUPT_BLOCK; code++)
        CHECK(strcmp(mem_strerror(code), "unknown error") != 0);
    CHECK(strcmp(mem_strerror(99), "unknown error") == 0);

    mem_heap_destroy(h);
    return check_done("levels_test");
}
