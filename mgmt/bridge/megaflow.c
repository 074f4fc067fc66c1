/*
 * megaflow.c - a bridge's megaflow records, placement in tiers, and the
 * moves between tiers (see megaflow.h).
 *
 * Part of the management plane's running bridge.  It calls the bridge's
 * datapath (swpath/dpif.h) and offload providers (offload/offload.h) to
 * install, change, read and remove megaflows, and never OpenFlow code:
 * the upcall handler and revalidator (bridge-revalidator.c) translate, this
 * file places.  Runs in the daemon's main loop only.
 */
#include "mgmt/bridge/megaflow.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"
#include "mgmt/bridge/bridge-private.h"
#include "offload/offload.h"

/* The smallest table: slots for 32 megaflows. */
#define MIN_SLOTS 64

/* ---- The table. ----
 *
 * Open addressing with linear probing: each slot holds a record and its
 * match's hash.  A setup looks up a match that is almost never there, in
 * a table of up to millions of records: a probe compares hashes in the
 * slots, which share cache lines, and touches a record only when a hash
 * matches.  (With chained buckets, each record of the chain was a cache
 * miss of its own.)  At most half of the slots are used, so a miss reads
 * one or two cache lines.  Removal shifts the following entries of the run
 * back instead of leaving tombstones. */

void
bridge_megaflows_init(struct bridge_megaflows *t)
{
    memset(t, 0, sizeof *t);
    t->n_slots = MIN_SLOTS;
    t->slots = ft_xcalloc(t->n_slots, sizeof *t->slots);
}

/* Hashes the words of the key that the mask touches (a megaflow's mask
 * touches a few of the key's 20), with their positions: every flow setup
 * pays for this once. */
static uint32_t
megaflow_hash(const struct ft_match *match)
{
    const uint64_t *f = ft_flow_u64(&match->flow);
    const uint64_t *m = ft_flow_u64(&match->mask);
    uint32_t hash = 0;

    for (size_t i = 0; i < FT_FLOW_U64S; i++) {
        if (m[i]) {
            hash = ft_hash_add64(ft_hash_add(hash, i), f[i] & m[i]);
        }
    }
    return ft_hash_finish(hash, 0);
}

/* Copies 'src' into 'dst' in an array of exactly its size: a megaflow's
 * actions never grow, and most megaflows have one or two. */
static void
megaflow_set_actions(struct bridge_megaflow *mf,
                     const struct ft_dp_actions *src)
{
    if (mf->actions.allocated < src->n) {
        free(mf->actions.acts);
        mf->actions.acts = ft_xmalloc(src->n * sizeof *src->acts);
        mf->actions.allocated = src->n;
    }
    if (src->n) {
        memcpy(mf->actions.acts, src->acts, src->n * sizeof *src->acts);
    }
    mf->actions.n = src->n;
}

static void
megaflows_slot_put(struct bridge_megaflows *t, struct bridge_megaflow *mf)
{
    size_t mask = t->n_slots - 1;
    size_t i = mf->hash & mask;

    while (t->slots[i].mf) {
        i = (i + 1) & mask;
    }
    t->slots[i].hash = mf->hash;
    t->slots[i].mf = mf;
}

static void
megaflows_resize(struct bridge_megaflows *t, size_t n_slots)
{
    free(t->slots);
    t->slots = ft_xcalloc(n_slots, sizeof *t->slots);
    t->n_slots = n_slots;
    for (size_t i = 0; i < t->n; i++) {
        megaflows_slot_put(t, t->all[i]);
    }
}

/* Empties slot 'i', moving back each following entry of its run that
 * would otherwise no longer be found from its home slot. */
static void
megaflows_slot_clear(struct bridge_megaflows *t, size_t i)
{
    size_t mask = t->n_slots - 1;
    size_t j = i;

    for (;;) {
        size_t home;

        t->slots[i].mf = NULL;
        do {
            j = (j + 1) & mask;
            if (!t->slots[j].mf) {
                return;
            }
            home = t->slots[j].hash & mask;
            /* Entry 'j' stays unless its home is cyclically outside
             * (i, j]: then the hole at 'i' is on its probe path. */
        } while (i <= j ? (i < home && home <= j) : (i < home || home <= j));
        t->slots[i] = t->slots[j];
        i = j;
    }
}

/* Moves the record at 'from' in the array of every record to 'to'. */
static void
megaflows_move(struct bridge_megaflows *t, size_t from, size_t to)
{
    if (from != to) {
        t->all[to] = t->all[from];
        t->all[to]->idx = to;
    }
}

static void
megaflows_insert(struct bridge_megaflows *t, struct bridge_megaflow *mf)
{
    if (t->n >= t->allocated) {
        t->allocated = t->allocated ? 2 * t->allocated : 64;
        t->all = ft_xrealloc(t->all, t->allocated * sizeof *t->all);
    }
    mf->idx = t->n;
    t->all[t->n++] = mf;
    if (2 * t->n > t->n_slots) {
        megaflows_resize(t, 2 * t->n_slots);
    } else {
        megaflows_slot_put(t, mf);
    }
}

