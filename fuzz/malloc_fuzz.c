/*
 * malloc_fuzz.c - fuzz target: the checked malloc's glibc surface (hm_*).
 *
 * The target drives //lib/hardmem:hardmem_core through the names of
 * hm_malloc.h, which do not replace the process's malloc, so it runs under
 * ASan and libFuzzer.  It keeps a table of up to LIVE live blocks; each
 * block's usable bytes hold a ramp pattern, byte i = cookie + i (mod 256),
 * with a cookie of its own, so a lost, shifted or swapped byte shows.
 *
 * INPUT (format version 0), read front to back; an exhausted input reads as
 * zeros, multi-byte values are big-endian, so all-zero bytes are always the
 * simplest choice:
 *   byte 0   format version, min(byte, MF_VERSION).  Op codes are append-
 *            only: an input of version v decodes only the codes version v
 *            had (its code byte is reduced modulo their number), so corpus
 *            files keep their meaning when ops are added.
 *   then     ops, until the input ends at an op boundary or MAX_OPS ran:
 *            one code byte, then its arguments:
 *     0 malloc(size)            5 posix_memalign(align, size)  10 usable(slot)
 *     1 free(slot)              6 aligned_alloc(align, size)   11 free(NULL),
 *     2 realloc(ptr, size)      7 memalign(align, size)           usable(NULL)
 *     3 calloc(size, size)      8 valloc(size)                 12 free all
 *     4 reallocarray(ptr, size, size)   9 pvalloc(size)
 *   slot: one byte, reduced modulo the live blocks (free(NULL) when none);
 *   ptr: the same, with 255 or an empty table meaning NULL;
 *   size: a class byte (mod 5), then 0: one byte; 1: two bytes; 2: three
 *     bytes >> 5 (below 512 KiB, so large blocks too); 3: 256 KiB - 128 +
 *     one byte (the default large threshold); 4: one byte indexing HUGE[];
 *   align: a class byte (mod 4), then 0: 1 << (byte % 21); 1: two bytes;
 *     2: one byte indexing ODD_ALIGN[]; 3: one byte.
 * The all-zero input is version 0 followed by malloc(0) calls.
 *
 * CHECKED after every op: a pointer result is NULL exactly when the request
 * must fail (sizes or alignments of 2^60 and more: NULL with errno ENOMEM;
 * an alignment above SIZE_MAX/2+1 to memalign/aligned_alloc, or one that is
 * not a power-of-two multiple of sizeof(void *) to posix_memalign: EINVAL;
 * calloc/reallocarray overflow: ENOMEM) or may fail (between 64 MiB and
 * 2^60: either way, and a block got is checked and freed at once); a block
 * is aligned to 16 or to the (rounded-up) requested alignment, has
 * malloc_usable_size >= the request (stable while it lives), and overlaps no
 * live block; every live block keeps its pattern; realloc keeps the prefix;
 * calloc's bytes are zero (sampled above 1 MiB: such blocks, which only
 * calloc, pvalloc and reallocarray products reach, are freed at once rather
 * than filled and kept); a failed realloc leaves the block alive and intact;
 * realloc(p, 0) frees p and returns NULL; free (also free(NULL)) and
 * posix_memalign leave errno alone (posix_memalign: hardmem's documented
 * contract).  At the end of each input every live block is freed, so inputs
 * do not leak into one another.
 *
 * MISUSE IS NOT FED.  The checked malloc aborts on a double free, a wild
 * pointer or an overflow unless HARDMEM_OPTIONS says on_error=report; that
 * variable is read once, by a load-time constructor, there is no call to
 * change it, and the error count is internal (hardmem.h), so a target could
 * neither switch modes per input nor assert the report.  Misuse is covered
 * by tests/hardmem (one program per report kind) and, on the core, by
 * api_fuzz and corrupt_fuzz.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hm_malloc.h"

enum {
    MF_VERSION = 0,
    MAX_OPS = 512,
    LIVE = 64,
    FULL_CHECK = 1024, /* blocks up to this size are checked whole after every op */
    WINDOW = 256,      /* larger ones: this many bytes at each end, whole when freed */
    KEEP_MAX = 1 << 20, /* bigger blocks (calloc, reallocarray products) are checked
                           sparsely and freed at once, not filled and kept */
    ERRNO_MARK = 4242, /* errno value a call must leave alone */
};

