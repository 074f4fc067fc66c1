// SPDX-License-Identifier: GPL-2.0
/*
 * The e-switch of the SmartNIC model (a model for tests; see ftnic.h): the
 * datapath between the VFs, the representors and the physical port.
 *
 * A packet enters at a port (a VF transmits it, or the wire delivers it to
 * the uplink), is parsed into a struct ftnic_key and matched against that
 * port's offloaded rules in priority order (one hash lookup per mask of
 * the port's rules: "Lookup" in ftnic.h).  A hit counts the packet on
 * the rule and runs its actions; a miss, or a rule whose actions end
 * without sending the packet anywhere, delivers it on the port's
 * representor: the slow path.  A packet leaves at a port by being received
 * on the VF netdev or on the wire (or, with pair=1, entering the peer
 * NIC's e-switch at its uplink).
 *
 * A packet from the wire first meets the NIC's VXLAN decap rules (rules.c,
 * tunnel.c): on a hit the outer headers go and the rule runs on the inner
 * packet.
 *
 * Runs in the transmit path of the netdevs (BH disabled, under RCU).  No
 * allocation per packet except a clone for a mirror action.
 */
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/vxlan.h>
#include <linux/jhash.h>
#include <asm/unaligned.h>
#include "ftnic.h"

/* How deep packets may go from e-switch to e-switch through the cable of
 * pair=1 within one transmit, before the model drops them (a loop between
 * two NICs' rules would otherwise recurse without end). */
#define FTNIC_MAX_DEPTH 4
static DEFINE_PER_CPU(int, ftnic_depth);

/*
 * Parses the packet at skb->data (its Ethernet header) into 'key'; sets
 * '*l3_off' to the offset of the network header and '*l4_off' to that of
 * an IPv4 packet's transport header, or -1 (not IPv4, or a fragment other
 * than the first).  Returns 0, or -EINVAL when the Ethernet header is
 * truncated.  May reallocate the header (pskb_may_pull).
 */
int ftnic_key_parse(struct sk_buff *skb, struct ftnic_key *key,
		    int *l3_off, int *l4_off)
{
	const struct ethhdr *eth;
	const struct iphdr *iph;
	__be16 proto;
	int off, ihl;

	memset(key, 0, sizeof(*key));
	*l3_off = -1;
	*l4_off = -1;
	if (!pskb_may_pull(skb, ETH_HLEN))
		return -EINVAL;
	eth = (const struct ethhdr *)skb->data;
	ether_addr_copy(key->dst, eth->h_dest);
	ether_addr_copy(key->src, eth->h_source);
	proto = eth->h_proto;
	off = ETH_HLEN;
	if (eth_type_vlan(proto) && pskb_may_pull(skb, off + VLAN_HLEN)) {
		const struct vlan_hdr *vh = (const void *)(skb->data + off);
		u16 tci = ntohs(vh->h_vlan_TCI);

		key->vlan_tpid = proto;
		key->vlan_id = tci & VLAN_VID_MASK;
		key->vlan_prio = (tci & VLAN_PRIO_MASK) >> VLAN_PRIO_SHIFT;
		proto = vh->h_vlan_encapsulated_proto;
		off += VLAN_HLEN;
	}
	key->n_proto = proto;
	*l3_off = off;
	if (proto != htons(ETH_P_IP) || !pskb_may_pull(skb, off + sizeof(*iph)))
		return 0;
	iph = (const void *)(skb->data + off);
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph) || !pskb_may_pull(skb, off + ihl))
		return 0;
	iph = (const void *)(skb->data + off);
	key->ip_proto = iph->protocol;
	key->ip_tos = iph->tos;
	key->ip_ttl = iph->ttl;
	key->ipv4_src = iph->saddr;
	key->ipv4_dst = iph->daddr;
	if (iph->frag_off & htons(IP_MF | IP_OFFSET)) {
		key->ip_flags |= FLOW_DIS_IS_FRAGMENT;
		if (!(iph->frag_off & htons(IP_OFFSET)))
			key->ip_flags |= FLOW_DIS_FIRST_FRAG;
	}
	if (iph->frag_off & htons(IP_OFFSET))
		return 0;
	off += ihl;
	*l4_off = off;
	switch (key->ip_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (pskb_may_pull(skb, off + 4)) {
			key->tp_src = *(const __be16 *)(skb->data + off);
			key->tp_dst = *(const __be16 *)(skb->data + off + 2);
		}
		break;
	case IPPROTO_ICMP:
		if (pskb_may_pull(skb, off + 2)) {
			key->icmp_type = skb->data[off];
			key->icmp_code = skb->data[off + 1];
		}
		break;
	}
	return 0;
}