static void
megaflows_unlink(struct bridge_megaflows *t, struct bridge_megaflow *mf)
{
    size_t mask = t->n_slots - 1;
    size_t i = mf->hash & mask;
    size_t idx = mf->idx;

    while (t->slots[i].mf != mf) {
        i = (i + 1) & mask;
    }
    megaflows_slot_clear(t, i);

    /* A walk in progress has visited [0, cursor) and has [cursor, end)
     * left: keep it so (see bridge_megaflows_walk_next()), the hole
     * going from one range to the next until it reaches the last
     * record. */
    if (idx < t->cursor) {
        t->cursor--;
        megaflows_move(t, t->cursor, idx);
        idx = t->cursor;
    }
    if (idx < t->end) {
        t->end--;
        megaflows_move(t, t->end, idx);
        idx = t->end;
    }
    t->n--;
    t->n_removed++;
    megaflows_move(t, t->n, idx);
    if (t->n_slots > MIN_SLOTS && 8 * t->n < t->n_slots) {
        megaflows_resize(t, t->n_slots / 2);
    }
    if (t->allocated > 64 && 4 * t->n < t->allocated) {
        /* Shrinks as the slots do, so that a table a flood filled does
         * not keep its peak size. */
        t->allocated /= 2;
        t->all = ft_xrealloc(t->all, t->allocated * sizeof *t->all);
    }
}

struct bridge_megaflow *
bridge_megaflow_find(const struct ft_bridge *br, const struct ft_match *match,
                     uint32_t *hashp)
{
    const struct bridge_megaflows *t = &br->megaflows;
    uint32_t hash = megaflow_hash(match);
    size_t mask = t->n_slots - 1;

    *hashp = hash;
    for (size_t i = hash & mask; t->slots[i].mf; i = (i + 1) & mask) {
        if (t->slots[i].hash == hash
            && ft_match_equal(&t->slots[i].mf->match, match)) {
            return t->slots[i].mf;
        }
    }
    return NULL;
}

size_t
bridge_megaflows_walk_next(struct bridge_megaflows *t,
                           struct bridge_megaflow *batch[], size_t max)
{
    size_t n = 0;

    while (n < max && t->cursor < t->end) {
        batch[n++] = bridge_megaflow_ref(t->all[t->cursor++]);
    }
    return n;
}

void
bridge_megaflow_unref(struct bridge_megaflow *mf)
{
    if (mf && !--mf->ref_cnt) {
        for (size_t i = 0; i < mf->n_rules; i++) {
            ft_ofrule_unref(mf->rules[i]);
        }
        free(mf->rules);
        for (int t = 0; t < FT_N_TIERS; t++) {
            bridge_megaflow_free_reason(mf->reasons[t]);
        }
        ft_dp_actions_uninit(&mf->actions);
        free(mf);
    }
}

/* ---- Policy. ---- */

int
bridge_tier_order_parse(const char *s, enum ft_tier order[FT_N_TIERS],
                        size_t *n, struct ft_error *err)
{
    const char *p = s;

    *n = 0;
    while (*p) {
        size_t len = strcspn(p, ",");
        int tier = -1;

        for (int t = 0; t < FT_N_TIERS; t++) {
            if (len == strlen(ft_tier_name(t))
                && !strncmp(p, ft_tier_name(t), len)) {
                tier = t;
            }
        }
        if (tier < 0) {
            return ft_error_set(err, -EINVAL, "tier-order: '%.*s' is not a "
                                "tier (hw, kernel, user) in '%s'",
                                (int) len, p, s);
        }
        for (size_t i = 0; i < *n; i++) {
            if (order[i] == (enum ft_tier) tier) {
                return ft_error_set(err, -EINVAL, "tier-order: %s appears "
                                    "twice in '%s'", ft_tier_name(tier), s);
            }
        }
        order[(*n)++] = tier;
        p += len;
        if (*p == ',') {
            p++;
            if (!*p) {
                return ft_error_set(err, -EINVAL, "tier-order: '%s' ends "
                                    "with a comma", s);
            }
        }
    }
    if (!*n) {
        return ft_error_set(err, -EINVAL, "tier-order: names no tier");
    }
    return 0;
}

/* The tiers to offer 'mf' to, in order, for its input port; the
 * datapath's tier is always among them (last, if the policy leaves it
 * out).  Returns their number. */
/* The port of 'mf''s in_port if it has a policy of its own, else NULL
 * (most bridges have none: no lookup then). */
static const struct bridge_port *
megaflow_policy_port(const struct ft_bridge *br,
                     const struct bridge_megaflow *mf)
{
    return (br->port_policies && mf->match.mask.in_port
            ? bridge_port_find(br, mf->match.flow.in_port) : NULL);
}

static size_t
megaflow_tier_order(const struct ft_bridge *br,
                    const struct bridge_megaflow *mf,
                    enum ft_tier order[FT_N_TIERS])
{
    const struct bridge_port *p = megaflow_policy_port(br, mf);
    enum ft_tier dp_tier = ft_dpif_tier(br->dpif);
    size_t n;
    bool have_dp = false;

    if (p && p->n_tier_order) {
        n = p->n_tier_order;
        memcpy(order, p->tier_order, n * sizeof *order);
    } else {
        n = br->n_tier_order;
        memcpy(order, br->tier_order, n * sizeof *order);
    }
    for (size_t i = 0; i < n; i++) {
        have_dp |= order[i] == dp_tier;
    }
    if (!have_dp) {
        order[n++] = dp_tier;
    }
    return n;
}

static bool
megaflow_hw_offload(const struct ft_bridge *br,
                    const struct bridge_megaflow *mf)
{
    const struct bridge_port *p = megaflow_policy_port(br, mf);

    return p && p->hw_offload >= 0 ? p->hw_offload : br->hw_offload;
}

/* ---- Installing in one tier. ---- */

/* The reasons that are the same for many megaflows: shared, never
 * copied (most megaflows have two of them, and flow setup should not pay
 * for formatting and copying the same words each time). */
static const char reason_no_provider[] = "no offload provider";
static const char reason_hw_off[] =
    "hw-offload is off (other_config:hw-offload=true turns it on)";
