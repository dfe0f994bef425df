/*
 * options.c - HARDMEM_OPTIONS, in the ASAN_OPTIONS style.
 *
 * One environment variable holds colon-separated key=value pairs:
 *
 *   on_error=abort|report|ignore  what a detected error does (abort)
 *   quarantine_kb=N               bytes of freed blocks each thread holds back (256)
 *   fill=N                        byte new blocks are filled with; default
 *                                 none: new memory reads as poison 0xdf
 *   check=local|full              full: the whole heap is validated at every
 *                                 call (slow; local is the default)
 *   leaks=0|1                     list blocks still live at exit (0)
 *   stacks=0|1                    record allocation/free call stacks (0)
 *   foreign=report|ignore         free/realloc of a pointer hardmem never
 *                                 handed out: report it, or leave it alone
 *   summary=0|1                   one-screen summary at exit (0)
 *   log=PATH                      reports go to PATH (appended), not fd 2
 *   large_kb=N                    requests of N KiB and more get their own
 *                                 mapping with a guard page (256)
 *   arenas=N                      independent heap sets, 1..64 (4)
 *   trace=PATH                    record every malloc-family call (trace.c)
 *
 * Parsing runs once, inside the first malloc, so it uses getenv and open(2)
 * only: no stdio, no allocation.  An unknown key or bad value is reported on
 * fd 2 and ignored, so a typo never silently changes behaviour.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "hardmem.h"

hm_options_t hm_opt = {
    .on_error = HM_ABORT,
    .quarantine_bytes = 256 * 1024,
    .fill = -1,
    .log_fd = 2,
    .large_threshold = 256 * 1024,
    .arenas = 4,
};

static dev_t log_dev;
static ino_t log_ino;

static void complain(const char *s, size_t n)
{
    char buf[256];
    fmt_t f = fmt_on(buf, sizeof buf);
    fmt_str(&f, "hardmem: ignoring bad HARDMEM_OPTIONS entry '");
    char item[128];
    size_t m = n < sizeof item - 1 ? n : sizeof item - 1;
    memcpy(item, s, m);
    item[m] = '\0';
    fmt_str(&f, item);
    fmt_str(&f, "'\n");
    fmt_flush(&f, 2);
}

/* Does [v, v+n) equal the string s? */
static bool is(const char *v, size_t n, const char *s) { return strlen(s) == n && !memcmp(v, s, n); }

/* Decimal (or 0x hex) number in [v, v+n); false when malformed. */
static bool number(const char *v, size_t n, size_t *out)
{
    size_t x = 0, base = 10, i = 0;
    if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == n)
        return false;
    for (; i < n; i++) {
        int d;
        char c = v[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        if (x > (SIZE_MAX - (size_t)d) / base)
            return false;
        x = x * base + (size_t)d;
    }
    *out = x;
    return true;
}

static bool flag(const char *v, size_t n, bool *out)
{
    if (is(v, n, "1") || is(v, n, "true") || is(v, n, "yes"))
        *out = true;
    else if (is(v, n, "0") || is(v, n, "false") || is(v, n, "no"))
        *out = false;
    else
        return false;
    return true;
}

/* Apply one key=value pair; false when it is not understood. */
static bool apply(const char *k, size_t kn, const char *v, size_t vn)
{
    size_t x;
    if (is(k, kn, "on_error")) {
        if (is(v, vn, "abort"))
            hm_opt.on_error = HM_ABORT;
        else if (is(v, vn, "report"))
            hm_opt.on_error = HM_REPORT;
        else if (is(v, vn, "ignore"))
            hm_opt.on_error = HM_IGNORE;
        else
            return false;
        return true;
    }
    if (is(k, kn, "quarantine_kb")) {
        if (!number(v, vn, &x) || x > ((size_t)1 << 30))
            return false;
        hm_opt.quarantine_bytes = x * 1024;
        return true;
    }
    if (is(k, kn, "fill")) {
        if (is(v, vn, "none")) {
            hm_opt.fill = -1;
            return true;
        }
        if (!number(v, vn, &x) || x > 255)
            return false;
        hm_opt.fill = (int)x;
        return true;
    }
    if (is(k, kn, "check")) {
        if (is(v, vn, "full"))
            hm_opt.check_full = true;
        else if (is(v, vn, "local") || is(v, vn, "default"))
            hm_opt.check_full = false;
        else
            return false;
        return true;
    }
    if (is(k, kn, "foreign")) {
        if (is(v, vn, "ignore"))
            hm_opt.foreign_ignore = true;
        else if (is(v, vn, "report"))
            hm_opt.foreign_ignore = false;
        else
            return false;
        return true;
    }
    if (is(k, kn, "leaks"))
        return flag(v, vn, &hm_opt.leaks);
    if (is(k, kn, "stacks"))
        return flag(v, vn, &hm_opt.stacks);
    if (is(k, kn, "summary"))
        return flag(v, vn, &hm_opt.summary);
    if (is(k, kn, "large_kb")) {
        if (!number(v, vn, &x) || x < 4 || x > ((size_t)1 << 20))
            return false;
        hm_opt.large_threshold = x * 1024;
        return true;
    }
    if (is(k, kn, "arenas")) {
        if (!number(v, vn, &x) || x < 1 || x > 64)
            return false;
        hm_opt.arenas = (unsigned)x;
        return true;
    }
    if (is(k, kn, "trace")) /* trace.c opens the file */
        return hm_trace_open(v, vn);
    if (is(k, kn, "log")) {
        char path[512];
        if (vn == 0 || vn >= sizeof path)
            return false;
        memcpy(path, v, vn);
        path[vn] = '\0';
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            return false;
        if (hm_opt.log_fd != 2)
            close(hm_opt.log_fd);
        hm_opt.log_fd = fd;
        return true;
    }
    return false;
}

void hm_options_init(void)
{
    /* Reports go to a private duplicate of fd 2: programs such as coreutils
     * close stderr in an atexit handler, before the exit summary. */
    int fd = fcntl(2, F_DUPFD_CLOEXEC, 100);
    if (fd >= 0)
        hm_opt.log_fd = fd;
    const char *s = getenv("HARDMEM_OPTIONS");
    if (!s)
        return;
    while (*s) {
        const char *end = strchr(s, ':');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', n);
        if (n && (!eq || !apply(s, (size_t)(eq - s), eq + 1, n - (size_t)(eq - s) - 1)))
            complain(s, n);
        s += n;
        if (*s == ':')
            s++;
    }
    struct stat st;
    if (fstat(hm_opt.log_fd, &st) == 0) {
        log_dev = st.st_dev;
        log_ino = st.st_ino;
    }
}

int hm_out_fd(void)
{
    /* A program that closes every descriptor may have reused ours for one of
     * its own files: never write a report into it. */
    struct stat st;
    if (hm_opt.log_fd != 2 && (fstat(hm_opt.log_fd, &st) || st.st_dev != log_dev || st.st_ino != log_ino))
        return 2;
    return hm_opt.log_fd;
}
