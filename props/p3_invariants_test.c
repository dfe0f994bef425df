/*
 * p3_invariants_test.c - property 3: invariant preservation.
 *
 * mem_heap_check is MEM_OK after every operation, at every check level (the
 * setup byte and OP_LEVEL move the level).
 * Checked after every op of every trial by testing/exec.c; the runner
 * (testing/runner.c) replays the corpus, generates seeded trials, and shrinks
 * and reports any failure.
 */
#include "runner.h"

int main(int argc, char **argv)
{
    static const prop_spec_t spec = {
        .name = "p3_invariants_test",
        .prop = P_INVARIANTS,
        .trials = 1000,
        .ops = 100,
        /* alloc free realloc calloc aligned check level bad_args misuse usable stats dump free_all */
        .mix = { { 30, 20, 12, 5, 8, 2, 8, 2, 3, 2, 1, 2, 1 } },
        .target = "//props:p3_invariants_test",
    };
    return prop_main(&spec, argc, argv);
}