typedef enum op_code {
    OP_MALLOC,
    OP_FREE,
    OP_REALLOC,
    OP_CALLOC,
    OP_REALLOCARRAY,
    OP_POSIX_MEMALIGN,
    OP_ALIGNED_ALLOC,
    OP_MEMALIGN,
    OP_VALLOC,
    OP_PVALLOC,
    OP_USABLE,
    OP_NULL,
    OP_FREE_ALL,
    OP_COUNT_V0,
} op_code_t;

static const unsigned op_count[MF_VERSION + 1] = { OP_COUNT_V0 };

static const char *const op_names[OP_COUNT_V0] = {
    "malloc", "free", "realloc", "calloc", "reallocarray", "posix_memalign", "aligned_alloc",
    "memalign", "valloc", "pvalloc", "malloc_usable_size", "free(NULL)", "free all",
};

#define MUST_FAIL_AT ((size_t)1 << 60)
#define SURE_SIZE ((size_t)64 << 20)
#define SURE_ALIGN ((size_t)1 << 20)

static const size_t HUGE[] = {
    SIZE_MAX,         SIZE_MAX - 1,           SIZE_MAX - 4095,      SIZE_MAX - 8192,
    PTRDIFF_MAX,      (size_t)PTRDIFF_MAX + 1, (size_t)PTRDIFF_MAX - 4095, (size_t)1 << 62,
    MUST_FAIL_AT,     SIZE_MAX / 2 - 16,      (size_t)1 << 47,      (size_t)1 << 40,
    SURE_SIZE + 1,    (size_t)3 << 61,        SIZE_MAX - 15,        SIZE_MAX / 3,
};

static const size_t ODD_ALIGN[] = {
    0,
    SIZE_MAX,
    SIZE_MAX / 2 + 1, /* 2^63: a power of two, too big to get */
    SIZE_MAX / 2 + 2, /* above SIZE_MAX/2+1: EINVAL */
    (size_t)1 << 62,
    SIZE_MAX / 2,
    24,
    4096 + 16,
};

typedef enum outcome { MUST_OK, MAY_FAIL, MUST_FAIL } outcome_t;

typedef struct blk {
    unsigned char *p;
    size_t req, usable;
    uint8_t cookie;
} blk_t;

typedef struct reader {
    const uint8_t *data;
    size_t len, at;
} reader_t;

static struct {
    blk_t live[LIVE];
    size_t n;
    uint8_t next_cookie;
    long op;
    op_code_t code;
} st;

static unsigned char ramp[4096 + 256]; /* ramp[i] = i mod 256 */
static const unsigned char zeros[4096];

/* ---------------- decoding ---------------- */

static uint64_t take(reader_t *r, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++, r->at++)
        v = v << 8 | (r->at < r->len ? r->data[r->at] : 0);
    return v;
}

static size_t draw_size(reader_t *r)
{
    switch (take(r, 1) % 5) {
    case 0: return (size_t)take(r, 1);
    case 1: return (size_t)take(r, 2);
    case 2: return (size_t)(take(r, 3) >> 5);
    case 3: return (256 << 10) - 128 + (size_t)take(r, 1);
    default: return HUGE[take(r, 1) % (sizeof HUGE / sizeof HUGE[0])];
    }
}

static size_t draw_align(reader_t *r)
{
    switch (take(r, 1) % 4) {
    case 0: return (size_t)1 << (take(r, 1) % 21);
    case 1: return (size_t)take(r, 2);
    case 2: return ODD_ALIGN[take(r, 1) % (sizeof ODD_ALIGN / sizeof ODD_ALIGN[0])];
    default: return (size_t)take(r, 1);
    }
}

/* A live slot, or -1 (NULL) when the table is empty or, if null_ok, the
 * byte is 255. */
static long draw_slot(reader_t *r, bool null_ok)
{
    uint64_t b = take(r, 1);
    if (!st.n || (null_ok && b == 255))
        return -1;
    return (long)(b % st.n);
}

/* ---------------- checking ---------------- */

static void die(const char *what)
{
    fprintf(stderr, "malloc_fuzz: op #%ld (%s): %s\n", st.op, op_names[st.code], what);
    abort();
}

