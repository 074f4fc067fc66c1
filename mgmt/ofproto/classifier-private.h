/*
 * classifier-private.h - what the classifier's files share (private to
 * mgmt/ofproto/classifier*.c; nothing else includes it).
 *
 * The classifier (classifier.h) is split by concept:
 *
 *   classifier.c        subtables and their order, insert and remove,
 *                       lookup, exact find and iteration;
 *   classifier-hash.c   hashing of masked keys and a subtable's slot table;
 *   classifier-stage.c  stage groups of a mask and the stage indices;
 *   classifier-prio.c   a subtable's priority histogram;
 *   classifier-trie.c   the prefix tries (classifier-trie.h).
 *
 * This header holds the structures they share, and, as static inline
 * functions, the small helpers that the lookup calls: they must stay
 * inline there (the lookup is the OpenFlow classifier's hot path).
 * Functions shared between the files have cls_ names and are declared
 * here; none is part of the classifier's interface.
 *
 * Layout
 * ======
 *
 * A subtable holds every rule with one mask.  It keeps:
 *
 *   - the list of 64-bit key words its mask touches ('words') and the mask
 *     of each ('mask_words'), so that hashing and comparing a key cost only
 *     those words;
 *
 *   - an open-addressed hash table (linear probing, power-of-two size, at
 *     most half full) over the masked key.  A slot holds the key's 32-bit
 *     hash (0 = empty; stored hashes always have the top bit set), the
 *     priority of its chain's head and the head itself; the masked key
 *     words of slot i sit at 'keys[i * n_words]'.  So a probe that misses
 *     reads one slot line, and one that hits reads a slot line and a key
 *     line, never the rule (except to break a priority tie);
 *
 *   - for each distinct masked key, a chain of rules through 'next', by
 *     decreasing priority.  Rules in one chain have identical matches, so
 *     their priorities are distinct and the head is the chain's best rule;
 *
 *   - how many rules it has at each priority, as a max-heap of distinct
 *     priorities indexed by a small hash map, so that its highest priority
 *     ('max_priority') stays exact in O(log distinct priorities) per insert
 *     or remove, whatever the order rules come and go in;
 *
 *   - the stages of its mask (classifier.h, "Basic design"): its key
 *     entries ('words', 'mask_words') are in stage order, so that stage i
 *     is entries [stage_end[i - 1], stage_end[i]).  Word 18, shared by
 *     arp_tha (L3) and the ports (L4), may give two entries.  Each stage
 *     but the last has an index: a counted set of the hashes of the
 *     distinct masked keys up to that stage;
 *
 *   - its prefix lengths on the trie fields, and a ports trie (the tries
 *     themselves are in classifier-trie.c).
 *
 * The classifier keeps its subtables sorted by 'max_priority', descending,
 * and the two prefix tries (every distinct masked key of a subtable with a
 * CIDR prefix on the field adds its prefix once).
 *
 * Not thread-safe, as the classifier (classifier.h, "Thread-safety").
 * Allocation failure aborts.
 */
#ifndef FLOWTIER_MGMT_CLASSIFIER_PRIVATE_H
#define FLOWTIER_MGMT_CLASSIFIER_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "flowtier/flow.h"
#include "mgmt/ofproto/classifier.h"

#define CLS_MIN_SLOTS 8u
#define CLS_HASH_TAG (UINT32_C(1) << 31)    /* Set in every stored hash. */
#define CLS_HASH_SEED UINT64_C(0x2545f4914f6cdd1d)

/* Stage groups, in lookup order (classifier.c, "Staged lookup"). */
enum cls_group {
    CLS_GROUP_META,                     /* Tunnel and pipeline metadata. */
    CLS_GROUP_L2,
    CLS_GROUP_L3,                       /* Also ARP addresses, tcp_flags. */
    CLS_GROUP_L4,                       /* tp_src, tp_dst. */
    CLS_N_GROUPS
};

/* A word may be split between two groups (word 18: arp_tha | ports), so a
 * subtable has at most one key entry per word plus one. */
#define CLS_MAX_ENTRIES (FT_FLOW_U64S + 1)
#define CLS_NO_STAGE 0xff

_Static_assert(offsetof(struct ft_flow, tp_dst)
               == offsetof(struct ft_flow, tp_src) + 2
               && offsetof(struct ft_flow, tcp_flags)
                  == offsetof(struct ft_flow, tp_dst) + 2,
               "the L4 stage expects tp_src, tp_dst, tcp_flags adjacent");

