/*
 * dpcls.c - the software datapath's megaflow cache.
 *
 * Subtables per mask, each a chained hash table (power-of-two buckets, load
 * factor at most 1) over the masked key, hashing and comparing only the
 * words its mask touches; the subtable array is kept in hit order.  See
 * dpcls.h for the design and the megaflow lifetime rules.  Lookups do a
 * bounded amount of work per subtable (one hash over at most FT_FLOW_U64S
 * words and one bucket chain) and never allocate; insertion and removal
 * may grow or shrink one subtable's bucket array.
 */
#include "dpcls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 16

/* A subtable's mask, shared by its megaflows: a megaflow that was removed
 * but is still referenced (an EMC entry, a caller's reference) keeps it
 * after the subtable is gone. */
struct ft_dpcls_mask {
    unsigned int ref_cnt;
    struct ft_flow mask;
    size_t n_words;                     /* Words of 'mask' that are set. */
    uint8_t words[FT_FLOW_U64S];        /* Their indexes. */
};

static void
mask_unref(struct ft_dpcls_mask *m)
{
    if (m && !--m->ref_cnt) {
        free(m);
    }
}

struct ft_dpcls_subtable {
    struct ft_dpcls_mask *mask;         /* Referenced. */
    size_t n_words;                     /* Words of the mask that are set. */
    uint8_t words[FT_FLOW_U64S];        /* Their indexes... */
    uint64_t mask_words[FT_FLOW_U64S];  /* ...and values... */
    uint64_t mults[FT_FLOW_U64S];       /* ...and hash multipliers. */

    struct ft_dpcls_flow **buckets;
    size_t n_buckets;                   /* A power of 2. */
    size_t n_flows;
    uint64_t hits;                      /* Decayed at each re-sort. */
};

/* Hash of 'key' & the subtable's mask, over the words the mask touches:
 * the sum of the masked words, each multiplied by a constant of its own
 * (the products are independent, so the words hash in parallel), mixed.
 * A normalized match's key hashes the same as any key inside it. */
static inline uint32_t
subtable_hash(const struct ft_dpcls_subtable *st, const uint64_t *key)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < st->n_words; i++) {
        sum += (key[st->words[i]] & st->mask_words[i]) * st->mults[i];
    }
    sum ^= sum >> 31;
    sum *= 0x7fb5d329728ea185;
    sum ^= sum >> 27;
    sum *= 0x81dadef4bc2dd44d;
    return (uint32_t) (sum ^ (sum >> 33));
}

/* True if 'key' is inside 'flow', a megaflow of subtable 'st'. */
static inline bool
subtable_flow_matches(const struct ft_dpcls_subtable *st,
                      const struct ft_dpcls_flow *flow, const uint64_t *key)
{
    for (size_t i = 0; i < st->n_words; i++) {
        if ((key[st->words[i]] & st->mask_words[i]) != flow->key[i]) {
            return false;
        }
    }
    return true;
}

static inline struct ft_dpcls_flow *
subtable_lookup(const struct ft_dpcls_subtable *st, const uint64_t *key)
{
    uint32_t hash = subtable_hash(st, key);
    struct ft_dpcls_flow *flow;

    for (flow = st->buckets[hash & (st->n_buckets - 1)]; flow;
         flow = flow->hnext) {
        if (flow->hash == hash && subtable_flow_matches(st, flow, key)) {
            return flow;
        }
    }
    return NULL;
}

static struct ft_dpcls_subtable *
subtable_create(const struct ft_flow *mask)
{
    struct ft_dpcls_subtable *st = calloc(1, sizeof *st);
    const uint64_t *m = ft_flow_u64(mask);

    if (!st) {
        return NULL;
    }
    st->buckets = calloc(MIN_BUCKETS, sizeof *st->buckets);
    st->mask = calloc(1, sizeof *st->mask);
    if (!st->buckets || !st->mask) {
        free(st->buckets);
        free(st->mask);
        free(st);
        return NULL;
    }
    st->n_buckets = MIN_BUCKETS;
    st->mask->ref_cnt = 1;
    st->mask->mask = *mask;
    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if (m[i]) {
            st->words[st->n_words] = i;
            st->mask_words[st->n_words] = m[i];
            /* Odd, and different for every word. */
            st->mults[st->n_words] = (0x9e3779b97f4a7c15 * (2 * i + 1))
                                     | 1;
            st->n_words++;
        }
    }
    st->mask->n_words = st->n_words;
    memcpy(st->mask->words, st->words, sizeof st->words);
    return st;
}