static bool ftnic_rule_matches(const struct ftnic_rule *rule,
			       const struct ftnic_key *key)
{
	const u8 *k = (const u8 *)key;
	const u8 *rk = (const u8 *)&rule->key;
	const u8 *rm = (const u8 *)&rule->mask;
	size_t i;

	for (i = 0; i < sizeof(*key); i++)
		if ((k[i] ^ rk[i]) & rm[i])
			return false;
	return true;
}

/* The hash of 'key' under mask group 'm' (the key's bits outside the mask
 * do not count), in nic->rules_by_key. */
u32 ftnic_key_hash_masked(const struct ftnic_key *key,
			  const struct ftnic_mask *m)
{
	const u8 *k = (const u8 *)key;
	const u8 *mk = (const u8 *)&m->mask;
	u8 masked[sizeof(*key)];
	size_t i;

	for (i = 0; i < sizeof(*key); i++)
		masked[i] = k[i] & mk[i];
	return jhash(masked, sizeof(masked), (u32)(unsigned long)m);
}

/* The first of 'port's rules in priority order (lowest priority value,
 * then the oldest) that 'key' matches, or NULL: one lookup per mask of
 * the port's rules.  Under RCU. */
static struct ftnic_rule *ftnic_rule_lookup(struct ftnic_port *port,
					    const struct ftnic_key *key)
{
	struct ftnic_rule *rule, *best = NULL;
	struct ftnic_mask *m;

	list_for_each_entry_rcu(m, &port->masks, node) {
		u32 hash = ftnic_key_hash_masked(key, m);

		hlist_for_each_entry_rcu(rule,
					 ftnic_key_bucket(port->nic, hash),
					 by_key)
			if (rule->mask_group == m &&
			    ftnic_rule_matches(rule, key) &&
			    (!best || rule->prio < best->prio ||
			     (rule->prio == best->prio &&
			      rule->seq < best->seq)))
				best = rule;
	}
	return best;
}

/* Delivers 'skb' on the representor of 'port' (dropped when its VF was
 * removed).  Takes ownership of 'skb'. */
static void ftnic_to_host(struct ftnic_port *port, struct sk_buff *skb)
{
	struct net_device *rep = READ_ONCE(port->rep);

	if (rep)
		ftnic_netdev_rx(rep, skb);
	else
		kfree_skb(skb);
}

/*
 * Sends 'skb' out of the e-switch at 'port': VF 'port->vf' receives it
 * (nobody, when that VF was removed: a rule to it may outlive it), or for
 * the uplink, the wire (or the peer NIC).  Takes ownership of 'skb'.
 */
void ftnic_eswitch_egress(struct ftnic_port *port, struct sk_buff *skb)
{
	struct ftnic *nic = port->nic;
	struct net_device *vf_dev;

	if (READ_ONCE(nic->dying)) {
		kfree_skb(skb);
		return;
	}
	vf_dev = READ_ONCE(port->vf_dev);
	if (vf_dev)
		ftnic_netdev_rx(vf_dev, skb);
	else if (port->vf >= 0)
		kfree_skb(skb);
	else if (nic->wire)
		ftnic_netdev_rx(nic->wire, skb);
	else if (nic->peer)
		ftnic_eswitch_ingress(&nic->peer->uplink, skb);
	else
		kfree_skb(skb);
}

/* Inserts an 802.1Q/802.1ad tag after the MAC addresses. */
static int ftnic_vlan_push(struct sk_buff *skb, __be16 tpid, u16 tci)
{
	struct vlan_ethhdr *veth;
	int err;

	err = skb_cow_head(skb, VLAN_HLEN);
	if (err)
		return err;
	skb_push(skb, VLAN_HLEN);
	memmove(skb->data, skb->data + VLAN_HLEN, 2 * ETH_ALEN);
	veth = (struct vlan_ethhdr *)skb->data;
	veth->h_vlan_proto = tpid;
	veth->h_vlan_TCI = htons(tci);
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = csum_add(skb->csum,
				     csum_partial(skb->data + 2 * ETH_ALEN,
						  VLAN_HLEN, 0));
	skb_reset_mac_header(skb);
	return 0;
}

