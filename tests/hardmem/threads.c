/*
 * threads.c - many threads at once: private churn, blocks allocated on one
 * thread and freed on another, and fork while other threads allocate.
 *
 * Every block carries a cookie (its size and address mixed) written after
 * allocation and verified before free, as mimalloc's stress test does, so a
 * block handed out twice or moved wrongly shows up.  Built against the hm_*
 * names (-DTHREADS_HM; a cc_test tagged "threads", run under TSan) and as a
 * plain program run with libhardmem.so preloaded.  Exit status 0 = passed.
 * -DTHREADS_NO_FORK leaves out the fork part: TSan's runtime can deadlock in
 * its own locks when a multi-threaded process forks (seen here with clang 19:
 * one thread in TSan's SlotLock, another in its deadlock detector), so the
 * TSan build runs without it and fork_hm_test runs it in the other configs.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef THREADS_HM
#include "hm_malloc.h"
#define F(name) hm_##name
#else
#define F(name) name
#endif

enum { THREADS = 4, ROUNDS = 20000, SLOTS = 64, QUEUE = 256, HANDOFF = 20000, FORKS = 8 };

static int failed;

static uint64_t cookie(const void *p, size_t n) { return ((uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL) ^ n; }

static void *fill(size_t n)
{
    unsigned char *p = F(malloc)(n);
    if (!p)
        return NULL;
    uint64_t c = cookie(p, n);
    memcpy(p, &c, n < 8 ? n : 8);
    if (n > 8)
        memset(p + 8, (int)(n & 0xff), n - 8);
    return p;
}

static void verify_free(unsigned char *p, size_t n)
{
    uint64_t c = cookie(p, n);
    if (memcmp(p, &c, n < 8 ? n : 8))
        __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
    for (size_t i = 8; i < n; i++)
        if (p[i] != (unsigned char)(n & 0xff)) {
            __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
            break;
        }
    F(free)(p);
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static size_t pick(uint32_t *s)
{
    uint32_t r = rnd(s);
    return (r & 7) == 0 ? 1 + r % 5000 : 1 + r % 200;
}

static void *churn(void *arg)
{
    uint32_t s = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
    unsigned char *slot[SLOTS] = { 0 };
    size_t size[SLOTS] = { 0 };
    for (int i = 0; i < ROUNDS; i++) {
        unsigned k = rnd(&s) % SLOTS;
        if (slot[k])
            verify_free(slot[k], size[k]);
        size[k] = pick(&s);
        slot[k] = fill(size[k]);
        if (!slot[k])
            __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
    }
    for (unsigned k = 0; k < SLOTS; k++)
        if (slot[k])
            verify_free(slot[k], size[k]);
    return NULL;
}

/* A bounded queue: the producer allocates, the consumer frees. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned char *p[QUEUE];
    size_t n[QUEUE];
    unsigned head, count;
    int done;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, { 0 }, 0, 0, 0 };

static void *producer(void *arg)
{
    (void)arg;
    uint32_t s = 77;
    for (int i = 0; i < HANDOFF; i++) {
        size_t n = pick(&s);
        unsigned char *p = fill(n);
        pthread_mutex_lock(&q.lock);
        while (q.count == QUEUE)
            pthread_cond_wait(&q.cond, &q.lock);
        q.p[(q.head + q.count) % QUEUE] = p;
        q.n[(q.head + q.count) % QUEUE] = n;
        q.count++;
        pthread_cond_broadcast(&q.cond);
        pthread_mutex_unlock(&q.lock);
    }
    pthread_mutex_lock(&q.lock);
    q.done = 1;
    pthread_cond_broadcast(&q.cond);
    pthread_mutex_unlock(&q.lock);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (!q.count && !q.done)
            pthread_cond_wait(&q.cond, &q.lock);
        if (!q.count && q.done) {
            pthread_mutex_unlock(&q.lock);
            return NULL;
        }
        unsigned char *p = q.p[q.head];
        size_t n = q.n[q.head];
        q.head = (q.head + 1) % QUEUE;
        q.count--;
        pthread_cond_broadcast(&q.cond);
        pthread_mutex_unlock(&q.lock);
        verify_free(p, n);
    }
}

#ifndef THREADS_NO_FORK
static int stop_forking;

static void *background(void *arg)
{
    (void)arg;
    uint32_t s = 99;
    while (!__atomic_load_n(&stop_forking, __ATOMIC_ACQUIRE)) {
        size_t n = pick(&s);
        unsigned char *p = fill(n);
        if (p)
            verify_free(p, n);
    }
    return NULL;
}

/* fork while another thread allocates; the child must find a usable heap. */
static void fork_while_allocating(void)
{
    pthread_t t;
    pthread_create(&t, NULL, background, NULL);
    for (int i = 0; i < FORKS; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            uint32_t s = 5;
            for (int k = 0; k < 2000; k++) {
                size_t n = pick(&s);
                unsigned char *p = fill(n);
                if (!p)
                    _exit(2);
                verify_free(p, n);
            }
            _exit(__atomic_load_n(&failed, __ATOMIC_RELAXED) ? 1 : 0);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
            fprintf(stderr, "fork child %d failed: status %d\n", i, status);
            failed = 1;
        }
    }
    __atomic_store_n(&stop_forking, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
}
#endif

int main(void)
{
    pthread_t t[THREADS], prod, cons;
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, churn, (void *)i);
    pthread_create(&prod, NULL, producer, NULL);
    pthread_create(&cons, NULL, consumer, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);
#ifndef THREADS_NO_FORK
    fork_while_allocating();
#endif
    printf("threads: %s\n", failed ? "FAILED" : "ok");
    return failed;
}