static bool is_pow2(size_t a) { return a && !(a & (a - 1)); }

static outcome_t outcome(size_t size, size_t align)
{
    if (size >= MUST_FAIL_AT || align >= MUST_FAIL_AT)
        return MUST_FAIL;
    return size <= SURE_SIZE && align <= SURE_ALIGN ? MUST_OK : MAY_FAIL;
}

static void fill(unsigned char *p, size_t n, uint8_t cookie)
{
    for (size_t at = 0; at < n; at += 4096) {
        size_t k = n - at < 4096 ? n - at : 4096;
        memcpy(p + at, ramp + ((cookie + at) & 255), k);
    }
}

/* Do bytes [from, from + n) of p hold the ramp of cookie? */
static bool holds(const unsigned char *p, size_t from, size_t n, uint8_t cookie)
{
    for (size_t at = from; at < from + n; at += 4096) {
        size_t k = from + n - at < 4096 ? from + n - at : 4096;
        if (memcmp(p + at, ramp + ((cookie + at) & 255), k))
            return false;
    }
    return true;
}

static bool all_zero(const unsigned char *p, size_t from, size_t n)
{
    for (size_t at = from; at < from + n; at += sizeof zeros) {
        size_t k = from + n - at < sizeof zeros ? from + n - at : sizeof zeros;
        if (memcmp(p + at, zeros, k))
            return false;
    }
    return true;
}

/* Is calloc's block of n bytes zero?  All of it up to KEEP_MAX; above, WINDOW
 * bytes at each end and, up to SURE_SIZE, at every KEEP_MAX boundary (reading
 * every page of a huge block would fault all of them in). */
static bool zeroed(const unsigned char *p, size_t n)
{
    if (n <= KEEP_MAX)
        return all_zero(p, 0, n);
    size_t step = n <= SURE_SIZE ? KEEP_MAX : n;
    for (size_t at = 0; at < n - WINDOW; at += step)
        if (!all_zero(p, at, WINDOW))
            return false;
    return all_zero(p, n - WINDOW, WINDOW);
}

/* Is a block's pattern intact: whole, or its two ends for a big block? */
static void check_block(const blk_t *b, bool whole)
{
    bool ok = whole || b->usable <= FULL_CHECK
                  ? holds(b->p, 0, b->usable, b->cookie)
                  : holds(b->p, 0, WINDOW, b->cookie) && holds(b->p, b->usable - WINDOW, WINDOW, b->cookie);
    if (!ok)
        die("a live block lost its contents");
}

static void check_all(void)
{
    for (size_t i = 0; i < st.n; i++)
        check_block(&st.live[i], false);
}

static void check_aligned(const void *p, size_t align)
{
    size_t a = align < 16 ? 16 : align;
    if ((uintptr_t)p & (a - 1))
        die(a == 16 ? "block not 16-byte aligned" : "block not aligned as requested");
}

static void check_errno(int want, const char *what)
{
    if (errno != want)
        die(what);
}

/* ---------------- the block table ---------------- */

/* Free b's pointer (after checking it whole), with errno marked. */
static void release(const blk_t *b)
{
    check_block(b, true);
    errno = ERRNO_MARK;
    hm_free(b->p);
    check_errno(ERRNO_MARK, "free changed errno");
}

static void forget(size_t i) { st.live[i] = st.live[--st.n]; }

/* A block that is not kept (a request that may fail, or a big block): its
 * alignment checked, freed at once. */
static void drop(void *p, size_t align)
{
    check_aligned(p, align);
    errno = ERRNO_MARK;
    hm_free(p);
    check_errno(ERRNO_MARK, "free changed errno");
}

/* A block the caller got for a request of req bytes aligned to align (whose
 * contents it has checked): check it, fill it and keep it (blocks above
 * KEEP_MAX are not kept). */
static void adopt(void *p, size_t req, size_t align)
{
    check_aligned(p, align);
    size_t u = hm_malloc_usable_size(p);
    if (u < req)
        die("malloc_usable_size below the request");
    unsigned char *lo = p, *hi = lo + (u ? u : 1);
    for (size_t i = 0; i < st.n; i++) {
        const blk_t *o = &st.live[i];
        if (lo < o->p + (o->usable ? o->usable : 1) && o->p < hi)
            die("new block overlaps a live block");
    }
    blk_t b = { lo, req, u, ++st.next_cookie };
    if (u > KEEP_MAX) {
        drop(lo, align);
        return;
    }
    fill(lo, u, b.cookie);
    if (st.n < LIVE)
        st.live[st.n++] = b;
    else
        release(&b);
}

