/*
 * report.c - the one place a detected misuse ends: hm_fatal().
 *
 * A report is built in a stack buffer with lib/fmt.h and written with
 * write(2) (to log=PATH or fd 2), so it works inside malloc, inside a broken
 * heap, and in a program whose stdio is in use.  Its first line is stable
 * and carries no address, so tests and scripts can match it exactly:
 *
 *   hardmem: ERROR: <kind>
 *     in free(0x5581e0a41030) called from 0x5581dfc3a1b9
 *     block 0x5581e0a41030: 13 bytes requested, 13 usable
 *     first bad byte at offset 13 of the block: expected 0xac, found 0x41
 *     detail: write past the requested size (slack overwritten)
 *     allocated at: 0x... 0x...         (stacks=1)
 *     freed at: 0x... 0x...             (stacks=1)
 *   hardmem: aborting (HARDMEM_OPTIONS=on_error=report to continue)
 *
 * Then on_error decides: abort (the default), report (return, and the
 * caller leaves the block alone), or ignore (count it only, print nothing).
 * Reports are serialised by one lock so concurrent ones do not interleave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "hardmem.h"

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const kind_text[HM_KIND_COUNT] = {
    [HM_DOUBLE_FREE] = "double free",
    [HM_INVALID_POINTER] = "invalid pointer (not the start of a live block)",
    [HM_FOREIGN_POINTER] = "invalid pointer (not allocated by hardmem)",
    [HM_OVERFLOW] = "heap overflow past the requested size",
    [HM_OVERFLOW_NEXT] = "heap overflow into the next block",
    [HM_UNDERFLOW] = "heap underflow (block header overwritten)",
    [HM_USE_AFTER_FREE] = "write after free",
    [HM_CORRUPT_INDEX] = "corrupted free-index links",
    [HM_CORRUPT_HEAP] = "heap metadata corrupted",
    [HM_LEAK] = "memory leak",
};

const char *hm_kind_text(hm_kind_t k) { return k < HM_KIND_COUNT ? kind_text[k] : "unknown error"; }

static void frames(fmt_t *f, const char *label, const void *const *pc, int n)
{
    if (n <= 0)
        return;
    fmt_str(f, "  ");
    fmt_str(f, label);
    for (int i = 0; i < n; i++) {
        fmt_str(f, " ");
        fmt_hex(f, (uint64_t)(uintptr_t)pc[i], 1);
    }
    fmt_str(f, "\n");
}

void hm_fatal(const hm_error_t *e)
{
    hm_stat_error();
    if (hm_opt.on_error == HM_IGNORE)
        return;
    int saved = errno; /* a report leaves errno as the call found it (free preserves it) */
    char buf[1536];
    fmt_t f = fmt_on(buf, sizeof buf);
    fmt_str(&f, "hardmem: ERROR: ");
    fmt_str(&f, hm_kind_text(e->kind));
    fmt_str(&f, "\n  in ");
    fmt_str(&f, e->op ? e->op : "?");
    fmt_str(&f, "(");
    fmt_hex(&f, (uint64_t)(uintptr_t)e->addr, 1);
    fmt_str(&f, ")");
    if (e->caller) {
        fmt_str(&f, " called from ");
        fmt_hex(&f, (uint64_t)(uintptr_t)e->caller, 1);
    }
    fmt_str(&f, "\n");
    if (e->block) {
        fmt_str(&f, "  block ");
        fmt_hex(&f, (uint64_t)(uintptr_t)e->block, 1);
        if (e->requested != (size_t)-1) {
            fmt_str(&f, ": ");
            fmt_u64(&f, e->requested);
            fmt_str(&f, " bytes requested, ");
            fmt_u64(&f, e->usable);
            fmt_str(&f, " usable");
        }
        fmt_str(&f, "\n");
    }
    if (e->bad_off >= 0 || e->expected != e->found) {
        if (e->bad_off >= 0 || e->bad_off < -MEM_HEADER) {
            fmt_str(&f, "  first bad byte at offset ");
            fmt_i64(&f, e->bad_off);
            fmt_str(&f, " of the block");
        } else if (e->bad_off == -1) {
            fmt_str(&f, "  bad value");
        } else {
            fmt_str(&f, "  first bad byte at offset ");
            fmt_i64(&f, e->bad_off);
            fmt_str(&f, " (in the header)");
        }
        fmt_str(&f, ": expected ");
        fmt_hex(&f, e->expected, 2);
        fmt_str(&f, ", found ");
        fmt_hex(&f, e->found, 2);
        fmt_str(&f, "\n");
    }
    if (e->detail) {
        fmt_str(&f, "  detail: ");
        fmt_str(&f, e->detail);
        fmt_str(&f, "\n");
    }
    if (hm_opt.stacks && e->block) {
        const void *a[HM_FRAMES], *fr[HM_FRAMES];
        int na = 0, nf = 0;
        if (hm_stack_get(e->block, a, &na, fr, &nf)) {
            frames(&f, "allocated at:", a, na);
            frames(&f, "freed at:", fr, nf);
        }
    }
    if (hm_opt.on_error == HM_ABORT)
        fmt_str(&f, "hardmem: aborting (HARDMEM_OPTIONS=on_error=report to continue)\n");
    pthread_mutex_lock(&report_lock);
    fmt_flush(&f, hm_out_fd());
    pthread_mutex_unlock(&report_lock);
    if (hm_opt.on_error == HM_ABORT)
        abort();
    errno = saved;
}

