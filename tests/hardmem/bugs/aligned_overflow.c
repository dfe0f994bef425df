/* One byte written past a 10-byte request aligned to 256 bytes: a slot of a
 * 256-byte class, whose long slack is checked at free. */
#include <stdlib.h>
int main(void)
{
    void *q = NULL;
    if (posix_memalign(&q, 256, 10))
        return 1;
    char *volatile p = q;
    p[10] = 'x';
    free(p);
    return 0;
}
