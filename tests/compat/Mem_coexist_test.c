/*
 * Mem_coexist_test.c - one file may use hardmem's core API and API 2 at
 * once: the core's mem.h first, then API 2's (which then leaves the shared
 * error names to the core).  The codes agree and the two heaps are separate.
 */
#include "tests/check.h"
#include "lib/mem.h" /* the core, by its path from the repository root */
#include "mem.h"     /* API 2's, found on the -I path */

int main(void)
{
    CHECK(E_BAD_ARGS == MEM_API2_E_BAD_ARGS && E_NO_SPACE == MEM_API2_E_NO_SPACE);
    CHECK(E_CORRUPT_FREESPACE == MEM_API2_E_CORRUPT_FREESPACE);

    /* Mem_Init's region is not the core's default heap. */
    CHECK(mem_init(4096) == MEM_OK);
    CHECK(Mem_Init(4096) == 0);
    void *p = mem_alloc(64, MEM_FIRST_FIT);
    void *q = Mem_Alloc(64, FIRSTFIT);
    CHECK(p && q && p != q);
    CHECK(mem_free(q) == E_BAD_POINTER); /* foreign to the default heap */
    CHECK(Mem_Free(p) == -1 && m_error == E_BAD_POINTER);
    CHECK(Mem_Free(q) == 0 && mem_free(p) == MEM_OK);
    CHECK(mem_destroy() == MEM_OK);
    CHECK(Mem_Alloc(64, BESTFIT) != NULL); /* API 2's region lives on */
    return check_done("Mem_coexist_test");
}