static const char reason_not_in_order[] = "not in other_config:tier-order";

static bool
reason_is_shared(const char *reason)
{
    return (reason == reason_no_provider || reason == reason_hw_off
            || reason == reason_not_in_order);
}

void
bridge_megaflow_free_reason(const char *reason)
{
    if (!reason_is_shared(reason)) {
        free(CONST_CAST(char *, reason));
    }
}

/* Sets the reason 'mf' is not in 'tier' to 'reason' (a shared reason is
 * kept as it is, any other copied; NULL: none). */
static void
megaflow_set_reason(struct ft_bridge *br, struct bridge_megaflow *mf,
                    enum ft_tier tier, const char *reason)
{
    if (reason && reason != mf->reasons[tier]) {
        bridge_log_reason_once(br, tier, reason);
    }
    bridge_megaflow_free_reason(mf->reasons[tier]);
    mf->reasons[tier] = (!reason || reason_is_shared(reason) ? reason
                         : ft_xstrdup(reason));
}

/* True if 'tier' is in the tier order of 'mf'. */
static bool
megaflow_tier_listed(const struct ft_bridge *br,
                     const struct bridge_megaflow *mf, enum ft_tier tier)
{
    enum ft_tier order[FT_N_TIERS + 1];
    size_t n = megaflow_tier_order(br, mf, order);

    for (size_t i = 0; i < n; i++) {
        if (order[i] == tier) {
            return true;
        }
    }
    return false;
}

/* 'mf' was just installed in provider 'o' for tier 'tier'; the device
 * may have kept it in a slower tier (TC with neither skip flag).  Sets
 * 'mf->tier' to the tier holding it and, if that is not 'tier', 'err' to
 * why.  Returns 0, or -EOPNOTSUPP (the rule deleted again) if that tier
 * is not in the megaflow's tier order. */
static int
megaflow_note_tier(const struct ft_bridge *br, struct bridge_megaflow *mf,
                   struct ft_offload *o, struct ft_offload_flow *flow,
                   enum ft_tier tier, struct ft_error *err)
{
    enum ft_tier held = ft_offload_flow_tier(o, flow, err);
    size_t len;

    if (held == tier || megaflow_tier_listed(br, mf, held)) {
        mf->tier = held;
        return 0;
    }
    ft_offload_flow_del(o, flow, NULL);
    len = strlen(err->reason);
    snprintf(err->reason + len, sizeof err->reason - len, " (and %s is "
             "not in other_config:tier-order)", ft_tier_name(held));
    err->code = -EOPNOTSUPP;
    return -EOPNOTSUPP;
}

/* Tries to install 'mf' in tier 'tier' (not the datapath's).  Returns 0
 * with the holder set (in 'mf->tier', which may be a slower tier the
 * device chose: then 'err' says why not 'tier'), or a negative errno with
 * '*reason' saying why: a shared reason, or 'err->reason'. */
static int
megaflow_put_offload(struct ft_bridge *br, struct bridge_megaflow *mf,
                     enum ft_tier tier, struct ft_error *err,
                     const char **reason)
{
    int error = -EOPNOTSUPP;

    *reason = reason_no_provider;
    if (tier == FT_TIER_HW && !megaflow_hw_offload(br, mf)) {
        *reason = reason_hw_off;
        return -EOPNOTSUPP;
    }
    /* A provider that serves the input port and refuses says why best;
     * if none serves it, the providers' probe answers say why, together
     * ("tc: port d0 is not a kernel network device; rte_flow: ..."). */
    for (size_t i = 0; i < br->n_offloads; i++) {
        struct bridge_offload *bo = &br->offloads[i];
        struct ft_offload_flow *flow;

        if (ft_offload_tier(bo->offload) != tier
            || (mf->match.mask.in_port
                && bridge_offload_port_refusal(bo, mf->match.flow.in_port))) {
            continue;
        }
        *reason = err->reason;
        ft_error_clear(err);
        error = ft_offload_flow_put(bo->offload, &mf->match, &mf->actions,
                                    &flow, err);
        if (!error) {
            error = megaflow_note_tier(br, mf, bo->offload, flow, tier,
                                       err);
        }
        if (!error) {
            mf->offload = bo->offload;
            mf->handle.off = flow;
            return 0;
        }
        if (!err->reason[0]) {
            ft_error_set(err, error, "%s: %s", ft_offload_name(bo->offload),
                         strerror(-error));
        }
        return error;
    }
    for (size_t i = 0; i < br->n_offloads; i++) {
        const struct bridge_offload *bo = &br->offloads[i];
        const char *refusal;
        size_t len = strlen(err->reason);

        if (ft_offload_tier(bo->offload) != tier || !mf->match.mask.in_port) {
            continue;
        }
        refusal = bridge_offload_port_refusal(bo, mf->match.flow.in_port);
        if (*reason != err->reason) {
            *reason = err->reason;
            len = 0;
        }
        snprintf(err->reason + len, sizeof err->reason - len, "%s%s",
                 len ? "; " : "", refusal);
        err->code = error;
    }
    return error;
}

/* True if an offload provider of the datapath's own tier 'tier' serves
 * the input port of 'mf': TC in software in front of the kernel
 * datapath (datapath_type=system, tc-policy=skip_hw), whose misses go on
 * to that datapath. */
static bool
megaflow_tier_has_front(const struct ft_bridge *br,
                        const struct bridge_megaflow *mf, enum ft_tier tier)
{
    for (size_t i = 0; i < br->n_offloads && mf->match.mask.in_port; i++) {
        const struct bridge_offload *bo = &br->offloads[i];

        if (ft_offload_tier(bo->offload) == tier
            && bridge_offload_port_caps(bo, mf->match.flow.in_port)) {
            return true;
        }
    }
    return false;
}