static bool has(const char *s, const char *sub) { return s && strstr(s, sub); }

void hm_core_error(mem_heap_t *h, int code, const char *op, const void *p, const void *caller)
{
    mem_report_t r;
    memset(&r, 0, sizeof r);
    mem_heap_last_report(h, &r);
    if (r.code != code) /* another thread's report replaced ours: keep the code */
        r = (mem_report_t){ .code = code, .offset = -1, .byte_offset = -1, .what = NULL };
    hm_error_t e = { .op = op, .addr = p, .block = NULL, .requested = (size_t)-1, .usable = (size_t)-1,
                     .bad_off = -1, .expected = r.expected, .found = r.found, .detail = r.what,
                     .caller = caller };
    switch (code) {
    case E_DOUBLE_FREE: e.kind = HM_DOUBLE_FREE; break;
    case E_BAD_POINTER: e.kind = HM_INVALID_POINTER; break;
    case E_CORRUPT_BLOCK:
        e.kind = has(r.what, "slack") ? HM_OVERFLOW : has(r.what, "underflow") ? HM_UNDERFLOW : HM_OVERFLOW_NEXT;
        break;
    default:
        e.kind = has(r.what, "after free") ? HM_USE_AFTER_FREE
                 : (has(r.what, "free index") || has(r.what, "free node") || has(r.what, "free-index"))
                     ? HM_CORRUPT_INDEX
                     : HM_CORRUPT_HEAP;
        break;
    }
    if (p && r.offset >= 0 && (e.kind == HM_CORRUPT_HEAP || e.kind == HM_CORRUPT_INDEX)) {
        /* A bad header right after the block being freed: that block most
         * likely overflowed into it (check=full finds it this way). */
        uintptr_t lo = (uintptr_t)mem_heap_base(h) + MEM_HEADER, hi = (uintptr_t)mem_heap_end(h);
        if ((uintptr_t)p >= lo && (uintptr_t)p < hi && (uintptr_t)p % GRANULE == 0) {
            uint32_t g = (uint32_t)(((uintptr_t)p - (uintptr_t)h->base) / GRANULE) - 1;
            const block_hdr_t *own = hdr(h, g);
            if (own->canary == hdr_canary(h, g, own->size, own->flags, own->slack) &&
                (long long)gbytes(g + own->size - h->first) == r.offset)
                e.kind = HM_OVERFLOW_NEXT;
        }
    }
    if (r.offset >= 0) {
        unsigned char *hp = (unsigned char *)mem_heap_base(h) + r.offset;
        e.block = hp + MEM_HEADER;
        if (r.byte_offset >= 0)
            e.bad_off = r.byte_offset - MEM_HEADER;
        if (e.kind == HM_OVERFLOW || e.kind == HM_OVERFLOW_NEXT || e.kind == HM_DOUBLE_FREE) {
            /* The block's own header validated (double free: it is a free
             * block's header, so only the size means something). */
            const block_hdr_t *b = (const block_hdr_t *)hp;
            if (e.kind != HM_DOUBLE_FREE || b->slack == 0) {
                e.usable = (size_t)b->size * GRANULE - HDR_BYTES;
                e.requested = e.usable - b->slack;
                if (e.kind == HM_DOUBLE_FREE)
                    e.requested = e.usable = (size_t)-1;
            }
        }
        if (e.kind == HM_OVERFLOW_NEXT && p) {
            /* The core names the next block; the report names the one that
             * overflowed (the pointer passed in). */
            const block_hdr_t *own = (const block_hdr_t *)((const unsigned char *)p - MEM_HEADER);
            e.block = p;
            e.usable = (size_t)own->size * GRANULE - HDR_BYTES;
            e.requested = e.usable - own->slack;
            e.bad_off = (long long)e.usable;
        }
    }
    hm_fatal(&e);
}
