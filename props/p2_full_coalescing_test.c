/*
 * p2_full_coalescing_test.c - property 2: full coalescing.
 *
 * No two free blocks are ever adjacent, and freeing every live block gives
 * back exactly the initial single free block.
 * Checked after every op of every trial by testing/exec.c; the runner
 * (testing/runner.c) replays the corpus, generates seeded trials, and shrinks
 * and reports any failure.
 */
#include "runner.h"

int main(int argc, char **argv)
{
    static const prop_spec_t spec = {
        .name = "p2_full_coalescing_test",
        .prop = P_COALESCE,
        .trials = 1000,
        .ops = 100,
        /* alloc free realloc calloc aligned check level bad_args misuse usable stats dump free_all */
        .mix = { { 30, 25, 12, 4, 6, 1, 2, 1, 0, 1, 1, 1, 3 } },
        .target = "//props:p2_full_coalescing_test",
    };
    return prop_main(&spec, argc, argv);
}
