/*
 * odp-print.h - printing datapath actions, flow keys and megaflows in the
 * syntax Open vSwitch users know.
 *
 * Three printers, each matching one line of 'ovs-appctl ofproto/trace':
 *
 *   "Datapath actions:"  ft_dp_actions_format(), OVS datapath action
 *                        syntax ("set(eth(src=..)),push_vlan(vid=100,
 *                        pcp=0),3"), with FlowTier's port numbers (which
 *                        are the OpenFlow numbers) and "LOCAL" for the
 *                        bridge port; "drop" when empty.
 *   "Flow:"              ft_flow_format(), every field the packet has
 *                        ("icmp,in_port=1,vlan_tci=0x0000,dl_src=..,
 *                        nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,
 *                        icmp_type=0,icmp_code=0").
 *   "Megaflow:"          ft_megaflow_format(), the match in dump-flows
 *                        syntax.  FlowTier has no recirculation, so no
 *                        "recirc_id=0" and no packet type prefix are
 *                        printed.  Every megaflow matches the presence
 *                        (and TPID) of the packet's VLAN tags, as OVS's
 *                        datapath keys do implicitly; those bits are not
 *                        printed when nothing else of the tag is matched,
 *                        so the line reads as OVS's does.
 */
#ifndef FLOWTIER_MGMT_ODP_PRINT_H
#define FLOWTIER_MGMT_ODP_PRINT_H 1

#include "flowtier/dp-actions.h"
#include "flowtier/ds.h"
#include "flowtier/flow.h"

/* Appends 'acts' to 'out' ("drop" when empty). */
void ft_dp_actions_format(const struct ft_dp_actions *acts, struct ds *out);

/* Appends one action. */
void ft_dp_action_format(const struct ft_dp_action *act, struct ds *out);

/* Appends 'flow' as ofproto/trace's "Flow:" line shows a packet. */
void ft_flow_format(const struct ft_flow *flow, struct ds *out);

/* Appends 'megaflow' as ofproto/trace's "Megaflow:" line (see above). */
void ft_megaflow_format(const struct ft_match *megaflow, struct ds *out);

/* Appends 'megaflow' as dump-dp-flows shows it: the tunnel fields it
 * matches first, in OVS's datapath syntax ("tunnel(tun_id=0x64,
 * src=172.31.1.2,dst=172.31.1.1,flags(-df-csum+key)),"), then the rest
 * as ft_megaflow_format(). */
void ft_dp_megaflow_format(const struct ft_match *megaflow, struct ds *out);

#endif /* mgmt/flowsyntax/odp-print.h */
