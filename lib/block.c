/*
 * block.c - reading, validating and writing block metadata, and the
 * per-call transaction that makes a failing call change nothing.
 *
 * Every check here is a hardening check, not an assert: it stays in every
 * build and turns a bad header, footer, node or poison byte into a report
 * and an error code.  The checks are the ones heap.h's invariants name:
 * block_check (I1 range, I2 canary), free_check (I5 node), free_check_full
 * (I2 footer), poison_verify and slack_verify (I6).
 */
#include <string.h>

#include "heap.h"

/* ---------------- transactions ---------------- */

static void txn_reset(mem_heap_t *h)
{
    h->undo_len = 0;
    h->undo_overflow = false;
    h->nfill = h->fills_done = 0;
    h->d_used = h->d_free = h->d_req = h->d_blocks = h->d_free_blocks = 0;
    h->d_fresh = 0;
}

void txn_begin(mem_heap_t *h)
{
    txn_reset(h);
    h->call_no++; /* every cached validation belongs to an earlier call now */
}

static inline uint64_t *vslot(mem_heap_t *h, uint32_t g) { return &h->vcache[g % VCACHE]; }
static inline uint64_t vtag(const mem_heap_t *h, uint32_t g) { return h->call_no << 32 | g; }
static inline void vforget(mem_heap_t *h, uint32_t g)
{
    if (*vslot(h, g) == vtag(h, g))
        *vslot(h, g) = 0;
}

void meta_write(mem_heap_t *h, meta_word_t *word, uint32_t value)
{
    if (*word == value)
        return;
    if (h->undo_len < UNDO_CAP) {
        undo_entry_t *e = &h->undo[h->undo_len++];
        e->word = (uint32_t)(((unsigned char *)word - h->base) / 4);
        e->old = *word;
    } else {
        h->undo_overflow = true;
    }
    *word = value;
}

void rollback(mem_heap_t *h)
{
    meta_word_t *words = (meta_word_t *)h->base;
    while (h->undo_len) {
        const undo_entry_t *e = &h->undo[--h->undo_len];
        words[e->word] = e->old;
    }
    txn_reset(h);
    h->call_no++; /* validations made before the rollback no longer hold */
}

void queue_fill(mem_heap_t *h, size_t at_byte, size_t len, int byte)
{
    if (!len)
        return;
    /* FILL_CAP bounds what one call queues; the callers queue at most 6. */
    if (h->nfill < FILL_CAP)
        h->fills[h->nfill++] = (fill_t){ at_byte, len, byte };
}

void run_fills(mem_heap_t *h, uint32_t upto)
{
    for (; h->fills_done < upto && h->fills_done < h->nfill; h->fills_done++) {
        const fill_t *f = &h->fills[h->fills_done];
        memset(h->base + f->at, f->byte, f->len);
    }
}

void commit(mem_heap_t *h)
{
    run_fills(h, h->nfill);
    if (h->d_fresh > h->fresh)
        h->fresh = h->d_fresh;
    h->used_bytes += (size_t)h->d_used;
    h->free_bytes += (size_t)h->d_free;
    h->requested += (size_t)h->d_req;
    h->blocks += (size_t)h->d_blocks;
    h->free_blocks += (size_t)h->d_free_blocks;
    txn_reset(h);
}

/* ---------------- validation ---------------- */

int block_check(mem_heap_t *h, uint32_t g)
{
    if (__builtin_expect(hdr_ok(h, g), 1))
        return MEM_OK;
    /* Name the first condition of hdr_ok() that fails. */
    if (!in_region(h, g))
        return report(h, E_CORRUPT_FREESPACE, 0, "block offset outside the region", h->first, g);
    const block_hdr_t *b = hdr(h, g);
    if (b->size < MIN_BLOCK_G || b->size > h->end - g)
        return report(h, E_CORRUPT_FREESPACE, g, "block size out of range", h->end - g, b->size);
    if ((b->flags & ~(uint32_t)BLK_FLAGS) || (b->flags & (BLK_HELD | BLK_ALLOC)) == BLK_HELD)
        return report(h, E_CORRUPT_FREESPACE, g, "unknown header flag bits", 0, b->flags);
    uint32_t max_slack = (b->flags & BLK_ALLOC) ? (uint32_t)(gbytes(b->size) - HDR_BYTES) : 0;
    if (b->slack > max_slack)
        return report(h, E_CORRUPT_FREESPACE, g, "slack larger than the payload", max_slack, b->slack);
    uint32_t want = hdr_canary(h, g, b->size, b->flags, b->slack);
    if (b->canary != want)
        return report(h, E_CORRUPT_FREESPACE, g, "header canary mismatch", want, b->canary);
    return MEM_OK;
}

