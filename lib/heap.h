/*
 * heap.h - the region heap's internal layout, shared by the files of lib/ only.
 *
 * THE REGION
 * A heap is one contiguous, 16-byte aligned region.  Its first bytes hold the
 * control structure (struct mem_heap, below); the rest is tiled by blocks.
 * Every position in the region is named by a 32-bit "granule" offset: the
 * distance from the start of the control structure in units of 16 bytes.
 * Granule 0 is inside the control structure, so 0 can mean "no block".
 *
 * A BLOCK (every size is a whole number of granules, at least 3 = 48 bytes)
 *
 *   allocated:  [ header 16 | payload: requested bytes | slack ]
 *   free:       [ header 16 | free node 24 | poison ...  | footer 8 ]
 *
 * header  size (granules), flags (ALLOC, PREV_FREE, HELD), slack (allocated: the
 *         bytes after the requested size; free: 0) and a 32-bit canary, a
 *         keyed hash of the secret, the header's address and those fields.
 *         So a header that is flipped, copied elsewhere or forged fails.
 * footer  free blocks only: size and canary again, in the last 8 bytes.
 *         PREV_FREE in the next header says there is a footer to read, so an
 *         allocated block costs only its 16-byte header (boundary tags in the
 *         style of Knuth's optimisation, as dlmalloc and TLSF do).
 * node    free blocks only: the links of the two free-index trees
 *         (lib/index.c) and a keyed 16-bit check over them.
 * slack   filled with SLACK_BYTE at check level >= LOCAL; verified on free.
 * held    an allocated block with HELD set was freed by the program but is
 *         kept by a front end (lib/hold.c): still allocated here (no
 *         coalescing), its requested bytes poisoned, and every call that
 *         takes a live block refuses it as a double free.
 * poison  free payload past the node is filled with POISON_BYTE at level
 *         >= LOCAL and verified when it is handed out again.
 * fresh   a heap laid over memory known to read as zero (mem_heap_create,
 *         mem_heap_create_in_fresh) is not poisoned up front: the free
 *         payload from byte offset `fresh` on has never been handed out and
 *         reads as zero.  That stretch is always in the last block (blocks
 *         are carved from a free block's low end), so it only shrinks:
 *         before take() or an in-place grow hands some of it out,
 *         handout_verify() poisons it, so that a new block reads as poison.
 *         A heap made `untouched` (mem_heap_create_in_untouched, for the
 *         checked malloc) instead moves `fresh` past what it hands out, at
 *         commit, without writing it: the block's payload is undefined
 *         until written and is poisoned when freed; only what stays free
 *         below the new mark (an aligned block's lead) is poisoned.  So the
 *         pages stay untouched until the program uses them, as with glibc:
 *         a 72 KiB block of which a program writes a few bytes costs one
 *         page and the slack's, not 20 (libstdc++'s emergency pool).
 *
 * INVARIANTS (numbered; lib/check.c verifies each one and names it)
 *   I1  Blocks tile [first, end) exactly: each starts where the previous
 *       ended, and the last ends at `end`.
 *   I2  Every header's canary matches; every free block's footer equals its
 *       header's size and canary.
 *   I3  A header has PREV_FREE set iff the block before it is free.
 *   I4  No two free blocks are adjacent (coalescing is immediate).
 *   I5  The address tree and the size tree each hold exactly the free blocks,
 *       in key order, AVL-balanced, with correct heights; the address tree's
 *       `max` fields are the largest size in each subtree; every node check
 *       matches.
 *   I6  At level >= LOCAL, every free payload byte past the node and before
 *       the footer is POISON_BYTE, except those at or past `fresh`, which
 *       are 0; every allocated block's slack bytes are SLACK_BYTE.
 *   I7  The statistics equal what a walk counts: used + free == capacity.
 *   I8  A byte range that stops being a header, footer or node is wiped at
 *       once (at every level), so a stale header can never validate.
 *   I9  HELD is set only with ALLOC; at level >= LOCAL a held block's
 *       requested bytes are POISON_BYTE (and its slack SLACK_BYTE, I6).
 *
 * TRANSACTIONS
 * Every metadata word a call writes goes through meta_write(), which logs its
 * old value first.  If validation fails half-way (a corrupt node met while
 * rebalancing, say), rollback() restores every logged word in reverse order,
 * so the failing call leaves the metadata byte-for-byte as it found it.
 * Bulk fills (poison, slack, zeroing) are queued and run only at commit, when
 * nothing can fail any more.  Within one call (under the heap's lock) a free
 * block that passed free_check() is remembered in a small cache, so a walk
 * that meets it again does not recompute its hashes; hdr_write() and
 * meta_wipe() forget the blocks whose headers they change.
 */
