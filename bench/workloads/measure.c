/*
 * measure.c - run one command and report its wall time and peak RSS.
 *
 * Usage: measure [-e NAME=VALUE]... [-i IN] [-o OUT] [-r RESULT] -- CMD ARG...
 *
 * Runs CMD with NAME=VALUE added to its environment (only the child's: the
 * preloaded allocator never runs in this process), its stdin from IN and
 * stdout to OUT (default: inherited), and waits for it.  Then writes one line
 * to RESULT (default: stderr):
 *
 *     WALL_S MAXRSS_KB USER_S SYS_S STATUS
 *
 * WALL_S is measured with CLOCK_MONOTONIC around fork and wait; MAXRSS_KB is
 * wait4's ru_maxrss, the largest resident set of the command or of any
 * descendant it waited for (so a compiler driver's cc1 counts); STATUS is the
 * exit status, or 128 + the signal number.  measure itself exits with STATUS,
 * or 127 when the command cannot be started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_ENV = 32 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void)
{
    fprintf(stderr, "usage: measure [-e NAME=VALUE]... [-i IN] [-o OUT] [-r RESULT] -- CMD ARG...\n");
    exit(2);
}

/* Open PATH on fd TARGET in the child, or exit 127. */
static void redirect(const char *path, int flags, int target)
{
    int fd = open(path, flags, 0644);
    if (fd < 0 || dup2(fd, target) < 0) {
        fprintf(stderr, "measure: %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(fd);
}

int main(int argc, char **argv)
{
    char *env[MAX_ENV];
    int nenv = 0;
    const char *in = NULL, *out = NULL, *result = NULL;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i += 2) {
        if (i + 1 >= argc)
            usage();
        if (!strcmp(argv[i], "-e") && strchr(argv[i + 1], '=') && nenv < MAX_ENV)
            env[nenv++] = argv[i + 1];
        else if (!strcmp(argv[i], "-i"))
            in = argv[i + 1];
        else if (!strcmp(argv[i], "-o"))
            out = argv[i + 1];
        else if (!strcmp(argv[i], "-r"))
            result = argv[i + 1];
        else
            usage();
    }
    if (i + 1 >= argc)
        usage();
    char **cmd = argv + i + 1;

    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 127;
    }
    if (pid == 0) {
        for (int k = 0; k < nenv; k++)
            putenv(env[k]);
        if (in)
            redirect(in, O_RDONLY, 0);
        if (out)
            redirect(out, O_WRONLY | O_CREAT | O_TRUNC, 1);
        execvp(cmd[0], cmd);
        fprintf(stderr, "measure: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 127;
        }
    }
    double wall = now() - t0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = stderr;
    if (result && !(f = fopen(result, "w"))) {
        fprintf(stderr, "measure: %s: %s\n", result, strerror(errno));
        return 127;
    }
    fprintf(f, "%.6f %ld %.6f %.6f %d\n", wall, ru.ru_maxrss,
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6, code);
    if (f != stderr)
        fclose(f);
    return code;
}
