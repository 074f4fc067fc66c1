/*
 * util.h - allocation helpers.
 *
 * FlowTier treats allocation failure as fatal, as OVS does: every caller of
 * these helpers gets memory or the process aborts, so error paths stay
 * about real errors.  A request for 0 bytes returns a valid, freeable
 * pointer.
 */
#ifndef FLOWTIER_UTIL_H
#define FLOWTIER_UTIL_H 1

#include <stdlib.h>
#include <string.h>

static inline void *
ft_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p) {
        abort();
    }
    return p;
}

static inline void *
ft_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p) {
        abort();
    }
    return p;
}

static inline void *
ft_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

static inline char *
ft_xstrdup(const char *s)
{
    char *p = strdup(s);

    if (!p) {
        abort();
    }
    return p;
}

#endif /* flowtier/util.h */
