/* The free-index node inside a free block is overwritten (quarantine_kb=0):
 * the next allocation that walks the index must refuse the link. */
#include <stdlib.h>
int main(void)
{
    char *volatile a = malloc(100);
    char *volatile guard = malloc(100);
    free(a);
    a[2] ^= 0x40; /* a left link of the free node */
    char *volatile b = malloc(100);
    free(b);
    free(guard);
    return 0;
}
