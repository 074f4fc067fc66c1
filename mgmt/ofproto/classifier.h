/*
 * classifier.h - packet classification by tuple-space search.
 *
 * What?
 * =====
 *
 * A classifier holds rules, each a match (key + mask) with a priority, and
 * answers "which rule of highest priority matches this flow key?".  Among
 * rules of equal priority that both match, the one inserted first wins
 * (deterministic, and what the tests' linear reference does).
 *
 * Un-wildcarding
 * ==============
 *
 * A lookup also reports which bits of the key it consulted, by OR-ing them
 * into a caller's 'wc' flow.  Any other key that agrees with this one on
 * every bit set in 'wc' gets the same answer from the same classifier.
 * The translator builds megaflows from exactly that, so the less a lookup
 * consults, the wider (and fewer) the megaflows.
 *
 * Basic design
 * ============
 *
 * Rules are grouped into subtables by mask.  Each subtable is a hash table
 * over key & mask, and knows the highest priority among its rules.
 * Subtables are searched in decreasing order of that maximum, and the
 * search stops at the first subtable whose maximum is below the best match
 * found so far: a subtable that was not searched was not consulted, and
 * adds nothing to 'wc'.  Each subtable precomputes which 64-bit words of
 * the key its mask touches, so hashing and comparing cost only those
 * words.
 *
 * A subtable that matches consults its whole mask.  One that does not
 * consults only what ruled it out, as in Open vSwitch 3.1, so that the
 * megaflows (and the masks of partial set actions) come out the same:
 *
 *   - Staged lookup.  A subtable's mask is split into up to four stages,
 *     by struct ft_flow's groups: metadata (tunnel, in_port, metadata,
 *     registers: words 0-7), L2 (words 8-10), L3 (words 11-17, the
 *     arp_tha half of word 18, and tcp_flags in word 19, kept with L3 as
 *     OVS does) and L4 (tp_src and tp_dst, the other half of word 18).
 *     Each stage but the last has an index of the hashes of the rules'
 *     keys up to it; a miss there consults the stages so far only.
 *
 *   - Prefix tries on nw_dst and nw_src (OVS's default prefix fields, in
 *     its order), for IPv4 packets.  Before the L3 stage of a subtable
 *     with a CIDR prefix on one of them, a trie of every rule's prefix
 *     tells whether any rule of that prefix length can match and, if not,
 *     how many leading address bits that depends on; if no more than the
 *     subtable's prefix (or already consulted), the subtable is ruled out
 *     with just those bits and the stages before L3.
 *
 *   - A ports trie per subtable: when the last stage holds tp_src/tp_dst
 *     and misses, only the leading port bits that rule out every key of
 *     the subtable are consulted.
 *
 * Where OVS leaves the winner among equal priorities undefined, FlowTier
 * picks the rule inserted first, so on a tie it searches on and may
 * consult more than OVS.
 *
 * Thread-safety
 * =============
 *
 * None: callers serialize every access (the daemon's main loop owns the
 * OpenFlow classifiers).
 */
#ifndef FLOWTIER_MGMT_CLASSIFIER_H
#define FLOWTIER_MGMT_CLASSIFIER_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/flow.h"

struct ft_cls_subtable;

/* A rule, embedded in a caller's struct (e.g. struct ft_ofrule).  The
 * caller points 'match' at its own copy of the match (normalized; an
 * OpenFlow rule's is its flow spec's, so the match is stored once) and
 * fills 'priority' before insertion, and must change neither, nor free
 * the match, while the rule is in a classifier; the other members are
 * the classifier's. */
struct ft_cls_rule {
    struct ft_match *match;
    int32_t priority;

    /* Private to the classifier. */
    uint32_t hash;
    uint64_t seq;                       /* Insertion order, for ties. */
    struct ft_cls_rule *next;           /* Same masked key, lower prio. */
    struct ft_cls_rule *hnext;          /* Hash bucket chain (heads). */
    struct ft_cls_subtable *subtable;
};

struct ft_cls_trie_node;

/* Private to the classifier: a binary prefix trie over a 32-bit value, its
 * nodes in one pool, and optionally a table of where a lookup stands after
 * the value's leading bits (see classifier-trie.h). */
struct ft_cls_trie {
    struct ft_cls_trie_node *nodes;     /* nodes[0] is unused. */
    uint32_t root;                      /* Index into 'nodes', 0 if empty. */
    uint32_t n_nodes;                   /* Pool entries used, 0 included. */
    uint32_t allocated;
    uint32_t free_list;                 /* Index of a free node, or 0. */
    uint32_t n_prefixes;                /* Nodes with rules. */
    uint64_t *table;                    /* 2**table_bits entries, or NULL. */
    uint8_t table_bits;                 /* 0 if no table. */
    bool indexed;                       /* Keep a table once large. */
};

/* Prefix tries: the fields a lookup may consult a trie for, as in Open
 * vSwitch's default (nw_dst, then nw_src). */
#define FT_CLS_N_TRIES 2

struct ft_classifier {
    struct ft_cls_subtable **subtables; /* Sorted by max priority, desc. */
    size_t n_subtables, allocated;
    size_t n_rules;
    uint64_t next_seq;

    /* Private to the classifier. */
    struct ft_cls_trie tries[FT_CLS_N_TRIES];
};

void ft_cls_init(struct ft_classifier *);
/* Frees the classifier's own memory; the rules still in it are not freed
 * (they belong to the caller): remove them first or accept they are
 * forgotten. */
void ft_cls_destroy(struct ft_classifier *);

/* Inserts 'rule'.  If a rule with an identical match and priority is
 * already present, nothing is inserted and that rule is returned (the
 * caller decides whether to replace it with ft_cls_replace()); otherwise
 * returns NULL. */
struct ft_cls_rule *ft_cls_insert(struct ft_classifier *,
                                  struct ft_cls_rule *rule);

/* Replaces 'old' (in the classifier) with 'new' (same match and priority),
 * which takes over 'old''s position for tie-breaking. */
void ft_cls_replace(struct ft_classifier *, struct ft_cls_rule *old,
                    struct ft_cls_rule *new);

/* Removes 'rule', which must be in the classifier. */
void ft_cls_remove(struct ft_classifier *, struct ft_cls_rule *rule);

/* Returns the best rule matching 'flow', or NULL.  If 'wc' is nonnull,
 * ORs into it every bit the lookup consulted. */
const struct ft_cls_rule *ft_cls_lookup(const struct ft_classifier *,
                                        const struct ft_flow *flow,
                                        struct ft_flow *wc);

/* Returns the rule whose match equals 'match' exactly and whose priority
 * is 'priority', or NULL. */
struct ft_cls_rule *ft_cls_find_exact(const struct ft_classifier *,
                                      const struct ft_match *match,
                                      int32_t priority);

static inline size_t
ft_cls_count(const struct ft_classifier *cls)
{
    return cls->n_rules;
}

/* Iteration.  Visits every rule for which 'target' is NULL or which is at
 * least as specific as 'target' (its mask covers target's mask and it
 * agrees with target's key there: OpenFlow's non-strict match).  The
 * callback may not modify the classifier; collect and act afterwards.
 * Stops early and returns nonzero if the callback does. */
int ft_cls_foreach(const struct ft_classifier *, const struct ft_match *target,
                   int (*cb)(struct ft_cls_rule *, void *aux), void *aux);

/* True if 'rule' is at least as specific as 'target' (see above). */
bool ft_cls_rule_is_loose_match(const struct ft_cls_rule *rule,
                                const struct ft_match *target);

#endif /* mgmt/ofproto/classifier.h */
