/*
 * footprint.c - memory that long runs of allocations keep.
 *
 * Usage: footprint aligned|realloc|growth (one phase per process: the peak
 * RSS is a high-water mark).
 *
 * aligned: a live set of 512 blocks of 8..1024 bytes, aligned to 2 or
 *   4 KiB, replaced at random 300,000 times (hm_posix_memalign / hm_free).
 *   Such blocks come from the region heaps, and once they have been through
 *   the quarantine they wait in the thread's reuse bins.  Each aligned
 *   block is its alignment long (quarantine.c, SIZE CLASSES), so every
 *   4 KiB-aligned request shares one bin and reuses any block binned there;
 *   when its class was its size instead, the blocks spread over 64 bins
 *   that each ran dry and piled up in turn, and the heaps grew to 7.9 MiB
 *   (peak RSS +6 MB).  Checked: the heaps map at most 6 MiB (3.75 now) and
 *   the peak RSS grows by at most 4 MiB (2.3 now; live: 512 blocks of at
 *   most 4 KiB, 2 MiB, and the quarantine's 256 KiB).
 * realloc: 64 buffers, each grown by hm_realloc in steps of 1..256 bytes
 *   up to a cap of 256 bytes .. 64 KiB, then freed, 600,000 times (synth's
 *   realloc workload).  The blocks left behind by each move wait in the
 *   bins; the bins hold at most the thread's live block bytes (about
 *   1.2 MB here; quarantine.c bin_limit), where they used to fill up to
 *   4 MiB.  Checked: the peak RSS grows by at most 5 MiB in this phase (4.3
 *   MiB now, 4.5 before region blocks grew in place, 5.4 with the fixed
 *   limit, 6.5 before growing realloc's took room for more, api.c
 *   grown_room).
 * growth: one buffer grown by hm_realloc one byte at a time from 1 byte to
 *   64 KiB.  A realloc that must grow asks for room to the next of 2^n and
 *   1.5 * 2^n granules (api.c grown_room), and a region block takes that
 *   room from the free block after it when it can (api.c resize_block), so
 *   the buffer moves through the slot classes and then mostly grows in
 *   place: checked, at most 13 moves (11 now; 23 when every region block
 *   growth was a move, 87 when every 16-byte slot class and every
 *   quarter-step block class was one), its contents kept and its usable
 *   size at least its size throughout.
 * Under ASan the RSS also holds the shadow of every byte touched (6.6 MB
 * more in the aligned phase), so there only the heaps' size and realloc's
 * contents are checked.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "hardmem.h"
#include "hm_malloc.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHADOW 1
#endif
#endif
#ifndef SHADOW
#define SHADOW 0
#endif

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* xorshift64*: the same run every time. */
static uint64_t rnd(void)
{
    static uint64_t x = 0x2545f4914f6cdd1dULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return x * 0x2545f4914f6cdd1dULL;
}

static int aligned_phase(void)
{
    enum { LIVE = 512, OPS = 300000 };
    static void *live[LIVE];
    long before = peak_kib();
    for (long i = 0; i < OPS; i++) {
        uint64_t r = rnd();
        size_t k = r % LIVE, align = (size_t)2048 << ((r >> 16) & 1), n = 8 + (size_t)((r >> 24) % 1017);
        hm_free(live[k]);
        if (hm_posix_memalign(&live[k], align, n) || ((uintptr_t)live[k] & (align - 1))) {
            fprintf(stderr, "footprint: posix_memalign(%zu, %zu) failed or misaligned\n", align, n);
            return 1;
        }
        ((unsigned char *)live[k])[0] = 1;
        ((unsigned char *)live[k])[n - 1] = 2;
    }
    long grown = peak_kib() - before;
    size_t mapped = hm_mapped_bytes() / 1024;
    for (size_t k = 0; k < LIVE; k++)
        hm_free(live[k]);
    printf("footprint: aligned: heaps map %zu KiB, peak RSS grew by %ld KiB\n", mapped, grown);
    if (mapped > 6144 || (!SHADOW && grown > 4096)) {
        fprintf(stderr, "footprint: aligned: more than 6 MiB mapped or 4 MiB grown for 2 MiB of live blocks\n");
        return 1;
    }
    return 0;
}

static int realloc_phase(void)
{
    enum { BUFS = 64, OPS = 600000 };
    static unsigned char *buf[BUFS];
    static size_t len[BUFS], cap[BUFS];
    long before = peak_kib();
    for (long i = 0; i < OPS; i++) {
        int k = (int)(i % BUFS);
        if (buf[k] && len[k] >= cap[k]) {
            hm_free(buf[k]);
            buf[k] = NULL;
        }
        if (!buf[k]) { /* a new cap, log-distributed: 2^e .. 2^(e+1), e = 3..15 */
            uint64_t r = rnd();
            size_t lo = (size_t)1 << (3 + r % 13), c = lo + (size_t)((r >> 8) % lo);
            cap[k] = c < 256 ? 256 : c > 65536 ? 65536 : c;
            len[k] = 0;
        }
        size_t n = len[k] + 1 + (size_t)(rnd() % 256);
        unsigned char *p = hm_realloc(buf[k], n);
        if (!p || (len[k] && p[0] != (unsigned char)len[k])) {
            fprintf(stderr, "footprint: realloc to %zu bytes failed or lost the contents\n", n);
            return 1;
        }
        p[0] = (unsigned char)n;
        p[n - 1] = 1;
        buf[k] = p;
        len[k] = n;
    }
    long grown = peak_kib() - before;
    for (int k = 0; k < BUFS; k++)
        hm_free(buf[k]);
    printf("footprint: realloc: peak RSS grew by %ld KiB\n", grown);
    if (!SHADOW && grown > 5120) {
        fprintf(stderr, "footprint: realloc: the peak RSS grew by more than 5 MiB\n");
        return 1;
    }
    return 0;
}

static int growth_phase(void)
{
    enum { TOP = 64 * 1024 };
    unsigned char *p = NULL;
    unsigned moves = 0;
    for (size_t n = 1; n <= TOP; n++) {
        unsigned char *q = hm_realloc(p, n);
        if (!q || hm_malloc_usable_size(q) < n || (n > 1 && q[n - 2] != (unsigned char)(n - 2))) {
            fprintf(stderr, "footprint: growth: realloc to %zu bytes failed or lost the contents\n", n);
            return 1;
        }
        moves += p && q != p;
        q[n - 1] = (unsigned char)(n - 1);
        p = q;
    }
    hm_free(p);
    printf("footprint: growth: %u moves from 1 byte to %d\n", moves, TOP);
    if (moves > 13) {
        fprintf(stderr, "footprint: growth: more than 13 moves (region blocks do not grow in place)\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "aligned"))
        return aligned_phase();
    if (argc == 2 && !strcmp(argv[1], "realloc"))
        return realloc_phase();
    if (argc == 2 && !strcmp(argv[1], "growth"))
        return growth_phase();
    fprintf(stderr, "usage: footprint aligned|realloc|growth\n");
    return 2;
}
