/*
 * check.h - the unit tests' harness: one assertion, a summary, and a
 * byte-run test (all_bytes) for fills, poison and slack.
 *
 * CHECK(cond) records a failure with its file, line and text and goes on, so
 * one run shows every broken contract; check_done() prints the totals and
 * gives main's exit status.  A macro only because it must capture the text
 * and position of the condition; the work is in the static functions.
 */
#ifndef HARDMEM_TESTS_CHECK_H
#define HARDMEM_TESTS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures, check_count;

static inline void check_at(int ok, const char *text, const char *file, int line)
{
    check_count++;
    if (!ok) {
        check_failures++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, text);
    }
}

#define CHECK(cond) check_at(!!(cond), #cond, __FILE__, __LINE__)

/* Are the n bytes at p all `byte`?  (The tests' checks of fills, poison
 * and slack.) */
static inline bool all_bytes(const void *p, size_t n, unsigned char byte)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != byte)
            return false;
    return true;
}

static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
