/*
 * offload-tc.c - the TC flower offload provider (see offload-tc.h): its
 * ports, the filters of its megaflows, and their counters.
 *
 * Part of the offload layer.  Messages go through tc-nl.c; matches and
 * actions are translated by tc-match.c and tc-action.c; the kernel tier's
 * slow path (a veth pair per port and a catch-all filter) is
 * tc-slowpath.c's; VXLAN ports are served through FlowTier's VXLAN
 * devices (tc-tunnel.c); requests sent without waiting and removals in
 * batches are tc-batch.c's.  All state is in 'struct tc' (tc-provider.h).
 */
#include "offload-tc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/gen_stats.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_gact.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "flowtier/util.h"
#include "offload-provider.h"
#include "tc-filter.h"
#include "tc-nl.h"
#include "tc-provider.h"
#include "tc-slowpath.h"
#include "tc-translate.h"
#include "tc-tunnel.h"

#define TC_INGRESS_PARENT TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)

/* The flags of the filters on port 'id': skip_sw for the hw tier (a
 * filter then exists only in the NIC), skip_hw for the kernel tier, and
 * neither where the kernel is to decide (other_config:tc-policy=none):
 * then verbose, without which the kernel does not pass a driver the
 * means to say why it did not take a filter. */
static uint32_t
tc_skip(const struct tc *tc, const struct ft_port_identity *id)
{
    return (tc->up.tier != FT_TIER_HW ? TCA_CLS_FLAGS_SKIP_HW
            : id->hw_or_kernel ? TCA_CLS_FLAGS_VERBOSE
            : TCA_CLS_FLAGS_SKIP_SW);
}

struct tc_port *
ft_tc_port_find(struct tc *tc, ft_port_no port_no)
{
    for (size_t i = 0; i < tc->n_ports; i++) {
        if (tc->ports[i].port_no == port_no) {
            return &tc->ports[i];
        }
    }
    return NULL;
}

/* The priority of filters of 'protocol', or 0 if all are in use.  With
 * 'reserve' false, the priority a first filter of 'protocol' would get,
 * without reserving it. */
static uint32_t
tc_prio__(struct tc *tc, uint16_t protocol, bool reserve)
{
    for (size_t i = 0; i < tc->n_prios; i++) {
        if (tc->prio_protocol[i] == protocol) {
            return i + 1;
        }
    }
    if (tc->n_prios >= TC_MAX_PRIOS) {
        return 0;
    }
    if (!reserve) {
        return tc->n_prios + 1;
    }
    tc->prio_protocol[tc->n_prios++] = protocol;
    return tc->n_prios;
}

static uint32_t
tc_prio(struct tc *tc, uint16_t protocol)
{
    return tc_prio__(tc, protocol, true);
}

static int
tc_create(struct ft_offload **op, struct ft_error *err)
{
    struct tc *tc = ft_xcalloc(1, sizeof *tc);
    int error = ft_tc_nl_open(&tc->sock, err);

    if (error) {
        free(tc);
        return error;
    }
    memcpy(tc->cookie, FT_TC_COOKIE_MAGIC, strlen(FT_TC_COOKIE_MAGIC));
    tc->next_handle = 1;
    ft_tc_tunnel_dev_sweep(tc->sock);
    *op = &tc->up;
    return 0;
}

/* ---- Filters. ---- */

static struct nl_msg *
tc_filter_msg(int type, int flags, int ifindex, uint32_t prio,
              uint16_t protocol, uint32_t handle)
{
    struct nl_msg *msg = ft_tc_nl_msg(type, flags, ifindex,
                                      TC_INGRESS_PARENT, handle,
                                      TC_H_MAKE(prio << 16, protocol));

    nla_put_string(msg, TCA_KIND, "flower");
    return msg;
}

static int
tc_filter_del(struct tc *tc, int ifindex, uint32_t prio, uint16_t protocol,
              uint32_t handle, struct ft_error *err)
{
    return ft_tc_nl_transact(tc->sock,
                             tc_filter_msg(RTM_DELTFILTER, 0, ifindex, prio,
                                           protocol, handle),
                             "tc: delete filter", err);
}

struct tc_dump_ctx {
    int (*cb)(const struct ft_tc_filter *, void *aux);
    void *aux;
};

static int
tc_dump_msg_cb(struct nl_msg *msg, void *aux)
{
    struct tc_dump_ctx *ctx = aux;
    struct ft_tc_filter f;

    if (!ft_tc_filter_parse(nlmsg_hdr(msg), &f)) {
        ctx->cb(&f, ctx->aux);
    }
    return NL_OK;
}

/* Calls 'cb' for every flower filter on the ingress of 'ifindex'. */
static int
tc_dump_filters(struct tc *tc, int ifindex,
                int (*cb)(const struct ft_tc_filter *, void *aux),
                void *aux)
{
    struct tc_dump_ctx ctx = { cb, aux };

    return ft_tc_nl_dump(tc->sock,
                         ft_tc_nl_msg(RTM_GETTFILTER, 0, ifindex,
                                      TC_INGRESS_PARENT, 0, 0),
                         tc_dump_msg_cb, &ctx);
}

/* ---- Ports. ---- */

struct tc_leftovers {
    struct ft_tc_filter found[256];
    size_t n;
};