static int
megaflow_put_datapath(struct ft_bridge *br, struct bridge_megaflow *mf,
                      struct ft_error *err)
{
    struct ft_dpif_flow *flow;
    int error;

    error = ft_dpif_flow_put(br->dpif, &mf->match, &mf->actions, &flow, err);
    if (!error) {
        mf->tier = ft_dpif_tier(br->dpif);
        mf->offload = NULL;
        mf->handle.dp = flow;
    }
    return error;
}

/* Remembers 'mf', just installed, if its holder batches: its answer is
 * still to come (bridge_megaflows_commit()). */
static void
megaflow_note_uncommitted(struct ft_bridge *br, struct bridge_megaflow *mf)
{
    struct bridge_megaflows *t = &br->megaflows;

    if (!mf->offload || !ft_offload_batches(mf->offload)) {
        return;
    }
    if (t->n_uncommitted >= t->allocated_uncommitted) {
        t->allocated_uncommitted = t->allocated_uncommitted
                                   ? 2 * t->allocated_uncommitted : 64;
        t->uncommitted = ft_xrealloc(t->uncommitted,
                                     t->allocated_uncommitted
                                     * sizeof *t->uncommitted);
    }
    t->uncommitted[t->n_uncommitted++] = bridge_megaflow_ref(mf);
}

/* Offers 'mf' (held nowhere) to the tiers of its order from position
 * 'from' on, until one takes it; records each refusal.  Returns 0, or the
 * last refusal's errno with 'err' saying why no tier took it. */
static int
megaflow_place(struct ft_bridge *br, struct bridge_megaflow *mf,
               size_t from, struct ft_error *err)
{
    enum ft_tier order[FT_N_TIERS + 1], dp_tier = ft_dpif_tier(br->dpif);
    size_t n = megaflow_tier_order(br, mf, order);
    char front[FT_ERROR_REASON_MAX];
    int error = -EOPNOTSUPP;

    for (int t = 0; t < FT_N_TIERS; t++) {
        bool listed = false;

        for (size_t i = 0; i < n; i++) {
            listed |= order[i] == (enum ft_tier) t;
        }
        if (!listed) {
            megaflow_set_reason(br, mf, t, reason_not_in_order);
        }
    }
    for (size_t i = from; i < n; i++) {
        enum ft_tier t = order[i];
        const char *reason = err->reason;

        ft_error_clear(err);
        front[0] = '\0';
        if (t != dp_tier) {
            error = megaflow_put_offload(br, mf, t, err, &reason);
        } else {
            /* The provider in front of the datapath first; what it
             * refuses the datapath behind it holds, and says why. */
            error = -EOPNOTSUPP;
            if (megaflow_tier_has_front(br, mf, t)) {
                error = megaflow_put_offload(br, mf, t, err, &reason);
                if (error) {
                    snprintf(front, sizeof front, "%s", reason);
                }
            }
            if (error) {
                ft_error_clear(err);
                error = megaflow_put_datapath(br, mf, err);
            }
        }
        if (!error && mf->tier != t) {
            /* The device kept it in a slower tier, and said why. */
            megaflow_set_reason(br, mf, t, err->reason);
            t = mf->tier;
        }
        if (!error) {
            megaflow_set_reason(br, mf, t, front[0] ? front : NULL);
            mf->enospc_tiers &= ~(1u << t);
            mf->last = (struct ft_stats) { 0, 0, 0 };
            br->megaflows.n_tier[t]++;
            megaflow_note_uncommitted(br, mf);
            return 0;
        }
        megaflow_set_reason(br, mf, t, reason);
        if (error == -ENOSPC) {
            mf->enospc_tiers |= 1u << t;
            mf->enospc_gen = br->room_gen;
        }
    }
    if (error && !err->reason[0]) {
        ft_error_set(err, error, "%s", mf->reasons[order[n - 1]]);
    }
    return error;
}

/* Adds 'now' (the holder's counts) to 'mf''s tier counters. */
static void
megaflow_account(struct bridge_megaflow *mf, const struct ft_stats *now)
{
    struct ft_stats *ts = &mf->stats.tier[mf->tier];

    if (now->n_packets > mf->last.n_packets) {
        ts->n_packets += now->n_packets - mf->last.n_packets;
        ts->n_bytes += now->n_bytes - mf->last.n_bytes;
    }
    if (now->used > ts->used) {
        ts->used = now->used;
    }
    mf->last = *now;
}

/* Removes 'mf' from its holder, adding the final counts.  It is then held
 * nowhere. */
static void
megaflow_uninstall(struct ft_bridge *br, struct bridge_megaflow *mf)
{
    struct ft_stats final = mf->last;
    int error;

    if (mf->offload) {
        error = ft_offload_flow_del(mf->offload, mf->handle.off, &final);
        br->room_gen++;
    } else {
        error = ft_dpif_flow_del(br->dpif, mf->handle.dp, &final);
    }
    if (!error) {
        megaflow_account(mf, &final);
    }
    br->megaflows.n_tier[mf->tier]--;
    mf->offload = NULL;
    mf->handle.dp = NULL;
    mf->last = (struct ft_stats) { 0, 0, 0 };
}

/* ---- Records. ---- */

