/*
 * fmt.h - formatting into a caller's buffer without allocating.
 *
 * The dump and the reports must work inside a broken heap and, in the checked
 * malloc, inside malloc itself, so they cannot use stdio.  A fmt_t is a fixed
 * buffer and a length; appends that do not fit are counted but dropped, and
 * the text is always NUL-terminated (like snprintf).
 */
#ifndef HARDMEM_FMT_H
#define HARDMEM_FMT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fmt {
    char *buf;
    size_t cap;  /* bytes in buf, including room for the NUL */
    size_t len;  /* bytes the text needs (may exceed cap - 1) */
} fmt_t;

static inline fmt_t fmt_on(char *buf, size_t cap)
{
    fmt_t f = { buf, cap, 0 };
    if (cap)
        buf[0] = '\0';
    return f;
}

void fmt_str(fmt_t *f, const char *s);
void fmt_u64(fmt_t *f, uint64_t v);
void fmt_i64(fmt_t *f, int64_t v);
/* 0x-prefixed hex, at least `digits` digits. */
void fmt_hex(fmt_t *f, uint64_t v, int digits);
/* Pad with spaces until the text is `col` bytes long. */
void fmt_pad(fmt_t *f, size_t col);
/* Write the text to fd (retrying short writes) and empty the buffer. */
void fmt_flush(fmt_t *f, int fd);

#endif
