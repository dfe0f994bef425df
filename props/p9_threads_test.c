/*
 * p9_threads_test.c - property 9: many threads on one heap keep every
 * property (and ThreadSanitizer sees no race: run with --config=tsan).
 *
 * THREADS threads start together on one heap and each runs a seeded op
 * sequence (testing/ops.h: alloc in every style, calloc, aligned alloc,
 * realloc, free, usable_size, check) on its own blocks, each filled with a
 * cookie.  While they run, each thread checks after every op that:
 *   its blocks are inside the region and aligned, usable_size equals the
 *   request, every cookie is intact (P1, P4), calloc gave zeros, and a call
 *   that fails says E_NO_SPACE (the only failure possible here);
 *   every CHECK_EVERY ops, mem_heap_check is MEM_OK (P3) and the statistics
 *   add up (used + free == capacity, P6).
 * After the join: all threads' blocks are pairwise disjoint (P1), the
 * statistics equal what the threads hold (requested bytes, block count),
 * and freeing everything gives back one free block (P2).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "model.h"
#include "ops.h"
#include "src.h"

enum { THREADS = 4, OPS = 3000, SLOTS = 64, CHECK_EVERY = 64 };

typedef struct blk {
    unsigned char *p;
    size_t req;
    uint32_t seed;
} blk_t;

typedef struct worker {
    int id;
    mem_heap_t *h;
    pthread_barrier_t *start;
    blk_t blk[SLOTS];
    size_t n;
    uint32_t next_seed;
    char error[256]; /* first failure, empty if none */
    uint8_t buf[SRC_MAX_BYTES];
    program_t prog;
} worker_t;

static unsigned char *heap_lo, *heap_hi;

static void fill(blk_t *b)
{
    for (size_t i = 0; i < b->req; i++)
        b->p[i] = cookie_byte(b->seed, i);
}

static bool intact(const blk_t *b)
{
    for (size_t i = 0; i < b->req; i++)
        if (b->p[i] != cookie_byte(b->seed, i))
            return false;
    return true;
}

static void failf(worker_t *w, size_t op, const char *what)
{
    if (!w->error[0])
        snprintf(w->error, sizeof w->error, "thread %d, op %zu: %s", w->id, op, what);
}

/* Record a new block, or check the failure code. */
static void got(worker_t *w, size_t op, unsigned char *p, size_t req, size_t align, bool zeroed)
{
    if (!p) {
        if (mem_errno() != E_NO_SPACE)
            failf(w, op, "allocation failed with a code other than E_NO_SPACE");
        return;
    }
    if (p < heap_lo || p + req > heap_hi || (uintptr_t)p % align)
        failf(w, op, "block outside the region or misaligned");
    for (size_t i = 0; zeroed && i < req; i++)
        if (p[i]) {
            failf(w, op, "calloc memory not zero");
            break;
        }
    if (w->n == SLOTS) {
        mem_heap_free(w->h, p);
        return;
    }
    blk_t *b = &w->blk[w->n++];
    *b = (blk_t){ p, req, w->next_seed++ };
    fill(b);
}

static void one_op(worker_t *w, size_t i, const op_t *op)
{
    blk_t *b = w->n ? &w->blk[op->sel % w->n] : NULL;
    switch (op->code) {
    case OP_ALLOC:
        got(w, i, mem_heap_alloc(w->h, op->size, op->style), op->size, 16, false);
        break;
    case OP_CALLOC:
        got(w, i, mem_heap_calloc(w->h, op->n, op->size), op->n * op->size, 16, true);
        break;
    case OP_ALIGNED: {
        size_t align = (size_t)1 << op->align_log;
        got(w, i, mem_heap_aligned_alloc(w->h, align, op->size, op->style), op->size, align < 16 ? 16 : align,
            false);
        break;
    }
    case OP_REALLOC:
        if (b) {
            unsigned char *q = mem_heap_realloc(w->h, b->p, op->size);
            if (!q) {
                if (mem_errno() != E_NO_SPACE)
                    failf(w, i, "realloc failed with a code other than E_NO_SPACE");
                break;
            }
            size_t keep = b->req < op->size ? b->req : op->size;
            blk_t moved = { q, keep, b->seed };
            if (!intact(&moved))
                failf(w, i, "realloc lost the prefix");
            b->p = q;
            b->req = op->size;
            fill(b);
        }
        break;
    case OP_USABLE:
        if (b && mem_heap_usable_size(w->h, b->p) != b->req)
            failf(w, i, "usable_size is not the request");
        break;
    default: /* everything else frees */
        if (b) {
            if (!intact(b))
                failf(w, i, "block lost its cookie before free");
            if (mem_heap_free(w->h, b->p))
                failf(w, i, "free of a live block failed");
            *b = w->blk[--w->n];
        }
        break;
    }
}

