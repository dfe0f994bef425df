/*
 * runner.h - the property runner: replay saved examples, generate seeded
 * trials, shrink any failure, and report it so that it can be replayed.
 *
 * Command line of every property test (and env variables):
 *   --seed=N | --seed=random    (HARDMEM_SEED)  run seed; default fixed
 *   --trials=N --ops=N                          trial count and length
 *   --long                      (HARDMEM_LONG=1) 50x the trials, 4x the ops
 *   --replay=FILE                               run one input with a trace
 */
#ifndef HARDMEM_TESTING_RUNNER_H
#define HARDMEM_TESTING_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "ops.h"

typedef struct prop_spec {
    const char *name;    /* the test's name, e.g. "p1_no_overlap_test" */
    prop_t prop;         /* the property checked */
    size_t trials;       /* default trial count */
    size_t ops;          /* ops per trial */
    op_mix_t mix;        /* op weights for generation */
    const char *target;  /* Bazel label, for the replay command */
} prop_spec_t;

/* Run the property test; returns main's exit status. */
int prop_main(const prop_spec_t *spec, int argc, char **argv);

#endif
