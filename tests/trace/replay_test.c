/*
 * replay_test.c - the replay engine (tools/trace/sim.c) on small handcrafted
 * traces whose figures are worked out by hand below, for every style.
 *
 * The rules used by hand (lib/mem.h, tools/trace/sim.h):
 *   - a request of n bytes takes a block of B(n) = max(48, round16(n + 16))
 *     bytes; all requests here have n + 16 a multiple of 16, so B = n + 16;
 *   - a block is carved from the low end of the chosen free block and the
 *     rest stays free (every rest here is >= 48);
 *   - first fit: lowest-address free block that fits; best: smallest (ties:
 *     lowest address); worst: largest (ties: lowest address); next: the
 *     lowest-address fitting block starting at or after the end of the
 *     previous next-fit block, else wrap to the lowest one;
 *   - growing heap: a request that fits no free block goes to the top (the
 *     break), which rises by exactly its block; the footprint is the
 *     highest block end ever, offsets from the first block.
 * Offsets are written [start,end).  Free blocks are "holes".
 */
#include <string.h>

#include "expect.h"
#include "sim.h"
#include "trace_read.h"

typedef struct want {
    uint64_t footprint[4]; /* by style: first, best, worst, next */
    uint64_t peak_live;
    uint64_t extensions[4];
} want_t;

static void replay(const char *name, hmt_writer_t *w, int mode, size_t cap, const want_t *x,
                   const uint64_t *failed /* by style, FIXED only */)
{
    hmt_reader_t rd;
    EXPECT_EQ(hmt_reader_init(&rd, w->buf, w->len), 0);
    hmt_scan_t scan;
    EXPECT_EQ(hmt_scan(&rd, &scan, NULL, NULL), 0);
    if (x)
        EXPECT_EQ(scan.peak_live, x->peak_live);
    for (int style = 0; style < 4; style++) {
        sim_config_t c = { .style = style, .mode = mode, .capacity = cap };
        sim_result_t r;
        int rc = sim_run(w->buf, w->len, &scan, &c, &r);
        if (rc)
            fprintf(stderr, "%s, %s fit: %s\n", name, sim_style_name(style), r.error);
        EXPECT_EQ(rc, 0);
        if (x) {
            fprintf(stderr, "%s, %s fit: footprint %llu\n", name, sim_style_name(style),
                    (unsigned long long)r.peak_footprint);
            EXPECT_EQ(r.peak_footprint, x->footprint[style]);
            if (mode == SIM_GROW) {
                EXPECT_EQ(r.peak_live, x->peak_live);
                EXPECT_EQ(r.extensions, x->extensions[style]);
            }
        }
        if (failed)
            EXPECT_EQ(r.failed, failed[style]);
    }
}

/* Six blocks, then holes of 384, 128, 512; requests of 128, 256, 512.
 * Worst fit splits the 512 hole and has to grow for the 512 request. */
static void trace_a(void)
{
    hmt_writer_t w;
    hmt_w_init(&w, 1, "trace a");
    hmt_w_thread(&w, 1);
    uint64_t a = hmt_w_malloc(&w, 368); /* [0,384)      all styles grow: break 384  */
    hmt_w_malloc(&w, 48);               /* x1 [384,448)                              */
    uint64_t b = hmt_w_malloc(&w, 112); /* [448,576)                                 */
    hmt_w_malloc(&w, 48);               /* x2 [576,640)                              */
    uint64_t c = hmt_w_malloc(&w, 496); /* [640,1152)                                */
    hmt_w_malloc(&w, 48);               /* x3 [1152,1216): break 1216, 6 extensions,
                                           live 368+48+112+48+496+48 = 1120 (peak)   */
    hmt_w_free(&w, a);                  /* holes [0,384) 384                         */
    hmt_w_free(&w, b);                  /*       [448,576) 128                       */
    hmt_w_free(&w, c);                  /*       [640,1152) 512                      */
    hmt_w_malloc(&w, 112);              /* d, 128:
        first [0,128) (rest [128,384)); best [448,576) exact;
        worst the 512 hole: [640,768) (rest [768,1152) 384);
        next: nothing at/after 1216, wraps: [0,128), rover 128             */
    hmt_w_malloc(&w, 240);              /* e, 256:
        first [128,384) exact; best: holes 384@0, 512@640 -> [0,256);
        worst: holes 384@0, 128@448, 384@768 -> tie, lowest: [0,256);
        next: at/after 128: [128,384) exact, rover 384                     */
    hmt_w_malloc(&w, 496);              /* f, 512:
        first, best: [640,1152) exact; next: at/after 384: 128@448 no,
        512@640 exact; worst: holes 128@256, 128@448, 384@768: none fits,
        grows: [1216,1728), a 7th extension                                  */
    want_t x = { .footprint = { 1216, 1216, 1728, 1216 }, .peak_live = 1120, .extensions = { 6, 6, 7, 6 } };
    replay("trace a", &w, SIM_GROW, 0, &x, NULL);
    hmt_w_free_buf(&w);
}

