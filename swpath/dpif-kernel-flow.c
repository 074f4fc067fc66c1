/*
 * dpif-kernel-flow.c - the megaflows of the kernel datapath class
 * (dpif-kernel.c): a handle per megaflow the module holds (its id, the
 * match and actions it was given, the counters of its upcalled packets)
 * in a hash table by id; putting, modifying and deleting megaflows;
 * their counters, read from the module in batches; dumps.
 *
 * Part of the software datapath, in swpath/ beside dpif-kernel.c
 * (dpif-kernel-private.h).  It touches the handles of the datapath object
 * it is given and the datapath's request socket, nothing else.
 */
#include "dpif-kernel-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"

/* ---- Megaflow handles, by id. ---- */

static struct ft_dpif_flow **
flow_bucket(const struct dpif_kernel *dk, uint32_t id)
{
    return &dk->buckets[ft_hash_finish(id, 0) & (dk->n_buckets - 1)];
}

static void
flows_grow(struct dpif_kernel *dk)
{
    struct ft_dpif_flow **old = dk->buckets;
    size_t n_old = dk->n_buckets;

    dk->n_buckets = n_old ? n_old * 2 : 64;
    dk->buckets = ft_xcalloc(dk->n_buckets, sizeof *dk->buckets);
    for (size_t i = 0; i < n_old; i++) {
        struct ft_dpif_flow *f, *next;

        for (f = old[i]; f; f = next) {
            struct ft_dpif_flow **b = flow_bucket(dk, f->id);

            next = f->next;
            f->next = *b;
            *b = f;
        }
    }
    free(old);
}

static struct ft_dpif_flow *
flow_find(const struct dpif_kernel *dk, uint32_t id)
{
    struct ft_dpif_flow *f;

    if (!dk->n_buckets) {
        return NULL;
    }
    for (f = *flow_bucket(dk, id); f && f->id != id; f = f->next) {
        continue;
    }
    return f;
}

void
flow_insert(struct dpif_kernel *dk, struct ft_dpif_flow *f)
{
    struct ft_dpif_flow **b;

    if (dk->n_flows >= dk->n_buckets) {
        flows_grow(dk);
    }
    b = flow_bucket(dk, f->id);
    f->next = *b;
    *b = f;
    dk->n_flows++;
}

static void
flow_remove(struct dpif_kernel *dk, struct ft_dpif_flow *f)
{
    struct ft_dpif_flow **p;

    for (p = flow_bucket(dk, f->id); *p != f; p = &(*p)->next) {
        continue;
    }
    *p = f->next;
    dk->n_flows--;
    ft_dp_actions_uninit(&f->actions);
    free(f);
}

void
flows_clear(struct dpif_kernel *dk)
{
    for (size_t i = 0; i < dk->n_buckets; i++) {
        while (dk->buckets[i]) {
            flow_remove(dk, dk->buckets[i]);
        }
    }
}

/* ---- Megaflows. ---- */

/* The module extracts no OpenFlow metadata or registers: they are zero in
 * every key it looks up, so a megaflow that matches them as zero matches
 * the same packets with them wildcarded.  (It extracts the tunnel fields
 * of a vxlan port's packets, zero for the others'.) */
static int
dk_kernel_mask(const struct ft_match *match, struct ft_flow *mask,
               struct ft_error *err)
{
    const struct ft_flow *k = &match->flow;
    bool nonzero = k->metadata;

    for (int i = 0; i < FT_N_REGS; i++) {
        nonzero = nonzero || k->regs[i];
    }
    if (nonzero) {
        return ft_error_set(err, -EOPNOTSUPP, "kernel datapath: the "
                            "megaflow matches OpenFlow metadata or "
                            "registers other than zero");
    }
    *mask = match->mask;
    mask->metadata = 0;
    memset(mask->regs, 0, sizeof mask->regs);
    return 0;
}

static int
flow_reply_id(struct nlattr **attrs, void *aux)
{
    uint32_t *id = aux;

    if (!attrs[FT_KDP_FLOW_ATTR_ID]) {
        return -EPROTO;
    }
    *id = nla_get_u32(attrs[FT_KDP_FLOW_ATTR_ID]);
    return 0;
}

