/*
 * classifier-trie.h - binary prefix tries for the classifier (private to
 * mgmt/ofproto/classifier.c).
 *
 * A path-compressed binary trie over 32-bit values, most significant bit
 * first.  Each rule contributes one prefix (its value and prefix length);
 * equal prefixes share a node and count.  Nodes live in a pool (struct
 * ft_cls_trie, classifier.h) and link by index, so that the trie is
 * compact and a lookup touches few lines.  A lookup answers what Open
 * vSwitch's prefix tries answer: which prefix lengths match a value, and
 * how many of its leading bits that answer depends on (see
 * ft_cls_trie_lookup()).
 *
 * A trie marked 'indexed' also keeps, once it holds enough prefixes, a
 * table indexed by the first 'table_bits' bits of a value: where a lookup
 * of any value starting with those bits stands after them (the node to go
 * on from, the prefix lengths matched so far), or its whole answer if it
 * ends sooner.  A lookup then starts with one table read instead of
 * following the densely branching upper levels bit by bit, which is most
 * of the walk in a large trie.  The table has about one entry per prefix
 * (table_bits = floor(log2(prefixes)), at most FT_CLS_TRIE_MAX_TABLE_BITS)
 * and is rebuilt when the prefixes reach twice its entries or fall below a
 * quarter.  In between, a change deeper than the table's bits leaves it
 * alone (a split or merge keeps the upper node's index, so entries that
 * name it stay right); one within them refreshes the entries of the
 * values that reach it.  An insertion also starts from the table's node.
 *
 * Not thread-safe: the classifier serializes every access.  Allocation
 * failure aborts, as in the classifier.
 */
#ifndef FLOWTIER_MGMT_CLASSIFIER_TRIE_H
#define FLOWTIER_MGMT_CLASSIFIER_TRIE_H 1

#include <stdbool.h>
#include <stdint.h>

#include "mgmt/ofproto/classifier.h"

/* A trie node: 'n_bits' bits of prefix (left-aligned in 'prefix', the
 * rest zero) on the edge into it, and the number of rules whose prefix
 * ends exactly here. */
struct ft_cls_trie_node {
    uint32_t prefix;
    uint32_t edges[2];                  /* Children by next bit; 0 = none. */
    uint32_t n_rules : 24;              /* At most FT_CLS_TRIE_MAX_RULES. */
    uint32_t n_bits : 8;
};
#define FT_CLS_TRIE_MAX_RULES ((UINT32_C(1) << 24) - 1)
_Static_assert(sizeof(struct ft_cls_trie_node) == 16,
               "four trie nodes per cache line");

/* Tables: at most 2**20 entries (8 MB), and none below 2**6 prefixes,
 * where a walk is short and stays in cache. */
#define FT_CLS_TRIE_MAX_TABLE_BITS 20
#define FT_CLS_TRIE_MIN_TABLE_BITS 6

/* A table entry: the node a lookup goes on from (0 if it is finished) in
 * bits 0-31; the bits it followed before that node's edge (or, if
 * finished, its result) in bits 32-39; its prefix lengths matched so far
 * (all below table_bits) in bits 40-63. */
static inline uint64_t
ft_cls_trie_entry(uint32_t node, unsigned int len, uint32_t plens)
{
    return node | (uint64_t) len << 32 | (uint64_t) plens << 40;
}

/* The 32-bit mask of a prefix of 'n_bits' bits (0 to 32). */
static inline uint32_t
ft_cls_prefix32(unsigned int n_bits)
{
    return n_bits ? UINT32_MAX << (32 - n_bits) : 0;
}

/* The bit of 'value' at offset 'ofs' (0 = most significant), 'ofs' < 32. */
static inline unsigned int
ft_cls_bit_at(uint32_t value, unsigned int ofs)
{
    return (value >> (31 - ofs)) & 1;
}

/* Number of leading bits on which 'node''s prefix, limited to 'n_bits'
 * bits, agrees with 'value' from bit 'ofs' on. */
static inline unsigned int
ft_cls_trie_eqbits(const struct ft_cls_trie_node *node,
                   unsigned int n_bits, uint32_t value, unsigned int ofs)
{
    uint32_t rest = ofs < 32 ? value << ofs : 0;
    uint32_t diff = (node->prefix ^ rest) & ft_cls_prefix32(n_bits);

    return diff ? (unsigned int) __builtin_clz(diff) : n_bits;
}

