/* free of a pointer one byte past a block start. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(64);
    free(p + 1);
    return 0;
}
