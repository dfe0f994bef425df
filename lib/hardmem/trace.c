/*
 * trace.c - HARDMEM_OPTIONS=trace=PATH: record every malloc-family call of
 * the program into a compact binary trace, for tools/trace (replay against
 * the region heap's placement styles, summaries).
 *
 * WHAT IS RECORDED
 * Every call of the glibc names in interpose.c that allocates or frees:
 * malloc, calloc, realloc, reallocarray, memalign/aligned_alloc,
 * posix_memalign, valloc, pvalloc, and free with its aliases (cfree,
 * free_sized, free_aligned_sized, __libc_*).  Each record names the op, its
 * sizes and alignment, and the object it frees; objects get ids instead of
 * addresses, so a replay needs no addresses.  free(NULL) is not recorded;
 * realloc(p, 0), which frees p, is recorded as a free.  C++ new/delete
 * arrive here through malloc/free.
 *
 * THE FORMAT (HMTRACE1; the op codes and varint coding are in
 * trace_format.h, the full description in tools/trace/FORMAT.md)
 *   header  "HMTRACE1", then varints: version 1, pid, command length L, and
 *           L bytes of /proc/self/cmdline with the NULs made spaces.
 *   record  an op byte (bit 7: the call failed), then varint fields:
 *             malloc size | calloc nmemb size | realloc old size |
 *             reallocarray old nmemb size | memalign, posix_memalign,
 *             valloc, pvalloc: align size | free old | free_untracked |
 *             thread tid
 *   Every allocation record that did not fail creates the next object id
 *   (1, 2, 3, ...), implicitly; `old` is written as the object's age (next
 *   id - its id), 0 for none.  A thread record (the kernel tid) precedes
 *   the first record and every record whose thread differs from the
 *   previous one's.
 *
 * INVARIANTS
 *   T1  The map holds exactly the live traced objects: pointer -> id, each
 *       pointer once (open addressing, linear probing, deletion by
 *       backward shift; at most half full; mapped with mmap).
 *   T2  The buffer holds whole records only; it is written with write(2)
 *       when it cannot take one more record, before fork, and at exit; after
 *       the exit flush every record is written at once (frees made by later
 *       exit handlers are kept).  So the file always ends on a record
 *       boundary, unless the process dies by a signal, _exit or exec with a
 *       partly full buffer: the trace then just ends earlier.
 *   T3  One lock orders everything: records, ids and the map change
 *       together, so the file's order is an order the calls really had.
 *       An allocation is recorded after it returns and a free before it
 *       happens, so a pointer is never reused before its free is recorded.
 *       realloc takes its old object out of the map before the call and
 *       records after it (put back when the call fails).
 *
 * COST.  The wrappers in interpose.c test hm_gate's HM_GATE_TRACE bit (one
 * load and one predictable branch) and come here only while it is set.
 * While it is set, malloc and free skip the slot fast path.  It starts set,
 * so the very first calls (before HARDMEM_OPTIONS is parsed) come here; the
 * first call that finds tracing off clears it.  Nothing here allocates or
 * uses stdio; errno is preserved, so the program sees glibc's semantics.
 *
 * FILES.  `%p` in PATH is replaced by the process id, so every process
 * (forked children included) writes its own trace.  Without `%p`, the first
 * process takes PATH (truncating it) and holds an flock on it; a process
 * that finds PATH locked by a live tracer (a program started by the traced
 * one, which inherits HARDMEM_OPTIONS) writes to PATH.PID instead, and a
 * forked child stops tracing (its copy of the descriptor shares the
 * parent's file offset).  The descriptor is moved above 100 and marked
 * close-on-exec; if the program closes or replaces it, tracing stops with a
 * note on the report descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt.h"
#include "hardmem.h"
#include "trace_format.h"

enum {
    BUF_BYTES = 1 << 16,
    MAP_FIRST_BITS = 16,
    PATH_MAX_T = 512,
};

typedef struct slot {
    uintptr_t key; /* 0: empty */
    uint64_t id;
} slot_t;

static struct {
    pthread_mutex_t lock;
    int fd;       /* -1: not tracing */
    int active;   /* fd >= 0, readable without the lock */
    bool direct;  /* after the exit flush: write every record at once */
    bool per_pid; /* the path has %p */
    dev_t dev;
    ino_t ino;
    uint8_t *buf;
    size_t len;
    slot_t *map;
    unsigned bits;
    size_t used;
    uint64_t next_id;
    long tid; /* thread of the previous record, 0 at the start */
    char path[PATH_MAX_T];
} T = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static __thread long my_tid HM_TLS;
static int atfork_done;

/* ---------------- output ---------------- */

