/*
 * replay_main.c - a main() for fuzz targets without libFuzzer.
 *
 * Runs LLVMFuzzerTestOneInput once on every file named on the command line,
 * descending one level into directories (a corpus).  This is how each fuzz
 * target's seed corpus runs as an ordinary test under `bazel test`, with or
 * without sanitizers; a target reports a finding by aborting, which fails
 * the test.  An empty corpus fails too: a replay of nothing proves nothing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(2);
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = fread(buf, 1, n > 0 ? (size_t)n : 0, fp);
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 1;
}

static size_t run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st)) {
        fprintf(stderr, "replay: %s does not exist\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *d = opendir(path);
    size_t count = 0;
    struct dirent *e;
    char full[4096];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        if (!stat(full, &st) && S_ISREG(st.st_mode))
            count += run_file(full);
    }
    if (d)
        closedir(d);
    return count;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-') /* libFuzzer-style flags are ignored */
            count += run_path(argv[i]);
    printf("replay: %zu inputs ran without a finding\n", count);
    return count ? 0 : 1;
}
