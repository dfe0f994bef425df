/* A write just before the block, into its header. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(32);
    char *volatile q = malloc(32);
    p[-4] = 'x';
    free(p);
    free(q);
    return 0;
}
