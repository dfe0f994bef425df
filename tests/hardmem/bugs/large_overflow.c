/* One byte past a large (own mapping) block. */
#include <stdlib.h>
int main(void)
{
    size_t n = 1 << 20;
    char *volatile p = malloc(n);
    p[n] = 'x';
    free(p);
    return 0;
}
