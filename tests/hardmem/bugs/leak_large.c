/* A large block (its own mapping) never freed and no longer pointed to is
 * a leak (leaks=1), though hardmem's own table of large blocks still holds
 * its address: the leak scan does not count that table. */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(300000);
    p[0] = 1;
    p = 0;
    return 0;
}
