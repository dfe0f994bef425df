/* A linear overflow across the next slot's header in the last page of a
 * slab, where a slab's carving starts (slab.c CARVE ORDER): the first two
 * 1,008-byte slots of a fresh class are the two lowest of that page, and
 * the second one counts as carved though the slots below the first do not
 * exist yet.  Exit status 2 if they are not adjacent (the layout changed). */
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *volatile p = malloc(1008);
    char *volatile q = malloc(1008);
    if (q != p + 1024)
        return 2;
    memset(p, 'A', 1008 + 16);
    free(p);
    free(q);
    return 0;
}