static int
tc_collect_ours(const struct ft_tc_filter *f, void *aux)
{
    struct tc_leftovers *l = aux;

    if (f->ours && l->n < sizeof l->found / sizeof l->found[0]) {
        l->found[l->n++] = *f;
    }
    return 0;
}

/* Deletes every filter with FlowTier's cookie on the ingress of
 * 'ifindex': a crashed daemon's, or this instance's own. */
static void
tc_remove_ours(struct tc *tc, int ifindex)
{
    struct tc_leftovers *l = ft_xmalloc(sizeof *l);
    size_t total = 0;

    do {
        l->n = 0;
        if (tc_dump_filters(tc, ifindex, tc_collect_ours, l)) {
            break;
        }
        for (size_t i = 0; i < l->n; i++) {
            tc_filter_del(tc, ifindex, l->found[i].prio,
                          l->found[i].protocol, l->found[i].handle, NULL);
        }
        total += l->n;
    } while (l->n == sizeof l->found / sizeof l->found[0] && total < 1000000);
    free(l);
}

/* Gives 'ifindex' an ingress qdisc (clsact) unless it has one. */
static int
tc_ensure_qdisc(struct tc *tc, const struct tc_port *p, struct ft_error *err)
{
    struct nl_msg *msg = ft_tc_nl_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL,
                                      p->ifindex, TC_H_CLSACT,
                                      TC_H_MAKE(TC_H_CLSACT, 0), 0);
    char what[64];
    int error;

    nla_put_string(msg, TCA_KIND, "clsact");
    snprintf(what, sizeof what, "tc: port %s: clsact qdisc", p->name);
    error = ft_tc_nl_transact(tc->sock, msg, what, err);
    return error == -EEXIST ? 0 : error;
}

static int
tc_count_msg_cb(struct nl_msg *msg, void *aux)
{
    size_t *n = aux;

    if (nlmsg_hdr(msg)->nlmsg_type == RTM_NEWTFILTER) {
        (*n)++;
    }
    return NL_OK;
}

/* Deletes the clsact qdisc of 'p' if no filter of any kind is left on it,
 * ingress or egress: FlowTier adds one where a port has none, and one
 * that holds nothing (FlowTier's filters gone, nobody else's there) does
 * nothing for anyone.  A qdisc of another kind (ingress) is never
 * touched: the kernel refuses the deletion by kind. */
static void
tc_qdisc_drop_if_empty(struct tc *tc, const struct tc_port *p)
{
    static const uint32_t parents[] = {
        TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
        TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
    };
    struct nl_msg *msg;
    size_t n = 0;

    for (size_t i = 0; i < sizeof parents / sizeof parents[0]; i++) {
        if (ft_tc_nl_dump(tc->sock, ft_tc_nl_msg(RTM_GETTFILTER, 0,
                                                 p->ifindex, parents[i], 0,
                                                 0),
                          tc_count_msg_cb, &n) || n) {
            return;
        }
    }
    msg = ft_tc_nl_msg(RTM_DELQDISC, 0, p->ifindex, TC_H_CLSACT,
                       TC_H_MAKE(TC_H_CLSACT, 0), 0);
    nla_put_string(msg, TCA_KIND, "clsact");
    ft_tc_nl_transact(tc->sock, msg, "tc: delete clsact qdisc", NULL);
}

/* Installs and removes a filter that can match nothing real (destination
 * MAC 00:00:00:00:00:00): what the port says to it is the probe's
 * answer. */
static int
tc_probe_filter(struct tc *tc, const struct tc_port *p, struct ft_error *err)
{
    uint8_t zero[6] = { 0, 0, 0, 0, 0, 0 }, ones[6];
    uint32_t prio = tc_prio(tc, htons(ETH_P_ALL));
    uint32_t handle = tc->next_handle++;
    struct nlattr *opts, *acts, *act, *aopts;
    struct nl_msg *msg;
    struct tc_gact gact;
    char what[96];
    int error;

    memset(ones, 0xff, sizeof ones);
    msg = tc_filter_msg(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, p->ifindex,
                        prio, htons(ETH_P_ALL), handle);
    opts = nla_nest_start(msg, TCA_OPTIONS);
    nla_put(msg, TCA_FLOWER_KEY_ETH_DST, 6, zero);
    nla_put(msg, TCA_FLOWER_KEY_ETH_DST_MASK, 6, ones);
    nla_put_u32(msg, TCA_FLOWER_FLAGS, p->skip);
    acts = nla_nest_start(msg, TCA_FLOWER_ACT);
    act = nla_nest_start(msg, 1);
    nla_put_string(msg, TCA_ACT_KIND, "gact");
    nla_put(msg, TCA_ACT_COOKIE, FT_TC_COOKIE_LEN, tc->cookie);
    aopts = nla_nest_start(msg, TCA_ACT_OPTIONS);
    memset(&gact, 0, sizeof gact);
    gact.action = TC_ACT_SHOT;
    nla_put(msg, TCA_GACT_PARMS, sizeof gact, &gact);
    nla_nest_end(msg, aopts);
    nla_nest_end(msg, act);
    nla_nest_end(msg, acts);
    nla_nest_end(msg, opts);
    snprintf(what, sizeof what, "tc: port %s", p->name);
    error = ft_tc_nl_transact(tc->sock, msg, what, err);
    if (!error) {
        tc_filter_del(tc, p->ifindex, prio, htons(ETH_P_ALL), handle, NULL);
    }
    return error;
}

