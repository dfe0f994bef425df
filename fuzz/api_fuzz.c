/*
 * api_fuzz.c - fuzz target: the region API with any argument values.
 *
 * Input: [setup byte][calls...]; each call is a code byte and raw arguments
 * drawn with testing/src.h (sizes and alignments up to 64 bits, styles as
 * any int, pointers that are live blocks, live blocks plus any offset, any
 * offset from the heap base, freed blocks, NULL, or any 64-bit value).
 * No call may crash or touch memory outside the heap, and after each one:
 *   - the error code is one a valid heap can give (never E_CORRUPT_*), and a
 *     pointer result is NULL exactly when the code is not MEM_OK;
 *   - a new block is inside the region, aligned as asked, and disjoint from
 *     every live block; free and realloc succeed on a live block's start and
 *     fail on every other pointer except NULL;
 *   - every live block keeps its contents and mem_heap_check is MEM_OK;
 *   - the edges of the API (NULL or bogus handles, NULL outputs, levels out
 *     of range, creation with bad sizes, error texts, report formatting,
 *     dump) give the documented codes;
 *   - the front-end calls (hold, unhold, release, release_run, set_size,
 *     alloc_room, grow) succeed exactly when the model says they must, a
 *     held block is refused by every other call and reads as poison (level
 *     >= local), and no new block overlaps a held one.
 * Call codes: the code byte modulo 7 picks the original seven calls; the
 * byte values 250..255 (appended later) pick the first six front-end calls,
 * and 249 (appended last, so that no older input changes meaning but those
 * with that byte) picks grow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corrupt.h"
#include "heap.h"
#include "src.h"

enum { MAX_CALLS = 128, LIVE = 64, FREED = 16, HELD = 16 };

typedef struct blk {
    unsigned char *p;
    size_t req;
    uint8_t fill;
} blk_t;

typedef struct state {
    mem_heap_t *h;
    unsigned char *lo, *hi;
    blk_t live[LIVE];
    size_t n;
    unsigned char *freed[FREED];
    size_t nfreed;
    blk_t held[HELD]; /* req: the requested size when held */
    size_t nheld;
    uint8_t next_fill;
} state_t;

static uint8_t src_buf[SRC_MAX_BYTES];

static void die(const char *what, long call)
{
    fprintf(stderr, "api_fuzz: call %ld: %s\n", call, what);
    abort();
}

/* Is [p, p + n) all byte v?  (memcmp against a filled buffer: fast, and not
 * a per-byte comparison for the fuzzer's instrumentation to trace.) */
static bool all_bytes(const unsigned char *p, size_t n, uint8_t v)
{
    static unsigned char ref[4096];
    memset(ref, v, sizeof ref);
    for (size_t at = 0; at < n; at += sizeof ref) {
        size_t k = n - at < sizeof ref ? n - at : sizeof ref;
        if (memcmp(p + at, ref, k))
            return false;
    }
    return true;
}

static uint64_t draw_u64(src_t *s)
{
    uint64_t hi = src_u32(s);
    return hi << 32 | src_u32(s);
}

static size_t draw_size(src_t *s)
{
    switch (src_u8(s) % 4) {
    case 0: return src_u8(s);
    case 1: return src_u16(s);
    case 2: return src_u32(s) % (1u << 20);
    default: return (size_t)draw_u64(s);
    }
}

static unsigned char *draw_ptr(src_t *s, const state_t *st)
{
    uint32_t kind = src_u8(s) % 6;
    uint32_t k = src_u8(s);
    switch (kind) {
    case 0: return st->n ? st->live[k % st->n].p : NULL;
    case 1: return st->n ? st->live[k % st->n].p + (int16_t)src_u16(s) : NULL;
    case 2: return st->lo + src_u32(s) % (size_t)(st->hi - st->lo + 64);
    case 3: return NULL;
    case 4: return st->nfreed ? st->freed[k % st->nfreed] : NULL;
    default: return (unsigned char *)(uintptr_t)draw_u64(s);
    }
}

static long live_index(const state_t *st, const unsigned char *p)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->live[i].p == p)
            return (long)i;
    return -1;
}

