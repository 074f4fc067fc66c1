/*
 * offload-rte-flow.c - the rte_flow offload provider (see
 * offload-rte-flow.h): megaflows of DPDK ports as rte_flow rules.
 *
 * Part of the offload layer, built with DPDK's compile flags.  A port it
 * serves is a DPDK ethdev (its identity has a DPDK port id); the probe
 * validates a rule that can match nothing real (destination MAC
 * 00:00:00:00:00:00, DROP) and a port whose driver refuses it is refused
 * with the driver's words ("rte_flow: port d0: Function not
 * implemented").  A VXLAN port is served through its underlay: outputs
 * to it encapsulate, its own megaflows decapsulate, on the DPDK port the
 * bridge's underlay route to the remote leaves through (rte-flow-xlate.h).
 * A megaflow is validated, then created; its counters are
 * its COUNT action's, queried one rule at a time (rte_flow has no batch
 * query).  All state is in 'struct rf'.
 */
#include "offload-rte-flow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_flow.h>

#include "flowtier/util.h"
#include "offload-provider.h"
#include "rte-flow-xlate.h"

struct rf_port {
    uint32_t port_no;
    bool tunnel;                /* A VXLAN port: an output encapsulates
                                 * (VXLAN_ENCAP), its input decapsulates
                                 * (VXLAN_DECAP). */
    uint16_t tnl_dst_port;      /* A VXLAN port's outer UDP port. */
    int ifindex;                /* A DPDK port's Linux device, or 0. */
    uint16_t dpdk_port;
    bool on_switch;             /* Its driver reports a switch domain. */
    uint16_t switch_domain;
    char name[FT_PORT_NAME_MAX];
};

struct ft_offload_flow {
    uint16_t dpdk_port;         /* Where the rule was created. */
    uint32_t in_port;
    struct rte_flow *flow;
    bool counted;               /* Has its COUNT action (see rf_validate). */
    struct ft_stats stats;      /* Accumulated from the COUNT queries. */
};

struct rf {
    struct ft_offload up;
    struct rf_port *ports;
    size_t n_ports;
};

static struct rf *
rf_cast(struct ft_offload *o)
{
    return (struct rf *) o;
}

static struct rf_port *
rf_port_find(struct rf *rf, uint32_t port_no)
{
    for (size_t i = 0; i < rf->n_ports; i++) {
        if (rf->ports[i].port_no == port_no) {
            return &rf->ports[i];
        }
    }
    return NULL;
}

/* "rte_flow: WHAT: MESSAGE (strerror)" from DPDK's answer. */
static int
rf_error(struct ft_error *err, int error, const char *what,
         const struct rte_flow_error *fe)
{
    int code = error < 0 ? error : -error;

    if (fe->message && strcmp(fe->message, strerror(-code))) {
        return ft_error_set(err, code, "rte_flow: %s: %s (%s)", what,
                            fe->message, strerror(-code));
    }
    return ft_error_set(err, code, "rte_flow: %s: %s", what,
                        strerror(-code));
}

static int
rf_create(struct ft_offload **op, struct ft_error *err)
{
    (void) err;
    *op = &((struct rf *) ft_xcalloc(1, sizeof(struct rf)))->up;
    return 0;
}

static void rf_destroy(struct ft_offload *);

/* The record of port 'id', new or reset. */
static struct rf_port *
rf_port_remember(struct rf *rf, const struct ft_port_identity *id)
{
    struct rf_port *p = rf_port_find(rf, id->port_no);

    if (!p) {
        rf->ports = ft_xrealloc(rf->ports, (rf->n_ports + 1)
                                           * sizeof *rf->ports);
        p = &rf->ports[rf->n_ports++];
    }
    memset(p, 0, sizeof *p);
    p->port_no = id->port_no;
    memcpy(p->name, id->name, sizeof p->name);
    return p;
}

static int
rf_port_add(struct ft_offload *o, const struct ft_port_identity *id,
            struct ft_offload_caps *caps, struct ft_error *err)
{
    struct rf *rf = rf_cast(o);
    struct rte_flow_item_eth eth, eth_mask;
    struct rte_flow_item items[2];
    struct rte_flow_action actions[2];
    struct rte_flow_attr attr;
    struct rte_flow_error fe;
    struct rf_port *p;
    char what[64];
    int error;

