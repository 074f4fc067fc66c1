/*
 * megaflow.h - a bridge's megaflows: the management plane's record of each
 * one, the tier that holds it, and placement.  Private to mgmt/bridge/.
 *
 * What?
 * =====
 *
 * Every megaflow of a bridge has one record here, found by its match.  The
 * record holds the match, the datapath actions, the OpenFlow rules it was
 * translated from (for counters and revalidation), the tier that holds it
 * and that tier's handle, its counters in every tier, and for each faster
 * tier the reason that tier refused it.  Datapaths (swpath/dpif.h) and
 * offload providers (offload/offload.h) hold copies; this table decides.
 *
 * Placement
 * =========
 *
 * A new megaflow is offered to the tiers in the policy order of its input
 * port (other_config:tier-order, default "hw,kernel,user", per bridge or
 * per interface; the hw tier only with other_config:hw-offload=true).  In
 * a tier, each offload provider of the bridge serving that tier is asked
 * in turn; the tier of the bridge's datapath ("user" for the userspace
 * datapath) is the datapath itself, and always the last resort.  The first
 * that takes the megaflow holds it; each refusal is kept with its reason.
 *
 * A tier that refused for lack of room (-ENOSPC) is asked again once a
 * megaflow has left any provider since (the revalidator does it): if it
 * takes the megaflow now, the megaflow moves there and leaves the slower
 * tier.  A holder that fails to change a megaflow's actions loses it: the
 * megaflow is placed again, from the next tier on.
 *
 * Counters
 * ========
 *
 * 'stats.tier[t]' is everything tier 't' counted for the megaflow, across
 * every time it held it: a read of the holder adds what it counted since
 * the last read ('last'), and deleting or moving the megaflow adds the
 * holder's final counts.  So the counters never go backwards and never
 * count a packet twice.  Packets the datapath executed for a megaflow held
 * elsewhere (an upcall for a flow a faster tier holds) count in the
 * datapath's tier.  'credited_*' is what each tier's counts already
 * credited to the OpenFlow rules.
 *
 * Lifetime
 * ========
 *
 * Records are reference counted: the table holds one, the revalidator one
 * for each record of the batch it is working on.  A removed record is
 * marked dead and freed when the last reference goes.
 */
#ifndef FLOWTIER_MGMT_BRIDGE_MEGAFLOW_H
#define FLOWTIER_MGMT_BRIDGE_MEGAFLOW_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/stats.h"

struct ft_bridge;
struct ft_dpif_flow;
struct ft_offload;
struct ft_offload_flow;
struct ft_ofrule;

struct bridge_megaflow {
    /* What every revalidator pass reads, together at the start (a bridge
     * may have a million records: each pass should touch few of their
     * cache lines). */
    bool dead;
    bool uses_normal;
    bool xlate_error;               /* Translation failed: drop flow. */
    bool adopted;                   /* Taken over from a previous run, not
                                     * translated by this one yet. */
    enum ft_tier tier;              /* The tier holding it. */
    unsigned int ref_cnt;
    uint32_t enospc_tiers;          /* Tiers (1 << t) that were full. */
    struct ft_offload *offload;     /* Its provider, or NULL: the datapath
                                     * holds it. */
    union {
        struct ft_dpif_flow *dp;
        struct ft_offload_flow *off;
    } handle;
    uint64_t version;               /* Tables' version at translation. */
    uint64_t mac_gen;               /* MAC table generation then. */
    uint64_t port_gen;              /* Port configuration generation. */
    uint64_t enospc_gen;            /* bridge's 'room_gen' then. */
    uint64_t underlay_gen;          /* bridge's underlay generation when
                                     * last checked (bridge-underlay.c). */
    long long int created;          /* ms. */
    struct ft_ofrule **rules;       /* Referenced. */
    size_t n_rules;

    /* Counters (see "Counters"). */
    struct ft_tier_stats stats;
    struct ft_stats last;           /* Holder's counts at the last read. */
    uint64_t credited_packets[FT_N_TIERS];  /* Per tier. */
    uint64_t credited_bytes[FT_N_TIERS];

    /* Table. */
    uint32_t hash;
    size_t idx;                     /* In the table's array. */

