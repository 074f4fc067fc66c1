// SPDX-License-Identifier: GPL-2.0
/*
 * actions.c - runs a megaflow's actions on an skb in the fast path:
 * output (a clone per output but the last), push and pop VLAN, masked
 * sets of Ethernet, IPv4, IPv6 and TCP/UDP fields with their checksums
 * fixed up (IPv4 header, and the TCP/UDP/ICMPv6 pseudo-header sums,
 * CHECKSUM_PARTIAL included), set tunnel (the TX tunnel metadata a
 * following output to a VXLAN port encapsulates with, attached to the skb
 * as its dst), and userspace (an upcall).  An action whose
 * header is missing is skipped and counted.  Runs under RCU with BHs off;
 * allocates only the clones an output needs.
 */
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "datapath.h"

/* Where the headers after the in-payload VLAN tags are. */
struct ft_hdrs {
	unsigned int l3;
	u16 eth_type;
};

static void ft_find_l3(const struct sk_buff *skb, struct ft_hdrs *h)
{
	unsigned int ofs = 2 * ETH_ALEN;
	__be16 type, buf;
	const __be16 *p;

	for (;;) {
		p = skb_header_pointer(skb, ofs, 2, &buf);
		type = p ? *p : 0;
		if (!eth_type_vlan(type))
			break;
		ofs += VLAN_HLEN;
	}
	h->eth_type = ntohs(type);
	h->l3 = ofs + 2;
}

static inline u32 ft_masked32(u32 old, u32 key, u32 mask)
{
	return (old & ~mask) | (key & mask);
}

static int ft_set_eth(struct sk_buff *skb, const struct ft_kdp_set_eth *a)
{
	struct ethhdr *eth;
	int i, err;

	err = skb_ensure_writable(skb, ETH_HLEN);
	if (err)
		return err;
	eth = (struct ethhdr *)skb->data;
	for (i = 0; i < ETH_ALEN; i++) {
		eth->h_source[i] = (eth->h_source[i] & ~a->src_mask[i]) |
				   (a->src[i] & a->src_mask[i]);
		eth->h_dest[i] = (eth->h_dest[i] & ~a->dst_mask[i]) |
				 (a->dst[i] & a->dst_mask[i]);
	}
	return 0;
}

/* Makes the L4 checksum field at 'l4' + 'check_ofs' writable and returns
 * it, or NULL (not there, or a UDP datagram without a checksum). */
static __sum16 *ft_l4_check(struct sk_buff *skb, unsigned int l4, u8 proto)
{
	unsigned int ofs;
	__sum16 *check;

	if (proto == IPPROTO_TCP)
		ofs = offsetof(struct tcphdr, check);
	else if (proto == IPPROTO_UDP)
		ofs = offsetof(struct udphdr, check);
	else if (proto == IPPROTO_ICMPV6)
		ofs = 2;
	else
		return NULL;
	if (skb->len < l4 + ofs + 2 || skb_ensure_writable(skb, l4 + ofs + 2))
		return NULL;
	check = (__sum16 *)(skb->data + l4 + ofs);
	if (proto == IPPROTO_UDP && !*check &&
	    skb->ip_summed != CHECKSUM_PARTIAL)
		return NULL;
	return check;
}

static void ft_udp_fix_zero(__sum16 *check, u8 proto)
{
	if (proto == IPPROTO_UDP && !*check)
		*check = CSUM_MANGLED_0;
}

static int ft_set_ipv4_addr(struct sk_buff *skb, struct iphdr *nh,
			    __be32 *addr, __be32 new, unsigned int l4,
			    bool l4_there)
{
	__sum16 *check = l4_there ? ft_l4_check(skb, l4, nh->protocol)
				  : NULL;

	if (check) {
		inet_proto_csum_replace4(check, skb, *addr, new, true);
		ft_udp_fix_zero(check, nh->protocol);
	}
	csum_replace4(&nh->check, *addr, new);
	*addr = new;
	return 0;
}

