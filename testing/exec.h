/*
 * exec.h - run a decoded program on a real heap beside the model, checking
 * the properties of issue 3 after every operation.
 *
 * The properties are bits of a mask, so each property test checks its own
 * and the fuzz targets check all of them.  When the heap and the model
 * disagree on something a property outside the mask would have caught, the
 * model adopts what the heap did (or the run ends quietly if it cannot), so
 * a test never fails for another property's reason.
 */
#ifndef HARDMEM_TESTING_EXEC_H
#define HARDMEM_TESTING_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ops.h"

typedef enum prop {
    P_NO_OVERLAP = 1,      /* 1: disjoint, inside, aligned, usable >= requested   */
    P_COALESCE = 2,        /* 2: no adjacent free blocks; free all -> one block   */
    P_INVARIANTS = 3,      /* 3: mem_heap_check clean after every op              */
    P_CONTENTS = 4,        /* 4: cookies survive, realloc keeps prefix, calloc 0s */
    P_POLICY = 5,          /* 5: each style returns the model's block             */
    P_CONSERVATION = 6,    /* 6: statistics equal the model's                     */
    P_FAILED_NOCHANGE = 7, /* 7: a failed call changes no byte of metadata        */
    P_MISUSE = 10,         /* 10: misuse reported with the right code             */
} prop_t;

static inline uint32_t prop_bit(prop_t p) { return 1u << p; }
enum { PROPS_ALL = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 10) };

const char *prop_name(int p);

typedef struct failure {
    bool failed;
    int prop;
    char sig[64];   /* stable kind of failure: the shrinker keeps it fixed */
    char msg[512];  /* details with numbers */
    long op_index;  /* -1: during setup or at the end of the run */
} failure_t;

typedef struct exec_opts {
    uint32_t props;   /* prop_bit()s to check */
    FILE *trace;      /* print each op as a call, or NULL */
} exec_opts_t;

/* Decode `data` and run it on a fresh heap.  Returns true when every
 * checked property held; otherwise *f says what broke. */
bool exec_bytes(const uint8_t *data, size_t len, size_t max_ops, const exec_opts_t *o, failure_t *f);
/* Run an already decoded program. */
bool exec_program(const program_t *p, const exec_opts_t *o, failure_t *f);

#endif
