/*
 * trace_format.h - the allocation trace format HMTRACE1: op codes and the
 * varint coding, shared by the recorder (trace.c, HARDMEM_OPTIONS=trace=PATH)
 * and the tools that read traces (tools/trace/: summary, replay).
 *
 * A trace is a header followed by records; every integer is an unsigned
 * LEB128 varint (7 bits per byte, low bits first, high bit set on every byte
 * but the last; at most 10 bytes for 64 bits).  tools/trace/FORMAT.md is the
 * full description; in short:
 *
 *   header   "HMTRACE1" (8 bytes), version (1), pid, command length L,
 *            L bytes of the command line (arguments separated by spaces)
 *   record   op byte, then the op's fields (table below)
 *
 * The op byte's low 7 bits are the op; bit 7 (HMT_FAILED) says the call
 * returned NULL or an error: the record then creates no object and frees
 * nothing (a failed realloc leaves its old object alive).
 *
 * OBJECT IDS are never written for new objects: every allocation record
 * without HMT_FAILED creates the next id, 1, 2, 3, ... in record order (a
 * realloc's new block is a new object).  A field that names an existing
 * object (`old`) holds its AGE: (the id the next allocation would get) -
 * (its id), so >= 1, and 0 means "none" (realloc of NULL or of a pointer the
 * trace never saw).  Short-lived objects thus cost one byte.  The replay
 * therefore needs no addresses at all.
 *
 * Nothing here allocates; the inline functions are the only coding of the
 * format in the tree.
 */
#ifndef HARDMEM_TRACE_FORMAT_H
#define HARDMEM_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define HMT_MAGIC "HMTRACE1"
enum {
    HMT_MAGIC_LEN = 8,
    HMT_VERSION = 1,
    HMT_CMD_MAX = 1024, /* bytes of command line kept in the header */
    HMT_REC_MAX = 31,   /* longest record: op byte + three 10-byte varints */
};

/* Op codes (the fields after the op byte, in order). */
enum hmt_op {
    HMT_MALLOC = 1,         /* size                  -> new object         */
    HMT_CALLOC = 2,         /* nmemb, size           -> new object         */
    HMT_REALLOC = 3,        /* old, size             -> new object, old dies */
    HMT_REALLOCARRAY = 4,   /* old, nmemb, size      -> new object, old dies */
    HMT_MEMALIGN = 5,       /* align, size: memalign, aligned_alloc     */
    HMT_POSIX_MEMALIGN = 6, /* align, size                              */
    HMT_VALLOC = 7,         /* align (the page), size                   */
    HMT_PVALLOC = 8,        /* align (the page), size (as passed)       */
    HMT_FREE = 9,           /* old: free and its aliases; realloc(p, 0)  */
    HMT_FREE_UNTRACKED = 10,/* (none): free of a pointer the trace never saw */
    HMT_THREAD = 11,        /* tid: the following records are that thread's */
    HMT_OP_END
};

#define HMT_FAILED 0x80u
#define HMT_OP_MASK 0x7fu

/* Append v to p as a varint; returns the bytes written (1..10). */
static inline size_t hmt_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Read a varint from *p (not past end) into *v and advance *p.  Returns 0,
 * or -1 when the input ends inside it, or -2 when it is longer than 10
 * bytes or overflows 64 bits (*p is left alone on error). */
static inline int hmt_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    uint64_t x = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (q == end)
            return -1;
        if (shift == 63 && *q > 1)
            return -2;
        uint8_t b = *q++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        if (shift == 63)
            return -2;
    }
    *v = x;
    *p = q;
    return 0;
}

/* The number of varint fields that follow an op byte. */
static inline int hmt_fields(unsigned op)
{
    switch (op) {
    case HMT_MALLOC:
    case HMT_FREE:
    case HMT_THREAD:
        return 1;
    case HMT_CALLOC:
    case HMT_REALLOC:
    case HMT_MEMALIGN:
    case HMT_POSIX_MEMALIGN:
    case HMT_VALLOC:
    case HMT_PVALLOC:
        return 2;
    case HMT_REALLOCARRAY:
        return 3;
    case HMT_FREE_UNTRACKED:
        return 0;
    default:
        return -1;
    }
}

#endif /* HARDMEM_TRACE_FORMAT_H */
