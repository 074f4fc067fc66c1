/*
 * classifier.c - tuple-space search classifier (see classifier.h).
 *
 * Part of the management plane; used by the OpenFlow tables (oftable.c)
 * and, through them, by translation.  Touches nothing but its own memory
 * and the rules handed to it.
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
 * Staged lookup
 * =============
 *
 * A staged search of a subtable, as in Open vSwitch, goes stage by stage;
 * at the start of the L3 stage it asks the tries whether the subtable can
 * be skipped; after each stage but the last it probes the stage's index,
 * and a miss ends the search, consulting the stages so far; the last stage
 * probes the hash table, and a miss there with ports in the mask asks the
 * ports trie.  The lookup gets the same answer and the same 'wc' faster:
 * it probes every subtable with the whole key first (in prefetched
 * batches), and only for a subtable that has no match replays the stages
 * on the index cells to find what ruled it out, unless that cannot add to
 * 'wc' (its whole mask, or its stages before L3 and the trie bits that
 * rule it out, are in 'wc' already).  The tries are walked at most once
 * per field per lookup: both at once (so that their cache misses overlap)
 * before any probe for an IPv4 lookup in several subtables, else when
 * first needed.  Walked first, they also spare the probe of every
 * subtable of whose prefix length on nw_dst or nw_src no rule starts the
 * flow's address (which then has no match), as in OVS: with random
 * addresses, most subtables.
 *
 * Cost
 * ====
 *
 * Lookup: for each subtable searched, O(words) to hash plus an expected
 * O(1) probe; no allocation.  Subtables are probed in batches: hash and
 * prefetch the slots of several, then probe them and prefetch the keys,
 * then compare, so that their cache misses overlap.  With 'wc', each
 * subtable without a match adds up to one expected O(1) probe per stage,
 * and the lookup up to two trie walks of O(32) nodes, which a trie's
 * table of its first levels (classifier-trie.h) cuts to one read and the
 * few nodes below them.  Insert and remove: O(subtables) to find the
 * subtable by mask, O(chain length) within it, O(log distinct priorities)
 * for the priority heap, amortized O(1) for the hash tables and the trie
 * tables to grow or shrink, and O(32) per trie for a new or vanished
 * masked key, plus the trie table entries it changes (usually none: only
 * a change within the table's first bits touches entries).
 *
 * The rules' 'hnext' member is unused: chains of equal masked keys hang off
 * the slots, which need no links.
 *
 * Allocation failure aborts, as everywhere in FlowTier (the interface has
 * no failure path for it, and a half-inserted rule would be worse).
 */
#include "mgmt/ofproto/classifier.h"
#include "mgmt/ofproto/classifier-trie.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define CLS_MIN_SLOTS 8u
#define CLS_HASH_TAG (UINT32_C(1) << 31)    /* Set in every stored hash. */
#define CLS_HASH_SEED UINT64_C(0x2545f4914f6cdd1d)
#define CLS_BATCH 8                         /* Subtables probed together. */

/* Stage groups, in lookup order (see "Staged lookup" above). */
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

static void *
cls_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p) {
        abort();
    }
    return p;
}

static void *
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
 * to i, for each stage that has an index. */
static uint32_t
cls_mask_key_staged(const struct ft_cls_subtable *st,
                    const struct ft_flow *flow, uint64_t *masked,
                    uint32_t ihash[CLS_N_GROUPS - 1])
{
    const uint64_t *f = ft_flow_u64(flow);
    uint64_t state = CLS_HASH_SEED;
    uint32_t e = 0;

    for (uint32_t s = 0; s < st->n_stages; s++) {
        for (; e < st->stage_end[s]; e++) {
            masked[e] = f[st->words[e]] & st->mask_words[e];
            state = cls_hash_step(state, masked[e]);
        }
        if (s + 1 < st->n_stages) {
            ihash[s] = cls_hash_finish(state);
        }
    }
    return cls_hash_finish(state);
}

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
 * slot of its probe sequence. */
static void
cls_slot_put(struct ft_cls_subtable *st, struct ft_cls_rule *head,
             const uint64_t *masked)
{
    uint32_t i = head->hash & st->slot_mask;

    while (st->slots[i].hash) {
        i = (i + 1) & st->slot_mask;
    }
    st->slots[i].hash = head->hash;
    st->slots[i].priority = head->priority;
    st->slots[i].head = head;
    memcpy(&st->keys[(size_t) i * st->n_words], masked,
           st->n_words * sizeof *masked);
}

static void
cls_resize(struct ft_cls_subtable *st, size_t n_slots)
{
    struct cls_slot *old_slots = st->slots;
    uint64_t *old_keys = st->keys;
    size_t old_n = old_slots ? cls_n_slots(st) : 0;

    st->slots = cls_xcalloc(n_slots, sizeof *st->slots);
    st->keys = cls_xcalloc(n_slots * st->n_words, sizeof *st->keys);
    st->slot_mask = n_slots - 1;
    for (size_t i = 0; i < old_n; i++) {
        if (old_slots[i].hash) {
            cls_slot_put(st, old_slots[i].head, &old_keys[i * st->n_words]);
        }
    }
    free(old_slots);
    free(old_keys);
}

/* Empties slot 'i' and shifts back the entries of the same probe run so
 * that no later probe stops early (deletion without tombstones). */
