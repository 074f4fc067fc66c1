/*
 * tunnel-dev.h - FlowTier's VXLAN device of an outer UDP port
 * ("ft_vxlan_PORT", external mode: see tc-tunnel.h) for users outside the
 * TC provider: the management plane opens it for a vxlan port of a
 * kernel datapath (datapath_type=system), which attaches it as a port of
 * kind VXLAN and needs it up, so that the kernel binds the UDP port and
 * decapsulates what arrives there.
 *
 * Opens and closes are counted with the TC provider's own (hw tier
 * decapsulation rules hang from the same device): the device goes with
 * the last close.  Each call opens a short-lived rtnetlink socket of its
 * own: the calls come with configuration changes, not packets.
 */
#ifndef OFFLOAD_TUNNEL_DEV_H
#define OFFLOAD_TUNNEL_DEV_H 1

#include <stdint.h>

#include "flowtier/error.h"
#include "flowtier/port.h"

/* Opens the device for 'dst_port' (creating it, or taking another open of
 * this process's), brings it up, and stores its name in 'name' and its
 * ifindex in '*ifindex'.  Returns 0, or a negative errno with a reason in
 * 'err' (a device of that name that FlowTier did not create, the UDP port
 * bound by another socket, no permission); nothing stays open then. */
int ft_tunnel_dev_open(uint16_t dst_port, char name[FT_PORT_NAME_MAX],
                       int *ifindex, struct ft_error *err);

/* Closes one open of the device for 'dst_port'. */
void ft_tunnel_dev_close(uint16_t dst_port);

#endif /* offload/tunnel-dev.h */