/* Removes the outer tag, if there is one. */
static int ftnic_vlan_pop(struct sk_buff *skb)
{
	int err;

	if (!eth_type_vlan(((struct ethhdr *)skb->data)->h_proto))
		return 0;
	err = skb_ensure_writable(skb, VLAN_ETH_HLEN);
	if (err)
		return err;
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = csum_sub(skb->csum,
				     csum_partial(skb->data + 2 * ETH_ALEN,
						  VLAN_HLEN, 0));
	memmove(skb->data + VLAN_HLEN, skb->data, 2 * ETH_ALEN);
	skb_pull(skb, VLAN_HLEN);
	skb_reset_mac_header(skb);
	return 0;
}

/* Rewrites the outer tag's VLAN id and priority, if there is a tag. */
static int ftnic_vlan_modify(struct sk_buff *skb, u16 vid, u8 prio)
{
	struct vlan_ethhdr *veth;
	int err;

	if (!eth_type_vlan(((struct ethhdr *)skb->data)->h_proto))
		return 0;
	err = skb_ensure_writable(skb, VLAN_ETH_HLEN);
	if (err)
		return err;
	veth = (struct vlan_ethhdr *)skb->data;
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = csum_sub(skb->csum,
				     csum_partial(&veth->h_vlan_TCI, 2, 0));
	veth->h_vlan_TCI = htons((prio << VLAN_PRIO_SHIFT) | vid |
				 (ntohs(veth->h_vlan_TCI) & VLAN_CFI_MASK));
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = csum_add(skb->csum,
				     csum_partial(&veth->h_vlan_TCI, 2, 0));
	return 0;
}

/* Where the transport checksum of the parsed packet is, or -1. */
static int ftnic_l4_csum_off(const struct ftnic_key *key, int l4_off)
{
	if (l4_off < 0)
		return -1;
	if (key->ip_proto == IPPROTO_TCP)
		return l4_off + offsetof(struct tcphdr, check);
	if (key->ip_proto == IPPROTO_UDP)
		return l4_off + offsetof(struct udphdr, check);
	return -1;
}

/* Folds the change of one 32-bit word from 'from' to 'to' into the
 * transport checksum ('pseudo': the word is in the pseudo-header). */
static int ftnic_l4_csum_fix(struct sk_buff *skb, const struct ftnic_key *key,
			     int l4_off, __be32 from, __be32 to, bool pseudo)
{
	int off = ftnic_l4_csum_off(key, l4_off);
	__sum16 *check;
	int err;

	if (off < 0)
		return 0;
	err = skb_ensure_writable(skb, off + sizeof(*check));
	if (err)
		return err;
	check = (__sum16 *)(skb->data + off);
	if (key->ip_proto == IPPROTO_UDP) {
		if (!*check && skb->ip_summed != CHECKSUM_PARTIAL)
			return 0;	/* no UDP checksum: keep none */
		inet_proto_csum_replace4(check, skb, from, to, pseudo);
		if (!*check)
			*check = CSUM_MANGLED_0;
		return 0;
	}
	inet_proto_csum_replace4(check, skb, from, to, pseudo);
	return 0;
}

/*
 * Runs one pedit word on the packet, then fixes the checksums it touches:
 * the IPv4 header's, and the TCP or UDP one for addresses and ports.
 * rules.c accepted only Ethernet addresses, IPv4 tos, ttl and addresses,
 * and TCP/UDP ports.
 */