static void
cls_slot_delete(struct ft_cls_subtable *st, uint32_t i)
{
    uint32_t mask = st->slot_mask;
    uint32_t j = i;

    for (;;) {
        j = (j + 1) & mask;
        if (!st->slots[j].hash) {
            break;
        }

        /* Entry j may move to the hole at i unless its home slot lies
         * cyclically in (i, j]. */
        uint32_t home = st->slots[j].hash & mask;
        bool stays = i <= j ? (home > i && home <= j)
                            : (home > i || home <= j);
        if (!stays) {
            st->slots[i] = st->slots[j];
            memcpy(&st->keys[(size_t) i * st->n_words],
                   &st->keys[(size_t) j * st->n_words],
                   st->n_words * sizeof *st->keys);
            i = j;
        }
    }
    memset(&st->slots[i], 0, sizeof st->slots[i]);
}

/* Makes 'head' the head of the chain in 'slot'. */
static inline void
cls_slot_set_head(struct ft_cls_subtable *st, long slot,
                  struct ft_cls_rule *head)
{
    st->slots[slot].head = head;
    st->slots[slot].priority = head->priority;
}

/* Stage indices. */

static void
cls_index_resize(struct cls_index *idx, size_t n_cells)
{
    struct cls_icell *old = idx->cells;
    size_t old_n = old ? (size_t) idx->mask + 1 : 0;

    idx->cells = cls_xcalloc(n_cells, sizeof *idx->cells);
    idx->mask = n_cells - 1;
    for (size_t i = 0; i < old_n; i++) {
        if (old[i].hash) {
            uint32_t j = old[i].hash & idx->mask;

            while (idx->cells[j].hash) {
                j = (j + 1) & idx->mask;
            }
            idx->cells[j] = old[i];
        }
    }
    free(old);
}

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
static void
cls_index_inc(struct cls_index *idx, uint32_t hash)
{
    struct cls_icell *cell;

    if (!idx->cells) {
        cls_index_resize(idx, CLS_MIN_SLOTS);
    }
    cell = cls_index_cell(idx, hash);
    if (!cell->hash) {
        if (2 * (idx->n + 1) > idx->mask + 1) {
            cls_index_resize(idx, 2 * ((size_t) idx->mask + 1));
            cell = cls_index_cell(idx, hash);
        }
        cell->hash = hash;
        idx->n++;
    }
    cell->count++;
}

/* Counts one masked key fewer at 'hash', which has at least one. */
static void
cls_index_dec(struct cls_index *idx, uint32_t hash)
{
    struct cls_icell *cell = cls_index_cell(idx, hash);
    uint32_t mask = idx->mask;
    uint32_t i, j;

    assert(cell->hash && cell->count);
    if (--cell->count) {
        return;
    }

    /* Delete without tombstones, as cls_slot_delete() does. */
    i = j = cell - idx->cells;
    for (;;) {
        j = (j + 1) & mask;
        if (!idx->cells[j].hash) {
            break;
        }

        uint32_t home = idx->cells[j].hash & mask;
        bool stays = i <= j ? (home > i && home <= j)
                            : (home > i || home <= j);
        if (!stays) {
            idx->cells[i] = idx->cells[j];
            i = j;
        }
    }
    idx->cells[i].hash = 0;
    idx->cells[i].count = 0;
    idx->n--;
    if (idx->n * 8 < idx->mask + 1 && idx->mask + 1 > CLS_MIN_SLOTS) {
        cls_index_resize(idx, ((size_t) idx->mask + 1) / 2);
    }
}

/* Length of 'mask' as a CIDR prefix, or 0 if it is none (or empty). */
static unsigned int
cls_prefix_len(uint32_t mask)
{
    if (!mask || (~mask & (~mask + 1))) {
        return 0;
    }
    return 32 - __builtin_ctz(mask);
}

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

/* Stage groups by byte of struct ft_flow. */
static enum cls_group
cls_byte_group(size_t ofs)
{
    if (ofs < offsetof(struct ft_flow, dl_dst)) {
        return CLS_GROUP_META;
    } else if (ofs < offsetof(struct ft_flow, nw_src)) {
        return CLS_GROUP_L2;
    } else if (ofs >= offsetof(struct ft_flow, tp_src)
               && ofs < offsetof(struct ft_flow, tcp_flags)) {
        return CLS_GROUP_L4;
    }
    return CLS_GROUP_L3;
}

/* Splits 'st''s mask into key entries by stage group, and sets up the
 * stages, the stage indices' count and the tries' prefix lengths. */
static void
cls_subtable_init_stages(struct ft_cls_subtable *st)
{
    struct ft_flow groups[CLS_N_GROUPS];
    const uint64_t *m = ft_flow_u64(&st->mask);

    memset(groups, 0, sizeof groups);
    for (size_t ofs = 0; ofs < sizeof(struct ft_flow); ofs++) {
        ((uint8_t *) &groups[cls_byte_group(ofs)])[ofs] = 0xff;
    }

    st->n_words = 0;
    st->n_stages = 0;
    st->trie_stage = CLS_NO_STAGE;
    for (int g = 0; g < CLS_N_GROUPS; g++) {
        const uint64_t *gm = ft_flow_u64(&groups[g]);
        uint32_t start = st->n_words;

        for (size_t i = 0; i < FT_FLOW_U64S; i++) {
            if (m[i] & gm[i]) {
                st->words[st->n_words] = i;
                st->mask_words[st->n_words] = m[i] & gm[i];
                st->n_words++;
            }
        }
        if (st->n_words > start) {
            if (g == CLS_GROUP_L3) {
                st->trie_stage = st->n_stages;
            }
            st->stage_end[st->n_stages++] = st->n_words;
        }
    }
    if (!st->n_stages) {
        st->stage_end[st->n_stages++] = 0;      /* The catch-all. */
    }

    bool any_trie = false;
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        st->trie_plen[i] = cls_prefix_len(cls_trie_field(&st->mask, i));
        any_trie |= st->trie_plen[i] != 0;
    }
    if (!any_trie) {
        st->trie_stage = CLS_NO_STAGE;
    }
    st->ports_mask = cls_ports(&st->mask);
    st->ports_mask_len = st->ports_mask
                         ? 32 - __builtin_ctz(st->ports_mask) : 0;
}

