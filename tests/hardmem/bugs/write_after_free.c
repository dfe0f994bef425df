/* A write through a dangling pointer while the block is in the quarantine,
 * found when the block leaves it. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(32);
    free(p);
    p[5] = 'x';
    for (int i = 0; i < 200000; i++)
        free(malloc(32));
    return 0;
}
