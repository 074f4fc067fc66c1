/*
 * util.h - allocation helpers, and a binary search over sorted names.
 *
 * FlowTier treats allocation failure as fatal, as OVS does: every caller of
 * these helpers gets memory or the process aborts, so error paths stay
 * about real errors.  A request for 0 bytes returns a valid, freeable
 * pointer.
 */
#ifndef FLOWTIER_UTIL_H
#define FLOWTIER_UTIL_H 1

#include <stdbool.h>
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

/* Looks 'key' up among 'n' names in ascending strcmp() order, the i-th of
 * which is name(aux, i).  Returns true with its index in '*idx', or false
 * with the index at which it would go. */
static inline bool
ft_sorted_find(const char *key, size_t n,
               const char *(*name)(const void *aux, size_t i),
               const void *aux, size_t *idx)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(key, name(aux, mid));

        if (!cmp) {
            *idx = mid;
            return true;
        } else if (cmp < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    *idx = lo;
    return false;
}

#endif /* flowtier/util.h */