static void note(const char *what)
{
    char buf[256];
    fmt_t f = fmt_on(buf, sizeof buf);
    fmt_str(&f, "hardmem: trace: ");
    fmt_str(&f, what);
    fmt_str(&f, "\n");
    fmt_flush(&f, hm_out_fd());
}

/* Stop tracing (lock held): the file keeps what was written. */
static void stop(const char *why)
{
    if (why)
        note(why);
    if (T.fd >= 0)
        close(T.fd);
    T.fd = -1;
    T.len = 0;
    __atomic_store_n(&T.active, 0, __ATOMIC_RELAXED);
    hm_set_tracing(false);
}

static void flush_locked(void);

/* The map cannot grow: keep what was recorded and stop (lock held). */
static void no_map(void)
{
    flush_locked();
    stop("stopped: no memory for the object map");
}

static void flush_locked(void)
{
    if (T.fd < 0 || !T.len)
        return;
    struct stat st;
    if (fstat(T.fd, &st) || st.st_dev != T.dev || st.st_ino != T.ino) {
        stop("stopped: the program closed or replaced the trace's descriptor");
        return;
    }
    size_t off = 0;
    while (off < T.len) {
        ssize_t w = write(T.fd, T.buf + off, T.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            stop("stopped: writing the trace failed");
            return;
        }
        off += (size_t)w;
    }
    T.len = 0;
}

/* ---------------- the pointer -> id map (T1) ---------------- */

