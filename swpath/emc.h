/*
 * emc.h - the exact-match cache in front of the megaflow cache.
 *
 * Most packets belong to a few busy connections.  The exact-match cache
 * (EMC) maps a packet's whole flow key to the megaflow that covers it, so
 * that a hit costs one hash of the key, one probe and one key comparison,
 * whatever the number of subtables in the megaflow cache behind it.
 *
 * Design
 * ======
 *
 * A 2-way set-associative table of (key, key hash, megaflow) entries; the
 * set is chosen by the low bits of the hash.  A new entry goes into way 0;
 * a live entry there moves to way 1, evicting what way 1 held, so way 0 is
 * the newest and way 1 the older entry.  Lookups and insertions allocate
 * nothing.
 *
 * Invalidation
 * ============
 *
 * Each entry holds a reference to its megaflow (swpath/dpcls.h).  When the
 * megaflow cache removes a megaflow it marks it dead; an EMC hit on a dead
 * megaflow is a miss, and the entry is cleared and its reference dropped
 * then.  So a removed megaflow is never returned, and removing one needs
 * no walk of the EMC; the owner sweeps the EMC of dead megaflows now and
 * then (ft_emc_note_removal()) so that they do not stay allocated.
 *
 * Thread-safety: none; the thread that owns the megaflow cache owns its
 * EMCs.
 */
#ifndef SWPATH_EMC_H
#define SWPATH_EMC_H 1

#include <stddef.h>
#include <stdint.h>

#include "flowtier/flow.h"
#include "dpcls.h"

#define FT_EMC_DEFAULT_ENTRIES 8192

struct ft_emc_entry {
    struct ft_dpcls_flow *flow;     /* NULL if empty; holds a reference. */
    uint32_t hash;
    uint32_t nonzero;               /* Bit i: word i of 'key' is not 0. */
    struct ft_flow key;
};
_Static_assert(FT_FLOW_U64S <= 32, "ft_emc_entry's 'nonzero' is too small");

struct ft_emc {
    struct ft_emc_entry *entries;   /* 2 * (n_sets_mask + 1) entries. */
    uint32_t n_sets_mask;
    uint64_t n_hits;
    uint64_t n_misses;
    uint64_t n_stale;               /* Hits on removed megaflows. */
    size_t n_used;                  /* Entries holding a megaflow. */
    size_t n_dels_unswept;          /* Removals since the last sweep. */
};

/* Initializes 'emc' with room for 'n_entries' entries (rounded up to a
 * power of 2, at least 2).  Returns 0 or -ENOMEM. */
int ft_emc_init(struct ft_emc *emc, size_t n_entries);

/* Drops every entry's reference and frees the table. */
void ft_emc_uninit(struct ft_emc *emc);

/* Empties 'emc', dropping every entry's reference. */
void ft_emc_flush(struct ft_emc *emc);

/* Drops the entries whose megaflow was removed, and with them the last
 * references to those megaflows, which are freed.  Otherwise a removed
 * megaflow stays allocated until a packet hashing to its set takes its
 * entry: after a flood of new flows, thousands of them, scattered among
 * the pages of the heap, would keep that memory from going back to the
 * system.  Costs one pass over the entries. */
void ft_emc_sweep(struct ft_emc *emc);

/* Notes that the megaflow cache behind 'emc' has just removed a megaflow
 * and holds 'n_left' now, and sweeps 'emc' (ft_emc_sweep()) once the
 * removals since the last sweep reach FT_EMC_SWEEP_MIN and an eighth of
 * the megaflows left, or none is left.  So a removal costs a few entries'
 * look on average, and once every megaflow is gone none stays allocated.
 * Called by the thread that owns 'emc', never from the packet path. */
#define FT_EMC_SWEEP_MIN 64
void ft_emc_note_removal(struct ft_emc *emc, size_t n_left);

/* The hash of the whole key that the EMC indexes by.
 *
 * A sum of the key's 64-bit words, each multiplied by an odd constant of
 * its own, then mixed: a word that is zero adds nothing, so a parser that
 * knows which words of a key it wrote may hash just those (with
 * ft_emc_hash_word() and ft_emc_hash_finish()) and get the same value.  A
 * packet's key has about 7 nonzero words out of FT_FLOW_U64S; the products
 * are independent, so the hash costs a few cycles. */
static inline uint64_t
ft_emc_hash_word(size_t i, uint64_t word)
{
    static const uint64_t k[FT_FLOW_U64S] = {
        0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9, 0x94d049bb133111eb,
        0xd6e8feb86659fd93, 0xa0761d6478bd642f, 0xe7037ed1a0b428db,
        0x8ebc6af09c88c6e3, 0x589965cc75374cc3, 0x1d8e4e27c47d124f,
        0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9, 0x27d4eb2f165667c5,
        0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53, 0x87c37b91114253d5,
        0x4cf5ad432745937f, 0x2545f4914f6cdd1d, 0x9fb21c651e98df25,
        0xd1b54a32d192ed03, 0xaef17502108ef2d9,
    };

    return word * k[i];
}