/* Refuses port 'id' for the tier of 'tc' if it cannot serve it. */
static int
tc_port_check(const struct tc *tc, const struct ft_port_identity *id,
              struct ft_error *err)
{
    if (id->ifindex <= 0) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: port %s is not a kernel "
                            "network device (type %s)", id->name, id->type);
    }
    if (tc->up.tier != FT_TIER_HW || id->hw_or_kernel) {
        /* The slow path replaces the port's packet socket: only the
         * system class reads a port through one. */
        return (strcmp(id->type, "system")
                ? ft_error_set(err, -EOPNOTSUPP, "tc: port %s: TC in "
                               "software serves ports of type system only "
                               "(this one is %s)", id->name, id->type)
                : 0);
    }
    if (!id->switch_id_len) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: port %s has no TC "
                            "offload: not a switchdev port (no "
                            "phys_switch_id)", id->name);
    }
    return 0;
}

/* Unless skip_sw: creates the slow path of 'p' (its veth pair and the
 * catch-all filter, in software only, that redirects every miss into
 * it). */
static int
tc_slowpath_start(struct tc *tc, struct tc_port *p, struct ft_error *err)
{
    struct nl_msg *msg;
    char what[96];
    int tx_ifindex;
    int error;

    error = ft_tc_slowpath_create(tc->sock, p->name, p->ifindex, &tx_ifindex,
                                  &p->sp_rx_ifindex, err);
    if (!error) {
        error = ft_tc_slowpath_catchall_msg(p->ifindex, tx_ifindex,
                                            tc->cookie, TCA_CLS_FLAGS_SKIP_HW,
                                            &msg,
                                            err);
    }
    if (!error) {
        snprintf(what, sizeof what, "tc: port %s: slow-path filter",
                 p->name);
        error = ft_tc_nl_transact(tc->sock, msg, what, err);
    }
    if (error) {
        ft_tc_slowpath_destroy(tc->sock, p->ifindex);
        p->sp_rx_ifindex = 0;
    }
    return error;
}

/* Removes what FlowTier put on port 'p': its filters (the catch-all
 * among them), then the slow path they redirected to (whatever policy
 * the port had then: a killed daemon may have had another). */
static void
tc_port_clean(struct tc *tc, const struct tc_port *p)
{
    tc_remove_ours(tc, p->ifindex);
    ft_tc_slowpath_destroy(tc->sock, p->ifindex);
}

/* Adds 'p' to the ports of 'tc', or replaces the entry of its port. */
static void
tc_port_store(struct tc *tc, const struct tc_port *p)
{
    struct tc_port *old = ft_tc_port_find(tc, p->port_no);

    if (old) {
        *old = *p;
    } else {
        tc->ports = ft_xrealloc(tc->ports, (tc->n_ports + 1)
                                           * sizeof *tc->ports);
        tc->ports[tc->n_ports++] = *p;
    }
}

/* What a port of the TC provider can hold: a VXLAN port's rules match
 * tunnel metadata and decapsulate; a plain port's match TCP flags too and
 * may encapsulate. */
static void
tc_port_caps(struct ft_offload_caps *caps, bool tunnel_port)
{
    memset(caps, 0, sizeof *caps);
    caps->match = FT_OFFLOAD_M_IN_PORT | FT_OFFLOAD_M_ETH | FT_OFFLOAD_M_VLAN
                  | FT_OFFLOAD_M_IPV4 | FT_OFFLOAD_M_IPV6 | FT_OFFLOAD_M_L4
                  | FT_OFFLOAD_M_ICMP | FT_OFFLOAD_M_ARP
                  | (tunnel_port ? FT_OFFLOAD_M_TUNNEL
                                 : FT_OFFLOAD_M_TCP_FLAGS);
    caps->actions = (1u << FT_DPA_OUTPUT) | (1u << FT_DPA_PUSH_VLAN)
                    | (1u << FT_DPA_POP_VLAN) | (1u << FT_DPA_SET_ETH)
                    | (1u << FT_DPA_SET_IPV4) | (1u << FT_DPA_SET_L4);
    caps->tunnel_decap = tunnel_port;
    caps->tunnel_encap = !tunnel_port;
    caps->counters = true;
}

/* The port of 'tc' other than 'port_no' on VXLAN UDP port 'dst_port', if
 * any: the ports of one UDP port share FlowTier's device for it. */
static const struct tc_port *
tc_tunnel_sharer(const struct tc *tc, uint16_t dst_port, ft_port_no port_no)
{
    for (size_t i = 0; i < tc->n_ports; i++) {
        if (tc->ports[i].tnl_dst_port == dst_port
            && tc->ports[i].port_no != port_no) {
            return &tc->ports[i];
        }
    }
    return NULL;
}

/* A VXLAN port: its decapsulation rules go on the ingress of FlowTier's
 * VXLAN device for its UDP port (tc-tunnel.h), which the first port of
 * that UDP port opens, and encapsulation rules on other ports redirect
 * to that device.  In the kernel tier only a port of the kernel
 * datapath: its device is up and decapsulates, and what no filter takes
 * goes on to the datapath's receive handler with its tunnel metadata. */