static struct ft_cls_subtable *
cls_subtable_create(const struct ft_flow *mask, uint32_t mask_hash)
{
    struct ft_cls_subtable *st = cls_xcalloc(1, sizeof *st);

    st->mask = *mask;
    st->mask_hash = mask_hash;
    st->max_priority = INT32_MIN;
    cls_subtable_init_stages(st);
    cls_resize(st, CLS_MIN_SLOTS);
    return st;
}

static void
cls_subtable_destroy(struct ft_cls_subtable *st)
{
    if (st) {
        free(st->slots);
        free(st->keys);
        for (int i = 0; i + 1 < st->n_stages; i++) {
            free(st->indices[i].cells);
        }
        ft_cls_trie_destroy(&st->ports_trie);
        free(st->prios);
        free(st->prio_map);
        free(st);
    }
}

static size_t
cls_subtable_index(const struct ft_classifier *cls,
                   const struct ft_cls_subtable *st)
{
    for (size_t i = 0; i < cls->n_subtables; i++) {
        if (cls->subtables[i] == st) {
            return i;
        }
    }
    abort();                    /* A subtable not in its classifier. */
}

/* Moves 'st' (whose max_priority just changed) to its place in the order
 * by max_priority, descending. */
static void
cls_subtable_reposition(struct ft_classifier *cls,
                        struct ft_cls_subtable *st)
{
    struct ft_cls_subtable **v = cls->subtables;
    size_t i = cls_subtable_index(cls, st);

    while (i > 0 && v[i - 1]->max_priority < st->max_priority) {
        v[i] = v[i - 1];
        i--;
    }
    while (i + 1 < cls->n_subtables
           && v[i + 1]->max_priority > st->max_priority) {
        v[i] = v[i + 1];
        i++;
    }
    v[i] = st;
}

static uint32_t
cls_mask_hash(const struct ft_flow *mask)
{
    return ft_flow_hash_masked(mask, mask, 0);
}

static struct ft_cls_subtable *
cls_find_subtable(const struct ft_classifier *cls, const struct ft_flow *mask,
                  uint32_t mask_hash)
{
    for (size_t i = 0; i < cls->n_subtables; i++) {
        struct ft_cls_subtable *st = cls->subtables[i];

        if (st->mask_hash == mask_hash && ft_flow_equal(&st->mask, mask)) {
            return st;
        }
    }
    return NULL;
}

static struct ft_cls_subtable *
cls_add_subtable(struct ft_classifier *cls, const struct ft_flow *mask,
                 uint32_t mask_hash)
{
    struct ft_cls_subtable *st = cls_subtable_create(mask, mask_hash);

    if (cls->n_subtables == cls->allocated) {
        cls->allocated = cls->allocated ? 2 * cls->allocated : 8;
        cls->subtables = cls_xrealloc(cls->subtables,
                                      cls->allocated * sizeof *cls->subtables);
    }
    /* Empty: its max_priority is INT32_MIN, so it goes last. */
    cls->subtables[cls->n_subtables++] = st;
    return st;
}

static void
cls_remove_subtable(struct ft_classifier *cls, struct ft_cls_subtable *st)
{
    size_t i = cls_subtable_index(cls, st);

    memmove(&cls->subtables[i], &cls->subtables[i + 1],
            (cls->n_subtables - i - 1) * sizeof *cls->subtables);
    cls->n_subtables--;
    cls_subtable_destroy(st);
}

/* Priority histogram: a max-heap of the distinct priorities, and an
 * open-addressed map (linear probing, at most half full) from priority to
 * heap position, so that a priority's count is found in O(1) and the heap
 * can move it in O(log n). */

static inline uint32_t
cls_prio_hash(int32_t priority)
{
    uint32_t h = (uint32_t) priority * UINT32_C(0x9e3779b1);

    return h ^ (h >> 15);
}

/* Returns the map cell that names 'priority''s heap entry, or NULL. */
static uint32_t *
cls_prio_find(struct ft_cls_subtable *st, int32_t priority)
{
    uint32_t mask = st->prio_map_mask;

    if (!st->prio_map) {
        return NULL;
    }
    for (uint32_t i = cls_prio_hash(priority) & mask; ;
         i = (i + 1) & mask) {
        uint32_t e = st->prio_map[i];

        if (!e) {
            return NULL;
        }
        if (st->prios[e - 1].priority == priority) {
            return &st->prio_map[i];
        }
    }
}

static void
cls_prio_map_put(struct ft_cls_subtable *st, uint32_t idx)
{
    uint32_t mask = st->prio_map_mask;
    uint32_t i = cls_prio_hash(st->prios[idx].priority) & mask;

    while (st->prio_map[i]) {
        i = (i + 1) & mask;
    }
    st->prio_map[i] = idx + 1;
}

static void
cls_prio_map_resize(struct ft_cls_subtable *st, size_t size)
{
    free(st->prio_map);
    st->prio_map = cls_xcalloc(size, sizeof *st->prio_map);
    st->prio_map_mask = size - 1;
    for (uint32_t i = 0; i < st->n_prios; i++) {
        cls_prio_map_put(st, i);
    }
}

