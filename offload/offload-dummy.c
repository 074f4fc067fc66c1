/*
 * offload-dummy.c - a scriptable offload provider, for tests only (see
 * offload-dummy.h).
 *
 * Rules live in an array in the instance; lookups are linear, which is
 * fine for the handful of megaflows a test makes.  All state is in
 * 'struct dummy'.
 */
#include "offload-dummy.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flowtier/util.h"
#include "offload-provider.h"

#define DUMMY_MAX_REFUSED_PORTS 8

struct ft_offload_flow {
    struct ft_match match;
    struct ft_dp_actions actions;
    struct ft_stats stats;
    int error;                  /* A deferred refusal, or 0. */
    char *why;                  /* Its reason (owned). */
    bool uncommitted;           /* Deferring: its tier is known at commit. */
};

struct dummy_refused_port {
    ft_port_no port_no;
    char *reason;
};

struct dummy {
    struct ft_offload up;

    struct ft_offload_flow **flows;
    size_t n_flows, allocated;

    /* The script. */
    const char *refused_field;          /* Static name, or NULL. */
    size_t field_ofs, field_len;
    const char *slower_field;           /* Static name, or NULL. */
    size_t slower_ofs, slower_len;
    int refused_action;                 /* enum ft_dpa_type, or -1. */
    struct dummy_refused_port ports[DUMMY_MAX_REFUSED_PORTS];
    size_t max_flows;
    unsigned int failing_modifies;
    uint64_t stats_delay_usec;          /* Added to each flow_stats. */
    uint64_t change_delay_usec;         /* Added to each flow_modify and
                                         * flow_del. */
    bool defer;                         /* Refusals wait for commit. */
    struct ft_offload_flow **deferred;  /* Refused, not reported yet. */
    size_t n_deferred;

    struct ft_offload_dummy_calls calls;
};

static struct dummy *
dummy_cast(struct ft_offload *o)
{
    return (struct dummy *) o;
}

static const struct dummy *
dummy_cast_const(const struct ft_offload *o)
{
    return (const struct dummy *) o;
}

/* The fields a test may refuse, by their 'struct ft_flow' names. */
#define FIELD(NAME, MEMBER) \
    { NAME, offsetof(struct ft_flow, MEMBER), \
      sizeof ((struct ft_flow *) 0)->MEMBER }
static const struct {
    const char *name;
    size_t ofs, len;
} dummy_fields[] = {
    FIELD("tun_id", tun_id), FIELD("tun_src", tun_src),
    FIELD("tun_dst", tun_dst), FIELD("in_port", in_port),
    FIELD("metadata", metadata), FIELD("regs", regs),
    FIELD("dl_dst", dl_dst), FIELD("dl_src", dl_src),
    FIELD("dl_type", dl_type), FIELD("dl_vlan", vlans[0]),
    FIELD("nw_src", nw_src), FIELD("nw_dst", nw_dst),
    FIELD("ipv6_src", ipv6_src), FIELD("ipv6_dst", ipv6_dst),
    FIELD("nw_proto", nw_proto), FIELD("nw_tos", nw_tos),
    FIELD("nw_ttl", nw_ttl), FIELD("nw_frag", nw_frag),
    FIELD("tp_src", tp_src), FIELD("tp_dst", tp_dst),
    FIELD("tcp_flags", tcp_flags),
};
#undef FIELD

static const char *const dummy_action_names[] = {
    [FT_DPA_OUTPUT] = "output",
    [FT_DPA_PUSH_VLAN] = "push_vlan",
    [FT_DPA_POP_VLAN] = "pop_vlan",
    [FT_DPA_SET_ETH] = "set(eth)",
    [FT_DPA_SET_IPV4] = "set(ipv4)",
    [FT_DPA_SET_IPV6] = "set(ipv6)",
    [FT_DPA_SET_L4] = "set(l4)",
    [FT_DPA_SET_TUNNEL] = "set(tunnel)",
    [FT_DPA_USERSPACE] = "userspace",
};

static int
dummy_create(struct ft_offload **offloadp, struct ft_error *err)
{
    struct dummy *d = ft_xcalloc(1, sizeof *d);

    (void) err;
    d->refused_action = -1;
    *offloadp = &d->up;
    return 0;
}

static void
dummy_flow_free(struct ft_offload_flow *flow)
{
    ft_dp_actions_uninit(&flow->actions);
    free(flow->why);
    free(flow);
}

