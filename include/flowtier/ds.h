/*
 * ds.h - growable strings, for formatting flows, traces and replies.
 *
 * 'struct ds' owns its buffer; ds_destroy() frees it.  The string is always
 * NUL-terminated once anything has been put in it; ds_cstr() returns ""
 * for an empty one.  Allocation failure aborts, as everywhere in FlowTier.
 */
#ifndef FLOWTIER_DS_H
#define FLOWTIER_DS_H 1

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ds {
    char *s;
    size_t len;
    size_t allocated;       /* Bytes allocated, including the NUL. */
};

#define DS_EMPTY_INITIALIZER { NULL, 0, 0 }

static inline void
ds_init(struct ds *ds)
{
    ds->s = NULL;
    ds->len = ds->allocated = 0;
}

static inline void
ds_destroy(struct ds *ds)
{
    if (ds) {
        free(ds->s);
        ds->s = NULL;
        ds->len = ds->allocated = 0;
    }
}

static inline void
ds_clear(struct ds *ds)
{
    ds->len = 0;
    if (ds->s) {
        ds->s[0] = '\0';
    }
}

static inline void
ds_reserve(struct ds *ds, size_t extra)
{
    size_t need = ds->len + extra + 1;

    if (need > ds->allocated) {
        size_t n = ds->allocated ? ds->allocated : 64;
        char *p;

        while (n < need) {
            n *= 2;
        }
        p = realloc(ds->s, n);
        if (!p) {
            abort();
        }
        ds->s = p;
        ds->allocated = n;
        ds->s[ds->len] = '\0';
    }
}

static inline void
ds_put_buffer(struct ds *ds, const char *buf, size_t n)
{
    ds_reserve(ds, n);
    memcpy(ds->s + ds->len, buf, n);
    ds->len += n;
    ds->s[ds->len] = '\0';
}

static inline void
ds_put_cstr(struct ds *ds, const char *s)
{
    ds_put_buffer(ds, s, strlen(s));
}

static inline void
ds_put_char(struct ds *ds, char c)
{
    ds_put_buffer(ds, &c, 1);
}

static inline void
ds_put_char_multiple(struct ds *ds, char c, size_t n)
{
    while (n--) {
        ds_put_char(ds, c);
    }
}

/* Formats into the room already allocated first, and only if the text
 * does not fit there grows the buffer and formats again: one vsnprintf()
 * for most calls instead of two. */
static inline void
ds_put_format_valist(struct ds *ds, const char *fmt, va_list args)
{
    size_t room;
    va_list copy;
    int n;

    ds_reserve(ds, 63);
    room = ds->allocated - ds->len;
    va_copy(copy, args);
    n = vsnprintf(ds->s + ds->len, room, fmt, copy);
    va_end(copy);
    if (n < 0) {
        ds->s[ds->len] = '\0';
        return;
    }
    if ((size_t) n >= room) {
        ds_reserve(ds, (size_t) n);
        vsnprintf(ds->s + ds->len, (size_t) n + 1, fmt, args);
    }
    ds->len += (size_t) n;
}

static inline void __attribute__((format(printf, 2, 3)))
ds_put_format(struct ds *ds, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    ds_put_format_valist(ds, fmt, args);
    va_end(args);
}

/* Appends 'v' in decimal, as "%"PRIu64 would, without printf. */
static inline void
ds_put_uint(struct ds *ds, unsigned long long int v)
{
    char buf[20];
    size_t i = sizeof buf;

    do {
        buf[--i] = (char) ('0' + v % 10);
        v /= 10;
    } while (v);
    ds_put_buffer(ds, buf + i, sizeof buf - i);
}

/* Appends 'v' in lowercase hexadecimal with at least 'width' digits
 * (zero-padded; 'width' up to 32), as "%0*"PRIx64 would, without
 * printf. */
static inline void
ds_put_hex(struct ds *ds, unsigned long long int v, int width)
{
    static const char digits[] = "0123456789abcdef";
    char buf[32];
    size_t i = sizeof buf;

    do {
        buf[--i] = digits[v & 0xf];
        v >>= 4;
    } while (v);
    while (sizeof buf - i < (size_t) width && i > 0) {
        buf[--i] = '0';
    }
    ds_put_buffer(ds, buf + i, sizeof buf - i);
}

/* Appends 'v' as "%#"PRIx64 does: "0" for zero, else "0x" and the
 * digits. */
static inline void
ds_put_hex_0x(struct ds *ds, unsigned long long int v)
{
    if (v) {
        ds_put_buffer(ds, "0x", 2);
    }
    ds_put_hex(ds, v, 1);
}

static inline const char *
ds_cstr(const struct ds *ds)
{
    return ds->s ? ds->s : "";
}

/* Removes trailing characters in 'chars' (e.g. ", "). */
static inline void
ds_chomp(struct ds *ds, const char *chars)
{
    while (ds->len && strchr(chars, ds->s[ds->len - 1])) {
        ds->s[--ds->len] = '\0';
    }
}

#endif /* flowtier/ds.h */
