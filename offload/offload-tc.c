/*
 * offload-tc.c - the TC flower offload provider (see offload-tc.h): its
 * ports, the filters of its megaflows, and their counters.
 *
 * Part of the offload layer.  Messages go through tc-nl.c; matches and
 * actions are translated by tc-match.c and tc-action.c; the kernel tier's
 * slow path (a veth pair per port and a catch-all filter) is
 * tc-slowpath.c's; VXLAN ports are served through FlowTier's VXLAN
 * devices (tc-tunnel.c).  All state is in 'struct tc'.
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
#include "tc-del.h"
#include "tc-filter.h"
#include "tc-nl.h"
#include "tc-slowpath.h"
#include "tc-translate.h"
#include "tc-tunnel.h"

#define TC_INGRESS_PARENT TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
#define TC_MAX_PRIOS 32

/* Filter requests sent before their acks are read: enough to take the
 * round trip out of each insertion, few enough that the acks (and the
 * filters an NLM_F_ECHO request gets back) fit in the socket's receive
 * buffer. */
#define TC_MAX_PENDING 64

struct tc_port {
    ft_port_no port_no;
    int ifindex;
    char name[FT_PORT_NAME_MAX];
    uint8_t switch_id[FT_SWITCH_ID_MAX];
    uint8_t switch_id_len;
    uint32_t skip;              /* Its filters' TCA_FLOWER_FLAGS: a
                                 * TCA_CLS_FLAGS_SKIP_*, or VERBOSE when
                                 * the kernel places each one. */
    int sp_rx_ifindex;          /* Unless skip_sw: the slow path's end the
                                 * datapath reads (0: none). */
    uint16_t tnl_dst_port;      /* A VXLAN port: its UDP port; 'ifindex'
                                 * is FlowTier's VXLAN device for it. */
};

struct ft_offload_flow {
    struct ft_match match;      /* For a replace with other actions. */
    struct ft_stats base;       /* Counts of the filters it replaced. */
    int ifindex;
    ft_port_no in_port;
    uint32_t prio;
    uint32_t handle;
    uint16_t protocol;          /* Network byte order. */
    size_t idx;                 /* In 'struct tc''s 'flows'. */
    bool in_hw;                 /* In a NIC (always, with skip_sw). */
    char *why;                  /* Not in a NIC, or refused: why (owned),
                                 * or NULL. */
    /* A put or a replace sent without waiting for its ack (see
     * "Batches" in offload.h), and what came back. */
    bool pending;
    bool echoed;                /* The kernel sent the filter back. */
    uint32_t echo_flags;        /* Its TCA_FLOWER_FLAGS. */
    bool got_before;            /* A replace: 'before' holds the counts */
    struct ft_stats before;     /* read just before it (with 'base'). */
    int error;                  /* Refused: the kernel's errno (the flow
                                 * is then in 'failed', not 'flows'). */
};

/* A request sent without waiting for its answer. */
enum tc_req_op {
    TC_REQ_PUT,                 /* A new filter. */
    TC_REQ_GET,                 /* The counts of a filter about to be
                                 * replaced. */
    TC_REQ_REPLACE,             /* A filter with other actions. */
};

struct tc_req {
    enum tc_req_op op;
    uint32_t seq;
    struct ft_offload_flow *flow;   /* NULL once its ack is read. */
};

/* A filter FlowTier must remove but the kernel has not let go of yet (a
 * delete that failed, the old filter of a refused replace): tried again
 * at every commit, batch of deletes and flush until it is gone. */
struct tc_gone {
    struct ft_tc_filter_id id;
    ft_port_no in_port;
};

struct tc {
    struct ft_offload up;
    struct nl_sock *sock;
    uint8_t cookie[FT_TC_COOKIE_LEN];

    struct tc_port *ports;
    size_t n_ports;

    /* One priority per filter protocol: flower wants a protocol per
     * priority. */
    uint16_t prio_protocol[TC_MAX_PRIOS];
    size_t n_prios;