/* Empties map cell 'cell', shifting its probe run back (as
 * cls_slot_delete() does for slots). */
static void
cls_prio_map_delete(struct ft_cls_subtable *st, uint32_t *cell)
{
    uint32_t mask = st->prio_map_mask;
    uint32_t i = cell - st->prio_map;
    uint32_t j = i;

    for (;;) {
        j = (j + 1) & mask;
        if (!st->prio_map[j]) {
            break;
        }

        uint32_t home = cls_prio_hash(st->prios[st->prio_map[j] - 1].priority)
                        & mask;
        bool stays = i <= j ? (home > i && home <= j)
                            : (home > i || home <= j);
        if (!stays) {
            st->prio_map[i] = st->prio_map[j];
            i = j;
        }
    }
    st->prio_map[i] = 0;
}

/* Swaps heap entries 'a' and 'b', and the map cells that name them. */
static void
cls_prio_swap(struct ft_cls_subtable *st, uint32_t a, uint32_t b)
{
    uint32_t *cell_a = cls_prio_find(st, st->prios[a].priority);
    uint32_t *cell_b = cls_prio_find(st, st->prios[b].priority);
    struct cls_prio tmp = st->prios[a];

    st->prios[a] = st->prios[b];
    st->prios[b] = tmp;
    *cell_a = b + 1;
    *cell_b = a + 1;
}

static void
cls_prio_sift_up(struct ft_cls_subtable *st, uint32_t idx)
{
    while (idx > 0) {
        uint32_t parent = (idx - 1) / 2;

        if (st->prios[parent].priority >= st->prios[idx].priority) {
            break;
        }
        cls_prio_swap(st, idx, parent);
        idx = parent;
    }
}

static void
cls_prio_sift_down(struct ft_cls_subtable *st, uint32_t idx)
{
    for (;;) {
        uint32_t child = 2 * idx + 1;

        if (child >= st->n_prios) {
            break;
        }
        if (child + 1 < st->n_prios
            && st->prios[child + 1].priority > st->prios[child].priority) {
            child++;
        }
        if (st->prios[child].priority <= st->prios[idx].priority) {
            break;
        }
        cls_prio_swap(st, idx, child);
        idx = child;
    }
}

static void
cls_prio_update_max(struct ft_cls_subtable *st)
{
    st->max_priority = st->n_prios ? st->prios[0].priority : INT32_MIN;
}

/* Counts one more rule at 'priority'. */
static void
cls_prio_add(struct ft_cls_subtable *st, int32_t priority)
{
    uint32_t *cell = cls_prio_find(st, priority);

    if (cell) {
        st->prios[*cell - 1].count++;
        return;
    }
    if (st->n_prios == st->allocated_prios) {
        st->allocated_prios = st->allocated_prios
                              ? 2 * st->allocated_prios : 4;
        st->prios = cls_xrealloc(st->prios,
                                 st->allocated_prios * sizeof *st->prios);
    }
    st->prios[st->n_prios].priority = priority;
    st->prios[st->n_prios].count = 1;
    st->n_prios++;
    if (!st->prio_map || 2 * st->n_prios > st->prio_map_mask + 1) {
        /* Rebuilding maps every entry, the new one included. */
        cls_prio_map_resize(st, st->prio_map ? 2 * (st->prio_map_mask + 1)
                                             : 8);
    } else {
        cls_prio_map_put(st, st->n_prios - 1);
    }
    cls_prio_sift_up(st, st->n_prios - 1);
    cls_prio_update_max(st);
}

/* Counts one rule fewer at 'priority', which has at least one. */
static void
cls_prio_del(struct ft_cls_subtable *st, int32_t priority)
{
    uint32_t *cell = cls_prio_find(st, priority);
    uint32_t idx, last;

    assert(cell);
    idx = *cell - 1;
    if (--st->prios[idx].count) {
        return;
    }
    last = st->n_prios - 1;
    if (idx != last) {
        /* Move the last entry into the hole, then restore heap order. */
        cls_prio_swap(st, idx, last);
        cell = cls_prio_find(st, priority);
    }
    cls_prio_map_delete(st, cell);
    st->n_prios--;
    if (idx != last) {
        cls_prio_sift_down(st, idx);
        cls_prio_sift_up(st, idx);
    }
    cls_prio_update_max(st);
}

void
ft_cls_init(struct ft_classifier *cls)
{
    cls->subtables = NULL;
    cls->n_subtables = cls->allocated = 0;
    cls->n_rules = 0;
    cls->next_seq = 0;
    memset(cls->tries, 0, sizeof cls->tries);
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        cls->tries[i].indexed = true;
    }
}

void
ft_cls_destroy(struct ft_classifier *cls)
{
    if (cls) {
        for (size_t i = 0; i < cls->n_subtables; i++) {
            cls_subtable_destroy(cls->subtables[i]);
        }
        free(cls->subtables);
        for (int i = 0; i < FT_CLS_N_TRIES; i++) {
            ft_cls_trie_destroy(&cls->tries[i]);
        }
        ft_cls_init(cls);
    }
}

/* Links 'rule' (hash, subtable set) into the chain in slot 'slot', by
 * decreasing priority.  Returns an existing rule of the same priority
 * instead, if there is one. */
static struct ft_cls_rule *
cls_chain_insert(struct ft_cls_subtable *st, long slot,
                 struct ft_cls_rule *rule)
{
    struct ft_cls_rule *head = st->slots[slot].head;
    struct ft_cls_rule **prev = &head;