static int
tc_tunnel_port_add(struct tc *tc, const struct ft_port_identity *id,
                   struct ft_offload_caps *caps, struct ft_error *err)
{
    const struct tc_port *sharer;
    struct tc_port p;
    int error;

    if (tc->up.tier != FT_TIER_HW && !id->kernel_datapath) {
        char what[FT_PORT_NAME_MAX + 8];

        snprintf(what, sizeof what, "port %s", id->name);
        return ft_tc_tunnel_refuse_software(what, err);
    }
    memset(&p, 0, sizeof p);
    p.port_no = id->port_no;
    memcpy(p.name, id->name, sizeof p.name);
    p.tnl_dst_port = id->tnl_dst_port;
    p.skip = tc->up.tier == FT_TIER_HW ? TCA_CLS_FLAGS_SKIP_SW
                                       : TCA_CLS_FLAGS_SKIP_HW;
    p.kernel_dp = id->kernel_datapath;
    sharer = tc_tunnel_sharer(tc, p.tnl_dst_port, p.port_no);
    if (sharer) {
        p.ifindex = sharer->ifindex;
    } else {
        error = ft_tc_tunnel_dev_open(tc->sock, p.tnl_dst_port, &p.ifindex,
                                      err);
        if (!error) {
            error = tc_ensure_qdisc(tc, &p, err);
            if (error) {
                ft_tc_tunnel_dev_close(tc->sock, p.tnl_dst_port);
            }
        }
        if (error) {
            return -EOPNOTSUPP;
        }
    }
    tc_port_store(tc, &p);
    tc_port_caps(caps, true);
    return 0;
}

/* Removes what 'tc' installed for port 'p' that is not a megaflow's: on
 * a VXLAN port, FlowTier's device (with its filters) once no other port
 * uses it; elsewhere what tc_port_clean() removes. */
static void
tc_port_release(struct tc *tc, const struct tc_port *p)
{
    if (!p->tnl_dst_port) {
        tc_port_clean(tc, p);
    } else if (!tc_tunnel_sharer(tc, p->tnl_dst_port, p->port_no)) {
        ft_tc_tunnel_dev_close(tc->sock, p->tnl_dst_port);
    }
}

static int
tc_port_add(struct ft_offload *o, const struct ft_port_identity *id,
            struct ft_offload_caps *caps, struct ft_error *err)
{
    struct tc *tc = tc_cast(o);
    struct tc_port p;
    int error;

    ft_tc_drain(tc);
    if (id->tnl_dst_port) {
        return tc_tunnel_port_add(tc, id, caps, err);
    }
    error = tc_port_check(tc, id, err);
    if (error) {
        return error;
    }
    memset(&p, 0, sizeof p);
    p.port_no = id->port_no;
    p.ifindex = id->ifindex;
    memcpy(p.name, id->name, sizeof p.name);
    memcpy(p.switch_id, id->switch_id, sizeof p.switch_id);
    p.switch_id_len = id->switch_id_len;
    p.skip = tc_skip(tc, id);

    error = tc_ensure_qdisc(tc, &p, err);
    if (!error) {
        tc_port_clean(tc, &p);
        error = tc_probe_filter(tc, &p, err);
    }
    p.kernel_dp = id->kernel_datapath;
    if (!error && p.skip != TCA_CLS_FLAGS_SKIP_SW && !p.kernel_dp) {
        error = tc_slowpath_start(tc, &p, err);
    }
    if (error) {
        return error == -EOPNOTSUPP || error == -ENOENT || error == -EINVAL
               || error == -EEXIST ? -EOPNOTSUPP : error;
    }
    tc_port_store(tc, &p);
    tc_port_caps(caps, false);
    caps->slow_path_ifindex = p.sp_rx_ifindex;
    return 0;
}

void
ft_tc_flow_forget(struct tc *tc, struct ft_offload_flow *flow)
{
    tc->flows[flow->idx] = tc->flows[--tc->n_flows];
    tc->flows[flow->idx]->idx = flow->idx;
    free(flow->why);
    free(flow);
}

static int
tc_flush(struct ft_offload *o, ft_port_no port_no)
{
    struct tc *tc = tc_cast(o);
    struct ft_offload_flow **doomed;
    size_t n = 0;

    ft_tc_drain(tc);
    for (size_t i = 0; i < tc->n_failed;) {
        struct ft_offload_flow *flow = tc->failed[i];

        if (port_no == FT_PORT_NONE || flow->in_port == port_no) {
            tc->failed[i] = tc->failed[--tc->n_failed];
            free(flow->why);
            free(flow);
        } else {
            i++;
        }
    }
    doomed = ft_xmalloc((tc->n_flows + 1) * sizeof *doomed);
    for (size_t i = 0; i < tc->n_flows; i++) {
        if (port_no == FT_PORT_NONE || tc->flows[i]->in_port == port_no) {
            doomed[n++] = tc->flows[i];
        }
    }
    ft_tc_del_flows(tc, doomed, n, NULL, NULL);
    free(doomed);
    if (tc->n_gone) {
        ft_tc_gone_retry(tc, port_no, true);
    }
    return 0;
}

