/* Without a quarantine (quarantine_kb=0) a freed slot still waits until its
 * magazine is full, poisoned: a write after free meanwhile is found when
 * the thread's cache is verified at exit. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(64);
    free(p);
    p[40] = 'x';
    return 0;
}
