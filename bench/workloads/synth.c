/*
 * synth.c - the synthetic malloc workloads of tools/bench, one per subcommand.
 *
 * Usage: synth WORKLOAD OPS
 *
 *   pair64     malloc(64), write it, free it: the fast path and nothing else.
 *   batch      allocate 4,096 blocks (8..512 bytes), then free them in the
 *              same order; repeated.
 *   churn1k    a live set of 1,000 blocks of 8..512 bytes (uniform): each step
 *              frees a random slot and puts a new block of a random size there.
 *   churn1k-log  the same with sizes log-distributed from 8 bytes to 64 KiB
 *              (every power-of-two range equally likely).
 *   churn1m    the same as churn1k with a live set of 1,000,000 blocks (the
 *              fill and the final free are part of the run).
 *   xthread    two threads; in each round each allocates 1,000 blocks
 *              (16..256 bytes) and then frees the 1,000 the other allocated.
 *   realloc    64 buffers, each grown by realloc in steps of 1..256 bytes up
 *              to a log-distributed cap of 256 bytes .. 64 KiB, then freed
 *              and started again.
 *   aligned    a live set of 512 blocks replaced at random by
 *              posix_memalign / aligned_alloc / memalign, alignments 16 ..
 *              4096 bytes, sizes 8..1024; every address is checked.
 *
 * OPS counts allocation calls (malloc, realloc or an aligned allocation);
 * every allocation is freed before the program ends.  Each new block has its
 * first and last byte written, as a program would.  The random numbers come
 * from a fixed seed, so a run makes the same calls every time (xthread: the
 * same calls per thread).  The allocator is whatever malloc the process has:
 * tools/bench preloads each one in turn.
 *
 * Prints one line: "WORKLOAD ops=N seconds=S cpu=C sum=X", where S is the
 * wall-clock time of the workload itself (no process start or exit), C the
 * CPU time the process used meanwhile (all threads, user + system), and X a
 * checksum that keeps the compiler from dropping the writes.
 */
#define _GNU_SOURCE /* memalign; also gives clock_gettime and CLOCK_PROCESS_CPUTIME_ID */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

/* xorshift64*: a fixed, fast, deterministic sequence. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long checksum;

/* Called through volatile pointers, so the compiler cannot see that a block
 * is freed right after it is allocated and drop the pair (clang does). */
static void *(*volatile malloc_fn)(size_t) = malloc;
static void (*volatile free_fn)(void *) = free;
static void *(*volatile realloc_fn)(void *, size_t) = realloc;

static void *check_alloc(void *p, size_t n)
{
    if (!p) {
        fprintf(stderr, "synth: allocation of %zu bytes failed\n", n);
        exit(1);
    }
    unsigned char *c = p;
    c[0] = (unsigned char)n;
    c[n - 1] = (unsigned char)(n >> 3);
    return p;
}

static void *xmalloc(size_t n) { return check_alloc(malloc_fn(n), n); }

static void consume(const void *p)
{
    checksum += *(const unsigned char *)p;
}

/* 8..512 bytes, uniform. */
static size_t small_size(uint64_t *s) { return 8 + (size_t)(rnd(s) % 505); }

/* 8 bytes .. 64 KiB, log-distributed: a power-of-two range [2^k, 2^(k+1))
 * for k = 3..15 chosen uniformly, then a uniform size inside it. */
static size_t log_size(uint64_t *s)
{
    uint64_t r = rnd(s);
    unsigned k = 3 + (unsigned)(r % 13);
    size_t lo = (size_t)1 << k;
    size_t n = lo + (size_t)((r >> 8) % lo);
    return n > 65536 ? 65536 : n;
}

static void pair64(long ops)
{
    for (long i = 0; i < ops; i++) {
        unsigned char *p = xmalloc(64);
        consume(p);
        free_fn(p);
    }
}

static void batch(long ops)
{
    enum { N = 4096 };
    void **v = xmalloc(N * sizeof *v);
    for (long done = 0; done < ops;) {
        long n = ops - done < N ? ops - done : N;
        for (long i = 0; i < n; i++)
            v[i] = xmalloc(small_size(&rng_state));
        for (long i = 0; i < n; i++) {
            consume(v[i]);
            free_fn(v[i]);
        }
        done += n;
    }
    free_fn(v);
}

static void churn(long ops, long live, size_t (*size)(uint64_t *))
{
    void **slot = xmalloc((size_t)live * sizeof *slot);
    long i = 0;
    for (; i < live && i < ops; i++)
        slot[i] = xmalloc(size(&rng_state));
    long filled = i;
    for (; i < ops; i++) {
        long k = (long)(rnd(&rng_state) % (uint64_t)filled);
        consume(slot[k]);
        free_fn(slot[k]);
        slot[k] = xmalloc(size(&rng_state));
    }
    for (long k = 0; k < filled; k++)
        free_fn(slot[k]);
    free_fn(slot);
}

