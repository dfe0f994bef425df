/*
 * p4_contents_test.c - property 4: contents.
 *
 * Every live block's fill cookie survives all other operations; realloc
 * keeps the prefix min(old, new); calloc returns zeros.
 * Checked after every op of every trial by testing/exec.c; the runner
 * (testing/runner.c) replays the corpus, generates seeded trials, and shrinks
 * and reports any failure.
 */
#include "runner.h"

int main(int argc, char **argv)
{
    static const prop_spec_t spec = {
        .name = "p4_contents_test",
        .prop = P_CONTENTS,
        .trials = 1000,
        .ops = 100,
        /* alloc free realloc calloc aligned check level bad_args misuse usable stats dump free_all */
        .mix = { { 25, 15, 25, 10, 6, 1, 3, 1, 2, 1, 1, 1, 1 } },
        .target = "//props:p4_contents_test",
    };
    return prop_main(&spec, argc, argv);
}
