// SPDX-License-Identifier: GPL-2.0
/*
 * VXLAN encapsulation in the SmartNIC model (a model for tests; see
 * ftnic.h).
 *
 * A rule "tunnel_key set ... ; mirred egress redirect dev <vxlan>" on a
 * representor becomes, in the model, "wrap the packet in Ethernet, IPv4,
 * UDP and VXLAN headers, then send it out of the uplink".  As a NIC does,
 * the outer headers are resolved when the rule is offloaded: the route to
 * the tunnel destination must leave through this NIC's uplink
 * representor, and its next hop's neighbour must be resolved (its MAC
 * address is written into the rule).  Otherwise the rule is refused,
 * saying which.  The model writes no outer UDP checksum (allowed for
 * IPv4) and picks the UDP source port from the inner flow, as VXLAN does.
 *
 * Decapsulation rules live on a VXLAN device's ingress ("enc_* matches,
 * tunnel_key unset, mirred to a representor").  A VXLAN device has no
 * ndo_setup_tc, so TC offers its blocks to every driver that registered
 * an indirect flow-block callback; the model registers one per module and
 * binds rules.c's decap callback to the ingress block of every VXLAN
 * device.  eswitch.c matches those rules on packets from the wire.
 */
#include <linux/jhash.h>
#include <net/arp.h>
#include <net/ip.h>
#include <net/neighbour.h>
#include <net/route.h>
#include <net/vxlan.h>
#include "ftnic.h"

#define FTNIC_REFUSE_ENCAP(extack, why) ({				\
	NL_SET_ERR_MSG(extack, "ftnic: cannot offload tunnel_key set" why); \
	-EOPNOTSUPP;							\
})

/* Resolves the next hop toward 'e->daddr' out of 'nic''s uplink: fills the
 * outer MAC addresses and, when the rule left it open, the source. */
static int ftnic_encap_resolve(struct ftnic *nic, struct ftnic_encap *e,
			       struct netlink_ext_ack *extack)
{
	struct net_device *uplink = nic->uplink.rep;
	struct flowi4 fl4 = {
		.daddr = e->daddr,
		.saddr = e->saddr,
		.flowi4_tos = RT_TOS(e->tos),
		.flowi4_proto = IPPROTO_UDP,
		.fl4_dport = e->dport,
	};
	struct neighbour *n;
	struct rtable *rt;
	bool valid;

	rt = ip_route_output_key(dev_net(uplink), &fl4);
	if (IS_ERR(rt))
		return FTNIC_REFUSE_ENCAP(extack, ": no route to the tunnel destination");
	if (rt->dst.dev != uplink) {
		ip_rt_put(rt);
		return FTNIC_REFUSE_ENCAP(extack, ": the route to the tunnel destination does not leave through this NIC's uplink");
	}
	n = neigh_lookup(&arp_tbl, &(__be32){ rt_nexthop(rt, fl4.daddr) }, uplink);
	ip_rt_put(rt);
	if (!n)
		return FTNIC_REFUSE_ENCAP(extack, ": the tunnel destination's neighbour is not resolved");
	valid = READ_ONCE(n->nud_state) & NUD_VALID;
	neigh_ha_snapshot(e->dst, n, uplink);
	neigh_release(n);
	if (!valid)
		return FTNIC_REFUSE_ENCAP(extack, ": the tunnel destination's neighbour is not resolved");
	ether_addr_copy(e->src, uplink->dev_addr);
	e->saddr = fl4.saddr;
	return 0;
}

/*
 * Turns a tunnel_key set action ('act') and the action after it ('next',
 * NULL at the end) into 'e'.  Returns 0, or -EOPNOTSUPP with a message in
 * 'extack'.  Process context.
 */
int ftnic_tunnel_parse_encap(struct ftnic_port *port,
			     const struct flow_action_entry *act,
			     const struct flow_action_entry *next,
			     struct ftnic_encap *e,
			     struct netlink_ext_ack *extack)
{
	const struct ip_tunnel_info *info = act->tunnel;
	const struct ip_tunnel_key *key = &info->key;
	u64 vni = be64_to_cpu(key->tun_id);

	if (!next || next->id != FLOW_ACTION_REDIRECT || !next->dev ||
	    !netif_is_vxlan(next->dev))
		return FTNIC_REFUSE_ENCAP(extack, " unless a redirect to a VXLAN device follows");
	if (ip_tunnel_info_af(info) != AF_INET)
		return FTNIC_REFUSE_ENCAP(extack, " over IPv6");
	if (info->options_len)
		return FTNIC_REFUSE_ENCAP(extack, " with tunnel options");
	if (vni > 0xffffff)
		return FTNIC_REFUSE_ENCAP(extack, " with a VNI over 24 bits");

	memset(e, 0, sizeof(*e));
	e->daddr = key->u.ipv4.dst;
	e->saddr = key->u.ipv4.src;
	e->vni_field = cpu_to_be32((u32)vni << 8);
	e->dport = key->tp_dst ? key->tp_dst : htons(IANA_VXLAN_UDP_PORT);
	e->tos = key->tos;
	e->ttl = key->ttl ? key->ttl : 64;
	return ftnic_encap_resolve(port->nic, e, extack);
}