static inline uint32_t
ft_emc_hash_finish(uint64_t sum)
{
    sum ^= sum >> 31;
    sum *= 0x7fb5d329728ea185;
    sum ^= sum >> 27;
    sum *= 0x81dadef4bc2dd44d;
    return (uint32_t) (sum ^ (sum >> 33));
}

static inline uint32_t
ft_emc_hash(const struct ft_flow *key)
{
    const uint64_t *k = ft_flow_u64(key);
    uint64_t sum = 0;

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        sum += ft_emc_hash_word(i, k[i]);
    }
    return ft_emc_hash_finish(sum);
}

/* Brings the set that 'hash' selects into the cache ahead of a lookup. */
static inline void
ft_emc_prefetch(const struct ft_emc *emc, uint32_t hash)
{
    const struct ft_emc_entry *set
        = &emc->entries[2 * (size_t) (hash & emc->n_sets_mask)];

    __builtin_prefetch(set);
    __builtin_prefetch(&set[1]);
}

/* Empties 'e', whose megaflow was removed from the megaflow cache (the
 * rare case of ft_emc_lookup(), out of line). */
void ft_emc_clear_stale__(struct ft_emc *emc, struct ft_emc_entry *e);

/* ft_flow_equal() without a call: the EMC compares whole keys on every
 * hit. */
static inline bool
ft_emc_key_equal__(const struct ft_flow *a, const struct ft_flow *b)
{
    const uint64_t *pa = ft_flow_u64(a);
    const uint64_t *pb = ft_flow_u64(b);
    uint64_t diff = 0;

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        diff |= pa[i] ^ pb[i];
    }
    return !diff;
}

/* The megaflow of entry 'e', whose key is the one looked up, or NULL (and
 * the entry cleared) if it was removed. */
static inline struct ft_dpcls_flow *
ft_emc_hit__(struct ft_emc *emc, struct ft_emc_entry *e)
{
    if (e->flow->dead) {
        ft_emc_clear_stale__(emc, e);
        emc->n_misses++;
        return NULL;
    }
    emc->n_hits++;
    return e->flow;
}

/* Returns the live megaflow cached for exactly 'key' (whose ft_emc_hash()
 * is 'hash'), or NULL.  The megaflow stays valid until the caller next
 * changes the megaflow cache or this EMC.  Inline: it runs for every
 * packet. */
static inline struct ft_dpcls_flow *
ft_emc_lookup(struct ft_emc *emc, const struct ft_flow *key, uint32_t hash)
{
    struct ft_emc_entry *set
        = &emc->entries[2 * (size_t) (hash & emc->n_sets_mask)];

    for (int way = 0; way < 2; way++) {
        struct ft_emc_entry *e = &set[way];

        if (e->flow && e->hash == hash && ft_emc_key_equal__(&e->key, key)) {
            return ft_emc_hit__(emc, e);
        }
    }
    emc->n_misses++;
    return NULL;
}

/* ft_emc_lookup() of a key given by the words that may be nonzero: word
 * 'idx[j]' of the key is 'words[j]' for j < 'n', and every other word is
 * zero.  A parser that knows which words of a key it sets (the datapath's
 * shortcut for untagged IPv4 UDP and TCP sets 7 of FT_FLOW_U64S) need not
 * write the others, and the lookup reads 'n' words of an entry's key
 * instead of all of them: an entry holds that key if its other words are
 * zero ('nonzero') and these 'n' are equal.  'idx' and 'n' should be
 * constants, so that the loops unroll. */
static inline struct ft_dpcls_flow *
ft_emc_lookup_words(struct ft_emc *emc, const uint8_t idx[], size_t n,
                    const uint64_t words[], uint32_t hash)
{
    struct ft_emc_entry *set
        = &emc->entries[2 * (size_t) (hash & emc->n_sets_mask)];
    uint32_t map = 0;

    for (size_t j = 0; j < n; j++) {
        map |= UINT32_C(1) << idx[j];
    }
    for (int way = 0; way < 2; way++) {
        struct ft_emc_entry *e = &set[way];

        if (e->flow && e->hash == hash && !(e->nonzero & ~map)) {
            const uint64_t *k = ft_flow_u64(&e->key);
            uint64_t diff = 0;

            for (size_t j = 0; j < n; j++) {
                diff |= k[idx[j]] ^ words[j];
            }
            if (!diff) {
                return ft_emc_hit__(emc, e);
            }
        }
    }
    emc->n_misses++;
    return NULL;
}

/* Caches 'flow' (live, and containing 'key') for 'key', taking a
 * reference to it. */
void ft_emc_insert(struct ft_emc *emc, const struct ft_flow *key,
                   uint32_t hash, struct ft_dpcls_flow *flow);

/* The usual receive path: the EMC, then on a miss the megaflow cache 'cls'
 * (caching its answer in the EMC).  Returns the megaflow or NULL. */
struct ft_dpcls_flow *ft_emc_lookup_cls(struct ft_emc *emc,
                                        struct ft_dpcls *cls,
                                        const struct ft_flow *key);

#endif /* swpath/emc.h */