    while (*prev && (*prev)->priority > rule->priority) {
        prev = &(*prev)->next;
    }
    if (*prev && (*prev)->priority == rule->priority) {
        return *prev;
    }
    rule->next = *prev;
    *prev = rule;
    cls_slot_set_head(st, slot, head);
    return NULL;
}

/* Adds the masked key of 'rule', new to 'st', to the stage indices and the
 * tries. */
static void
cls_add_key(struct ft_classifier *cls, struct ft_cls_subtable *st,
            const struct ft_cls_rule *rule,
            const uint32_t ihash[CLS_N_GROUPS - 1])
{
    for (int i = 0; i + 1 < st->n_stages; i++) {
        cls_index_inc(&st->indices[i], ihash[i]);
    }
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        if (st->trie_plen[i]) {
            ft_cls_trie_insert(&cls->tries[i],
                               cls_trie_field(&rule->match.flow, i),
                               st->trie_plen[i]);
        }
    }
    if (st->ports_mask_len) {
        ft_cls_trie_insert(&st->ports_trie, cls_ports(&rule->match.flow),
                           st->ports_mask_len);
    }
}

/* Undoes cls_add_key() for the last rule of a masked key. */
static void
cls_del_key(struct ft_classifier *cls, struct ft_cls_subtable *st,
            const struct ft_cls_rule *rule)
{
    uint64_t masked[CLS_MAX_ENTRIES];
    uint32_t ihash[CLS_N_GROUPS - 1];

    cls_mask_key_staged(st, &rule->match.flow, masked, ihash);
    for (int i = 0; i + 1 < st->n_stages; i++) {
        cls_index_dec(&st->indices[i], ihash[i]);
    }
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        if (st->trie_plen[i]) {
            ft_cls_trie_remove(&cls->tries[i],
                               cls_trie_field(&rule->match.flow, i),
                               st->trie_plen[i]);
        }
    }
    if (st->ports_mask_len) {
        ft_cls_trie_remove(&st->ports_trie, cls_ports(&rule->match.flow),
                           st->ports_mask_len);
    }
}

struct ft_cls_rule *
ft_cls_insert(struct ft_classifier *cls, struct ft_cls_rule *rule)
{
    uint64_t masked[CLS_MAX_ENTRIES];
    uint32_t ihash[CLS_N_GROUPS - 1];
    struct ft_cls_subtable *st;
    uint32_t mask_hash;
    long slot;

    /* Rules must be normalized; make sure, so that a stray key bit cannot
     * make a rule unreachable. */
    ft_match_normalize(&rule->match);

    mask_hash = cls_mask_hash(&rule->match.mask);
    st = cls_find_subtable(cls, &rule->match.mask, mask_hash);
    if (!st) {
        st = cls_add_subtable(cls, &rule->match.mask, mask_hash);
    }

    rule->hash = cls_mask_key_staged(st, &rule->match.flow, masked, ihash);
    rule->subtable = st;
    rule->hnext = NULL;
    rule->next = NULL;
    slot = cls_find_slot(st, masked, rule->hash);
    if (slot >= 0) {
        struct ft_cls_rule *dup = cls_chain_insert(st, slot, rule);

        if (dup) {
            rule->subtable = NULL;
            return dup;
        }
    } else {
        if (2 * (st->n_heads + 1) > cls_n_slots(st)) {
            cls_resize(st, 2 * cls_n_slots(st));
        }
        cls_slot_put(st, rule, masked);
        st->n_heads++;
        cls_add_key(cls, st, rule, ihash);
    }

    rule->seq = cls->next_seq++;
    st->n_rules++;
    cls->n_rules++;
    cls_prio_add(st, rule->priority);
    if (st->max_priority == rule->priority) {
        cls_subtable_reposition(cls, st);
    }
    return NULL;
}

/* Returns the slot of the chain that holds 'rule', which is in 'st'. */
static long
cls_rule_slot(const struct ft_cls_subtable *st, const struct ft_cls_rule *rule)
{
    uint64_t masked[CLS_MAX_ENTRIES];
    long slot;

    cls_mask_key(st, &rule->match.flow, masked);
    slot = cls_find_slot(st, masked, rule->hash);
    assert(slot >= 0);
    return slot;
}

void
ft_cls_replace(struct ft_classifier *cls, struct ft_cls_rule *old,
               struct ft_cls_rule *new)
{
    struct ft_cls_subtable *st = old->subtable;
    long slot = cls_rule_slot(st, old);

    assert(new->priority == old->priority);
    assert(ft_match_equal(&new->match, &old->match));

    new->seq = old->seq;
    new->hash = old->hash;
    new->next = old->next;
    new->hnext = NULL;
    new->subtable = st;
    if (st->slots[slot].head == old) {
        cls_slot_set_head(st, slot, new);
    } else {
        struct ft_cls_rule *prev = st->slots[slot].head;

        while (prev->next != old) {
            prev = prev->next;
        }
        prev->next = new;
    }

    old->next = NULL;
    old->subtable = NULL;
}

