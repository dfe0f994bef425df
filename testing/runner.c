/*
 * runner.c - the property runner, in the manner of Hypothesis and theft.
 *
 * PHASES
 *   1. Replay: every file of corpus/props/ and corpus/ops_fuzz/ (saved
 *      failures and the fuzzers' seed corpus) runs first.
 *   2. Generate: trial t draws its program from splitmix64 seeded with
 *      (run seed, t); the run seed is fixed per test unless --seed or
 *      HARDMEM_SEED says otherwise, so `bazel test` is deterministic.
 *   3. Shrink: the failing input is a byte string; candidates are tried in
 *      passes until a whole round improves nothing:
 *        - delete runs of whole ops (halving run lengths down to one op),
 *        - zero an op (the simplest op of its length),
 *        - lower each drawn value (to 0, else by bisection).
 *      Every candidate is smaller in shortlex order (shorter, or as long and
 *      lexicographically smaller) and is kept only if it fails with the same
 *      property and signature.  So the result is a local shortlex minimum.
 *   4. Report: property, trial and seeds, the failure and the op where it
 *      happened, shrink figures, the minimal trace (offsets from the heap
 *      base), the hex input, and a reproducer file with its replay command.
 */
#include "runner.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct runner {
    const prop_spec_t *spec;
    exec_opts_t opts;
    failure_t want; /* the failure being shrunk */
    size_t tried;   /* shrink candidates run */
    double deadline;
} runner_t;

static uint8_t gen_buf[SRC_MAX_BYTES], best[SRC_MAX_BYTES], cand[SRC_MAX_BYTES], dec_buf[SRC_MAX_BYTES];
static src_t gen_src, dec_src;
static program_t prog, dec_prog;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t fnv64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}

static uint64_t fnv64_bytes(const uint8_t *d, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 0x100000001b3ULL;
    return h;
}

/* ---------------- shrinking ---------------- */

/* Does this candidate fail the same way? */
static bool same_failure(runner_t *r, const uint8_t *d, size_t n)
{
    failure_t f;
    r->tried++;
    exec_opts_t o = { r->opts.props, NULL };
    exec_bytes(d, n, OPS_MAX, &o, &f);
    return f.failed && f.prop == r->want.prop && strcmp(f.sig, r->want.sig) == 0;
}

static void decode_best(size_t len)
{
    src_replay(&dec_src, dec_buf, best, len);
    ops_decode(&dec_src, &dec_prog, OPS_MAX, NULL);
}

static bool out_of_time(const runner_t *r) { return now() > r->deadline; }

/* Delete ops [i, i + k) of the decoded best; keep it if it still fails. */
static bool try_delete(runner_t *r, size_t *len, size_t i, size_t k)
{
    size_t from = dec_prog.ops[i].start, to = dec_prog.ops[i + k - 1].end;
    if (to > *len)
        to = *len;
    size_t n = *len - (to - from);
    memcpy(cand, best, from);
    memcpy(cand + from, best + to, *len - to);
    if (!same_failure(r, cand, n))
        return false;
    memcpy(best, cand, n);
    *len = n;
    decode_best(n);
    return true;
}

static bool pass_delete(runner_t *r, size_t *len)
{
    bool improved = false;
    decode_best(*len);
    size_t k = 1;
    while (k * 2 <= dec_prog.nops)
        k *= 2;
    for (; k >= 1 && !out_of_time(r); k /= 2) {
        for (size_t i = dec_prog.nops >= k ? dec_prog.nops - k + 1 : 0; i-- > 0 && !out_of_time(r);) {
            if (i + k > dec_prog.nops)
                continue;
            if (try_delete(r, len, i, k))
                improved = true;
        }
    }
    /* Truncating trailing bytes (exhausted input reads as zero). */
    while (*len > 0 && best[*len - 1] == 0 && same_failure(r, best, *len - 1)) {
        (*len)--;
        improved = true;
    }
    return improved;
}

static bool pass_zero_ops(runner_t *r, size_t len)
{
    bool improved = false;
    decode_best(len);
    for (size_t i = 0; i < dec_prog.nops && !out_of_time(r); i++) {
        size_t from = dec_prog.ops[i].start, to = dec_prog.ops[i].end < len ? dec_prog.ops[i].end : len;
        bool nonzero = false;
        for (size_t j = from; j < to; j++)
            nonzero |= best[j] != 0;
        if (!nonzero)
            continue;
        memcpy(cand, best, len);
        memset(cand + from, 0, to - from);
        if (same_failure(r, cand, len)) {
            memcpy(best, cand, len);
            improved = true;
            decode_best(len);
        }
    }
    return improved;
}

static uint32_t read_be(const uint8_t *d, size_t w)
{
    uint32_t v = 0;
    for (size_t i = 0; i < w; i++)
        v = v << 8 | d[i];
    return v;
}

