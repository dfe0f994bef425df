/*
 * p8_corruption_test.c - property 8: corruption is always caught, never
 * crashes, never hangs.
 *
 * A set of heaps is built from seeded op sequences (testing/ops.h).  For each
 * heap, every byte of block metadata is listed from the real layout:
 *   the 16-byte header of every block (size, flags, slack, canary),
 *   the 24-byte free-index node of every free block (links, max, heights,
 *   check), and the 8-byte footer of every free block (size, canary).
 * Each byte is corrupted in turn with each pattern below (on a fresh copy of
 * the heap: the heap lives in a caller buffer, so restoring the buffer
 * restores the heap exactly).  Then:
 *   - mem_heap_check must report E_CORRUPT_FREESPACE or E_CORRUPT_BLOCK; the
 *     detection rate over all corruptions is measured and printed, and must
 *     be 100%;
 *   - the same for signed corruptions (testing/corrupt.h): a header, node or
 *     control field (roots, statistics) changed and re-signed with the
 *     heap's key, as a bug inside the library would leave it, so that only
 *     the structural checks (tiling, PREV_FREE, tree order, heights, max,
 *     counts, statistics) can find it; the later calls then run at
 *     MEM_CHECK_FULL, where the entry check must stop every one of them;
 *   - a fixed sequence of later calls (usable_size, realloc and free of every
 *     live block, alloc in every style, aligned alloc, calloc, check) must
 *     each either fail with an error or succeed with a block inside the
 *     region, aligned, and disjoint from the blocks the test still holds;
 *     ASan (under --config=asan) sees any stray access, and each corruption's
 *     calls must finish within a time bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corrupt.h"
#include "heap.h"
#include "ops.h"
#include "src.h"

enum { HEAPS = 16, OPS_PER_HEAP = 60, REGION = 4096, MAX_BYTES = 8192 };
static const uint8_t patterns[] = { 0xFF, 0x01, 0x80, 0x10 };
static const double TIME_BOUND = 2.0; /* seconds for one corruption's calls */

static uint8_t gen_buf[SRC_MAX_BYTES];
static program_t prog;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct tally {
    size_t corruptions, detected, freespace, block, bad_results;
    size_t by_kind[4][2]; /* [header, node, footer, -][corruptions, detected] */
    size_t signed_total[FORGE_KINDS], signed_detected[FORGE_KINDS];
    double worst;
} tally_t;

/* 0 header, 1 node, 2 footer: from the offset inside its block. */
static int kind_of(const mem_heap_t *h, size_t byte)
{
    for (uint32_t g = h->first; g < h->end; g += hdr(h, g)->size) {
        size_t lo = gbytes(g), hi = gbytes(g + hdr(h, g)->size);
        if (byte >= lo && byte < hi)
            return byte - lo < HDR_BYTES ? 0 : byte - lo < HDR_BYTES + NODE_BYTES ? 1 : 2;
    }
    return 3;
}

