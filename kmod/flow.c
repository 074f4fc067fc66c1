// SPDX-License-Identifier: GPL-2.0
/*
 * flow.c - flow key extraction: fills a 'struct ft_flow'
 * (flowtier/flow-key.h) from a frame in an skb, with exactly the rules of
 * the userspace parser (swpath/flow-extract.c): the same VLAN, 802.3/SNAP,
 * ARP, IPv4, IPv6 extension header, fragment, TCP/UDP/SCTP, ICMP and
 * neighbor discovery handling, so that a megaflow the management plane
 * computes from a key matches the packets it was computed for.  The
 * userspace side compares the two parsers on every upcall.  Reads only
 * the skb (skb_header_pointer(), no pull, no write); called in softirq
 * and from the packet family's EXECUTE.  The tunnel fields of a packet a
 * VXLAN port decapsulated come from its RX tunnel metadata
 * (ft_flow_key_tunnel()), as the outer header is gone from the frame.
 */
#include <linux/if_ether.h>
#include <linux/skbuff.h>

#include "datapath.h"

#define FT_LLC_SNAP_LEN 8
#define FT_ARP_ETH_IPV4_LEN 28
#define FT_IPV6_FRAG_OFFSET_MASK 0xfff8
#define FT_IPV6_FRAG_M 0x0001
#define FT_ND_NEIGHBOR_SOLICIT 135
#define FT_ND_NEIGHBOR_ADVERT 136
#define FT_ND_TARGET_LEN 16
#define FT_ND_OPT_SLL 1
#define FT_ND_OPT_TLL 2

/* 'len' bytes at offset 'ofs' of the frame, or NULL past its end. */
static const u8 *ft_bytes(const struct sk_buff *skb, unsigned int ofs,
			  unsigned int len, void *buf)
{
	if (ofs > skb->len || len > skb->len - ofs)
		return NULL;
	return skb_header_pointer(skb, ofs, len, buf);
}

static u16 ft_be16(const u8 *p)
{
	return (p[0] << 8) | p[1];
}

static u32 ft_be32(const u8 *p)
{
	return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}

static bool ft_is_vlan_tpid(u16 type)
{
	return type == FT_ETH_TYPE_VLAN || type == FT_ETH_TYPE_VLAN_AD;
}

/* VLAN tags, ethertype (or 802.3 with LLC/SNAP); returns the L3 offset. */
static unsigned int ft_parse_l2(const struct sk_buff *skb,
				struct ft_flow *key)
{
	unsigned int ofs = 2 * ETH_ALEN, len = skb->len;
	u8 buf[FT_LLC_SNAP_LEN];
	const u8 *p;
	u16 type;
	int i;

	p = ft_bytes(skb, ofs, 2, buf);
	type = ft_be16(p);
	for (i = 0; i < 2 && ft_is_vlan_tpid(type); i++) {
		if (len - ofs < VLAN_HLEN + 2)
			break;
		p = ft_bytes(skb, ofs + 2, 4, buf);
		key->vlans[i].tpid = type;
		key->vlans[i].tci = ft_be16(p) | FT_VLAN_CFI;
		ofs += VLAN_HLEN;
		type = ft_be16(p + 2);
	}
	ofs += 2;
	if (type < FT_ETH_TYPE_MIN) {
		type = FT_ETH_TYPE_NONE;
		p = ft_bytes(skb, ofs, FT_LLC_SNAP_LEN, buf);
		if (p && p[0] == 0xaa && p[1] == 0xaa && p[2] == 0x03 &&
		    !p[3] && !p[4] && !p[5] && ft_be16(p + 6) >= FT_ETH_TYPE_MIN) {
			type = ft_be16(p + 6);
			ofs += FT_LLC_SNAP_LEN;
		}
	}
	key->dl_type = type;
	return ofs;
}

static void ft_parse_arp(const struct sk_buff *skb, unsigned int ofs,
			 struct ft_flow *key)
{
	u8 buf[FT_ARP_ETH_IPV4_LEN];
	const u8 *p = ft_bytes(skb, ofs, sizeof(buf), buf);
	u16 op;

	if (!p || ft_be16(p) != 1 || ft_be16(p + 2) != FT_ETH_TYPE_IP ||
	    p[4] != ETH_ALEN || p[5] != 4)
		return;
	op = ft_be16(p + 6);
	key->nw_proto = op <= 0xff ? op : 0;
	memcpy(key->arp_sha.ea, p + 8, ETH_ALEN);
	key->nw_src = ft_be32(p + 14);
	memcpy(key->arp_tha.ea, p + 18, ETH_ALEN);
	key->nw_dst = ft_be32(p + 24);
}

