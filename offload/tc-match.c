/*
 * tc-match.c - a megaflow's match as flower keys (see tc-translate.h).
 *
 * Part of the TC provider.  Walks the fields of 'struct ft_flow' that a
 * mask may touch, in one table: each either becomes TCA_FLOWER_KEY_*
 * attributes (value and mask, in network byte order) or refuses the
 * megaflow with the field's name.  Nothing else in the flow may be
 * masked.
 */
#include "tc-translate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "match-check.h"

#define IS_SET(FIELD) FT_OFFLOAD_MASKED(m, FIELD)

static int
refuse(struct ft_error *err, const char *what)
{
    return ft_offload_refuse_match("tc", what, err);
}

static void
put_u16_masked(struct nl_msg *msg, int key, int mask_key, uint16_t v,
               uint16_t mask)
{
    nla_put_u16(msg, key, htons(v & mask));
    nla_put_u16(msg, mask_key, htons(mask));
}

static void
put_u8_masked(struct nl_msg *msg, int key, int mask_key, uint8_t v,
              uint8_t mask)
{
    nla_put_u8(msg, key, v & mask);
    nla_put_u8(msg, mask_key, mask);
}

static void
put_u32_masked(struct nl_msg *msg, int key, int mask_key, uint32_t v,
               uint32_t mask)
{
    nla_put_u32(msg, key, htonl(v & mask));
    nla_put_u32(msg, mask_key, htonl(mask));
}

/* The ethertype of an untagged match.  Flower reads the L3 and L4 keys
 * only after TCA_FLOWER_KEY_ETH_TYPE (the filter's protocol alone is not
 * enough: without the key they would be ignored, silently). */
static int
match_eth_type(struct nl_msg *msg, const struct ft_match *m,
               uint16_t *protocol)
{
    if (m->mask.dl_type) {
        *protocol = htons(m->flow.dl_type);
        nla_put_u16(msg, TCA_FLOWER_KEY_ETH_TYPE, *protocol);
    } else {
        *protocol = htons(ETH_P_ALL);
    }
    return 0;
}

/* The VLAN tag, and the protocol of the filter. */
static int
match_vlan(struct nl_msg *msg, const struct ft_match *m, uint16_t *protocol,
           struct ft_error *err)
{
    uint16_t tci = m->flow.vlans[0].tci, tci_mask = m->mask.vlans[0].tci;
    uint16_t type = m->flow.dl_type;

    if (m->mask.dl_type && m->mask.dl_type != 0xffff) {
        return refuse(err, "part of dl_type");
    }
    if (!(tci_mask & FT_VLAN_CFI)) {
        if (tci_mask) {
            return refuse(err, "a VLAN ID without the tag's presence");
        }
        /* Tagged or not, either way. */
        return match_eth_type(msg, m, protocol);
    }
    if (!(tci & FT_VLAN_CFI)) {
        if (tci_mask & ~FT_VLAN_CFI & 0xffff
            && (tci & ~FT_VLAN_CFI)) {
            return refuse(err, "an absent VLAN tag's ID");
        }
        /* No tag at all. */
        nla_put_u8(msg, TCA_FLOWER_KEY_NUM_OF_VLANS, 0);
        return match_eth_type(msg, m, protocol);
    }
    if ((tci_mask & FT_VLAN_VID_MASK)
        && (tci_mask & FT_VLAN_VID_MASK) != FT_VLAN_VID_MASK) {
        return refuse(err, "part of a VLAN ID");
    }
    if ((tci_mask & FT_VLAN_PCP_MASK)
        && (tci_mask & FT_VLAN_PCP_MASK) != FT_VLAN_PCP_MASK) {
        return refuse(err, "part of a VLAN priority");
    }
    *protocol = htons(m->mask.vlans[0].tpid && m->flow.vlans[0].tpid
                      ? m->flow.vlans[0].tpid : ETH_P_8021Q);
    nla_put_u16(msg, TCA_FLOWER_KEY_ETH_TYPE, *protocol);
    if (tci_mask & FT_VLAN_VID_MASK) {
        nla_put_u16(msg, TCA_FLOWER_KEY_VLAN_ID, tci & FT_VLAN_VID_MASK);
    }
    if (tci_mask & FT_VLAN_PCP_MASK) {
        nla_put_u8(msg, TCA_FLOWER_KEY_VLAN_PRIO,
                   (tci & FT_VLAN_PCP_MASK) >> FT_VLAN_PCP_SHIFT);
    }
    if (m->mask.dl_type) {
        nla_put_u16(msg, TCA_FLOWER_KEY_VLAN_ETH_TYPE, htons(type));
    }
    return 0;
}

