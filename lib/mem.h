/*
 * mem.h - hardmem's region allocator: the whole public API.
 *
 * A heap is one contiguous region (mapped with mmap, or a buffer the caller
 * owns) carved into blocks.  Blocks are handed out by first-, best-, worst- or
 * next-fit, returned with immediate coalescing, and every piece of metadata is
 * checked before it is trusted: a corrupted heap makes calls fail with an
 * error code, never crash or hang.
 *
 * Two ways to call it:
 *   - the plain functions (mem_init, mem_alloc, mem_free, ...) work on one
 *     process-wide default heap;
 *   - the mem_heap_* functions work on explicit handles, for any number of
 *     independent heaps.
 *
 * Error reporting.  Every call sets a thread-local error code, read with
 * mem_errno() (MEM_OK after a call that succeeded).  Functions returning int
 * return that same code (0 on success).  Functions returning a pointer return
 * NULL on failure.  A call that fails changes nothing in the heap: its
 * metadata is byte-for-byte what it was before the call.
 *
 * Thread safety.  Every function may be called from many threads at once; a
 * heap serialises its callers with its own lock.  mem_destroy/mem_heap_destroy
 * must not race with other calls on the same heap.
 *
 * The library never calls malloc or free and keeps no global arrays.
 */
#ifndef HARDMEM_MEM_H
#define HARDMEM_MEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Error codes (mem_errno(), and the return value of int functions) ---- */
enum {
    MEM_OK = 0,
    E_BAD_ARGS = 1,          /* an argument is out of its documented range     */
    E_NO_SPACE = 2,          /* no free block is large enough                  */
    E_CORRUPT_FREESPACE = 3, /* heap metadata failed validation (see report)   */
    E_DOUBLE_FREE = 4,       /* the block is already free                      */
    E_BAD_POINTER = 5,       /* not the start of a block of this heap          */
    E_NOT_INIT = 6,          /* the default heap is not initialised            */
    E_MAP_FAILED = 7,        /* the operating system refused the mapping       */
    E_CORRUPT_BLOCK = 8,     /* a live block's slack or header was overwritten */
};

/* ---- Placement styles for mem_alloc ---- */
enum {
    MEM_FIRST_FIT = 0, /* lowest-address free block that fits                */
    MEM_BEST_FIT = 1,  /* smallest free block that fits; ties: lowest address */
    MEM_WORST_FIT = 2, /* largest free block; ties: lowest address            */
    MEM_NEXT_FIT = 3,  /* first fit at or after the block after the last
                          allocation made with MEM_NEXT_FIT, wrapping around  */
};

/* ---- Check levels (per heap; default from HARDMEM_CHECK=off|local|full) ---- */
enum {
    /* Pointers, headers and every free-index link are validated before use.
     * Always on; cannot be turned off. */
    MEM_CHECK_OFF = 0,
    /* Also: free payloads are poisoned and the poison is verified when the
     * memory is handed out again; the slack after the requested size is
     * filled and verified on free/realloc.  The default. */
    MEM_CHECK_LOCAL = 1,
    /* Also: the whole-heap validator (mem_check) runs at the start of every
     * call, so corruption is reported by the first call after it happens. */
    MEM_CHECK_FULL = 2,
};

/* Geometry, fixed for the ABI. */
enum {
    MEM_ALIGN = 16,      /* every payload is aligned to this            */
    MEM_HEADER = 16,     /* metadata bytes of an allocated block        */
    MEM_MIN_BLOCK = 48,  /* smallest block (header + room for a free node) */
};

typedef struct mem_heap mem_heap_t;

/* Statistics: a consistent snapshot taken under the heap's lock. */
typedef struct mem_stats {
    size_t capacity;      /* bytes covered by blocks (region minus control) */
    size_t used_bytes;    /* bytes in allocated blocks, headers included    */
    size_t free_bytes;    /* bytes in free blocks, headers included         */
    size_t requested;     /* sum of requested sizes of live blocks          */
    size_t blocks;        /* number of blocks                               */
    size_t free_blocks;   /* number of free blocks                          */
    size_t largest_free;  /* size of the largest free block, header included */
    double fragmentation; /* 1 - largest_free / free_bytes (0 when no free)  */
    size_t last_hops;     /* free-index nodes visited by the last allocation */
} mem_stats_t;

