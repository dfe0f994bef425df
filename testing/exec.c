/*
 * exec.c - the executor: one program, one fresh heap, the model beside it.
 *
 * Each op is carried out on the heap and predicted by the model (model.h);
 * then the checks of every property in the mask run:
 *   P1  at every allocation: the payload is inside the region, aligned,
 *       disjoint from every live payload, and usable_size is the request;
 *   P2  a walk of the real headers finds no two adjacent free blocks, and
 *       OP_FREE_ALL (and the end of every run) leaves one free block;
 *   P3  mem_heap_check is MEM_OK after every op;
 *   P4  every live payload still holds its cookie; realloc kept the prefix;
 *       calloc returned zeros;
 *   P5  every call returned exactly the block (or error) the model predicts,
 *       and the real block layout equals the model's, block for block;
 *   P6  mem_heap_stats equals the model's totals;
 *   P7  a call that failed left the region bytes and the control fields
 *       (roots, rover, statistics) exactly as they were;
 *   P10 misuse (double free, interior/misaligned/wild pointer, overflow,
 *       underflow, write after free) returns the documented code; the
 *       damage is then repaired so the run goes on.
 * The walk and the snapshot read heap.h's layout: this is white-box testing.
 * When a property outside the mask lets heap and model disagree, the model
 * is rebuilt from the real layout (resync) so later checks stay meaningful.
 */
#include "exec.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "model.h"

typedef struct ctl_snap {
    uint32_t root[2], rover;
    size_t used, free, requested, blocks, free_blocks;
} ctl_snap_t;

typedef struct run {
    const exec_opts_t *o;
    failure_t *f;
    mem_heap_t *h;
    void *buf;
    unsigned char *base; /* first block */
    size_t cap;          /* bytes */
    long op_i;
    bool stop;    /* failure found or the model lost track */
    bool resync;  /* rebuild the model from the heap after this op */
    bool dflt;    /* the program runs on the default heap (mem_init) */
    unsigned char *snap;
    ctl_snap_t ctl;
    int devnull;
} run_t;

static model_t model; /* large; the executor is not reentrant */

const char *prop_name(int p)
{
    switch (p) {
    case P_NO_OVERLAP: return "P1 no_overlap";
    case P_COALESCE: return "P2 full_coalescing";
    case P_INVARIANTS: return "P3 invariants";
    case P_CONTENTS: return "P4 contents";
    case P_POLICY: return "P5 policy_exactness";
    case P_CONSERVATION: return "P6 conservation";
    case P_FAILED_NOCHANGE: return "P7 failed_calls_change_nothing";
    case P_MISUSE: return "P10 misuse_codes";
    default: return "P? unknown";
    }
}

static bool checking(const run_t *r, prop_t p) { return (r->o->props & prop_bit(p)) != 0; }

/* Record a failure of property p (if checked); the run stops. */
static void fail(run_t *r, prop_t p, const char *sig, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fail(run_t *r, prop_t p, const char *sig, const char *fmt, ...)
{
    if (!checking(r, p) || r->f->failed)
        return;
    r->f->failed = true;
    r->f->prop = p;
    snprintf(r->f->sig, sizeof r->f->sig, "%s", sig);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->f->msg, sizeof r->f->msg, fmt, ap);
    va_end(ap);
    r->f->op_index = r->op_i;
    r->stop = true;
}

static void trace(const run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(const run_t *r, const char *fmt, ...)
{
    if (!r->o->trace)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->o->trace, fmt, ap);
    va_end(ap);
}

static long off(const run_t *r, const void *p) { return p ? (long)((const unsigned char *)p - r->base) : -1; }
static unsigned char *payload(const run_t *r, uint32_t g) { return r->base + (size_t)g * GRANULE + HDR_BYTES; }
static uint32_t granule_of(const run_t *r, const void *p)
{
    return (uint32_t)(((const unsigned char *)p - r->base - HDR_BYTES) / GRANULE);
}

static const char *err_name(int e)
{
    static const char *names[] = { "MEM_OK", "E_BAD_ARGS", "E_NO_SPACE", "E_CORRUPT_FREESPACE", "E_DOUBLE_FREE",
                                   "E_BAD_POINTER", "E_NOT_INIT", "E_MAP_FAILED", "E_CORRUPT_BLOCK" };
    return e >= 0 && e <= E_CORRUPT_BLOCK ? names[e] : "E_?";
}

/* Print a result: a block as base+offset, or NULL with the error. */
static void trace_result(const run_t *r, const void *p, int err)
{
    if (p)
        trace(r, " = base+%ld\n", off(r, p));
    else
        trace(r, " = NULL (%s)\n", err_name(err));
}

/* ---------------- the calls: explicit heap or the default heap ---------------- */

/* A setup may put the program on the process-wide default heap (mem_init);
 * then every call goes through the plain mem_* functions. */
