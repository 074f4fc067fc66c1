// SPDX-License-Identifier: GPL-2.0
/*
 * upcall.c - the packet path of a datapath and its link to the daemon:
 * ft_dp_process() looks a received frame up in the megaflow table and
 * runs the megaflow's actions, or sends the frame and its key up as a MISS
 * to the upcall socket of its port (or the datapath's); ft_upcall() builds
 * those messages (and the ACTION upcalls of the userspace action) with a
 * token bucket per port, so that a port flooding the daemon with misses
 * uses up its own rate and fills its own socket, not the others'.  Also the flowtier_packet family, whose
 * EXECUTE runs actions on a frame the daemon sends.  Packets run under
 * RCU in softirq; counters are per CPU.
 */
#include <linux/if_vlan.h>

#include "datapath.h"

/* Takes one upcall from the port's bucket; false if it is empty. */
static bool ft_bucket_take(struct ft_upcall_bucket *b, u32 rate)
{
	u64 cap = (u64)rate * 1000;
	unsigned long now = jiffies;
	bool ok;

	spin_lock(&b->lock);
	if (now != b->last) {
		b->tokens += (u64)(now - b->last) * cap / HZ;
		if (b->tokens > cap)
			b->tokens = cap;
		b->last = now;
	}
	ok = b->tokens >= 1000;
	if (ok)
		b->tokens -= 1000;
	spin_unlock(&b->lock);
	return ok;
}

static void ft_vport_count_upcall(struct ft_vport *vport, bool sent)
{
	struct ft_vport_pcpu *s = this_cpu_ptr(vport->stats);

	u64_stats_update_begin(&s->syncp);
	if (sent)
		s->upcalls++;
	else
		s->upcalls_lost++;
	u64_stats_update_end(&s->syncp);
}

/* Copies the first 'len' bytes of the frame, with an offloaded VLAN tag
 * put back in its place, into 'to'. */
static void ft_copy_frame(const struct sk_buff *skb, u8 *to, u32 len)
{
	if (skb_vlan_tag_present(skb) && len >= 2 * ETH_ALEN + VLAN_HLEN) {
		__be16 tag[2] = { skb->vlan_proto,
				  htons(skb_vlan_tag_get(skb)) };

		skb_copy_bits(skb, 0, to, 2 * ETH_ALEN);
		memcpy(to + 2 * ETH_ALEN, tag, VLAN_HLEN);
		skb_copy_bits(skb, 2 * ETH_ALEN, to + 2 * ETH_ALEN + VLAN_HLEN,
			      len - 2 * ETH_ALEN - VLAN_HLEN);
	} else {
		skb_copy_bits(skb, 0, to, len);
	}
}