/* Source and target link-layer options of a neighbor solicitation or
 * advertisement in the 'len' bytes at 'ofs'. */
static void ft_parse_nd_options(const struct sk_buff *skb, unsigned int ofs,
				unsigned int len, struct ft_flow *key)
{
	struct ft_eth_addr sll = { { 0 } }, tll = { { 0 } };
	bool have_sll = false, have_tll = false;
	u8 buf[8];

	while (len >= 8) {
		const u8 *p = ft_bytes(skb, ofs, 8, buf);
		unsigned int opt_len;

		if (!p)
			return;
		opt_len = p[1] * 8;
		if (!opt_len || opt_len > len)
			break;
		if (opt_len == 8 && (p[0] == FT_ND_OPT_SLL ||
				     p[0] == FT_ND_OPT_TLL)) {
			bool *have = p[0] == FT_ND_OPT_SLL ? &have_sll : &have_tll;
			struct ft_eth_addr *ea = p[0] == FT_ND_OPT_SLL ? &sll : &tll;

			if (*have)
				return;
			*have = true;
			memcpy(ea->ea, p + 2, ETH_ALEN);
		}
		ofs += opt_len;
		len -= opt_len;
	}
	key->arp_sha = sll;
	key->arp_tha = tll;
}

/* The L4 header of 'proto' in the 'len' bytes at 'ofs'. */
static void ft_parse_l4(const struct sk_buff *skb, unsigned int ofs,
			unsigned int len, u8 proto, struct ft_flow *key)
{
	u8 buf[20];
	const u8 *p;

	switch (proto) {
	case FT_IPPROTO_TCP: {
		u16 ctl;

		if (len < 20)
			return;
		p = ft_bytes(skb, ofs, 20, buf);
		if (!p)
			return;
		ctl = ft_be16(p + 12);
		if ((ctl >> 12) * 4 < 20 || (ctl >> 12) * 4 > len)
			return;
		key->tp_src = ft_be16(p);
		key->tp_dst = ft_be16(p + 2);
		key->tcp_flags = ctl & FT_TCP_FLAGS_MASK;
		break;
	}
	case FT_IPPROTO_UDP:
	case FT_IPPROTO_SCTP:
		if (len < (proto == FT_IPPROTO_UDP ? 8 : 12))
			return;
		p = ft_bytes(skb, ofs, 4, buf);
		if (!p)
			return;
		key->tp_src = ft_be16(p);
		key->tp_dst = ft_be16(p + 2);
		break;
	case FT_IPPROTO_ICMP:
	case FT_IPPROTO_ICMPV6:
		if (len < 8)
			return;
		p = ft_bytes(skb, ofs, 2, buf);
		if (!p)
			return;
		key->tp_src = p[0];
		key->tp_dst = p[1];
		if (proto == FT_IPPROTO_ICMPV6 && p[1] == 0 &&
		    (p[0] == FT_ND_NEIGHBOR_SOLICIT ||
		     p[0] == FT_ND_NEIGHBOR_ADVERT) &&
		    len >= 8 + FT_ND_TARGET_LEN)
			ft_parse_nd_options(skb, ofs + 8 + FT_ND_TARGET_LEN,
					    len - 8 - FT_ND_TARGET_LEN, key);
		break;
	default:
		break;
	}
}

static void ft_parse_ipv4(const struct sk_buff *skb, unsigned int ofs,
			  struct ft_flow *key)
{
	unsigned int len = skb->len - ofs, hdr_len, tot_len;
	u8 buf[20];
	const u8 *p = ft_bytes(skb, ofs, 20, buf);
	u16 frag_off;

	if (!p || p[0] >> 4 != 4)
		return;
	hdr_len = (p[0] & 0x0f) * 4;
	tot_len = ft_be16(p + 2);
	if (hdr_len < 20 || tot_len < hdr_len || tot_len > len)
		return;
	frag_off = ft_be16(p + 6);
	key->nw_tos = p[1];
	key->nw_ttl = p[8];
	key->nw_proto = p[9];
	key->nw_src = ft_be32(p + 12);
	key->nw_dst = ft_be32(p + 16);
	if (frag_off & 0x3fff) {
		key->nw_frag = FT_FRAG_ANY;
		if (frag_off & 0x1fff) {
			key->nw_frag |= FT_FRAG_LATER;
			return;
		}
	}
	ft_parse_l4(skb, ofs + hdr_len, tot_len - hdr_len, key->nw_proto, key);
}

/* Walks the extension headers of the 'len'-byte IPv6 payload at 'base'
 * as swpath/flow-extract.c does.  Returns false if the chain is cut. */
