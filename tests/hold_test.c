/*
 * hold_test.c - the front-end calls: holding a freed block, handing it out
 * again, releasing it, resizing in place, growing in place, and allocating
 * with room.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "mem.h"

static mem_heap_t *h;

static mem_stats_t stats(void)
{
    mem_stats_t st;
    mem_heap_stats(h, &st);
    return st;
}

static void hold_and_unhold(void)
{
    unsigned char *a = mem_heap_alloc(h, 100, MEM_FIRST_FIT), *b = mem_heap_alloc(h, 100, MEM_FIRST_FIT);
    CHECK(a && b);
    memset(a, 'x', 100);
    mem_stats_t before = stats();
    size_t req = 0;
    CHECK(mem_heap_hold(h, a, &req) == MEM_OK && req == 100);
    CHECK(all_bytes(a, 100, 0xDF)); /* poisoned at the default level */
    CHECK(mem_heap_check(h) == MEM_OK);
    mem_stats_t held = stats();
    CHECK(held.blocks == before.blocks && held.free_blocks == before.free_blocks); /* nothing coalesced */

    /* A held block is freed as far as every other call is concerned. */
    CHECK(mem_heap_free(h, a) == E_DOUBLE_FREE);
    CHECK(mem_heap_usable_size(h, a) == 0 && mem_errno() == E_DOUBLE_FREE);
    CHECK(mem_heap_hold(h, a, &req) == E_DOUBLE_FREE);
    CHECK(mem_heap_realloc(h, a, 50) == NULL && mem_errno() == E_DOUBLE_FREE);
    CHECK(mem_heap_set_size(h, a, 50) == E_DOUBLE_FREE);

    /* Only held blocks can be unheld or released, and only with a size that fits. */
    CHECK(mem_heap_unhold(h, b, 10) == E_BAD_POINTER);
    CHECK(mem_heap_release(h, b) == E_BAD_POINTER);
    CHECK(mem_heap_unhold(h, a + 16, 10) == E_BAD_POINTER);
    CHECK(mem_heap_unhold(h, a, 0) == E_BAD_ARGS);
    CHECK(mem_heap_unhold(h, a, 113) == E_BAD_ARGS); /* 100 + 16 rounds to 128: 112 usable */

    /* Handed out again for a larger request: the old slack reads as poison. */
    CHECK(mem_heap_unhold(h, a, 112) == MEM_OK);
    CHECK(mem_heap_usable_size(h, a) == 112 && all_bytes(a, 112, 0xDF));
    CHECK(stats().requested == before.requested + 12);
    CHECK(mem_heap_check(h) == MEM_OK);

    /* And for a smaller one: the cut tail is slack again, checked on free. */
    CHECK(mem_heap_hold(h, a, &req) == MEM_OK && req == 112);
    CHECK(mem_heap_unhold(h, a, 20) == MEM_OK && mem_heap_usable_size(h, a) == 20);
    a[20] = 1; /* one byte past the new request */
    CHECK(mem_heap_free(h, a) == E_CORRUPT_BLOCK);
    a[20] = 0xAC;
    CHECK(mem_heap_free(h, a) == MEM_OK);
    CHECK(mem_heap_free(h, b) == MEM_OK);
    CHECK(stats().free_blocks == 1 && mem_heap_check(h) == MEM_OK);
}

static void writes_while_held(void)
{
    unsigned char *a = mem_heap_alloc(h, 64, MEM_FIRST_FIT), *b = mem_heap_alloc(h, 64, MEM_FIRST_FIT);
    size_t req;
    CHECK(mem_heap_hold(h, a, &req) == MEM_OK);
    a[9] = 'w'; /* write after free */
    CHECK(mem_heap_unhold(h, a, 64) == E_CORRUPT_FREESPACE);
    mem_report_t r;
    CHECK(mem_heap_last_report(h, &r) == MEM_OK && r.byte_offset == 16 + 9 && r.found == 'w');
    CHECK(mem_heap_release(h, a) == E_CORRUPT_FREESPACE); /* and nothing changed */
    CHECK(mem_heap_usable_size(h, a) == 0 && mem_errno() == E_DOUBLE_FREE);
    a[9] = 0xDF;
    CHECK(mem_heap_release(h, a) == MEM_OK);
    CHECK(mem_heap_free(h, a) == E_DOUBLE_FREE); /* released: a free block now */

    /* hold validates like free: overflow into the slack or the next header. */
    unsigned char *c = mem_heap_alloc(h, 40, MEM_FIRST_FIT);
    c[40] = 0;
    CHECK(mem_heap_hold(h, c, &req) == E_CORRUPT_BLOCK);
    c[40] = 0xAC;
    unsigned char saved = b[-4];
    b[-4] ^= 0xFF; /* b's own canary: an underflow into its header */
    CHECK(mem_heap_hold(h, b, &req) == E_CORRUPT_BLOCK);
    b[-4] = saved;
    unsigned char *d = mem_heap_alloc(h, 48, MEM_FIRST_FIT), *e = mem_heap_alloc(h, 48, MEM_FIRST_FIT);
    saved = e[-12];
    e[-12] ^= 0x55; /* d overflowed into e's header */
    CHECK(mem_heap_hold(h, d, &req) == E_CORRUPT_BLOCK);
    CHECK(mem_heap_last_report(h, &r) == MEM_OK && r.offset == (long long)((e - 16) - (unsigned char *)mem_heap_base(h)));
    e[-12] = saved;
    CHECK(mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, b) == MEM_OK && mem_heap_free(h, c) == MEM_OK && mem_heap_free(h, d) == MEM_OK &&
          mem_heap_free(h, e) == MEM_OK);
    CHECK(stats().free_blocks == 1 && mem_heap_check(h) == MEM_OK);
}