/* Removes the records of 'mfs' held by provider 'o', in one batch. */
static void
megaflows_remove_offloaded(struct ft_bridge *br, struct ft_offload *o,
                           struct bridge_megaflow *const mfs[], size_t n)
{
    struct bridge_megaflow **mine = ft_xmalloc((n + 1) * sizeof *mine);
    struct ft_offload_flow **flows = ft_xmalloc((n + 1) * sizeof *flows);
    struct ft_stats *stats = ft_xmalloc((n + 1) * sizeof *stats);
    int *errors = ft_xmalloc((n + 1) * sizeof *errors);
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (!mfs[i]->dead && mfs[i]->offload == o) {
            mine[k] = mfs[i];
            flows[k++] = mfs[i]->handle.off;
        }
    }
    if (k) {
        ft_offload_flow_del_batch(o, flows, k, stats, errors);
        br->room_gen++;
    }
    for (size_t i = 0; i < k; i++) {
        struct bridge_megaflow *mf = mine[i];

        if (!errors[i]) {
            megaflow_account(mf, &stats[i]);
        } else {
            br->stats.n_offload_del_failed++;
        }
        br->megaflows.n_tier[mf->tier]--;
        mf->offload = NULL;
        mf->handle.dp = NULL;
        mf->last = (struct ft_stats) { 0, 0, 0 };
        megaflows_unlink(&br->megaflows, mf);
        mf->dead = true;
        bridge_megaflow_unref(mf);
    }
    free(errors);
    free(stats);
    free(flows);
    free(mine);
}

void
bridge_megaflows_remove_many(struct ft_bridge *br,
                             struct bridge_megaflow *const mfs[], size_t n)
{
    for (size_t h = 0; h < br->n_offloads; h++) {
        megaflows_remove_offloaded(br, br->offloads[h].offload, mfs, n);
    }
    for (size_t i = 0; i < n; i++) {
        bridge_megaflow_remove(br, mfs[i]);     /* No-op if dead. */
    }
}

struct bridge_megaflow *
bridge_megaflow_create(struct ft_bridge *br, const struct ft_match *match,
                       uint32_t hash,
                       const struct ft_dp_actions *actions, long long int now,
                       struct ft_error *err)
{
    struct bridge_megaflow *mf = ft_xcalloc(1, sizeof *mf);

    mf->match = *match;
    ft_match_normalize(&mf->match);
    ft_dp_actions_init(&mf->actions);
    megaflow_set_actions(mf, actions);
    mf->created = now;
    mf->hash = hash;
    mf->ref_cnt = 1;
    if (megaflow_place(br, mf, 0, err)) {
        bridge_megaflow_unref(mf);
        return NULL;
    }
    mf->underlay_gen = br->underlay.gen;
    megaflows_insert(&br->megaflows, mf);
    return mf;
}

struct bridge_megaflow *
bridge_megaflow_adopt(struct ft_bridge *br, const struct ft_match *match,
                      const struct ft_dp_actions *actions,
                      struct ft_dpif_flow *handle,
                      const struct ft_stats *stats, long long int now)
{
    struct bridge_megaflow *mf;
    struct ft_match m = *match;
    uint32_t hash;

    ft_match_normalize(&m);
    if (bridge_megaflow_find(br, &m, &hash)) {
        return NULL;
    }
    mf = ft_xcalloc(1, sizeof *mf);
    mf->match = m;
    ft_dp_actions_init(&mf->actions);
    megaflow_set_actions(mf, actions);
    mf->created = now;
    mf->hash = hash;
    mf->ref_cnt = 1;
    mf->adopted = true;
    mf->tier = ft_dpif_tier(br->dpif);
    mf->handle.dp = handle;
    mf->stats.tier[mf->tier] = *stats;
    mf->last = *stats;
    mf->credited_packets[mf->tier] = stats->n_packets;
    mf->credited_bytes[mf->tier] = stats->n_bytes;
    br->megaflows.n_tier[mf->tier]++;
    megaflows_insert(&br->megaflows, mf);
    return mf;
}

void
bridge_megaflow_remove(struct ft_bridge *br, struct bridge_megaflow *mf)
{
    if (mf->dead) {
        return;
    }
    megaflow_uninstall(br, mf);
    megaflows_unlink(&br->megaflows, mf);
    mf->dead = true;
    bridge_megaflow_unref(mf);
}

void
bridge_megaflows_destroy(struct ft_bridge *br)
{
    struct bridge_megaflows *t = &br->megaflows;

    while (t->n) {
        bridge_megaflow_remove(br, t->all[t->n - 1]);
    }
    for (size_t i = 0; i < t->n_uncommitted; i++) {
        bridge_megaflow_unref(t->uncommitted[i]);
    }
    free(t->uncommitted);
    free(t->slots);
    free(t->all);
    memset(t, 0, sizeof *t);
}

/* The position of 'tier' in the 'n' tiers 'order', or 'n'. */
static size_t
megaflow_tier_pos(const enum ft_tier order[], size_t n, enum ft_tier tier)
{
    for (size_t i = 0; i < n; i++) {
        if (order[i] == tier) {
            return i;
        }
    }
    return n;
}

/* The position of 'mf''s holding tier in its tier order. */
static size_t
megaflow_order_pos(const struct ft_bridge *br,
                   const struct bridge_megaflow *mf)
{
    enum ft_tier order[FT_N_TIERS + 1];
    size_t n = megaflow_tier_order(br, mf, order);

    return megaflow_tier_pos(order, n, mf->tier);
}

/* After its holder took new actions for 'mf': the device may have put
 * the rule in another tier (TC with neither skip flag decides again). */
