/*
 * p10_misuse_test.c - property 10: misuse codes.
 *
 * Double free -> E_DOUBLE_FREE; interior, misaligned or wild pointer ->
 * E_BAD_POINTER; overflow into the slack or the next header ->
 * E_CORRUPT_BLOCK; underflow into the block's own header -> E_CORRUPT_BLOCK
 * (or E_BAD_POINTER when its size or flags were hit, so that it no longer
 * describes a block);
 * write after free -> mem_heap_check says E_CORRUPT_FREESPACE with the
 * "written after free" report.  At MEM_CHECK_FULL the entry check reports
 * first (E_CORRUPT_FREESPACE for a bad header).  The region API returns
 * codes; the checked malloc's aborting death tests belong to that library.
 * Checked after every op of every trial by testing/exec.c; the runner
 * (testing/runner.c) replays the corpus, generates seeded trials, and shrinks
 * and reports any failure.
 */
#include "runner.h"

int main(int argc, char **argv)
{
    static const prop_spec_t spec = {
        .name = "p10_misuse_test",
        .prop = P_MISUSE,
        .trials = 1000,
        .ops = 100,
        /* alloc free realloc calloc aligned check level bad_args misuse usable stats dump free_all */
        .mix = { { 25, 10, 6, 2, 4, 1, 4, 10, 30, 2, 1, 1, 1 } },
        .target = "//props:p10_misuse_test",
    };
    return prop_main(&spec, argc, argv);
}
