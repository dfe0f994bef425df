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
 * With --baseline it runs the same loop, on the same heap shape, on the
 * plain address-ordered free list of bench/listheap.c (a yardstick, not part
 * of hardmem), whose searches and frees walk the list: O(n).  So that its
 * slowest rows finish, each (row, style) there stops after 1 second of
 * pairs, at least 16.  Its output has the same rows; tools/bench charts both.
 *
 * Usage: scaling [--baseline] [pairs per style, default 200000] [max n, default 1000000]
 * Build optimised: ./bazelw run --config=opt //bench:scaling
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listheap.h"
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

/* The heap under test: hardmem's region heap, or the baseline list. */
typedef struct {
    void *(*create)(size_t size);
    void (*destroy)(void *h);
    void *(*alloc)(void *h, size_t size, int style);
    int (*free)(void *h, void *p); /* 0 on success */
    size_t (*free_blocks)(void *h);
    size_t (*last_hops)(void *h);
    int (*check)(void *h); /* 0 when valid */
    const char *(*error)(void);
    int free_from_top; /* build() frees its holes from the highest address */
} engine_t;

static void *hm_create(size_t size) { return mem_heap_create(size); }
static void hm_destroy(void *h) { mem_heap_destroy(h); }
static void *hm_alloc(void *h, size_t size, int style) { return mem_heap_alloc(h, size, style); }
static int hm_free(void *h, void *p) { return mem_heap_free(h, p); }
static size_t hm_free_blocks(void *h)
{
    mem_stats_t st;
    mem_heap_stats(h, &st);
    return st.free_blocks;
}
static size_t hm_last_hops(void *h)
{
    mem_stats_t st;
    mem_heap_stats(h, &st);
    return st.last_hops;
}
static int hm_check(void *h) { return mem_heap_check(h); }
static const char *hm_error(void) { return mem_strerror(mem_errno()); }

static const engine_t hardmem = { hm_create, hm_destroy, hm_alloc, hm_free, hm_free_blocks, hm_last_hops, hm_check, hm_error, 0 };

static void *bl_create(size_t size) { return lh_create(size); }
static void bl_destroy(void *h) { lh_destroy(h); }
static void *bl_alloc(void *h, size_t size, int style) { return lh_alloc(h, size, style); }
static int bl_free(void *h, void *p) { return lh_free(h, p); }
static size_t bl_free_blocks(void *h) { return lh_free_blocks(h); }
static size_t bl_last_hops(void *h) { return lh_last_hops(h); }
static int bl_check(void *h) { return lh_check(h); }
static const char *bl_error(void) { return "no fit or bad pointer"; }

/* The list is walked from the front on every free: freeing the holes from the
 * top puts each at the front, so building it is O(n), not O(n^2). */
static const engine_t baseline = { bl_create, bl_destroy, bl_alloc, bl_free, bl_free_blocks, bl_last_hops, bl_check, bl_error, 1 };

/* A heap with n free holes between live separators, plus a free tail. */
static void *build(const engine_t *e, size_t n)
{
    void *h = e->create(n * (256 + 48) + (8 << 20));
    if (!h)
        return NULL;
    void **holes = calloc(n, sizeof *holes);
    for (size_t i = 0; i < n; i++) {
        size_t bytes = 48 + 16 * (next_rand() % 14); /* 48 .. 256 */
        holes[i] = e->alloc(h, bytes - MEM_HEADER, MEM_FIRST_FIT);
        if (!holes[i] || !e->alloc(h, 32, MEM_FIRST_FIT)) {
            fprintf(stderr, "scaling: building the heap failed: %s\n", e->error());
            exit(1);
        }
    }
    for (size_t i = 0; i < n; i++)
        e->free(h, holes[e->free_from_top ? n - 1 - i : i]);
    free(holes);
    return h;
}

int main(int argc, char **argv)
{
    int is_baseline = argc > 1 && !strcmp(argv[1], "--baseline");
    if (is_baseline) {
        argc--;
        argv++;
    }
    const engine_t *e = is_baseline ? &baseline : &hardmem;
    double budget_ns = is_baseline ? 1e9 : 0; /* per (row, style); 0: none */
    long pairs = argc > 1 ? atol(argv[1]) : 200000;
    size_t max_n = argc > 2 ? (size_t)atol(argv[2]) : 1000000;
    static const size_t sizes[8] = { 24, 40, 64, 100, 128, 160, 200, 232 };
    double ns[ROWS][STYLES], hops[ROWS][STYLES];
    size_t rows = 0, counts[ROWS];

    if (is_baseline)
        printf("baseline (bench/listheap.c, a plain address-ordered free list): cost per alloc+free pair, "
               "%ld pairs per style or 1 s\n",
               pairs);
    else
        printf("hardmem region heap: cost per alloc+free pair, %ld pairs per style\n", pairs);
    printf("%10s", "free blks");
    for (int s = 0; s < STYLES; s++)
        printf("  %8s ns %5s hops", style_names[s], "");
    printf("\n");
    for (size_t n = 1000; n <= max_n && rows < ROWS; n *= 10, rows++) {
        void *h = build(e, n);
        if (!h) {
            fprintf(stderr, "scaling: cannot map a heap for n=%zu\n", n);
            return 1;
        }
        counts[rows] = e->free_blocks(h);
        printf("%10zu", counts[rows]);
        for (int s = 0; s < STYLES; s++) {
            double total_hops = 0, t0 = now_ns();
            long done = 0;
            for (long i = 0; i < pairs; i++) {
                void *p = e->alloc(h, sizes[i & 7], s);
                total_hops += (double)e->last_hops(h);
                if (!p || e->free(h, p)) {
                    fprintf(stderr, "scaling: %s failed: %s\n", style_names[s], e->error());
                    return 1;
                }
                done = i + 1;
                if (budget_ns > 0 && done >= 16 && (done & 15) == 0 && now_ns() - t0 > budget_ns)
                    break;
            }
            ns[rows][s] = (now_ns() - t0) / (double)done;
            hops[rows][s] = total_hops / (double)done;
            printf("  %11.0f %10.1f", ns[rows][s], hops[rows][s]);
        }
        printf("\n");
        fflush(stdout);
        if (e->check(h) != 0) {
            fprintf(stderr, "scaling: heap check failed after the run\n");
            return 1;
        }
        e->destroy(h);
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
    if (is_baseline) {
        printf("\n(ratio: the %zu-free-block row over the %zu row; the baseline has no target)\n",
               counts[rows - 1], counts[0]);
        return 0;
    }
    printf("\n(ratio: the %zu-free-block row over the %zu row; target <= 3 for time)\n", counts[rows - 1],
           counts[0]);
    printf("%s\n", worst_ok ? "all styles within the 3x target" : "SOME STYLE EXCEEDS THE 3x TARGET");
    return 0;
}
