/*
 * bridge-offload-info.c - what a bridge tells a user about its offload
 * tiers: which megaflows 'dump-dp-flows type=' shows, each megaflow's
 * rule as the providers' own tools would take it (--explain), each
 * port's providers, capabilities and table use, and why its megaflows
 * are not in hw ('offload show'), and the refusal reasons, each logged
 * once.
 *
 * Part of mgmt/bridge/.  Reads the bridge's megaflow records, ports and
 * offload providers; changes nothing but the set of reasons already
 * logged.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"
#include "mgmt/bridge/bridge-private.h"

/* At most this many distinct reasons are remembered per bridge; past it,
 * new ones are no longer logged (and that is said once). */
#define MAX_LOGGED_REASONS 1024

/* ---- Reasons, logged once. ---- */

void
bridge_log_reason_once(struct ft_bridge *br, enum ft_tier tier,
                       const char *reason)
{
    struct ds d = DS_EMPTY_INITIALIZER;
    char *entry;

    if (!br->log || !ft_log_enabled(br->log, FT_LOG_INFO)) {
        return;
    }
    ds_put_format(&d, "%s\t%s", ft_tier_name(tier), reason);
    entry = ft_xstrdup(ds_cstr(&d));
    ds_destroy(&d);
    for (size_t i = 0; i < br->n_logged_reasons; i++) {
        if (!strcmp(br->logged_reasons[i], entry)) {
            free(entry);
            return;
        }
    }
    if (br->n_logged_reasons >= MAX_LOGGED_REASONS) {
        free(entry);
        return;
    }
    br->logged_reasons = ft_xrealloc(br->logged_reasons,
                                     (br->n_logged_reasons + 1)
                                     * sizeof *br->logged_reasons);
    br->logged_reasons[br->n_logged_reasons++] = entry;
    ft_log_msg(br->log, FT_LOG_INFO, "bridge", "bridge %s: megaflows not in "
               "%s: %s%s", br->name, ft_tier_name(tier), reason,
               br->n_logged_reasons == MAX_LOGGED_REASONS
               ? " (further distinct reasons are not logged)" : "");
}

void
bridge_log_removals_given_up(struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_offloads; i++) {
        struct bridge_offload *bo = &br->offloads[i];
        struct ft_offload_removals r;

        ft_offload_get_removals(bo->offload, &r);
        if (!r.n_given_up || !r.last_given_up[0]
            || (bo->given_up_logged
                && !strcmp(bo->given_up_logged, r.last_given_up))) {
            continue;
        }
        free(bo->given_up_logged);
        bo->given_up_logged = ft_xstrdup(r.last_given_up);
        if (br->log && ft_log_enabled(br->log, FT_LOG_INFO)) {
            ft_log_msg(br->log, FT_LOG_INFO, "bridge", "bridge %s: rule "
                       "removals given up so far: %"PRIu64"; the last: %s",
                       br->name, r.n_given_up, r.last_given_up);
        }
    }
}

void
bridge_logged_reasons_destroy(struct ft_bridge *br)
{
    for (size_t i = 0; i < br->n_logged_reasons; i++) {
        free(br->logged_reasons[i]);
    }
    free(br->logged_reasons);
    br->logged_reasons = NULL;
    br->n_logged_reasons = 0;
}

/* ---- dump-dp-flows type=. ---- */

static const struct {
    const char *word;
    enum ft_bridge_dp_filter filter;
} dp_filters[] = {
    { "all", FT_DP_FILTER_ALL },
    { "offloaded", FT_DP_FILTER_OFFLOADED },
    { "non-offloaded", FT_DP_FILTER_NON_OFFLOADED },
    { "tc", FT_DP_FILTER_TC },
    { "rte_flow", FT_DP_FILTER_RTE_FLOW },
    { "kernel", FT_DP_FILTER_KERNEL },
    { "user", FT_DP_FILTER_USER },
};

int
ft_bridge_dp_filter_parse(const char *s, enum ft_bridge_dp_filter *filter,
                          struct ft_error *err)
{
    for (size_t i = 0; i < sizeof dp_filters / sizeof dp_filters[0]; i++) {
        if (!strcmp(s, dp_filters[i].word)) {
            *filter = dp_filters[i].filter;
            return 0;
        }
    }
    return ft_error_set(err, -EINVAL, "type=%s: not a kind of datapath flow "
                        "(offloaded, non-offloaded, tc, rte_flow, kernel, "
                        "user or all)", s);
}