static void *h_alloc(const run_t *r, size_t size, int style)
{
    return r->dflt ? mem_alloc(size, style) : mem_heap_alloc(r->h, size, style);
}
static void *h_calloc(const run_t *r, size_t n, size_t size)
{
    return r->dflt ? mem_calloc(n, size) : mem_heap_calloc(r->h, n, size);
}
static void *h_realloc(const run_t *r, void *p, size_t size)
{
    return r->dflt ? mem_realloc(p, size) : mem_heap_realloc(r->h, p, size);
}
static void *h_aligned_alloc(const run_t *r, size_t align, size_t size, int style)
{
    return r->dflt ? mem_aligned_alloc(align, size, style) : mem_heap_aligned_alloc(r->h, align, size, style);
}
static int h_free(const run_t *r, void *p) { return r->dflt ? mem_free(p) : mem_heap_free(r->h, p); }
static size_t h_usable_size(const run_t *r, const void *p)
{
    return r->dflt ? mem_usable_size(p) : mem_heap_usable_size(r->h, p);
}
static int h_check(const run_t *r) { return r->dflt ? mem_check() : mem_heap_check(r->h); }
static int h_stats(const run_t *r, mem_stats_t *st) { return r->dflt ? mem_stats(st) : mem_heap_stats(r->h, st); }

/* ---------------- the real layout ---------------- */

typedef struct blk {
    uint32_t g, size;
    bool alloc;
} blk_t;

static blk_t walk_buf[MODEL_MAX * 2];
static uint32_t live_size_at[(1u << 17) / GRANULE]; /* by granule: live block size, 0 if none */

/* Walk the real headers; returns the number of blocks or -1 if a header
 * cannot be trusted (only meaningful when mem_heap_check passes). */
static long walk(const run_t *r)
{
    const mem_heap_t *h = r->h;
    long n = 0;
    for (uint32_t g = h->first; g < h->end; g += hdr(h, g)->size) {
        const block_hdr_t *b = hdr(h, g);
        if (b->size < MIN_BLOCK_G || b->size > h->end - g || n >= (long)(sizeof walk_buf / sizeof walk_buf[0]))
            return -1;
        walk_buf[n++] = (blk_t){ g - h->first, b->size, (b->flags & BLK_ALLOC) != 0 };
    }
    return n;
}

/* Rebuild the model's free extents and live sizes from the real layout. */
static void resync(run_t *r)
{
    long n = walk(r);
    if (n < 0) {
        r->stop = true;
        return;
    }
    model.nfree = 0;
    for (long i = 0; i < n; i++) {
        if (!walk_buf[i].alloc) {
            model.free[model.nfree++] = (extent_t){ walk_buf[i].g, walk_buf[i].size };
            continue;
        }
        for (size_t s = 0; s < model.nlive; s++)
            if (model.live[s].g == walk_buf[i].g)
                model.live[s].size = walk_buf[i].size;
    }
    r->resync = false;
}

/* P5: the real layout is the model's, block for block. */
static void check_layout(run_t *r)
{
    long n = walk(r);
    if (n < 0)
        return; /* P3 reports a broken heap */
    size_t fi = 0;
    for (size_t s = 0; s < model.nlive; s++)
        live_size_at[model.live[s].g] = model.live[s].size;
    for (long i = 0; i < n; i++) {
        const blk_t *b = &walk_buf[i];
        if (!b->alloc) {
            if (fi >= model.nfree || model.free[fi].g != b->g || model.free[fi].size != b->size) {
                fail(r, P_POLICY, "layout: free block differs from the model",
                     "real free block at base+%u size %u; model expects %s base+%u size %u", b->g * GRANULE,
                     b->size * GRANULE, fi < model.nfree ? "" : "(none)",
                     fi < model.nfree ? model.free[fi].g * GRANULE : 0,
                     fi < model.nfree ? model.free[fi].size * GRANULE : 0);
                break;
            }
            fi++;
            continue;
        }
        if (live_size_at[b->g] != b->size) {
            fail(r, P_POLICY, "layout: allocated block differs from the model",
                 "real allocated block at base+%u size %u is not a live block of the model", b->g * GRANULE,
                 b->size * GRANULE);
            break;
        }
    }
    for (size_t s = 0; s < model.nlive; s++)
        live_size_at[model.live[s].g] = 0;
    if (!r->stop && fi != model.nfree)
        fail(r, P_POLICY, "layout: model has more free blocks", "model has %zu free blocks, heap %zu", model.nfree,
             fi);
}

/* P2: no two adjacent free blocks in the real layout. */
static void check_coalesced(run_t *r)
{
    long n = walk(r);
    for (long i = 1; i < n; i++)
        if (!walk_buf[i].alloc && !walk_buf[i - 1].alloc) {
            fail(r, P_COALESCE, "two adjacent free blocks", "free blocks at base+%u and base+%u are adjacent",
                 walk_buf[i - 1].g * GRANULE, walk_buf[i].g * GRANULE);
            return;
        }
}

/* ---------------- snapshots (P7) ---------------- */

static void snap_ctl(const mem_heap_t *h, ctl_snap_t *c)
{
    memset(c, 0, sizeof *c); /* padding too: the snapshots are compared with memcmp */
    c->root[0] = h->root[0];
    c->root[1] = h->root[1];
    c->rover = h->rover;
    c->used = h->used_bytes;
    c->free = h->free_bytes;
    c->requested = h->requested;
    c->blocks = h->blocks;
    c->free_blocks = h->free_blocks;
}

static void snap_take(run_t *r)
{
    if (!checking(r, P_FAILED_NOCHANGE))
        return;
    memcpy(r->snap, r->base, r->cap);
    const mem_heap_t *h = r->h;
    snap_ctl(h, &r->ctl);
}

