/*
 * osmem_threads_test.c - API 4 from many threads: each thread mallocs,
 * callocs, reallocs (across MMAP_THRESHOLD too) and frees blocks stamped with
 * its own byte, checking the stamps survive every step while the other
 * threads map arenas and mappings and unmap them again.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "tests/check.h"
#include "osmem.h"

enum { THREADS = 6, ROUNDS = 300, LIVE = 8 };

typedef struct {
    int id, bad;
} worker_t;

static int stamped(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static void *work(void *arg)
{
    worker_t *w = arg;
    unsigned char *live[LIVE] = { 0 };
    size_t size[LIVE] = { 0 };
    uint32_t rng = 0x9e3779b9u * (uint32_t)(w->id + 1);
    for (int r = 0; r < ROUNDS; r++) {
        rng = rng * 1664525u + 1013904223u;
        int s = (int)(rng >> 29) % LIVE;
        unsigned char v = (unsigned char)(w->id * LIVE + s + 1);
        /* mostly small blocks, one in 16 above the threshold */
        size_t n = (rng & 0xf0) == 0 ? MMAP_THRESHOLD + (rng >> 20) : 1 + (rng >> 16) % 2000;
        if (!live[s]) {
            live[s] = (rng & 1) ? os_calloc(1, n) : os_malloc(n);
            if (live[s] && (rng & 1))
                w->bad += !stamped(live[s], n, 0);
        } else if (rng & 2) {
            w->bad += !stamped(live[s], size[s], v);
            unsigned char *q = os_realloc(live[s], n);
            if (q) {
                w->bad += !stamped(q, size[s] < n ? size[s] : n, v);
                live[s] = q;
            }
        } else {
            w->bad += !stamped(live[s], size[s], v);
            os_free(live[s]);
            live[s] = NULL;
        }
        if (live[s]) {
            size[s] = n;
            memset(live[s], v, n);
        }
    }
    for (int s = 0; s < LIVE; s++)
        os_free(live[s]);
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
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        bad += w[i].bad;
    }
    CHECK(bad == 0);
    return check_done("osmem_threads_test");
}