    struct ft_offload_flow **flows;
    size_t n_flows, allocated_flows;
    uint32_t next_handle;

    /* Batches: requests sent whose acks are not read yet, in the order
     * sent (that of the acks), the puts and replaces the kernel refused,
     * until commit reports them, and the filters still to remove. */
    struct tc_req pending[TC_MAX_PENDING];
    size_t n_pending;
    struct ft_offload_flow **failed;
    size_t n_failed, allocated_failed;
    struct tc_gone *gone;
    size_t n_gone, allocated_gone;
};

static struct tc *
tc_cast(struct ft_offload *o)
{
    return (struct tc *) o;
}

static void tc_drain(struct tc *);

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

static struct tc_port *
tc_port_find(struct tc *tc, ft_port_no port_no)
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
    struct tc_port *old = tc_port_find(tc, p->port_no);

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
 * to that device. */
static int
tc_tunnel_port_add(struct tc *tc, const struct ft_port_identity *id,
                   struct ft_offload_caps *caps, struct ft_error *err)
{
    const struct tc_port *sharer;
    struct tc_port p;
    int error;

    if (tc->up.tier != FT_TIER_HW) {
        char what[FT_PORT_NAME_MAX + 8];

        snprintf(what, sizeof what, "port %s", id->name);
        return ft_tc_tunnel_refuse_software(what, err);
    }
    memset(&p, 0, sizeof p);
    p.port_no = id->port_no;
    memcpy(p.name, id->name, sizeof p.name);
    p.tnl_dst_port = id->tnl_dst_port;
    p.skip = TCA_CLS_FLAGS_SKIP_SW;
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