    if (!strcmp(id->type, "vxlan")) {
        p = rf_port_remember(rf, id);
        p->tunnel = true;
        p->tnl_dst_port = id->tnl_dst_port ? id->tnl_dst_port : 4789;
        memset(caps, 0, sizeof *caps);
        caps->match = FT_OFFLOAD_M_IN_PORT | FT_OFFLOAD_M_TUNNEL
                      | FT_OFFLOAD_M_ETH | FT_OFFLOAD_M_VLAN
                      | FT_OFFLOAD_M_IPV4 | FT_OFFLOAD_M_IPV6
                      | FT_OFFLOAD_M_L4 | FT_OFFLOAD_M_TCP_FLAGS
                      | FT_OFFLOAD_M_ICMP;
        caps->actions = (1u << FT_DPA_OUTPUT) | (1u << FT_DPA_PUSH_VLAN)
                        | (1u << FT_DPA_POP_VLAN) | (1u << FT_DPA_SET_ETH)
                        | (1u << FT_DPA_SET_IPV4) | (1u << FT_DPA_SET_L4);
        caps->tunnel_decap = true;
        caps->counters = true;
        return 0;
    }
    if (id->dpdk_port_id < 0) {
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: port %s is not a "
                            "DPDK port (type %s)", id->name, id->type);
    }
    memset(&attr, 0, sizeof attr);
    attr.ingress = 1;
    memset(&eth, 0, sizeof eth);
    memset(&eth_mask, 0, sizeof eth_mask);
    memset(eth_mask.dst.addr_bytes, 0xff, 6);
    memset(items, 0, sizeof items);
    items[0].type = RTE_FLOW_ITEM_TYPE_ETH;
    items[0].spec = &eth;
    items[0].mask = &eth_mask;
    items[1].type = RTE_FLOW_ITEM_TYPE_END;
    memset(actions, 0, sizeof actions);
    actions[0].type = RTE_FLOW_ACTION_TYPE_DROP;
    actions[1].type = RTE_FLOW_ACTION_TYPE_END;
    memset(&fe, 0, sizeof fe);
    error = rte_flow_validate(id->dpdk_port_id, &attr, items, actions, &fe);
    if (error) {
        snprintf(what, sizeof what, "port %s", id->name);
        rf_error(err, error, what, &fe);
        return -EOPNOTSUPP;
    }
    p = rf_port_remember(rf, id);
    p->ifindex = id->ifindex;
    p->dpdk_port = id->dpdk_port_id;
    p->on_switch = id->dpdk_on_switch;
    p->switch_domain = id->dpdk_switch_domain;
    memcpy(p->name, id->name, sizeof p->name);
    memset(caps, 0, sizeof *caps);
    caps->match = FT_OFFLOAD_M_IN_PORT | FT_OFFLOAD_M_ETH | FT_OFFLOAD_M_VLAN
                  | FT_OFFLOAD_M_IPV4 | FT_OFFLOAD_M_IPV6 | FT_OFFLOAD_M_L4
                  | FT_OFFLOAD_M_TCP_FLAGS | FT_OFFLOAD_M_ICMP;
    caps->actions = (1u << FT_DPA_OUTPUT) | (1u << FT_DPA_PUSH_VLAN)
                    | (1u << FT_DPA_POP_VLAN) | (1u << FT_DPA_SET_ETH)
                    | (1u << FT_DPA_SET_IPV4) | (1u << FT_DPA_SET_L4);
    caps->tunnel_encap = true;
    caps->counters = true;
    return 0;
}

static void
rf_port_del(struct ft_offload *o, ft_port_no port_no)
{
    struct rf *rf = rf_cast(o);
    struct rf_port *p = rf_port_find(rf, port_no);

    /* The bridge removes the megaflows of a port before letting it go. */
    if (p) {
        *p = rf->ports[--rf->n_ports];
    }
}

struct rf_lookup_ctx {
    struct rf *rf;
    const struct ft_match *match;
    struct ft_rte_flow_vxlan vx;    /* An output to a VXLAN port's. */
    struct ft_rte_flow_vxlan vx_in; /* The input VXLAN port's. */
};

