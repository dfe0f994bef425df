/*
 * bench.c - the cost of an allocator on two workloads, in ns per operation.
 *
 *   loop64  malloc(64), touch, free, repeated: the fast path and nothing else.
 *   churn   4096 slots; each step replaces a random slot with a block of a
 *           random size (mostly 16..512 bytes, 1 in 16 up to 16 KiB, 1 in 8
 *           steps a realloc), touching every new block: an allocation-heavy
 *           program's mix of sizes and lifetimes.
 *
 * Usage: bench WORKLOAD OPS.  The allocator is whatever malloc the process
 * has (bench.sh preloads each one in turn).  Prints "WORKLOAD ns/op".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench loop64|churn OPS\n");
        return 2;
    }
    long ops = atol(argv[2]);
    double t0 = now();
    if (!strcmp(argv[1], "loop64")) {
        for (long i = 0; i < ops; i++) {
            char *volatile p = malloc(64);
            p[0] = (char)i;
            free(p);
        }
    } else {
        enum { SLOTS = 4096 };
        static char *slot[SLOTS];
        uint32_t s = 12345;
        for (long i = 0; i < ops; i++) {
            uint32_t r = rnd(&s), k = r % SLOTS;
            size_t n = (r >> 12) % 16 == 0 ? 16 + (r >> 16) % 16384 : 16 + (r >> 16) % 497;
            if ((r >> 28) % 8 == 0 && slot[k]) {
                slot[k] = realloc(slot[k], n);
            } else {
                free(slot[k]);
                slot[k] = malloc(n);
            }
            memset(slot[k], (int)i, n < 64 ? n : 64);
        }
        for (int k = 0; k < SLOTS; k++)
            free(slot[k]);
    }
    printf("%s %.1f\n", argv[1], (now() - t0) / (double)ops);
    return 0;
}
