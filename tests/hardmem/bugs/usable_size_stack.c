/* malloc_usable_size of a stack address. */
#include <malloc.h>
int main(void)
{
    char buf[16];
    char *volatile p = buf;
    return (int)malloc_usable_size(p);
}
