/* osmem_test.c - API 4: malloc semantics, the arena/mapping split, in-place
 * realloc, and misuse that must change nothing. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tests/check.h"
#include "lib/mem.h" /* mem_errno(): why a free was refused */
#include "osmem.h"

static int disjoint(const char *a, size_t na, const char *b, size_t nb) { return a + na <= b || b + nb <= a; }

int main(void)
{
    /* malloc edge cases. */
    CHECK(os_malloc(0) == NULL);
    os_free(NULL);
    errno = 0;
    CHECK(os_malloc(SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(os_malloc((size_t)1 << 40) == NULL && errno == ENOMEM); /* beyond a region's 16 GiB */
    errno = 0;
    CHECK(os_calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM); /* the product overflows */
    CHECK(os_calloc(0, 8) == NULL && os_calloc(8, 0) == NULL);

    /* Blocks are 16-byte aligned, writable and disjoint. */
    char *a = os_malloc(10), *b = os_malloc(10);
    CHECK(a && b && ((uintptr_t)a & 15) == 0 && disjoint(a, 10, b, 10));

    /* os_realloc grows in place when the next block is free. */
    char *s = os_malloc(16);
    strcpy(s, "in place");
    char *t = os_realloc(s, 200);
    CHECK(t == s && strcmp(t, "in place") == 0);
    /* ...and moves, keeping the contents, when it is not. */
    char *blocker = os_malloc(16);
    char *u = os_realloc(t, 1000);
    CHECK(u != NULL && u != t && strcmp(u, "in place") == 0);
    /* NULL and 0. */
    char *v = os_realloc(NULL, 32);
    CHECK(v != NULL);
    CHECK(os_realloc(v, 0) == NULL);

    /* calloc zeroes memory that was used before. */
    unsigned char *dirty = os_malloc(4000);
    memset(dirty, 0xee, 4000);
    os_free(dirty);
    unsigned char *z = os_calloc(1000, 4);
    CHECK(z != NULL && all_bytes(z, 4000, 0));

    /* Around the threshold: both sides work, and a large block moves between
     * its own mapping and an arena as it crosses, keeping its contents. */
    unsigned char *below = os_malloc(MMAP_THRESHOLD - 1), *at = os_malloc(MMAP_THRESHOLD);
    CHECK(below && at && disjoint((char *)below, MMAP_THRESHOLD - 1, (char *)at, MMAP_THRESHOLD));
    memset(below, 1, MMAP_THRESHOLD - 1);
    memset(at, 2, MMAP_THRESHOLD);
    unsigned char *grown = os_realloc(below, 3 * MMAP_THRESHOLD);
    CHECK(grown && all_bytes(grown, MMAP_THRESHOLD - 1, 1));
    unsigned char *shrunk = os_realloc(at, 64);
    CHECK(shrunk && all_bytes(shrunk, 64, 2));
    unsigned char *zbig = os_calloc(2, MMAP_THRESHOLD);
    CHECK(zbig && all_bytes(zbig, 2 * MMAP_THRESHOLD, 0));
    os_free(grown);
    os_free(shrunk);
    os_free(zbig);

    /* More small blocks than one arena holds: new arenas are mapped. */
    enum { MANY = 3000 };
    static char *many[MANY];
    int got = 0;
    for (int i = 0; i < MANY; i++) {
        many[i] = os_malloc(200);
        if (many[i]) {
            memset(many[i], i & 0xff, 200);
            got++;
        }
    }
    CHECK(got == MANY); /* 3000 * 216 bytes > OSMEM_ARENA_SIZE */
    int intact = 0;
    for (int i = 0; i < MANY; i++)
        intact += all_bytes((unsigned char *)many[i], 200, (unsigned char)(i & 0xff));
    CHECK(intact == MANY);
    for (int i = 0; i < MANY; i++)
        os_free(many[i]);

    /* Misuse changes nothing: double free, interior and foreign pointers. */
    os_free(a);
    os_free(a);
    CHECK(mem_errno() == E_DOUBLE_FREE);
    os_free(b + 1);
    CHECK(mem_errno() == E_BAD_POINTER);
    int local;
    os_free(&local); /* outside every region: never touched */
    errno = 0;
    CHECK(os_realloc(a, 64) == NULL && errno == EINVAL);
    char *c = os_malloc(10), *d = os_malloc(10);
    CHECK(c && d && c != d && disjoint(c, 10, b, 10) && disjoint(d, 10, b, 10));
    unsigned char *huge = os_malloc(MMAP_THRESHOLD);
    /* The mapping's first block is the adapter's own list node, just before
     * the payload: a pointer to it is refused, not freed. */
    os_free(huge - MEM_MIN_BLOCK);
    errno = 0;
    CHECK(os_realloc(huge - MEM_MIN_BLOCK, 64) == NULL && errno == EINVAL);
    memset(huge, 7, MMAP_THRESHOLD);
    os_free(huge);
    os_free(huge); /* its mapping is gone: ignored, not dereferenced */

    /* The regions are all still known: b's arena frees b, once. */
    os_free(b);
    CHECK(mem_errno() == MEM_OK);
    os_free(b);
    CHECK(mem_errno() == E_DOUBLE_FREE);
    os_free(c);
    os_free(d);
    os_free(u);
    os_free(blocker);
    os_free(z);
    return check_done("osmem_test");
}
