/*
 * threads_test.c - many threads on one heap: every block stays theirs, the
 * heap validates at the end, and the error code is per thread.
 */
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "mem.h"

enum { THREADS = 4, ROUNDS = 3000, SLOTS = 32 };

static mem_heap_t *h;
static int thread_errors[THREADS];

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    unsigned seed = 12345u + (unsigned)id;
    unsigned char *slot[SLOTS] = { 0 };
    size_t len[SLOTS] = { 0 };
    for (int i = 0; i < ROUNDS; i++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)(seed >> 16) % SLOTS;
        if (slot[k]) {
            for (size_t j = 0; j < len[k]; j++)
                if (slot[k][j] != (unsigned char)(id + 1))
                    thread_errors[id]++;
            if (mem_heap_free(h, slot[k]) != MEM_OK)
                thread_errors[id]++;
            slot[k] = NULL;
        } else {
            len[k] = 1 + (seed >> 8) % 300;
            slot[k] = (seed & 1) ? mem_heap_alloc(h, len[k], (int)(seed >> 4) % 4)
                                 : mem_heap_realloc(h, NULL, len[k]);
            if (slot[k])
                memset(slot[k], id + 1, len[k]);
            else if (mem_errno() != E_NO_SPACE)
                thread_errors[id]++;
        }
        if (i % 500 == 0) { /* errno is per thread: provoke one here only */
            if (mem_heap_free(h, (char *)mem_heap_base(h) + 8) != E_BAD_POINTER || mem_errno() != E_BAD_POINTER)
                thread_errors[id]++;
        }
    }
    for (int k = 0; k < SLOTS; k++)
        if (slot[k] && mem_heap_free(h, slot[k]) != MEM_OK)
            thread_errors[id]++;
    return NULL;
}

int main(void)
{
    h = mem_heap_create(1 << 20);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        CHECK(thread_errors[i] == 0);
    CHECK(mem_heap_check(h) == MEM_OK);
    mem_stats_t st;
    CHECK(mem_heap_stats(h, &st) == MEM_OK && st.blocks == 1 && st.used_bytes == 0);
    mem_heap_destroy(h);
    return check_done("threads_test");
}
