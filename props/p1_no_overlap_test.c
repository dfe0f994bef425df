/*
 * p1_no_overlap_test.c - property 1: no overlap.
 *
 * Live blocks are disjoint, inside the region, aligned to 16 bytes (or the
 * requested alignment), and usable_size equals the requested size.
 * Checked after every op of every trial by testing/exec.c; the runner
 * (testing/runner.c) replays the corpus, generates seeded trials, and shrinks
 * and reports any failure.
 */
#include "runner.h"

int main(int argc, char **argv)
{
    static const prop_spec_t spec = {
        .name = "p1_no_overlap_test",
        .prop = P_NO_OVERLAP,
        .trials = 1000,
        .ops = 100,
        /* alloc free realloc calloc aligned check level bad_args misuse usable stats dump free_all */
        .mix = { { 30, 15, 12, 5, 10, 1, 2, 1, 0, 6, 1, 1, 1 } },
        .target = "//props:p1_no_overlap_test",
    };
    return prop_main(&spec, argc, argv);
}