/* The first violation found by the last failing call: what, which block,
 * which byte, and the expected vs found values.  Offsets are from the start
 * of the region's first block. */
typedef struct mem_report {
    int code;
    long long offset;      /* the block's offset from the region start, or -1 */
    long long byte_offset; /* first bad byte from the block start, or -1      */
    const char *what;      /* static text, e.g. "header canary mismatch"      */
    uint64_t expected;
    uint64_t found;
} mem_report_t;

/* ======================= Explicit heaps ======================= */

/* Map a new heap of `size` bytes rounded up to whole pages (control data
 * included).  The free space of a fresh mapping reads as zero, so it is not
 * poisoned up front (as mem_heap_create_in_fresh): pages are touched as
 * blocks are carved from them.  NULL with E_BAD_ARGS when size is 0 or too
 * small to hold one block or larger than 16 GiB less 1 MiB, E_MAP_FAILED
 * when mmap fails. */
mem_heap_t *mem_heap_create(size_t size);

/* Place a heap inside the caller's buffer [buf, buf+len).  The buffer is not
 * freed by mem_heap_destroy and must outlive the heap.  NULL with E_BAD_ARGS
 * when buf is NULL or len is too small (see mem_heap_min_size()). */
mem_heap_t *mem_heap_create_in(void *buf, size_t len);

/* The same with the check level given (MEM_CHECK_OFF, _LOCAL or _FULL)
 * instead of read from HARDMEM_CHECK.  At MEM_CHECK_OFF the new heap's
 * free space is not poisoned, so pages of a fresh mapping stay untouched
 * until blocks are carved from them.  NULL with E_BAD_ARGS for a bad level,
 * or as mem_heap_create_in. */
mem_heap_t *mem_heap_create_in_level(void *buf, size_t len, int level);

/* As mem_heap_create_in_level, for a buffer that reads as all zero bytes (a
 * fresh anonymous mapping, say).  At MEM_CHECK_LOCAL and above the free
 * space is then not poisoned up front: free bytes never handed out stay
 * zero and are poisoned when first handed out, so the buffer's pages stay
 * untouched until used.  mem_heap_check (and every call at MEM_CHECK_FULL)
 * checks them as zero: a buffer that is not all zero, or a stray write
 * there, is E_CORRUPT_FREESPACE ("never handed out").
 * Errors as mem_heap_create_in_level. */
mem_heap_t *mem_heap_create_in_fresh(void *buf, size_t len, int level);

/* The smallest `len` mem_heap_create_in accepts. */
size_t mem_heap_min_size(void);

/* Unmap (or, for a caller buffer, forget) the heap.  E_BAD_ARGS for NULL or a
 * handle that is not a live heap. */
int mem_heap_destroy(mem_heap_t *h);

/* Allocate `size` bytes (size >= 1) with a placement style.  The payload is
 * 16-byte aligned, inside the region, and disjoint from every live block.
 * The chosen free block is split when the remainder can be a block.
 * Errors: E_BAD_ARGS (size 0, bad style), E_NO_SPACE (no free block fits,
 * also when size exceeds the whole region), E_CORRUPT_FREESPACE. */
void *mem_heap_alloc(mem_heap_t *h, size_t size, int style);

/* As mem_heap_alloc(h, n * size, MEM_FIRST_FIT) with the payload zeroed;
 * E_BAD_ARGS when n * size overflows or is 0. */
void *mem_heap_calloc(mem_heap_t *h, size_t n, size_t size);

/* Resize a block, keeping min(old, new) bytes.  p == NULL acts as alloc
 * (first fit); size == 0 is E_BAD_ARGS and leaves p alive.  Grows in place
 * when the next block is free and large enough, shrinks in place (splitting
 * off the tail when it can be a block), otherwise moves (first fit) and frees
 * the old block.  On failure p is untouched and still valid. */
