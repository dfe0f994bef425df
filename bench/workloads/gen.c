/*
 * gen.c - deterministic inputs for tools/bench's real-program workloads.
 *
 * Usage: gen sort LINES   lines of "HEXKEY word word ..." for sort(1)
 *        gen sql ROWS     an SQL script for the sqlite3 CLI: a table filled
 *                         with ROWS inserts in one transaction, an index, a
 *                         few grouping queries, an update and a delete
 *
 * Writes to stdout.  The random numbers come from a fixed seed, so the same
 * arguments always give the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x853c49e6748fea9bULL;

static uint64_t rnd(void)
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
}

/* A lowercase word of 1..max letters. */
static void word(char *buf, int max)
{
    int n = 1 + (int)(rnd() % (uint64_t)max);
    for (int i = 0; i < n; i++)
        buf[i] = (char)('a' + rnd() % 26);
    buf[n] = '\0';
}

static void gen_sort(long lines)
{
    char w[64];
    for (long i = 0; i < lines; i++) {
        printf("%016llx", (unsigned long long)rnd());
        int words = 1 + (int)(rnd() % 6);
        for (int k = 0; k < words; k++) {
            word(w, 12);
            printf(" %s", w);
        }
        putchar('\n');
    }
}

static void gen_sql(long rows)
{
    char name[64], note[128];
    printf("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL, note TEXT);\n");
    printf("BEGIN;\n");
    for (long i = 0; i < rows; i++) {
        word(name, 16);
        word(note, 100);
        printf("INSERT INTO t(name, grp, val, note) VALUES('%s', %d, %.3f, '%s');\n", name, (int)(rnd() % 1000),
               (double)(rnd() % 1000000) / 1000.0, note);
    }
    printf("COMMIT;\n");
    printf("CREATE INDEX t_grp ON t(grp, name);\n");
    printf("SELECT grp, count(*), sum(val), max(length(note)) FROM t GROUP BY grp ORDER BY sum(val) DESC LIMIT 5;\n");
    printf("SELECT count(DISTINCT name), count(DISTINCT substr(note, 1, 3)) FROM t;\n");
    printf("UPDATE t SET note = note || name WHERE grp %% 7 = 0;\n");
    printf("DELETE FROM t WHERE grp %% 5 = 0;\n");
    printf("SELECT count(*), sum(length(note)) FROM t;\n");
}

int main(int argc, char **argv)
{
    if (argc != 3 || atol(argv[2]) <= 0) {
        fprintf(stderr, "usage: gen sort LINES | gen sql ROWS\n");
        return 2;
    }
    if (!strcmp(argv[1], "sort"))
        gen_sort(atol(argv[2]));
    else if (!strcmp(argv[1], "sql"))
        gen_sql(atol(argv[2]));
    else {
        fprintf(stderr, "gen: unknown input '%s'\n", argv[1]);
        return 2;
    }
    return fflush(stdout) ? 1 : 0;
}
