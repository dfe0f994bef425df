/* free of a global. */
#include <stdlib.h>
static char global[64];
int main(void)
{
    char *volatile p = global;
    free(p);
    return 0;
}
