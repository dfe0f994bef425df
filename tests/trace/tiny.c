/*
 * tiny.c - a program with a known allocation sequence, recorded under
 * LD_PRELOAD by record_test.sh.  Its own calls sit between two markers,
 * malloc(12345) and malloc(54321), so that whatever the C library allocates
 * around main does not matter.  Modes (argv[1]):
 *   fork   fork a child that allocates 777 bytes and exits (per-process
 *          traces: trace=PATH.%p)
 *   exec   fork a child that execs this program in mode "leaf" (a plain
 *          trace=PATH: the exec'd program writes PATH.PID)
 *   leaf   just the sequence
 * At the end it prints its pid and the child's on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "leaf";
    void *start = malloc(12345);
    char *a = malloc(100);
    char *b = calloc(4, 25);
    a = realloc(a, 1000);
    void *c = NULL;
    if (posix_memalign(&c, 256, 64))
        return 1;
    void *d = aligned_alloc(64, 128);
    free(b);
    b = malloc(0);
    free(a);
    free(c);
    free(d);
    free(b);
    void *blk[20];
    for (int i = 0; i < 20; i++)
        blk[i] = malloc(10000);
    for (int i = 0; i < 20; i++)
        free(blk[i]);
    pid_t child = 0;
    if (!strcmp(mode, "fork") || !strcmp(mode, "exec")) {
        child = fork();
        if (child < 0)
            return 1;
        if (child == 0) {
            if (!strcmp(mode, "exec")) {
                execl(argv[0], argv[0], "leaf", (char *)NULL);
                _exit(127);
            }
            free(malloc(777));
            exit(0);
        }
        int status;
        if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
            return 1;
    }
    free(start);
    free(malloc(54321));
    printf("%d %d\n", (int)getpid(), (int)child);
    return 0;
}
