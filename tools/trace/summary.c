/*
 * summary.c - what an allocation trace holds: the program, the calls by
 * kind, objects, threads, peak live bytes and objects, and a histogram of
 * request sizes; --dump prints every record as a line of text.
 *
 *   ./bazelw run //tools/trace:summary -- TRACE [--dump]
 *
 * The dump format (one line per record, ids as #N in creation order; the
 * record format is tools/trace/FORMAT.md):
 *   thread TID                      the records below are that thread's
 *   malloc SIZE -> #ID              calloc NMEMB SIZE -> #ID
 *   realloc #OLD SIZE -> #ID        reallocarray #OLD NMEMB SIZE -> #ID
 *   memalign ALIGN SIZE -> #ID      (posix_memalign, valloc, pvalloc alike)
 *   free #OLD                       free_untracked
 * A call that failed when recorded ends in "FAILED" instead of "-> #ID";
 * realloc of NULL or of an untracked pointer shows #0 as OLD.
 * tests/trace/record_test.sh compares such dumps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_read.h"

static void dump_rec(const hmt_rec_t *r, uint64_t *tid)
{
    if (r->tid != *tid) {
        printf("thread %llu\n", (unsigned long long)r->tid);
        *tid = r->tid;
    }
    unsigned long long a = r->a, b = r->b, old = r->old;
    printf("%s", hmt_op_name(r->op));
    switch (r->op) {
    case HMT_MALLOC:
        printf(" %llu", a);
        break;
    case HMT_REALLOC:
        printf(" #%llu %llu", old, a);
        break;
    case HMT_REALLOCARRAY:
        printf(" #%llu %llu %llu", old, a, b);
        break;
    case HMT_FREE:
        printf(" #%llu", old);
        break;
    case HMT_FREE_UNTRACKED:
        break;
    default:
        printf(" %llu %llu", a, b);
        break;
    }
    if (r->failed)
        printf(" FAILED");
    else if (r->id)
        printf(" -> #%llu", (unsigned long long)r->id);
    printf("\n");
}

static void mib(uint64_t v) { printf("%llu bytes (%.2f MiB)", (unsigned long long)v, (double)v / 1048576.0); }

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool dump = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dump"))
            dump = true;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            fprintf(stderr, "usage: summary TRACE [--dump]\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: summary TRACE [--dump]\n");
        return 2;
    }
    char where[4096];
    const void *buf;
    size_t len;
    hmt_reader_t rd;
    if (hmt_open("summary", &path, where, sizeof where, &rd, &buf, &len))
        return 1;
    if (dump) {
        hmt_rec_t rec;
        uint64_t tid = 0;
        int got;
        while ((got = hmt_read(&rd, &rec)) == 1)
            dump_rec(&rec, &tid);
        if (got < 0) {
            fprintf(stderr, "summary: %s: %s\n", path, rd.error);
            return 1;
        }
        return 0;
    }
    hmt_scan_t s;
    if (hmt_scan(&rd, &s, NULL, NULL)) {
        fprintf(stderr, "summary: %s: %s\n", path, rd.error);
        return 1;
    }
    printf("trace        %s: %zu bytes, %.2f bytes per record\n", path, len,
           s.records ? (double)len / (double)s.records : 0.0);
    printf("command      %s (pid %llu, format version %llu)\n", rd.cmd[0] ? rd.cmd : "?",
           (unsigned long long)rd.pid, (unsigned long long)rd.version);
    printf("records      %llu, from %llu thread%s\n", (unsigned long long)s.records, (unsigned long long)s.threads,
           s.threads == 1 ? "" : "s");
    for (unsigned op = HMT_MALLOC; op < HMT_THREAD; op++)
        if (s.by_op[op])
            printf("  %-16s %12llu%s%.0llu%s\n", hmt_op_name(op), (unsigned long long)s.by_op[op],
                   s.failed_by_op[op] ? "  (failed: " : "", (unsigned long long)s.failed_by_op[op],
                   s.failed_by_op[op] ? ")" : "");
    printf("objects      %llu created, %llu never freed (%llu bytes)\n", (unsigned long long)s.objects,
           (unsigned long long)s.live_objects_end, (unsigned long long)s.live_end);
    printf("peak live    ");
    mib(s.peak_live);
    printf(" at record %llu; at most %llu objects alive\n", (unsigned long long)s.peak_live_at,
           (unsigned long long)s.peak_objects);
    printf("packed peak  ");
    mib(s.peak_ideal);
    printf(" in region-heap blocks (header 16, granule 16, minimum 48)\n");
    printf("requested    ");
    mib(s.total_bytes);
    printf(" in all; largest request %llu bytes\n", (unsigned long long)s.largest);
    printf("request sizes:\n");
    uint64_t most = 0, allocs = 0;
    for (int k = 0; k < HMT_HIST; k++) {
        allocs += s.hist[k];
        if (s.hist[k] > most)
            most = s.hist[k];
    }
    for (int k = 1; k < HMT_HIST; k++) {
        if (!s.hist[k])
            continue;
        char range[48];
        unsigned long long lo = 1ULL << (k - 1), hi = k < 64 ? (1ULL << k) - 1 : ~0ULL;
        snprintf(range, sizeof range, "%llu-%llu", lo, hi);
        int bar = (int)(50.0 * (double)s.hist[k] / (double)most + 0.5);
        printf("  %-22s %12llu %6.2f%% ", range, (unsigned long long)s.hist[k],
               100.0 * (double)s.hist[k] / (double)allocs);
        for (int i = 0; i < bar; i++)
            putchar('#');
        putchar('\n');
    }
    bool any = false;
    for (int k = 1; k < HMT_HIST; k++) {
        if (!s.align_hist[k])
            continue;
        if (!any)
            printf("alignments (memalign family):\n");
        any = true;
        printf("  %-22llu %12llu\n", 1ULL << (k - 1), (unsigned long long)s.align_hist[k]);
    }
    hmt_unmap(buf, len);
    return 0;
}