static int ft_set_ipv4(struct sk_buff *skb, const struct ft_kdp_set_ipv4 *a)
{
	struct ft_hdrs h;
	struct iphdr *nh;
	unsigned int l4;
	bool l4_there;
	__be32 v;
	int err;

	ft_find_l3(skb, &h);
	if (h.eth_type != ETH_P_IP)
		return -EINVAL;
	err = skb_ensure_writable(skb, h.l3 + sizeof(*nh));
	if (err)
		return err;
	nh = (struct iphdr *)(skb->data + h.l3);
	l4 = h.l3 + nh->ihl * 4;
	l4_there = !(nh->frag_off & htons(IP_OFFSET));
	v = htonl(ft_masked32(ntohl(nh->saddr), a->src, a->src_mask));
	if (v != nh->saddr)
		ft_set_ipv4_addr(skb, nh, &nh->saddr, v, l4, l4_there);
	nh = (struct iphdr *)(skb->data + h.l3);   /* May have moved. */
	v = htonl(ft_masked32(ntohl(nh->daddr), a->dst, a->dst_mask));
	if (v != nh->daddr)
		ft_set_ipv4_addr(skb, nh, &nh->daddr, v, l4, l4_there);
	nh = (struct iphdr *)(skb->data + h.l3);
	if (a->tos_mask) {
		u8 tos = (nh->tos & ~a->tos_mask) | (a->tos & a->tos_mask);

		csum_replace2(&nh->check, htons(nh->tos), htons(tos));
		nh->tos = tos;
	}
	if (a->ttl_mask) {
		u8 ttl = (nh->ttl & ~a->ttl_mask) | (a->ttl & a->ttl_mask);

		csum_replace2(&nh->check, htons(nh->ttl << 8), htons(ttl << 8));
		nh->ttl = ttl;
	}
	return 0;
}

static void ft_set_ipv6_addr(struct sk_buff *skb, __be32 addr[4],
			     const u8 *key, const u8 *mask, int l4, u8 proto)
{
	__be32 new[4];
	__sum16 *check;
	u8 *o = (u8 *)new;
	int i;

	memcpy(new, addr, 16);
	for (i = 0; i < 16; i++)
		o[i] = (o[i] & ~mask[i]) | (key[i] & mask[i]);
	if (!memcmp(new, addr, 16))
		return;
	check = l4 >= 0 ? ft_l4_check(skb, l4, proto) : NULL;
	if (check) {
		inet_proto_csum_replace16(check, skb, addr, new, true);
		ft_udp_fix_zero(check, proto);
	}
	memcpy(addr, new, 16);
}

static int ft_set_ipv6(struct sk_buff *skb, const struct ft_kdp_set_ipv6 *a)
{
	struct ipv6hdr *nh;
	struct ft_hdrs h;
	__be16 frag_off;
	u8 proto;
	int l4;
	u32 w;

	ft_find_l3(skb, &h);
	if (h.eth_type != ETH_P_IPV6 ||
	    skb_ensure_writable(skb, h.l3 + sizeof(*nh)))
		return -EINVAL;
	nh = (struct ipv6hdr *)(skb->data + h.l3);
	proto = nh->nexthdr;
	l4 = ipv6_skip_exthdr(skb, h.l3 + sizeof(*nh), &proto, &frag_off);
	if (l4 >= 0 && (frag_off & htons(~0x7)))
		l4 = -1;                /* A later fragment: no L4 header. */
	ft_set_ipv6_addr(skb, nh->saddr.s6_addr32, a->src, a->src_mask, l4,
			 proto);
	nh = (struct ipv6hdr *)(skb->data + h.l3);
	ft_set_ipv6_addr(skb, nh->daddr.s6_addr32, a->dst, a->dst_mask, l4,
			 proto);
	nh = (struct ipv6hdr *)(skb->data + h.l3);
	w = ntohl(*(__be32 *)nh);
	w = ft_masked32(w, a->label, a->label_mask & 0x000fffff);
	w = ft_masked32(w, (u32)a->tclass << 20, (u32)a->tclass_mask << 20);
	*(__be32 *)nh = htonl(w);
	nh->hop_limit = (nh->hop_limit & ~a->hlimit_mask) |
			(a->hlimit & a->hlimit_mask);
	return 0;
}