/* After a call that failed: nothing may have changed. */
static void snap_same(run_t *r, const char *call)
{
    if (!checking(r, P_FAILED_NOCHANGE) || r->stop)
        return;
    const mem_heap_t *h = r->h;
    ctl_snap_t now;
    snap_ctl(h, &now);
    if (memcmp(&now, &r->ctl, sizeof now) != 0) {
        fail(r, P_FAILED_NOCHANGE, "failed call changed the control fields",
             "%s failed but changed roots/rover/statistics", call);
        return;
    }
    if (!memcmp(r->snap, r->base, r->cap))
        return;
    for (size_t i = 0; i < r->cap; i++)
        if (r->snap[i] != r->base[i]) {
            fail(r, P_FAILED_NOCHANGE, "failed call changed a region byte",
                 "%s failed but changed byte base+%zu from 0x%02x to 0x%02x", call, i, r->snap[i], r->base[i]);
            return;
        }
}

/* ---------------- contents (P4) ---------------- */

static void fill_cookie(run_t *r, const slot_t *s)
{
    memcpy(payload(r, s->g), cookie_of(s->seed), s->req);
}

/* The first byte of [0, n) of slot s that lost its cookie, or n. */
static size_t cookie_differs(const run_t *r, const slot_t *s, size_t n)
{
    const unsigned char *p = payload(r, s->g), *c = cookie_of(s->seed);
    if (!memcmp(p, c, n))
        return n;
    size_t i = 0;
    while (p[i] == c[i])
        i++;
    return i;
}

static void check_contents(run_t *r)
{
    for (size_t i = 0; i < model.nlive; i++) {
        const slot_t *s = &model.live[i];
        size_t at = cookie_differs(r, s, s->req);
        if (at != s->req) {
            fail(r, P_CONTENTS, "live block lost its contents", "p%u (base+%u, %zu bytes): byte %zu changed",
                 s->id, s->g * GRANULE + HDR_BYTES, s->req, at);
            return;
        }
    }
}

/* ---------------- statistics (P6) ---------------- */

static void check_stats(run_t *r)
{
    mem_stats_t st;
    int err = h_stats(r, &st);
    if (err) {
        fail(r, P_CONSERVATION, "mem_heap_stats failed", "mem_heap_stats returned %s", err_name(err));
        return;
    }
    model_stats_t m = model_stats(&model);
    if (st.capacity != r->cap || st.used_bytes != m.used || st.free_bytes != m.free ||
        st.requested != m.requested || st.blocks != m.blocks || st.free_blocks != m.free_blocks ||
        st.largest_free != m.largest || st.used_bytes + st.free_bytes != st.capacity)
        fail(r, P_CONSERVATION, "statistics differ from the model",
             "heap: used %zu free %zu requested %zu blocks %zu free_blocks %zu largest %zu; "
             "model: used %zu free %zu requested %zu blocks %zu free_blocks %zu largest %zu",
             st.used_bytes, st.free_bytes, st.requested, st.blocks, st.free_blocks, st.largest_free, m.used,
             m.free, m.requested, m.blocks, m.free_blocks, m.largest);
}

/* ---------------- allocation ---------------- */

/* P1 for a new block [p, p + size) with alignment `align`. */
static void check_new_block(run_t *r, const unsigned char *p, size_t size, size_t align)
{
    if (p < r->base + HDR_BYTES || p + size > r->base + r->cap || (uintptr_t)p % (align < 16 ? 16 : align)) {
        fail(r, P_NO_OVERLAP, "block outside the region or misaligned", "base+%ld, %zu bytes, alignment %zu",
             off(r, p), size, align);
        return;
    }
    for (size_t i = 0; i < model.nlive; i++) {
        const slot_t *s = &model.live[i];
        const unsigned char *q = payload(r, s->g);
        if (p < q + s->req && q < p + size) {
            fail(r, P_NO_OVERLAP, "block overlaps a live block", "new base+%ld (%zu bytes) overlaps p%u base+%ld (%zu)",
                 off(r, p), size, s->id, off(r, q), s->req);
            return;
        }
    }
    size_t usable = h_usable_size(r, p);
    if (usable < size)
        fail(r, P_NO_OVERLAP, "usable size below the request", "usable_size(base+%ld) = %zu < %zu", off(r, p),
             usable, size);
}

/* Enter a block the heap returned into the model: the predicted placement
 * when it matches, else (P5 not checked) the real block, with a resync. */
static slot_t *adopt(run_t *r, const unsigned char *p, const placement_t *pred, size_t size, size_t align)
{
    uint32_t g = granule_of(r, p);
    if (pred->ok && pred->g == g) {
        size_t i = model_take(&model, pred, size, align);
        return &model.live[i];
    }
    placement_t pl = model_place_at(&model, g, model_need(&model, size));
    if (!pl.ok) {
        r->stop = true;
        return NULL;
    }
    pl.used = hdr(r->h, r->h->first + g)->size;
    size_t i = model_take(&model, &pl, size, align);
    r->resync = true;
    return &model.live[i];
}