static void write_be(uint8_t *d, size_t w, uint32_t v)
{
    for (size_t i = w; i-- > 0; v >>= 8)
        d[i] = (uint8_t)v;
}

/* Try value v for the draw at pos (width w). */
static bool try_value(runner_t *r, size_t len, size_t pos, size_t w, uint32_t v)
{
    memcpy(cand, best, len);
    write_be(cand + pos, w, v);
    if (!same_failure(r, cand, len))
        return false;
    memcpy(best, cand, len);
    return true;
}

static bool pass_lower(runner_t *r, size_t len)
{
    bool improved = false;
    decode_best(len);
    for (size_t d = 0; d < dec_src.ndraws && !out_of_time(r); d++) {
        size_t pos = dec_src.draws[d].pos, w = dec_src.draws[d].width;
        if (pos + w > len)
            continue;
        uint32_t v = read_be(best + pos, w);
        if (v == 0)
            continue;
        if (try_value(r, len, pos, w, 0)) {
            improved = true;
            decode_best(len);
            continue;
        }
        uint32_t lo = 0, hi = v; /* lo passes, hi fails */
        while (hi - lo > 1 && !out_of_time(r)) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (try_value(r, len, pos, w, mid))
                hi = mid;
            else
                lo = mid;
        }
        write_be(best + pos, w, hi);
        if (hi != v) {
            improved = true;
            decode_best(len);
        }
    }
    return improved;
}

/* Shrink best[0, *len) in place. */
static void shrink(runner_t *r, size_t *len)
{
    r->deadline = now() + 60.0;
    bool improved = true;
    while (improved && !out_of_time(r)) {
        improved = pass_delete(r, len);
        improved |= pass_zero_ops(r, *len);
        improved |= pass_lower(r, *len);
    }
}

/* ---------------- reporting ---------------- */

static const char *save_reproducer(const prop_spec_t *spec, const uint8_t *d, size_t n, char *path, size_t cap)
{
    const char *dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    snprintf(path, cap, "%s/%s-%016llx.bin", dir ? dir : "/tmp", spec->name,
             (unsigned long long)fnv64_bytes(d, n));
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return "(could not write the reproducer)";
    fwrite(d, 1, n, fp);
    fclose(fp);
    return path;
}

static void report_failure(runner_t *r, const char *where, size_t len0, size_t ops0, size_t len)
{
    const prop_spec_t *spec = r->spec;
    decode_best(len);
    failure_t f;
    exec_opts_t quiet = { r->opts.props, NULL };
    exec_bytes(best, len, OPS_MAX, &quiet, &f);
    fprintf(stderr, "\n=== PROPERTY FAILED: %s (%s) ===\n", prop_name(spec->prop), spec->name);
    fprintf(stderr, "found in: %s\n", where);
    fprintf(stderr, "failure:  %s\n          %s\n", f.sig, f.msg);
    if (f.op_index >= 0)
        fprintf(stderr, "where:    op #%ld of the minimal trace\n", f.op_index);
    else
        fprintf(stderr, "where:    at setup or in the final free-everything step\n");
    fprintf(stderr, "shrunk:   %zu bytes / %zu ops -> %zu bytes / %zu ops (%zu candidates run)\n", len0, ops0, len,
            dec_prog.nops, r->tried);
    fprintf(stderr, "minimal trace (addresses are offsets from the heap base, the first block):\n");
    exec_opts_t loud = { r->opts.props, stderr };
    exec_bytes(best, len, OPS_MAX, &loud, &f);
    fprintf(stderr, "input (%zu bytes, hex):", len);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, "%s%02x", i % 32 ? " " : "\n  ", best[i]);
    char path[512];
    const char *saved = save_reproducer(spec, best, len, path, sizeof path);
    fprintf(stderr, "\nreproducer: %s\n", saved);
    if (getenv("TEST_UNDECLARED_OUTPUTS_DIR"))
        fprintf(stderr, "            (under bazel test: in bazel-testlogs/props/%s/test.outputs/outputs.zip)\n",
                spec->name);
    fprintf(stderr, "recreate:   echo '");
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, "%02x", best[i]);
    fprintf(stderr, "' | xxd -r -p > /tmp/repro.bin\n");
    fprintf(stderr, "replay:     ./bazelw run %s -- --replay=%s\n", spec->target, saved);
    fprintf(stderr, "keep it:    cp %s corpus/props/   (replayed first by every property test)\n\n", saved);
}

/* ---------------- phases ---------------- */

static bool read_file(const char *path, uint8_t *d, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    *n = fread(d, 1, SRC_MAX_BYTES, fp);
    fclose(fp);
    return true;
}

