/* One byte written past a 13-byte request. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(13);
    p[13] = 'x';
    free(p);
    return 0;
}