static void push_freed(state_t *st, unsigned char *p)
{
    st->freed[st->nfreed++ % FREED] = p;
    if (st->nfreed > FREED)
        st->nfreed = FREED;
}

static void forget(state_t *st, size_t i)
{
    push_freed(st, st->live[i].p);
    st->live[i] = st->live[--st->n];
}

/* A pointer result: NULL iff an error, else a fresh block we then own. */
static void result(state_t *st, unsigned char *p, size_t req, size_t align, long call)
{
    int err = mem_errno();
    if (!p != (err != MEM_OK))
        die("pointer result and error code disagree", call);
    if (!p)
        return;
    if (p < st->lo + MEM_HEADER || p > st->hi || req > (size_t)(st->hi - p) || (uintptr_t)p % align)
        die("block outside the region or misaligned", call);
    for (size_t i = 0; i < st->n; i++)
        if (p < st->live[i].p + st->live[i].req && st->live[i].p < p + req)
            die("block overlaps a live block", call);
    for (size_t i = 0; i < st->nheld; i++)
        if (p < st->held[i].p + st->held[i].req && st->held[i].p < p + req)
            die("block overlaps a held block", call);
    blk_t b = { p, req, ++st->next_fill };
    memset(p, b.fill, req);
    if (st->n < LIVE)
        st->live[st->n++] = b;
    else if (mem_heap_free(st->h, p))
        die("free of a fresh block failed", call);
}

/* Calls at the edges of the API: handles that are not heaps, NULL outputs,
 * levels out of range, buffers too small, every error text and report. */
static void edge_call(state_t *st, src_t *s, long call)
{
    uint32_t kind = src_u8(s) % 10;
    mem_heap_t *bogus = (mem_heap_t *)(void *)st->lo; /* memory that is not a heap handle */
    mem_stats_t stats;
    mem_report_t rep;
    char line[96];
    switch (kind) {
    case 0:
        if (mem_heap_alloc(NULL, 16, MEM_FIRST_FIT) || mem_errno() != E_BAD_ARGS)
            die("alloc on a NULL heap", call);
        break;
    case 1:
        if (mem_heap_free(bogus, st->lo + 64) != E_BAD_ARGS || mem_heap_check(bogus) != E_BAD_ARGS)
            die("calls on a handle that is not a heap", call);
        break;
    case 2:
        if (mem_heap_stats(st->h, NULL) != E_BAD_ARGS || mem_heap_last_report(st->h, NULL) != E_BAD_ARGS ||
            mem_heap_last_report(NULL, &rep) != E_BAD_ARGS)
            die("NULL output arguments", call);
        break;
    case 3: {
        int level = (int)src_u8(s) - 128;
        int want = level >= MEM_CHECK_OFF && level <= MEM_CHECK_FULL ? MEM_OK : E_BAD_ARGS;
        if (mem_heap_set_check_level(st->h, level) != want)
            die("set_check_level", call);
        if (mem_heap_check_level(st->h) < MEM_CHECK_OFF || mem_heap_check_level(NULL) != -1)
            die("check_level", call);
        break;
    }
    case 4: {
        static unsigned char small[64];
        if (mem_heap_create_in(NULL, 4096) || mem_heap_create_in(small, sizeof small) || mem_heap_create(0) ||
            mem_heap_create(SIZE_MAX) || mem_errno() != E_BAD_ARGS)
            die("create with bad sizes", call);
        break;
    }
    case 5:
        for (int code = -1; code <= E_CORRUPT_BLOCK + 1; code++)
            if (!mem_strerror(code) || !*mem_strerror(code))
                die("mem_strerror", call);
        break;
    case 6: {
        mem_heap_last_report(st->h, &rep);
        size_t n = src_u8(s) % sizeof line;
        size_t need = mem_format_report(&rep, line, n);
        if (n && strlen(line) != (need < n ? need : n - 1))
            die("mem_format_report length", call);
        mem_format_report(NULL, line, sizeof line);
        break;
    }
    case 7:
        if (mem_heap_destroy(NULL) != E_BAD_ARGS || mem_heap_destroy(bogus) != E_BAD_ARGS ||
            mem_heap_base(NULL) || mem_heap_end(bogus))
            die("destroy/base/end of a handle that is not a heap", call);
        break;
    case 8:
        if (mem_heap_usable_size(NULL, st->lo) || mem_heap_realloc(bogus, NULL, 8) || mem_heap_calloc(NULL, 1, 1) ||
            mem_heap_aligned_alloc(NULL, 16, 8, 0) || mem_heap_stats(NULL, &stats) != E_BAD_ARGS ||
            mem_heap_dump(NULL, -1) != E_BAD_ARGS)
            die("calls on a NULL heap", call);
        break;
    default:
        if (mem_heap_dump(st->h, -1) != MEM_OK) /* fd -1: every write fails quietly */
            die("dump of a valid heap", call);
        break;
    }
    set_errno(MEM_OK);
}