static void
subtable_destroy(struct ft_dpcls_subtable *st)
{
    free(st->buckets);
    mask_unref(st->mask);
    free(st);
}

/* Moves every megaflow of 'st' into a bucket array of 'n' (a power of 2)
 * buckets.  On allocation failure keeps the current array: lookups stay
 * correct, chains just get longer. */
static void
subtable_rehash(struct ft_dpcls_subtable *st, size_t n)
{
    struct ft_dpcls_flow **buckets = calloc(n, sizeof *buckets);

    if (!buckets) {
        return;
    }
    for (size_t i = 0; i < st->n_buckets; i++) {
        struct ft_dpcls_flow *flow, *next;

        for (flow = st->buckets[i]; flow; flow = next) {
            struct ft_dpcls_flow **bucket = &buckets[flow->hash & (n - 1)];

            next = flow->hnext;
            flow->hnext = *bucket;
            *bucket = flow;
        }
    }
    free(st->buckets);
    st->buckets = buckets;
    st->n_buckets = n;
}

static struct ft_dpcls_subtable *
find_subtable(const struct ft_dpcls *cls, const struct ft_flow *mask)
{
    for (size_t i = 0; i < cls->n_subtables; i++) {
        if (ft_flow_equal(&cls->subtables[i]->mask->mask, mask)) {
            return cls->subtables[i];
        }
    }
    return NULL;
}

void
ft_dpcls_init(struct ft_dpcls *cls)
{
    memset(cls, 0, sizeof *cls);
    cls->lookups_to_resort = FT_DPCLS_RESORT_INTERVAL;
}

void
ft_dpcls_destroy(struct ft_dpcls *cls)
{
    if (!cls) {
        return;
    }
    for (size_t i = 0; i < cls->n_subtables; i++) {
        struct ft_dpcls_subtable *st = cls->subtables[i];

        for (size_t b = 0; b < st->n_buckets; b++) {
            struct ft_dpcls_flow *flow, *next;

            for (flow = st->buckets[b]; flow; flow = next) {
                next = flow->hnext;
                flow->dead = true;
                flow->hnext = NULL;
                flow->subtable = NULL;
                ft_dpcls_flow_unref(flow);
            }
        }
        subtable_destroy(st);
    }
    free(cls->subtables);
    ft_dpcls_init(cls);
}

void
ft_dpcls_flow_unref(struct ft_dpcls_flow *flow)
{
    if (flow && !--flow->ref_cnt) {
        ft_dp_actions_uninit(&flow->actions);
        mask_unref(flow->mask);
        free(flow);
    }
}

void
ft_dpcls_flow_get_match(const struct ft_dpcls_flow *flow,
                        struct ft_match *match)
{
    const struct ft_dpcls_mask *m = flow->mask;
    uint64_t *k = ft_flow_u64_rw(&match->flow);

    memset(&match->flow, 0, sizeof match->flow);
    match->mask = m->mask;
    for (size_t i = 0; i < m->n_words; i++) {
        k[m->words[i]] = flow->key[i];
    }
}

bool
ft_dpcls_flow_contains(const struct ft_dpcls_flow *flow,
                       const struct ft_flow *key)
{
    const struct ft_dpcls_mask *m = flow->mask;
    const uint64_t *k = ft_flow_u64(key);
    const uint64_t *mw = ft_flow_u64(&m->mask);

    for (size_t i = 0; i < m->n_words; i++) {
        size_t w = m->words[i];

        if ((k[w] & mw[w]) != flow->key[i]) {
            return false;
        }
    }
    return true;
}