static void release_coalesces(void)
{
    void *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = mem_heap_alloc(h, 200, MEM_FIRST_FIT);
    size_t req;
    CHECK(mem_heap_free(h, p[0]) == MEM_OK && mem_heap_free(h, p[2]) == MEM_OK);
    CHECK(mem_heap_hold(h, p[1], &req) == MEM_OK);
    CHECK(stats().free_blocks == 3);
    CHECK(mem_heap_release(h, p[1]) == MEM_OK); /* merges with both neighbours */
    CHECK(stats().free_blocks == 2 && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, p[3]) == MEM_OK);
    mem_stats_t st = stats();
    CHECK(st.free_blocks == 1 && st.largest_free == st.capacity && st.requested == 0);
}

static void release_runs(void)
{
    unsigned char *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = mem_heap_alloc(h, 100, MEM_FIRST_FIT);
    mem_stats_t before = stats();
    size_t req;
    for (int i = 1; i < 5; i++)
        CHECK(mem_heap_hold(h, p[i], &req) == MEM_OK);
    CHECK(mem_heap_release_run(h, p[1], 0) == E_BAD_ARGS);
    CHECK(mem_heap_release_run(h, p[1], MEM_RUN_MAX + 1) == E_BAD_ARGS);
    CHECK(mem_heap_release_run(h, p[1], 5) == E_BAD_POINTER); /* p[5] is live, not held */
    if (mem_heap_check_level(h) >= MEM_CHECK_LOCAL) {
        p[3][7] = 'w'; /* a write after free in the run */
        CHECK(mem_heap_release_run(h, p[1], 4) == E_CORRUPT_FREESPACE);
        CHECK(stats().blocks == before.blocks && mem_heap_check(h) == MEM_OK); /* nothing changed */
        p[3][7] = 0xDF;
    }
    CHECK(mem_heap_release_run(h, p[1], 4) == MEM_OK);
    mem_stats_t st = stats();
    CHECK(st.blocks == before.blocks - 3 && st.free_blocks == before.free_blocks + 1);
    CHECK(st.requested == before.requested - 400);
    CHECK(mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, p[2]) == E_DOUBLE_FREE); /* an inner block: inside a free block now */
    CHECK(mem_heap_free(h, p[0]) == MEM_OK && mem_heap_free(h, p[5]) == MEM_OK);
    CHECK(stats().free_blocks == 1 && mem_heap_check(h) == MEM_OK);
}

static void set_size_and_room(void)
{
    unsigned char *a = mem_heap_alloc_room(h, 10, 500, MEM_FIRST_FIT);
    CHECK(a && mem_heap_usable_size(h, a) == 10);
    CHECK(mem_heap_alloc_room(h, 10, 9, MEM_FIRST_FIT) == NULL && mem_errno() == E_BAD_ARGS);
    CHECK(mem_heap_set_size(h, a, 500) == MEM_OK && mem_heap_usable_size(h, a) == 500); /* room kept */
    CHECK(mem_heap_set_size(h, a, 513) == E_BAD_ARGS);    /* room 500: 33 granules, 512 usable */
    CHECK(mem_heap_set_size(h, a, 512) == MEM_OK);
    memset(a, 'k', 512);
    CHECK(mem_heap_set_size(h, a, 5) == MEM_OK && all_bytes(a, 5, 'k') && all_bytes(a + 5, 507, 0xAC));
    CHECK(mem_heap_check(h) == MEM_OK);
    a[5] = 0;
    CHECK(mem_heap_set_size(h, a, 6) == E_CORRUPT_BLOCK); /* the slack is verified first */
    a[5] = 0xAC;
    CHECK(mem_heap_set_size(h, a + 16, 6) == E_BAD_POINTER);
    CHECK(mem_heap_free(h, a) == MEM_OK && stats().free_blocks == 1);
}

