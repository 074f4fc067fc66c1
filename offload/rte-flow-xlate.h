/*
 * rte-flow-xlate.h - a megaflow in rte_flow's words: pattern items and
 * actions, for the rte_flow provider (offload-rte-flow.c).
 *
 * Private to offload/.  Needs DPDK's headers: built with the provider, in
 * the library that carries DPDK's compile flags.
 */
#ifndef OFFLOAD_RTE_FLOW_XLATE_H
#define OFFLOAD_RTE_FLOW_XLATE_H 1

#include <stdbool.h>
#include <stdint.h>

#include <rte_flow.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "offload.h"

struct ds;

#define FT_RTE_FLOW_MAX_ITEMS 12
#define FT_RTE_FLOW_MAX_ACTIONS 24

/* A rule being built: the items and actions point into the specs, masks
 * and confs stored here, so it must not move while in use. */
struct ft_rte_flow_rule {
    struct rte_flow_attr attr;
    struct rte_flow_item items[FT_RTE_FLOW_MAX_ITEMS];
    struct rte_flow_action actions[FT_RTE_FLOW_MAX_ACTIONS];

    /* Item specs and masks. */
    struct rte_flow_item_ethdev in_port;
    struct rte_flow_item_eth eth, eth_mask;
    struct rte_flow_item_vlan vlan, vlan_mask;
    struct rte_flow_item_ipv4 ipv4, ipv4_mask;
    struct rte_flow_item_ipv6 ipv6, ipv6_mask;
    struct rte_flow_item_tcp tcp, tcp_mask;
    struct rte_flow_item_udp udp, udp_mask;
    struct rte_flow_item_sctp sctp, sctp_mask;
    struct rte_flow_item_icmp icmp, icmp_mask;
    struct rte_flow_item_icmp6 icmp6, icmp6_mask;

    /* Action confs. */
    struct rte_flow_action_ethdev ports[FT_RTE_FLOW_MAX_ACTIONS];
    struct rte_flow_action_of_push_vlan push_vlan[4];
    struct rte_flow_action_of_set_vlan_vid vid[4];
    struct rte_flow_action_of_set_vlan_pcp pcp[4];
    struct rte_flow_action_set_mac macs[4];
    struct rte_flow_action_set_ipv4 ipv4s[4];
    struct rte_flow_action_set_tp tps[4];
    struct rte_flow_action_set_ttl ttls[4];
    struct rte_flow_action_count count;

    /* VXLAN: the outer headers matched before VXLAN_DECAP... */
    struct rte_flow_item_eth outer_eth, outer_eth_mask;
    struct rte_flow_item_ipv4 outer_ipv4, outer_ipv4_mask;
    struct rte_flow_item_udp outer_udp, outer_udp_mask;
    struct rte_flow_item_vxlan vxlan, vxlan_mask;
    /* ... or written by VXLAN_ENCAP (one per rule). */
    struct rte_flow_action_vxlan_encap encap;
    struct rte_flow_item encap_items[5];
    struct rte_flow_item_eth encap_eth;
    struct rte_flow_item_ipv4 encap_ipv4;
    struct rte_flow_item_udp encap_udp;
    struct rte_flow_item_vxlan encap_vxlan;

    /* The DPDK port whose traffic the pattern matches: the input port's,
     * or for a VXLAN port's megaflow its underlay port's. */
    uint16_t port;
};

struct ft_rte_flow_vxlan;

/* A DPDK port as the translation sees it. */
struct ft_rte_flow_port {
    uint16_t dpdk_port;
    bool on_switch;             /* Its driver reports a switch domain. */
    uint16_t switch_domain;     /* The NIC's embedded switch, if so. */
    const char *name;           /* FlowTier's, for reasons. */
    const struct ft_rte_flow_vxlan *vxlan;  /* A VXLAN port: its tunnel,
                                             * else NULL. */
};

/* Whether a VXLAN port's underlay route can carry rules. */
enum ft_rte_flow_tnl_state {
    FT_RTE_TNL_OK,
    FT_RTE_TNL_NO_ROUTE,        /* No route to the remote. */
    FT_RTE_TNL_NO_NEXTHOP,      /* The next hop's MAC is not known yet. */
    FT_RTE_TNL_IPV6,            /* The underlay is IPv6. */
    FT_RTE_TNL_OFF_DPDK,        /* The route leaves through a device that
                                 * is no DPDK port of the provider's. */
};

/* A VXLAN port as the translation sees it: the headers the userspace
 * datapath writes and reads for it (swpath/netdev-vxlan.c), from the
 * port's tunnel configuration and the underlay route to its remote as
 * swpath's route code resolves it (swpath/tnl-route.h), handed down by
 * the management plane.  Encapsulated packets leave, and arrive, on the
 * DPDK port 'underlay' (the NIC's uplink). */
