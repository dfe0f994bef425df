/*
 * src.c - the choice sequence (see src.h).
 *
 * Draws read big-endian bytes at the current position.  Past the end of a
 * replayed input every byte is zero, which decodes to the simplest choice,
 * so truncating an input is always a valid (and smaller) candidate.  In
 * generate mode the bytes come from splitmix64 and are appended to the
 * buffer; a weighted draw picks an index by weight, so a property can bias
 * the op mix without changing how any byte decodes.
 */
#include "src.h"

#include <string.h>

uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void src_replay(src_t *s, uint8_t *buf, const uint8_t *data, size_t len)
{
    if (len > SRC_MAX_BYTES)
        len = SRC_MAX_BYTES;
    if (len)
        memmove(buf, data, len);
    s->buf = buf;
    s->len = len;
    s->pos = 0;
    s->generate = false;
    s->rng = 0;
    s->ndraws = 0;
}

void src_generate(src_t *s, uint8_t *buf, uint64_t seed)
{
    src_replay(s, buf, NULL, 0);
    s->generate = true;
    s->rng = seed;
}

bool src_exhausted(const src_t *s) { return !s->generate && s->pos >= s->len; }

static void record(src_t *s, size_t pos, int width)
{
    if (s->ndraws < SRC_MAX_DRAWS)
        s->draws[s->ndraws++] = (draw_rec_t){ (uint32_t)pos, (uint8_t)width };
}

/* The byte at the read position; generates it first in generate mode. */
static uint8_t next_byte(src_t *s, uint8_t generated)
{
    if (s->generate && s->pos == s->len && s->len < SRC_MAX_BYTES)
        s->buf[s->len++] = generated;
    uint8_t b = s->pos < s->len ? s->buf[s->pos] : 0;
    s->pos++;
    return b;
}

static uint32_t draw(src_t *s, int width)
{
    record(s, s->pos, width);
    uint32_t v = 0;
    for (int i = 0; i < width; i++) {
        uint8_t g = s->generate ? (uint8_t)rng_next(&s->rng) : 0;
        v = v << 8 | next_byte(s, g);
    }
    return v;
}

uint32_t src_u8(src_t *s) { return draw(s, 1); }
uint32_t src_u16(src_t *s) { return draw(s, 2); }
uint32_t src_u32(src_t *s) { return draw(s, 4); }

uint32_t src_weighted(src_t *s, const uint8_t *weights, size_t n)
{
    record(s, s->pos, 1);
    uint8_t g = 0;
    if (s->generate) {
        uint32_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += weights[i];
        uint32_t r = (uint32_t)(rng_next(&s->rng) % (total ? total : 1));
        for (size_t i = 0; i < n; i++) {
            if (r < weights[i]) {
                g = (uint8_t)i;
                break;
            }
            r -= weights[i];
        }
    }
    return next_byte(s, g);
}
