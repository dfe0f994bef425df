/*
 * heap.c - creating and destroying heaps, entering them, check levels,
 * statistics.
 *
 * A mapped heap is laid out as [control pages | block region]: the control
 * structure (struct mem_heap, with its undo log) takes whole pages of its
 * own, and the block region is exactly the requested size rounded up to
 * whole pages.  A heap in a caller's buffer puts the control structure at
 * the buffer's first 16-byte boundary and the blocks right after it.
 *
 * A new heap is one free block covering the whole region.  At check level
 * LOCAL and above its payload is poisoned at once, which touches every page,
 * unless the memory is known to read as zero (a heap that mmap gave us,
 * mem_heap_create_in_fresh): then it is left zero and poisoned only as it
 * is first handed out (`fresh`, heap.h).  At OFF nothing is touched until it
 * is used.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heap.h"

/* Undo entries address 4-byte words in 32 bits, so control pages plus blocks
 * must stay under 16 GiB: blocks get 16 GiB less 1 MiB. */
static const size_t MAX_REGION = ((size_t)1 << 34) - ((size_t)1 << 20);

static size_t ctl_bytes(void) { return (sizeof(mem_heap_t) + GRANULE - 1) & ~(size_t)(GRANULE - 1); }

size_t mem_heap_min_size(void) { return ctl_bytes() + GRANULE - 1 + MIN_BLOCK_G * GRANULE; }

int env_check_level(void)
{
    const char *v = getenv("HARDMEM_CHECK");
    if (!v)
        return MEM_CHECK_LOCAL;
    if (!strcmp(v, "off") || !strcmp(v, "0"))
        return MEM_CHECK_OFF;
    if (!strcmp(v, "full") || !strcmp(v, "2"))
        return MEM_CHECK_FULL;
    return MEM_CHECK_LOCAL;
}

/* Lay a heap over [mem, mem + len) with its control structure at mem,
 * checking at `level`; `zeroed`: the block region reads as zero. */
static mem_heap_t *heap_setup(void *mem, size_t len, size_t blocks_at, void *map, int level, bool zeroed)
{
    mem_heap_t *h = mem;
    memset(h, 0, offsetof(mem_heap_t, undo));
    h->magic = HEAP_MAGIC ^ (uint64_t)(uintptr_t)h;
    h->secret = heap_new_secret();
    h->base = (unsigned char *)h;
    h->first = (uint32_t)(blocks_at / GRANULE);
    h->end = (uint32_t)(len / GRANULE);
    h->map = map;
    h->map_len = map ? len : 0;
    h->level = level;
    uint32_t size = h->end - h->first;
    txn_begin(h);
    hdr_write(h, h->first, size, 0, 0);
    ftr_write(h, h->first, size);
    index_insert(h, h->first); /* an empty tree: cannot fail */
    if (h->level >= MEM_CHECK_LOCAL && zeroed)
        h->fresh = gbytes(h->first) + POISON_START; /* I6: reads as zero, poisoned as it is handed out */
    else if (h->level >= MEM_CHECK_LOCAL)
        queue_fill(h, gbytes(h->first) + POISON_START, gbytes(size) - POISON_START - FTR_BYTES, POISON_BYTE);
    h->d_free = (long long)gbytes(size);
    h->d_blocks = h->d_free_blocks = 1;
    commit(h);
    return h;
}

mem_heap_t *mem_heap_create(size_t size)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (size == 0 || size > MAX_REGION) {
        set_errno(E_BAD_ARGS);
        return NULL;
    }
    size_t ctl = (ctl_bytes() + page - 1) & ~(page - 1);
    size_t region = (size + page - 1) & ~(page - 1);
    void *m = mmap(NULL, ctl + region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        set_errno(E_MAP_FAILED);
        return NULL;
    }
    mem_heap_t *h = heap_setup(m, ctl + region, ctl, m, env_check_level(), true);
    set_errno(MEM_OK);
    return h;
}

static mem_heap_t *create_in(void *buf, size_t len, int level, bool zeroed, bool untouched)
{
    if (!buf || len < mem_heap_min_size() || len > MAX_REGION || level < MEM_CHECK_OFF ||
        level > MEM_CHECK_FULL) {
        set_errno(E_BAD_ARGS);
        return NULL;
    }
    uintptr_t a = ((uintptr_t)buf + GRANULE - 1) & ~(uintptr_t)(GRANULE - 1);
    size_t usable = (len - (a - (uintptr_t)buf)) & ~(size_t)(GRANULE - 1);
    mem_heap_t *h = heap_setup((void *)a, usable, ctl_bytes(), NULL, level, zeroed);
    h->untouched = untouched;
    set_errno(MEM_OK);
    return h;
}

