/* Without a quarantine (quarantine_kb=0) a block too large for a slot goes
 * straight back to the region heap, and the write after free is found when
 * the memory is handed out again. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(2000);
    char *volatile guard = malloc(2000);
    free(p);
    p[40] = 'x';
    char *volatile q = malloc(2000);
    free(q);
    free(guard);
    return 0;
}