static size_t usable_of(const unsigned char *p) { return gbytes(((const block_hdr_t *)(p - MEM_HEADER))->size) - MEM_HEADER; }

static void drop_held(state_t *st, size_t k) { st->held[k] = st->held[--st->nheld]; }

static long held_index(const state_t *st, const unsigned char *p)
{
    for (size_t i = 0; i < st->nheld; i++)
        if (st->held[i].p == p)
            return (long)i;
    return -1;
}

/* Would mem_heap_grow(p, room) find room, live block p at its start: is
 * the block after it free, and are the two together at least the granules
 * `room` bytes need? */
static bool grow_fits(const state_t *st, const unsigned char *p, size_t room)
{
    const block_hdr_t *b = (const block_hdr_t *)(p - MEM_HEADER);
    const unsigned char *next = (const unsigned char *)b + gbytes(b->size); /* the block after p */
    if (next >= st->hi || room > (size_t)(st->hi - st->lo))
        return false;
    const block_hdr_t *n = (const block_hdr_t *)next;
    size_t need = (room + MEM_HEADER + GRANULE - 1) / GRANULE;
    if (need < MIN_BLOCK_G)
        need = MIN_BLOCK_G;
    return !(n->flags & BLK_ALLOC) && b->size + n->size >= need;
}

/* mem_heap_grow of any pointer with any room and size: only a live block's
 * start may grow; with 1 <= size <= room and room above its usable size it
 * grows exactly when the block after it is free and large enough (else
 * E_NO_SPACE, and nothing changes); any other arguments are E_BAD_ARGS.  A
 * grown block keeps its contents up to min(old, new size), the bytes from
 * the old size to the new read as poison (level >= local), and it has the
 * room asked for. */
static void grow_call(state_t *st, src_t *s, long call)
{
    unsigned char *p = draw_ptr(s, st);
    long i = live_index(st, p);
    size_t room = draw_size(s), size = src_u8(s) % 2 ? room : draw_size(s);
    size_t usable = i >= 0 ? usable_of(p) : 0;
    bool args_ok = size >= 1 && room >= size && room > usable, fits = i >= 0 && args_ok && grow_fits(st, p, room);
    int err = mem_heap_grow(st->h, p, room, size);
    if (i < 0) {
        if (!err)
            die("grow accepted a pointer that is not a live block", call);
        return;
    }
    if (!args_ok) {
        if (err != E_BAD_ARGS)
            die("grow with bad arguments did not give E_BAD_ARGS", call);
        return;
    }
    if (err != (fits ? MEM_OK : E_NO_SPACE))
        die("grow: the result does not match the next block", call);
    if (err) {
        if (usable_of(p) != usable)
            die("a failed grow changed the block", call);
        return;
    }
    blk_t b = st->live[i];
    if (usable_of(p) < room)
        die("grown block smaller than the room asked", call);
    if (!all_bytes(p, b.req < size ? b.req : size, b.fill))
        die("grow lost the prefix", call);
    bool poisoned = size <= b.req || all_bytes(p + b.req, size - b.req, POISON_BYTE);
    if (mem_heap_check_level(st->h) >= MEM_CHECK_LOCAL && !poisoned)
        die("grown bytes do not read as poison", call);
    st->live[i] = st->live[--st->n];
    result(st, p, size, MEM_ALIGN, call);
}

