/*
 * edge.c - glibc's edge-case semantics, which hardmem must keep.
 *
 * Built three ways: as a plain program that the test runs both on glibc and
 * with libhardmem.so preloaded (so every expectation below is checked
 * against glibc itself), linked with //lib/hardmem:malloc, and with
 * -DEDGE_HM against the hm_* names (a cc_test that also runs under the
 * sanitizers).  Every expectation is glibc 2.36's behaviour.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef EDGE_HM
#include "hm_malloc.h"
#define F(name) hm_##name
#define USABLE hm_malloc_usable_size
#else
#define F(name) name
#define USABLE malloc_usable_size
#endif

static int failures, checks;

static void check_at(int ok, const char *text, int line)
{
    checks++;
    if (!ok) {
        failures++;
        fprintf(stderr, "edge.c:%d: check failed: %s\n", line, text);
    }
}
#define CHECK(c) check_at(!!(c), #c, __LINE__)

static int aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

/* Keep the compiler from reasoning about the sizes. */
static volatile size_t zero = 0, huge = SIZE_MAX, big_half = SIZE_MAX / 2 + 2, odd_align = 24;

int main(void)
{
    /* malloc(0): a unique, freeable pointer. */
    void *a = F(malloc)(zero), *b = F(malloc)(zero);
    CHECK(a && b && a != b);
    F(free)(a);
    F(free)(b);

    /* Every block is 16-byte aligned and its bytes are usable. */
    for (size_t n = 1; n < 3000; n += 7) {
        unsigned char *p = F(malloc)(n);
        CHECK(p && aligned(p, 16));
        memset(p, 0x5a, n);
        CHECK(USABLE(p) >= n);
        F(free)(p);
    }

    /* Impossible sizes: NULL with ENOMEM. */
    errno = 0;
    CHECK(F(malloc)(huge) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(F(malloc)((size_t)PTRDIFF_MAX + 1) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(F(calloc)(huge / 2, 3) == NULL && errno == ENOMEM);

    /* calloc zeroes, also memory that was dirty before. */
    for (int round = 0; round < 3; round++) {
        unsigned char *d = F(malloc)(200);
        memset(d, 0xee, 200);
        F(free)(d);
        unsigned char *z = F(calloc)(25, 8);
        int all_zero = 1;
        for (int i = 0; i < 200; i++)
            all_zero &= z[i] == 0;
        CHECK(all_zero);
        F(free)(z);
    }
    void *c0 = F(calloc)(0, 5);
    CHECK(c0 != NULL);
    F(free)(c0);

    /* realloc: NULL acts as malloc; contents kept when growing and shrinking,
     * small and large; size 0 frees and returns NULL (glibc); failure keeps
     * the block. */
    char *r = F(realloc)(NULL, 10);
    CHECK(r != NULL);
    memcpy(r, "abcdefghi", 10);
    r = F(realloc)(r, 5000);
    CHECK(r && !memcmp(r, "abcdefghi", 10));
    r = F(realloc)(r, 600000);
    CHECK(r && !memcmp(r, "abcdefghi", 10));
    r = F(realloc)(r, 3);
    CHECK(r && !memcmp(r, "abc", 3));
    errno = 0;
    CHECK(F(realloc)(r, huge) == NULL && errno == ENOMEM);
    CHECK(r[0] == 'a' && r[2] == 'c');
    errno = 0;
    CHECK(F(reallocarray)(r, huge / 2, 3) == NULL && errno == ENOMEM);
    CHECK(r[1] == 'b');
    r = F(reallocarray)(r, 4, 5);
    CHECK(r && r[0] == 'a');
    CHECK(F(realloc)(r, zero) == NULL);

    /* posix_memalign: EINVAL for bad alignments, errno untouched. */
    void *m = (void *)1;
    errno = 1234;
    CHECK(F(posix_memalign)(&m, 3, 10) == EINVAL && m == (void *)1);
    CHECK(F(posix_memalign)(&m, 0, 10) == EINVAL);
    CHECK(F(posix_memalign)(&m, 4, 10) == EINVAL); /* not a multiple of sizeof(void *) */
    CHECK(F(posix_memalign)(&m, 24, 10) == EINVAL);
    CHECK(errno == 1234);
    size_t aligns[] = { 8, 16, 32, 64, 256, 4096, 65536 };
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        CHECK(F(posix_memalign)(&m, aligns[i], 100) == 0 && aligned(m, aligns[i]));
        memset(m, 1, 100);
        F(free)(m); /* aligned blocks are freed with plain free */
    }
    /* Every alignment up to 2 KiB with sizes around the slot classes'
     * (hardmem serves those up to 1 KiB of alignment from slots whose
     * payloads are aligned): aligned, usable, intact while others live,
     * and each grows by realloc with its bytes kept. */
    enum { NA = 8, NS = 10 };
    static const size_t sizes[NS] = { 1, 8, 15, 16, 100, 500, 1000, 1008, 1009, 2000 };
    static unsigned char *live[NA][NS];
    int swept = 1;
    for (size_t a = 0; a < NA; a++)
        for (size_t j = 0; j < NS; j++) {
            void *q = NULL;
            swept &= F(posix_memalign)(&q, (size_t)16 << a, sizes[j]) == 0 && aligned(q, (size_t)16 << a) &&
                     USABLE(q) >= sizes[j];
            live[a][j] = q;
            if (q)
                memset(q, (int)(a * NS + j), sizes[j]);
        }
    for (size_t a = 0; a < NA; a++)
        for (size_t j = 0; j < NS; j++) {
            unsigned char *q = live[a][j];
            if (!q)
                continue;
            swept &= q[0] == (unsigned char)(a * NS + j) && q[sizes[j] - 1] == (unsigned char)(a * NS + j);
            q = F(realloc)(q, sizes[j] + 300);
            swept &= q && aligned(q, 16) && q[sizes[j] - 1] == (unsigned char)(a * NS + j);
            F(free)(q);
        }
    CHECK(swept);
    CHECK(F(posix_memalign)(&m, 64, 0) == 0 && m != NULL);
    F(free)(m);
    CHECK(F(posix_memalign)(&m, 64, huge) == ENOMEM); /* glibc sets errno here */

    /* memalign / aligned_alloc (same in glibc 2.36): a non-power-of-two
     * alignment is rounded up, a huge one is EINVAL. */
    void *al = F(aligned_alloc)(64, 100);
    CHECK(al && aligned(al, 64));
    F(free)(al);
    al = F(aligned_alloc)(odd_align, 10);
    CHECK(al && aligned(al, 32));
    F(free)(al);
    al = F(memalign)(4096, 10);
    CHECK(al && aligned(al, 4096));
    F(free)(al);
    al = F(memalign)(1, 10);
    CHECK(al && aligned(al, 16));
    F(free)(al);
    errno = 0;
    CHECK(F(memalign)(big_half, 10) == NULL && errno == EINVAL);
    al = F(memalign)(1 << 20, 100);
    CHECK(al && aligned(al, 1 << 20));
    F(free)(al);

    /* valloc / pvalloc: page aligned; pvalloc rounds the size up to pages. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *v = F(valloc)(10);
    CHECK(v && aligned(v, page));
    F(free)(v);
    v = F(pvalloc)(0); /* glibc: a minimal block, page aligned */
    CHECK(v && aligned(v, page));
    F(free)(v);
    v = F(pvalloc)(page + 1);
    CHECK(v && aligned(v, page) && USABLE(v) >= 2 * page);
    F(free)(v);
    errno = 0;
    CHECK(F(pvalloc)(huge - page) == NULL && errno == ENOMEM);

    /* free: NULL is a no-op; errno is preserved. */
    F(free)(NULL);
    CHECK(USABLE(NULL) == 0);
    void *e = F(malloc)(50);
    void *big = F(malloc)(1 << 21);
    errno = 4321;
    F(free)(e);
    F(free)(big);
    CHECK(errno == 4321);

    /* Large blocks: aligned, fully writable, resizable. */
    unsigned char *L = F(malloc)(3 << 20);
    CHECK(L && aligned(L, 16));
    memset(L, 7, 3 << 20);
    L = F(realloc)(L, 5 << 20);
    CHECK(L && L[0] == 7 && L[(3 << 20) - 1] == 7);
    L = F(realloc)(L, 100);
    CHECK(L && L[99] == 7);
    F(free)(L);

#ifndef EDGE_HM
    /* The harmless answers. */
    CHECK(mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1);
    malloc_trim(0);
    struct mallinfo2 mi = mallinfo2();
    (void)mi;
#endif
    printf("edge: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
