/*
 * corrupt.c - building heaps to corrupt, listing their metadata, and the
 * calls that must stay safe afterwards (see corrupt.h).
 *
 * The metadata list is read from the real layout (heap.h), so it is taken
 * before the corruption, while the heap is valid.  The later calls judge
 * only what the caller can see: a returned block must lie in the region and
 * not overlap anything the caller still holds; everything else is for the
 * sanitizers (a stray read or write outside the caller's buffer is an ASan
 * report) and for the time bound the caller measures.
 */
#include "corrupt.h"

#include <string.h>

#include "heap.h"

size_t corrupt_buffer_len(size_t region) { return mem_heap_min_size() - (GRANULE - 1) - MIN_BLOCK_G * GRANULE + region; }

size_t corrupt_build(mem_heap_t *h, const program_t *p, live_t *live)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nops; i++) {
        const op_t *op = &p->ops[i];
        void *q = NULL;
        if (op->code == OP_FREE && n) {
            size_t k = op->sel % n;
            mem_heap_free(h, live[k].p);
            live[k] = live[--n];
            continue;
        }
        if (op->code == OP_REALLOC && n) {
            size_t k = op->sel % n;
            q = mem_heap_realloc(h, live[k].p, op->size);
            if (q)
                live[k] = (live_t){ q, op->size };
            continue;
        }
        if (op->code == OP_ALIGNED)
            q = mem_heap_aligned_alloc(h, (size_t)1 << op->align_log, op->size, op->style);
        else if (op->code == OP_ALLOC)
            q = mem_heap_alloc(h, op->size, op->style);
        else if (op->code == OP_CALLOC)
            q = mem_heap_calloc(h, op->n, op->size);
        if (q && n < CORRUPT_LIVE_MAX) {
            size_t req = op->code == OP_CALLOC ? op->n * op->size : op->size;
            memset(q, 0x5A, req);
            live[n++] = (live_t){ q, req };
        }
    }
    return n;
}

size_t corrupt_metadata(mem_heap_t *h, size_t *at, size_t cap)
{
    size_t n = 0;
    for (uint32_t g = h->first; g < h->end; g += hdr(h, g)->size) {
        const block_hdr_t *b = hdr(h, g);
        if (b->size < MIN_BLOCK_G || b->size > h->end - g)
            break; /* only called on a valid heap; stay bounded anyway */
        for (size_t i = 0; i < HDR_BYTES && n < cap; i++)
            at[n++] = gbytes(g) + i;
        if (b->flags & BLK_ALLOC)
            continue;
        for (size_t i = 0; i < NODE_BYTES && n < cap; i++)
            at[n++] = gbytes(g) + HDR_BYTES + i;
        for (size_t i = 0; i < FTR_BYTES && n < cap; i++)
            at[n++] = gbytes(g + b->size) - FTR_BYTES + i;
    }
    return n;
}

static bool inside(const mem_heap_t *h, const unsigned char *p, size_t n)
{
    const unsigned char *lo = at(h, h->first) + HDR_BYTES, *hi = at(h, h->end);
    return p >= lo && p <= hi && n <= (size_t)(hi - p) && (uintptr_t)p % MEM_ALIGN == 0;
}

static bool disjoint(const live_t *live, size_t n, const unsigned char *p, size_t size)
{
    for (size_t i = 0; i < n; i++)
        if (live[i].p && p < live[i].p + live[i].req && live[i].p < p + size)
            return false;
    return true;
}

/* A new block: NULL, or inside, aligned, disjoint (then written in full). */
static bool new_block_ok(const mem_heap_t *h, live_t *live, size_t *n, unsigned char *p, size_t size)
{
    if (!p)
        return true;
    if (!inside(h, p, size) || !disjoint(live, *n, p, size))
        return false;
    memset(p, 0x77, size);
    if (*n < CORRUPT_LIVE_MAX)
        live[(*n)++] = (live_t){ p, size };
    return true;
}

size_t corrupt_later_calls(mem_heap_t *h, live_t *live, size_t n)
{
    static const size_t sizes[] = { 1, 100, 1000 };
    size_t bad = 0;
    mem_heap_dump(h, -1); /* the dump walks a corrupt heap too (fd -1: no output) */
    for (size_t i = 0; i < n; i++) {
        size_t u = mem_heap_usable_size(h, live[i].p);
        if (u && u != live[i].req)
            bad++;
    }
    for (int style = MEM_FIRST_FIT; style <= MEM_NEXT_FIT; style++)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            bad += !new_block_ok(h, live, &n, mem_heap_alloc(h, sizes[k], style), sizes[k]);
    bad += !new_block_ok(h, live, &n, mem_heap_aligned_alloc(h, 64, 40, MEM_BEST_FIT), 40);
    bad += !new_block_ok(h, live, &n, mem_heap_calloc(h, 3, 20), 60);
    for (size_t i = 0; i < n; i++) {
        if (i % 2) {
            size_t want = live[i].req + 24;
            unsigned char *q = mem_heap_realloc(h, live[i].p, want);
            if (q) {
                live[i].p = NULL;
                if (!inside(h, q, want) || !disjoint(live, n, q, want)) {
                    bad++;
                } else {
                    memset(q, 0x66, want);
                    live[i] = (live_t){ q, want };
                }
            }
        }
        if (live[i].p && mem_heap_free(h, live[i].p) == MEM_OK)
            live[i].p = NULL;
    }
    mem_heap_check(h);
    mem_stats_t st;
    mem_heap_stats(h, &st);
    mem_report_t rep;
    mem_heap_last_report(h, &rep);
    char line[160];
    mem_format_report(&rep, line, sizeof line);
    return bad;
}

