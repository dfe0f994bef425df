/*
 * format_test.c - the trace format round trip: the recorder (trace.c, through
 * its hm_trace_* entry points over the real checked heap) writes, the reader
 * (tools/trace/trace_read.c) reads back exactly the calls that were made.
 *
 * Covered: varint coding at every length and its error cases; the exact
 * bytes of the first records (the format as FORMAT.md documents it); every
 * op, failed calls (with errno kept), realloc(p, 0) as a free, free(NULL)
 * not recorded, frees of pointers the trace never saw; four threads
 * recording at once (each record's thread, every object freed by the
 * thread that made it); the reader's errors on damaged traces.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "expect.h"
#include "hardmem.h"
#include "trace_format.h"
#include "trace_read.h"

static void varints(void)
{
    static const struct {
        uint64_t v;
        size_t len;
    } cases[] = {
        { 0, 1 }, { 1, 1 }, { 127, 1 }, { 128, 2 }, { 16383, 2 }, { 16384, 3 }, { (uint64_t)1 << 32, 5 },
        { ((uint64_t)1 << 63) - 1, 9 }, { (uint64_t)1 << 63, 10 }, { UINT64_MAX, 10 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[16];
        size_t n = hmt_put(buf, cases[i].v);
        EXPECT_EQ(n, cases[i].len);
        const uint8_t *p = buf;
        uint64_t v = 0;
        EXPECT_EQ(hmt_get(&p, buf + n, &v), 0);
        EXPECT_EQ(v, cases[i].v);
        EXPECT_EQ(p - buf, n);
        p = buf; /* truncated by one byte */
        EXPECT_EQ(hmt_get(&p, buf + n - 1, &v), (uint64_t)-1);
        EXPECT(p == buf);
    }
    uint8_t over[11];
    memset(over, 0x80, sizeof over);
    const uint8_t *p = over;
    uint64_t v;
    EXPECT_EQ(hmt_get(&p, over + 11, &v), (uint64_t)-2); /* 11 bytes */
    uint8_t big[10];
    memset(big, 0xff, 9);
    big[9] = 0x02; /* bit 64 */
    p = big;
    EXPECT_EQ(hmt_get(&p, big + 10, &v), (uint64_t)-2);
}

/* ---------------- one thread, every op ---------------- */

typedef struct expect_rec {
    unsigned op;
    bool failed;
    uint64_t id, old, a, b;
} expect_rec_t;

static const void *HERE = (const void *)0x1234;

