/*
 * classifier-trie.c - binary prefix tries for the classifier (see
 * classifier-trie.h).
 *
 * Part of the management plane, used only by mgmt/ofproto/classifier.c.  Touches
 * nothing but the tries handed to it.
 */
#include "mgmt/ofproto/classifier-trie.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static void *
cls_trie_xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (!p) {
        abort();
    }
    return p;
}

/* Makes room for 'n' more nodes, so that the pool does not move while
 * pointers into it are held. */
static void
cls_trie_reserve(struct ft_cls_trie *t, uint32_t n)
{
    uint32_t n_free = 0;

    for (uint32_t i = t->free_list; i && n_free < n;
         i = t->nodes[i].edges[0]) {
        n_free++;
    }
    if (t->n_nodes + (n - n_free) > t->allocated || !t->nodes) {
        t->allocated = t->allocated ? 2 * t->allocated : 16;
        t->nodes = cls_trie_xrealloc(t->nodes,
                                     t->allocated * sizeof *t->nodes);
        if (!t->n_nodes) {
            t->n_nodes = 1;             /* Index 0 means "none". */
        }
    }
}

/* Returns a new node for bits 'ofs' to 'ofs' + 'n_bits' of 'value'; the
 * pool must have room (cls_trie_reserve()). */
static uint32_t
cls_trie_node_new(struct ft_cls_trie *t, uint32_t value, unsigned int ofs,
                  unsigned int n_bits, uint32_t n_rules)
{
    struct ft_cls_trie_node *node;
    uint32_t i;

    if (t->free_list) {
        i = t->free_list;
        t->free_list = t->nodes[i].edges[0];
    } else {
        i = t->n_nodes++;
    }
    node = &t->nodes[i];
    node->prefix = (ofs < 32 ? value << ofs : 0) & ft_cls_prefix32(n_bits);
    node->n_bits = n_bits;
    node->n_rules = n_rules;
    node->edges[0] = node->edges[1] = 0;
    return i;
}

static void
cls_trie_node_free(struct ft_cls_trie *t, uint32_t i)
{
    t->nodes[i].edges[0] = t->free_list;
    t->free_list = i;
}

void
ft_cls_trie_destroy(struct ft_cls_trie *t)
{
    bool indexed = t->indexed;

    free(t->nodes);
    free(t->table);
    memset(t, 0, sizeof *t);
    t->indexed = indexed;
}

/* Table upkeep. */

/* A refresh of the table's entries [lo, hi). */
struct cls_trie_fill {
    struct ft_cls_trie *t;
    unsigned int bits;                  /* t->table_bits. */
    uint32_t lo, hi;
};

/* First entry of the values whose first 'n' bits (n <= table bits) are
 * those of 'path', and how many there are. */
static inline uint32_t
cls_trie_range(const struct cls_trie_fill *f, uint32_t path, unsigned int n,
               uint32_t *count)
{
    *count = UINT32_C(1) << (f->bits - n);
    return (path & ft_cls_prefix32(n)) >> (32 - f->bits);
}

static bool
cls_trie_fill_wanted(const struct cls_trie_fill *f, uint32_t path,
                     unsigned int n)
{
    uint32_t count, first = cls_trie_range(f, path, n, &count);

    return first < f->hi && first + count > f->lo;
}

static void
cls_trie_fill_put(const struct cls_trie_fill *f, uint32_t path,
                  unsigned int n, uint64_t entry)
{
    uint32_t count, first = cls_trie_range(f, path, n, &count);
    uint32_t lo = first > f->lo ? first : f->lo;
    uint32_t hi = first + count < f->hi ? first + count : f->hi;

    for (uint32_t i = lo; i < hi; i++) {
        f->t->table[i] = entry;
    }
}

/* Fills the entries of the values that start with the first 'm0' bits of
 * 'path' and so reach node 'ni', whose edge starts at bit 'start' ('m0'
 * is 'start', or 'start' + 1 where the parent's branch fixes that bit),
 * having matched the prefix lengths in 'plens'.  As a walk would: a value
 * that leaves the edge before the table's bits ends there; one whose walk
 * needs a bit past them goes on from the node whose edge holds that
 * bit. */
