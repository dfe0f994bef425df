/*
 * stats.c - counters and the one-screen summary printed at exit.
 *
 * Counters are relaxed atomics: allocations, frees, live and peak requested
 * bytes, errors.  They cost two locked instructions per call, so they are
 * kept only when something will read them: summary=1 (hardmem run) or
 * leaks=1; errors are always counted.  The peak is raised with a compare-and-swap only when the
 * live total passes it, so the common path is two atomic adds.  The summary
 * (summary=1, which `hardmem run` sets) is written with write(2) from a stack
 * buffer, like every report.
 */
#include "fmt.h"
#include "hardmem.h"

static unsigned long n_alloc, n_free, n_errors;
static size_t live_bytes, peak_bytes;

void hm_stat_alloc(size_t req)
{
    if (!hm_opt.summary && !hm_opt.leaks)
        return;
    __atomic_fetch_add(&n_alloc, 1, __ATOMIC_RELAXED);
    size_t now = __atomic_add_fetch(&live_bytes, req, __ATOMIC_RELAXED);
    size_t peak = __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED);
    while (now > peak && !__atomic_compare_exchange_n(&peak_bytes, &peak, now, true, __ATOMIC_RELAXED,
                                                      __ATOMIC_RELAXED)) {
    }
}

void hm_stat_free(size_t req)
{
    if (!hm_opt.summary && !hm_opt.leaks)
        return;
    __atomic_fetch_add(&n_free, 1, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&live_bytes, req, __ATOMIC_RELAXED);
}

size_t hm_stat_live(void) { return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED); }

void hm_stat_error(void) { __atomic_fetch_add(&n_errors, 1, __ATOMIC_RELAXED); }
unsigned long hm_error_count(void) { return __atomic_load_n(&n_errors, __ATOMIC_RELAXED); }

static void line(fmt_t *f, const char *label, uint64_t v, const char *unit)
{
    size_t start = f->len;
    fmt_str(f, "hardmem:   ");
    fmt_str(f, label);
    fmt_pad(f, start + 32);
    fmt_u64(f, v);
    fmt_str(f, unit);
    fmt_str(f, "\n");
}

void hm_summary(size_t *leak_count)
{
    size_t leaked = 0;
    *leak_count = 0;
    if (hm_opt.leaks)
        leaked = hm_leaks_report(leak_count);
    char buf[1024];
    fmt_t f = fmt_on(buf, sizeof buf);
    fmt_str(&f, "hardmem: ---- summary ----\n");
    line(&f, "allocations:", __atomic_load_n(&n_alloc, __ATOMIC_RELAXED), "");
    line(&f, "frees:", __atomic_load_n(&n_free, __ATOMIC_RELAXED), "");
    line(&f, "live at exit:", __atomic_load_n(&live_bytes, __ATOMIC_RELAXED), " bytes");
    line(&f, "peak live:", __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED), " bytes");
    line(&f, "mapped for heaps:", hm_mapped_bytes(), " bytes");
    line(&f, "errors:", hm_error_count(), "");
    if (hm_opt.leaks) {
        line(&f, "leaked blocks:", *leak_count, "");
        line(&f, "leaked bytes:", leaked, "");
    } else {
        fmt_str(&f, "hardmem:   leaks: not checked (HARDMEM_OPTIONS=leaks=1)\n");
    }
    fmt_flush(&f, hm_out_fd());
}
