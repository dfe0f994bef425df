/*
 * reach.c - which blocks still live at exit the program can still reach
 * (leaks=1), so that only the others are reported as leaks.
 *
 * WHY
 * Most programs never free what they hold until exit (stdio's buffers,
 * an interpreter's objects, a compiler's tables): those blocks are live,
 * but nothing was lost.  A leak is a block no pointer leads to any more.
 * So, as LeakSanitizer and valgrind's "definitely lost" do, the leak check
 * looks for pointers: a block is reachable when a root, or a reachable
 * block, holds a word that points into it.
 *
 * ROOTS
 *   - the writable segments (PT_LOAD with PF_W) of every loaded object
 *     (dl_iterate_phdr): globals and statics, libc's own, and hardmem's,
 *     whose tables point only at its own mappings (magazines, caches,
 *     heap headers), except two that are skipped: large.c's table of large
 *     blocks and the mapping list below (a mapping's start can be a block's);
 *   - the calling thread's stack, from its current frame to the top of the
 *     mapping that holds it;
 *   - its static TLS area and thread descriptor (x86-64 and arm64, when
 *     ld.so tells the area's size: _dl_get_tls_static_info);
 *   - the whole stack mapping of every other thread still running that has
 *     a quarantine cache (quarantine.c: it allocated a slot or freed a
 *     block), where glibc also keeps that thread's TLS and descriptor.
 * Every range is clipped to a readable mapping of /proc/self/maps first, so
 * a root that is not (or no longer) mapped is skipped, never read.
 *
 * MARKING
 * Conservative, as a C program's words have no types: every 8-byte-aligned
 * word of a root or a reachable block that points into a live block's
 * requested bytes (its start or inside) marks that block, and a marked
 * block is scanned in turn (a work stack, so each block once).  Live
 * blocks are found by binary search in the array the caller sorted.
 *
 * LIMITS (stated where leaks=1 is documented)
 *   - A thread still running that never allocated a slot nor freed is not
 *     known, so its stack is not scanned; nor are the registers of other
 *     threads.
 *   - A pointer kept hidden (xor-ed, tagged, unaligned, or only in a
 *     register of another thread) is not seen.
 *   - A stale word that happens to point into a block keeps it reachable:
 *     a leak can be missed, as with every conservative scan.
 */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <unistd.h>

#include "hardmem.h"

enum { MAX_SPANS = 8192 }; /* readable mappings remembered; the rest are not scanned */

typedef struct span {
    uintptr_t lo, hi;
} span_t;

static span_t spans[MAX_SPANS]; /* .bss: touched only by a leak check */
static unsigned nspans;

static uintptr_t hex_field(const char **s, const char *end)
{
    uintptr_t v = 0;
    for (; *s < end; (*s)++) {
        char c = **s;
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
        if (d == 16)
            break;
        v = v * 16 + d;
    }
    return v;
}

/* One line of /proc/self/maps ("lo-hi rwxp ..."): remember it if readable. */
static void span_line(const char *s, const char *end)
{
    uintptr_t lo = hex_field(&s, end);
    if (s >= end || *s++ != '-')
        return;
    uintptr_t hi = hex_field(&s, end);
    if (s + 1 < end && s[0] == ' ' && s[1] == 'r' && lo < hi && nspans < MAX_SPANS)
        spans[nspans++] = (span_t){ lo, hi };
}

/* Read the readable mappings (in address order, as the kernel lists them),
 * without allocating: a page at a time through a buffer on the stack. */
static void spans_load(void)
{
    nspans = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - have);
        if (r <= 0)
            break;
        have += (size_t)r;
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] == '\n') {
                span_line(buf + start, buf + i);
                start = i + 1;
            }
        }
        /* keep the unfinished line; a line longer than the buffer is dropped */
        have = start ? have - start : 0;
        for (size_t i = 0; i < have; i++)
            buf[i] = buf[start + i];
    }
    close(fd);
}

/* The readable mapping that holds a, or NULL. */
static const span_t *span_of(uintptr_t a)
{
    unsigned lo = 0, hi = nspans;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (a < spans[mid].lo)
            hi = mid;
        else if (a >= spans[mid].hi)
            lo = mid + 1;
        else
            return &spans[mid];
    }
    return NULL;
}

typedef struct marker {
    hm_live_t *v;
    size_t n;
    uintptr_t lo, hi;  /* the lowest start and highest end of v */
    uint32_t *work;    /* indices of marked blocks not scanned yet */
    size_t nwork;
    hm_range_t skip[3]; /* hardmem's tables of block addresses, sorted by address (scan_skipping) */
} marker_t;

