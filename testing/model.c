/*
 * model.c - the reference model (see model.h for the rules it encodes).
 *
 * Plain arrays and linear scans: the model must be obviously right, not
 * fast.  Free extents stay sorted by address and are merged on every
 * release, so the model is coalesced by construction; live slots keep
 * allocation order, which is what op selectors index.
 */
#include "model.h"

#include <string.h>

#include "mem.h"

enum { G = 16, MIN_G = 3 };

void model_init(model_t *m, uintptr_t base, uint32_t cap_granules)
{
    m->base = base;
    m->cap = cap_granules;
    m->free[0] = (extent_t){ 0, cap_granules };
    m->nfree = 1;
    m->nlive = 0;
    m->rover = 0;
    m->rover_set = false;
    m->next_seed = 0x1234567u;
    m->next_id = 0;
}

uint32_t model_need(const model_t *m, size_t size)
{
    if (size > (size_t)m->cap * G)
        return 0;
    size_t g = (size + G + G - 1) / G;
    return (uint32_t)(g < MIN_G ? MIN_G : g);
}

/* The extent index each style picks for a search of `want` granules. */
static long find(const model_t *m, int style, uint32_t want)
{
    long pick = -1;
    for (size_t i = 0; i < m->nfree; i++) {
        const extent_t *e = &m->free[i];
        switch (style) {
        case MEM_BEST_FIT:
            if (e->size >= want && (pick < 0 || e->size < m->free[pick].size))
                pick = (long)i;
            break;
        case MEM_WORST_FIT:
            if (pick < 0 || e->size > m->free[pick].size)
                pick = (long)i;
            break;
        case MEM_NEXT_FIT:
            if (pick < 0 && e->size >= want && e->g >= m->rover)
                pick = (long)i;
            break;
        default:
            if (pick < 0 && e->size >= want)
                pick = (long)i;
            break;
        }
    }
    if (style == MEM_WORST_FIT && pick >= 0 && m->free[pick].size < want)
        pick = -1;
    if (style == MEM_NEXT_FIT && pick < 0 && m->rover_set)
        return find(m, MEM_FIRST_FIT, want);
    return pick;
}

/* Granules in front of the block so that its payload is `align`-aligned
 * (lib/alloc.c: a lead is 0 or at least one minimum block). */
static uint32_t lead_for(const model_t *m, uint32_t g, size_t align)
{
    if (align <= G)
        return 0;
    uintptr_t first = m->base + (uintptr_t)g * G + G;
    uintptr_t p = (first + align - 1) & ~(uintptr_t)(align - 1);
    while (p != first && (p - first) / G < MIN_G)
        p += align;
    return (uint32_t)((p - first) / G);
}

static placement_t carve(const model_t *m, size_t ext, uint32_t lead, uint32_t need)
{
    const extent_t *e = &m->free[ext];
    placement_t pl = { true, ext, e->g + lead, lead, need, 0 };
    uint32_t rest = e->size - lead - need;
    pl.used = rest >= MIN_G ? need : e->size - lead;
    return pl;
}

placement_t model_place(const model_t *m, size_t size, int style, size_t align)
{
    placement_t none = { false, 0, 0, 0, 0, 0 };
    if (align < G)
        align = G;
    uint32_t need = model_need(m, size);
    size_t extra = align > G ? align / G + MIN_G : 0;
    if (!need || need + extra > m->cap)
        return none;
    long i = find(m, style, need + (uint32_t)extra);
    if (i < 0)
        return none;
    return carve(m, (size_t)i, lead_for(m, m->free[i].g, align), need);
}

placement_t model_place_at(const model_t *m, uint32_t g, uint32_t need)
{
    placement_t none = { false, 0, 0, 0, 0, 0 };
    for (size_t i = 0; i < m->nfree; i++) {
        const extent_t *e = &m->free[i];
        if (g < e->g || g >= e->g + e->size)
            continue;
        uint32_t lead = g - e->g;
        if ((lead && lead < MIN_G) || lead + need > e->size)
            return none;
        return carve(m, i, lead, need);
    }
    return none;
}

static void remove_extent(model_t *m, size_t i)
{
    memmove(&m->free[i], &m->free[i + 1], (m->nfree - i - 1) * sizeof m->free[0]);
    m->nfree--;
}

static void insert_extent(model_t *m, size_t i, extent_t e)
{
    memmove(&m->free[i + 1], &m->free[i], (m->nfree - i) * sizeof m->free[0]);
    m->free[i] = e;
    m->nfree++;
}

size_t model_take(model_t *m, const placement_t *pl, size_t req, size_t align)
{
    extent_t e = m->free[pl->ext];
    remove_extent(m, pl->ext);
    size_t at = pl->ext;
    if (pl->lead)
        insert_extent(m, at++, (extent_t){ e.g, pl->lead });
    uint32_t tail = e.size - pl->lead - pl->used;
    if (tail)
        insert_extent(m, at, (extent_t){ pl->g + pl->used, tail });
    slot_t *s = &m->live[m->nlive];
    *s = (slot_t){ pl->g, pl->used, req, m->next_seed, align < G ? G : align, m->next_id++ };
    m->next_seed = m->next_seed * 1103515245u + 12345u;
    return m->nlive++;
}

void model_release(model_t *m, uint32_t g, uint32_t size)
{
    size_t i = 0;
    while (i < m->nfree && m->free[i].g < g)
        i++;
    extent_t e = { g, size };
    if (i < m->nfree && m->free[i].g == g + size) {
        e.size += m->free[i].size;
        remove_extent(m, i);
    }
    if (i > 0 && m->free[i - 1].g + m->free[i - 1].size == g) {
        e.g = m->free[i - 1].g;
        e.size += m->free[i - 1].size;
        remove_extent(m, --i);
    }
    insert_extent(m, i, e);
}

void model_free(model_t *m, size_t i)
{
    slot_t s = m->live[i];
    memmove(&m->live[i], &m->live[i + 1], (m->nlive - i - 1) * sizeof m->live[0]);
    m->nlive--;
    model_release(m, s.g, s.size);
}

long model_free_at(const model_t *m, uint32_t g)
{
    for (size_t i = 0; i < m->nfree; i++)
        if (m->free[i].g == g)
            return (long)i;
    return -1;
}

const uint8_t *cookie_of(uint32_t seed)
{
    enum { SPAN = 4093 };
    static uint8_t table[SPAN + COOKIE_MAX_REQ];
    static bool ready;
    if (!ready) {
        uint64_t x = 0xc00c1e5ULL;
        for (size_t i = 0; i < sizeof table; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            table[i] = (uint8_t)(x >> 56);
        }
        ready = true;
    }
    return table + seed % SPAN;
}

model_stats_t model_stats(const model_t *m)
{
    model_stats_t st = { 0, 0, 0, m->nlive + m->nfree, m->nfree, 0 };
    for (size_t i = 0; i < m->nlive; i++) {
        st.used += (size_t)m->live[i].size * G;
        st.requested += m->live[i].req;
    }
    for (size_t i = 0; i < m->nfree; i++) {
        st.free += (size_t)m->free[i].size * G;
        if ((size_t)m->free[i].size * G > st.largest)
            st.largest = (size_t)m->free[i].size * G;
    }
    return st;
}