/* mem_heap_grow: into the free block after it, and only that. */
static void grow(void)
{
    unsigned char *a = mem_heap_alloc(h, 100, MEM_FIRST_FIT), *b = mem_heap_alloc(h, 100, MEM_FIRST_FIT),
                  *c = mem_heap_alloc(h, 100, MEM_FIRST_FIT);
    CHECK(a && b == a + 128 && c == b + 128); /* 100 + 16 bytes: 8 granules each */
    memset(a, 'g', 100);
    size_t req;

    /* The block after a is live, then held: no room, nothing changes. */
    CHECK(mem_heap_grow(h, a, 150, 150) == E_NO_SPACE && mem_heap_usable_size(h, a) == 100);
    CHECK(mem_heap_hold(h, b, &req) == MEM_OK && mem_heap_grow(h, a, 150, 150) == E_NO_SPACE);
    CHECK(mem_heap_release(h, b) == MEM_OK);
    mem_stats_t before = stats();

    /* Free now, but 8 + 8 granules hold 240 bytes, no more. */
    CHECK(mem_heap_grow(h, a, 241, 241) == E_NO_SPACE && mem_heap_usable_size(h, a) == 100);
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Room for 150: 11 granules (160 usable), the other 5 stay free. */
    CHECK(mem_heap_grow(h, a, 150, 120) == MEM_OK && mem_heap_usable_size(h, a) == 120);
    CHECK(all_bytes(a, 100, 'g') && all_bytes(a + 100, 20, 0xDF) && all_bytes(a + 120, 40, 0xAC));
    mem_stats_t st = stats();
    CHECK(st.requested == before.requested + 20 && st.free_blocks == before.free_blocks);
    CHECK(st.free_bytes == before.free_bytes - 3 * 16 && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_set_size(h, a, 160) == MEM_OK); /* the room is a's own */

    /* Bad arguments, and pointers that are not live blocks. */
    CHECK(mem_heap_grow(h, a, 180, 181) == E_BAD_ARGS);
    CHECK(mem_heap_grow(h, a, 0, 0) == E_BAD_ARGS);
    CHECK(mem_heap_grow(h, a, 160, 160) == E_BAD_ARGS); /* it has that room already */
    CHECK(mem_heap_grow(h, a + 16, 200, 200) == E_BAD_POINTER);
    CHECK(mem_heap_grow(h, b + 48, 200, 200) == E_DOUBLE_FREE); /* the free block itself */

    /* A write into the free block is found before anything changes. */
    unsigned char *fb = a + 160 + 16; /* the free block's payload: node, then poison */
    fb[40] = 'w';
    CHECK(mem_heap_grow(h, a, 240, 240) == E_CORRUPT_FREESPACE);
    CHECK(mem_heap_usable_size(h, a) == 160 && all_bytes(a, 100, 'g'));
    fb[40] = 0xDF;
    CHECK(mem_heap_check(h) == MEM_OK);

    /* Room for all of it: the free block goes, c's header learns it. */
    CHECK(mem_heap_grow(h, a, 225, 240) == E_BAD_ARGS); /* room < size */
    CHECK(mem_heap_grow(h, a, 240, 240) == MEM_OK && mem_heap_usable_size(h, a) == 240);
    CHECK(stats().free_blocks == before.free_blocks - 1 && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, a) == MEM_OK);
    CHECK(mem_heap_grow(h, a, 300, 300) == E_DOUBLE_FREE);
    CHECK(mem_heap_free(h, c) == MEM_OK && stats().free_blocks == 1 && mem_heap_check(h) == MEM_OK);
}

/* mem_heap_grow to a size below the old request (api_fuzz found it queued a
 * poison fill of size - old bytes, wrapped around: a crash): the room grows,
 * the request is cut, the bytes past it become slack. */
static void grow_and_cut(void)
{
    unsigned char *a = mem_heap_alloc(h, 100, MEM_FIRST_FIT), *b = mem_heap_alloc(h, 100, MEM_FIRST_FIT),
                  *c = mem_heap_alloc(h, 100, MEM_FIRST_FIT);
    CHECK(a && b && c && mem_heap_free(h, b) == MEM_OK);
    memset(a, 'k', 100);
    CHECK(mem_heap_grow(h, a, 150, 40) == MEM_OK && mem_heap_usable_size(h, a) == 40);
    CHECK(all_bytes(a, 40, 'k') && all_bytes(a + 40, 120, 0xAC) && mem_heap_check(h) == MEM_OK);
    CHECK(mem_heap_free(h, a) == MEM_OK && mem_heap_free(h, c) == MEM_OK && mem_heap_check(h) == MEM_OK);
}

