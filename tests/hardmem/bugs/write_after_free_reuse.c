/* Without a quarantine (quarantine_kb=0) the write after free is found when
 * the memory is handed out again. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(64);
    char *volatile guard = malloc(64);
    free(p);
    p[40] = 'x';
    char *volatile q = malloc(64);
    free(q);
    free(guard);
    return 0;
}