static int ftnic_pedit(struct sk_buff *skb, const struct ftnic_action *a,
		       const struct ftnic_key *key, int l3_off, int l4_off)
{
	int base, off, err;
	__be32 from, to;
	void *p;

	switch (a->pedit.htype) {
	case FLOW_ACT_MANGLE_HDR_TYPE_ETH:
		base = 0;
		break;
	case FLOW_ACT_MANGLE_HDR_TYPE_IP4:
		if (key->n_proto != htons(ETH_P_IP))
			return 0;
		base = l3_off;
		break;
	case FLOW_ACT_MANGLE_HDR_TYPE_TCP:
	case FLOW_ACT_MANGLE_HDR_TYPE_UDP:
		if (l4_off < 0)
			return 0;
		base = l4_off;
		break;
	default:
		return 0;
	}
	off = base + a->pedit.offset;
	err = skb_ensure_writable(skb, off + sizeof(u32));
	if (err)
		return err;
	p = skb->data + off;
	from = (__force __be32)get_unaligned((u32 *)p);
	to = (__force __be32)(((__force u32)from & a->pedit.mask) ^ a->pedit.val);
	put_unaligned((__force u32)to, (u32 *)p);
	if (from == to)
		return 0;

	switch (a->pedit.htype) {
	case FLOW_ACT_MANGLE_HDR_TYPE_IP4: {
		struct iphdr *iph = (struct iphdr *)(skb->data + l3_off);

		csum_replace4(&iph->check, from, to);
		if (a->pedit.offset == offsetof(struct iphdr, saddr) ||
		    a->pedit.offset == offsetof(struct iphdr, daddr))
			return ftnic_l4_csum_fix(skb, key, l4_off, from, to, true);
		return 0;
	}
	case FLOW_ACT_MANGLE_HDR_TYPE_TCP:
	case FLOW_ACT_MANGLE_HDR_TYPE_UDP:
		return ftnic_l4_csum_fix(skb, key, l4_off, from, to, false);
	default:
		return 0;
	}
}

static void ftnic_rule_count(struct ftnic_rule *rule, unsigned int len)
{
	spin_lock(&rule->lock);
	rule->packets++;
	rule->bytes += len;
	rule->lastused = jiffies;
	spin_unlock(&rule->lock);
}

/*
 * Runs 'rule''s actions on 'skb', which entered at 'port' and parsed into
 * 'key'.  Takes ownership of 'skb'.
 */
static void ftnic_rule_run(const struct ftnic_rule *rule, struct ftnic_port *port,
			   struct sk_buff *skb, struct ftnic_key *key,
			   int l3_off, int l4_off)
{
	const struct ftnic_action *a;
	struct sk_buff *copy;
	int i, err = 0;

	for (i = 0; i < rule->n_actions && !err; i++) {
		a = &rule->actions[i];
		switch (a->kind) {
		case FTNIC_ACT_OUTPUT:
			ftnic_eswitch_egress(a->port, skb);
			return;
		case FTNIC_ACT_TO_HOST:
			ftnic_to_host(a->port, skb);
			return;
		case FTNIC_ACT_DROP:
			kfree_skb(skb);
			return;
		case FTNIC_ACT_MIRROR:
			copy = skb_clone(skb, GFP_ATOMIC);
			if (copy)
				ftnic_eswitch_egress(a->port, copy);
			break;
		case FTNIC_ACT_VLAN_PUSH:
			err = ftnic_vlan_push(skb, a->vlan.proto,
					      a->vlan.vid | (a->vlan.prio << VLAN_PRIO_SHIFT));
			if (!err)
				err = ftnic_key_parse(skb, key, &l3_off, &l4_off);
			break;
		case FTNIC_ACT_VLAN_POP:
			err = ftnic_vlan_pop(skb);
			if (!err)
				err = ftnic_key_parse(skb, key, &l3_off, &l4_off);
			break;
		case FTNIC_ACT_VLAN_MODIFY:
			err = ftnic_vlan_modify(skb, a->vlan.vid, a->vlan.prio);
			break;
		case FTNIC_ACT_PEDIT:
			err = ftnic_pedit(skb, a, key, l3_off, l4_off);
			break;
		case FTNIC_ACT_VXLAN_ENCAP:
			err = ftnic_tunnel_encap(skb, &a->encap, key);
			break;
		}
	}
	if (err) {
		kfree_skb(skb);
		return;
	}
	/* The actions sent it nowhere: on to the host, as tc would. */
	ftnic_to_host(port, skb);
}

static bool ftnic_enc_matches(const struct ftnic_rule *rule,
			      const struct ftnic_enc_key *enc)
{
	const struct ftnic_enc_key *k = &rule->enc_key, *m = &rule->enc_mask;

	return !((enc->src ^ k->src) & m->src) &&
	       !((enc->dst ^ k->dst) & m->dst) &&
	       !((enc->vni_field ^ k->vni_field) & m->vni_field) &&
	       !((enc->dport ^ k->dport) & m->dport);
}

