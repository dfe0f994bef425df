/* free of a made-up address. */
#include <stdint.h>
#include <stdlib.h>
int main(void)
{
    free((void *)(uintptr_t)0x123456789000);
    return 0;
}