mem_heap_t *mem_heap_create_in_level(void *buf, size_t len, int level)
{
    return create_in(buf, len, level, false, false);
}

mem_heap_t *mem_heap_create_in_fresh(void *buf, size_t len, int level)
{
    return create_in(buf, len, level, true, false);
}

mem_heap_t *mem_heap_create_in_untouched(void *buf, size_t len, int level)
{
    return create_in(buf, len, level, true, true);
}

mem_heap_t *mem_heap_create_in(void *buf, size_t len)
{
    return mem_heap_create_in_level(buf, len, env_check_level());
}

int mem_heap_destroy(mem_heap_t *h)
{
    if (!handle_ok(h)) {
        set_errno(E_BAD_ARGS);
        return E_BAD_ARGS;
    }
    heap_lock(h);
    h->magic = 0;
    heap_unlock(h);
    if (h->map)
        munmap(h->map, h->map_len);
    set_errno(MEM_OK);
    return MEM_OK;
}

int heap_enter(mem_heap_t *h)
{
    if (!handle_ok(h)) {
        set_errno(E_BAD_ARGS);
        return E_BAD_ARGS;
    }
    heap_lock(h);
    txn_begin(h);
    if (h->level >= MEM_CHECK_FULL) {
        int err = heap_check_locked(h);
        if (err) {
            heap_unlock(h);
            set_errno(err);
            return err;
        }
    }
    return MEM_OK;
}

void heap_leave(mem_heap_t *h) { heap_unlock(h); }

int mem_heap_check_level(mem_heap_t *h)
{
    if (!handle_ok(h)) {
        set_errno(E_BAD_ARGS);
        return -1;
    }
    set_errno(MEM_OK);
    return h->level;
}

int mem_heap_set_check_level(mem_heap_t *h, int level)
{
    if (level < MEM_CHECK_OFF || level > MEM_CHECK_FULL) {
        set_errno(E_BAD_ARGS);
        return E_BAD_ARGS;
    }
    int err = heap_enter(h);
    if (err)
        return err;
    if (h->level == MEM_CHECK_OFF && level > MEM_CHECK_OFF && !(err = heap_check_locked(h))) {
        /* Nothing was poisoned or filled at OFF: do it now. */
        for (uint32_t g = h->first; g < h->end; g += hdr(h, g)->size) {
            const block_hdr_t *b = hdr(h, g);
            if (b->flags & BLK_HELD) /* freed, held by a front end: poison too (I9) */
                memset(h->base + gbytes(g) + HDR_BYTES, POISON_BYTE, requested_of(h, g));
            if (b->flags & BLK_ALLOC)
                memset(h->base + gbytes(g + b->size) - b->slack, SLACK_BYTE, b->slack);
            else
                memset(h->base + gbytes(g) + POISON_START, POISON_BYTE,
                       gbytes(b->size) - POISON_START - FTR_BYTES);
        }
        h->fresh = 0; /* all of it is poison now (I6) */
    }
    if (!err)
        h->level = level;
    heap_leave(h);
    set_errno(err);
    return err;
}

int mem_heap_stats(mem_heap_t *h, mem_stats_t *out)
{
    if (!out) {
        set_errno(E_BAD_ARGS);
        return E_BAD_ARGS;
    }
    int err = heap_enter(h);
    if (err)
        return err;
    uint32_t root = h->root[TREE_ADDR];
    if (root && (err = free_check(h, root))) {
        heap_leave(h);
        set_errno(err);
        return err;
    }
    *out = (mem_stats_t){
        .capacity = gbytes(h->end - h->first),
        .used_bytes = h->used_bytes,
        .free_bytes = h->free_bytes,
        .requested = h->requested,
        .blocks = h->blocks,
        .free_blocks = h->free_blocks,
        .largest_free = root ? gbytes(node(h, root)->max) : 0,
        .last_hops = h->last_hops,
    };
    out->fragmentation = out->free_bytes ? 1.0 - (double)out->largest_free / (double)out->free_bytes : 0.0;
    heap_leave(h);
    set_errno(MEM_OK);
    return MEM_OK;
}

int mem_heap_last_report(mem_heap_t *h, mem_report_t *out)
{
    if (!out || !handle_ok(h)) {
        set_errno(E_BAD_ARGS);
        return E_BAD_ARGS;
    }
    heap_lock(h);
    *out = h->report;
    heap_unlock(h);
    set_errno(MEM_OK);
    return MEM_OK;
}

void *mem_heap_base(mem_heap_t *h) { return handle_ok(h) ? at(h, h->first) : NULL; }
void *mem_heap_end(mem_heap_t *h) { return handle_ok(h) ? at(h, h->end) : NULL; }
