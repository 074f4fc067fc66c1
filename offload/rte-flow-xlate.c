/*
 * rte-flow-xlate.c - a megaflow as an rte_flow rule (see
 * rte-flow-xlate.h): pattern ETH [VLAN] [IPV4|IPV6 [TCP|UDP|SCTP|ICMP|
 * ICMP6]] END, and actions COUNT, then the datapath actions in order
 * (OF_PUSH_VLAN + OF_SET_VLAN_VID + OF_SET_VLAN_PCP, OF_POP_VLAN,
 * SET_MAC_*, SET_IPV4_*, SET_TTL, SET_TP_*, REPRESENTED_PORT for each
 * output, to ports of the input port's switch domain only), or DROP
 * when nothing goes out, then END.
 *
 * Part of the rte_flow provider.  Anything else refuses the megaflow with
 * the field's or action's name.
 */
#include "rte-flow-xlate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include "match-check.h"

#define IS_SET(FIELD) FT_OFFLOAD_MASKED(m, FIELD)

static int
refuse(struct ft_error *err, const char *what)
{
    return ft_offload_refuse_match("rte_flow", what, err);
}

struct builder {
    struct ft_rte_flow_rule *r;
    const struct ft_rte_flow_port *in;  /* Where the traffic comes from:
                                         * the input port, or a VXLAN
                                         * port's underlay. */
    size_t n_items, n_actions;
    const struct ft_dpa_tunnel *tunnel; /* The last set(tunnel). */
    bool encapsulated;                  /* A VXLAN_ENCAP is in. */
    bool decap;                         /* The input port is VXLAN. */
};

static void
add_item(struct builder *b, enum rte_flow_item_type type, const void *spec,
         const void *mask)
{
    struct rte_flow_item *it = &b->r->items[b->n_items++];

    it->type = type;
    it->spec = spec;
    it->mask = mask;
}

static struct rte_flow_action *
add_action(struct builder *b, enum rte_flow_action_type type,
           const void *conf)
{
    struct rte_flow_action *a = &b->r->actions[b->n_actions++];

    a->type = type;
    a->conf = conf;
    return a;
}

static int
pattern_l2(struct builder *b, const struct ft_match *m, struct ft_error *err)
{
    struct ft_rte_flow_rule *r = b->r;
    uint16_t tci = m->flow.vlans[0].tci, tci_mask = m->mask.vlans[0].tci;

    if (m->mask.dl_type && m->mask.dl_type != 0xffff) {
        return refuse(err, "part of dl_type");
    }
    memcpy(r->eth.dst.addr_bytes, m->flow.dl_dst.ea, 6);
    memcpy(r->eth_mask.dst.addr_bytes, m->mask.dl_dst.ea, 6);
    memcpy(r->eth.src.addr_bytes, m->flow.dl_src.ea, 6);
    memcpy(r->eth_mask.src.addr_bytes, m->mask.dl_src.ea, 6);
    if ((tci_mask & FT_VLAN_CFI) && !(tci & FT_VLAN_CFI)
        && m->mask.dl_type == 0xffff && m->flow.dl_type != FT_ETH_TYPE_VLAN
        && m->flow.dl_type != FT_ETH_TYPE_VLAN_AD) {
        /* No tag: ETH's 'type' is the outermost EtherType or TPID, so an
         * exact non-TPID type already says so, in the words drivers
         * without has_vlan (net_tap) take. */
    } else if (tci_mask & FT_VLAN_CFI) {
        r->eth.has_vlan = !!(tci & FT_VLAN_CFI);
        r->eth_mask.has_vlan = 1;
    } else if (tci_mask) {
        return refuse(err, "a VLAN ID without the tag's presence");
    }
    if (!(tci & FT_VLAN_CFI) || !(tci_mask & FT_VLAN_CFI)) {
        r->eth.type = rte_cpu_to_be_16(m->flow.dl_type & m->mask.dl_type);
        r->eth_mask.type = rte_cpu_to_be_16(m->mask.dl_type);
        add_item(b, RTE_FLOW_ITEM_TYPE_ETH, &r->eth, &r->eth_mask);
        return 0;
    }
    add_item(b, RTE_FLOW_ITEM_TYPE_ETH, &r->eth, &r->eth_mask);
    r->vlan.tci = rte_cpu_to_be_16(tci & ~FT_VLAN_CFI & tci_mask);
    r->vlan_mask.tci = rte_cpu_to_be_16(tci_mask & ~FT_VLAN_CFI);
    r->vlan.inner_type = rte_cpu_to_be_16(m->flow.dl_type & m->mask.dl_type);
    r->vlan_mask.inner_type = rte_cpu_to_be_16(m->mask.dl_type);
    add_item(b, RTE_FLOW_ITEM_TYPE_VLAN, &r->vlan, &r->vlan_mask);
    return 0;
}

