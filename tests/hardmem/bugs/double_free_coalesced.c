/* b is freed, then a is freed and coalesces with b: b's header is gone, and a
 * second free of b must still be called a double free (quarantine_kb=0, and
 * blocks too large for a slot: the heap takes them back at once). */
#include <stdlib.h>
int main(void)
{
    char *volatile a = malloc(2000);
    char *volatile b = malloc(2000);
    char *volatile c = malloc(2000);
    free(b);
    free(a);
    free(b);
    free(c);
    return 0;
}
