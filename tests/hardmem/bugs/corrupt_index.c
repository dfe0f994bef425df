/* The free-index node inside a free block is overwritten (quarantine_kb=0,
 * and blocks too large for a slot, so that free gives them straight back to
 * the region heap): the next allocation that walks the index must refuse
 * the link. */
#include <stdlib.h>
int main(void)
{
    char *volatile a = malloc(2000);
    char *volatile guard = malloc(2000);
    free(a);
    a[2] ^= 0x40; /* a left link of the free node */
    char *volatile b = malloc(2000);
    free(b);
    free(guard);
    return 0;
}
