/* A write after the block left the quarantine (quarantine_kb=1), found when
 * the recycled block is about to be handed out again, or at the latest when
 * the thread's cache is drained at exit (a slot waits in its magazine until
 * the magazine fills). */
#include <stdlib.h>
int main(void)
{
    char *volatile p = malloc(40);
    free(p);
    for (int i = 0; i < 100; i++)
        free(malloc(100));
    p[3] = 'x';
    char *volatile q = malloc(40);
    free(q);
    return 0;
}
