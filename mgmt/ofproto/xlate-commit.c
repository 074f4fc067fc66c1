/*
 * xlate-commit.c - turning header changes made by the OpenFlow pipeline
 * into datapath set/push/pop actions, just before an output.
 *
 * Part of the translator (xlate.c).  Mirrors Open vSwitch 3.1's
 * commit_odp_actions() with masked sets (its userspace datapath): the
 * Ethernet addresses, then the IPv4 or IPv6 header, then the TCP/UDP/SCTP
 * ports, then the VLAN tag stack (pop the tags that differ, push the
 * wanted ones).  Like OVS, IP and L4 changes are not committed for an IP
 * packet whose protocol number is 0.  Touches only its arguments.
 */
#include "mgmt/ofproto/xlate-commit.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool
mac_equal(const struct ft_eth_addr *a, const struct ft_eth_addr *b)
{
    return !memcmp(a->ea, b->ea, FT_ETH_ALEN);
}

static bool
in6_equal(const struct ft_in6_addr *a, const struct ft_in6_addr *b)
{
    return !memcmp(a->s6, b->s6, sizeof a->s6);
}

/* Mask of a changed member: what the translation consulted or wrote, plus
 * every bit that differs (defensive: a changed bit is always written). */
static void
mac_mask(const struct ft_eth_addr *flow, const struct ft_eth_addr *base,
         struct ft_eth_addr *wc, struct ft_eth_addr *mask)
{
    if (mac_equal(flow, base)) {
        memset(mask, 0, sizeof *mask);
        return;
    }
    for (int i = 0; i < FT_ETH_ALEN; i++) {
        wc->ea[i] |= flow->ea[i] ^ base->ea[i];
        mask->ea[i] = wc->ea[i];
    }
}

static void
in6_mask(const struct ft_in6_addr *flow, const struct ft_in6_addr *base,
         struct ft_in6_addr *wc, struct ft_in6_addr *mask)
{
    if (in6_equal(flow, base)) {
        memset(mask, 0, sizeof *mask);
        return;
    }
    for (int i = 0; i < 16; i++) {
        wc->s6[i] |= flow->s6[i] ^ base->s6[i];
        mask->s6[i] = wc->s6[i];
    }
}

#define INT_MASK(FLOW, BASE, WC) \
    ((FLOW) == (BASE) ? 0 : ((WC) |= (FLOW) ^ (BASE)))

static void
commit_eth(const struct ft_flow *flow, struct ft_flow *base,
           struct ft_flow *wc, struct ft_dp_actions *acts)
{
    struct ft_dp_action *a;
    struct ft_dpa_eth eth;

    if (mac_equal(&flow->dl_src, &base->dl_src)
        && mac_equal(&flow->dl_dst, &base->dl_dst)) {
        return;
    }
    mac_mask(&flow->dl_src, &base->dl_src, &wc->dl_src, &eth.src_mask);
    mac_mask(&flow->dl_dst, &base->dl_dst, &wc->dl_dst, &eth.dst_mask);
    for (int i = 0; i < FT_ETH_ALEN; i++) {
        eth.src.ea[i] = flow->dl_src.ea[i] & eth.src_mask.ea[i];
        eth.dst.ea[i] = flow->dl_dst.ea[i] & eth.dst_mask.ea[i];
    }
    a = ft_dp_actions_put(acts, FT_DPA_SET_ETH);
    a->eth = eth;
    base->dl_src = flow->dl_src;
    base->dl_dst = flow->dl_dst;
}

static bool
ipv4_differs(const struct ft_flow *f, const struct ft_flow *b)
{
    return f->nw_src != b->nw_src || f->nw_dst != b->nw_dst
           || f->nw_tos != b->nw_tos || f->nw_ttl != b->nw_ttl;
}

static bool
ipv6_differs(const struct ft_flow *f, const struct ft_flow *b)
{
    return !in6_equal(&f->ipv6_src, &b->ipv6_src)
           || !in6_equal(&f->ipv6_dst, &b->ipv6_dst)
           || f->ipv6_label != b->ipv6_label
           || f->nw_tos != b->nw_tos || f->nw_ttl != b->nw_ttl;
}

