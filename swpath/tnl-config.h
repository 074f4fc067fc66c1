/*
 * tnl-config.h - the configuration of a VXLAN port (Interface type
 * "vxlan"), parsed and checked once from its options, and the two
 * questions asked of it: which received packets belong to the port, and
 * what outer header a packet sent to it gets.
 *
 * Options (Interface options column, as Open vSwitch spells them):
 *
 *   remote_ip   IPv4 address of the far end, or "flow": the flow's
 *               tun_dst (set_field:...->tun_dst) on output, any source on
 *               input.  Required.
 *   key         the VNI, 0 to 16777215 (default 0), or "flow": the flow's
 *               tun_id (set_tunnel, set_field:...->tun_id) on output, any
 *               VNI on input (the flow's tun_id then says which).
 *   dst_port    outer UDP destination port (default 4789).
 *   local_ip    IPv4 source of the outer header; on input only packets
 *               to it.  Default: the source the underlay route gives.
 *               "flow": the flow's tun_src (set_field:...->tun_src), or
 *               the route's when it is 0.
 *   tos         outer TOS byte (0 to 255, default 0) or "inherit" (the
 *               inner IPv4/IPv6 packet's DSCP).  Either way an IP packet's
 *               ECN bits are ORed in, Congestion Experienced as ECT(0),
 *               as Open vSwitch does.
 *   ttl         outer TTL (1 to 255, default 64) or "inherit".
 *   df_default  "true" (default) or "false": the outer header's don't
 *               fragment bit.
 *
 * The underlay is IPv4: an IPv6 remote_ip or local_ip is refused with that
 * reason (the flow key holds IPv4 tunnel addresses only).
 *
 * Pure functions; no state.  Used by the port class (swpath/netdev-vxlan.c),
 * the datapath's receive demultiplexing and the management plane's
 * translation (output to a tunnel port).
 */
#ifndef SWPATH_TNL_CONFIG_H
#define SWPATH_TNL_CONFIG_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "netdev.h"

#define FT_VXLAN_DEFAULT_PORT 4789
#define FT_VXLAN_MAX_VNI 0xffffff
#define FT_TNL_DEFAULT_TTL 64

struct ft_tnl_config {
    bool remote_flow;           /* remote_ip=flow. */
    uint32_t remote_ip;         /* Host order; 0 with remote_flow. */
    bool key_flow;              /* key=flow. */
    uint64_t key;               /* VNI; 0 with key_flow. */
    bool local_flow;            /* local_ip=flow. */
    uint32_t local_ip;          /* Host order, 0: the route's source. */
    uint16_t dst_port;
    bool tos_inherit;
    uint8_t tos;
    bool ttl_inherit;
    uint8_t ttl;
    bool df;
};

/* Parses the options 'opts' of VXLAN port 'name' into '*cfg'.  Returns 0,
 * or -EINVAL with a reason naming the port and the option ("port vx0:
 * options:key '1x' is not a number from 0 to 16777215 or 'flow'"). */
int ft_tnl_config_parse(const char *name, const struct ft_netdev_option *opts,
                        size_t n_opts, struct ft_tnl_config *cfg,
                        struct ft_error *err);

/* How well a packet received with outer source 'src', outer destination
 * 'dst' (host order) and VNI 'vni' fits 'cfg': 0 if it does not belong to
 * the port, else higher for a more specific fit (a fixed remote_ip beats
 * "flow", then a fixed key, then a fixed local_ip), so that of several
 * ports the most specific takes the packet, as in Open vSwitch. */
int ft_tnl_config_rx_score(const struct ft_tnl_config *cfg, uint32_t src,
                           uint32_t dst, uint64_t vni);

/* Fills 'tnl' with the outer header of a packet with key 'flow' sent to a
 * port of configuration 'cfg' (the flow's tun_dst, tun_id and tun_src
 * where the options say "flow"), and, if 'wc' is nonnull, marks in it the
 * fields of 'flow' that were read.  Returns 0, or -EINVAL with a reason
 * when remote_ip=flow and the flow's tun_dst is 0. */
int ft_tnl_config_encap(const struct ft_tnl_config *cfg,
                        const struct ft_flow *flow, struct ft_flow *wc,
                        struct ft_dpa_tunnel *tnl, struct ft_error *err);

#endif /* swpath/tnl-config.h */