static void
megaflow_refresh_tier(struct ft_bridge *br, struct bridge_megaflow *mf)
{
    enum ft_tier own = ft_offload_tier(mf->offload), now;
    struct ft_error why;

    ft_error_clear(&why);
    now = ft_offload_flow_tier(mf->offload, mf->handle.off, &why);
    if (now == mf->tier) {
        return;
    }
    br->megaflows.n_tier[mf->tier]--;
    br->megaflows.n_tier[now]++;
    mf->tier = now;
    megaflow_set_reason(br, mf, now, NULL);
    megaflow_set_reason(br, mf, own, now != own ? why.reason : NULL);
}

/* Offers 'mf' to the tiers before its holder in its order (only those
 * that were full, if 'only_full'), and moves it to the first that takes
 * it: installed there first, then taken out of the slower tier, so a
 * packet meanwhile is counted by whichever tier saw it.  Records each
 * refusal.  Returns true if it moved. */
static bool
megaflow_move_faster(struct ft_bridge *br, struct bridge_megaflow *mf,
                     bool only_full)
{
    enum ft_tier order[FT_N_TIERS + 1];
    size_t n = megaflow_tier_order(br, mf, order);
    size_t pos = megaflow_order_pos(br, mf);

    for (size_t i = 0; i < pos && i < n; i++) {
        enum ft_tier t = order[i];
        struct bridge_megaflow trial;
        const char *reason;
        struct ft_error err;
        int error;

        if ((only_full && !(mf->enospc_tiers & (1u << t)))
            || (mf->offload && ft_offload_tier(mf->offload) == t)) {
            /* A holder that serves 't' and kept it slower decides again
             * when the megaflow changes. */
            continue;
        }
        trial = *mf;
        ft_error_clear(&err);
        error = megaflow_put_offload(br, &trial, t, &err, &reason);
        if (!error && trial.tier != t
            && megaflow_tier_pos(order, n, trial.tier) >= pos) {
            /* The device kept it no faster than where it is. */
            ft_offload_flow_del(trial.offload, trial.handle.off, NULL);
            megaflow_set_reason(br, mf, t, err.reason);
            continue;
        }
        if (!error) {
            megaflow_uninstall(br, mf);
            megaflow_set_reason(br, mf, t, trial.tier != t ? err.reason
                                                           : NULL);
            mf->tier = trial.tier;
            mf->offload = trial.offload;
            mf->handle = trial.handle;
            mf->last = (struct ft_stats) { 0, 0, 0 };
            mf->enospc_tiers &= ~(1u << t);
            megaflow_set_reason(br, mf, mf->tier, NULL);
            br->megaflows.n_tier[mf->tier]++;
            megaflow_note_uncommitted(br, mf);
            return true;
        }
        megaflow_set_reason(br, mf, t, reason);
        if (error == -ENOSPC) {
            mf->enospc_tiers |= 1u << t;
        } else {
            mf->enospc_tiers &= ~(1u << t);
        }
    }
    return false;
}

int
bridge_megaflow_modify(struct ft_bridge *br, struct bridge_megaflow *mf,
                       const struct ft_dp_actions *actions)
{
    struct ft_error err;
    size_t pos;
    int error;

    /* New actions may be what a faster tier refused before. */
    megaflow_set_actions(mf, actions);
    if (megaflow_move_faster(br, mf, false)) {
        return 0;
    }
    ft_error_clear(&err);
    error = (mf->offload
             ? ft_offload_flow_modify(mf->offload, mf->handle.off, actions,
                                      &err)
             : ft_dpif_flow_modify(br->dpif, mf->handle.dp, actions, &err));
    if (!error) {
        if (mf->offload) {
            megaflow_refresh_tier(br, mf);
            /* A provider that batches answers at commit. */
            megaflow_note_uncommitted(br, mf);
        }
        return 0;
    }

    /* The holder cannot take the new actions: it loses the megaflow, which
     * goes to the next tier that takes it, its counters kept. */
    pos = megaflow_order_pos(br, mf);
    megaflow_set_reason(br, mf, mf->tier, err.reason[0] ? err.reason
                                                    : strerror(-error));
    megaflow_uninstall(br, mf);
    error = megaflow_place(br, mf, pos + 1, &err);
    if (error) {
        /* Held nowhere: forget it; the next packet makes it again. */
        megaflows_unlink(&br->megaflows, mf);
        mf->dead = true;
        bridge_megaflow_unref(mf);
    }
    return error;
}

int
bridge_megaflow_replace(struct ft_bridge *br, struct bridge_megaflow *mf)
{
    struct ft_error err;
    int error;

    if (!mf->offload) {
        megaflow_move_faster(br, mf, false);
        return 0;
    }
    megaflow_uninstall(br, mf);
    ft_error_clear(&err);
    error = megaflow_place(br, mf, 0, &err);
    if (error) {
        /* Held nowhere: forget it; the next packet makes it again. */
        megaflows_unlink(&br->megaflows, mf);
        mf->dead = true;
        bridge_megaflow_unref(mf);
    }
    return error;
}

bool
bridge_megaflow_retry_faster(struct ft_bridge *br, struct bridge_megaflow *mf)
{
    bool moved;

    if (!mf->enospc_tiers || mf->enospc_gen == br->room_gen) {
        return false;
    }
    moved = megaflow_move_faster(br, mf, true);
    mf->enospc_gen = br->room_gen;
    return moved;
}

void
bridge_megaflows_remove_port(struct ft_bridge *br, uint32_t port_no)
{
    struct bridge_megaflows *t = &br->megaflows;

    for (size_t i = 0; i < t->n;) {
        struct bridge_megaflow *mf = t->all[i];

        if (mf->offload && mf->match.mask.in_port
            && mf->match.flow.in_port == port_no) {
            bridge_megaflow_remove(br, mf);     /* Moves another to 'i'. */
        } else {
            i++;
        }
    }
}

