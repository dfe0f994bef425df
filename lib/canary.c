/*
 * canary.c - the per-heap secret and the keyed hashes built on it.
 *
 * A header canary is a keyed 64-bit hash of (the header's address, size,
 * flags, slack) folded to 32 bits; a node check the same over the node's
 * fields, folded to 16 bits.  Keying by the secret means a program (or a
 * stray write) cannot produce a valid header without reading the secret;
 * keying by the address means a header copied elsewhere does not validate.
 *
 * hdr_canary itself is inline in heap.h (it runs on every header read).
 * The hash starts from the secret and absorbs one 64-bit word per step:
 * x = (x ^ w) * odd; x ^= x >> 29.  For a fixed x each step is a bijection
 * of w, and for a fixed w a bijection of x, so changing any one word always
 * changes the 64-bit result; folding to 32 (16) bits leaves a 2^-32 (2^-16)
 * chance of a miss.  It runs on every header and node the allocator
 * follows, so it is a few multiplies, not a cryptographic MAC: a tripwire
 * against bugs, not a defence against an attacker who can read the heap.
 * The secret itself is drawn once per heap with getrandom and scrambled with
 * MurmurHash3's 64-bit finaliser when the clock has to stand in for it.
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

uint16_t node_check(const mem_heap_t *h, uint32_t g, const free_node_t *n)
{
    uint64_t x = canary_absorb(h->secret ^ 0x6e6f6465ULL, (uint64_t)(uintptr_t)at(h, g));
    x = canary_absorb(x, (uint64_t)n->left[0] << 32 | n->right[0]);
    x = canary_absorb(x, (uint64_t)n->left[1] << 32 | n->right[1]);
    x = canary_absorb(x, (uint64_t)n->max << 16 | (uint64_t)n->height[0] << 8 | n->height[1]);
    return (uint16_t)(x ^ (x >> 16) ^ (x >> 32) ^ (x >> 48));
}
