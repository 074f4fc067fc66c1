/*
 * offload-verbs.c - the verbs offload provider (see offload-verbs.h):
 * drop rules through ibv_create_flow() on a raw packet QP per port, each
 * with its own flow counters set.
 *
 * Part of offload/.  Talks to RDMA devices through libibverbs only (the
 * translation is verbs-spec.c, the device search verbs-device.c).  All
 * state is in 'struct verbs': the ports it serves, each with its open
 * device, protection domain, CQ and QP, and the rules it installed.
 */
#include "offload-verbs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <infiniband/verbs.h>

#include "flowtier/ds.h"
#include "flowtier/util.h"
#include "offload-provider.h"
#include "verbs-device.h"
#include "verbs-spec.h"

struct verbs_port {
    ft_port_no port_no;
    char name[FT_PORT_NAME_MAX];
    struct ft_verbs_port_info info;
    struct ibv_context *ctx;
    struct ibv_pd *pd;
    struct ibv_cq *cq;
    struct ibv_qp *qp;
};

struct ft_offload_flow {
    ft_port_no port_no;
    struct ibv_flow *flow;
    struct ibv_counters *counters;
    struct ft_stats stats;
};

struct verbs {
    struct ft_offload up;
    struct verbs_port **ports;
    size_t n_ports;
    struct ft_offload_flow **flows;
    size_t n_flows, allocated;
};

static struct verbs *
verbs_cast(struct ft_offload *o)
{
    return (struct verbs *) o;
}

static long long int
verbs_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long int) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
verbs_create(struct ft_offload **offloadp, struct ft_error *err)
{
    struct verbs *v = ft_xcalloc(1, sizeof *v);

    (void) err;
    *offloadp = &v->up;
    return 0;
}

static void
verbs_port_close(struct verbs_port *p)
{
    if (p->qp) {
        ibv_destroy_qp(p->qp);
    }
    if (p->cq) {
        ibv_destroy_cq(p->cq);
    }
    if (p->pd) {
        ibv_dealloc_pd(p->pd);
    }
    if (p->ctx) {
        ibv_close_device(p->ctx);
    }
    free(p);
}

static struct verbs_port *
verbs_port_find(const struct verbs *v, ft_port_no port_no, size_t *idx)
{
    for (size_t i = 0; i < v->n_ports; i++) {
        if (v->ports[i]->port_no == port_no) {
            if (idx) {
                *idx = i;
            }
            return v->ports[i];
        }
    }
    return NULL;
}

/* Removes 'flow' from the device and frees it; its final counters go to
 * '*stats' if nonnull.  Does not touch 'v->flows'. */
static int
verbs_flow_free(struct ft_offload_flow *flow, struct ft_stats *stats)
{
    uint64_t c[2] = { 0, 0 };
    int error = 0;

    if (stats) {
        *stats = flow->stats;
        if (!ibv_read_counters(flow->counters, c, 2, 0)) {
            stats->n_packets = c[0];
            stats->n_bytes = c[1];
        }
    }
    if (flow->flow && ibv_destroy_flow(flow->flow)) {
        error = -errno;
    }
    if (flow->counters) {
        ibv_destroy_counters(flow->counters);
    }
    free(flow);
    return error;
}

static int
verbs_flush(struct ft_offload *o, ft_port_no port_no)
{
    struct verbs *v = verbs_cast(o);
    int error = 0;

    for (size_t i = 0; i < v->n_flows;) {
        struct ft_offload_flow *flow = v->flows[i];

        if (port_no == FT_PORT_NONE || flow->port_no == port_no) {
            v->flows[i] = v->flows[--v->n_flows];
            error = verbs_flow_free(flow, NULL) ? -EIO : error;
        } else {
            i++;
        }
    }
    return error;
}

static void
verbs_port_del(struct ft_offload *o, ft_port_no port_no)
{
    struct verbs *v = verbs_cast(o);
    struct verbs_port *p;
    size_t i;

    verbs_flush(o, port_no);
    p = verbs_port_find(v, port_no, &i);
    if (p) {
        v->ports[i] = v->ports[--v->n_ports];
        verbs_port_close(p);
    }
}