/* mem_heap_grow among random allocations and frees (a fixed seed): it
 * succeeds, or says E_NO_SPACE, or E_BAD_ARGS when the block already has
 * the room (mem_heap_set_size must then succeed); a success keeps the
 * contents, reads as poison past them, overlaps no other block and counts
 * the new request; a refusal changes nothing; the heap checks clean after
 * every call.  Of the 5,230 grows here 1,331 succeed. */
static void grow_random(void)
{
    enum { N = 48, STEPS = 12000 };
    mem_heap_t *g = mem_heap_create(256 * 1024);
    CHECK(g != NULL);
    unsigned char *p[N] = { 0 };
    size_t req[N] = { 0 }, total = 0;
    unsigned grown = 0, refused = 0, had_room = 0, bad = 0;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int step = 0; step < STEPS && !bad; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned i = (unsigned)(x % N), op = (unsigned)(x >> 32) % 3;
        size_t n = 1 + (size_t)(x >> 40) % 1500;
        if (!p[i]) {
            if ((p[i] = mem_heap_alloc(g, n, (int)(x >> 20) % 4))) {
                req[i] = n;
                total += n;
                memset(p[i], (int)i, n);
            }
        } else if (op == 0) {
            bad += mem_heap_free(g, p[i]) != MEM_OK;
            total -= req[i];
            p[i] = NULL;
        } else {
            size_t size = req[i] + n, room = size + (size_t)(x >> 12) % 64;
            mem_stats_t before;
            mem_heap_stats(g, &before);
            int err = mem_heap_grow(g, p[i], room, size);
            mem_stats_t after;
            mem_heap_stats(g, &after);
            if (err == E_BAD_ARGS) { /* only when it has the room already: then it resizes in place */
                had_room++;
                bad += mem_heap_set_size(g, p[i], size) != MEM_OK;
                total += size - req[i];
                req[i] = size;
                memset(p[i], (int)i, size);
            } else if (err == E_NO_SPACE) {
                refused++;
                bad += after.free_bytes != before.free_bytes || after.requested != before.requested;
            } else if (err == MEM_OK) {
                grown++;
                bad += !all_bytes(p[i], req[i], (unsigned char)i) || !all_bytes(p[i] + req[i], size - req[i], 0xDF);
                for (unsigned j = 0; j < N; j++)
                    bad += j != i && p[j] && p[j] < p[i] + size && p[i] < p[j] + req[j];
                total += size - req[i];
                req[i] = size;
                memset(p[i], (int)i, size);
                bad += mem_heap_usable_size(g, p[i]) != size;
            } else {
                fprintf(stderr, "grow_random: step %d: mem_heap_grow gave %d\n", step, err);
                bad++;
            }
        }
        mem_stats_t st;
        mem_heap_stats(g, &st);
        bad += st.requested != total || mem_heap_check(g) != MEM_OK;
    }
    printf("grow_random: %u grown, %u refused, %u had the room\n", grown, refused, had_room);
    CHECK(bad == 0);
    CHECK(grown > 500 && refused > 500); /* both outcomes were exercised */
    for (unsigned j = 0; j < N; j++)
        if (p[j])
            CHECK(all_bytes(p[j], req[j], (unsigned char)j) && mem_heap_free(g, p[j]) == MEM_OK);
    mem_heap_destroy(g);
}

int main(void)
{
    h = mem_heap_create(64 * 1024);
    CHECK(h != NULL);
    hold_and_unhold();
    writes_while_held();
    release_coalesces();
    release_runs();
    set_size_and_room();
    grow();
    CHECK(mem_heap_check(h) == MEM_OK);
    grow_and_cut();
    grow_random();
    mem_heap_destroy(h);

    /* A block held at level off is poisoned when the level is raised. */
    h = mem_heap_create(64 * 1024);
    CHECK(mem_heap_set_check_level(h, MEM_CHECK_OFF) == MEM_OK);
    unsigned char *a = mem_heap_alloc(h, 64, MEM_FIRST_FIT);
    size_t req;
    memset(a, 'x', 64);
    CHECK(mem_heap_hold(h, a, &req) == MEM_OK && a[0] == 'x'); /* off: not poisoned */
    CHECK(mem_heap_set_check_level(h, MEM_CHECK_LOCAL) == MEM_OK && all_bytes(a, 64, 0xDF));
    CHECK(mem_heap_unhold(h, a, 64) == MEM_OK && mem_heap_free(h, a) == MEM_OK);
    mem_heap_destroy(h);

    /* At level off nothing is poisoned, so only the wiped inner headers
     * stop a stale pointer into a released run from passing for a block. */
    h = mem_heap_create(64 * 1024);
    CHECK(mem_heap_set_check_level(h, MEM_CHECK_OFF) == MEM_OK);
    release_runs();
    mem_heap_destroy(h);
    return check_done("hold_test");
}
