/* fmt.c - see fmt.h. */
#include "fmt.h"

#include <errno.h>
#include <unistd.h>

static void put(fmt_t *f, char c)
{
    if (f->len + 1 < f->cap) {
        f->buf[f->len] = c;
        f->buf[f->len + 1] = '\0';
    }
    f->len++;
}

void fmt_str(fmt_t *f, const char *s)
{
    while (*s)
        put(f, *s++);
}

void fmt_u64(fmt_t *f, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put(f, tmp[--n]);
}

void fmt_i64(fmt_t *f, int64_t v)
{
    if (v < 0) {
        put(f, '-');
        fmt_u64(f, (uint64_t)0 - (uint64_t)v);
    } else {
        fmt_u64(f, (uint64_t)v);
    }
}

void fmt_hex(fmt_t *f, uint64_t v, int digits)
{
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n < digits && n < 16)
        tmp[n++] = '0';
    put(f, '0');
    put(f, 'x');
    while (n)
        put(f, tmp[--n]);
}

void fmt_pad(fmt_t *f, size_t col)
{
    while (f->len < col)
        put(f, ' ');
}

void fmt_flush(fmt_t *f, int fd)
{
    size_t n = f->len < f->cap ? f->len : (f->cap ? f->cap - 1 : 0);
    const char *p = f->buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    f->len = 0;
    if (f->cap)
        f->buf[0] = '\0';
}