static void every_op(const char *path)
{
    EXPECT(hm_trace_open(path, strlen(path)));
    void *p1 = hm_trace_malloc(100, HERE);
    void *p2 = hm_trace_calloc(3, 40, HERE);
    void *p3 = hm_trace_realloc(p1, 5000, HERE);
    void *p4 = hm_trace_realloc(NULL, 10, HERE);
    void *p5 = hm_trace_memalign(64, 200, HERE);
    void *p6 = NULL;
    EXPECT_EQ(hm_trace_posix_memalign(&p6, 128, 300, HERE), 0);
    void *p7 = hm_trace_valloc(50, HERE);
    void *p8 = hm_trace_pvalloc(5000, HERE);
    void *p9 = hm_trace_reallocarray(p4, 7, 11, HERE);
    EXPECT(p1 && p2 && p3 && p4 && p5 && p6 && p7 && p8 && p9);
    EXPECT_EQ((uintptr_t)p5 % 64, 0);
    EXPECT_EQ((uintptr_t)p6 % 128, 0);
    errno = 0;
    void *q = hm_trace_malloc((size_t)PTRDIFF_MAX + 1, HERE); /* fails: ENOMEM */
    EXPECT(q == NULL);
    EXPECT_EQ(errno, ENOMEM);
    errno = 0;
    void *r = hm_trace_realloc(p9, (size_t)PTRDIFF_MAX + 1, HERE); /* fails, p9 lives on */
    EXPECT(r == NULL);
    EXPECT_EQ(errno, ENOMEM);
    void *x = NULL;
    EXPECT_EQ(hm_trace_posix_memalign(&x, 3, 10, HERE), EINVAL);
    void *u = hm_malloc_at(33, HERE); /* not traced */
    errno = 77;
    hm_trace_free(u, HERE);           /* free_untracked */
    EXPECT_EQ(errno, 77);             /* free keeps errno */
    EXPECT(hm_trace_realloc(p2, 0, HERE) == NULL); /* frees p2 */
    hm_trace_free(NULL, HERE);                     /* not recorded */
    hm_trace_free(p3, HERE);
    hm_trace_free(p5, HERE);
    hm_trace_free(p6, HERE);
    hm_trace_free(p7, HERE);
    hm_trace_free(p8, HERE);
    hm_trace_free(p9, HERE);
    void *big = hm_trace_malloc(1 << 20, HERE); /* a large block: its own mapping */
    hm_trace_free(big, HERE);
    hm_trace_stop();

    const expect_rec_t want[] = {
        { HMT_MALLOC, false, 1, 0, 100, 0 },
        { HMT_CALLOC, false, 2, 0, 3, 40 },
        { HMT_REALLOC, false, 3, 1, 5000, 0 },
        { HMT_REALLOC, false, 4, 0, 10, 0 },
        { HMT_MEMALIGN, false, 5, 0, 64, 200 },
        { HMT_POSIX_MEMALIGN, false, 6, 0, 128, 300 },
        { HMT_VALLOC, false, 7, 0, (uint64_t)sysconf(_SC_PAGESIZE), 50 },
        { HMT_PVALLOC, false, 8, 0, (uint64_t)sysconf(_SC_PAGESIZE), 5000 },
        { HMT_REALLOCARRAY, false, 9, 4, 7, 11 },
        { HMT_MALLOC, true, 0, 0, (uint64_t)PTRDIFF_MAX + 1, 0 },
        { HMT_REALLOC, true, 0, 9, (uint64_t)PTRDIFF_MAX + 1, 0 },
        { HMT_POSIX_MEMALIGN, true, 0, 0, 3, 10 },
        { HMT_FREE_UNTRACKED, false, 0, 0, 0, 0 },
        { HMT_FREE, false, 0, 2, 0, 0 },
        { HMT_FREE, false, 0, 3, 0, 0 },
        { HMT_FREE, false, 0, 5, 0, 0 },
        { HMT_FREE, false, 0, 6, 0, 0 },
        { HMT_FREE, false, 0, 7, 0, 0 },
        { HMT_FREE, false, 0, 8, 0, 0 },
        { HMT_FREE, false, 0, 9, 0, 0 },
        { HMT_MALLOC, false, 10, 0, 1 << 20, 0 },
        { HMT_FREE, false, 0, 10, 0, 0 },
    };
    const size_t nwant = sizeof want / sizeof want[0];

    const void *buf;
    size_t len;
    EXPECT_EQ(hmt_map(path, &buf, &len), 0);
    hmt_reader_t rd;
    EXPECT_EQ(hmt_reader_init(&rd, buf, len), 0);
    EXPECT_EQ(rd.version, 1);
    EXPECT_EQ(rd.pid, (uint64_t)getpid());
    EXPECT(strstr(rd.cmd, "format_test") != NULL);

    /* The bytes right after the header: a thread record, then
     *   01 64              malloc 100
     *   02 03 28           calloc 3 40
     *   03 02 88 27        realloc, age 3-1 = 2, 5000 = 0x1388 -> 88 27
     *   03 00 0a           realloc of NULL, 10 */
    const uint8_t *p = rd.first;
    EXPECT_EQ(p[0], HMT_THREAD);
    uint64_t tid;
    p++;
    EXPECT_EQ(hmt_get(&p, rd.end, &tid), 0);
    EXPECT_EQ(tid, (uint64_t)syscall(SYS_gettid));
    static const uint8_t bytes[] = { 0x01, 0x64, 0x02, 0x03, 0x28, 0x03, 0x02, 0x88, 0x27, 0x03, 0x00, 0x0a };
    EXPECT((size_t)(rd.end - p) >= sizeof bytes && !memcmp(p, bytes, sizeof bytes));

    hmt_rec_t rec;
    size_t i = 0;
    int got;
    while ((got = hmt_read(&rd, &rec)) == 1) {
        if (i < nwant) {
            EXPECT_EQ(rec.op, want[i].op);
            EXPECT_EQ(rec.failed, want[i].failed);
            EXPECT_EQ(rec.id, want[i].id);
            EXPECT_EQ(rec.old, want[i].old);
            EXPECT_EQ(rec.a, want[i].a);
            EXPECT_EQ(rec.b, want[i].b);
            EXPECT_EQ(rec.tid, tid);
            if (rec.op != want[i].op || rec.id != want[i].id || rec.old != want[i].old)
                fprintf(stderr, "  (record %zu)\n", i);
        }
        i++;
    }
    EXPECT_EQ(got, 0);
    EXPECT_EQ(i, nwant);
    /* effective sizes */
    hmt_rewind(&rd);
    hmt_scan_t s;
    EXPECT_EQ(hmt_scan(&rd, &s, NULL, NULL), 0);
    EXPECT_EQ(s.objects, 10);
    EXPECT_EQ(s.live_objects_end, 0);
    EXPECT_EQ(s.failed_by_op[HMT_MALLOC], 1);
    EXPECT_EQ(s.by_op[HMT_FREE_UNTRACKED], 1);
    EXPECT_EQ(s.threads, 1);
    hmt_unmap(buf, len);
}

/* ---------------- threads ---------------- */

