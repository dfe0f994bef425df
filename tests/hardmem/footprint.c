/*
 * footprint.c - memory a long run of aligned allocations keeps.
 *
 * A live set of 512 blocks of 8..1024 bytes, aligned to 2 or 4 KiB, is
 * replaced at random 300,000 times (hm_posix_memalign / hm_free).  Such
 * blocks come from the region heaps, and once they have been through the
 * quarantine they wait in the thread's reuse bins.  Each aligned block is
 * its alignment long (quarantine.c, SIZE CLASSES), so every 4 KiB-aligned
 * request shares one bin and reuses any block binned there; when its class
 * was its size instead, the blocks spread over 64 bins that each ran dry
 * and piled up in turn, and the heaps grew to 7.9 MiB (peak RSS +6 MB).
 *
 * The check: the heaps map at most 6 MiB, and the peak RSS grows by at most
 * 4 MiB (live: 512 blocks of at most 4 KiB, 2 MiB; the quarantine 256 KiB).
 * Under ASan the RSS also holds the shadow of every byte touched (6.6 MB
 * grown here), so only the heaps' size is checked there.
 */
#include <stdint.h>
#include <stdio.h>
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

int main(void)
{
    enum { LIVE = 512, OPS = 300000 };
    static void *live[LIVE];
    uint64_t x = 0x2545f4914f6cdd1dULL; /* xorshift64*: the same run every time */
    long before = peak_kib();
    for (long i = 0; i < OPS; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t r = x * 0x2545f4914f6cdd1dULL;
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
    printf("footprint: heaps map %zu KiB, peak RSS grew by %ld KiB\n", mapped, grown);
    if (mapped > 6144 || (!SHADOW && grown > 4096)) {
        fprintf(stderr, "footprint: more than 4 MiB for 2 MiB of live aligned blocks\n");
        return 1;
    }
    return 0;
}