    tc_drain(tc);
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
    if (!error && p.skip != TCA_CLS_FLAGS_SKIP_SW) {
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

static void
tc_flow_forget(struct tc *tc, struct ft_offload_flow *flow)
{
    tc->flows[flow->idx] = tc->flows[--tc->n_flows];
    tc->flows[flow->idx]->idx = flow->idx;
    free(flow->why);
    free(flow);
}

static size_t tc_del_flows(struct tc *, struct ft_offload_flow *const[],
                           size_t, struct ft_stats[], int[]);
static void tc_gone_retry(struct tc *, ft_port_no);

static int
tc_flush(struct ft_offload *o, ft_port_no port_no)
{
    struct tc *tc = tc_cast(o);
    struct ft_offload_flow **doomed;
    size_t n = 0;

    tc_drain(tc);
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
    tc_del_flows(tc, doomed, n, NULL, NULL);
    free(doomed);
    if (tc->n_gone) {
        tc_gone_retry(tc, port_no);
    }
    return 0;
}

/* Forgets the filters of port 'port_no' still to remove: its cleaning
 * (tc_port_clean()) removed every filter of FlowTier's there. */
static void
tc_gone_forget_port(struct tc *tc, ft_port_no port_no)
{
    size_t kept = 0;

    for (size_t i = 0; i < tc->n_gone; i++) {
        if (tc->gone[i].in_port != port_no) {
            tc->gone[kept++] = tc->gone[i];
        }
    }
    tc->n_gone = kept;
}

static void
tc_port_del(struct ft_offload *o, ft_port_no port_no)
{
    struct tc *tc = tc_cast(o);
    struct tc_port *p;

    tc_flush(o, port_no);
    p = tc_port_find(tc, port_no);
    if (p) {
        tc_port_release(tc, p);
        tc_gone_forget_port(tc, port_no);
        *p = tc->ports[--tc->n_ports];
    }
}

static void
tc_destroy(struct ft_offload *o)
{
    struct tc *tc = tc_cast(o);

    tc_flush(o, FT_PORT_NONE);
    while (tc->n_ports) {
        tc_port_release(tc, &tc->ports[--tc->n_ports]);
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
 * its e-switch. */
static int
tc_tunnel_lookup(struct tc_lookup_ctx *ctx, const struct tc_port *p,
                 const struct ft_dpa_tunnel *tnl,
                 struct ft_tc_port_info *info, struct ft_error *err)
{
    struct ft_offload_underlay u;
    int error;

    info->tnl_dst_port = p->tnl_dst_port;
    if (!tnl || ctx->in->tnl_dst_port) {
        return 0;               /* tc-action.c refuses, saying why. */
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
    const struct tc_port *p = tc_port_find(ctx->tc, port_no);

    if (tnl && ctx->tc->up.tier != FT_TIER_HW) {
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
    if (ctx->in->tnl_dst_port && !p->switch_id_len) {
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
     * tc_tunnel_check_hw() sees that a NIC took it. */
    error = ft_tc_filter_build(flags, in->ifindex, match, actions,
                               tc_output_lookup, &lctx, tc->cookie,
                               in->tnl_dst_port ? 0 : in->skip, msgp,
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

    if (in->tnl_dst_port) {
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

/* ---- Batches (see "Batches" in offload.h). ---- */

/* The pending request with sequence number 'seq', or NULL. */
static struct tc_req *
tc_pending_find(struct tc *tc, uint32_t seq)
{
    for (size_t i = 0; i < tc->n_pending; i++) {
        if (tc->pending[i].flow && tc->pending[i].seq == seq) {
            return &tc->pending[i];
        }
    }
    return NULL;
}

/* What a request got back before its ack: a new or replaced filter (its
 * flags say where the kernel put it), or the counts of a filter about to
 * be replaced. */
static void
tc_drain_msg_cb(const struct nlmsghdr *nlh, void *tc_)
{
    struct tc_req *req = tc_pending_find(tc_, nlh->nlmsg_seq);
    struct ft_offload_flow *flow = req ? req->flow : NULL;
    struct ft_tc_filter f;

    if (!flow || nlh->nlmsg_type != RTM_NEWTFILTER
        || ft_tc_filter_parse(nlh, &f)) {
        return;
    }
    if (req->op == TC_REQ_GET) {
        flow->got_before = true;
        flow->before = flow->base;
        flow->before.n_packets += f.stats.n_packets;
        flow->before.n_bytes += ft_tc_stats_bytes(&flow->match,
                                                  f.stats.n_packets,
                                                  f.stats.n_bytes,
                                                  f.hw_packets);
        if (f.stats.used > flow->before.used) {
            flow->before.used = f.stats.used;
        }
    } else {
        flow->echoed = true;
        flow->echo_flags = f.flags;
    }
}

/* Moves 'flow', which the kernel refused with 'error' and 'msg', from
 * 'flows' to 'failed'. */
static void
tc_put_failed(struct tc *tc, struct ft_offload_flow *flow, int error,
              const char *msg)
{
    struct ft_error e;

    ft_error_set(&e, error == -EINVAL ? -EOPNOTSUPP : error, "tc: %s",
                 msg && msg[0] ? msg : strerror(-error));
    flow->error = e.code;
    free(flow->why);
    flow->why = ft_xstrdup(e.reason);
    tc->flows[flow->idx] = tc->flows[--tc->n_flows];
    tc->flows[flow->idx]->idx = flow->idx;
    if (tc->n_failed >= tc->allocated_failed) {
        tc->allocated_failed = tc->allocated_failed
                               ? 2 * tc->allocated_failed : 16;
        tc->failed = ft_xrealloc(tc->failed, tc->allocated_failed
                                             * sizeof *tc->failed);
    }
    tc->failed[tc->n_failed++] = flow;
}

/* Remembers that the filter of 'flow' must go (tc_gone_retry()). */
static void
tc_gone_add(struct tc *tc, const struct ft_offload_flow *flow)
{
    struct tc_gone *g;

    if (tc->n_gone >= tc->allocated_gone) {
        tc->allocated_gone = tc->allocated_gone ? 2 * tc->allocated_gone
                                                : 16;
        tc->gone = ft_xrealloc(tc->gone,
                               tc->allocated_gone * sizeof *tc->gone);
    }
    g = &tc->gone[tc->n_gone++];
    g->id = (struct ft_tc_filter_id) { flow->ifindex, flow->prio,
                                       flow->protocol, flow->handle };
    g->in_port = flow->in_port;
}

/* The filter of 'flow' is in the kernel: says where (with skip_sw, in a
 * NIC; with no skip flag, what the echo said, and why not in a NIC from
 * the ack's message 'msg'). */
static void
tc_note_placed(struct tc *tc, struct ft_offload_flow *flow, const char *msg)
{
    const struct tc_port *in = tc_port_find(tc, flow->in_port);
    struct ft_tc_filter f;
    struct ft_error why;

    if (!in || in->skip & TCA_CLS_FLAGS_SKIP_SW) {
        flow->in_hw = true;
        return;
    }
    if (in->skip & TCA_CLS_FLAGS_SKIP_HW) {
        flow->in_hw = false;
        return;
    }
    memset(&f, 0, sizeof f);
    f.flags = flow->echo_flags;
    ft_error_clear(&why);
    flow->in_hw = ft_tc_filter_in_hw(&f, msg, in->name, &why);
    if (!flow->echoed) {
        ft_error_set(&why, -EOPNOTSUPP, "tc: port %s: the kernel did not "
                     "say where it put the filter", in->name);
    }
    free(flow->why);
    flow->why = flow->in_hw ? NULL : ft_xstrdup(why.reason);
}

/* The ack of the pending request with 'seq'.  A put is installed or
 * refused; a replace too, and a refused one leaves the old filter, which
 * is to go (the flow moves to the next tier). */
static void
tc_drain_ack_cb(uint32_t seq, int error, const char *msg, void *tc_)
{
    struct tc *tc = tc_;
    struct tc_req *req = tc_pending_find(tc, seq);
    struct ft_offload_flow *flow = req ? req->flow : NULL;
    enum tc_req_op op = req ? req->op : TC_REQ_GET;

    if (!flow) {
        return;
    }
    req->flow = NULL;
    if (op == TC_REQ_GET || flow->error) {
        return;             /* A put already refused: so is its replace. */
    }
    flow->pending = false;
    if (error) {
        if (op == TC_REQ_REPLACE) {
            tc_gone_add(tc, flow);
        }
        tc_put_failed(tc, flow, error, msg);
        return;
    }
    if (op == TC_REQ_REPLACE && flow->got_before) {
        flow->base = flow->before;
    }
    tc_note_placed(tc, flow, msg);
}

/* Tries again to delete every filter in 'gone' (on 'port_no', or all if
 * FT_PORT_NONE); keeps those the kernel still refuses. */
static void
tc_gone_retry(struct tc *tc, ft_port_no port_no)
{
    struct ft_tc_filter_id *ids = ft_xmalloc((tc->n_gone + 1) * sizeof *ids);
    size_t *at = ft_xmalloc((tc->n_gone + 1) * sizeof *at);
    struct ft_tc_del_result *res;
    size_t n = 0, kept = 0;

    for (size_t i = 0; i < tc->n_gone; i++) {
        if (port_no == FT_PORT_NONE || tc->gone[i].in_port == port_no) {
            at[n] = i;
            ids[n++] = tc->gone[i].id;
        }
    }
    res = ft_xmalloc((n + 1) * sizeof *res);
    ft_tc_del_filters(tc->sock, ids, n, res);
    for (size_t i = 0, j = 0; i < tc->n_gone; i++) {
        bool tried = j < n && at[j] == i;
        bool done = tried && (!res[j].error || res[j].error == -ENOENT);

        j += tried;
        if (!done) {
            tc->gone[kept++] = tc->gone[i];
        }
    }
    tc->n_gone = kept;
    free(res);
    free(at);
    free(ids);
}

/* Reads the acks of every pending request.  A socket that fails loses
 * them: those puts and replaces are refused (their filters may exist:
 * they are deleted). */
static void
tc_drain(struct tc *tc)
{
    int error;

    if (!tc->n_pending) {
        return;
    }
    error = ft_tc_nl_collect(tc->sock, tc->n_pending, tc_drain_msg_cb,
                             tc_drain_ack_cb, tc);
    for (size_t i = 0; error && i < tc->n_pending; i++) {
        struct ft_offload_flow *flow = tc->pending[i].flow;

        if (flow && !flow->error) {
            flow->pending = false;
            tc_gone_add(tc, flow);
            tc_put_failed(tc, flow, -EIO, "the kernel's answer was lost");
        }
        tc->pending[i].flow = NULL;
    }
    tc->n_pending = 0;
}

static int
tc_commit(struct ft_offload *o,
          void (*failed)(void *aux, struct ft_offload_flow *, int error,
                         const char *reason),
          void *aux)
{
    struct tc *tc = tc_cast(o);

    tc_drain(tc);
    if (tc->n_gone) {
        tc_gone_retry(tc, FT_PORT_NONE);
    }
    for (size_t i = 0; i < tc->n_failed; i++) {
        struct ft_offload_flow *flow = tc->failed[i];

        failed(aux, flow, flow->error, flow->why);
        free(flow->why);
        free(flow);
    }
    tc->n_failed = 0;
    return 0;
}

/* Sends 'msg' for 'flow' as a request of kind 'op' without waiting for
 * its ack.  A new or replaced filter with neither skip flag asks for the
 * filter back (NLM_F_ECHO), which says where the kernel put it. */
static int
tc_send_async(struct tc *tc, const struct tc_port *in, struct nl_msg *msg,
              enum tc_req_op op, struct ft_offload_flow *flow,
              struct ft_error *err)
{
    struct tc_req *req = &tc->pending[tc->n_pending];
    int error;

    if (op != TC_REQ_GET
        && !(in->skip & (TCA_CLS_FLAGS_SKIP_SW | TCA_CLS_FLAGS_SKIP_HW))) {
        nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ECHO;
    }
    error = ft_tc_nl_send(tc->sock, msg, &req->seq, "tc", err);
    if (!error) {
        req->op = op;
        req->flow = flow;
        tc->n_pending++;
        if (op != TC_REQ_GET) {
            flow->pending = true;
        }
    }
    return error;
}

static int
tc_flow_put(struct ft_offload *o, const struct ft_match *match,
            const struct ft_dp_actions *actions,
            struct ft_offload_flow **flowp, struct ft_error *err)
{
    struct tc *tc = tc_cast(o);
    const struct tc_port *in = tc_port_find(tc, match->flow.in_port);
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
        tc_drain(tc);
        error = tc_filter_send(tc, in, msg, prio, protocol, tc->next_handle,
                               true, flow, err);
    } else {
        error = tc_send_async(tc, in, msg, TC_REQ_PUT, flow, err);
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
        tc_drain(tc);
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
    const struct tc_port *in = tc_port_find(tc, flow->in_port);
    uint16_t protocol = 0;
    struct nl_msg *msg;
    uint32_t prio;
    int error;

    if (tc->n_pending + 2 > TC_MAX_PENDING || (in && in->tnl_dst_port)) {
        tc_drain(tc);
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
    error = tc_send_async(tc, in, tc_filter_msg(RTM_GETTFILTER, 0,
                                                flow->ifindex, prio,
                                                protocol, flow->handle),
                          TC_REQ_GET, flow, err);
    if (!error) {
        error = tc_send_async(tc, in, msg, TC_REQ_REPLACE, flow, err);
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

    tc_drain(tc);
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

/* Frees 'flow', refused and not reported yet: it never will be. */
static void
tc_failed_forget(struct tc *tc, struct ft_offload_flow *flow)
{
    for (size_t i = 0; i < tc->n_failed; i++) {
        if (tc->failed[i] == flow) {
            tc->failed[i] = tc->failed[--tc->n_failed];
            break;
        }
    }
    free(flow->why);
    free(flow);
}

/* Deletes the filters of the 'n' flows 'flows' in one batch (tc-del.h)
 * and frees them: 'stats[i]' (if 'stats' is nonnull) gets flows[i]'s
 * final counts, from the deleted filter the kernel sent back, and
 * 'errors[i]' (if nonnull) 0 or why the kernel kept it; such a filter is
 * kept in 'gone' and tried again later.  Returns the number of failures. */
static size_t
tc_del_flows(struct tc *tc, struct ft_offload_flow *const flows[], size_t n,
             struct ft_stats stats[], int errors[])
{
    struct ft_tc_filter_id *ids = ft_xmalloc((n + 1) * sizeof *ids);
    struct ft_tc_del_result *res = ft_xmalloc((n + 1) * sizeof *res);
    size_t n_failed = 0;

    tc_drain(tc);
    for (size_t i = 0; i < n; i++) {
        const struct ft_offload_flow *f = flows[i];

        ids[i] = (struct ft_tc_filter_id) { f->ifindex, f->prio, f->protocol,
                                            f->handle };
    }
    ft_tc_del_filters(tc->sock, ids, n, res);
    for (size_t i = 0; i < n; i++) {
        struct ft_offload_flow *flow = flows[i];
        const struct ft_tc_del_result *r = &res[i];
        int error = r->error == -ENOENT ? 0 : r->error;

        if (stats) {
            stats[i] = flow->base;
            if (r->echoed) {
                const struct ft_stats *fs = &r->filter.stats;

                stats[i].n_packets += fs->n_packets;
                stats[i].n_bytes += ft_tc_stats_bytes(&flow->match,
                                                      fs->n_packets,
                                                      fs->n_bytes,
                                                      r->filter.hw_packets);
                if (fs->used > stats[i].used) {
                    stats[i].used = fs->used;
                }
            }
        }
        if (errors) {
            errors[i] = error;
        }
        if (error) {
            tc_gone_add(tc, flow);
            n_failed++;
        }
        tc_flow_forget(tc, flow);
    }
    free(res);
    free(ids);
    return n_failed;
}

static int
tc_flow_del(struct ft_offload *o, struct ft_offload_flow *flow,
            struct ft_stats *stats)
{
    struct tc *tc = tc_cast(o);
    int error;

    tc_drain(tc);
    if (flow->error) {
        if (stats) {
            *stats = flow->base;
        }
        tc_failed_forget(tc, flow);
        return 0;
    }
    tc_del_flows(tc, &flow, 1, stats, &error);
    return error;
}

static size_t
tc_flow_del_batch(struct ft_offload *o, struct ft_offload_flow *const flows[],
                  size_t n, struct ft_stats stats[], int errors[])
{
    struct tc *tc = tc_cast(o);
    struct ft_offload_flow **live = ft_xcalloc(n + 1, sizeof *live);
    struct ft_stats *live_stats = ft_xmalloc((n + 1) * sizeof *live_stats);
    int *live_errors = ft_xmalloc((n + 1) * sizeof *live_errors);
    size_t *at = ft_xmalloc((n + 1) * sizeof *at);
    size_t n_live = 0, n_failed;

    tc_drain(tc);
    if (tc->n_gone) {
        tc_gone_retry(tc, FT_PORT_NONE);
    }
    for (size_t i = 0; i < n; i++) {
        errors[i] = 0;
        if (flows[i]->error) {
            stats[i] = flows[i]->base;
            tc_failed_forget(tc, flows[i]);
        } else {
            at[n_live] = i;
            live[n_live++] = flows[i];
        }
    }
    n_failed = tc_del_flows(tc, live, n_live, live_stats, live_errors);
    for (size_t j = 0; j < n_live; j++) {
        stats[at[j]] = live_stats[j];
        errors[at[j]] = live_errors[j];
    }
    free(at);
    free(live_errors);
    free(live_stats);
    free(live);
    return n_failed;
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
    const struct tc_port *in = tc_port_find(tc, match->flow.in_port);
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
    .flow_del = tc_flow_del,
    .flow_del_batch = tc_flow_del_batch,
    .flow_stats = tc_flow_stats,
    .flush = tc_flush,
    .commit = tc_commit,
    .explain = tc_explain,
};
