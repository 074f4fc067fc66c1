/*
 * tc-tunnel.h - what the TC provider needs besides TC to offload VXLAN
 * (tc-tunnel.c): its own VXLAN device per outer UDP port, and the route
 * an encapsulated packet would take.
 *
 * The device
 * ==========
 *
 * TC has VXLAN rules hang from a VXLAN device in external
 * (collect_metadata) mode: an encapsulation rule on a representor ends
 * with a redirect to it, and decapsulation rules sit on its ingress,
 * where a NIC takes them through an indirect flow block.  FlowTier
 * creates one such device per outer UDP port, named "ft_vxlan_PORT", and
 * leaves it down: an up VXLAN device would bind the UDP port in the
 * kernel, and that port belongs to the userspace datapath's socket, which
 * receives (and decapsulates) every packet the NIC does not take.  The
 * kernel datapath (datapath_type=system) is the exception: it attaches
 * the device as its vxlan port and brings it up (tunnel-dev.h).  The
 * device's alias, "FlowTier pid N", says who created it: FlowTier deletes
 * a device whose alias names a process that is gone (a killed daemon's
 * leftover), its own device when it stops, and never any other device.
 *
 * Private to offload/tc*.c.  Every function returns 0 or a negative errno
 * with a reason in 'err'.
 */
#ifndef OFFLOAD_TC_TUNNEL_H
#define OFFLOAD_TC_TUNNEL_H 1

#include <stddef.h>
#include <stdint.h>

#include "flowtier/error.h"

struct nl_sock;

/* Creates the device for 'dst_port', or takes over the one this process
 * created, or replaces a killed FlowTier's, and stores its ifindex in
 * '*ifindex'.  Refuses (-EEXIST) a device of that name another process
 * or someone else owns.  Each open of this process's device is counted
 * (in its alias: the count outlives no process), so that the TC tier and
 * the kernel datapath (tunnel-dev.h) share it. */
int ft_tc_tunnel_dev_open(struct nl_sock *, uint16_t dst_port, int *ifindex,
                          struct ft_error *err);

/* Closes one open of the device for 'dst_port' if this process created
 * it, and deletes it with its last. */
void ft_tc_tunnel_dev_close(struct nl_sock *, uint16_t dst_port);

/* Brings the device 'ifindex' up: it then binds its UDP port and the
 * kernel decapsulates what arrives there (-EADDRINUSE if a socket has the
 * port).  It stays up until deleted. */
int ft_tc_tunnel_dev_up(struct nl_sock *, int ifindex, struct ft_error *err);

/* Deletes every FlowTier VXLAN device whose creator is gone. */
void ft_tc_tunnel_dev_sweep(struct nl_sock *);

/* Checks that the route to 'dst' (host order), a tunnel's remote end,
 * leaves through a device of the e-switch 'switch_id' ('len' bytes) of
 * the rule's input port 'in_name', and stores the source address the
 * route gives (host order, 0 if none) in '*src'.  Returns 0, or
 * -EOPNOTSUPP with a reason: no route, or a route off the e-switch (the
 * NIC could not send the packet itself). */
int ft_tc_tunnel_route_check(struct nl_sock *, uint32_t dst,
                             const uint8_t *switch_id, size_t len,
                             const char *in_name, uint32_t *src,
                             struct ft_error *err);

/* Stores in '*src' the source address (host order, 0 if none) the route
 * to 'dst' (host order) gives: a rule of the kernel tier encapsulates
 * through the kernel's routing.  Returns 0, or -EOPNOTSUPP with a reason
 * (no route). */
int ft_tc_tunnel_route_src(struct nl_sock *, uint32_t dst, uint32_t *src,
                           struct ft_error *err);

/* Refuses VXLAN in TC in software (the kernel tier, skip_hw) in front of
 * the userspace datapath for 'what' ("port vx0", "tunnel to
 * 192.168.0.2"), with -EOPNOTSUPP and why.
 *
 * In front of the kernel datapath (datapath_type=system) the kernel tier
 * does take tunnels: that datapath's VXLAN device is up and owns the UDP
 * port, and a packet no filter on the device's ingress takes goes on to
 * the datapath's receive handler, which keeps its tunnel metadata.
 *
 * Why the kernel tier does not take them otherwise: a skip_hw rule runs in the
 * kernel's own stack, so it needs a VXLAN device that is up, both to
 * encapsulate (mirred to a down device drops) and to decapsulate (the
 * device's UDP socket receives).  An up VXLAN device binds its UDP port
 * (4789) in the namespace, and only one socket can: the userspace
 * datapath's, which receives every tunnel packet no rule takes, would
 * lose it.  Nor could the misses be handed to the daemon another way: a
 * packet the device decapsulated and no filter took carries its outer
 * header only as metadata, which neither a redirect to the slow-path pair
 * nor a packet socket passes on.  So the userspace datapath keeps its
 * socket, and with it every tunnel packet the NIC does not handle. */
int ft_tc_tunnel_refuse_software(const char *what, struct ft_error *err);

#endif /* offload/tc-tunnel.h */