/* The common end of alloc, calloc and aligned_alloc. */
static void after_alloc(run_t *r, unsigned char *p, int err, const placement_t *pred, size_t size, size_t align,
                        int style, bool zeroed, const char *call)
{
    trace_result(r, p, err);
    if (pred->ok)
        trace(r, "        model: base+%u (block %u bytes)\n", pred->g * GRANULE + HDR_BYTES, pred->used * GRANULE);
    else
        trace(r, "        model: NULL (E_NO_SPACE)\n");
    if (!p) {
        if (pred->ok)
            fail(r, P_POLICY, "heap failed where the model places a block", "%s = NULL (%s); model: base+%u", call,
                 err_name(err), pred->g * GRANULE + HDR_BYTES);
        else if (err != E_NO_SPACE)
            fail(r, P_POLICY, "wrong error code", "%s = NULL (%s); model: E_NO_SPACE", call, err_name(err));
        snap_same(r, call);
        return;
    }
    check_new_block(r, p, size, align);
    if (!pred->ok)
        fail(r, P_POLICY, "heap placed a block where the model has no room", "%s = base+%ld; model: E_NO_SPACE",
             call, off(r, p));
    else if (payload(r, pred->g) != p)
        fail(r, P_POLICY, "wrong block for the style", "%s = base+%ld; model: base+%u", call, off(r, p),
             pred->g * GRANULE + HDR_BYTES);
    if (r->stop)
        return;
    if (zeroed)
        for (size_t i = 0; i < size; i++)
            if (p[i]) {
                fail(r, P_CONTENTS, "calloc memory not zero", "%s: byte %zu is 0x%02x", call, i, p[i]);
                return;
            }
    slot_t *s = adopt(r, p, pred, size, align);
    if (!s)
        return;
    if (style == MEM_NEXT_FIT) {
        model.rover = s->g + s->size;
        model.rover_set = true;
    }
    fill_cookie(r, s);
}

static void do_alloc(run_t *r, const op_t *op)
{
    char call[128];
    snprintf(call, sizeof call, "mem_heap_alloc(h, %zu, %s)", op->size, style_name(op->style));
    trace(r, "p%u = %s", model.next_id, call);
    placement_t pred = model_place(&model, op->size, op->style, 16);
    snap_take(r);
    unsigned char *p = h_alloc(r, op->size, op->style);
    after_alloc(r, p, mem_errno(), &pred, op->size, 16, op->style, false, call);
}

static void do_calloc(run_t *r, const op_t *op)
{
    char call[128];
    snprintf(call, sizeof call, "mem_heap_calloc(h, %zu, %zu)", op->n, op->size);
    trace(r, "p%u = %s", model.next_id, call);
    placement_t pred = model_place(&model, op->n * op->size, MEM_FIRST_FIT, 16);
    snap_take(r);
    unsigned char *p = h_calloc(r, op->n, op->size);
    after_alloc(r, p, mem_errno(), &pred, op->n * op->size, 16, MEM_FIRST_FIT, true, call);
}

static void do_aligned(run_t *r, const op_t *op)
{
    size_t align = (size_t)1 << op->align_log;
    char call[128];
    snprintf(call, sizeof call, "mem_heap_aligned_alloc(h, %zu, %zu, %s)", align, op->size, style_name(op->style));
    trace(r, "p%u = %s", model.next_id, call);
    placement_t pred = model_place(&model, op->size, op->style, align);
    snap_take(r);
    unsigned char *p = h_aligned_alloc(r, align, op->size, op->style);
    after_alloc(r, p, mem_errno(), &pred, op->size, align, op->style, false, call);
}

/* ---------------- free ---------------- */

static void do_free(run_t *r, const op_t *op)
{
    if (!model.nlive) {
        trace(r, "mem_heap_free(h, NULL)");
        int err = h_free(r, NULL);
        trace(r, " = %s\n", err_name(err));
        if (err)
            fail(r, P_POLICY, "free(NULL) failed", "mem_heap_free(h, NULL) = %s", err_name(err));
        return;
    }
    size_t i = op->sel % model.nlive;
    slot_t s = model.live[i];
    trace(r, "mem_heap_free(h, p%u)", s.id);
    int err = h_free(r, payload(r, s.g));
    trace(r, " = %s\n", err_name(err));
    if (err) {
        fail(r, P_POLICY, "free of a live block failed", "mem_heap_free(h, p%u) = %s", s.id, err_name(err));
        r->stop = true;
        return;
    }
    model_free(&model, i);
}

static void do_free_all(run_t *r)
{
    trace(r, "free every live block (%zu)\n", model.nlive);
    while (model.nlive && !r->stop) {
        op_t op = { .sel = 0 };
        do_free(r, &op);
    }
    if (r->stop)
        return;
    mem_stats_t st;
    if (h_stats(r, &st) || st.free_blocks != 1 || st.blocks != 1 || st.largest_free != r->cap)
        fail(r, P_COALESCE, "freeing everything did not give one free block",
             "after freeing all: blocks %zu, free blocks %zu, largest free %zu, capacity %zu", st.blocks,
             st.free_blocks, st.largest_free, r->cap);
}

/* ---------------- realloc ---------------- */

typedef struct realloc_pred {
    bool ok;
    uint32_t g, used;  /* the block after the call */
    bool moved;
    placement_t pl;    /* when moved */
} realloc_pred_t;

