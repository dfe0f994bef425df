/*
 * slab.c - small blocks in slabs: the checked malloc's path without a lock.
 *
 * WHY
 * A block of the region heap shares its header with the core: freeing its
 * neighbour rewrites the header's PREV_FREE flag under the heap's lock, so
 * every free and malloc of such a block must take that lock too.  Small
 * requests (up to HM_SLOT_MAX bytes, alignment up to 1 KiB) instead get a
 * slot in a slab, and the core never looks inside a slab: a slab is one
 * allocated block of a region heap, HM_SLAB_BYTES, HM_SLAB-aligned, cut
 * into slots of one size.  Each slot's header is the front end's alone,
 * changed only with atomic operations, so free and malloc take no lock; a
 * slab's stretch of the address space is entered in the slab map
 * (regions.c R4), which is how free() tells a slot from a block.
 *
 * ALIGNMENT
 * A slab of slots of g granules starts its first slot lead(g) bytes in, so
 * that every payload is aligned to 16 * (g & -g), the largest power of two
 * dividing the slot size (up to 1 KiB for 64 granules): payload i is at
 * block + lead + 16 + i * size.  So an aligned request (memalign,
 * posix_memalign, aligned_alloc) of up to HM_SLOT_MAX bytes and 1 KiB of
 * alignment takes a slot of the smallest class at least its size whose
 * payloads are aligned enough (hm_slot_class_aligned): no padding, and the
 * same lock-free path.  A lead costs a slab at most one slot.
 *
 * A SLOT
 *   [ header 16 | payload: requested bytes | slack ]
 * The header has a block header's shape (heap.h): size (the slot's
 * granules), flags (BLK_ALLOC | SLOT_FLAG), then one 64-bit state word:
 * the low half is the slack and the state bits, the high half the canary,
 * the core's keyed hash of the slot's address, size, flags and low half
 * (state_make).  So a slot header carries a keyed canary as every block
 * does, and an overwritten, copied or forged one fails.  SLOT_FLAG is a
 * flag the core does not know, so a slot header never passes hdr_ok().
 * States: live (HELD_BIT clear: the program's) and held (freed; in a
 * thread's quarantine or in a magazine), or fresh (held, FRESH_BIT: never
 * handed out, its payload not filled yet).
 *
 * INVARIANTS (checked where named)
 *   S1  Every slot header of a slab is valid: size == the slab's class,
 *       flags == BLK_ALLOC | SLOT_FLAG, canary matches (state_ok, at every
 *       free, reuse and size query; the next slot's size and flags, which a
 *       linear overflow reaches first, at every free).
 *   S2  A slot leaves the live state only by one compare-and-swap from the
 *       exact live state word a free validated, so of two frees of the
 *       same slot, racing or not, exactly one succeeds; the other is a
 *       double free.  Only the holder of a held slot (the cache or magazine
 *       it sits in) changes it; nobody else writes a held state word, so
 *       the holder's store needs no swap.
 *   S3  At check level LOCAL and above a live slot's slack bytes are
 *       SLACK_BYTE (verified at free: an overflow by even one byte), and a
 *       held slot's whole payload, slack included, is POISON_BYTE (verified
 *       at reuse and when a quarantine is drained: a write after free).  So
 *       both depend on the class, not on the requested sizes.  A fresh slot
 *       (never handed out) is held with 0 requested bytes; its payload is
 *       filled at its first use.
 *   S4  Every held slot is in exactly one place: a thread's quarantine (a
 *       fill magazine or the slot FIFO), a thread's magazine, or a magazine
 *       in the depot.  The exceptions are in no place at all and are never
 *       handed out again: a slot whose free found its slack overwritten
 *       (reported), and one a magazine could not be had for (out of memory).
 *
 * MAGAZINES AND THE DEPOT
 * Held slots past the quarantine wait in magazines (arrays of mag_cap()
 * slots, 8 to HM_MAG_SLOTS by size, after Bonwick's magazine layer): each
 * thread has one per class (quarantine.c), and the depot keeps the full
 * ones of every class under a lock taken once per magazine, not per block.
 * A slab is carved a magazine at a time, in address order, so a run of
 * mallocs gets adjacent slots.  Slabs are never given back to the core:
 * their slots are reused by any thread through the depot.
 *
 * CARVE ORDER
 * A slab's stretch ends with the header of the block after it (the core's),
 * so the stretch's last page is touched whatever the slab does.  The slots
 * carved first are the ones in that page, then the rest from slot 0 up: a
 * slab of a class that is little used touches the pages it carves and no
 * other (churn1k: 32 slabs, 190 KB less peak RSS).  So the carved slots are
 * a run that wraps around: the slot at offset off from base is carved iff
 * (off - top_bytes) mod span_bytes < carved_bytes (slot_carved).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hardmem.h"

enum {
    SLOT_FLAG = 1u << 8, /* unknown to the core (BLK_FLAGS): never a block header */
    SLOT_FLAGS = BLK_ALLOC | SLOT_FLAG,
    POOL_BYTES = 1 << 20, /* descriptors and magazines are carved from such maps */
};
enum { MAG_BYTES = 6144 }; /* slot bytes a magazine holds, at most */

