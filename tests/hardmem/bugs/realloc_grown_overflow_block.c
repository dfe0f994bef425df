/* The same for a region-heap block: realloc to 5,000 bytes gets room for
 * 6,128 (api.c grown_room); one byte written past the 5,000 is an
 * overflow. */
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *volatile p = malloc(2000);
    memset(p, 'a', 2000);
    p = realloc(p, 5000);
    if (!p || p[1999] != 'a')
        return 1;
    p[5000] = 'x';
    free(p);
    return 0;
}
