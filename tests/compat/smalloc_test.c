/* smalloc_test.c - API 5: my_init, first fit, the status fields, errors. */
#include <errno.h>
#include <unistd.h>

#include "tests/check.h"
#include "lib/mem.h" /* mem_errno(): why sfree refused a pointer */
#include "smalloc.h"

int main(void)
{
    int page = (int)sysconf(_SC_PAGESIZE);
    Malloc_Status st = { 1, 99, 99 };

    /* Before my_init. */
    CHECK(smalloc(16, &st) == NULL && st.success == 0 && st.payload_offset == 0 && st.hops == 0);
    sfree(NULL);
    errno = 0;
    CHECK(my_init(0) == -1 && errno == EINVAL);
    errno = 0;
    CHECK(my_init(-1) == -1 && errno == EINVAL);

    /* Rounded up to a page: one page-sized block fits exactly. */
    CHECK(my_init(100) == 0);
    errno = 0;
    CHECK(my_init(65536) == -1 && errno == EBUSY);
    char *all = smalloc(page - 16, &st);
    CHECK(all != NULL && st.success == 1 && st.payload_offset == 16 && st.hops >= 1);
    CHECK(smalloc(1, &st) == NULL && st.success == 0 && st.payload_offset == 0);
    sfree(all);

    /* Offsets from the region base (the first block's header): payloads
     * follow each other at 16 + header + size rounded to 16. */
    char *a = smalloc(100, &st);
    CHECK(a && st.success && st.payload_offset == 16);
    char *b = smalloc(40, &st);
    CHECK(b && st.payload_offset == 16 + 112 + 16);
    CHECK((unsigned long)(b - a) == 112 + 16);
    char *c = smalloc(8, NULL); /* stat may be NULL */
    CHECK(c != NULL);

    /* First fit: the lowest hole that fits, even when a later one fits too. */
    sfree(a);
    char *d = smalloc(60, &st);
    CHECK(d == a && st.payload_offset == 16);

    /* hops counts free-index nodes visited: with several holes it is more. */
    char *blk[8];
    for (int i = 0; i < 8; i++)
        blk[i] = smalloc(64, NULL);
    for (int i = 0; i < 8; i += 2)
        sfree(blk[i]);
    CHECK(smalloc(2000, &st) != NULL && st.hops >= 2);

    /* Bad sizes and exhaustion. */
    CHECK(smalloc(0, &st) == NULL && st.success == 0);
    CHECK(smalloc(-5, &st) == NULL && st.success == 0);
    CHECK(smalloc(page, &st) == NULL && st.success == 0);

    /* Misuse changes nothing. */
    sfree(b);
    sfree(b);
    CHECK(mem_errno() == E_DOUBLE_FREE);
    sfree(c + 4);
    CHECK(mem_errno() == E_BAD_POINTER);
    char *e = smalloc(40, &st), *f = smalloc(40, &st);
    CHECK(e && f && e != f); /* b's block came back once, not twice */
    return check_done("smalloc_test");
}