/* Next fit's rover passes a hole that first fit uses. */
static void trace_b(void)
{
    hmt_writer_t w;
    hmt_w_init(&w, 1, "trace b");
    uint64_t a = hmt_w_malloc(&w, 112); /* [0,128)                                    */
    hmt_w_malloc(&w, 48);               /* x1 [128,192)                               */
    uint64_t b = hmt_w_malloc(&w, 496); /* [192,704)                                  */
    hmt_w_malloc(&w, 48);               /* x2 [704,768): break 768, next's rover 768;
                                           live 112+48+496+48 = 704 (peak)           */
    hmt_w_free(&w, a);                  /* hole L [0,128)                             */
    hmt_w_free(&w, b);                  /* hole M [192,704) 512                       */
    uint64_t c = hmt_w_malloc(&w, 112); /* 128: first, best: L exact; worst: M ->
        [192,320), rest [320,704); next: nothing at/after 768, wraps: L, rover 128 */
    hmt_w_free(&w, c);                  /* first, best, next: L free again; worst:
                                           coalesces back to M [192,704)              */
    hmt_w_malloc(&w, 112);              /* 128: first, best: L; worst: M -> [192,320),
        rest 384@320; next: at/after 128: M -> [192,320), rover 320, rest 384@320   */
    hmt_w_malloc(&w, 496);              /* 512: first, best: M exact, footprint stays
        768; worst: holes 128@0, 384@320: grows [768,1280); next: at/after 320:
        384 no, wraps: 128 no: grows [768,1280).  Live 48+48+112+496 = 704 again. */
    want_t x = { .footprint = { 768, 768, 1280, 1280 }, .peak_live = 704, .extensions = { 4, 4, 5, 5 } };
    replay("trace b", &w, SIM_GROW, 0, &x, NULL);
    hmt_w_free_buf(&w);
}

/* Best fit keeps the big hole that first, worst and next fit split. */
static void build_c(hmt_writer_t *w)
{
    hmt_w_init(w, 1, "trace c");
    uint64_t a = hmt_w_malloc(w, 496); /* [0,512)                                     */
    hmt_w_malloc(w, 48);               /* x1 [512,576)                                */
    uint64_t b = hmt_w_malloc(w, 112); /* [576,704)                                   */
    hmt_w_malloc(w, 48);               /* x2 [704,768): break 768; live 704 (peak)    */
    hmt_w_free(w, a);                  /* hole 512@0                                  */
    hmt_w_free(w, b);                  /* hole 128@576                                */
    hmt_w_malloc(w, 112);              /* 128: first, worst: [0,128), rest 384@128;
        best: 128@576 exact; next: wraps from 768: [0,128), rover 128               */
    hmt_w_malloc(w, 496);              /* 512: best: 512@0 exact (footprint 768);
        first, worst: holes 384, 128: grow [768,1280); next: at/after 128: 384@128,
        128@576 no; wraps, no: grows [768,1280).  Live 48+48+112+496 = 704.         */
}

static void trace_c(void)
{
    hmt_writer_t w;
    build_c(&w);
    want_t x = { .footprint = { 1280, 768, 1280, 1280 }, .peak_live = 704, .extensions = { 5, 4, 5, 5 } };
    replay("trace c", &w, SIM_GROW, 0, &x, NULL);
    /* The same in a fixed region of 1024 bytes: [768,1024) is free from the
     * start (no growing).  After x2 the holes are 512@0, 128@576, 256@768
     * and next's rover is 768.
     *   128: first, worst: [0,128) (rest 384@128); best: 128@576 exact;
     *        next: at/after 768: [768,896), rover 896, rest 128@896.
     *   512: first: 384@128, 128@576, 256@768: FAILS; worst likewise FAILS;
     *        best: 512@0 exact; next: at/after 896: 128 no, wraps: 512@0.
     * Footprints (highest block end): first, best, worst 768; next 896. */
    want_t f = { .footprint = { 768, 768, 768, 896 }, .peak_live = 704 };
    uint64_t failed[4] = { 1, 0, 1, 0 };
    replay("trace c, fixed 1024", &w, SIM_FIXED, 1024, &f, failed);
    /* 4 KiB: everything fits for every style. */
    uint64_t none[4] = { 0, 0, 0, 0 };
    replay("trace c, fixed 4096", &w, SIM_FIXED, 4096, NULL, none);
    hmt_w_free_buf(&w);
}