/* ---------------- signed corruptions ---------------- */

static size_t add(forgery_t *out, size_t n, size_t cap, forgery_t f)
{
    if (n < cap)
        out[n++] = f;
    return n;
}

/* Far outside any test heap (a 64 GiB offset): what a flipped top byte of a
 * link gives. */
enum { WILD_GRANULE = 0xff000000u };

size_t corrupt_forgeries(mem_heap_t *h, forgery_t *out, size_t cap)
{
    size_t n = 0;
    uint32_t other = 0; /* some other free block, for links to a wrong node */
    for (uint32_t g = h->first; g < h->end; g += hdr(h, g)->size) {
        const block_hdr_t *b = hdr(h, g);
        if (b->size < MIN_BLOCK_G || b->size > h->end - g)
            break;
        size_t hb = gbytes(g);
        /* header: size one granule more or less, each flag toggled, slack + 1 */
        n = add(out, n, cap, (forgery_t){ hb + 0, FORGE_HEADER, b->size + 1u, g });
        n = add(out, n, cap, (forgery_t){ hb + 0, FORGE_HEADER, b->size - 1u, g });
        n = add(out, n, cap, (forgery_t){ hb + 4, FORGE_HEADER, b->flags ^ BLK_ALLOC, g });
        n = add(out, n, cap, (forgery_t){ hb + 4, FORGE_HEADER, b->flags ^ BLK_PREV_FREE, g });
        n = add(out, n, cap, (forgery_t){ hb + 8, FORGE_HEADER, b->slack + 1u, g });
        if (b->flags & BLK_ALLOC)
            continue;
        /* node: every link to nothing and to another free block, max and heights +- 1 */
        const free_node_t *nd = node(h, g);
        size_t nb = hb + HDR_BYTES;
        for (size_t w = 0; w < 4; w++) {
            uint32_t link = ((const uint32_t *)nd)[w];
            n = add(out, n, cap, (forgery_t){ nb + 4 * w, FORGE_NODE, link ? 0 : g, g });
            if (other && other != link)
                n = add(out, n, cap, (forgery_t){ nb + 4 * w, FORGE_NODE, other, g });
            n = add(out, n, cap, (forgery_t){ nb + 4 * w, FORGE_WILD, WILD_GRANULE, g });
        }
        n = add(out, n, cap, (forgery_t){ nb + 16, FORGE_NODE, nd->max + 1u, g });
        n = add(out, n, cap, (forgery_t){ nb + 16, FORGE_NODE, nd->max - 1u, g });
        n = add(out, n, cap, (forgery_t){ nb + 20, FORGE_NODE, (uint64_t)(nd->height[0] + 1u), g });
        n = add(out, n, cap, (forgery_t){ nb + 21, FORGE_NODE, (uint64_t)(nd->height[1] + 1u), g });
        other = g;
    }
    /* control fields: both roots, every statistic */
    const size_t roots = offsetof(mem_heap_t, root);
    if (other != h->root[TREE_ADDR])
        n = add(out, n, cap, (forgery_t){ roots, FORGE_CONTROL, other, 0 });
    n = add(out, n, cap, (forgery_t){ roots + 4, FORGE_CONTROL, 0, 0 });
    const size_t stats[] = { offsetof(mem_heap_t, used_bytes), offsetof(mem_heap_t, free_bytes),
                             offsetof(mem_heap_t, requested), offsetof(mem_heap_t, blocks),
                             offsetof(mem_heap_t, free_blocks) };
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++) {
        size_t v;
        memcpy(&v, (unsigned char *)h + stats[i], sizeof v);
        n = add(out, n, cap, (forgery_t){ stats[i], FORGE_CONTROL, v + 16, 0 });
    }
    return n;
}

void corrupt_forge(mem_heap_t *h, const forgery_t *f)
{
    unsigned char *at_byte = (unsigned char *)h + f->word;
    if (f->kind == FORGE_CONTROL) {
        if (f->word < offsetof(mem_heap_t, used_bytes)) {
            uint32_t v = (uint32_t)f->value;
            memcpy(at_byte, &v, sizeof v);
        } else {
            size_t v = (size_t)f->value;
            memcpy(at_byte, &v, sizeof v);
        }
        return;
    }
    if (f->word == gbytes(f->g) + HDR_BYTES + 20 || f->word == gbytes(f->g) + HDR_BYTES + 21) {
        *at_byte = (uint8_t)f->value; /* a height */
    } else {
        uint32_t v = (uint32_t)f->value;
        memcpy(at_byte, &v, sizeof v);
    }
    if (f->kind == FORGE_NODE || f->kind == FORGE_WILD) {
        free_node_t *nd = node(h, f->g);
        nd->check = node_check(h, f->g, nd);
        return;
    }
    block_hdr_t *b = hdr(h, f->g);
    b->canary = hdr_canary(h, f->g, b->size, b->flags, b->slack);
    if (!(b->flags & BLK_ALLOC) && b->size >= MIN_BLOCK_G && b->size <= h->end - f->g) {
        block_ftr_t *ft = ftr(h, f->g, b->size); /* a forged free header gets its footer too */
        ft->size = b->size;
        ft->canary = b->canary;
    }
}