struct cls_slot {
    uint32_t hash;                      /* 0 = empty. */
    int32_t priority;                   /* head->priority. */
    struct ft_cls_rule *head;           /* Best rule of the chain. */
};

/* One distinct priority of a subtable and how many of its rules have it. */
struct cls_prio {
    int32_t priority;
    uint32_t count;
};

/* A stage index: how many distinct masked keys of the subtable have each
 * hash of their first stages (open addressing, linear probing, at most
 * half full; hash 0 = empty). */
struct cls_icell {
    uint32_t hash;
    uint32_t count;
};

struct cls_index {
    struct cls_icell *cells;
    uint32_t mask;                      /* Number of cells - 1. */
    uint32_t n;                         /* Cells in use. */
};

struct ft_cls_subtable {
    /* Read by every lookup that reaches this subtable. */
    int32_t max_priority;
    uint32_t n_words;                   /* Key entries ('words'). */
    uint32_t slot_mask;                 /* Number of slots - 1. */
    struct cls_slot *slots;
    uint64_t *keys;                     /* n_words per slot. */
    uint8_t words[CLS_MAX_ENTRIES];     /* Word index of each key entry. */
    uint8_t n_stages;                   /* 1 to CLS_N_GROUPS. */
    uint8_t stage_end[CLS_N_GROUPS];    /* Entries of stage i end here. */
    uint8_t trie_stage;                 /* Stage of the L3 group with a
                                         * trie prefix, or CLS_NO_STAGE. */
    uint8_t trie_plen[FT_CLS_N_TRIES];  /* Prefix length, 0 = no trie. */
    uint8_t ports_mask_len;             /* 0 = no ports trie. */
    uint32_t ports_mask;                /* tp_src << 16 | tp_dst. */
    uint64_t mask_words[CLS_MAX_ENTRIES];   /* Mask of each key entry. */
    struct cls_index indices[CLS_N_GROUPS - 1]; /* Of all but the last. */
    struct ft_cls_trie ports_trie;

    /* Maintenance only. */
    struct cls_prio *prios;             /* Max-heap by priority. */
    uint32_t n_prios, allocated_prios;
    uint32_t *prio_map;                 /* Heap index + 1 by priority. */
    uint32_t prio_map_mask;             /* Map size - 1; 0 if no map. */
    size_t n_heads;                     /* Occupied slots. */
    size_t n_rules;
    uint32_t mask_hash;
    struct ft_flow mask;
};

/* Allocation; failure aborts, as everywhere in FlowTier. */

static inline void *
cls_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p) {
        abort();
    }
    return p;
}

static inline void *
cls_xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static inline size_t
cls_n_slots(const struct ft_cls_subtable *st)
{
    return (size_t) st->slot_mask + 1;
}

/* Hashing of masked keys.  Private to the classifier (no other module
 * sees these hashes), so it trades flow.h's 32-bit murmur steps for one
 * 64-bit multiply per word: lookups hash once per subtable searched.  The
 * state runs through the key entries in stage order, and finishing it
 * after a stage's last entry gives that stage's index hash; after the
 * last entry, the hash of the whole masked key. */
static inline uint64_t
cls_hash_step(uint64_t state, uint64_t word)
{
    state = (state ^ word) * UINT64_C(0x9e3779b97f4a7c15);
    return state ^ (state >> 32);
}

/* A finished hash, tagged as stored in slots and index cells. */
static inline uint32_t
cls_hash_finish(uint64_t state)
{
    state *= UINT64_C(0xd6e8feb86659fd93);
    state ^= state >> 32;
    return (uint32_t) state | CLS_HASH_TAG;
}

/* Fills 'masked' with the key entries of 'flow' under 'st''s mask; returns
 * their hash. */
static inline uint32_t
cls_mask_key(const struct ft_cls_subtable *st, const struct ft_flow *flow,
             uint64_t *masked)
{
    const uint64_t *f = ft_flow_u64(flow);
    uint64_t state = CLS_HASH_SEED;

    for (uint32_t i = 0; i < st->n_words; i++) {
        masked[i] = f[st->words[i]] & st->mask_words[i];
        state = cls_hash_step(state, masked[i]);
    }
    return cls_hash_finish(state);
}

/* As cls_mask_key(), and also stores in 'ihash[i]' the hash of stages 0
 * to i, for each stage that has an index (classifier-hash.c). */
