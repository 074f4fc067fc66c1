/*
 * dpcls.h - the software datapath's megaflow cache.
 *
 * What?
 * =====
 *
 * The megaflow cache holds the megaflows the translator produced (a match,
 * i.e. key + mask, and the datapath actions to run) and answers, for the
 * flow key of a received packet, "which megaflow covers this key?".
 *
 * Megaflows do not overlap: the translator builds each one from the bits a
 * lookup consulted, so any key inside two megaflows would have produced the
 * same one.  The cache relies on that: there are no priorities, and the
 * first megaflow found that contains the key is the answer.  (Inserting
 * overlapping megaflows is not an error, but which of them a key finds is
 * then unspecified.)
 *
 * Basic design
 * ============
 *
 * Megaflows are grouped into subtables by mask.  Each subtable is a hash
 * table over key & mask that hashes and compares only the 64-bit words of
 * 'struct ft_flow' its mask touches.  A lookup tries the subtables one
 * after another and stops at the first hit.  Every subtable counts its
 * hits, and every FT_DPCLS_RESORT_INTERVAL lookups the subtables are
 * re-sorted by hits, busiest first (then the counts are halved, so the
 * order follows the traffic of the recent past), which makes the common
 * case a single hash probe.  A lookup allocates nothing.
 *
 * Megaflow lifetime
 * =================
 *
 * The cache allocates each 'struct ft_dpcls_flow' and holds one reference
 * to it.  ft_dpcls_remove() unlinks the megaflow, marks it dead and drops
 * that reference; others (the exact-match cache, swpath/emc.h) may hold
 * references too, and the memory is freed when the last one is dropped.
 * Whoever holds a reference to a dead megaflow must treat it as gone: it
 * only keeps the pointer valid.
 *
 * Thread-safety
 * =============
 *
 * None: one thread owns a cache (and the exact-match caches in front of
 * it) and serializes every access, including the reference counts.
 */
#ifndef SWPATH_DPCLS_H
#define SWPATH_DPCLS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/flow.h"
#include "flowtier/stats.h"

#define FT_DPCLS_BATCH_MAX 32

/* Lookups between two re-sorts of the subtables. */
#define FT_DPCLS_RESORT_INTERVAL 4096

struct ft_dpcls_subtable;
struct ft_dpcls_mask;

/* A megaflow.  Its match (ft_dpcls_flow_get_match()), 'actions' and
 * 'user' are set at insertion and do not change while the megaflow is in
 * the cache; 'stats' is the caller's to update (ft_dpcls_flow_credit()).
 *
 * The match is kept as its subtable's mask, shared by the subtable's
 * megaflows, and the key's words under it: a megaflow of a few fields
 * takes tens of bytes for its key instead of two whole flows. */
struct ft_dpcls_flow {
    struct ft_dp_actions actions;   /* Owned copy. */
    struct ft_stats stats;          /* Packets, bytes, last use (ms). */
    void *user;                     /* Caller's, never dereferenced. */

    /* Private to the cache. */
    bool dead;                      /* Removed from the cache. */
    uint32_t hash;                  /* Hash of the masked key. */
    unsigned int ref_cnt;
    struct ft_dpcls_flow *hnext;    /* Bucket chain. */
    struct ft_dpcls_subtable *subtable;
    struct ft_dpcls_mask *mask;     /* Referenced: outlives the subtable
                                     * while a removed megaflow does. */
    uint64_t key[];                 /* The key's words the mask touches,
                                     * masked, in the mask's order. */
};

/* Stores the normalized match of 'flow' (live or removed) in '*match'. */
void ft_dpcls_flow_get_match(const struct ft_dpcls_flow *,
                             struct ft_match *match);

/* True if 'key' is inside the match of 'flow'. */
bool ft_dpcls_flow_contains(const struct ft_dpcls_flow *,
                            const struct ft_flow *key);

struct ft_dpcls {
    struct ft_dpcls_subtable **subtables;   /* Search order. */
    size_t n_subtables, allocated;
    size_t n_flows;
    uint32_t lookups_to_resort;
};

/* Replaces the actions of 'flow' (live or dead) in place.  The datapath
 * runs in one thread, so no packet is between lookup and execution while
 * this runs, and the EMC entries that point to 'flow' see the new actions
 * from their next hit on. */
void ft_dpcls_flow_set_actions(struct ft_dpcls_flow *,
                               const struct ft_dp_actions *);