static int
pattern_l3(struct builder *b, const struct ft_match *m, struct ft_error *err)
{
    struct ft_rte_flow_rule *r = b->r;
    uint16_t type = m->mask.dl_type ? m->flow.dl_type : 0;

    if (type == FT_ETH_TYPE_IP) {
        r->ipv4.hdr.src_addr = rte_cpu_to_be_32(m->flow.nw_src);
        r->ipv4_mask.hdr.src_addr = rte_cpu_to_be_32(m->mask.nw_src);
        r->ipv4.hdr.dst_addr = rte_cpu_to_be_32(m->flow.nw_dst);
        r->ipv4_mask.hdr.dst_addr = rte_cpu_to_be_32(m->mask.nw_dst);
        r->ipv4.hdr.next_proto_id = m->flow.nw_proto;
        r->ipv4_mask.hdr.next_proto_id = m->mask.nw_proto;
        r->ipv4.hdr.type_of_service = m->flow.nw_tos;
        r->ipv4_mask.hdr.type_of_service = m->mask.nw_tos;
        r->ipv4.hdr.time_to_live = m->flow.nw_ttl;
        r->ipv4_mask.hdr.time_to_live = m->mask.nw_ttl;
        if (m->mask.nw_frag) {
            if (m->flow.nw_frag || m->mask.nw_frag != FT_FRAG_MASK) {
                return refuse(err, "fragments");
            }
            /* Not a fragment: no MF bit, offset zero. */
            r->ipv4_mask.hdr.fragment_offset = rte_cpu_to_be_16(0x3fff);
        }
        add_item(b, RTE_FLOW_ITEM_TYPE_IPV4, &r->ipv4, &r->ipv4_mask);
        return 0;
    }
    if (type == FT_ETH_TYPE_IPV6) {
        if (IS_SET(nw_tos) || IS_SET(nw_frag)) {
            return refuse(err, "IPv6 traffic class or fragments");
        }
        memcpy(r->ipv6.hdr.src_addr, m->flow.ipv6_src.s6, 16);
        memcpy(r->ipv6_mask.hdr.src_addr, m->mask.ipv6_src.s6, 16);
        memcpy(r->ipv6.hdr.dst_addr, m->flow.ipv6_dst.s6, 16);
        memcpy(r->ipv6_mask.hdr.dst_addr, m->mask.ipv6_dst.s6, 16);
        r->ipv6.hdr.proto = m->flow.nw_proto;
        r->ipv6_mask.hdr.proto = m->mask.nw_proto;
        r->ipv6.hdr.hop_limits = m->flow.nw_ttl;
        r->ipv6_mask.hdr.hop_limits = m->mask.nw_ttl;
        add_item(b, RTE_FLOW_ITEM_TYPE_IPV6, &r->ipv6, &r->ipv6_mask);
        return 0;
    }
    return (IS_SET(nw_src) || IS_SET(nw_dst) || IS_SET(ipv6_src)
            || IS_SET(ipv6_dst) || IS_SET(nw_proto) || IS_SET(nw_tos)
            || IS_SET(nw_ttl) || IS_SET(nw_frag) || IS_SET(arp_sha)
            || IS_SET(arp_tha))
           ? refuse(err, "L3 fields of this ethertype") : 0;
}