/* The front-end calls of mem.h (hold ... alloc_room, grow), op 0..6. */
static void front_end_call(state_t *st, src_t *s, long call, uint32_t op)
{
    switch (op) {
    case 0: { /* hold any pointer: only a live block's start may be held */
        unsigned char *p = draw_ptr(s, st);
        long i = live_index(st, p);
        if (i >= 0 && st->nheld == HELD)
            break; /* no room to track it */
        size_t req = 0;
        int err = mem_heap_hold(st->h, p, &req);
        if (i >= 0) {
            if (err || req != st->live[i].req)
                die("hold of a live block failed", call);
            st->held[st->nheld++] = st->live[i];
            st->live[i] = st->live[--st->n];
        } else if (!err) {
            die("hold accepted a pointer that is not a live block", call);
        }
        break;
    }
    case 1: { /* unhold a held block (or any pointer) for any size */
        unsigned char *p = src_u8(s) % 2 && st->nheld ? st->held[src_u8(s) % st->nheld].p : draw_ptr(s, st);
        long k = held_index(st, p);
        size_t size = draw_size(s);
        int err = mem_heap_unhold(st->h, p, size);
        if (k < 0) {
            if (!err)
                die("unhold accepted a pointer that is not a held block", call);
            break;
        }
        if ((size >= 1 && size <= usable_of(p)) != !err)
            die("unhold: success does not match the size", call);
        if (err)
            break;
        if (mem_heap_check_level(st->h) >= MEM_CHECK_LOCAL && !all_bytes(p, size, POISON_BYTE))
            die("unheld block does not read as poison", call);
        drop_held(st, (size_t)k);
        result(st, p, size, MEM_ALIGN, call);
        break;
    }
    case 2: { /* release a held block (or any pointer) */
        unsigned char *p = src_u8(s) % 2 && st->nheld ? st->held[src_u8(s) % st->nheld].p : draw_ptr(s, st);
        long k = held_index(st, p);
        int err = mem_heap_release(st->h, p);
        if ((k >= 0) != !err)
            die("release: success does not match the model", call);
        if (k >= 0) {
            drop_held(st, (size_t)k);
            push_freed(st, p);
        }
        break;
    }
    case 3: { /* release a run: valid iff n held blocks lie back to back from p */
        unsigned char *p = st->nheld ? st->held[src_u8(s) % st->nheld].p : draw_ptr(s, st);
        size_t n = src_u8(s) % 6, found = 0;
        unsigned char *run[5];
        for (unsigned char *q = p; found < n && held_index(st, q) >= 0; q += usable_of(q) + MEM_HEADER)
            run[found++] = q;
        bool ok = n >= 1 && found == n;
        if (ok != !mem_heap_release_run(st->h, p, n))
            die("release_run: success does not match the model", call);
        for (size_t j = 0; ok && j < n; j++) {
            drop_held(st, (size_t)held_index(st, run[j]));
            push_freed(st, run[j]);
        }
        break;
    }
    case 4: { /* set_size of any pointer to any size */
        unsigned char *p = draw_ptr(s, st);
        long i = live_index(st, p);
        size_t size = draw_size(s);
        int err = mem_heap_set_size(st->h, p, size);
        if (i < 0) {
            if (!err)
                die("set_size accepted a pointer that is not a live block", call);
            break;
        }
        if ((size >= 1 && size <= usable_of(p)) != !err)
            die("set_size: success does not match the size", call);
        if (err)
            break;
        blk_t *b = &st->live[i];
        if (!all_bytes(p, b->req < size ? b->req : size, b->fill))
            die("set_size lost the prefix", call);
        b->req = size;
        memset(p, b->fill, size);
        break;
    }
    case 5: { /* alloc with room */
        size_t size = draw_size(s), room = draw_size(s);
        int style = (int)src_u32(s) % 8;
        unsigned char *p = mem_heap_alloc_room(st->h, size, room, style);
        if (p && (room < size || usable_of(p) < room))
            die("alloc_room: block smaller than the room asked", call);
        result(st, p, size, MEM_ALIGN, call);
        break;
    }
    default: /* grow any pointer in place */
        grow_call(st, s, call);
        break;
    }
}

