/* realloc of a pointer that is not a block start. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(64);
    char *volatile q = realloc(p + 16, 128);
    (void)q;
    return 0;
}