static int
pattern_l4(struct builder *b, const struct ft_match *m, struct ft_error *err)
{
    struct ft_rte_flow_rule *r = b->r;
    rte_be16_t src = rte_cpu_to_be_16(m->flow.tp_src);
    rte_be16_t dst = rte_cpu_to_be_16(m->flow.tp_dst);
    rte_be16_t src_m = rte_cpu_to_be_16(m->mask.tp_src);
    rte_be16_t dst_m = rte_cpu_to_be_16(m->mask.tp_dst);

    if (!IS_SET(tp_src) && !IS_SET(tp_dst) && !IS_SET(tcp_flags)) {
        return 0;
    }
    if (m->mask.nw_proto != 0xff) {
        return refuse(err, "L4 fields without nw_proto");
    }
    if (IS_SET(tcp_flags) && m->flow.nw_proto != FT_IPPROTO_TCP) {
        return refuse(err, "tcp_flags of a non-TCP packet");
    }
    switch (m->flow.nw_proto) {
    case FT_IPPROTO_TCP:
        r->tcp.hdr.src_port = src, r->tcp_mask.hdr.src_port = src_m;
        r->tcp.hdr.dst_port = dst, r->tcp_mask.hdr.dst_port = dst_m;
        r->tcp.hdr.tcp_flags = m->flow.tcp_flags & 0xff;
        r->tcp_mask.hdr.tcp_flags = m->mask.tcp_flags & 0xff;
        if (m->mask.tcp_flags & 0xf00) {
            return refuse(err, "the TCP NS flag");
        }
        add_item(b, RTE_FLOW_ITEM_TYPE_TCP, &r->tcp, &r->tcp_mask);
        return 0;
    case FT_IPPROTO_UDP:
        r->udp.hdr.src_port = src, r->udp_mask.hdr.src_port = src_m;
        r->udp.hdr.dst_port = dst, r->udp_mask.hdr.dst_port = dst_m;
        add_item(b, RTE_FLOW_ITEM_TYPE_UDP, &r->udp, &r->udp_mask);
        return 0;
    case FT_IPPROTO_SCTP:
        r->sctp.hdr.src_port = src, r->sctp_mask.hdr.src_port = src_m;
        r->sctp.hdr.dst_port = dst, r->sctp_mask.hdr.dst_port = dst_m;
        add_item(b, RTE_FLOW_ITEM_TYPE_SCTP, &r->sctp, &r->sctp_mask);
        return 0;
    case FT_IPPROTO_ICMP:
        r->icmp.hdr.icmp_type = m->flow.tp_src;
        r->icmp_mask.hdr.icmp_type = m->mask.tp_src;
        r->icmp.hdr.icmp_code = m->flow.tp_dst;
        r->icmp_mask.hdr.icmp_code = m->mask.tp_dst;
        add_item(b, RTE_FLOW_ITEM_TYPE_ICMP, &r->icmp, &r->icmp_mask);
        return 0;
    case FT_IPPROTO_ICMPV6:
        r->icmp6.type = m->flow.tp_src, r->icmp6_mask.type = m->mask.tp_src;
        r->icmp6.code = m->flow.tp_dst, r->icmp6_mask.code = m->mask.tp_dst;
        add_item(b, RTE_FLOW_ITEM_TYPE_ICMP6, &r->icmp6, &r->icmp6_mask);
        return 0;
    default:
        return refuse(err, "L4 fields of this IP protocol");
    }
}

/* ---- VXLAN. ---- */

static int refuse_action(struct ft_error *, const char *what);

/* Refuses a tunnel whose route 'vx' cannot carry rules; 'encap' if the
 * headers must be written (which needs the next hop's address). */
static int
tnl_check(const char *port, const struct ft_rte_flow_vxlan *vx, bool encap,
          struct ft_error *err)
{
    char ip[INET_ADDRSTRLEN];
    uint32_t dst = htonl(vx->dst_ip);

    inet_ntop(AF_INET, &dst, ip, sizeof ip);
    switch (vx->state) {
    case FT_RTE_TNL_OK:
        return 0;
    case FT_RTE_TNL_NO_ROUTE:
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: vxlan port %s: no "
                            "underlay route to %s: the userspace datapath "
                            "handles the tunnel until there is one", port,
                            ip);
    case FT_RTE_TNL_NO_NEXTHOP:
        return !encap ? 0
               : ft_error_set(err, -EOPNOTSUPP, "rte_flow: vxlan port %s: "
                              "no next hop yet (the neighbour towards %s is "
                              "not resolved): the userspace datapath "
                              "encapsulates until it is", port, ip);
    case FT_RTE_TNL_IPV6:
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: vxlan port %s: the "
                            "underlay to %s is IPv6: rte_flow VXLAN headers "
                            "are built for an IPv4 underlay only", port, ip);
    case FT_RTE_TNL_OFF_DPDK:
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: vxlan port %s: the "
                            "route to %s leaves through a device (ifindex "
                            "%d) that is no DPDK port of this bridge: the "
                            "userspace datapath %s", port, ip,
                            vx->route_ifindex,
                            encap ? "encapsulates" : "decapsulates");
    }
    return -EINVAL;
}

/* The received flags a VXLAN port's megaflow 'm' matches (tun_flags).
 * The translation puts the outer DF and csum flags in a megaflow's mask
 * only where an OpenFlow rule on tun_flags looked at them; the outer
 * items here do not carry them, so such a megaflow is refused (a rule
 * would take +df and -df alike, as in the TC tier, offload/tc-tunnel.c),
 * and so is "-key" (every VXLAN packet has its key). */