static void
verbs_destroy(struct ft_offload *o)
{
    struct verbs *v = verbs_cast(o);

    verbs_flush(o, FT_PORT_NONE);
    for (size_t i = 0; i < v->n_ports; i++) {
        verbs_port_close(v->ports[i]);
    }
    free(v->ports);
    free(v->flows);
    free(v);
}

/* Makes the raw packet QP of 'p' the rules hang on, in state RTR. */
static int
verbs_port_open_qp(struct verbs_port *p, struct ft_error *err)
{
    struct ibv_qp_init_attr qa;
    struct ibv_qp_attr attr;
    const char *step = "ibv_alloc_pd";

    p->pd = ibv_alloc_pd(p->ctx);
    if (p->pd) {
        step = "ibv_create_cq";
        p->cq = ibv_create_cq(p->ctx, 1, NULL, NULL, 0);
    }
    if (p->cq) {
        memset(&qa, 0, sizeof qa);
        qa.send_cq = qa.recv_cq = p->cq;
        qa.qp_type = IBV_QPT_RAW_PACKET;
        qa.cap.max_send_wr = qa.cap.max_recv_wr = 1;
        qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
        step = "ibv_create_qp(IBV_QPT_RAW_PACKET)";
        p->qp = ibv_create_qp(p->pd, &qa);
    }
    if (p->qp) {
        memset(&attr, 0, sizeof attr);
        attr.qp_state = IBV_QPS_INIT;
        attr.port_num = p->info.port_num;
        step = "ibv_modify_qp(INIT)";
        if (!ibv_modify_qp(p->qp, &attr, IBV_QP_STATE | IBV_QP_PORT)) {
            attr.qp_state = IBV_QPS_RTR;
            step = "ibv_modify_qp(RTR)";
            if (!ibv_modify_qp(p->qp, &attr, IBV_QP_STATE)) {
                return 0;
            }
        }
    }
    return ft_error_set(err, -EOPNOTSUPP, "verbs: port %s: %s cannot give "
                        "a raw packet QP for its rules (%s: %s; it needs "
                        "CAP_NET_RAW and a driver with raw packet QPs)",
                        p->name, p->info.dev, step, strerror(errno));
}

/* Refuses port 'id' if its device 'info' cannot hold rules. */
static int
verbs_port_check(const struct ft_port_identity *id,
                 const struct ft_verbs_port_info *info, struct ft_error *err)
{
    if (strcmp(info->link_layer, "Ethernet")) {
        return ft_error_set(err, -EOPNOTSUPP, "verbs: port %s: %s port %u "
                            "has link layer %s, not Ethernet", id->name,
                            info->dev, info->port_num, info->link_layer);
    }
    if (!info->flow_steering) {
        return ft_error_set(err, -EOPNOTSUPP, "verbs: port %s: %s has no "
                            "flow steering (IBV_DEVICE_MANAGED_FLOW_STEERING "
                            "absent)", id->name, info->dev);
    }
    if (info->raw_qp_error) {
        return ft_error_set(err, -EOPNOTSUPP, "verbs: port %s: %s has no "
                            "raw packet QP (ibv_create_qp "
                            "IBV_QPT_RAW_PACKET: %s)", id->name, info->dev,
                            strerror(-info->raw_qp_error));
    }
    return 0;
}

static void
verbs_port_caps(const struct verbs_port *p, struct ft_offload_caps *caps)
{
    memset(caps, 0, sizeof *caps);
    caps->match = (FT_OFFLOAD_M_IN_PORT | FT_OFFLOAD_M_ETH
                   | FT_OFFLOAD_M_VLAN | FT_OFFLOAD_M_IPV4
                   | FT_OFFLOAD_M_IPV6 | FT_OFFLOAD_M_L4);
    caps->actions = 0;          /* Drop only: an empty action list. */
    caps->counters = !p->info.counters_error;
    caps->max_flows = 0;        /* Verbs does not say. */
}

