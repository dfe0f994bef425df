/*
 * p7_failed_calls_test.c - property 7: failed calls change nothing.
 *
 * A call that fails (E_BAD_ARGS, E_NO_SPACE, a bad pointer) leaves every
 * byte of the region and the heap's roots, rover and statistics as they were.
 * Checked after every op of every trial by testing/exec.c; the runner
 * (testing/runner.c) replays the corpus, generates seeded trials, and shrinks
 * and reports any failure.
 */
#include "runner.h"

int main(int argc, char **argv)
{
    static const prop_spec_t spec = {
        .name = "p7_failed_calls_test",
        .prop = P_FAILED_NOCHANGE,
        .trials = 1000,
        .ops = 100,
        /* alloc free realloc calloc aligned check level bad_args misuse usable stats dump free_all */
        .mix = { { 25, 10, 12, 4, 8, 1, 2, 12, 12, 2, 1, 1, 1 } },
        .target = "//props:p7_failed_calls_test",
    };
    return prop_main(&spec, argc, argv);
}