static int
pattern_tun_flags(const struct ft_match *m, struct ft_error *err)
{
    uint16_t mask = m->mask.tun_flags, flags = m->flow.tun_flags & mask;

    if (mask & ~(FT_TNL_F_DONT_FRAGMENT | FT_TNL_F_CSUM | FT_TNL_F_KEY)) {
        return refuse(err, "tun_flags other than df, csum and key");
    }
    if ((mask & FT_TNL_F_KEY) && !(flags & FT_TNL_F_KEY)) {
        return refuse(err, "tun_flags -key (every received VXLAN packet "
                      "has its key)");
    }
    /* In the mask only where an OpenFlow rule on tun_flags looked at
     * them (mgmt/ofproto/xlate.c, wc_init_tunnel). */
    if (mask & (FT_TNL_F_DONT_FRAGMENT | FT_TNL_F_CSUM)) {
        return refuse(err, "the outer tun_flags df or csum (an OpenFlow "
                      "rule matches tun_flags' df or csum bit, which the "
                      "outer IPV4 and UDP items here do not carry: a rule "
                      "would take +df and -df alike)");
    }
    return 0;
}

/* The outer ETH / IPV4 / UDP / VXLAN of a VXLAN port's megaflow 'm', on
 * its underlay, and clears the tunnel fields of 'm' (a copy). */
static int
pattern_vxlan(struct builder *b, const struct ft_rte_flow_port *port,
              struct ft_match *m, struct ft_error *err)
{
    const struct ft_rte_flow_vxlan *vx = port->vxlan;
    struct ft_rte_flow_rule *r = b->r;
    uint32_t vni = m->flow.tun_id & 0xffffff;
    int error;

    error = tnl_check(port->name, vx, false, err);
    if (error) {
        return error;
    }
    if (m->mask.tun_id && (m->mask.tun_id != UINT64_MAX
                           || m->flow.tun_id > 0xffffff)) {
        return refuse(err, "part of tun_id, or a tun_id over 24 bits");
    }
    if (m->mask.tun_tos || m->mask.tun_ttl) {
        return refuse(err, "the outer tos or ttl of a tunnel");
    }
    error = pattern_tun_flags(m, err);
    if (error) {
        return error;
    }
    r->outer_eth.type = rte_cpu_to_be_16(FT_ETH_TYPE_IP);
    r->outer_eth_mask.type = 0xffff;
    add_item(b, RTE_FLOW_ITEM_TYPE_ETH, &r->outer_eth, &r->outer_eth_mask);
    r->outer_ipv4.hdr.src_addr = rte_cpu_to_be_32(m->flow.tun_src);
    r->outer_ipv4_mask.hdr.src_addr = rte_cpu_to_be_32(m->mask.tun_src);
    r->outer_ipv4.hdr.dst_addr = rte_cpu_to_be_32(m->flow.tun_dst);
    r->outer_ipv4_mask.hdr.dst_addr = rte_cpu_to_be_32(m->mask.tun_dst);
    r->outer_ipv4.hdr.next_proto_id = FT_IPPROTO_UDP;
    r->outer_ipv4_mask.hdr.next_proto_id = 0xff;
    add_item(b, RTE_FLOW_ITEM_TYPE_IPV4, &r->outer_ipv4,
             &r->outer_ipv4_mask);
    r->outer_udp.hdr.dst_port = rte_cpu_to_be_16(vx->dst_port);
    r->outer_udp_mask.hdr.dst_port = 0xffff;
    add_item(b, RTE_FLOW_ITEM_TYPE_UDP, &r->outer_udp, &r->outer_udp_mask);
    if (m->mask.tun_id) {
        r->vxlan.vni[0] = vni >> 16;
        r->vxlan.vni[1] = vni >> 8;
        r->vxlan.vni[2] = vni;
        memset(r->vxlan_mask.vni, 0xff, 3);
    }
    add_item(b, RTE_FLOW_ITEM_TYPE_VXLAN, &r->vxlan, &r->vxlan_mask);
    m->mask.tun_id = 0;
    m->mask.tun_src = m->mask.tun_dst = 0;
    m->mask.tun_flags = 0;
    b->in = &vx->underlay;
    b->decap = true;
    return 0;
}

/* VXLAN_ENCAP for an output to VXLAN port 'port' after set(tunnel) 't':
 * the headers netdev-vxlan.c writes. */
