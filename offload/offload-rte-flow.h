/*
 * offload-rte-flow.h - the rte_flow offload provider, for DPDK ports.
 *
 * One instance per bridge, for the hw tier.  A megaflow whose input port
 * is a DPDK ethdev becomes an rte_flow rule: with an output, a 'transfer'
 * rule of the NIC's embedded switch (REPRESENTED_PORT in the pattern and
 * in the actions), created on the switch's transfer proxy port, between
 * ports of one switch domain only (representors of one PF: their
 * identity's dpdk_switch_domain); without one, a DROP rule of the port's
 * ingress.  Every
 * rule counts (COUNT).  What a driver refuses is refused in its words:
 * none of DPDK's software drivers (net_null, net_ring, net_af_packet,
 * net_pcap, ...) implements rte_flow, and they answer "Function not
 * implemented".
 */
#ifndef OFFLOAD_OFFLOAD_RTE_FLOW_H
#define OFFLOAD_OFFLOAD_RTE_FLOW_H 1

#include "offload.h"

extern const struct ft_offload_class ft_offload_rte_flow_class;

#endif /* offload/offload-rte-flow.h */
