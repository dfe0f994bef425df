/* init_test.c - the default heap's life cycle: mem_init, mem_destroy, errors. */
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mem.h"

/* In a child whose address space may not grow, mapping a heap fails with
 * E_MAP_FAILED (and mem_init leaves no heap behind). */
static int map_failure_code(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = { 1, 1 };
        setrlimit(RLIMIT_AS, &lim);
        mem_heap_t *h = mem_heap_create(1 << 20);
        int code = h ? 100 : mem_errno();
        if (mem_init(1 << 20) != E_MAP_FAILED || mem_default_heap() != NULL)
            code = 101;
        _exit(code);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    /* Before mem_init every call reports E_NOT_INIT and does nothing. */
    CHECK(mem_default_heap() == NULL);
    CHECK(mem_alloc(16, MEM_FIRST_FIT) == NULL && mem_errno() == E_NOT_INIT);
    CHECK(mem_free((void *)0x1000) == E_NOT_INIT);
    CHECK(mem_free(NULL) == MEM_OK); /* NULL is a no-op even then */
    CHECK(mem_check() == E_NOT_INIT);
    CHECK(mem_destroy() == E_NOT_INIT);

    /* Size 0 is rejected; the failed call leaves no heap behind. */
    CHECK(mem_init(0) == E_BAD_ARGS && mem_errno() == E_BAD_ARGS);
    CHECK(mem_default_heap() == NULL);

    /* The region is the size rounded up to whole pages. */
    CHECK(mem_init(1) == MEM_OK && mem_errno() == MEM_OK);
    mem_stats_t st;
    CHECK(mem_stats(&st) == MEM_OK);
    CHECK(st.capacity == page);
    CHECK(st.free_bytes == page && st.used_bytes == 0 && st.blocks == 1 && st.free_blocks == 1);
    CHECK((char *)mem_heap_end(mem_default_heap()) - (char *)mem_heap_base(mem_default_heap()) == (long)page);

    /* A second mem_init fails and keeps the first heap intact. */
    void *p = mem_alloc(100, MEM_FIRST_FIT);
    CHECK(p != NULL);
    CHECK(mem_init(4096) == E_BAD_ARGS);
    CHECK(mem_usable_size(p) == 100);
    CHECK(mem_check() == MEM_OK);
    CHECK(mem_free(p) == MEM_OK);
    CHECK(mem_destroy() == MEM_OK);
    CHECK(mem_default_heap() == NULL);

    /* After destroy the heap can be made again, with another size. */
    CHECK(mem_init(3 * page + 1) == MEM_OK);
    CHECK(mem_stats(&st) == MEM_OK && st.capacity == 4 * page);
    CHECK(mem_destroy() == MEM_OK);

    /* Absurd sizes are refused, not attempted. */
    CHECK(mem_init((size_t)-1) == E_BAD_ARGS);
    CHECK(mem_default_heap() == NULL);

    /* Explicit heaps: any number, independent of each other. */
    mem_heap_t *a = mem_heap_create(8192), *b = mem_heap_create(8192);
    CHECK(a && b && a != b);
    void *pa = mem_heap_alloc(a, 64, MEM_BEST_FIT), *pb = mem_heap_alloc(b, 64, MEM_BEST_FIT);
    CHECK(pa && pb);
    CHECK(mem_heap_free(b, pa) == E_BAD_POINTER); /* a's block is foreign to b */
    CHECK(mem_heap_free(a, pa) == MEM_OK && mem_heap_free(b, pb) == MEM_OK);
    CHECK(mem_heap_destroy(a) == MEM_OK && mem_heap_destroy(b) == MEM_OK);
    CHECK(mem_heap_destroy(NULL) == E_BAD_ARGS);
    CHECK(mem_heap_alloc(NULL, 16, MEM_FIRST_FIT) == NULL && mem_errno() == E_BAD_ARGS);

    /* A heap in a caller's buffer, which is neither mapped nor unmapped. */
    static unsigned char buf[1 << 16];
    CHECK(mem_heap_create_in(buf, mem_heap_min_size() - 1) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_create_in(NULL, sizeof buf) == NULL && mem_errno() == E_BAD_ARGS);
    mem_heap_t *c = mem_heap_create_in(buf + 3, sizeof buf - 3); /* misaligned start is fine */
    CHECK(c != NULL);
    void *pc = mem_heap_alloc(c, 1000, MEM_WORST_FIT);
    CHECK(pc && (unsigned char *)pc > buf && (unsigned char *)pc < buf + sizeof buf);
    CHECK(((uintptr_t)pc & 15) == 0);
    CHECK(mem_heap_check(c) == MEM_OK);
    CHECK(mem_heap_destroy(c) == MEM_OK);
    /* A destroyed handle is refused, not used. */
    CHECK(mem_heap_alloc(c, 16, MEM_FIRST_FIT) == NULL && mem_errno() == E_BAD_ARGS);
    mem_heap_t *tiny = mem_heap_create_in(buf, mem_heap_min_size());
    CHECK(tiny != NULL);
    CHECK(mem_heap_alloc(tiny, 32, MEM_FIRST_FIT) != NULL); /* exactly one minimum block */
    CHECK(mem_heap_alloc(tiny, 1, MEM_FIRST_FIT) == NULL && mem_errno() == E_NO_SPACE);
    CHECK(mem_heap_destroy(tiny) == MEM_OK);

    /* The check level can be given at creation: a bad one is refused, OFF
     * leaves the free space as it was (a zeroed buffer stays zero past the
     * control structure and the first block's header and node), LOCAL
     * poisons it. */
    CHECK(mem_heap_create_in_level(buf, sizeof buf, MEM_CHECK_FULL + 1) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_create_in_level(buf, sizeof buf, -1) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_create_in_level(NULL, sizeof buf, MEM_CHECK_OFF) == NULL && mem_errno() == E_BAD_ARGS);
    for (int level = MEM_CHECK_OFF; level <= MEM_CHECK_FULL; level++) {
        memset(buf, 0, sizeof buf);
        mem_heap_t *l = mem_heap_create_in_level(buf, sizeof buf, level);
        CHECK(l != NULL && mem_errno() == MEM_OK);
        CHECK(mem_heap_check_level(l) == level);
        CHECK(mem_heap_check(l) == MEM_OK);
        unsigned char mid = buf[sizeof buf - 64]; /* near the end of the one free block */
        CHECK(level == MEM_CHECK_OFF ? mid == 0 : mid == 0xDF); /* POISON_BYTE */
        void *q = mem_heap_alloc(l, 100, MEM_FIRST_FIT);
        CHECK(q != NULL && mem_heap_free(l, q) == MEM_OK && mem_heap_check(l) == MEM_OK);
        CHECK(mem_heap_destroy(l) == MEM_OK);
    }

    CHECK(map_failure_code() == E_MAP_FAILED);

    return check_done("init_test");
}