/* Returns the subtable for 'mask', creating it at the end of the search
 * order if needed, or NULL on allocation failure. */
static struct ft_dpcls_subtable *
get_subtable(struct ft_dpcls *cls, const struct ft_flow *mask)
{
    struct ft_dpcls_subtable *st = find_subtable(cls, mask);

    if (st) {
        return st;
    }
    if (cls->n_subtables >= cls->allocated) {
        size_t n = cls->allocated ? cls->allocated * 2 : 8;
        struct ft_dpcls_subtable **p;

        p = realloc(cls->subtables, n * sizeof *p);
        if (!p) {
            return NULL;
        }
        cls->subtables = p;
        cls->allocated = n;
    }
    st = subtable_create(mask);
    if (st) {
        cls->subtables[cls->n_subtables++] = st;
    }
    return st;
}

static void
remove_subtable(struct ft_dpcls *cls, struct ft_dpcls_subtable *st)
{
    for (size_t i = 0; i < cls->n_subtables; i++) {
        if (cls->subtables[i] == st) {
            memmove(&cls->subtables[i], &cls->subtables[i + 1],
                    (cls->n_subtables - i - 1) * sizeof *cls->subtables);
            cls->n_subtables--;
            break;
        }
    }
    subtable_destroy(st);
}

void
ft_dpcls_flow_set_actions(struct ft_dpcls_flow *flow,
                          const struct ft_dp_actions *actions)
{
    if (!ft_dp_actions_equal(&flow->actions, actions)) {
        ft_dp_actions_copy(&flow->actions, actions);
    }
}

int
ft_dpcls_insert(struct ft_dpcls *cls, const struct ft_match *match,
                const struct ft_dp_actions *actions, void *user,
                struct ft_dpcls_flow **flowp)
{
    struct ft_dpcls_subtable *st;
    struct ft_dpcls_flow *flow, **bucket;
    struct ft_match m;

    ft_match_init(&m, &match->flow, &match->mask);
    st = get_subtable(cls, &m.mask);
    if (!st) {
        return -ENOMEM;
    }
    flow = subtable_lookup(st, ft_flow_u64(&m.flow));
    if (flow) {
        if (flowp) {
            *flowp = flow;
        }
        return -EEXIST;
    }

    flow = calloc(1, sizeof *flow + st->n_words * sizeof flow->key[0]);
    if (!flow) {
        if (!st->n_flows) {
            remove_subtable(cls, st);
        }
        return -ENOMEM;
    }
    for (size_t i = 0; i < st->n_words; i++) {
        flow->key[i] = ft_flow_u64(&m.flow)[st->words[i]];
    }
    flow->mask = st->mask;
    st->mask->ref_cnt++;
    ft_dp_actions_init(&flow->actions);
    ft_dp_actions_copy(&flow->actions, actions);
    flow->user = user;
    flow->ref_cnt = 1;
    flow->subtable = st;
    flow->hash = subtable_hash(st, ft_flow_u64(&m.flow));

    if (st->n_flows >= st->n_buckets) {
        subtable_rehash(st, st->n_buckets * 2);
    }
    bucket = &st->buckets[flow->hash & (st->n_buckets - 1)];
    flow->hnext = *bucket;
    *bucket = flow;
    st->n_flows++;
    cls->n_flows++;

    if (flowp) {
        *flowp = flow;
    }
    return 0;
}

void
ft_dpcls_remove(struct ft_dpcls *cls, struct ft_dpcls_flow *flow)
{
    struct ft_dpcls_subtable *st = flow->subtable;
    struct ft_dpcls_flow **p;

    for (p = &st->buckets[flow->hash & (st->n_buckets - 1)]; *p;
         p = &(*p)->hnext) {
        if (*p == flow) {
            *p = flow->hnext;
            break;
        }
    }
    st->n_flows--;
    cls->n_flows--;
    if (!st->n_flows) {
        remove_subtable(cls, st);
    } else if (st->n_buckets > MIN_BUCKETS
               && st->n_flows < st->n_buckets / 4) {
        subtable_rehash(st, st->n_buckets / 2);
    }

    flow->dead = true;
    flow->hnext = NULL;
    flow->subtable = NULL;
    ft_dpcls_flow_unref(flow);
}

