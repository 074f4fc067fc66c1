/*
 * bridge-underlay.c - the underlay toward a bridge's tunnel remotes, as the
 * bridge tells it to its offload providers, and the megaflows placed again
 * when it changes.
 *
 * Part of the management plane (mgmt/bridge/).  The answers come from
 * swpath's route resolver (swpath/tnl-route.h: routes asked of the kernel,
 * devices and neighbours from libnl caches that follow its notifications),
 * the one the userspace datapath encapsulates with, in a resolver of the
 * bridge's own, created when a provider first asks.  It keeps, per remote,
 * the last answer a provider got ('told'); a revalidator pass that sees
 * new notifications asks again for every remote, and a remote whose answer
 * differs (route, source, next hop, its Ethernet address, resolved or not)
 * makes the megaflows that encapsulate toward it, or decapsulate what
 * comes from it (their exact tun_src), stale: the revalidator
 * places each one again (bridge_megaflow_replace()), so no rule keeps an
 * old next hop.  Touches only the bridge's 'underlay' and its megaflows'
 * 'underlay_gen'.
 */
#include "mgmt/bridge/bridge-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"
#include "swpath/tnl-route.h"

static struct bridge_remote *
underlay_remote_find(const struct bridge_underlay *u, uint32_t dst)
{
    for (size_t i = 0; i < u->n_remotes; i++) {
        if (u->remotes[i].dst == dst) {
            return &u->remotes[i];
        }
    }
    return NULL;
}

/* Fills '*out' from the resolver's answer for 'dst'. */
static void
underlay_ask(struct ft_bridge *br, uint32_t dst,
             struct ft_offload_underlay *out)
{
    struct bridge_underlay *u = &br->underlay;
    const struct ft_tnl_nexthop *nh;
    struct ft_error err;
    int error;

    memset(out, 0, sizeof *out);
    out->dst = dst;
    if (!u->route) {
        ft_error_clear(&err);
        error = ft_tnl_route_create(&u->route, &err);
        if (error) {
            ft_bridge_warn(br, &br->port_rl, "tunnel underlay: %s",
                           err.reason);
            out->error = error;
            return;
        }
        u->changes_seen = ft_tnl_route_changes(u->route);
    }
    ft_tnl_route_run(u->route);
    nh = ft_tnl_route_lookup(u->route, dst);
    out->error = nh->error;
    if (!nh->error) {
        out->ifindex = nh->ifindex;
        out->src = nh->src;
        out->gateway = nh->gateway;
        out->mtu = nh->mtu;
        out->resolved = nh->resolved;
        out->src_mac = nh->src_mac;
        out->dst_mac = nh->dst_mac;
    }
}

/* Whether providers told 'a' and 'b' would build different rules. */
static bool
underlay_differs(const struct ft_offload_underlay *a,
                 const struct ft_offload_underlay *b)
{
    return (a->error != b->error || a->ifindex != b->ifindex
            || a->src != b->src || a->gateway != b->gateway
            || a->resolved != b->resolved
            || memcmp(&a->src_mac, &b->src_mac, sizeof a->src_mac)
            || (a->resolved
                && memcmp(&a->dst_mac, &b->dst_mac, sizeof a->dst_mac)));
}

/* Records that providers now know 'now' of its remote; if it differs
 * from what they were told before, the megaflows toward it are stale
 * from generation 'gen' on. */
static void
underlay_remember(struct bridge_underlay *u,
                  const struct ft_offload_underlay *now, uint64_t gen)
{
    struct bridge_remote *r = underlay_remote_find(u, now->dst);

    if (!r) {
        u->remotes = ft_xrealloc(u->remotes, (u->n_remotes + 1)
                                             * sizeof *u->remotes);
        r = &u->remotes[u->n_remotes++];
        r->dst = now->dst;
        r->told = *now;
        r->changed_gen = 0;
    } else if (underlay_differs(&r->told, now)) {
        r->told = *now;
        r->changed_gen = gen;
        u->gen = gen;
    }
}

void
bridge_underlay_resolve(void *br_, uint32_t dst,
                        struct ft_offload_underlay *out)
{
    struct ft_bridge *br = br_;

    underlay_ask(br, dst, out);
    underlay_remember(&br->underlay, out, br->underlay.gen + 1);
}

void
bridge_underlay_run(struct ft_bridge *br)
{
    struct bridge_underlay *u = &br->underlay;
    uint64_t gen = u->gen + 1;
    uint64_t changes;

    if (!u->route) {
        return;
    }
    ft_tnl_route_run(u->route);
    changes = ft_tnl_route_changes(u->route);
    if (changes == u->changes_seen) {
        return;
    }
    u->changes_seen = changes;
    for (size_t i = 0; i < u->n_remotes; i++) {
        struct ft_offload_underlay now;

        underlay_ask(br, u->remotes[i].dst, &now);
        underlay_remember(u, &now, gen);
    }
}

bool
bridge_underlay_stale(struct ft_bridge *br, struct bridge_megaflow *mf)
{
    const struct bridge_underlay *u = &br->underlay;
    bool stale = false;

    if (mf->underlay_gen == u->gen) {
        return false;
    }
    /* A megaflow of tunnel input: a decapsulating rule sits on the port
     * the route to the remote it comes from leaves through. */
    if (mf->match.mask.tun_src == UINT32_MAX) {
        const struct bridge_remote *r;

        r = underlay_remote_find(u, mf->match.flow.tun_src);
        stale = r && r->changed_gen > mf->underlay_gen;
    }
    for (size_t i = 0; i < mf->actions.n && !stale; i++) {
        const struct ft_dp_action *a = &mf->actions.acts[i];
        const struct bridge_remote *r;

        if (a->type == FT_DPA_SET_TUNNEL) {
            r = underlay_remote_find(u, a->tunnel.dst);
            stale = r && r->changed_gen > mf->underlay_gen;
        }
    }
    mf->underlay_gen = u->gen;
    return stale;
}

void
bridge_underlay_destroy(struct ft_bridge *br)
{
    ft_tnl_route_destroy(br->underlay.route);
    free(br->underlay.remotes);
    memset(&br->underlay, 0, sizeof br->underlay);
}