static realloc_pred_t predict_realloc(const slot_t *s, size_t size)
{
    realloc_pred_t rp = { false, 0, 0, false, { false, 0, 0, 0, 0, 0 } };
    uint32_t need = model_need(&model, size);
    if (!need)
        return rp;
    if (need <= s->size) {
        rp = (realloc_pred_t){ true, s->g, s->size - need >= MIN_BLOCK_G ? need : s->size, false, rp.pl };
        return rp;
    }
    long j = model_free_at(&model, s->g + s->size);
    if (j >= 0 && s->size + model.free[j].size >= need) {
        uint32_t total = s->size + model.free[j].size;
        rp = (realloc_pred_t){ true, s->g, total - need >= MIN_BLOCK_G ? need : total, false, rp.pl };
        return rp;
    }
    placement_t pl = model_place(&model, size, MEM_FIRST_FIT, 16);
    if (!pl.ok)
        return rp;
    return (realloc_pred_t){ true, pl.g, pl.used, true, pl };
}

/* Apply an in-place resize of slot i to `used` granules. */
static void resize_in_place(size_t i, uint32_t used)
{
    slot_t *s = &model.live[i];
    if (used < s->size) {
        model_release(&model, s->g + used, s->size - used);
    } else if (used > s->size) {
        long j = model_free_at(&model, s->g + s->size);
        extent_t e = model.free[j];
        uint32_t taken = used - s->size;
        memmove(&model.free[j], &model.free[j + 1], (model.nfree - (size_t)j - 1) * sizeof e);
        model.nfree--;
        if (e.size > taken)
            model_release(&model, e.g + taken, e.size - taken);
    }
    s->size = used;
}

static void do_realloc(run_t *r, const op_t *op)
{
    if (!model.nlive || op->arg == 7) {
        char call[128];
        snprintf(call, sizeof call, "mem_heap_realloc(h, NULL, %zu)", op->size);
        trace(r, "p%u = %s", model.next_id, call);
        placement_t pred = model_place(&model, op->size, MEM_FIRST_FIT, 16);
        snap_take(r);
        unsigned char *p = h_realloc(r, NULL, op->size);
        after_alloc(r, p, mem_errno(), &pred, op->size, 16, MEM_FIRST_FIT, false, call);
        return;
    }
    size_t i = op->sel % model.nlive;
    slot_t s = model.live[i];
    char call[128];
    snprintf(call, sizeof call, "mem_heap_realloc(h, p%u, %zu)", s.id, op->size);
    trace(r, "p%u = %s", s.id, call);
    realloc_pred_t rp = predict_realloc(&s, op->size);
    snap_take(r);
    unsigned char *q = h_realloc(r, payload(r, s.g), op->size);
    int err = mem_errno();
    trace_result(r, q, err);
    if (rp.ok)
        trace(r, "        model: base+%u (block %u bytes%s)\n", rp.g * GRANULE + HDR_BYTES, rp.used * GRANULE,
              rp.moved ? ", moved" : "");
    else
        trace(r, "        model: NULL (E_NO_SPACE)\n");
    if (!q) {
        if (rp.ok)
            fail(r, P_POLICY, "realloc failed where the model resizes", "%s = NULL (%s); model base+%u", call,
                 err_name(err), rp.g * GRANULE + HDR_BYTES);
        else if (err != E_NO_SPACE)
            fail(r, P_POLICY, "wrong error code", "%s = NULL (%s); model: E_NO_SPACE", call, err_name(err));
        snap_same(r, call);
        return;
    }
    if (!rp.ok || payload(r, rp.g) != q) {
        fail(r, P_POLICY, "realloc returned another block", "%s = base+%ld; model: %s base+%u", call, off(r, q),
             rp.ok ? "" : "NULL,", rp.g * GRANULE + HDR_BYTES);
        r->stop = true; /* realloc placement is not adopted: end the run */
        return;
    }
    /* The block at its new place keeps the old cookie for min(old, new). */
    slot_t moved = s;
    moved.g = rp.g;
    size_t keep = s.req < op->size ? s.req : op->size;
    size_t at = cookie_differs(r, &moved, keep);
    if (at != keep) {
        fail(r, P_CONTENTS, "realloc lost the prefix", "%s: byte %zu of %zu kept bytes changed", call, at, keep);
        return;
    }
    if (rp.moved) {
        size_t j = model_take(&model, &rp.pl, op->size, 16);
        model.live[j].seed = s.seed;
        model.live[j].id = s.id;
        model.next_id--;
        model_free(&model, i);
        fill_cookie(r, &model.live[model.nlive - 1]);
    } else {
        resize_in_place(i, rp.used);
        model.live[i].req = op->size;
        fill_cookie(r, &model.live[i]);
    }
}

/* ---------------- other calls ---------------- */

static void do_check(run_t *r)
{
    trace(r, "mem_heap_check(h)");
    int err = h_check(r);
    trace(r, " = %s\n", err_name(err));
}

static void do_level(run_t *r, const op_t *op)
{
    trace(r, "mem_heap_set_check_level(h, %u)", op->kind);
    int err = mem_heap_set_check_level(r->h, (int)op->kind);
    trace(r, " = %s\n", err_name(err));
    if (err)
        fail(r, P_INVARIANTS, "set_check_level failed", "mem_heap_set_check_level(h, %u) = %s", op->kind,
             err_name(err));
}