void *mem_heap_realloc(mem_heap_t *h, void *p, size_t size);

/* Allocate with the payload aligned to `alignment` (a power of two >= 1;
 * values below 16 mean 16).  The search asks for a free block of at least
 * size + alignment + MEM_MIN_BLOCK bytes, which always fits, so it may report
 * E_NO_SPACE where a tighter fit exists.  Errors as mem_heap_alloc, plus
 * E_BAD_ARGS for an alignment that is not a power of two. */
void *mem_heap_aligned_alloc(mem_heap_t *h, size_t alignment, size_t size, int style);

/* The requested size of a live block (writing up to it is always safe);
 * 0 with E_BAD_POINTER / E_DOUBLE_FREE / E_CORRUPT_* for a bad pointer. */
size_t mem_heap_usable_size(mem_heap_t *h, const void *p);

/* Free a block and coalesce it with both neighbours.  NULL is a no-op
 * (MEM_OK).  Errors: E_BAD_POINTER (not the start of a block of this heap:
 * wild, interior, misaligned, foreign), E_DOUBLE_FREE, E_CORRUPT_BLOCK (its
 * slack or header was overwritten), E_CORRUPT_FREESPACE. */
int mem_heap_free(mem_heap_t *h, void *p);

/* ---- Holding freed blocks (for a front end: a quarantine, a cache) ----
 * A front end that delays the reuse of freed blocks, or keeps them for quick
 * reuse, "holds" a block instead of freeing it.  A held block stays
 * allocated in the region (it is not coalesced and costs no index work), its
 * requested bytes are poisoned (check level >= LOCAL), and every call that
 * takes a live block (free, realloc, usable size, hold) refuses it with
 * E_DOUBLE_FREE, so a second free of it is caught from any thread.  The front
 * end later hands it out again (unhold) or gives it back (release); both
 * first verify that nothing wrote to it meanwhile. */

/* As mem_heap_create_in_fresh, except that a block carved from the part
 * never handed out is not poisoned first: it reads as zero (but for the few
 * bytes where the free index's node was), and its pages stay untouched
 * until the front end or its program writes them (glibc's malloc does the
 * same).  Its bytes are poisoned when it is freed or held, as every
 * block's are; only the slack is filled at once.  For a front end that
 * promises nothing about a new block's contents (the checked malloc). */
mem_heap_t *mem_heap_create_in_untouched(void *buf, size_t len, int level);

/* mem_heap_alloc, in a block with room for `room` >= size bytes, so that a
 * cache can keep blocks of a few fixed sizes (size classes).  The bytes
 * after `size` are slack, checked like any other.  E_BAD_ARGS if room < size. */
void *mem_heap_alloc_room(mem_heap_t *h, size_t size, size_t room, int style);
/* The same with mem_heap_aligned_alloc's alignment. */
void *mem_heap_aligned_alloc_room(mem_heap_t *h, size_t alignment, size_t size, size_t room, int style);

/* Hold the live block p: validate it as mem_heap_free would (pointer,
 * header, slack) plus the header of the block after it, poison its
 * requested bytes, and mark it held.  *req gets its requested size.
 * Errors as mem_heap_free (E_CORRUPT_BLOCK also when the next header is bad:
 * p most likely overflowed into it); on error nothing changes. */
int mem_heap_hold(mem_heap_t *h, void *p, size_t *req);

/* Hand the held block p out again for a request of `req` bytes (1 <= req <=
 * its usable size, else E_BAD_ARGS): verify its poison and slack, then make
 * it an ordinary live block of requested size `req` whose bytes read as
 * poison.  E_CORRUPT_FREESPACE when it was written while held (its bytes or
 * its header; the report gives the byte), E_BAD_POINTER when p is not a held
 * block, E_CORRUPT_BLOCK when its slack was overwritten. */
int mem_heap_unhold(mem_heap_t *h, void *p, size_t req);

