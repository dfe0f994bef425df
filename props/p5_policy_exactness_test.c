/*
 * p5_policy_exactness_test.c - property 5: policy exactness.
 *
 * Each style returns exactly the block the model predicts (first, best,
 * worst and next fit; the split rule; aligned leads; realloc in place or
 * moved), and the real block layout equals the model's after every op.
 * Checked after every op of every trial by testing/exec.c; the runner
 * (testing/runner.c) replays the corpus, generates seeded trials, and shrinks
 * and reports any failure.
 */
#include "runner.h"

int main(int argc, char **argv)
{
    static const prop_spec_t spec = {
        .name = "p5_policy_exactness_test",
        .prop = P_POLICY,
        .trials = 1000,
        .ops = 100,
        /* alloc free realloc calloc aligned check level bad_args misuse usable stats dump free_all */
        .mix = { { 35, 20, 12, 4, 10, 1, 2, 1, 0, 1, 1, 1, 1 } },
        .target = "//props:p5_policy_exactness_test",
    };
    return prop_main(&spec, argc, argv);
}