static void
tc_port_del(struct ft_offload *o, ft_port_no port_no)
{
    struct tc *tc = tc_cast(o);
    struct tc_port *p;

    tc_flush(o, port_no);
    p = ft_tc_port_find(tc, port_no);
    if (p) {
        tc_port_release(tc, p);
        ft_tc_gone_forget_port(tc, port_no);
        *p = tc->ports[--tc->n_ports];
    }
}

static void
tc_destroy(struct ft_offload *o)
{
    struct tc *tc = tc_cast(o);

    tc_flush(o, FT_PORT_NONE);
    while (tc->n_ports) {
        const struct tc_port *p = &tc->ports[--tc->n_ports];

        tc_port_release(tc, p);
        if (!p->tnl_dst_port) {
            tc_qdisc_drop_if_empty(tc, p);
        }
    }
    ft_tc_nl_close(tc->sock);
    free(tc->ports);
    free(tc->flows);
    free(tc->failed);
    free(tc->gone);
    free(tc);
}

/* ---- Megaflows. ---- */

struct tc_lookup_ctx {
    struct tc *tc;
    const struct tc_port *in;
};

/* An output to VXLAN port 'p' with tunnel metadata 'tnl': the NIC sends
 * the packet itself, so the route to the remote end must leave through
 * its e-switch.  In the kernel tier the up VXLAN device sends it, routed
 * and resolved by the kernel: only the route's source is needed. */
static int
tc_tunnel_lookup(struct tc_lookup_ctx *ctx, const struct tc_port *p,
                 const struct ft_dpa_tunnel *tnl,
                 struct ft_tc_port_info *info, struct ft_error *err)
{
    struct ft_offload_underlay u;
    int error;

    info->tnl_dst_port = p->tnl_dst_port;
    info->sw_tunnel = ctx->tc->up.tier != FT_TIER_HW;
    if (!tnl || ctx->in->tnl_dst_port) {
        return 0;               /* tc-action.c refuses, saying why. */
    }
    if (ctx->tc->up.tier != FT_TIER_HW) {
        return ft_tc_tunnel_route_src(ctx->tc->sock, tnl->dst,
                                      &info->tnl_src, err);
    }
    error = ft_tc_tunnel_route_check(ctx->tc->sock, tnl->dst,
                                     ctx->in->switch_id,
                                     ctx->in->switch_id_len, ctx->in->name,
                                     &info->tnl_src, err);
    if (error) {
        return error;
    }
    /* The NIC resolves the next hop when it takes the rule and keeps what
     * it found: a rule taken before the kernel knows the neighbour would
     * be refused in the NIC's words, or (on NICs that wait) send nothing
     * until then.  The bridge places the rule again when the route or the
     * neighbour changes (ft_offload_set_underlay()). */
    if (!ctx->tc->up.underlay) {
        return 0;
    }
    return ft_offload_underlay_get(&ctx->tc->up, tnl->dst, &u, err);
}

static int
tc_output_lookup(void *aux, ft_port_no port_no,
                 const struct ft_dpa_tunnel *tnl,
                 struct ft_tc_port_info *info, struct ft_error *err)
{
    struct tc_lookup_ctx *ctx = aux;
    const struct tc_port *p = ft_tc_port_find(ctx->tc, port_no);

    if (tnl && ctx->tc->up.tier != FT_TIER_HW && !(p && p->kernel_dp)) {
        struct in_addr a = { htonl(tnl->dst) };
        char abuf[INET_ADDRSTRLEN], what[INET_ADDRSTRLEN + 16];

        inet_ntop(AF_INET, &a, abuf, sizeof abuf);
        snprintf(what, sizeof what, "tunnel to %s", abuf);
        return ft_tc_tunnel_refuse_software(what, err);
    }
    if (!p) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: output to port %u: not "
                            "a port %s offloads", port_no, ctx->tc->up.name);
    }
    memset(info, 0, sizeof *info);
    info->ifindex = p->ifindex;
    if (p->tnl_dst_port) {
        return tc_tunnel_lookup(ctx, p, tnl, info, err);
    }
    if (ctx->in->tnl_dst_port && !p->switch_id_len
        && ctx->tc->up.tier == FT_TIER_HW) {
        /* After decapsulation by a NIC, the packet must stay in it. */
        return ft_error_set(err, -EOPNOTSUPP, "tc: output to %s: not on an "
                            "e-switch", p->name);
    }
    if (ctx->in->skip == TCA_CLS_FLAGS_SKIP_SW && !ctx->in->tnl_dst_port
        && (p->switch_id_len != ctx->in->switch_id_len
            || memcmp(p->switch_id, ctx->in->switch_id, p->switch_id_len))) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: output to %s: not on the "
                            "e-switch of %s", p->name, ctx->in->name);
    }
    return 0;
}

/* Builds the filter of 'match' and 'actions' on 'in' with 'handle' (0:
 * the next one) in '*msgp', reserving its priority unless 'dry' (for
 * --explain).  Returns 0 with '*prio' and '*protocol' set, or
 * -EOPNOTSUPP / -ENOSPC with 'err' saying why. */