bool
ft_bridge_dp_filter_match(enum ft_bridge_dp_filter filter,
                          const struct ft_bridge_dp_flow *f)
{
    switch (filter) {
    case FT_DP_FILTER_ALL: return true;
    case FT_DP_FILTER_OFFLOADED: return f->offloaded;
    case FT_DP_FILTER_NON_OFFLOADED: return !f->offloaded;
    case FT_DP_FILTER_TC: return !strcmp(f->dp, "tc");
    case FT_DP_FILTER_RTE_FLOW: return !strcmp(f->dp, "rte_flow");
    case FT_DP_FILTER_KERNEL: return f->tier == FT_TIER_KERNEL;
    case FT_DP_FILTER_USER: return f->tier == FT_TIER_USER;
    }
    return false;
}

/* ---- --explain. ---- */

void
ft_bridge_explain_dp_flow(struct ft_bridge *br,
                          const struct ft_bridge_dp_flow *f,
                          void (*cb)(const char *provider,
                                     const char *command,
                                     const char *refusal, void *aux),
                          void *aux)
{
    for (size_t i = 0; i < br->n_offloads; i++) {
        struct bridge_offload *bo = &br->offloads[i];
        const char *name = ft_offload_name(bo->offload);
        const char *refusal = f->match->mask.in_port
            ? bridge_offload_port_refusal(bo, f->match->flow.in_port) : NULL;
        struct ds text = DS_EMPTY_INITIALIZER;
        struct ft_error err;

        ft_error_clear(&err);
        if (refusal) {
            cb(name, NULL, refusal, aux);
        } else if (ft_offload_explain(bo->offload, f->match, f->actions,
                                      &text, &err)) {
            cb(name, NULL, err.reason[0] ? err.reason : "cannot translate",
               aux);
        } else {
            cb(name, ds_cstr(&text), NULL, aux);
        }
        ds_destroy(&text);
    }
}

/* ---- offload show. ---- */

/* Counts 'reason' among the hw refusals of the megaflows of 'op'. */
static void
port_count_reason(struct ft_bridge_offload_port *op, const char *reason)
{
    for (size_t i = 0; i < op->n_hw_reasons; i++) {
        if (!strcmp(op->hw_reasons[i], reason)) {
            op->hw_reason_flows[i]++;
            return;
        }
    }
    if (op->n_hw_reasons < FT_BRIDGE_MAX_PORT_REASONS) {
        op->hw_reasons[op->n_hw_reasons] = reason;
        op->hw_reason_flows[op->n_hw_reasons++] = 1;
    } else {
        op->n_hw_other++;
    }
}

void
ft_bridge_offload_ports(struct ft_bridge *br,
                        void (*cb)(const struct ft_bridge_offload_port *,
                                   void *aux),
                        void *aux)
{
    struct ft_bridge_port_offload provs[FT_BRIDGE_MAX_OFFLOADS];
    const struct bridge_megaflows *t = &br->megaflows;

    for (size_t p = 0; p < br->n_ports; p++) {
        ft_port_no port_no = br->ports[p].ofport;
        struct ft_bridge_offload_port op;
        struct ft_port_identity id;

        if (br->ports[p].error
            || ft_dpif_port_get_identity(br->dpif, port_no, &id)) {
            continue;
        }
        memset(&op, 0, sizeof op);
        op.id = &id;
        op.providers = provs;
        for (size_t i = 0; i < br->n_offloads
                           && i < FT_BRIDGE_MAX_OFFLOADS; i++) {
            const struct bridge_offload *bo = &br->offloads[i];

            provs[i].provider = ft_offload_name(bo->offload);
            provs[i].tier = ft_offload_tier(bo->offload);
            provs[i].caps = bridge_offload_port_caps(bo, port_no);
            provs[i].refusal = bridge_offload_port_refusal(bo, port_no);
            provs[i].n_rules = 0;
            op.n_providers++;
        }
        for (size_t i = 0; i < t->n; i++) {
            const struct bridge_megaflow *mf = t->all[i];

            if (!mf->match.mask.in_port || mf->match.flow.in_port != port_no) {
                continue;
            }
            op.flows_per_tier[mf->tier]++;
            for (size_t j = 0; j < op.n_providers; j++) {
                provs[j].n_rules += mf->offload == br->offloads[j].offload;
            }
            if (mf->tier != FT_TIER_HW && mf->reasons[FT_TIER_HW]) {
                port_count_reason(&op, mf->reasons[FT_TIER_HW]);
            }
        }
        cb(&op, aux);
    }
}