int free_check(mem_heap_t *h, uint32_t g)
{
    if (*vslot(h, g) == vtag(h, g))
        return MEM_OK;
    int err = block_check(h, g);
    if (err)
        return err;
    if (hdr(h, g)->flags & BLK_ALLOC)
        return report(h, E_CORRUPT_FREESPACE, g, "free-index link to an allocated block", 0, BLK_ALLOC);
    const free_node_t *n = node(h, g);
    uint16_t want = node_check(h, g, n);
    if (n->check != want)
        return report(h, E_CORRUPT_FREESPACE, g, "free node check mismatch", want, n->check);
    *vslot(h, g) = vtag(h, g);
    return MEM_OK;
}

int free_check_full(mem_heap_t *h, uint32_t g)
{
    int err = free_check(h, g);
    if (err)
        return err;
    const block_hdr_t *b = hdr(h, g);
    const block_ftr_t *f = ftr(h, g, b->size);
    if (f->size != b->size)
        return report(h, E_CORRUPT_FREESPACE, g, "footer size does not mirror the header", b->size, f->size);
    if (f->canary != b->canary)
        return report(h, E_CORRUPT_FREESPACE, g, "footer canary does not mirror the header", b->canary,
                      f->canary);
    return MEM_OK;
}

/* ---------------- writes ---------------- */

void hdr_write(mem_heap_t *h, uint32_t g, uint32_t size, uint32_t flags, uint32_t slack)
{
    vforget(h, g);
    block_hdr_t *b = hdr(h, g);
    meta_write(h, &b->size, size);
    meta_write(h, &b->flags, flags);
    meta_write(h, &b->slack, slack);
    meta_write(h, &b->canary, hdr_canary(h, g, size, flags, slack));
}

void hdr_set(mem_heap_t *h, uint32_t g, uint32_t size, uint32_t flags, uint32_t slack)
{
    vforget(h, g);
    *hdr(h, g) = (block_hdr_t){ size, flags, slack, hdr_canary(h, g, size, flags, slack) };
}

void ftr_write(mem_heap_t *h, uint32_t g, uint32_t size)
{
    block_ftr_t *f = ftr(h, g, size);
    meta_write(h, &f->size, size);
    meta_write(h, &f->canary, hdr(h, g)->canary);
}

void node_write(mem_heap_t *h, uint32_t g, const free_node_t *n)
{
    free_node_t v = *n;
    v.check = node_check(h, g, &v);
    /* v's words are read in place (meta_word_t aliases its fields).  A
     * memcpy of v into a uint32_t array lost the store to v.check under
     * clang 19 at -Os -flto (an optimiser bug of the kind of
     * llvm/llvm-project#133984): tests/BUILD.bazel's *_os_lto tests. */
    const meta_word_t *src = (const meta_word_t *)&v;
    meta_word_t *dst = (meta_word_t *)node(h, g);
    for (size_t i = 0; i < NODE_BYTES / 4; i++)
        meta_write(h, &dst[i], src[i]);
}

void meta_wipe(mem_heap_t *h, size_t at_byte, size_t len)
{
    if (at_byte % GRANULE == 0) /* a retired header */
        vforget(h, (uint32_t)(at_byte / GRANULE));
    meta_word_t *w = (meta_word_t *)(h->base + at_byte);
    uint32_t poison;
    memset(&poison, POISON_BYTE, sizeof poison);
    for (size_t i = 0; i < len / 4; i++)
        meta_write(h, &w[i], poison);
}