void ft_dpcls_init(struct ft_dpcls *);

/* Removes every megaflow (as ft_dpcls_remove()) and frees the cache's own
 * memory.  Megaflows still referenced elsewhere stay allocated, dead,
 * until their last reference is dropped. */
void ft_dpcls_destroy(struct ft_dpcls *);

/* Adds a megaflow with 'match' (normalized here: key bits outside the mask
 * are cleared), a copy of 'actions' and 'user'.  Its stats start at zero.
 * On success stores the megaflow in '*flowp' (if 'flowp' is nonnull) and
 * returns 0.  If a megaflow with an identical match is already present,
 * stores that one in '*flowp' and returns -EEXIST without changing it.
 * The caller holds no reference to the new megaflow: it is valid until
 * removed, or longer with ft_dpcls_flow_ref(). */
int ft_dpcls_insert(struct ft_dpcls *, const struct ft_match *match,
                    const struct ft_dp_actions *actions, void *user,
                    struct ft_dpcls_flow **flowp);

/* Removes 'flow', which must be in the cache, marks it dead and drops the
 * cache's reference (which frees it unless someone else holds one). */
void ft_dpcls_remove(struct ft_dpcls *, struct ft_dpcls_flow *flow);

/* Returns the megaflow whose match contains 'key', or NULL.  Counts the
 * hit for the subtable order; may re-sort the subtables. */
struct ft_dpcls_flow *ft_dpcls_lookup(struct ft_dpcls *,
                                      const struct ft_flow *key);

/* Looks up the 'n' (at most FT_DPCLS_BATCH_MAX) keys 'keys[i]' and stores
 * each answer (or NULL) in 'flows[i]'.  Each subtable is visited once for
 * all keys still unanswered.  Returns the number of keys answered, or
 * -EINVAL if 'n' is too large. */
int ft_dpcls_lookup_batch(struct ft_dpcls *,
                          const struct ft_flow *const keys[], size_t n,
                          struct ft_dpcls_flow *flows[]);

/* Returns the megaflow whose match equals 'match' (after normalizing it),
 * or NULL. */
struct ft_dpcls_flow *ft_dpcls_find_exact(const struct ft_dpcls *,
                                          const struct ft_match *match);

/* Sorts the subtables by hits, busiest first, and halves the counts.
 * Lookups do this every FT_DPCLS_RESORT_INTERVAL calls. */
void ft_dpcls_resort(struct ft_dpcls *);

static inline size_t
ft_dpcls_count(const struct ft_dpcls *cls)
{
    return cls->n_flows;
}

static inline size_t
ft_dpcls_n_subtables(const struct ft_dpcls *cls)
{
    return cls->n_subtables;
}

/* Calls 'cb' for every megaflow, subtable by subtable.  'cb' must not
 * insert or remove (collect and act afterwards).  Stops early and returns
 * the callback's value if it is nonzero; returns 0 otherwise. */
int ft_dpcls_foreach(const struct ft_dpcls *,
                     int (*cb)(struct ft_dpcls_flow *, void *aux),
                     void *aux);

/* Takes a reference to 'flow'. */
static inline struct ft_dpcls_flow *
ft_dpcls_flow_ref(struct ft_dpcls_flow *flow)
{
    flow->ref_cnt++;
    return flow;
}

/* Drops a reference to 'flow', freeing it when it was the last.  NULL is a
 * no-op. */
void ft_dpcls_flow_unref(struct ft_dpcls_flow *flow);

/* Counts 'n_packets' packets of 'n_bytes' bytes, used at 'now' (ms). */
static inline void
ft_dpcls_flow_credit(struct ft_dpcls_flow *flow, uint64_t n_packets,
                     uint64_t n_bytes, long long int now)
{
    /* Only the owner of the cache writes; others may read the counters
     * with relaxed atomic loads (swpath/dpif-pmd.c), so each is stored
     * whole. */
    __atomic_store_n(&flow->stats.n_packets,
                     flow->stats.n_packets + n_packets, __ATOMIC_RELAXED);
    __atomic_store_n(&flow->stats.n_bytes, flow->stats.n_bytes + n_bytes,
                     __ATOMIC_RELAXED);
    if (now > flow->stats.used) {
        __atomic_store_n(&flow->stats.used, now, __ATOMIC_RELAXED);
    }
}

#endif /* swpath/dpcls.h */
