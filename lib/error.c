/*
 * error.c - the thread-local error code, error texts and violation reports.
 *
 * Every public call sets the calling thread's code (MEM_OK on success).  A
 * violation of a heap invariant is also recorded in the heap as a report:
 * the code, the block's offset from the region start, what was wrong, and
 * the expected and found values, so that a test or a user can say exactly
 * where the heap went bad.
 */
#include "fmt.h"
#include "heap.h"

static __thread int mem_err __attribute__((tls_model("initial-exec")));

void set_errno(int code) { mem_err = code; }

int mem_errno(void) { return mem_err; }

const char *mem_strerror(int code)
{
    switch (code) {
    case MEM_OK: return "success";
    case E_BAD_ARGS: return "bad arguments";
    case E_NO_SPACE: return "no free block large enough";
    case E_CORRUPT_FREESPACE: return "heap metadata corrupted";
    case E_DOUBLE_FREE: return "double free";
    case E_BAD_POINTER: return "pointer is not the start of a block of this heap";
    case E_NOT_INIT: return "heap not initialised";
    case E_MAP_FAILED: return "mmap failed";
    case E_CORRUPT_BLOCK: return "block overflow: header or slack overwritten";
    default: return "unknown error";
    }
}

int report(mem_heap_t *h, int code, uint32_t g, const char *what, uint64_t expected, uint64_t found)
{
    h->report.code = code;
    h->report.offset = g ? (long long)(gbytes(g) - gbytes(h->first)) : -1;
    h->report.byte_offset = -1;
    h->report.what = what;
    h->report.expected = expected;
    h->report.found = found;
    set_errno(code);
    return code;
}

size_t mem_format_report(const mem_report_t *r, char *buf, size_t n)
{
    fmt_t f = fmt_on(buf, n);
    if (!r) {
        fmt_str(&f, "(no report)");
        return f.len;
    }
    fmt_str(&f, mem_strerror(r->code));
    if (r->code == MEM_OK)
        return f.len;
    fmt_str(&f, ": ");
    fmt_str(&f, r->what ? r->what : "?");
    if (r->offset >= 0) {
        fmt_str(&f, " at block offset ");
        fmt_i64(&f, r->offset);
    }
    if (r->byte_offset >= 0) {
        fmt_str(&f, ", byte ");
        fmt_i64(&f, r->byte_offset);
    }
    fmt_str(&f, " (expected ");
    fmt_hex(&f, r->expected, 1);
    fmt_str(&f, ", found ");
    fmt_hex(&f, r->found, 1);
    fmt_str(&f, ")");
    return f.len;
}