static void
match_eth(struct nl_msg *msg, const struct ft_match *m)
{
    if (IS_SET(dl_dst)) {
        nla_put(msg, TCA_FLOWER_KEY_ETH_DST, 6, m->flow.dl_dst.ea);
        nla_put(msg, TCA_FLOWER_KEY_ETH_DST_MASK, 6, m->mask.dl_dst.ea);
    }
    if (IS_SET(dl_src)) {
        nla_put(msg, TCA_FLOWER_KEY_ETH_SRC, 6, m->flow.dl_src.ea);
        nla_put(msg, TCA_FLOWER_KEY_ETH_SRC_MASK, 6, m->mask.dl_src.ea);
    }
}

static int
match_frag(struct nl_msg *msg, const struct ft_match *m, struct ft_error *err)
{
    uint32_t flags = 0, mask = 0;

    if (!m->mask.nw_frag) {
        return 0;
    }
    if (m->mask.nw_frag & ~FT_FRAG_MASK) {
        return refuse(err, "nw_frag");
    }
    if (m->mask.nw_frag & FT_FRAG_ANY) {
        mask |= TCA_FLOWER_KEY_FLAGS_IS_FRAGMENT;
        flags |= m->flow.nw_frag & FT_FRAG_ANY
                 ? TCA_FLOWER_KEY_FLAGS_IS_FRAGMENT : 0;
    }
    if (m->mask.nw_frag & FT_FRAG_LATER) {
        mask |= TCA_FLOWER_KEY_FLAGS_FRAG_IS_FIRST;
        flags |= (m->flow.nw_frag & (FT_FRAG_ANY | FT_FRAG_LATER))
                 == FT_FRAG_ANY ? TCA_FLOWER_KEY_FLAGS_FRAG_IS_FIRST : 0;
    }
    put_u32_masked(msg, TCA_FLOWER_KEY_FLAGS, TCA_FLOWER_KEY_FLAGS_MASK,
                   flags, mask);
    return 0;
}