/* Counts 'n' lookups towards the next re-sort. */
static inline void
count_lookups(struct ft_dpcls *cls, uint32_t n)
{
    if (cls->lookups_to_resort <= n) {
        ft_dpcls_resort(cls);
    } else {
        cls->lookups_to_resort -= n;
    }
}

struct ft_dpcls_flow *
ft_dpcls_lookup(struct ft_dpcls *cls, const struct ft_flow *key)
{
    const uint64_t *k = ft_flow_u64(key);
    struct ft_dpcls_flow *flow = NULL;

    for (size_t i = 0; i < cls->n_subtables; i++) {
        struct ft_dpcls_subtable *st = cls->subtables[i];

        flow = subtable_lookup(st, k);
        if (flow) {
            st->hits++;
            break;
        }
    }
    count_lookups(cls, 1);
    return flow;
}

int
ft_dpcls_lookup_batch(struct ft_dpcls *cls,
                      const struct ft_flow *const keys[], size_t n,
                      struct ft_dpcls_flow *flows[])
{
    uint32_t left;
    int found = 0;

    if (n > FT_DPCLS_BATCH_MAX) {
        return -EINVAL;
    }
    left = n == 32 ? UINT32_MAX : (UINT32_C(1) << n) - 1;
    for (size_t i = 0; i < n; i++) {
        flows[i] = NULL;
    }
    for (size_t s = 0; s < cls->n_subtables && left; s++) {
        struct ft_dpcls_subtable *st = cls->subtables[s];
        uint32_t map = left;

        while (map) {
            int i = __builtin_ctz(map);
            struct ft_dpcls_flow *flow;

            map &= map - 1;
            flow = subtable_lookup(st, ft_flow_u64(keys[i]));
            if (flow) {
                flows[i] = flow;
                left &= ~(UINT32_C(1) << i);
                st->hits++;
                found++;
            }
        }
    }
    count_lookups(cls, n);
    return found;
}

struct ft_dpcls_flow *
ft_dpcls_find_exact(const struct ft_dpcls *cls, const struct ft_match *match)
{
    const struct ft_dpcls_subtable *st;
    struct ft_match m;

    ft_match_init(&m, &match->flow, &match->mask);
    st = find_subtable(cls, &m.mask);
    return st ? subtable_lookup(st, ft_flow_u64(&m.flow)) : NULL;
}

void
ft_dpcls_resort(struct ft_dpcls *cls)
{
    /* Insertion sort: stable, and the order rarely changes much. */
    for (size_t i = 1; i < cls->n_subtables; i++) {
        struct ft_dpcls_subtable *st = cls->subtables[i];
        size_t j = i;

        while (j > 0 && cls->subtables[j - 1]->hits < st->hits) {
            cls->subtables[j] = cls->subtables[j - 1];
            j--;
        }
        cls->subtables[j] = st;
    }
    for (size_t i = 0; i < cls->n_subtables; i++) {
        cls->subtables[i]->hits /= 2;
    }
    cls->lookups_to_resort = FT_DPCLS_RESORT_INTERVAL;
}

int
ft_dpcls_foreach(const struct ft_dpcls *cls,
                 int (*cb)(struct ft_dpcls_flow *, void *aux), void *aux)
{
    for (size_t i = 0; i < cls->n_subtables; i++) {
        const struct ft_dpcls_subtable *st = cls->subtables[i];

        for (size_t b = 0; b < st->n_buckets; b++) {
            struct ft_dpcls_flow *flow;

            for (flow = st->buckets[b]; flow; flow = flow->hnext) {
                int error = cb(flow, aux);

                if (error) {
                    return error;
                }
            }
        }
    }
    return 0;
}
