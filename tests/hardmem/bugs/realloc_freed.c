/* realloc of a block that was already freed. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(64);
    free(p);
    char *volatile q = realloc(p, 128);
    (void)q;
    return 0;
}
