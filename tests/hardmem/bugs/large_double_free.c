/* A large block freed twice. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(1 << 20);
    free(p);
    free(p);
    return 0;
}