static void do_usable(run_t *r, const op_t *op)
{
    if (!model.nlive) {
        trace(r, "mem_heap_usable_size(h, NULL)");
        snap_take(r);
        size_t n = h_usable_size(r, NULL);
        int err = mem_errno();
        trace(r, " = %zu (%s)\n", n, err_name(err));
        if (n || err != E_BAD_POINTER)
            fail(r, P_MISUSE, "usable_size(NULL)", "usable_size(NULL) = %zu, %s (want 0, E_BAD_POINTER)", n,
                 err_name(err));
        snap_same(r, "mem_heap_usable_size(h, NULL)");
        return;
    }
    const slot_t *s = &model.live[op->sel % model.nlive];
    trace(r, "mem_heap_usable_size(h, p%u)", s->id);
    size_t n = h_usable_size(r, payload(r, s->g));
    trace(r, " = %zu\n", n);
    if (n != s->req)
        fail(r, P_NO_OVERLAP, "usable size is not the request", "usable_size(p%u) = %zu, requested %zu", s->id, n,
             s->req);
}

static void do_dump(run_t *r)
{
    trace(r, "mem_heap_dump(h, /dev/null)");
    int err = mem_heap_dump(r->h, r->devnull);
    trace(r, " = %s\n", err_name(err));
    if (err)
        fail(r, P_INVARIANTS, "dump reported an error", "mem_heap_dump = %s", err_name(err));
}

/* An argument out of range: E_BAD_ARGS (E_NO_SPACE for a size no heap can
 * hold, as lib/alloc.c does), and no change. */
static void do_bad_args(run_t *r, const op_t *op)
{
    void *p = NULL;
    int want = E_BAD_ARGS;
    char call[128];
    snap_take(r);
    switch (op->kind) {
    case BAD_SIZE0:
        snprintf(call, sizeof call, "mem_heap_alloc(h, 0, MEM_FIRST_FIT)");
        p = h_alloc(r, 0, MEM_FIRST_FIT);
        break;
    case BAD_STYLE: {
        int style = op->arg % 2 ? -1 - (int)(op->arg / 2) : 4 + (int)(op->arg / 2);
        snprintf(call, sizeof call, "mem_heap_alloc(h, 8, %d)", style);
        p = h_alloc(r, 8, style);
        break;
    }
    case BAD_HUGE:
        want = E_NO_SPACE;
        snprintf(call, sizeof call, "mem_heap_alloc(h, SIZE_MAX - %u, MEM_FIRST_FIT)", op->arg);
        p = h_alloc(r, SIZE_MAX - op->arg, MEM_FIRST_FIT);
        break;
    case BAD_ALIGN: {
        size_t align = op->arg % 3 == 0 ? 0 : op->arg % 3 == 1 ? (size_t)1 << 31 : 2 * (size_t)op->arg + 3;
        snprintf(call, sizeof call, "mem_heap_aligned_alloc(h, %zu, 8, MEM_FIRST_FIT)", align);
        p = h_aligned_alloc(r, align, 8, MEM_FIRST_FIT);
        break;
    }
    case BAD_CALLOC_OVF:
        snprintf(call, sizeof call, "mem_heap_calloc(h, SIZE_MAX / 2 + %u, 2)", 1 + op->arg);
        p = h_calloc(r, SIZE_MAX / 2 + 1 + op->arg, 2);
        break;
    case BAD_CALLOC0:
        snprintf(call, sizeof call, "mem_heap_calloc(h, %d, %d)", op->arg % 2 ? 0 : 5, op->arg % 2 ? 5 : 0);
        p = h_calloc(r, op->arg % 2 ? 0 : 5, op->arg % 2 ? 5 : 0);
        break;
    default: {
        const slot_t *s = model.nlive ? &model.live[op->sel % model.nlive] : NULL;
        snprintf(call, sizeof call, "mem_heap_realloc(h, p%d, 0)", s ? (int)s->id : -1);
        p = h_realloc(r, s ? payload(r, s->g) : NULL, 0);
        break;
    }
    }
    int err = mem_errno();
    trace(r, "%s", call);
    trace_result(r, p, err);
    if (p || err != want)
        fail(r, P_MISUSE, "bad argument not rejected with its code", "%s = %s (%s), want NULL (%s)", call,
             p ? "a block" : "NULL", err_name(err), err_name(want));
    else
        snap_same(r, call);
}

/* ---------------- misuse (P10) ---------------- */

/* Call free on a bad pointer: it must fail with `want` (or `alt`, when not
 * -1) and change nothing. */
static void bad_free2(run_t *r, void *p, int want, int alt, const char *call)
{
    snap_take(r);
    int err = h_free(r, p);
    trace(r, "%s = %s\n", call, err_name(err));
    if (err != want && err != alt) {
        mem_report_t rep;
        char line[200];
        mem_heap_last_report(r->h, &rep);
        mem_format_report(&rep, line, sizeof line);
        fail(r, P_MISUSE, "misuse reported with the wrong code", "%s = %s, want %s (report: %s)", call,
             err_name(err), err_name(want), line);
        r->stop = true;
        return;
    }
    snap_same(r, call);
}