enum { THREADS = 4, ROUNDS = 3000 };

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    void *keep[8] = { 0 };
    for (int i = 0; i < ROUNDS; i++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)(seed >> 16) % 8;
        if (keep[k])
            hm_trace_free(keep[k], HERE);
        keep[k] = (seed & 1) ? hm_trace_malloc(1 + (seed >> 20) % 700, HERE)
                             : hm_trace_realloc(NULL, 1 + (seed >> 21) % 300, HERE);
    }
    for (int k = 0; k < 8; k++)
        hm_trace_free(keep[k], HERE);
    return NULL;
}

static void threads(const char *path)
{
    EXPECT(hm_trace_open(path, strlen(path)));
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    hm_trace_stop();

    const void *buf;
    size_t len;
    EXPECT_EQ(hmt_map(path, &buf, &len), 0);
    hmt_reader_t rd;
    EXPECT_EQ(hmt_reader_init(&rd, buf, len), 0);
    hmt_scan_t s;
    EXPECT_EQ(hmt_scan(&rd, &s, NULL, NULL), 0); /* ids consistent: every free names a live object */
    EXPECT_EQ(s.threads, THREADS);
    EXPECT_EQ(s.by_op[HMT_MALLOC] + s.by_op[HMT_REALLOC], THREADS * ROUNDS);
    EXPECT_EQ(s.by_op[HMT_FREE], THREADS * ROUNDS);
    EXPECT_EQ(s.live_objects_end, 0);
    /* Each object is freed by the thread that made it. */
    uint64_t *owner = calloc((size_t)s.objects + 1, sizeof *owner);
    hmt_rec_t rec;
    uint64_t wrong = 0;
    while (hmt_read(&rd, &rec) == 1) {
        if (rec.id)
            owner[rec.id] = rec.tid;
        if (rec.old && owner[rec.old] != rec.tid)
            wrong++;
    }
    EXPECT_EQ(wrong, 0);
    free(owner);
    hmt_unmap(buf, len);
}

/* ---------------- damaged traces ---------------- */

static int read_all(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    hmt_reader_t rd;
    if (hmt_reader_init(&rd, buf, len)) {
        snprintf(err, errlen, "%s", rd.error);
        return -1;
    }
    hmt_rec_t rec;
    int got;
    while ((got = hmt_read(&rd, &rec)) == 1) {
    }
    snprintf(err, errlen, "%s", rd.error);
    return got;
}

static void damaged(void)
{
    hmt_writer_t w;
    hmt_w_init(&w, 42, "damaged");
    uint64_t a = hmt_w_malloc(&w, 300);
    hmt_w_free(&w, a);
    char err[200];
    EXPECT_EQ(read_all(w.buf, w.len, err, sizeof err), 0);
    EXPECT_EQ(read_all(w.buf, w.len - 1, err, sizeof err), (uint64_t)-1); /* ends inside the free */
    EXPECT(strstr(err, "truncated") != NULL);
    size_t first = w.len - 5; /* the malloc record: 01 ac 02 | 09 01 */
    EXPECT_EQ(w.buf[first], HMT_MALLOC);
    w.buf[first] = 0x3f; /* unknown op */
    EXPECT_EQ(read_all(w.buf, w.len, err, sizeof err), (uint64_t)-1);
    EXPECT(strstr(err, "unknown op") != NULL);
    w.buf[first] = HMT_MALLOC;
    w.buf[w.len - 1] = 5; /* free with an age beyond the first object */
    EXPECT_EQ(read_all(w.buf, w.len, err, sizeof err), (uint64_t)-1);
    w.buf[w.len - 1] = 1;
    w.buf[3] = 'X'; /* magic */
    EXPECT_EQ(read_all(w.buf, w.len, err, sizeof err), (uint64_t)-1);
    EXPECT(strstr(err, "magic") != NULL);
    w.buf[3] = 'R';
    w.buf[HMT_MAGIC_LEN] = 2; /* version */
    EXPECT_EQ(read_all(w.buf, w.len, err, sizeof err), (uint64_t)-1);
    EXPECT(strstr(err, "version") != NULL);
    hmt_w_free_buf(&w);
    /* A double free in a trace is caught by the scan. */
    hmt_w_init(&w, 42, "double");
    a = hmt_w_malloc(&w, 10);
    hmt_w_free(&w, a);
    hmt_w_free(&w, a);
    hmt_reader_t rd;
    hmt_scan_t s;
    EXPECT_EQ(hmt_reader_init(&rd, w.buf, w.len), 0);
    EXPECT_EQ(hmt_scan(&rd, &s, NULL, NULL), (uint64_t)-1);
    EXPECT(strstr(rd.error, "not alive") != NULL);
    hmt_w_free_buf(&w);
}

int main(void)
{
    const char *dir = getenv("TEST_TMPDIR");
    if (!dir)
        dir = "/tmp";
    char one[512], many[512];
    snprintf(one, sizeof one, "%s/format_test.%d.hmt", dir, (int)getpid());
    snprintf(many, sizeof many, "%s/format_test_threads.%d.hmt", dir, (int)getpid());
    varints();
    every_op(one);
    threads(many);
    damaged();
    return expect_done("format_test");
}