static size_t slot_of(uintptr_t key, unsigned bits)
{
    return (size_t)(((key >> 4) * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

static slot_t *map_new(unsigned bits)
{
    void *m = mmap(NULL, sizeof(slot_t) << bits, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

static void map_reset(void)
{
    if (T.map)
        munmap(T.map, sizeof(slot_t) << T.bits);
    T.bits = MAP_FIRST_BITS;
    T.used = 0;
    T.map = map_new(T.bits);
}

static void map_put_in(slot_t *map, unsigned bits, uintptr_t key, uint64_t id)
{
    size_t mask = ((size_t)1 << bits) - 1;
    for (size_t i = slot_of(key, bits);; i = (i + 1) & mask) {
        if (!map[i].key || map[i].key == key) {
            map[i].key = key;
            map[i].id = id;
            return;
        }
    }
}

/* Insert (lock held); false when the map cannot grow. */
static bool map_put(const void *p, uint64_t id)
{
    if (2 * (T.used + 1) > ((size_t)1 << T.bits)) {
        slot_t *bigger = map_new(T.bits + 1);
        if (!bigger)
            return false;
        for (size_t i = 0; i < ((size_t)1 << T.bits); i++)
            if (T.map[i].key)
                map_put_in(bigger, T.bits + 1, T.map[i].key, T.map[i].id);
        munmap(T.map, sizeof(slot_t) << T.bits);
        T.map = bigger;
        T.bits++;
    }
    map_put_in(T.map, T.bits, (uintptr_t)p, id);
    T.used++;
    return true;
}

/* Remove p and return its id, or 0 when it is not there (lock held). */
static uint64_t map_take(const void *p)
{
    uintptr_t key = (uintptr_t)p;
    size_t mask = ((size_t)1 << T.bits) - 1, i = slot_of(key, T.bits);
    while (T.map[i].key != key) {
        if (!T.map[i].key)
            return 0;
        i = (i + 1) & mask;
    }
    uint64_t id = T.map[i].id;
    /* Backward shift: move later entries of the probe run into the hole
     * unless their home slot lies cyclically in (hole, their slot]. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (!T.map[j].key)
            break;
        size_t home = slot_of(T.map[j].key, T.bits);
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            T.map[i] = T.map[j];
            i = j;
        }
    }
    T.map[i].key = 0;
    T.used--;
    return id;
}

/* ---------------- records ---------------- */

/* Room for one record (lock held); false when tracing stopped. */
static bool room(void)
{
    if (T.len + HMT_REC_MAX + 11 > BUF_BYTES)
        flush_locked();
    return T.fd >= 0;
}

static void done(void)
{
    if (T.direct)
        flush_locked();
}

/* Start a record of op (lock held): a thread record first if needed. */
static bool begin(unsigned op)
{
    if (!room())
        return false;
    if (!my_tid)
        my_tid = syscall(SYS_gettid);
    if (T.tid != my_tid) {
        T.buf[T.len++] = HMT_THREAD;
        T.len += hmt_put(T.buf + T.len, (uint64_t)my_tid);
        T.tid = my_tid;
    }
    T.buf[T.len++] = (uint8_t)op;
    return true;
}

static void field(uint64_t v) { T.len += hmt_put(T.buf + T.len, v); }

static uint64_t age(uint64_t id) { return id ? T.next_id - id : 0; }

/* The new object p of an allocation record that was just written (p NULL:
 * the call failed and the record says so). */
static void created(const void *p)
{
    if (!p)
        return;
    if (!map_put(p, T.next_id))
        no_map();
    T.next_id++;
}

/* ---------------- opening ---------------- */

/* PATH with %p replaced by pid (and %% by %); false when too long. */
static bool expand(const char *tmpl, long pid, char *out, size_t cap)
{
    fmt_t f = fmt_on(out, cap);
    char one[2] = { 0, 0 };
    for (const char *s = tmpl; *s; s++) {
        if (s[0] == '%' && s[1] == 'p') {
            fmt_u64(&f, (uint64_t)pid);
            s++;
        } else {
            if (s[0] == '%' && s[1] == '%')
                s++;
            one[0] = *s;
            fmt_str(&f, one);
        }
    }
    return f.len < cap;
}

static void header(long pid)
{
    memcpy(T.buf, HMT_MAGIC, HMT_MAGIC_LEN);
    T.len = HMT_MAGIC_LEN;
    field(HMT_VERSION);
    field((uint64_t)pid);
    char cmd[HMT_CMD_MAX];
    ssize_t n = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, cmd, sizeof cmd);
        close(fd);
    }
    if (n < 0)
        n = 0;
    while (n > 0 && cmd[n - 1] == '\0')
        n--;
    for (ssize_t i = 0; i < n; i++)
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    field((uint64_t)n);
    memcpy(T.buf + T.len, cmd, (size_t)n);
    T.len += (size_t)n;
}

/* Open the file for this process and start an empty trace (lock held or
 * single-threaded). */
static bool start(void)
{
    long pid = getpid();
    char path[PATH_MAX_T + 32];
    if (!expand(T.path, pid, path, sizeof path))
        return false;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    if (!T.per_pid && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        /* Another live process traces into PATH: use PATH.PID. */
        close(fd);
        char alt[sizeof path + 24];
        fmt_t f = fmt_on(alt, sizeof alt);
        fmt_str(&f, path);
        fmt_str(&f, ".");
        fmt_u64(&f, (uint64_t)pid);
        if (f.len >= sizeof alt)
            return false;
        fd = open(alt, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return false;
    } else if (ftruncate(fd, 0)) {
        close(fd);
        return false;
    }
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return false;
    }
    if (!T.buf) {
        void *m = mmap(NULL, BUF_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        T.buf = m == MAP_FAILED ? NULL : m;
    }
    map_reset();
    if (!T.buf || !T.map) {
        close(fd);
        return false;
    }
    T.fd = fd;
    T.dev = st.st_dev;
    T.ino = st.st_ino;
    T.next_id = 1;
    T.tid = 0;
    T.direct = false;
    header(pid);
    flush_locked(); /* a process that ends by _exit still leaves a valid, empty trace */
    __atomic_store_n(&T.active, 1, __ATOMIC_RELAXED);
    return T.fd >= 0;
}

bool hm_trace_open(const char *path, size_t n)
{
    if (n == 0 || n >= sizeof T.path || T.fd >= 0)
        return false;
    memcpy(T.path, path, n);
    T.path[n] = '\0';
    T.per_pid = strstr(T.path, "%p") != NULL;
    pthread_mutex_lock(&T.lock);
    bool ok = start();
    pthread_mutex_unlock(&T.lock);
    if (ok)
        hm_set_tracing(true);
    return ok;
}

void hm_trace_stop(void)
{
    pthread_mutex_lock(&T.lock);
    flush_locked();
    stop(NULL);
    pthread_mutex_unlock(&T.lock);
}

/* ---------------- fork and exit ---------------- */

static void fork_prepare(void)
{
    pthread_mutex_lock(&T.lock);
    flush_locked();
}

static void fork_parent(void) { pthread_mutex_unlock(&T.lock); }

static void fork_child(void)
{
    my_tid = 0;
    if (T.fd >= 0) {
        close(T.fd);
        T.fd = -1;
        T.len = 0;
        if (!T.per_pid || !start())
            stop(NULL);
    }
    pthread_mutex_unlock(&T.lock);
}

__attribute__((destructor)) static void trace_fini(void)
{
    pthread_mutex_lock(&T.lock);
    flush_locked();
    T.direct = true;
    pthread_mutex_unlock(&T.lock);
}

/* Is this process tracing?  Initialises hardmem (and so parses
 * HARDMEM_OPTIONS) first; clears HM_GATE_TRACE when not. */
static bool tracing(void)
{
    hm_ensure_init();
    if (!__atomic_load_n(&T.active, __ATOMIC_RELAXED)) {
        hm_set_tracing(false);
        return false;
    }
    /* Registered here, after hm_init (which must not allocate), and not
     * under our lock: pthread_atfork may call malloc, which comes back here. */
    if (!__atomic_load_n(&atfork_done, __ATOMIC_ACQUIRE) && !__atomic_exchange_n(&atfork_done, 1, __ATOMIC_ACQ_REL))
        pthread_atfork(fork_prepare, fork_parent, fork_child);
    return true;
}

/* ---------------- the traced entry points ---------------- */

/* Record an allocation that returned p (NULL: failed) with nf fields. */
static void rec_alloc(unsigned op, const void *p, int nf, uint64_t a, uint64_t b)
{
    int saved = errno;
    pthread_mutex_lock(&T.lock);
    if (begin(op | (p ? 0 : HMT_FAILED))) {
        field(a);
        if (nf > 1)
            field(b);
        created(p);
        done();
    }
    pthread_mutex_unlock(&T.lock);
    errno = saved;
}

void *hm_trace_malloc(size_t n, const void *caller)
{
    void *p = hm_malloc_at(n, caller);
    if (tracing())
        rec_alloc(HMT_MALLOC, p, 1, n, 0);
    return p;
}

void *hm_trace_calloc(size_t n, size_t m, const void *caller)
{
    void *p = hm_calloc_at(n, m, caller);
    if (tracing())
        rec_alloc(HMT_CALLOC, p, 2, n, m);
    return p;
}

void *hm_trace_memalign(size_t a, size_t n, const void *caller)
{
    void *p = hm_memalign_at(a, n, caller);
    if (tracing())
        rec_alloc(HMT_MEMALIGN, p, 2, a, n);
    return p;
}

int hm_trace_posix_memalign(void **out, size_t a, size_t n, const void *caller)
{
    int r = hm_posix_memalign_at(out, a, n, caller);
    if (tracing())
        rec_alloc(HMT_POSIX_MEMALIGN, r ? NULL : *out, 2, a, n);
    return r;
}

void *hm_trace_valloc(size_t n, const void *caller)
{
    void *p = hm_valloc_at(n, caller);
    if (tracing())
        rec_alloc(HMT_VALLOC, p, 2, (uint64_t)sysconf(_SC_PAGESIZE), n);
    return p;
}

void *hm_trace_pvalloc(size_t n, const void *caller)
{
    void *p = hm_pvalloc_at(n, caller);
    if (tracing())
        rec_alloc(HMT_PVALLOC, p, 2, (uint64_t)sysconf(_SC_PAGESIZE), n);
    return p;
}

/* Record the free of p (before it happens, T3). */
static void rec_free(const void *p)
{
    int saved = errno;
    pthread_mutex_lock(&T.lock);
    uint64_t id = map_take(p);
    if (begin(id ? HMT_FREE : HMT_FREE_UNTRACKED)) {
        if (id)
            field(age(id));
        done();
    }
    pthread_mutex_unlock(&T.lock);
    errno = saved;
}

void hm_trace_free(void *p, const void *caller)
{
    if (p && tracing())
        rec_free(p);
    hm_free_at(p, caller);
}

/* realloc and reallocarray: n * m bytes (m == 1 for realloc). */
static void *re(void *p, size_t n, size_t m, bool array, const void *caller)
{
    if (!tracing())
        return array ? hm_reallocarray_at(p, n, m, caller) : hm_realloc_at(p, n, caller);
    int saved = errno;
    uint64_t id = 0;
    if (p) {
        pthread_mutex_lock(&T.lock);
        id = map_take(p);
        pthread_mutex_unlock(&T.lock);
    }
    errno = saved;
    void *q = array ? hm_reallocarray_at(p, n, m, caller) : hm_realloc_at(p, n, caller);
    saved = errno;
    size_t total;
    bool frees = p && !__builtin_mul_overflow(n, m, &total) && total == 0; /* realloc(p, 0) */
    pthread_mutex_lock(&T.lock);
    if (frees) {
        if (begin(id ? HMT_FREE : HMT_FREE_UNTRACKED)) {
            if (id)
                field(age(id));
            done();
        }
    } else {
        if (!q && id && !map_put(p, id)) /* failed: p lives on */
            no_map();
        if (begin((array ? HMT_REALLOCARRAY : HMT_REALLOC) | (q ? 0 : HMT_FAILED))) {
            field(age(id));
            field(n);
            if (array)
                field(m);
            created(q);
            done();
        }
    }
    pthread_mutex_unlock(&T.lock);
    errno = saved;
    return q;
}

void *hm_trace_realloc(void *p, size_t n, const void *caller) { return re(p, n, 1, false, caller); }

void *hm_trace_reallocarray(void *p, size_t n, size_t m, const void *caller) { return re(p, n, m, true, caller); }