static bool ft_parse_ipv6_ext(const struct sk_buff *skb, unsigned int base,
			      unsigned int len, u8 *proto, u8 *frag,
			      unsigned int *ofs)
{
	unsigned int pos = 0, hlen;
	u8 nxt = *proto, buf[8];
	const u8 *p;

	*frag = 0;
	for (;;) {
		switch (nxt) {
		case 0: case 43: case 60: case 51:
			if (len - pos < 8)
				return false;
			p = ft_bytes(skb, base + pos, 8, buf);
			if (!p)
				return false;
			hlen = nxt == 51 ? (p[1] + 2) * 4 : (p[1] + 1) * 8;
			break;
		case 44: {
			u16 offlg;

			if (len - pos < 8)
				return false;
			p = ft_bytes(skb, base + pos, 8, buf);
			if (!p)
				return false;
			offlg = ft_be16(p + 2);
			if (offlg & (FT_IPV6_FRAG_OFFSET_MASK | FT_IPV6_FRAG_M)) {
				*frag = FT_FRAG_ANY;
				if (offlg & FT_IPV6_FRAG_OFFSET_MASK) {
					*frag |= FT_FRAG_LATER;
					*proto = 44;
					*ofs = pos + 8;
					return true;
				}
			}
			hlen = 8;
			break;
		}
		default:
			*proto = nxt;
			*ofs = pos;
			return true;
		}
		if (hlen > len - pos)
			return false;
		nxt = p[0];
		pos += hlen;
	}
}

static void ft_parse_ipv6(const struct sk_buff *skb, unsigned int ofs,
			  struct ft_flow *key)
{
	unsigned int len = skb->len - ofs, plen, l4;
	u8 buf[40], proto, frag;
	const u8 *p = ft_bytes(skb, ofs, 40, buf);
	u32 vtcfl;

	if (!p || p[0] >> 4 != 6)
		return;
	plen = ft_be16(p + 4);
	if (plen > len - 40)
		return;
	proto = p[6];
	if (!ft_parse_ipv6_ext(skb, ofs + 40, plen, &proto, &frag, &l4))
		return;
	vtcfl = ft_be32(p);
	key->nw_tos = vtcfl >> 20;
	key->ipv6_label = vtcfl & 0x000fffff;
	key->nw_ttl = p[7];
	key->nw_proto = proto;
	key->nw_frag = frag;
	memcpy(key->ipv6_src.s6, p + 8, 16);
	memcpy(key->ipv6_dst.s6, p + 24, 16);
	if (!(frag & FT_FRAG_LATER))
		ft_parse_l4(skb, ofs + 40 + l4, plen - l4, proto, key);
}

int ft_flow_key_extract(struct sk_buff *skb, u32 in_port,
			struct ft_flow *key)
{
	u8 buf[2 * ETH_ALEN];
	const u8 *eth;
	unsigned int l3;

	memset(key, 0, sizeof(*key));
	key->in_port = in_port;
	eth = ft_bytes(skb, 0, 2 * ETH_ALEN, buf);
	if (!eth || skb->len < ETH_HLEN)
		return -EINVAL;
	memcpy(key->dl_dst.ea, eth, ETH_ALEN);
	memcpy(key->dl_src.ea, eth + ETH_ALEN, ETH_ALEN);
	l3 = ft_parse_l2(skb, key);
	switch (key->dl_type) {
	case FT_ETH_TYPE_IP:
		ft_parse_ipv4(skb, l3, key);
		break;
	case FT_ETH_TYPE_IPV6:
		ft_parse_ipv6(skb, l3, key);
		break;
	case FT_ETH_TYPE_ARP:
	case ETH_P_RARP:
		ft_parse_arp(skb, l3, key);
		break;
	default:
		break;
	}
	return 0;
}

void ft_flow_key_tunnel(const struct ip_tunnel_info *info,
			struct ft_flow *key)
{
	const struct ip_tunnel_key *t = &info->key;

	key->tun_id = be64_to_cpu(t->tun_id);
	key->tun_src = ntohl(t->u.ipv4.src);
	key->tun_dst = ntohl(t->u.ipv4.dst);
	key->tun_tos = t->tos;
	key->tun_ttl = t->ttl;
	key->tun_flags = ((t->tun_flags & TUNNEL_KEY) ? FT_TNL_F_KEY : 0) |
			 ((t->tun_flags & TUNNEL_CSUM) ? FT_TNL_F_CSUM : 0) |
			 ((t->tun_flags & TUNNEL_DONT_FRAGMENT) ?
			  FT_TNL_F_DONT_FRAGMENT : 0);
}
