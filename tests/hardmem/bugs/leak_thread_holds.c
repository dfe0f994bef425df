/* A block only a thread still running at exit points to (from its stack)
 * is not a leak (leaks=1 succeeds, silently): the other thread's stack is
 * scanned too. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

static sem_t ready;

static void *holder(void *arg)
{
    (void)arg;
    char *volatile held = malloc(48);
    held[0] = 1;
    sem_post(&ready);
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t t;
    sem_init(&ready, 0, 0);
    if (pthread_create(&t, NULL, holder, NULL))
        return 1;
    sem_wait(&ready);
    exit(0);
}