static bool
megaflow_outputs_to(const struct bridge_megaflow *mf, uint32_t port_no)
{
    for (size_t i = 0; i < mf->actions.n; i++) {
        if (mf->actions.acts[i].type == FT_DPA_OUTPUT
            && mf->actions.acts[i].port == port_no) {
            return true;
        }
    }
    return false;
}

void
bridge_megaflows_remove_output(struct ft_bridge *br, uint32_t port_no)
{
    struct bridge_megaflows *t = &br->megaflows;

    for (size_t i = 0; i < t->n;) {
        struct bridge_megaflow *mf = t->all[i];

        if (megaflow_outputs_to(mf, port_no)) {
            bridge_megaflow_remove(br, mf);     /* Moves another to 'i'. */
        } else {
            i++;
        }
    }
}

/* ---- Batches. ---- */

/* A put the provider refused, with its reason. */
struct commit_refusal {
    struct bridge_megaflow *mf;     /* Referenced. */
    enum ft_tier tier;              /* The tier it was in. */
    int error;
    char *reason;                   /* Owned. */
};

/* A record of the list and its handle at the commit's start (a refusal
 * clears the record's). */
struct commit_entry {
    uintptr_t handle;
    struct bridge_megaflow *mf;
};

struct commit_ctx {
    struct ft_bridge *br;
    struct ft_offload *offload;
    struct bridge_megaflow **list;  /* The uncommitted records. */
    size_t n;
    /* The live records of 'list' that 'offload' holds, sorted by handle,
     * made at the provider's first refusal (a commit without one pays
     * nothing): a refusal finds its record in O(log n), where a walk of
     * 'list' for each made a commit of N refusals cost N * N / 2 steps
     * (32,000 refusals: 2.5 s of one callback of the loop). */
    struct commit_entry *by_handle; /* NULL until a commit needs it. */
    size_t n_by_handle;
    bool indexed;                   /* 'by_handle' is 'offload''s. */
    struct commit_refusal *refused;
    size_t n_refused, allocated_refused;
};

static int
commit_compare_handles(const void *a_, const void *b_)
{
    uintptr_t a = ((const struct commit_entry *) a_)->handle;
    uintptr_t b = ((const struct commit_entry *) b_)->handle;

    return a < b ? -1 : a > b;
}

/* Indexes the records of 'ctx''s list that its provider holds. */
static void
commit_index(struct commit_ctx *ctx)
{
    if (!ctx->by_handle) {
        ctx->by_handle = ft_xmalloc(ctx->n * sizeof *ctx->by_handle);
    }
    ctx->indexed = true;
    ctx->n_by_handle = 0;
    for (size_t i = 0; i < ctx->n; i++) {
        struct bridge_megaflow *mf = ctx->list[i];

        if (!mf->dead && mf->offload == ctx->offload) {
            ctx->by_handle[ctx->n_by_handle].handle
                = (uintptr_t) mf->handle.off;
            ctx->by_handle[ctx->n_by_handle++].mf = mf;
        }
    }
    qsort(ctx->by_handle, ctx->n_by_handle, sizeof *ctx->by_handle,
          commit_compare_handles);
}

/* The record of 'ctx''s list whose handle is 'flow', or NULL. */
static struct bridge_megaflow *
commit_find(const struct commit_ctx *ctx, const struct ft_offload_flow *flow)
{
    size_t lo = 0, hi = ctx->n_by_handle;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ctx->by_handle[mid].handle < (uintptr_t) flow) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (lo < ctx->n_by_handle
            && ctx->by_handle[lo].handle == (uintptr_t) flow
            ? ctx->by_handle[lo].mf : NULL);
}

/* The provider refused the put of 'flow': its record is held nowhere
 * from now on (the handle dies on return). */
static void
commit_failed_cb(void *ctx_, struct ft_offload_flow *flow, int error,
                 const char *reason)
{
    struct commit_ctx *ctx = ctx_;
    struct bridge_megaflow *mf;
    struct commit_refusal *r;

    if (!ctx->indexed) {
        commit_index(ctx);
    }
    mf = commit_find(ctx, flow);
    if (!mf || mf->dead || mf->offload != ctx->offload
        || mf->handle.off != flow) {
        return;
    }
    if (ctx->n_refused >= ctx->allocated_refused) {
        ctx->allocated_refused = (ctx->allocated_refused
                                  ? 2 * ctx->allocated_refused : 16);
        ctx->refused = ft_xrealloc(ctx->refused, ctx->allocated_refused
                                                 * sizeof *ctx->refused);
    }
    r = &ctx->refused[ctx->n_refused++];
    r->mf = bridge_megaflow_ref(mf);
    r->tier = mf->tier;
    r->error = error;
    r->reason = ft_xstrdup(reason ? reason : strerror(-error));
    ctx->br->megaflows.n_tier[mf->tier]--;
    ctx->br->room_gen++;
    mf->offload = NULL;
    mf->handle.dp = NULL;
}

/* Places a refused record again, from the tier after the one that
 * refused it; forgets it if no tier takes it. */
static void
commit_replace(struct ft_bridge *br, struct commit_refusal *r)
{
    struct bridge_megaflow *mf = r->mf;
    enum ft_tier order[FT_N_TIERS + 1];
    size_t n = megaflow_tier_order(br, mf, order);
    struct ft_error err;

    megaflow_set_reason(br, mf, r->tier, r->reason);
    if (r->error == -ENOSPC) {
        mf->enospc_tiers |= 1u << r->tier;
        mf->enospc_gen = br->room_gen;
    }
    ft_error_clear(&err);
    if (megaflow_place(br, mf, megaflow_tier_pos(order, n, r->tier) + 1,
                       &err)) {
        megaflows_unlink(&br->megaflows, mf);
        mf->dead = true;
        bridge_megaflow_unref(mf);
    }
}

