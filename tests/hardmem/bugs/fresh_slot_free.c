/* free() of the slot right after a live one, which was laid out with it but
 * never handed out: an invalid pointer, not a double free (slab.c). */
#include <stdlib.h>

int main(void)
{
    char *volatile p = malloc(40); /* a 64-byte slot: 16 of header, 48 of payload */
    free(p + 64);
    return 0;
}
