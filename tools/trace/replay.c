/*
 * replay.c - run an allocation trace (HARDMEM_OPTIONS=trace=PATH) against the
 * region heap once per placement style and report what each style costs.
 *
 *   ./bazelw run --config=opt //tools/trace:replay -- TRACE [options]
 *
 * For each style (first, best, worst, next fit) two replays (sim.h):
 *   1. growing heap (as with sbrk: it grows only when no free block fits):
 *      peak footprint = the heap's high-water mark, the highest end offset
 *      of any block ever allocated, from the start of the first block;
 *      fragmentation = peak footprint / peak live bytes - 1 (Johnstone and
 *      Wilson's measure #4), and their #3 (footprint / live bytes at the
 *      moment the footprint peaked) and "over packing" (peak footprint over
 *      the peak of a perfect packing of the same blocks, headers and the
 *      48-byte minimum included: the waste that is due to placement alone);
 *   2. a fixed region: the number of requests that find no free block, in a
 *      region of --region-mb N MiB, or by default of 1.1 x the perfect
 *      packing's peak (--fixed-factor, --fixed-base live for 1.1 x the peak
 *      live bytes instead).
 * The output is a table, or CSV lines with --csv; --csv-out FILE writes the
 * CSV to FILE as well as the table (tools/trace/study.sh).
 * Progress goes to stderr for traces of more than a million records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "trace_read.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: replay TRACE [--region-mb N] [--fixed-factor F] [--fixed-base blocks|live]\n"
               "              [--style first|best|worst|next|all] [--csv | --csv-out FILE] [--name NAME]\n"
               "              [--quiet]\n"
               "  Replays TRACE against the region heap with each placement style and reports\n"
               "  the peak footprint of a growing heap (fragmentation = peak footprint / peak\n"
               "  live bytes - 1) and the failed requests in a fixed region of N MiB (default:\n"
               "  F x the peak of a perfect packing, F = 1.1; --fixed-base live: F x peak live).\n");
}

typedef struct progress {
    const char *what;
    int style;
    int mode;
    double last;
    bool shown, tty;
} progress_t;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void show(void *ctx, uint64_t done, uint64_t total)
{
    progress_t *p = ctx;
    double t = now();
    if (t - p->last < (p->tty ? 0.5 : 15.0))
        return;
    p->last = t;
    p->shown = true;
    fprintf(stderr, "%sreplay: %s: %s fit, %s heap: %.0f%% of %llu records%s", p->tty ? "\r" : "", p->what,
            sim_style_name(p->style), p->mode == SIM_GROW ? "growing" : "fixed",
            total ? 100.0 * (double)done / (double)total : 0.0, (unsigned long long)total, p->tty ? "   " : "\n");
}

static void show_scan(void *ctx, uint64_t done)
{
    progress_t *p = ctx;
    double t = now();
    if (t - p->last < (p->tty ? 0.5 : 15.0))
        return;
    p->last = t;
    p->shown = true;
    fprintf(stderr, "%sreplay: %s: scanning, %llu records%s", p->tty ? "\r" : "", p->what, (unsigned long long)done,
            p->tty ? "   " : "\n");
}

static void done_line(progress_t *p)
{
    if (p->shown && p->tty)
        fprintf(stderr, "\r%70s\r", "");
    p->shown = false;
}

/* 12,345,678 */
static const char *commas(uint64_t v, char *buf)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        buf[o++] = tmp[i];
        if ((n - i - 1) % 3 == 0 && i != n - 1)
            buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}

static double pct(uint64_t a, uint64_t b) { return b ? 100.0 * ((double)a / (double)b - 1.0) : 0.0; }

