/*
 * trace_read.c - the HMTRACE1 reader, the one-pass scan and the writer
 * (see trace_read.h; the format is tools/trace/FORMAT.md).
 *
 * The reader trusts nothing: every varint is bounded by the end of the
 * buffer and by 10 bytes, every op code and flag combination is checked,
 * and an age must name an object that was created before.  The scan also
 * checks that a freed or reallocated object is alive, so a trace that
 * passes hmt_scan can be replayed without further checks of its ids.
 */
#include "trace_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(hmt_reader_t *r, const uint8_t *at, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->error, sizeof r->error, "byte %zu: %s", (size_t)(at - r->base), what);
    return -1;
}

int hmt_reader_init(hmt_reader_t *r, const void *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    r->base = r->p = buf;
    r->end = r->base + len;
    if (len < HMT_MAGIC_LEN || memcmp(buf, HMT_MAGIC, HMT_MAGIC_LEN))
        return fail(r, r->base, "not a trace (no \"%s\" magic)", HMT_MAGIC);
    r->p += HMT_MAGIC_LEN;
    uint64_t cmdlen;
    if (hmt_get(&r->p, r->end, &r->version) || hmt_get(&r->p, r->end, &r->pid) ||
        hmt_get(&r->p, r->end, &cmdlen))
        return fail(r, r->p, "truncated header");
    if (r->version != HMT_VERSION)
        return fail(r, r->base + HMT_MAGIC_LEN, "format version %llu, this reader knows %d",
                    (unsigned long long)r->version, HMT_VERSION);
    if (cmdlen > HMT_CMD_MAX || cmdlen > (uint64_t)(r->end - r->p))
        return fail(r, r->p, "bad command length %llu", (unsigned long long)cmdlen);
    memcpy(r->cmd, r->p, (size_t)cmdlen);
    r->cmd[cmdlen] = '\0';
    r->p += cmdlen;
    r->first = r->p;
    r->next_id = 1;
    return 0;
}

void hmt_rewind(hmt_reader_t *r)
{
    r->p = r->first;
    r->next_id = 1;
    r->tid = 0;
    r->index = 0;
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t x;
    return __builtin_mul_overflow(a, b, &x) ? UINT64_MAX : x;
}

static uint64_t effective(uint64_t n) { return n ? n : 1; }

int hmt_read(hmt_reader_t *r, hmt_rec_t *rec)
{
    for (;;) {
        if (r->p == r->end)
            return 0;
        const uint8_t *start = r->p;
        unsigned byte = *r->p, op = byte & HMT_OP_MASK;
        bool failed = byte & HMT_FAILED;
        int nf = hmt_fields(op);
        if (nf < 0)
            return fail(r, start, "unknown op 0x%02x", byte);
        if (failed && !hmt_allocates(op))
            return fail(r, start, "op %s cannot carry the failed flag", hmt_op_name(op));
        const uint8_t *q = start + 1;
        uint64_t f[3] = { 0, 0, 0 };
        for (int i = 0; i < nf; i++) {
            int e = hmt_get(&q, r->end, &f[i]);
            if (e == -1)
                return fail(r, start, "truncated %s record (the trace ends inside it)", hmt_op_name(op));
            if (e)
                return fail(r, start, "overlong varint in a %s record", hmt_op_name(op));
        }
        r->p = q;
        if (op == HMT_THREAD) {
            r->tid = f[0];
            continue;
        }
        memset(rec, 0, sizeof *rec);
        rec->op = op;
        rec->failed = failed;
        rec->tid = r->tid;
        rec->index = r->index;
        uint64_t age = 0;
        switch (op) {
        case HMT_MALLOC:
            rec->a = f[0];
            rec->size = effective(f[0]);
            break;
        case HMT_CALLOC:
            rec->a = f[0];
            rec->b = f[1];
            rec->size = effective(mul_sat(f[0], f[1]));
            break;
        case HMT_REALLOC:
            age = f[0];
            rec->a = f[1];
            rec->size = effective(f[1]);
            break;
        case HMT_REALLOCARRAY:
            age = f[0];
            rec->a = f[1];
            rec->b = f[2];
            rec->size = effective(mul_sat(f[1], f[2]));
            break;
        case HMT_MEMALIGN:
        case HMT_POSIX_MEMALIGN:
        case HMT_VALLOC:
        case HMT_PVALLOC:
            rec->a = rec->align = f[0];
            rec->b = f[1];
            rec->size = effective(f[1]);
            if (op == HMT_PVALLOC && f[0] && !(f[0] & (f[0] - 1)) && f[1] <= UINT64_MAX - f[0])
                rec->size = effective((f[1] + f[0] - 1) & ~(f[0] - 1));
            break;
        case HMT_FREE:
            age = f[0];
            break;
        default: /* HMT_FREE_UNTRACKED */
            break;
        }
        if (age) {
            if (age >= r->next_id)
                return fail(r, start, "%s names an object %llu before the first one", hmt_op_name(op),
                            (unsigned long long)(age - r->next_id + 1));
            rec->old = r->next_id - age;
        } else if (op == HMT_FREE) {
            return fail(r, start, "free of no object (age 0)");
        }
        if (hmt_allocates(op) && !failed)
            rec->id = r->next_id++;
        r->index++;
        return 1;
    }
}

