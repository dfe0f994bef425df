/*
 * quarantine.c - freed small blocks wait here, poisoned, before reuse.
 *
 * WHY
 * A block handed straight back to the heap can be handed out again at once,
 * and a write through a dangling pointer then corrupts someone else's data
 * silently.  So free() fills the requested bytes with POISON_BYTE and parks
 * the block in a FIFO.  Only when the FIFO exceeds its byte budget
 * (quarantine_kb) is the oldest block taken out, its poison verified (a
 * difference is a write after free, reported with the offset and the bytes)
 * and the block freed in the region heap, which checks its header and slack
 * once more and coalesces it.  A second free of a parked block is a double
 * free; the core catches the ones after release (also after coalescing).
 *
 * LAYOUT
 * SHARDS FIFOs, each with its own lock, ring and pointer set; a pointer
 * always goes to shard hash(p) % SHARDS, so two frees of the same pointer
 * meet on the same lock.  Each shard's budget is quarantine_bytes / SHARDS.
 * SHARDS is 1: with several shards a shard that happens to receive few
 * blocks keeps them forever (its budget is never exceeded), so a write after
 * free in it would be found only at exit.  One FIFO bounds every block's
 * stay by the global budget.  The set is open addressing with backward-shift
 * deletion, sized twice the ring.
 *
 * RECYCLING (the front-end cache)
 * A block that leaves the quarantine clean is not always handed back to the
 * region heap: blocks of up to RECYCLE_G granules go to a bin for their
 * exact size (at most BIN_CAP each, BIN_BYTES in all) and stay allocated
 * in the core, still poisoned, still in the set.  hm_recycle_take() hands
 * one out again for a request of the same block size; block_reuse() in
 * api.c verifies that its poison and slack are intact and its header still
 * validates, and re-keys the header for the new requested size - the state
 * the core would have produced, without walking the free index twice.  Bins
 * are flushed to the core at exit (before the leak walk); a full bin sends
 * blocks to the core instead.
 *
 * INVARIANTS
 *   Q1  p is in a shard's set iff it is in that shard's ring or one of its
 *       bins (so a free of a recycled block is a double free too).
 *   Q2  A parked block is allocated in the core, its first `req` bytes are
 *       POISON_BYTE unless the program wrote after free, and its slack was
 *       verified when it was parked.
 *   Q3  A shard's bytes <= budget after every put (except transiently,
 *       during the put).
 */
#include <string.h>

#include "hardmem.h"

enum {
    SHARDS = 1,
    RING = 1 << 15, /* 1 MiB of the smallest blocks (32 bytes with the header) */
    RECYCLE_G = 64, /* blocks of up to 64 granules (1 KiB) are recycled */
    BIN_CAP = 256,
    BIN_BYTES = 4 << 20, /* bytes held in all bins together, at most */
    SET = 1 << 17, /* a power of two >= 2 * (RING + (RECYCLE_G + 1) * BIN_CAP) */
};

typedef struct parked {
    void *p;
    mem_heap_t *h;
    size_t req;
} parked_t;

typedef struct shard {
    pthread_mutex_t lock;
    unsigned head, n; /* oldest entry, count */
    size_t bytes;
    parked_t ring[RING];
    void *set[SET];
    size_t bin_bytes;
    unsigned bin_n[RECYCLE_G + 1];
    parked_t bin[RECYCLE_G + 1][BIN_CAP];
} shard_t;

_Static_assert((SET & (SET - 1)) == 0, "the set's size is a power of two (masking)");
_Static_assert(SET >= 2 * (RING + (RECYCLE_G + 1) * BIN_CAP), "the set stays at most half full");

static shard_t shards[SHARDS] = { { .lock = PTHREAD_MUTEX_INITIALIZER } };

