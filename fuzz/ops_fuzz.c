/*
 * ops_fuzz.c - fuzz target: operation sequences against the model.
 *
 * The input is an op program (testing/ops.h): a heap setup, then allocs in
 * every style, calloc, aligned alloc, realloc, free, check, level changes,
 * bad arguments and misuse.  testing/exec.c runs it beside the reference
 * model and checks every property of issue 3 after every op; a failure
 * prints the property, the op and the whole trace, then aborts, which
 * libFuzzer records as a crash.  The property tests replay this target's
 * corpus too, since it is the same format.
 */
#include <stdio.h>
#include <stdlib.h>

#include "exec.h"

enum { MAX_OPS = 256 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    failure_t f;
    exec_opts_t quiet = { PROPS_ALL, NULL };
    if (exec_bytes(data, size, MAX_OPS, &quiet, &f))
        return 0;
    fprintf(stderr, "ops_fuzz: %s failed at op #%ld: %s\n  %s\ntrace:\n", prop_name(f.prop), f.op_index, f.sig,
            f.msg);
    exec_opts_t loud = { PROPS_ALL, stderr };
    exec_bytes(data, size, MAX_OPS, &loud, &f);
    abort();
}