/* 'p' as the translation sees it. */
static struct ft_rte_flow_port
rf_xport(const struct rf_port *p)
{
    return (struct ft_rte_flow_port) {
        .dpdk_port = p->dpdk_port,
        .on_switch = p->on_switch,
        .switch_domain = p->switch_domain,
        .name = p->name,
    };
}

/* The DPDK port whose Linux device is 'ifindex', or NULL. */
static const struct rf_port *
rf_port_by_ifindex(const struct rf *rf, int ifindex)
{
    for (size_t i = 0; i < rf->n_ports; i++) {
        if (!rf->ports[i].tunnel && ifindex
            && rf->ports[i].ifindex == ifindex) {
            return &rf->ports[i];
        }
    }
    return NULL;
}

/* An output to VXLAN port 'p' of a packet with tunnel metadata 'tnl':
 * its outer headers from the bridge's underlay answer for the remote, out
 * of the DPDK port the route leaves through (ft_rte_flow_vxlan).  The
 * bridge places the megaflow again when that answer changes. */
static int
rf_tunnel_lookup(struct rf_lookup_ctx *ctx, const struct rf_port *p,
                 const struct ft_dpa_tunnel *tnl,
                 struct ft_rte_flow_port *port, struct ft_error *err)
{
    struct ft_rte_flow_port xup;
    struct ft_offload_underlay u;
    const struct rf_port *up;
    int error;

    memset(port, 0, sizeof *port);
    port->name = p->name;
    port->vxlan = &ctx->vx;
    memset(&ctx->vx, 0, sizeof ctx->vx);
    if (!tnl) {
        return 0;               /* The translation refuses, saying why. */
    }
    error = ft_offload_underlay_get(&ctx->rf->up, tnl->dst, &u, err);
    if (error == -ENOENT) {
        return -EOPNOTSUPP;
    }
    up = u.error ? NULL : rf_port_by_ifindex(ctx->rf, u.ifindex);
    if (up) {
        xup = rf_xport(up);
    }
    ft_rte_flow_vxlan_from_underlay(&u, tnl, p->tnl_dst_port,
                                    ft_rte_flow_vxlan_src_port(ctx->match),
                                    up ? &xup : NULL, &ctx->vx);
    ft_error_clear(err);
    return 0;                   /* The translation refuses a bad state. */
}

/* The input of a megaflow 'ctx->match' of VXLAN port 'p': its packets
 * arrive encapsulated on the DPDK port through which the route to the
 * remote they come from (the megaflow's exact tun_src) leaves, as the
 * bridge's underlay resolver answers (routes are taken as symmetric, as
 * the kernel's reverse-path filter does).  Fills '*xin' with the tunnel,
 * whose state the translation checks (no route, off DPDK, IPv6), or
 * refuses a megaflow that names no remote. */
static int
rf_decap_port(struct rf_lookup_ctx *ctx, const struct rf_port *p,
              struct ft_rte_flow_port *xin, struct ft_error *err)
{
    const struct ft_match *m = ctx->match;
    struct ft_dpa_tunnel remote;
    struct ft_rte_flow_port xup;
    struct ft_offload_underlay u;
    const struct rf_port *up;

    if (m->mask.tun_src != UINT32_MAX) {
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: vxlan port %s: "
                            "the megaflow does not match the outer source "
                            "(tun_src), so no DPDK port can be named as the "
                            "one its packets arrive on: the userspace "
                            "datapath decapsulates", p->name);
    }
    if (ft_offload_underlay_get(&ctx->rf->up, m->flow.tun_src, &u, err)
        == -ENOENT) {
        return -EOPNOTSUPP;
    }
    up = u.error ? NULL : rf_port_by_ifindex(ctx->rf, u.ifindex);
    if (up) {
        xup = rf_xport(up);
    }
    memset(&remote, 0, sizeof remote);
    remote.dst = m->flow.tun_src;
    ft_rte_flow_vxlan_from_underlay(&u, &remote, p->tnl_dst_port, 0,
                                    up ? &xup : NULL, &ctx->vx_in);
    memset(xin, 0, sizeof *xin);
    xin->name = p->name;
    xin->vxlan = &ctx->vx_in;
    ft_error_clear(err);
    return 0;                   /* The translation refuses a bad state. */
}

