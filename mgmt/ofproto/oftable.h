/*
 * oftable.h - a bridge's OpenFlow tables: rules with cookies, timeouts and
 * counters, and the flow-mod operations over them.
 *
 * 'struct ft_oftables' holds FT_N_TABLES classifiers.  Each rule
 * ('struct ft_ofrule') owns a copy of its flow spec.  Operations follow
 * OpenFlow 1.3 flow-mod semantics, as ovs-ofctl users know them:
 *
 *   add            replaces a rule with identical match and priority in the
 *                  same table (counters reset), else inserts.
 *   modify         non-strict: every rule at least as specific as the
 *                  match (table ALL allowed), cookie-filtered, gets the new
 *                  actions; counters kept.  If nothing matched, no-op.
 *   modify strict  the one rule with identical match and priority.
 *   delete         non-strict / strict likewise, cookie-filtered.
 *
 * Every modification bumps 'version', which the revalidator compares to
 * know that megaflows must be re-translated.  Rules are reference-counted
 * so that translation results may name them after a delete
 * (ft_ofrule_ref/unref); a removed rule has 'removed' set.
 *
 * Not thread-safe; the daemon's main loop owns it.
 */
#ifndef FLOWTIER_MGMT_OFTABLE_H
#define FLOWTIER_MGMT_OFTABLE_H 1

#include <stdbool.h>
#include <stdint.h>

#include "flowtier/error.h"
#include "flowtier/stats.h"
#include "mgmt/ofproto/classifier.h"
#include "mgmt/flowsyntax/ofp-flow.h"

struct ft_ofrule {
    struct ft_cls_rule cr;          /* cr.match points to spec.match. */
    struct ft_flow_spec spec;       /* Table, priority, cookie, actions. */
    struct ft_stats stats;          /* Credited by the revalidator/xlate. */
    struct {                        /* Of 'stats', what the hw and kernel */
        uint64_t n_packets;         /* tiers counted (the rest is the */
        uint64_t n_bytes;           /* user tier's). */
    } faster[FT_TIER_USER];
    long long int created;          /* ms, for 'duration' and hard_timeout. */
    long long int modified;         /* ms, last add/modify. */
    long long int used;             /* ms, last hit, for idle_timeout. */
    unsigned int ref_cnt;
    bool removed;
};

struct ft_oftables {
    struct ft_classifier tables[FT_N_TABLES];
    uint64_t version;               /* Bumped on every change. */
    size_t n_rules;
};

void ft_oftables_init(struct ft_oftables *);
/* Removes and unrefs every rule, frees everything. */
void ft_oftables_destroy(struct ft_oftables *);

/* Applies one flow mod of kind 'cmd' (see ofp-flow.h) at time 'now' (ms).
 * Returns the number of rules added, modified or deleted (>= 0), or a
 * negative errno with 'err' filled (e.g. -EINVAL for table 255 on add). */
int ft_oftables_apply(struct ft_oftables *, enum ft_flow_cmd cmd,
                      const struct ft_flow_spec *spec, long long int now,
                      struct ft_error *err);

/* ft_oftables_apply() of FT_FLOW_ADD that also tells which rule it made,
 * in '*addedp' (the tables hold it; no reference for the caller), and,
 * if 'replacedp' is nonnull, the rule of identical match and priority it
 * replaced in '*replacedp' (removed, with the reference the tables held,
 * which the caller now owns), else NULL.  Either pointer may be NULL.
 * Returns 1 or a negative errno with 'err' filled (then neither is
 * set). */
int ft_oftables_add(struct ft_oftables *, const struct ft_flow_spec *spec,
                    long long int now, struct ft_ofrule **addedp,
                    struct ft_ofrule **replacedp, struct ft_error *err);

/* Looks 'flow' up in table 'table_id'; see ft_cls_lookup() for 'wc'. */
struct ft_ofrule *ft_oftables_lookup(const struct ft_oftables *,
                                     uint8_t table_id,
                                     const struct ft_flow *flow,
                                     struct ft_flow *wc);

/* Removes rules whose idle or hard timeout has passed at 'now' (ms).
 * Returns how many were removed. */
size_t ft_oftables_expire(struct ft_oftables *, long long int now);

/* Calls 'cb' for every rule in table order, then priority order
 * (descending), for dump-flows.  'table_id' may be FT_TABLE_ALL;
 * 'target' may be NULL (all rules) or a non-strict match filter; a nonzero
 * 'cookie_mask' filters on cookie. */
void ft_oftables_dump(const struct ft_oftables *, uint8_t table_id,
                      const struct ft_match *target, uint64_t cookie,
                      uint64_t cookie_mask,
                      void (*cb)(const struct ft_ofrule *, void *aux),
                      void *aux);

void ft_ofrule_ref(struct ft_ofrule *);
/* Frees the rule when the last reference goes; NULL is a no-op. */
void ft_ofrule_unref(struct ft_ofrule *);

/* Credits a hit of 'n_packets' / 'n_bytes' at 'now' (ms), counted in the
 * user tier. */
void ft_ofrule_credit(struct ft_ofrule *, uint64_t n_packets,
                      uint64_t n_bytes, long long int now);

/* The same, counted in tier 'tier'. */
void ft_ofrule_credit_tier(struct ft_ofrule *, enum ft_tier tier,
                           uint64_t n_packets, uint64_t n_bytes,
                           long long int now);

/* What each tier counted of the rule's 'stats' (which is their sum). */
void ft_ofrule_tier_stats(const struct ft_ofrule *, struct ft_tier_stats *);

#endif /* mgmt/ofproto/oftable.h */