struct ft_rte_flow_vxlan {
    enum ft_rte_flow_tnl_state state;
    struct ft_rte_flow_port underlay;
    uint32_t dst_ip;            /* The remote the route is for. */
    uint32_t src_ip;            /* The route's source (or local_ip). */
    uint16_t dst_port;          /* The port's UDP port (4789). */
    uint16_t src_port;          /* UDP source port written. */
    struct ft_eth_addr src_mac; /* The underlay device's. */
    struct ft_eth_addr dst_mac; /* The next hop's. */
    int route_ifindex;          /* The route's output device (Linux). */
};

/* Fills '*vx' for an output to a VXLAN port whose outer UDP port is
 * 'dst_port', of a packet with tunnel metadata 't', from the management
 * plane's underlay answer 'u' for t->dst (offload.h) and 'underlay', the
 * DPDK port that owns the route's output device (NULL if none does):
 * outer Ethernet source and destination from the device and the
 * neighbour, outer IPv4 source from the route (unless 't' sets one),
 * 'src_port' as the UDP source port.  The state says what the
 * translation must refuse: no route, no next hop yet, a route off DPDK.
 * Pure: no DPDK call. */
void ft_rte_flow_vxlan_from_underlay(const struct ft_offload_underlay *u,
                                     const struct ft_dpa_tunnel *t,
                                     uint16_t dst_port, uint16_t src_port,
                                     const struct ft_rte_flow_port *underlay,
                                     struct ft_rte_flow_vxlan *vx);

/* The outer UDP source port of the megaflow 'm''s encapsulated packets,
 * in 49152-65535 (RFC 7348), from a hash of the inner fields it matches:
 * a rule writes one source port for all its packets, so different inner
 * flows get different ones for the underlay's ECMP. */
uint16_t ft_rte_flow_vxlan_src_port(const struct ft_match *m);

/* Says which DPDK port an output to port 'port_no' goes to, in '*port';
 * for a VXLAN port, 'tnl' is the tunnel metadata set before the output
 * (NULL if none), whose remote the port's 'vxlan' must describe.
 * Returns 0, or -EOPNOTSUPP with 'err' saying why it cannot be an
 * output. */
typedef int ft_rte_flow_port_lookup(void *aux, uint32_t port_no,
                                    const struct ft_dpa_tunnel *tnl,
                                    struct ft_rte_flow_port *port,
                                    struct ft_error *err);

/* Fills 'rule' (zeroed here) with the pattern of 'match' and the actions
 * of 'actions', a COUNT first, for a megaflow that comes in on DPDK port
 * 'in' ('rule->port' says which DPDK port the rule is about).  A rule
 * with an output is a 'transfer' rule of the NIC's embedded
 * switch, whose pattern starts with REPRESENTED_PORT 'in' (the traffic
 * its VF, or the wire, sends) and whose outputs are REPRESENTED_PORT
 * actions: so every output must be a port of the same switch domain as
 * 'in', or the megaflow is refused with both ports' domains named.  A
 * rule without an output (a drop) is an 'ingress' rule of the port.
 *
 * VXLAN: a set(tunnel) followed by an output to a VXLAN port becomes
 * VXLAN_ENCAP with the whole header (ETH / IPV4 / UDP / VXLAN, from the
 * tunnel metadata and the port's 'struct ft_rte_flow_vxlan') and an
 * output to its underlay port; a megaflow of a VXLAN port (matching
 * tun_id, tun_src, tun_dst) matches the outer ETH / IPV4 / UDP / VXLAN on
 * the underlay port, then the inner headers, and starts its actions with
 * VXLAN_DECAP.  A tunnel without a usable route is refused with why.
 *
 * Returns 0 or -EOPNOTSUPP with 'err' naming the field, action or
 * port. */
int ft_rte_flow_xlate(const struct ft_match *match,
                      const struct ft_dp_actions *actions,
                      const struct ft_rte_flow_port *in,
                      ft_rte_flow_port_lookup *lookup, void *aux,
                      struct ft_rte_flow_rule *rule, struct ft_error *err);

/* Appends 'rule' (filled by ft_rte_flow_xlate()) for DPDK port 'port' as
 * the testpmd command that creates it (rte-flow-explain.c), preceded for
 * a VXLAN_ENCAP by the line that sets testpmd's encapsulation header
 * first ("set vxlan-tos-ttl ip-version ipv4 vni 100 ...\n"):
 *   flow create 0 transfer pattern represented_port ethdev_port_id is 0
 *   / eth type is 0x0800 / ipv4 dst is 10.0.0.2 / end actions count /
 *   represented_port ethdev_port_id 1 / end */
void ft_rte_flow_explain(const struct ft_rte_flow_rule *rule, uint16_t port,
                         struct ds *out);

#endif /* offload/rte-flow-xlate.h */