static int
rf_output_lookup(void *aux, uint32_t port_no, const struct ft_dpa_tunnel *tnl,
                 struct ft_rte_flow_port *port, struct ft_error *err)
{
    struct rf_lookup_ctx *ctx = aux;
    const struct rf_port *p = rf_port_find(ctx->rf, port_no);

    if (p && p->tunnel) {
        return rf_tunnel_lookup(ctx, p, tnl, port, err);
    } else if (!p) {
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: output to port %u: "
                            "not a DPDK port %s offloads", port_no,
                            ctx->rf->up.name);
    }
    *port = rf_xport(p);
    return 0;
}

/* The input port of megaflow 'ctx->match', 'in', as the translation sees
 * it, in '*xin'. */
static int
rf_input(struct rf_lookup_ctx *ctx, const struct rf_port *in,
         struct ft_rte_flow_port *xin, struct ft_error *err)
{
    const struct ft_match *m = ctx->match;

    if (!in || m->mask.in_port != UINT32_MAX) {
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: in_port %u is not "
                            "a port %s offloads", m->flow.in_port,
                            ctx->rf->up.name);
    } else if (in->tunnel) {
        return rf_decap_port(ctx, in, xin, err);
    }
    *xin = rf_xport(in);
    return 0;
}

/* The port 'rule' is created on: for a transfer rule, the switch's
 * transfer proxy (rte_flow_pick_transfer_proxy()), which some drivers
 * require; else the port the rule is about. */
static uint16_t
rf_rule_port(const struct ft_rte_flow_rule *rule)
{
    struct rte_flow_error fe;
    uint16_t proxy;

    if (rule->attr.transfer
        && !rte_flow_pick_transfer_proxy(rule->port, &proxy, &fe)) {
        return proxy;
    }
    return rule->port;
}

/* Validates 'rule' on 'port'.  A driver that implements rte_flow but not
 * COUNT (net_tap: its rules are TC filters it does not read back) gets
 * the rule without its leading COUNT: the megaflow is still handled where
 * it belongs, but its counters stay at zero (so the revalidator finds it
 * idle after max-idle and the next packet places it again).  Returns the
 * actions to create, with '*error' 0, or sets '*error' with DPDK's answer
 * to the whole rule in 'fe'. */
static const struct rte_flow_action *
rf_validate(uint16_t port, const struct ft_rte_flow_rule *rule,
            struct rte_flow_error *fe, int *error)
{
    const struct rte_flow_action *count = &rule->actions[0];
    struct rte_flow_error fe2;

    memset(fe, 0, sizeof *fe);
    *error = rte_flow_validate(port, &rule->attr, rule->items, rule->actions,
                               fe);
    if (*error && count->type == RTE_FLOW_ACTION_TYPE_COUNT
        && fe->type == RTE_FLOW_ERROR_TYPE_ACTION && fe->cause == count) {
        memset(&fe2, 0, sizeof fe2);
        if (!rte_flow_validate(port, &rule->attr, rule->items, count + 1,
                               &fe2)) {
            *error = 0;
            return count + 1;
        }
    }
    return rule->actions;
}

/* Names the rule of a megaflow from 'xin' in DPDK's refusals: "port d0",
 * or "vxlan port vx0 on port d0" for a decapsulation. */
static void
rf_what(const struct ft_rte_flow_port *xin, char *what, size_t size)
{
    if (xin->vxlan) {
        snprintf(what, size, "vxlan port %s on port %s", xin->name,
                 xin->vxlan->underlay.name);
    } else {
        snprintf(what, size, "port %s", xin->name);
    }
}

static int
rf_flow_put(struct ft_offload *o, const struct ft_match *match,
            const struct ft_dp_actions *actions,
            struct ft_offload_flow **flowp, struct ft_error *err)
{
    struct rf *rf = rf_cast(o);
    const struct rf_port *in = rf_port_find(rf, match->flow.in_port);
    struct rf_lookup_ctx ctx = { rf, match, { 0 }, { 0 } };
    struct ft_rte_flow_rule *rule;
    struct ft_offload_flow *flow;
    const struct rte_flow_action *rte_actions;
    struct ft_rte_flow_port xin;
    struct rte_flow_error fe;
    struct rte_flow *rte;
    char what[2 * FT_PORT_NAME_MAX + 32];
    bool counted;
    uint16_t port;
    int error;

