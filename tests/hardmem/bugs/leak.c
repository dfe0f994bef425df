/* A block never freed, with leaks=1. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(77);
    p[0] = 1;
    p = 0;
    return 0;
}