static void
dummy_destroy(struct ft_offload *o)
{
    struct dummy *d = dummy_cast(o);

    for (size_t i = 0; i < d->n_flows; i++) {
        dummy_flow_free(d->flows[i]);
    }
    for (size_t i = 0; i < d->n_deferred; i++) {
        dummy_flow_free(d->deferred[i]);
    }
    free(d->deferred);
    for (size_t i = 0; i < DUMMY_MAX_REFUSED_PORTS; i++) {
        free(d->ports[i].reason);
    }
    free(d->flows);
    free(d);
}

static struct dummy_refused_port *
dummy_find_port(struct dummy *d, ft_port_no port_no)
{
    for (size_t i = 0; i < DUMMY_MAX_REFUSED_PORTS; i++) {
        if (d->ports[i].reason && d->ports[i].port_no == port_no) {
            return &d->ports[i];
        }
    }
    return NULL;
}

static int
dummy_port_add(struct ft_offload *o, const struct ft_port_identity *id,
               struct ft_offload_caps *caps, struct ft_error *err)
{
    struct dummy *d = dummy_cast(o);
    struct dummy_refused_port *p = dummy_find_port(d, id->port_no);

    d->calls.port_add++;
    if (p) {
        return ft_error_set(err, -EOPNOTSUPP, "%s: port %s: %s", o->name,
                            id->name, p->reason);
    }
    memset(caps, 0, sizeof *caps);
    caps->match = ~0u;
    caps->actions = ~0u;
    caps->counters = true;
    caps->max_flows = d->max_flows;
    return 0;
}

static bool
dummy_mask_used(const struct ft_match *match, size_t ofs, size_t len)
{
    const uint8_t *mask = (const uint8_t *) &match->mask + ofs;

    for (size_t i = 0; i < len; i++) {
        if (mask[i]) {
            return true;
        }
    }
    return false;
}

/* Checks 'match' and 'actions' against the script. */
static int
dummy_check(const struct dummy *d, const struct ft_match *match,
            const struct ft_dp_actions *actions, struct ft_error *err)
{
    if (d->refused_field && match
        && dummy_mask_used(match, d->field_ofs, d->field_len)) {
        return ft_error_set(err, -EOPNOTSUPP, "%s: cannot offload match "
                            "on %s", d->up.name, d->refused_field);
    }
    for (size_t i = 0; i < actions->n; i++) {
        if ((int) actions->acts[i].type == d->refused_action) {
            return ft_error_set(err, -EOPNOTSUPP, "%s: cannot offload "
                                "action %s", d->up.name,
                                dummy_action_names[d->refused_action]);
        }
    }
    return 0;
}

static int
dummy_flow_put(struct ft_offload *o, const struct ft_match *match,
               const struct ft_dp_actions *actions,
               struct ft_offload_flow **flowp, struct ft_error *err)
{
    struct dummy *d = dummy_cast(o);
    struct ft_offload_flow *flow;
    struct dummy_refused_port *p;
    int error;

    d->calls.flow_put++;
    p = match->mask.in_port ? dummy_find_port(d, match->flow.in_port)
                            : NULL;
    if (p) {
        return ft_error_set(err, -EOPNOTSUPP, "%s: port %u: %s", o->name,
                            p->port_no, p->reason);
    }
    error = dummy_check(d, match, actions, err);
    if (error && d->defer) {
        /* Taken for now; refused when committed. */
        flow = ft_xcalloc(1, sizeof *flow);
        flow->match = *match;
        ft_dp_actions_init(&flow->actions);
        flow->error = error;
        flow->why = ft_xstrdup(err->reason);
        ft_error_clear(err);
        d->deferred = ft_xrealloc(d->deferred, (d->n_deferred + 1)
                                               * sizeof *d->deferred);
        d->deferred[d->n_deferred++] = flow;
        *flowp = flow;
        return 0;
    }
    if (error) {
        return error;
    }
    if (d->max_flows && d->n_flows >= d->max_flows) {
        return ft_error_set(err, -ENOSPC, "%s: table full (%zu rules)",
                            o->name, d->max_flows);
    }
    if (d->n_flows >= d->allocated) {
        d->allocated = d->allocated ? 2 * d->allocated : 16;
        d->flows = ft_xrealloc(d->flows, d->allocated * sizeof *d->flows);
    }
    flow = ft_xcalloc(1, sizeof *flow);
    flow->match = *match;
    ft_dp_actions_init(&flow->actions);
    ft_dp_actions_copy(&flow->actions, actions);
    flow->uncommitted = d->defer;
    d->flows[d->n_flows++] = flow;
    *flowp = flow;
    return 0;
}

