/*
 * corrupt_fuzz.c - fuzz target: corruption, then operations.
 *
 * Input: [u16 n][n bytes: an op program that builds a heap][corruptions...]
 * where each corruption is [u16 which metadata byte][u8 xor value] (0 reads
 * as 0xFF), at most 8.  The heap is built with testing/corrupt.c, its
 * metadata bytes (headers; free nodes and footers) are listed while it is
 * valid, the corruptions are applied, and then:
 *   - with exactly one corruption, mem_heap_check must report an error;
 *   - every later call (alloc in every style, aligned alloc, calloc,
 *     realloc, free, usable_size, check, stats) must fail or return a block
 *     inside the region, aligned, disjoint from the blocks held;
 *   - nothing may touch memory outside the heap's buffer (ASan) and the
 *     input must finish (libFuzzer's -timeout catches a hang).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt.h"
#include "src.h"

enum { MAX_BUILD_OPS = 64, MAX_CORRUPTIONS = 8, MAX_BYTES = 8192 };

static uint8_t prog_buf[SRC_MAX_BYTES];
static program_t prog;
static live_t live[CORRUPT_LIVE_MAX];
static size_t bytes[MAX_BYTES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size >= 2 ? (size_t)(data[0] << 8 | data[1]) : 0;
    data += size >= 2 ? 2 : size;
    size -= size >= 2 ? 2 : size;
    if (n > size)
        n = size;
    src_t s;
    src_replay(&s, prog_buf, data, n);
    ops_decode(&s, &prog, MAX_BUILD_OPS, NULL);
    data += n;
    size -= n;

    size_t len = corrupt_buffer_len(prog.setup.region);
    unsigned char *buf = aligned_alloc(MEM_ALIGN, len);
    mem_heap_t *h = mem_heap_create_in(buf, len);
    if (!h) {
        fprintf(stderr, "corrupt_fuzz: mem_heap_create_in(%zu) failed\n", len);
        abort();
    }
    mem_heap_set_check_level(h, prog.setup.level);
    size_t nlive = corrupt_build(h, &prog, live);
    size_t nbytes = corrupt_metadata(h, bytes, MAX_BYTES);
    size_t ncorrupt = 0;
    unsigned char *ctl = (unsigned char *)h;
    for (; size >= 3 && ncorrupt < MAX_CORRUPTIONS && nbytes; data += 3, size -= 3, ncorrupt++) {
        size_t which = (size_t)(data[0] << 8 | data[1]) % nbytes;
        ctl[bytes[which]] ^= data[2] ? data[2] : 0xFF;
    }
    if (ncorrupt == 1 && mem_heap_check(h) == MEM_OK) {
        fprintf(stderr, "corrupt_fuzz: a single metadata corruption went undetected\n");
        abort();
    }
    size_t bad = corrupt_later_calls(h, live, nlive);
    if (bad) {
        fprintf(stderr, "corrupt_fuzz: %zu calls on the corrupted heap returned a bad block\n", bad);
        abort();
    }
    mem_heap_destroy(h);
    free(buf);
    return 0;
}