int main(int argc, char **argv)
{
    const char *path = NULL, *name = NULL, *csv_path = NULL;
    double region_mb = 0, factor = 1.1;
    bool csv = false, quiet = false, base_live = false;
    int only = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--region-mb") && v) {
            region_mb = strtod(v, NULL);
            i++;
        } else if (!strcmp(a, "--fixed-factor") && v) {
            factor = strtod(v, NULL);
            i++;
        } else if (!strcmp(a, "--fixed-base") && v && (!strcmp(v, "live") || !strcmp(v, "blocks"))) {
            base_live = !strcmp(v, "live");
            i++;
        } else if (!strcmp(a, "--style") && v) {
            only = !strcmp(v, "first") ? 0 : !strcmp(v, "best") ? 1 : !strcmp(v, "worst") ? 2
                 : !strcmp(v, "next") ? 3 : !strcmp(v, "all") ? -1 : -2;
            if (only == -2) {
                usage(stderr);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--name") && v) {
            name = v;
            i++;
        } else if (!strcmp(a, "--csv")) {
            csv = true;
        } else if (!strcmp(a, "--csv-out") && v) {
            csv_path = v;
            i++;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!path || (region_mb < 0) || factor <= 0) {
        usage(stderr);
        return 2;
    }
    if (!name) {
        name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    }
    char where[4096];
    const void *buf;
    size_t len;
    hmt_reader_t rd;
    if (hmt_open("replay", &path, where, sizeof where, &rd, &buf, &len))
        return 1;
    progress_t pr = { .what = name, .tty = isatty(2), .last = now() };
    hmt_scan_t scan;
    bool big = len > (8u << 20);
    if (hmt_scan(&rd, &scan, !quiet && big ? show_scan : NULL, &pr)) {
        done_line(&pr);
        fprintf(stderr, "replay: %s: %s\n", path, rd.error);
        return 1;
    }
    done_line(&pr);
    uint64_t base = base_live ? scan.peak_live : scan.peak_ideal;
    size_t fixed = region_mb > 0 ? (size_t)(region_mb * 1048576.0) : (size_t)((double)base * factor);
    fixed = (fixed + 15) & ~(size_t)15;
    if (fixed < MEM_MIN_BLOCK)
        fixed = MEM_MIN_BLOCK;
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    FILE *out_csv = csv ? stdout : NULL;
    char csv_where[4096];
    if (csv_path)
        csv_path = hmt_user_path(csv_path, csv_where, sizeof csv_where);
    if (csv_path && !(out_csv = fopen(csv_path, "w"))) {
        fprintf(stderr, "replay: %s: %s\n", csv_path, strerror(errno));
        return 1;
    }
    if (out_csv)
        fprintf(out_csv, "name,style,records,objects,peak_live,peak_ideal,peak_footprint,frag4_pct,frag3_pct,"
                         "over_ideal_pct,peak_blocks,extensions,fixed_capacity,failed,failed_bytes,grow_s,"
                         "fixed_s\n");
    if (!csv) {
        printf("trace        %s (%s bytes, format %llu, pid %llu)\n", path, commas(len, b1),
               (unsigned long long)rd.version, (unsigned long long)rd.pid);
        printf("command      %s\n", rd.cmd[0] ? rd.cmd : "?");
        printf("records      %s, %s objects, %llu thread%s\n", commas(scan.records, b1), commas(scan.objects, b2),
               (unsigned long long)scan.threads, scan.threads == 1 ? "" : "s");
        printf("peak live    %s bytes (%.2f MiB), at record %s\n", commas(scan.peak_live, b1),
               (double)scan.peak_live / 1048576.0, commas(scan.peak_live_at, b2));
        printf("perfect packing peak  %s bytes (%.1f%% over peak live: 16-byte headers, 16-byte granules,\n"
               "             48-byte minimum blocks)\n",
               commas(scan.peak_ideal, b1), pct(scan.peak_ideal, scan.peak_live));
        printf("fixed region %s bytes (%s)\n\n", commas(fixed, b1),
               region_mb > 0 ? "--region-mb" : base_live ? "factor x peak live" : "factor x perfect packing peak");
        printf("%-6s %16s %9s %9s %9s %16s %8s | %10s %14s\n", "style", "peak footprint", "frag #4", "frag #3",
               "over pack", "peak blocks", "grew", "failed", "failed bytes");
    }
    if (!quiet && big && !csv)
        fflush(stdout);
    int status = 0;
    for (int style = MEM_FIRST_FIT; style <= MEM_NEXT_FIT; style++) {
        if (only >= 0 && style != only)
            continue;
        sim_result_t g, f;
        pr.style = style;
        pr.mode = SIM_GROW;
        sim_config_t cg = { .style = style, .mode = SIM_GROW, .progress = !quiet && big ? show : NULL, .ctx = &pr };
        double t0 = now();
        if (sim_run(buf, len, &scan, &cg, &g)) {
            done_line(&pr);
            fprintf(stderr, "replay: %s: %s fit: %s\n", path, sim_style_name(style), g.error);
            status = 1;
            continue;
        }
        double t1 = now();
        pr.mode = SIM_FIXED;
        sim_config_t cf = cg;
        cf.mode = SIM_FIXED;
        cf.capacity = fixed;
        if (sim_run(buf, len, &scan, &cf, &f)) {
            done_line(&pr);
            fprintf(stderr, "replay: %s: %s fit, fixed region: %s\n", path, sim_style_name(style), f.error);
            status = 1;
            continue;
        }
        double t2 = now();
        done_line(&pr);
        if (out_csv)
            fprintf(out_csv, "%s,%s,%llu,%llu,%llu,%llu,%llu,%.2f,%.2f,%.2f,%llu,%llu,%zu,%llu,%llu,%.2f,%.2f\n",
                    name, sim_style_name(style), (unsigned long long)scan.records,
                    (unsigned long long)scan.objects, (unsigned long long)scan.peak_live,
                    (unsigned long long)scan.peak_ideal, (unsigned long long)g.peak_footprint,
                    pct(g.peak_footprint, scan.peak_live), pct(g.peak_footprint, g.live_at_peak_fp),
                    pct(g.peak_footprint, scan.peak_ideal), (unsigned long long)g.peak_blocks,
                    (unsigned long long)g.extensions, f.capacity, (unsigned long long)f.failed,
                    (unsigned long long)f.failed_bytes, t1 - t0, t2 - t1);
        if (!csv) {
            printf("%-6s %16s %8.2f%% %8.2f%% %8.2f%% %16s %8s | %10s %14s\n", sim_style_name(style),
                   commas(g.peak_footprint, b1), pct(g.peak_footprint, scan.peak_live),
                   pct(g.peak_footprint, g.live_at_peak_fp), pct(g.peak_footprint, scan.peak_ideal),
                   commas(g.peak_blocks, b2), commas(g.extensions, b3), commas(f.failed, b4),
                   commas(f.failed_bytes, b5));
            if (f.failed)
                printf("       first failure at record %llu: %llu bytes; free then %zu bytes in %zu blocks, "
                       "largest %zu\n",
                       (unsigned long long)f.first_fail_at, (unsigned long long)f.first_fail_size,
                       f.first_fail_stats.free_bytes, f.first_fail_stats.free_blocks,
                       f.first_fail_stats.largest_free);
        }
        fflush(stdout);
        if (out_csv)
            fflush(out_csv);
    }
    if (csv_path && out_csv)
        fclose(out_csv);
    if (!csv)
        printf("\nfrag #4 = peak footprint / peak live - 1; frag #3 = peak footprint / live at that moment - 1;\n"
               "over pack = peak footprint / perfect packing peak - 1; grew = times the heap had to grow.\n");
    hmt_unmap(buf, len);
    return status;
}