int ft_upcall(struct ft_dp *dp, struct ft_vport *vport, struct sk_buff *skb,
	      const struct ft_flow *key, u8 cmd,
	      const struct ft_kdp_userspace *userspace)
{
	u32 full = skb->len + (skb_vlan_tag_present(skb) ? VLAN_HLEN : 0);
	u32 len = full, pid = 0;
	struct sk_buff *msg;
	struct nlattr *data;
	void *hdr;
	int err;

	if (vport)
		pid = READ_ONCE(vport->upcall_pid);
	if (!pid)
		pid = READ_ONCE(dp->upcall_pid);
	if (!pid) {
		/* Port 0 is the kernel's own socket, which must never get a
		 * message from softirq context: no upcall socket is set. */
		err = -ENOTCONN;
		goto lost;
	}
	if (vport && !ft_bucket_take(&vport->bucket,
				     READ_ONCE(dp->upcall_rate))) {
		FT_DP_COUNT(dp, n_ratelimited);
		err = -ENOBUFS;
		goto lost;
	}
	if (userspace && userspace->max_len < len)
		len = userspace->max_len;
	msg = genlmsg_new(nla_total_size(len) + nla_total_size(sizeof(*key)) +
			  nla_total_size(sizeof(*userspace)) + 128, GFP_ATOMIC);
	if (!msg) {
		err = -ENOMEM;
		goto lost;
	}
	hdr = genlmsg_put(msg, 0, 0, &ft_packet_family, 0, cmd);
	if (!hdr || nla_put_string(msg, FT_KDP_ATTR_DP_NAME, dp->name) ||
	    nla_put_u32(msg, FT_KDP_PACKET_ATTR_IN_PORT, key->in_port) ||
	    nla_put(msg, FT_KDP_PACKET_ATTR_KEY, sizeof(*key), key) ||
	    nla_put_u32(msg, FT_KDP_PACKET_ATTR_LEN, full) ||
	    (userspace && nla_put(msg, FT_KDP_PACKET_ATTR_USERSPACE,
				  sizeof(*userspace), userspace)) ||
	    !(data = nla_reserve(msg, FT_KDP_PACKET_ATTR_DATA, len))) {
		kfree_skb(msg);
		err = -EMSGSIZE;
		goto lost;
	}
	ft_copy_frame(skb, nla_data(data), len);
	genlmsg_end(msg, hdr);
	err = genlmsg_unicast(dp->net, msg, pid);
	if (err)
		goto lost;
	FT_DP_COUNT(dp, n_upcalls);
	if (vport)
		ft_vport_count_upcall(vport, true);
	return 0;

lost:
	FT_DP_COUNT(dp, n_lost);
	if (vport)
		ft_vport_count_upcall(vport, false);
	return err;
}

static void ft_flow_count(struct ft_kflow *flow, unsigned int len)
{
	struct ft_flow_pcpu *s = this_cpu_ptr(flow->stats);

	u64_stats_update_begin(&s->syncp);
	s->packets++;
	s->bytes += len;
	s->used = jiffies;
	u64_stats_update_end(&s->syncp);
}

/* The outer header of a packet a VXLAN port received, into 'key'.
 * Returns 0, or -EAFNOSUPPORT for an IPv6 underlay (the key holds IPv4
 * tunnel addresses only) or a packet without RX tunnel metadata. */
static int ft_vport_tunnel_key(struct sk_buff *skb, struct ft_flow *key)
{
	const struct ip_tunnel_info *info = skb_tunnel_info(skb);

	if (!info || info->mode & IP_TUNNEL_INFO_TX ||
	    ip_tunnel_info_af(info) != AF_INET)
		return -EAFNOSUPPORT;
	ft_flow_key_tunnel(info, key);
	return 0;
}

void ft_dp_process(struct ft_dp *dp, struct ft_vport *vport,
		   struct sk_buff *skb)
{
	struct ft_vport_pcpu *vs = this_cpu_ptr(vport->stats);
	struct ft_kflow *flow;
	struct ft_flow key;

	u64_stats_update_begin(&vs->syncp);
	vs->rx_packets++;
	vs->rx_bytes += skb->len;
	u64_stats_update_end(&vs->syncp);

	/* One representation for the whole path: tags in the frame, and a
	 * receive checksum that stays true whatever the actions change. */
	if (skb_vlan_tag_present(skb)) {
		skb = __vlan_hwaccel_push_inside(skb);
		if (unlikely(!skb))
			return;
	}
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;

	if (unlikely(ft_flow_key_extract(skb, vport->port_no, &key)) ||
	    unlikely(vport->vxlan && ft_vport_tunnel_key(skb, &key))) {
		FT_DP_COUNT(dp, n_invalid);
		kfree_skb(skb);
		return;
	}
	flow = ft_table_lookup(&dp->table, &key);
	if (likely(flow)) {
		ft_flow_count(flow, skb->len);
		FT_DP_COUNT(dp, n_hit);
		ft_actions_execute(dp, skb, &key, rcu_dereference(flow->acts));
		return;
	}
	FT_DP_COUNT(dp, n_missed);
	ft_upcall(dp, vport, skb, &key, FT_KDP_PACKET_CMD_MISS, NULL);
	consume_skb(skb);
}

