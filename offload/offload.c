/*
 * offload.c - the offload provider dispatcher: offload.h's functions, each
 * calling the member of the instance's class (offload-provider.h).
 *
 * It turns a NULL member into -EOPNOTSUPP with a reason naming the
 * provider and the operation, so that every refusal reaches the user with
 * words, and holds no state of its own.
 */
#include "offload-provider.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"

static int
offload_unsupported(const struct ft_offload *o, const char *op,
                    struct ft_error *err)
{
    return ft_error_set(err, -EOPNOTSUPP, "%s: cannot %s", o->name, op);
}

int
ft_offload_create(const struct ft_offload_class *class, const char *name,
                  enum ft_tier tier, struct ft_offload **offloadp,
                  struct ft_error *err)
{
    struct ft_offload *o;
    int error;

    *offloadp = NULL;
    if (tier != FT_TIER_HW && tier != FT_TIER_KERNEL) {
        return ft_error_set(err, -EINVAL, "%s: an offload provider serves "
                            "the hw or the kernel tier, not %s", name,
                            ft_tier_name(tier));
    }
    error = class->create(&o, err);
    if (error) {
        return error;
    }
    o->class = class;
    o->name = ft_xstrdup(name);
    o->tier = tier;
    *offloadp = o;
    return 0;
}

void
ft_offload_destroy(struct ft_offload *o)
{
    if (o) {
        char *name = o->name;

        o->class->destroy(o);
        free(name);
    }
}

const char *
ft_offload_name(const struct ft_offload *o)
{
    return o->name;
}

const char *
ft_offload_type(const struct ft_offload *o)
{
    return o->class->type;
}

enum ft_tier
ft_offload_tier(const struct ft_offload *o)
{
    return o->tier;
}

int
ft_offload_port_add(struct ft_offload *o, const struct ft_port_identity *id,
                    struct ft_offload_caps *caps, struct ft_error *err)
{
    if (!o->class->port_add) {
        return ft_error_set(err, -EOPNOTSUPP, "%s: port %s: cannot "
                            "program rules for ports", o->name, id->name);
    }
    return o->class->port_add(o, id, caps, err);
}

void
ft_offload_port_del(struct ft_offload *o, ft_port_no port_no)
{
    if (o->class->port_del) {
        o->class->port_del(o, port_no);
    }
}

int
ft_offload_flow_put(struct ft_offload *o, const struct ft_match *match,
                    const struct ft_dp_actions *actions,
                    struct ft_offload_flow **flowp, struct ft_error *err)
{
    *flowp = NULL;
    return (o->class->flow_put
            ? o->class->flow_put(o, match, actions, flowp, err)
            : offload_unsupported(o, "install megaflows", err));
}

bool
ft_offload_batches(const struct ft_offload *o)
{
    return o->class->commit != NULL;
}

int
ft_offload_commit(struct ft_offload *o,
                  void (*failed)(void *aux, struct ft_offload_flow *flow,
                                 int error, const char *reason),
                  void *aux)
{
    return o->class->commit ? o->class->commit(o, failed, aux) : 0;
}

void
ft_offload_get_removals(const struct ft_offload *o,
                        struct ft_offload_removals *r)
{
    if (o->class->get_removals) {
        o->class->get_removals(o, r);
    } else {
        memset(r, 0, sizeof *r);
    }
}

enum ft_tier
ft_offload_flow_tier(const struct ft_offload *o,
                     const struct ft_offload_flow *flow, struct ft_error *why)
{
    return (o->class->flow_tier ? o->class->flow_tier(o, flow, why)
                                : o->tier);
}

int
ft_offload_flow_modify(struct ft_offload *o, struct ft_offload_flow *flow,
                       const struct ft_dp_actions *actions,
                       struct ft_error *err)
{
    return (o->class->flow_modify
            ? o->class->flow_modify(o, flow, actions, err)
            : offload_unsupported(o, "change a rule's actions in place",
                                  err));
}

int
ft_offload_flow_del(struct ft_offload *o, struct ft_offload_flow *flow,
                    struct ft_stats *stats)
{
    return (o->class->flow_del
            ? o->class->flow_del(o, flow, stats)
            : offload_unsupported(o, "delete rules", NULL));
}

size_t
ft_offload_flow_del_batch(struct ft_offload *o,
                          struct ft_offload_flow *const flows[], size_t n,
                          struct ft_stats stats[], int errors[])
{
    size_t n_failed = 0;

    if (o->class->flow_del_batch) {
        return o->class->flow_del_batch(o, flows, n, stats, errors);
    }
    for (size_t i = 0; i < n; i++) {
        stats[i] = (struct ft_stats) { 0, 0, 0 };
        errors[i] = ft_offload_flow_del(o, flows[i], &stats[i]);
        n_failed += errors[i] != 0;
    }
    return n_failed;
}

int
ft_offload_flow_stats(struct ft_offload *o,
                      struct ft_offload_flow *const flows[], size_t n,
                      struct ft_stats stats[])
{
    if (!n) {
        return 0;
    }
    return (o->class->flow_stats
            ? o->class->flow_stats(o, flows, n, stats)
            : offload_unsupported(o, "read counters", NULL));
}

int
ft_offload_flush(struct ft_offload *o, ft_port_no port_no)
{
    return (o->class->flush
            ? o->class->flush(o, port_no)
            : offload_unsupported(o, "flush rules", NULL));
}

int
ft_offload_explain(struct ft_offload *o, const struct ft_match *match,
                   const struct ft_dp_actions *actions, struct ds *out,
                   struct ft_error *err)
{
    return (o->class->explain
            ? o->class->explain(o, match, actions, out, err)
            : offload_unsupported(o, "show its rules as commands", err));
}

void
ft_offload_set_underlay(struct ft_offload *o, ft_offload_underlay_fn *fn,
                        void *aux)
{
    o->underlay = fn;
    o->underlay_aux = aux;
}

int
ft_offload_underlay_get(const struct ft_offload *o, uint32_t dst,
                        struct ft_offload_underlay *out, struct ft_error *err)
{
    struct in_addr a = { htonl(dst) }, g;
    char abuf[INET_ADDRSTRLEN], gbuf[INET_ADDRSTRLEN];

    memset(out, 0, sizeof *out);
    out->dst = dst;
    inet_ntop(AF_INET, &a, abuf, sizeof abuf);
    if (!o->underlay) {
        return ft_error_set(err, -ENOENT, "%s: tunnel to %s: the bridge "
                            "gives this provider no underlay route",
                            o->name, abuf);
    }
    o->underlay(o->underlay_aux, dst, out);
    if (out->error) {
        return ft_error_set(err, -EOPNOTSUPP, "%s: tunnel to %s: no route "
                            "to it (%s)", o->name, abuf,
                            strerror(-out->error));
    }
    if (!out->resolved) {
        g.s_addr = htonl(out->gateway ? out->gateway : dst);
        inet_ntop(AF_INET, &g, gbuf, sizeof gbuf);
        return ft_error_set(err, -EOPNOTSUPP, "%s: tunnel to %s: no "
                            "neighbour for %s yet (the userspace datapath "
                            "sends through the kernel meanwhile, which "
                            "resolves it)", o->name, abuf, gbuf);
    }
    return 0;
}