static void
cls_trie_fill(const struct cls_trie_fill *f, uint32_t ni, unsigned int start,
              unsigned int m0, uint32_t path, uint32_t plens)
{
    const struct ft_cls_trie_node *node = &f->t->nodes[ni];
    unsigned int end = start + node->n_bits;
    uint32_t bits, full;
    bool leaf;

    if (!cls_trie_fill_wanted(f, path, m0)) {
        return;
    }
    if (end >= f->bits) {
        cls_trie_fill_put(f, path, m0, ft_cls_trie_entry(ni, start, plens));
        return;
    }

    /* The edge's bits in place, then the values that leave it at bit m. */
    bits = start < 32 ? node->prefix >> start : 0;
    for (unsigned int m = m0; m < end; m++) {
        uint32_t v = path | (bits & ft_cls_prefix32(m))
                     | (~bits & (UINT32_C(1) << (31 - m)));

        cls_trie_fill_put(f, v, m + 1, ft_cls_trie_entry(0, m + 1, plens));
    }

    full = path | bits;
    if (node->n_rules) {
        plens |= UINT32_C(1) << end;
    }
    leaf = !node->edges[0] && !node->edges[1];
    for (unsigned int c = 0; c < 2; c++) {
        uint32_t v = full | c << (31 - end);

        if (node->edges[c]) {
            cls_trie_fill(f, node->edges[c], end, end + 1, v, plens);
        } else {
            cls_trie_fill_put(f, v, end + 1,
                              ft_cls_trie_entry(0, leaf ? end : end + 1,
                                                plens));
        }
    }
}

/* Refreshes the table entries of the values that start with the first 'n'
 * bits of 'value'. */
static void
cls_trie_table_refresh(struct ft_cls_trie *t, uint32_t value, unsigned int n)
{
    struct cls_trie_fill f;
    uint32_t count;

    if (!t->table) {
        return;
    }
    f.t = t;
    f.bits = t->table_bits;
    if (n > f.bits) {
        n = f.bits;
    }
    f.lo = cls_trie_range(&f, value, n, &count);
    f.hi = f.lo + count;
    if (!t->root) {
        cls_trie_fill_put(&f, 0, 0, ft_cls_trie_entry(0, 0, 0));
        return;
    }

    /* Go down the path of 'value' while it holds every entry to refresh,
     * then fill from there. */
    uint32_t ni = t->root, path = 0, plens = 0;
    unsigned int start = 0, m0 = 0;

    for (;;) {
        const struct ft_cls_trie_node *node = &t->nodes[ni];
        unsigned int end = start + node->n_bits;
        uint32_t next;

        if (end >= n
            || ft_cls_trie_eqbits(node, node->n_bits, value, start)
               < node->n_bits) {
            break;
        }
        next = node->edges[ft_cls_bit_at(value, end)];
        if (!next) {
            break;
        }
        if (node->n_rules) {
            plens |= UINT32_C(1) << end;
        }
        path = value & ft_cls_prefix32(end + 1);
        start = end;
        m0 = end + 1;
        ni = next;
    }
    cls_trie_fill(&f, ni, start, m0, path, plens);
}

/* Resizes the table if the number of prefixes calls for it: about one
 * entry per prefix, with slack (grown when the prefixes reach twice the
 * entries, shrunk when they fall below a quarter), so that a trie that
 * hovers around a size is not rebuilt on every change.  Returns true if
 * it did (and so filled every entry). */
static bool
cls_trie_table_resize(struct ft_cls_trie *t)
{
    uint32_t n = t->n_prefixes;
    unsigned int lg = n ? 31 - __builtin_clz(n) : 0;
    unsigned int want = lg < FT_CLS_TRIE_MAX_TABLE_BITS
                        ? lg : FT_CLS_TRIE_MAX_TABLE_BITS;

    if (!t->indexed) {
        return false;
    }
    if (t->table_bits
        ? want <= t->table_bits && want + 2 >= t->table_bits
        : want < FT_CLS_TRIE_MIN_TABLE_BITS) {
        return false;
    }
    if (want < FT_CLS_TRIE_MIN_TABLE_BITS) {
        want = 0;
    }
    if (want == t->table_bits) {
        return false;
    }
    free(t->table);
    t->table = NULL;
    t->table_bits = want;
    if (want) {
        t->table = cls_trie_xrealloc(NULL, (sizeof *t->table) << want);
        cls_trie_table_refresh(t, 0, 0);
    }
    return true;
}

/* Brings the table up to date after a change that only lookups reaching
 * bit 'n' of the path of 'value' can see.  The entries of the values that
 * take that path for the table's bits change only if 'n' is among those
 * bits: the others go on from a node that starts no deeper than the
 * change, and that insertions and removals keep in place (see
 * ft_cls_trie_insert() and ft_cls_trie_remove()). */
static void
cls_trie_table_update(struct ft_cls_trie *t, uint32_t value, unsigned int n)
{
    if (!cls_trie_table_resize(t) && n < t->table_bits) {
        cls_trie_table_refresh(t, value, n);
    }
}