static int
tc_flow_msg(struct tc *tc, const struct tc_port *in, int flags,
            const struct ft_match *match, const struct ft_dp_actions *actions,
            uint32_t handle, bool dry, struct nl_msg **msgp, uint32_t *prio,
            uint16_t *protocol, struct ft_error *err)
{
    struct tc_lookup_ctx lctx = { tc, in };
    int error;

    /* Linux takes no skip_sw filter on a VXLAN device (it cannot be
     * offloaded directly): a decapsulation rule is in both, and
     * tc_tunnel_put() sees that a NIC took it. */
    error = ft_tc_filter_build(flags, in->ifindex, match, actions,
                               tc_output_lookup, &lctx, tc->cookie,
                               in->tnl_dst_port
                               && in->skip == TCA_CLS_FLAGS_SKIP_SW
                               ? 0 : in->skip, msgp,
                               protocol, err);
    if (error) {
        return error;
    }
    *prio = tc_prio__(tc, *protocol, !dry);
    if (!*prio) {
        nlmsg_free(*msgp);
        *msgp = NULL;
        return ft_error_set(err, -ENOSPC, "tc: more than %d filter "
                            "protocols", TC_MAX_PRIOS);
    }
    ft_tc_filter_set_id(*msgp, *prio, *protocol, handle);
    return 0;
}

struct tc_find_ctx {
    uint32_t prio, handle;
    bool found;
    uint32_t flags;
};

static int
tc_find_cb(const struct ft_tc_filter *f, void *aux)
{
    struct tc_find_ctx *ctx = aux;

    if (f->prio == ctx->prio && f->handle == ctx->handle) {
        ctx->found = true;
        ctx->flags = f->flags;
    }
    return 0;
}

/* Sends the decapsulation rule 'msg' (new, or replacing filter
 * 'handle') to the VXLAN device of 'in'.  TC keeps in software what no
 * NIC takes, and there it would do nothing (the device is down; the
 * userspace datapath owns the UDP port): a rule that is not in_hw is
 * refused in the NIC's words (a new one is deleted again; a replaced one
 * the caller deletes). */
static int
tc_tunnel_put(struct tc *tc, const struct tc_port *in, struct nl_msg *msg,
              uint32_t prio, uint16_t protocol, uint32_t handle, bool is_new,
              struct ft_error *err)
{
    struct tc_find_ctx find = { prio, handle, false, 0 };
    char warning[FT_ERROR_REASON_MAX];
    int error;

    error = ft_tc_nl_request(tc->sock, msg, NULL, NULL, "tc", warning, err);
    if (error) {
        return error;
    }
    tc_dump_filters(tc, in->ifindex, tc_find_cb, &find);
    if (find.found && find.flags & TCA_CLS_FLAGS_IN_HW) {
        return 0;
    }
    if (is_new) {
        tc_filter_del(tc, in->ifindex, prio, protocol, handle, NULL);
    }
    return ft_error_set(err, -EOPNOTSUPP, "tc: no NIC took the "
                        "decapsulation rule on %s%s%s",
                        in->name, warning[0] ? ": " : "",
                        warning[0] ? warning : " (its e-switch has no "
                        "VXLAN offload)");
}

/* The filter a request with NLM_F_ECHO gets back. */
struct tc_echo {
    bool found;
    struct ft_tc_filter f;
};

static int
tc_echo_cb(struct nl_msg *msg, void *aux)
{
    struct tc_echo *echo = aux;

    if (nlmsg_hdr(msg)->nlmsg_type == RTM_NEWTFILTER
        && !ft_tc_filter_parse(nlmsg_hdr(msg), &echo->f)) {
        echo->found = true;
    }
    return NL_OK;
}

/* Sends 'msg' (freed here), a new filter or one replacing filter 'handle'
 * of 'flow' on 'in' (a new one is not in 'flow' yet), and records in
 * 'flow' whether it is in a NIC and if not why.  With skip_sw it is, if
 * the kernel took it; with no skip flag the kernel decides, and says what
 * it did in the filter it sends back (NLM_F_ECHO) and why in its ack's
 * message (a driver's refusal). */
static int
tc_filter_send(struct tc *tc, const struct tc_port *in, struct nl_msg *msg,
               uint32_t prio, uint16_t protocol, uint32_t handle, bool is_new,
               struct ft_offload_flow *flow, struct ft_error *err)
{
    char warning[FT_ERROR_REASON_MAX];
    struct tc_echo echo;
    struct ft_error why;
    int error;

    if (in->tnl_dst_port && in->skip == TCA_CLS_FLAGS_SKIP_SW) {
        error = tc_tunnel_put(tc, in, msg, prio, protocol, handle, is_new,
                              err);
        flow->in_hw = flow->in_hw || !error;
        return error;
    }
    if (in->skip & (TCA_CLS_FLAGS_SKIP_SW | TCA_CLS_FLAGS_SKIP_HW)) {
        error = ft_tc_nl_transact(tc->sock, msg, "tc", err);
        if (!error) {
            flow->in_hw = in->skip == TCA_CLS_FLAGS_SKIP_SW;
        }
        return error;
    }
    memset(&echo, 0, sizeof echo);
    nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ECHO;
    error = ft_tc_nl_request(tc->sock, msg, tc_echo_cb, &echo, "tc", warning,
                             err);
    if (error) {
        return error;
    }
    ft_error_clear(&why);
    flow->in_hw = echo.found && ft_tc_filter_in_hw(&echo.f, warning,
                                                   in->name, &why);
    if (!echo.found) {
        ft_error_set(&why, -EOPNOTSUPP, "tc: port %s: the kernel did not "
                     "say where it put the filter", in->name);
    }
    free(flow->why);
    flow->why = flow->in_hw ? NULL : ft_xstrdup(why.reason);
    return 0;
}