#ifndef HARDMEM_HEAP_H
#define HARDMEM_HEAP_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/* Tunables that may be changed. */
enum {
    UNDO_CAP = 4096,    /* logged metadata words per call (needs ~30-300)  */
    VCACHE = 64,        /* free blocks remembered as validated, per call   */
    FILL_CAP = 8,       /* queued bulk fills per call                      */
    POISON_BYTE = 0xDF, /* free payload                                    */
    SLACK_BYTE = 0xAC,  /* bytes after the requested size                  */
};

/* Constants that must not be changed (they follow from the layout). */
enum {
    GRANULE = 16,
    HDR_BYTES = 16,
    NODE_BYTES = 24,
    FTR_BYTES = 8,
    MIN_BLOCK_G = 3,            /* 48 bytes: header + node + footer fits   */
    POISON_START = HDR_BYTES + NODE_BYTES, /* offset of poison in a free block */
    MAX_DEPTH = 64,             /* an AVL tree of 2^32 nodes is < 47 deep */
    BLK_ALLOC = 1u,
    BLK_PREV_FREE = 2u,
    BLK_HELD = 4u, /* only together with BLK_ALLOC (lib/hold.c) */
    BLK_FLAGS = BLK_ALLOC | BLK_PREV_FREE | BLK_HELD,
    TREE_ADDR = 0,
    TREE_SIZE = 1,
};

_Static_assert(MEM_MIN_BLOCK == MIN_BLOCK_G * GRANULE, "public minimum matches");
_Static_assert(HDR_BYTES + NODE_BYTES + FTR_BYTES <= MIN_BLOCK_G * GRANULE,
               "a minimum free block holds header, node and footer");

typedef struct block_hdr {
    uint32_t size;   /* granules, header included */
    uint32_t flags;  /* BLK_* */
    uint32_t slack;  /* allocated: payload bytes after the requested size */
    uint32_t canary; /* hdr_canary() of the above and the address */
} block_hdr_t;

typedef struct block_ftr {
    uint32_t size;
    uint32_t canary;
} block_ftr_t;

typedef struct free_node {
    uint32_t left[2];  /* [TREE_ADDR], [TREE_SIZE]: granule offsets, 0 = none */
    uint32_t right[2];
    uint32_t max;      /* address tree: largest size (granules) in subtree */
    uint8_t height[2]; /* AVL heights, a leaf is 1 */
    uint16_t check;    /* node_check() of the above and the address */
} free_node_t;

_Static_assert(sizeof(block_hdr_t) == HDR_BYTES, "header layout");
_Static_assert(sizeof(block_ftr_t) == FTR_BYTES, "footer layout");
_Static_assert(sizeof(free_node_t) == NODE_BYTES, "node layout");

typedef struct undo_entry {
    uint32_t word; /* offset from the heap base in 4-byte words */
    uint32_t old;
} undo_entry_t;

typedef struct fill {
    size_t at;  /* byte offset from the heap base */
    size_t len;
    int byte;
} fill_t;

