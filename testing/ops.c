/*
 * ops.c - decoding a byte string into a heap setup and operations.
 *
 * Every field is a draw from the source (src.h) reduced into its range, so
 * any byte string is a valid program and zero is always the smallest
 * choice.  Sizes come in classes so that both tiny requests and requests
 * near the capacity are common:
 *   class 0: 1 + u8                      (1 .. 256)
 *   class 1: 1 + u16 % 4096
 *   class 2: 1 + u32 % (capacity + capacity / 4)   (may not fit at all)
 *   class 3: 16 * u8 - 16 + u8 % 3        (granule boundaries, 0 -> 1)
 * The decoder never looks at a heap: slots are chosen at run time by
 * reducing `sel` modulo the live blocks, so deleting an op never changes how
 * the following bytes decode.
 */
#include "ops.h"

#include "mem.h"

static const size_t region_sizes[8] = { 4096, 1024, 16384, 65536, 512, 2048, 8192, 256 };

static size_t draw_size(src_t *s, size_t region)
{
    uint32_t cls = src_u8(s) % 4;
    size_t v;
    switch (cls) {
    case 0:
        return 1 + src_u8(s);
    case 1:
        return 1 + src_u16(s) % 4096;
    case 2:
        return 1 + src_u32(s) % (region + region / 4);
    default:
        v = 16 * (size_t)src_u8(s);
        v += src_u8(s) % 3;
        return v > 16 ? v - 16 : 1;
    }
}

static void decode_setup(src_t *s, heap_setup_t *hs)
{
    uint32_t v = src_u8(s);
    hs->version = v > OPS_VERSION ? OPS_VERSION : v;
    uint32_t b = src_u8(s);
    hs->level = (int)(b % 3);
    hs->region = region_sizes[(b / 3) % 8];
    hs->mapped = (int)((b / 24) % 3);
}

static uint32_t op_count(uint32_t version)
{
    (void)version; /* every version so far has the v0 set */
    return OP_COUNT_V0;
}

static void decode_op(src_t *s, const heap_setup_t *hs, op_t *op, const op_mix_t *mix)
{
    op->start = (uint32_t)s->pos;
    uint32_t raw = mix ? src_weighted(s, mix->w, OP_COUNT_V0) : src_u8(s);
    op->code = (op_code_t)(raw % op_count(hs->version));
    op->sel = 0;
    op->style = MEM_FIRST_FIT;
    op->size = 1;
    op->n = 1;
    op->align_log = 0;
    op->kind = 0;
    op->arg = 0;
    switch (op->code) {
    case OP_ALLOC:
        op->style = (int)(src_u8(s) % 4);
        op->size = draw_size(s, hs->region);
        break;
    case OP_FREE:
    case OP_USABLE:
        op->sel = src_u8(s);
        break;
    case OP_REALLOC:
        op->sel = src_u8(s);
        op->arg = src_u8(s) % 8; /* 7: realloc(NULL, size) */
        op->size = draw_size(s, hs->region);
        break;
    case OP_CALLOC:
        op->n = 1 + src_u8(s) % 16;
        op->size = 1 + src_u8(s);
        break;
    case OP_ALIGNED:
        op->style = (int)(src_u8(s) % 4);
        op->align_log = src_u8(s) % 13;
        op->size = draw_size(s, hs->region);
        break;
    case OP_LEVEL:
        op->kind = src_u8(s) % 3;
        break;
    case OP_BAD_ARGS:
        op->kind = src_u8(s) % BAD_COUNT;
        op->sel = src_u8(s);
        op->arg = src_u8(s);
        break;
    case OP_MISUSE:
        op->kind = src_u8(s) % MIS_COUNT;
        op->sel = src_u8(s);
        op->arg = src_u16(s);
        break;
    default:
        break;
    }
    op->end = (uint32_t)s->pos;
}

void ops_decode(src_t *s, program_t *p, size_t max_ops, const op_mix_t *mix)
{
    decode_setup(s, &p->setup);
    p->nops = 0;
    if (max_ops > OPS_MAX)
        max_ops = OPS_MAX;
    while (p->nops < max_ops && !src_exhausted(s))
        decode_op(s, &p->setup, &p->ops[p->nops++], mix);
}

const char *op_name(op_code_t c)
{
    static const char *names[OP_COUNT_V0] = { "alloc", "free",  "realloc", "calloc", "aligned_alloc",
                                              "check", "level", "bad_args", "misuse", "usable_size",
                                              "stats", "dump",  "free_all" };
    return (unsigned)c < OP_COUNT_V0 ? names[c] : "?";
}

const char *style_name(int style)
{
    static const char *names[4] = { "MEM_FIRST_FIT", "MEM_BEST_FIT", "MEM_WORST_FIT", "MEM_NEXT_FIT" };
    return style >= 0 && style < 4 ? names[style] : "(bad style)";
}