static inline uint64_t mixp(const void *p) { return ((uint64_t)(uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL; }
static inline shard_t *shard_of(const void *p) { return &shards[SHARDS == 1 ? 0 : mixp(p) % SHARDS]; }
static inline unsigned home(const void *p) { return (unsigned)(mixp(p) >> 20) & (SET - 1); }

static bool set_has(const shard_t *s, const void *p)
{
    for (unsigned i = home(p);; i = (i + 1) & (SET - 1)) {
        if (s->set[i] == p)
            return true;
        if (!s->set[i])
            return false;
    }
}

static void set_add(shard_t *s, void *p)
{
    unsigned i = home(p);
    while (s->set[i])
        i = (i + 1) & (SET - 1);
    s->set[i] = p;
}

static void set_del(shard_t *s, const void *p)
{
    unsigned i = home(p);
    while (s->set[i] != p) {
        if (!s->set[i])
            return;
        i = (i + 1) & (SET - 1);
    }
    s->set[i] = NULL;
    for (unsigned j = (i + 1) & (SET - 1); s->set[j]; j = (j + 1) & (SET - 1)) {
        unsigned hj = home(s->set[j]);
        bool stays = i <= j ? (hj > i && hj <= j) : (hj > i || hj <= j);
        if (!stays) {
            s->set[i] = s->set[j];
            s->set[j] = NULL;
            i = j;
        }
    }
}

static size_t cost(size_t req) { return ((req + 15) & ~(size_t)15) + MEM_HEADER; }

/* Take the oldest entry out, verify its poison, then recycle it or free it
 * in the core. */
static void release_oldest(shard_t *s, bool may_recycle)
{
    parked_t e = s->ring[s->head];
    s->head = (s->head + 1) % RING;
    s->n--;
    s->bytes -= cost(e.req);
    const unsigned char *b = e.p;
    size_t i = hm_first_diff(b, e.req, POISON_BYTE);
    if (i < e.req) {
        hm_error_t err = { .kind = HM_USE_AFTER_FREE, .op = "free (quarantine release)", .addr = e.p,
                           .block = e.p, .requested = e.req, .usable = e.req, .bad_off = (long long)i,
                           .expected = POISON_BYTE, .found = b[i],
                           .detail = "freed block written while in quarantine", .caller = NULL };
        hm_fatal(&err);
        may_recycle = false;
    }
    /* An allocated block's size is changed only by its owner (us), so it
     * can be read without the heap's lock. */
    uint32_t g = ((const block_hdr_t *)(b - MEM_HEADER))->size;
    if (may_recycle && !hm_opt.check_full && g <= RECYCLE_G && s->bin_n[g] < BIN_CAP &&
        s->bin_bytes + gbytes(g) <= BIN_BYTES && !hm_heap_retired(e.h)) {
        s->bin_bytes += gbytes(g);
        s->bin[g][s->bin_n[g]] = e; /* stays in the set */
        __atomic_store_n(&s->bin_n[g], s->bin_n[g] + 1, __ATOMIC_RELAXED);
        return;
    }
    set_del(s, e.p);
    int code = mem_heap_free(e.h, e.p);
    if (code) {
        hm_heap_retire(e.h);
        hm_core_error(e.h, code, "free (quarantine release)", e.p, NULL);
    }
}

void hm_qshard_lock(const void *p) { pthread_mutex_lock(&shard_of(p)->lock); }
void hm_qshard_unlock(const void *p) { pthread_mutex_unlock(&shard_of(p)->lock); }
bool hm_quarantined_locked(const void *p) { return set_has(shard_of(p), p); }

bool hm_quarantined(const void *p)
{
    hm_qshard_lock(p);
    bool in = hm_quarantined_locked(p);
    hm_qshard_unlock(p);
    return in;
}

void hm_quarantine_put_locked(mem_heap_t *h, void *p, size_t req)
{
    shard_t *s = shard_of(p);
    memset(p, POISON_BYTE, req);
    if (s->n == RING)
        release_oldest(s, true);
    s->ring[(s->head + s->n) % RING] = (parked_t){ p, h, req };
    s->n++;
    s->bytes += cost(req);
    set_add(s, p);
    size_t budget = hm_opt.quarantine_bytes / SHARDS;
    while (s->n && s->bytes > budget)
        release_oldest(s, true);
}

void *hm_recycle_take(size_t req, mem_heap_t **hp, size_t *old_req)
{
    size_t g = (req + MEM_HEADER + GRANULE - 1) / GRANULE;
    if (g < MIN_BLOCK_G)
        g = MIN_BLOCK_G;
    if (g > RECYCLE_G)
        return NULL;
    shard_t *s = &shards[0];
    if (!__atomic_load_n(&s->bin_n[g], __ATOMIC_RELAXED))
        return NULL; /* a hint only (bin_n is written atomically, under the lock) */
    pthread_mutex_lock(&s->lock);
    void *p = NULL;
    if (s->bin_n[g]) {
        __atomic_store_n(&s->bin_n[g], s->bin_n[g] - 1, __ATOMIC_RELAXED);
        parked_t e = s->bin[g][s->bin_n[g]];
        s->bin_bytes -= gbytes((uint32_t)g);
        set_del(s, e.p);
        p = e.p;
        *hp = e.h;
        *old_req = e.req;
    }
    pthread_mutex_unlock(&s->lock);
    return p;
}

static void flush_bins(shard_t *s)
{
    for (unsigned g = 0; g <= RECYCLE_G; g++) {
        while (s->bin_n[g]) {
            __atomic_store_n(&s->bin_n[g], s->bin_n[g] - 1, __ATOMIC_RELAXED);
            parked_t e = s->bin[g][s->bin_n[g]];
            s->bin_bytes -= gbytes(g);
            set_del(s, e.p);
            int code = mem_heap_free(e.h, e.p);
            if (code) {
                hm_heap_retire(e.h);
                hm_core_error(e.h, code, "free (recycle flush)", e.p, NULL);
            }
        }
    }
}

void hm_quarantine_put(mem_heap_t *h, void *p, size_t req)
{
    hm_qshard_lock(p);
    hm_quarantine_put_locked(h, p, req);
    hm_qshard_unlock(p);
}

void hm_quarantine_drain(void)
{
    for (unsigned k = 0; k < SHARDS; k++) {
        pthread_mutex_lock(&shards[k].lock);
        while (shards[k].n)
            release_oldest(&shards[k], false);
        flush_bins(&shards[k]);
        pthread_mutex_unlock(&shards[k].lock);
    }
}

void hm_quarantine_lock_all(void)
{
    for (unsigned k = 0; k < SHARDS; k++)
        pthread_mutex_lock(&shards[k].lock);
}

void hm_quarantine_unlock_all(void)
{
    for (unsigned k = SHARDS; k-- > 0;)
        pthread_mutex_unlock(&shards[k].lock);
}
