/* memory_allocator_config_test.c - API 3's -D configuration reaches the pool:
 * built with -DMA_POOL_SIZE=8192 -DMA_STRATEGY=MA_WORST_FIT
 * -DMA_LOCKING=MA_LOCK_NONE (see BUILD.bazel). */
#include "tests/check.h"
#include "memory_allocator.h"

int main(void)
{
    CHECK(MA_POOL_SIZE == 8192 && MA_STRATEGY == MA_WORST_FIT && MA_LOCKING == MA_LOCK_NONE);
    CHECK(init_allocator() == 0);

    /* The pool is 8192 bytes: one block of 8192 - 16 fits, nothing more. */
    char *all = allocate_memory(8192 - 16);
    CHECK(all != NULL);
    CHECK(allocate_memory(1) == NULL);
    CHECK(free_memory(all) == 0);

    /* Worst fit: with a small hole at the start and the large tail free,
     * a small request goes to the tail, not the hole. */
    char *a = allocate_memory(64), *b = allocate_memory(64);
    CHECK(a && b && free_memory(a) == 0);
    char *c = allocate_memory(16);
    CHECK(c != NULL && c > b);
    CHECK(destroy_allocator() == 0);
    return check_done("memory_allocator_config_test");
}