/* A trie lookup in progress (ft_cls_trie_lookup() runs one to the end;
 * the classifier interleaves two, so that their cache misses overlap). */
struct ft_cls_trie_walk {
    const struct ft_cls_trie_node *nodes;
    const struct ft_cls_trie_node *prev;
    uint32_t value;
    uint32_t ni;                        /* Next node, 0 = none. */
    unsigned int len;                   /* Bits followed so far. */
    unsigned int maskbits;              /* The result, once finished. */
    uint64_t plens;
    bool finished;
};

/* Starts a walk from the root, ignoring any table. */
static inline void
ft_cls_trie_walk_start_root(struct ft_cls_trie_walk *w,
                            const struct ft_cls_trie *t, uint32_t value)
{
    w->nodes = t->nodes;
    w->prev = NULL;
    w->value = value;
    w->ni = t->root;
    w->len = 0;
    w->maskbits = 0;
    w->plens = 0;
    w->finished = false;
}

/* Starts a walk for 'value', from the table entry of its first bits if
 * there is a table. */
static inline void
ft_cls_trie_walk_start(struct ft_cls_trie_walk *w,
                       const struct ft_cls_trie *t, uint32_t value)
{
    ft_cls_trie_walk_start_root(w, t, value);
    if (t->table) {
        uint64_t e = t->table[value >> (32 - t->table_bits)];

        w->ni = (uint32_t) e;
        w->len = (e >> 32) & 0xff;
        w->plens = e >> 40;
        if (!w->ni) {
            w->maskbits = w->len;
            w->finished = true;
        } else {
            __builtin_prefetch(&w->nodes[w->ni]);
        }
    }
}

/* Follows one node of 'w'. */
static inline void
ft_cls_trie_walk_step(struct ft_cls_trie_walk *w)
{
    const struct ft_cls_trie_node *node;
    unsigned int eq;

    if (!w->ni) {
        /* Fell off the trie: the other branch, if any, was excluded by
         * the next bit. */
        const struct ft_cls_trie_node *prev = w->prev;

        w->maskbits = !prev || (!prev->edges[0] && !prev->edges[1])
                      ? w->len : w->len + 1;
        w->finished = true;
        return;
    }
    node = &w->nodes[w->ni];

    /* The next node, if this one matches in full: reading it before the
     * comparison is done shortens the chain of dependent loads. */
    unsigned int end = w->len + node->n_bits;
    uint32_t next = end < 32 ? node->edges[ft_cls_bit_at(w->value, end)] : 0;

    __builtin_prefetch(&w->nodes[next]);
    eq = ft_cls_trie_eqbits(node, node->n_bits, w->value, w->len);
    w->len += eq;
    if (eq < node->n_bits) {
        w->maskbits = w->len + 1;       /* The mismatching bit counts. */
        w->finished = true;
        return;
    }
    w->plens |= (uint64_t) (node->n_rules != 0) << w->len;
    if (w->len >= 32) {
        w->maskbits = 32;
        w->finished = true;
        return;
    }
    w->prev = node;
    w->ni = next;
}

/* Adds a rule with prefix 'value'/'plen' (1 <= 'plen' <= 32; the bits of
 * 'value' past 'plen' are zero). */
void ft_cls_trie_insert(struct ft_cls_trie *, uint32_t value,
                        unsigned int plen);

/* Removes one rule with prefix 'value'/'plen', which the trie holds. */
void ft_cls_trie_remove(struct ft_cls_trie *, uint32_t value,
                        unsigned int plen);

/* Looks 'value' up.  Sets bit L of '*plens' for each length L of a prefix
 * in the trie that 'value' starts with.  Returns how many leading bits of
 * 'value' that answer depends on: any value agreeing with 'value' on them
 * gets the same '*plens'.  (As Open vSwitch: the bits followed, plus the
 * first bit that leaves the trie, if some longer prefix was left.) */
unsigned int ft_cls_trie_lookup(const struct ft_cls_trie *, uint32_t value,
                                uint64_t *plens);

/* Frees the trie's nodes and empties it. */
void ft_cls_trie_destroy(struct ft_cls_trie *);

#endif /* mgmt/ofproto/classifier-trie.h */