/* Run one input; on failure shrink and report.  Returns true if it held. */
static bool check_input(runner_t *r, const uint8_t *d, size_t n, const char *where)
{
    failure_t f;
    exec_bytes(d, n, OPS_MAX, &r->opts, &f);
    if (!f.failed)
        return true;
    r->want = f;
    r->tried = 0;
    memmove(best, d, n);
    decode_best(n);
    size_t ops0 = dec_prog.nops, len = n;
    shrink(r, &len);
    report_failure(r, where, n, ops0, len);
    return false;
}

static size_t replay_dir(runner_t *r, const char *dir, size_t *failed)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    size_t count = 0;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        size_t n;
        if (stat(path, &st) || !S_ISREG(st.st_mode) || !read_file(path, cand, &n))
            continue;
        count++;
        char where[1100];
        snprintf(where, sizeof where, "corpus file %s", path);
        if (!check_input(r, cand, n, where))
            ++*failed;
    }
    closedir(dp);
    return count;
}

static uint64_t parse_seed(const char *v, const char *test)
{
    if (!strcmp(v, "random")) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t s = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20 ^ fnv64(test);
        return rng_next(&s);
    }
    return strtoull(v, NULL, 0);
}

static int replay_one(const prop_spec_t *spec, const char *path)
{
    size_t n;
    if (!read_file(path, cand, &n)) {
        fprintf(stderr, "%s: cannot read %s\n", spec->name, path);
        return 2;
    }
    failure_t f;
    exec_opts_t o = { prop_bit(spec->prop), stdout };
    printf("replaying %s (%zu bytes) for %s\n", path, n, prop_name(spec->prop));
    exec_bytes(cand, n, OPS_MAX, &o, &f);
    if (!f.failed) {
        printf("%s: holds\n", prop_name(spec->prop));
        return 0;
    }
    printf("%s FAILED at op #%ld: %s\n  %s\n", prop_name(spec->prop), f.op_index, f.sig, f.msg);
    return 1;
}

int prop_main(const prop_spec_t *spec, int argc, char **argv)
{
    runner_t r = { .spec = spec, .opts = { prop_bit(spec->prop), NULL } };
    uint64_t seed = fnv64(spec->name);
    size_t trials = spec->trials, ops = spec->ops;
    const char *env = getenv("HARDMEM_SEED");
    if (env && *env)
        seed = parse_seed(env, spec->name);
    if ((env = getenv("HARDMEM_LONG")) && *env && strcmp(env, "0")) {
        trials *= 50;
        ops *= 4;
    }
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--seed=", 7))
            seed = parse_seed(argv[i] + 7, spec->name);
        else if (!strncmp(argv[i], "--trials=", 9))
            trials = strtoul(argv[i] + 9, NULL, 0);
        else if (!strncmp(argv[i], "--ops=", 6))
            ops = strtoul(argv[i] + 6, NULL, 0);
        else if (!strcmp(argv[i], "--long"))
            trials *= 50, ops *= 4;
        else if (!strncmp(argv[i], "--replay=", 9))
            return replay_one(spec, argv[i] + 9);
        else {
            fprintf(stderr, "usage: %s [--seed=N|random] [--trials=N] [--ops=N] [--long] [--replay=FILE]\n",
                    argv[0]);
            return 2;
        }
    }
    double t0 = now();
    size_t failed = 0;
    size_t replayed = replay_dir(&r, "corpus/props", &failed) + replay_dir(&r, "corpus/ops_fuzz", &failed);
    printf("%s: run seed 0x%016llx (replay with --seed=0x%016llx)\n", spec->name, (unsigned long long)seed,
           (unsigned long long)seed);
    size_t total_ops = 0;
    for (size_t t = 0; t < trials && !failed; t++) {
        uint64_t ts = seed ^ (0x9e3779b97f4a7c15ULL * (t + 1));
        uint64_t trial_seed = rng_next(&ts);
        src_generate(&gen_src, gen_buf, trial_seed);
        ops_decode(&gen_src, &prog, ops, &spec->mix);
        total_ops += prog.nops;
        failure_t f;
        exec_program(&prog, &r.opts, &f);
        if (!f.failed)
            continue;
        char where[256];
        snprintf(where, sizeof where, "trial %zu of %zu, run seed 0x%016llx, trial seed 0x%016llx", t + 1, trials,
                 (unsigned long long)seed, (unsigned long long)trial_seed);
        if (!check_input(&r, gen_buf, gen_src.len, where))
            failed++;
    }
    printf("%s: %s: %zu corpus inputs replayed, %zu trials x %zu ops (%zu ops), %.2f s: %s\n", spec->name,
           prop_name(spec->prop), replayed, trials, ops, total_ops, now() - t0, failed ? "FAILED" : "holds");
    return failed ? 1 : 0;
}
