/* The block has left the quarantine (quarantine_kb=1) and waits in a recycle
 * bin for reuse: a second free is still a double free. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(40);
    free(p);
    for (int i = 0; i < 100; i++)
        free(malloc(100)); /* another size: pushes p out of the quarantine */
    free(p);
    return 0;
}
