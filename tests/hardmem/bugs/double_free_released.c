/* A block freed twice after the heap took it back (run with quarantine_kb=0;
 * too large for a slot, so the heap takes it back at once). */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(2000);
    char *volatile guard = malloc(2000);
    free(p);
    free(p);
    free(guard);
    return 0;
}