void
ft_cls_trie_insert(struct ft_cls_trie *t, uint32_t value, unsigned int plen)
{
    unsigned int ofs = 0, changed = 0;
    uint32_t *edge = &t->root;
    uint32_t top;

    /* Every node above the one that the table entry of 'value' goes on
     * from is on the path of 'value' and ends before 'plen', if 'plen' is
     * past that node's start: the walk may start there.  (Nothing below
     * writes to the edge that leads to the first node.) */
    if (t->table) {
        uint64_t e = t->table[value >> (32 - t->table_bits)];
        unsigned int start = (e >> 32) & 0xff;

        if ((uint32_t) e && plen > start) {
            top = (uint32_t) e;
            edge = &top;
            ofs = start;
        }
    }

    cls_trie_reserve(t, 2);
    while (*edge) {
        uint32_t ni = *edge;
        struct ft_cls_trie_node *node = &t->nodes[ni];
        unsigned int n = node->n_bits < plen - ofs ? node->n_bits : plen - ofs;
        unsigned int eq = ft_cls_trie_eqbits(node, n, value, ofs);

        if (eq < node->n_bits) {
            /* The prefix leaves (or ends inside) this edge: split it.
             * The node keeps the upper part, so that the table entries
             * that go on from it stay right; a new node takes the lower
             * part and the children. */
            unsigned int old_branch = ft_cls_bit_at(node->prefix, eq);
            uint32_t lower = cls_trie_node_new(t, 0, 0, 0, node->n_rules);
            struct ft_cls_trie_node *low = &t->nodes[lower];

            node = &t->nodes[ni];
            low->prefix = node->prefix << eq;
            low->n_bits = node->n_bits - eq;
            low->edges[0] = node->edges[0];
            low->edges[1] = node->edges[1];
            node->prefix &= ft_cls_prefix32(eq);
            node->n_bits = eq;
            node->n_rules = ofs + eq == plen;
            node->edges[old_branch] = lower;
            node->edges[!old_branch] = 0;
            if (ofs + eq < plen) {
                uint32_t li = cls_trie_node_new(t, value, ofs + eq,
                                                plen - ofs - eq, 1);

                t->nodes[ni].edges[!old_branch] = li;
            }
            changed = ofs + eq;
            break;
        }
        ofs += eq;
        if (ofs == plen) {
            if (node->n_rules == FT_CLS_TRIE_MAX_RULES) {
                abort();        /* 16M masked keys with one prefix. */
            }
            if (node->n_rules++) {
                return;         /* Lookups answer as before. */
            }
            changed = ofs;
            break;
        }
        edge = &node->edges[ft_cls_bit_at(value, ofs)];
    }
    if (!*edge) {
        *edge = cls_trie_node_new(t, value, ofs, plen - ofs, 1);
        changed = ofs;
    }

    /* A lookup answers as before unless it gets to bit 'changed' of the
     * path of 'value'. */
    t->n_prefixes++;
    cls_trie_table_update(t, value, changed);
}

void
ft_cls_trie_remove(struct ft_cls_trie *t, uint32_t value, unsigned int plen)
{
    uint32_t *edges[34];
    unsigned int starts[34];
    struct ft_cls_trie_node *node;
    unsigned int depth = 0, ofs = 0, changed;
    uint32_t ni;

    edges[0] = &t->root;
    for (;;) {
        ni = *edges[depth];
        assert(ni);
        node = &t->nodes[ni];
        assert(ft_cls_trie_eqbits(node, node->n_bits, value, ofs)
               == node->n_bits);
        starts[depth] = ofs;
        ofs += node->n_bits;
        if (ofs >= plen) {
            break;
        }
        edges[++depth] = &node->edges[ft_cls_bit_at(value, ofs)];
    }
    assert(ofs == plen && node->n_rules);
    if (--node->n_rules) {
        return;                 /* Lookups answer as before. */
    }

    /* Prune: a node without rules needs two children to stay.  One with
     * one child absorbs it (so that, again, table entries that go on from
     * the node stay right); one without children goes, and its parent
     * may then have to absorb its other child. */
    changed = ofs;
    while (!node->n_rules) {
        uint32_t e0 = node->edges[0], e1 = node->edges[1];
        uint32_t next = e0 ? e0 : e1;

        if (e0 && e1) {
            break;
        }
        if (next) {
            /* Paths never exceed 32 bits. */
            struct ft_cls_trie_node *child = &t->nodes[next];

            changed = starts[depth] + node->n_bits;
            node->prefix |= child->prefix >> node->n_bits;
            node->n_bits += child->n_bits;
            node->n_rules = child->n_rules;
            node->edges[0] = child->edges[0];
            node->edges[1] = child->edges[1];
            cls_trie_node_free(t, next);
            break;
        }
        *edges[depth] = 0;
        cls_trie_node_free(t, ni);
        changed = starts[depth];
        if (!depth) {
            break;
        }
        ni = *edges[--depth];
        node = &t->nodes[ni];
    }

    t->n_prefixes--;
    cls_trie_table_update(t, value, changed);
}

unsigned int
ft_cls_trie_lookup(const struct ft_cls_trie *t, uint32_t value,
                   uint64_t *plens)
{
    struct ft_cls_trie_walk w;

    ft_cls_trie_walk_start(&w, t, value);
    while (!w.finished) {
        ft_cls_trie_walk_step(&w);
    }
    *plens = w.plens;
    return w.maskbits;
}