static enum ft_tier
tc_flow_tier(const struct ft_offload *o, const struct ft_offload_flow *flow,
             struct ft_error *why)
{
    if (o->tier != FT_TIER_HW || flow->in_hw || flow->pending) {
        return o->tier;     /* A pending put: known after commit. */
    }
    if (why) {
        ft_error_set(why, -EOPNOTSUPP, "%s", flow->why ? flow->why : "tc");
    }
    return FT_TIER_KERNEL;
}

static int
tc_flow_put(struct ft_offload *o, const struct ft_match *match,
            const struct ft_dp_actions *actions,
            struct ft_offload_flow **flowp, struct ft_error *err)
{
    struct tc *tc = tc_cast(o);
    const struct tc_port *in = ft_tc_port_find(tc, match->flow.in_port);
    struct ft_offload_flow *flow;
    uint16_t protocol = 0;
    struct nl_msg *msg;
    uint32_t prio;
    int error;

    if (!in || match->mask.in_port != UINT32_MAX) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: in_port %u is not a port "
                            "%s offloads", match->flow.in_port, o->name);
    }
    error = tc_flow_msg(tc, in, NLM_F_CREATE | NLM_F_EXCL, match, actions,
                        tc->next_handle, false, &msg, &prio, &protocol, err);
    if (error) {
        return error;
    }
    flow = ft_xcalloc(1, sizeof *flow);
    if (in->tnl_dst_port) {
        ft_tc_drain(tc);
        error = tc_filter_send(tc, in, msg, prio, protocol, tc->next_handle,
                               true, flow, err);
    } else {
        error = ft_tc_send_async(tc, in, msg, TC_REQ_PUT, flow, err);
    }
    if (error) {
        free(flow->why);
        free(flow);
        return error == -EINVAL ? -EOPNOTSUPP : error;
    }
    flow->match = *match;
    flow->ifindex = in->ifindex;
    flow->in_port = in->port_no;
    flow->prio = prio;
    flow->handle = tc->next_handle++;
    flow->protocol = protocol;
    if (tc->n_flows >= tc->allocated_flows) {
        tc->allocated_flows = tc->allocated_flows ? 2 * tc->allocated_flows
                                                  : 64;
        tc->flows = ft_xrealloc(tc->flows,
                                tc->allocated_flows * sizeof *tc->flows);
    }
    flow->idx = tc->n_flows;
    tc->flows[tc->n_flows++] = flow;
    *flowp = flow;
    if (tc->n_pending >= TC_MAX_PENDING) {
        ft_tc_drain(tc);
    }
    return 0;
}

static int tc_flow_stats(struct ft_offload *, struct ft_offload_flow *const[],
                         size_t, struct ft_stats[]);

/* Replaces the filter of 'flow' with one of the new actions, without
 * waiting (see "Batches" in offload.h): a request for the old filter's
 * counts, then the replace, back to back, both answered at the next
 * drain.  The kernel counts a replaced filter from zero: what the old one
 * counted, read just before the kernel replaced it, goes to 'base', so
 * the counters never go backwards.  A refused replace is reported by
 * commit with the kernel's words, and the old filter removed. */
static int
tc_flow_modify(struct ft_offload *o, struct ft_offload_flow *flow,
               const struct ft_dp_actions *actions, struct ft_error *err)
{
    struct tc *tc = tc_cast(o);
    const struct tc_port *in = ft_tc_port_find(tc, flow->in_port);
    uint16_t protocol = 0;
    struct nl_msg *msg;
    uint32_t prio;
    int error;

    if (tc->n_pending + 2 > TC_MAX_PENDING || (in && in->tnl_dst_port)) {
        ft_tc_drain(tc);
    }
    if (flow->error) {
        return ft_error_set(err, flow->error, "%s", flow->why);
    }
    if (!in) {
        return ft_error_set(err, -ENOENT, "tc: port %u is gone",
                            flow->in_port);
    }
    error = tc_flow_msg(tc, in, NLM_F_REPLACE, &flow->match, actions,
                        flow->handle, false, &msg, &prio, &protocol, err);
    if (error) {
        return error;
    }
    if (prio != flow->prio || protocol != flow->protocol) {
        nlmsg_free(msg);
        return ft_error_set(err, -EOPNOTSUPP, "tc: the filter's protocol "
                            "changed");
    }
    if (in->tnl_dst_port) {
        struct ft_stats before;

        tc_flow_stats(o, &flow, 1, &before);
        error = tc_filter_send(tc, in, msg, prio, protocol, flow->handle,
                               false, flow, err);
        if (!error) {
            flow->base = before;
        }
        return error;
    }
    flow->got_before = false;
    flow->echoed = false;
    error = ft_tc_send_async(tc, in, tc_filter_msg(RTM_GETTFILTER, 0,
                                                flow->ifindex, prio,
                                                protocol, flow->handle),
                          TC_REQ_GET, flow, err);
    if (!error) {
        error = ft_tc_send_async(tc, in, msg, TC_REQ_REPLACE, flow, err);
    } else {
        nlmsg_free(msg);
    }
    return error;
}