static struct ft_dpif_flow *
flow_find_match(const struct dpif_kernel *dk, const struct ft_match *match)
{
    for (size_t i = 0; i < dk->n_buckets; i++) {
        for (struct ft_dpif_flow *f = dk->buckets[i]; f; f = f->next) {
            if (ft_match_equal(&f->match, match)) {
                return f;
            }
        }
    }
    return NULL;
}

int
dk_flow_put(struct ft_dpif *dpif, const struct ft_match *match,
            const struct ft_dp_actions *actions,
            struct ft_dpif_flow **flowp, struct ft_error *err)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    struct ft_dpif_flow *f;
    struct ft_flow mask;
    struct nl_msg *msg;
    uint32_t id = 0;
    int error;

    *flowp = NULL;
    error = dk_kernel_mask(match, &mask, err);
    if (error) {
        return error;
    }
    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_flow, FT_KDP_FLOW_CMD_NEW, 0,
                        dk->dpname);
    error = ft_kdp_nl_put_actions(msg, FT_KDP_FLOW_ATTR_ACTIONS, actions,
                                  err);
    if (error) {
        nlmsg_free(msg);
        return error;
    }
    nla_put(msg, FT_KDP_FLOW_ATTR_KEY, sizeof match->flow, &match->flow);
    nla_put(msg, FT_KDP_FLOW_ATTR_MASK, sizeof mask, &mask);
    error = ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_FLOW_ATTR_MAX,
                               flow_reply_id, &id, "kernel datapath", err);
    if (error) {
        if (error == -EEXIST) {
            *flowp = flow_find_match(dk, match);
        }
        return error;
    }
    f = ft_xcalloc(1, sizeof *f);
    f->id = id;
    f->match = *match;
    ft_dp_actions_init(&f->actions);
    ft_dp_actions_copy(&f->actions, actions);
    flow_insert(dk, f);
    *flowp = f;
    return 0;
}

int
dk_flow_modify(struct ft_dpif *dpif, struct ft_dpif_flow *flow,
               const struct ft_dp_actions *actions, struct ft_error *err)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    struct nl_msg *msg;
    int error;

    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_flow, FT_KDP_FLOW_CMD_SET, 0,
                        dk->dpname);
    nla_put_u32(msg, FT_KDP_FLOW_ATTR_ID, flow->id);
    error = ft_kdp_nl_put_actions(msg, FT_KDP_FLOW_ATTR_ACTIONS, actions,
                                  err);
    if (error) {
        nlmsg_free(msg);
        return error;
    }
    error = ft_kdp_nl_transact(&dk->nl, msg, 0, NULL, NULL,
                               "kernel datapath", err);
    if (!error) {
        ft_dp_actions_copy(&flow->actions, actions);
    }
    return error;
}

/* The module's counters of a megaflow plus those of its upcalled packets. */
static void
flow_stats_merge(const struct ft_dpif_flow *f,
                 const struct ft_kdp_flow_stats *ks, long long int now,
                 struct ft_stats *out)
{
    out->n_packets = ks->packets + f->extra.n_packets;
    out->n_bytes = ks->bytes + f->extra.n_bytes;
    out->used = ks->used_ms == UINT64_MAX ? 0
                : now - (long long int) ks->used_ms;
    if (f->extra.used > out->used) {
        out->used = f->extra.used;
    }
}

static int
flow_reply_stats(struct nlattr **attrs, void *aux)
{
    struct ft_kdp_flow_stats *ks = aux;
    struct nlattr *a = attrs[FT_KDP_FLOW_ATTR_STATS];

    if (!a || nla_len(a) < (int) sizeof *ks) {
        return -EPROTO;
    }
    memcpy(ks, nla_data(a), sizeof *ks);
    return 0;
}

int
dk_flow_del(struct ft_dpif *dpif, struct ft_dpif_flow *flow,
            struct ft_stats *stats)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    struct ft_kdp_flow_stats ks = { 0, 0, UINT64_MAX };
    struct nl_msg *msg;
    int error;

    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_flow, FT_KDP_FLOW_CMD_DEL, 0,
                        dk->dpname);
    nla_put_u32(msg, FT_KDP_FLOW_ATTR_ID, flow->id);
    error = ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_FLOW_ATTR_MAX,
                               flow_reply_stats, &ks, "kernel datapath",
                               NULL);
    if (stats) {
        flow_stats_merge(flow, &ks, dk_time_msec(), stats);
    }
    flow_remove(dk, flow);
    return error == -ENOENT ? 0 : error;
}

