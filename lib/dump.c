/*
 * dump.c - mem_heap_dump: every block and the free index, without allocating.
 *
 * One line per block: offset from the first block, size, requested size,
 * state and whether the header (and, for free blocks, the footer and node)
 * validates.  A header that does not validate ends the walk, since its size
 * cannot be trusted to find the next block; the dump says so and where.
 */
#include "fmt.h"
#include "heap.h"

static const char *level_name(int level)
{
    return level == MEM_CHECK_OFF ? "off" : level == MEM_CHECK_LOCAL ? "local" : "full";
}

static void line_end(fmt_t *f, int fd)
{
    fmt_str(f, "\n");
    fmt_flush(f, fd);
}

int mem_heap_dump(mem_heap_t *h, int fd)
{
    int err = heap_enter(h);
    if (err && err != E_CORRUPT_FREESPACE && err != E_CORRUPT_BLOCK)
        return err;
    if (err) /* a FULL-level heap failed its check: dump anyway, under the lock */
        heap_lock(h);
    char buf[192];
    fmt_t f = fmt_on(buf, sizeof buf);
    fmt_str(&f, "hardmem heap ");
    fmt_hex(&f, (uint64_t)(uintptr_t)at(h, h->first), 1);
    fmt_str(&f, ": ");
    fmt_u64(&f, gbytes(h->end - h->first));
    fmt_str(&f, " bytes, check level ");
    fmt_str(&f, level_name(h->level));
    line_end(&f, fd);
    fmt_str(&f, "  offset      size        requested   state  check");
    line_end(&f, fd);
    int result = MEM_OK;
    for (uint32_t g = h->first; g < h->end; g += hdr(h, g)->size) {
        int bad = block_check(h, g);
        const block_hdr_t *b = hdr(h, g);
        fmt_str(&f, "  ");
        fmt_u64(&f, gbytes(g - h->first));
        fmt_pad(&f, 14);
        if (bad) {
            fmt_str(&f, "corrupt header (");
            fmt_str(&f, h->report.what);
            fmt_str(&f, "): walk stops here");
            line_end(&f, fd);
            result = bad;
            break;
        }
        fmt_u64(&f, gbytes(b->size));
        fmt_pad(&f, 26);
        if (b->flags & BLK_ALLOC)
            fmt_u64(&f, requested_of(h, g));
        else
            fmt_str(&f, "-");
        fmt_pad(&f, 38);
        fmt_str(&f, (b->flags & BLK_HELD) ? "held   " : (b->flags & BLK_ALLOC) ? "used   " : "free   ");
        int sub = (b->flags & BLK_ALLOC) ? slack_verify(h, g) : free_check_full(h, g);
        fmt_str(&f, sub ? h->report.what : "ok");
        if (sub && !result)
            result = sub;
        line_end(&f, fd);
    }
    size_t in_addr = 0, in_size = 0;
    int ierr = index_validate(h, &in_addr, &in_size);
    fmt_str(&f, "  free index: ");
    fmt_u64(&f, in_addr);
    fmt_str(&f, " blocks by address, ");
    fmt_u64(&f, in_size);
    fmt_str(&f, " by size");
    if (!ierr && h->root[TREE_ADDR]) {
        fmt_str(&f, ", heights ");
        fmt_u64(&f, node(h, h->root[TREE_ADDR])->height[TREE_ADDR]);
        fmt_str(&f, "/");
        fmt_u64(&f, node(h, h->root[TREE_SIZE])->height[TREE_SIZE]);
        fmt_str(&f, ", largest free ");
        fmt_u64(&f, gbytes(node(h, h->root[TREE_ADDR])->max));
    }
    fmt_str(&f, ierr ? ", INVALID: " : ", valid");
    if (ierr) {
        fmt_str(&f, h->report.what);
        if (!result)
            result = ierr;
    }
    line_end(&f, fd);
    heap_leave(h);
    set_errno(result);
    return result;
}
