/* A write after free into a block waiting in a reuse bin, found when a full
 * bin sends the older half of every bin back to the heap (run with
 * quarantine_kb=1: each block of this size goes on to its bin at once).
 * The first block freed is the oldest in its bin; the 257th fills the bin.
 * _exit skips the drain at exit, so only that release can find the write. */
#include <stdlib.h>
#include <unistd.h>
int main(void)
{
    enum { N = 300 };
    static char *volatile b[N];
    for (int i = 0; i < N; i++)
        b[i] = malloc(2000);
    free(b[0]);
    b[0][10] = 'x';
    for (int i = 1; i < N; i++)
        free(b[i]);
    _exit(0);
}