    error = rf_input(&ctx, in, &xin, err);
    if (error) {
        return error;
    }
    rule = ft_xmalloc(sizeof *rule);
    error = ft_rte_flow_xlate(match, actions, &xin, rf_output_lookup, &ctx,
                              rule, err);
    if (error) {
        free(rule);
        return error;
    }
    rf_what(&xin, what, sizeof what);
    port = rf_rule_port(rule);
    rte_actions = rf_validate(port, rule, &fe, &error);
    if (error) {
        rf_error(err, error, what, &fe);
        free(rule);
        return -EOPNOTSUPP;
    }
    counted = rte_actions == rule->actions;
    rte = rte_flow_create(port, &rule->attr, rule->items, rte_actions, &fe);
    free(rule);
    if (!rte) {
        return rf_error(err, rte_errno ? -rte_errno : -EIO, what, &fe);
    }
    flow = ft_xcalloc(1, sizeof *flow);
    flow->counted = counted;
    flow->dpdk_port = port;
    flow->in_port = in->port_no;
    flow->flow = rte;
    *flowp = flow;
    return 0;
}

/* The rule rf_flow_put() would validate and create, as testpmd's
 * 'flow create' command. */
static int
rf_explain(struct ft_offload *o, const struct ft_match *match,
           const struct ft_dp_actions *actions, struct ds *out,
           struct ft_error *err)
{
    struct rf *rf = rf_cast(o);
    const struct rf_port *in = rf_port_find(rf, match->flow.in_port);
    struct rf_lookup_ctx ctx = { rf, match, { 0 }, { 0 } };
    struct ft_rte_flow_rule *rule;
    struct ft_rte_flow_port xin;
    int error;

    error = rf_input(&ctx, in, &xin, err);
    if (error) {
        return error;
    }
    rule = ft_xmalloc(sizeof *rule);
    error = ft_rte_flow_xlate(match, actions, &xin, rf_output_lookup, &ctx,
                              rule, err);
    if (!error) {
        ft_rte_flow_explain(rule, rf_rule_port(rule), out);
    }
    free(rule);
    return error;
}

static long long int
rf_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Adds what 'flow''s COUNT counted since the last query (queried with
 * reset) to its counters. */
static void
rf_query(struct ft_offload_flow *flow)
{
    struct rte_flow_action count = { RTE_FLOW_ACTION_TYPE_COUNT, NULL };
    struct rte_flow_query_count q;
    struct rte_flow_error fe;

    if (!flow->counted) {
        return;
    }
    memset(&q, 0, sizeof q);
    q.reset = 1;
    if (!rte_flow_query(flow->dpdk_port, flow->flow, &count, &q, &fe)
        && q.hits_set && q.hits) {
        flow->stats.n_packets += q.hits;
        flow->stats.n_bytes += q.bytes_set ? q.bytes : 0;
        flow->stats.used = rf_now_ms();
    }
}

static int
rf_flow_stats(struct ft_offload *o, struct ft_offload_flow *const flows[],
              size_t n, struct ft_stats stats[])
{
    (void) o;
    for (size_t i = 0; i < n; i++) {
        rf_query(flows[i]);
        stats[i] = flows[i]->stats;
    }
    return 0;
}

static int
rf_flow_del(struct ft_offload *o, struct ft_offload_flow *flow,
            struct ft_stats *stats)
{
    struct rte_flow_error fe;
    int error;

    (void) o;
    rf_query(flow);
    if (stats) {
        *stats = flow->stats;
    }
    error = rte_flow_destroy(flow->dpdk_port, flow->flow, &fe);
    free(flow);
    return error ? -EIO : 0;
}

static void
rf_destroy(struct ft_offload *o)
{
    struct rf *rf = rf_cast(o);

    /* The bridge removed every megaflow before. */
    free(rf->ports);
    free(rf);
}

const struct ft_offload_class ft_offload_rte_flow_class = {
    .type = "rte_flow",
    .create = rf_create,
    .destroy = rf_destroy,
    .port_add = rf_port_add,
    .port_del = rf_port_del,
    .flow_put = rf_flow_put,
    .flow_del = rf_flow_del,
    .flow_stats = rf_flow_stats,
    .explain = rf_explain,
};
