/*
 * classifier-trie.c - binary prefix tries for the classifier (see
 * classifier-trie.h).
 *
 * Part of the management plane, used only by mgmt/classifier.c.  Touches
 * nothing but the tries handed to it.
 */
#include "mgmt/classifier-trie.h"

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
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

void
ft_cls_trie_insert(struct ft_cls_trie *t, uint32_t value, unsigned int plen)
{
    uint32_t *edge;
    unsigned int ofs = 0;

    cls_trie_reserve(t, 2);
    for (edge = &t->root; *edge; ) {
        uint32_t ni = *edge;
        struct ft_cls_trie_node *node = &t->nodes[ni];
        unsigned int n = node->n_bits < plen - ofs ? node->n_bits : plen - ofs;
        unsigned int eq = ft_cls_trie_eqbits(node, n, value, ofs);

        if (eq < node->n_bits) {
            /* The prefix leaves (or ends inside) this edge: split it. */
            unsigned int old_branch = ft_cls_bit_at(node->prefix, eq);
            uint32_t pi = cls_trie_node_new(t, value, ofs, eq,
                                            ofs + eq == plen);
            struct ft_cls_trie_node *parent = &t->nodes[pi];

            node = &t->nodes[ni];
            node->prefix <<= eq;
            node->n_bits -= eq;
            parent->edges[old_branch] = ni;
            if (ofs + eq < plen) {
                uint32_t li = cls_trie_node_new(t, value, ofs + eq,
                                                plen - ofs - eq, 1);

                t->nodes[pi].edges[!old_branch] = li;
            }
            *edge = pi;
            return;
        }
        ofs += eq;
        if (ofs == plen) {
            if (node->n_rules == FT_CLS_TRIE_MAX_RULES) {
                abort();        /* 16M masked keys with one prefix. */
            }
            node->n_rules++;
            return;
        }
        edge = &node->edges[ft_cls_bit_at(value, ofs)];
    }
    *edge = cls_trie_node_new(t, value, ofs, plen - ofs, 1);
}

void
ft_cls_trie_remove(struct ft_cls_trie *t, uint32_t value, unsigned int plen)
{
    uint32_t *edges[34];
    struct ft_cls_trie_node *node;
    unsigned int depth = 0, ofs = 0;
    uint32_t ni;

    edges[0] = &t->root;
    for (;;) {
        ni = *edges[depth];
        assert(ni);
        node = &t->nodes[ni];
        assert(ft_cls_trie_eqbits(node, node->n_bits, value, ofs)
               == node->n_bits);
        ofs += node->n_bits;
        if (ofs >= plen) {
            break;
        }
        edges[++depth] = &node->edges[ft_cls_bit_at(value, ofs)];
    }
    assert(ofs == plen && node->n_rules);
    node->n_rules--;

    /* Prune: a node without rules needs two children to stay. */
    while (!node->n_rules) {
        uint32_t e0 = node->edges[0], e1 = node->edges[1];
        uint32_t next = e0 ? e0 : e1;

        if (e0 && e1) {
            break;
        }
        if (next) {
            /* Merge into the only child (paths never exceed 32 bits). */
            struct ft_cls_trie_node *child = &t->nodes[next];

            child->prefix = node->prefix | (child->prefix >> node->n_bits);
            child->n_bits += node->n_bits;
        }
        *edges[depth] = next;
        cls_trie_node_free(t, ni);
        if (next || !depth) {
            break;
        }
        ni = *edges[--depth];
        node = &t->nodes[ni];
    }
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
