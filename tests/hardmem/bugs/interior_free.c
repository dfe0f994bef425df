/* free of a pointer into the middle of a live block. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(64);
    free(p + 32);
    return 0;
}
