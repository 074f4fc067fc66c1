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
 *     most half full) over the masked key.  Each slot has a 32-bit hash in
 *     'hashes' (0 = empty; stored hashes always have the top bit set) and a
 *     rule in 'heads'.  A probe reads only the dense 'hashes' array until a
 *     hash matches, so a miss costs one or two cache lines;
 *
 *   - for each distinct masked key, a chain of rules through 'next', by
 *     decreasing priority.  Rules in one chain have identical matches, so
 *     their priorities are distinct and the head is the chain's best rule;
 *
 *   - the highest priority among its rules ('max_priority') and how many
 *     rules have it ('max_count').  When the last of those goes, the new
 *     maximum is recomputed from the chain heads: O(heads), and only then.
 *
 * The classifier keeps its subtables sorted by 'max_priority', descending.
 *
 * Cost
 * ====
 *
 * Lookup: for each subtable searched, O(words) to hash plus an expected
 * O(1) probe; no allocation.  Insert and remove: O(subtables) to find the
 * subtable by mask, O(chain length) within it, amortized O(1) for the hash
 * table to grow or shrink.
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

struct ft_cls_subtable {
    /* Read by every lookup that reaches this subtable. */
    int32_t max_priority;
    uint32_t n_words;
    uint32_t slot_mask;                 /* Number of slots - 1. */
    uint32_t *hashes;                   /* 0 = empty slot. */
    struct ft_cls_rule **heads;         /* Chain heads, parallel to hashes. */
    uint8_t words[FT_FLOW_U64S];        /* Indexes of the words masked. */
    uint64_t mask_words[FT_FLOW_U64S];  /* Mask of words[i]. */

    /* Maintenance only. */
    size_t max_count;                   /* Rules at max_priority. */
    size_t n_heads;                     /* Occupied slots. */
    size_t n_rules;
    uint32_t mask_hash;
    struct ft_flow mask;
};

static void *
cls_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

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

/* Hash of the words of 'key' (already masked, one value per word of 'st')
 * that the subtable's mask touches, tagged as stored in 'hashes'. */
