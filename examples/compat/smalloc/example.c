#include <stdio.h>
#include "smalloc.h"

int main() {
    Malloc_Status stat;
    if (my_init(65536) < 0) { perror("Allocator initialization failed"); return 1; }
    void *ptr = smalloc(128, &stat);
    if (ptr != NULL && stat.success)
        printf("Allocated 128 bytes at offset %lu\n", stat.payload_offset);
    sfree(ptr);
    return 0;
}