/* realloc places the new block before freeing the old one: both count. */
static void trace_d(void)
{
    hmt_writer_t w;
    hmt_w_init(&w, 1, "trace d");
    uint64_t a = hmt_w_malloc(&w, 112); /* [0,128)                                     */
    hmt_w_realloc(&w, a, 240);          /* 256: no hole: grows [128,384), then [0,128)
                                           is freed; live peaks at 112 + 240 = 352     */
    hmt_w_malloc(&w, 48);               /* 64: every style takes [0,64) (the only hole;
                                           next wraps from 384)                        */
    want_t x = { .footprint = { 384, 384, 384, 384 }, .peak_live = 352, .extensions = { 2, 2, 2, 2 } };
    replay("trace d", &w, SIM_GROW, 0, &x, NULL);
    hmt_w_free_buf(&w);
}

/* Records the replay must skip, and aligned requests (their placement
 * depends on the region's address, so only the invariants the engine
 * checks itself, S1-S3, and the skip count are asserted). */
static void trace_e(void)
{
    hmt_writer_t w;
    hmt_w_init(&w, 1, "trace e");
    hmt_w_rec(&w, HMT_MALLOC, true, 0, (uint64_t)1 << 62, 0); /* failed when recorded */
    hmt_w_rec(&w, HMT_FREE_UNTRACKED, false, 0, 0, 0);
    uint64_t a = hmt_w_rec(&w, HMT_MEMALIGN, false, 0, 256, 100);
    uint64_t b = hmt_w_rec(&w, HMT_POSIX_MEMALIGN, false, 0, 4096, 5000);
    uint64_t c = hmt_w_rec(&w, HMT_CALLOC, false, 0, 10, 30);
    uint64_t d = hmt_w_rec(&w, HMT_REALLOCARRAY, false, c, 20, 30);
    hmt_w_rec(&w, HMT_REALLOC, true, d, 1000000000000ULL, 0); /* failed: d lives on */
    hmt_w_rec(&w, HMT_PVALLOC, false, 0, 4096, 1);
    hmt_w_free(&w, a);
    hmt_w_free(&w, b);
    hmt_w_free(&w, d);
    hmt_reader_t rd;
    hmt_scan_t scan;
    EXPECT_EQ(hmt_reader_init(&rd, w.buf, w.len), 0);
    EXPECT_EQ(hmt_scan(&rd, &scan, NULL, NULL), 0);
    /* live: 100, 5000, 300, then 600 before 300 dies, pvalloc 4096 */
    EXPECT_EQ(scan.peak_live, 100 + 5000 + 300 + 600 - 300 + 4096 + 0);
    EXPECT_EQ(scan.live_end, 4096);
    for (int style = 0; style < 4; style++) {
        for (int mode = 0; mode < 2; mode++) {
            sim_config_t cfg = { .style = style, .mode = mode, .capacity = mode == SIM_FIXED ? 1 << 20 : 0 };
            sim_result_t r;
            int rc = sim_run(w.buf, w.len, &scan, &cfg, &r);
            if (rc)
                fprintf(stderr, "trace e, %s fit: %s\n", sim_style_name(style), r.error);
            EXPECT_EQ(rc, 0);
            EXPECT_EQ(r.skipped, 3);
            EXPECT_EQ(r.failed, 0);
            EXPECT_EQ(r.peak_live, scan.peak_live);
        }
    }
    hmt_w_free_buf(&w);
}

/* A region too small for an unbounded heap is doubled, and the figures are
 * those of trace a. */
static void doubling(void)
{
    hmt_writer_t w;
    hmt_w_init(&w, 1, "doubling");
    uint64_t ids[64];
    for (int i = 0; i < 64; i++) /* 64 blocks of 16 KiB, then all freed: 1 MiB */
        ids[i] = hmt_w_malloc(&w, 16384 - 16);
    for (int i = 0; i < 64; i++)
        hmt_w_free(&w, ids[i]);
    hmt_reader_t rd;
    hmt_scan_t scan;
    EXPECT_EQ(hmt_reader_init(&rd, w.buf, w.len), 0);
    EXPECT_EQ(hmt_scan(&rd, &scan, NULL, NULL), 0);
    sim_config_t c = { .style = MEM_WORST_FIT, .mode = SIM_GROW, .capacity = 64 * 1024 };
    sim_result_t r;
    EXPECT_EQ(sim_run(w.buf, w.len, &scan, &c, &r), 0);
    EXPECT_EQ(r.peak_footprint, 64 * 16384);
    EXPECT(r.doublings >= 4); /* 64 KiB -> at least 1 MiB + */
    hmt_w_free_buf(&w);
}

int main(void)
{
    trace_a();
    trace_b();
    trace_c();
    trace_d();
    trace_e();
    doubling();
    return expect_done("replay_test");
}
