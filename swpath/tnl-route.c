/*
 * tnl-route.c - underlay routes and neighbours of tunnels through
 * libnl-route (swpath/tnl-route.h explains the design).
 *
 * Part of the software datapath.  Talks rtnetlink only: one cache manager
 * socket (links, neighbours, IPv4 routes) and one synchronous socket for
 * route queries.  All state lives in 'struct ft_tnl_route'.
 */
#include "tnl-route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

#define TNL_ROUTE_SLOTS 64      /* Cached destinations (power of 2). */

struct tnl_route_slot {
    bool used;
    uint64_t generation;        /* Fresh iff == r->generation. */
    struct ft_tnl_nexthop nh;
};

struct ft_tnl_route {
    struct nl_cache_mngr *mngr;
    struct nl_cache *links, *neighs, *routes;
    struct nl_sock *query;      /* RTM_GETROUTE. */
    uint64_t generation;        /* Bumped by every notification. */
    struct tnl_route_slot slots[TNL_ROUTE_SLOTS];
};

static void
tnl_route_changed(struct nl_cache *cache, struct nl_object *obj, int action,
                  void *aux)
{
    struct ft_tnl_route *r = aux;

    (void) cache;
    (void) obj;
    (void) action;
    r->generation++;
}

int
ft_tnl_route_create(struct ft_tnl_route **routep, struct ft_error *err)
{
    struct ft_tnl_route *r = calloc(1, sizeof *r);
    const char *what = "cache manager";
    int error;

    *routep = NULL;
    if (!r) {
        return ft_error_set(err, -ENOMEM, "tunnel routes: out of memory");
    }
    r->generation = 1;
    error = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE,
                                &r->mngr);
    if (!error) {
        what = "device cache";
        error = nl_cache_mngr_add(r->mngr, "route/link", tnl_route_changed,
                                  r, &r->links);
    }
    if (!error) {
        what = "neighbour cache";
        error = nl_cache_mngr_add(r->mngr, "route/neigh", tnl_route_changed,
                                  r, &r->neighs);
    }
    if (!error) {
        what = "route cache";
        error = nl_cache_mngr_add(r->mngr, "route/route", tnl_route_changed,
                                  r, &r->routes);
    }
    if (!error) {
        what = "route query socket";
        r->query = nl_socket_alloc();
        error = r->query ? nl_connect(r->query, NETLINK_ROUTE) : -NLE_NOMEM;
    }
    if (error) {
        ft_error_set(err, -EIO, "tunnel routes: cannot set up the %s "
                     "(libnl: %s)", what, nl_geterror(error));
        ft_tnl_route_destroy(r);
        return -EIO;
    }
    nl_socket_disable_auto_ack(r->query);
    *routep = r;
    return 0;
}

void
ft_tnl_route_destroy(struct ft_tnl_route *r)
{
    if (r) {
        if (r->mngr) {
            nl_cache_mngr_free(r->mngr);
        }
        if (r->query) {
            nl_socket_free(r->query);
        }
        free(r);
    }
}

int
ft_tnl_route_get_fd(const struct ft_tnl_route *r)
{
    return nl_cache_mngr_get_fd(r->mngr);
}

void
ft_tnl_route_run(struct ft_tnl_route *r)
{
    if (nl_cache_mngr_data_ready(r->mngr) < 0) {
        /* Notifications were lost (the socket's buffer overflowed before
         * its owner read it, ENOBUFS): the caches are read again from the
         * kernel, and every cached answer goes stale as for a
         * notification, so no change is missed. */
        nl_cache_refill(r->query, r->links);
        nl_cache_refill(r->query, r->neighs);
        nl_cache_refill(r->query, r->routes);
        r->generation++;
    }
}

uint64_t
ft_tnl_route_changes(const struct ft_tnl_route *r)
{
    return r->generation - 1;
}

/* The answer to one RTM_GETROUTE. */
struct route_answer {
    bool found;
    uint8_t type;
    int oif;
    uint32_t gateway, prefsrc;  /* Network order. */
};

static int
route_answer_parse(struct nl_msg *msg, void *aux)
{
    struct route_answer *a = aux;
    struct nlmsghdr *nlh = nlmsg_hdr(msg);
    struct nlattr *tb[RTA_MAX + 1];
    struct rtmsg *rtm;

    if (nlh->nlmsg_type != RTM_NEWROUTE
        || nlmsg_parse(nlh, sizeof *rtm, tb, RTA_MAX, NULL) < 0) {
        return NL_SKIP;
    }
    rtm = nlmsg_data(nlh);
    a->found = true;
    a->type = rtm->rtm_type;
    a->oif = tb[RTA_OIF] ? (int) nla_get_u32(tb[RTA_OIF]) : 0;
    a->gateway = tb[RTA_GATEWAY] ? nla_get_u32(tb[RTA_GATEWAY]) : 0;
    a->prefsrc = tb[RTA_PREFSRC] ? nla_get_u32(tb[RTA_PREFSRC]) : 0;
    return NL_OK;
}