static void
commit_ipv4(const struct ft_flow *flow, struct ft_flow *base,
            struct ft_flow *wc, struct ft_dp_actions *acts)
{
    struct ft_dpa_ipv4 *ip;

    ip = &ft_dp_actions_put(acts, FT_DPA_SET_IPV4)->ipv4;
    ip->src_mask = INT_MASK(flow->nw_src, base->nw_src, wc->nw_src);
    ip->dst_mask = INT_MASK(flow->nw_dst, base->nw_dst, wc->nw_dst);
    ip->tos_mask = INT_MASK(flow->nw_tos, base->nw_tos, wc->nw_tos);
    ip->ttl_mask = INT_MASK(flow->nw_ttl, base->nw_ttl, wc->nw_ttl);
    ip->src = flow->nw_src & ip->src_mask;
    ip->dst = flow->nw_dst & ip->dst_mask;
    ip->tos = flow->nw_tos & ip->tos_mask;
    ip->ttl = flow->nw_ttl & ip->ttl_mask;
    base->nw_src = flow->nw_src;
    base->nw_dst = flow->nw_dst;
    base->nw_tos = flow->nw_tos;
    base->nw_ttl = flow->nw_ttl;
}

static void
commit_ipv6(const struct ft_flow *flow, struct ft_flow *base,
            struct ft_flow *wc, struct ft_dp_actions *acts)
{
    struct ft_dpa_ipv6 *ip;

    ip = &ft_dp_actions_put(acts, FT_DPA_SET_IPV6)->ipv6;
    in6_mask(&flow->ipv6_src, &base->ipv6_src, &wc->ipv6_src,
             &ip->src_mask);
    in6_mask(&flow->ipv6_dst, &base->ipv6_dst, &wc->ipv6_dst,
             &ip->dst_mask);
    for (int i = 0; i < 16; i++) {
        ip->src.s6[i] = flow->ipv6_src.s6[i] & ip->src_mask.s6[i];
        ip->dst.s6[i] = flow->ipv6_dst.s6[i] & ip->dst_mask.s6[i];
    }
    ip->label_mask = INT_MASK(flow->ipv6_label, base->ipv6_label,
                              wc->ipv6_label) & 0xfffff;
    ip->tclass_mask = INT_MASK(flow->nw_tos, base->nw_tos, wc->nw_tos);
    ip->hlimit_mask = INT_MASK(flow->nw_ttl, base->nw_ttl, wc->nw_ttl);
    ip->label = flow->ipv6_label & ip->label_mask;
    ip->tclass = flow->nw_tos & ip->tclass_mask;
    ip->hlimit = flow->nw_ttl & ip->hlimit_mask;
    base->ipv6_src = flow->ipv6_src;
    base->ipv6_dst = flow->ipv6_dst;
    base->ipv6_label = flow->ipv6_label;
    base->nw_tos = flow->nw_tos;
    base->nw_ttl = flow->nw_ttl;
}

static void
commit_l4(const struct ft_flow *flow, struct ft_flow *base,
          struct ft_flow *wc, struct ft_dp_actions *acts)
{
    struct ft_dpa_l4 *l4;

    l4 = &ft_dp_actions_put(acts, FT_DPA_SET_L4)->l4;
    l4->proto = flow->nw_proto;
    l4->src_mask = INT_MASK(flow->tp_src, base->tp_src, wc->tp_src);
    l4->dst_mask = INT_MASK(flow->tp_dst, base->tp_dst, wc->tp_dst);
    l4->src = flow->tp_src & l4->src_mask;
    l4->dst = flow->tp_dst & l4->dst_mask;
    base->tp_src = flow->tp_src;
    base->tp_dst = flow->tp_dst;
}

static bool
is_icmp(const struct ft_flow *f)
{
    return (f->dl_type == FT_ETH_TYPE_IP && f->nw_proto == FT_IPPROTO_ICMP)
           || (f->dl_type == FT_ETH_TYPE_IPV6
               && f->nw_proto == FT_IPPROTO_ICMPV6);
}

/* OVS's commit_set_icmp_action(): type and code (in tp_src and tp_dst) in
 * one unmasked set, so the megaflow matches both. */
