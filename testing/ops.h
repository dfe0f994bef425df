/*
 * ops.h - the op-sequence format shared by the property tests and the fuzz
 * targets: a byte string decoded from the front into a heap setup and a list
 * of operations.
 *
 * FORMAT (version 0; see ops.c for every field)
 *   byte 0   format version: min(byte, OPS_VERSION).  Op codes are append-
 *            only: a version-v input decodes only the codes that existed in
 *            version v, so corpus files keep their meaning when ops are added.
 *   byte 1   heap setup: check level, region size, and caller buffer, mmap
 *            or the default heap.
 *   then     ops, each one code byte (reduced modulo the codes of the input's
 *            version) and its arguments.
 * All-zero bytes decode to the simplest choice (a 4 KiB caller-buffer heap at
 * check level OFF, then mem_heap_alloc(h, 1, MEM_FIRST_FIT)); a prefix decodes
 * to a prefix; decoding needs no heap state, so a shrinker may cut anywhere.
 */
#ifndef HARDMEM_TESTING_OPS_H
#define HARDMEM_TESTING_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "src.h"

/* Op codes: append only.  The comment gives the version that added each. */
typedef enum op_code {
    OP_ALLOC = 0,     /* v0: mem_heap_alloc(size, style)                   */
    OP_FREE = 1,      /* v0: mem_heap_free(slot)                           */
    OP_REALLOC = 2,   /* v0: mem_heap_realloc(slot or NULL, size)          */
    OP_CALLOC = 3,    /* v0: mem_heap_calloc(n, elem)                      */
    OP_ALIGNED = 4,   /* v0: mem_heap_aligned_alloc(1 << align_log, size)  */
    OP_CHECK = 5,     /* v0: mem_heap_check                                */
    OP_LEVEL = 6,     /* v0: mem_heap_set_check_level(level)               */
    OP_BAD_ARGS = 7,  /* v0: a call with an argument out of range          */
    OP_MISUSE = 8,    /* v0: double free, interior/wild pointer, overflow,
                             underflow, write after free                   */
    OP_USABLE = 9,    /* v0: mem_heap_usable_size(slot)                    */
    OP_STATS = 10,    /* v0: mem_heap_stats                                */
    OP_DUMP = 11,     /* v0: mem_heap_dump to /dev/null                    */
    OP_FREE_ALL = 12, /* v0: free every live block (then: one free block)  */
    OP_COUNT_V0 = 13,
} op_code_t;

enum {
    OPS_VERSION = 0, /* the newest format version */
    OPS_MAX = 4096,  /* ops decoded from one input at most */
};

/* Kinds of OP_BAD_ARGS and OP_MISUSE. */
enum { BAD_SIZE0, BAD_STYLE, BAD_HUGE, BAD_ALIGN, BAD_CALLOC_OVF, BAD_CALLOC0, BAD_REALLOC0, BAD_COUNT };
enum { MIS_DOUBLE_FREE, MIS_INTERIOR, MIS_MISALIGNED, MIS_WILD, MIS_OVERFLOW, MIS_UNDERFLOW, MIS_AFTER_FREE,
       MIS_COUNT };

typedef struct op {
    op_code_t code;
    uint32_t sel;    /* slot selector (reduced modulo the live slots) */
    int style;       /* MEM_*_FIT, or a bad value for OP_BAD_ARGS */
    size_t size;     /* bytes (OP_CALLOC: element size) */
    size_t n;        /* OP_CALLOC: element count */
    uint32_t align_log;
    uint32_t kind;   /* OP_BAD_ARGS / OP_MISUSE kind, OP_LEVEL level */
    uint32_t arg;    /* a free extra draw: misuse offsets, NULL realloc */
    uint32_t start;  /* first byte of the op in the input */
    uint32_t end;    /* one past its last byte */
} op_t;

typedef struct heap_setup {
    uint32_t version;
    int level;     /* MEM_CHECK_* */
    size_t region; /* bytes of the block region */
    int mapped;    /* 0: mem_heap_create_in (a malloc'd buffer), 1: mem_heap_create,
                      2: the default heap (mem_init, plain mem_* calls) */
} heap_setup_t;

typedef struct program {
    heap_setup_t setup;
    op_t ops[OPS_MAX];
    size_t nops;
} program_t;

/* Op-mix weights for generation, indexed by op code (OP_COUNT_V0 entries). */
typedef struct op_mix {
    uint8_t w[OP_COUNT_V0];
} op_mix_t;

/* Decode a whole program.  In generate mode `max_ops` ops are drawn (with
 * `mix`, which may be NULL for uniform); in replay mode decoding stops when
 * the input is exhausted at an op boundary or after max_ops. */
void ops_decode(src_t *s, program_t *p, size_t max_ops, const op_mix_t *mix);

const char *op_name(op_code_t c);
const char *style_name(int style);

#endif