const char *hmt_user_path(const char *path, char *buf, size_t n)
{
    const char *wd = getenv("BUILD_WORKING_DIRECTORY");
    if (!wd || !*wd || path[0] == '/' || (size_t)snprintf(buf, n, "%s/%s", wd, path) >= n)
        return path;
    return buf;
}

int hmt_map(const char *path, const void **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return e;
    }
    *len = (size_t)st.st_size;
    *buf = NULL;
    if (*len) {
        void *m = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return e;
        }
        *buf = m;
    } else {
        *buf = "";
    }
    close(fd);
    return 0;
}

void hmt_unmap(const void *buf, size_t len)
{
    if (len)
        munmap((void *)buf, len);
}

int hmt_open(const char *tool, const char **path, char *where, size_t n, hmt_reader_t *r, const void **buf,
             size_t *len)
{
    *path = hmt_user_path(*path, where, n);
    int e = hmt_map(*path, buf, len);
    if (e) {
        fprintf(stderr, "%s: %s: %s\n", tool, *path, strerror(e));
        return 1;
    }
    if (hmt_reader_init(r, *buf, *len)) {
        fprintf(stderr, "%s: %s: %s\n", tool, *path, r->error);
        hmt_unmap(*buf, *len);
        return 1;
    }
    return 0;
}

uint64_t hmt_block_bytes(uint64_t n)
{
    if (n > UINT64_MAX - 64)
        return UINT64_MAX;
    uint64_t b = (n + 16 + 15) & ~(uint64_t)15;
    return b < 48 ? 48 : b;
}

const char *hmt_op_name(unsigned op)
{
    static const char *const names[HMT_OP_END] = {
        [HMT_MALLOC] = "malloc",
        [HMT_CALLOC] = "calloc",
        [HMT_REALLOC] = "realloc",
        [HMT_REALLOCARRAY] = "reallocarray",
        [HMT_MEMALIGN] = "memalign",
        [HMT_POSIX_MEMALIGN] = "posix_memalign",
        [HMT_VALLOC] = "valloc",
        [HMT_PVALLOC] = "pvalloc",
        [HMT_FREE] = "free",
        [HMT_FREE_UNTRACKED] = "free_untracked",
        [HMT_THREAD] = "thread",
    };
    return op < HMT_OP_END && names[op] ? names[op] : "?";
}

/* ---------------- the scan ---------------- */

static const uint64_t DEAD = UINT64_MAX;

static int log2_floor(uint64_t x) { return x ? 63 - __builtin_clzll(x) : -1; }

typedef struct tidset {
    uint64_t *slot; /* 0 = empty; tid 0 is stored as UINT64_MAX */
    size_t cap, n;
} tidset_t;

static void tid_add(tidset_t *t, hmt_scan_t *s, uint64_t tid)
{
    uint64_t key = tid ? tid : UINT64_MAX;
    if (!t->slot || 2 * (t->n + 1) > t->cap) {
        if (t->cap >= 8192) { /* beyond 4096 threads: count records' thread changes no more */
            return;
        }
        size_t cap = t->cap ? 2 * t->cap : 64;
        uint64_t *slot = calloc(cap, sizeof *slot);
        if (!slot)
            return;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->slot[i])
                continue;
            size_t j = (size_t)(t->slot[i] * 0x9e3779b97f4a7c15ULL) & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = t->slot[i];
        }
        free(t->slot);
        t->slot = slot;
        t->cap = cap;
    }
    size_t j = (size_t)(key * 0x9e3779b97f4a7c15ULL) & (t->cap - 1);
    while (t->slot[j] && t->slot[j] != key)
        j = (j + 1) & (t->cap - 1);
    if (!t->slot[j]) {
        t->slot[j] = key;
        t->n++;
        s->threads++;
    }
}