static int ft_set_l4(struct sk_buff *skb, const struct ft_kdp_set_l4 *a)
{
	__be16 *ports, new;
	struct ft_hdrs h;
	__sum16 *check;
	__be16 frag_off;
	u8 proto;
	int l4, i;

	ft_find_l3(skb, &h);
	if (h.eth_type == ETH_P_IP) {
		struct iphdr _nh;
		const struct iphdr *nh = skb_header_pointer(skb, h.l3,
							    sizeof(_nh), &_nh);

		if (!nh || nh->frag_off & htons(IP_OFFSET))
			return -EINVAL;
		proto = nh->protocol;
		l4 = h.l3 + nh->ihl * 4;
	} else if (h.eth_type == ETH_P_IPV6) {
		u8 nexthdr;

		if (!skb_header_pointer(skb, h.l3 + 6, 1, &nexthdr))
			return -EINVAL;
		proto = nexthdr;
		l4 = ipv6_skip_exthdr(skb, h.l3 + sizeof(struct ipv6hdr),
				      &proto, &frag_off);
		if (l4 < 0 || (frag_off & htons(~0x7)))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (proto != a->proto || skb_ensure_writable(skb, l4 + 4))
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		u16 key = i ? a->dst : a->src, mask = i ? a->dst_mask : a->src_mask;

		ports = (__be16 *)(skb->data + l4);
		new = htons((ntohs(ports[i]) & ~mask) | (key & mask));
		if (new == ports[i])
			continue;
		check = ft_l4_check(skb, l4, proto);
		ports = (__be16 *)(skb->data + l4);
		if (check) {
			inet_proto_csum_replace2(check, skb, ports[i], new,
						 false);
			ft_udp_fix_zero(check, proto);
		}
		ports[i] = new;
	}
	skb_clear_hash(skb);
	return 0;
}

static void ft_output(struct ft_dp *dp, struct sk_buff *skb, u32 port,
		      const struct ft_flow *key)
{
	struct ft_vport *vport;

	if (port == FT_PORT_IN_PORT)
		port = key->in_port;
	vport = ft_vport_lookup(dp, port);
	if (unlikely(!vport)) {
		FT_DP_COUNT(dp, n_tx_no_port);
		kfree_skb(skb);
		return;
	}
	ft_vport_send(vport, skb);
}

static int ft_userspace(struct ft_dp *dp, struct sk_buff *skb,
			const struct ft_flow *key,
			const struct ft_kdp_userspace *u)
{
	FT_DP_COUNT(dp, n_userspace);
	if (ft_upcall(dp, NULL, skb, key, FT_KDP_PACKET_CMD_ACTION, u))
		FT_DP_COUNT(dp, n_userspace_lost);
	return 0;
}

/* Attaches the action's TX tunnel metadata to 'skb' (a reference: the
 * action list keeps its own), replacing the RX metadata of a packet a
 * VXLAN port decapsulated. */
static int ft_set_tunnel(struct sk_buff *skb, const struct ft_ktunnel *t)
{
	skb_dst_drop(skb);
	dst_hold(&t->md->dst);
	skb_dst_set(skb, &t->md->dst);
	return 0;
}

/* Runs one action that is not an output. */
static int ft_action_modify(struct ft_dp *dp, struct sk_buff *skb,
			    const struct ft_flow *key,
			    const struct ft_kaction *a)
{
	switch (a->type) {
	case FT_KDP_ACTION_PUSH_VLAN:
		return skb_vlan_push(skb, htons(a->vlan.tpid),
				     a->vlan.tci & ~FT_VLAN_CFI);
	case FT_KDP_ACTION_POP_VLAN:
		if (!skb_vlan_tag_present(skb) && !eth_type_vlan(skb->protocol))
			return -EINVAL;
		return skb_vlan_pop(skb);
	case FT_KDP_ACTION_SET_ETH:
		return ft_set_eth(skb, &a->eth);
	case FT_KDP_ACTION_SET_IPV4:
		return ft_set_ipv4(skb, &a->ipv4);
	case FT_KDP_ACTION_SET_IPV6:
		return ft_set_ipv6(skb, &a->ipv6);
	case FT_KDP_ACTION_SET_L4:
		return ft_set_l4(skb, &a->l4);
	case FT_KDP_ACTION_SET_TUNNEL:
		return ft_set_tunnel(skb, &a->tunnel);
	case FT_KDP_ACTION_USERSPACE:
		return ft_userspace(dp, skb, key, &a->userspace);
	default:
		return -EINVAL;
	}
}

void ft_actions_execute(struct ft_dp *dp, struct sk_buff *skb,
			const struct ft_flow *key,
			const struct ft_kactions *acts)
{
	u32 i;

	for (i = 0; i < acts->n; i++) {
		const struct ft_kaction *a = &acts->acts[i];

		if (a->type == FT_KDP_ACTION_OUTPUT) {
			struct sk_buff *out;

			if (i == acts->n - 1) {
				ft_output(dp, skb, a->port, key);
				return;
			}
			out = skb_clone(skb, GFP_ATOMIC);
			if (out)
				ft_output(dp, out, a->port, key);
			continue;
		}
		if (ft_action_modify(dp, skb, key, a))
			FT_DP_COUNT(dp, n_exec_skipped);
	}
	consume_skb(skb);
}