static int
match_l3(struct nl_msg *msg, const struct ft_match *m, struct ft_error *err)
{
    uint16_t type = m->mask.dl_type ? m->flow.dl_type : 0;

    if (type == FT_ETH_TYPE_ARP) {
        if (IS_SET(nw_src)) {
            put_u32_masked(msg, TCA_FLOWER_KEY_ARP_SIP,
                           TCA_FLOWER_KEY_ARP_SIP_MASK, m->flow.nw_src,
                           m->mask.nw_src);
        }
        if (IS_SET(nw_dst)) {
            put_u32_masked(msg, TCA_FLOWER_KEY_ARP_TIP,
                           TCA_FLOWER_KEY_ARP_TIP_MASK, m->flow.nw_dst,
                           m->mask.nw_dst);
        }
        if (IS_SET(nw_proto)) {
            put_u8_masked(msg, TCA_FLOWER_KEY_ARP_OP,
                          TCA_FLOWER_KEY_ARP_OP_MASK, m->flow.nw_proto,
                          m->mask.nw_proto);
        }
        if (IS_SET(arp_sha)) {
            nla_put(msg, TCA_FLOWER_KEY_ARP_SHA, 6, m->flow.arp_sha.ea);
            nla_put(msg, TCA_FLOWER_KEY_ARP_SHA_MASK, 6, m->mask.arp_sha.ea);
        }
        if (IS_SET(arp_tha)) {
            nla_put(msg, TCA_FLOWER_KEY_ARP_THA, 6, m->flow.arp_tha.ea);
            nla_put(msg, TCA_FLOWER_KEY_ARP_THA_MASK, 6, m->mask.arp_tha.ea);
        }
        return IS_SET(tp_src) || IS_SET(tp_dst) ? refuse(err, "L4 of ARP")
                                                : 0;
    }
    if (IS_SET(arp_sha) || IS_SET(arp_tha)) {
        return refuse(err, "ARP hardware addresses without dl_type=arp");
    }
    if (type != FT_ETH_TYPE_IP && type != FT_ETH_TYPE_IPV6) {
        return (IS_SET(nw_src) || IS_SET(nw_dst) || IS_SET(ipv6_src)
                || IS_SET(ipv6_dst) || IS_SET(nw_proto) || IS_SET(nw_tos)
                || IS_SET(nw_ttl) || IS_SET(nw_frag) || IS_SET(tp_src)
                || IS_SET(tp_dst) || IS_SET(tcp_flags))
               ? refuse(err, "L3 fields without an IP dl_type") : 0;
    }
    if (type == FT_ETH_TYPE_IP) {
        if (IS_SET(nw_src)) {
            put_u32_masked(msg, TCA_FLOWER_KEY_IPV4_SRC,
                           TCA_FLOWER_KEY_IPV4_SRC_MASK, m->flow.nw_src,
                           m->mask.nw_src);
        }
        if (IS_SET(nw_dst)) {
            put_u32_masked(msg, TCA_FLOWER_KEY_IPV4_DST,
                           TCA_FLOWER_KEY_IPV4_DST_MASK, m->flow.nw_dst,
                           m->mask.nw_dst);
        }
    } else {
        if (IS_SET(ipv6_src)) {
            nla_put(msg, TCA_FLOWER_KEY_IPV6_SRC, 16, m->flow.ipv6_src.s6);
            nla_put(msg, TCA_FLOWER_KEY_IPV6_SRC_MASK, 16,
                    m->mask.ipv6_src.s6);
        }
        if (IS_SET(ipv6_dst)) {
            nla_put(msg, TCA_FLOWER_KEY_IPV6_DST, 16, m->flow.ipv6_dst.s6);
            nla_put(msg, TCA_FLOWER_KEY_IPV6_DST_MASK, 16,
                    m->mask.ipv6_dst.s6);
        }
    }
    if (IS_SET(nw_proto)) {
        if (m->mask.nw_proto != 0xff) {
            return refuse(err, "part of nw_proto");
        }
        nla_put_u8(msg, TCA_FLOWER_KEY_IP_PROTO, m->flow.nw_proto);
    }
    if (IS_SET(nw_tos)) {
        put_u8_masked(msg, TCA_FLOWER_KEY_IP_TOS, TCA_FLOWER_KEY_IP_TOS_MASK,
                      m->flow.nw_tos, m->mask.nw_tos);
    }
    if (IS_SET(nw_ttl)) {
        put_u8_masked(msg, TCA_FLOWER_KEY_IP_TTL, TCA_FLOWER_KEY_IP_TTL_MASK,
                      m->flow.nw_ttl, m->mask.nw_ttl);
    }
    return match_frag(msg, m, err);
}

/* The L4 keys of each protocol: ports, or ICMP type and code. */
static const struct {
    uint8_t proto;
    bool ipv6;                  /* Only for ICMPv6. */
    int src, src_mask, dst, dst_mask;
    bool u8;                    /* ICMP type/code: 8-bit keys. */
} l4_keys[] = {
    { FT_IPPROTO_TCP, false, TCA_FLOWER_KEY_TCP_SRC,
      TCA_FLOWER_KEY_TCP_SRC_MASK, TCA_FLOWER_KEY_TCP_DST,
      TCA_FLOWER_KEY_TCP_DST_MASK, false },
    { FT_IPPROTO_UDP, false, TCA_FLOWER_KEY_UDP_SRC,
      TCA_FLOWER_KEY_UDP_SRC_MASK, TCA_FLOWER_KEY_UDP_DST,
      TCA_FLOWER_KEY_UDP_DST_MASK, false },
    { FT_IPPROTO_SCTP, false, TCA_FLOWER_KEY_SCTP_SRC,
      TCA_FLOWER_KEY_SCTP_SRC_MASK, TCA_FLOWER_KEY_SCTP_DST,
      TCA_FLOWER_KEY_SCTP_DST_MASK, false },
    { FT_IPPROTO_ICMP, false, TCA_FLOWER_KEY_ICMPV4_TYPE,
      TCA_FLOWER_KEY_ICMPV4_TYPE_MASK, TCA_FLOWER_KEY_ICMPV4_CODE,
      TCA_FLOWER_KEY_ICMPV4_CODE_MASK, true },
    { FT_IPPROTO_ICMPV6, true, TCA_FLOWER_KEY_ICMPV6_TYPE,
      TCA_FLOWER_KEY_ICMPV6_TYPE_MASK, TCA_FLOWER_KEY_ICMPV6_CODE,
      TCA_FLOWER_KEY_ICMPV6_CODE_MASK, true },
};

