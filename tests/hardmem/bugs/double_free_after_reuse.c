/* Freed, then the program allocates the same size again: the quarantine keeps
 * the old block from being handed out, so the second free is still caught. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(40);
    free(p);
    char *volatile q = malloc(40);
    if (q == p)
        return 3; /* the quarantine failed to delay reuse */
    free(p);
    free(q);
    return 0;
}
