/* A block freed twice after the heap took it back (run with quarantine_kb=0). */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(100);
    char *volatile guard = malloc(100);
    free(p);
    free(p);
    free(guard);
    return 0;
}