static int
match_l4(struct nl_msg *msg, const struct ft_match *m, struct ft_error *err)
{
    if (!IS_SET(tp_src) && !IS_SET(tp_dst) && !IS_SET(tcp_flags)) {
        return 0;
    }
    if (m->mask.nw_proto != 0xff) {
        return refuse(err, "L4 fields without nw_proto");
    }
    for (size_t i = 0; i < sizeof l4_keys / sizeof l4_keys[0]; i++) {
        if (l4_keys[i].proto != m->flow.nw_proto) {
            continue;
        }
        if (l4_keys[i].u8) {
            if (IS_SET(tp_src)) {
                put_u8_masked(msg, l4_keys[i].src, l4_keys[i].src_mask,
                              m->flow.tp_src, m->mask.tp_src);
            }
            if (IS_SET(tp_dst)) {
                put_u8_masked(msg, l4_keys[i].dst, l4_keys[i].dst_mask,
                              m->flow.tp_dst, m->mask.tp_dst);
            }
        } else {
            if (IS_SET(tp_src)) {
                put_u16_masked(msg, l4_keys[i].src, l4_keys[i].src_mask,
                               m->flow.tp_src, m->mask.tp_src);
            }
            if (IS_SET(tp_dst)) {
                put_u16_masked(msg, l4_keys[i].dst, l4_keys[i].dst_mask,
                               m->flow.tp_dst, m->mask.tp_dst);
            }
        }
        if (IS_SET(tcp_flags)) {
            if (m->flow.nw_proto != FT_IPPROTO_TCP) {
                return refuse(err, "tcp_flags of a non-TCP packet");
            }
            put_u16_masked(msg, TCA_FLOWER_KEY_TCP_FLAGS,
                           TCA_FLOWER_KEY_TCP_FLAGS_MASK, m->flow.tcp_flags,
                           m->mask.tcp_flags);
        }
        return 0;
    }
    return refuse(err, "L4 fields of this IP protocol");
}

int
ft_tc_match_put(struct nl_msg *msg, const struct ft_match *m,
                const struct ft_tc_port_info *in, uint16_t *protocol,
                struct ft_error *err)
{
    uint16_t tnl_dst_port = in->tnl_dst_port;
    int error;

    if (!tnl_dst_port && ft_offload_match_has_tunnel(m)) {
        return ft_error_set(err, -EOPNOTSUPP, "tc: match on tunnel fields "
                            "(tun_id, tun_src, tun_dst, tun_flags) of "
                            "packets that did not come from a tunnel port "
                            "is not offloadable");
    }
    error = ft_offload_check_match__(m, "tc", FT_OFFLOAD_MATCH_TUNNEL
                                     | FT_OFFLOAD_MATCH_NO_INNER_VLAN, err);
    if (!error && tnl_dst_port) {
        error = ft_tc_tunnel_match_put(msg, m, in, err);
    }
    if (!error) {
        error = match_vlan(msg, m, protocol, err);
    }
    if (!error) {
        match_eth(msg, m);
        error = match_l3(msg, m, err);
    }
    if (!error) {
        error = match_l4(msg, m, err);
    }
    return error;
}

uint64_t
ft_tc_stats_bytes(const struct ft_match *m, uint64_t packets, uint64_t bytes,
                  uint64_t hw_packets)
{
    uint64_t sw_packets = packets > hw_packets ? packets - hw_packets : 0;
    uint64_t l2 = ETH_HLEN;

    if ((m->mask.vlans[0].tci & FT_VLAN_CFI)
        && (m->flow.vlans[0].tci & FT_VLAN_CFI)) {
        l2 += 4;                /* VLAN_HLEN. */
    }
    return bytes + sw_packets * l2;
}