    const char *reasons[FT_N_TIERS];    /* Why not in each faster tier,
                                         * or NULL (owned, unless one of
                                         * the shared reasons).  In the
                                         * datapath's own tier, held by
                                         * the datapath: why the provider
                                         * in front of it (TC in software
                                         * before the kernel datapath)
                                         * did not take it. */
    struct ft_dp_actions actions;   /* As installed. */
    struct ft_match match;          /* Normalized.  Its key is what the
                                     * revalidator translates again: the
                                     * bits translation consulted are all
                                     * there, and a translation that now
                                     * consults others yields another
                                     * match, which deletes the
                                     * megaflow. */
};

struct bridge_megaflow_slot {
    uint32_t hash;
    struct bridge_megaflow *mf;     /* NULL: empty. */
};

struct bridge_megaflows {
    struct bridge_megaflow_slot *slots;     /* Open addressing. */
    size_t n_slots;                 /* Power of 2, at least 2 * 'n'. */
    struct bridge_megaflow **all;   /* Every live record, any order. */
    size_t n, allocated;
    size_t n_tier[FT_N_TIERS];      /* Records per holding tier. */
    uint64_t n_removed;             /* Records ever removed. */

    /* A walk (the revalidator's pass) has visited all[0..cursor-1] and
     * has all[cursor..end-1] left to visit: the records there were when
     * it started.  A removal keeps both true, and records created
     * meanwhile come at 'end' or after, so a walk sees every record that
     * lives through it once and no record created after it started (a
     * pass during a flood of new flows would otherwise chase them and
     * never end). */
    size_t cursor;
    size_t end;

    /* Records installed in a provider that batches since the last
     * bridge_megaflows_commit() (referenced): the provider's answer for
     * them is still to come. */
    struct bridge_megaflow **uncommitted;
    size_t n_uncommitted, allocated_uncommitted;
};

void bridge_megaflows_init(struct bridge_megaflows *);

/* Walks: restarts the walk at the first record; it covers the records
 * there are now. */
static inline void
bridge_megaflows_walk_start(struct bridge_megaflows *t)
{
    t->cursor = 0;
    t->end = t->n;
}

/* Records the walk has yet to visit. */
static inline size_t
bridge_megaflows_walk_left(const struct bridge_megaflows *t)
{
    return t->end - t->cursor;
}

/* Stores in 'batch' references to up to 'max' records the walk has not
 * visited (of those there were at its start), which it then has.  Returns how many (0: the walk is done).
 * The caller unrefs them (bridge_megaflow_unref()). */
size_t bridge_megaflows_walk_next(struct bridge_megaflows *,
                                  struct bridge_megaflow *batch[],
                                  size_t max);

/* Uninstalls and frees every record (as bridge_megaflow_remove()). */
void bridge_megaflows_destroy(struct ft_bridge *);

/* Returns the live record whose match equals 'match' (normalized), or
 * NULL; stores the match's hash in '*hash' for bridge_megaflow_create(). */
struct bridge_megaflow *bridge_megaflow_find(const struct ft_bridge *,
                                             const struct ft_match *match,
                                             uint32_t *hash);

/* Creates a record for 'match' (normalized; 'hash' from
 * bridge_megaflow_find(), which found none) and 'actions' (copied),
 * places it (see "Placement") and installs it there.  Returns the
 * record (the table's reference; 'rules' etc. are the caller's to fill),
 * or NULL with 'err' saying why if no tier took it (nothing is kept). */
struct bridge_megaflow *bridge_megaflow_create(struct ft_bridge *,
                                               const struct ft_match *match,
                                               uint32_t hash,
                                               const struct ft_dp_actions *,
                                               long long int now,
                                               struct ft_error *err);

/* Creates a record for a megaflow the datapath took over from a previous
 * run of the daemon (swpath/dpif.h, ft_dpif_flow_adopt()): 'handle' with
 * 'match' (normalized here), 'actions' (copied) and 'stats', its counts so
 * far.  It stays where it is (no placement) and is 'adopted' until the
 * revalidator translates it again, keeping, changing or deleting it.  Its
 * counts so far are its tier's, already credited (to the previous run's
 * rules).  Returns the record (the table's reference), or NULL if the
 * table has a record of that match (the caller deletes 'handle'). */
struct bridge_megaflow *bridge_megaflow_adopt(struct ft_bridge *,
                                              const struct ft_match *match,
                                              const struct ft_dp_actions *,
                                              struct ft_dpif_flow *handle,
                                              const struct ft_stats *stats,
                                              long long int now);