void
ft_cls_remove(struct ft_classifier *cls, struct ft_cls_rule *rule)
{
    struct ft_cls_subtable *st = rule->subtable;
    long slot = cls_rule_slot(st, rule);
    int32_t old_max;

    if (st->slots[slot].head == rule) {
        if (rule->next) {
            cls_slot_set_head(st, slot, rule->next);
        } else {
            cls_slot_delete(st, slot);
            st->n_heads--;
            cls_del_key(cls, st, rule);
        }
    } else {
        struct ft_cls_rule *prev = st->slots[slot].head;

        while (prev->next != rule) {
            prev = prev->next;
        }
        prev->next = rule->next;
    }
    rule->next = NULL;
    rule->subtable = NULL;

    st->n_rules--;
    cls->n_rules--;
    if (!st->n_rules) {
        cls_remove_subtable(cls, st);
        return;
    }

    if (st->n_heads * 8 < cls_n_slots(st) && cls_n_slots(st) > CLS_MIN_SLOTS) {
        cls_resize(st, cls_n_slots(st) / 2);
    }
    old_max = st->max_priority;
    cls_prio_del(st, rule->priority);
    if (st->max_priority != old_max) {
        cls_subtable_reposition(cls, st);
    }
}

/* Per-lookup state of the classifier-wide tries: each is looked up at
 * most once, when a subtable first needs it. */
struct cls_trie_ctx {
    bool done[FT_CLS_N_TRIES];
    uint8_t maskbits[FT_CLS_N_TRIES];
    uint64_t plens[FT_CLS_N_TRIES];
};

static inline void
cls_fold(const struct ft_cls_subtable *st, uint64_t *wcw, uint32_t n_entries)
{
    for (uint32_t k = 0; k < n_entries; k++) {
        wcw[st->words[k]] |= st->mask_words[k];
    }
}

/* Walks every trie for 'flow' at once (their cache misses overlap), for a
 * lookup that will most likely need them: IPv4, several subtables. */
static void
cls_tries_prewalk(const struct ft_classifier *cls, const struct ft_flow *flow,
                  struct cls_trie_ctx *ctx)
{
    struct ft_cls_trie_walk w[FT_CLS_N_TRIES];
    bool busy;

    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        ft_cls_trie_walk_start(&w[i], &cls->tries[i], cls_trie_field(flow, i));
    }
    do {
        busy = false;
        for (int i = 0; i < FT_CLS_N_TRIES; i++) {
            if (!w[i].finished) {
                ft_cls_trie_walk_step(&w[i]);
                busy = true;
            }
        }
    } while (busy);
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        ctx->done[i] = true;
        ctx->plens[i] = w[i].plens;
        ctx->maskbits[i] = w[i].maskbits;
    }
}

/* True if the tries, walked already, show that no rule of 'st' matches:
 * none of the prefixes of its length on a trie field starts the flow's
 * value.  (Whatever 'wc' says: what a miss consults is worked out
 * separately.) */
static inline bool
cls_tries_exclude(const struct ft_cls_subtable *st,
                  const struct cls_trie_ctx *ctx)
{
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        unsigned int plen = st->trie_plen[i];

        if (plen && ctx->done[i] && !(ctx->plens[i] >> plen & 1)) {
            return true;
        }
    }
    return false;
}

/* True if every bit of 'st''s mask is already in 'wcw'. */
static inline bool
cls_mask_within(const struct ft_cls_subtable *st, const uint64_t *wcw)
{
    uint64_t extra = 0;

    for (uint32_t k = 0; k < st->n_words; k++) {
        extra |= st->mask_words[k] & ~wcw[st->words[k]];
    }
    return !extra;
}

/* Returns true if the tries show that no rule of 'st' can match 'flow',
 * having put into 'wc' the field bits that this depends on; false if the
 * tries cannot tell without consulting more bits than a search of 'st'
 * would (then 'wc' is unchanged). */
static bool
cls_check_tries(const struct ft_classifier *cls,
                const struct ft_cls_subtable *st, const struct ft_flow *flow,
                struct ft_flow *wc, struct cls_trie_ctx *ctx)
{
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        unsigned int plen = st->trie_plen[i];

        if (!plen) {
            continue;
        }
        if (!ctx->done[i]) {
            ctx->done[i] = true;
            if (flow->dl_type == FT_ETH_TYPE_IP) {
                ctx->maskbits[i] = ft_cls_trie_lookup(&cls->tries[i],
                                                      cls_trie_field(flow, i),
                                                      &ctx->plens[i]);
            } else {
                /* Not IPv4 (ARP reuses these fields): no skipping, as in
                 * Open vSwitch, whose tries require IPv4. */
                ctx->plens[i] = UINT64_MAX;
                ctx->maskbits[i] = 0;
            }
        }
        if (ctx->plens[i] & (UINT64_C(1) << plen)) {
            continue;                   /* Some rule of length 'plen' may. */
        }

        /* No rule anywhere has a prefix of length 'plen' that 'flow'
         * starts with.  Skip 'st' if that costs no bit that searching it
         * would not have cost, or that is not consulted already. */
        uint32_t bits = ft_cls_prefix32(ctx->maskbits[i]);
        uint32_t *field = cls_trie_field_rw(wc, i);

        if (ctx->maskbits[i] <= plen) {
            *field |= bits;
            return true;
        }
        if ((*field & bits) == bits) {
            return true;
        }
    }
    return false;
}

/* True if every trie that 'st' has a prefix for was walked already. */
static inline bool
cls_tries_walked(const struct ft_cls_subtable *st,
                 const struct cls_trie_ctx *ctx)
{
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        if (st->trie_plen[i] && !ctx->done[i]) {
            return false;
        }
    }
    return true;
}

/* True if a staged search of 'st' (which has no match) cannot add to 'wc'
 * whatever its indexes say: its stages before L3 are in 'wc' already, and
 * the tries, walked already, would rule it out with bits in 'wc' too.
 * (An earlier index miss would consult only stages already in 'wc'.) */