static void *work(void *arg)
{
    worker_t *w = arg;
    src_t s;
    op_mix_t mix = { { 30, 25, 12, 4, 6, 0, 0, 0, 0, 4 } };
    src_generate(&s, w->buf, 0x7e57ULL * (uint64_t)(w->id + 1));
    ops_decode(&s, &w->prog, OPS, &mix);
    pthread_barrier_wait(w->start);
    for (size_t i = 0; i < w->prog.nops && !w->error[0]; i++) {
        one_op(w, i, &w->prog.ops[i]);
        for (size_t k = 0; k < w->n; k++)
            if (!intact(&w->blk[k]))
                failf(w, i, "a live block lost its cookie");
        if (i % CHECK_EVERY == 0) {
            mem_stats_t st;
            if (mem_heap_check(w->h) != MEM_OK)
                failf(w, i, "mem_heap_check failed");
            if (mem_heap_stats(w->h, &st) || st.used_bytes + st.free_bytes != st.capacity)
                failf(w, i, "statistics do not add up");
        }
    }
    return NULL;
}

static int cmp_blk(const void *a, const void *b)
{
    const blk_t *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

int main(void)
{
    mem_heap_t *h = mem_heap_create(256 * 1024);
    heap_lo = mem_heap_base(h);
    heap_hi = mem_heap_end(h);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS);
    static worker_t w[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){ .id = i, .h = h, .start = &start, .next_seed = 1000u * (uint32_t)i };
        pthread_create(&tid[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(tid[i], NULL);
    int failed = 0;
    static blk_t all[THREADS * SLOTS];
    size_t n = 0, requested = 0;
    for (int i = 0; i < THREADS; i++) {
        if (w[i].error[0]) {
            fprintf(stderr, "p9: %s\n", w[i].error);
            failed = 1;
        }
        for (size_t k = 0; k < w[i].n; k++) {
            all[n++] = w[i].blk[k];
            requested += w[i].blk[k].req;
        }
    }
    qsort(all, n, sizeof all[0], cmp_blk);
    for (size_t i = 1; i < n; i++)
        if (all[i - 1].p + all[i - 1].req > all[i].p) {
            fprintf(stderr, "p9: blocks of different threads overlap\n");
            failed = 1;
        }
    mem_stats_t st;
    if (mem_heap_check(h) || mem_heap_stats(h, &st) || st.requested != requested || st.blocks - st.free_blocks != n) {
        fprintf(stderr, "p9: after the join the heap does not match what the threads hold\n");
        failed = 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!intact(&all[i]) || mem_heap_free(h, all[i].p)) {
            fprintf(stderr, "p9: a block was damaged or could not be freed after the join\n");
            failed = 1;
        }
    if (mem_heap_stats(h, &st) || st.blocks != 1 || st.free_blocks != 1 || st.free_bytes != st.capacity) {
        fprintf(stderr, "p9: freeing everything did not give back one free block\n");
        failed = 1;
    }
    printf("p9_threads_test: %d threads x %d ops on one heap, %zu blocks live at the join: %s\n", THREADS, OPS, n,
           failed ? "FAILED" : "holds");
    pthread_barrier_destroy(&start);
    mem_heap_destroy(h);
    return failed;
}