static int
action_vxlan_encap(struct builder *b, const struct ft_rte_flow_port *port,
                   const struct ft_dpa_tunnel *t, struct ft_error *err)
{
    const struct ft_rte_flow_vxlan *vx = port->vxlan;
    struct ft_rte_flow_rule *r = b->r;
    struct rte_flow_item *it = r->encap_items;
    int error;

    if (!t) {
        return refuse_action(err, "output to a vxlan port without "
                             "set(tunnel)");
    }
    if (b->encapsulated) {
        return refuse_action(err, "output to a second tunnel");
    }
    error = tnl_check(port->name, vx, true, err);
    if (error) {
        return error;
    }
    if (t->dst != vx->dst_ip || t->tun_id > 0xffffff) {
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: vxlan port %s: the "
                            "route given is for another remote than the "
                            "flow's, or the VNI is over 24 bits",
                            port->name);
    }
    memcpy(r->encap_eth.src.addr_bytes, vx->src_mac.ea, 6);
    memcpy(r->encap_eth.dst.addr_bytes, vx->dst_mac.ea, 6);
    r->encap_eth.type = rte_cpu_to_be_16(FT_ETH_TYPE_IP);
    r->encap_ipv4.hdr.version_ihl = 0x45;
    r->encap_ipv4.hdr.type_of_service = t->tos;
    r->encap_ipv4.hdr.time_to_live = t->ttl;
    r->encap_ipv4.hdr.fragment_offset = rte_cpu_to_be_16(
        t->flags & FT_TNL_F_DONT_FRAGMENT ? 0x4000 : 0);
    r->encap_ipv4.hdr.next_proto_id = FT_IPPROTO_UDP;
    r->encap_ipv4.hdr.src_addr = rte_cpu_to_be_32(t->src ? t->src
                                                         : vx->src_ip);
    r->encap_ipv4.hdr.dst_addr = rte_cpu_to_be_32(t->dst);
    r->encap_udp.hdr.src_port = rte_cpu_to_be_16(vx->src_port);
    r->encap_udp.hdr.dst_port = rte_cpu_to_be_16(t->tp_dst ? t->tp_dst
                                                           : vx->dst_port);
    r->encap_vxlan.flags = 0x08;
    r->encap_vxlan.vni[0] = t->tun_id >> 16;
    r->encap_vxlan.vni[1] = t->tun_id >> 8;
    r->encap_vxlan.vni[2] = t->tun_id;
    it[0] = (struct rte_flow_item) { RTE_FLOW_ITEM_TYPE_ETH, &r->encap_eth,
                                     NULL, NULL };
    it[1] = (struct rte_flow_item) { RTE_FLOW_ITEM_TYPE_IPV4,
                                     &r->encap_ipv4, NULL, NULL };
    it[2] = (struct rte_flow_item) { RTE_FLOW_ITEM_TYPE_UDP, &r->encap_udp,
                                     NULL, NULL };
    it[3] = (struct rte_flow_item) { RTE_FLOW_ITEM_TYPE_VXLAN,
                                     &r->encap_vxlan, NULL, NULL };
    it[4] = (struct rte_flow_item) { RTE_FLOW_ITEM_TYPE_END, NULL, NULL,
                                     NULL };
    r->encap.definition = it;
    add_action(b, RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP, &r->encap);
    b->encapsulated = true;
    return 0;
}

static int
pattern(struct builder *b, const struct ft_match *m_, struct ft_error *err)
{
    struct ft_match m_copy;
    const struct ft_match *m = m_;
    int error;

    m_copy = *m_;
    m = &m_copy;
    if (b->in->vxlan) {
        error = pattern_vxlan(b, b->in, &m_copy, err);
        if (error) {
            return error;
        }
    } else if (IS_SET(tun_id) || IS_SET(tun_src) || IS_SET(tun_dst)
               || IS_SET(tun_tos) || IS_SET(tun_ttl) || IS_SET(tun_flags)) {
        /* A port that is no tunnel: its packets' tunnel fields are all
         * zero, so zeros always match, and anything else never. */
        if ((m->flow.tun_id & m->mask.tun_id) || (m->flow.tun_src
                                                  & m->mask.tun_src)
            || (m->flow.tun_dst & m->mask.tun_dst)
            || (m->flow.tun_tos & m->mask.tun_tos)
            || (m->flow.tun_ttl & m->mask.tun_ttl)
            || (m->flow.tun_flags & m->mask.tun_flags)) {
            return ft_error_set(err, -EOPNOTSUPP, "rte_flow: match on "
                                "tunnel fields of port %s, which is no "
                                "tunnel port (they never match there)",
                                b->in->name);
        }
        m_copy.mask.tun_id = 0;
        m_copy.mask.tun_src = m_copy.mask.tun_dst = 0;
        m_copy.mask.tun_tos = m_copy.mask.tun_ttl = 0;
        m_copy.mask.tun_flags = 0;
    }
    /* A tagged megaflow's "no second tag" is the VLAN item's inner_type
     * (pattern_l2()). */
    error = ft_offload_check_match__(m, "rte_flow",
                                     FT_OFFLOAD_MATCH_NO_INNER_VLAN, err);
    if (error) {
        return error;
    }
    error = pattern_l2(b, m, err);
    if (!error) {
        error = pattern_l3(b, m, err);
    }
    if (!error) {
        error = pattern_l4(b, m, err);
    }
    add_item(b, RTE_FLOW_ITEM_TYPE_END, NULL, NULL);
    return error;
}

