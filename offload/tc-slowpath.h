/*
 * tc-slowpath.h - the slow path of the kernel TC tier: where the packets
 * of a port that no TC rule handled go, so that the userspace datapath
 * sees them, and only them.
 *
 * Why?
 * ====
 *
 * A packet socket bound to a device with ETH_P_ALL gets its copy of every
 * packet before TC ingress runs (packet taps come first in
 * __netif_receive_skb_core).  A userspace datapath reading the port that
 * way would switch a second time every packet a TC rule in software
 * already forwarded.
 *
 * How
 * ===
 *
 * For each port the kernel tier serves, FlowTier creates a veth pair of
 * its own, ftsp<IFINDEX> and ftsp<IFINDEX>u (IFINDEX: the port's), with
 * the alias "FlowTier slow path of PORT", IPv6 off (so that the pair
 * itself sends nothing) and the largest MTU.  On the port's ingress, at
 * the lowest priority (FT_TC_SLOWPATH_PRIO), a flower filter with
 * FlowTier's cookie matches everything and redirects it to ftsp<IFINDEX>:
 * a packet no FlowTier filter took comes out of ftsp<IFINDEX>u, which the
 * userspace datapath reads for the port (its in_port stays the port's);
 * a packet a FlowTier filter took never gets there.  The port itself is
 * then used to transmit only.
 *
 * A pair with that name and alias left by a killed daemon is removed when
 * the port is taken again; a device of that name without FlowTier's alias
 * is someone else's and makes the port refuse the kernel tier.
 *
 * Private to offload/tc*.c and their tests.
 */
#ifndef OFFLOAD_TC_SLOWPATH_H
#define OFFLOAD_TC_SLOWPATH_H 1

#include <stdint.h>

#include "flowtier/error.h"
#include "tc-translate.h"

struct nl_msg;
struct nl_sock;

/* The catch-all's priority: after every other filter of the chain. */
#define FT_TC_SLOWPATH_PRIO 0xffffu

/* The alias that marks a slow-path device as FlowTier's. */
#define FT_TC_SLOWPATH_ALIAS "FlowTier slow path of "

/* The names of port 'port_ifindex''s pair: 'tx', the end TC redirects to,
 * and 'rx', the end the datapath reads. */
void ft_tc_slowpath_names(int port_ifindex, char tx[16], char rx[16]);

/* The RTM_NEWLINK request that creates the veth pair 'tx' and 'rx' (down;
 * 'tx' with the alias of 'port_name', which marks the pair FlowTier's). */
struct nl_msg *ft_tc_slowpath_veth_msg(const char *tx, const char *rx,
                                       const char *port_name);

/* Builds in '*msgp' the catch-all filter for the ingress of
 * 'port_ifindex': flower, every protocol, no key, with 'skip' flags
 * (TCA_CLS_FLAGS_SKIP_HW), one action, mirred egress redirect to
 * 'tx_ifindex' with 'cookie', at FT_TC_SLOWPATH_PRIO.  Returns 0 or a
 * negative errno with 'err' filled. */
int ft_tc_slowpath_catchall_msg(int port_ifindex, int tx_ifindex,
                                const uint8_t cookie[FT_TC_COOKIE_LEN],
                                uint32_t skip, struct nl_msg **msgp,
                                struct ft_error *err);

/* Creates the pair of port 'port_name' ('port_ifindex'), removing one a
 * killed daemon left, and brings it up.  Returns 0 with '*tx_ifindex' and
 * '*rx_ifindex' set, or a negative errno with 'err' saying why. */
int ft_tc_slowpath_create(struct nl_sock *, const char *port_name,
                          int port_ifindex, int *tx_ifindex, int *rx_ifindex,
                          struct ft_error *err);

/* Removes the pair of port 'port_ifindex' if it exists and is FlowTier's.
 * Returns 0 or a negative errno. */
int ft_tc_slowpath_destroy(struct nl_sock *, int port_ifindex);

#endif /* offload/tc-slowpath.h */