/* The counters of the flows asked about, found in one dump per port:
 * 'order' indexes 'flows' by handle (unique in an instance), so that each
 * filter of a dump is looked up in O(log n). */
struct tc_stats_ctx {
    struct ft_offload_flow *const *flows;
    const size_t *order;
    size_t n;
    int ifindex;
    struct ft_stats *stats;
};

static int
tc_compare_handles(const void *a_, const void *b_, void *flows_)
{
    struct ft_offload_flow *const *flows = flows_;
    uint32_t a = flows[*(const size_t *) a_]->handle;
    uint32_t b = flows[*(const size_t *) b_]->handle;

    return a < b ? -1 : a > b;
}

static int
tc_stats_cb(const struct ft_tc_filter *f, void *aux)
{
    struct tc_stats_ctx *ctx = aux;
    size_t lo = 0, hi = ctx->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ctx->flows[ctx->order[mid]]->handle < f->handle) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < ctx->n) {
        size_t i = ctx->order[lo];
        const struct ft_offload_flow *flow = ctx->flows[i];

        if (flow->handle == f->handle && flow->ifindex == ctx->ifindex
            && flow->prio == f->prio) {
            ctx->stats[i] = f->stats;
            ctx->stats[i].n_bytes = ft_tc_stats_bytes(&flow->match,
                                                      f->stats.n_packets,
                                                      f->stats.n_bytes,
                                                      f->hw_packets);
            ctx->stats[i].n_packets += flow->base.n_packets;
            ctx->stats[i].n_bytes += flow->base.n_bytes;
            if (flow->base.used > ctx->stats[i].used) {
                ctx->stats[i].used = flow->base.used;
            }
        }
    }
    return 0;
}

static int
tc_flow_stats(struct ft_offload *o, struct ft_offload_flow *const flows[],
              size_t n, struct ft_stats stats[])
{
    struct tc *tc = tc_cast(o);
    size_t *order = ft_xmalloc(n * sizeof *order);
    struct tc_stats_ctx ctx = { flows, order, n, 0, stats };
    int error = 0;

    ft_tc_drain(tc);
    for (size_t i = 0; i < n; i++) {
        stats[i] = flows[i]->base;      /* If its filter is not found. */
        order[i] = i;
    }
    qsort_r(order, n, sizeof *order, tc_compare_handles,
            (void *) flows);
    for (size_t p = 0; p < tc->n_ports && !error; p++) {
        bool wanted = false;

        for (size_t i = 0; i < n && !wanted; i++) {
            wanted = flows[i]->ifindex == tc->ports[p].ifindex;
        }
        if (wanted) {
            ctx.ifindex = tc->ports[p].ifindex;
            error = tc_dump_filters(tc, ctx.ifindex, tc_stats_cb, &ctx);
        }
    }
    free(order);
    return error;
}

static const char *
tc_ifname(void *aux, int ifindex, char buf[16])
{
    const struct tc *tc = aux;

    for (size_t i = 0; i < tc->n_ports; i++) {
        if (tc->ports[i].ifindex == ifindex && !tc->ports[i].tnl_dst_port) {
            return tc->ports[i].name;
        }
    }
    return if_indextoname(ifindex, buf);
}

/* The filter tc_flow_put() would install, as a 'tc filter add' line.  Its
 * priority is the one its protocol has or would get; no handle, since a
 * filter typed by hand gets one from the kernel. */
static int
tc_explain(struct ft_offload *o, const struct ft_match *match,
           const struct ft_dp_actions *actions, struct ds *out,
           struct ft_error *err)
{
    struct tc *tc = tc_cast(o);
    const struct tc_port *in = ft_tc_port_find(tc, match->flow.in_port);
    uint16_t protocol = 0;
    struct nl_msg *msg;
    uint32_t prio;
    int error;

    if (!in || match->mask.in_port != UINT32_MAX) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: in_port %u is not a port "
                            "%s offloads", match->flow.in_port, o->name);
    }
    error = tc_flow_msg(tc, in, NLM_F_CREATE | NLM_F_EXCL, match, actions, 0,
                        true, &msg, &prio, &protocol, err);
    if (!error) {
        char buf[IF_NAMESIZE];
        const char *dev = tc_ifname(tc, in->ifindex, buf);

        ft_tc_explain_msg(msg, dev ? dev : in->name, tc_ifname, tc, out);
        nlmsg_free(msg);
    }
    return error;
}

const struct ft_offload_class ft_offload_tc_class = {
    .type = "tc",
    .create = tc_create,
    .destroy = tc_destroy,
    .port_add = tc_port_add,
    .port_del = tc_port_del,
    .flow_put = tc_flow_put,
    .flow_tier = tc_flow_tier,
    .flow_modify = tc_flow_modify,
    .flow_del = ft_tc_flow_del,
    .flow_del_batch = ft_tc_flow_del_batch,
    .flow_stats = tc_flow_stats,
    .flush = tc_flush,
    .commit = ft_tc_commit,
    .get_removals = ft_tc_get_removals,
    .explain = tc_explain,
};