static bool
full_mask(const void *p_, size_t n)
{
    const uint8_t *p = p_;

    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0xff) {
            return false;
        }
    }
    return true;
}

static int
refuse_action(struct ft_error *err, const char *what)
{
    return ft_error_set(err, -EOPNOTSUPP, "rte_flow: action %s is not "
                        "offloadable", what);
}

/* One set action; 'i' counts the sets of its kind so far. */
static int
action_set(struct builder *b, const struct ft_dp_action *a, size_t i,
           struct ft_error *err)
{
    struct ft_rte_flow_rule *r = b->r;

    if (i >= 4) {
        return refuse_action(err, "set (more than four)");
    }
    switch (a->type) {
    case FT_DPA_SET_ETH:
        if ((!ft_offload_is_zero(a->eth.dst_mask.ea, 6)
             && !full_mask(a->eth.dst_mask.ea, 6))
            || (!ft_offload_is_zero(a->eth.src_mask.ea, 6)
                && !full_mask(a->eth.src_mask.ea, 6))) {
            return refuse_action(err, "set of part of a MAC address");
        }
        if (full_mask(a->eth.dst_mask.ea, 6)) {
            memcpy(r->macs[i].mac_addr, a->eth.dst.ea, 6);
            add_action(b, RTE_FLOW_ACTION_TYPE_SET_MAC_DST, &r->macs[i]);
        }
        if (full_mask(a->eth.src_mask.ea, 6)) {
            return refuse_action(err, "set of both MAC addresses at once");
        }
        return 0;
    case FT_DPA_SET_IPV4:
        if (a->ipv4.tos_mask || (a->ipv4.src_mask && a->ipv4.dst_mask)
            || (a->ipv4.src_mask && a->ipv4.src_mask != UINT32_MAX)
            || (a->ipv4.dst_mask && a->ipv4.dst_mask != UINT32_MAX)) {
            return refuse_action(err, "set(ipv4) of these fields");
        }
        if (a->ipv4.src_mask || a->ipv4.dst_mask) {
            r->ipv4s[i].ipv4_addr = rte_cpu_to_be_32(a->ipv4.src_mask
                                                     ? a->ipv4.src
                                                     : a->ipv4.dst);
            add_action(b, a->ipv4.src_mask ? RTE_FLOW_ACTION_TYPE_SET_IPV4_SRC
                                           : RTE_FLOW_ACTION_TYPE_SET_IPV4_DST,
                       &r->ipv4s[i]);
        }
        if (a->ipv4.ttl_mask) {
            r->ttls[i].ttl_value = a->ipv4.ttl;
            add_action(b, RTE_FLOW_ACTION_TYPE_SET_TTL, &r->ttls[i]);
        }
        return 0;
    case FT_DPA_SET_L4:
        if (a->l4.proto == FT_IPPROTO_ICMP
            || a->l4.proto == FT_IPPROTO_ICMPV6) {
            return refuse_action(err, "set of ICMP type and code");
        }
        if ((a->l4.src_mask && a->l4.dst_mask)
            || (a->l4.src_mask && a->l4.src_mask != 0xffff)
            || (a->l4.dst_mask && a->l4.dst_mask != 0xffff)) {
            return refuse_action(err, "set of both or part of the ports");
        }
        r->tps[i].port = rte_cpu_to_be_16(a->l4.src_mask ? a->l4.src
                                                         : a->l4.dst);
        add_action(b, a->l4.src_mask ? RTE_FLOW_ACTION_TYPE_SET_TP_SRC
                                     : RTE_FLOW_ACTION_TYPE_SET_TP_DST,
                   &r->tps[i]);
        return 0;
    default:
        return refuse_action(err, "set(ipv6)");
    }
}

