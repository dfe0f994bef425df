/* A linear overflow from a 64-byte block (no slack) across the next block's
 * header. */
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *volatile p = malloc(64);
    char *volatile q = malloc(64);
    memset(p, 'A', 64 + 16);
    free(p);
    free(q);
    return 0;
}
