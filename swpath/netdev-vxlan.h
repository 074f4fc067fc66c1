/*
 * netdev-vxlan.h - the "vxlan" port class and the VXLAN endpoint its
 * ports share.
 *
 * Design
 * ======
 *
 * A VXLAN port (Interface type=vxlan, options in swpath/tnl-config.h) is
 * one far end, or any far end with remote_ip=flow.  Several ports on one
 * bridge usually share one UDP port (4789), and a UDP port can have one
 * receiver only, so the I/O is not in the port but in an endpoint, one
 * per UDP port per datapath, which the datapath creates with the first
 * port on that UDP port and destroys with the last:
 *
 *   - Receive: UDP sockets bound to the port (swpath/vxlan-rxgroup.h).
 *     The underlay is the host's IP stack, as for Linux's own vxlan
 *     device: the kernel has already checked the outer checksums,
 *     reassembled fragments and filtered by address, and nothing else
 *     answers the packets with ICMP port unreachable.  The same
 *     ring-per-port receive as the other classes would have to see every
 *     frame of the underlay device and could not stop the kernel from
 *     handling them too.  One recvmmsg() per ready socket takes a batch;
 *     the outer source, destination, TOS and TTL come from socket
 *     ancillary data, the outer DF bit and whether the UDP checksum was
 *     set from the socket of the group the kernel's reuseport program
 *     chose.  The datapath then gives each packet to the port that fits
 *     it best (ft_tnl_config_rx_score()): its in_port and tunnel metadata
 *     (tun_id, tun_src, tun_dst, tun_tos, tun_ttl, tun_flags df, csum and
 *     key) are in the flow key.  A packet no port takes is dropped and
 *     counted.  A kernel that refuses the reuseport program leaves one
 *     socket, whose packets are all "-df-csum" (dpif-show says why).
 *   - Transmit: the whole outer frame is built here (Ethernet, IPv4, UDP
 *     with a source port hashed from the inner flow, VXLAN) and sent on
 *     the underlay device with one AF_PACKET socket, with the route and
 *     next hop's address from swpath/tnl-route.h.  While the next hop's
 *     address is unknown, or for a packet without DF larger than the
 *     underlay MTU, the packet goes through the first UDP socket instead: the
 *     kernel then resolves the neighbour (which the neighbour cache then
 *     shows, so the next packets take the fast way) or fragments.  A
 *     packet with DF larger than the underlay MTU is dropped and counted
 *     ('tx_errors' of its port; "too big" in the endpoint's counters).
 *
 * The endpoint's descriptor is an epoll set of the UDP sockets and the
 * route notifications, so the datapath polls one descriptor for all.
 */
#ifndef SWPATH_NETDEV_VXLAN_H
#define SWPATH_NETDEV_VXLAN_H 1

#include <stdint.h>

#include "netdev.h"
#include "packet.h"
#include "tnl-config.h"
#include "flowtier/error.h"

struct ft_vxlan_endpoint;

/* An endpoint's counters, for dpif-show. */
struct ft_vxlan_stats {
    uint64_t rx_packets;        /* Decapsulated. */
    uint64_t rx_invalid;        /* Not VXLAN (too short, no I flag). */
    uint64_t tx_packets;        /* Encapsulated and sent. */
    uint64_t tx_via_kernel;     /* ... of which through the UDP socket. */
    uint64_t tx_too_big;        /* DF set and over the underlay MTU. */
    uint64_t tx_no_route;       /* No usable route to the far end. */
    uint64_t tx_errors;         /* Refused by the kernel. */
    uint64_t route_changes;     /* Notifications that made routes stale. */
    uint64_t rx_sockets;        /* Receive sockets (vxlan-rxgroup.h). */
    /* Why the outer DF and UDP checksum of received packets are not seen
     * (the kernel refused the socket group), or "". */
    char no_flags_reason[FT_ERROR_REASON_MAX];
};

/* Creates the endpoint of UDP port 'dst_port' in the calling thread's
 * network namespace.  Returns 0, or a negative errno with a reason
 * (-EADDRINUSE: another program, a Linux vxlan device or another bridge
 * has the port). */
int ft_vxlan_endpoint_create(uint16_t dst_port,
                             struct ft_vxlan_endpoint **epp,
                             struct ft_error *err);

/* Destroys 'ep'.  NULL is a no-op. */
void ft_vxlan_endpoint_destroy(struct ft_vxlan_endpoint *ep);

uint16_t ft_vxlan_endpoint_port(const struct ft_vxlan_endpoint *ep);

/* The descriptor to poll (readable: call ft_vxlan_endpoint_rx()). */
int ft_vxlan_endpoint_get_fd(const struct ft_vxlan_endpoint *ep);

/* Reads route notifications, then receives up to FT_PACKET_BATCH_MAX
 * decapsulated packets into 'batch' without blocking; each has its inner
 * frame as data and the outer header in 'tunnel' (valid).  The packets
 * live in the endpoint's buffers until its next rx call.  Returns the
 * number received or a negative errno. */
int ft_vxlan_endpoint_rx(struct ft_vxlan_endpoint *ep,
                         struct ft_packet_batch *batch);

void ft_vxlan_endpoint_get_stats(const struct ft_vxlan_endpoint *ep,
                                 struct ft_vxlan_stats *stats);

/* Adds the counters of 'ep' to '*sum'. */
void ft_vxlan_endpoint_add_stats(const struct ft_vxlan_endpoint *ep,
                                 struct ft_vxlan_stats *sum);

/* For a "vxlan" netdev: its parsed options, and the endpoint it sends
 * through ('ep' owned by the datapath, which detaches (NULL) before
 * destroying it). */
const struct ft_tnl_config *ft_netdev_vxlan_config(
    const struct ft_netdev *netdev);
void ft_netdev_vxlan_attach(struct ft_netdev *netdev,
                            struct ft_vxlan_endpoint *ep);

/* Counts a packet of 'bytes' bytes that the datapath gave to the port. */
void ft_netdev_vxlan_count_rx(struct ft_netdev *netdev, uint32_t bytes);

/* True if 'netdev' is of the "vxlan" class. */
bool ft_netdev_is_vxlan(const struct ft_netdev *netdev);

#endif /* swpath/netdev-vxlan.h */