static int
verbs_port_add(struct ft_offload *o, const struct ft_port_identity *id,
               struct ft_offload_caps *caps, struct ft_error *err)
{
    struct verbs *v = verbs_cast(o);
    struct verbs_port *p;
    int error;

    if (o->tier != FT_TIER_HW) {
        return ft_error_set(err, -EOPNOTSUPP, "verbs: port %s: verbs rules "
                            "live in the NIC and serve the hw tier only",
                            id->name);
    }
    if (id->ifindex <= 0) {
        return ft_error_set(err, -EOPNOTSUPP, "verbs: port %s is not a "
                            "kernel network device (type %s)", id->name,
                            id->type);
    }
    p = verbs_port_find(v, id->port_no, NULL);
    if (p) {
        /* Known: its QP and rules stand (handles stay valid). */
        verbs_port_caps(p, caps);
        return 0;
    }
    p = ft_xcalloc(1, sizeof *p);
    p->port_no = id->port_no;
    snprintf(p->name, sizeof p->name, "%s", id->name);
    error = ft_verbs_port_find(id->name, id->ifindex, &p->info, &p->ctx, err);
    if (error == -ENODEV) {
        error = -EOPNOTSUPP;
    }
    if (!error) {
        error = verbs_port_check(id, &p->info, err);
    }
    if (!error) {
        error = verbs_port_open_qp(p, err);
    }
    if (error) {
        verbs_port_close(p);
        return error;
    }
    v->ports = ft_xrealloc(v->ports, (v->n_ports + 1) * sizeof *v->ports);
    v->ports[v->n_ports++] = p;
    verbs_port_caps(p, caps);
    return 0;
}

/* The port of in_port of 'match', or NULL with 'err' saying why. */
static struct verbs_port *
verbs_match_port(struct verbs *v, const struct ft_match *match,
                 struct ft_error *err)
{
    struct verbs_port *p = (match->mask.in_port == UINT32_MAX
                            ? verbs_port_find(v, match->flow.in_port, NULL)
                            : NULL);

    if (!p) {
        ft_error_set(err, -EOPNOTSUPP, "verbs: in_port %"PRIu32" is not a "
                     "port verbs serves", match->flow.in_port);
    } else if (p->info.counters_error) {
        ft_error_set(err, -EOPNOTSUPP, "verbs: %s has no flow counters "
                     "(ibv_create_counters: %s): a rule there would leave "
                     "the OpenFlow counters short and is not offloaded",
                     p->info.dev, strerror(-p->info.counters_error));
        p = NULL;
    }
    return p;
}

/* A counters set for a new rule: packets at index 0, bytes at 1. */
static struct ibv_counters *
verbs_counters_create(struct verbs_port *p, struct ft_error *err)
{
    struct ibv_counters_init_attr ia;
    struct ibv_counter_attach_attr aa;
    struct ibv_counters *c;
    int error;

    memset(&ia, 0, sizeof ia);
    c = ibv_create_counters(p->ctx, &ia);
    if (!c) {
        ft_error_set(err, -EOPNOTSUPP, "verbs: %s: ibv_create_counters: %s",
                     p->info.dev, strerror(errno));
        return NULL;
    }
    memset(&aa, 0, sizeof aa);
    aa.counter_desc = IBV_COUNTER_PACKETS;
    aa.index = 0;
    error = ibv_attach_counters_point_flow(c, &aa, NULL);
    if (!error) {
        aa.counter_desc = IBV_COUNTER_BYTES;
        aa.index = 1;
        error = ibv_attach_counters_point_flow(c, &aa, NULL);
    }
    if (error) {
        ft_error_set(err, -EOPNOTSUPP, "verbs: %s cannot count packets and "
                     "bytes of a rule (ibv_attach_counters_point_flow: %s)",
                     p->info.dev, strerror(error));
        ibv_destroy_counters(c);
        return NULL;
    }
    return c;
}

