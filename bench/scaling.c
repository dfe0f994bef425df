/*
 * scaling.c - cost per alloc+free against the number of free blocks.
 *
 * For n = 10^3 .. 10^6 it builds a heap with n free holes (random sizes of
 * 48..256 bytes, each between two live 48-byte blocks so they cannot merge)
 * and a large free tail, then times pairs of mem_heap_alloc + mem_heap_free
 * for every style, with request sizes cycling through 8 values.  Each pair
 * leaves the heap as it found it, so every row measures the same shape.  It
 * prints nanoseconds and index hops (nodes visited by the alloc's search)
 * per pair, and the ratio of the 10^6 row to the 10^3 row: O(log n) per
 * operation means the hops grow by about 2x over that range (log 10^6 /
 * log 10^3), and the time should too, plus whatever cache misses add.
 *
 * Usage: scaling [pairs per style, default 200000] [max n, default 1000000]
 * Build optimised: ./bazelw run --config=opt //bench:scaling
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mem.h"

static const char *style_names[] = { "first", "best", "worst", "next" };
enum { STYLES = 4, ROWS = 4 };

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A heap with n free holes between live separators, plus a free tail. */
static mem_heap_t *build(size_t n)
{
    mem_heap_t *h = mem_heap_create(n * (256 + 48) + (8 << 20));
    if (!h)
        return NULL;
    void **holes = calloc(n, sizeof *holes);
    for (size_t i = 0; i < n; i++) {
        size_t bytes = 48 + 16 * (next_rand() % 14); /* 48 .. 256 */
        holes[i] = mem_heap_alloc(h, bytes - MEM_HEADER, MEM_FIRST_FIT);
        if (!holes[i] || !mem_heap_alloc(h, 32, MEM_FIRST_FIT)) {
            fprintf(stderr, "scaling: building the heap failed: %s\n", mem_strerror(mem_errno()));
            exit(1);
        }
    }
    for (size_t i = 0; i < n; i++)
        mem_heap_free(h, holes[i]);
    free(holes);
    return h;
}

int main(int argc, char **argv)
{
    long pairs = argc > 1 ? atol(argv[1]) : 200000;
    size_t max_n = argc > 2 ? (size_t)atol(argv[2]) : 1000000;
    static const size_t sizes[8] = { 24, 40, 64, 100, 128, 160, 200, 232 };
    double ns[ROWS][STYLES], hops[ROWS][STYLES];
    size_t rows = 0, counts[ROWS];

    printf("hardmem region heap: cost per alloc+free pair, %ld pairs per style\n", pairs);
    printf("%10s", "free blks");
    for (int s = 0; s < STYLES; s++)
        printf("  %8s ns %5s hops", style_names[s], "");
    printf("\n");
    for (size_t n = 1000; n <= max_n && rows < ROWS; n *= 10, rows++) {
        mem_heap_t *h = build(n);
        if (!h) {
            fprintf(stderr, "scaling: cannot map a heap for n=%zu\n", n);
            return 1;
        }
        mem_stats_t st;
        mem_heap_stats(h, &st);
        counts[rows] = st.free_blocks;
        printf("%10zu", st.free_blocks);
        for (int s = 0; s < STYLES; s++) {
            double total_hops = 0, t0 = now_ns();
            for (long i = 0; i < pairs; i++) {
                void *p = mem_heap_alloc(h, sizes[i & 7], s);
                mem_heap_stats(h, &st);
                total_hops += (double)st.last_hops;
                if (!p || mem_heap_free(h, p)) {
                    fprintf(stderr, "scaling: %s failed: %s\n", style_names[s], mem_strerror(mem_errno()));
                    return 1;
                }
            }
            ns[rows][s] = (now_ns() - t0) / (double)pairs;
            hops[rows][s] = total_hops / (double)pairs;
            printf("  %11.0f %10.1f", ns[rows][s], hops[rows][s]);
        }
        printf("\n");
        fflush(stdout);
        if (mem_heap_check(h) != MEM_OK) {
            fprintf(stderr, "scaling: heap check failed after the run\n");
            return 1;
        }
        mem_heap_destroy(h);
    }
    if (rows < 2)
        return 0;
    printf("%10s", "ratio");
    int worst_ok = 1;
    for (int s = 0; s < STYLES; s++) {
        double r = ns[rows - 1][s] / ns[0][s];
        printf("  %11.2f %10.2f", r, hops[rows - 1][s] / hops[0][s]);
        worst_ok &= r <= 3.0;
    }
    printf("\n(ratio: the %zu-free-block row over the %zu row; target <= 3 for time)\n", counts[rows - 1],
           counts[0]);
    printf("%s\n", worst_ok ? "all styles within the 3x target" : "SOME STYLE EXCEEDS THE 3x TARGET");
    return 0;
}
