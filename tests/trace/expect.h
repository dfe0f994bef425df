/*
 * expect.h - the trace tests' assertion: EXPECT_EQ(got, want) compares two
 * unsigned integers, prints both with the position and text when they
 * differ, and goes on, so one run shows every wrong figure; expect_done()
 * prints the totals and gives main's exit status.
 */
#ifndef HARDMEM_TESTS_TRACE_EXPECT_H
#define HARDMEM_TESTS_TRACE_EXPECT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int expect_failures, expect_count;

static inline void expect_at(uint64_t got, uint64_t want, const char *text, const char *file, int line)
{
    expect_count++;
    if (got != want) {
        expect_failures++;
        fprintf(stderr, "%s:%d: %s: got %llu, expected %llu\n", file, line, text, (unsigned long long)got,
                (unsigned long long)want);
    }
}

#define EXPECT_EQ(got, want) expect_at((uint64_t)(got), (uint64_t)(want), #got, __FILE__, __LINE__)
#define EXPECT(cond) expect_at(!!(cond), 1, #cond, __FILE__, __LINE__)

static inline int expect_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, expect_count, expect_failures);
    return expect_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