static void
commit_icmp(const struct ft_flow *flow, struct ft_flow *base,
            struct ft_flow *wc, struct ft_dp_actions *acts)
{
    struct ft_dpa_l4 *l4;

    l4 = &ft_dp_actions_put(acts, FT_DPA_SET_L4)->l4;
    l4->proto = flow->nw_proto;
    l4->src = flow->tp_src & 0xff;
    l4->dst = flow->tp_dst & 0xff;
    l4->src_mask = l4->dst_mask = 0xff;
    wc->tp_src |= 0xff;
    wc->tp_dst |= 0xff;
    base->tp_src = flow->tp_src;
    base->tp_dst = flow->tp_dst;
}

static int
count_vlans(const struct ft_flow *f)
{
    int n = 0;

    while (n < 2 && f->vlans[n].tci & FT_VLAN_CFI) {
        n++;
    }
    return n;
}

static bool
vlan_equal(const struct ft_vlan *a, const struct ft_vlan *b)
{
    return a->tpid == b->tpid && a->tci == b->tci;
}

/* OVS's commit_vlan_action(): tags common to both stacks, counted from the
 * innermost, stay; the rest of 'base' is popped and the rest of 'flow'
 * pushed, innermost first. */
static void
commit_vlan(const struct ft_flow *flow, struct ft_flow *base,
            struct ft_dp_actions *acts)
{
    int base_n = count_vlans(base);
    int flow_n = count_vlans(flow);

    while (base_n && flow_n
           && vlan_equal(&base->vlans[base_n - 1], &flow->vlans[flow_n - 1])) {
        base_n--;
        flow_n--;
    }
    for (; base_n > 0; base_n--) {
        ft_dp_actions_put(acts, FT_DPA_POP_VLAN);
    }
    for (; flow_n > 0; flow_n--) {
        struct ft_dp_action *a = ft_dp_actions_put(acts, FT_DPA_PUSH_VLAN);

        a->push_vlan = flow->vlans[flow_n - 1];
    }
    memcpy(base->vlans, flow->vlans, sizeof base->vlans);
}

static bool
is_l4_proto(uint8_t p)
{
    return p == FT_IPPROTO_TCP || p == FT_IPPROTO_UDP
           || p == FT_IPPROTO_SCTP;
}

int
ft_xlate_commit(const struct ft_flow *flow, struct ft_flow *base,
                struct ft_flow *wc, struct ft_dp_actions *acts,
                struct ft_error *err)
{
    bool v4 = base->dl_type == FT_ETH_TYPE_IP;
    bool v6 = base->dl_type == FT_ETH_TYPE_IPV6;
    bool ip_changed = (v4 && ipv4_differs(flow, base))
                      || (v6 && ipv6_differs(flow, base));
    bool tp_changed = (v4 || v6)
                      && (flow->tp_src != base->tp_src
                          || flow->tp_dst != base->tp_dst);

    /* Refuse first, so that nothing is half emitted. */
    if (base->dl_type == FT_ETH_TYPE_ARP
        && (flow->nw_src != base->nw_src || flow->nw_dst != base->nw_dst
            || flow->nw_proto != base->nw_proto
            || !mac_equal(&flow->arp_sha, &base->arp_sha)
            || !mac_equal(&flow->arp_tha, &base->arp_tha))) {
        return ft_error_set(err, -EOPNOTSUPP, "datapath actions cannot "
                            "rewrite ARP fields");
    }

    commit_eth(flow, base, wc, acts);
    if (ip_changed || tp_changed) {
        /* The decision below reads the protocol. */
        wc->nw_proto = 0xff;
    }
    if (flow->nw_proto) {
        if (ip_changed) {
            if (v4) {
                commit_ipv4(flow, base, wc, acts);
            } else {
                commit_ipv6(flow, base, wc, acts);
            }
        }
        if (tp_changed && is_l4_proto(flow->nw_proto)) {
            commit_l4(flow, base, wc, acts);
        } else if (tp_changed && is_icmp(flow)
                   && ((flow->tp_src ^ base->tp_src) & 0xff
                       || (flow->tp_dst ^ base->tp_dst) & 0xff)) {
            commit_icmp(flow, base, wc, acts);
        }
    }
    commit_vlan(flow, base, acts);
    return 0;
}
