/*
 * tc-translate.h - a megaflow in TC's words: the flower keys of its match
 * (tc-match.c) and the TC actions of its datapath actions (tc-action.c).
 *
 * Private to offload/tc*.c.  Both translators either write every part of
 * the megaflow into the netlink message or refuse with -EOPNOTSUPP and a
 * reason that names the field or action ("tc: match on reg0 is not
 * offloadable"), leaving the message to be freed by the caller.
 */
#ifndef OFFLOAD_TC_TRANSLATE_H
#define OFFLOAD_TC_TRANSLATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtier/dp-actions.h"
#include "flowtier/error.h"
#include "flowtier/flow.h"
#include "flowtier/port.h"

struct ds;
struct nl_msg;

/* The cookie on the first action of every filter FlowTier installs: it
 * tells FlowTier's filters from everyone else's. */
#define FT_TC_COOKIE_MAGIC "FlowTier"
#define FT_TC_COOKIE_LEN 16

struct ft_tc_port_info;

/* Writes the flower keys of 'match' (its in_port is the device the filter
 * is on, not a key) into 'msg', inside TCA_OPTIONS, and stores the
 * filter's protocol (network byte order, ETH_P_ALL if any) in
 * '*protocol'.  'in' says where the in_port is: if it is a tunnel port
 * ('in->tnl_dst_port' nonzero) the filter is a decapsulation rule on
 * FlowTier's VXLAN device and the tunnel fields become enc_* keys
 * (tc-tunnel.c); elsewhere a match on them is refused.  Returns 0 or
 * -EOPNOTSUPP with 'err' naming the field. */
int ft_tc_match_put(struct nl_msg *msg, const struct ft_match *match,
                    const struct ft_tc_port_info *in, uint16_t *protocol,
                    struct ft_error *err);

/* The enc_* keys of a decapsulation rule (tc-tunnel.c): tun_id, tun_src,
 * tun_dst, tun_tos, tun_ttl and tun_flags of 'match', and the in_port's
 * outer UDP port ('in->tnl_dst_port').  Returns 0 or -EOPNOTSUPP naming
 * the field. */
int ft_tc_tunnel_match_put(struct nl_msg *msg, const struct ft_match *match,
                           const struct ft_tc_port_info *in,
                           struct ft_error *err);

/* Where a port named by a filter is. */
struct ft_tc_port_info {
    int ifindex;                /* The device a mirred names; for a tunnel
                                 * port, FlowTier's VXLAN device of its
                                 * UDP port. */
    uint16_t tnl_dst_port;      /* A tunnel port's outer UDP port; 0 for
                                 * any other port. */
    uint32_t tnl_src;           /* For an output with tunnel metadata
                                 * whose source is 0: the source the
                                 * route to its destination gives (host
                                 * order). */
    bool sw_tunnel;             /* A tunnel port whose packets the
                                 * kernel's own VXLAN device encapsulates
                                 * and decapsulates in software (the
                                 * kernel tier in front of the kernel
                                 * datapath), not a NIC. */
};

/* Says where port 'port_no' is, for an output action or for the filter's
 * own in_port: its device, whether it is a tunnel port, and whether an
 * output to it stays on the e-switch of the filter's input port.  'tnl'
 * is the tunnel metadata an output would carry (the last set(tunnel)
 * before it), or NULL: an output to a tunnel port is checked against it
 * (the route to its destination must leave through a port of the input
 * port's e-switch).  Returns 0 with '*info' filled, or -EOPNOTSUPP with
 * 'err' saying why the port cannot be an output. */
typedef int ft_tc_port_lookup(void *aux, ft_port_no port_no,
                              const struct ft_dpa_tunnel *tnl,
                              struct ft_tc_port_info *info,
                              struct ft_error *err);

/* Writes the TC actions of 'actions' (TCA_FLOWER_ACT) into 'msg' for the
 * megaflow 'match' (its in_port is the filter's device; its nw_proto says
 * which checksums a rewrite must fix), with 'cookie' on the first action.
 * A list without an output is a drop.  From a tunnel port (decap) the
 * first action is tunnel_key unset; an output to a tunnel port (encap)
 * is tunnel_key set of the set(tunnel) before it, then a mirred to
 * FlowTier's VXLAN device.  Returns 0 or -EOPNOTSUPP with
 * 'err' naming the action. */
int ft_tc_actions_put(struct nl_msg *msg, const struct ft_dp_actions *actions,
                      const struct ft_match *match, ft_tc_port_lookup *lookup,
                      void *aux, const uint8_t cookie[FT_TC_COOKIE_LEN],
                      struct ft_error *err);

/* The bytes the userspace datapath would have counted for the 'packets'
 * and 'bytes' the kernel reports for a filter of megaflow 'match', of
 * which 'hw_packets' a NIC counted (TCA_STATS_BASIC_HW).  TC in software
 * counts a packet from its network header (skb->len at ingress leaves
 * out the 14-byte Ethernet header, and the VLAN tag the kernel took out
 * of the packet): each such packet gains 14 bytes, and 4 more if 'match'
 * matches a tag.  A NIC counts frames from their Ethernet header, so what
 * it counted is kept as it is (the ftnic model does so too). */
uint64_t ft_tc_stats_bytes(const struct ft_match *match, uint64_t packets,
                           uint64_t bytes, uint64_t hw_packets);

/* The whole filter (tc-explain.c): a RTM_NEWTFILTER message with
 * 'nlflags' for the ingress of 'ifindex', of kind flower, with the keys
 * of 'match', the actions of 'actions' (as ft_tc_match_put() and
 * ft_tc_actions_put()) and the flags 'skip' (TCA_CLS_FLAGS_SKIP_*).
 * Its priority, protocol and handle are set by ft_tc_filter_set_id().
 * Returns 0 with '*msgp' (the caller's) and '*protocol' set, or
 * -EOPNOTSUPP with 'err' naming the field or action.  The provider
 * installs what this builds, and --explain renders it. */
int ft_tc_filter_build(int nlflags, int ifindex, const struct ft_match *match,
                       const struct ft_dp_actions *actions,
                       ft_tc_port_lookup *lookup, void *aux,
                       const uint8_t cookie[FT_TC_COOKIE_LEN], uint32_t skip,
                       struct nl_msg **msgp, uint16_t *protocol,
                       struct ft_error *err);
void ft_tc_filter_set_id(struct nl_msg *msg, uint32_t prio, uint16_t protocol,
                         uint32_t handle);

/* Names device 'ifindex' for a 'dev NAME' of an explained line, in 'buf'
 * or in a string of its own; NULL if it has no name. */
typedef const char *ft_tc_ifname(void *aux, int ifindex,
                                 char buf[16]);

/* Appends the filter 'msg' (from ft_tc_filter_build()) as the line a
 * person would type for it, on device 'dev':
 *   tc filter add dev DEV ingress protocol ip prio 1 flower skip_sw
 *   ip_proto icmp dst_ip 10.0.0.2 action mirred egress redirect dev r1
 * with iproute2's words (tc-flower(8) and the action pages).  FlowTier's
 * cookie is left out: a filter typed by hand is not FlowTier's. */
void ft_tc_explain_msg(struct nl_msg *msg, const char *dev,
                       ft_tc_ifname *ifname, void *aux, struct ds *out);

/* True if the 'n' bytes at 'p' are all zero. */
bool ft_tc_bytes_zero(const uint8_t *p, size_t n);

#endif /* offload/tc-translate.h */