struct mem_heap {
    uint64_t magic;  /* HEAP_MAGIC ^ address of this struct */
    uint64_t secret; /* canary key, from getrandom */
    int lock;        /* heap_lock(): 0 free, 1 held */
    unsigned char *base; /* == (unsigned char *)this */
    uint32_t first;      /* granule of the first block */
    uint32_t end;        /* granule one past the last block */
    void *map;           /* the mapping to munmap, or NULL (caller buffer) */
    size_t map_len;
    int level;           /* MEM_CHECK_* */
    size_t fresh;        /* byte offset: free payload from here on reads as 0 (never used); 0: none */
    bool untouched;      /* blocks carved past fresh are handed out unwritten (heap.h, fresh) */
    uint32_t root[2];    /* tree roots, granule offsets (0 = empty) */
    uint32_t rover;      /* next-fit: where the next search starts */
    /* statistics (I7), updated at commit */
    size_t used_bytes, free_bytes, requested, blocks, free_blocks, last_hops;
    mem_report_t report; /* the last violation found */
    /* the transaction of the call in progress */
    long long d_used, d_free, d_req, d_blocks, d_free_blocks; /* pending stats */
    size_t d_fresh;                                           /* pending fresh, 0: unchanged */
    uint32_t undo_len;
    bool undo_overflow;
    uint32_t nfill, fills_done;
    fill_t fills[FILL_CAP];
    /* Free blocks that passed free_check in this call: (call number << 32 |
     * granule), direct-mapped.  A header write or wipe forgets its entry. */
    uint64_t call_no;
    uint64_t vcache[VCACHE];
    undo_entry_t undo[UNDO_CAP];
};

#define HEAP_MAGIC 0x68617264686561ULL /* "hardhea" */

/* ---- granule <-> pointer ---- */
static inline void *at(const mem_heap_t *h, uint32_t g) { return h->base + (size_t)g * GRANULE; }
static inline block_hdr_t *hdr(const mem_heap_t *h, uint32_t g) { return (block_hdr_t *)at(h, g); }
static inline free_node_t *node(const mem_heap_t *h, uint32_t g)
{
    return (free_node_t *)(h->base + (size_t)g * GRANULE + HDR_BYTES);
}
static inline block_ftr_t *ftr(const mem_heap_t *h, uint32_t g, uint32_t size)
{
    return (block_ftr_t *)(h->base + ((size_t)g + size) * GRANULE - FTR_BYTES);
}
static inline size_t gbytes(uint32_t g) { return (size_t)g * GRANULE; }
/* Is granule g a position of the block region, [first, end)? */
static inline bool in_region(const mem_heap_t *h, uint32_t g) { return g >= h->first && g < h->end; }

/* ---- keyed hashes (lib/canary.c) ---- */
uint64_t heap_new_secret(void);
/* One step of the keyed hash (canary.c explains it). */
static inline uint64_t canary_absorb(uint64_t x, uint64_t word)
{
    x = (x ^ word) * 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 29);
}
static inline uint32_t hdr_canary(const mem_heap_t *h, uint32_t g, uint32_t size, uint32_t flags, uint32_t slack);
uint16_t node_check(const mem_heap_t *h, uint32_t g, const free_node_t *n);

static inline uint32_t hdr_canary(const mem_heap_t *h, uint32_t g, uint32_t size, uint32_t flags, uint32_t slack)
{
    uint64_t x = canary_absorb(h->secret, (uint64_t)(uintptr_t)at(h, g));
    x = canary_absorb(x, (uint64_t)size << 32 | flags);
    x = canary_absorb(x, slack);
    return (uint32_t)(x ^ (x >> 32));
}

/* Is the header at g sound: inside the region, a size that fits, known
 * flags (HELD only with ALLOC), slack within the payload (0 when free), and
 * its canary?  The same conditions as block_check() (I1, I2), without the
 * report: the hot paths ask this first and call block_check() to name what
 * is wrong only when it fails. */
static inline bool hdr_ok(const mem_heap_t *h, uint32_t g)
{
    if (!in_region(h, g))
        return false;
    const block_hdr_t *b = hdr(h, g);
    uint32_t size = b->size, flags = b->flags, slack = b->slack;
    uint32_t max_slack = (flags & BLK_ALLOC) ? (uint32_t)(gbytes(size) - HDR_BYTES) : 0;
    return size >= MIN_BLOCK_G && size <= h->end - g && !(flags & ~(uint32_t)BLK_FLAGS) &&
           (flags & (BLK_HELD | BLK_ALLOC)) != BLK_HELD && slack <= max_slack &&
           b->canary == hdr_canary(h, g, size, flags, slack);
}

static inline bool handle_ok(const mem_heap_t *h) { return h && h->magic == (HEAP_MAGIC ^ (uint64_t)(uintptr_t)h); }

