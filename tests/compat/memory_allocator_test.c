/* memory_allocator_test.c - API 3: the pool's life cycle and every error,
 * with the header's default configuration (1 MiB, first fit). */
#include <string.h>

#include "tests/check.h"
#include "lib/mem.h" /* mem_errno(): why a call failed */
#include "memory_allocator.h"

int main(void)
{
    /* No pool yet. */
    CHECK(allocate_memory(16) == NULL);
    CHECK(free_memory(&check_count) == -1);
    CHECK(free_memory(NULL) == 0);
    CHECK(destroy_allocator() == -1);

    CHECK(init_allocator() == 0);
    CHECK(init_allocator() == -1); /* one pool at a time; the first is kept */

    /* Bad sizes and exhaustion. */
    CHECK(allocate_memory(0) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(allocate_memory(MA_POOL_SIZE) == NULL && mem_errno() == E_NO_SPACE);
    CHECK(allocate_memory((size_t)-1) == NULL);
    char *whole = allocate_memory(MA_POOL_SIZE - MEM_HEADER); /* exactly fits */
    CHECK(whole != NULL);
    CHECK(allocate_memory(1) == NULL && mem_errno() == E_NO_SPACE);
    CHECK(free_memory(whole) == 0);

    /* First fit: a freed hole at the start is reused first. */
    char *a = allocate_memory(100), *b = allocate_memory(100);
    CHECK(a && b && a < b);
    CHECK(free_memory(a) == 0);
    CHECK(allocate_memory(50) == a);

    /* Misuse fails with -1 and changes nothing. */
    CHECK(free_memory(b) == 0);
    CHECK(free_memory(b) == -1 && mem_errno() == E_DOUBLE_FREE);
    CHECK(free_memory(a + 16) == -1 && mem_errno() == E_BAD_POINTER);
    char *c = allocate_memory(32);
    memset(c, 0, 33);
    CHECK(free_memory(c) == -1 && mem_errno() == E_CORRUPT_BLOCK);

    /* Destroy drops the pool; a new one can be made. */
    CHECK(destroy_allocator() == 0);
    CHECK(destroy_allocator() == -1);
    CHECK(allocate_memory(16) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(init_allocator() == 0);
    CHECK(allocate_memory(MA_POOL_SIZE - MEM_HEADER) != NULL);
    CHECK(destroy_allocator() == 0);

    /* Explicit configurations are checked too. */
    CHECK(memory_allocator_init(0, MA_FIRST_FIT, MA_LOCK_MUTEX) == -1);
    CHECK(memory_allocator_init(4096, 4, MA_LOCK_MUTEX) == -1);
    CHECK(memory_allocator_init(4096, MA_BEST_FIT, 2) == -1);
    CHECK(allocate_memory(16) == NULL);
    return check_done("memory_allocator_test");
}