/*
 * Tries the decap rules of 'uplink''s NIC on a packet from the wire whose
 * outer headers parsed into 'outer' ('l4_off': its UDP header).  When one
 * matches the outer fields and the inner packet, strips the outer
 * headers, runs the rule and returns true (the packet is gone).  Else
 * leaves the packet as it was and returns false.  Under RCU.
 */
static bool ftnic_decap(struct ftnic_port *uplink, struct sk_buff *skb,
			const struct ftnic_key *outer, int l4_off,
			unsigned int len)
{
	struct ftnic *nic = uplink->nic;
	struct ftnic_enc_key enc = {};
	const struct vxlanhdr *vxh;
	struct ftnic_rule *rule;
	struct ftnic_key inner;
	int inner_off, l3, l4;

	if (list_empty(&nic->decap_rules) || outer->ip_proto != IPPROTO_UDP ||
	    l4_off < 0)
		return false;
	inner_off = l4_off + sizeof(struct udphdr) + sizeof(*vxh);
	if (!pskb_may_pull(skb, inner_off + ETH_HLEN))
		return false;
	vxh = (const struct vxlanhdr *)(skb->data + l4_off + sizeof(struct udphdr));
	if (!(vxh->vx_flags & VXLAN_HF_VNI))
		return false;
	enc.src = outer->ipv4_src;
	enc.dst = outer->ipv4_dst;
	enc.dport = outer->tp_dst;
	enc.vni_field = vxh->vx_vni & cpu_to_be32(0xffffff00);

	__skb_pull(skb, inner_off);
	skb_reset_mac_header(skb);
	if (ftnic_key_parse(skb, &inner, &l3, &l4))
		goto restore;
	list_for_each_entry_rcu(rule, &nic->decap_rules, in_port) {
		if (ftnic_enc_matches(rule, &enc) &&
		    ftnic_rule_matches(rule, &inner)) {
			ftnic_rule_count(rule, len);
			if (skb->ip_summed == CHECKSUM_COMPLETE)
				skb->ip_summed = CHECKSUM_NONE;
			ftnic_rule_run(rule, uplink, skb, &inner, l3, l4);
			return true;
		}
	}
restore:
	/* pskb_may_pull() keeps the headroom, outer headers included. */
	__skb_push(skb, inner_off);
	skb_reset_mac_header(skb);
	return false;
}

/*
 * A packet enters the e-switch at 'port' (from its VF, or from the wire
 * for the uplink).  Takes ownership of 'skb', whose data starts at the
 * Ethernet header.
 */
void ftnic_eswitch_ingress(struct ftnic_port *port, struct sk_buff *skb)
{
	struct ftnic_rule *rule;
	struct ftnic_key key;
	int l3_off, l4_off;
	unsigned int len;

	if (READ_ONCE(port->nic->dying))
		goto drop;
	if (__this_cpu_inc_return(ftnic_depth) > FTNIC_MAX_DEPTH)
		goto drop_depth;
	/* The e-switch sees tags in the packet, as on a wire. */
	if (skb_vlan_tag_present(skb)) {
		skb = __vlan_hwaccel_push_inside(skb);
		if (!skb)
			goto out;
	}
	skb_reset_mac_header(skb);
	len = skb->len;
	if (ftnic_key_parse(skb, &key, &l3_off, &l4_off))
		goto drop_depth;

	rcu_read_lock();
	if (port->vf < 0 && ftnic_decap(port, skb, &key, l4_off, len)) {
		rcu_read_unlock();
		goto out;
	}
	rule = ftnic_rule_lookup(port, &key);
	if (rule) {
		ftnic_rule_count(rule, len);
		ftnic_rule_run(rule, port, skb, &key, l3_off, l4_off);
		rcu_read_unlock();
		goto out;
	}
	rcu_read_unlock();
	ftnic_to_host(port, skb);
out:
	__this_cpu_dec(ftnic_depth);
	return;
drop_depth:
	__this_cpu_dec(ftnic_depth);
drop:
	kfree_skb(skb);
}
