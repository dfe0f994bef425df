/* A write after free into a block in the quarantine's FIFO after the FIFO
 * grew while it wrapped around, found when the FIFO is drained at exit.
 * Run with quarantine_kb=127 (130,048 bytes; a block costs its size
 * rounded up to 16 bytes plus its 16-byte header): 80 frees of 4000 bytes
 * leave 32 entries that wrap around the FIFO's first 64; then frees of 1100
 * bytes (116 fit) fill it, and the 45th finds it full and doubles it, moving
 * the 44 small entries that wrapped.  The write is into the 44th: a FIFO
 * that lost or doubled entries as it grew would never verify it, or report
 * a double free first. */
#include <stdlib.h>
int main(void)
{
    enum { BIG = 80, SMALL = 60 };
    static char *big[BIG], *small[SMALL];
    for (int i = 0; i < BIG; i++)
        big[i] = malloc(4000);
    for (int i = 0; i < SMALL; i++)
        small[i] = malloc(1100);
    for (int i = 0; i < BIG; i++)
        free(big[i]);
    for (int i = 0; i < SMALL; i++)
        free(small[i]);
    small[43][500] = 'x';
    return 0;
}