struct stats_batch {
    struct ft_stats *out;
    struct ft_dpif_flow *const *flows;
    size_t n;
    long long int now;
};

static int
flow_reply_stats_array(struct nlattr **attrs, void *aux)
{
    struct stats_batch *b = aux;
    struct nlattr *a = attrs[FT_KDP_FLOW_ATTR_STATS_ARRAY];
    const struct ft_kdp_flow_stats *ks;

    if (!a || (size_t) nla_len(a) != b->n * sizeof *ks) {
        return -EPROTO;
    }
    ks = nla_data(a);
    for (size_t i = 0; i < b->n; i++) {
        flow_stats_merge(b->flows[i], &ks[i], b->now, &b->out[i]);
    }
    return 0;
}

int
dk_flow_stats(struct ft_dpif *dpif, struct ft_dpif_flow *const flows[],
              size_t n, struct ft_stats stats[])
{
    struct dpif_kernel *dk = dk_cast(dpif);
    uint32_t ids[FT_KDP_STATS_BATCH];

    for (size_t done = 0; done < n; ) {
        size_t k = n - done < FT_KDP_STATS_BATCH ? n - done
                                                  : FT_KDP_STATS_BATCH;
        struct stats_batch b = { &stats[done], &flows[done], k,
                                 dk_time_msec() };
        struct nl_msg *msg;
        int error;

        for (size_t i = 0; i < k; i++) {
            ids[i] = flows[done + i]->id;
        }
        msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_flow,
                            FT_KDP_FLOW_CMD_STATS, 0, dk->dpname);
        nla_put(msg, FT_KDP_FLOW_ATTR_IDS, (int) (k * sizeof ids[0]), ids);
        error = ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_FLOW_ATTR_MAX,
                                   flow_reply_stats_array, &b,
                                   "kernel datapath", NULL);
        if (error) {
            return error;
        }
        done += k;
    }
    return 0;
}

int
flow_dump_one(struct nlattr **attrs, void *aux)
{
    struct dump_ctx *c = aux;
    struct ft_kdp_flow_stats ks;
    struct ft_dpif_flow_info info;
    struct ft_dpif_flow *f;

    if (!attrs[FT_KDP_FLOW_ATTR_ID] || flow_reply_stats(attrs, &ks)) {
        return -EPROTO;
    }
    f = flow_find(c->dk, nla_get_u32(attrs[FT_KDP_FLOW_ATTR_ID]));
    if (!f) {
        return 0;               /* Not put by this datapath object. */
    }
    if (c->adopting) {
        if (!f->adopted || f->unreadable) {
            return 0;
        }
        f->adopted = false;
    }
    memset(&info, 0, sizeof info);
    info.match = &f->match;
    info.actions = &f->actions;
    flow_stats_merge(f, &ks, c->now, &info.stats);
    info.flow = f;
    return c->cb(&info, c->aux);
}

int
dk_flow_dump(struct ft_dpif *dpif,
             int (*cb)(const struct ft_dpif_flow_info *, void *aux),
             void *aux)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    struct dump_ctx c = { dk, cb, aux, dk_time_msec(), false };
    struct nl_msg *msg;

    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_flow, FT_KDP_FLOW_CMD_GET,
                        NLM_F_DUMP, dk->dpname);
    return ft_kdp_nl_transact(&dk->nl, msg, FT_KDP_FLOW_ATTR_MAX,
                              flow_dump_one, &c, "kernel datapath", NULL);
}

void
dk_flow_flush(struct ft_dpif *dpif)
{
    struct dpif_kernel *dk = dk_cast(dpif);
    struct nl_msg *msg;

    msg = ft_kdp_nl_msg(&dk->nl, dk->nl.family_flow, FT_KDP_FLOW_CMD_FLUSH,
                        0, dk->dpname);
    ft_kdp_nl_transact(&dk->nl, msg, 0, NULL, NULL, "kernel datapath",
                       NULL);
    flows_clear(dk);
}

size_t
dk_flow_count(const struct ft_dpif *dpif)
{
    return dk_cast_const(dpif)->n_flows;
}