/* An output to 'port_no': REPRESENTED_PORT of a port of the input port's
 * switch domain, in a transfer rule.  An output of the datapath means the
 * entity behind a representor (its VF, or the wire behind the uplink's),
 * which is REPRESENTED_PORT's destination (DPDK 21.11+).  PORT_REPRESENTOR
 * would hand the packet to the representor ethdev itself, that is to the
 * application reading it: here, the daemon's slow path, which needs no
 * rule (a miss in the e-switch arrives there). */
static int
action_output(struct builder *b, const struct ft_match *m, uint32_t port_no,
              ft_rte_flow_port_lookup *lookup, void *aux, size_t i,
              struct ft_error *err)
{
    const struct ft_rte_flow_port *in = b->in;
    struct ft_rte_flow_port out;
    int error;

    memset(&out, 0, sizeof out);
    if (b->decap
        && (port_no == FT_PORT_IN_PORT || port_no == m->flow.in_port)) {
        return refuse_action(err, "output back into the tunnel a packet "
                             "came from");
    } else if (port_no == FT_PORT_IN_PORT || port_no == m->flow.in_port) {
        out = *in;
    } else {
        error = lookup(aux, port_no, b->tunnel, &out, err);
        if (error) {
            return error;
        }
    }
    if (out.vxlan) {
        error = action_vxlan_encap(b, &out, b->tunnel, err);
        if (error) {
            return error;
        }
        out = out.vxlan->underlay;
    } else if (b->encapsulated) {
        return refuse_action(err, "output of the packet after it was "
                             "encapsulated to a port that is no tunnel");
    }
    if (!in->on_switch) {
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: output from port "
                            "%s to port %s: port %s is on no NIC switch (its "
                            "DPDK driver reports no switch domain), and only "
                            "ports of one switch domain can be joined by a "
                            "transfer rule", in->name, out.name, in->name);
    }
    if (!out.on_switch || out.switch_domain != in->switch_domain) {
        char domain[32] = "no switch domain";

        if (out.on_switch) {
            snprintf(domain, sizeof domain, "switch domain %u",
                     out.switch_domain);
        }
        return ft_error_set(err, -EOPNOTSUPP, "rte_flow: output from port "
                            "%s (switch domain %u) to port %s (%s) crosses "
                            "switch domains: a transfer rule stays within "
                            "one NIC's embedded switch", in->name,
                            in->switch_domain, out.name, domain);
    }
    b->r->ports[i].port_id = out.dpdk_port;
    add_action(b, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, &b->r->ports[i]);
    b->r->attr.transfer = 1;
    return 0;
}

static int
actions_build(struct builder *b, const struct ft_match *m,
              const struct ft_dp_actions *actions,
              ft_rte_flow_port_lookup *lookup, void *aux,
              struct ft_error *err)
{
    struct ft_rte_flow_rule *r = b->r;
    size_t n_out = 0, n_vlan = 0, n_set = 0;