/* A spinning waiter's pause. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* The heap's lock.  A call holds it for its own work on the heap only (no
 * allocation, no callback; mem_heap_dump is the one call that writes to a
 * file under it), so a waiter spins a while on a plain load and then
 * yields the processor rather than sleeping.  Uncontended it is one atomic
 * exchange and one store with no call into libc, which matters on the
 * checked malloc's every call. */
static inline void heap_lock(mem_heap_t *h)
{
    for (unsigned spins = 0; __atomic_exchange_n(&h->lock, 1, __ATOMIC_ACQUIRE);) {
        while (__atomic_load_n(&h->lock, __ATOMIC_RELAXED)) {
            if (++spins < 64)
                cpu_relax();
            else
                sched_yield();
        }
    }
}

static inline void heap_unlock(mem_heap_t *h) { __atomic_store_n(&h->lock, 0, __ATOMIC_RELEASE); }

/* ---- reporting (lib/error.c) ---- */
void set_errno(int code);
/* Record a violation in h->report and set the thread's error; returns code. */
int report(mem_heap_t *h, int code, uint32_t g, const char *what, uint64_t expected, uint64_t found);

/* ---- transactions and metadata writes (lib/block.c) ---- */
/* A metadata word as the transaction log writes it.  The same 4 bytes are
 * read as header, footer and node fields (the node's check is a uint16_t)
 * and are written whole by meta_write(), rollback() and meta_wipe(); C lets
 * a uint16_t be read from bytes last stored as uint32_t only through a type
 * that may alias every other, which may_alias makes this one. */
typedef uint32_t __attribute__((may_alias)) meta_word_t;
void txn_begin(mem_heap_t *h);
void meta_write(mem_heap_t *h, meta_word_t *word, uint32_t value);
void rollback(mem_heap_t *h);
void queue_fill(mem_heap_t *h, size_t at_byte, size_t len, int byte);
/* Run the queued fills up to (not including) number `upto`. */
void run_fills(mem_heap_t *h, uint32_t upto);
/* Run the remaining fills, apply the pending statistics, end the call. */
void commit(mem_heap_t *h);

/* ---- blocks (lib/block.c) ---- */
/* Validate the header at g: inside the region, sane size and flags, canary. */
int block_check(mem_heap_t *h, uint32_t g);
/* Validate a free block for use as an index node: header, free, node check. */
int free_check(mem_heap_t *h, uint32_t g);
/* Also its footer (for blocks that are about to change). */
int free_check_full(mem_heap_t *h, uint32_t g);
void hdr_write(mem_heap_t *h, uint32_t g, uint32_t size, uint32_t flags, uint32_t slack);
/* The same without logging, for a call's last write (nothing can fail after
 * it, so there is nothing to roll back). */
void hdr_set(mem_heap_t *h, uint32_t g, uint32_t size, uint32_t flags, uint32_t slack);
void ftr_write(mem_heap_t *h, uint32_t g, uint32_t size);
void node_write(mem_heap_t *h, uint32_t g, const free_node_t *n);
/* Wipe a retired header, footer or node (I8). */
void meta_wipe(mem_heap_t *h, size_t at_byte, size_t len);
/* Is [at, at+len) all `byte`?  Returns the offset of the first other byte or len. */
size_t bytes_differ(const mem_heap_t *h, size_t at_byte, size_t len, int byte);
/* Are block g's slack bytes intact (all SLACK_BYTE, checked at LOCAL and
 * above)?  slack_verify()'s test, without the report, for the hot paths. */
static inline bool slack_intact(const mem_heap_t *h, uint32_t g)
{
    const block_hdr_t *b = hdr(h, g);
    return h->level < MEM_CHECK_LOCAL || !b->slack ||
           bytes_differ(h, gbytes(g + b->size) - b->slack, b->slack, SLACK_BYTE) == b->slack;
}
/* Level-dependent poison verification of the free payload [at, at+len) of
 * block g (I6: zero at or past h->fresh); reports on failure. */