static void bad_free(run_t *r, void *p, int want, const char *call) { bad_free2(r, p, want, -1, call); }

/* Corrupt one byte, expect `want` (or `alt`) from free, put the byte back. */
static void corrupt_free(run_t *r, const slot_t *s, unsigned char *byte, int want, int alt, const char *what)
{
    char call[160];
    snprintf(call, sizeof call, "%s base+%ld, then mem_heap_free(h, p%u)", what, off(r, byte), s->id);
    unsigned char old = *byte;
    *byte = (unsigned char)~old;
    bad_free2(r, payload(r, s->g), want, alt, call);
    *byte = old;
}

static void do_misuse(run_t *r, const op_t *op)
{
    int level = r->h->level;
    if (!model.nlive) {
        if (op->kind == MIS_WILD || op->kind == MIS_MISALIGNED || op->kind == MIS_INTERIOR) {
            unsigned char *p = r->base + r->cap + GRANULE * (op->arg % 64);
            bad_free(r, p, E_BAD_POINTER, "mem_heap_free(h, end + k*16) [wild]");
        }
        return;
    }
    size_t i = op->sel % model.nlive;
    slot_t s = model.live[i];
    unsigned char *p = payload(r, s.g);
    char call[160];
    switch (op->kind) {
    case MIS_DOUBLE_FREE:
        trace(r, "mem_heap_free(h, p%u) = ", s.id);
        if (h_free(r, p)) {
            fail(r, P_POLICY, "free of a live block failed", "mem_heap_free(h, p%u) = %s", s.id,
                 err_name(mem_errno()));
            return;
        }
        trace(r, "MEM_OK\n");
        model_free(&model, i);
        snprintf(call, sizeof call, "mem_heap_free(h, p%u) [double free]", s.id);
        bad_free(r, p, E_DOUBLE_FREE, call);
        return;
    case MIS_INTERIOR: {
        uint32_t k = 1 + op->arg % (s.size - 2);
        snprintf(call, sizeof call, "mem_heap_free(h, p%u + %u) [interior]", s.id, k * GRANULE);
        const unsigned char *fake = p + (size_t)(k - 1) * GRANULE; /* what the heap reads as a header */
        trace(r, "(16 bytes before it: ");
        for (int b = 0; b < HDR_BYTES; b++)
            trace(r, "%02x", fake[b]);
        trace(r, ") ");
        bad_free(r, p + (size_t)k * GRANULE, E_BAD_POINTER, call);
        return;
    }
    case MIS_MISALIGNED:
        snprintf(call, sizeof call, "mem_heap_free(h, p%u + %u) [misaligned]", s.id, 1 + op->arg % 15);
        bad_free(r, p + 1 + op->arg % 15, E_BAD_POINTER, call);
        return;
    case MIS_WILD:
        snprintf(call, sizeof call, "mem_heap_free(h, &local) [wild]");
        bad_free(r, &s, E_BAD_POINTER, call);
        return;
    case MIS_OVERFLOW: {
        size_t slack = (size_t)s.size * GRANULE - HDR_BYTES - s.req;
        bool next = s.g + s.size < model.cap;
        if (level >= MEM_CHECK_LOCAL && slack) /* into the slack */
            corrupt_free(r, &s, p + s.req + op->arg % slack, E_CORRUPT_BLOCK, -1, "overflow: write");
        else if (next) /* into the next block's header */
            corrupt_free(r, &s, payload(r, s.g + s.size) - HDR_BYTES + op->arg % HDR_BYTES,
                         level == MEM_CHECK_FULL ? E_CORRUPT_FREESPACE : E_CORRUPT_BLOCK, -1, "overflow: write");
        return;
    }
    case MIS_UNDERFLOW: {
        /* Into the block's own header.  A header whose size and flags still
         * lead to the next valid header is a damaged block (E_CORRUPT_BLOCK);
         * one whose size or flags were hit may no longer look like a block at
         * all (E_BAD_POINTER).  At FULL the entry check reports first. */
        size_t back = 1 + op->arg % HDR_BYTES;
        bool size_or_flags = HDR_BYTES - back < 8;
        int want = level == MEM_CHECK_FULL ? E_CORRUPT_FREESPACE : E_CORRUPT_BLOCK;
        int alt = level != MEM_CHECK_FULL && size_or_flags ? E_BAD_POINTER : -1;
        corrupt_free(r, &s, p - back, want, alt, "underflow: write");
        return;
    }
    default: { /* write after free */
        size_t room = (size_t)s.size * GRANULE - POISON_START - FTR_BYTES;
        if (level < MEM_CHECK_LOCAL || !room) /* a minimum block has no poison */
            return;
        trace(r, "mem_heap_free(h, p%u) = ", s.id);
        if (h_free(r, p)) {
            fail(r, P_POLICY, "free of a live block failed", "mem_heap_free(h, p%u) = %s", s.id,
                 err_name(mem_errno()));
            return;
        }
        trace(r, "MEM_OK\n");
        model_free(&model, i);
        unsigned char *byte = r->base + (size_t)s.g * GRANULE + POISON_START + op->arg % room;
        unsigned char old = *byte;
        *byte = (unsigned char)~old;
        int err = h_check(r);
        mem_report_t rep;
        mem_heap_last_report(r->h, &rep);
        trace(r, "write after free at base+%ld, then mem_heap_check(h) = %s\n", off(r, byte), err_name(err));
        *byte = old;
        if (err != E_CORRUPT_FREESPACE || !rep.what || !strstr(rep.what, "written after free"))
            fail(r, P_MISUSE, "write after free not reported", "mem_heap_check = %s (%s), want E_CORRUPT_FREESPACE",
                 err_name(err), rep.what ? rep.what : "-");
        return;
    }
    }
}