uint32_t cls_mask_key_staged(const struct ft_cls_subtable *st,
                             const struct ft_flow *flow, uint64_t *masked,
                             uint32_t ihash[CLS_N_GROUPS - 1]);

/* The slot table (classifier-hash.c). */

static inline bool
cls_slot_has_key(const struct ft_cls_subtable *st, uint32_t slot,
                 const uint64_t *masked)
{
    const uint64_t *k = &st->keys[(size_t) slot * st->n_words];

    uint64_t diff = 0;

    for (uint32_t i = 0; i < st->n_words; i++) {
        diff |= k[i] ^ masked[i];
    }
    return !diff;
}

/* Returns the slot holding the chain for 'masked' (hash 'hash'), probing
 * from slot 'i' on, or -1. */
static inline long
cls_probe(const struct ft_cls_subtable *st, const uint64_t *masked,
          uint32_t hash, uint32_t i)
{
    for (;; i = (i + 1) & st->slot_mask) {
        uint32_t h = st->slots[i].hash;

        if (h == hash) {
            if (cls_slot_has_key(st, i, masked)) {
                return i;
            }
        } else if (!h) {
            return -1;
        }
    }
}

static inline long
cls_find_slot(const struct ft_cls_subtable *st, const uint64_t *masked,
              uint32_t hash)
{
    return cls_probe(st, masked, hash, hash & st->slot_mask);
}

/* Puts a chain headed by 'head', of masked key 'masked', in the first free
 * slot of its probe sequence.  The table must have a free slot. */
void cls_slot_put(struct ft_cls_subtable *st, struct ft_cls_rule *head,
                  const uint64_t *masked);

/* Rebuilds 'st''s slot table with 'n_slots' slots (a power of two, more
 * than its occupied slots), moving every chain and its key over. */
void cls_resize(struct ft_cls_subtable *st, size_t n_slots);

/* Empties slot 'i' and shifts back the entries of the same probe run so
 * that no later probe stops early (deletion without tombstones). */
void cls_slot_delete(struct ft_cls_subtable *st, uint32_t i);

/* Makes 'head' the head of the chain in 'slot'. */
static inline void
cls_slot_set_head(struct ft_cls_subtable *st, long slot,
                  struct ft_cls_rule *head)
{
    st->slots[slot].head = head;
    st->slots[slot].priority = head->priority;
}

/* Stage indices (classifier-stage.c). */

/* Returns the cell of 'hash' in 'idx', or the empty cell where it would
 * go. */
static inline struct cls_icell *
cls_index_cell(const struct cls_index *idx, uint32_t hash)
{
    uint32_t i = hash & idx->mask;

    while (idx->cells[i].hash && idx->cells[i].hash != hash) {
        i = (i + 1) & idx->mask;
    }
    return &idx->cells[i];
}

static inline bool
cls_index_has(const struct cls_index *idx, uint32_t hash)
{
    return cls_index_cell(idx, hash)->hash != 0;
}

/* Counts one more masked key whose stages hash to 'hash'. */
void cls_index_inc(struct cls_index *idx, uint32_t hash);

/* Counts one masked key fewer at 'hash', which has at least one. */
void cls_index_dec(struct cls_index *idx, uint32_t hash);

/* Splits 'st''s mask into key entries by stage group, and sets up the
 * stages, the stage indices' count and the tries' prefix lengths. */
void cls_subtable_init_stages(struct ft_cls_subtable *st);

/* The fields with a classifier-wide trie, in the order lookups consult
 * them. */
static inline uint32_t
cls_trie_field(const struct ft_flow *flow, int i)
{
    return i == 0 ? flow->nw_dst : flow->nw_src;
}

static inline uint32_t *
cls_trie_field_rw(struct ft_flow *flow, int i)
{
    return i == 0 ? &flow->nw_dst : &flow->nw_src;
}

static inline uint32_t
cls_ports(const struct ft_flow *flow)
{
    return (uint32_t) flow->tp_src << 16 | flow->tp_dst;
}

/* The priority histogram (classifier-prio.c).  Both keep
 * 'st->max_priority' exact. */

/* Counts one more rule of 'st' at 'priority'. */
void cls_prio_add(struct ft_cls_subtable *st, int32_t priority);

/* Counts one rule of 'st' fewer at 'priority', which has at least one. */
void cls_prio_del(struct ft_cls_subtable *st, int32_t priority);

#endif /* mgmt/ofproto/classifier-private.h */