/* How many slots of class k a magazine holds: HM_MAG_SLOTS, fewer for big
 * slots, so that what a thread keeps per class stays near MAG_BYTES. */
static unsigned mag_cap(unsigned k)
{
    unsigned n = MAG_BYTES / (k * GRANULE);
    return n < 8 ? 8 : n > HM_MAG_SLOTS ? HM_MAG_SLOTS : n;
}

#define HELD_BIT 0x80000000u
#define FRESH_BIT 0x40000000u /* held and never handed out: payload not yet filled */
#define STATE_BITS (HELD_BIT | FRESH_BIT)

_Static_assert((SLOT_FLAG & BLK_FLAGS) == 0, "a slot flag the core does not know");
_Static_assert(HM_SLAB % GRANULE == 0 && HM_SLOT_MAX_G * GRANULE <= HM_SLAB / 32, "a slab holds many slots");

typedef struct slot_hdr {
    uint32_t size;  /* granules, header included */
    uint32_t flags; /* SLOT_FLAGS */
    uint64_t state; /* low: slack | state bits; high: canary */
} slot_hdr_t;

_Static_assert(sizeof(slot_hdr_t) == HDR_BYTES, "a slot header has a block header's size");

/* A slab's descriptor: one cache line (SLAB_DESC_ALIGN), the fields every
 * free and malloc of its slots reads first. */
struct hm_slab {
    unsigned char *base;   /* slot 0's header: block + lead(klass) */
    uint64_t key;          /* the canary's key: heap secret, size, flags and block absorbed */
    uint64_t hdr_word;     /* a slot header's first 8 bytes: size klass, flags SLOT_FLAGS */
    uint32_t klass;        /* slot size in granules */
    uint32_t slot_bytes;
    uint32_t carved_bytes; /* carved * slot_bytes, read without a lock (atomic) */
    int level;             /* the checked malloc's check level (HARDMEM_CHECK) */
    unsigned mag_cap;      /* mag_cap(klass) */
    uint32_t recip;        /* 2^32 / slot_bytes + 1: exact division below HM_SLAB */
    uint32_t nslots;
    uint32_t carved;       /* slots carved (S1; depot lock), in CARVE ORDER from top_bytes */
    uint32_t top_bytes;    /* the offset from base of the first slot carved */
    uint32_t span_bytes;   /* nslots * slot_bytes */
};
enum { SLAB_DESC_ALIGN = 64 };
_Static_assert(sizeof(struct hm_slab) <= SLAB_DESC_ALIGN, "a slab's descriptor fits a cache line");

/* Lock order (fork takes them so, hardmem.h): create_lock before the
 * arenas; depot_lock[k] and pool_lock after the stacks; a depot lock before
 * pool_lock. */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER; /* one new slab at a time */
static pthread_mutex_t depot_lock[HM_SLOT_CLASSES];
static hm_magazine_t *depot[HM_SLOT_CLASSES]; /* full (non-empty) magazines */
static hm_slab_t *carving[HM_SLOT_CLASSES];   /* the slab new slots are carved from */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static hm_magazine_t *empty_mags[HM_SLOT_CLASSES]; /* by class: their sizes differ */
static unsigned char *pool_at, *pool_end;
/* Every slab's descriptor, for the leak walk: published by count. */
enum { MAX_SLABS = 1 << 16 };
static hm_slab_t *all_slabs[MAX_SLABS];
static unsigned slab_count;

void hm_slabs_init(void)
{
    for (unsigned k = 0; k < HM_SLOT_CLASSES; k++)
        pthread_mutex_init(&depot_lock[k], NULL);
}

void hm_slab_create_lock(void) { pthread_mutex_lock(&create_lock); }
void hm_slab_create_unlock(void) { pthread_mutex_unlock(&create_lock); }

void hm_slabs_lock(void)
{
    for (unsigned k = 0; k < HM_SLOT_CLASSES; k++)
        pthread_mutex_lock(&depot_lock[k]);
    pthread_mutex_lock(&pool_lock);
}

void hm_slabs_unlock(void)
{
    pthread_mutex_unlock(&pool_lock);
    for (unsigned k = HM_SLOT_CLASSES; k-- > 0;)
        pthread_mutex_unlock(&depot_lock[k]);
}

/* ---------------- slot headers ---------------- */

static inline slot_hdr_t *slot_at(const hm_slab_t *s, uint32_t i)
{
    return (slot_hdr_t *)(s->base + (size_t)i * s->slot_bytes);
}

static inline size_t payload_of(const hm_slab_t *s) { return s->slot_bytes - HDR_BYTES; }

/* The header of the slot whose payload starts at p. */
static inline slot_hdr_t *hdr_of(const void *p) { return (slot_hdr_t *)((uintptr_t)p - HDR_BYTES); }

/* The state word of slot header hd with low half `low` (slack | state
 * bits).  Its canary is the core's keyed hash (canary_absorb, heap.h) of the
 * slot's offset in its slab and the low half, one word, keyed by the slab's
 * key: the heap's secret with the slot's size and flags and the slab's
 * address absorbed (new_slab).  So it covers the fields hdr_canary() covers,
 * with one multiply on every free and malloc instead of three.  The canary
 * is the hash's high half, where every bit of the product depends on every
 * bit of the low half and of the offset below it. */
