/*
 * classifier.c - tuple-space search classifier (see classifier.h).
 *
 * Part of the management plane; used by the OpenFlow tables (oftable.c)
 * and, through them, by translation.  Touches nothing but its own memory
 * and the rules handed to it.
 *
 * The classifier's other concepts have files of their own: hashing of
 * masked keys and the slot table (classifier-hash.c), stage groups and
 * stage indices (classifier-stage.c), the priority histogram
 * (classifier-prio.c), the prefix tries (classifier-trie.c).  What they
 * share, the subtable's layout included, is in classifier-private.h.
 * This file keeps the subtables and their order, insertion and removal,
 * and the lookup, with every helper only it calls.
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
#include "mgmt/ofproto/classifier-private.h"
#include "mgmt/ofproto/classifier-trie.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define CLS_BATCH 8                         /* Subtables probed together. */

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
                               cls_trie_field(&rule->match->flow, i),
                               st->trie_plen[i]);
        }
    }
    if (st->ports_mask_len) {
        ft_cls_trie_insert(&st->ports_trie, cls_ports(&rule->match->flow),
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

    cls_mask_key_staged(st, &rule->match->flow, masked, ihash);
    for (int i = 0; i + 1 < st->n_stages; i++) {
        cls_index_dec(&st->indices[i], ihash[i]);
    }
    for (int i = 0; i < FT_CLS_N_TRIES; i++) {
        if (st->trie_plen[i]) {
            ft_cls_trie_remove(&cls->tries[i],
                               cls_trie_field(&rule->match->flow, i),
                               st->trie_plen[i]);
        }
    }
    if (st->ports_mask_len) {
        ft_cls_trie_remove(&st->ports_trie, cls_ports(&rule->match->flow),
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
    ft_match_normalize(rule->match);

    mask_hash = cls_mask_hash(&rule->match->mask);
    st = cls_find_subtable(cls, &rule->match->mask, mask_hash);
    if (!st) {
        st = cls_add_subtable(cls, &rule->match->mask, mask_hash);
    }

    rule->hash = cls_mask_key_staged(st, &rule->match->flow, masked, ihash);
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

    cls_mask_key(st, &rule->match->flow, masked);
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
    assert(ft_match_equal(new->match, old->match));

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
    const uint64_t *rm = ft_flow_u64(&rule->match->mask);
    const uint64_t *rk = ft_flow_u64(&rule->match->flow);
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
                                                       &rule->match->flow))) {
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
