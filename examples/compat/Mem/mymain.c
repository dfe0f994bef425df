#include <stdio.h>
#include "mem.h"

int main()
{
    if (Mem_Init(4096) != 0) {
        printf("Mem_Init failed: m_error %d\n", m_error);
        return 1;
    }
    if (Mem_Init(4096) == -1 && m_error == E_BAD_ARGS)
        printf("second Mem_Init refused with E_BAD_ARGS\n");

    char *a = Mem_Alloc(100, FIRSTFIT);
    char *b = Mem_Alloc(200, BESTFIT);
    char *c = Mem_Alloc(300, WORSTFIT);
    if (a == NULL || b == NULL || c == NULL) {
        printf("Mem_Alloc failed: m_error %d\n", m_error);
        return 1;
    }
    printf("allocated 100, 200 and 300 bytes\n");
    Mem_Dump();

    if (Mem_Free(b) == 0)
        printf("freed the 200-byte chunk\n");
    if (Mem_Free(b) == -1)
        printf("freeing it again fails, m_error %d\n", m_error);
    if (Mem_Free(NULL) == 0)
        printf("Mem_Free(NULL) is a no-op\n");
    if (Mem_Alloc(8192, FIRSTFIT) == NULL && m_error == E_NO_SPACE)
        printf("8192 bytes do not fit: E_NO_SPACE\n");

    Mem_Free(a);
    Mem_Free(c);
    Mem_Dump();
    return 0;
}
