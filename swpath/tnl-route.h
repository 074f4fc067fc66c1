/*
 * tnl-route.h - how an encapsulated packet reaches a tunnel's far end:
 * the underlay route (output device, next hop, source address) and the
 * next hop's Ethernet address, from the kernel's tables through
 * libnl-route, kept right while they change.
 *
 * Design
 * ======
 *
 * The underlay is the host's own IP stack: a tunnel's far end is reached
 * by whatever route and neighbour the kernel has, as Linux's own vxlan
 * device does, so the usual tools (ip route, ip neigh) configure it.
 *
 *   - A route is asked of the kernel (RTM_GETROUTE, as 'ip route get'):
 *     policy rules, metrics and the preferred source all apply as the
 *     kernel applies them.
 *   - Devices (Ethernet address, MTU) and neighbours come from libnl
 *     caches that a cache manager keeps in step with the kernel's
 *     RTNLGRP_LINK, RTNLGRP_NEIGH and RTNLGRP_IPV4_ROUTE notifications.
 *   - Packets sent this way do not go through the kernel's neighbour
 *     state machine, so the kernel would never check again a neighbour
 *     it has not confirmed lately (a far end that changed its Ethernet
 *     address would stay unreachable).  While a next hop is unconfirmed
 *     the caller sends a packet through the kernel now and then
 *     ('unconfirmed', 'refreshed'): the kernel then probes it, and the
 *     notification of the outcome (reachable, or failed) updates the
 *     cache.
 *   - Answers are cached per destination.  Any notification (a route,
 *     device or neighbour that changed) makes every cached answer stale:
 *     the next packet to each destination asks again.  Changes are rare
 *     and a lookup is one netlink round trip, so nothing finer is worth
 *     its complexity.
 *
 * The manager's socket is non-blocking; ft_tnl_route_run() reads what it
 * has.  The owner polls ft_tnl_route_get_fd().
 *
 * Thread-safety: none; one owner thread.
 */
#ifndef SWPATH_TNL_ROUTE_H
#define SWPATH_TNL_ROUTE_H 1

#include <stdbool.h>
#include <stdint.h>

#include "flowtier/error.h"
#include "flowtier/flow.h"

struct ft_tnl_route;

/* Where packets to one destination go. */
struct ft_tnl_nexthop {
    uint32_t dst;               /* The destination asked for. */
    int error;                  /* 0, or why it cannot be reached:
                                 * -ENETUNREACH no route, -EADDRNOTAVAIL
                                 * the destination is a local address,
                                 * -EOPNOTSUPP not an Ethernet device. */
    int ifindex;                /* Output device. */
    uint32_t src;               /* The route's preferred source. */
    uint32_t gateway;           /* Next hop: the gateway, or 'dst'. */
    uint32_t mtu;               /* Of the output device. */
    struct ft_eth_addr src_mac; /* Of the output device. */
    bool resolved;              /* 'dst_mac' known (a usable neighbour). */
    bool unconfirmed;           /* ... but the kernel has not confirmed it
                                 * lately (stale, delay, probe). */
    struct ft_eth_addr dst_mac;
    long long int refreshed;    /* For the caller: when it last made the
                                 * kernel confirm the neighbour (ms). */
};

/* Creates a resolver in the calling thread's network namespace.  Returns
 * 0, or a negative errno with a reason in 'err'. */
int ft_tnl_route_create(struct ft_tnl_route **routep, struct ft_error *err);

/* Destroys 'r'.  NULL is a no-op. */
void ft_tnl_route_destroy(struct ft_tnl_route *r);

/* The descriptor that polls readable when notifications wait. */
int ft_tnl_route_get_fd(const struct ft_tnl_route *r);

/* Reads the waiting notifications, without blocking.  If some were lost
 * (the socket's buffer overflowed), reads the kernel's tables again and
 * counts a change. */
void ft_tnl_route_run(struct ft_tnl_route *r);

/* Returns how packets to 'dst' (host order) go, asking the kernel if the
 * cached answer is missing or stale.  Never NULL; valid until the next
 * call.  Check its 'error' and 'resolved'.  The caller may write its
 * 'refreshed'. */
struct ft_tnl_nexthop *ft_tnl_route_lookup(struct ft_tnl_route *r,
                                           uint32_t dst);

/* How many times a notification made the cached answers stale. */
uint64_t ft_tnl_route_changes(const struct ft_tnl_route *r);

#endif /* swpath/tnl-route.h */