/* 'mf', committed, is held in a tier its order does not list (the
 * device kept it slower): out of it, and placed after its provider's
 * tier, with both reasons. */
static void
commit_unlisted(struct ft_bridge *br, struct bridge_megaflow *mf)
{
    enum ft_tier own = ft_offload_tier(mf->offload);
    char reason[FT_ERROR_REASON_MAX];
    struct commit_refusal r;

    snprintf(reason, sizeof reason, "%s (and %s is not in "
             "other_config:tier-order)",
             mf->reasons[own] ? mf->reasons[own] : ft_offload_name(mf->offload),
             ft_tier_name(mf->tier));
    megaflow_uninstall(br, mf);
    r.mf = mf;
    r.tier = own;
    r.error = -EOPNOTSUPP;
    r.reason = reason;
    commit_replace(br, &r);
}

void
bridge_megaflows_commit(struct ft_bridge *br)
{
    struct bridge_megaflows *t = &br->megaflows;
    struct commit_ctx ctx;

    if (!t->n_uncommitted) {
        return;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.br = br;
    ctx.list = t->uncommitted;
    ctx.n = t->n_uncommitted;
    t->uncommitted = NULL;          /* Puts made below start a new list. */
    t->n_uncommitted = t->allocated_uncommitted = 0;
    for (size_t i = 0; i < br->n_offloads; i++) {
        ctx.offload = br->offloads[i].offload;
        if (ft_offload_batches(ctx.offload)) {
            ctx.indexed = false;
            ft_offload_commit(ctx.offload, commit_failed_cb, &ctx);
        }
    }
    free(ctx.by_handle);
    for (size_t i = 0; i < ctx.n_refused; i++) {
        if (!ctx.refused[i].mf->dead) {
            commit_replace(br, &ctx.refused[i]);
        }
        bridge_megaflow_unref(ctx.refused[i].mf);
        free(ctx.refused[i].reason);
    }
    for (size_t i = 0; i < ctx.n; i++) {
        struct bridge_megaflow *mf = ctx.list[i];

        if (!mf->dead && mf->offload) {
            megaflow_refresh_tier(br, mf);
            if (!megaflow_tier_listed(br, mf, mf->tier)) {
                commit_unlisted(br, mf);
            }
        }
        bridge_megaflow_unref(mf);
    }
    free(ctx.refused);
    free(ctx.list);
}

/* ---- Counters. ---- */

/* Megaflows of the datapath read per call: their counters are in memory,
 * so small batches keep the arrays on the stack.  A provider gets every
 * megaflow it holds among those asked about in one call: its read may be
 * a dump of a whole port (TC). */
#define DP_STATS_BATCH 256

/* The megaflows of each provider among those asked about. */
struct stats_group {
    struct ft_offload_flow **flows;
    struct bridge_megaflow **batch;
    size_t n;
};

/* Reads the datapath's counters of the 'k' megaflows 'batch'. */
static void
read_dp_stats(struct ft_bridge *br, struct bridge_megaflow *const batch[],
              struct ft_dpif_flow *const flows[], size_t k)
{
    struct ft_stats stats[DP_STATS_BATCH];

    if (!ft_dpif_flow_stats(br->dpif, flows, k, stats)) {
        for (size_t j = 0; j < k; j++) {
            megaflow_account(batch[j], &stats[j]);
        }
    }
}

void
bridge_megaflows_read_stats(struct ft_bridge *br,
                            struct bridge_megaflow *const mfs[], size_t n)
{
    struct ft_dpif_flow *dp_flows[DP_STATS_BATCH];
    struct bridge_megaflow *dp_batch[DP_STATS_BATCH];
    struct stats_group by[FT_BRIDGE_MAX_OFFLOADS];
    size_t k = 0;

    /* One pass over the records (each is touched once: they are many and
     * large), the datapath's read as it goes, the providers' grouped. */
    memset(by, 0, sizeof by);
    for (size_t i = 0; i < n; i++) {
        struct bridge_megaflow *mf = mfs[i];
        size_t h;

        if (mf->dead) {
            continue;
        } else if (!mf->offload) {
            dp_batch[k] = mf;
            dp_flows[k++] = mf->handle.dp;
            if (k == DP_STATS_BATCH) {
                read_dp_stats(br, dp_batch, dp_flows, k);
                k = 0;
            }
            continue;
        }
        for (h = 0; br->offloads[h].offload != mf->offload; h++) {
            continue;
        }
        if (!by[h].batch) {
            by[h].batch = ft_xmalloc((n - i) * sizeof *by[h].batch);
            by[h].flows = ft_xmalloc((n - i) * sizeof *by[h].flows);
        }
        by[h].batch[by[h].n] = mf;
        by[h].flows[by[h].n++] = mf->handle.off;
    }
    if (k) {
        read_dp_stats(br, dp_batch, dp_flows, k);
    }
    for (size_t h = 0; h < br->n_offloads; h++) {
        struct ft_stats *stats;

        if (!by[h].n) {
            continue;
        }
        stats = ft_xmalloc(by[h].n * sizeof *stats);
        if (!ft_offload_flow_stats(br->offloads[h].offload, by[h].flows,
                                   by[h].n, stats)) {
            for (size_t j = 0; j < by[h].n; j++) {
                megaflow_account(by[h].batch[j], &stats[j]);
            }
        }
        free(stats);
        free(by[h].flows);
        free(by[h].batch);
    }
}