static bool
cls_miss_adds_nothing(const struct ft_cls_subtable *st,
                      const struct ft_flow *wc,
                      const struct cls_trie_ctx *ctx)
{
    const uint64_t *wcw = ft_flow_u64(wc);
    uint32_t start;

    if (st->trie_stage == CLS_NO_STAGE || !cls_tries_walked(st, ctx)) {
        return false;
    }
    start = st->trie_stage ? st->stage_end[st->trie_stage - 1] : 0;
    for (uint32_t k = 0; k < start; k++) {
        if (st->mask_words[k] & ~wcw[st->words[k]]) {
            return false;
        }
    }
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        unsigned int plen = st->trie_plen[i];
        uint32_t bits;

        if (!plen || ctx->plens[i] & (UINT64_C(1) << plen)) {
            continue;
        }
        bits = ft_cls_prefix32(ctx->maskbits[i]);
        if ((cls_trie_field(wc, i) & bits) == bits) {
            return true;                /* Skipped, adding nothing. */
        }
        if (ctx->maskbits[i] <= plen) {
            return false;               /* Skipped, adding bits. */
        }
    }
    return false;
}

/* Works out what a staged search of 'st' for 'flow' would have consulted,
 * given that 'st' has no rule matching 'flow', and ORs that into 'wc' (see
 * "Staged lookup" above).  'masked' holds 'flow''s masked key entries. */
static void
cls_miss_wc(const struct ft_classifier *cls, const struct ft_cls_subtable *st,
            const struct ft_flow *flow, const uint64_t *masked,
            struct ft_flow *wc, struct cls_trie_ctx *ctx)
{
    uint64_t *wcw = ft_flow_u64_rw(wc);
    uint32_t last = st->n_stages - 1;
    uint64_t state = CLS_HASH_SEED;
    uint32_t value, mbits;
    uint64_t plens;

    for (uint32_t s = 0; s <= last; s++) {
        uint32_t start = s ? st->stage_end[s - 1] : 0;
        bool tries = s == st->trie_stage;
        bool hit = false;

        /* The tries are consulted at the start of the stage that holds
         * their fields, before its index.  Once walked for this lookup
         * they are cheap to ask; before that, probing the index first is
         * cheaper and gives the same outcome: a hit means some key of the
         * subtable agrees with 'flow' on the tries' prefixes too, so they
         * could not rule the subtable out.  (A hash collision in an index
         * could hide a skip; the cost is a few more bits in 'wc', never a
         * wrong answer.) */
        if (tries && cls_tries_walked(st, ctx)) {
            if (cls_check_tries(cls, st, flow, wc, ctx)) {
                cls_fold(st, wcw, start);
                return;
            }
            tries = false;
        }
        if (s < last) {
            for (uint32_t e = start; e < st->stage_end[s]; e++) {
                state = cls_hash_step(state, masked[e]);
            }
            hit = cls_index_has(&st->indices[s], cls_hash_finish(state));
        }
        if (!hit && tries && cls_check_tries(cls, st, flow, wc, ctx)) {
            cls_fold(st, wcw, start);
            return;
        }
        if (!hit && s < last) {
            cls_fold(st, wcw, st->stage_end[s]);
            return;
        }
    }

    if (!st->ports_mask_len) {
        cls_fold(st, wcw, st->n_words);
        return;
    }

    /* A miss in the last stage, the ports: the ports trie tells how many
     * of their leading bits rule out every key of the subtable. */
    cls_fold(st, wcw, last ? st->stage_end[last - 1] : 0);
    value = cls_ports(flow) & st->ports_mask;
    mbits = ft_cls_trie_lookup(&st->ports_trie, value, &plens);
    value = st->ports_mask & ft_cls_prefix32(mbits);
    wc->tp_src |= value >> 16;
    wc->tp_dst |= value & 0xffff;
}

/* The lookup proper.  Subtables are probed with their whole masked key in
 * batches (see "Cost" above).  Then, in priority order, each subtable
 * searched adds to 'wc' (if nonnull) its whole mask if it matched, and
 * what its staged search would have consulted if not, unless that cannot
 * add anything (cls_mask_within(), cls_miss_adds_nothing()). */
static const struct ft_cls_rule *
cls_lookup(const struct ft_classifier *cls, const struct ft_flow *flow,
           struct ft_flow *wc)
{
    uint64_t *wcw = wc ? ft_flow_u64_rw(wc) : NULL;
    const struct ft_cls_rule *best = NULL;
    int32_t best_priority = INT32_MIN;
    struct cls_trie_ctx ctx;