/* ---------------- the run ---------------- */

static void after_op(run_t *r)
{
    if (r->stop)
        return;
    if (checking(r, P_INVARIANTS)) {
        int err = h_check(r);
        if (err) {
            mem_report_t rep;
            char line[200];
            mem_heap_last_report(r->h, &rep);
            mem_format_report(&rep, line, sizeof line);
            fail(r, P_INVARIANTS, "mem_heap_check failed", "mem_heap_check = %s: %s", err_name(err), line);
            return;
        }
    }
    if (r->resync)
        resync(r);
    if (!r->stop)
        check_coalesced(r);
    if (!r->stop)
        check_layout(r);
    if (!r->stop && !checking(r, P_POLICY))
        resync(r); /* the real layout is the truth from here on */
    if (!r->stop)
        check_contents(r);
    if (!r->stop)
        check_stats(r);
}

static void run_op(run_t *r, const op_t *op)
{
    trace(r, "#%-3ld ", r->op_i);
    switch (op->code) {
    case OP_ALLOC: do_alloc(r, op); break;
    case OP_FREE: do_free(r, op); break;
    case OP_REALLOC: do_realloc(r, op); break;
    case OP_CALLOC: do_calloc(r, op); break;
    case OP_ALIGNED: do_aligned(r, op); break;
    case OP_CHECK: do_check(r); break;
    case OP_LEVEL: do_level(r, op); break;
    case OP_BAD_ARGS: do_bad_args(r, op); break;
    case OP_MISUSE: do_misuse(r, op); break;
    case OP_USABLE: do_usable(r, op); break;
    case OP_STATS: trace(r, "mem_heap_stats(h, &st)\n"); break;
    case OP_DUMP: do_dump(r); break;
    default: do_free_all(r); break;
    }
    after_op(r);
}

static bool setup(run_t *r, const heap_setup_t *hs)
{
    if (hs->mapped == 2) {
        int err = mem_init(hs->region);
        r->h = err ? NULL : mem_default_heap();
        r->dflt = r->h != NULL;
        trace(r, "mem_init(%zu) [the default heap: plain mem_* calls]", hs->region);
    } else if (hs->mapped) {
        r->h = mem_heap_create(hs->region);
        trace(r, "h = mem_heap_create(%zu)", hs->region);
    } else {
        size_t len = mem_heap_min_size() - (GRANULE - 1) - MIN_BLOCK_G * GRANULE + hs->region;
        /* Page-aligned, so that aligned allocations (up to 4096) place the
         * same way in every build: layouts depend on absolute addresses. */
        r->buf = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);
        /* A caller's buffer may hold anything; fix what, so that a run does
         * not depend on what malloc left there (stale headers of an earlier
         * heap at the same address can look valid to pointer checks). */
        if (r->buf)
            memset(r->buf, 0xE7, len);
        r->h = r->buf ? mem_heap_create_in(r->buf, len) : NULL;
        trace(r, "h = mem_heap_create_in(buf, %zu) [region %zu]", len, hs->region);
    }
    if (!r->h) {
        trace(r, " = NULL\n");
        return false;
    }
    trace(r, "; mem_heap_set_check_level(h, %d)\n", hs->level);
    mem_heap_set_check_level(r->h, hs->level);
    r->base = mem_heap_base(r->h);
    r->cap = (size_t)((unsigned char *)mem_heap_end(r->h) - r->base);
    r->snap = malloc(r->cap);
    model_init(&model, (uintptr_t)r->base, (uint32_t)(r->cap / GRANULE));
    return r->snap != NULL;
}

bool exec_program(const program_t *p, const exec_opts_t *o, failure_t *f)
{
    memset(f, 0, sizeof *f);
    f->op_index = -1;
    run_t r = { .o = o, .f = f, .op_i = -1, .devnull = open("/dev/null", O_WRONLY) };
    if (setup(&r, &p->setup)) {
        after_op(&r);
        for (size_t i = 0; i < p->nops && !r.stop; i++) {
            r.op_i = (long)i;
            run_op(&r, &p->ops[i]);
        }
        if (!r.stop) {
            r.op_i = -1;
            trace(&r, "#end ");
            do_free_all(&r);
            after_op(&r);
        }
    }
    if (r.dflt)
        mem_destroy();
    else if (r.h)
        mem_heap_destroy(r.h);
    free(r.buf);
    free(r.snap);
    if (r.devnull >= 0)
        close(r.devnull);
    return !f->failed;
}

bool exec_bytes(const uint8_t *data, size_t len, size_t max_ops, const exec_opts_t *o, failure_t *f)
{
    static program_t prog;
    static uint8_t buf[SRC_MAX_BYTES];
    static src_t s;
    src_replay(&s, buf, data, len);
    ops_decode(&s, &prog, max_ops, NULL);
    return exec_program(&prog, o, f);
}
