#include "memory_allocator.h"

int main() {
    init_allocator();
    void* ptr = allocate_memory(100);
    free_memory(ptr);
    destroy_allocator();
    return 0;
}