    /* Walk the tries first (see "Staged lookup" above). */
    memset(ctx.done, 0, sizeof ctx.done);
    if (wc && cls->n_subtables > 1 && flow->dl_type == FT_ETH_TYPE_IP) {
        cls_tries_prewalk(cls, flow, &ctx);
    }
    for (size_t base = 0; base < cls->n_subtables; base += CLS_BATCH) {
        struct ft_cls_subtable *const *sts = &cls->subtables[base];
        uint64_t masked[CLS_BATCH][CLS_MAX_ENTRIES];
        uint32_t hashes[CLS_BATCH];
        long cand[CLS_BATCH];
        bool excluded[CLS_BATCH];
        size_t n = cls->n_subtables - base;

        if (n > CLS_BATCH) {
            n = CLS_BATCH;
        }

        /* Step 1: hash each key and prefetch its home slot, unless the
         * tries rule the subtable out (then its key is masked only if a
         * miss needs it, below).  Subtables that cannot beat the best
         * match so far end the batch (and, as they are sorted, the
         * search). */
        for (size_t b = 0; b < n; b++) {
            const struct ft_cls_subtable *st = sts[b];

            if (best && st->max_priority < best_priority) {
                n = b;
                break;
            }
            excluded[b] = cls_tries_exclude(st, &ctx);
            if (!excluded[b]) {
                hashes[b] = cls_mask_key(st, flow, masked[b]);
                __builtin_prefetch(&st->slots[hashes[b] & st->slot_mask]);
            }
        }

        /* Step 2: find the first slot with the same hash, and prefetch
         * its key. */
        for (size_t b = 0; b < n; b++) {
            const struct ft_cls_subtable *st = sts[b];
            uint32_t i = hashes[b] & st->slot_mask;

            if (excluded[b]) {
                cand[b] = -1;
                continue;
            }
            for (;; i = (i + 1) & st->slot_mask) {
                uint32_t h = st->slots[i].hash;

                if (h == hashes[b]) {
                    cand[b] = i;
                    __builtin_prefetch(&st->keys[(size_t) i * st->n_words]);
                    break;
                } else if (!h) {
                    cand[b] = -1;
                    break;
                }
            }
        }

        /* Step 3: compare keys, in priority order.  A subtable whose best
         * rule cannot beat what we have needs no look; on a tie, search
         * on: an equal-priority rule inserted earlier wins. */
        for (size_t b = 0; b < n; b++) {
            const struct ft_cls_subtable *st = sts[b];
            const struct cls_slot *slot;
            long i;

            if (best && st->max_priority < best_priority) {
                return best;
            }

            i = cand[b];
            if (i >= 0 && !cls_slot_has_key(st, i, masked[b])) {
                /* A hash collision: probe on past it. */
                i = cls_probe(st, masked[b], hashes[b],
                              (i + 1) & st->slot_mask);
            }
            if (wc) {
                if (i >= 0) {
                    cls_fold(st, wcw, st->n_words);
                } else if (!cls_mask_within(st, wcw)
                           && !cls_miss_adds_nothing(st, wc, &ctx)) {
                    if (excluded[b]) {
                        cls_mask_key(st, flow, masked[b]);
                    }
                    cls_miss_wc(cls, st, flow, masked[b], wc, &ctx);
                }
            }
            if (i < 0) {
                continue;
            }
            slot = &st->slots[i];
            if (!best || slot->priority > best_priority
                || (slot->priority == best_priority
                    && slot->head->seq < best->seq)) {
                best = slot->head;
                best_priority = slot->priority;
            }
        }
        if (n < CLS_BATCH) {
            break;
        }
    }
    return best;
}

const struct ft_cls_rule *
ft_cls_lookup(const struct ft_classifier *cls, const struct ft_flow *flow,
              struct ft_flow *wc)
{
    return cls_lookup(cls, flow, wc);
}

struct ft_cls_rule *
ft_cls_find_exact(const struct ft_classifier *cls,
                  const struct ft_match *match, int32_t priority)
{
    uint64_t masked[CLS_MAX_ENTRIES];
    struct ft_cls_subtable *st;
    struct ft_cls_rule *rule;
    long slot;

    st = cls_find_subtable(cls, &match->mask, cls_mask_hash(&match->mask));
    if (!st) {
        return NULL;
    }

    /* 'match' need not be normalized: masking its key here is what the
     * rule's normalized key is compared with. */
    slot = cls_find_slot(st, masked, cls_mask_key(st, &match->flow, masked));
    if (slot < 0) {
        return NULL;
    }
    for (rule = st->slots[slot].head; rule; rule = rule->next) {
        if (rule->priority == priority) {
            return rule;
        }
        if (rule->priority < priority) {
            break;
        }
    }
    return NULL;
}

bool
ft_cls_rule_is_loose_match(const struct ft_cls_rule *rule,
                           const struct ft_match *target)
{
    const uint64_t *rm = ft_flow_u64(&rule->match.mask);
    const uint64_t *rk = ft_flow_u64(&rule->match.flow);
    const uint64_t *tm = ft_flow_u64(&target->mask);
    const uint64_t *tk = ft_flow_u64(&target->flow);

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if ((rm[i] & tm[i]) != tm[i] || ((rk[i] ^ tk[i]) & tm[i])) {
            return false;
        }
    }
    return true;
}

/* True if every rule of 'st' may loosely match 'target' (its mask covers
 * target's); then only the key needs checking, once per chain. */
static bool
cls_subtable_covers(const struct ft_cls_subtable *st,
                    const struct ft_match *target)
{
    const uint64_t *sm = ft_flow_u64(&st->mask);
    const uint64_t *tm = ft_flow_u64(&target->mask);

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if ((sm[i] & tm[i]) != tm[i]) {
            return false;
        }
    }
    return true;
}

int
ft_cls_foreach(const struct ft_classifier *cls, const struct ft_match *target,
               int (*cb)(struct ft_cls_rule *, void *aux), void *aux)
{
    for (size_t i = 0; i < cls->n_subtables; i++) {
        const struct ft_cls_subtable *st = cls->subtables[i];

        if (target && !cls_subtable_covers(st, target)) {
            continue;
        }
        for (size_t s = 0; s < cls_n_slots(st); s++) {
            struct ft_cls_rule *rule = st->slots[s].head;

            /* Rules of one chain share their key, so one test serves the
             * whole chain. */
            if (!rule || (target && !ft_match_contains(target,
                                                       &rule->match.flow))) {
                continue;
            }
            while (rule) {
                struct ft_cls_rule *next = rule->next;
                int error = cb(rule, aux);

                if (error) {
                    return error;
                }
                rule = next;
            }
        }
    }
    return 0;
}