/* 256 bytes of each fill pattern, for memcmp(): libc's vectorised compare
 * checks a poisoned payload several times faster than a byte loop, and only
 * a mismatching stretch is searched byte by byte. */
enum { PATTERN_BYTES = 256 };
static const unsigned char poison_pattern[PATTERN_BYTES] = { [0 ... PATTERN_BYTES - 1] = POISON_BYTE };
static const unsigned char slack_pattern[PATTERN_BYTES] = { [0 ... PATTERN_BYTES - 1] = SLACK_BYTE };
static const unsigned char zero_pattern[PATTERN_BYTES];

static const unsigned char *pattern_of(int byte)
{
    return byte == POISON_BYTE ? poison_pattern : byte == SLACK_BYTE ? slack_pattern : byte == 0 ? zero_pattern : NULL;
}

size_t bytes_differ(const mem_heap_t *h, size_t at_byte, size_t len, int byte)
{
    const unsigned char *p = h->base + at_byte, *pat = pattern_of(byte);
    size_t i = 0;
    /* The common case in two calls: if the first PATTERN_BYTES are `byte`
     * and every byte equals the one PATTERN_BYTES before it, all are. */
    if (pat && len > PATTERN_BYTES && !memcmp(p, pat, PATTERN_BYTES) &&
        !memcmp(p, p + PATTERN_BYTES, len - PATTERN_BYTES))
        return len;
    if (pat) {
        for (; i < len; i += PATTERN_BYTES) {
            size_t n = len - i < PATTERN_BYTES ? len - i : PATTERN_BYTES;
            if (memcmp(p + i, pat, n))
                break;
        }
        if (i >= len)
            return len;
    }
    for (; i < len; i++)
        if (p[i] != (unsigned char)byte)
            return i;
    return len;
}

int poison_verify(mem_heap_t *h, uint32_t g, size_t at_byte, size_t len)
{
    if (h->level < MEM_CHECK_LOCAL)
        return MEM_OK;
    /* [at, at+cut) was handed out before and holds poison; the rest was
     * never handed out and reads as zero (I6). */
    size_t cut = len;
    if (h->fresh && at_byte + len > h->fresh)
        cut = h->fresh > at_byte ? h->fresh - at_byte : 0;
    size_t off = bytes_differ(h, at_byte, cut, POISON_BYTE);
    if (off == cut && (off = cut + bytes_differ(h, at_byte + cut, len - cut, 0)) == len)
        return MEM_OK;
    int err = off < cut ? report(h, E_CORRUPT_FREESPACE, g, "free memory written after free (poison overwritten)",
                                 POISON_BYTE, h->base[at_byte + off])
                        : report(h, E_CORRUPT_FREESPACE, g, "free memory never handed out was written (not zero)",
                                 0, h->base[at_byte + off]);
    h->report.byte_offset = (long long)(at_byte + off - gbytes(g));
    return err;
}

int handout_verify(mem_heap_t *h, uint32_t g, size_t at_byte, size_t len, size_t stays_free)
{
    size_t upto = at_byte + len;
    if (!h->fresh || upto <= h->fresh)
        return poison_verify(h, g, at_byte, len);
    int err = h->fresh > at_byte ? poison_verify(h, g, at_byte, h->fresh - at_byte) : MEM_OK;
    if (err)
        return err;
    size_t poison_to = h->untouched ? stays_free : upto;
    if (poison_to > h->fresh) {
        memset(h->base + h->fresh, POISON_BYTE, poison_to - h->fresh);
        h->fresh = poison_to;
    }
    if (upto > h->d_fresh)
        h->d_fresh = upto;
    return MEM_OK;
}

int slack_verify(mem_heap_t *h, uint32_t g)
{
    if (slack_intact(h, g))
        return MEM_OK;
    const block_hdr_t *b = hdr(h, g);
    size_t at_byte = gbytes(g + b->size) - b->slack;
    size_t off = bytes_differ(h, at_byte, b->slack, SLACK_BYTE);
    int err = report(h, E_CORRUPT_BLOCK, g, "write past the requested size (slack overwritten)", SLACK_BYTE,
                     h->base[at_byte + off]);
    h->report.byte_offset = (long long)(at_byte + off - gbytes(g));
    return err;
}