    add_action(b, RTE_FLOW_ACTION_TYPE_COUNT, &r->count);
    if (b->decap) {
        add_action(b, RTE_FLOW_ACTION_TYPE_VXLAN_DECAP, NULL);
    }
    for (size_t i = 0; i < actions->n; i++) {
        const struct ft_dp_action *a = &actions->acts[i];
        uint16_t tci;
        int error = 0;

        if (b->n_actions + 4 >= FT_RTE_FLOW_MAX_ACTIONS) {
            return refuse_action(err, "list (too long)");
        }
        switch (a->type) {
        case FT_DPA_OUTPUT:
            error = action_output(b, m, a->port, lookup, aux, n_out++, err);
            break;
        case FT_DPA_PUSH_VLAN:
            if (n_vlan >= 4) {
                return refuse_action(err, "push_vlan (more than four)");
            }
            tci = a->push_vlan.tci;
            r->push_vlan[n_vlan].ethertype = rte_cpu_to_be_16(
                a->push_vlan.tpid ? a->push_vlan.tpid : FT_ETH_TYPE_VLAN);
            r->vid[n_vlan].vlan_vid = rte_cpu_to_be_16(tci & FT_VLAN_VID_MASK);
            r->pcp[n_vlan].vlan_pcp = (tci & FT_VLAN_PCP_MASK)
                                      >> FT_VLAN_PCP_SHIFT;
            add_action(b, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN,
                       &r->push_vlan[n_vlan]);
            add_action(b, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID,
                       &r->vid[n_vlan]);
            add_action(b, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP,
                       &r->pcp[n_vlan]);
            n_vlan++;
            break;
        case FT_DPA_POP_VLAN:
            add_action(b, RTE_FLOW_ACTION_TYPE_OF_POP_VLAN, NULL);
            break;
        case FT_DPA_SET_ETH:
        case FT_DPA_SET_IPV4:
        case FT_DPA_SET_IPV6:
        case FT_DPA_SET_L4:
            error = action_set(b, a, n_set++, err);
            break;
        case FT_DPA_SET_TUNNEL:
            b->tunnel = &a->tunnel;
            break;
        case FT_DPA_USERSPACE:
            /* PORT_REPRESENTOR of the input port would bring the
             * packet up, but as a packet of the port: the daemon would
             * switch and count it again. */
            error = ft_error_set(err, -EOPNOTSUPP, "rte_flow: action "
                                 "userspace (to the controller) stays in "
                                 "software: a rule can hand the packet to "
                                 "the daemon only as a packet of the port "
                                 "(PORT_REPRESENTOR), which the daemon "
                                 "would switch and count a second time");
            break;
        }
        if (error) {
            return error;
        }
    }
    if (!n_out) {
        add_action(b, RTE_FLOW_ACTION_TYPE_DROP, NULL);
    }
    add_action(b, RTE_FLOW_ACTION_TYPE_END, NULL);
    return 0;
}

int
ft_rte_flow_xlate(const struct ft_match *match,
                  const struct ft_dp_actions *actions,
                  const struct ft_rte_flow_port *in,
                  ft_rte_flow_port_lookup *lookup, void *aux,
                  struct ft_rte_flow_rule *rule, struct ft_error *err)
{
    struct builder b = { .r = rule, .in = in, .n_items = 1 };  /* Item 0:
                                                                 * below. */
    int error;

    memset(rule, 0, sizeof *rule);
    error = pattern(&b, match, err);
    if (!error) {
        error = actions_build(&b, match, actions, lookup, aux, err);
    }
    if (error) {
        return error;
    }
    rule->port = b.in->dpdk_port;
    if (rule->attr.transfer) {
        /* A rule of the e-switch: the traffic of the input port's
         * represented entity (its VF, or the wire). */
        rule->in_port.port_id = b.in->dpdk_port;
        rule->items[0].type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT;
        rule->items[0].spec = &rule->in_port;
    } else {
        /* A rule of the port itself, for what it receives. */
        rule->attr.ingress = 1;
        memmove(&rule->items[0], &rule->items[1],
                (b.n_items - 1) * sizeof rule->items[0]);
    }
    return 0;
}

void
ft_rte_flow_vxlan_from_underlay(const struct ft_offload_underlay *u,
                                const struct ft_dpa_tunnel *t,
                                uint16_t dst_port, uint16_t src_port,
                                const struct ft_rte_flow_port *underlay,
                                struct ft_rte_flow_vxlan *vx)
{
    memset(vx, 0, sizeof *vx);
    vx->dst_ip = t->dst;
    vx->dst_port = dst_port;
    vx->src_port = src_port;
    vx->route_ifindex = u->ifindex;
    if (u->error) {
        vx->state = FT_RTE_TNL_NO_ROUTE;
        return;
    }
    vx->src_ip = u->src;
    vx->src_mac = u->src_mac;
    if (!underlay) {
        vx->state = FT_RTE_TNL_OFF_DPDK;
        return;
    }
    vx->underlay = *underlay;
    vx->underlay.vxlan = NULL;
    if (!u->resolved) {
        vx->state = FT_RTE_TNL_NO_NEXTHOP;
        return;
    }
    vx->dst_mac = u->dst_mac;
    vx->state = FT_RTE_TNL_OK;
}

uint16_t
ft_rte_flow_vxlan_src_port(const struct ft_match *m)
{
    const uint8_t *f = (const uint8_t *) &m->flow;
    const uint8_t *k = (const uint8_t *) &m->mask;
    uint32_t h = 2166136261u;           /* FNV-1a over the matched bits. */

    for (size_t i = 0; i < sizeof m->flow; i++) {
        h = (h ^ (uint8_t) (f[i] & k[i])) * 16777619u;
    }
    return (uint16_t) (49152 + ((h ^ (h >> 16)) & 0x3fff));
}