/* xthread: two threads exchange their blocks through a barrier each round. */
enum { XROUND = 1000 };
static void *xblocks[2][XROUND];
static pthread_barrier_t xbar;
static long xrounds;

static void *xthread_main(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t s = 0x9e3779b97f4a7c15ULL + (uint64_t)me;
    for (long r = 0; r < xrounds; r++) {
        for (int i = 0; i < XROUND; i++)
            xblocks[me][i] = xmalloc(16 + (size_t)(rnd(&s) % 241));
        pthread_barrier_wait(&xbar);
        for (int i = 0; i < XROUND; i++)
            free_fn(xblocks[!me][i]); /* the other thread's block */
        pthread_barrier_wait(&xbar);
    }
    return NULL;
}

static long xthread(long ops)
{
    xrounds = ops / (2 * XROUND);
    if (xrounds < 1)
        xrounds = 1;
    pthread_t t;
    if (pthread_barrier_init(&xbar, NULL, 2) || pthread_create(&t, NULL, xthread_main, (void *)(intptr_t)1)) {
        fprintf(stderr, "synth: cannot start the second thread\n");
        exit(1);
    }
    xthread_main((void *)(intptr_t)0);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&xbar);
    return xrounds * 2 * XROUND;
}

static void realloc_growth(long ops)
{
    enum { BUFS = 64 };
    unsigned char *buf[BUFS] = { 0 };
    size_t len[BUFS] = { 0 }, cap[BUFS] = { 0 };
    for (long i = 0; i < ops; i++) {
        int k = (int)(i % BUFS);
        if (buf[k] && len[k] >= cap[k]) {
            consume(buf[k]);
            free_fn(buf[k]);
            buf[k] = NULL;
        }
        if (!buf[k]) {
            len[k] = 0;
            size_t c = log_size(&rng_state);
            cap[k] = c < 256 ? 256 : c;
        }
        size_t n = len[k] + 1 + (size_t)(rnd(&rng_state) % 256);
        unsigned char *p = realloc_fn(buf[k], n);
        if (!p) {
            fprintf(stderr, "synth: realloc to %zu bytes failed\n", n);
            exit(1);
        }
        if (len[k] && p[0] != (unsigned char)len[k]) {
            fprintf(stderr, "synth: realloc lost the contents\n");
            exit(1);
        }
        p[0] = (unsigned char)n; /* remember the length in the first byte */
        p[n - 1] = 1;
        buf[k] = p;
        len[k] = n;
    }
    for (int k = 0; k < BUFS; k++)
        free_fn(buf[k]);
}

static void aligned(long ops)
{
    enum { LIVE = 512 };
    void *slot[LIVE] = { 0 };
    for (long i = 0; i < ops; i++) {
        uint64_t r = rnd(&rng_state);
        int k = (int)(r % LIVE);
        size_t align = (size_t)16 << ((r >> 16) % 9); /* 16 .. 4096 */
        size_t n = 8 + (size_t)((r >> 24) % 1017);
        if (slot[k]) {
            consume(slot[k]);
            free_fn(slot[k]);
        }
        void *p = NULL;
        switch ((r >> 40) % 3) {
        case 0:
            if (posix_memalign(&p, align, n))
                p = NULL;
            break;
        case 1:
            n = (n + align - 1) & ~(align - 1); /* C11 wants a multiple */
            p = aligned_alloc(align, n);
            break;
        default:
            p = memalign(align, n);
            break;
        }
        if (p && ((uintptr_t)p & (align - 1))) {
            fprintf(stderr, "synth: %p is not aligned to %zu\n", p, align);
            exit(1);
        }
        slot[k] = check_alloc(p, n);
    }
    for (int k = 0; k < LIVE; k++)
        free_fn(slot[k]);
}

int main(int argc, char **argv)
{
    if (argc != 3 || atol(argv[2]) <= 0) {
        fprintf(stderr, "usage: synth pair64|batch|churn1k|churn1k-log|churn1m|xthread|realloc|aligned OPS\n");
        return 2;
    }
    const char *w = argv[1];
    long ops = atol(argv[2]);
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (!strcmp(w, "pair64"))
        pair64(ops);
    else if (!strcmp(w, "batch"))
        batch(ops);
    else if (!strcmp(w, "churn1k"))
        churn(ops, 1000, small_size);
    else if (!strcmp(w, "churn1k-log"))
        churn(ops, 1000, log_size);
    else if (!strcmp(w, "churn1m"))
        churn(ops, 1000000, small_size);
    else if (!strcmp(w, "xthread"))
        ops = xthread(ops); /* whole rounds */
    else if (!strcmp(w, "realloc"))
        realloc_growth(ops);
    else if (!strcmp(w, "aligned"))
        aligned(ops);
    else {
        fprintf(stderr, "synth: unknown workload '%s'\n", w);
        return 2;
    }
    double t = clock_s(CLOCK_MONOTONIC) - t0, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("%s ops=%ld seconds=%.6f cpu=%.6f sum=%lu\n", w, ops, t, c, checksum);
    return 0;
}
