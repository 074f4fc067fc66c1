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
 *     or remove, whatever the order rules come and go in.
 *
 * The classifier keeps its subtables sorted by 'max_priority', descending.
 *
 * Cost
 * ====
 *
 * Lookup: for each subtable searched, O(words) to hash plus an expected
 * O(1) probe; no allocation.  Subtables are probed in batches: hash and
 * prefetch the slots of several, then probe them and prefetch the keys,
 * then compare, so that their cache misses overlap.  Insert and remove:
 * O(subtables) to find the subtable by mask, O(chain length) within it,
 * O(log distinct priorities) for the priority heap, amortized O(1) for the
 * hash table to grow or shrink.
 *
 * The rules' 'hnext' member is unused: chains of equal masked keys hang off
 * the slots, which need no links.
 *
 * Allocation failure aborts, as everywhere in FlowTier (the interface has
 * no failure path for it, and a half-inserted rule would be worse).
 */
#include "mgmt/classifier.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define CLS_MIN_SLOTS 8u
#define CLS_HASH_TAG (UINT32_C(1) << 31)    /* Set in every stored hash. */
#define CLS_BATCH 8                         /* Subtables probed together. */

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

struct ft_cls_subtable {
    /* Read by every lookup that reaches this subtable. */
    int32_t max_priority;
    uint32_t n_words;
    uint32_t slot_mask;                 /* Number of slots - 1. */
    struct cls_slot *slots;
    uint64_t *keys;                     /* n_words per slot. */
    uint8_t words[FT_FLOW_U64S];        /* Indexes of the words masked. */
    uint64_t mask_words[FT_FLOW_U64S];  /* Mask of words[i]. */

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

/* Hash of the 'n_words' masked key words in 'masked', tagged as stored in
 * the slots.  Private to the classifier (no other module sees these
 * hashes), so it trades flow.h's 32-bit murmur steps for one 64-bit
 * multiply per word: lookups hash once per subtable searched. */
static inline uint32_t
cls_hash_words(const uint64_t *masked, uint32_t n_words)
{
    uint64_t hash = n_words;

    for (uint32_t i = 0; i < n_words; i++) {
        hash = (hash ^ masked[i]) * UINT64_C(0x9e3779b97f4a7c15);
        hash ^= hash >> 32;
    }
    hash *= UINT64_C(0xd6e8feb86659fd93);
    hash ^= hash >> 32;
    return (uint32_t) hash | CLS_HASH_TAG;
}

/* Fills 'masked' with the words of 'flow' under 'st''s mask; returns their
 * hash. */
static inline uint32_t
cls_mask_key(const struct ft_cls_subtable *st, const struct ft_flow *flow,
             uint64_t *masked)
{
    const uint64_t *f = ft_flow_u64(flow);

    for (uint32_t i = 0; i < st->n_words; i++) {
        masked[i] = f[st->words[i]] & st->mask_words[i];
    }
    return cls_hash_words(masked, st->n_words);
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

static struct ft_cls_subtable *
cls_subtable_create(const struct ft_flow *mask, uint32_t mask_hash)
{
    struct ft_cls_subtable *st = cls_xcalloc(1, sizeof *st);
    const uint64_t *m = ft_flow_u64(mask);

    st->mask = *mask;
    st->mask_hash = mask_hash;
    st->max_priority = INT32_MIN;
    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if (m[i]) {
            st->words[st->n_words] = i;
            st->mask_words[st->n_words] = m[i];
            st->n_words++;
        }
    }
    cls_resize(st, CLS_MIN_SLOTS);
    return st;
}

static void
cls_subtable_destroy(struct ft_cls_subtable *st)
{
    if (st) {
        free(st->slots);
        free(st->keys);
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
}

void
ft_cls_destroy(struct ft_classifier *cls)
{
    if (cls) {
        for (size_t i = 0; i < cls->n_subtables; i++) {
            cls_subtable_destroy(cls->subtables[i]);
        }
        free(cls->subtables);
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

struct ft_cls_rule *
ft_cls_insert(struct ft_classifier *cls, struct ft_cls_rule *rule)
{
    uint64_t masked[FT_FLOW_U64S];
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

    rule->hash = cls_mask_key(st, &rule->match.flow, masked);
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
    uint64_t masked[FT_FLOW_U64S];
    const uint64_t *r = ft_flow_u64(&rule->match.flow);
    long slot;

    for (uint32_t i = 0; i < st->n_words; i++) {
        masked[i] = r[st->words[i]] & st->mask_words[i];
    }
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

const struct ft_cls_rule *
ft_cls_lookup(const struct ft_classifier *cls, const struct ft_flow *flow,
              struct ft_flow *wc)
{
    uint64_t *wcw = wc ? ft_flow_u64_rw(wc) : NULL;
    const struct ft_cls_rule *best = NULL;
    int32_t best_priority = INT32_MIN;

    for (size_t base = 0; base < cls->n_subtables; base += CLS_BATCH) {
        struct ft_cls_subtable *const *sts = &cls->subtables[base];
        uint64_t masked[CLS_BATCH][FT_FLOW_U64S];
        uint32_t hashes[CLS_BATCH];
        long cand[CLS_BATCH];
        size_t n = cls->n_subtables - base;

        if (n > CLS_BATCH) {
            n = CLS_BATCH;
        }

        /* Stage 1: hash each key and prefetch its home slot.  Subtables
         * that cannot beat the best match so far end the batch (and, as
         * they are sorted, the search). */
        for (size_t b = 0; b < n; b++) {
            const struct ft_cls_subtable *st = sts[b];

            if (best && st->max_priority < best_priority) {
                n = b;
                break;
            }
            hashes[b] = cls_mask_key(st, flow, masked[b]);
            __builtin_prefetch(&st->slots[hashes[b] & st->slot_mask]);
        }

        /* Stage 2: find the first slot with the same hash, and prefetch
         * its key. */
        for (size_t b = 0; b < n; b++) {
            const struct ft_cls_subtable *st = sts[b];
            uint32_t i = hashes[b] & st->slot_mask;

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

        /* Stage 3: compare keys, in priority order.  This is the search
         * proper: each subtable it reaches is consulted, and its mask goes
         * into 'wc'.  A subtable whose best rule cannot beat what we have
         * needs no look; on a tie, search on: an equal-priority rule
         * inserted earlier wins. */
        for (size_t b = 0; b < n; b++) {
            const struct ft_cls_subtable *st = sts[b];
            const struct cls_slot *slot;
            long i;

            if (best && st->max_priority < best_priority) {
                return best;
            }
            if (wcw) {
                for (uint32_t k = 0; k < st->n_words; k++) {
                    wcw[st->words[k]] |= st->mask_words[k];
                }
            }

            i = cand[b];
            if (i >= 0 && !cls_slot_has_key(st, i, masked[b])) {
                /* A hash collision: probe on past it. */
                i = cls_probe(st, masked[b], hashes[b],
                              (i + 1) & st->slot_mask);
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

struct ft_cls_rule *
ft_cls_find_exact(const struct ft_classifier *cls,
                  const struct ft_match *match, int32_t priority)
{
    uint64_t masked[FT_FLOW_U64S];
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
