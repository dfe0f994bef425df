/*
 * sort.c - sorting records by the address they hold, without allocating.
 *
 * The quarantine sorts the blocks it gives back (so that neighbours go back
 * as one run) and the leak check sorts the live blocks (to find the block
 * a word points into).  Both run inside the allocator, where qsort() will
 * not do: glibc's may call malloc for its buffer.  So: a heapsort, in
 * place, O(n log n) at worst, over records of `size` bytes (a multiple of
 * 8, as every record here holds pointers) ordered by the address at byte
 * offset `key`.  Records that hold the same address keep no set order.
 */
#include "hardmem.h"

static inline uintptr_t key_at(const unsigned char *v, size_t i, size_t size, size_t key)
{
    uintptr_t k;
    __builtin_memcpy(&k, v + i * size + key, sizeof k);
    return k;
}

static inline void swap(unsigned char *v, size_t i, size_t j, size_t size)
{
    uint64_t *a = (uint64_t *)(void *)(v + i * size), *b = (uint64_t *)(void *)(v + j * size);
    for (size_t w = 0; w < size / 8; w++) {
        uint64_t t = a[w];
        a[w] = b[w];
        b[w] = t;
    }
}

static void sift(unsigned char *v, size_t i, size_t n, size_t size, size_t key)
{
    for (;;) {
        size_t m = i, l = 2 * i + 1, r = l + 1;
        if (l < n && key_at(v, m, size, key) < key_at(v, l, size, key))
            m = l;
        if (r < n && key_at(v, m, size, key) < key_at(v, r, size, key))
            m = r;
        if (m == i)
            return;
        swap(v, i, m, size);
        i = m;
    }
}

void hm_sort_by_address(void *records, size_t n, size_t size, size_t key)
{
    unsigned char *v = records;
    for (size_t i = n / 2; i-- > 0;)
        sift(v, i, n, size, key);
    for (size_t end = n; end-- > 1;) {
        swap(v, 0, end, size);
        sift(v, 0, end, size, key);
    }
}