int hmt_scan(hmt_reader_t *r, hmt_scan_t *s, void (*progress)(void *ctx, uint64_t done), void *ctx)
{
    memset(s, 0, sizeof *s);
    hmt_rewind(r);
    uint64_t *sz = NULL; /* effective size of object id, DEAD when not alive */
    size_t cap = 0;
    tidset_t tids = { 0 };
    uint64_t live = 0, ideal = 0, objects = 0, last_tid = 1;
    bool first = true;
    hmt_rec_t rec;
    int got;
    while ((got = hmt_read(r, &rec)) == 1) {
        s->records++;
        if (progress && !(s->records & 0xfffff))
            progress(ctx, s->records);
        if (first || rec.tid != last_tid) {
            tid_add(&tids, s, rec.tid);
            last_tid = rec.tid;
            first = false;
        }
        s->by_op[rec.op]++;
        if (rec.failed) {
            s->failed_by_op[rec.op]++;
            continue;
        }
        if (rec.old && (rec.old >= cap || sz[rec.old] == DEAD)) {
            hmt_rewind(r);
            free(sz);
            free(tids.slot);
            snprintf(r->error, sizeof r->error, "record %llu: %s of object %llu, which is not alive",
                     (unsigned long long)rec.index, hmt_op_name(rec.op), (unsigned long long)rec.old);
            return -1;
        }
        if (rec.id) {
            if (rec.id >= cap) {
                size_t ncap = cap ? 2 * cap : 1 << 16;
                uint64_t *nsz = realloc(sz, ncap * sizeof *sz);
                if (!nsz) {
                    free(sz);
                    free(tids.slot);
                    snprintf(r->error, sizeof r->error, "out of memory");
                    return -1;
                }
                for (size_t i = cap; i < ncap; i++)
                    nsz[i] = DEAD;
                sz = nsz;
                cap = ncap;
            }
            sz[rec.id] = rec.size;
            live += rec.size;
            ideal += hmt_block_bytes(rec.size);
            objects++;
            s->objects = rec.id;
            s->total_bytes += rec.size;
            if (rec.size > s->largest)
                s->largest = rec.size;
            s->hist[log2_floor(rec.size) + 1]++;
            if (rec.align)
                s->align_hist[log2_floor(rec.align) + 1]++;
            if (live > s->peak_live) {
                s->peak_live = live;
                s->peak_live_at = rec.index;
            }
            if (ideal > s->peak_ideal)
                s->peak_ideal = ideal;
            if (objects > s->peak_objects)
                s->peak_objects = objects;
        }
        if (rec.old) {
            live -= sz[rec.old];
            ideal -= hmt_block_bytes(sz[rec.old]);
            objects--;
            sz[rec.old] = DEAD;
        }
    }
    free(sz);
    free(tids.slot);
    if (got < 0)
        return -1;
    s->live_end = live;
    s->live_objects_end = objects;
    hmt_rewind(r);
    return 0;
}

/* ---------------- the writer ---------------- */

static bool reserve(hmt_writer_t *w, size_t n)
{
    if (!w->buf)
        return false;
    if (w->len + n <= w->cap)
        return true;
    size_t cap = w->cap * 2 + n;
    uint8_t *b = realloc(w->buf, cap);
    if (!b) {
        free(w->buf);
        w->buf = NULL;
        return false;
    }
    w->buf = b;
    w->cap = cap;
    return true;
}

bool hmt_w_init(hmt_writer_t *w, uint64_t pid, const char *cmd)
{
    size_t n = strlen(cmd);
    if (n > HMT_CMD_MAX)
        n = HMT_CMD_MAX;
    w->cap = 256 + n;
    w->buf = malloc(w->cap);
    w->len = 0;
    w->next_id = 1;
    w->tid = 0;
    if (!w->buf)
        return false;
    memcpy(w->buf, HMT_MAGIC, HMT_MAGIC_LEN);
    w->len = HMT_MAGIC_LEN;
    w->len += hmt_put(w->buf + w->len, HMT_VERSION);
    w->len += hmt_put(w->buf + w->len, pid);
    w->len += hmt_put(w->buf + w->len, n);
    memcpy(w->buf + w->len, cmd, n);
    w->len += n;
    return true;
}

uint64_t hmt_w_rec(hmt_writer_t *w, unsigned op, bool failed, uint64_t old, uint64_t a, uint64_t b)
{
    if (!reserve(w, HMT_REC_MAX))
        return 0;
    uint64_t age = old ? w->next_id - old : 0;
    w->buf[w->len++] = (uint8_t)(op | (failed ? HMT_FAILED : 0));
    switch (op) {
    case HMT_MALLOC:
        w->len += hmt_put(w->buf + w->len, a);
        break;
    case HMT_REALLOC:
        w->len += hmt_put(w->buf + w->len, age);
        w->len += hmt_put(w->buf + w->len, a);
        break;
    case HMT_REALLOCARRAY:
        w->len += hmt_put(w->buf + w->len, age);
        w->len += hmt_put(w->buf + w->len, a);
        w->len += hmt_put(w->buf + w->len, b);
        break;
    case HMT_FREE:
        w->len += hmt_put(w->buf + w->len, age);
        break;
    case HMT_FREE_UNTRACKED:
        break;
    default: /* calloc, memalign family: two fields */
        w->len += hmt_put(w->buf + w->len, a);
        w->len += hmt_put(w->buf + w->len, b);
        break;
    }
    return hmt_allocates(op) && !failed ? w->next_id++ : 0;
}

void hmt_w_thread(hmt_writer_t *w, uint64_t tid)
{
    if (tid == w->tid || !reserve(w, 11))
        return;
    w->buf[w->len++] = HMT_THREAD;
    w->len += hmt_put(w->buf + w->len, tid);
    w->tid = tid;
}

void hmt_w_free_buf(hmt_writer_t *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}