/* Asks the kernel for the route to 'dst' (host order).  Returns 0 or a
 * negative errno (-ENETUNREACH). */
static int
route_query(struct ft_tnl_route *r, uint32_t dst, struct route_answer *a)
{
    struct rtmsg rtm = { .rtm_family = AF_INET, .rtm_dst_len = 32 };
    struct nl_msg *msg;
    int error;

    memset(a, 0, sizeof *a);
    msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST);
    if (!msg) {
        return -ENOMEM;
    }
    if (nlmsg_append(msg, &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0
        || nla_put_u32(msg, RTA_DST, htonl(dst)) < 0) {
        nlmsg_free(msg);
        return -ENOMEM;
    }
    error = nl_send_auto(r->query, msg);
    nlmsg_free(msg);
    if (error < 0) {
        return -EIO;
    }
    nl_socket_modify_cb(r->query, NL_CB_VALID, NL_CB_CUSTOM,
                        route_answer_parse, a);
    error = nl_recvmsgs_default(r->query);
    if (error < 0 || !a->found) {
        return -ENETUNREACH;
    }
    return 0;
}

/* Fills the device part of 'nh' from the link cache. */
static int
nexthop_fill_link(struct ft_tnl_route *r, struct ft_tnl_nexthop *nh)
{
    struct rtnl_link *link = rtnl_link_get(r->links, nh->ifindex);
    struct nl_addr *addr;
    int error = 0;

    if (!link) {
        return -ENODEV;
    }
    addr = rtnl_link_get_addr(link);
    if (rtnl_link_get_arptype(link) != ARPHRD_ETHER || !addr
        || nl_addr_get_len(addr) != FT_ETH_ALEN) {
        error = -EOPNOTSUPP;
    } else {
        memcpy(nh->src_mac.ea, nl_addr_get_binary_addr(addr), FT_ETH_ALEN);
        nh->mtu = rtnl_link_get_mtu(link);
    }
    rtnl_link_put(link);
    return error;
}

/* Looks the next hop's Ethernet address up in the neighbour cache. */
static void
nexthop_fill_neigh(struct ft_tnl_route *r, struct ft_tnl_nexthop *nh)
{
    uint32_t be = htonl(nh->gateway);
    struct nl_addr *addr = nl_addr_build(AF_INET, &be, sizeof be);
    struct rtnl_neigh *neigh;
    struct nl_addr *ll;

    nh->resolved = false;
    if (!addr) {
        return;
    }
    neigh = rtnl_neigh_get(r->neighs, nh->ifindex, addr);
    nl_addr_put(addr);
    if (!neigh) {
        return;
    }
    ll = rtnl_neigh_get_lladdr(neigh);
    if (rtnl_neigh_get_state(neigh) & (NUD_REACHABLE | NUD_STALE | NUD_DELAY
                                       | NUD_PROBE | NUD_PERMANENT)
        && ll && nl_addr_get_len(ll) == FT_ETH_ALEN) {
        memcpy(nh->dst_mac.ea, nl_addr_get_binary_addr(ll), FT_ETH_ALEN);
        nh->resolved = true;
        nh->unconfirmed = rtnl_neigh_get_state(neigh)
                          & (NUD_STALE | NUD_DELAY | NUD_PROBE);
    }
    rtnl_neigh_put(neigh);
}

static void
nexthop_resolve(struct ft_tnl_route *r, uint32_t dst,
                struct ft_tnl_nexthop *nh)
{
    struct route_answer a;

    memset(nh, 0, sizeof *nh);
    nh->dst = dst;
    nh->error = route_query(r, dst, &a);
    if (nh->error) {
        return;
    }
    if (a.type == RTN_LOCAL) {
        nh->error = -EADDRNOTAVAIL;
        return;
    }
    if (a.type != RTN_UNICAST || !a.oif) {
        nh->error = -ENETUNREACH;
        return;
    }
    nh->ifindex = a.oif;
    nh->src = ntohl(a.prefsrc);
    nh->gateway = a.gateway ? ntohl(a.gateway) : dst;
    nh->error = nexthop_fill_link(r, nh);
    if (!nh->error) {
        nexthop_fill_neigh(r, nh);
    }
}

struct ft_tnl_nexthop *
ft_tnl_route_lookup(struct ft_tnl_route *r, uint32_t dst)
{
    uint32_t h = ft_hash_finish(ft_hash_add(0, dst), 4);
    struct tnl_route_slot *slot = &r->slots[h & (TNL_ROUTE_SLOTS - 1)];

    if (!slot->used || slot->nh.dst != dst
        || slot->generation != r->generation) {
        nexthop_resolve(r, dst, &slot->nh);
        slot->used = true;
        slot->generation = r->generation;
    }
    return &slot->nh;
}