/* Uninstalls 'mf' from its holder, adds its final counts, and removes it
 * from the table (dead; freed with its last reference). */
void bridge_megaflow_remove(struct ft_bridge *, struct bridge_megaflow *mf);

/* Removes the 'n' records 'mfs' as bridge_megaflow_remove() does each,
 * those of one offload provider in one batch (the provider sends the
 * removals back to back).  A removal the provider failed is counted
 * (ft_bridge_stats' n_offload_del_failed); the provider tries again a
 * few times (n_offload_del_retrying, n_offload_del_given_up). */
void bridge_megaflows_remove_many(struct ft_bridge *,
                                  struct bridge_megaflow *const mfs[],
                                  size_t n);

/* Changes the actions of 'mf' to 'actions' in its holder; if the holder
 * fails, places the megaflow again from the next tier on (see
 * "Placement").  Returns 0, or a negative errno if no tier took it
 * (then 'mf' has been removed). */
int bridge_megaflow_modify(struct ft_bridge *, struct bridge_megaflow *mf,
                           const struct ft_dp_actions *actions);

/* Places 'mf' again because what its holder was told of a tunnel's
 * underlay changed: a megaflow an offload provider holds is taken out of
 * it and offered to its tiers from the first (the provider resolves the
 * underlay again: it takes the megaflow with the new next hop, or refuses
 * it saying why and a slower tier takes it); one the datapath holds is
 * offered to the faster tiers.  Counters kept.  Returns 0, or a negative
 * errno if no tier took it (then 'mf' has been removed). */
int bridge_megaflow_replace(struct ft_bridge *, struct bridge_megaflow *mf);

/* Reads the holder's counters of the 'n' records 'mfs' in batches (one
 * read per holder) and adds what is new to each one's 'stats'. */
void bridge_megaflows_read_stats(struct ft_bridge *,
                                 struct bridge_megaflow *const mfs[],
                                 size_t n);

/* Offers 'mf' again to the tiers before its holder that were full when it
 * was placed, if room may have freed since; moves it to the first that
 * takes it.  Returns true if it moved. */
bool bridge_megaflow_retry_faster(struct ft_bridge *,
                                  struct bridge_megaflow *mf);

/* Collects the answers of the providers that batch (offload/offload.h,
 * "Batches") for the records installed since the last call: a refused
 * one goes to the next tier of its order that takes it (as when its
 * holder fails a change), with the provider's reason kept; one the
 * device kept in a slower tier is counted there.  Called after each
 * batch of upcalls and before a revalidator pass or a dump. */
void bridge_megaflows_commit(struct ft_bridge *);

/* Removes every record whose megaflow comes in on port 'port_no' and is
 * held by an offload provider (before the port leaves the providers). */
void bridge_megaflows_remove_port(struct ft_bridge *, uint32_t port_no);

/* Removes every record whose actions output to port 'port_no', whoever
 * holds it: a port closed (or closed and opened again with other
 * options) may now refuse what a tier took, or let a tier take what it
 * refused, and a tier's rule may name the port's old device.  The next
 * packet of each is an upcall, translated and placed afresh. */
void bridge_megaflows_remove_output(struct ft_bridge *, uint32_t port_no);

/* What every tier counted for 'mf', summed. */
static inline struct ft_stats
bridge_megaflow_total(const struct bridge_megaflow *mf)
{
    return ft_tier_stats_total(&mf->stats);
}

static inline struct bridge_megaflow *
bridge_megaflow_ref(struct bridge_megaflow *mf)
{
    mf->ref_cnt++;
    return mf;
}

/* Drops a reference, freeing a dead record with its last one.  NULL is a
 * no-op. */
void bridge_megaflow_unref(struct bridge_megaflow *mf);

/* Frees a reason of a record (not the shared ones). */
void bridge_megaflow_free_reason(const char *reason);

/* Policy: parses a tier-order value ("hw,kernel,user", a subset in any
 * order, no repeats) into 'order' (FT_N_TIERS entries, filled up to '*n').
 * Returns 0 or -EINVAL with 'err' naming the bad word. */
int bridge_tier_order_parse(const char *s, enum ft_tier order[FT_N_TIERS],
                            size_t *n, struct ft_error *err);

#endif /* mgmt/bridge/megaflow.h */