static void corrupt_heap(uint64_t seed, int level, tally_t *t)
{
    size_t len = corrupt_buffer_len(REGION);
    unsigned char *buf = aligned_alloc(MEM_ALIGN, len), *saved = malloc(len);
    mem_heap_t *h = mem_heap_create_in(buf, len);
    mem_heap_set_check_level(h, level);
    static live_t live0[CORRUPT_LIVE_MAX], live[CORRUPT_LIVE_MAX];
    src_t s;
    op_mix_t mix = { { 40, 25, 15, 5, 10 } };
    src_generate(&s, gen_buf, seed);
    ops_decode(&s, &prog, OPS_PER_HEAP, &mix);
    size_t n0 = corrupt_build(h, &prog, live0);
    if (mem_heap_check(h) != MEM_OK) {
        fprintf(stderr, "heap %llx: not valid before corruption\n", (unsigned long long)seed);
        exit(1);
    }
    static size_t bytes[MAX_BYTES];
    static int kinds[MAX_BYTES];
    size_t nbytes = corrupt_metadata(h, bytes, MAX_BYTES);
    for (size_t b = 0; b < nbytes; b++)
        kinds[b] = kind_of(h, bytes[b]);
    memcpy(saved, buf, len); /* the heap is in buf: restoring buf restores it */
    for (size_t b = 0; b < nbytes; b++) {
        for (size_t k = 0; k < sizeof patterns; k++) {
            memcpy(buf, saved, len);
            h->base[bytes[b]] ^= patterns[k];
            t->corruptions++;
            t->by_kind[kinds[b]][0]++;
            double t0 = now();
            int err = mem_heap_check(h);
            if (err != MEM_OK) {
                t->detected++;
                t->by_kind[kinds[b]][1]++;
            } else {
                fprintf(stderr, "undetected: heap %llx level %d byte base+%zu ^ 0x%02x\n", (unsigned long long)seed,
                        level, bytes[b] - gbytes(h->first), patterns[k]);
            }
            t->freespace += err == E_CORRUPT_FREESPACE;
            t->block += err == E_CORRUPT_BLOCK;
            memcpy(live, live0, n0 * sizeof live[0]);
            size_t bad = corrupt_later_calls(h, live, n0);
            if (bad)
                fprintf(stderr, "wrong results: heap %llx byte base+%zu ^ 0x%02x: %zu\n", (unsigned long long)seed,
                        bytes[b] - gbytes(h->first), patterns[k], bad);
            t->bad_results += bad;
            double dt = now() - t0;
            if (dt > t->worst)
                t->worst = dt;
        }
    }
    /* Signed corruptions: a field changed and re-signed with the heap's key. */
    static forgery_t forged[MAX_BYTES];
    memcpy(buf, saved, len);
    size_t nforged = corrupt_forgeries(h, forged, MAX_BYTES);
    for (size_t i = 0; i < nforged; i++) {
        memcpy(buf, saved, len);
        corrupt_forge(h, &forged[i]);
        t->signed_total[forged[i].kind]++;
        double t0 = now();
        int err = mem_heap_check(h);
        if (err != MEM_OK)
            t->signed_detected[forged[i].kind]++;
        else
            fprintf(stderr, "undetected signed corruption: heap %llx level %d kind %d at base+%zu = %llu\n",
                    (unsigned long long)seed, level, forged[i].kind, forged[i].word - gbytes(h->first),
                    (unsigned long long)forged[i].value);
        /* A forged field passes every local check, so only the whole-heap
         * check at entry (MEM_CHECK_FULL) can stop the later calls; a wild
         * link must be stopped by whatever walk meets it, at any level. */
        if (forged[i].kind != FORGE_WILD)
            h->level = MEM_CHECK_FULL;
        memcpy(live, live0, n0 * sizeof live[0]);
        size_t bad = corrupt_later_calls(h, live, n0);
        if (bad)
            fprintf(stderr, "wrong results after signed corruption %zu of heap %llx: %zu\n", i,
                    (unsigned long long)seed, bad);
        t->bad_results += bad;
        double dt = now() - t0;
        if (dt > t->worst)
            t->worst = dt;
    }
    memcpy(buf, saved, len);
    mem_heap_destroy(h);
    free(buf);
    free(saved);
}

static double pct(size_t a, size_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

int main(void)
{
    tally_t t;
    memset(&t, 0, sizeof t);
    uint64_t seed = 0x8c0447u;
    for (int i = 0; i < HEAPS; i++)
        corrupt_heap(rng_next(&seed), i % 2 ? MEM_CHECK_OFF : MEM_CHECK_LOCAL, &t);
    printf("p8_corruption_test: %d heaps (levels off and local), %zu single-byte metadata corruptions "
           "(%zu patterns per byte)\n",
           HEAPS, t.corruptions, sizeof patterns);
    printf("  detection rate of mem_heap_check: %zu / %zu = %.3f%% (E_CORRUPT_FREESPACE %zu, E_CORRUPT_BLOCK %zu)\n",
           t.detected, t.corruptions, pct(t.detected, t.corruptions), t.freespace, t.block);
    static const char *names[3] = { "header", "free node", "footer" };
    for (int k = 0; k < 3; k++)
        printf("    %-10s %6zu corruptions, %.3f%% detected\n", names[k], t.by_kind[k][0],
               pct(t.by_kind[k][1], t.by_kind[k][0]));
    static const char *forge_names[FORGE_KINDS] = { "node", "header", "control", "wild link" };
    size_t st = 0, sd = 0;
    for (int k = 0; k < FORGE_KINDS; k++) {
        st += t.signed_total[k];
        sd += t.signed_detected[k];
    }
    printf("  signed corruptions (field changed, canary/node check recomputed with the key): %zu / %zu = %.3f%%\n", sd,
           st, pct(sd, st));
    for (int k = 0; k < FORGE_KINDS; k++)
        printf("    %-10s %6zu forgeries, %.3f%% detected\n", forge_names[k], t.signed_total[k],
               pct(t.signed_detected[k], t.signed_total[k]));
    printf("  later calls: %zu wrong results; slowest corruption (check + calls) %.4f s (bound %.1f s)\n",
           t.bad_results, t.worst, TIME_BOUND);
    bool ok = t.corruptions > 0 && t.detected == t.corruptions && st > 0 && sd == st && t.bad_results == 0 && t.worst < TIME_BOUND;
    printf("p8_corruption_test: %s\n", ok ? "holds" : "FAILED");
    return ok ? 0 : 1;
}