int poison_verify(mem_heap_t *h, uint32_t g, size_t at_byte, size_t len);
/* The free payload [at, at+len) of block g is about to be handed out or to
 * hold metadata, except [at, stays_free), which stays free payload (an
 * aligned block's lead; stays_free <= at for none): verify the poison of
 * the part below h->fresh (reporting as poison_verify), then poison the
 * part at or past it and move fresh up to at+len (I6).  An untouched heap
 * poisons only what stays free, and moves fresh past the rest when the call
 * commits (h->d_fresh): those bytes are not free then.  The never-used part
 * is not read: that would map the zero page; mem_heap_check verifies it as
 * zero.  The poisoning is done at once, not queued: the bytes are free
 * payload either way, so a rollback (which drops d_fresh) leaves I6 true. */
int handout_verify(mem_heap_t *h, uint32_t g, size_t at_byte, size_t len, size_t stays_free);
int slack_verify(mem_heap_t *h, uint32_t g);

/* ---- the free index (lib/index.c) ---- */
/* Insert free block g (header already written) into both trees. */
int index_insert(mem_heap_t *h, uint32_t g);
/* Remove free block g from both trees. */
int index_remove(mem_heap_t *h, uint32_t g);
/* The same for one tree.  index_replace_addr puts free block neu (header
 * written) in old's place in the address tree, which is valid when no other
 * free block lies between them; the size tree is handled separately:
 * remove old by its old key first, insert neu after the replacement. */
int index_remove_by_size(mem_heap_t *h, uint32_t g);
int index_replace_addr(mem_heap_t *h, uint32_t old, uint32_t neu);
int index_insert_by_size(mem_heap_t *h, uint32_t g);
/* Find a free block of at least `need` granules by style; 0 if none (with
 * *err MEM_OK) or on corruption (*err set).  Counts hops. */
uint32_t index_find(mem_heap_t *h, int style, uint32_t need, int *err);
/* Find the free block whose extent contains granule g, or 0. */
uint32_t index_containing(mem_heap_t *h, uint32_t g, int *err);
/* Validate both trees completely (I5); counts nodes. */
int index_validate(mem_heap_t *h, size_t *count_addr, size_t *count_size);

/* ---- carving and releasing blocks (lib/alloc.c, lib/free.c) ---- */
/* Granules for a request of `size` bytes; 0 if it can never fit. */
uint32_t need_granules(const mem_heap_t *h, size_t size);
/* Allocate `need` granules for `req` bytes at free block g + lead, leaving a
 * free block of `lead` granules in front (lead is 0 or >= MIN_BLOCK_G) and
 * splitting off the tail when it can be a block.  Validates before writing. */
int take(mem_heap_t *h, uint32_t g, uint32_t lead, uint32_t need, size_t req);
/* Turn [g, g+size) into free space, merging with a free successor and, when
 * with_prev, a free predecessor.  was_block: g already has a header. */
int release(mem_heap_t *h, uint32_t g, uint32_t size, bool with_prev, bool was_block);
/* Map a user pointer to its block, classifying bad pointers (E_BAD_POINTER,
 * E_DOUBLE_FREE, E_CORRUPT_*) before any header is trusted. */
int block_of(mem_heap_t *h, const void *p, uint32_t *g);
/* Free the live block g (already classified by block_of, slack verified):
 * release and coalesce it, blaming an overflow for a bad next header; then
 * commit, or roll back on error. */
int free_block(mem_heap_t *h, uint32_t g);
/* The same for `blocks` consecutive blocks starting at g, `size` granules
 * and `req` requested bytes in all, whose inner headers the caller wiped. */
int free_run(mem_heap_t *h, uint32_t g, uint32_t size, size_t req, size_t blocks);
static inline size_t requested_of(const mem_heap_t *h, uint32_t g)
{
    return gbytes(hdr(h, g)->size) - HDR_BYTES - hdr(h, g)->slack;
}

/* ---- heap entry and whole-heap checks (lib/heap.c, lib/check.c) ---- */
int heap_check_locked(mem_heap_t *h);
/* Validate the handle, lock, begin a transaction, and at MEM_CHECK_FULL run
 * the whole validator.  On error the heap is not locked. */
int heap_enter(mem_heap_t *h);
void heap_leave(mem_heap_t *h);
int env_check_level(void);

#endif /* HARDMEM_HEAP_H */