/* Waits 'usec' of wall time (0: not at all). */
static void
dummy_sleep(uint64_t usec)
{
    struct timespec ts = {
        .tv_sec = (time_t) (usec / 1000000),
        .tv_nsec = (long) (usec % 1000000) * 1000,
    };

    while (usec && nanosleep(&ts, &ts) && errno == EINTR) {
        continue;
    }
}

static int
dummy_flow_modify(struct ft_offload *o, struct ft_offload_flow *flow,
                  const struct ft_dp_actions *actions, struct ft_error *err)
{
    struct dummy *d = dummy_cast(o);
    int error;

    d->calls.flow_modify++;
    dummy_sleep(d->change_delay_usec);
    if (d->failing_modifies) {
        d->failing_modifies--;
        return ft_error_set(err, -EIO, "%s: rule update failed (scripted "
                            "failure)", o->name);
    }
    error = dummy_check(d, NULL, actions, err);
    if (!error) {
        ft_dp_actions_copy(&flow->actions, actions);
    }
    return error;
}

static int
dummy_flow_del(struct ft_offload *o, struct ft_offload_flow *flow,
               struct ft_stats *stats)
{
    struct dummy *d = dummy_cast(o);

    d->calls.flow_del++;
    dummy_sleep(d->change_delay_usec);
    for (size_t i = 0; i < d->n_deferred; i++) {
        if (d->deferred[i] == flow) {
            d->deferred[i] = d->deferred[--d->n_deferred];
            dummy_flow_free(flow);
            return 0;
        }
    }
    for (size_t i = 0; i < d->n_flows; i++) {
        if (d->flows[i] == flow) {
            if (stats) {
                *stats = flow->stats;
            }
            d->flows[i] = d->flows[--d->n_flows];
            dummy_flow_free(flow);
            return 0;
        }
    }
    return -ENOENT;
}

static int
dummy_flow_stats(struct ft_offload *o, struct ft_offload_flow *const flows[],
                 size_t n, struct ft_stats stats[])
{
    struct dummy *d = dummy_cast(o);

    d->calls.flow_stats++;
    dummy_sleep(d->stats_delay_usec);
    for (size_t i = 0; i < n; i++) {
        stats[i] = flows[i]->stats;
    }
    return 0;
}

