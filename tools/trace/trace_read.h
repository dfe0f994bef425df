/*
 * trace_read.h - reading (and, for tests and tools, writing) HMTRACE1
 * allocation traces: the ones HARDMEM_OPTIONS=trace=PATH records
 * (lib/hardmem/trace.c; the format is in tools/trace/FORMAT.md and the op
 * codes in lib/hardmem/trace_format.h).
 *
 * The reader walks a trace held in memory (hmt_map maps a file) and hands
 * out one record at a time with the ids already resolved: thread records are
 * consumed (they set the tid of the records after them), ages become ids, and
 * every allocation gets the size the allocator must provide ("effective
 * size": calloc and reallocarray multiply, pvalloc rounds up to its page,
 * 0 becomes 1 as hardmem does).  A malformed or truncated record stops the
 * walk with an error that names its byte offset.
 *
 * hmt_scan makes one pass and measures what the program asked for,
 * independently of any allocator: peak live bytes (the largest sum of the
 * effective sizes of the objects alive at once; a realloc's new object is
 * counted before its old one dies, as a moving realloc needs both), peak
 * objects, the peak of a perfect packing in the region heap's blocks, a
 * size histogram.  The writer builds a trace in a growing buffer (tests
 * craft traces with it).
 */
#ifndef HARDMEM_TRACE_READ_H
#define HARDMEM_TRACE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_format.h"

typedef struct hmt_rec {
    unsigned op;     /* HMT_MALLOC .. HMT_FREE_UNTRACKED (never HMT_THREAD) */
    bool failed;     /* the call failed when recorded: no object, nothing freed */
    uint64_t id;     /* the object created (allocations that did not fail), else 0 */
    uint64_t old;    /* the object freed or reallocated, else 0 */
    uint64_t size;   /* effective size (allocations), else 0 */
    uint64_t a, b;   /* the fields as written: (nmemb, size), (align, size), (size, -) */
    uint64_t align;  /* the alignment asked for (memalign family), else 0 */
    uint64_t tid;    /* the thread that made the call (0 before any thread record) */
    uint64_t index;  /* 0-based record number, thread records not counted */
} hmt_rec_t;

typedef struct hmt_reader {
    const uint8_t *base, *p, *end, *first;
    uint64_t version, pid;
    char cmd[HMT_CMD_MAX + 1];
    uint64_t next_id, tid, index;
    char error[200];
} hmt_reader_t;

/* Read the header of the trace in [buf, buf+len).  0, or -1 with r->error. */
int hmt_reader_init(hmt_reader_t *r, const void *buf, size_t len);
/* The next record: 1, or 0 at the end, or -1 with r->error. */
int hmt_read(hmt_reader_t *r, hmt_rec_t *rec);
/* Back to the first record. */
void hmt_rewind(hmt_reader_t *r);
/* Bytes consumed so far. */
static inline size_t hmt_offset(const hmt_reader_t *r) { return (size_t)(r->p - r->base); }

/* A path as the user meant it: under `bazel run` the tools run in their
 * runfiles, so a relative path is taken from BUILD_WORKING_DIRECTORY. */
const char *hmt_user_path(const char *path, char *buf, size_t n);

/* Map a file read-only (an empty file gives len 0).  0, or an errno. */
int hmt_map(const char *path, const void **buf, size_t *len);
void hmt_unmap(const void *buf, size_t len);

/* Open the trace *path for the command-line tool `tool`: *path becomes the
 * path as the user meant it (hmt_user_path, into where[n]), the file is
 * mapped into *buf and *len (hmt_map) and its header read into *r.  0, or 1
 * after "tool: path: why" on stderr, with nothing left mapped. */
int hmt_open(const char *tool, const char **path, char *where, size_t n, hmt_reader_t *r, const void **buf,
             size_t *len);

/* The bytes a block for a request of n bytes takes in the region heap
 * (lib/mem.h): max(48, round16(n + 16)); saturates near UINT64_MAX. */
uint64_t hmt_block_bytes(uint64_t n);
/* A name for an op ("malloc", ...). */
const char *hmt_op_name(unsigned op);
/* Does op create an object when it succeeds (ops 1-8, the reallocs too)? */
static inline bool hmt_allocates(unsigned op) { return op >= HMT_MALLOC && op <= HMT_PVALLOC; }

enum { HMT_HIST = 65 };

typedef struct hmt_scan {
    uint64_t records;
    uint64_t by_op[HMT_OP_END], failed_by_op[HMT_OP_END];
    uint64_t objects;         /* ids created; ids are 1..objects */
    uint64_t threads;         /* distinct tids (exact up to 4096 of them) */
    uint64_t live_end, live_objects_end; /* never freed */
    uint64_t peak_live;       /* bytes, see the file comment */
    uint64_t peak_live_at;    /* record index where it was reached */
    uint64_t peak_objects;
    uint64_t peak_ideal;      /* max over time of the sum of hmt_block_bytes of live objects */
    uint64_t largest;         /* largest effective size asked for */
    uint64_t total_bytes;     /* sum of effective sizes of all allocations */
    uint64_t hist[HMT_HIST];  /* allocations by size: [k] holds 2^(k-1) <= size < 2^k ([0]: none) */
    uint64_t align_hist[HMT_HIST]; /* aligned allocations by log2(alignment) */
} hmt_scan_t;

/* One pass from the first record; rewinds r afterwards.  `progress`, if
 * set, is called now and then with the records read so far.  0, or -1 with
 * r->error (also for a trace that frees an object that is not alive). */
int hmt_scan(hmt_reader_t *r, hmt_scan_t *s, void (*progress)(void *ctx, uint64_t done), void *ctx);

/* ---- writing (tests, tools) ---- */
typedef struct hmt_writer {
    uint8_t *buf;
    size_t len, cap;
    uint64_t next_id, tid;
} hmt_writer_t;

/* Start a trace with a header; false when out of memory. */
bool hmt_w_init(hmt_writer_t *w, uint64_t pid, const char *cmd);
/* Append a record of op (HMT_FREE_UNTRACKED takes nothing; `old` is an id,
 * 0 for none; a and b are the op's other fields in the order of
 * trace_format.h).  Returns the id it creates, 0 if none (and 0 with
 * w->buf NULL when out of memory). */
uint64_t hmt_w_rec(hmt_writer_t *w, unsigned op, bool failed, uint64_t old, uint64_t a, uint64_t b);
/* A thread record (only when tid differs from the last one written). */
void hmt_w_thread(hmt_writer_t *w, uint64_t tid);
void hmt_w_free_buf(hmt_writer_t *w);

/* Convenience for crafted traces. */
static inline uint64_t hmt_w_malloc(hmt_writer_t *w, uint64_t n) { return hmt_w_rec(w, HMT_MALLOC, false, 0, n, 0); }
static inline void hmt_w_free(hmt_writer_t *w, uint64_t id) { hmt_w_rec(w, HMT_FREE, false, id, 0, 0); }
static inline uint64_t hmt_w_realloc(hmt_writer_t *w, uint64_t id, uint64_t n)
{
    return hmt_w_rec(w, HMT_REALLOC, false, id, n, 0);
}

#endif /* HARDMEM_TRACE_READ_H */