/* Attribute policy of flowtier_packet (EXECUTE):
 *   DP_NAME  the datapath;
 *   DATA     the frame, from its Ethernet header, at least 14 bytes;
 *   IN_PORT  the port it counts as coming from (FT_PORT_NONE: none);
 *   ACTIONS  nested, as for megaflows;
 *   KEY, USERSPACE, LEN  only in upcalls. */
static const struct nla_policy ft_packet_policy[FT_KDP_PACKET_ATTR_MAX + 1] = {
	[FT_KDP_ATTR_DP_NAME] = { .type = NLA_NUL_STRING,
				  .len = FT_KDP_NAME_MAX - 1 },
	[FT_KDP_PACKET_ATTR_DATA] = NLA_POLICY_MIN_LEN(ETH_HLEN),
	[FT_KDP_PACKET_ATTR_IN_PORT] = { .type = NLA_U32 },
	[FT_KDP_PACKET_ATTR_ACTIONS] = { .type = NLA_NESTED },
	[FT_KDP_PACKET_ATTR_KEY] = { .type = NLA_REJECT },
	[FT_KDP_PACKET_ATTR_USERSPACE] = { .type = NLA_REJECT },
	[FT_KDP_PACKET_ATTR_LEN] = { .type = NLA_REJECT },
};

static struct sk_buff *ft_packet_build(const struct nlattr *data)
{
	unsigned int len = nla_len(data);
	struct sk_buff *skb;
	__be16 proto;

	skb = alloc_skb(NET_SKB_PAD + NET_IP_ALIGN + len, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, NET_SKB_PAD + NET_IP_ALIGN);
	skb_put_data(skb, nla_data(data), len);
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, ETH_HLEN);
	skb_reset_mac_len(skb);
	proto = ((struct ethhdr *)skb->data)->h_proto;
	skb->protocol = ntohs(proto) >= ETH_P_802_3_MIN ? proto
							 : htons(ETH_P_802_2);
	return skb;
}

static int ft_packet_cmd_execute(struct sk_buff *in, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct ft_kactions *acts;
	struct sk_buff *skb;
	struct ft_flow key;
	struct ft_dp *dp;
	u32 in_port;

	if (!a[FT_KDP_PACKET_ATTR_DATA] || !a[FT_KDP_PACKET_ATTR_ACTIONS]) {
		NL_SET_ERR_MSG(info->extack,
			       "flowtier: EXECUTE needs a frame and actions");
		return -EINVAL;
	}
	dp = ft_dp_from_info(info);
	if (!dp)
		return -ENODEV;
	in_port = a[FT_KDP_PACKET_ATTR_IN_PORT] ?
		  nla_get_u32(a[FT_KDP_PACKET_ATTR_IN_PORT]) : FT_PORT_NONE;
	acts = ft_actions_from_nl(a[FT_KDP_PACKET_ATTR_ACTIONS], info->extack);
	if (IS_ERR(acts))
		return PTR_ERR(acts);
	skb = ft_packet_build(a[FT_KDP_PACKET_ATTR_DATA]);
	if (!skb) {
		ft_actions_free(acts);
		return -ENOMEM;
	}
	ft_flow_key_extract(skb, in_port, &key);
	rcu_read_lock();
	local_bh_disable();
	ft_actions_execute(dp, skb, &key, acts);
	local_bh_enable();
	rcu_read_unlock();
	ft_actions_free(acts);
	return 0;
}

static const struct genl_ops ft_packet_ops[] = {
	{ .cmd = FT_KDP_PACKET_CMD_EXECUTE, .flags = GENL_UNS_ADMIN_PERM,
	  .doit = ft_packet_cmd_execute },
};

struct genl_family ft_packet_family __ro_after_init = {
	.name = FT_KDP_PACKET_FAMILY,
	.version = FT_KDP_VERSION,
	.maxattr = FT_KDP_PACKET_ATTR_MAX,
	.policy = ft_packet_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = ft_packet_ops,
	.n_ops = ARRAY_SIZE(ft_packet_ops),
};
