/* A write after free into a block in the quarantine's FIFO after the FIFO
 * grew while it wrapped around, found when the FIFO is drained at exit.
 * Run with quarantine_kb=127 (130,048 bytes; a block costs its block size:
 * 4,096 bytes for a request of 4,000, 1,280 for 1,100): 80 frees of 4000
 * bytes leave 31 entries that wrap around the FIFO's first 64 (head 49);
 * then frees of 1100 bytes push the oldest large ones out, and the 48th
 * finds the FIFO full (17 large, 47 small, head 63) and doubles it, moving
 * the 63 entries that wrapped.  The write is into the 44th small one: a
 * FIFO that lost or doubled entries as it grew would never verify it, or
 * report a double free first. */
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
