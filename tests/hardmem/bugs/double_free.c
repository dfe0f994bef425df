/* A block freed twice while it waits in the quarantine. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(24);
    free(p);
    free(p);
    return 0;
}
