/* A slot grown by realloc gets room for more than was asked (the next of
 * 2^n and 1.5 * 2^n granules, api.c grown_room: 300 bytes get a 384-byte
 * slot), but its requested size is what was asked: one byte written past
 * it is an overflow. */
#include <stdlib.h>
#include <string.h>
int main(void)
{
    char *volatile p = malloc(16);
    memset(p, 'a', 16);
    p = realloc(p, 300);
    if (!p || p[15] != 'a')
        return 1;
    p[300] = 'x';
    free(p);
    return 0;
}