static inline uint32_t
cls_hash_words(const uint64_t *masked, uint32_t n_words)
{
    uint32_t hash = 0;

    for (uint32_t i = 0; i < n_words; i++) {
        hash = ft_hash_add64(hash, masked[i]);
    }
    return ft_hash_finish(hash, n_words * 8) | CLS_HASH_TAG;
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

/* True if 'rule' (of subtable 'st', normalized) has the masked key
 * 'masked'. */
static inline bool
cls_rule_has_key(const struct ft_cls_subtable *st,
                 const struct ft_cls_rule *rule, const uint64_t *masked)
{
    const uint64_t *r = ft_flow_u64(&rule->match.flow);

    for (uint32_t i = 0; i < st->n_words; i++) {
        if (r[st->words[i]] != masked[i]) {
            return false;
        }
    }
    return true;
}

/* Returns the slot holding the chain for 'masked' (hash 'hash'), or -1. */
static inline long
cls_find_slot(const struct ft_cls_subtable *st, const uint64_t *masked,
              uint32_t hash)
{
    for (uint32_t i = hash & st->slot_mask; ; i = (i + 1) & st->slot_mask) {
        uint32_t h = st->hashes[i];

        if (h == hash) {
            if (cls_rule_has_key(st, st->heads[i], masked)) {
                return i;
            }
        } else if (!h) {
            return -1;
        }
    }
}

/* Puts 'head' in the first free slot of its probe sequence. */
static void
cls_slot_put(struct ft_cls_subtable *st, struct ft_cls_rule *head)
{
    uint32_t i = head->hash & st->slot_mask;

    while (st->hashes[i]) {
        i = (i + 1) & st->slot_mask;
    }
    st->hashes[i] = head->hash;
    st->heads[i] = head;
}

static void
cls_resize(struct ft_cls_subtable *st, size_t n_slots)
{
    uint32_t *old_hashes = st->hashes;
    struct ft_cls_rule **old_heads = st->heads;
    size_t old_n = st->hashes ? (size_t) st->slot_mask + 1 : 0;

    st->hashes = cls_xcalloc(n_slots, sizeof *st->hashes);
    st->heads = cls_xcalloc(n_slots, sizeof *st->heads);
    st->slot_mask = n_slots - 1;
    for (size_t i = 0; i < old_n; i++) {
        if (old_hashes[i]) {
            cls_slot_put(st, old_heads[i]);
        }
    }
    free(old_hashes);
    free(old_heads);
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
        if (!st->hashes[j]) {
            break;
        }

        /* Entry j may move to the hole at i unless its home slot lies
         * cyclically in (i, j]. */
        uint32_t home = st->hashes[j] & mask;
        bool stays = i <= j ? (home > i && home <= j)
                            : (home > i || home <= j);
        if (!stays) {
            st->hashes[i] = st->hashes[j];
            st->heads[i] = st->heads[j];
            i = j;
        }
    }
    st->hashes[i] = 0;
    st->heads[i] = NULL;
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
        free(st->hashes);
        free(st->heads);
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

/* Recomputes 'st''s max_priority and max_count from its chain heads (each
 * head is the best rule of its chain). */
static void
cls_subtable_recompute_max(struct ft_cls_subtable *st)
{
    st->max_priority = INT32_MIN;
    st->max_count = 0;
    for (size_t i = 0; i <= st->slot_mask; i++) {
        if (st->hashes[i]) {
            int32_t p = st->heads[i]->priority;

            if (p > st->max_priority) {
                st->max_priority = p;
                st->max_count = 1;
            } else if (p == st->max_priority) {
                st->max_count++;
            }
        }
    }
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

/* Links 'rule' (hash, subtable set) into the chain whose head is in slot
 * 'slot', by decreasing priority.  Returns an existing rule of the same
 * priority instead, if there is one. */
static struct ft_cls_rule *
cls_chain_insert(struct ft_cls_subtable *st, long slot,
                 struct ft_cls_rule *rule)
{
    struct ft_cls_rule **prev = &st->heads[slot];

    while (*prev && (*prev)->priority > rule->priority) {
        prev = &(*prev)->next;
    }
    if (*prev && (*prev)->priority == rule->priority) {
        return *prev;
    }
    rule->next = *prev;
    *prev = rule;
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
        if (2 * (st->n_heads + 1) > (size_t) st->slot_mask + 1) {
            cls_resize(st, 2 * ((size_t) st->slot_mask + 1));
        }
        cls_slot_put(st, rule);
        st->n_heads++;
    }

    rule->seq = cls->next_seq++;
    st->n_rules++;
    cls->n_rules++;
    if (rule->priority > st->max_priority) {
        st->max_priority = rule->priority;
        st->max_count = 1;
        cls_subtable_reposition(cls, st);
    } else if (rule->priority == st->max_priority) {
        st->max_count++;
    }
    return NULL;
}

/* Returns the slot of the chain that holds 'rule', which is in 'st'. */
static long
cls_rule_slot(const struct ft_cls_subtable *st, const struct ft_cls_rule *rule)
{
    uint64_t masked[FT_FLOW_U64S];
    const uint64_t *r = ft_flow_u64(&rule->match.flow);

    for (uint32_t i = 0; i < st->n_words; i++) {
        masked[i] = r[st->words[i]];
    }
    return cls_find_slot(st, masked, rule->hash);
}

/* Returns the link that points to 'rule' within its chain. */
static struct ft_cls_rule **
cls_rule_link(struct ft_cls_subtable *st, const struct ft_cls_rule *rule)
{
    long slot = cls_rule_slot(st, rule);
    struct ft_cls_rule **prev;

    assert(slot >= 0);
    prev = &st->heads[slot];
    while (*prev != rule) {
        assert(*prev);
        prev = &(*prev)->next;
    }
    return prev;
}

void
ft_cls_replace(struct ft_classifier *cls, struct ft_cls_rule *old,
               struct ft_cls_rule *new)
{
    struct ft_cls_subtable *st = old->subtable;
    struct ft_cls_rule **link = cls_rule_link(st, old);

    assert(new->priority == old->priority);
    assert(ft_match_equal(&new->match, &old->match));

    new->seq = old->seq;
    new->hash = old->hash;
    new->next = old->next;
    new->hnext = NULL;
    new->subtable = st;
    *link = new;            /* A chain head's slot keeps its hash. */

    old->next = NULL;
    old->subtable = NULL;
}

void
ft_cls_remove(struct ft_classifier *cls, struct ft_cls_rule *rule)
{
    struct ft_cls_subtable *st = rule->subtable;
    long slot = cls_rule_slot(st, rule);

    assert(slot >= 0);
    if (st->heads[slot] == rule) {
        if (rule->next) {
            st->heads[slot] = rule->next;
        } else {
            cls_slot_delete(st, slot);
            st->n_heads--;
        }
    } else {
        struct ft_cls_rule **prev = &st->heads[slot]->next;

        while (*prev != rule) {
            assert(*prev);
            prev = &(*prev)->next;
        }
        *prev = rule->next;
    }
    rule->next = NULL;
    rule->subtable = NULL;

    st->n_rules--;
    cls->n_rules--;
    if (!st->n_rules) {
        cls_remove_subtable(cls, st);
        return;
    }

    if (st->n_heads * 8 < (size_t) st->slot_mask + 1
        && st->slot_mask + 1 > CLS_MIN_SLOTS) {
        cls_resize(st, ((size_t) st->slot_mask + 1) / 2);
    }
    if (rule->priority == st->max_priority && !--st->max_count) {
        cls_subtable_recompute_max(st);
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

    for (size_t i = 0; i < cls->n_subtables; i++) {
        const struct ft_cls_subtable *st = cls->subtables[i];
        uint64_t masked[FT_FLOW_U64S];
        const struct ft_cls_rule *rule;
        uint32_t hash;
        long slot;

        /* A subtable whose best rule cannot beat what we have, and none
         * after it, needs no look: stop before consulting its bits.  On a
         * tie, search on: an equal-priority rule inserted earlier wins. */
        if (best && st->max_priority < best_priority) {
            break;
        }

        hash = cls_mask_key(st, flow, masked);
        if (wcw) {
            for (uint32_t k = 0; k < st->n_words; k++) {
                wcw[st->words[k]] |= st->mask_words[k];
            }
        }

        slot = cls_find_slot(st, masked, hash);
        if (slot < 0) {
            continue;
        }
        rule = st->heads[slot];
        if (!best || rule->priority > best_priority
            || (rule->priority == best_priority && rule->seq < best->seq)) {
            best = rule;
            best_priority = rule->priority;
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
    for (rule = st->heads[slot]; rule; rule = rule->next) {
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
        for (size_t s = 0; s <= st->slot_mask; s++) {
            struct ft_cls_rule *rule = st->heads[s];

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
