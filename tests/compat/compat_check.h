/*
 * compat_check.h - the adapter tests' harness: CHECK(cond) records a failed
 * contract with its file, line and text and carries on; check_done() prints
 * the totals and gives main's exit status.  (The same shape as tests/check.h,
 * which lives in a package that does not export it.)
 */
#ifndef HARDMEM_TESTS_COMPAT_CHECK_H
#define HARDMEM_TESTS_COMPAT_CHECK_H

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

static inline int check_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
