/* Mem_test.c - API 2 (Mem_*, m_error): life cycle, styles and every error. */
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "mem.h" /* API 2's header: this test is written as its users write */

int main(void)
{
    int page = (int)sysconf(_SC_PAGESIZE);

    /* Before Mem_Init nothing can be allocated or freed. */
    CHECK(Mem_Alloc(16, FIRSTFIT) == NULL && m_error == E_BAD_ARGS);
    m_error = 0;
    CHECK(Mem_Free((void *)&page) == -1 && m_error == E_BAD_POINTER);
    CHECK(Mem_Free(NULL) == 0);

    /* Sizes <= 0 are refused and leave no region. */
    m_error = 0;
    CHECK(Mem_Init(0) == -1 && m_error == E_BAD_ARGS);
    m_error = 0;
    CHECK(Mem_Init(-4096) == -1 && m_error == E_BAD_ARGS);
    CHECK(Mem_Alloc(16, FIRSTFIT) == NULL);

    /* The region is rounded up to a page: one page-sized chunk fits exactly. */
    m_error = 0;
    CHECK(Mem_Init(1) == 0 && m_error == 0);
    char *all = Mem_Alloc(page - 16, FIRSTFIT);
    CHECK(all != NULL);
    CHECK(Mem_Alloc(1, FIRSTFIT) == NULL && m_error == E_NO_SPACE);
    CHECK(Mem_Free(all) == 0);

    /* A second Mem_Init fails and keeps the region. */
    char *keep = Mem_Alloc(100, FIRSTFIT);
    m_error = 0;
    CHECK(Mem_Init(1 << 20) == -1 && m_error == E_BAD_ARGS);
    CHECK(keep != NULL && Mem_Free(keep) == 0);

    /* Bad sizes and styles. */
    m_error = 0;
    CHECK(Mem_Alloc(0, FIRSTFIT) == NULL && m_error == E_BAD_ARGS);
    m_error = 0;
    CHECK(Mem_Alloc(-1, BESTFIT) == NULL && m_error == E_BAD_ARGS);
    m_error = 0;
    CHECK(Mem_Alloc(16, 7) == NULL && m_error == E_BAD_ARGS);
    m_error = 0;
    CHECK(Mem_Alloc(16, -1) == NULL && m_error == E_BAD_ARGS);

    /* Styles: holes of 224 (b) and 416 (d) bytes, then the tail. */
    char *a = Mem_Alloc(100, FIRSTFIT), *b = Mem_Alloc(200, FIRSTFIT);
    char *c = Mem_Alloc(100, FIRSTFIT), *d = Mem_Alloc(400, FIRSTFIT);
    char *e = Mem_Alloc(100, FIRSTFIT);
    CHECK(a && b && c && d && e);
    CHECK(Mem_Free(b) == 0 && Mem_Free(d) == 0);
    char *best = Mem_Alloc(300, BESTFIT);  /* only d's hole and the tail fit */
    CHECK(best == d);
    CHECK(Mem_Free(best) == 0);
    char *worst = Mem_Alloc(150, WORSTFIT); /* the tail is the largest */
    CHECK(worst > e);
    char *first = Mem_Alloc(150, FIRSTFIT); /* the lowest hole, b's */
    CHECK(first == b);

    /* Misused frees fail with -1, set m_error and change nothing. */
    CHECK(Mem_Free(a) == 0);
    m_error = 0;
    CHECK(Mem_Free(a) == -1 && m_error == E_DOUBLE_FREE);
    m_error = 0;
    CHECK(Mem_Free(c + 8) == -1 && m_error == E_BAD_POINTER);
    m_error = 0;
    CHECK(Mem_Free((void *)&page) == -1 && m_error == E_BAD_POINTER);
    memset(c, 'x', 100 + 1); /* one byte past the end of c */
    m_error = 0;
    CHECK(Mem_Free(c) == -1 && m_error == E_CORRUPT_BLOCK);

    /* Successful calls leave m_error alone. */
    m_error = 12345;
    char *z = Mem_Alloc(10, FIRSTFIT);
    CHECK(z != NULL && Mem_Free(z) == 0 && m_error == 12345);

    /* The region is still whole: after freeing what is left (c stays lost to
     * its overflow), the chunks coalesce around it. */
    CHECK(Mem_Free(e) == 0 && Mem_Free(worst) == 0 && Mem_Free(first) == 0);
    char *tail = Mem_Alloc(page - 512, FIRSTFIT);
    CHECK(tail != NULL && tail > c);

    Mem_Dump(); /* exercised; its format is checked by the example test */
    return check_done("Mem_test");
}