static inline uint64_t state_make(const hm_slab_t *s, const slot_hdr_t *hd, uint32_t low)
{
    uint64_t off = (uint64_t)((uintptr_t)hd - (uintptr_t)s->base);
    return (canary_absorb(s->key, off << 32 | low) & ~(uint64_t)UINT32_MAX) | low;
}

/* Are slot header hd's size and flags those of s's slots (one 8-byte compare)? */
static inline bool shape_ok(const hm_slab_t *s, const slot_hdr_t *hd)
{
    uint64_t w;
    __builtin_memcpy(&w, hd, sizeof w);
    return w == s->hdr_word;
}

/* S1 for slot header hd whose state word was read as st. */
static inline bool state_ok(const hm_slab_t *s, const slot_hdr_t *hd, uint64_t st)
{
    uint32_t low = (uint32_t)st;
    return shape_ok(s, hd) && (low & ~STATE_BITS) <= payload_of(s) && st == state_make(s, hd, low);
}

static inline uint64_t state_load(const slot_hdr_t *hd) { return __atomic_load_n(&hd->state, __ATOMIC_ACQUIRE); }

static inline bool state_swap(slot_hdr_t *hd, uint64_t *expect, uint64_t want)
{
    return __atomic_compare_exchange_n(&hd->state, expect, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Is the slot at offset off from base (a multiple of slot_bytes, or any
 * offset past the slots) carved (CARVE ORDER)? */
static inline bool slot_carved(const hm_slab_t *s, uintptr_t off)
{
    uintptr_t r = off >= s->top_bytes ? off - s->top_bytes : off + s->span_bytes - s->top_bytes;
    return off < s->span_bytes && r < __atomic_load_n(&s->carved_bytes, __ATOMIC_ACQUIRE);
}

/* The c-th slot carved in s (CARVE ORDER). */
static inline slot_hdr_t *carved_slot(const hm_slab_t *s, uint32_t c)
{
    uint32_t i = s->top_bytes / s->slot_bytes + c;
    return slot_at(s, i >= s->nslots ? i - s->nslots : i);
}

/* Does p point at the payload of a carved slot of s? */
static inline bool slot_valid(const hm_slab_t *s, const void *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)s->base + HDR_BYTES;
    if (a < lo)
        return false;
    uintptr_t off = a - lo;
    uint32_t i = (uint32_t)(((uint64_t)off * s->recip) >> 32);
    return (uintptr_t)i * s->slot_bytes == off && slot_carved(s, off);
}

/* ---------------- fill patterns ---------------- */

/* Payloads are filled and compared 64 bytes at a time in vector registers
 * (the compiler's vector extension: four SSE2 registers on x86-64, NEON on
 * arm64), the last 64 (or 16) overlapping.  A payload is a multiple of 16
 * bytes, at least 16, and its length depends only on the slab's class, so
 * nothing here branches on the requested size but the slack's few bytes,
 * which take one 16-byte load and store through a sliding window. */
typedef uint64_t v16_t __attribute__((vector_size(16)));
typedef uint64_t v64_t __attribute__((vector_size(64)));

static inline uint64_t load8(const unsigned char *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}
static inline v16_t load16(const unsigned char *p)
{
    v16_t v;
    __builtin_memcpy(&v, p, 16);
    return v;
}
static inline uint64_t pattern8(unsigned char byte) { return 0x0101010101010101ULL * byte; }

/* Fill the payload [p, p+n) (n a multiple of 16, >= 16) with `byte`. */
static inline void payload_fill(unsigned char *p, size_t n, unsigned char byte)
{
    uint64_t w = pattern8(byte);
    if (n >= 64) {
        v64_t v = { w, w, w, w, w, w, w, w };
#pragma clang loop unroll(disable)
        for (size_t i = 0; i + 64 < n; i += 64) {
            unsigned char *q = p + i;
            __asm__("" : "+r"(q)); /* stores, not a call to memset */
            __builtin_memcpy(q, &v, 64);
        }
        __builtin_memcpy(p + n - 64, &v, 64); /* the last 64, overlapping */
        return;
    }
    /* 16, 32 or 48 bytes: the first, middle and last 16 (overlapping) */
    v16_t v = { w, w };
    __builtin_memcpy(p, &v, 16);
    __builtin_memcpy(p + (n >> 5 << 4), &v, 16);
    __builtin_memcpy(p + n - 16, &v, 16);
}

/* Is the payload [p, p+n) (n a multiple of 16, >= 16) all POISON_BYTE? */
static inline bool payload_poisoned(const unsigned char *p, size_t n)
{
    uint64_t w = pattern8(POISON_BYTE);
    if (n >= 64) {
        v64_t pat = { w, w, w, w, w, w, w, w }, bad, x;
        __builtin_memcpy(&bad, p + n - 64, 64); /* the last 64, overlapping */
        bad ^= pat;
#pragma clang loop unroll(disable)
        for (size_t i = 0; i + 64 < n; i += 64) {
            __builtin_memcpy(&x, p + i, 64);
            bad |= x ^ pat;
        }
        return !(bad[0] | bad[1] | bad[2] | bad[3] | bad[4] | bad[5] | bad[6] | bad[7]);
    }
    v16_t pat = { w, w }; /* as in payload_fill */
    v16_t bad = (load16(p) ^ pat) | (load16(p + (n >> 5 << 4)) ^ pat) | (load16(p + n - 16) ^ pat);
    return !(bad[0] | bad[1]);
}

/* The 16 bytes at slack_window + n are 16 - n POISON_BYTEs, then n
 * SLACK_BYTEs (n < 16): the last 16 bytes of a payload with n bytes of
 * slack after poison.  slack_mask + n selects those n bytes. */
static const unsigned char slack_window[32] = { [0 ... 15] = POISON_BYTE, [16 ... 31] = SLACK_BYTE };
static const unsigned char slack_mask[32] = { [16 ... 31] = 0xFF };

/* Are the n bytes before `end`, the end of a payload, all SLACK_BYTE? */
static inline bool slack_intact_at(const unsigned char *end, size_t n)
{
    if (n < 16) {
        v16_t bad = (load16(end - 16) ^ load16(slack_window + n)) & load16(slack_mask + n);
        return !(bad[0] | bad[1]);
    }
    /* Longer slack: an aligned request in a larger class, or a slot cut
     * down by realloc.  16 bytes a step from the end, then byte by byte
     * (a 16-byte load there could reach into the header). */
    uint64_t w = pattern8(SLACK_BYTE);
    v16_t pat = { w, w }, bad = { 0, 0 };
    for (; n >= 16; n -= 16, end -= 16)
        bad |= load16(end - 16) ^ pat;
    for (; n; n--, end--)
        if (end[-1] != SLACK_BYTE)
            return false;
    return !(bad[0] | bad[1]);
}

/* A held slot's payload (all poison) becomes live with n < 16 bytes of
 * slack: its last 16 bytes become 16 - n poison bytes, then the slack. */
static inline void slack_set(unsigned char *end, size_t n)
{
    __builtin_memcpy(end - 16, slack_window + n, 16);
}

/* ---------------- reports ---------------- */

/* Report p (slot header hd, or NULL when p is no slot's start). */
static __attribute__((noinline, cold)) void slot_error(hm_kind_t kind, const char *op, const void *p,
                                                       const hm_slab_t *s, const slot_hdr_t *hd, long long bad_off,
                                                       uint64_t expected, uint64_t found, const char *detail,
                                                       const void *caller)
{
    hm_error_t e = { .kind = kind, .op = op, .addr = p, .block = NULL, .requested = (size_t)-1,
                     .usable = (size_t)-1, .bad_off = bad_off, .expected = expected, .found = found,
                     .detail = detail, .caller = caller };
    if (hd) {
        e.block = p;
        uint64_t st = state_load(hd);
        if (state_ok(s, hd, st) && !((uint32_t)st & HELD_BIT)) {
            e.usable = payload_of(s);
            e.requested = e.usable - (uint32_t)st;
        }
    }
    hm_fatal(&e);
}

/* A slot whose header fails S1: the program wrote before its block. */
static __attribute__((noinline, cold)) void header_error(const char *op, const void *p, const hm_slab_t *s,
                                                         const slot_hdr_t *hd, const void *caller)
{
    uint64_t st = state_load(hd);
    slot_error(HM_UNDERFLOW, op, p, s, hd, -1, state_make(s, hd, (uint32_t)st) >> 32, st >> 32,
               hd->size != s->klass || hd->flags != SLOT_FLAGS ? "slot header size or flags overwritten"
                                                              : "slot header canary mismatch",
               caller);
}

/* ---------------- the program's calls ---------------- */

/* Is p a live slot of s: a carved slot's start, header (S1), not held,
 * and (when `slack`) its slack intact (S3)?  The conditions
 * live_slot_report() names, without naming them: the hot paths ask this
 * first.  On success *stp gets the state word.
 * That p is a carved slot's start is not asked with slot_valid() (a
 * multiply and a division's check) but through the header: p is in s's
 * stretch (the slab map says so), granule-aligned and past slot 0's
 * header, and a header at p - 16 whose shape and canary (keyed by its
 * offset) match is one carve() wrote, one chance in 2^32 aside; a carved
 * slot never handed out is FRESH. */
static inline __attribute__((always_inline)) bool live_ok(const hm_slab_t *s, const void *p, bool slack,
                                                           uint64_t *stp)
{
    uintptr_t a = (uintptr_t)p;
    if ((a & (GRANULE - 1)) || a - (uintptr_t)s->base < HDR_BYTES)
        return false;
    const slot_hdr_t *hd = hdr_of(p);
    uint64_t st = state_load(hd);
    uint32_t low = (uint32_t)st;
    if (!state_ok(s, hd, st) || (low & STATE_BITS))
        return false;
    if (slack && s->level >= MEM_CHECK_LOCAL && !slack_intact_at((const unsigned char *)p + payload_of(s), low))
        return false;
    *stp = st;
    return true;
}

/* Live slot p's slack (low bytes) is overwritten: report the first bad byte. */
static __attribute__((noinline, cold)) bool slack_report(hm_slab_t *s, void *p, uint32_t low, const char *op,
                                                        const void *caller)
{
    const unsigned char *b = p;
    size_t req = payload_of(s) - low, off = req + hm_first_diff(b + req, low, SLACK_BYTE);
    hm_error_t e = { .kind = HM_OVERFLOW, .op = op, .addr = p, .block = p, .requested = req,
                     .usable = payload_of(s), .bad_off = (long long)off, .expected = SLACK_BYTE, .found = b[off],
                     .detail = "write past the requested size (slack overwritten)", .caller = caller };
    hm_fatal(&e);
    return false;
}

/* live_ok() said no: find which condition fails and report it.  A held slot
 * is a double free when the call frees it, else an invalid pointer (as for
 * blocks, api.c); a free's slack is checked later (hm_slot_free).  Returns
 * false, or true with *stp when a racing call put the slot right meanwhile. */
static __attribute__((noinline, cold)) bool live_slot_report(hm_slab_t *s, void *p, const char *op,
                                                            const void *caller, bool freeing, uint64_t *stp)
{
    if (!slot_valid(s, p)) {
        slot_error(HM_INVALID_POINTER, op, p, s, NULL, -1, 0, 0, "not the start of a slot in a slab", caller);
        return false;
    }
    slot_hdr_t *hd = hdr_of(p);
    uint64_t st = state_load(hd);
    if (!state_ok(s, hd, st)) {
        header_error(op, p, s, hd, caller);
        return false;
    }
    uint32_t low = (uint32_t)st;
    if (low & FRESH_BIT) {
        slot_error(HM_INVALID_POINTER, op, p, s, hd, -1, 0, 0, "a slot that was never handed out", caller);
        return false;
    }
    if (low & HELD_BIT) {
        slot_error(freeing ? HM_DOUBLE_FREE : HM_INVALID_POINTER, op, p, s, hd, -1, 0, 0,
                   freeing ? "block was freed and is held for reuse (quarantine)"
                           : "block was freed (not the start of a live block)",
                   caller);
        return false;
    }
    if (!freeing && s->level >= MEM_CHECK_LOCAL && !slack_intact_at((const unsigned char *)p + payload_of(s), low))
        return slack_report(s, p, low, op, caller);
    *stp = st;
    return true;
}

/* Validate p as a live slot of s (live_ok), reporting what fails.  A free
 * leaves the slack to hm_slot_free (after its swap). */
static inline __attribute__((always_inline)) bool live_slot(hm_slab_t *s, void *p, const char *op,
                                                             const void *caller, bool freeing, uint64_t *stp)
{
    return __builtin_expect(live_ok(s, p, !freeing, stp), 1) || live_slot_report(s, p, op, caller, freeing, stp);
}

/* A linear overflow from the slot at hd reaches the next slot's size and
 * flags first: is that word intact (or is the next slot not carved)?  The
 * next slot's canary is checked when it is freed or reused. */
static inline bool next_ok(const hm_slab_t *s, const slot_hdr_t *hd)
{
    const slot_hdr_t *next = (const slot_hdr_t *)((const unsigned char *)hd + s->slot_bytes);
    return !slot_carved(s, (uintptr_t)next - (uintptr_t)s->base) || shape_ok(s, next);
}

static __attribute__((noinline, cold)) bool next_report(hm_slab_t *s, void *p, const char *op, const void *caller)
{
    const slot_hdr_t *hd = hdr_of(p);
    slot_error(HM_OVERFLOW_NEXT, op, p, s, hd, (long long)payload_of(s), (uint64_t)SLOT_FLAGS << 32 | s->klass,
               load8((const unsigned char *)hd + s->slot_bytes),
               "the next slot's header (size and flags) is overwritten", caller);
    return false;
}

static __attribute__((noinline, cold)) bool race_report(hm_slab_t *s, void *p, const char *op, const void *caller)
{
    /* Another free of the same slot won the race (S2). */
    slot_error(HM_DOUBLE_FREE, op, p, s, hdr_of(p), -1, 0, 0, "the slot was freed at the same time by another call",
               caller);
    return false;
}

/* Live slot p (state word st, next header intact) becomes held by one
 * compare-and-swap (S2); HM_SLOT_RACED when another free won it.  The
 * winner then verifies the slack and poisons the whole payload (S3).  The
 * slack is read only by the winner: a racing free must not read bytes it
 * poisons (that free would see an overflow, not the double free it is).  A
 * slot whose slack fails stays held: it is never handed out again. */
static inline __attribute__((always_inline)) hm_slot_freed_t hold_by_swap(hm_slab_t *s, void *p, uint64_t st)
{
    slot_hdr_t *hd = hdr_of(p);
    uint32_t low = (uint32_t)st;
    if (__builtin_expect(!state_swap(hd, &st, state_make(s, hd, low | HELD_BIT)), 0))
        return HM_SLOT_RACED;
    if (s->level < MEM_CHECK_LOCAL)
        return HM_SLOT_FREED;
    if (!slack_intact_at((const unsigned char *)p + payload_of(s), low))
        return HM_SLOT_FREED_SLACK;
    payload_fill(p, payload_of(s), POISON_BYTE);
    return HM_SLOT_FREED;
}

/* always_inline: LTO puts it into free(), the one hot caller, where every
 * way out is a return or a tail call (no registers to save). */
__attribute__((always_inline)) inline hm_slot_freed_t hm_slot_try_free(hm_slab_t *s, void *p)
{
    uint64_t st;
    if (!live_ok(s, p, false, &st) || __builtin_expect(!next_ok(s, hdr_of(p)), 0))
        return HM_SLOT_UNCHANGED;
    return hold_by_swap(s, p, st);
}

bool hm_slot_free(hm_slab_t *s, void *p, size_t *req, const char *op, const void *caller)
{
    uint64_t st;
    if (!live_slot(s, p, op, caller, true, &st))
        return false;
    if (!next_ok(s, hdr_of(p)))
        return next_report(s, p, op, caller);
    hm_slot_freed_t r = hold_by_swap(s, p, st);
    if (r != HM_SLOT_FREED) {
        hm_slot_free_failed(s, p, r, op, caller);
        return false;
    }
    *req = payload_of(s) - (uint32_t)st;
    return true;
}

void hm_slot_free_failed(hm_slab_t *s, void *p, hm_slot_freed_t why, const char *op, const void *caller)
{
    if (why == HM_SLOT_RACED)
        race_report(s, p, op, caller);
    else if (why == HM_SLOT_FREED_SLACK) /* held now: its low half still holds the slack */
        slack_report(s, p, (uint32_t)state_load(hdr_of(p)) & ~STATE_BITS, op, caller);
}

size_t hm_slot_size(hm_slab_t *s, void *p, const char *op, const void *caller)
{
    uint64_t st;
    return live_slot(s, p, op, caller, false, &st) ? payload_of(s) - (uint32_t)st : 0;
}

int hm_slot_resize(hm_slab_t *s, void *p, size_t size, const void *caller)
{
    uint64_t st;
    if (!live_slot(s, p, "realloc", caller, false, &st))
        return -1;
    size_t payload = payload_of(s), old = payload - (uint32_t)st;
    if (!hm_realloc_in_place(size, s->klass))
        return 0;
    slot_hdr_t *hd = hdr_of(p);
    if (!state_swap(hd, &st, state_make(s, hd, (uint32_t)(payload - size)))) {
        slot_error(HM_DOUBLE_FREE, "realloc", p, s, hd, -1, 0, 0, "the slot was freed during realloc", caller);
        return -1;
    }
    if (s->level >= MEM_CHECK_LOCAL && size < old) /* the cut tail becomes slack */
        memset((unsigned char *)p + size, SLACK_BYTE, old - size);
    return 1;
}

/* ---------------- held slots ---------------- */

/* Must held slot p's payload be all poison (S3: not fresh, level LOCAL)? */
static inline bool poisoned_when_held(const hm_slab_t *s, uint64_t st)
{
    return s->level >= MEM_CHECK_LOCAL && !((uint32_t)st & FRESH_BIT);
}

/* Is held slot p, taken from a magazine, intact: header (S1), held, poison
 * (S3)?  The conditions held_intact() names, without naming them.  That p
 * is a carved slot's start is not asked again: only a valid free put it in
 * a magazine, and magazines are outside every heap.  On success *stp gets
 * its state word. */
static inline bool held_ok(const hm_slab_t *s, const void *p, uint64_t *stp)
{
    const slot_hdr_t *hd = hdr_of(p);
    uint64_t st = state_load(hd);
    if (!state_ok(s, hd, st) || !((uint32_t)st & HELD_BIT))
        return false;
    if (poisoned_when_held(s, st) && !payload_poisoned(p, payload_of(s)))
        return false;
    *stp = st;
    return true;
}

/* Is held slot p intact: a carved slot's start, and held_ok()?  Reports
 * and returns false otherwise.  *stp as for held_ok(). */
static __attribute__((noinline)) bool held_intact(hm_slab_t *s, void *p, const char *op, uint64_t *stp)
{
    if (!slot_valid(s, p)) {
        slot_error(HM_CORRUPT_HEAP, op, p, s, NULL, -1, 0, 0, "a held slot outside its slab", NULL);
        return false;
    }
    slot_hdr_t *hd = hdr_of(p);
    uint64_t st = state_load(hd);
    if (!state_ok(s, hd, st) || !((uint32_t)st & HELD_BIT)) {
        header_error(op, p, s, hd, NULL);
        return false;
    }
    if (poisoned_when_held(s, st) && !payload_poisoned(p, payload_of(s))) {
        size_t off = hm_first_diff(p, payload_of(s), POISON_BYTE);
        slot_error(HM_USE_AFTER_FREE, op, p, s, hd, (long long)off, POISON_BYTE, ((unsigned char *)p)[off],
                   "held slot written after free (poison overwritten)", NULL);
        return false;
    }
    *stp = st;
    return true;
}

bool hm_slot_check_held(hm_slab_t *s, void *p, const char *op)
{
    uint64_t st;
    return held_intact(s, p, op, &st);
}

/* Held slot p (state word st, verified) becomes live for a request of req
 * bytes, slack = payload - req.  A plain store: only the holder (this call)
 * changes a held slot (S2), and a locked swap here would cost as much as
 * the rest of malloc. */
static inline __attribute__((always_inline)) void make_live(hm_slab_t *s, void *p, uint64_t st, size_t req)
{
    size_t payload = payload_of(s), slack = payload - req;
    slot_hdr_t *hd = hdr_of(p);
    __atomic_store_n(&hd->state, state_make(s, hd, (uint32_t)slack), __ATOMIC_RELEASE);
    if (s->level >= MEM_CHECK_LOCAL) { /* the request reads as poison, then slack (S3) */
        if ((uint32_t)st & FRESH_BIT)
            payload_fill(p, payload, POISON_BYTE);
        if (__builtin_expect(slack < 16, 1)) /* always, for a request of this class */
            slack_set((unsigned char *)p + payload, slack);
        else
            memset((unsigned char *)p + req, SLACK_BYTE, slack);
    }
}

/* always_inline: LTO puts it into malloc(), the one hot caller. */
__attribute__((always_inline)) inline bool hm_slot_try_reuse(hm_slab_t *s, void *p, size_t req)
{
    uint64_t st;
    if (!held_ok(s, p, &st) || payload_of(s) - req >= 16)
        return false;
    make_live(s, p, st, req);
    return true;
}

bool hm_slot_reuse(hm_slab_t *s, void *p, size_t req)
{
    uint64_t st;
    if (req > payload_of(s))
        return false;
    if (!held_ok(s, p, &st) && !held_intact(s, p, "malloc", &st))
        return false;
    make_live(s, p, st, req);
    return true;
}

/* ---------------- descriptors, magazines, the depot ---------------- */

/* n bytes (a multiple of 16) aligned to align (a power of two, 16 to 64)
 * from the pool; called with pool_lock held. */
static void *pool_take(size_t n, size_t align)
{
    size_t pad = (size_t)-(uintptr_t)pool_at & (align - 1);
    if ((size_t)(pool_end - pool_at) < pad + n) {
        int saved = errno; /* free() reaches here and preserves errno */
        void *m = mmap(NULL, POOL_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            errno = saved;
            return NULL;
        }
        pool_at = m;
        pool_end = pool_at + POOL_BYTES;
        pad = 0;
    }
    void *p = pool_at + pad;
    pool_at += pad + n;
    return p;
}

/* An empty magazine of class k, with room for mag_cap(k) slots only: a
 * thread keeps a few per class in use, so one sized for the largest
 * count would cost the smaller classes memory for nothing. */
static hm_magazine_t *empty_magazine(unsigned k)
{
    pthread_mutex_lock(&pool_lock);
    hm_magazine_t *m = empty_mags[k];
    if (m)
        empty_mags[k] = m->next;
    else
        m = pool_take((sizeof *m + mag_cap(k) * sizeof m->e[0] + 15) & ~(size_t)15, 16);
    pthread_mutex_unlock(&pool_lock);
    if (m) {
        m->next = NULL;
        m->n = 0;
        m->klass = k;
    }
    return m;
}

static void retire_magazine(hm_magazine_t *m)
{
    pthread_mutex_lock(&pool_lock);
    m->next = empty_mags[m->klass];
    empty_mags[m->klass] = m;
    pthread_mutex_unlock(&pool_lock);
}

void hm_depot_put(unsigned k, hm_magazine_t *m)
{
    if (!m)
        return;
    if (!m->n) {
        retire_magazine(m);
        return;
    }
    pthread_mutex_lock(&depot_lock[k]);
    m->next = depot[k];
    depot[k] = m;
    pthread_mutex_unlock(&depot_lock[k]);
}

hm_magazine_t *hm_depot_swap_empty(unsigned k, hm_magazine_t *full)
{
    hm_magazine_t *e = empty_magazine(k);
    if (e)
        hm_depot_put(k, full);
    return e;
}

/* Where slot 0's header of a class of k granules starts in its slab:
 * 16 bytes before the alignment every payload then has (ALIGNMENT). */
static uint32_t lead(unsigned k) { return (k & -k) * GRANULE - HDR_BYTES; }

enum { PAGE_BYTES = 4096 }; /* the smallest page size: CARVE ORDER needs no more */

/* The index of the first slot carved in a slab of class k with nslots
 * slots (CARVE ORDER): the lowest that lies wholly in the last page of the
 * stretch, or 0 when none does. */
static uint32_t first_carved(unsigned k, uint32_t nslots)
{
    uint32_t bytes = k * GRANULE, i = (HM_SLAB - PAGE_BYTES - lead(k) + bytes - 1) / bytes;
    return i < nslots ? i : 0;
}

_Static_assert((HM_SLOT_MAX_G & (HM_SLOT_MAX_G - 1)) == 0 && HM_SLOT_MAX_G * GRANULE == HM_SLOT_ALIGN_MAX,
               "the largest class's payloads have the largest alignment");

/* A new slab of class k, not carved yet; NULL when out of memory.  Called
 * with create_lock held and no depot lock. */
static hm_slab_t *new_slab(unsigned k, const void *caller)
{
    unsigned char *block = hm_slab_block_alloc(caller);
    mem_heap_t *h = block ? hm_heap_of(block) : NULL;
    if (!h)
        return NULL;
    pthread_mutex_lock(&pool_lock);
    hm_slab_t *s = slab_count < MAX_SLABS ? pool_take(SLAB_DESC_ALIGN, SLAB_DESC_ALIGN) : NULL;
    pthread_mutex_unlock(&pool_lock);
    if (!s)
        return NULL; /* the block stays allocated: one slab's worth, lost */
    uint32_t bytes = k * GRANULE, nslots = (HM_SLAB_BYTES - lead(k)) / bytes;
    *s = (hm_slab_t){ .base = block + lead(k), .klass = k, .slot_bytes = bytes, .nslots = nslots,
                      .span_bytes = nslots * bytes, .top_bytes = first_carved(k, nslots) * bytes,
                      .recip = (uint32_t)((1ull << 32) / bytes + 1), .carved = 0, .carved_bytes = 0,
                      .level = env_check_level(),
                      .key = canary_absorb(canary_absorb(h->secret, (uint64_t)k << 32 | SLOT_FLAGS),
                                           (uint64_t)(uintptr_t)block),
                      .mag_cap = mag_cap(k) };
    slot_hdr_t shape = { .size = k, .flags = SLOT_FLAGS };
    __builtin_memcpy(&s->hdr_word, &shape, sizeof s->hdr_word);
    if (!hm_slab_register(block, s))
        return NULL;
    pthread_mutex_lock(&pool_lock);
    all_slabs[slab_count] = s;
    __atomic_store_n(&slab_count, slab_count + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&pool_lock);
    return s;
}

/* Carve the next slots of s (up to a magazine's worth, in CARVE ORDER) into
 * empty magazine m: headers written as fresh (S1, S3), the first carved on
 * top so that a run of mallocs gets adjacent slots.  Called with the
 * class's depot lock. */
static void carve(hm_slab_t *s, hm_magazine_t *m)
{
    uint32_t lo = s->carved, hi = lo + s->mag_cap < s->nslots ? lo + s->mag_cap : s->nslots;
    for (uint32_t c = lo; c < hi; c++) {
        slot_hdr_t *hd = carved_slot(s, c);
        hd->size = s->klass;
        hd->flags = SLOT_FLAGS;
        __atomic_store_n(&hd->state, state_make(s, hd, (uint32_t)payload_of(s) | STATE_BITS), __ATOMIC_RELAXED);
    }
    for (uint32_t c = hi; c-- > lo;)
        m->e[m->n++] = (hm_parked_slot_t){ (unsigned char *)carved_slot(s, c) + HDR_BYTES, s };
    s->carved = hi;
    __atomic_store_n(&s->carved_bytes, hi * s->slot_bytes, __ATOMIC_RELEASE);
}

/* A full magazine of class k: the depot's, or `spare` (empty) filled from
 * the class's slab; NULL when both are out.  Called with depot_lock[k]. */
static hm_magazine_t *take_locked(unsigned k, hm_magazine_t *spare)
{
    hm_magazine_t *m = depot[k];
    if (m) {
        depot[k] = m->next;
        return m;
    }
    hm_slab_t *s = carving[k];
    if (!s || s->carved == s->nslots)
        return NULL;
    carve(s, spare);
    return spare;
}

static hm_magazine_t *depot_take(unsigned k, hm_magazine_t *spare)
{
    pthread_mutex_lock(&depot_lock[k]);
    hm_magazine_t *m = take_locked(k, spare);
    pthread_mutex_unlock(&depot_lock[k]);
    return m;
}

hm_magazine_t *hm_depot_swap_full(unsigned k, hm_magazine_t *empty, const void *caller)
{
    hm_magazine_t *spare = empty ? empty : empty_magazine(k);
    if (!spare)
        return NULL;
    hm_magazine_t *m = depot_take(k, spare);
    if (!m) {
        pthread_mutex_lock(&create_lock);
        if (!(m = depot_take(k, spare))) { /* nobody made one meanwhile */
            hm_slab_t *s = new_slab(k, caller);
            if (s) {
                pthread_mutex_lock(&depot_lock[k]);
                carving[k] = s;
                m = take_locked(k, spare);
                pthread_mutex_unlock(&depot_lock[k]);
            }
        }
        pthread_mutex_unlock(&create_lock);
    }
    if (m != spare && (m || !empty))
        retire_magazine(spare); /* unused; the caller's own is kept when m is NULL */
    return m;
}

unsigned hm_slab_class(const hm_slab_t *s) { return s->klass; }
unsigned hm_slab_mag_cap(const hm_slab_t *s) { return s->mag_cap; }

/* ---------------- walks ---------------- */

bool hm_slab_block(const void *p)
{
    const hm_slab_t *s = hm_slab_of(p);
    return s && s->base - lead(s->klass) == (const unsigned char *)p; /* the slab's first byte */
}

void hm_slots_each_live(void (*fn)(const void *p, size_t req, void *ctx), void *ctx)
{
    unsigned n = __atomic_load_n(&slab_count, __ATOMIC_ACQUIRE);
    for (unsigned j = 0; j < n; j++) {
        const hm_slab_t *s = all_slabs[j];
        uint32_t carved = __atomic_load_n(&s->carved_bytes, __ATOMIC_ACQUIRE) / s->slot_bytes;
        for (uint32_t c = 0; c < carved; c++) {
            const slot_hdr_t *hd = carved_slot(s, c);
            uint64_t st = state_load(hd);
            if (state_ok(s, hd, st) && !((uint32_t)st & HELD_BIT))
                fn((const unsigned char *)hd + HDR_BYTES, payload_of(s) - (uint32_t)st, ctx);
        }
    }
}
