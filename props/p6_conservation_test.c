/*
 * p6_conservation_test.c - property 6: conservation.
 *
 * mem_heap_stats (used, free, requested, blocks, free blocks, largest free)
 * equals the model's totals, and used + free == capacity.
 * Checked after every op of every trial by testing/exec.c; the runner
 * (testing/runner.c) replays the corpus, generates seeded trials, and shrinks
 * and reports any failure.
 */
#include "runner.h"

int main(int argc, char **argv)
{
    static const prop_spec_t spec = {
        .name = "p6_conservation_test",
        .prop = P_CONSERVATION,
        .trials = 1000,
        .ops = 100,
        /* alloc free realloc calloc aligned check level bad_args misuse usable stats dump free_all */
        .mix = { { 30, 20, 15, 5, 8, 1, 2, 2, 2, 1, 4, 1, 1 } },
        .target = "//props:p6_conservation_test",
    };
    return prop_main(&spec, argc, argv);
}