/* The result of an allocating call whose expected outcome is `o`, failing
 * with fail_errno.  Returns true when the caller should adopt p. */
static bool settle(void *p, outcome_t o, int fail_errno, size_t align)
{
    if (!p) {
        if (o == MUST_OK)
            die("a request that must succeed failed");
        check_errno(fail_errno, fail_errno == EINVAL ? "failure without errno EINVAL" : "failure without errno ENOMEM");
        return false;
    }
    if (o == MUST_FAIL)
        die(fail_errno == EINVAL ? "an invalid request succeeded" : "an impossible request succeeded");
    if (o == MAY_FAIL) {
        drop(p, align);
        return false;
    }
    return true;
}

/* ---------------- ops ---------------- */

static void op_malloc(reader_t *r)
{
    size_t n = draw_size(r);
    errno = 0;
    void *p = hm_malloc(n);
    if (settle(p, outcome(n, 16), ENOMEM, 16))
        adopt(p, n, 16);
}

static void op_free(reader_t *r)
{
    long i = draw_slot(r, false);
    if (i < 0) {
        errno = ERRNO_MARK;
        hm_free(NULL);
        check_errno(ERRNO_MARK, "free(NULL) changed errno");
        return;
    }
    release(&st.live[i]);
    forget((size_t)i);
}

/* The op's call: realloc(p, n), or reallocarray(p, n, m). */
static void *call_resize(void *p, size_t n, size_t m)
{
    return st.code == OP_REALLOC ? hm_realloc(p, n) : hm_reallocarray(p, n, m);
}

/* realloc / reallocarray of slot i (NULL when i < 0) to n * m bytes (the
 * product does not overflow; m is 1 for realloc). */
static void resize(long i, size_t n, size_t m)
{
    size_t total = n * m;
    if (i < 0) {
        errno = 0;
        void *p = call_resize(NULL, n, m);
        if (settle(p, outcome(total, 16), ENOMEM, 16))
            adopt(p, total, 16);
        return;
    }
    blk_t b = st.live[i];
    check_block(&b, true);
    if (total == 0) {
        errno = ERRNO_MARK;
        if (call_resize(b.p, n, m) != NULL)
            die("realloc(p, 0) did not return NULL");
        check_errno(ERRNO_MARK, "realloc(p, 0) changed errno");
        forget((size_t)i);
        return;
    }
    outcome_t o = outcome(total, 16);
    errno = 0;
    unsigned char *q = call_resize(b.p, n, m);
    if (!q) {
        settle(q, o, ENOMEM, 16);
        check_block(&b, true); /* a failed realloc leaves the block alive */
        return;
    }
    if (!holds(q, 0, b.req < total ? b.req : total, b.cookie))
        die("realloc lost the prefix");
    forget((size_t)i);
    if (settle(q, o, ENOMEM, 16))
        adopt(q, total, 16);
}

static void op_realloc(reader_t *r)
{
    long i = draw_slot(r, true);
    resize(i, draw_size(r), 1);
}

static void op_calloc(reader_t *r)
{
    size_t n = draw_size(r), m = draw_size(r), total;
    bool ovf = __builtin_mul_overflow(n, m, &total);
    errno = 0;
    unsigned char *p = hm_calloc(n, m);
    outcome_t o = ovf ? MUST_FAIL : outcome(total, 16);
    if (p && o != MUST_FAIL && !zeroed(p, total))
        die("calloc memory not zero");
    if (settle(p, o, ENOMEM, 16))
        adopt(p, total, 16);
}

static void op_reallocarray(reader_t *r)
{
    long i = draw_slot(r, true);
    size_t n = draw_size(r), m = draw_size(r), total;
    if (!__builtin_mul_overflow(n, m, &total)) {
        resize(i, n, m);
        return;
    }
    errno = 0;
    void *q = hm_reallocarray(i < 0 ? NULL : st.live[i].p, n, m);
    settle(q, MUST_FAIL, ENOMEM, 16);
    if (i >= 0)
        check_block(&st.live[i], true); /* untouched by the failed call */
}

