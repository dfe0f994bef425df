#include <stdio.h>
#include <string.h>
#include "osmem.h"

int main(void)
{
    /* A small block, then grown: the block after it is free, so in place. */
    char *s = os_malloc(16);
    if (s == NULL)
        return 1;
    strcpy(s, "hello, osmem");
    char *t = os_realloc(s, 64);
    printf("os_realloc 16 -> 64: %s, contents \"%s\"\n", t == s ? "in place" : "moved", t);

    /* Zeroed memory. */
    int *z = os_calloc(1000, sizeof(int));
    int zeros = 0;
    for (int i = 0; i < 1000; i++)
        zeros += z[i] == 0;
    printf("os_calloc(1000, sizeof(int)): %d zeros\n", zeros);

    /* A large block (above MMAP_THRESHOLD) gets a mapping of its own. */
    size_t big = 4 * MMAP_THRESHOLD;
    unsigned char *m = os_malloc(big);
    memset(m, 0xab, big);
    printf("os_malloc(%zu): last byte %d\n", big, m[big - 1]);

    /* Shrinking it below the threshold moves it back to the arena. */
    unsigned char *m2 = os_realloc(m, 100);
    printf("os_realloc to 100 bytes: first byte %d\n", m2[0]);

    printf("os_malloc(0): %s\n", os_malloc(0) == NULL ? "NULL" : "not NULL");
    os_free(NULL);
    os_free(m2);
    os_free(z);
    os_free(t);
    printf("done\n");
    return 0;
}