static int
verbs_flow_put(struct ft_offload *o, const struct ft_match *match,
               const struct ft_dp_actions *actions,
               struct ft_offload_flow **flowp, struct ft_error *err)
{
    struct verbs *v = verbs_cast(o);
    struct verbs_port *p = verbs_match_port(v, match, err);
    struct ft_offload_flow *flow;
    struct ft_verbs_rule rule;
    int error;

    if (!p) {
        return -EOPNOTSUPP;
    }
    error = ft_verbs_xlate(match, actions, p->info.port_num, true, &rule,
                           err);
    if (error) {
        return error;
    }
    flow = ft_xcalloc(1, sizeof *flow);
    flow->port_no = p->port_no;
    flow->counters = verbs_counters_create(p, err);
    if (!flow->counters) {
        free(flow);
        return -EOPNOTSUPP;
    }
    ft_verbs_rule_set_counters(&rule, flow->counters);
    flow->flow = ibv_create_flow(p->qp, &rule.attr);
    if (!flow->flow) {
        int e = errno;

        verbs_flow_free(flow, NULL);
        error = (e == ENOMEM || e == ENOSPC ? -ENOSPC : -EOPNOTSUPP);
        return ft_error_set(err, error, "verbs: %s refused the rule "
                            "(ibv_create_flow: %s)%s", p->info.dev,
                            strerror(e), error == -ENOSPC
                            ? ": its steering table is full" : "");
    }
    if (v->n_flows >= v->allocated) {
        v->allocated = v->allocated ? 2 * v->allocated : 16;
        v->flows = ft_xrealloc(v->flows, v->allocated * sizeof *v->flows);
    }
    v->flows[v->n_flows++] = flow;
    *flowp = flow;
    return 0;
}

static int
verbs_flow_del(struct ft_offload *o, struct ft_offload_flow *flow,
               struct ft_stats *stats)
{
    struct verbs *v = verbs_cast(o);

    for (size_t i = 0; i < v->n_flows; i++) {
        if (v->flows[i] == flow) {
            v->flows[i] = v->flows[--v->n_flows];
            return verbs_flow_free(flow, stats);
        }
    }
    return -ENOENT;
}

static int
verbs_flow_stats(struct ft_offload *o, struct ft_offload_flow *const flows[],
                 size_t n, struct ft_stats stats[])
{
    long long int now = verbs_now_ms();
    int error = 0;

    (void) o;
    for (size_t i = 0; i < n; i++) {
        struct ft_offload_flow *flow = flows[i];
        uint64_t c[2];
        int e = ibv_read_counters(flow->counters, c, 2, 0);

        if (e) {
            error = -e;
        } else {
            if (c[0] != flow->stats.n_packets) {
                flow->stats.used = now;
            }
            flow->stats.n_packets = c[0];
            flow->stats.n_bytes = c[1];
        }
        stats[i] = flow->stats;
    }
    return error;
}

static int
verbs_explain(struct ft_offload *o, const struct ft_match *match,
              const struct ft_dp_actions *actions, struct ds *out,
              struct ft_error *err)
{
    struct verbs_port *p = verbs_match_port(verbs_cast(o), match, err);
    struct ft_verbs_rule rule;
    int error;

    if (!p) {
        return -EOPNOTSUPP;
    }
    error = ft_verbs_xlate(match, actions, p->info.port_num, true, &rule,
                           err);
    if (!error) {
        ds_put_format(out, "%s: ", p->info.dev);
        ft_verbs_rule_format(&rule, out);
    }
    return error;
}

const struct ft_offload_class ft_offload_verbs_class = {
    .type = "verbs",
    .create = verbs_create,
    .destroy = verbs_destroy,
    .port_add = verbs_port_add,
    .port_del = verbs_port_del,
    .flow_put = verbs_flow_put,
    .flow_del = verbs_flow_del,
    .flow_stats = verbs_flow_stats,
    .flush = verbs_flush,
    .explain = verbs_explain,
};