static void one_call(state_t *st, src_t *s, long call)
{
    uint8_t byte = src_u8(s);
    uint32_t code = byte == 249 ? 7 + 6 : byte >= 250 ? 7 + (byte - 250u) : byte % 7u;
    switch (code) {
    case 0: {
        size_t size = draw_size(s);
        int style = (int)src_u32(s) % 8;
        result(st, mem_heap_alloc(st->h, size, style), size, MEM_ALIGN, call);
        break;
    }
    case 1: {
        size_t n = draw_size(s), size = draw_size(s);
        unsigned char *p = mem_heap_calloc(st->h, n, size);
        if (p && !all_bytes(p, n * size, 0))
            die("calloc memory not zero", call);
        result(st, p, p ? n * size : 0, MEM_ALIGN, call);
        break;
    }
    case 2: {
        size_t shift = src_u8(s) % 66;
        size_t align = shift < 64 ? (size_t)1 << shift : (size_t)draw_u64(s);
        size_t size = draw_size(s);
        int style = (int)src_u32(s) % 8;
        bool pow2 = align && !(align & (align - 1));
        result(st, mem_heap_aligned_alloc(st->h, align, size, style), size, pow2 && align > 16 ? align : 16, call);
        break;
    }
    case 3: {
        unsigned char *p = draw_ptr(s, st);
        long i = live_index(st, p);
        int err = mem_heap_free(st->h, p);
        if (i >= 0 && err)
            die("free of a live block failed", call);
        if (i < 0 && p && !err)
            die("free accepted a pointer that is not a live block", call);
        if (!p && err)
            die("free(NULL) failed", call);
        if (i >= 0)
            forget(st, (size_t)i);
        break;
    }
    case 4: {
        unsigned char *p = draw_ptr(s, st);
        size_t size = draw_size(s);
        long i = live_index(st, p);
        unsigned char *q = mem_heap_realloc(st->h, p, size);
        if (!p) {
            result(st, q, size, MEM_ALIGN, call);
        } else if (i < 0) {
            if (q)
                die("realloc accepted a pointer that is not a live block", call);
        } else if (q) {
            blk_t b = st->live[(size_t)i];
            size_t keep = b.req < size ? b.req : size;
            if (!all_bytes(q, keep, b.fill))
                die("realloc lost the prefix", call);
            st->live[(size_t)i] = st->live[--st->n];
            result(st, q, size, MEM_ALIGN, call);
        }
        break;
    }
    case 5: {
        unsigned char *p = draw_ptr(s, st);
        long i = live_index(st, p);
        size_t u = mem_heap_usable_size(st->h, p);
        if (i >= 0 ? u != st->live[(size_t)i].req : u != 0)
            die("usable_size wrong", call);
        break;
    }
    case 6:
        edge_call(st, s, call);
        break;
    default:
        front_end_call(st, s, call, code - 7);
        break;
    }
    int err = mem_errno();
    if (err == E_CORRUPT_FREESPACE || err == E_CORRUPT_BLOCK || err > E_CORRUPT_BLOCK)
        die("a valid heap reported corruption", call);
    if (mem_heap_check(st->h) != MEM_OK)
        die("mem_heap_check failed", call);
    for (size_t i = 0; i < st->n; i++)
        if (!all_bytes(st->live[i].p, st->live[i].req, st->live[i].fill))
            die("a live block lost its contents", call);
    if (mem_heap_check_level(st->h) >= MEM_CHECK_LOCAL)
        for (size_t i = 0; i < st->nheld; i++)
            if (!all_bytes(st->held[i].p, st->held[i].req, POISON_BYTE))
                die("a held block is not poisoned", call);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state_t st;
    src_t s;
    src_replay(&s, src_buf, data, size);
    static const size_t regions[4] = { 4096, 1024, 16384, 65536 };
    size_t len = corrupt_buffer_len(regions[src_u8(&s) % 4]);
    unsigned char *buf = aligned_alloc(MEM_ALIGN, len);
    memset(&st, 0, sizeof st);
    st.h = mem_heap_create_in(buf, len);
    if (!st.h)
        die("mem_heap_create_in failed", -1);
    st.lo = mem_heap_base(st.h);
    st.hi = mem_heap_end(st.h);
    for (long call = 0; call < MAX_CALLS && !src_exhausted(&s); call++)
        one_call(&st, &s, call);
    mem_heap_destroy(st.h);
    free(buf);
    return 0;
}