/* Change the requested size of the live block p to `size` (1 <= size <= its
 * usable size, else E_BAD_ARGS) without moving or splitting it: realloc for
 * a cache that keeps block sizes fixed.  The contents up to min(old, size)
 * stay; bytes past `size` become slack (new bytes keep what they held).
 * Errors as mem_heap_usable_size. */
int mem_heap_set_size(mem_heap_t *h, void *p, size_t size);

/* Grow the live block p in place so that it has room for `room` bytes, with
 * requested size `size` (1 <= size <= room, and room more than its usable
 * size, else E_BAD_ARGS): it absorbs the front of the free block after it,
 * as mem_heap_realloc does, but never moves.  The contents up to the old
 * requested size or `size`, whichever is less, stay; the bytes from the old
 * requested size to `size` (if any) read as poison, those past `size` are
 * slack.  E_NO_SPACE (no report) when the next block is not free or too
 * small; other errors as mem_heap_realloc.  On error nothing changes. */
int mem_heap_grow(mem_heap_t *h, void *p, size_t room, size_t size);

/* Free the held block p (verified as by mem_heap_unhold) and coalesce it. */
int mem_heap_release(mem_heap_t *h, void *p);

/* Free n (1..MEM_RUN_MAX, else E_BAD_ARGS) held blocks that lie back to
 * back from p, each verified as by mem_heap_release, as one free range: one
 * merge and one index update for the lot.  On any error nothing changes. */
enum { MEM_RUN_MAX = 256 };
int mem_heap_release_run(mem_heap_t *h, void *p, size_t n);

/* Validate the whole heap: every header canary and free-block footer, blocks
 * tile the region exactly, no two free blocks adjacent, free payloads still
 * poisoned and slack intact (check level >= LOCAL), the free index holds
 * exactly the free blocks and keeps its order, balance and augmentation, and
 * the statistics add up.  Returns MEM_OK or the code of the first violation,
 * whose details mem_heap_last_report() gives. */
int mem_heap_check(mem_heap_t *h);

/* Print every block (offset, size, requested size, state, canary status) and
 * a free-index summary to `fd`, without allocating.  Returns MEM_OK, or an
 * error code if the heap is corrupt (the dump still shows what it could). */
int mem_heap_dump(mem_heap_t *h, int fd);

/* Snapshot of the statistics (E_BAD_ARGS for NULL arguments). */
int mem_heap_stats(mem_heap_t *h, mem_stats_t *out);

/* Get/set the check level.  Raising it from OFF re-poisons the free space
 * and refills the slack of live blocks, after a full check. */
int mem_heap_set_check_level(mem_heap_t *h, int level);
int mem_heap_check_level(mem_heap_t *h);

/* Details of the last violation this heap reported (code MEM_OK if none). */
int mem_heap_last_report(mem_heap_t *h, mem_report_t *out);

/* Start of the region's first block and one past its end (for tests/tools). */
void *mem_heap_base(mem_heap_t *h);
void *mem_heap_end(mem_heap_t *h);

/* ======================= The default heap ======================= */

/* Map the default heap.  E_BAD_ARGS when size is 0 or it is already
 * initialised; otherwise as mem_heap_create. */
int mem_init(size_t size);
/* Unmap the default heap (E_NOT_INIT if there is none). */
int mem_destroy(void);
/* The default heap, or NULL before mem_init. */
mem_heap_t *mem_default_heap(void);

void *mem_alloc(size_t size, int style);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t size);
void *mem_aligned_alloc(size_t alignment, size_t size, int style);
size_t mem_usable_size(const void *p);
int mem_free(void *p);
int mem_check(void);
/* Dump the default heap to standard output. */
void mem_dump(void);
int mem_stats(mem_stats_t *out);

/* ======================= Errors ======================= */

/* The calling thread's last error code (MEM_OK after a successful call). */
int mem_errno(void);
/* Fixed text for an error code ("unknown error" for others). */
const char *mem_strerror(int code);
/* Format a report as one line into buf (always NUL-terminated when n > 0);
 * returns the length it needed, like snprintf, without allocating. */
size_t mem_format_report(const mem_report_t *r, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* HARDMEM_MEM_H */
