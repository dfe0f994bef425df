/*
 * src.h - the choice sequence every test input is drawn from.
 *
 * A source is a byte string read from the front.  In REPLAY mode it reads a
 * fixed buffer and an exhausted buffer reads as zeros; in GENERATE mode each
 * draw is made by a seeded generator and appended, so a generated run can be
 * replayed byte for byte.  Multi-byte draws are big-endian, so lowering a
 * drawn value also lowers the buffer in shortlex order (what the shrinker
 * minimises).  Every draw records where it was, for the shrinker.
 */
#ifndef HARDMEM_TESTING_SRC_H
#define HARDMEM_TESTING_SRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    SRC_MAX_BYTES = 1 << 16,
    SRC_MAX_DRAWS = 8192,
};

typedef struct draw_rec {
    uint32_t pos;  /* first byte of the draw */
    uint8_t width; /* 1, 2 or 4 */
} draw_rec_t;

typedef struct src {
    uint8_t *buf; /* SRC_MAX_BYTES long */
    size_t len;   /* bytes in buf (replay: the input; generate: drawn so far) */
    size_t pos;
    bool generate;
    uint64_t rng;
    draw_rec_t draws[SRC_MAX_DRAWS];
    size_t ndraws;
} src_t;

/* splitmix64: the generator behind seeds and GENERATE mode. */
uint64_t rng_next(uint64_t *state);

void src_replay(src_t *s, uint8_t *buf, const uint8_t *data, size_t len);
void src_generate(src_t *s, uint8_t *buf, uint64_t seed);
/* True when a replayed input has no bytes left (generation never ends). */
bool src_exhausted(const src_t *s);

uint32_t src_u8(src_t *s);
uint32_t src_u16(src_t *s);
uint32_t src_u32(src_t *s);
/* One byte, generated from `weights` (n entries, sum > 0) as an index; in
 * replay mode the byte is read as is (the caller reduces it). */
uint32_t src_weighted(src_t *s, const uint8_t *weights, size_t n);

#endif