static int
dummy_flush(struct ft_offload *o, ft_port_no port_no)
{
    struct dummy *d = dummy_cast(o);

    d->calls.flush++;
    for (size_t i = 0; i < d->n_deferred;) {
        struct ft_offload_flow *flow = d->deferred[i];

        if (port_no == FT_PORT_NONE
            || (flow->match.mask.in_port
                && flow->match.flow.in_port == port_no)) {
            d->deferred[i] = d->deferred[--d->n_deferred];
            dummy_flow_free(flow);
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < d->n_flows;) {
        struct ft_offload_flow *flow = d->flows[i];

        if (port_no == FT_PORT_NONE
            || (flow->match.mask.in_port
                && flow->match.flow.in_port == port_no)) {
            d->flows[i] = d->flows[--d->n_flows];
            dummy_flow_free(flow);
        } else {
            i++;
        }
    }
    return 0;
}

static void
dummy_port_del(struct ft_offload *o, ft_port_no port_no)
{
    dummy_flush(o, port_no);
}

static int
dummy_commit(struct ft_offload *o,
             void (*failed)(void *aux, struct ft_offload_flow *, int error,
                            const char *reason),
             void *aux)
{
    struct dummy *d = dummy_cast(o);

    for (size_t i = 0; i < d->n_deferred; i++) {
        failed(aux, d->deferred[i], d->deferred[i]->error,
               d->deferred[i]->why);
        dummy_flow_free(d->deferred[i]);
    }
    d->n_deferred = 0;
    for (size_t i = 0; i < d->n_flows; i++) {
        d->flows[i]->uncommitted = false;
    }
    return 0;
}

static enum ft_tier
dummy_flow_tier(const struct ft_offload *o,
                const struct ft_offload_flow *flow, struct ft_error *why)
{
    const struct dummy *d = dummy_cast_const(o);

    if (o->tier != FT_TIER_HW || !d->slower_field || flow->uncommitted
        || !dummy_mask_used(&flow->match, d->slower_ofs, d->slower_len)) {
        return o->tier;
    }
    if (why) {
        ft_error_set(why, -EOPNOTSUPP, "%s: cannot offload match on %s "
                     "(kept in the kernel)", o->name, d->slower_field);
    }
    return FT_TIER_KERNEL;
}

const struct ft_offload_class ft_offload_dummy_class = {
    .type = "dummy",
    .create = dummy_create,
    .destroy = dummy_destroy,
    .port_add = dummy_port_add,
    .port_del = dummy_port_del,
    .flow_put = dummy_flow_put,
    .flow_tier = dummy_flow_tier,
    .flow_modify = dummy_flow_modify,
    .flow_del = dummy_flow_del,
    .flow_stats = dummy_flow_stats,
    .flush = dummy_flush,
    .commit = dummy_commit,
};

/* The script. */

int
ft_offload_dummy_refuse_field(struct ft_offload *o, const char *field)
{
    struct dummy *d = dummy_cast(o);

    d->refused_field = NULL;
    if (!field) {
        return 0;
    }
    for (size_t i = 0; i < sizeof dummy_fields / sizeof dummy_fields[0];
         i++) {
        if (!strcmp(dummy_fields[i].name, field)) {
            d->refused_field = dummy_fields[i].name;
            d->field_ofs = dummy_fields[i].ofs;
            d->field_len = dummy_fields[i].len;
            return 0;
        }
    }
    return -EINVAL;
}

void
ft_offload_dummy_defer_refusals(struct ft_offload *o, bool defer)
{
    dummy_cast(o)->defer = defer;
}

int
ft_offload_dummy_keep_slower(struct ft_offload *o, const char *field)
{
    struct dummy *d = dummy_cast(o);

    d->slower_field = NULL;
    if (!field) {
        return 0;
    }
    for (size_t i = 0; i < sizeof dummy_fields / sizeof dummy_fields[0];
         i++) {
        if (!strcmp(dummy_fields[i].name, field)) {
            d->slower_field = dummy_fields[i].name;
            d->slower_ofs = dummy_fields[i].ofs;
            d->slower_len = dummy_fields[i].len;
            return 0;
        }
    }
    return -EINVAL;
}

void
ft_offload_dummy_refuse_action(struct ft_offload *o, int type)
{
    dummy_cast(o)->refused_action = type;
}

void
ft_offload_dummy_refuse_port(struct ft_offload *o, ft_port_no port_no,
                             const char *reason)
{
    struct dummy *d = dummy_cast(o);
    struct dummy_refused_port *p = dummy_find_port(d, port_no);

    if (!p) {
        for (size_t i = 0; i < DUMMY_MAX_REFUSED_PORTS && !p; i++) {
            if (!d->ports[i].reason) {
                p = &d->ports[i];
            }
        }
        if (!p) {
            abort();
        }
    }
    free(p->reason);
    p->port_no = port_no;
    p->reason = reason ? ft_xstrdup(reason) : NULL;
}

void
ft_offload_dummy_set_max_flows(struct ft_offload *o, size_t max)
{
    dummy_cast(o)->max_flows = max;
}

void
ft_offload_dummy_set_change_delay(struct ft_offload *o, uint64_t usec)
{
    dummy_cast(o)->change_delay_usec = usec;
}

void
ft_offload_dummy_set_stats_delay(struct ft_offload *o, uint64_t usec)
{
    dummy_cast(o)->stats_delay_usec = usec;
}

void
ft_offload_dummy_fail_modifies(struct ft_offload *o, unsigned int n)
{
    dummy_cast(o)->failing_modifies = n;
}

size_t
ft_offload_dummy_credit(struct ft_offload *o, const struct ft_match *match,
                        uint64_t n_packets, uint64_t n_bytes,
                        long long int used)
{
    struct dummy *d = dummy_cast(o);
    size_t n = 0;

    for (size_t i = 0; i < d->n_flows; i++) {
        struct ft_offload_flow *flow = d->flows[i];

        if (!match || ft_match_equal(&flow->match, match)) {
            flow->stats.n_packets += n_packets;
            flow->stats.n_bytes += n_bytes;
            if (used > flow->stats.used) {
                flow->stats.used = used;
            }
            n++;
        }
    }
    return n;
}

size_t
ft_offload_dummy_n_flows(const struct ft_offload *o)
{
    return dummy_cast_const(o)->n_flows;
}

void
ft_offload_dummy_get_calls(const struct ft_offload *o,
                           struct ft_offload_dummy_calls *calls)
{
    *calls = dummy_cast_const(o)->calls;
}

const struct ft_dp_actions *
ft_offload_dummy_find(const struct ft_offload *o,
                      const struct ft_match *match)
{
    const struct dummy *d = dummy_cast_const(o);

    for (size_t i = 0; i < d->n_flows; i++) {
        if (ft_match_equal(&d->flows[i]->match, match)) {
            return &d->flows[i]->actions;
        }
    }
    return NULL;
}
