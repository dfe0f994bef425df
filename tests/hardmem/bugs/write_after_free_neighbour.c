/* A write after free into a binned block that a request of the next
 * smaller size class takes (its own bin is empty), found when the block
 * is handed out again (run with quarantine_kb=1: the freed block goes on
 * to its bin at once).  2000 bytes are in the class of 2048-byte blocks,
 * 1700 in the one below (1792); the program gets no other block of either. */
#include <stdlib.h>
#include <unistd.h>
int main(void)
{
    char *volatile p = malloc(2000);
    free(p);
    p[1500] = 'x';
    char *volatile q = malloc(1700);
    (void)q;
    _exit(0);
}
