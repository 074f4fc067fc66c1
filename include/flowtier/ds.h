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

static inline void
ds_put_format_valist(struct ds *ds, const char *fmt, va_list args)
{
    va_list copy;
    int n;

    va_copy(copy, args);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n > 0) {
        ds_reserve(ds, (size_t) n);
        vsnprintf(ds->s + ds->len, (size_t) n + 1, fmt, args);
        ds->len += (size_t) n;
    }
}

static inline void __attribute__((format(printf, 2, 3)))
ds_put_format(struct ds *ds, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    ds_put_format_valist(ds, fmt, args);
    va_end(args);
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