/* The live block whose requested bytes hold address a, or -1. */
static long block_at(const marker_t *m, uintptr_t a)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a < m->v[mid].start)
            hi = mid;
        else if (a - m->v[mid].start >= (m->v[mid].req ? m->v[mid].req : 1))
            lo = mid + 1;
        else
            return (long)mid;
    }
    return -1;
}

/* Mark every block a word of [lo, hi) points into.  The words are any
 * memory's (globals' redzones, bytes other threads write): not a sanitizer's
 * business. */
__attribute__((no_sanitize("address", "thread", "memory"))) static void scan(marker_t *m, uintptr_t lo, uintptr_t hi)
{
    lo = (lo + 7) & ~(uintptr_t)7;
    for (uintptr_t a = lo; a + 8 <= hi; a += 8) {
        uintptr_t w;
        __builtin_memcpy(&w, (const void *)a, sizeof w);
        if (w < m->lo || w >= m->hi)
            continue;
        long i = block_at(m, w);
        if (i >= 0 && !m->v[i].reached) {
            m->v[i].reached = true;
            m->work[m->nwork++] = (uint32_t)i;
        }
    }
}

/* scan() over [lo, hi) but the ranges in m->skip. */
static void scan_skipping(marker_t *m, uintptr_t lo, uintptr_t hi)
{
    for (unsigned i = 0; i < sizeof m->skip / sizeof m->skip[0] && lo < hi; i++) {
        const hm_range_t *r = &m->skip[i];
        if (r->hi <= lo || r->lo >= hi)
            continue;
        if (r->lo > lo)
            scan(m, lo, r->lo);
        lo = r->hi;
    }
    if (lo < hi)
        scan(m, lo, hi);
}

static int each_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    marker_t *m = ctx;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        for (uintptr_t a = lo; a < hi;) { /* a segment may span mappings (.data, then .bss) */
            const span_t *s = span_of(a);
            if (!s)
                break;
            uintptr_t end = hi < s->hi ? hi : s->hi;
            scan_skipping(m, a, end);
            a = end;
        }
    }
    return 0;
}

/* ld.so's size of a thread's static TLS area (glibc's private interface,
 * the one LeakSanitizer uses); absent elsewhere. */
extern void _dl_get_tls_static_info(size_t *size, size_t *align) __attribute__((weak));

static uintptr_t thread_pointer(void)
{
#if defined(__x86_64__)
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp)); /* the TCB points at itself */
    return tp;
#elif defined(__aarch64__)
    return (uintptr_t)__builtin_thread_pointer();
#else
    return 0;
#endif
}

/* The calling thread's TLS: on x86-64 the static blocks lie below the
 * thread pointer and the descriptor above it; on arm64 both above. */
static void scan_tls(marker_t *m)
{
    uintptr_t tp = thread_pointer();
    if (!tp || !_dl_get_tls_static_info)
        return;
    size_t size = 0, align = 0;
    _dl_get_tls_static_info(&size, &align);
    const span_t *s = span_of(tp);
    if (!s)
        return;
    uintptr_t lo = tp - s->lo > size ? tp - size : s->lo, hi = s->hi - tp > size ? tp + size : s->hi;
    scan(m, lo, hi);
}

static void scan_thread(uintptr_t stack_at, void *ctx)
{
    const span_t *s = span_of(stack_at);
    if (s)
        scan(ctx, s->lo, s->hi);
}

void hm_reach_mark(hm_live_t *v, size_t n, uint32_t *work)
{
    if (!n)
        return;
    spans_load();
    /* Live blocks do not overlap, so the last one ends highest. */
    marker_t m = { .v = v, .n = n, .lo = v[0].start,
                   .hi = v[n - 1].start + (v[n - 1].req ? v[n - 1].req : 1), .work = work };
    hm_large_tables(m.skip);
    m.skip[2] = (hm_range_t){ (uintptr_t)spans, (uintptr_t)(spans + MAX_SPANS) };
    hm_sort_by_address(m.skip, sizeof m.skip / sizeof m.skip[0], sizeof m.skip[0], offsetof(hm_range_t, lo));
    dl_iterate_phdr(each_object, &m);
    /* The stack from this frame up: this function's own locals (m holds
     * the lowest block's start) lie below its frame address, unscanned. */
    uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
    const span_t *st = span_of(frame);
    if (st)
        scan(&m, frame, st->hi);
    scan_tls(&m);
    hm_quarantine_each_thread(scan_thread, &m);
    while (m.nwork) {
        const hm_live_t *b = &v[m.work[--m.nwork]];
        scan(&m, b->start, b->start + b->req);
    }
}
