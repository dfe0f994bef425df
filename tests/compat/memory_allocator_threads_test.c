/*
 * memory_allocator_threads_test.c - API 3 is safe from many threads.  All
 * threads race to init_allocator: exactly one creates the pool, and each can
 * use it once its own call returns.  Then each thread allocates blocks of
 * varied sizes, stamps every byte with its own cookie, checks the stamps and
 * frees them, while the others do the same.  A block handed to two threads
 * at once, or overwritten by another, shows as a wrong stamp; any failed
 * free shows as a count.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "tests/check.h"
#include "memory_allocator.h"

enum { THREADS = 8, ROUNDS = 400, LIVE = 16 };

typedef struct {
    int id, init_rc;
    int bad_stamps, failed_frees, allocations;
} worker_t;

static void *work(void *arg)
{
    worker_t *w = arg;
    w->init_rc = init_allocator();
    unsigned char *live[LIVE] = { 0 };
    size_t size[LIVE] = { 0 };
    uint32_t rng = 2654435761u * (uint32_t)(w->id + 1);
    for (int r = 0; r < ROUNDS; r++) {
        rng = rng * 1664525u + 1013904223u;
        int slot = (int)(rng >> 28) % LIVE;
        if (live[slot]) {
            for (size_t i = 0; i < size[slot]; i++)
                w->bad_stamps += live[slot][i] != (unsigned char)(w->id * 16 + slot);
            w->failed_frees += free_memory(live[slot]) != 0;
            live[slot] = NULL;
        } else {
            size[slot] = 1 + (rng >> 8) % 700;
            live[slot] = allocate_memory(size[slot]);
            if (live[slot]) {
                w->allocations++;
                memset(live[slot], w->id * 16 + slot, size[slot]);
            }
        }
    }
    for (int s = 0; s < LIVE; s++)
        w->failed_frees += live[s] && free_memory(live[s]) != 0;
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    worker_t w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){ .id = i };
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    int bad = 0, failed = 0, made = 0, inits = 0;
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        bad += w[i].bad_stamps;
        failed += w[i].failed_frees;
        made += w[i].allocations;
        inits += w[i].init_rc == 0;
    }
    CHECK(inits == 1);
    CHECK(bad == 0);
    CHECK(failed == 0);
    CHECK(made > THREADS * ROUNDS / 4);
    /* Everything was freed and coalesced: the whole pool is one block again. */
    void *all = allocate_memory(MA_POOL_SIZE - 16);
    CHECK(all != NULL);
    CHECK(free_memory(all) == 0);
    CHECK(destroy_allocator() == 0);
    return check_done("memory_allocator_threads_test");
}
