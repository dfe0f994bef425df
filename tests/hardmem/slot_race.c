/*
 * slot_race.c - two threads free the same slot at the same moment, round
 * after round.  Exactly one free of each pair may succeed: the other must be
 * reported as a double free (lib/hardmem/slab.c, S2: a slot leaves the live
 * state by one compare-and-swap), and the program goes on (on_error=report).
 * Afterwards every slot is still handed out once: a batch of live blocks
 * holds distinct, intact cookies.  Built against the hm_* names and run
 * under TSan (tag "threads").  Exit status 0 = passed.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hm_malloc.h"

enum { ROUNDS = 50000, LIVE = 4096 };

/* Round r starts when `go` becomes r + 1; each thread says it finished by
 * raising its own counter.  Spinning (not a barrier) releases both threads
 * within a few hundred nanoseconds of each other, so the two frees overlap. */
static void *shared;
static int go, finished[2];

static void race(int me)
{
    for (int r = 0; r < ROUNDS; r++) {
        while (__atomic_load_n(&go, __ATOMIC_ACQUIRE) != r + 1)
            ;
        hm_free(__atomic_load_n(&shared, __ATOMIC_RELAXED));
        __atomic_store_n(&finished[me], r + 1, __ATOMIC_RELEASE);
        while (__atomic_load_n(&finished[!me], __ATOMIC_ACQUIRE) < r + 1)
            ;
        if (me == 0) {
            __atomic_store_n(&shared, hm_malloc(48), __ATOMIC_RELAXED);
            __atomic_store_n(&go, r + 2, __ATOMIC_RELEASE);
        }
    }
}

static void *racer(void *arg)
{
    (void)arg;
    race(1);
    return NULL;
}

static int count_lines(const char *path, const char *line)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[512];
    int n = 0;
    while (fgets(buf, sizeof buf, f))
        n += strncmp(buf, line, strlen(line)) == 0;
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    /* hardmem reads HARDMEM_OPTIONS when the program loads: set it, then
     * run again. */
    const char *log = getenv("SLOT_RACE_LOG");
    if (!log) {
        /* A name of its own: in Bazel's sandbox every run has the same pid. */
        static char path[256], opts[320];
        const char *dir = getenv("TEST_TMPDIR");
        snprintf(path, sizeof path, "%s/hardmem-slot-race-XXXXXX", dir ? dir : "/tmp");
        int fd = mkstemp(path);
        if (fd < 0) {
            perror("slot_race: mkstemp");
            return 2;
        }
        close(fd);
        snprintf(opts, sizeof opts, "on_error=report:log=%s", path);
        setenv("HARDMEM_OPTIONS", opts, 1);
        setenv("SLOT_RACE_LOG", path, 1);
        (void)argc;
        execv("/proc/self/exe", argv);
        perror("slot_race: execv");
        return 2;
    }

    pthread_t t;
    __atomic_store_n(&shared, hm_malloc(48), __ATOMIC_RELAXED);
    if (pthread_create(&t, NULL, racer, NULL))
        return 2;
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    race(0);
    pthread_join(t, NULL);
    hm_free(__atomic_load_n(&shared, __ATOMIC_RELAXED)); /* the block of the round never run */

    int failed = 0;
    int reports = count_lines(log, "hardmem: ERROR: double free");
    if (reports != ROUNDS) {
        fprintf(stderr, "slot_race: %d double-free reports for %d racing pairs\n", reports, ROUNDS);
        failed = 1;
    }

    /* No slot was made free twice: LIVE blocks at once keep their cookies. */
    static uint64_t *v[LIVE];
    for (int i = 0; i < LIVE; i++) {
        v[i] = hm_malloc(48);
        if (!v[i])
            return 2;
        v[i][0] = (uint64_t)(uintptr_t)v[i] * 0x9e3779b97f4a7c15ULL;
    }
    for (int i = 0; i < LIVE; i++) {
        if (v[i][0] != (uint64_t)(uintptr_t)v[i] * 0x9e3779b97f4a7c15ULL) {
            fprintf(stderr, "slot_race: block %p handed out twice\n", (void *)v[i]);
            failed = 1;
        }
    }
    for (int i = 0; i < LIVE; i++)
        hm_free(v[i]);
    if (count_lines(log, "hardmem: ERROR:") != ROUNDS) {
        fprintf(stderr, "slot_race: unexpected reports in %s\n", log);
        failed = 1;
    }
    if (!failed)
        unlink(log);
    printf("slot_race: %d racing pairs, %d double frees reported: %s\n", ROUNDS, reports,
           failed ? "FAILED" : "passed");
    return failed;
}