/*
 * Wraps the packet at skb->data (its Ethernet header; 'key' its parsed
 * fields) in the outer headers of 'e'.  Returns 0 or a negative errno (the
 * caller drops the packet).  Transmit path.
 */
int ftnic_tunnel_encap(struct sk_buff *skb, const struct ftnic_encap *e,
		       const struct ftnic_key *key)
{
	unsigned int inner_len;
	struct vxlanhdr *vxh;
	struct udphdr *uh;
	struct iphdr *iph;
	struct ethhdr *eth;
	u32 hash;
	int err;

	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		err = skb_checksum_help(skb);	/* no inner offload here */
		if (err)
			return err;
	}
	err = skb_cow_head(skb, ETH_HLEN + sizeof(*iph) + sizeof(*uh) +
				sizeof(*vxh));
	if (err)
		return err;
	hash = jhash_3words((__force u32)key->ipv4_src, (__force u32)key->ipv4_dst,
			    ((__force u32)key->tp_src << 16) | (__force u32)key->tp_dst,
			    key->ip_proto);
	inner_len = skb->len;

	vxh = skb_push(skb, sizeof(*vxh));
	vxh->vx_flags = VXLAN_HF_VNI;
	vxh->vx_vni = e->vni_field;

	uh = skb_push(skb, sizeof(*uh));
	uh->source = htons(49152 + hash % 16384);
	uh->dest = e->dport;
	uh->len = htons(inner_len + sizeof(*vxh) + sizeof(*uh));
	uh->check = 0;

	iph = skb_push(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = e->tos;
	iph->tot_len = htons(skb->len);
	iph->id = 0;
	iph->frag_off = htons(IP_DF);
	iph->ttl = e->ttl;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = e->saddr;
	iph->daddr = e->daddr;
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);

	eth = skb_push(skb, ETH_HLEN);
	ether_addr_copy(eth->h_dest, e->dst);
	ether_addr_copy(eth->h_source, e->src);
	eth->h_proto = htons(ETH_P_IP);

	skb_reset_mac_header(skb);
	skb->protocol = htons(ETH_P_IP);
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/* The ingress blocks of VXLAN devices the model is bound to (the list
 * flow_block_cb_is_busy() checks; kept by TC under its block lock). */
static LIST_HEAD(ftnic_indr_block_cbs);

static void ftnic_indr_block_release(void *cb_priv)
{
	/* Nothing is allocated per binding. */
}

static int ftnic_indr_bind(struct net_device *dev, struct Qdisc *sch,
			   void *cb_priv, enum tc_setup_type type,
			   void *type_data, void *data,
			   void (*cleanup)(struct flow_block_cb *block_cb))
{
	struct flow_block_offload *f = type_data;
	struct flow_block_cb *block_cb;

	if (type != TC_SETUP_BLOCK || !dev || !netif_is_vxlan(dev) ||
	    f->binder_type != FLOW_BLOCK_BINDER_TYPE_CLSACT_INGRESS)
		return -EOPNOTSUPP;
	f->driver_block_list = &ftnic_indr_block_cbs;

	switch (f->command) {
	case FLOW_BLOCK_BIND:
		if (flow_block_cb_is_busy(ftnic_rules_decap_block_cb, dev,
					  &ftnic_indr_block_cbs))
			return -EBUSY;
		block_cb = flow_indr_block_cb_alloc(ftnic_rules_decap_block_cb,
						    dev, cb_priv,
						    ftnic_indr_block_release,
						    f, dev, sch, data, cb_priv,
						    cleanup);
		if (IS_ERR(block_cb))
			return PTR_ERR(block_cb);
		flow_block_cb_add(block_cb, f);
		list_add_tail(&block_cb->driver_list, &ftnic_indr_block_cbs);
		return 0;
	case FLOW_BLOCK_UNBIND:
		block_cb = flow_block_cb_lookup(f->block,
						ftnic_rules_decap_block_cb, dev);
		if (!block_cb)
			return -ENOENT;
		flow_indr_block_cb_remove(block_cb, f);
		list_del(&block_cb->driver_list);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* Asks TC to offer VXLAN devices' blocks to the NICs in 'indr'.  Returns
 * 0 or a negative errno. */
int ftnic_tunnel_indr_register(struct ftnic_indr *indr)
{
	return flow_indr_dev_register(ftnic_indr_bind, indr);
}

/* Undoes ftnic_tunnel_indr_register(): TC unbinds every VXLAN block,
 * destroying the decap rules, while the NICs still exist.  Takes the
 * RTNL: call without it. */
void ftnic_tunnel_indr_unregister(struct ftnic_indr *indr)
{
	flow_indr_dev_unregister(ftnic_indr_bind, indr,
				 ftnic_indr_block_release);
}
