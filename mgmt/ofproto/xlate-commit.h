/*
 * xlate-commit.h - lazy commit of header changes into datapath actions,
 * private to the translator (xlate.c, xlate-commit.c).
 */
#ifndef FLOWTIER_MGMT_XLATE_COMMIT_H
#define FLOWTIER_MGMT_XLATE_COMMIT_H 1

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"

/* Appends to 'acts' the set, pop_vlan and push_vlan actions that turn a
 * packet whose headers are 'base' (what the datapath actions emitted so
 * far make of the packet) into one whose headers are 'flow', in Open
 * vSwitch 3.1's commit order (Ethernet, IPv4/IPv6, L4 ports, VLAN tags),
 * then makes 'base' agree with 'flow'.  Sets are masked: each changed
 * member is written under its mask in 'wc' (the bits the translation
 * consulted or wrote); unchanged members are left out.  ORs into 'wc' the
 * bits the decisions read (nw_proto when an IP header changed).
 *
 * The caller is responsible for un-wildcarding the packet's original VLAN
 * tags once the pipeline has touched a tag (the comparison of tag stacks
 * reads them).
 *
 * Returns 0, or -EOPNOTSUPP with 'err' filled when a change has no
 * datapath action (ARP fields, ICMP type or code); nothing is appended
 * then. */
int ft_xlate_commit(const struct ft_flow *flow, struct ft_flow *base,
                    struct ft_flow *wc, struct ft_dp_actions *acts,
                    struct ft_error *err);

#endif /* mgmt/ofproto/xlate-commit.h */
