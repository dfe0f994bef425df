/*
 * canary.c - the per-heap secret and the keyed hashes built on it.
 *
 * A header canary is a 64-bit mix of (secret, the header's address, size,
 * flags, slack) folded to 32 bits; a node check the same over the node's
 * fields, folded to 16 bits.  Keying by the secret means a program (or a
 * stray write) cannot produce a valid header without reading the secret;
 * keying by the address means a header copied elsewhere does not validate.
 * This is a tripwire against bugs, not a MAC against an attacker who can read
 * the heap: the mixer is the 64-bit finaliser of MurmurHash3 (a bijection
 * with full avalanche), chained over the fields.
 */
#include <errno.h>
#include <sys/random.h>
#include <time.h>

#include "heap.h"

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t heap_new_secret(void)
{
    uint64_t s = 0;
    ssize_t got;
    do {
        got = getrandom(&s, sizeof s, GRND_NONBLOCK);
    } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof s) {
        /* No entropy yet (early boot): fall back to the clock and an address,
         * which still makes the key differ per heap and per run. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        s = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)&s);
    }
    return s | 1; /* never 0, so a zeroed control structure is not a valid key */
}

uint32_t hdr_canary(const mem_heap_t *h, uint32_t g, uint32_t size, uint32_t flags, uint32_t slack)
{
    uint64_t x = mix64(h->secret ^ (uint64_t)(uintptr_t)at(h, g));
    x = mix64(x ^ ((uint64_t)size << 32 | flags));
    x = mix64(x ^ slack);
    return (uint32_t)(x ^ (x >> 32));
}

uint16_t node_check(const mem_heap_t *h, uint32_t g, const free_node_t *n)
{
    uint64_t x = mix64(h->secret ^ 0x6e6f6465ULL ^ (uint64_t)(uintptr_t)at(h, g));
    x = mix64(x ^ ((uint64_t)n->left[0] << 32 | n->right[0]));
    x = mix64(x ^ ((uint64_t)n->left[1] << 32 | n->right[1]));
    x = mix64(x ^ ((uint64_t)n->max << 16 | (uint64_t)n->height[0] << 8 | n->height[1]));
    return (uint16_t)(x ^ (x >> 16) ^ (x >> 32) ^ (x >> 48));
}