static void op_posix_memalign(reader_t *r)
{
    size_t a = draw_align(r), n = draw_size(r);
    bool valid = is_pow2(a) && a % sizeof(void *) == 0;
    void *sentinel = &st, *p = sentinel;
    errno = ERRNO_MARK;
    int rc = hm_posix_memalign(&p, a, n);
    check_errno(ERRNO_MARK, "posix_memalign changed errno");
    if (rc != 0 && p != sentinel)
        die("failed posix_memalign wrote its output");
    if (!valid) {
        if (rc != EINVAL)
            die("posix_memalign of an invalid alignment did not return EINVAL");
        return;
    }
    outcome_t o = outcome(n, a);
    if (rc != 0 && rc != ENOMEM)
        die("posix_memalign returned neither 0 nor ENOMEM");
    errno = ENOMEM; /* settle() wants a failure's errno */
    if (settle(rc ? NULL : p, o, ENOMEM, a))
        adopt(p, n, a);
}

/* memalign and aligned_alloc (glibc 2.36: the same function). */
static void op_memalign(reader_t *r)
{
    size_t a = draw_align(r), n = draw_size(r);
    errno = 0;
    void *p = st.code == OP_MEMALIGN ? hm_memalign(a, n) : hm_aligned_alloc(a, n);
    if (a > SIZE_MAX / 2 + 1) {
        settle(p, MUST_FAIL, EINVAL, 16);
        return;
    }
    size_t eff = 16;
    while (eff < a)
        eff <<= 1;
    if (settle(p, outcome(n, eff), ENOMEM, eff))
        adopt(p, n, eff);
}

static void op_page_alloc(reader_t *r)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = draw_size(r), want = n;
    if (st.code == OP_PVALLOC && n < MUST_FAIL_AT)
        want = (n + page - 1) & ~(page - 1);
    errno = 0;
    void *p = st.code == OP_VALLOC ? hm_valloc(n) : hm_pvalloc(n);
    if (settle(p, outcome(want, page), ENOMEM, page))
        adopt(p, want, page);
}

static void op_usable(reader_t *r)
{
    long i = draw_slot(r, false);
    if (i < 0) {
        if (hm_malloc_usable_size(NULL) != 0)
            die("malloc_usable_size(NULL) is not 0");
        return;
    }
    if (hm_malloc_usable_size(st.live[i].p) != st.live[i].usable)
        die("malloc_usable_size of a live block changed");
}

static void op_null(void)
{
    errno = ERRNO_MARK;
    hm_free(NULL);
    check_errno(ERRNO_MARK, "free(NULL) changed errno");
    if (hm_malloc_usable_size(NULL) != 0)
        die("malloc_usable_size(NULL) is not 0");
}

static void free_all(void)
{
    while (st.n) {
        release(&st.live[st.n - 1]);
        st.n--;
    }
}

static void one_op(reader_t *r, unsigned version)
{
    st.code = (op_code_t)(take(r, 1) % op_count[version]);
    switch (st.code) {
    case OP_MALLOC: op_malloc(r); break;
    case OP_FREE: op_free(r); break;
    case OP_REALLOC: op_realloc(r); break;
    case OP_CALLOC: op_calloc(r); break;
    case OP_REALLOCARRAY: op_reallocarray(r); break;
    case OP_POSIX_MEMALIGN: op_posix_memalign(r); break;
    case OP_ALIGNED_ALLOC:
    case OP_MEMALIGN: op_memalign(r); break;
    case OP_VALLOC:
    case OP_PVALLOC: op_page_alloc(r); break;
    case OP_USABLE: op_usable(r); break;
    case OP_NULL: op_null(); break;
    default: free_all(); break;
    }
    check_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ramp[1])
        for (size_t i = 0; i < sizeof ramp; i++)
            ramp[i] = (unsigned char)i;
    reader_t r = { data, size, 0 };
    uint64_t v = take(&r, 1);
    unsigned version = v > MF_VERSION ? MF_VERSION : (unsigned)v;
    memset(&st, 0, sizeof st);
    for (st.op = 0; st.op < MAX_OPS && r.at < r.len; st.op++)
        one_op(&r, version);
    st.code = OP_FREE_ALL;
    free_all();
    return 0;
}
